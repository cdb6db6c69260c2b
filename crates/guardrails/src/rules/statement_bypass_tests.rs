//! Guardrail bypasses a security review found: queries the rules, as documented, deny, which
//! the lint let through. Each test fails on the code before its fix.

use crate::{lint, LintContext, Policy, Report, Verdict};

/// `sales.orders`: 60 partitions of 10 MB; `logs.hits`: 24 partitions (2 years x 12 months) of
/// 1 GB each.
const CATALOG: &str = r#"format: warden-policy/1
name: bypass
catalog:
  databases:
    sales:
      tables:
        customers:
          columns: { customer_id: bigint, email: varchar }
          stats: { size_bytes: 1MB }
        orders:
          columns: { order_id: bigint, customer_id: bigint, amount: double, status: varchar, dt: varchar }
          partition_keys: [dt]
          stats: { size_bytes: 600MB, partitions: 60 }
    logs:
      tables:
        hits:
          columns: { id: bigint, year: varchar, month: varchar }
          partition_keys: [year, month]
          stats: { size_bytes: 24GB, partitions: 24 }
elevations:
  large-scan: { description: big }
"#;

fn policy(rules: &str) -> Policy {
    Policy::from_yaml(&format!("{CATALOG}rules:\n{rules}")).expect("policy")
}

fn ctx(database: &str) -> LintContext {
    LintContext {
        default_database: Some(database.into()),
        elevations: Default::default(),
    }
}

/// The verdict, the estimate (when one was made) and each diagnostic.
fn shown(r: &Report) -> String {
    let mut out = format!("verdict: {:?}\n", r.verdict());
    if let Some(e) = r.scan_estimate() {
        out.push_str(&format!("estimate: {e}\n"));
    }
    for d in r.diagnostics() {
        out.push_str(&format!("{}: {}\n", d.rule, d.message));
    }
    out
}

/// The estimate's text, e.g. "about 180 MB, budget 200 MB (from the policy's stats)".
fn estimate(r: &Report) -> String {
    r.scan_estimate()
        .map(ToString::to_string)
        .unwrap_or_default()
}

// Finding 1: Athena (Trino) inlines a WITH query at every reference, so each read of it scans
// its tables again.

use crate::{lint_measured, ScanSizes};

const BUDGET: &str =
    "  - { id: budget, kind: max_scan_bytes, limit: 200MB, unlocked_by: [large-scan] }\n";

fn budget(sql: &str) -> Report {
    lint(&policy(BUDGET), sql, &ctx("sales"))
}

/// Eighteen days of `sales.orders`: 180 MB, under the 200 MB budget once.
fn days() -> String {
    (1..=18)
        .map(|d| format!("'2025-09-{d:02}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn with_o(rest: &str) -> String {
    format!(
        "WITH o AS (SELECT order_id, amount, status FROM sales.orders WHERE dt IN ({})) {rest}",
        days()
    )
}

#[test]
fn a_cte_read_once_is_one_scan() {
    let r = budget(&with_o("SELECT sum(amount) FROM o"));
    assert_eq!(r.verdict(), Verdict::Allow, "{}", shown(&r));
    assert_eq!(
        estimate(&r),
        "about 180 MB, budget 200 MB (from the policy's stats)"
    );
}

#[test]
fn each_read_of_a_cte_scans_its_tables_again() {
    let eight = ["SELECT * FROM o"; 8].join(" UNION ALL ");
    let r = budget(&with_o(&format!("SELECT sum(amount) FROM ({eight})")));
    insta::assert_snapshot!(shown(&r), @r#"
        verdict: Elevate
        estimate: about 1.4 GB, budget 200 MB (from the policy's stats)
        budget: the query would scan about 1.4 GB, budget 200 MB (from the policy's stats; Athena scans a WITH query again at each read: sales.orders 8 times): filter on partition keys or select fewer tables, or read each WITH query once; or request the large-scan elevation
        "#);
    for (sql, reads) in [
        (
            "SELECT count(*) FROM o x JOIN o y ON x.order_id = y.order_id JOIN o z ON z.order_id = x.order_id",
            3,
        ),
        (
            "SELECT count(*) FROM o WHERE order_id IN (SELECT order_id FROM o)",
            2,
        ),
        (
            "SELECT count(*) FROM o WHERE EXISTS (SELECT 1 FROM o p WHERE p.order_id = o.order_id)",
            2,
        ),
        ("SELECT (SELECT max(amount) FROM o) FROM o", 2),
    ] {
        let r = budget(&with_o(sql));
        assert_eq!(r.verdict(), Verdict::Elevate, "{sql}: {}", shown(&r));
        assert_eq!(
            estimate(&r),
            format!(
                "about {} MB, budget 200 MB (from the policy's stats)",
                180 * reads
            ),
            "{sql}"
        );
    }
}

#[test]
fn reads_multiply_through_nested_ctes() {
    // `p` reads `o` once and is read twice; `o` is read once more directly: three scans.
    let sql = with_o(
        ", p AS (SELECT * FROM o) SELECT count(*) FROM p a JOIN p b ON a.order_id = b.order_id JOIN o c ON c.order_id = a.order_id",
    )
    .replacen(") ,", "),", 1);
    let r = budget(&sql);
    assert_eq!(
        estimate(&r),
        "about 540 MB, budget 200 MB (from the policy's stats)",
        "{sql}"
    );
    // A WITH inside a CTE's body: `i` read twice inside `q`, `q` read twice: four scans.
    let sql = "WITH q AS (WITH i AS (SELECT * FROM orders WHERE dt = '2025-09-01') SELECT a.order_id FROM i a JOIN i b ON a.order_id = b.order_id) SELECT count(*) FROM q x JOIN q y ON x.order_id = y.order_id";
    assert_eq!(
        estimate(&budget(sql)),
        "about 40 MB, budget 200 MB (from the policy's stats)"
    );
    // An inner CTE of the same name shadows the outer one: only the inner is read twice.
    let sql = "WITH o AS (SELECT * FROM orders WHERE dt = '2025-09-01') SELECT count(*) FROM (WITH o AS (SELECT * FROM customers) SELECT 1 FROM o a JOIN o b ON a.customer_id = b.customer_id) t JOIN o ON true";
    assert_eq!(
        estimate(&budget(sql)),
        "about 12 MB, budget 200 MB (from the policy's stats)"
    );
}

#[test]
fn a_cte_never_read_counts_once() {
    // Trino would not scan it; counting it once is the estimate that is never too low.
    let r = budget(&with_o("SELECT 1"));
    assert_eq!(
        estimate(&r),
        "about 180 MB, budget 200 MB (from the policy's stats)"
    );
}

#[test]
fn a_recursive_cte_over_a_table_cannot_be_estimated() {
    let sql = "WITH RECURSIVE r(n, id) AS (SELECT 1, order_id FROM orders WHERE dt = '2025-09-01' UNION ALL SELECT n + 1, o.order_id FROM r JOIN orders o ON o.order_id = r.id WHERE n < 3 AND o.dt = '2025-09-01') SELECT count(*) FROM r";
    let r = budget(sql);
    insta::assert_snapshot!(shown(&r), @r#"
        verdict: Elevate
        estimate: not estimated, budget 200 MB (from the policy's stats)
        budget: the scan cannot be estimated: sales.orders is read inside a recursive WITH query, which scans it again at every step, and how many steps is not known: read it outside the recursion; or request the large-scan elevation
        "#);
}

#[test]
fn measured_sizes_count_once_per_read_too() {
    let sql = with_o("SELECT count(*) FROM o x JOIN o y ON x.order_id = y.order_id");
    let p = policy(BUDGET);
    let targets = lint(&p, &sql, &ctx("sales")).scan_targets().to_vec();
    assert_eq!(targets.len(), 1, "{targets:?}");
    let mut sizes = ScanSizes::none();
    sizes.measured(targets[0].clone(), 150_000_000, false);
    let r = lint_measured(&p, &sql, &ctx("sales"), &sizes);
    assert_eq!(
        estimate(&r),
        "about 300 MB, budget 200 MB (from S3 object sizes)"
    );
}

#[test]
fn the_partition_filter_rule_still_sees_the_filter_inside_a_cte_read_twice() {
    let rules = "  - { id: pf, kind: require_partition_filter, tables: [sales.orders] }\n";
    let r = lint(
        &policy(rules),
        &with_o("SELECT count(*) FROM o x JOIN o y ON x.order_id = y.order_id"),
        &ctx("sales"),
    );
    assert_eq!(r.verdict(), Verdict::Allow, "{}", shown(&r));
}

// Finding 2: a share of the partitions only when every partition key is selected by value.

#[test]
fn a_filter_on_some_partition_keys_selects_the_whole_table_in_the_stats() {
    let p = policy("  - { id: budget, kind: max_scan_bytes, limit: 2GB }\n");
    let run = |sql: &str| lint(&p, sql, &ctx("logs"));
    // One year is 12 of the 24 partitions, which the stats cannot tell: the whole table.
    insta::assert_snapshot!(shown(&run("SELECT count(*) FROM hits WHERE year = '2024'")), @r#"
        verdict: Deny
        estimate: about 24 GB, budget 2 GB (from the policy's stats)
        budget: the query would scan about 24 GB, budget 2 GB (from the policy's stats): filter on partition keys or select fewer tables
        "#);
    insta::assert_snapshot!(shown(&run("SELECT count(*) FROM hits WHERE month = '01'")), @r#"
        verdict: Deny
        estimate: about 24 GB, budget 2 GB (from the policy's stats)
        budget: the query would scan about 24 GB, budget 2 GB (from the policy's stats): filter on partition keys or select fewer tables
        "#);
    // Every key by value: the product of their values' counts, of the 24 partitions.
    let r = run("SELECT count(*) FROM hits WHERE year = '2024' AND month = '01'");
    assert_eq!(r.verdict(), Verdict::Allow, "{}", shown(&r));
    assert_eq!(
        estimate(&r),
        "about 1 GB, budget 2 GB (from the policy's stats)"
    );
    let r = run(
        "SELECT count(*) FROM hits WHERE year IN ('2023', '2024') AND month IN ('01', '02', '03')",
    );
    assert_eq!(
        estimate(&r),
        "about 6 GB, budget 2 GB (from the policy's stats)"
    );
    // More combinations than partitions: never more than the whole table.
    let months = (1..=12)
        .map(|m| format!("'{m:02}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let r = run(&format!(
        "SELECT count(*) FROM hits WHERE year IN ('2022', '2023', '2024') AND month IN ({months})"
    ));
    assert_eq!(
        estimate(&r),
        "about 24 GB, budget 2 GB (from the policy's stats)"
    );
}

// Finding 3: only this query level's aggregates make it one row.

#[test]
fn an_aggregate_in_a_subquery_does_not_make_the_query_one_row() {
    let p = policy("  - { id: lim, kind: require_limit, max_rows: 100 }\n");
    let run = |sql: &str| lint(&p, sql, &ctx("sales"));
    for sql in [
        "SELECT customer_id + (SELECT count(*) FROM customers) AS x FROM customers",
        "SELECT customer_id IN (SELECT max(customer_id) FROM customers) AS x FROM customers",
        "SELECT EXISTS (SELECT count(*) FROM orders) AS x FROM customers",
        "SELECT count(*) OVER () AS x FROM customers",
        "SELECT transform(ARRAY[customer_id], v -> count(v)) AS x FROM customers",
    ] {
        let r = run(sql);
        assert_eq!(r.verdict(), Verdict::Deny, "{sql}: {}", shown(&r));
        assert_eq!(
            shown(&r),
            "verdict: Deny\nlim: the query has no LIMIT: add LIMIT 100\n",
            "{sql}"
        );
    }
    // This level's aggregates still do, as does a select without FROM.
    for sql in [
        "SELECT count(*), max(customer_id) FROM customers",
        "SELECT sum(count(*)) OVER () FROM customers",
        "SELECT (SELECT count(*) FROM customers) AS n",
    ] {
        let r = run(sql);
        assert_eq!(r.verdict(), Verdict::Allow, "{sql}: {}", shown(&r));
    }
}

/// FETCH ... WITH TIES returns every row that ties with the last (a whole group on a sort key
/// with few values), and PERCENT a share of a table of any size: neither is a limit.
#[test]
fn fetch_with_ties_or_percent_is_no_limit() {
    let p = policy("  - { id: lim, kind: require_limit }\n");
    let with_max = policy("  - { id: lim, kind: require_limit, max_rows: 10 }\n");
    for sql in [
        "SELECT customer_id FROM customers ORDER BY customer_id FETCH FIRST 5 ROWS WITH TIES",
        "SELECT customer_id FROM customers ORDER BY customer_id OFFSET 0 ROWS FETCH NEXT 1 ROW WITH TIES",
        "SELECT customer_id FROM customers FETCH FIRST 1 PERCENT ROWS ONLY",
    ] {
        for policy in [&p, &with_max] {
            let r = lint(policy, sql, &ctx("sales"));
            assert_eq!(r.verdict(), Verdict::Deny, "{sql}: {}", shown(&r));
            assert!(shown(&r).contains("WITH TIES or PERCENT"), "{sql}: {}", shown(&r));
        }
    }
    // A plain FETCH is a limit, as LIMIT is.
    let r = lint(
        &with_max,
        "SELECT customer_id FROM customers FETCH FIRST 5 ROWS ONLY",
        &ctx("sales"),
    );
    assert_eq!(r.verdict(), Verdict::Allow, "{}", shown(&r));
}

// Finding 4: every place a DDL statement names where its data goes.

const EXPORT: &str =
    "  - { id: export, kind: export_destination, allow_prefixes: ['s3://exports/'] }\n";

fn export(sql: &str) -> Report {
    lint(&policy(EXPORT), sql, &ctx("sales"))
}

#[test]
fn the_location_of_a_plain_create_table_is_a_destination() {
    insta::assert_snapshot!(shown(&export("CREATE TABLE t2 (a bigint) LOCATION 's3://evil/x/' TBLPROPERTIES ('table_type'='ICEBERG')")), @r#"
        verdict: Deny
        export: s3://evil/x/ is not an allowed destination: write under s3://exports/
        "#);
    let r = export(
        "CREATE TABLE t2 (a bigint) LOCATION 's3://exports/x/' TBLPROPERTIES ('table_type'='ICEBERG')",
    );
    assert_eq!(r.verdict(), Verdict::Allow, "{}", shown(&r));
}

#[test]
fn a_location_in_any_table_properties_is_a_destination() {
    for sql in [
        "CREATE TABLE t2 (a bigint) TBLPROPERTIES ('table_type'='ICEBERG', 'location'='s3://evil/x/')",
        "CREATE EXTERNAL TABLE t2 (a bigint) STORED AS PARQUET LOCATION 's3://exports/t2/' TBLPROPERTIES ('storage.location.template'='s3://evil/${dt}/')",
        "CREATE TABLE t2 WITH (write_data_path = 's3://evil/x/') AS SELECT 1 a",
        "ALTER TABLE orders SET TBLPROPERTIES ('location'='s3://evil/x/')",
    ] {
        let r = export(sql);
        assert_eq!(r.verdict(), Verdict::Deny, "{sql}: {}", shown(&r));
        assert!(
            r.diagnostics()
                .iter()
                .any(|d| d.rule == "export" && d.message.starts_with("s3://evil/")),
            "{sql}: {}",
            shown(&r)
        );
    }
}

#[test]
fn a_partition_location_is_a_destination() {
    insta::assert_snapshot!(shown(&export("ALTER TABLE orders ADD PARTITION (dt='2099-01-01') LOCATION 's3://evil/x/'")), @r#"
        verdict: Deny
        export: s3://evil/x/ is not an allowed destination: write under s3://exports/
        "#);
    let r = export("ALTER TABLE orders ADD PARTITION (dt='2099-01-01') LOCATION 's3://exports/x/'");
    assert_eq!(r.verdict(), Verdict::Allow, "{}", shown(&r));
}

// Finding 5: option values are literals; anything else is refused.

#[test]
fn an_option_value_that_is_not_a_literal_is_refused() {
    let p = policy(&format!(
        "{EXPORT}  - {{ id: bf, kind: blocked_functions, functions: [sleep] }}\n"
    ));
    let run = |sql: &str| lint(&p, sql, &ctx("sales"));
    insta::assert_snapshot!(shown(&run("CREATE TABLE t3 WITH (format = sleep(1)) AS SELECT 1 a")), @r#"
        verdict: Deny
        bf: function sleep is blocked by this policy
        unresolved: the value of option format is not a literal (sleep(1)): write a literal ('text', a number, ARRAY['a', ...]), as Athena's options are
        "#);
    insta::assert_snapshot!(shown(&run("UNLOAD (SELECT 1 a) TO 's3://exports/x' WITH (format = sleep(1))")), @r#"
        verdict: Deny
        bf: function sleep is blocked by this policy
        unresolved: the value of option format is not a literal (sleep(1)): write a literal ('text', a number, ARRAY['a', ...]), as Athena's options are
        "#);
    let r = run("CREATE VIEW v WITH (security = sleep(1)) AS SELECT 1 a");
    assert!(
        r.diagnostics()
            .iter()
            .any(|d| d.rule == "unresolved" && d.message.contains("option security")),
        "{}",
        shown(&r)
    );
    // A call anywhere else the rules do not walk is still seen.
    let r = run("CREATE TABLE t4 (a bigint DEFAULT sleep(1))");
    assert_eq!(
        shown(&r),
        "verdict: Deny\nbf: function sleep is blocked by this policy\n"
    );
    // Literals, and arrays of them, are what Athena's options are.
    for sql in [
        "CREATE TABLE t3 WITH (format = 'PARQUET', partitioned_by = ARRAY['a'], bucket_count = 4) AS SELECT 1 a",
        "UNLOAD (SELECT 1 a) TO 's3://exports/x' WITH (format = 'PARQUET', compression = 'SNAPPY')",
    ] {
        let r = run(sql);
        assert_eq!(r.verdict(), Verdict::Allow, "{sql}: {}", shown(&r));
    }
}
