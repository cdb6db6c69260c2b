use std::sync::Arc;

use super::{diagnostic, Check, Kind, Options, Requires, StatementContext};
use crate::analysis::Analysis;
use crate::policy::{PolicyError, Rule};
use crate::report::Diagnostic;

pub(crate) const KIND: Kind = Kind {
    name: "order_by_without_limit",
    keys: &[],
    requires: Requires::Nothing,
    hint: true,
    build,
    source: include_str!("order_by_without_limit.rs"),
};

/// ## What it does
/// Fires on a query whose outermost `ORDER BY` has no `LIMIT`. A hint: its default severity is
/// `warning`.
///
/// ## Why
/// Sorting the whole result is done on one node in Athena and is slow for large results.
///
/// ## Example
/// Fires: `SELECT order_id FROM orders ORDER BY amount`. Does not fire:
/// `SELECT order_id FROM orders ORDER BY amount LIMIT 5`.
#[derive(Debug)]
pub(crate) struct OrderByWithoutLimit;

fn build(_: &Options) -> Result<Arc<dyn Check>, PolicyError> {
    Ok(Arc::new(OrderByWithoutLimit))
}

impl Check for OrderByWithoutLimit {
    fn check(&self, rule: &Rule, a: &Analysis, _: &StatementContext, out: &mut Vec<Diagnostic>) {
        if let (Some(span), None) = (a.shape.top_order_by, a.shape.limit) {
            out.push(diagnostic(
                rule,
                span,
                "ORDER BY without LIMIT sorts the whole result: add a LIMIT".into(),
                &[],
            ));
        }
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
