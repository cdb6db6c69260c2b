use std::sync::Arc;

use super::{diagnostic, Check, Kind, Options, Requires, StatementContext};
use crate::analysis::Analysis;
use crate::policy::{PolicyError, Rule};
use crate::report::Diagnostic;

pub(crate) const KIND: Kind = Kind {
    name: "unbounded_write",
    keys: &[],
    requires: Requires::Nothing,
    hint: false,
    build,
    source: include_str!("unbounded_write.rs"),
};

/// ## What it does
/// Fires on `DELETE` or `UPDATE` without `WHERE`, or with one that always holds (`1 = 1`,
/// `true`, `x = x`, `... OR true`), and on `MERGE` whose `ON` always holds.
///
/// ## Why
/// A write meant for some rows that touches all of them is the costliest typo there is.
///
/// ## Example
/// Fires: `DELETE FROM orders WHERE 1 = 1`. Does not fire:
/// `DELETE FROM orders WHERE dt = '2024-01-01'`.
#[derive(Debug)]
pub(crate) struct UnboundedWrite;

fn build(_: &Options) -> Result<Arc<dyn Check>, PolicyError> {
    Ok(Arc::new(UnboundedWrite))
}

impl Check for UnboundedWrite {
    fn check(&self, rule: &Rule, a: &Analysis, _: &StatementContext, out: &mut Vec<Diagnostic>) {
        if let Some(span) = a.shape.unbounded_write {
            out.push(diagnostic(
                rule,
                span,
                "this write touches every row (no WHERE, or one that is always true): add a condition".into(),
                &[],
            ));
        }
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
