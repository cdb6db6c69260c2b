use std::sync::Arc;

use super::{diagnostic, Check, Kind, Options, Requires, StatementContext};
use crate::analysis::Analysis;
use crate::policy::{PolicyError, Rule};
use crate::report::Diagnostic;
use crate::span::Span;

pub(crate) const KIND: Kind = Kind {
    name: "single_statement",
    keys: &[],
    requires: Requires::Nothing,
    hint: false,
    build,
    source: include_str!("single_statement.rs"),
};

/// ## What it does
/// Fires on a text that holds more than one statement, on the second statement.
///
/// ## Why
/// One verdict, one audit record and one cost estimate per run: a second statement would ride
/// on the first one's approval.
///
/// ## Example
/// Fires: `SELECT 1; SELECT 2` (on the second statement). Does not fire: `SELECT 1;`.
#[derive(Debug)]
pub(crate) struct SingleStatement;

fn build(_: &Options) -> Result<Arc<dyn Check>, PolicyError> {
    Ok(Arc::new(SingleStatement))
}

impl Check for SingleStatement {
    fn check(&self, _: &Rule, _: &Analysis, _: &StatementContext, _: &mut Vec<Diagnostic>) {}

    fn many_statements(&self, rule: &Rule, span: Span, count: usize, out: &mut Vec<Diagnostic>) {
        out.push(diagnostic(
            rule,
            span,
            format!("the text holds {count} statements; this policy runs one at a time: run them separately"),
            &[],
        ));
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
