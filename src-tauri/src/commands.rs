use serde::Serialize;
use tauri::{AppHandle, State};
use warden_core::editor::{LintView, RunView, SchemaView};
use warden_core::Value;

use crate::error::CommandError;
use crate::state::AppState;

/// Rows per page is the window's choice, within reason.
const MAX_PAGE: usize = 5_000;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceInfo {
    workspace: String,
    engine: String,
    /// Empty while no policy is in force (the banner says why).
    policy_name: String,
    policy_fingerprint: String,
    default_database: Option<String>,
    home: String,
}

#[tauri::command]
pub fn workspace_info(state: State<'_, AppState>) -> Result<WorkspaceInfo, CommandError> {
    let opened = state.opened()?;
    let gate = &opened.gate;
    let policy = gate.policy().ok();
    Ok(WorkspaceInfo {
        workspace: gate.workspace().to_string(),
        engine: gate.engine_name().to_string(),
        policy_name: policy
            .as_ref()
            .map(|p| p.policy().name().to_string())
            .unwrap_or_default(),
        policy_fingerprint: policy
            .as_ref()
            .map(|p| p.policy().fingerprint().to_string())
            .unwrap_or_default(),
        default_database: gate.default_database().map(str::to_string),
        home: opened.home.data.display().to_string(),
    })
}

#[tauri::command]
pub async fn catalog(state: State<'_, AppState>) -> Result<SchemaView, CommandError> {
    let gate = state.opened()?.gate.clone();
    let snapshot = gate
        .catalog()
        .await
        .map_err(|e| CommandError::unavailable(e.to_string()))?;
    let policy = gate.policy().ok();
    Ok(SchemaView::new(
        &snapshot,
        policy.as_ref().map(|p| p.policy()),
    ))
}

#[tauri::command]
pub fn lint(
    state: State<'_, AppState>,
    sql: String,
    database: Option<String>,
) -> Result<LintView, CommandError> {
    let gate = &state.opened()?.gate;
    Ok(LintView::from_lint(&gate.lint(&sql, database.as_deref())))
}

#[tauri::command]
pub async fn run_query(
    app: AppHandle,
    state: State<'_, AppState>,
    sql: String,
    database: Option<String>,
    run_id: String,
) -> Result<RunView, CommandError> {
    let gate = state.opened()?.gate.clone();
    let cancel = state.running.lock().map_err(|_| unusable())?.start(&run_id);
    let outcome = gate.run(&sql, database.as_deref(), cancel).await;
    if let Ok(mut running) = state.running.lock() {
        running.finish(&run_id);
    }
    // Every run, allowed or not, added audit events.
    crate::events::audit_changed(&app, &gate);
    let execution = outcome?;
    let mut results = state
        .results
        .lock()
        .map_err(|_| CommandError::unavailable("the result store is unusable; restart Warden"))?;
    let id = results.insert(&execution);
    Ok(RunView::new(id, &execution))
}

/// Stops run `run_id`; false when it was not running (yet). The gate records `query_cancelled`.
#[tauri::command]
pub fn cancel_query(state: State<'_, AppState>, run_id: String) -> Result<bool, CommandError> {
    Ok(state
        .running
        .lock()
        .map_err(|_| unusable())?
        .cancel(&run_id))
}

fn unusable() -> CommandError {
    CommandError::unavailable("the app state is unusable; restart Warden")
}

#[derive(Serialize)]
pub struct Rows {
    rows: Vec<Vec<Value>>,
}

#[tauri::command]
pub fn fetch_rows(
    state: State<'_, AppState>,
    result_id: String,
    offset: usize,
    limit: usize,
) -> Result<Rows, CommandError> {
    // Rows read under a grant that has since ended are not shown (nor kept).
    let held = state.opened()?.gate.held_grants();
    let mut results = state
        .results
        .lock()
        .map_err(|_| CommandError::unavailable("the result store is unusable; restart Warden"))?;
    let rows = results
        .page(&result_id, offset, limit.min(MAX_PAGE), &held)
        .ok_or_else(|| {
            CommandError::invalid("that result is no longer kept: run the query again")
        })?;
    Ok(Rows { rows })
}
