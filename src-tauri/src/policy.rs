//! Commands for the policy bundle: what is in force, and fetching now.

use tauri::{AppHandle, State};
use warden_api::{ApiError, PolicyStatus};

use crate::state::AppState;

#[tauri::command]
pub fn policy_status(state: State<'_, AppState>) -> Result<PolicyStatus, ApiError> {
    let status = state.opened()?.gate.policy_status();
    state.told.told(&status);
    Ok((&status).into())
}

/// Fetches now (the window calls this when it gets focus). A failed fetch is not an error of
/// the command: the status carries it.
#[tauri::command]
pub async fn refresh_policy(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<PolicyStatus, ApiError> {
    let gate = state.opened()?.gate.clone();
    let refresh = gate.refresh_policy().await;
    crate::events::after_refresh(&app, &gate, &state.told, &refresh);
    state.told.told(&refresh.status);
    Ok((&refresh.status).into())
}
