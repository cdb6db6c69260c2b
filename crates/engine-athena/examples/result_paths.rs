//! Benchmark of the two ways a result comes back: streaming the CSV object from S3 against
//! paging `GetQueryResults`, for 1,000,000 rows x 10 columns through the Athena stand-in with
//! 50 ms added to every request (Athena calls and S3 reads alike).
//!
//!     cargo run -p warden-engine-athena --example result_paths [-- ROWS LATENCY_MS]
//!
//! The driver starts moto_server, loads the table `bench.wide` into its S3 and Glue, starts the
//! stand-in, then runs each path in a child process of its own (this example with `client`),
//! so each path's peak RSS is its own. Figures: docs/performance.md.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use warden_engine::CancellationToken;
use warden_engine_athena::{AthenaClients, AthenaEngine, AthenaSettings, RunEvent};
use warden_guardrails::{lint, LintContext, Policy};
use warden_test_support::standin::{
    ensure_bucket, glue_client, local_sdk_config, s3_client, upload_table, AthenaStandIn,
    StandInConfig, TableUpload,
};
use warden_test_support::Moto;

const COLUMNS: usize = 10;

fn column_name(i: usize) -> String {
    format!("c{i}")
}

/// Glue type of column `i`: a mix of integers, doubles and short text.
fn column_type(i: usize) -> &'static str {
    match i % 3 {
        0 => "bigint",
        1 => "double",
        _ => "string",
    }
}

fn write_table(dir: &std::path::Path, rows: usize) {
    let fields: Vec<Field> = (0..COLUMNS)
        .map(|i| {
            let t = match column_type(i) {
                "bigint" => DataType::Int64,
                "double" => DataType::Float64,
                _ => DataType::Utf8,
            };
            Field::new(column_name(i), t, true)
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let file = std::fs::File::create(dir.join("part-0.parquet")).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema.clone(), None).unwrap();
    let batch_rows = 100_000;
    let mut start = 0;
    while start < rows {
        let n = batch_rows.min(rows - start);
        let arrays: Vec<ArrayRef> = (0..COLUMNS)
            .map(|i| -> ArrayRef {
                let ids = (start..start + n).map(|r| (r * (i + 1)) as i64);
                match column_type(i) {
                    "bigint" => Arc::new(Int64Array::from_iter_values(ids)),
                    "double" => {
                        Arc::new(Float64Array::from_iter_values(ids.map(|v| v as f64 / 4.0)))
                    }
                    _ => Arc::new(StringArray::from_iter_values(
                        ids.map(|v| format!("text-{v}")),
                    )),
                }
            })
            .collect();
        writer
            .write(&RecordBatch::try_new(schema.clone(), arrays).unwrap())
            .unwrap();
        start += n;
    }
    writer.close().unwrap();
}

fn policy() -> Policy {
    let mut yaml = String::from(
        "format: warden-policy/1\nname: bench\ncatalog:\n  databases:\n    bench:\n      tables:\n        wide:\n          columns:\n",
    );
    for i in 0..COLUMNS {
        let t = if column_type(i) == "string" {
            "varchar"
        } else {
            column_type(i)
        };
        yaml.push_str(&format!("            {}: {t}\n", column_name(i)));
    }
    Policy::from_yaml(&yaml).unwrap()
}

/// Peak and current resident memory of this process, in KiB (Linux).
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn client(args: &[String]) {
    let [athena, s3, glue, cache] = [&args[0], &args[1], &args[2], &args[3]];
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut clients = AthenaClients::with_s3_endpoint(&local_sdk_config(athena), Some(s3));
        clients.glue = AthenaClients::new(&local_sdk_config(glue)).glue;
        let mut settings = AthenaSettings::new("primary", cache.into());
        settings.poll_max = Duration::from_millis(500);
        let engine = AthenaEngine::new(clients, settings);
        let approved = lint(
            &policy(),
            "SELECT * FROM bench.wide",
            &LintContext::default(),
        )
        .approve()
        .unwrap();
        let (baseline, _) = rss_kib();
        let succeeded = Arc::new(std::sync::Mutex::new(
            None::<(Instant, warden_results::ResultReader)>,
        ));
        let seen = succeeded.clone();
        let run_at = Instant::now();
        let watcher = {
            let seen = seen.clone();
            std::thread::spawn(move || loop {
                let got = seen.lock().unwrap().clone();
                if let Some((at, reader)) = got {
                    reader.wait_for(100, Duration::from_secs(600));
                    let first = at.elapsed();
                    // The grid's first page is readable now.
                    assert_eq!(reader.page(0, 100).unwrap().len(), 100);
                    return first;
                }
                std::thread::sleep(Duration::from_millis(1));
            })
        };
        let run = engine
            .run(
                &approved,
                &format!("bench-{}", std::process::id()),
                &CancellationToken::new(),
                &move |e| {
                    if let RunEvent::Reading { reader, .. } = e {
                        let mut slot = seen.lock().unwrap();
                        if slot.is_none() {
                            *slot = Some((Instant::now(), reader));
                        }
                    }
                },
            )
            .await
            .unwrap();
        let (at, _) = succeeded.lock().unwrap().clone().unwrap();
        let last = at.elapsed();
        let first = watcher.join().unwrap();
        let (peak, _) = rss_kib();
        println!(
            "{}",
            serde_json::json!({
                "path": run.path.to_string(),
                "rows": run.rows,
                "query_ms": (at - run_at).as_millis() as u64,
                "first_page_ms": first.as_millis() as u64,
                "last_row_ms": last.as_millis() as u64,
                "rss_baseline_mib": baseline / 1024,
                "rss_peak_mib": peak / 1024,
                "rss_growth_mib": peak.saturating_sub(baseline) / 1024,
            })
        );
    });
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("client") {
        return client(&args[1..]);
    }
    let rows: usize = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let latency: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(50);
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    let table_dir = work.path().join("wide");
    std::fs::create_dir_all(&table_dir).unwrap();
    write_table(&table_dir, rows);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let s3 = s3_client(&moto.endpoint);
        let glue = glue_client(&moto.endpoint);
        ensure_bucket(&s3, "bench-lake").await.unwrap();
        ensure_bucket(&s3, "bench-results").await.unwrap();
        let columns = (0..COLUMNS)
            .map(|i| (column_name(i), column_type(i).to_string()))
            .collect();
        let upload = TableUpload {
            database: "bench",
            table: "wide",
            local_dir: &table_dir,
            columns,
            partition_keys: vec![],
        };
        upload_table(&s3, &glue, "bench-lake", "", &upload)
            .await
            .unwrap();
    });
    let standin =
        AthenaStandIn::start(StandInConfig::new(&moto.endpoint, "bench-results")).unwrap();
    standin
        .knobs
        .set(|k| k.latency = Duration::from_millis(latency));
    eprintln!("{rows} rows x {COLUMNS} columns, {latency} ms added to every request");
    let me = std::env::current_exe().unwrap();
    for (label, refuse) in [("s3", false), ("paging", true)] {
        standin.knobs.set(|k| k.refuse_s3_reads = refuse);
        let cache = work.path().join(format!("cache-{label}"));
        let out = Command::new(&me)
            .args([
                "client",
                &standin.endpoint,
                &standin.s3_endpoint,
                &moto.endpoint,
            ])
            .arg(&cache)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        print!("{label}: {}", String::from_utf8_lossy(&out.stdout));
    }
}
