//! Per-query lint time over the TPC-H and TPC-DS corpus with a 20-rule policy, next to
//! sqlparser's parse-only time for the same text (docs/performance.md, "Guardrails").
//!
//! `cargo bench -p warden-guardrails --bench lint`; `-- tpcds-07` runs one query.

use std::collections::BTreeSet;
use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use warden_guardrails::sqlparser::parser::Parser;
use warden_guardrails::{lint, AthenaDialect, LintContext, Policy};

#[path = "support/corpus.rs"]
mod corpus;

use corpus::{queries, twenty_rules};

fn policy(text: String) -> Policy {
    Policy::from_yaml(&text).expect("bench policy")
}

fn bench(c: &mut Criterion) {
    let corpora = [
        (
            policy(twenty_rules(
                include_str!("../tests/fixtures/tpc/tpch.policy.yaml"),
                "tpch",
                "c_phone",
                "lineitem",
                "l_shipdate",
                "nation",
                "n_nationkey",
            )),
            "tpch",
            queries(include_str!("../tests/fixtures/tpc/tpc-h.sql"), "tpch"),
        ),
        (
            policy(twenty_rules(
                include_str!("../tests/fixtures/tpc/tpcds.policy.yaml"),
                "tpcds",
                "c_email_address",
                "store_sales",
                "ss_sold_date_sk",
                "store",
                "s_store_sk",
            )),
            "tpcds",
            queries(include_str!("../tests/fixtures/tpc/tpc-ds.sql"), "tpcds"),
        ),
    ];
    for (policy, db, qs) in &corpora {
        let ctx = LintContext {
            default_database: Some(db.to_string()),
            elevations: BTreeSet::new(),
        };
        let mut group = c.benchmark_group(*db);
        group
            .sample_size(20)
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(600));
        for (name, sql) in qs {
            group.bench_function(format!("parse/{name}"), |b| {
                b.iter(|| Parser::parse_sql(&AthenaDialect::new(), black_box(sql)))
            });
            group.bench_function(format!("lint/{name}"), |b| {
                b.iter(|| lint(policy, black_box(sql), &ctx))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
