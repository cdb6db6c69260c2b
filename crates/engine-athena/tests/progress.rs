//! What the engine notes of a run while it goes: Athena's id, QUEUED, RUNNING, then the read.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{approve, lab, SELECT_ITEMS};
use warden_engine::{CancellationToken, Engine, Phase, RunTrace};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_notes_its_id_and_each_state_as_athena_reports_them() {
    let lab = lab(5).await;
    lab.standin.knobs.set(|k| {
        k.queued = Duration::from_millis(600);
        k.running_at_least = Duration::from_millis(600);
    });
    let engine = Arc::new(lab.engine(lab.settings("primary")));
    let trace = Arc::new(RunTrace::new());
    let run = {
        let (engine, trace) = (engine.clone(), trace.clone());
        tokio::spawn(async move {
            engine
                .execute_traced(approve(SELECT_ITEMS), CancellationToken::new(), &trace)
                .await
        })
    };
    let mut seen = Vec::new();
    while !run.is_finished() {
        if let Some(phase) = trace.phase() {
            if seen.last() != Some(&phase) {
                // Athena named the run before it reported a state.
                assert!(trace.query_id().is_some(), "{phase:?} before the id");
                seen.push(phase);
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    run.await.expect("the task").expect("the run");
    // The read may be over between two looks; the trace keeps the last phase noted.
    let last = trace.phase().expect("a phase");
    if seen.last() != Some(&last) {
        seen.push(last);
    }
    assert_eq!(seen, [Phase::Queued, Phase::Running, Phase::Reading]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_rows_can_be_paged_while_the_rest_are_still_read() {
    // Paged through GetQueryResults, 1,000 rows a call, each call slowed: the read of 4,000
    // rows takes several calls after the first page is stored.
    let lab = lab(4_000).await;
    lab.standin.knobs.set(|k| {
        k.refuse_s3_reads = true;
        k.latency = Duration::from_millis(250);
    });
    let engine = Arc::new(lab.engine(lab.settings("primary")));
    let trace = Arc::new(RunTrace::new());
    let run = {
        let (engine, trace) = (engine.clone(), trace.clone());
        tokio::spawn(async move {
            engine
                .execute_traced(approve(SELECT_ITEMS), CancellationToken::new(), &trace)
                .await
        })
    };
    let mut early = None;
    while !run.is_finished() {
        if let Some(arriving) = trace.arriving().filter(|r| !r.is_empty()) {
            early = Some((arriving.snapshot(), arriving.page(0, 5).expect("paged")));
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (snapshot, first) = early.expect("rows were readable before the run ended");
    assert!(
        !snapshot.complete && snapshot.rows < 4_000,
        "a part of the result: {snapshot:?}"
    );
    let outcome = run.await.expect("the task").expect("the run");
    assert_eq!(outcome.result.len(), 4_000);
    assert_eq!(
        outcome.result.folder(),
        trace.arriving().expect("published").folder(),
        "the rows shown early are the finished result's"
    );
    assert_eq!(first, outcome.result.page(0, 5).expect("paged"));
}
