//! Commands for the Audit panel: recent events, sync state, and "Sync now".

use tauri::{AppHandle, State};
use warden_core::audit::{parse_kind, parse_since, Utc};
use warden_core::{AuditStatusView, EventView};

use crate::error::CommandError;
use crate::state::AppState;

/// The panel shows at most this many events at once.
const MAX_EVENTS: u64 = 1_000;

#[tauri::command]
pub fn audit_events(
    state: State<'_, AppState>,
    kind: Option<String>,
    since: Option<String>,
    limit: Option<u64>,
) -> Result<Vec<EventView>, CommandError> {
    let audit = state.opened()?.gate.audit().clone();
    let kinds = match kind.filter(|k| !k.is_empty()) {
        Some(k) => vec![parse_kind(&k).map_err(CommandError::invalid)?],
        None => Vec::new(),
    };
    let since = since
        .filter(|s| !s.is_empty())
        .map(|s| parse_since(&s, Utc::now()).map_err(CommandError::invalid))
        .transpose()?;
    let limit = limit.unwrap_or(200).min(MAX_EVENTS);
    Ok(audit.events(&kinds, since, Some(limit), true)?)
}

#[tauri::command]
pub fn audit_status(state: State<'_, AppState>) -> Result<AuditStatusView, CommandError> {
    Ok(state.opened()?.gate.audit().status()?)
}

/// Syncs now. A failed sync resolves with the status, whose `lastError` says why in plain words.
#[tauri::command]
pub async fn audit_sync(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<AuditStatusView, CommandError> {
    let gate = state.opened()?.gate.clone();
    let status = gate.audit().sync_now().await?;
    crate::events::audit_status_changed(&app, &status);
    Ok(status)
}
