use std::sync::Arc;

use super::{diagnostic, Check, Kind, Options, Requires, StatementContext};
use crate::analysis::Analysis;
use crate::policy::{PolicyError, Rule};
use crate::report::Diagnostic;

pub(crate) const KIND: Kind = Kind {
    name: "null_comparison",
    keys: &[],
    requires: Requires::Nothing,
    hint: true,
    build,
    source: include_str!("null_comparison.rs"),
};

/// ## What it does
/// Fires on `= NULL`, `<> NULL` and the like. A hint: its default severity is `warning`.
///
/// ## Why
/// A comparison with NULL is never true, so the filter silently drops every row.
///
/// ## Example
/// Fires: `SELECT order_id FROM orders WHERE card_number = NULL`. Does not fire:
/// `... WHERE card_number IS NULL`.
#[derive(Debug)]
pub(crate) struct NullComparison;

fn build(_: &Options) -> Result<Arc<dyn Check>, PolicyError> {
    Ok(Arc::new(NullComparison))
}

impl Check for NullComparison {
    fn check(&self, rule: &Rule, a: &Analysis, _: &StatementContext, out: &mut Vec<Diagnostic>) {
        for span in &a.shape.null_comparisons {
            out.push(diagnostic(
                rule,
                *span,
                "a comparison with NULL is never true: use IS NULL or IS NOT NULL".into(),
                &[],
            ));
        }
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
