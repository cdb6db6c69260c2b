use std::collections::BTreeSet;
use std::sync::Arc;

use super::{diagnostic, Check, Key, Kind, Options, Requires, StatementContext};
use crate::analysis::Analysis;
use crate::policy::{PolicyError, Rule};
use crate::report::Diagnostic;

pub(crate) const KIND: Kind = Kind {
    name: "object_allowlist",
    keys: &[
        Key {
            name: "databases",
            schema: r##"{"$ref": "#/$defs/common_strings"}"##,
        },
        Key {
            name: "tables",
            schema: r##"{"$ref": "#/$defs/common_tables"}"##,
        },
    ],
    requires: Requires::AnyOf(&["databases", "tables"]),
    hint: false,
    build,
    source: include_str!("object_allowlist.rs"),
};

/// ## What it does
/// Fires on every table read, written, created or dropped that is in none of `databases` and
/// `tables`, and on every table a `SHOW` or `DESCRIBE` names. Federated catalogs are refused
/// unless listed.
///
/// ## Why
/// A policy names the data it governs; anything else is outside what it was written for.
///
/// ## Options
/// `databases` and/or `tables` (`db.table`).
///
/// ## Example
/// ```yaml
/// - { id: objects, kind: object_allowlist, tables: [sales.orders] }
/// ```
/// Fires: `SELECT email FROM customers` ("sales.customers is outside the databases and tables
/// this policy allows").
/// Does not fire: `SELECT order_id FROM orders`.
#[derive(Debug)]
pub(crate) struct ObjectAllowlist {
    /// Lowercase database names and `database.table` names.
    databases: BTreeSet<String>,
    tables: BTreeSet<String>,
}

fn build(o: &Options) -> Result<Arc<dyn Check>, PolicyError> {
    let f = o.file;
    if f.databases.is_none() && f.tables.is_none() {
        return Err(o.missing("databases or tables"));
    }
    Ok(Arc::new(ObjectAllowlist {
        databases: f
            .databases
            .iter()
            .flatten()
            .map(|d| d.to_lowercase())
            .collect(),
        tables: o.tables("tables", f.tables.as_deref().unwrap_or_default(), false)?,
    }))
}

impl ObjectAllowlist {
    fn allows(&self, name: &str) -> bool {
        let db = name.split('.').next().unwrap_or(name);
        self.databases.contains(db) || self.tables.contains(name)
    }
}

impl Check for ObjectAllowlist {
    fn check(&self, rule: &Rule, a: &Analysis, _: &StatementContext, out: &mut Vec<Diagnostic>) {
        let objects = a
            .instances
            .iter()
            .map(|i| (i.table.qualified_name(), i.span))
            .chain(a.writes.iter().map(|w| (w.name.clone(), w.span)))
            .chain(a.shape.foreign_objects.iter().cloned())
            .chain(a.shape.metadata_objects.iter().cloned());
        for (name, span) in objects {
            if !self.allows(&name) {
                out.push(diagnostic(
                    rule,
                    span,
                    format!("{name} is outside the databases and tables this policy allows"),
                    &[("table", &name)],
                ));
            }
        }
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
