//! Generates the demo lake (or reuses it) and prints, for a few queries, the rows returned,
//! the bytes scanned and the time taken:
//! `cargo run -p warden-engine-datafusion --example query_figures -- <lake folder>`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use warden_engine::{CancellationToken, Engine};
use warden_engine_datafusion::DataFusionEngine;
use warden_guardrails::{lint, LintContext, Policy};

const QUERIES: &[&str] = &[
    "SELECT country, count(*) FROM sales.customers GROUP BY 1",
    "SELECT count(*), sum(amount) FROM sales.orders",
    "SELECT count(*), sum(amount) FROM sales.orders WHERE dt = '2025-09-10'",
    "SELECT event_type, count(*) FROM web.events GROUP BY 1",
    "SELECT event_type, count(*) FROM web.events WHERE dt BETWEEN '2025-10-01' AND '2025-10-07' GROUP BY 1",
    "SELECT c.country, sum(o.amount) FROM sales.orders o JOIN sales.customers c ON o.customer_id = c.customer_id GROUP BY 1",
];

#[tokio::main]
async fn main() -> ExitCode {
    let Some(root) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: query_figures <lake folder>");
        return ExitCode::from(2);
    };
    let started = Instant::now();
    let summary = match warden_demo_lake::ensure(&root, warden_demo_lake::DEFAULT_SEED) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "lake ready in {:.2?}: {} rows, {} bytes",
        started.elapsed(),
        summary.total_rows(),
        summary.total_bytes()
    );
    let started = Instant::now();
    let engine = match DataFusionEngine::open(
        &root,
        &warden_demo_lake::describe(),
        &std::env::temp_dir().join("warden-query-figures"),
    ) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    println!("engine opened in {:.2?}", started.elapsed());
    let policy = match Policy::from_yaml(&warden_demo_lake::open_policy_yaml("figures")) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    for sql in QUERIES {
        let approved = match lint(&policy, sql, &LintContext::default()).approve() {
            Ok(a) => a,
            Err(refusal) => {
                eprintln!("{sql}: {refusal}");
                return ExitCode::FAILURE;
            }
        };
        match engine.execute(approved, CancellationToken::new()).await {
            Ok(out) => println!(
                "{:>8.1?} {:>6} rows {:>10} bytes scanned  {sql}",
                out.duration,
                out.result.len(),
                out.bytes_scanned
            ),
            Err(e) => {
                eprintln!("{sql}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
