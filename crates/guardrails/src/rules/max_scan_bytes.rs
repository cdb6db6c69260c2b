use std::sync::Arc;

use super::{diagnostic, Check, Key, Kind, Options, Requires, StatementContext};
use crate::analysis::Analysis;
use crate::policy::units::human_size;
use crate::policy::{PolicyError, Rule};
use crate::report::Diagnostic;

pub(crate) const KIND: Kind = Kind {
    name: "max_scan_bytes",
    keys: &[Key {
        name: "limit",
        schema: r##"{"$ref": "#/$defs/size"}"##,
    }],
    requires: Requires::All(&["limit"]),
    hint: false,
    build,
    source: include_str!("max_scan_bytes.rs"),
};

/// ## What it does
/// Fires when the estimated scan of a statement exceeds `limit`. The estimate adds, for each
/// table read, its `stats.size_bytes` times the share of partitions an `=`/`IN` on a partition
/// key selects (distinct values / `stats.partitions`). A table without `size_bytes` cannot be
/// estimated, which fires the rule too. `SHOW STATS` scans nothing (Athena answers it from the
/// catalog's statistics), so the rule does not apply to it.
///
/// ## Why
/// Athena bills by bytes scanned; a budget per query stops the accidental full scan.
///
/// ## Options
/// `limit` (a size: `1TB`, `500GiB`).
///
/// ## Example
/// ```yaml
/// - { id: scan-budget, kind: max_scan_bytes, limit: 500GB, unlocked_by: [large-scan] }
/// ```
/// Fires: `SELECT order_id FROM orders` ("the query would scan an estimated 800 GB, budget
/// 500 GB: ...").
/// Does not fire: `SELECT order_id FROM orders WHERE dt = '2024-01-01'` (0.8 GB), nor
/// `... WHERE dt IN ('2024-01-01', '2024-01-01')` nor `... WHERE dt = '2024-01-01' OR dt =
/// '2024-01-01'` (the same partition twice is one, in an `IN` or across an `OR`'s branches).
#[derive(Debug)]
pub(crate) struct MaxScanBytes {
    pub limit: u64,
}

fn build(o: &Options) -> Result<Arc<dyn Check>, PolicyError> {
    let limit = o.required("limit", &o.file.limit)?;
    Ok(Arc::new(MaxScanBytes {
        limit: o.size("limit", limit)?,
    }))
}

impl Check for MaxScanBytes {
    fn check(&self, rule: &Rule, a: &Analysis, ctx: &StatementContext, out: &mut Vec<Diagnostic>) {
        if a.shape.scans_nothing {
            return;
        }
        let mut total: u128 = 0;
        for i in &a.instances {
            let Some(size) = i.table.size_bytes else {
                let name = i.table.qualified_name();
                out.push(diagnostic(
                    rule,
                    i.span,
                    format!("the scan cannot be estimated: {name} has no size_bytes in the catalog's stats"),
                    &[("table", &name)],
                ));
                return;
            };
            // Equality or IN on a partition key selects that many partitions out of all of them.
            let selected = i
                .constraints
                .iter()
                .filter(|c| i.table.is_partition_key(&c.column))
                .filter_map(|c| c.selected())
                .min();
            let share = match (selected, i.table.partitions) {
                (Some(n), Some(p)) if (n as u64) < p => (n as f64) / (p as f64),
                _ => 1.0,
            };
            total += (size as f64 * share).ceil() as u128;
        }
        if total > self.limit as u128 {
            let estimate = human_size(total.min(u64::MAX as u128) as u64);
            let budget = human_size(self.limit);
            out.push(diagnostic(
                rule,
                ctx.statement_span(a),
                format!("the query would scan an estimated {estimate}, budget {budget}: filter on partition keys or select fewer tables"),
                &[("estimate", &estimate), ("limit", &budget)],
            ));
        }
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
