//! Embedded, versioned migrations. `PRAGMA user_version` holds the number of migrations applied;
//! each one runs in its own transaction together with the version bump.

use std::path::Path;

use rusqlite::Connection;

use crate::error::AuditError;

const MIGRATIONS: &[&str] = &[
    // 1: the append-only events table and the sync bookkeeping.
    r#"
    CREATE TABLE journal_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE events (
        seq               INTEGER PRIMARY KEY,
        id                TEXT    NOT NULL UNIQUE,
        device_id         TEXT    NOT NULL,
        ts_ms             INTEGER NOT NULL,
        actor_os_user     TEXT    NOT NULL,
        actor_sso_identity TEXT,
        workspace         TEXT    NOT NULL,
        kind              TEXT    NOT NULL,
        payload           TEXT    NOT NULL,
        prev_hash         TEXT    NOT NULL,
        hash              TEXT    NOT NULL
    );
    CREATE INDEX events_ts ON events (ts_ms);
    CREATE INDEX events_kind_ts ON events (kind, ts_ms);
    CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE is not allowed'); END;
    CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE is not allowed'); END;
    CREATE TRIGGER events_gap_free BEFORE INSERT ON events
    WHEN NEW.seq <> (SELECT COALESCE(MAX(seq), 0) + 1 FROM events)
    BEGIN SELECT RAISE(ABORT, 'audit events must be appended with the next sequence number'); END;

    CREATE TABLE sync_batches (
        store          TEXT    NOT NULL,
        first_seq      INTEGER NOT NULL,
        last_seq       INTEGER NOT NULL,
        object_key     TEXT    NOT NULL,
        content_sha256 TEXT    NOT NULL,
        planned_ms     INTEGER NOT NULL,
        done_ms        INTEGER,
        PRIMARY KEY (store, first_seq)
    );
    CREATE TABLE sync_state (
        store           TEXT PRIMARY KEY,
        last_synced_seq INTEGER NOT NULL DEFAULT 0,
        last_success_ms INTEGER,
        last_error      TEXT,
        last_error_ms   INTEGER
    );
    "#,
];

pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), AuditError> {
    let supported = MIGRATIONS.len() as i64;
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > supported {
        return Err(AuditError::SchemaTooNew {
            path: path.to_path_buf(),
            found: current,
            supported,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have migrated while we waited for the lock.
        let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now > index as i64 {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
