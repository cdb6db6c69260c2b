//! Warden's audit journal: a tamper-evident, append-only SQLite log of every action that matters,
//! and its exactly-once sync to a central store (a local folder or S3) where admins query it with Athena.
//!
//! The format (columns, canonical encoding, hash chain, object keys) is specified in `docs/audit.md`.

mod backoff;
mod batch;
mod canonical;
mod chain;
mod error;
mod event;
mod filter;
mod fork;
mod journal;
mod kind;
mod payload;
mod schema;
mod status;
pub mod store;
mod sync;
mod verify_store;

pub use batch::{object_key, parse_object_key, valid_principal, ObjectKey, LOCAL_PRINCIPAL};
pub use chain::{ChainReport, GENESIS_HASH};
pub use error::AuditError;
pub use event::{Actor, Event, NewEvent, Recorded};
pub use filter::EventFilter;
pub use journal::Journal;
pub use kind::Kind;
pub use payload::{
    ActionOutcome, AppStarted, BrokerAction, BrokerActionEnded, BrokerActionStarted,
    BundleRejected, BundleUpdated, CredentialsIssued, CredentialsWiped, ElevationDenied,
    ElevationExpired, ElevationExtended, ElevationGranted, ElevationRequested, ElevationRevoked,
    EngineRef, Finding, Lockout, ParameterRecord, Payload, QueryBlocked, QueryCancelled,
    QueryContext, QueryFailed, QueryFinished, QueryStarted, ResultExported, Sha256Hex,
    SignInFailed, SignedIn, SignedOut, SqlRecord, SqlTextMode, StoreTampering, TokenRefreshed,
    Verdict, MAX_SQL_TEXT_BYTES,
};
pub use status::{JournalStatus, StoreSyncStatus};
pub use store::{open_store, PutOutcome, Store, StoreError, StoreOptions};
pub use sync::{SyncPolicy, SyncReport};
pub use verify_store::{
    verify_store, verify_store_within, DeviceSummary, StoreProblem, StoreReport,
};
