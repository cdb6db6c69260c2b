use std::time::Duration;

use warden_demo_lake::describe;
use warden_engine::{CancellationToken, Engine, EngineError, QueryOutcome, Value};
use warden_engine_datafusion::{DataFusionEngine, OpenError};
use warden_guardrails::{lint, LintContext};

mod support;

use support::{approve, approve_in, lake, policy, results};

fn engine() -> DataFusionEngine {
    DataFusionEngine::open(&lake().0, &describe(), &results()).expect("engine opens")
}

async fn run(engine: &DataFusionEngine, sql: &str) -> Result<QueryOutcome, EngineError> {
    engine.execute(approve(sql), CancellationToken::new()).await
}

async fn ok(engine: &DataFusionEngine, sql: &str) -> QueryOutcome {
    run(engine, sql)
        .await
        .unwrap_or_else(|e| panic!("{sql} failed: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_by_country() {
    let engine = engine();
    let out = ok(
        &engine,
        "SELECT country, count(*) AS customers FROM sales.customers GROUP BY 1 ORDER BY 2 DESC",
    )
    .await;
    let names: Vec<(&str, &str)> = out
        .result
        .columns()
        .iter()
        .map(|c| (c.name.as_str(), c.data_type.as_str()))
        .collect();
    assert_eq!(names, vec![("country", "varchar"), ("customers", "bigint")]);
    assert!(out.result.len() >= 10, "{} countries", out.result.len());
    let total: i64 = out
        .result
        .all_rows()
        .expect("rows")
        .iter()
        .map(|r| match r[1] {
            Value::Int(n) => n,
            ref other => panic!("count is {other:?}"),
        })
        .sum();
    assert_eq!(total, 5_000);
    assert_eq!(
        out.result.all_rows().expect("rows")[0][0],
        Value::Text("US".into()),
        "the most common country"
    );
    assert!(out.bytes_scanned > 0);
    assert_eq!(engine.name(), "datafusion");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_brief_query_without_alias_returns_rows() {
    let out = ok(
        &engine(),
        "SELECT country, count(*) FROM sales.customers GROUP BY 1",
    )
    .await;
    assert!(!out.result.is_empty());
    assert_eq!(out.result.columns().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_filter_scans_far_fewer_bytes() {
    let engine = engine();
    let full = ok(&engine, "SELECT count(*), sum(amount) FROM sales.orders").await;
    let day = ok(
        &engine,
        "SELECT count(*), sum(amount) FROM sales.orders WHERE dt = '2025-09-10'",
    )
    .await;
    let per_day = ok(
        &engine,
        "SELECT dt, count(*) FROM sales.orders GROUP BY dt ORDER BY dt",
    )
    .await;

    let orders = lake()
        .1
        .table("sales", "orders")
        .expect("orders in summary");
    assert_eq!(
        full.result.all_rows().expect("rows")[0][0],
        Value::Int(orders.rows as i64)
    );
    assert_eq!(per_day.result.len(), 60);
    let day_row = per_day
        .result
        .all_rows()
        .expect("rows")
        .into_iter()
        .find(|r| r[0] == Value::Text("2025-09-10".into()))
        .expect("that day");
    assert_eq!(day.result.all_rows().expect("rows")[0][0], day_row[1]);

    assert!(day.bytes_scanned > 0, "the one partition is read");
    assert!(
        full.bytes_scanned <= orders.bytes,
        "{} scanned of {} on disk",
        full.bytes_scanned,
        orders.bytes
    );
    assert!(
        day.bytes_scanned * 30 < full.bytes_scanned,
        "one day scanned {} bytes, all 60 days {}",
        day.bytes_scanned,
        full.bytes_scanned
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_keep_their_types() {
    let engine = engine();
    let out = ok(
        &engine,
        "SELECT order_id, order_ts, amount, status, dt FROM sales.orders WHERE dt = '2025-09-01' ORDER BY order_id LIMIT 3",
    )
    .await;
    let types: Vec<&str> = out
        .result
        .columns()
        .iter()
        .map(|c| c.data_type.as_str())
        .collect();
    assert_eq!(
        types,
        vec!["bigint", "timestamp", "double", "varchar", "varchar"]
    );
    assert_eq!(out.result.len(), 3);
    let row = &out.result.all_rows().expect("rows")[0];
    assert_eq!(row[0], Value::Int(1));
    assert!(
        matches!(&row[1], Value::Text(t) if t.starts_with("2025-09-01T") && t.len() >= 19),
        "{:?}",
        row[1]
    );
    assert!(matches!(row[2], Value::Float(a) if a > 0.0), "{:?}", row[2]);
    assert_eq!(row[4], Value::Text("2025-09-01".into()));

    let dates = ok(
        &engine,
        "SELECT min(signup_date), max(signup_date) FROM sales.customers",
    )
    .await;
    assert_eq!(dates.result.columns()[0].data_type, "date");
    assert!(
        matches!(&dates.result.all_rows().expect("rows")[0][1], Value::Text(t) if t.as_str() < "2025-09-01" && t.len() == 10),
        "{:?}",
        dates.result.all_rows().expect("rows")[0]
    );

    let nulls = ok(
        &engine,
        "SELECT user_id FROM web.events WHERE dt = '2025-09-02' AND user_id IS NULL LIMIT 1",
    )
    .await;
    assert_eq!(
        nulls.result.all_rows().expect("rows"),
        vec![vec![Value::Null]]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unqualified_names_resolve_in_the_default_database() {
    let engine = engine();
    let out = engine
        .execute(
            approve_in("SELECT count(*) FROM customers", Some("sales")),
            CancellationToken::new(),
        )
        .await
        .expect("runs in sales");
    assert_eq!(
        out.result.all_rows().expect("rows"),
        vec![vec![Value::Int(5_000)]]
    );
    let web = engine
        .execute(
            approve_in(
                "SELECT count(*) FROM events WHERE dt = '2025-09-01'",
                Some("web"),
            ),
            CancellationToken::new(),
        )
        .await
        .expect("runs in web");
    assert!(matches!(web.result.all_rows().expect("rows")[0][0], Value::Int(n) if n > 1_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_token_stops_the_query() {
    let engine = engine();
    let token = CancellationToken::new();
    token.cancel();
    let err = engine
        .execute(approve("SELECT count(*) FROM sales.customers"), token)
        .await
        .expect_err("cancelled");
    assert!(matches!(err, EngineError::Cancelled), "{err}");

    // Six billion joined rows: this would run for a very long time if cancellation did not stop it.
    let token = CancellationToken::new();
    let canceller = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        canceller.cancel();
    });
    let sql = "SELECT count(*) FROM web.events a CROSS JOIN sales.orders b WHERE a.user_id + b.customer_id > 0";
    let outcome =
        tokio::time::timeout(Duration::from_secs(60), engine.execute(approve(sql), token))
            .await
            .expect("the cancelled query returned instead of running on");
    assert!(
        matches!(outcome, Err(EngineError::Cancelled)),
        "{outcome:?}"
    );

    // The engine stays usable afterwards.
    let after = ok(&engine, "SELECT count(*) FROM sales.customers").await;
    assert_eq!(
        after.result.all_rows().expect("rows"),
        vec![vec![Value::Int(5_000)]]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_stream_into_a_folder_of_their_own_that_goes_with_the_result() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = DataFusionEngine::open(&lake().0, &describe(), dir.path()).expect("engine opens");
    let orders = lake()
        .1
        .table("sales", "orders")
        .expect("orders in summary")
        .rows;
    let out = ok(&engine, "SELECT order_id, amount FROM sales.orders").await;
    assert_eq!(out.result.len(), orders);
    assert!(out.result.snapshot().complete);
    let folder = out.result.folder().to_path_buf();
    assert_eq!(folder.parent(), Some(dir.path()));
    let chunks = std::fs::read_dir(&folder)
        .expect("the folder")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "arrow"))
        .count();
    assert!(
        chunks > 1,
        "{chunks} chunk files: the rows went to disk in chunks"
    );
    assert_eq!(out.result.page(orders - 1, 10).expect("last page").len(), 1);
    drop(out);
    assert!(!folder.exists(), "the folder goes with the last reader");

    // Cancelled while rows stream out: what was written goes with the aborted run.
    let token = CancellationToken::new();
    let canceller = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        canceller.cancel();
    });
    let sql = "SELECT a.user_id, b.order_id FROM web.events a CROSS JOIN sales.orders b";
    let outcome =
        tokio::time::timeout(Duration::from_secs(60), engine.execute(approve(sql), token))
            .await
            .expect("the cancelled query returned instead of running on");
    assert!(
        matches!(outcome, Err(EngineError::Cancelled)),
        "{outcome:?}"
    );
    // The aborted task is dropped by its runtime soon after, and its folder with it.
    let empty = || std::fs::read_dir(dir.path()).expect("dir").next().is_none();
    for _ in 0..200 {
        if empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(empty(), "no folder outlives a cancelled run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_statements_are_refused() {
    let err = run(&engine(), "SELECT 1; SELECT count(*) FROM sales.customers")
        .await
        .expect_err("two statements");
    assert!(matches!(err, EngineError::MultipleStatements(2)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_that_write_are_refused() {
    let engine = engine();
    let mut tried = 0;
    for sql in [
        "INSERT INTO sales.customers SELECT * FROM sales.customers",
        "DROP TABLE sales.customers",
        "CREATE TABLE sales.copy AS SELECT * FROM sales.customers",
        "DELETE FROM sales.customers WHERE customer_id = 1",
        "SELECT * INTO sales.copy FROM sales.customers",
        "EXPLAIN ANALYZE INSERT INTO sales.customers SELECT * FROM sales.customers",
    ] {
        // Statements the guardrails themselves refuse never reach an engine; the rest must
        // be stopped by the engine.
        let report = lint(&policy(), sql, &LintContext::default());
        let Ok(approved) = report.approve() else {
            continue;
        };
        tried += 1;
        let err = engine
            .execute(approved, CancellationToken::new())
            .await
            .expect_err(sql);
        match err {
            EngineError::Query(message) => {
                assert!(message.contains("only reads data"), "{sql}: {message}")
            }
            other => panic!("{sql}: {other}"),
        }
    }
    assert!(
        tried >= 4,
        "only {tried} write statements reached the engine"
    );
    // None of them changed anything.
    let count = ok(&engine, "SELECT count(*) FROM sales.customers").await;
    assert_eq!(
        count.result.all_rows().expect("rows"),
        vec![vec![Value::Int(5_000)]]
    );
    let catalog = engine.catalog().await.expect("catalog");
    assert_eq!(catalog.databases[0].tables.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_write_check_does_not_rely_on_the_guardrails() {
    // Without rules the guardrails approve a write; the engine must still refuse it.
    let approved = approve("DROP TABLE sales.orders");
    let err = engine()
        .execute(approved, CancellationToken::new())
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, EngineError::Query(m) if m.ends_with("DROP TABLE statement")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_is_a_read() {
    let out = ok(
        &engine(),
        "EXPLAIN SELECT count(*) FROM sales.orders WHERE dt = '2025-09-10'",
    )
    .await;
    assert!(!out.result.is_empty());
    assert!(
        out.result
            .all_rows()
            .expect("rows")
            .iter()
            .flatten()
            .any(|v| v.display().contains("orders")),
        "{:?}",
        out.result.all_rows().expect("rows")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_lists_databases_tables_columns_and_partition_keys() {
    let catalog = engine().catalog().await.expect("catalog");
    let tables: Vec<String> = catalog
        .databases
        .iter()
        .flat_map(|d| {
            d.tables
                .iter()
                .map(move |t| format!("{}.{}", d.name, t.name))
        })
        .collect();
    assert_eq!(
        tables,
        vec!["sales.customers", "sales.orders", "web.events"]
    );
    for spec in describe() {
        let table = catalog
            .databases
            .iter()
            .find(|d| d.name == spec.database)
            .and_then(|d| d.tables.iter().find(|t| t.name == spec.name))
            .expect("table listed");
        let got: Vec<(&str, &str, bool)> = table
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.data_type.as_str(), c.partition_key))
            .collect();
        let want: Vec<(&str, &str, bool)> = spec
            .columns
            .iter()
            .map(|c| (c.name, c.data_type.athena_name(), c.partition_key))
            .collect();
        assert_eq!(got, want, "{}", spec.qualified_name());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_errors_are_plain_sentences() {
    let err = run(&engine(), "SELECT CAST('not a number' AS BIGINT)")
        .await
        .expect_err("cast fails");
    let EngineError::Query(message) = err else {
        panic!("{err}")
    };
    assert!(message.contains("not a number"), "{message}");
    for debug_marker in ["DataFusionError", "ArrowError(", "backtrace", "Some("] {
        assert!(!message.contains(debug_marker), "{message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_results_are_stopped() {
    let engine = engine().with_max_rows(100);
    let err = run(&engine, "SELECT customer_id FROM sales.customers")
        .await
        .expect_err("too many rows");
    assert!(
        matches!(&err, EngineError::Query(m) if m.contains("more than 100 rows")),
        "{err}"
    );
    let fine = ok(&engine, "SELECT customer_id FROM sales.customers LIMIT 100").await;
    assert_eq!(fine.result.len(), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_execution_gets_its_own_uuid() {
    let engine = engine();
    let a = ok(&engine, "SELECT 1").await;
    let b = ok(&engine, "SELECT 1").await;
    assert_ne!(a.query_id, b.query_id);
    for id in [&a.query_id, &b.query_id] {
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    }
    assert_eq!(
        a.result.all_rows().expect("rows"),
        vec![vec![Value::Int(1)]]
    );
}

#[test]
fn opening_a_missing_lake_or_table_says_what_to_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let err = DataFusionEngine::open(&dir.path().join("nowhere"), &describe(), &results())
        .expect_err("no folder");
    assert!(matches!(err, OpenError::LakeRoot { .. }), "{err}");

    let err = DataFusionEngine::open(dir.path(), &describe(), &results()).expect_err("no tables");
    assert!(
        matches!(&err, OpenError::MissingTable { table, .. } if table == "sales.customers"),
        "{err}"
    );
    assert!(err.to_string().contains("generate the demo lake"), "{err}");
}

/// A text with `?` parameters runs with the values checked with it, in order, each read as the
/// literal it is (a string, a number, a typed date).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_are_bound_in_order() {
    let engine = engine();
    let sql = "SELECT country, count(*) AS n FROM sales.customers WHERE country = ? AND customer_id > ? AND signup_date >= ? GROUP BY country";
    let template = lint(&policy(), sql, &LintContext::default());
    assert_eq!(template.placeholders().len(), 3);
    let values: Vec<String> = ["'US'", "10", "DATE '1970-01-01'"]
        .iter()
        .map(|v| v.to_string())
        .collect();
    let approved = template
        .approve_with_parameters(&values, &policy(), &LintContext::default())
        .expect("approved");
    assert_eq!(approved.parameters(), values.as_slice());
    let out = engine
        .execute(approved, CancellationToken::new())
        .await
        .expect("runs");
    assert_eq!(out.result.len(), 1);
    assert_eq!(
        out.result.all_rows().expect("rows")[0][0],
        Value::Text("US".into())
    );
    let Value::Int(us) = out.result.all_rows().expect("rows")[0][1] else {
        panic!("count is {:?}", out.result.all_rows().expect("rows")[0][1]);
    };
    // The same count as the query written with the literals.
    let written = ok(&engine, "SELECT count(*) FROM sales.customers WHERE country = 'US' AND customer_id > 10 AND signup_date >= DATE '1970-01-01'").await;
    assert_eq!(
        written.result.all_rows().expect("rows")[0][0],
        Value::Int(us)
    );
    assert!(us > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_result_is_published_to_the_trace_as_its_rows_arrive() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = DataFusionEngine::open(&lake().0, &describe(), dir.path()).expect("engine opens");
    let trace = warden_engine::RunTrace::new();
    let out = engine
        .execute_traced(
            approve("SELECT order_id FROM sales.orders"),
            CancellationToken::new(),
            &trace,
        )
        .await
        .expect("runs");
    let published = trace.arriving().expect("published");
    assert_eq!(published.folder(), out.result.folder());
    assert_eq!(published.len(), out.result.len());
}
