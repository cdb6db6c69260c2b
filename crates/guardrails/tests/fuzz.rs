//! Property-based fuzzing of the lint entry point (see docs/fuzzing.md): whatever the text,
//! `lint` returns a report (no panic) whose verdict, spans and reads are consistent.
//!
//! More cases: `PROPTEST_CASES=200000 cargo test -p warden-guardrails --release --test fuzz`.

use std::collections::BTreeSet;

use proptest::prelude::*;
use warden_guardrails::{lint, LintContext, Policy, Report, Severity, Verdict};

const POLICY: &str = r#"format: warden-policy/1
name: fuzz
catalog:
  databases:
    sales:
      tables:
        customers:
          columns: { customer_id: bigint, email: { type: varchar, tags: [pii] }, tags: array(varchar) }
          stats: { size_bytes: 1GB }
        orders:
          columns: { order_id: bigint, customer_id: bigint, amount: double, dt: varchar }
          partition_keys: [dt]
          stats: { size_bytes: 1TB, partitions: 100 }
elevations:
  pii-read: { description: pii }
  big: { description: big }
rules:
  - { id: ro, kind: statement_class, allow: [query, explain, show, describe] }
  - { id: one, kind: single_statement, severity: warning }
  - { id: objects, kind: object_allowlist, databases: [sales] }
  - { id: pii, kind: restricted_columns, tags: [pii], unlocked_by: [pii-read] }
  - { id: tenant, kind: required_row_predicate, tables: [sales.customers], column: customer_id, severity: warning }
  - { id: part, kind: require_partition_filter, tables: [sales.orders], unlocked_by: [big] }
  - { id: budget, kind: max_scan_bytes, limit: 100GB, unlocked_by: [big] }
  - { id: star, kind: select_star, severity: info }
  - { id: limit, kind: require_limit, max_rows: 1000, severity: warning }
  - { id: cross, kind: cross_join }
  - { id: export, kind: export_destination, allow_prefixes: ['s3://ok/'] }
  - { id: fns, kind: blocked_functions, functions: [sleep] }
  - { id: writes, kind: unbounded_write }
  - { id: order, kind: order_by_without_limit }
  - { id: nulls, kind: null_comparison }
"#;

const WORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP BY",
    "HAVING",
    "ORDER BY",
    "LIMIT",
    "JOIN",
    "LEFT JOIN",
    "CROSS JOIN",
    "ON",
    "USING",
    "AS",
    "WITH",
    "UNION ALL",
    "EXCEPT",
    "EXISTS",
    "IN",
    "NOT",
    "AND",
    "OR",
    "IS NULL",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "UNNEST",
    "WITH ORDINALITY",
    "OVER",
    "PARTITION BY",
    "VALUES",
    "LATERAL",
    "DELETE",
    "UPDATE",
    "SET",
    "INSERT INTO",
    "UNLOAD",
    "TO",
    "CREATE TABLE",
    "EXPLAIN",
    "SHOW TABLES",
    "SHOW STATS FOR",
    "SHOW PARTITIONS",
    "SHOW TBLPROPERTIES",
    "DESCRIBE",
    "/* /*",
    "*/",
    "--\r",
    "\r",
    "E'",
    "X'",
    "U&'",
    "c.tags[1]",
    "UNION",
    "INTERSECT",
    "PREPARE",
    "EXECUTE",
    "USE",
    "BETWEEN",
    "DISTINCT",
    "TABLESAMPLE BERNOULLI",
    "customers",
    "orders",
    "sales.customers",
    "sales.orders",
    "c",
    "o",
    "t",
    "x",
    "email",
    "customer_id",
    "order_id",
    "dt",
    "amount",
    "tags",
    "c.email",
    "o.dt",
    "*",
    "c.*",
    "count(*)",
    "sum(amount)",
    "transform(tags, x -> x)",
    "sleep(1)",
    "'2024-01-01'",
    "'s3://ok/a'",
    "1",
    "0",
    "NULL",
    "TRUE",
    "(",
    ")",
    ",",
    ";",
    "=",
    "<>",
    "<",
    ">=",
    "+",
    "-",
    "||",
    "[1]",
    ".",
    "\"$path\"",
    "U&\"\\0065mail\"",
    "-- c\n",
    "/* c */",
    "\n",
    "é",
    "😀",
];

fn sqlish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..40).prop_map(|w| w.join(" "))
}

fn check(report: &Report, sql: &str) {
    let errors = report
        .diagnostics()
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    match report.verdict() {
        Verdict::Allow => assert_eq!(errors, 0),
        Verdict::Elevate => {
            assert!(errors > 0 && !report.elevations().is_empty());
            for d in report
                .diagnostics()
                .iter()
                .filter(|d| d.severity == Severity::Error)
            {
                assert!(d
                    .unlocked_by
                    .iter()
                    .any(|e| report.elevations().contains(e)));
            }
        }
        Verdict::Deny => assert!(errors > 0),
    }
    for d in report.diagnostics() {
        for p in [d.span.start, d.span.end] {
            assert!(
                p.offset <= sql.len() && sql.is_char_boundary(p.offset),
                "{d:?}"
            );
            assert!(p.line >= 1 && p.column >= 1);
            assert_eq!(p.utf16, sql[..p.offset].encode_utf16().count());
        }
        assert!(d.span.start.offset <= d.span.end.offset, "{d:?}");
        assert!(!d.message.is_empty());
    }
    let reads: BTreeSet<&String> = report.reads().iter().collect();
    assert_eq!(reads.len(), report.reads().len(), "reads are unique");
    assert!(
        report.reads().windows(2).all(|w| w[0] < w[1]),
        "reads are sorted"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn lint_never_panics_on_sql_like_text(sql in sqlish()) {
        let policy = Policy::from_yaml(POLICY).expect("policy");
        let ctx = LintContext { default_database: Some("sales".into()), elevations: BTreeSet::new() };
        let report = lint(&policy, &sql, &ctx);
        check(&report, &sql);
    }

    #[test]
    fn lint_never_panics_on_arbitrary_text(sql in "\\PC{0,200}") {
        let policy = Policy::from_yaml(POLICY).expect("policy");
        let report = lint(&policy, &sql, &LintContext::default());
        check(&report, &sql);
    }

    #[test]
    fn policy_loading_never_panics(text in "\\PC{0,300}") {
        let _ = Policy::from_yaml(&text);
        let mangled = POLICY.replacen(&text.chars().take(3).collect::<String>(), &text, 1);
        let _ = Policy::from_yaml(&mangled);
    }
}
