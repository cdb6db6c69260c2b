//! The engine as the app runs it: `warden-demo-engine serve` in a process of its own, driven
//! through `warden-demo-client`'s `DemoEngine` over its pipes.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use warden_demo_client::DemoEngine;
use warden_demo_lake::describe;
use warden_engine::{CancellationToken, Engine, EngineError, QueryOutcome};
use warden_engine_datafusion::DataFusionEngine;

use support::{approve, lake, results};

fn program() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_warden-demo-engine"))
}

fn demo() -> DemoEngine {
    DemoEngine::new(&program(), &lake().0, &results())
}

async fn run(engine: &dyn Engine, sql: &str) -> Result<QueryOutcome, EngineError> {
    engine.execute(approve(sql), CancellationToken::new()).await
}

/// The engine processes this test process started that are still running.
fn engines() -> Vec<u32> {
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": the name may hold spaces, so split after its ')'.
        let Some((head, tail)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut fields = tail.split_whitespace();
        let state = fields.next().unwrap_or("");
        let ppid = fields.next().unwrap_or("");
        if ppid == me && state != "Z" && head.contains("(warden-demo-en") {
            found.push(pid);
        }
    }
    found
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(10), "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// One test, in order: the checks count this process's engine processes, which tests running
// at the same time would change.
#[tokio::test(flavor = "multi_thread")]
async fn the_engine_process() {
    answers_as_the_engine_in_process().await;
    an_error_in_a_run_keeps_the_process_and_says_why().await;
    a_write_is_refused_by_the_process().await;
    a_cancelled_run_kills_its_process().await;
    a_waiting_process_that_died_is_replaced().await;
    the_process_gets_no_environment().await;
    a_lake_that_cannot_be_opened_is_said().await;
    an_engine_that_dies_says_what_it_said().await;
}

async fn answers_as_the_engine_in_process() {
    let local = DataFusionEngine::open(&lake().0, &describe(), &results()).expect("engine opens");
    let remote = demo();
    // The catalog comes from the tables' descriptions, without a process: it must be what the
    // engine's session resolves.
    assert_eq!(
        remote.catalog().await.expect("catalog"),
        local.catalog().await.expect("catalog")
    );
    assert!(engines().is_empty(), "the catalog started a process");
    // The bytes scanned are compared as they are, except where the scan is cut short: a top-N
    // over many files lets DataFusion skip row groups once it holds N rows (its TopK's dynamic
    // filter), and which files are read by then depends on the order its threads finish, in
    // one engine as in the other. There the bound is the whole scan of the same columns.
    let whole_orders = "SELECT amount, order_id FROM sales.orders";
    for (sql, cut_short) in [
        ("SELECT country, count(*) AS n FROM sales.customers GROUP BY country ORDER BY n DESC, country", false),
        ("SELECT order_id, dt, amount FROM sales.orders WHERE dt = '2025-01-15' ORDER BY order_id LIMIT 50", false),
        ("SELECT CAST(amount AS DECIMAL(12,2)) AS d, DATE '2024-02-29' AS day, TIMESTAMP '2024-01-01 10:00:00' AS at, NULL AS nothing, '' AS empty FROM sales.orders ORDER BY order_id LIMIT 3", true),
        ("SELECT * FROM sales.customers WHERE 1 = 0", false),
        ("SELECT count(*) AS n FROM web.events", false),
    ] {
        let want = run(&local, sql).await.expect(sql);
        let got = run(&remote, sql).await.expect(sql);
        assert_eq!(got.result.columns(), want.result.columns(), "{sql}");
        assert_eq!(
            got.result.all_rows().expect("rows"),
            want.result.all_rows().expect("rows"),
            "{sql}"
        );
        if cut_short {
            let whole = run(&local, whole_orders).await.expect(whole_orders);
            for bytes in [got.bytes_scanned, want.bytes_scanned] {
                assert!(
                    bytes > 0 && bytes <= whole.bytes_scanned,
                    "{sql}: {bytes} bytes, the whole scan {}",
                    whole.bytes_scanned
                );
            }
        } else {
            assert_eq!(got.bytes_scanned, want.bytes_scanned, "{sql}");
        }
    }
    // Every run went to the one process, kept between them.
    assert_eq!(engines().len(), 1, "{:?}", engines());
}

async fn an_error_in_a_run_keeps_the_process_and_says_why() {
    let engine = demo();
    run(&engine, "SELECT 1").await.expect("a first run");
    let before = engines();
    let err = run(
        &engine,
        "SELECT 1 / (customer_id - customer_id) FROM sales.customers",
    )
    .await
    .expect_err("division by zero");
    assert!(err.to_string().contains("Divide by zero"), "{err}");
    let after = run(&engine, "SELECT count(*) FROM sales.customers")
        .await
        .expect("the next run");
    assert_eq!(after.result.all_rows().expect("rows").len(), 1);
    assert_eq!(
        engines(),
        before,
        "the process that failed the run took the next"
    );
}

async fn a_write_is_refused_by_the_process() {
    // A policy without rules lets a write through; the engine itself must still refuse it.
    let err = run(
        &demo(),
        "INSERT INTO sales.customers SELECT * FROM sales.customers",
    )
    .await
    .expect_err("a write");
    assert!(err.to_string().contains("only reads"), "{err}");
}

async fn a_cancelled_run_kills_its_process() {
    let engine = demo();
    let token = CancellationToken::new();
    let canceller = token.clone();
    let sql = "SELECT count(*) FROM web.events a CROSS JOIN sales.orders b WHERE a.user_id + b.customer_id > 0";
    let running = tokio::spawn(async move { engine.execute(approve(sql), token).await });
    // Cancel once the run's process is busy.
    let start = Instant::now();
    while engines().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no engine started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let busy = engines();
    tokio::time::sleep(Duration::from_millis(200)).await;
    canceller.cancel();
    let outcome = tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the cancelled run returned")
        .expect("joined");
    assert!(
        matches!(outcome, Err(EngineError::Cancelled)),
        "{outcome:?}"
    );
    wait_until("the cancelled run's process ended", || {
        engines().iter().all(|p| !busy.contains(p))
    });
}

async fn a_waiting_process_that_died_is_replaced() {
    let engine = demo();
    run(&engine, "SELECT 1").await.expect("a first run");
    let waiting = engines();
    assert_eq!(waiting.len(), 1);
    let killed = std::process::Command::new("kill")
        .args(["-9", &waiting[0].to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    wait_until("the killed process ended", || engines().is_empty());
    let outcome = run(&engine, "SELECT count(*) AS n FROM sales.customers")
        .await
        .expect("a new process took the run");
    assert_eq!(outcome.result.all_rows().expect("rows").len(), 1);
}

async fn the_process_gets_no_environment() {
    // The app's environment may hold an analyst's credentials; the engine needs none of it.
    std::env::var("PATH").expect("this test runs with a PATH");
    let engine = demo();
    run(&engine, "SELECT 1").await.expect("a run");
    let pid = engines()[0];
    let environ = std::fs::read(format!("/proc/{pid}/environ")).expect("environ");
    assert!(
        environ.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&environ)
    );
}

async fn a_lake_that_cannot_be_opened_is_said() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = DemoEngine::new(&program(), &dir.path().join("nowhere"), &results());
    let err = run(&engine, "SELECT 1").await.expect_err("no lake");
    assert!(err.to_string().contains("nowhere"), "{err}");
}

async fn an_engine_that_dies_says_what_it_said() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = dir.path().join("warden-demo-engine");
    write_script(
        &fake,
        "#!/bin/sh\necho 'thread main panicked: out of luck' >&2\nexit 101\n",
    );
    let engine = DemoEngine::new(&fake, &lake().0, &results());
    let err = run(&engine, "SELECT 1").await.expect_err("it died");
    let text = err.to_string();
    assert!(text.contains("stopped unexpectedly"), "{text}");
    assert!(text.contains("out of luck"), "{text}");

    write_script(&fake, "#!/bin/sh\nread line\necho 'not json'\nsleep 5\n");
    let err = run(&engine, "SELECT 1").await.expect_err("garbled");
    assert!(err.to_string().contains("not json"), "{err}");
}

fn write_script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).expect("script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}
