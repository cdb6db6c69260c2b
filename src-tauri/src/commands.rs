//! The editor's commands; their bodies are in `warden_api::query`.

use tauri::{AppHandle, State};
use warden_api::{
    ApiError, Catalog, ExportDone, ExportFormat, LintReport, QueryResult, RowPage, SaveQuery,
    SavedQuery, WorkspaceInfo,
};

use crate::state::AppState;

#[tauri::command]
pub fn workspace_info(state: State<'_, AppState>) -> Result<WorkspaceInfo, ApiError> {
    let opened = state.opened()?;
    Ok(warden_api::workspace::workspace_info(
        &opened.gate,
        &opened.home,
    ))
}

#[tauri::command]
pub async fn catalog(state: State<'_, AppState>) -> Result<Catalog, ApiError> {
    let gate = state.opened()?.gate.clone();
    warden_api::query::catalog(&gate).await
}

#[tauri::command]
pub async fn workgroups(
    state: State<'_, AppState>,
) -> Result<Option<warden_api::WorkgroupPicker>, ApiError> {
    let gate = state.opened()?.gate.clone();
    warden_api::workgroups::workgroups(&gate).await
}

#[tauri::command]
pub async fn named_queries(
    state: State<'_, AppState>,
) -> Result<Option<warden_api::WorkgroupQueries>, ApiError> {
    let gate = state.opened()?.gate.clone();
    warden_api::named_queries::named_queries(&gate).await
}

#[tauri::command]
pub async fn choose_workgroup(
    state: State<'_, AppState>,
    name: String,
) -> Result<warden_api::WorkgroupPicker, ApiError> {
    let gate = state.opened()?.gate.clone();
    warden_api::workgroups::choose_workgroup(&gate, &name).await
}

#[tauri::command]
pub async fn refresh_catalog(state: State<'_, AppState>) -> Result<Catalog, ApiError> {
    let gate = state.opened()?.gate.clone();
    warden_api::query::refresh_catalog(&gate).await
}

#[tauri::command]
pub fn lint(
    state: State<'_, AppState>,
    sql: String,
    database: Option<String>,
) -> Result<LintReport, ApiError> {
    let gate = &state.opened()?.gate;
    Ok(warden_api::query::lint(gate, &sql, database.as_deref()))
}

#[tauri::command]
pub async fn run_query(
    app: AppHandle,
    state: State<'_, AppState>,
    sql: String,
    database: Option<String>,
    run_id: String,
    parameters: Option<Vec<String>>,
) -> Result<QueryResult, ApiError> {
    let gate = state.opened()?.gate.clone();
    let result = warden_api::query::run_query(
        &gate,
        &state.running,
        &state.results,
        &sql,
        parameters.as_deref().unwrap_or_default(),
        database.as_deref(),
        &run_id,
    )
    .await;
    // Every run, allowed or not, added audit events.
    crate::events::audit_changed(&app, &gate);
    result
}

/// Why `value` cannot be parameter `number`'s, or null when it is one literal.
#[tauri::command]
pub fn check_parameter(number: u32, value: String) -> Option<String> {
    warden_api::query::check_parameter(number, &value)
}

/// `sql` formatted, or why it stays as typed.
#[tauri::command]
pub fn format_sql(
    state: State<'_, AppState>,
    sql: String,
    database: Option<String>,
) -> Result<String, ApiError> {
    warden_api::format::format_sql(&state.opened()?.gate, &sql, database.as_deref())
}

/// `sql` linted as a run would lint it now, its scan measured first (S3 object sizes on
/// Athena), for the window once the text rests.
#[tauri::command]
pub async fn lint_measured(
    state: State<'_, AppState>,
    sql: String,
    database: Option<String>,
) -> Result<LintReport, ApiError> {
    let gate = state.opened()?.gate.clone();
    Ok(warden_api::query::lint_measured(&gate, &sql, database.as_deref()).await)
}

/// Run `run_id` as it goes, polled by the window while it waits (Athena's state and id, and
/// the rows stored so far).
#[tauri::command]
pub fn run_progress(state: State<'_, AppState>, run_id: String) -> Option<warden_api::RunProgress> {
    warden_api::query::run_progress(&state.running, &state.results, &run_id)
}

/// Stops run `run_id`; false when it was not running (yet). The gate records `query_cancelled`.
#[tauri::command]
pub fn cancel_query(state: State<'_, AppState>, run_id: String) -> Result<bool, ApiError> {
    warden_api::query::cancel_query(&state.running, &run_id)
}

#[tauri::command]
pub fn fetch_rows(
    state: State<'_, AppState>,
    result_id: String,
    offset: usize,
    limit: usize,
) -> Result<RowPage, ApiError> {
    let gate = &state.opened()?.gate;
    warden_api::query::fetch_rows(gate, &state.results, &result_id, offset, limit)
}

/// Writes the whole of a kept result to `path` as CSV or JSON (off the main thread: a large
/// result takes a while); the core records `result_exported`.
#[tauri::command]
pub async fn export_result(
    app: AppHandle,
    state: State<'_, AppState>,
    result_id: String,
    path: String,
    format: ExportFormat,
) -> Result<ExportDone, ApiError> {
    let gate = state.opened()?.gate.clone();
    let kept = warden_api::export::kept(&gate, &state.results, &result_id)?;
    let writer = gate.clone();
    let done = tauri::async_runtime::spawn_blocking(move || {
        warden_api::export::export_result(&writer, &kept, &path, format)
    })
    .await
    .map_err(|e| ApiError::internal(format!("the export stopped: {e}")))?;
    crate::events::audit_changed(&app, &gate);
    done
}

/// The tabs kept from the last session on this workspace (the window's own format), if any.
#[tauri::command]
pub fn kept_tabs(state: State<'_, AppState>) -> Result<Option<String>, ApiError> {
    let opened = state.opened()?;
    warden_api::tabs::kept_tabs(&opened.home, opened.gate.workspace())
}

/// Keeps the window's tabs; called after every change, so a kill loses at most the change
/// in flight.
#[tauri::command]
pub fn keep_tabs(state: State<'_, AppState>, text: String) -> Result<(), ApiError> {
    let opened = state.opened()?;
    warden_api::tabs::keep_tabs(&opened.home, opened.gate.workspace(), &text)
}

/// The workspace's saved queries, by name.
#[tauri::command]
pub fn saved_queries(state: State<'_, AppState>) -> Result<Vec<SavedQuery>, ApiError> {
    let opened = state.opened()?;
    warden_api::saved::saved_queries(&opened.home, opened.gate.workspace())
}

/// Saves a query (replacing one of the same name); the list after.
#[tauri::command]
pub fn save_query(
    state: State<'_, AppState>,
    query: SaveQuery,
) -> Result<Vec<SavedQuery>, ApiError> {
    let opened = state.opened()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    warden_api::saved::save_query(&opened.home, opened.gate.workspace(), query, now)
}

/// Deletes the saved query `name`; the list after.
#[tauri::command]
pub fn delete_saved_query(
    state: State<'_, AppState>,
    name: String,
) -> Result<Vec<SavedQuery>, ApiError> {
    let opened = state.opened()?;
    warden_api::saved::delete_saved_query(&opened.home, opened.gate.workspace(), &name)
}
