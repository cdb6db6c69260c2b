//! The Audit panel: recent events, sync state, and "Sync now".

use serde::Serialize;
use ts_rs::TS;
use warden_core::audit::{parse_kind, parse_since, Utc};
use warden_core::{AuditStatusView, EventView, Gate};

use crate::error::ApiError;

/// The panel shows at most this many events at once.
const MAX_EVENTS: u64 = 1_000;
const DEFAULT_EVENTS: u64 = 200;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AuditEvent {
    pub seq: u64,
    pub id: String,
    /// RFC 3339, UTC, milliseconds.
    pub at: String,
    /// One of the journal's kinds (`query_started`, `elevation_granted`, ...).
    pub kind: String,
    pub actor: String,
    pub workspace: String,
    pub summary: String,
    #[ts(type = "unknown")]
    pub payload: serde_json::Value,
}

impl From<EventView> for AuditEvent {
    fn from(e: EventView) -> Self {
        Self {
            seq: e.seq,
            id: e.id,
            at: e.at,
            kind: e.kind,
            actor: e.actor,
            workspace: e.workspace,
            summary: e.summary,
            payload: e.payload,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditStatus {
    pub device_id: String,
    /// Path of the journal file on this device.
    pub journal: String,
    pub events: u64,
    pub last_seq: u64,
    /// Where events are synced to; null when no store is configured.
    pub store: Option<String>,
    pub last_synced_seq: u64,
    pub pending: u64,
    pub last_success: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
}

impl From<AuditStatusView> for AuditStatus {
    fn from(s: AuditStatusView) -> Self {
        Self {
            device_id: s.device_id,
            journal: s.journal.display().to_string(),
            events: s.events,
            last_seq: s.last_seq,
            store: s.store,
            last_synced_seq: s.last_synced_seq,
            pending: s.pending,
            last_success: s.last_success,
            last_error: s.last_error,
            last_error_at: s.last_error_at,
        }
    }
}

/// `audit_events`: newest first, of one kind and since a time when given.
pub fn audit_events(
    gate: &Gate,
    kind: Option<String>,
    since: Option<String>,
    limit: Option<u64>,
) -> Result<Vec<AuditEvent>, ApiError> {
    let kinds = match kind.filter(|k| !k.is_empty()) {
        Some(k) => vec![parse_kind(&k).map_err(ApiError::invalid)?],
        None => Vec::new(),
    };
    let since = since
        .filter(|s| !s.is_empty())
        .map(|s| parse_since(&s, Utc::now()).map_err(ApiError::invalid))
        .transpose()?;
    let limit = limit.unwrap_or(DEFAULT_EVENTS).min(MAX_EVENTS);
    let events = gate.audit().events(&kinds, since, Some(limit), true)?;
    Ok(events.into_iter().map(AuditEvent::from).collect())
}

/// `audit_status`.
pub fn audit_status(gate: &Gate) -> Result<AuditStatus, ApiError> {
    Ok(gate.audit().status()?.into())
}

/// `audit_sync`: syncs now. A failed sync is not an error: `lastError` says why.
pub async fn audit_sync(gate: &Gate) -> Result<AuditStatus, ApiError> {
    Ok(gate.audit().sync_now().await?.into())
}
