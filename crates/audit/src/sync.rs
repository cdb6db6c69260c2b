//! Exactly-once sync of the journal to a store.
//!
//! 1. Plan: the next batch's sequence range, object key and content hash are fixed and recorded
//!    (table `sync_batches`) before anything is uploaded, once the range's hash chain checks out.
//!    A pending batch is always finished before a new one is planned, so a range is never
//!    uploaded under two keys. A pending batch is encoded again from the journal and must match
//!    its recorded content hash: events edited after planning are never uploaded.
//! 2. Upload with a create-only write. If the object already exists (a retry after a lost
//!    acknowledgement, or another process syncing the same journal), it is read back and its
//!    content hash compared: equal means done. Different means someone else's object sits on the
//!    key: it is recorded as tampering and left alone, and the batch moves to its second key
//!    (`alternate_key`), so that nobody can stall the sync by creating keys in advance.
//! 3. Mark the batch done and advance the watermark in one transaction.
//!
//! A crash between any two steps repeats at most step 2, which is idempotent. Before planning,
//! each run looks for a fork (`fork.rs`).
//!
//! Every key names the writer (`Store::principal`, the credentials' `aws:userid`), learned
//! before anything else: a run that cannot learn it writes nothing. A run lists and reads only
//! its writer's keys. A pending batch planned under another writer (the sign-in changed between
//! planning and upload) is planned again under this one; if the other writer's upload had in
//! fact landed, the store holds the same events twice under two writers, which
//! `verify_store` counts as a re-upload, not a problem.

use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::backoff::backoff_delay;
use crate::batch::{
    alternate_key, day_of, encode_lines, gunzip, gzip, object_key, parse_object_key, sha256_hex,
};
use crate::chain::{ChainWalker, GENESIS_HASH};
use crate::error::AuditError;
use crate::event::EventLine;
use crate::fork::retrying;
use crate::journal::{now_ms, read_line, Journal, EVENT_COLUMNS};
use crate::payload::{Finding, StoreTampering};
use crate::store::{PutOutcome, Store, StoreError};

/// A batch to upload and, when it was just planned, its encoded content.
type NextBatch = (PlannedBatch, Option<Vec<u8>>);

/// How a sync run behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncPolicy {
    /// At most this many events per object (objects also end at a UTC day boundary).
    pub max_events_per_object: u64,
    /// Attempts per object before the run gives up (the next run starts over).
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Deadline for each store request.
    pub request_timeout: Duration,
    /// Stop after this many objects (e.g. to keep a background run short); `None`: the whole backlog.
    pub max_objects: Option<u64>,
}

impl Default for SyncPolicy {
    fn default() -> Self {
        SyncPolicy {
            max_events_per_object: 5_000,
            max_attempts: 8,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            max_objects: None,
        }
    }
}

/// What a sync run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub store: String,
    pub objects_created: u64,
    /// Objects found already in the store with the expected content (a retry after a lost ack).
    pub objects_already_present: u64,
    pub events_synced: u64,
    /// Store requests that failed and were retried.
    pub retries: u64,
    pub last_synced_seq: u64,
    /// Events still waiting for the store.
    pub pending: u64,
    /// Tampering found by this run (a fork, a foreign object), each also recorded in the journal.
    pub findings: Vec<StoreTampering>,
}

#[derive(Debug, Clone)]
struct PlannedBatch {
    first_seq: u64,
    last_seq: u64,
    key: String,
    content_sha256: String,
}

impl Journal {
    /// Uploads every event not yet in `store`, exactly once. On failure the error is also kept
    /// for `status()` (in plain words), and the next run resumes where this one stopped.
    pub async fn sync(
        &self,
        store: &dyn Store,
        policy: &SyncPolicy,
    ) -> Result<SyncReport, AuditError> {
        let mut report = SyncReport {
            store: store.url().to_string(),
            ..Default::default()
        };
        let outcome = self.sync_batches(store, policy, &mut report).await;
        self.record_outcome(store.url(), outcome.as_ref().err())?;
        outcome?;
        let status = self.status()?;
        let synced = status.stores.iter().find(|s| s.store == store.url());
        report.last_synced_seq = synced.map_or(0, |s| s.last_synced_seq);
        report.pending = synced.map_or(status.last_seq, |s| s.pending);
        Ok(report)
    }

    async fn sync_batches(
        &self,
        store: &dyn Store,
        policy: &SyncPolicy,
        report: &mut SyncReport,
    ) -> Result<(), AuditError> {
        let principal = learn_principal(store, policy, report).await?;
        self.check_for_forks(store, &principal, policy, report)
            .await?;
        let mut objects = 0u64;
        while policy.max_objects.is_none_or(|max| objects < max) {
            let Some((mut batch, planned_content)) =
                self.next_batch(store.url(), &principal, policy)?
            else {
                break;
            };
            let content = match planned_content {
                Some(content) => content,
                None => self.pending_content(store.url(), &batch)?,
            };
            let body = gzip(&content).map_err(AuditError::InvalidEvent)?;
            let outcome = loop {
                match upload(store, &batch, body.clone(), policy, report).await? {
                    Uploaded::Done(outcome) => break outcome,
                    Uploaded::Taken => {
                        self.move_to_second_key(store.url(), &principal, &mut batch, report)?
                    }
                }
            };
            match outcome {
                PutOutcome::Created => report.objects_created += 1,
                PutOutcome::AlreadyExists => report.objects_already_present += 1,
            }
            self.complete_batch(store.url(), &batch)?;
            report.events_synced += batch.last_seq - batch.first_seq + 1;
            objects += 1;
        }
        Ok(())
    }

    /// The pending batch, or a newly planned and recorded one with its content, its key naming
    /// `principal`; `None` when all is synced.
    fn next_batch(
        &self,
        store: &str,
        principal: &str,
        policy: &SyncPolicy,
    ) -> Result<Option<NextBatch>, AuditError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let pending = tx
            .query_row(
                "SELECT first_seq, last_seq, object_key, content_sha256 FROM sync_batches
                 WHERE store = ?1 AND done_ms IS NULL ORDER BY first_seq LIMIT 1",
                [store],
                |r| {
                    Ok(PlannedBatch {
                        first_seq: r.get::<_, i64>(0)? as u64,
                        last_seq: r.get::<_, i64>(1)? as u64,
                        key: r.get(2)?,
                        content_sha256: r.get(3)?,
                    })
                },
            )
            .optional()?;
        if let Some(mut pending) = pending {
            // Planned under another writer (or before keys named one): this writer may neither
            // write nor read that key, so the same range moves under its own. Same content.
            if let Some(own) = parse_object_key(&pending.key)
                .filter(|k| k.principal.as_deref() != Some(principal))
                .map(|k| object_key(&k.dt, principal, &k.device_id, k.first_seq, k.last_seq))
            {
                tx.execute(
                    "UPDATE sync_batches SET object_key = ?3 WHERE store = ?1 AND first_seq = ?2 AND done_ms IS NULL",
                    params![store, pending.first_seq as i64, own],
                )?;
                tx.commit()?;
                pending.key = own;
            }
            return Ok(Some((pending, None)));
        }
        tx.execute(
            "INSERT OR IGNORE INTO sync_state (store, last_synced_seq) VALUES (?1, 0)",
            [store],
        )?;
        let watermark: i64 = tx.query_row(
            "SELECT last_synced_seq FROM sync_state WHERE store = ?1",
            [store],
            |r| r.get(0),
        )?;
        let mut lines = Vec::new();
        {
            let mut stmt = tx.prepare(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"
            ))?;
            let limit = policy.max_events_per_object.clamp(1, i64::MAX as u64) as i64;
            let rows = stmt.query_map(params![watermark, limit], read_line)?;
            for row in rows {
                let line = row?.map_err(|(seq, reason)| AuditError::Corrupt { seq, reason })?;
                // One object per UTC day, so that every event sits in its own dt= partition.
                if lines
                    .first()
                    .is_some_and(|first: &EventLine| day_of(first.ts_ms) != day_of(line.ts_ms))
                {
                    break;
                }
                lines.push(line);
            }
        }
        let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
            return Ok(None);
        };
        let (content, content_sha256) = encode_lines(&lines).map_err(AuditError::InvalidEvent)?;
        let batch = PlannedBatch {
            first_seq: first.seq,
            last_seq: last.seq,
            key: object_key(
                &day_of(first.ts_ms),
                principal,
                &first.device_id,
                first.seq,
                last.seq,
            ),
            content_sha256,
        };
        // A range that does not verify is not planned (the transaction rolls back), so it never
        // reaches the store looking like good events.
        check_chain(&tx, self.device_id(), store, &batch, &lines)?;
        tx.execute(
            "INSERT INTO sync_batches (store, first_seq, last_seq, object_key, content_sha256, planned_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![store, batch.first_seq as i64, batch.last_seq as i64, batch.key, batch.content_sha256, now_ms()],
        )?;
        tx.commit()?;
        Ok(Some((batch, Some(content))))
    }

    /// The content of a batch planned by an earlier run, encoded again from the journal. It must be
    /// exactly what was planned: rows edited since (e.g. with the sqlite3 tool after dropping the
    /// triggers) must not be uploaded under a key that promises the planned events.
    fn pending_content(&self, store: &str, batch: &PlannedBatch) -> Result<Vec<u8>, AuditError> {
        let changed = || AuditError::BatchChanged {
            store: store.to_string(),
            key: batch.key.clone(),
            first_seq: batch.first_seq,
            last_seq: batch.last_seq,
        };
        let conn = self.conn();
        let lines = match read_range(&conn, batch.first_seq, batch.last_seq) {
            // Every row could be read when the batch was planned, so an unreadable one was changed since.
            Err(AuditError::Corrupt { .. }) => return Err(changed()),
            other => other?,
        };
        match encode_lines(&lines) {
            Ok((content, sha)) if sha == batch.content_sha256 => {
                // Checked again although unchanged: the batch may have been planned by a Warden
                // that did not check the chain before planning.
                check_chain(&conn, self.device_id(), store, batch, &lines)?;
                Ok(content)
            }
            _ => Err(changed()),
        }
    }

    /// The batch's key holds an object that is not this journal's: report it (once) and plan the
    /// batch under its second key. A second key taken too is a conflict that stops the sync.
    fn move_to_second_key(
        &self,
        store: &str,
        principal: &str,
        batch: &mut PlannedBatch,
        report: &mut SyncReport,
    ) -> Result<(), AuditError> {
        let conflict = || AuditError::Conflict {
            store: store.to_string(),
            key: batch.key.clone(),
        };
        let Some(parsed) = parse_object_key(&batch.key).filter(|k| k.tag.is_none()) else {
            return Err(conflict());
        };
        let tampering = StoreTampering {
            store: store.to_string(),
            key: batch.key.clone(),
            finding: Finding::ForeignObject,
            detail: format!(
                "{} holds content that is not this journal's events {} to {}; they were stored under a second key",
                batch.key, batch.first_seq, batch.last_seq
            ),
        };
        if self.record_tampering(&tampering)? {
            report.findings.push(tampering);
        }
        let second = alternate_key(
            &parsed.dt,
            principal,
            &parsed.device_id,
            batch.first_seq,
            batch.last_seq,
            &batch.content_sha256,
        );
        self.conn().execute(
            "UPDATE sync_batches SET object_key = ?3 WHERE store = ?1 AND first_seq = ?2 AND done_ms IS NULL",
            params![store, batch.first_seq as i64, second],
        )?;
        batch.key = second;
        Ok(())
    }

    /// Marks the batch done and advances the watermark, atomically.
    fn complete_batch(&self, store: &str, batch: &PlannedBatch) -> Result<(), AuditError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE sync_batches SET done_ms = ?3 WHERE store = ?1 AND first_seq = ?2 AND done_ms IS NULL",
            params![store, batch.first_seq as i64, now_ms()],
        )?;
        tx.execute(
            "UPDATE sync_state SET last_synced_seq = MAX(last_synced_seq, ?2) WHERE store = ?1",
            params![store, batch.last_seq as i64],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn record_outcome(&self, store: &str, error: Option<&AuditError>) -> Result<(), AuditError> {
        let conn = self.conn();
        let now = now_ms();
        match error {
            None => conn.execute(
                "INSERT INTO sync_state (store, last_synced_seq, last_success_ms) VALUES (?1, 0, ?2)
                 ON CONFLICT (store) DO UPDATE SET last_success_ms = ?2, last_error = NULL, last_error_ms = NULL",
                params![store, now],
            )?,
            Some(e) => conn.execute(
                "INSERT INTO sync_state (store, last_synced_seq, last_error, last_error_ms) VALUES (?1, 0, ?2, ?3)
                 ON CONFLICT (store) DO UPDATE SET last_error = ?2, last_error_ms = ?3",
                params![store, e.to_string(), now],
            )?,
        };
        Ok(())
    }
}

fn read_range(conn: &Connection, first: u64, last: u64) -> Result<Vec<EventLine>, AuditError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq"
    ))?;
    let rows = stmt.query_map(params![first as i64, last as i64], read_line)?;
    let mut lines = Vec::new();
    for row in rows {
        lines.push(row?.map_err(|(seq, reason)| AuditError::Corrupt { seq, reason })?);
    }
    Ok(lines)
}

/// Checks that `lines`, the events of `batch`, are a stretch of this device's hash chain: in
/// sequence, each hash recomputed, each linked to the one before, the first to the journal's
/// event before the batch.
fn check_chain(
    conn: &Connection,
    device_id: &str,
    store: &str,
    batch: &PlannedBatch,
    lines: &[EventLine],
) -> Result<(), AuditError> {
    let broken = |seq, reason| AuditError::ChainBroken {
        store: store.to_string(),
        first_seq: batch.first_seq,
        last_seq: batch.last_seq,
        seq,
        reason,
    };
    let prev_hash = if batch.first_seq <= 1 {
        GENESIS_HASH.to_string()
    } else {
        let prev = batch.first_seq - 1;
        conn.query_row(
            "SELECT hash FROM events WHERE seq = ?1",
            [prev as i64],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .ok_or_else(|| broken(prev, format!("sequence {prev} is missing")))?
    };
    let mut walker = ChainWalker::starting_at(device_id, batch.first_seq, &prev_hash);
    for line in lines {
        let seq = walker.next_seq();
        walker.check(line).map_err(|reason| broken(seq, reason))?;
    }
    Ok(())
}

/// Who writes through `store` (its `aws:userid`), asked with the sync's deadline and retries. A
/// store that cannot say stops the sync before anything is written: a key must name its writer.
async fn learn_principal(
    store: &dyn Store,
    policy: &SyncPolicy,
    report: &mut SyncReport,
) -> Result<String, AuditError> {
    retrying(policy, report, || store.principal())
        .await
        .map_err(|e| AuditError::Store {
            store: store.url().to_string(),
            source: match e {
                StoreError::Identity(_) => e,
                StoreError::Timeout(limit) => StoreError::Identity(format!(
                    "STS GetCallerIdentity did not answer within {limit:?}"
                )),
                StoreError::Transient(m) | StoreError::Permanent(m) => StoreError::Identity(m),
                other => StoreError::Identity(other.to_string()),
            },
        })
}

/// What an upload found.
enum Uploaded {
    Done(PutOutcome),
    /// The key holds an object with other content.
    Taken,
}

/// Uploads one batch, retrying transient failures with jittered backoff.
async fn upload(
    store: &dyn Store,
    batch: &PlannedBatch,
    body: Vec<u8>,
    policy: &SyncPolicy,
    report: &mut SyncReport,
) -> Result<Uploaded, AuditError> {
    let mut attempt = 0u32;
    loop {
        let result = match with_timeout(
            policy.request_timeout,
            store.put_if_absent(&batch.key, body.clone()),
        )
        .await
        {
            Ok(PutOutcome::Created) => Ok(PutOutcome::Created),
            Ok(PutOutcome::AlreadyExists) => {
                match with_timeout(policy.request_timeout, store.get(&batch.key)).await {
                    Ok(Some(existing)) => {
                        let same = gunzip(&existing)
                            .is_ok_and(|content| sha256_hex(&content) == batch.content_sha256);
                        if !same {
                            return Ok(Uploaded::Taken);
                        }
                        Ok(PutOutcome::AlreadyExists)
                    }
                    Ok(None) => Err(StoreError::Transient(format!(
                        "{} was reported to exist but cannot be read yet",
                        batch.key
                    ))),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(outcome) => return Ok(Uploaded::Done(outcome)),
            Err(e) if e.is_retryable() && attempt + 1 < policy.max_attempts => {
                report.retries += 1;
                tokio::time::sleep(backoff_delay(policy.base_delay, policy.max_delay, attempt))
                    .await;
                attempt += 1;
            }
            Err(source) => {
                return Err(AuditError::Store {
                    store: store.url().to_string(),
                    source,
                })
            }
        }
    }
}

pub(crate) async fn with_timeout<T>(
    limit: Duration,
    request: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(limit, request)
        .await
        .map_err(|_| StoreError::Timeout(limit))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{parse_object_key, LOCAL_PRINCIPAL};
    use crate::event::{Actor, NewEvent};
    use crate::payload::{AppStarted, Payload};
    use crate::store::FolderStore;
    use crate::verify_store::verify_store;

    #[tokio::test]
    async fn a_batch_ends_at_midnight_utc() {
        let dir = tempfile::tempdir().unwrap();
        let actor = Actor {
            os_user: "alice".into(),
            sso_identity: None,
        };
        let journal = Journal::open(dir.path().join("audit.db"), actor).unwrap();
        let midnight = chrono::DateTime::parse_from_rfc3339("2026-11-22T00:00:00Z")
            .unwrap()
            .timestamp_millis();
        // Three events in the last seconds of 21 November (UTC), two at the very start of the 22nd.
        let times = [
            midnight - 2_000,
            midnight - 1_000,
            midnight - 1,
            midnight,
            midnight + 1,
        ];
        let started = Payload::AppStarted(AppStarted {
            app_version: "0.1.0".into(),
            os: "linux".into(),
        });
        let events = times
            .iter()
            .map(|_| NewEvent::new("demo", started.clone()))
            .collect();
        let mut clock = times.into_iter();
        journal
            .append_with_clock(events, || clock.next().unwrap())
            .unwrap();

        let store = FolderStore::new(dir.path().join("central"));
        let report = journal.sync(&store, &SyncPolicy::default()).await.unwrap();
        assert_eq!(
            (report.objects_created, report.events_synced, report.pending),
            (2, 5, 0)
        );
        let mut keys = store.list("audit/v1/").await.unwrap();
        keys.sort();
        let device = journal.device_id();
        assert_eq!(
            keys,
            vec![
                object_key("2026-11-21", LOCAL_PRINCIPAL, device, 1, 3),
                object_key("2026-11-22", LOCAL_PRINCIPAL, device, 4, 5)
            ]
        );
        let ranges: Vec<_> = keys
            .iter()
            .filter_map(|k| parse_object_key(k))
            .map(|k| (k.first_seq, k.last_seq))
            .collect();
        assert_eq!(ranges, vec![(1, 3), (4, 5)]);

        // verify_store also checks that every event lies in its object's dt= partition.
        let verified = verify_store(&store).await.unwrap();
        assert!(verified.is_intact(), "{:?}", verified.problems);
        assert_eq!(
            (
                verified.objects,
                verified.events,
                verified.devices[0].last_seq
            ),
            (2, 5, 5)
        );
    }
}
