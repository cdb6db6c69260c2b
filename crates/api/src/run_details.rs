//! What the window shows of one run, whatever its end: state, rows, bytes scanned and what
//! they cost, duration, workgroup and the engine's id for the run (Athena's query execution
//! id, which support and CloudTrail know it by).

use serde::Serialize;
use ts_rs::TS;
use warden_core::{Execution, Phase, RunEnd, RunTrace};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// While it goes: Athena holds the query in its queue.
    Queued,
    /// While it goes: the engine runs it.
    Running,
    /// While it goes: it succeeded and its rows are being read.
    Reading,
    Succeeded,
    Failed,
    Cancelled,
}

#[derive(Debug, Clone, Serialize, PartialEq, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunDetails {
    pub state: RunState,
    /// "datafusion" (the demo engine) or "athena".
    pub engine: String,
    /// The engine's id for the run; on a failed or cancelled run, once the engine gave one.
    pub query_id: Option<String>,
    /// The Athena workgroup; `null` for engines without.
    pub workgroup: Option<String>,
    /// Rows of a finished run; while it goes, those stored so far once some are; `null`
    /// otherwise.
    pub rows: Option<u64>,
    /// Bytes scanned; `null` when the engine did not say (a failed or cancelled demo run).
    pub bytes_scanned: Option<u64>,
    /// What the scan cost in USD (Athena); `null` for engines that do not bill by the byte.
    pub cost_usd: Option<f64>,
    pub duration_ms: u64,
}

impl From<&Execution> for RunDetails {
    fn from(e: &Execution) -> Self {
        Self {
            state: RunState::Succeeded,
            engine: e.engine.to_string(),
            query_id: Some(e.query_id.clone()),
            workgroup: e.workgroup.clone(),
            rows: Some(e.result.len()),
            bytes_scanned: Some(e.bytes_scanned),
            cost_usd: e.cost_usd,
            duration_ms: e.duration.as_millis() as u64,
        }
    }
}

impl RunDetails {
    /// A run still going, from what its engine has noted so far; `None` until the gate has
    /// handed it to an engine. `elapsed_ms`: since the window started it.
    pub fn in_progress(trace: &RunTrace, elapsed_ms: u64) -> Option<Self> {
        let engine = trace.engine()?;
        Some(Self {
            state: match trace.phase() {
                Some(Phase::Queued) => RunState::Queued,
                Some(Phase::Reading) => RunState::Reading,
                Some(Phase::Running) | None => RunState::Running,
            },
            engine: engine.to_string(),
            query_id: trace.query_id(),
            workgroup: trace.workgroup(),
            rows: trace
                .arriving()
                .filter(|r| !r.is_withdrawn() && !r.is_empty())
                .map(|r| r.len()),
            bytes_scanned: trace.scanned().map(|s| s.bytes),
            cost_usd: trace.scanned().and_then(|s| s.cost_usd),
            duration_ms: elapsed_ms,
        })
    }
}

impl From<warden_core::RunDetails> for RunDetails {
    fn from(d: warden_core::RunDetails) -> Self {
        Self {
            state: match d.state {
                RunEnd::Succeeded => RunState::Succeeded,
                RunEnd::Failed => RunState::Failed,
                RunEnd::Cancelled => RunState::Cancelled,
            },
            engine: d.engine.to_string(),
            query_id: d.query_id,
            workgroup: d.workgroup,
            rows: d.rows,
            bytes_scanned: d.bytes_scanned,
            cost_usd: d.cost_usd,
            duration_ms: d.duration_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_athena_run_reaches_the_window_with_its_id_and_scan() {
        let details = RunDetails::from(warden_core::RunDetails {
            state: RunEnd::Cancelled,
            engine: "athena",
            query_id: Some("0d9f-1".into()),
            workgroup: Some("primary".into()),
            rows: None,
            bytes_scanned: Some(10_485_760),
            cost_usd: Some(0.000_047_684),
            duration_ms: 1_500,
        });
        assert_eq!(
            serde_json::to_value(&details).unwrap(),
            serde_json::json!({
                "state": "cancelled",
                "engine": "athena",
                "queryId": "0d9f-1",
                "workgroup": "primary",
                "rows": null,
                "bytesScanned": 10_485_760,
                "costUsd": 0.000_047_684,
                "durationMs": 1_500
            })
        );
    }
}
