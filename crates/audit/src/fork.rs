//! Fork detection. A journal file copied back over a newer one (or a copy run elsewhere) keeps its
//! device id but forgets the events, and the sync bookkeeping, of the newer one; local checks
//! cannot see that. The store can: before a sync plans new batches it lists what the store holds
//! for this device from the watermark's day on, and anything beyond the watermark that this
//! journal did not plan is another copy's work (a fork) or someone else's object (tampering). It
//! also checks that the store's event at the watermark is this journal's. Each finding is
//! recorded once in the journal as a `store_tampering` event, so it reaches the store with the
//! next batch, and is returned in the sync report for the shell to show.
//!
//! Only the writer's own keys are listed and read (`principal=` in the key; a bucket policy
//! allows nothing else): a copy of the journal synced under another writer's credentials is
//! not seen here, but `verify_store` sees it.

use std::collections::HashSet;

use chrono::{Duration as Days, NaiveDate, Utc};
use rusqlite::{params, OptionalExtension};

use crate::backoff::backoff_delay;
use crate::batch::{day_of, decode_lines, device_prefix, gunzip, parse_object_key, ObjectKey};
use crate::chain::{ChainWalker, GENESIS_HASH};
use crate::error::AuditError;
use crate::event::{EventLine, NewEvent};
use crate::journal::Journal;
use crate::payload::{Finding, Payload, StoreTampering};
use crate::store::{Store, StoreError};
use crate::sync::{with_timeout, SyncPolicy, SyncReport};

/// What the journal holds that the check needs, read before listing the store.
struct Bounds {
    lowest_day: NaiveDate,
    highest_day: NaiveDate,
    synced_before: bool,
}

impl Journal {
    /// Looks for a fork or foreign objects of this device in `store`; records and returns what is
    /// new. A store that cannot be listed is an error, except before this journal ever synced to
    /// it (a folder store is created by the first upload).
    pub(crate) async fn check_for_forks(
        &self,
        store: &dyn Store,
        principal: &str,
        policy: &SyncPolicy,
        report: &mut SyncReport,
    ) -> Result<(), AuditError> {
        let Some(bounds) = self.fork_bounds(store.url())? else {
            return Ok(());
        };
        let keys = match self
            .list_device(store, principal, &bounds, policy, report)
            .await
        {
            Ok(keys) => keys,
            Err(_) if !bounds.synced_before => return Ok(()),
            Err(source) => {
                return Err(AuditError::Store {
                    store: store.url().to_string(),
                    source,
                })
            }
        };
        // Read after listing: an object another process of this journal planned is then known.
        let (watermark, ours, reported) = self.sync_knowledge(store.url())?;
        let mut findings = Vec::new();
        for (parsed, key) in keys {
            if parsed.last_seq <= watermark || ours.contains(&key) || reported.contains(&key) {
                continue;
            }
            let body = self.fetch_object(store, &key, policy, report).await?;
            if let Some((finding, detail)) =
                self.judge_foreign(&parsed, &key, body.as_deref(), watermark)?
            {
                findings.push((key, finding, detail));
            }
        }
        if let Some((key, detail)) = self
            .check_continuity(store, principal, watermark, &reported, policy, report)
            .await?
        {
            findings.push((key, Finding::Fork, detail));
        }
        for (key, finding, detail) in findings {
            let tampering = StoreTampering {
                store: store.url().to_string(),
                key,
                finding,
                detail,
            };
            self.record_tampering(&tampering)?;
            report.findings.push(tampering);
        }
        Ok(())
    }

    fn fork_bounds(&self, store: &str) -> Result<Option<Bounds>, AuditError> {
        let conn = self.conn();
        let watermark: i64 = conn
            .query_row(
                "SELECT last_synced_seq FROM sync_state WHERE store = ?1",
                [store],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        // The other copy's objects hold events recorded after the copy was made, so no earlier
        // than the event at the watermark (with a clock that was not set back).
        let low: Option<i64> = conn
            .query_row(
                "SELECT ts_ms FROM events WHERE seq = MAX(?1, 1)",
                [watermark],
                |r| r.get(0),
            )
            .optional()?;
        let high: Option<i64> =
            conn.query_row("SELECT MAX(ts_ms) FROM events", [], |r| r.get(0))?;
        let (Some(low), Some(high)) = (low, high) else {
            return Ok(None);
        };
        let synced_before: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sync_batches WHERE store = ?1)",
            [store],
            |r| r.get(0),
        )?;
        let day = |ms| NaiveDate::parse_from_str(&day_of(ms), "%Y-%m-%d").ok();
        let today = Utc::now().date_naive();
        let (Some(lowest_day), Some(last_day)) = (day(low), day(high)) else {
            return Ok(None);
        };
        Ok(Some(Bounds {
            lowest_day: lowest_day.min(last_day),
            highest_day: last_day.max(today),
            synced_before,
        }))
    }

    /// This device's objects written by `principal`, from the lowest to the highest day: one
    /// listing per day, since a writer may list only under its own `dt=DAY/principal=` prefix.
    async fn list_device(
        &self,
        store: &dyn Store,
        principal: &str,
        bounds: &Bounds,
        policy: &SyncPolicy,
        report: &mut SyncReport,
    ) -> Result<Vec<(ObjectKey, String)>, StoreError> {
        let device = self.device_id();
        let span = (bounds.highest_day - bounds.lowest_day).num_days();
        let prefixes: Vec<String> = (0..=span)
            .map(|n| bounds.lowest_day + Days::days(n))
            .map(|day| device_prefix(&day.format("%Y-%m-%d").to_string(), principal, device))
            .collect();
        let mut keys = Vec::new();
        for prefix in prefixes {
            let listed = retrying(policy, report, || store.list(&prefix)).await?;
            keys.extend(listed.into_iter().filter_map(|key| {
                parse_object_key(&key)
                    .filter(|parsed| {
                        parsed.device_id == device && parsed.principal.as_deref() == Some(principal)
                    })
                    .map(|parsed| (parsed, key))
            }));
        }
        Ok(keys)
    }

    /// The watermark, every key this journal planned for `store`, and every key already reported.
    #[allow(clippy::type_complexity)]
    fn sync_knowledge(
        &self,
        store: &str,
    ) -> Result<(u64, HashSet<String>, HashSet<String>), AuditError> {
        let conn = self.conn();
        let watermark: i64 = conn
            .query_row(
                "SELECT last_synced_seq FROM sync_state WHERE store = ?1",
                [store],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        let mut stmt = conn.prepare("SELECT object_key FROM sync_batches WHERE store = ?1")?;
        let ours = stmt
            .query_map([store], |r| r.get::<_, String>(0))?
            .collect::<Result<HashSet<_>, _>>()?;
        Ok((watermark as u64, ours, reported_keys(&conn, store)?))
    }

    async fn fetch_object(
        &self,
        store: &dyn Store,
        key: &str,
        policy: &SyncPolicy,
        report: &mut SyncReport,
    ) -> Result<Option<Vec<u8>>, AuditError> {
        retrying(policy, report, || store.get(key))
            .await
            .map_err(|source| AuditError::Store {
                store: store.url().to_string(),
                source,
            })
    }

    /// An object of this device beyond the watermark that this journal did not plan: a fork when
    /// it holds a valid stretch of this device's chain that this journal lacks, a foreign object
    /// otherwise; nothing when it holds exactly this journal's events.
    fn judge_foreign(
        &self,
        parsed: &ObjectKey,
        key: &str,
        body: Option<&[u8]>,
        watermark: u64,
    ) -> Result<Option<(Finding, String)>, AuditError> {
        let range = format!("events {} to {}", parsed.first_seq, parsed.last_seq);
        let foreign = |why: String| {
            Some((
                Finding::ForeignObject,
                format!(
                    "{key} claims {range} of this device but {why}; this journal did not write it"
                ),
            ))
        };
        let Some(body) = body else {
            return Ok(None);
        };
        let lines = match gunzip(body).and_then(|content| decode_lines(&content)) {
            Ok(lines) if !lines.is_empty() => lines,
            Ok(_) => return Ok(foreign("it is empty".to_string())),
            Err(reason) => return Ok(foreign(format!("it cannot be read ({reason})"))),
        };
        let mut walker =
            ChainWalker::starting_at(self.device_id(), parsed.first_seq, &lines[0].prev_hash);
        for line in &lines {
            if let Err(reason) = walker.check(line) {
                return Ok(foreign(format!("its events do not verify ({reason})")));
            }
        }
        if walker.next_seq() != parsed.last_seq + 1 {
            return Ok(foreign(
                "it ends before the sequence its name promises".to_string(),
            ));
        }
        let conn = self.conn();
        let local_hash = |seq: u64| -> Result<Option<String>, AuditError> {
            if seq == 0 {
                return Ok(Some(GENESIS_HASH.to_string()));
            }
            Ok(conn
                .query_row(
                    "SELECT hash FROM events WHERE seq = ?1",
                    [seq as i64],
                    |r| r.get(0),
                )
                .optional()?)
        };
        let first_difference = lines
            .iter()
            .map(|line| Ok((line.seq, local_hash(line.seq)?, line)))
            .collect::<Result<Vec<(u64, Option<String>, &EventLine)>, AuditError>>()?
            .into_iter()
            .find(|(_, local, line)| local.as_deref() != Some(line.hash.as_str()));
        let Some((seq, local, _)) = first_difference else {
            return Ok(None);
        };
        // Up to the watermark the store holds this journal's chain, so an object starting right
        // after it must continue it; one starting later continues another object of the fork.
        let starts_on_shared_chain = parsed.first_seq - 1 <= watermark;
        match local_hash(parsed.first_seq - 1)? {
            Some(link) if starts_on_shared_chain && link != lines[0].prev_hash => Ok(foreign(format!(
                "its first event does not continue this journal's chain at sequence {}",
                parsed.first_seq - 1
            ))),
            _ => Ok(Some((
                Finding::Fork,
                match local {
                    Some(_) => format!(
                        "{key} holds {range} of this device, and from sequence {seq} on they differ from this journal's: another copy of this journal synced them (the journal was rolled back or copied)"
                    ),
                    None => format!(
                        "{key} holds {range} of this device, and this journal ends before sequence {seq}: another copy of this journal synced them (the journal was rolled back or copied)"
                    ),
                },
            ))),
        }
    }

    /// The store's copy of the event at the watermark must be this journal's: otherwise the
    /// journal was replaced by one whose chain does not continue the store's. Checked when that
    /// copy is `principal`'s own; one another writer uploaded is for `verify_store` to compare.
    async fn check_continuity(
        &self,
        store: &dyn Store,
        principal: &str,
        watermark: u64,
        reported: &HashSet<String>,
        policy: &SyncPolicy,
        report: &mut SyncReport,
    ) -> Result<Option<(String, String)>, AuditError> {
        if watermark == 0 {
            return Ok(None);
        }
        let (key, local): (Option<String>, Option<String>) = {
            let conn = self.conn();
            let key = conn
                .query_row(
                    "SELECT object_key FROM sync_batches
                     WHERE store = ?1 AND last_seq = ?2 AND done_ms IS NOT NULL",
                    params![store.url(), watermark as i64],
                    |r| r.get(0),
                )
                .optional()?;
            let local = conn
                .query_row(
                    "SELECT hash FROM events WHERE seq = ?1",
                    [watermark as i64],
                    |r| r.get(0),
                )
                .optional()?;
            (key, local)
        };
        let Some(key) = key.filter(|k| {
            !reported.contains(k)
                && parse_object_key(k).is_some_and(|p| p.principal.as_deref() == Some(principal))
        }) else {
            return Ok(None);
        };
        // A missing or unreadable object is for `verify_store` to report; only a readable copy
        // that disagrees proves a different chain.
        let Some(body) = self.fetch_object(store, &key, policy, report).await? else {
            return Ok(None);
        };
        let Ok(lines) = gunzip(&body).and_then(|content| decode_lines(&content)) else {
            return Ok(None);
        };
        match lines.iter().find(|l| l.seq == watermark) {
            Some(stored) if Some(&stored.hash) != local.as_ref() => Ok(Some((
                key.clone(),
                format!(
                    "the store's event {watermark} in {key} is not this journal's event {watermark}: this journal's chain does not continue the store's (the journal was replaced or rewritten)"
                ),
            ))),
            _ => Ok(None),
        }
    }

    /// Records a finding unless the same object was already reported for this store.
    pub(crate) fn record_tampering(&self, tampering: &StoreTampering) -> Result<bool, AuditError> {
        let workspace: Option<String> = {
            let conn = self.conn();
            if reported_keys(&conn, &tampering.store)?.contains(&tampering.key) {
                return Ok(false);
            }
            conn.query_row(
                "SELECT workspace FROM events ORDER BY seq DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?
        };
        // One journal serves one workspace: the report belongs to the workspace of its events.
        let Some(workspace) = workspace else {
            return Ok(false);
        };
        self.append(NewEvent::new(
            workspace,
            Payload::StoreTampering(tampering.clone()),
        ))?;
        Ok(true)
    }
}

/// Keys already reported for `store` (the journal's own `store_tampering` events).
fn reported_keys(conn: &rusqlite::Connection, store: &str) -> Result<HashSet<String>, AuditError> {
    let mut stmt = conn.prepare(
        "SELECT json_extract(payload, '$.key') FROM events
         WHERE kind = 'store_tampering' AND json_extract(payload, '$.store') = ?1",
    )?;
    let keys = stmt
        .query_map([store], |r| r.get::<_, Option<String>>(0))?
        .filter_map(|k| k.transpose())
        .collect::<Result<HashSet<_>, _>>()?;
    Ok(keys)
}

/// Runs a store request with the sync's deadline and retries.
pub(crate) async fn retrying<T, F, Fut>(
    policy: &SyncPolicy,
    report: &mut SyncReport,
    mut request: F,
) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let mut attempt = 0u32;
    loop {
        match with_timeout(policy.request_timeout, request()).await {
            Ok(value) => return Ok(value),
            Err(e) if e.is_retryable() && attempt + 1 < policy.max_attempts => {
                report.retries += 1;
                tokio::time::sleep(backoff_delay(policy.base_delay, policy.max_delay, attempt))
                    .await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}
