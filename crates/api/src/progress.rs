//! A run as it goes, for the window's poll: its state and, once rows arrive, the rows stored
//! so far, paged with `fetch_rows` like a finished result, so a long read shows its first page
//! before it ends.

use serde::Serialize;
use ts_rs::TS;

use crate::editor::ResultColumn;
use crate::RunDetails;

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunProgress {
    pub run: RunDetails,
    /// The run's result while its rows arrive; `null` until the engine stored the first ones.
    pub arriving: Option<ArrivingResult>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "camelCase")]
pub struct ArrivingResult {
    /// For `fetch_rows`; the finished run's result keeps this id.
    pub result_id: String,
    pub columns: Vec<ResultColumn>,
    /// Rows stored so far (more may come).
    pub row_count: usize,
}
