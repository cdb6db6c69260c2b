use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::types::ToSql;
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use crate::canonical::to_canonical;
use crate::chain::{compute_hash, ChainReport, ChainWalker, GENESIS_HASH};
use crate::error::AuditError;
use crate::event::{Actor, Event, EventLine, NewEvent, Recorded};
use crate::filter::EventFilter;
use crate::schema::migrate;
use crate::status::{JournalStatus, StoreSyncStatus};

/// The local audit journal: one SQLite database in WAL mode with `synchronous=FULL`, so an event
/// is on stable storage when `append` returns (see docs/audit.md, "Durability").
///
/// `Journal` is `Send + Sync`: the connection sits behind a mutex, and several processes may open
/// the same file (appends take SQLite's write lock).
pub struct Journal {
    conn: Mutex<Connection>,
    path: PathBuf,
    device_id: String,
    actor: Mutex<Actor>,
}

pub(crate) const EVENT_COLUMNS: &str =
    "seq, id, device_id, ts_ms, actor_os_user, actor_sso_identity, workspace, kind, payload, prev_hash, hash";

impl Journal {
    /// Opens (creating if needed) the journal at `path`. Events appended through this handle are
    /// attributed to `actor`. The device id is created with the journal and never changes.
    pub fn open(path: impl AsRef<Path>, actor: Actor) -> Result<Journal, AuditError> {
        let path = path.as_ref().to_path_buf();
        let open_err = |source| AuditError::Open {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| AuditError::CreateFolder {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let mut conn = Connection::open(&path).map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(open_err)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(AuditError::NotWal { path, mode });
        }
        // FULL: every commit fsyncs the WAL, so an acknowledged event survives a power cut, not
        // only a process crash (NORMAL would only promise the latter in WAL mode).
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        // Only meaningful on macOS, where fsync alone does not reach the platter.
        conn.pragma_update(None, "fullfsync", "ON")
            .map_err(open_err)?;
        conn.pragma_update(None, "checkpoint_fullfsync", "ON")
            .map_err(open_err)?;
        migrate(&mut conn, &path)?;
        let device_id = ensure_device_id(&mut conn)?;
        sync_parent_dir(&path);
        Ok(Journal {
            conn: Mutex::new(conn),
            path,
            device_id,
            actor: Mutex::new(actor),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This installation's device id (a UUID created with the journal).
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// Changes who the following events are attributed to (e.g. after SSO sign-in).
    pub fn set_actor(&self, actor: Actor) {
        *self.actor.lock().unwrap_or_else(|p| p.into_inner()) = actor;
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no half-done transaction: rusqlite rolls back on drop.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records one event. Returns only once the event is durable on disk.
    pub fn append(&self, event: NewEvent) -> Result<Recorded, AuditError> {
        self.append_all(vec![event])?
            .pop()
            .ok_or_else(|| AuditError::InvalidEvent("nothing was recorded".to_string()))
    }

    /// Records several events in one transaction (one fsync): all or none are recorded.
    pub fn append_all(&self, events: Vec<NewEvent>) -> Result<Vec<Recorded>, AuditError> {
        self.append_with_clock(events, now_ms)
    }

    /// `append_all` with each event's timestamp taken from `clock`. Crate-internal on purpose: the
    /// journal's own clock is part of what it attests, but tests need events on chosen days.
    pub(crate) fn append_with_clock(
        &self,
        events: Vec<NewEvent>,
        mut clock: impl FnMut() -> i64,
    ) -> Result<Vec<Recorded>, AuditError> {
        let actor = self.actor.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut prepared = Vec::with_capacity(events.len());
        for event in events {
            if event.workspace.trim().is_empty() {
                return Err(AuditError::InvalidEvent(
                    "the workspace name is empty".to_string(),
                ));
            }
            event.payload.validate().map_err(AuditError::InvalidEvent)?;
            let payload = event
                .payload
                .to_json()
                .map_err(|e| AuditError::InvalidEvent(e.to_string()))?;
            prepared.push((event.workspace, event.payload.kind(), payload));
        }
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let head: Option<(i64, String)> = tx
            .query_row(
                "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (mut seq, mut prev_hash) = match head {
            Some((seq, hash)) => (seq as u64, hash),
            None => (0, GENESIS_HASH.to_string()),
        };
        let mut recorded = Vec::with_capacity(prepared.len());
        {
            let mut insert = tx.prepare_cached(&format!(
                "INSERT INTO events ({EVENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ))?;
            for (workspace, kind, payload) in prepared {
                seq += 1;
                let mut line = EventLine {
                    id: uuid::Uuid::now_v7().to_string(),
                    device_id: self.device_id.clone(),
                    seq,
                    ts_ms: clock(),
                    actor: actor.clone(),
                    workspace,
                    kind: kind.as_str().to_string(),
                    payload,
                    prev_hash: prev_hash.clone(),
                    hash: String::new(),
                };
                let body = line.canonical_body().map_err(AuditError::InvalidEvent)?;
                line.hash =
                    compute_hash(&line.prev_hash, &body).map_err(AuditError::InvalidEvent)?;
                let payload_text = to_canonical(&line.payload).map_err(AuditError::InvalidEvent)?;
                insert.execute(params![
                    seq as i64,
                    line.id,
                    line.device_id,
                    line.ts_ms,
                    line.actor.os_user,
                    line.actor.sso_identity,
                    line.workspace,
                    line.kind,
                    payload_text,
                    line.prev_hash,
                    line.hash,
                ])?;
                prev_hash = line.hash.clone();
                recorded.push(Recorded {
                    id: line.id,
                    seq,
                    ts_ms: line.ts_ms,
                    hash: line.hash,
                });
            }
        }
        tx.commit()?;
        Ok(recorded)
    }

    /// Events matching `filter`, typed. An event that cannot be read is an error naming its sequence.
    pub fn events(&self, filter: &EventFilter) -> Result<Vec<Event>, AuditError> {
        let mut sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE 1=1");
        let mut args: Vec<Box<dyn ToSql>> = Vec::new();
        if !filter.kinds.is_empty() {
            let marks = vec!["?"; filter.kinds.len()].join(",");
            sql.push_str(&format!(" AND kind IN ({marks})"));
            args.extend(
                filter
                    .kinds
                    .iter()
                    .map(|k| Box::new(k.as_str()) as Box<dyn ToSql>),
            );
        }
        if let Some(since) = filter.since_ms {
            sql.push_str(" AND ts_ms >= ?");
            args.push(Box::new(since));
        }
        if let Some(until) = filter.until_ms {
            sql.push_str(" AND ts_ms < ?");
            args.push(Box::new(until));
        }
        if let Some(after) = filter.after_seq {
            sql.push_str(" AND seq > ?");
            args.push(Box::new(after as i64));
        }
        sql.push_str(if filter.newest_first {
            " ORDER BY seq DESC"
        } else {
            " ORDER BY seq ASC"
        });
        if let Some(limit) = filter.limit {
            sql.push_str(" LIMIT ?");
            args.push(Box::new(limit.min(i64::MAX as u64) as i64));
        }
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(
            rusqlite::params_from_iter(args.iter().map(|a| a.as_ref())),
            read_line,
        )?;
        let mut out = Vec::new();
        for row in rows {
            let line = row?.map_err(|(seq, reason)| AuditError::Corrupt { seq, reason })?;
            let seq = line.seq;
            out.push(
                line.into_event()
                    .map_err(|reason| AuditError::Corrupt { seq, reason })?,
            );
        }
        Ok(out)
    }

    /// Re-computes the whole chain. A broken chain is a report, not an error; errors are I/O.
    pub fn verify(&self) -> Result<ChainReport, AuditError> {
        let conn = self.conn();
        let mut walker = ChainWalker::new(&self.device_id);
        let mut stmt = conn.prepare(&format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY seq"))?;
        let mut rows = stmt.query_map([], read_line)?;
        let mut broken: Option<(u64, String)> = None;
        for row in rows.by_ref() {
            let checked = match row {
                Ok(Ok(line)) => walker.check(&line),
                Ok(Err((_, reason))) => Err(reason),
                // A `seq` that is not an integer (read_line reports the other columns itself).
                Err(e @ rusqlite::Error::FromSqlConversionFailure(..))
                | Err(e @ rusqlite::Error::InvalidColumnType(..))
                | Err(e @ rusqlite::Error::IntegralValueOutOfRange(..)) => {
                    Err(format!("the row cannot be read: {e}"))
                }
                Err(e) => return Err(e.into()),
            };
            if let Err(reason) = checked {
                broken = Some((walker.next_seq(), reason));
                break;
            }
        }
        if broken.is_none() {
            // The chain cannot see events cut off its end; the sync bookkeeping can.
            let synced: Option<i64> = conn.query_row(
                "SELECT MAX(last_seq) FROM sync_batches WHERE done_ms IS NOT NULL",
                [],
                |r| r.get(0),
            )?;
            let synced = synced.unwrap_or(0) as u64;
            let last = walker.next_seq() - 1;
            if synced > last {
                broken = Some((
                    last + 1,
                    format!("events {} to {synced} were already synced but are missing from the journal", last + 1),
                ));
            }
        }
        let events = walker.next_seq() - 1;
        Ok(ChainReport {
            events,
            first_broken: broken.as_ref().map(|b| b.0),
            reason: broken.map(|b| b.1),
            head_hash: walker.head_hash().to_string(),
        })
    }

    pub fn status(&self) -> Result<JournalStatus, AuditError> {
        let conn = self.conn();
        let (events, last_seq, last_ms): (i64, Option<i64>, Option<i64>) = conn.query_row(
            "SELECT COUNT(*), MAX(seq), MAX(ts_ms) FROM events",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let last_seq = last_seq.unwrap_or(0) as u64;
        let mut stmt = conn.prepare(
            "SELECT store, last_synced_seq, last_success_ms, last_error, last_error_ms FROM sync_state ORDER BY store",
        )?;
        let stores = stmt
            .query_map([], |r| {
                let synced = r.get::<_, i64>(1)? as u64;
                Ok(StoreSyncStatus {
                    store: r.get(0)?,
                    last_synced_seq: synced,
                    pending: last_seq.saturating_sub(synced),
                    last_success_ms: r.get(2)?,
                    last_error: r.get(3)?,
                    last_error_ms: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(JournalStatus {
            device_id: self.device_id.clone(),
            events: events as u64,
            last_seq,
            last_event_ms: last_ms,
            stores,
        })
    }
}

/// Reads a row into an `EventLine`; a malformed payload or a column of the wrong type (a row
/// written by hand) is reported with its sequence number, not as a database error.
pub(crate) fn read_line(r: &Row<'_>) -> rusqlite::Result<Result<EventLine, (u64, String)>> {
    let seq = r.get::<_, i64>(0)? as u64;
    match read_columns(r, seq) {
        Err(
            e @ (rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)),
        ) => Ok(Err((seq, format!("the row cannot be read: {e}")))),
        other => other,
    }
}

fn read_columns(r: &Row<'_>, seq: u64) -> rusqlite::Result<Result<EventLine, (u64, String)>> {
    let payload_text: String = r.get(8)?;
    let payload = match serde_json::from_str(&payload_text) {
        Ok(v) => v,
        Err(e) => return Ok(Err((seq, format!("the payload is not JSON: {e}")))),
    };
    Ok(Ok(EventLine {
        seq,
        id: r.get(1)?,
        device_id: r.get(2)?,
        ts_ms: r.get(3)?,
        actor: Actor {
            os_user: r.get(4)?,
            sso_identity: r.get(5)?,
        },
        workspace: r.get(6)?,
        kind: r.get(7)?,
        payload,
        prev_hash: r.get(9)?,
        hash: r.get(10)?,
    }))
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn ensure_device_id(conn: &mut Connection) -> Result<String, AuditError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let existing: Option<String> = tx
        .query_row(
            "SELECT value FROM journal_meta WHERE key = 'device_id'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let id = match existing {
        Some(id) => id,
        None => {
            let id = uuid::Uuid::now_v7().to_string();
            tx.execute(
                "INSERT INTO journal_meta (key, value) VALUES ('device_id', ?1)",
                [&id],
            )?;
            id
        }
    };
    tx.commit()?;
    Ok(id)
}

/// Makes the creation of the database file itself durable (SQLite syncs the directory for the
/// WAL file, not for the main file it was asked to create).
fn sync_parent_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        let dir = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}
