//! The rule kinds of a policy. Each kind is one file in this folder holding its options, its
//! check, its messages and its documentation (the `///` block on its type, which
//! `docs/rules.md` is generated from; see `docs.rs`). `KINDS` lists them.

mod blocked_functions;
mod cross_join;
mod export_destination;
pub(crate) mod max_scan_bytes;
mod null_comparison;
mod object_allowlist;
mod options;
mod order_by_without_limit;
mod require_limit;
mod require_partition_filter;
mod required_row_predicate;
mod restricted_columns;
mod select_star;
mod single_statement;
mod statement_class;
mod unbounded_write;

#[cfg(test)]
mod docs;
#[cfg(test)]
mod statement_bypass_tests;
#[cfg(test)]
mod tests;

use std::fmt::Debug;
use std::sync::Arc;

use crate::analysis::Analysis;
use crate::policy::{PolicyError, Rule};
use crate::report::Diagnostic;
use crate::span::{LineIndex, Span};

pub(crate) use options::Options;
pub use require_limit::DEFAULT_FIX_LIMIT;

/// Every rule kind, in the order `docs/rules.md` and the schema list them.
pub(crate) const KINDS: [&Kind; 15] = [
    &statement_class::KIND,
    &single_statement::KIND,
    &object_allowlist::KIND,
    &restricted_columns::KIND,
    &required_row_predicate::KIND,
    &require_partition_filter::KIND,
    &max_scan_bytes::KIND,
    &select_star::KIND,
    &require_limit::KIND,
    &cross_join::KIND,
    &export_destination::KIND,
    &blocked_functions::KIND,
    &unbounded_write::KIND,
    &order_by_without_limit::KIND,
    &null_comparison::KIND,
];

/// What a kind is, as the policy file names it.
pub(crate) struct Kind {
    pub name: &'static str,
    /// The kind's own keys and the JSON Schema of each value.
    pub keys: &'static [Key],
    #[cfg_attr(not(test), allow(dead_code))]
    pub requires: Requires,
    /// Hints default to severity `warning`; other kinds to `error`.
    pub hint: bool,
    /// Reads and validates the kind's own keys.
    pub build: fn(&Options) -> Result<Arc<dyn Check>, PolicyError>,
    /// The kind's source file: its documentation is read from it.
    #[cfg_attr(not(test), allow(dead_code))]
    pub source: &'static str,
}

pub(crate) struct Key {
    pub name: &'static str,
    /// JSON Schema of the value.
    #[cfg_attr(not(test), allow(dead_code))]
    pub schema: &'static str,
}

/// Which keys a kind cannot do without.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) enum Requires {
    Nothing,
    All(&'static [&'static str]),
    AnyOf(&'static [&'static str]),
}

/// A rule's check, built from the policy for one kind.
pub(crate) trait Check: Debug + Send + Sync {
    fn check(&self, rule: &Rule, a: &Analysis, ctx: &StatementContext, out: &mut Vec<Diagnostic>);

    /// Called once for a text of more than one statement, with the second statement's span.
    fn many_statements(
        &self,
        _rule: &Rule,
        _span: Span,
        _count: usize,
        _out: &mut Vec<Diagnostic>,
    ) {
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any;
}

pub(crate) struct StatementContext<'a> {
    pub index: &'a LineIndex<'a>,
    /// Where the statement's last token ends (before its `;` and any comment).
    pub end: Option<sqlparser::tokenizer::Location>,
    /// Sizes measured outside the guardrails (the gate, at Run), for `max_scan_bytes`.
    pub sizes: &'a crate::scan::ScanSizes,
    /// What `max_scan_bytes` noted: the tables to measure and its estimates.
    pub scan: &'a std::cell::RefCell<crate::scan::ScanNotes>,
}

impl StatementContext<'_> {
    pub fn statement_span(&self, a: &Analysis) -> Span {
        a.shape.statement_span.unwrap_or_else(|| self.index.whole())
    }
}

/// A diagnostic for `rule`: its template when it has one, else the default message.
pub(crate) fn diagnostic(
    rule: &Rule,
    span: Span,
    default: String,
    vars: &[(&str, &str)],
) -> Diagnostic {
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
    rules: &[Rule],
    analysis: &Analysis,
    count: usize,
    index: &LineIndex,
    out: &mut Vec<Diagnostic>,
) {
    let span = analysis
        .shape
        .statement_span
        .unwrap_or_else(|| index.whole());
    for rule in rules {
        rule.kind.many_statements(rule, span, count, out);
    }
}

pub(crate) fn apply_rules(
    rules: &[Rule],
    a: &Analysis,
    ctx: &StatementContext,
    out: &mut Vec<Diagnostic>,
) {
    for rule in rules {
        rule.kind.check(rule, a, ctx, out);
    }
}
