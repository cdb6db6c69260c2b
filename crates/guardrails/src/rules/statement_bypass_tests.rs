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
