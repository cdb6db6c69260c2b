//! A plain EXPLAIN through the gate, on both engines: Athena plans it from the catalog and scans
//! no data (its user guide: "Because EXPLAIN queries do not scan any data, Athena does not
//! charge for them"), so the scan budget does not apply, nothing is measured and it runs with
//! the baseline credentials; EXPLAIN ANALYZE runs the query and stays under the budget.

use warden_engine::CancellationToken;
use warden_guardrails::Verdict;

use crate::athena_gate_tests::lab;
use crate::{Gate, Home, RunError, Workspace};

/// The whole of web.events, the demo's largest table: four times the demo's scan budget.
const FULL_SCAN: &str = "SELECT count(*) FROM web.events";

fn refused_by_the_budget(e: &RunError) -> (Vec<String>, String) {
    let report = e
        .report()
        .unwrap_or_else(|| panic!("not refused by the guardrails: {e}"));
    let budget = report
        .diagnostics()
        .iter()
        .find(|d| d.rule == "scan-budget")
        .unwrap_or_else(|| panic!("not refused by the scan budget: {e}"));
    (report.elevations().to_vec(), budget.message.clone())
}

/// The plan runs under the baseline, with no estimate and no elevation; EXPLAIN ANALYZE of the
/// same query is refused by the budget, as the query is.
async fn plain_explain_runs_and_explain_analyze_is_budgeted(gate: &Gate) {
    let query = gate
        .run(FULL_SCAN, Some("sales"), CancellationToken::new())
        .await
        .expect_err("the query itself is over the budget");
    assert_eq!(refused_by_the_budget(&query).0, ["large-scan"]);

    let explain = format!("EXPLAIN {FULL_SCAN}");
    let lint = gate.lint(&explain, Some("sales")).expect("policy");
    assert_eq!(lint.verdict(), Verdict::Allow, "{:?}", lint.diagnostics());
    assert!(lint.elevations().is_empty());
    assert!(
        lint.diagnostics().is_empty(),
        "neither the budget nor the partition filter: {:?}",
        lint.diagnostics()
    );
    let estimate = gate
        .scan_estimate(&explain, &[], Some("sales"))
        .await
        .expect("policy");
    assert_eq!(estimate, None, "a plan is not measured");
    let plan = gate
        .run(&explain, Some("sales"), CancellationToken::new())
        .await
        .expect("the plan runs with the baseline credentials");
    assert_eq!(plan.verdict, Verdict::Allow);
    assert!(plan.grants.is_empty(), "no grant: {:?}", plan.grants);
    assert!(!plan.result.is_empty(), "the plan's lines");

    let analyze = gate
        .run(
            &format!("EXPLAIN ANALYZE {FULL_SCAN}"),
            Some("sales"),
            CancellationToken::new(),
        )
        .await
        .expect_err("EXPLAIN ANALYZE scans as the query does");
    let (elevations, message) = refused_by_the_budget(&analyze);
    assert_eq!(elevations, ["large-scan"]);
    assert!(
        message.starts_with("EXPLAIN ANALYZE runs the query: it would scan about "),
        "{message}"
    );
}

#[tokio::test]
async fn on_the_demo_engine() {
    let home = tempfile::tempdir().expect("tempdir");
    let ws = Workspace::find(&Home::under(home.path()), None).expect("the demo workspace");
    ws.init().await.expect("the demo initialises");
    let gate = ws.open_gate().await.expect("the gate opens");
    plain_explain_runs_and_explain_analyze_is_budgeted(&gate).await;
}

#[tokio::test]
async fn on_athena() {
    let lab = lab().await;
    let gate = lab.gate().await;
    plain_explain_runs_and_explain_analyze_is_budgeted(&gate).await;
}
