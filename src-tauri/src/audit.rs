//! Commands for the Audit panel; their bodies are in `warden_api::audit`.

use tauri::{AppHandle, State};
use warden_api::{ApiError, AuditEvent, AuditStatus};

use crate::state::AppState;

#[tauri::command]
pub fn audit_events(
    state: State<'_, AppState>,
    kind: Option<String>,
    since: Option<String>,
    limit: Option<u64>,
) -> Result<Vec<AuditEvent>, ApiError> {
    warden_api::audit::audit_events(&state.opened()?.gate, kind, since, limit)
}

#[tauri::command]
pub fn audit_status(state: State<'_, AppState>) -> Result<AuditStatus, ApiError> {
    warden_api::audit::audit_status(&state.opened()?.gate)
}

/// Syncs now. A failed sync resolves with the status, whose `lastError` says why in plain words.
#[tauri::command]
pub async fn audit_sync(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<AuditStatus, ApiError> {
    let gate = state.opened()?.gate.clone();
    let status = warden_api::audit::audit_sync(&gate).await?;
    crate::events::audit_status_changed(&app, &status);
    Ok(status)
}
