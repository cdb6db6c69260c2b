//! Query executions: their states, and running them with DataFusion over the lake.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use arrow::array::RecordBatch;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::{execute_stream, ExecutionPlan};
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use crate::standin::permissions::{first_denied, Caller, Classes, ColumnGrants};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryState {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl QueryState {
    pub fn as_str(self) -> &'static str {
        match self {
            QueryState::Queued => "QUEUED",
            QueryState::Running => "RUNNING",
            QueryState::Succeeded => "SUCCEEDED",
            QueryState::Failed => "FAILED",
            QueryState::Cancelled => "CANCELLED",
        }
    }

    pub fn is_done(self) -> bool {
        matches!(
            self,
            QueryState::Succeeded | QueryState::Failed | QueryState::Cancelled
        )
    }
}

/// Athena's `AthenaError`: category 1 system, 2 user, 3 other.
#[derive(Debug, Clone)]
pub struct QueryError {
    pub category: i32,
    pub error_type: i32,
    pub retryable: bool,
    pub message: String,
}

/// The rows of a finished query, kept for `GetQueryResults`.
#[derive(Debug)]
pub struct StoredResult {
    pub columns: Vec<(String, String)>,
    pub batches: Vec<RecordBatch>,
    pub rows: usize,
}

#[derive(Debug, Clone)]
pub struct Execution {
    pub id: String,
    pub query: String,
    /// `ExecutionParameters`, in order; the query runs with them in place of its `?`s.
    pub parameters: Vec<String>,
    pub catalog: Option<String>,
    pub database: Option<String>,
    pub workgroup: String,
    /// `s3://.../<id>.csv` (for a reused result, the earlier query's object).
    pub output: Option<String>,
    pub state: QueryState,
    pub reason: Option<String>,
    pub error: Option<QueryError>,
    pub submitted: SystemTime,
    pub completed: Option<SystemTime>,
    pub engine_ms: u64,
    pub queue_ms: u64,
    pub bytes: u64,
    pub reused: bool,
    pub reuse_max_age: Option<i64>,
    pub result: Option<Arc<StoredResult>>,
    /// Who started it, when the stand-in judges column permissions.
    pub caller: Option<Caller>,
}

/// Every execution the stand-in has seen, and the indexes Athena keeps on them.
#[derive(Default)]
pub struct Executions {
    pub by_id: HashMap<String, Execution>,
    pub order: Vec<String>,
    pub by_token: HashMap<String, String>,
    pub tasks: HashMap<String, tokio::task::AbortHandle>,
}

impl Executions {
    /// The latest successful execution of the same text in the same context, no older than
    /// `max_age`, for result reuse.
    pub fn reusable(&self, e: &Execution, max_age: Duration) -> Option<&Execution> {
        self.order
            .iter()
            .rev()
            .filter_map(|id| self.by_id.get(id))
            .find(|old| {
                old.id != e.id
                    && old.state == QueryState::Succeeded
                    && old.query == e.query
                    && old.parameters == e.parameters
                    && old.database == e.database
                    && old.catalog == e.catalog
                    && old.workgroup == e.workgroup
                    && old
                        .completed
                        .and_then(|c| c.elapsed().ok())
                        .is_some_and(|age| age <= max_age)
            })
    }
}

/// What running a query produced.
pub struct Ran {
    pub result: StoredResult,
    pub bytes: u64,
    pub engine: Duration,
}

/// Who runs a query, and the column permissions it is judged by.
pub struct Guard<'a> {
    pub classes: &'a Classes,
    pub grants: &'a ColumnGrants,
    pub caller: &'a Caller,
}

pub async fn run_query(
    ctx: &SessionContext,
    database: Option<&str>,
    sql: &str,
    guard: Option<Guard<'_>>,
) -> Result<Ran, String> {
    let started = Instant::now();
    let mut state = ctx.state();
    if let Some(db) = database {
        state.config_mut().options_mut().catalog.default_schema = db.to_lowercase();
    }
    let plan = state
        .create_logical_plan(sql)
        .await
        .map_err(|e| e.strip_backtrace())?;
    if let Some(guard) = guard {
        let default_db = state.config().options().catalog.default_schema.clone();
        let optimized = state.optimize(&plan).map_err(|e| e.strip_backtrace())?;
        if let Some(column) = denied_column(&optimized, &default_db, &guard) {
            // Athena's words when Lake Formation withholds a column.
            return Err(format!(
                "COLUMN_NOT_FOUND: Column '{column}' cannot be resolved or requester is not authorized to access requested resources"
            ));
        }
    }
    let physical: Arc<dyn ExecutionPlan> = state
        .create_physical_plan(&plan)
        .await
        .map_err(|e| e.strip_backtrace())?;
    let schema = physical.schema();
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            (
                f.name().clone(),
                crate::standin::results::athena_type(f.data_type()),
            )
        })
        .collect();
    let mut stream =
        execute_stream(physical.clone(), state.task_ctx()).map_err(|e| e.strip_backtrace())?;
    let mut batches = Vec::new();
    let mut rows = 0;
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| e.strip_backtrace())?;
        rows += batch.num_rows();
        batches.push(batch);
    }
    drop(stream);
    Ok(Ran {
        result: StoredResult {
            columns,
            batches,
            rows,
        },
        bytes: bytes_scanned(physical.as_ref()),
        engine: started.elapsed(),
    })
}

/// The first column a table scan of `plan` reads (projected or filtered on) that the guard's
/// caller may not read.
fn denied_column(plan: &LogicalPlan, default_db: &str, guard: &Guard<'_>) -> Option<String> {
    let mut denied = None;
    let _ = plan.apply(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            let db = scan.table_name.schema().unwrap_or(default_db);
            let table = format!("{db}.{}", scan.table_name.table());
            let mut columns: Vec<String> = scan
                .projected_schema
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            for filter in &scan.filters {
                columns.extend(filter.column_refs().into_iter().map(|c| c.name.clone()));
            }
            denied = first_denied(
                guard.classes,
                guard.grants,
                guard.caller,
                &table,
                columns.iter().map(String::as_str),
            );
            if denied.is_some() {
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    denied
}

/// Bytes read from Parquet files over every operator of the executed plan.
fn bytes_scanned(plan: &dyn ExecutionPlan) -> u64 {
    let own = plan
        .metrics()
        .and_then(|m| m.sum_by_name("bytes_scanned"))
        .map(|v| v.as_usize() as u64)
        .unwrap_or(0);
    own + plan
        .children()
        .into_iter()
        .map(|c| bytes_scanned(c.as_ref()))
        .sum::<u64>()
}
