use std::collections::BTreeSet;
use std::sync::Arc;

use super::{diagnostic, Check, Key, Kind, Options, Requires, StatementContext};
use crate::analysis::Analysis;
use crate::policy::{PolicyError, Rule};
use crate::report::Diagnostic;

pub(crate) const KIND: Kind = Kind {
    name: "required_row_predicate",
    keys: &[
        Key {
            name: "tables",
            schema: r##"{"$ref": "#/$defs/common_tables"}"##,
        },
        Key {
            name: "column",
            schema: r#"{"type": "string"}"#,
        },
    ],
    requires: Requires::All(&["tables", "column"]),
    hint: false,
    build,
    source: include_str!("required_row_predicate.rs"),
};

/// ## What it does
/// Fires on every read of a listed table not bounded by `column = <literal>` or
/// `column IN (<literals>)` in a conjunct of its `WHERE` (or of an inner join's `ON`, or of the
/// `ON` of a `LEFT JOIN` whose right side it is); an `OR` counts when every branch bounds the
/// column. Duplicate values in `IN` count once. `SHOW STATS FOR <table>` is a read without a
/// filter: its statistics (distinct counts, min/max) cover every row.
///
/// ## Why
/// Row-level scoping, such as one tenant at a time, without a view per tenant.
///
/// ## Options
/// `tables` (each in the catalog, with the column), `column`.
///
/// ## Example
/// ```yaml
/// - { id: tenant, kind: required_row_predicate, tables: [sales.orders], column: customer_id }
/// ```
/// Fires: `SELECT order_id FROM orders WHERE customer_id = 3 OR amount > 1`.
/// Does not fire: `SELECT order_id FROM orders o WHERE o.customer_id IN (1, 2) AND amount > 0`.
#[derive(Debug)]
pub(crate) struct RequiredRowPredicate {
    tables: BTreeSet<String>,
    column: String,
}

fn build(o: &Options) -> Result<Arc<dyn Check>, PolicyError> {
    let list = o.required("tables", &o.file.tables)?;
    let column = o.required("column", &o.file.column)?.to_lowercase();
    let tables = o.tables("tables", list, true)?;
    for (j, t) in list.iter().enumerate() {
        let (db, table) = t.split_once('.').unwrap_or_default();
        let has = o.catalog.table(db, table).and_then(|t| t.column(&column));
        if has.is_none() {
            return Err(o.error(
                &format!("tables/{j}"),
                format!("table {t} has no column {column}"),
            ));
        }
    }
    Ok(Arc::new(RequiredRowPredicate { tables, column }))
}

impl Check for RequiredRowPredicate {
    fn check(&self, rule: &Rule, a: &Analysis, _: &StatementContext, out: &mut Vec<Diagnostic>) {
        let column = &self.column;
        for i in &a.instances {
            let name = i.table.qualified_name();
            if !self.tables.contains(&name) {
                continue;
            }
            let bounded = i
                .constraints
                .iter()
                .any(|c| &c.column == column && c.values.is_some());
            if !bounded {
                out.push(diagnostic(
                    rule,
                    i.span,
                    format!("{name} must be read with a filter {column} = <value> or {column} IN (<values>)"),
                    &[("table", &name), ("column", column)],
                ));
            }
        }
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
