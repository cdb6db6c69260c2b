use std::collections::BTreeSet;
use std::sync::Arc;

use super::{diagnostic, Check, Key, Kind, Options, Requires, StatementContext};
use crate::analysis::Analysis;
use crate::policy::{PolicyError, Rule};
use crate::report::Diagnostic;

pub(crate) const KIND: Kind = Kind {
    name: "blocked_functions",
    keys: &[Key {
        name: "functions",
        schema: r##"{"$ref": "#/$defs/common_strings"}"##,
    }],
    requires: Requires::All(&["functions"]),
    hint: false,
    build,
    source: include_str!("blocked_functions.rs"),
};

/// ## What it does
/// Fires on each call of a function in `functions` (case-insensitive; a qualified name matches
/// by its last part too).
///
/// ## Why
/// Some functions cost without returning data (`sleep`) or reach outside the query.
///
/// ## Options
/// `functions`.
///
/// ## Example
/// Fires: `SELECT SLEEP(10) FROM orders`. Does not fire: `SELECT upper(email) FROM customers`.
#[derive(Debug)]
pub(crate) struct BlockedFunctions {
    functions: BTreeSet<String>,
}

fn build(o: &Options) -> Result<Arc<dyn Check>, PolicyError> {
    let list = o.required("functions", &o.file.functions)?;
    Ok(Arc::new(BlockedFunctions {
        functions: list.iter().map(|f| f.to_lowercase()).collect(),
    }))
}

impl Check for BlockedFunctions {
    fn check(&self, rule: &Rule, a: &Analysis, _: &StatementContext, out: &mut Vec<Diagnostic>) {
        for (name, span) in &a.shape.functions {
            let last = name.rsplit('.').next().unwrap_or(name);
            if self.functions.contains(name) || self.functions.contains(last) {
                out.push(diagnostic(
                    rule,
                    *span,
                    format!("function {name} is blocked by this policy"),
                    &[("function", name)],
                ));
            }
        }
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
