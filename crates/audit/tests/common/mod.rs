//! Shared test helpers: sample events of every kind and a store that misbehaves on purpose.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use warden_audit::*;

pub fn actor() -> Actor {
    Actor {
        os_user: "alice".into(),
        sso_identity: Some("alice@example.com".into()),
    }
}

pub fn query(sql: &str, verdict: Verdict, mode: SqlTextMode) -> QueryContext {
    QueryContext {
        sql: SqlRecord::new(sql, mode),
        verdict,
        rule_ids: vec!["pii.email".into()],
        active_elevations: vec!["elev-1".into()],
        bundle_revision: Some(7),
        parameters: None,
        database: Some("sales".into()),
    }
}

pub fn engine() -> EngineRef {
    EngineRef {
        engine: "athena".into(),
        query_id: Some("q-123".into()),
        workgroup: None,
    }
}

/// One event of every kind, in a plausible order.
pub fn every_kind() -> Vec<NewEvent> {
    let q = || {
        query(
            "SELECT id, country FROM sales.orders WHERE dt = '2026-11-21'",
            Verdict::Allow,
            SqlTextMode::Full,
        )
    };
    let payloads = vec![
        Payload::AppStarted(AppStarted {
            app_version: "0.1.0".into(),
            os: "linux".into(),
        }),
        Payload::BundleUpdated(BundleUpdated {
            bundle_id: "demo".into(),
            revision: 7,
            sha256: Sha256Hex::of(b"bundle"),
            signer_key_id: "demo-key-1".into(),
        }),
        Payload::BundleRejected(BundleRejected {
            bundle_id: Some("demo".into()),
            revision: Some(8),
            sha256: None,
            reason: "signature does not verify".into(),
        }),
        Payload::QueryBlocked(QueryBlocked {
            query: query(
                "SELECT email FROM crm.users",
                Verdict::Deny,
                SqlTextMode::HashOnly,
            ),
        }),
        Payload::QueryStarted(QueryStarted {
            query: q(),
            engine: engine(),
        }),
        Payload::QueryFinished(QueryFinished {
            query: q(),
            engine: engine(),
            rows: 42,
            bytes_scanned: 1 << 40,
            cost_micro_usd: None,
            duration_ms: 1234,
        }),
        Payload::QueryFailed(QueryFailed {
            query: q(),
            engine: engine(),
            error: "table not found".into(),
            duration_ms: 5,
            bytes_scanned: None,
            cost_micro_usd: None,
        }),
        Payload::QueryCancelled(QueryCancelled {
            query: q(),
            engine: engine(),
            duration_ms: 99,
            bytes_scanned: Some(10_485_760),
            cost_micro_usd: Some(47_684),
        }),
        Payload::ElevationRequested(ElevationRequested {
            elevation_id: "elev-2".into(),
            scope: "pii.email".into(),
            reason: "ticket SUP-12 \"urgent\"\nsecond line é".into(),
            requested_duration_s: 3600,
            extends: None,
        }),
        Payload::ElevationGranted(ElevationGranted {
            elevation_id: "elev-2".into(),
            approver: Some("bob".into()),
            expires_at_ms: 1_800_000_000_000,
        }),
        Payload::ElevationDenied(ElevationDenied {
            elevation_id: "elev-3".into(),
            approver: None,
            reason: "no ticket".into(),
        }),
        Payload::ElevationExpired(ElevationExpired {
            elevation_id: "elev-2".into(),
        }),
        Payload::Lockout(Lockout {
            reason: "too many blocked queries".into(),
            until_ms: None,
        }),
        Payload::CredentialsWiped(CredentialsWiped {
            reason: "lockout".into(),
            cleared: vec!["sso-token-cache".into()],
        }),
    ];
    payloads
        .into_iter()
        .map(|p| NewEvent::new("demo", p))
        .collect()
}

pub fn lake_event(i: u64) -> NewEvent {
    NewEvent::new(
        "demo",
        Payload::QueryFinished(QueryFinished {
            query: query(
                &format!("SELECT count(*) FROM sales.orders WHERE id > {i}"),
                Verdict::Allow,
                SqlTextMode::Full,
            ),
            engine: engine(),
            rows: i,
            bytes_scanned: i * 1000,
            cost_micro_usd: None,
            duration_ms: i % 500,
        }),
    )
}

/// What a `FaultyStore` does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 500/503-like failure before anything is written.
    Unavailable,
    /// The request hangs past the sync's deadline.
    Hang,
    /// The object is written, then the connection drops before the answer arrives.
    DropAfterWrite,
}

/// Wraps a store and injects faults into a share of requests (deterministic, seeded).
pub struct FaultyStore<S> {
    pub inner: S,
    rng: Mutex<fastrand::Rng>,
    /// Percentage of puts and gets that fail.
    pub fail_percent: u8,
    pub faults: Vec<Fault>,
    pub hang_for: Duration,
    pub injected: AtomicU64,
    /// Objects created whose acknowledgement was then lost.
    pub drops_after_write: AtomicU64,
}

impl<S: Store> FaultyStore<S> {
    pub fn new(inner: S, seed: u64, fail_percent: u8, faults: Vec<Fault>) -> Self {
        FaultyStore {
            inner,
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
            fail_percent,
            faults,
            hang_for: Duration::from_millis(1500),
            injected: AtomicU64::new(0),
            drops_after_write: AtomicU64::new(0),
        }
    }

    fn pick(&self) -> Option<Fault> {
        let mut rng = self.rng.lock().unwrap();
        if self.faults.is_empty() || rng.u8(0..100) >= self.fail_percent {
            return None;
        }
        self.injected.fetch_add(1, Ordering::SeqCst);
        Some(self.faults[rng.usize(0..self.faults.len())])
    }
}

#[async_trait]
impl<S: Store> Store for FaultyStore<S> {
    fn url(&self) -> &str {
        self.inner.url()
    }

    async fn put_if_absent(&self, key: &str, body: Vec<u8>) -> Result<PutOutcome, StoreError> {
        match self.pick() {
            None => self.inner.put_if_absent(key, body).await,
            Some(Fault::Unavailable) => Err(StoreError::Transient("HTTP 503 Slow Down".into())),
            Some(Fault::Hang) => {
                tokio::time::sleep(self.hang_for).await;
                Err(StoreError::Transient("hung request finally failed".into()))
            }
            Some(Fault::DropAfterWrite) => {
                if self.inner.put_if_absent(key, body).await? == PutOutcome::Created {
                    self.drops_after_write.fetch_add(1, Ordering::SeqCst);
                }
                Err(StoreError::Transient("connection reset by peer".into()))
            }
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.pick() {
            Some(Fault::Unavailable) => {
                Err(StoreError::Transient("HTTP 500 Internal Error".into()))
            }
            Some(Fault::Hang) => {
                tokio::time::sleep(self.hang_for).await;
                Err(StoreError::Transient("hung request finally failed".into()))
            }
            _ => self.inner.get(key).await,
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.inner.list(prefix).await
    }

    async fn principal(&self) -> Result<String, StoreError> {
        self.inner.principal().await
    }
}

/// A policy that retries fast, for tests.
pub fn fast_policy() -> SyncPolicy {
    SyncPolicy {
        max_events_per_object: 50,
        max_attempts: 30,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
        request_timeout: Duration::from_secs(1),
        max_objects: None,
    }
}

/// Decompressed contents of every object in a folder store, for byte-level checks.
pub fn read_all_objects(root: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                let mut text = String::new();
                std::io::Read::read_to_string(
                    &mut flate2::read::GzDecoder::new(&bytes[..]),
                    &mut text,
                )
                .unwrap();
                out.push((
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                    text,
                ));
            }
        }
    }
    out.sort();
    out
}
