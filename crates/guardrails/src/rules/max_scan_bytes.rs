use std::sync::Arc;

use super::{diagnostic, Check, Key, Kind, Options, Requires, StatementContext};
use crate::analysis::Analysis;
use crate::policy::units::human_size;
use crate::policy::{PolicyError, Rule};
use crate::report::{Diagnostic, StatementClass};
use crate::scan::{ScanEstimate, ScanSource, ScanTarget};

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
/// Fires when the estimated scan of a statement exceeds `limit`. Where the query runs (the gate,
/// at Run), the estimate is measured: on Athena, the sizes of the S3 objects under the
/// partitions the query's filter selects (`=`, `IN`, `BETWEEN` and `<`, `<=`, `>`, `>=` on
/// partition keys against plain literals, asked of Glue), or under the table's location when it
/// has no such filter; sizes are cached for a few minutes. While
/// you type, and when the objects cannot be measured (which the message says), it comes from
/// the policy's stats: each table's `stats.size_bytes` times the share of partitions an
/// `=`/`IN` on its partition keys selects (distinct values / `stats.partitions`; for a table
/// with several keys, the product of each key's distinct values, and only when every key is
/// filtered so: `year = '2024'` alone on a table partitioned by year and month counts as the
/// whole table, since the stats do not say how many months a year holds; nor do they say how
/// many partitions a range holds, so `dt >= '2024-01-01'` counts as the whole table until it is
/// measured). A table with neither cannot be estimated, which fires the rule too.
///
/// Athena inlines a `WITH` query at every reference, so a table inside a CTE counts once per
/// read of that CTE (through CTEs read inside other CTEs, the counts multiply): `WITH o AS
/// (...) SELECT ... FROM o a JOIN o b` scans `o`'s tables twice. A CTE never read counts once
/// (Athena would not scan it; an estimate may be too high, never too low). A table read inside a
/// recursive `WITH` query that reads itself is scanned once per step, how many is not known:
/// the scan cannot be estimated, which fires the rule. `SHOW STATS` scans nothing (Athena
/// answers it from the catalog's statistics), so the rule does not apply to it.
///
/// Nor does it apply to a plain `EXPLAIN` (with or without `(FORMAT ..., TYPE ...)`): Athena
/// plans the statement from the catalog and scans no data ("Because EXPLAIN queries do not scan
/// any data, Athena does not charge for them", Athena's user guide, "Using EXPLAIN and EXPLAIN
/// ANALYZE in Athena"), so a plan of a query over the budget needs no elevation: it is how one
/// finds out why the query is large. `EXPLAIN ANALYZE` runs the query ("Because EXPLAIN ANALYZE
/// queries are executed, they do scan data, and Athena charges for the amount of data
/// scanned"): it is estimated and judged like the query itself, and the message says that a
/// plain `EXPLAIN` would not scan. Every other rule applies to the statement inside an
/// `EXPLAIN` as to the statement alone.
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
/// Fires: `SELECT order_id FROM orders` ("the query would scan about 800 GB, budget 500 GB
/// (from the policy's stats): ..."; at Run on Athena "(from S3 object sizes)").
/// Does not fire: `SELECT order_id FROM orders WHERE dt = '2024-01-01'` (0.8 GB), nor
/// `... WHERE dt IN ('2024-01-01', '2024-01-01')` nor `... WHERE dt = '2024-01-01' OR dt =
/// '2024-01-01'` (the same partition twice is one, in an `IN` or across an `OR`'s branches),
/// nor `EXPLAIN SELECT order_id FROM orders` (a plan scans nothing).
/// Fires: `EXPLAIN ANALYZE SELECT order_id FROM orders` ("EXPLAIN ANALYZE runs the query: it
/// would scan about 800 GB, ...").
/// Fires: `DESCRIBE SELECT order_id FROM orders` ("this form of EXPLAIN or DESCRIBE is taken as
/// running the query: ...": a form Athena does not document is taken as running).
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
        let (mut listed, mut from_stats, mut all_cached) = (0, 0, true);
        let mut reasons: Vec<String> = Vec::new();
        let mut notes = ctx.scan.borrow_mut();
        let mut unknown = None;
        let mut recursive = None;
        // Tables a CTE read more than once scans again at each read: (table, times).
        let mut repeated: Vec<(String, u64)> = Vec::new();
        for (n, i) in a.instances.iter().enumerate() {
            let target = ScanTarget::of(i);
            if !notes.targets.contains(&target) {
                notes.targets.push(target.clone());
            }
            let Some(times) = a.shape.instance_reads.get(n).copied().unwrap_or(Some(1)) else {
                recursive.get_or_insert(i);
                continue;
            };
            if times > 1 {
                let name = i.table.qualified_name();
                match repeated.iter_mut().find(|(t, _)| *t == name) {
                    Some((_, k)) => *k = k.saturating_add(times),
                    None => repeated.push((name, times)),
                }
            }
            // A size measured from the table's objects (at run time) wins over the stats.
            if let Some(m) = ctx.sizes.get(&target) {
                total += m.bytes as u128 * times as u128;
                listed += 1;
                all_cached &= m.cached;
                continue;
            }
            if let Some(why) = ctx.sizes.failure(&target) {
                let why = format!(
                    "{}.{} could not be measured ({why})",
                    target.database, target.table
                );
                if !reasons.contains(&why) {
                    reasons.push(why);
                }
            }
            from_stats += 1;
            let Some(size) = i.table.size_bytes else {
                unknown.get_or_insert(i);
                continue;
            };
            total += (size as f64 * stats_share(i)).ceil() as u128 * times as u128;
        }
        let reason = (!reasons.is_empty()).then(|| reasons.join("; "));
        let source = match (listed, from_stats) {
            (l, 0) if l > 0 => ScanSource::Listing { cached: all_cached },
            (0, _) => ScanSource::Stats { reason },
            _ => ScanSource::Mixed { reason },
        };
        let bytes = total.min(u64::MAX as u128) as u64;
        // A recursive WITH query's steps, or a table with neither stats nor a measurement: no
        // figure to judge, so the rule fires with the reason.
        let cannot = recursive
            .map(|i| {
                (
                    i,
                    "is read inside a recursive WITH query, which scans it again at every step, \
                     and how many steps is not known: read it outside the recursion",
                )
            })
            .or(unknown.map(|i| {
                (
                    i,
                    "has no size_bytes in the catalog's stats and its objects were not measured",
                )
            }));
        if let Some((i, why)) = cannot {
            notes.estimates.push(ScanEstimate {
                bytes: None,
                budget: self.limit,
                source,
            });
            let name = i.table.qualified_name();
            out.push(diagnostic(
                rule,
                i.span,
                format!("the scan cannot be estimated: {name} {why}"),
                &[("table", &name)],
            ));
            return;
        }
        let estimate = ScanEstimate {
            bytes: Some(bytes),
            budget: self.limit,
            source: source.clone(),
        };
        notes.estimates.push(estimate);
        if total > self.limit as u128 {
            let size = human_size(bytes);
            let budget = human_size(self.limit);
            let source = source.to_string();
            // Where a CTE read several times is what makes the scan large, say so.
            let again = if repeated.is_empty() {
                String::new()
            } else {
                let list: Vec<String> = repeated
                    .iter()
                    .map(|(t, k)| format!("{t} {k} times"))
                    .collect();
                format!(
                    "; Athena scans a WITH query again at each read: {}",
                    list.join(", ")
                )
            };
            let fewer = if repeated.is_empty() {
                ""
            } else {
                ", or read each WITH query once"
            };
            // An EXPLAIN that scans is one that runs its query (EXPLAIN ANALYZE, or a form
            // Athena does not document, taken as running): a plain EXPLAIN shows the plan
            // without the scan.
            let message = if a.shape.explain_analyze {
                format!("EXPLAIN ANALYZE runs the query: it would scan about {size}, budget {budget} ({source}{again}): EXPLAIN without ANALYZE shows the plan and scans nothing; or filter on partition keys or select fewer tables{fewer}")
            } else if a.class == StatementClass::Explain {
                format!("this form of EXPLAIN or DESCRIBE is taken as running the query: it would scan about {size}, budget {budget} ({source}{again}): a plain EXPLAIN shows the plan and scans nothing; or filter on partition keys or select fewer tables{fewer}")
            } else {
                format!("the query would scan about {size}, budget {budget} ({source}{again}): filter on partition keys or select fewer tables{fewer}")
            };
            out.push(diagnostic(
                rule,
                ctx.statement_span(a),
                message,
                &[("estimate", &size), ("limit", &budget), ("source", &source)],
            ));
        }
    }

    #[cfg(test)]
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The share of a table's partitions an instance's filter selects, by the stats: with `=`/`IN`
/// on every partition key, at most the product of each key's value count out of
/// `stats.partitions` (`year = '2024' AND month IN ('01', '02')`: 2 of them). A key left
/// unfiltered (or filtered otherwise) selects every value of its own, how many the stats do not
/// say: `year = '2024'` alone may be half the table or all of it, so it counts as all of it
/// (an estimate may be too high, never too low).
fn stats_share(i: &crate::analysis::Instance) -> f64 {
    let Some(partitions) = i.table.partitions.filter(|p| *p > 0) else {
        return 1.0;
    };
    if i.table.partition_keys.is_empty() {
        return 1.0;
    }
    let mut combinations: u128 = 1;
    for key in &i.table.partition_keys {
        // Two filters on one key select what both do: the narrower bounds it.
        let selected = i
            .constraints
            .iter()
            .filter(|c| c.column.eq_ignore_ascii_case(key))
            .filter_map(|c| c.selected())
            .min();
        let Some(n) = selected else {
            return 1.0;
        };
        combinations = combinations.saturating_mul(n as u128);
    }
    if combinations >= partitions as u128 {
        1.0
    } else {
        combinations as f64 / partitions as f64
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::tests_support::CATALOG;
    use crate::{lint, lint_measured, LintContext, Policy, Report, ScanSizes, ScanTarget};

    const GB: u64 = 1_000_000_000;

    fn policy(limit: &str) -> Policy {
        let text = format!(
            "{CATALOG}elevations:\n  large-scan: {{ description: big }}\nrules:\n  - {{ id: budget, kind: max_scan_bytes, limit: {limit}, unlocked_by: [large-scan] }}\n"
        );
        Policy::from_yaml(&text).expect("policy")
    }

    fn ctx() -> LintContext {
        LintContext {
            default_database: Some("sales".into()),
            elevations: Default::default(),
        }
    }

    fn targets(sql: &str) -> Vec<String> {
        lint(&policy("1TB"), sql, &ctx())
            .scan_targets()
            .iter()
            .map(ScanTarget::to_string)
            .collect()
    }

    /// The verdict, the estimate and the budget's diagnostic, as the window and the CLI show them.
    fn shown(r: &Report) -> String {
        let mut out = format!(
            "verdict: {:?}\nestimate: {}\n",
            r.verdict(),
            r.scan_estimate()
                .map(ToString::to_string)
                .unwrap_or_default()
        );
        for d in r.diagnostics() {
            out.push_str(&format!("{}: {}\n", d.rule, d.message));
        }
        out
    }

    #[test]
    fn the_targets_are_the_tables_read_and_the_partitions_their_filter_selects() {
        assert_eq!(
            targets("SELECT order_id FROM orders WHERE dt IN ('2024-01-02', '2024-01-01', '2024-01-01')"),
            ["sales.orders (dt IN ('2024-01-01', '2024-01-02'))"]
        );
        // The same analysis as require_partition_filter: through a plain projection, an OR of
        // equalities, a LEFT JOIN's optional side.
        assert_eq!(
            targets("SELECT order_id FROM (SELECT * FROM orders) t WHERE dt = 'a' OR dt = 'b'"),
            ["sales.orders (dt IN ('a', 'b'))"]
        );
        assert_eq!(
            targets("SELECT c.customer_id FROM customers c LEFT JOIN orders o ON o.customer_id = c.customer_id AND o.dt = 'x'"),
            ["sales.customers", "sales.orders (dt IN ('x'))"]
        );
        // A range on a partition key is asked of the catalog too, each bound ANDed with the
        // rest, the column always on the left.
        assert_eq!(
            targets("SELECT order_id FROM orders WHERE dt >= '2024-01-01' AND '2024-02-01' > dt"),
            ["sales.orders (dt < '2024-02-01' AND dt >= '2024-01-01')"]
        );
        assert_eq!(
            targets("SELECT order_id FROM orders WHERE dt BETWEEN '2024-01-01' AND '2024-01-31' AND dt IN ('2024-01-05', '2024-03-01')"),
            ["sales.orders (dt IN ('2024-01-05', '2024-03-01') AND dt <= '2024-01-31' AND dt >= '2024-01-01')"]
        );
        // What a catalog cannot be asked by value selects every partition: a cast, a typed
        // literal, a range that is not one interval, a string outside ASCII, a `?` (the gate
        // measures the text with its values in place), a column that is not a partition key,
        // no filter at all.
        for sql in [
            "SELECT order_id FROM orders WHERE dt = DATE '2024-01-01'",
            "SELECT order_id FROM orders WHERE dt >= DATE '2024-01-01'",
            "SELECT order_id FROM orders WHERE CAST(dt AS date) >= DATE '2024-01-01'",
            "SELECT order_id FROM orders WHERE dt < '2024-01-01' OR dt > '2024-12-31'",
            "SELECT order_id FROM orders WHERE dt >= '2024-01-01' OR dt = '2023-05-05'",
            "SELECT order_id FROM orders WHERE dt NOT BETWEEN 'a' AND 'b'",
            "SELECT order_id FROM orders WHERE dt >= 'é'",
            "SELECT order_id FROM orders WHERE dt >= ?",
            "SELECT order_id FROM orders WHERE amount > 3",
            "SELECT order_id FROM orders WHERE dt = ?",
            "SELECT order_id FROM orders WHERE amount = 3",
            "SELECT order_id FROM orders",
        ] {
            assert_eq!(targets(sql), ["sales.orders"], "{sql}");
        }
        // SHOW STATS scans nothing, and a policy without a budget asks for no measurement.
        assert!(targets("SHOW STATS FOR orders").is_empty());
        let no_budget = Policy::from_yaml(CATALOG).expect("policy");
        assert!(lint(&no_budget, "SELECT order_id FROM orders", &ctx())
            .scan_targets()
            .is_empty());
    }

    #[test]
    fn measured_sizes_replace_the_stats_and_the_verdict_shows_the_estimate() {
        let sql = "SELECT order_id FROM orders WHERE dt IN ('2024-01-01', '2024-01-02')";
        let target = lint(&policy("1TB"), sql, &ctx()).scan_targets()[0].clone();
        // The stats say 1.6 GB (2 of 1000 partitions of 800 GB); the objects hold 42 GB.
        let mut sizes = ScanSizes::none();
        sizes.measured(target.clone(), 42 * GB, false);
        insta::assert_snapshot!(shown(&lint_measured(&policy("1TB"), sql, &ctx(), &sizes)), @r"
        verdict: Allow
        estimate: about 42 GB, budget 1 TB (from S3 object sizes)
        ");
        insta::assert_snapshot!(shown(&lint_measured(&policy("10GB"), sql, &ctx(), &sizes)), @r"
        verdict: Elevate
        estimate: about 42 GB, budget 10 GB (from S3 object sizes)
        budget: the query would scan about 42 GB, budget 10 GB (from S3 object sizes): filter on partition keys or select fewer tables; or request the large-scan elevation
        ");
        sizes.measured(target.clone(), 42 * GB, true);
        insta::assert_snapshot!(shown(&lint_measured(&policy("10GB"), sql, &ctx(), &sizes)), @r"
        verdict: Elevate
        estimate: about 42 GB, budget 10 GB (from S3 object sizes, cached)
        budget: the query would scan about 42 GB, budget 10 GB (from S3 object sizes, cached): filter on partition keys or select fewer tables; or request the large-scan elevation
        ");
        // Without measurement (as you type): the stats.
        insta::assert_snapshot!(shown(&lint(&policy("1GB"), sql, &ctx())), @r"
        verdict: Elevate
        estimate: about 1.6 GB, budget 1 GB (from the policy's stats)
        budget: the query would scan about 1.6 GB, budget 1 GB (from the policy's stats): filter on partition keys or select fewer tables; or request the large-scan elevation
        ");
    }

    #[test]
    fn a_size_that_could_not_be_measured_falls_back_to_the_stats_saying_why() {
        let sql = "SELECT o.order_id FROM orders o JOIN customers c ON o.customer_id = c.customer_id WHERE o.dt = 'x'";
        let targets = lint(&policy("1TB"), sql, &ctx()).scan_targets().to_vec();
        assert_eq!(targets.len(), 2);
        let mut sizes = ScanSizes::none();
        for t in &targets {
            sizes.failed(t.clone(), "s3:ListBucket: Access Denied");
        }
        insta::assert_snapshot!(shown(&lint_measured(&policy("1GB"), sql, &ctx(), &sizes)), @r"
        verdict: Elevate
        estimate: about 2.8 GB, budget 1 GB (from the policy's stats: sales.orders could not be measured (s3:ListBucket: Access Denied); sales.customers could not be measured (s3:ListBucket: Access Denied))
        budget: the query would scan about 2.8 GB, budget 1 GB (from the policy's stats: sales.orders could not be measured (s3:ListBucket: Access Denied); sales.customers could not be measured (s3:ListBucket: Access Denied)): filter on partition keys or select fewer tables; or request the large-scan elevation
        ");
        // One measured, one not: both sources, and the stats are never taken as zero.
        sizes.measured(targets[1].clone(), 5 * GB, false);
        insta::assert_snapshot!(shown(&lint_measured(&policy("1GB"), sql, &ctx(), &sizes)), @r"
        verdict: Elevate
        estimate: about 5.8 GB, budget 1 GB (from S3 object sizes and the policy's stats: sales.orders could not be measured (s3:ListBucket: Access Denied))
        budget: the query would scan about 5.8 GB, budget 1 GB (from S3 object sizes and the policy's stats: sales.orders could not be measured (s3:ListBucket: Access Denied)): filter on partition keys or select fewer tables; or request the large-scan elevation
        ");
    }

    #[test]
    fn the_values_of_parameters_are_judged_with_the_same_sizes() {
        let p = policy("10GB");
        let bound = lint(
            &p,
            "SELECT order_id FROM orders WHERE dt = '2024-01-01'",
            &ctx(),
        );
        let mut sizes = ScanSizes::none();
        sizes.measured(bound.scan_targets()[0].clone(), 42 * GB, false);
        // The template is judged on the stats (its `?` selects no known partition)...
        let template = lint_measured(
            &p,
            "SELECT order_id FROM orders WHERE dt = ?",
            &ctx(),
            &sizes,
        );
        assert_eq!(template.verdict(), crate::Verdict::Allow);
        // ...and the text with the value in place on the measured size: refused.
        let refusal = template
            .approve_with_parameters(&["'2024-01-01'".into()], &p, &ctx())
            .expect_err("over the budget with its value in place");
        assert!(
            refusal
                .to_string()
                .contains("about 42 GB, budget 10 GB (from S3 object sizes)"),
            "{refusal}"
        );
    }
}
