//! Durable appends per second (one at a time, batched, and a naive SQLite baseline) and sync
//! throughput of a 100,000-event backlog to the folder store and, when moto_server is installed,
//! to S3. Run: `cargo bench -p warden-audit --bench journal`. Figures: docs/performance.md.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use warden_audit::store::{FolderStore, S3Store};
use warden_audit::*;

fn event(i: u64) -> NewEvent {
    NewEvent::new(
        "bench",
        Payload::QueryFinished(QueryFinished {
            query: QueryContext {
                sql: SqlRecord::new(
                    &format!(
                        "SELECT region, sum(amount) FROM sales.orders WHERE id > {i} GROUP BY 1"
                    ),
                    SqlTextMode::Full,
                ),
                verdict: Verdict::Allow,
                rule_ids: vec!["partition.dt".into()],
                active_elevations: vec![],
                bundle_revision: Some(3),
                parameters: None,
                database: None,
            },
            engine: EngineRef {
                engine: "athena".into(),
                query_id: Some(format!("5f0c{i:08}")),
                workgroup: None,
            },
            rows: i,
            bytes_scanned: i * 4096,
            cost_micro_usd: None,
            duration_ms: 250,
        }),
    )
}

fn actor() -> Actor {
    Actor {
        os_user: "bench".into(),
        sso_identity: None,
    }
}

fn appends(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("append");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(8));

    let journal = Journal::open(dir.path().join("one.db"), actor()).unwrap();
    let mut i = 0;
    group.throughput(Throughput::Elements(1));
    group.bench_function("durable_one_at_a_time", |b| {
        b.iter(|| {
            i += 1;
            journal.append(event(i)).unwrap()
        })
    });

    let batched = Journal::open(dir.path().join("batched.db"), actor()).unwrap();
    group.throughput(Throughput::Elements(100));
    group.bench_function("durable_batched_100", |b| {
        b.iter_batched(
            || (0..100).map(event).collect::<Vec<_>>(),
            |events| batched.append_all(events).unwrap(),
            BatchSize::SmallInput,
        )
    });

    // The naive baseline: default journal mode (rollback journal, DELETE) and default
    // synchronous (FULL), one autocommit INSERT per event, no hash chain.
    let naive = rusqlite::Connection::open(dir.path().join("naive.db")).unwrap();
    naive
        .execute_batch("CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT, ts_ms INTEGER, kind TEXT, payload TEXT)")
        .unwrap();
    let payload = serde_json::json!({"sql": "SELECT region, sum(amount) FROM sales.orders GROUP BY 1", "rows": 1}).to_string();
    let mut n = 0i64;
    group.throughput(Throughput::Elements(1));
    group.bench_function("naive_autocommit_default_journal", |b| {
        b.iter(|| {
            n += 1;
            naive
                .execute(
                    "INSERT INTO events (seq, id, ts_ms, kind, payload) VALUES (?1, ?2, ?3, 'query_finished', ?4)",
                    rusqlite::params![n, uuid_like(n), n, payload],
                )
                .unwrap()
        })
    });
    group.finish();
}

fn uuid_like(n: i64) -> String {
    format!("00000000-0000-7000-8000-{n:012}")
}

const BACKLOG: u64 = 100_000;

fn backlog_journal(dir: &std::path::Path) -> Journal {
    let journal = Journal::open(dir.join("backlog.db"), actor()).unwrap();
    for chunk in 0..(BACKLOG / 10_000) {
        journal
            .append_all((chunk * 10_000..(chunk + 1) * 10_000).map(event).collect())
            .unwrap();
    }
    journal
}

/// Times syncs of the 100,000-event backlog, each run to a fresh store from `store_for(run)`
/// (the journal keeps sync state per store URL).
fn sync_backlog(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    name: &str,
    mut store_for: impl FnMut(u64) -> Box<dyn Store>,
) {
    let dir = tempfile::tempdir().unwrap();
    let journal = backlog_journal(dir.path());
    let mut group = c.benchmark_group("sync_100k");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(BACKLOG));
    let mut run = 0;
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                run += 1;
                let store = store_for(run);
                let start = Instant::now();
                let report = rt
                    .block_on(journal.sync(store.as_ref(), &SyncPolicy::default()))
                    .unwrap();
                total += start.elapsed();
                assert_eq!(report.events_synced, BACKLOG);
            }
            total
        })
    });
    group.finish();
}

fn sync_folder(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    sync_backlog(c, &rt, "folder_store", |run| {
        Box::new(FolderStore::new(root.join(format!("central-{run}"))))
    });
}

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sync_s3(c: &mut Criterion) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let Ok(child) = Command::new("moto_server")
        .args(["-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        eprintln!("SKIPPED sync_100k/moto_s3: moto_server is not installed");
        return;
    };
    let _moto = Moto(child);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(100));
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let endpoint = format!("http://127.0.0.1:{port}");
    let sdk = rt.block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "testing", "testing", None, None, "moto",
            ))
            .endpoint_url(&endpoint)
            .load(),
    );
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    rt.block_on(client.create_bucket().bucket("bench").send())
        .unwrap();
    sync_backlog(c, &rt, "moto_s3", |run| {
        Box::new(S3Store::new(&sdk, "bench", &format!("run-{run}/"), true))
    });
}

criterion_group!(benches, appends, sync_folder, sync_s3);
criterion_main!(benches);
