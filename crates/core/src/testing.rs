//! Test fixtures: a real signing key, real signed bundles published to a real folder store, and
//! a gate that fetches them, so that tests go through the same path as the app.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Duration;
use warden_elevation::Clock;
use warden_engine::Engine;
use warden_test_support::ManualClock;

use crate::audit::Audit;
use crate::bundles::{BundleSetup, Bundles};
use crate::policy_client::PolicyClient;
use crate::Gate;

pub(crate) struct Fixture {
    pub dir: tempfile::TempDir,
    /// The gate's clock: tests move it instead of sleeping.
    pub clock: Arc<ManualClock>,
    pub key: PathBuf,
    pub store: PathBuf,
}

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("signing.key");
        warden_bundle::keygen(&key).expect("keygen");
        let store = dir.path().join("store");
        std::fs::create_dir_all(&store).expect("store");
        Self {
            dir,
            key,
            store,
            clock: Arc::new(ManualClock::new()),
        }
    }

    pub fn source(&self) -> String {
        url::Url::from_directory_path(&self.store)
            .expect("absolute")
            .to_string()
    }

    /// Builds, signs and publishes `policy` as `revision`, valid for `valid_for`.
    pub async fn publish(&self, policy: &str, revision: u64, valid_for: Duration) {
        let key = warden_bundle::SigningKey::from_file(&self.key).expect("key");
        let bytes = warden_bundle::build(
            policy.as_bytes(),
            None,
            revision,
            valid_for,
            &key,
            self.clock.now().wall,
        )
        .expect("build");
        warden_bundle::publish(
            &bytes,
            &self.source(),
            &warden_bundle::RemoteOptions::default(),
        )
        .await
        .expect("publish");
    }

    pub fn setup(&self, grace: Duration) -> BundleSetup {
        BundleSetup {
            source: Some(self.source()),
            trust: vec![warden_bundle::public_path(&self.key).display().to_string()],
            grace,
            refresh_every: std::time::Duration::from_secs(300),
            cache_dir: self.dir.path().join("cache"),
            workspace: "test".into(),
            expected: warden_bundle::Expected {
                name: None,
                audience: Some("test".into()),
            },
            s3_signer: crate::bundles::S3Signer::SdkChain,
        }
    }

    pub fn audit(&self) -> Arc<Audit> {
        Arc::new(
            Audit::open(&self.dir.path().join("journal.sqlite"), "test", None).expect("journal"),
        )
    }

    /// A gate over `engine` whose policy arrived through a fetch of the published bundle.
    pub async fn gate(&self, engine: Box<dyn Engine>, grace: Duration) -> Gate {
        self.gate_with(engine, grace, self.audit()).await
    }

    /// [`Fixture::gate`] recording into `audit` (one with a central store, say).
    pub async fn gate_with(
        &self,
        engine: Box<dyn Engine>,
        grace: Duration,
        audit: Arc<Audit>,
    ) -> Gate {
        let mut client = PolicyClient::new(
            Bundles::open(self.setup(grace)).expect("bundles"),
            audit.clone(),
        );
        // Whether it succeeds is up to the test; a failed fetch leaves nothing in force.
        let _ = client.fetch(None, self.clock.now().wall).await;
        let approvals = warden_elevation::Approvals::open(self.dir.path().join("approvals"), true);
        Gate::new(
            "test".into(),
            Some("sales".into()),
            engine,
            client,
            audit,
            Some(approvals),
            self.clock.clone(),
        )
    }
}

/// Publishes `policy` as revision 1 (valid 30 days) and opens a gate that fetched it.
pub(crate) async fn signed_gate(policy: &str, engine: Box<dyn Engine>) -> (Fixture, Gate) {
    let fixture = Fixture::new();
    fixture.publish(policy, 1, Duration::days(30)).await;
    let gate = fixture.gate(engine, Duration::days(3)).await;
    (fixture, gate)
}

/// Where the test engines store their results: each result is a folder of its own there,
/// removed when its last reader goes.
pub(crate) fn results_dir() -> PathBuf {
    std::env::temp_dir().join("warden-core-test-results")
}

/// A complete stored result of one text column holding `values`.
pub(crate) fn stored(values: &[&str]) -> warden_engine::ResultReader {
    warden_results::from_rows(
        &results_dir(),
        vec![warden_engine::ColumnInfo {
            name: "v".into(),
            data_type: "varchar".into(),
        }],
        values
            .iter()
            .map(|v| vec![warden_engine::Value::Text(v.to_string())]),
    )
    .expect("stored")
}

/// Records what it was asked to execute, so tests can prove the gate let nothing else through.
/// SQL mentioning `fail_me` fails; a cancelled token cancels.
pub(crate) struct Recorder {
    pub executed: Arc<std::sync::atomic::AtomicUsize>,
}

#[async_trait::async_trait]
impl Engine for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }
    async fn catalog(&self) -> Result<warden_engine::CatalogSnapshot, warden_engine::EngineError> {
        Ok(warden_engine::CatalogSnapshot::default())
    }
    async fn execute(
        &self,
        query: warden_engine::Approved,
        cancel: warden_engine::CancellationToken,
    ) -> Result<warden_engine::QueryOutcome, warden_engine::EngineError> {
        use warden_engine::{ColumnInfo, EngineError, QueryOutcome, Value};
        self.executed
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if query.sql().contains("fail_me") {
            return Err(EngineError::Query(format!(
                "the engine said no to: {}",
                query.sql()
            )));
        }
        if cancel.is_cancelled() {
            return Err(EngineError::Cancelled);
        }
        let mut columns = vec![ColumnInfo {
            name: "sql".into(),
            data_type: "varchar".into(),
        }];
        let mut row = vec![Value::Text(query.sql().to_string())];
        if !query.parameters().is_empty() {
            columns.push(ColumnInfo {
                name: "parameters".into(),
                data_type: "varchar".into(),
            });
            row.push(Value::Text(query.parameters().join(" | ")));
        }
        Ok(QueryOutcome {
            query_id: "q1".into(),
            result: warden_results::from_rows(&results_dir(), columns, [row])
                .map_err(|e| EngineError::Query(e.to_string()))?,
            bytes_scanned: 42,
            cost_usd: None,
            duration: std::time::Duration::ZERO,
        })
    }
}

/// A small policy: `country` is readable, `ssn` is restricted; the [`Recorder`] fails queries
/// that read `fail_me`.
pub(crate) const POLICY: &str = r#"
format: warden-policy/1
name: gate-test
catalog:
  databases:
    sales:
      tables:
        customers:
          columns:
            customer_id: bigint
            country: varchar
            fail_me: varchar
            ssn: { type: varchar, tags: [restricted] }
rules:
  - { id: restricted, kind: restricted_columns, tags: [restricted], severity: error }
"#;

pub(crate) fn recorder() -> (Box<dyn Engine>, Arc<std::sync::atomic::AtomicUsize>) {
    let executed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    (
        Box::new(Recorder {
            executed: executed.clone(),
        }),
        executed,
    )
}

/// Runs until its token is cancelled (or 10 s pass), counting the queries in flight, so tests
/// can end an elevation while a query that needs it is running.
pub(crate) struct Waiter {
    pub running: Arc<std::sync::atomic::AtomicUsize>,
}

#[async_trait::async_trait]
impl Engine for Waiter {
    fn name(&self) -> &'static str {
        "waiter"
    }
    async fn catalog(&self) -> Result<warden_engine::CatalogSnapshot, warden_engine::EngineError> {
        Ok(warden_engine::CatalogSnapshot::default())
    }
    async fn execute(
        &self,
        query: warden_engine::Approved,
        cancel: warden_engine::CancellationToken,
    ) -> Result<warden_engine::QueryOutcome, warden_engine::EngineError> {
        self.execute_traced(query, cancel, &warden_engine::RunTrace::new())
            .await
    }
    /// Publishes a first row ("early") as a run whose rows are still arriving, then waits.
    async fn execute_traced(
        &self,
        _query: warden_engine::Approved,
        cancel: warden_engine::CancellationToken,
        trace: &warden_engine::RunTrace,
    ) -> Result<warden_engine::QueryOutcome, warden_engine::EngineError> {
        use std::sync::atomic::Ordering;
        let (mut writer, arriving) = warden_results::create(
            &results_dir(),
            vec![warden_engine::ColumnInfo {
                name: "v".into(),
                data_type: "varchar".into(),
            }],
        )
        .map_err(|e| warden_engine::EngineError::Query(e.to_string()))?;
        // Shorter than the first chunk: written so a reader sees it before the run ends.
        writer
            .push(vec![warden_engine::Value::Text("early".into())])
            .and_then(|_| writer.flush())
            .map_err(|e| warden_engine::EngineError::Query(e.to_string()))?;
        trace.set_arriving(&arriving);
        self.running.fetch_add(1, Ordering::SeqCst);
        let cancelled =
            tokio::time::timeout(std::time::Duration::from_secs(10), cancel.cancelled())
                .await
                .is_ok();
        self.running.fetch_sub(1, Ordering::SeqCst);
        if cancelled {
            return Err(warden_engine::EngineError::Cancelled);
        }
        Ok(warden_engine::QueryOutcome {
            query_id: "w1".into(),
            result: warden_results::from_rows(&results_dir(), vec![], [])
                .map_err(|e| warden_engine::EngineError::Query(e.to_string()))?,
            bytes_scanned: 0,
            cost_usd: None,
            duration: std::time::Duration::ZERO,
        })
    }
}

/// [`POLICY`] with personal data behind an auto-approved elevation (with a ticket) and a
/// manual one.
pub(crate) const ELEVATION_POLICY: &str = r#"
format: warden-policy/1
name: elevation-test
catalog:
  databases:
    sales:
      tables:
        customers:
          columns:
            customer_id: bigint
            country: varchar
            email: { type: varchar, tags: [pii] }
            ssn: { type: varchar, tags: [restricted] }
elevations:
  pii-read:
    description: Read pii
    max_duration: 1h
    default_duration: 15m
    approval: auto
    justification: required
    ticket_pattern: 'INC-[0-9]+'
  restricted-read:
    description: Read restricted columns
    max_duration: 30m
    default_duration: 10m
    approval: manual
    justification: required
rules:
  - { id: pii, kind: restricted_columns, tags: [pii], severity: error, unlocked_by: [pii-read] }
  - { id: restricted, kind: restricted_columns, tags: [restricted], severity: error, unlocked_by: [restricted-read] }
"#;
