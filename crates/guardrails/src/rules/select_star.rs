use std::sync::Arc;

use super::{diagnostic, Check, Kind, Options, Requires, StatementContext};
use crate::analysis::Analysis;
use crate::policy::{PolicyError, Rule};
use crate::report::Diagnostic;

pub(crate) const KIND: Kind = Kind {
    name: "select_star",
    keys: &[],
    requires: Requires::Nothing,
    hint: false,
    build,
    source: include_str!("select_star.rs"),
};

/// ## What it does
/// Fires on each `*` and `t.*` in a select list (not on `count(*)`).
///
/// ## Why
/// `*` reads every column, today's and tomorrow's, and in columnar storage every column costs.
///
/// ## Example
/// Fires: `SELECT c.* FROM customers c` (on the `*`). Does not fire:
/// `SELECT count(*) FROM customers`.
#[derive(Debug)]
pub(crate) struct SelectStar;

fn build(_: &Options) -> Result<Arc<dyn Check>, PolicyError> {
    Ok(Arc::new(SelectStar))
}

impl Check for SelectStar {
    fn check(&self, rule: &Rule, a: &Analysis, _: &StatementContext, out: &mut Vec<Diagnostic>) {
        for span in &a.shape.wildcards {
            out.push(diagnostic(
                rule,
                *span,
                "* reads every column: list the columns you need".into(),
                &[],
            ));
        }
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
