use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::SessionState;
use datafusion::physical_plan::{execute_stream, ExecutionPlan};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::Statement as DfStatement;
use futures::StreamExt;
use warden_demo_client::convert;
use warden_demo_lake::TableSpec;
use warden_engine::{
    Approved, CancellationToken, CatalogSnapshot, Engine, EngineError, QueryOutcome, ResultReader,
    RunTrace, Value,
};
use warden_guardrails::sqlparser::ast::Statement;
use warden_results::ResultWriter;

use crate::error::OpenError;
use crate::{catalog, metrics, read_only, register};

/// Memory DataFusion may use for one engine (sorts, joins, aggregations) before a query fails
/// with "resources exhausted" instead of taking the desktop down.
pub const DEFAULT_MEMORY_LIMIT: usize = 1 << 30;

/// DataFusion over a local Parquet lake laid out as Athena expects, as a [`warden_engine::Engine`]
/// of the process that holds it: results go to the store under `results_dir`.
#[derive(Clone)]
pub struct DataFusionEngine {
    lake: Lake,
    /// Where results are stored (`warden-results`): rows go to disk as they stream out of the
    /// plan, so memory does not grow with the size of a result.
    results_dir: PathBuf,
    /// A cap on the rows of one result, when the caller wants one (none by default).
    max_rows: Option<u64>,
}

impl std::fmt::Debug for DataFusionEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataFusionEngine")
            .field("results_dir", &self.results_dir)
            .field("max_rows", &self.max_rows)
            .finish_non_exhaustive()
    }
}

impl DataFusionEngine {
    /// Opens the lake at `lake_root` and registers `tables` (see [`warden_demo_lake::describe`])
    /// as `<database>.<table>`, each with its partition keys. Results are stored in folders
    /// under `results_dir` (the workspace's cache folder).
    pub fn open(
        lake_root: &Path,
        tables: &[TableSpec],
        results_dir: &Path,
    ) -> Result<Self, OpenError> {
        Self::open_with_memory_limit(lake_root, tables, results_dir, DEFAULT_MEMORY_LIMIT)
    }

    pub fn open_with_memory_limit(
        lake_root: &Path,
        tables: &[TableSpec],
        results_dir: &Path,
        memory_limit: usize,
    ) -> Result<Self, OpenError> {
        Ok(Self {
            lake: Lake::open_with_memory_limit(lake_root, tables, memory_limit)?,
            results_dir: results_dir.to_path_buf(),
            max_rows: None,
        })
    }

    /// Stops queries whose result would exceed `max_rows` rows.
    pub fn with_max_rows(mut self, max_rows: u64) -> Self {
        self.max_rows = Some(max_rows);
        self
    }
}

/// The lake's tables in a DataFusion session: what plans and runs statements, for
/// [`DataFusionEngine`] and for the engine's own process (`warden-demo-engine`), which hands
/// the batches to the app.
#[derive(Clone)]
pub struct Lake {
    ctx: SessionContext,
}

impl Lake {
    pub fn open(lake_root: &Path, tables: &[TableSpec]) -> Result<Self, OpenError> {
        Self::open_with_memory_limit(lake_root, tables, DEFAULT_MEMORY_LIMIT)
    }

    pub fn open_with_memory_limit(
        lake_root: &Path,
        tables: &[TableSpec],
        memory_limit: usize,
    ) -> Result<Self, OpenError> {
        let root = lake_root.canonicalize().map_err(|e| OpenError::LakeRoot {
            path: lake_root.to_path_buf(),
            reason: e.to_string(),
        })?;
        if !root.is_dir() {
            return Err(OpenError::LakeRoot {
                path: root,
                reason: "it is not a folder".into(),
            });
        }
        let config = SessionConfig::new().with_information_schema(false);
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_limit(memory_limit, 1.0)
            .build_arc()
            .map_err(|e| OpenError::LakeRoot {
                path: root.clone(),
                reason: e.strip_backtrace(),
            })?;
        let ctx = SessionContext::new_with_config_rt(config, runtime);
        register::register_all(&ctx, &root, tables)?;
        Ok(Self { ctx })
    }

    pub async fn catalog(&self) -> Result<CatalogSnapshot, EngineError> {
        catalog::snapshot(&self.ctx).await
    }

    /// A session whose unqualified table names resolve in the query's default database,
    /// as Athena's query execution context does.
    fn session_for(&self, default_database: Option<&str>) -> SessionState {
        let mut state = self.ctx.state();
        if let Some(db) = default_database {
            state.config_mut().options_mut().catalog.default_schema = db.to_lowercase();
        }
        state
    }

    /// Checks that `statement` only reads, plans it and hands its batches to `sink` as the
    /// plan yields them, on the query threads (see `stack.rs`); returns the Parquet bytes
    /// read. The sink comes back with the outcome, unless the run panicked.
    pub async fn run_statement<S: BatchSink + 'static>(
        &self,
        statement: Statement,
        default_database: Option<&str>,
        mut sink: S,
    ) -> (Option<S>, Result<u64, EngineError>) {
        let state = self.session_for(default_database);
        let handle = match crate::stack::handle() {
            Ok(handle) => handle,
            Err(e) => return (Some(sink), Err(e)),
        };
        let task = handle.spawn(async move {
            let outcome = checked_run(state, statement, &mut sink).await;
            (sink, outcome)
        });
        match task.await {
            Ok((sink, outcome)) => (Some(sink), outcome),
            Err(_) => (None, Err(stopped())),
        }
    }
}

/// Where the batches of a run go: the result store in process, the pipe to the app in
/// `warden-demo-engine`.
pub trait BatchSink: Send {
    /// The plan is made: its rows will have this schema.
    fn start(&mut self, schema: &SchemaRef) -> Result<(), EngineError>;
    fn batch(&mut self, batch: &RecordBatch) -> Result<(), EngineError>;
}

#[async_trait::async_trait]
impl Engine for DataFusionEngine {
    fn name(&self) -> &'static str {
        "datafusion"
    }

    async fn catalog(&self) -> Result<CatalogSnapshot, EngineError> {
        self.lake.catalog().await
    }

    async fn execute(
        &self,
        query: Approved,
        cancel: CancellationToken,
    ) -> Result<QueryOutcome, EngineError> {
        self.execute_traced(query, cancel, &RunTrace::new()).await
    }

    async fn execute_traced(
        &self,
        query: Approved,
        cancel: CancellationToken,
        trace: &RunTrace,
    ) -> Result<QueryOutcome, EngineError> {
        let started = Instant::now();
        if cancel.is_cancelled() {
            return Err(EngineError::Cancelled);
        }
        let state = self.lake.session_for(query.default_database());
        let (created, mut arriving) = tokio::sync::oneshot::channel();
        let mut sink = StoreSink {
            results_dir: self.results_dir.clone(),
            max_rows: self.max_rows,
            created: Some(created),
            store: None,
            rows: Vec::new(),
        };
        // Run on its own task so a cancelled query returns at once; aborting the task drops
        // the plan's streams, which stops DataFusion's own worker tasks too. The task runs on
        // the query runtime, whose threads have the stack deep plans need (see `stack.rs`);
        // the statement is copied, checked and dropped there too, since each of those walks
        // it recursively.
        //
        // A text with `?` parameters arrives as the statement of the text with its values in
        // place (`Approved::statements`), which the guardrails linted in that form too. That is
        // how Athena runs `ExecutionParameters` (the values are put in the text), so a value
        // means the same here as there (`DATE '2024-01-01'` a date, `'7'` a string). DataFusion's
        // `with_param_values` would instead bind typed `ScalarValue`s to `$n` placeholders (it
        // has no `?`) with types inferred from the plan: another reading of the same value, and
        // a second path from what was checked to what runs.
        //
        // The result is handed out as soon as it is created, so the window can page the rows
        // stored so far while the plan still runs.
        let mut task = crate::stack::handle()?.spawn(async move {
            let statement = match query.statements() {
                [one] => one.clone(),
                [] => return Err(EngineError::Query("there is no statement to run".into())),
                many => return Err(EngineError::MultipleStatements(many.len())),
            };
            drop(query);
            let bytes_scanned = checked_run(state, statement, &mut sink).await?;
            Ok((sink.finish()?, bytes_scanned))
        });
        let (result, bytes_scanned) = loop {
            tokio::select! {
                _ = cancel.cancelled() => {
                    task.abort();
                    return Err(EngineError::Cancelled);
                }
                Ok(reader) = &mut arriving, if !arriving.is_terminated() => {
                    trace.set_arriving(&reader);
                }
                joined = &mut task => break match joined {
                    Ok(outcome) => outcome?,
                    Err(e) if e.is_cancelled() => return Err(EngineError::Cancelled),
                    Err(_) => return Err(stopped()),
                }
            }
        };
        Ok(QueryOutcome {
            query_id: uuid::Uuid::new_v4().to_string(),
            result,
            bytes_scanned,
            cost_usd: None,
            duration: started.elapsed(),
        })
    }
}

fn stopped() -> EngineError {
    EngineError::Query("the embedded engine stopped unexpectedly while running the query".into())
}

/// Refuses a statement that is not a read or that names a table in a way DataFusion would read
/// differently from Athena, then runs it.
async fn checked_run(
    state: SessionState,
    statement: Statement,
    sink: &mut dyn BatchSink,
) -> Result<u64, EngineError> {
    read_only::check_statement(&statement).map_err(EngineError::Query)?;
    crate::names::check_names(&statement).map_err(EngineError::Query)?;
    run(state, statement, sink).await
}

async fn run(
    state: SessionState,
    statement: Statement,
    sink: &mut dyn BatchSink,
) -> Result<u64, EngineError> {
    // The statement the guardrails parsed and checked is the one planned; the text is not
    // parsed a second time.
    let plan = state
        .statement_to_plan(DfStatement::Statement(Box::new(statement)))
        .await
        .map_err(query_error)?;
    read_only::check_plan(&plan).map_err(EngineError::Query)?;
    let physical: Arc<dyn ExecutionPlan> = state
        .create_physical_plan(&plan)
        .await
        .map_err(query_error)?;
    sink.start(&physical.schema())?;
    let mut stream = execute_stream(physical.clone(), state.task_ctx()).map_err(query_error)?;
    while let Some(batch) = stream.next().await {
        sink.batch(&batch.map_err(query_error)?)?;
    }
    drop(stream);
    Ok(metrics::bytes_scanned(physical.as_ref()))
}

/// The in-process sink: one batch's rows at a time into a new result of the store (a
/// cancelled run drops the writer, and with the reader the folder).
struct StoreSink {
    results_dir: PathBuf,
    max_rows: Option<u64>,
    created: Option<tokio::sync::oneshot::Sender<ResultReader>>,
    store: Option<(ResultWriter, ResultReader)>,
    rows: Vec<Vec<Value>>,
}

impl BatchSink for StoreSink {
    fn start(&mut self, schema: &SchemaRef) -> Result<(), EngineError> {
        let (writer, reader) = warden_results::create(&self.results_dir, convert::columns(schema))
            .map_err(store_error)?;
        if let Some(created) = self.created.take() {
            // Nobody waiting for it (the run is being cancelled) is no reason to stop here.
            let _ = created.send(reader.clone());
        }
        self.store = Some((writer, reader));
        Ok(())
    }

    fn batch(&mut self, batch: &RecordBatch) -> Result<(), EngineError> {
        let Some((writer, reader)) = self.store.as_mut() else {
            return Err(EngineError::Query(
                "rows came before the plan was made".into(),
            ));
        };
        if let Some(max) = self.max_rows {
            if writer.rows() + batch.num_rows() as u64 > max {
                return Err(EngineError::Query(format!(
                    "the result has more than {max} rows; add a LIMIT or aggregate the data"
                )));
            }
        }
        convert::append_rows(batch, &mut self.rows)
            .map_err(|e| EngineError::Query(format!("a result value could not be read: {e}")))?;
        for row in self.rows.drain(..) {
            writer.push(row).map_err(store_error)?;
        }
        if reader.is_empty() {
            // The first rows show in the window as soon as they come, not when a chunk fills.
            writer.flush().map_err(store_error)?;
        }
        Ok(())
    }
}

impl StoreSink {
    fn finish(self) -> Result<ResultReader, EngineError> {
        let Some((writer, reader)) = self.store else {
            return Err(EngineError::Query("the plan was never made".into()));
        };
        writer.finish().map_err(store_error)?;
        Ok(reader)
    }
}

fn store_error(e: warden_results::ResultsError) -> EngineError {
    EngineError::Query(format!("the result could not be stored: {e}"))
}

/// DataFusion's message without backtraces or debug output.
fn query_error(e: DataFusionError) -> EngineError {
    EngineError::Query(e.strip_backtrace())
}
