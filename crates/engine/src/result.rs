use std::time::Duration;

pub use warden_results::{ColumnInfo, ResultReader, Value};

/// A finished run. Its rows are not in memory: they are in the disk-backed result store
/// (`warden-results`), complete, and are paged, exported or streamed from there.
#[derive(Debug, Clone)]
pub struct QueryOutcome {
    /// The engine's own id for the execution (Athena's QueryExecutionId, or a local UUID).
    pub query_id: String,
    pub result: ResultReader,
    pub bytes_scanned: u64,
    /// What the scan cost in USD, for engines that bill by the byte (Athena); `None` otherwise.
    pub cost_usd: Option<f64>,
    pub duration: Duration,
}
