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

#[tauri::command]
pub fn request_elevation(app: AppHandle, state: State<'_, AppState>, request: RequestArgs) -> Result<ElevationDecision, CommandError> {
    let gate = &state.opened()?.gate;
    let decision = gate
        .request_elevation(ElevationRequest {
            name: request.name,
            duration: request.duration_s.map(Duration::from_secs),
            justification: request.justification,
            ticket: request.ticket,
        })
        .map_err(CommandError::from_request)?;
    if decision.outcome == Outcome::Granted {
        if let Some(grant) = decision.status.active.iter().find(|a| a.name == decision.name) {
            notify::send(vec![warden_core::granted_notice(grant)]);
        }
    }
    events::elevation_changed(&app, &decision.status);
    events::audit_changed(&app, gate);
    Ok(decision)
}

#[tauri::command]
pub fn end_elevation(app: AppHandle, state: State<'_, AppState>, name: String) -> Result<ElevationStatus, CommandError> {
    let gate = &state.opened()?.gate;
    let (status, _ended) = gate.end_elevation(&name)?;
    events::elevation_changed(&app, &status);
    events::audit_changed(&app, gate);
    Ok(status)
}
