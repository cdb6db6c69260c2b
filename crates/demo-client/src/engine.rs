use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use warden_engine::{
    Approved, CancellationToken, CatalogSnapshot, Engine, EngineError, QueryOutcome, RunTrace,
};

use crate::protocol;
use crate::worker::{Failure, Target, Worker};

/// The demo workspace's engine: DataFusion over the demo lake, in a `warden-demo-engine`
/// process. A process is started for the first run and kept, waiting, for the next (it ends
/// itself after a few minutes without work); runs at the same time get one each; a cancelled
/// run's process is killed. The catalog needs no process (`catalog.rs`).
pub struct DemoEngine {
    target: Target,
    /// Where results are stored (`warden-results`).
    results_dir: PathBuf,
    /// A process waiting for its next request.
    idle: Mutex<Option<Worker>>,
}

impl std::fmt::Debug for DemoEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoEngine")
            .field("program", &self.target.program)
            .field("lake", &self.target.lake)
            .field("results_dir", &self.results_dir)
            .finish_non_exhaustive()
    }
}

impl DemoEngine {
    /// The engine `program` (see [`crate::program`]) over the lake at `lake`, storing results
    /// under `results_dir`. Nothing is started until the first run.
    pub fn new(program: &Path, lake: &Path, results_dir: &Path) -> Self {
        Self {
            target: Target {
                program: program.to_path_buf(),
                lake: lake.to_path_buf(),
            },
            results_dir: results_dir.to_path_buf(),
            idle: Mutex::new(None),
        }
    }

    /// The waiting process if it is still there, else a new one.
    fn take_worker(&self) -> Result<Worker, EngineError> {
        let waiting = self.idle.lock().ok().and_then(|mut idle| idle.take());
        match waiting {
            Some(worker) if worker.is_alive() => Ok(worker),
            _ => Worker::spawn(&self.target.program, &self.target.lake)
                .map_err(|e| EngineError::Unavailable(e.to_string())),
        }
    }

    /// Keeps `worker` for the next request, unless another is already waiting.
    fn give_back(&self, worker: Worker) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.is_none() {
                *idle = Some(worker);
            }
        }
    }
}

#[async_trait::async_trait]
impl Engine for DemoEngine {
    fn name(&self) -> &'static str {
        "datafusion"
    }

    async fn catalog(&self) -> Result<CatalogSnapshot, EngineError> {
        Ok(crate::catalog::snapshot(&warden_demo_lake::describe()))
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
        // The statement the guardrails parsed and checked, as text that reads back as that
        // very statement (the bound text for a query with `?` parameters, as on Athena).
        let statement = match query.statements() {
            [one] => protocol::statement_text(one).map_err(EngineError::Query)?,
            [] => return Err(EngineError::Query("there is no statement to run".into())),
            many => return Err(EngineError::MultipleStatements(many.len())),
        };
        let default_database = query.default_database().map(str::to_string);
        drop(query);
        for _attempt in 0..2 {
            let mut worker = self.take_worker()?;
            let killer = worker.killer();
            let (created, mut arriving) = tokio::sync::oneshot::channel();
            let (statement, default_database) = (statement.clone(), default_database.clone());
            let results_dir = self.results_dir.clone();
            let mut running = tokio::task::spawn_blocking(move || {
                let answer = worker.run(statement, default_database, &results_dir, created);
                (worker, answer)
            });
            let (worker, answer) = loop {
                tokio::select! {
                    _ = cancel.cancelled() => {
                        // The reader sees its pipe close and ends; the process is reaped
                        // when the worker is dropped there.
                        killer.kill();
                        return Err(EngineError::Cancelled);
                    }
                    Ok(reader) = &mut arriving, if !arriving.is_terminated() => {
                        trace.set_arriving(&reader);
                    }
                    joined = &mut running => break joined.map_err(|_| stopped())?,
                }
            };
            match answer {
                Ok((result, bytes_scanned)) => {
                    self.give_back(worker);
                    return Ok(QueryOutcome {
                        query_id: uuid::Uuid::new_v4().to_string(),
                        result,
                        bytes_scanned,
                        cost_usd: None,
                        duration: started.elapsed(),
                    });
                }
                Err(Failure::Stale) => continue,
                Err(Failure::Query(message)) => {
                    self.give_back(worker);
                    return Err(EngineError::Query(message));
                }
                Err(Failure::Broken(message)) => return Err(EngineError::Query(message)),
            }
        }
        Err(stopped())
    }
}

fn stopped() -> EngineError {
    EngineError::Query("the demo engine stopped unexpectedly while answering".into())
}
