//! Commands for just-in-time elevation; their bodies are in `warden_api::elevation`.

use tauri::{AppHandle, State};
use warden_api::{ApiError, ElevationDecision, ElevationRequest, ElevationStatus};

use crate::state::AppState;
use crate::{events, notify};

#[tauri::command]
pub fn elevation_status(state: State<'_, AppState>) -> Result<ElevationStatus, ApiError> {
    Ok(warden_api::elevation::elevation_status(
        &state.opened()?.gate,
    ))
}

/// Async so that the journal's writes happen off the window's main thread.
#[tauri::command]
pub async fn request_elevation(
    app: AppHandle,
    state: State<'_, AppState>,
    request: ElevationRequest,
) -> Result<ElevationDecision, ApiError> {
    let gate = state.opened()?.gate.clone();
    if matches!(state.identity, Ok(Some(_))) {
        // An AWS workspace: the broker decides; the gate's check tells what came of it.
        let home = state.home()?.clone();
        let decision =
            warden_api::elevation::request_aws_elevation(&home, gate.clone(), request).await?;
        events::elevation_changed(&app, &decision.status);
        events::audit_changed(&app, &gate);
        return Ok(decision);
    }
    let g = gate.clone();
    let (decision, notices) = tauri::async_runtime::spawn_blocking(move || {
        warden_api::elevation::request_elevation(&g, request)
    })
    .await
    .map_err(|e| ApiError::internal(format!("the request did not complete: {e}")))??;
    notify::send(notices);
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
) -> Result<ElevationStatus, ApiError> {
    let gate = state.opened()?.gate.clone();
    if matches!(state.identity, Ok(Some(_))) {
        let home = state.home()?.clone();
        let status = warden_api::elevation::end_aws_elevation(&home, gate.clone(), &name).await?;
        events::elevation_changed(&app, &status);
        events::audit_changed(&app, &gate);
        return Ok(status);
    }
    let g = gate.clone();
    let status = tauri::async_runtime::spawn_blocking(move || {
        warden_api::elevation::end_elevation(&g, &name)
    })
    .await
    .map_err(|e| ApiError::internal(format!("ending the elevation did not complete: {e}")))??;
    events::elevation_changed(&app, &status);
    events::audit_changed(&app, &gate);
    Ok(status)
}
