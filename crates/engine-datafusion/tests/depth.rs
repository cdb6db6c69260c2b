//! Queries as deep as the guardrails allow run without taking a process down, both in the
//! in-process engine and the way the app runs them (written back to SQL by
//! `warden-demo-client` and run by `warden-demo-engine serve` in a process of its own), and
//! one level more is refused by the guardrails with a clear message. Run in debug by
//! `cargo test` and in release by
//! `cargo test --release -p warden-engine-datafusion --test depth`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use warden_demo_client::DemoEngine;
use warden_demo_lake::{describe, ensure};
use warden_engine::{CancellationToken, Engine};
use warden_engine_datafusion::DataFusionEngine;
use warden_guardrails::{lint, LintContext, Policy, Report, MAX_CTES, MAX_SET_OPERATIONS};

fn lake() -> &'static PathBuf {
    static LAKE: OnceLock<PathBuf> = OnceLock::new();
    LAKE.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-datafusion-lake");
        ensure(&root, 7).expect("demo lake generated");
        root
    })
}

fn report(sql: &str) -> Report {
    let policy = Policy::from_yaml("format: warden-policy/1\nname: depth\n").expect("policy");
    lint(&policy, sql, &LintContext::default())
}

fn refusal(sql: &str) -> String {
    let r = report(sql);
    let messages = r
        .diagnostics()
        .iter()
        .map(|d| d.message.clone())
        .collect::<Vec<_>>()
        .join("; ");
    assert!(r.approve().is_err(), "allowed past the bound");
    messages
}

/// The largest `n` whose `shape(n)` the guardrails allow (they allow 1 and refuse 10,000).
fn largest_allowed(shape: impl Fn(usize) -> String) -> usize {
    let (mut ok, mut refused) = (1, 10_000);
    assert!(report(&shape(ok)).approve().is_ok());
    assert!(report(&shape(refused)).approve().is_err());
    while refused - ok > 1 {
        let mid = (ok + refused) / 2;
        if report(&shape(mid)).approve().is_ok() {
            ok = mid;
        } else {
            refused = mid;
        }
    }
    ok
}

async fn runs(sql: &str) {
    let results = Path::new(env!("CARGO_TARGET_TMPDIR")).join("depth-results");
    let in_process = DataFusionEngine::open(lake(), &describe(), &results).expect("engine opens");
    let in_a_process = DemoEngine::new(
        Path::new(env!("CARGO_BIN_EXE_warden-demo-engine")),
        lake(),
        &results,
    );
    let engines: [(&str, &dyn Engine); 2] = [
        ("in-process engine", &in_process),
        ("engine's process", &in_a_process),
    ];
    for (name, engine) in engines {
        let approved = report(sql).approve().expect("allowed");
        let outcome = engine
            .execute(approved, CancellationToken::new())
            .await
            .unwrap_or_else(|e| panic!("the {name} failed: {e}"));
        assert_eq!(outcome.result.len(), 1, "{name}");
    }
}

fn derived_tables(n: usize) -> String {
    let mut sql = String::from("SELECT 1 AS x");
    for _ in 0..n {
        sql = format!("SELECT x FROM ({sql}) t");
    }
    sql
}

fn nested_case(n: usize) -> String {
    let mut e = String::from("1");
    for _ in 0..n {
        e = format!("CASE WHEN 1 = 1 THEN {e} ELSE 0 END");
    }
    format!("SELECT {e} AS x")
}

fn chained_ctes(n: usize) -> String {
    let mut sql = String::from("WITH c0 AS (SELECT 1 AS x)");
    for i in 1..n {
        sql.push_str(&format!(", c{i} AS (SELECT x FROM c{})", i - 1));
    }
    sql + &format!(" SELECT x FROM c{}", n - 1)
}

fn unions(operators: usize) -> String {
    let mut sql = String::from("SELECT 1 AS x");
    for _ in 0..operators {
        sql.push_str(" UNION SELECT 1");
    }
    sql
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_derived_tables_at_the_bound_run() {
    let n = largest_allowed(derived_tables);
    let message = refusal(&derived_tables(n + 1));
    assert!(message.contains("levels deep"), "{message}");
    runs(&derived_tables(n)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_case_at_the_bound_runs() {
    let n = largest_allowed(nested_case);
    // The parser's own recursion limit stops CASE first, with the same depth message.
    let message = refusal(&nested_case(n + 1));
    assert!(message.contains("levels deep"), "{message}");
    runs(&nested_case(n)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chained_ctes_at_the_bound_run() {
    assert!(report(&chained_ctes(MAX_CTES)).approve().is_ok());
    let message = refusal(&chained_ctes(MAX_CTES + 1));
    assert!(
        message.contains(&format!("more than {MAX_CTES} CTEs")),
        "{message}"
    );
    runs(&chained_ctes(MAX_CTES)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_operations_at_the_bound_run() {
    assert!(report(&unions(MAX_SET_OPERATIONS)).approve().is_ok());
    let message = refusal(&unions(MAX_SET_OPERATIONS + 1));
    assert!(
        message.contains(&format!("more than {MAX_SET_OPERATIONS} set operations")),
        "{message}"
    );
    runs(&unions(MAX_SET_OPERATIONS)).await;
}
