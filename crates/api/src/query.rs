//! The editor's commands: the schema, linting as the user types, running, paging through rows.

use std::sync::Mutex;

use warden_core::{Gate, ResultStore};

use crate::editor::{Catalog, LintReport, QueryResult, RowPage};
use crate::error::{ApiError, ErrorKind};
use crate::running::RunningQueries;
use crate::{RunDetails, RunProgress};

/// Rows per page is the window's choice, within reason.
const MAX_PAGE: usize = 5_000;

/// `catalog`: the engine's schema with the policy's tags, from the workspace's cache when
/// there is one (the panel appears at once), else read now.
pub async fn catalog(gate: &Gate) -> Result<Catalog, ApiError> {
    let read = gate.catalog().await.map_err(|e| {
        ApiError::new(
            ErrorKind::Engine,
            format!("the schema could not be read: {e}"),
        )
    })?;
    let policy = gate.policy().ok();
    Ok(Catalog::new(&read, policy.as_ref().map(|p| p.policy())))
}

/// `refresh_catalog`: the schema read from the engine (Glue, on Athena) now, and cached.
pub async fn refresh_catalog(gate: &Gate) -> Result<Catalog, ApiError> {
    let read = gate.refresh_catalog().await.map_err(|e| {
        ApiError::new(
            ErrorKind::Engine,
            format!("the schema could not be read: {e}"),
        )
    })?;
    let policy = gate.policy().ok();
    Ok(Catalog::new(&read, policy.as_ref().map(|p| p.policy())))
}

/// `lint`: the gate's verdict on `sql` now.
pub fn lint(gate: &Gate, sql: &str, database: Option<&str>) -> LintReport {
    let result = gate.lint(sql, database);
    let notes = result
        .as_ref()
        .map(|report| gate.tables_missing(report))
        .unwrap_or_default();
    LintReport::from_lint(&result).with_catalog_notes(notes)
}

/// `run_query`: runs `sql` through the gate as run `run_id` (for Cancel) and keeps the rows for
/// `fetch_rows`. `parameters`: the values of its `?`s in order (empty for a text without).
pub async fn run_query(
    gate: &Gate,
    running: &Mutex<RunningQueries>,
    results: &Mutex<ResultStore>,
    sql: &str,
    parameters: &[String],
    database: Option<&str>,
    run_id: &str,
) -> Result<QueryResult, ApiError> {
    let (cancel, trace) = {
        let mut running = running.lock().map_err(|_| unusable())?;
        (running.start(run_id), running.watch(run_id))
    };
    let (outcome, details) = gate
        .run_watched(sql, parameters, database, cancel, trace)
        .await;
    let arriving = running.lock().ok().and_then(|mut r| r.finish(run_id));
    let mut results = results.lock().map_err(|_| result_store_unusable())?;
    let execution = match outcome {
        Ok(execution) => execution,
        Err(e) => {
            // The first rows the window was shown go with the run that failed.
            if let Some(id) = &arriving {
                results.remove(id);
            }
            return Err(ApiError::from(e).with_run(details.map(RunDetails::from)));
        }
    };
    let id = results.insert_finished(arriving.as_deref(), &execution);
    Ok(QueryResult::new(id, &execution))
}

/// `lint_measured`: `sql` linted as a run would lint it now, its scan measured first (on
/// Athena: Glue partitions and S3 object sizes), so the window shows the verdict Run would
/// get, not only the one the policy's stats give as you type.
pub async fn lint_measured(gate: &Gate, sql: &str, database: Option<&str>) -> LintReport {
    let result = gate.lint_measured(sql, database).await;
    let notes = result
        .as_ref()
        .map(|report| gate.tables_missing(report))
        .unwrap_or_default();
    LintReport::from_lint(&result).with_catalog_notes(notes)
}

/// `run_progress`: run `run_id` as it goes (state, Athena's id once known, workgroup, time so
/// far) with the rows it has stored so far, or `None` when it is not running (ended, or not
/// handed to an engine yet).
pub fn run_progress(
    running: &Mutex<RunningQueries>,
    results: &Mutex<ResultStore>,
    run_id: &str,
) -> Option<RunProgress> {
    // Always `running` before `results` (as `run_query`).
    let mut running = running.lock().ok()?;
    let run = running.progress(run_id)?;
    let arriving = running.arriving(run_id, &mut *results.lock().ok()?);
    Some(RunProgress { run, arriving })
}

/// `check_parameter`: why `value` cannot be the value of parameter `number` (from 1), or `None`
/// when it is one literal. The same check the gate makes before a run, so the dialog says as
/// the user types what Run would refuse.
pub fn check_parameter(number: u32, value: &str) -> Option<String> {
    warden_core::check_parameter_value(number as usize, value)
        .err()
        .map(|e| e.message)
}

/// `cancel_query`: false when run `run_id` was not running (yet).
pub fn cancel_query(running: &Mutex<RunningQueries>, run_id: &str) -> Result<bool, ApiError> {
    Ok(running.lock().map_err(|_| unusable())?.cancel(run_id))
}

/// `fetch_rows`: a page of a kept result, read from its chunk files on disk. Rows read under a
/// grant that has since ended are not shown (nor kept: the gate deleted them at the lockout).
pub fn fetch_rows(
    gate: &Gate,
    results: &Mutex<ResultStore>,
    result_id: &str,
    offset: usize,
    limit: usize,
) -> Result<RowPage, ApiError> {
    let held = gate.held_grants();
    let mut results = results.lock().map_err(|_| result_store_unusable())?;
    let rows = results
        .page(result_id, offset as u64, limit.min(MAX_PAGE), &held)
        .ok_or_else(|| ApiError::invalid("that result is no longer kept: run the query again"))?
        .map_err(|e| ApiError::internal(format!("the rows could not be read: {e}")))?;
    Ok(RowPage { rows })
}

fn unusable() -> ApiError {
    ApiError::internal("the app state is unusable; restart Warden")
}

fn result_store_unusable() -> ApiError {
    ApiError::internal("the result store is unusable; restart Warden")
}

#[cfg(test)]
mod tests {
    use super::check_parameter;

    #[test]
    fn a_parameter_is_one_literal() {
        assert_eq!(check_parameter(1, "'DE'"), None);
        assert_eq!(check_parameter(2, " DATE '2024-01-31' "), None);
        let problem = check_parameter(3, "'DE' OR 1 = 1").expect("refused");
        assert!(
            problem.starts_with("'DE' OR 1 = 1 is 5 tokens, not one literal"),
            "{problem}"
        );
    }
}
