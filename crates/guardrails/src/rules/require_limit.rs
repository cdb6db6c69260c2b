use std::sync::Arc;

use super::{diagnostic, Check, Key, Kind, Options, Requires, StatementContext};
use crate::analysis::Analysis;
use crate::policy::{PolicyError, Rule};
use crate::report::{Diagnostic, Fix, StatementClass};
use crate::span::Span;

/// Rows `require_limit`'s quick fix asks for when the rule sets no `max_rows`.
pub const DEFAULT_FIX_LIMIT: u64 = 1000;

pub(crate) const KIND: Kind = Kind {
    name: "require_limit",
    keys: &[Key {
        name: "max_rows",
        schema: r#"{"type": "integer", "minimum": 1}"#,
    }],
    requires: Requires::Nothing,
    hint: false,
    build,
    source: include_str!("require_limit.rs"),
};

/// ## What it does
/// Fires on a query without `LIMIT`, with a quick fix that appends `LIMIT 1000` (or
/// `max_rows` when smaller) after the statement's last token, before its `;` and any trailing
/// comment. A `LIMIT` above `max_rows` fires too. Queries that return one row are exempt: a
/// select list of the query's own aggregates without `GROUP BY`, or a `SELECT` without `FROM`
/// (an aggregate inside a subquery, a lambda or a window such as `count(*) OVER ()` aggregates
/// something else, not the query's rows); so are statements that are not queries.
/// `FETCH FIRST n ROWS ONLY` counts as a `LIMIT n`; `FETCH ... WITH TIES` (every row that
/// ties with the last, a whole group on a sort key with few values) and `FETCH ... PERCENT`
/// (a share of a table of any size) count as no limit, without a quick fix.
///
/// ## Why
/// An unbounded result is downloaded whole into the client.
///
/// ## Options
/// `max_rows` (optional, at least 1).
///
/// ## Example
/// Fires: `SELECT email FROM customers` (fix: ` LIMIT 1000`), and
/// `SELECT customer_id + (SELECT count(*) FROM customers) FROM customers` (one row per
/// customer). Does not fire: `SELECT count(*), max(amount) FROM orders`.
#[derive(Debug)]
pub(crate) struct RequireLimit {
    max_rows: Option<u64>,
}

fn build(o: &Options) -> Result<Arc<dyn Check>, PolicyError> {
    if o.file.max_rows == Some(0) {
        return Err(crate::policy::PolicyError::at(
            o.at("max_rows"),
            "max_rows must be at least 1",
        ));
    }
    Ok(Arc::new(RequireLimit {
        max_rows: o.file.max_rows,
    }))
}

impl Check for RequireLimit {
    fn check(&self, rule: &Rule, a: &Analysis, ctx: &StatementContext, out: &mut Vec<Diagnostic>) {
        if a.class != StatementClass::Query || a.shape.one_row {
            return;
        }
        let span = ctx.statement_span(a);
        match a.shape.limit {
            None => {
                let rows = self
                    .max_rows
                    .unwrap_or(DEFAULT_FIX_LIMIT)
                    .min(DEFAULT_FIX_LIMIT);
                let message = if a.shape.fetch_unbounded {
                    format!(
                        "FETCH ... WITH TIES or PERCENT may return every row (all that tie with \
                         the last, or a share of the table): use LIMIT {rows}"
                    )
                } else {
                    format!("the query has no LIMIT: add LIMIT {rows}")
                };
                let mut d = diagnostic(rule, span, message, &[]);
                // Appending a LIMIT after a FETCH would not parse.
                if !a.shape.fetch_unbounded {
                    d.fix = limit_fix(ctx, rows);
                }
                out.push(d);
            }
            Some(n) => {
                if let Some(max) = self.max_rows {
                    if n.is_none_or(|n| n > max) {
                        out.push(diagnostic(
                            rule,
                            span,
                            format!("the LIMIT must be a number no larger than {max}"),
                            &[],
                        ));
                    }
                }
            }
        }
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Appends `LIMIT n` after the last token of the statement (before its `;` and any comment).
fn limit_fix(ctx: &StatementContext, rows: u64) -> Option<Fix> {
    let end = ctx.end?;
    let at = ctx.index.position(end.line, end.column);
    Some(Fix {
        title: format!("Add LIMIT {rows}"),
        span: Span { start: at, end: at },
        replacement: format!(" LIMIT {rows}"),
    })
}
