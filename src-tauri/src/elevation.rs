//! Commands for just-in-time elevation: what can be asked for, asking, ending early.

use std::time::Duration;

use serde::Deserialize;
use tauri::{AppHandle, State};
use warden_core::{ElevationDecision, ElevationRequest, ElevationStatus, Outcome};

use crate::error::CommandError;
use crate::state::AppState;
use crate::{events, notify};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestArgs {
    name: String,
    duration_s: Option<u64>,
    justification: String,
    ticket: Option<String>,
}

#[tauri::command]
pub fn elevation_status(state: State<'_, AppState>) -> Result<ElevationStatus, CommandError> {
    Ok(state.opened()?.gate.elevation_status())
}

/// Async so that the journal's writes happen off the window's main thread.
#[tauri::command]
pub async fn request_elevation(
    app: AppHandle,
    state: State<'_, AppState>,
    request: RequestArgs,
) -> Result<ElevationDecision, CommandError> {
    let gate = state.opened()?.gate.clone();
    let ask = ElevationRequest {
        name: request.name,
        duration: request.duration_s.map(Duration::from_secs),
        justification: request.justification,
        ticket: request.ticket,
    };
    let g = gate.clone();
    let decision = tauri::async_runtime::spawn_blocking(move || g.request_elevation(ask))
        .await
        .map_err(|e| CommandError::unavailable(format!("the request did not complete: {e}")))?
        .map_err(CommandError::from_request)?;
    if decision.outcome == Outcome::Granted {
        if let Some(grant) = decision
            .status
            .active
            .iter()
            .find(|a| a.name == decision.name)
        {
            notify::send(vec![warden_core::granted_notice(grant)]);
        }
    }
    events::elevation_changed(&app, &decision.status);
    events::audit_changed(&app, &gate);
    Ok(decision)
}

/// Ends a grant early, or withdraws a request still waiting for an approver.
#[tauri::command]
pub async fn end_elevation(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<ElevationStatus, CommandError> {
    let gate = state.opened()?.gate.clone();
    let g = gate.clone();
    let (status, _ended) = tauri::async_runtime::spawn_blocking(move || g.end_elevation(&name))
        .await
        .map_err(|e| {
            CommandError::unavailable(format!("ending the elevation did not complete: {e}"))
        })??;
    events::elevation_changed(&app, &status);
    events::audit_changed(&app, &gate);
    Ok(status)
}
