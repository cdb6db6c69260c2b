//! The rule kinds of a policy, applied to one analysed statement.

use crate::analysis::Analysis;
use crate::policy::units::human_size;
use crate::policy::{Policy, Rule, RuleKind};
use crate::report::{Diagnostic, Fix, StatementClass};
use crate::span::{LineIndex, Span};

/// Rows `require_limit`'s quick fix asks for when the rule sets no `max_rows`.
pub const DEFAULT_FIX_LIMIT: u64 = 1000;

pub(crate) struct StatementContext<'a> {
    pub index: &'a LineIndex<'a>,
    /// Where the statement's last token ends (before its `;` and any comment).
    pub end: Option<sqlparser::tokenizer::Location>,
}

/// A diagnostic for `rule`: its template when it has one, else the default message.
fn diagnostic(rule: &Rule, span: Span, default: String, vars: &[(&str, &str)]) -> Diagnostic {
    let message = match &rule.message {
        Some(template) => vars.iter().fold(template.clone(), |m, (k, v)| {
            m.replace(&format!("{{{k}}}"), v)
        }),
        None => {
            if rule.unlocked_by.is_empty() || default.contains("request the") {
                default
            } else {
                format!(
                    "{default}; or request the {} elevation",
                    rule.unlocked_by.join(" or ")
                )
            }
        }
    };
    Diagnostic {
        rule: rule.id.clone(),
        severity: rule.severity,
        message,
        span,
        unlocked_by: rule.unlocked_by.clone(),
        fix: None,
    }
}

pub(crate) fn single_statement(
    policy: &Policy,
    analysis: &Analysis,
    count: usize,
    index: &LineIndex,
    out: &mut Vec<Diagnostic>,
) {
    for rule in &policy.rules {
        if let RuleKind::SingleStatement = rule.kind {
            let span = analysis
                .shape
                .statement_span
                .unwrap_or_else(|| index.whole());
            out.push(diagnostic(
                rule,
                span,
                format!("the text holds {count} statements; this policy runs one at a time: run them separately"),
                &[],
            ));
        }
    }
}

pub(crate) fn apply_rules(
    policy: &Policy,
    a: &Analysis,
    ctx: &StatementContext,
    out: &mut Vec<Diagnostic>,
) {
    let statement_span = a.shape.statement_span.unwrap_or_else(|| ctx.index.whole());
    for rule in &policy.rules {
        match &rule.kind {
            RuleKind::StatementClass { allow } => {
                if !allow.contains(&a.class) {
                    let allowed: Vec<&str> = allow.iter().map(|c| c.as_str()).collect();
                    out.push(diagnostic(
                        rule,
                        statement_span,
                        format!(
                            "{} statements are not allowed by this policy (allowed: {})",
                            a.class.as_str(),
                            allowed.join(", ")
                        ),
                        &[("class", a.class.as_str())],
                    ));
                }
            }
            RuleKind::SingleStatement => {}
            RuleKind::ObjectAllowlist { databases, tables } => {
                let allowed = |name: &str| {
                    let db = name.split('.').next().unwrap_or(name);
                    databases.contains(db) || tables.contains(name)
                };
                let objects = a
                    .instances
                    .iter()
                    .map(|i| (i.table.qualified_name(), i.span))
                    .chain(a.writes.iter().map(|w| (w.name.clone(), w.span)))
                    .chain(a.shape.foreign_objects.iter().cloned());
                for (name, span) in objects {
                    if !allowed(&name) {
                        out.push(diagnostic(
                            rule,
                            span,
                            format!(
                                "{name} is outside the databases and tables this policy allows"
                            ),
                            &[("table", &name)],
                        ));
                    }
                }
            }
            RuleKind::RestrictedColumns { tags } => {
                for read in &a.reads {
                    let Some(tag) = read.tags.iter().find(|t| tags.contains(*t)) else {
                        continue;
                    };
                    let default = if rule.unlocked_by.is_empty() {
                        format!(
                            "{} is tagged {tag}: it cannot be read under this policy",
                            read.qualified
                        )
                    } else {
                        format!(
                            "{} is tagged {tag}: request the {} elevation to read it",
                            read.qualified,
                            rule.unlocked_by.join(" or ")
                        )
                    };
                    out.push(diagnostic(
                        rule,
                        read.span,
                        default,
                        &[("column", &read.qualified), ("tag", tag)],
                    ));
                }
            }
            RuleKind::RequiredRowPredicate { tables, column } => {
                for i in &a.instances {
                    let name = i.table.qualified_name();
                    if !tables.contains(&name) {
                        continue;
                    }
                    let bounded = i
                        .constraints
                        .iter()
                        .any(|c| &c.column == column && c.values.is_some());
                    if !bounded {
                        out.push(diagnostic(
                            rule,
                            i.span,
                            format!("{name} must be read with a filter {column} = <value> or {column} IN (<values>)"),
                            &[("table", &name), ("column", column)],
                        ));
                    }
                }
            }
            RuleKind::RequirePartitionFilter { tables } => {
                for i in &a.instances {
                    let name = i.table.qualified_name();
                    if !tables.contains(&name) {
                        continue;
                    }
                    if !i
                        .constraints
                        .iter()
                        .any(|c| i.table.is_partition_key(&c.column))
                    {
                        let keys = i.table.partition_keys.join(" or ");
                        out.push(diagnostic(
                            rule,
                            i.span,
                            format!(
                                "{name} is read without a partition filter: add a filter on {keys} (=, IN, BETWEEN or a range against literals) where it is read"
                            ),
                            &[("table", &name), ("column", &keys)],
                        ));
                    }
                }
            }
            RuleKind::MaxScanBytes { limit } => max_scan(rule, *limit, a, statement_span, out),
            RuleKind::SelectStar => {
                for span in &a.shape.wildcards {
                    out.push(diagnostic(
                        rule,
                        *span,
                        "* reads every column: list the columns you need".into(),
                        &[],
                    ));
                }
            }
            RuleKind::RequireLimit { max_rows } => {
                if a.class != StatementClass::Query || a.shape.one_row {
                    continue;
                }
                match a.shape.limit {
                    None => {
                        let rows = max_rows.unwrap_or(DEFAULT_FIX_LIMIT).min(DEFAULT_FIX_LIMIT);
                        let mut d = diagnostic(
                            rule,
                            statement_span,
                            format!("the query has no LIMIT: add LIMIT {rows}"),
                            &[],
                        );
                        d.fix = limit_fix(ctx, rows);
                        out.push(d);
                    }
                    Some(n) => {
                        if let Some(max) = max_rows {
                            if n.is_none_or(|n| n > *max) {
                                out.push(diagnostic(
                                    rule,
                                    statement_span,
                                    format!("the LIMIT must be a number no larger than {max}"),
                                    &[],
                                ));
                            }
                        }
                    }
                }
            }
            RuleKind::CrossJoin => {
                for span in &a.shape.cross_joins {
                    out.push(diagnostic(
                        rule,
                        *span,
                        "this joins every row with every row (a cross join): add a join condition"
                            .into(),
                        &[],
                    ));
                }
            }
            RuleKind::ExportDestination { allow_prefixes } => {
                for (location, span) in &a.shape.export_locations {
                    if !allow_prefixes
                        .iter()
                        .any(|p| location.starts_with(p.as_str()))
                    {
                        let allowed = if allow_prefixes.is_empty() {
                            "this policy allows no export".to_string()
                        } else {
                            format!("write under {}", allow_prefixes.join(" or "))
                        };
                        out.push(diagnostic(
                            rule,
                            *span,
                            format!("{location} is not an allowed destination: {allowed}"),
                            &[("location", location)],
                        ));
                    }
                }
            }
            RuleKind::BlockedFunctions { functions } => {
                for (name, span) in &a.shape.functions {
                    let last = name.rsplit('.').next().unwrap_or(name);
                    if functions.contains(name) || functions.contains(last) {
                        out.push(diagnostic(
                            rule,
                            *span,
                            format!("function {name} is blocked by this policy"),
                            &[("function", name)],
                        ));
                    }
                }
            }
            RuleKind::UnboundedWrite => {
                if let Some(span) = a.shape.unbounded_write {
                    out.push(diagnostic(
                        rule,
                        span,
                        "this write touches every row (no WHERE, or one that is always true): add a condition".into(),
                        &[],
                    ));
                }
            }
            RuleKind::OrderByWithoutLimit => {
                if let (Some(span), None) = (a.shape.top_order_by, a.shape.limit) {
                    out.push(diagnostic(
                        rule,
                        span,
                        "ORDER BY without LIMIT sorts the whole result: add a LIMIT".into(),
                        &[],
                    ));
                }
            }
            RuleKind::NullComparison => {
                for span in &a.shape.null_comparisons {
                    out.push(diagnostic(
                        rule,
                        *span,
                        "a comparison with NULL is never true: use IS NULL or IS NOT NULL".into(),
                        &[],
                    ));
                }
            }
        }
    }
}

fn max_scan(rule: &Rule, limit: u64, a: &Analysis, span: Span, out: &mut Vec<Diagnostic>) {
    let mut total: u128 = 0;
    for i in &a.instances {
        let Some(size) = i.table.size_bytes else {
            let name = i.table.qualified_name();
            out.push(diagnostic(
                rule,
                i.span,
                format!(
                    "the scan cannot be estimated: {name} has no size_bytes in the catalog's stats"
                ),
                &[("table", &name)],
            ));
            return;
        };
        // Equality or IN on a partition key selects that many partitions out of all of them.
        let selected = i
            .constraints
            .iter()
            .filter(|c| i.table.is_partition_key(&c.column))
            .filter_map(|c| c.values)
            .min();
        let share = match (selected, i.table.partitions) {
            (Some(n), Some(p)) if (n as u64) < p => (n as f64) / (p as f64),
            _ => 1.0,
        };
        total += (size as f64 * share).ceil() as u128;
    }
    if total > limit as u128 {
        let estimate = human_size(total.min(u64::MAX as u128) as u64);
        let budget = human_size(limit);
        out.push(diagnostic(
            rule,
            span,
            format!("the query would scan an estimated {estimate}, budget {budget}: filter on partition keys or select fewer tables"),
            &[("estimate", &estimate), ("limit", &budget)],
        ));
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

#[cfg(test)]
mod tests;
