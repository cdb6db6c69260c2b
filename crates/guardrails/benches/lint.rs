//! Per-query lint time over the TPC-H and TPC-DS corpus with a 20-rule policy, next to
//! sqlparser's parse-only time for the same text (docs/performance.md, "Guardrails").
//!
//! `cargo bench -p warden-guardrails --bench lint`; `-- tpcds-07` runs one query.

use std::collections::BTreeSet;
use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use warden_guardrails::sqlparser::parser::Parser;
use warden_guardrails::{lint, AthenaDialect, LintContext, Policy};

/// The corpus's catalog plus twenty rules of every kind (tags and partition keys added so that
/// the column rules have something to look at).
fn twenty_rules(catalog: &str, db: &str, pii: &str, fact: &str, key: &str, dim: &str, dim_key: &str) -> Policy {
    let catalog = catalog
        .replace(&format!("            {pii}: 'string'"), &format!("            {pii}: {{ type: 'string', tags: [pii] }}"))
        .replace(
            &format!("        {fact}:\n          columns:\n"),
            &format!("        {fact}:\n          partition_keys: [{key}]\n          columns:\n"),
        );
    let rules = format!(
        r#"elevations:
  pii-read: {{ description: pii }}
  large-scan: {{ description: big }}
rules:
  - {{ id: r01, kind: statement_class, allow: [query, explain, show, describe] }}
  - {{ id: r02, kind: single_statement }}
  - {{ id: r03, kind: object_allowlist, databases: [{db}] }}
  - {{ id: r04, kind: restricted_columns, tags: [pii], unlocked_by: [pii-read] }}
  - {{ id: r05, kind: required_row_predicate, tables: [{db}.{dim}], column: {dim_key}, severity: warning }}
  - {{ id: r06, kind: require_partition_filter, tables: [{db}.{fact}], unlocked_by: [large-scan] }}
  - {{ id: r07, kind: max_scan_bytes, limit: 1TB, unlocked_by: [large-scan] }}
  - {{ id: r08, kind: select_star, severity: warning }}
  - {{ id: r09, kind: require_limit, max_rows: 10000, severity: warning }}
  - {{ id: r10, kind: cross_join }}
  - {{ id: r11, kind: export_destination, allow_prefixes: ['s3://exports/'] }}
  - {{ id: r12, kind: blocked_functions, functions: [sleep, reflect] }}
  - {{ id: r13, kind: unbounded_write }}
  - {{ id: r14, kind: order_by_without_limit }}
  - {{ id: r15, kind: null_comparison }}
  - {{ id: r16, kind: restricted_columns, tags: [pii], severity: info }}
  - {{ id: r17, kind: required_row_predicate, tables: [{db}.{fact}], column: {key}, severity: info }}
  - {{ id: r18, kind: max_scan_bytes, limit: 10TB, severity: warning }}
  - {{ id: r19, kind: blocked_functions, functions: [http_get], severity: warning }}
  - {{ id: r20, kind: object_allowlist, tables: [{db}.{fact}, {db}.{dim}], severity: info }}
"#
    );
    Policy::from_yaml(&format!("{catalog}{rules}")).expect("bench policy")
}

fn queries(fixture: &str, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for block in fixture.split("--------------------------------------\n-- ").skip(1) {
        let Some((title, rest)) = block.split_once('\n') else { continue };
        let body: String = rest
            .trim_start_matches("--------------------------------------\n")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        if let Some(end) = body.find(";\n") {
            let n: u32 = title.rsplit(' ').next().and_then(|n| n.parse().ok()).unwrap_or(0);
            out.push((format!("{prefix}-{n:02}"), body[..end].to_string()));
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let corpora = [
        (
            twenty_rules(include_str!("../tests/fixtures/tpc/tpch.policy.yaml"), "tpch", "c_phone", "lineitem", "l_shipdate", "nation", "n_nationkey"),
            "tpch",
            queries(include_str!("../tests/fixtures/tpc/tpc-h.sql"), "tpch"),
        ),
        (
            twenty_rules(
                include_str!("../tests/fixtures/tpc/tpcds.policy.yaml"),
                "tpcds",
                "c_email_address",
                "store_sales",
                "ss_sold_date_sk",
                "store",
                "s_store_sk",
            ),
            "tpcds",
            queries(include_str!("../tests/fixtures/tpc/tpc-ds.sql"), "tpcds"),
        ),
    ];
    for (policy, db, qs) in &corpora {
        let ctx = LintContext { default_database: Some(db.to_string()), elevations: BTreeSet::new() };
        let mut group = c.benchmark_group(*db);
        group.sample_size(20).warm_up_time(Duration::from_millis(200)).measurement_time(Duration::from_millis(600));
        for (name, sql) in qs {
            group.bench_function(format!("parse/{name}"), |b| {
                b.iter(|| Parser::parse_sql(&AthenaDialect, black_box(sql)))
            });
            group.bench_function(format!("lint/{name}"), |b| b.iter(|| lint(policy, black_box(sql), &ctx)));
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
