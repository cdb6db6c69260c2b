//! What one statement does and reads: a scope-based resolver over sqlparser's AST.
//!
//! Every name is placed against the policy's catalog, CTEs, derived tables, aliases and lambda
//! parameters, innermost first. Whatever cannot be placed is an `unresolved` finding, so a
//! gap in the resolver ends in "not allowed", never in a pass.

mod cte_reads;
mod expr;
mod passthrough;
mod predicate;
mod query;
mod scope;
mod show;
mod statement;

use std::collections::BTreeSet;

use crate::policy::{Catalog, Table};
use crate::report::StatementClass;
use crate::span::{LineIndex, Span};

pub(crate) use predicate::Constraint;
pub(crate) use show::{
    analyse as analyse_show, for_sqlparser as show_for_sqlparser, parse as parse_show,
};
pub(crate) use statement::{analyse, classify};

/// A base-table column the statement reads, with where it is read.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub qualified: String,
    pub tags: BTreeSet<String>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub(crate) struct Unresolved {
    pub message: String,
    pub span: Span,
    /// When a column name found no column of the policy's tables: which, and in which tables.
    pub column: Option<crate::report::UnknownColumn>,
}

/// One occurrence of a base table in a FROM clause, with the predicates that bound its rows.
#[derive(Debug, Clone)]
pub(crate) struct Instance<'c> {
    pub table: &'c Table,
    pub span: Span,
    pub constraints: Vec<Constraint>,
}

/// A table the statement writes, creates or drops; `None` when it is outside the catalog.
#[derive(Debug, Clone)]
pub(crate) struct Write {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Shape {
    /// `*` and `t.*` in select lists.
    pub wildcards: Vec<Span>,
    pub functions: Vec<(String, Span)>,
    pub null_comparisons: Vec<Span>,
    pub cross_joins: Vec<Span>,
    /// Names of relations outside the policy's catalog (federated catalogs, unknown databases).
    pub foreign_objects: Vec<(String, Span)>,
    /// Tables whose metadata a SHOW or DESCRIBE reads.
    pub metadata_objects: Vec<(String, Span)>,
    /// The top-level query has a LIMIT (or FETCH), and its value when it is a literal.
    pub limit: Option<Option<u64>>,
    /// The top-level query's FETCH has WITH TIES or PERCENT: however small its number, it may
    /// return every row (all that tie with the last, or a share of a table of any size), so
    /// it is no limit (`limit` is then `None`).
    pub fetch_unbounded: bool,
    pub top_order_by: Option<Span>,
    /// The top-level query returns one row by construction (aggregates without GROUP BY).
    pub one_row: bool,
    pub export_locations: Vec<(String, Span)>,
    /// DELETE/UPDATE/MERGE without a bounding condition.
    pub unbounded_write: Option<Span>,
    pub statement_span: Option<Span>,
    /// The statement reads the catalog, not rows: `SHOW STATS` (its statistics) and a plain
    /// `EXPLAIN` (a plan; `EXPLAIN ANALYZE` runs the query and scans): it scans nothing.
    pub scans_nothing: bool,
    /// For each instance, by position, how many times the statement scans it: more than once
    /// when it is inside a CTE read more than once (see `cte_reads.rs`); `None` when a recursive
    /// CTE scans it an unknown number of times. Missing: once.
    pub instance_reads: Vec<Option<u64>>,
    /// The statement is `EXPLAIN ANALYZE` as Athena documents it (not `DESCRIBE ANALYZE` nor
    /// `EXPLAIN (ANALYZE)`): it runs the statement it explains.
    pub explain_analyze: bool,
}

pub(crate) struct Analysis<'c> {
    pub class: StatementClass,
    pub reads: Vec<Finding>,
    pub unresolved: Vec<Unresolved>,
    pub instances: Vec<Instance<'c>>,
    pub writes: Vec<Write>,
    pub shape: Shape,
    /// A `USE db` statement changes the default database for the statements after it.
    pub use_database: Option<String>,
}

pub(crate) fn span_of(span: sqlparser::tokenizer::Span, index: &LineIndex) -> Span {
    index.span(
        index.position(span.start.line, span.start.column),
        index.position(span.end.line, span.end.column),
    )
}

/// State shared while one statement is resolved.
pub(crate) struct Resolver<'c, 'i> {
    pub catalog: &'c Catalog,
    pub default_database: Option<String>,
    pub index: &'i LineIndex<'i>,
    pub reads: Vec<Finding>,
    pub unresolved: Vec<Unresolved>,
    pub instances: Vec<Instance<'c>>,
    pub writes: Vec<Write>,
    pub shape: Shape,
    /// CTEs visible at this point, innermost last: name, output columns, and how they pass a
    /// base table through (see `passthrough.rs`).
    pub ctes: Vec<(String, Vec<String>, Option<scope::Via>)>,
    /// How often each pass-through CTE is read in the statement.
    pub cte_uses: Vec<usize>,
    /// Whether the statement defines a CTE anywhere the resolver walked: without one, every
    /// table is scanned once and `cte_reads` need not walk the statement again.
    pub has_ctes: bool,
    /// Bounds found on a pass-through CTE's columns: (CTE number, instance, bound). They apply
    /// to its base table only if the CTE is read exactly once.
    pub deferred: Vec<(usize, usize, Constraint)>,
    /// Lambda parameters in force, innermost last.
    pub lambda_params: Vec<String>,
    /// Relations touched while resolving, as (scope id, relation index), for predicate analysis.
    pub touched: Vec<(usize, usize)>,
    /// While a FROM item is read: the names (as parts) of the items before it, which its joins
    /// cannot see (for the message that says so).
    pub hidden: Vec<Vec<String>>,
    pub next_scope_id: usize,
    pub depth: usize,
}

/// Deeper nesting than this is refused rather than risking the stack.
pub(crate) const MAX_DEPTH: usize = crate::bounds::MAX_NESTING + 50;

impl<'c, 'i> Resolver<'c, 'i> {
    pub(crate) fn new(
        catalog: &'c Catalog,
        default_database: Option<String>,
        index: &'i LineIndex<'i>,
    ) -> Self {
        Self {
            catalog,
            default_database,
            index,
            reads: Vec::new(),
            unresolved: Vec::new(),
            instances: Vec::new(),
            writes: Vec::new(),
            shape: Shape::default(),
            ctes: Vec::new(),
            cte_uses: Vec::new(),
            has_ctes: false,
            deferred: Vec::new(),
            lambda_params: Vec::new(),
            touched: Vec::new(),
            hidden: Vec::new(),
            next_scope_id: 0,
            depth: 0,
        }
    }

    pub(crate) fn span(&self, span: sqlparser::tokenizer::Span) -> Span {
        span_of(span, self.index)
    }

    pub(crate) fn unresolved(&mut self, span: Span, message: impl Into<String>) {
        self.unresolved.push(Unresolved {
            message: message.into(),
            span,
            column: None,
        });
    }

    /// An unresolved column name: `column` is in none of the policy's `tables` (`db.table`)
    /// the query could mean.
    pub(crate) fn unresolved_column(
        &mut self,
        span: Span,
        message: impl Into<String>,
        column: &str,
        tables: Vec<String>,
    ) {
        self.unresolved.push(Unresolved {
            message: message.into(),
            span,
            column: Some(crate::report::UnknownColumn {
                column: column.to_lowercase(),
                tables,
                span,
            }),
        });
    }

    pub(crate) fn read(&mut self, table: &'c Table, column: &str, span: Span) -> bool {
        match table.column(column) {
            Some(c) => {
                self.reads.push(Finding {
                    qualified: format!("{}.{}.{}", table.database, table.name, c.name),
                    tags: c.tags.clone(),
                    span,
                });
                true
            }
            None => false,
        }
    }

    /// Guards recursion; false (with a finding) when the statement nests too deeply.
    pub(crate) fn enter(&mut self) -> bool {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let span = self
                .shape
                .statement_span
                .unwrap_or_else(|| self.index.whole());
            if !self
                .unresolved
                .iter()
                .any(|u| u.message.starts_with("the statement nests"))
            {
                self.unresolved(
                    span,
                    format!("the statement nests more than {MAX_DEPTH} levels deep: simplify it"),
                );
            }
            return false;
        }
        true
    }

    pub(crate) fn leave(&mut self) {
        self.depth -= 1;
    }
}

#[cfg(test)]
mod bypass_tests;
#[cfg(test)]
mod scoping_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod tests_support {
    pub(crate) use super::tests::CATALOG;
    use crate::{lint, LintContext, Policy, Report, Verdict};

    /// `sql` linted against the test catalog with `rules` (YAML list items), database `sales`.
    pub(crate) fn lint_with(rules: &str, sql: &str) -> Report {
        let policy = Policy::from_yaml(&format!("{CATALOG}rules:\n{rules}")).expect("policy");
        let ctx = LintContext {
            default_database: Some("sales".into()),
            elevations: Default::default(),
        };
        lint(&policy, sql, &ctx)
    }

    /// The columns a report reads (`table.column`), whatever the verdict.
    pub(crate) fn columns_read(r: &Report) -> Vec<String> {
        r.reads()
            .iter()
            .map(|c| c.trim_start_matches("sales.").to_string())
            .collect()
    }

    /// Asserts `sql`'s report is a refusal as unresolved, and returns those messages.
    pub(crate) fn unresolved_refusals(sql: &str, r: &Report) -> Vec<String> {
        assert_eq!(r.verdict(), Verdict::Deny, "{sql} was not denied");
        let out: Vec<String> = r
            .diagnostics()
            .iter()
            .filter(|d| d.rule == "unresolved")
            .map(|d| d.message.clone())
            .collect();
        assert!(!out.is_empty(), "{sql}: denied, but not as unresolved");
        out
    }
}
