//! Commands for AWS sign-in; their bodies are in `warden_api::identity`. The watcher hears the
//! identity layer's events and tells the window and the desktop when a session ends by itself.

use std::sync::OnceLock;

use tauri::{AppHandle, Manager, State};
use warden_api::{ApiError, DeviceCode, NewWorkspace, SessionEnded, SignInStatus, WorkspaceEntry};
use warden_core::identity::{EventSink, IdentityEvent, SignInPrompt};
use warden_core::Notice;

use crate::state::AppState;
use crate::{events, notify};

pub const SIGN_IN_CODE: &str = "sign-in-code";
pub const SESSION_ENDED: &str = "session-ended";

#[derive(Default)]
pub struct Watcher {
    app: OnceLock<AppHandle>,
}

impl Watcher {
    /// From now on, events reach the window.
    pub fn attach(&self, app: AppHandle) {
        let _ = self.app.set(app);
    }
}

impl EventSink for Watcher {
    fn record(&self, event: IdentityEvent) -> Result<(), String> {
        if let IdentityEvent::SessionEnded { workspace, reason } = event {
            tracing::warn!(workspace, "the AWS sign-in ended by itself");
            notify::send(vec![Notice {
                title: "AWS sign-in ended".into(),
                body: format!(
                    "Work on AWS in {workspace} is locked until you sign in again ({reason})."
                ),
            }]);
            if let Some(app) = self.app.get() {
                stop_aws_work(app.clone(), &reason);
                events::emit(app, SESSION_ENDED, &SessionEnded { workspace, reason });
            }
        }
        Ok(())
    }
}

/// The session is gone: running queries are cancelled (their stops may be refused without
/// credentials; their results are not read) and grants end, wiped, on the record.
fn stop_aws_work(app: AppHandle, reason: &str) {
    let why = format!("the AWS sign-in ended ({reason})");
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let Ok(opened) = state.opened() else {
            return;
        };
        let gate = opened.gate.clone();
        let stopped = gate.stop_aws_work(&why, warden_core::STOP_WAIT).await;
        for e in &stopped.errors {
            tracing::warn!("after the sign-in ended: {e}");
        }
        events::elevation_changed(&app, &warden_api::elevation::elevation_status(&gate));
        events::audit_changed(&app, &gate);
    });
}

/// Opens the browser for the browser flow; shows the device code in the window's dialog.
struct WindowPrompt {
    app: AppHandle,
}

impl SignInPrompt for WindowPrompt {
    fn open_browser(&self, url: &str) {
        if let Err(e) = warden_core::identity::open_url(url) {
            tracing::warn!("could not open a browser for the sign-in: {e}");
        }
    }

    fn show_device_code(&self, user_code: &str, verification_uri: &str, complete: Option<&str>) {
        let code = DeviceCode {
            user_code: user_code.into(),
            verification_uri: verification_uri.into(),
            complete_uri: complete.map(str::to_owned),
        };
        events::emit(&self.app, SIGN_IN_CODE, &code);
    }
}

fn not_needed(state: &AppState) -> SignInStatus {
    SignInStatus::not_needed(&state.workspace)
}

#[tauri::command]
pub async fn sign_in_status(state: State<'_, AppState>) -> Result<SignInStatus, ApiError> {
    Ok(match &state.identity {
        Ok(Some(identity)) => warden_api::identity::sign_in_status(identity).await,
        Ok(None) => not_needed(&state),
        Err(problem) => SignInStatus::unavailable(&state.workspace, problem.clone()),
    })
}

/// Signs in (browser flow, or device flow with `deviceCode`); resolves when it is done.
#[tauri::command]
pub async fn sign_in(
    app: AppHandle,
    state: State<'_, AppState>,
    device_code: bool,
) -> Result<SignInStatus, ApiError> {
    let identity = aws_identity(&state)?;
    let prompt = WindowPrompt { app: app.clone() };
    let result = warden_api::identity::sign_in(&identity, device_code, &prompt).await;
    audit_changed(&app, &state);
    result
}

#[tauri::command]
pub async fn sign_out(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<SignInStatus, ApiError> {
    let identity = aws_identity(&state)?;
    let gate = state.opened().ok().map(|o| o.gate.clone());
    let result = warden_api::identity::sign_out(&identity, gate.as_deref()).await;
    if let Some(gate) = &gate {
        events::elevation_changed(&app, &warden_api::elevation::elevation_status(gate));
    }
    audit_changed(&app, &state);
    result
}

#[tauri::command]
pub fn workspaces(state: State<'_, AppState>) -> Result<Vec<WorkspaceEntry>, ApiError> {
    warden_api::identity::workspaces(state.home()?, &state.workspace)
}

/// The `~/.aws/config` profiles the Add AWS workspace form offers.
#[tauri::command]
pub async fn aws_profiles() -> Result<Vec<String>, ApiError> {
    warden_api::workspace_add::aws_profiles().await
}

/// Writes a new AWS workspace into config.toml; the picker then offers it.
#[tauri::command]
pub async fn add_workspace(
    state: State<'_, AppState>,
    workspace: NewWorkspace,
) -> Result<Vec<WorkspaceEntry>, ApiError> {
    warden_api::workspace_add::add_workspace(state.home()?, &state.workspace, workspace).await
}

/// Remembers the picked workspace and starts the app again on it.
#[tauri::command]
pub fn switch_workspace(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<(), ApiError> {
    crate::picked::pick(state.home()?, &name).map_err(ApiError::invalid)?;
    tracing::info!(workspace = name, "switching workspace");
    app.restart()
}

fn aws_identity(
    state: &AppState,
) -> Result<std::sync::Arc<warden_core::identity::WorkspaceIdentity>, ApiError> {
    match &state.identity {
        Ok(Some(identity)) => Ok(identity.clone()),
        Ok(None) => Err(ApiError::invalid(format!(
            "workspace `{}` needs no sign-in; AWS sign-in is for workspaces of kind `athena`",
            state.workspace
        ))),
        Err(problem) => Err(ApiError::internal(problem.clone())),
    }
}

fn audit_changed(app: &AppHandle, state: &AppState) {
    if let Ok(opened) = state.opened() {
        events::audit_changed(app, &opened.gate);
    }
}
