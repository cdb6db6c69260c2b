use std::sync::Arc;

use super::{diagnostic, Check, Kind, Options, Requires, StatementContext};
use crate::analysis::Analysis;
use crate::policy::{PolicyError, Rule};
use crate::report::Diagnostic;

pub(crate) const KIND: Kind = Kind {
    name: "cross_join",
    keys: &[],
    requires: Requires::Nothing,
    hint: false,
    build,
    source: include_str!("cross_join.rs"),
};

/// ## What it does
/// Fires on an explicit `CROSS JOIN` (except `CROSS JOIN UNNEST`, which is not a product), and
/// on comma-joined tables no `WHERE` conjunct links.
///
/// ## Why
/// A product of two tables is rarely meant and grows as the product of their sizes.
///
/// ## Example
/// Fires: `SELECT 1 FROM orders o, customers c WHERE o.amount > 1`.
/// Does not fire: `SELECT 1 FROM orders o, customers c WHERE o.customer_id = c.customer_id`.
#[derive(Debug)]
pub(crate) struct CrossJoin;

fn build(_: &Options) -> Result<Arc<dyn Check>, PolicyError> {
    Ok(Arc::new(CrossJoin))
}

impl Check for CrossJoin {
    fn check(&self, rule: &Rule, a: &Analysis, _: &StatementContext, out: &mut Vec<Diagnostic>) {
        for span in &a.shape.cross_joins {
            out.push(diagnostic(
                rule,
                *span,
                "this joins every row with every row (a cross join): add a join condition".into(),
                &[],
            ));
        }
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
