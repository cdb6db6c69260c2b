use std::path::PathBuf;

use crate::store::StoreError;

/// Everything that can go wrong in the audit journal. Messages say what is wrong and what to do;
/// they never contain event payloads or credentials.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot open the audit journal at {path}: {source}. Check that the folder exists and is writable")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot create the folder {path} for the audit journal: {source}")]
    CreateFolder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the audit journal at {path} could not switch to WAL mode (it answered {mode:?}); it must be on a local file system")]
    NotWal { path: PathBuf, mode: String },
    #[error("the audit journal at {path} has schema version {found}, but this Warden knows only up to {supported}: upgrade Warden")]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("audit journal database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("invalid audit event: {0}")]
    InvalidEvent(String),
    #[error("the stored event at sequence {seq} cannot be read ({reason}); run `warden audit verify`, the journal may have been tampered with")]
    Corrupt { seq: u64, reason: String },
    #[error("sync to {store} failed: {source}")]
    Store {
        store: String,
        #[source]
        source: StoreError,
    },
    #[error("object {key} in {store} holds content that is not this journal's, and so did the batch's first key; neither was overwritten and these events were not uploaded. Queries still run and their events stay in the local journal (unless the policy's `audit.max_unsynced` stops runs once they are too old); run `warden audit verify-store` and ask an admin to remove the objects someone else put there")]
    Conflict { store: String, key: String },
    #[error("events {first_seq} to {last_seq} of the audit journal changed after they were planned for upload to {store} as {key}, so none of them was uploaded. Run `warden audit verify`: it names the altered event. The sync cannot go past these events; ask an admin to inspect the journal")]
    BatchChanged {
        store: String,
        key: String,
        first_seq: u64,
        last_seq: u64,
    },
    #[error("the audit journal's hash chain is broken at sequence {seq} ({reason}), so events {first_seq} to {last_seq} were not uploaded to {store}. Run `warden audit verify` for details. The sync cannot go past a broken chain; ask an admin to inspect the journal")]
    ChainBroken {
        store: String,
        first_seq: u64,
        last_seq: u64,
        seq: u64,
        reason: String,
    },
}
