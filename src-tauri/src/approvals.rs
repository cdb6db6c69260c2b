//! Commands of the Approvals panel (AWS workspaces); their bodies are in
//! `warden_api::approvals`.

use tauri::State;
use warden_api::{ApiError, ApprovalAction, ApprovalDone, Approvals};

use crate::state::AppState;

#[tauri::command]
pub async fn approvals(state: State<'_, AppState>) -> Result<Approvals, ApiError> {
    let home = state.home()?.clone();
    warden_api::approvals::approvals(&home, &state.workspace).await
}

#[tauri::command]
pub async fn act_on_approval(
    state: State<'_, AppState>,
    action: ApprovalAction,
) -> Result<ApprovalDone, ApiError> {
    let home = state.home()?.clone();
    warden_api::approvals::act(&home, &state.workspace, action).await
}
