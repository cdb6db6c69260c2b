//! The Athena engine against the stand-in (Athena's protocol, DataFusion over moto's S3 and
//! Glue) and moto.

mod common;

use std::time::Duration;

use common::*;
use warden_engine::{CancellationToken, Engine};
use warden_engine_athena::{AthenaError, ResultPath, RunEvent, RunState};
use warden_test_support::standin::QueryState;

fn all_rows(run: &warden_engine_athena::AthenaRun) -> Vec<Vec<warden_engine::Value>> {
    run.reader.page(0, usize::MAX).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_starts_polls_finishes_and_streams_its_rows_from_s3() {
    let lab = lab(25).await;
    // Each state lasts well over the engine's longest poll gap (200 ms in these tests), so a
    // loaded machine cannot poll past one: CI once missed RUNNING with 150 ms windows.
    lab.standin.knobs.set(|k| {
        k.queued = Duration::from_millis(600);
        k.running_at_least = Duration::from_millis(600);
    });
    let engine = lab.engine(lab.settings("primary"));
    let events = Events::default();
    let rec = events.clone();
    let run = engine
        .run(
            &approve(SELECT_ITEMS),
            "run-1",
            &CancellationToken::new(),
            &move |e| rec.record(&e),
        )
        .await
        .unwrap();
    assert_eq!(all_rows(&run), expected(25));
    assert_eq!(run.rows, 25);
    let names: Vec<_> = run
        .reader
        .columns()
        .iter()
        .map(|c| (c.name.as_str(), c.data_type.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("id", "bigint"),
            ("name", "varchar"),
            ("score", "double"),
            ("region", "varchar")
        ]
    );
    let ResultPath::S3 { location, resumed } = &run.path else {
        panic!("expected the S3 path, got {:?}", run.path)
    };
    assert_eq!(
        location,
        &format!(
            "s3://{RESULTS_BUCKET}/results/{}.csv",
            run.query_execution_id
        )
    );
    assert_eq!(*resumed, 0);
    assert!(run.statistics.bytes_scanned > 0, "{:?}", run.statistics);
    assert!(!run.statistics.reused);
    assert!(run.cost_usd > 0.0);
    assert_eq!(run.workgroup, "primary");
    let seen = events.list();
    assert_eq!(seen[0], "started");
    assert!(
        seen.contains(&"Queued".to_string()) && seen.contains(&"Running".to_string()),
        "{seen:?}"
    );
    assert!(
        seen.last().unwrap().starts_with("reading read from s3://"),
        "{seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_start_of_the_same_run_never_runs_the_query_twice() {
    let lab = lab(5).await;
    let engine = lab.engine(lab.settings("primary"));
    let q = approve(SELECT_ITEMS);
    let a = engine
        .run(&q, "same-run", &CancellationToken::new(), &|_| {})
        .await
        .unwrap();
    let b = engine
        .run(&q, "same-run", &CancellationToken::new(), &|_| {})
        .await
        .unwrap();
    assert_eq!(a.query_execution_id, b.query_execution_id);
    assert_eq!(lab.standin.executions_started(), 1);
    let c = engine
        .run(&q, "other-run", &CancellationToken::new(), &|_| {})
        .await
        .unwrap();
    assert_ne!(a.query_execution_id, c.query_execution_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_result_is_read_from_the_earlier_querys_location() {
    let lab = lab(12).await;
    let mut settings = lab.settings("primary");
    settings.reuse_max_age = Some(Duration::from_secs(3600));
    let engine = lab.engine(settings);
    let q = approve(SELECT_ITEMS);
    let first = engine
        .run(&q, "r1", &CancellationToken::new(), &|_| {})
        .await
        .unwrap();
    let second = engine
        .run(&q, "r2", &CancellationToken::new(), &|_| {})
        .await
        .unwrap();
    assert_ne!(first.query_execution_id, second.query_execution_id);
    assert!(second.statistics.reused);
    assert_eq!(second.statistics.bytes_scanned, 0);
    assert_eq!(second.cost_usd, 0.0);
    let ResultPath::S3 { location, .. } = &second.path else {
        panic!("{:?}", second.path)
    };
    assert!(location.contains(&first.query_execution_id), "{location}");
    assert_eq!(all_rows(&second), expected(12));
}

async fn cancel_when(
    state: RunState,
    knobs: impl FnOnce(&mut warden_test_support::standin::KnobValues),
) -> (Lab, String, QueryState) {
    let lab = lab(5).await;
    lab.standin.knobs.set(knobs);
    let engine = lab.engine(lab.settings("primary"));
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let id = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let seen_id = id.clone();
    let ended = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen_end = ended.clone();
    let err = engine
        .run(
            &approve(SELECT_ITEMS),
            "cancel-me",
            &cancel,
            &move |e| match e {
                RunEvent::Started { query_execution_id } => {
                    *seen_id.lock().unwrap() = query_execution_id
                }
                RunEvent::State(s) if s == state => trigger.cancel(),
                RunEvent::Ended { statistics, .. } => *seen_end.lock().unwrap() = Some(statistics),
                _ => {}
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AthenaError::Cancelled), "{err}");
    // The statistics Athena gave once the stop was confirmed (the stand-in scanned nothing yet).
    let ended = ended.lock().unwrap().clone();
    assert_eq!(ended.map(|s| s.bytes_scanned), Some(0));
    let id = id.lock().unwrap().clone();
    let now = lab.standin.state_of(&id).unwrap();
    (lab, id, now)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_while_queued_stops_the_query_on_athena() {
    let (lab, id, now) =
        cancel_when(RunState::Queued, |k| k.queued = Duration::from_secs(20)).await;
    assert_eq!(now, QueryState::Cancelled);
    let stops = lab.standin.stops_seen();
    assert_eq!(stops.len(), 1);
    assert_eq!(
        (stops[0].query_execution_id.as_str(), stops[0].state),
        (id.as_str(), QueryState::Queued)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_while_running_stops_the_query_on_athena() {
    let (lab, id, now) = cancel_when(RunState::Running, |k| {
        k.running_at_least = Duration::from_secs(20)
    })
    .await;
    assert_eq!(now, QueryState::Cancelled);
    let stops = lab.standin.stops_seen();
    assert_eq!(stops.len(), 1);
    assert_eq!(
        (stops[0].query_execution_id.as_str(), stops[0].state),
        (id.as_str(), QueryState::Running)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_server_errors_are_retried() {
    let lab = lab(5).await;
    lab.standin.knobs.set(|k| {
        k.throttle_next = 3;
    });
    let engine = lab.engine(lab.settings("primary"));
    let run = engine
        .run(
            &approve(SELECT_ITEMS),
            "t1",
            &CancellationToken::new(),
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!(all_rows(&run), expected(5));
    lab.standin.knobs.set(|k| k.fail_calls_next = 2);
    let run = engine
        .run(
            &approve(SELECT_ITEMS),
            "t2",
            &CancellationToken::new(),
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!(run.rows, 5);
    let left = lab.standin.knobs.get();
    assert_eq!(
        (left.throttle_next, left.fail_calls_next),
        (0, 0),
        "every injected error was met"
    );
    assert_eq!(
        lab.standin.executions_started(),
        2,
        "a retried start ran once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_query_says_what_athena_said_with_its_category() {
    let lab = lab(5).await;
    lab.standin.knobs.set(|k| k.fail_queries_next = 1);
    let engine = lab.engine(lab.settings("primary"));
    let err = engine
        .run(
            &approve(SELECT_ITEMS),
            "f1",
            &CancellationToken::new(),
            &|_| {},
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Athena could not run the query (an error inside Athena; trying again may work): INTERNAL_ERROR_QUERY_ENGINE: the stand-in was told to fail this query"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_s3_read_falls_back_to_paging_with_the_same_rows() {
    // 2,500 rows: three pages of GetQueryResults, the first with the header row.
    let lab = lab(2_500).await;
    let engine = lab.engine(lab.settings("primary"));
    let fast = engine
        .run(
            &approve(SELECT_ITEMS),
            "s3",
            &CancellationToken::new(),
            &|_| {},
        )
        .await
        .unwrap();
    assert!(
        matches!(fast.path, ResultPath::S3 { .. }),
        "{:?}",
        fast.path
    );
    lab.standin.knobs.set(|k| k.refuse_s3_reads = true);
    let slow = engine
        .run(
            &approve(SELECT_ITEMS),
            "paged",
            &CancellationToken::new(),
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!(
        slow.path,
        ResultPath::Paging {
            reason: "S3 refused to read the result object (s3:GetObject)".into()
        }
    );
    assert_eq!(
        slow.path.to_string(),
        "paged through GetQueryResults (S3 refused to read the result object (s3:GetObject))"
    );
    let rows = all_rows(&slow);
    assert_eq!(rows.len(), 2_500);
    assert_eq!(rows, all_rows(&fast));
    assert_eq!(rows, expected(2_500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_dropped_halfway_resumes_with_a_range_request() {
    let lab = lab(3_000).await;
    let engine = lab.engine(lab.settings("primary"));
    lab.standin
        .knobs
        .set(|k| k.drop_next_read_after = Some(20_000));
    let run = engine
        .run(
            &approve(SELECT_ITEMS),
            "drop",
            &CancellationToken::new(),
            &|_| {},
        )
        .await
        .unwrap();
    let ResultPath::S3 { resumed, .. } = run.path else {
        panic!("{:?}", run.path)
    };
    assert_eq!(resumed, 1);
    assert!(
        lab.standin.knobs.get().drop_next_read_after.is_none(),
        "the drop happened"
    );
    assert_eq!(all_rows(&run), expected(3_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workgroup_scan_cutoff_cancels_the_query_and_says_why() {
    let lab = lab(5).await;
    let engine = lab.engine(lab.settings("capped"));
    let events = Events::default();
    let seen = events.clone();
    let err = engine
        .run(
            &approve(SELECT_ITEMS),
            "cap",
            &CancellationToken::new(),
            &move |e| seen.record(&e),
        )
        .await
        .unwrap_err();
    let AthenaError::CancelledByAthena(reason) = &err else {
        panic!("{err}")
    };
    assert!(
        reason.contains("Bytes scanned limit was exceeded"),
        "{reason}"
    );
    assert!(err.to_string().starts_with("Athena cancelled the query: "));
    // What it scanned before the cutoff is billed, so the run says how much that was.
    let scanned: u64 = events
        .list()
        .last()
        .and_then(|e| e.strip_prefix("ended "))
        .unwrap_or_else(|| panic!("no end statistics in {:?}", events.list()))
        .parse()
        .unwrap();
    assert!(
        reason.contains(&format!("({scanned} bytes scanned")),
        "{scanned} against {reason}"
    );
    assert!(scanned > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_query_id_is_named() {
    let lab = lab(1).await;
    let engine = lab.engine(lab.settings("primary"));
    let err = engine.stop("no-such-query").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Athena does not know query no-such-query; it may have been run in another region or account, or be older than 45 days"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_comes_from_glue_with_partition_keys_last() {
    let lab = lab(1).await;
    let engine = lab.engine(lab.settings("primary"));
    let snapshot = engine.catalog().await.unwrap();
    assert_eq!(snapshot.databases.len(), 1);
    let t = &snapshot.databases[0];
    assert_eq!(t.name, "t");
    let cols: Vec<_> = t.tables[0]
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.data_type.as_str(), c.partition_key))
        .collect();
    assert_eq!(
        cols,
        [
            ("id", "bigint", false),
            ("name", "string", false),
            ("score", "double", false),
            ("region", "string", true)
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_trait_runs_through_the_same_path() {
    let lab = lab(7).await;
    let engine = lab.engine(lab.settings("primary"));
    let outcome = engine
        .execute(approve(SELECT_ITEMS), CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(outcome.result.all_rows().expect("rows"), expected(7));
    assert!(outcome.bytes_scanned > 0);
    assert_eq!(engine.name(), "athena");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_lake_loaded_into_s3_and_glue_answers_queries() {
    use warden_test_support::standin::{ensure_bucket, glue_client, load_demo_lake, s3_client};
    let lab = lab(1).await;
    let s3 = s3_client(&lab.moto.endpoint);
    let glue = glue_client(&lab.moto.endpoint);
    ensure_bucket(&s3, "demo-lake").await.unwrap();
    let local = tempfile::tempdir().unwrap();
    load_demo_lake(&s3, &glue, "demo-lake", local.path(), 7)
        .await
        .unwrap();
    lab.standin.reload_lake();
    let engine = lab.engine(lab.settings("primary"));
    let snapshot = engine.catalog().await.unwrap();
    let dbs: Vec<_> = snapshot.databases.iter().map(|d| d.name.as_str()).collect();
    assert!(dbs.contains(&"sales") && dbs.contains(&"t"), "{dbs:?}");
    let policy_yaml = {
        let mut yaml =
            String::from("format: warden-policy/1\nname: demo\ncatalog:\n  databases:\n");
        for db in &snapshot.databases {
            yaml.push_str(&format!("    {}:\n      tables:\n", db.name));
            for t in &db.tables {
                yaml.push_str(&format!("        {}:\n          columns:\n", t.name));
                for c in &t.columns {
                    let ty = if c.data_type == "string" {
                        "varchar"
                    } else {
                        &c.data_type
                    };
                    yaml.push_str(&format!("            {}: {ty}\n", c.name));
                }
            }
        }
        yaml
    };
    let policy = warden_guardrails::Policy::from_yaml(&policy_yaml).unwrap();
    let sql = "SELECT count(*) AS n FROM sales.customers";
    let approved = warden_guardrails::lint(&policy, sql, &Default::default())
        .approve()
        .unwrap();
    let run = engine
        .run(&approved, "demo", &CancellationToken::new(), &|_| {})
        .await
        .unwrap();
    let rows = run.reader.page(0, 10).unwrap();
    assert_eq!(rows.len(), 1);
    assert!(
        matches!(rows[0][0], warden_engine::Value::Int(n) if n > 0),
        "{rows:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_catalog_is_drafted_from_glue_with_sizes_partitions_and_kept_tags() {
    use warden_engine_athena::policy_catalog::{draft, read_tables};
    use warden_engine_athena::AthenaClients;
    use warden_test_support::standin::local_sdk_config;
    let lab = lab(40).await;
    let clients = AthenaClients::new(&local_sdk_config(&lab.moto.endpoint));
    let tables = read_tables(&clients, &["t".to_string()]).await.unwrap();
    assert_eq!(tables.len(), 1);
    let t = &tables[0];
    assert_eq!(t.partition_keys, ["region"]);
    assert_eq!(t.partitions, Some(2));
    assert!(t.size_bytes.unwrap() > 1000, "{t:?}");
    let existing = warden_guardrails::Policy::from_yaml(
        "format: warden-policy/1\nname: p\ncatalog:\n  databases:\n    t:\n      tables:\n        items:\n          columns:\n            id: bigint\n            name: { type: varchar, tags: [pii] }\n",
    )
    .unwrap();
    let d = draft(tables, Some(existing.catalog()));
    assert_eq!(d.new_columns, ["t.items.score", "t.items.region"]);
    let policy = warden_guardrails::Policy::from_yaml(&format!(
        "format: warden-policy/1\nname: p\n{}",
        d.yaml
    ))
    .unwrap();
    let items = policy.catalog().table("t", "items").unwrap();
    assert!(items.column("name").unwrap().tags.contains("pii"));
    assert_eq!(items.column("score").unwrap().data_type, "double");
    assert_eq!(items.partitions, Some(2));
}

/// The values checked with a text go to Athena as its ExecutionParameters, in order, beside the
/// text as written: the stand-in puts them in place as Athena does, and the rows are those of
/// the values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_go_to_athena_as_execution_parameters() {
    let lab = lab(20).await;
    let engine = lab.engine(lab.settings("primary"));
    let sql = "SELECT id, name, score, region FROM t.items WHERE region = ? AND id > ? ORDER BY id";
    let values = vec!["'eu'".to_string(), "4".to_string()];
    let approved = warden_guardrails::lint(&policy(), sql, &Default::default())
        .approve_with_parameters(&values, &policy(), &Default::default())
        .expect("approved");
    let run = engine
        .run(&approved, "params-1", &CancellationToken::new(), &|_| {})
        .await
        .unwrap();
    let want: Vec<_> = expected(20)
        .into_iter()
        .filter(|r| {
            matches!(r[0], warden_engine::Value::Int(id) if id > 4)
                && r[3] == warden_engine::Value::Text("eu".into())
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(all_rows(&run), want);
    // What Athena was sent: the text as written and the values beside it.
    let athena = aws_sdk_athena::Client::new(&warden_test_support::standin::local_sdk_config(
        &lab.standin.endpoint,
    ));
    let seen = athena
        .get_query_execution()
        .query_execution_id(&run.query_execution_id)
        .send()
        .await
        .unwrap();
    let execution = seen.query_execution().expect("execution");
    assert_eq!(execution.query(), Some(sql));
    assert_eq!(execution.execution_parameters(), values.as_slice());

    // The other values, the other rows.
    let us = vec!["'us'".to_string(), "0".to_string()];
    let approved = warden_guardrails::lint(&policy(), sql, &Default::default())
        .approve_with_parameters(&us, &policy(), &Default::default())
        .expect("approved");
    let run = engine
        .run(&approved, "params-2", &CancellationToken::new(), &|_| {})
        .await
        .unwrap();
    assert!(all_rows(&run)
        .iter()
        .all(|r| r[3] == warden_engine::Value::Text("us".into())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_goes_to_the_workgroup_its_trace_pins_not_one_picked_since() {
    let lab = lab(5).await;
    let engine = lab.engine(lab.settings("primary"));
    // The gate read "primary" and recorded it; then the user picked "capped" (whose scan
    // cutoff cancels this query), before the run reached Athena.
    let trace = warden_engine::RunTrace::new();
    trace.pin_workgroup(Some("primary".into()));
    engine.pick_workgroup("capped");
    let outcome = engine
        .execute_traced(approve(SELECT_ITEMS), CancellationToken::new(), &trace)
        .await
        .expect("ran in the pinned workgroup, under no cutoff");
    assert_eq!(outcome.result.len(), 5);
    // A run nobody pinned goes where the pick says.
    let err = engine
        .execute(approve(SELECT_ITEMS), CancellationToken::new())
        .await
        .expect_err("the picked workgroup's cutoff");
    assert!(err.to_string().contains("limit"), "{err}");
}
