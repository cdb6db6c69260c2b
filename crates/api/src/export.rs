//! `export_result`: the whole of a tab's result (not the page shown) written to a file the user
//! picked, as CSV or JSON, by the core (streamed, atomic, recorded as `result_exported`).

use std::path::Path;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use warden_core::{ExportOptions, Gate, KeptResult, ResultStore};

use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Json,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportDone {
    pub rows: u64,
    pub path: String,
}

/// The kept result `result_id`, whole, if the grants it leaned on still hold.
pub fn kept(
    gate: &Gate,
    results: &Mutex<ResultStore>,
    result_id: &str,
) -> Result<KeptResult, ApiError> {
    let held = gate.held_grants();
    results
        .lock()
        .map_err(|_| ApiError::internal("the result store is unusable; restart Warden"))?
        .whole(result_id, &held)
        .ok_or_else(|| ApiError::invalid("that result is no longer kept: run the query again"))
}

/// Writes `kept` to `path`. In the window the CSV formula guard is always on; the command line
/// can turn it off (`warden query --no-formula-guard`).
pub fn export_result(
    gate: &Gate,
    kept: &KeptResult,
    path: &str,
    format: ExportFormat,
) -> Result<ExportDone, ApiError> {
    let path = path.trim();
    if path.is_empty() {
        return Err(ApiError::invalid("give the path of the file to write"));
    }
    let format = match format {
        ExportFormat::Csv => warden_core::ExportFormat::Csv,
        ExportFormat::Json => warden_core::ExportFormat::Json,
    };
    let done = gate
        .export_result(kept, Path::new(path), ExportOptions::new(format))
        .map_err(|e| match e {
            warden_core::CoreError::Export(_) => ApiError::invalid(e.to_string()),
            other => ApiError::internal(other.to_string()),
        })?;
    Ok(ExportDone {
        rows: done.rows,
        path: done.path.display().to_string(),
    })
}
