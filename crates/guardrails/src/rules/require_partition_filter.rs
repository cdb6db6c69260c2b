use std::collections::BTreeSet;
use std::sync::Arc;

use super::{diagnostic, Check, Key, Kind, Options, Requires, StatementContext};
use crate::analysis::Analysis;
use crate::policy::{PolicyError, Rule};
use crate::report::Diagnostic;

pub(crate) const KIND: Kind = Kind {
    name: "require_partition_filter",
    keys: &[Key {
        name: "tables",
        schema: r##"{"$ref": "#/$defs/common_tables"}"##,
    }],
    requires: Requires::All(&["tables"]),
    hint: false,
    build,
    source: include_str!("require_partition_filter.rs"),
};

/// ## What it does
/// Fires on each place a listed table is read without a sargable predicate on one of its
/// partition keys: `=`, `IN`, `BETWEEN`, `<`, `<=`, `>`, `>=` against literals (or arithmetic
/// and casts over literals). A function or cast applied to the key does not count; an `OR`
/// counts only when every branch constrains the key. The predicate may be in the `WHERE`, an
/// inner join's `ON`, or the `ON` of a `LEFT JOIN` whose right (optional) side the table is:
/// Athena pushes that into the table's scan. On the preserved side of an outer join, or in a
/// `FULL JOIN`, an `ON` filter bounds nothing. The diagnostic points at the table name.
/// `SHOW STATS` reads no partition (Athena answers it from the catalog's statistics), so the
/// rule does not apply to it. Nor does it apply to a plain `EXPLAIN`: Athena plans the
/// statement from the catalog and reads no partition ("Because EXPLAIN queries do not scan any
/// data, Athena does not charge for them", Athena's user guide), and the filter exists only to
/// bound the scan (see Why): the plan of a query missing its filter is how one sees the whole
/// table in the scan. `EXPLAIN ANALYZE` runs the query, so it needs the filter as the query
/// does.
///
/// ## Why
/// Athena bills by bytes scanned; a partitioned table read without a partition filter is read
/// whole. To bound which rows a person may read, whatever the cost, use
/// `required_row_predicate`, which applies to an `EXPLAIN` too.
///
/// ## Options
/// `tables`: each in the catalog, with `partition_keys`.
///
/// ## Example
/// ```yaml
/// - { id: orders-partition, kind: require_partition_filter, tables: [sales.orders] }
/// ```
/// Fires: `SELECT order_id FROM orders WHERE substr(dt, 1, 4) = '2024'` ("... add a filter on
/// dt ...").
/// Does not fire: `SELECT order_id FROM orders WHERE dt BETWEEN '2024-01-01' AND '2024-01-31'`,
/// nor `EXPLAIN SELECT order_id FROM orders` (fires with `EXPLAIN ANALYZE`).
///
/// ## Bounds written outside a subquery
/// For `require_partition_filter`, `required_row_predicate` and the estimate of
/// `max_scan_bytes`, a bound written outside a derived table or CTE counts for the table inside
/// when every row of that subquery is a row of the table, unchanged: a plain projection of one
/// table (`*` or columns, with or without aliases and its own `WHERE`), with no join,
/// `GROUP BY`, `DISTINCT`, `LIMIT`, window, set operation, `TABLESAMPLE` or computed column. A
/// CTE counts only when the statement reads it once (read twice, once bounded and once not, its
/// table is read whole).
///
/// Does not fire: `WITH o AS (SELECT * FROM orders) SELECT count(*) FROM o WHERE dt =
/// '2024-01-01'`.
/// Fires: `SELECT * FROM (SELECT * FROM orders LIMIT 10) t WHERE dt = '2024-01-01'` (the ten
/// rows are taken before the filter, from the whole table). Other shapes, such as a subquery of
/// a subquery, a `GROUP BY dt` or a CTE built on another CTE, still need the bound inside;
/// write it there.
#[derive(Debug)]
pub(crate) struct RequirePartitionFilter {
    tables: BTreeSet<String>,
}

fn build(o: &Options) -> Result<Arc<dyn Check>, PolicyError> {
    let list = o.required("tables", &o.file.tables)?;
    let tables = o.tables("tables", list, true)?;
    for (j, t) in list.iter().enumerate() {
        let (db, table) = t.split_once('.').unwrap_or_default();
        let unpartitioned = o
            .catalog
            .table(db, table)
            .is_some_and(|t| t.partition_keys.is_empty());
        if unpartitioned {
            return Err(o.error(
                &format!("tables/{j}"),
                format!("table {t} has no partition_keys in the catalog"),
            ));
        }
    }
    Ok(Arc::new(RequirePartitionFilter { tables }))
}

impl Check for RequirePartitionFilter {
    fn check(&self, rule: &Rule, a: &Analysis, _: &StatementContext, out: &mut Vec<Diagnostic>) {
        if a.shape.scans_nothing {
            return;
        }
        for i in &a.instances {
            let name = i.table.qualified_name();
            if !self.tables.contains(&name) {
                continue;
            }
            if i.constraints
                .iter()
                .any(|c| i.table.is_partition_key(&c.column))
            {
                continue;
            }
            let keys = i.table.partition_keys.join(" or ");
            out.push(diagnostic(
                rule,
                i.span,
                format!(
                    "{name} is read without a partition filter: add a filter on {keys} (=, IN, BETWEEN or a range against literals) where it is read"
                ),
                &[("table", &name), ("column", &keys)],
            ));
        }
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
