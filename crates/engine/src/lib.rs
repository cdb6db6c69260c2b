//! The interface every query engine implements (embedded DataFusion, Amazon Athena).
//!
//! [`Engine::execute`] takes a [`warden_guardrails::Approved`], which only the guardrails can
//! issue, so an engine cannot be asked to run SQL that was never checked. Results go to the
//! disk-backed store of `warden-results`, whose cell and column types this crate re-exports.

mod catalog;
mod error;
mod named_query;
mod result;
mod trace;
mod workgroup;

pub use catalog::{CatalogColumn, CatalogDatabase, CatalogSnapshot, CatalogTable};
pub use error::EngineError;
pub use named_query::{NamedQueries, NamedQuery, NAMED_QUERIES_MAX};
pub use result::{ColumnInfo, QueryOutcome, ResultReader, Value};
pub use tokio_util::sync::CancellationToken;
pub use trace::{Phase, RunTrace, Scanned};
pub use warden_guardrails::Approved;
pub use workgroup::Workgroup;

#[async_trait::async_trait]
pub trait Engine: Send + Sync {
    /// Short name shown to the user and recorded in the audit journal ("datafusion", "athena").
    fn name(&self) -> &'static str;

    /// The Athena workgroup queries run in, for the audit journal; `None` for engines without.
    fn workgroup(&self) -> Option<String> {
        None
    }

    /// The enabled workgroups the caller can see, each with its scan cutoff (Athena); none
    /// for engines without workgroups.
    async fn workgroups(&self) -> Result<Vec<Workgroup>, EngineError> {
        Ok(Vec::new())
    }

    /// Runs started from now on go to workgroup `name` (already checked by the gate).
    fn use_workgroup(&self, name: &str) -> Result<(), EngineError> {
        Err(EngineError::Unavailable(format!(
            "the {} engine has no workgroups, so it cannot run in {name}",
            self.name()
        )))
    }

    /// The named queries of the workgroup baseline runs use now (Athena); `None` for engines
    /// without workgroups.
    async fn named_queries(&self) -> Result<Option<NamedQueries>, EngineError> {
        Ok(None)
    }

    /// Databases, tables and columns the engine can see, for the schema panel and completion.
    async fn catalog(&self) -> Result<CatalogSnapshot, EngineError>;

    /// The bytes each target's objects hold now (on Athena: the S3 objects under the
    /// partitions its filter selects), one answer per target in order, each the size or why it
    /// could not be measured. `None`: this engine does not measure, and the scan estimate
    /// comes from the policy's stats.
    async fn scan_sizes(
        &self,
        targets: &[warden_guardrails::ScanTarget],
    ) -> Option<Vec<Result<u64, String>>> {
        let _ = targets;
        None
    }

    /// Runs an approved query to completion, or stops when `cancel` fires. The rows stream into
    /// a result in the disk-backed store as they arrive; the outcome hands over that stored
    /// result, complete, never a copy of the rows in memory.
    async fn execute(
        &self,
        query: Approved,
        cancel: CancellationToken,
    ) -> Result<QueryOutcome, EngineError>;

    /// `execute`, noting in `trace` what is known of the run as it goes, so that a run that
    /// fails or is cancelled can still be recorded with its query id. Engines whose runs have
    /// no id of their own before they finish keep this default.
    async fn execute_traced(
        &self,
        query: Approved,
        cancel: CancellationToken,
        trace: &RunTrace,
    ) -> Result<QueryOutcome, EngineError> {
        let _ = trace;
        self.execute(query, cancel).await
    }
}
