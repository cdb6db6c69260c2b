use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use warden_engine::{
    Approved, CancellationToken, CatalogSnapshot, Engine, EngineError, NamedQueries, Phase,
    QueryOutcome, RunTrace, Scanned,
};
use warden_results::ResultReader;

use crate::read::{self, ResultPath, UsePaging};
use crate::run::{self, RunState, Statistics};
use crate::settings::cost_usd;
use crate::{glue, AthenaClients, AthenaError, AthenaSettings};

/// What happens to a run, for the window and the CLI.
#[derive(Debug, Clone)]
pub enum RunEvent {
    /// Athena accepted the query under this id.
    Started {
        query_execution_id: String,
    },
    State(RunState),
    /// The query failed or was cancelled after scanning this much (what it cost is billed).
    Ended {
        statistics: Statistics,
        cost_usd: f64,
    },
    /// The query succeeded and its rows are arriving in `reader`.
    Reading {
        reader: ResultReader,
        path: ResultPath,
    },
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct AthenaRun {
    pub query_execution_id: String,
    pub workgroup: String,
    pub statistics: Statistics,
    pub cost_usd: f64,
    pub path: ResultPath,
    pub rows: u64,
    pub reader: ResultReader,
    pub duration: Duration,
}

/// Amazon Athena behind Warden's gate.
#[derive(Debug, Clone)]
pub struct AthenaEngine {
    clients: AthenaClients,
    settings: AthenaSettings,
    /// The workgroup picked in the window, in place of `settings.workgroup` for runs started
    /// from then on (shared by clones: the engine is the gate's).
    picked: std::sync::Arc<std::sync::RwLock<Option<String>>>,
}

impl AthenaEngine {
    pub fn new(clients: AthenaClients, settings: AthenaSettings) -> Self {
        Self {
            clients,
            settings,
            picked: Default::default(),
        }
    }

    pub fn settings(&self) -> &AthenaSettings {
        &self.settings
    }

    /// The workgroup runs go to now: the one picked, else the workspace's.
    pub fn current_workgroup(&self) -> String {
        self.picked
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_else(|| self.settings.workgroup.clone())
    }

    /// Sends runs started from now on to `workgroup`.
    pub fn pick_workgroup(&self, workgroup: &str) {
        *self.picked.write().unwrap_or_else(|p| p.into_inner()) = Some(workgroup.to_string());
    }

    /// Runs the approved text on Athena and streams its rows into a new result in the cache
    /// folder. `run_id` names the run: starting the same run again never runs it twice.
    pub async fn run(
        &self,
        query: &Approved,
        run_id: &str,
        cancel: &CancellationToken,
        events: &(dyn Fn(RunEvent) + Send + Sync),
    ) -> Result<AthenaRun, AthenaError> {
        self.run_in(query, run_id, cancel, events, self.current_workgroup())
            .await
    }

    /// [`Self::run`] in `workgroup` (the one the gate recorded for the run).
    async fn run_in(
        &self,
        query: &Approved,
        run_id: &str,
        cancel: &CancellationToken,
        events: &(dyn Fn(RunEvent) + Send + Sync),
        workgroup: String,
    ) -> Result<AthenaRun, AthenaError> {
        let started = Instant::now();
        match query.statements() {
            [_] => {}
            [] => return Err(AthenaError::Settings("there is no statement to run".into())),
            many => return Err(AthenaError::MultipleStatements(many.len())),
        }
        if cancel.is_cancelled() {
            return Err(AthenaError::Cancelled);
        }
        let athena = &self.clients.athena;
        // One workgroup for the whole run, even if another is picked meanwhile.
        let settings = AthenaSettings {
            workgroup,
            ..self.settings.clone()
        };
        // Exactly the approved text goes to Athena, with the values that were checked with it
        // as its ExecutionParameters.
        let id = run::start(
            athena,
            &settings,
            query.sql(),
            query.parameters(),
            query.default_database(),
            run_id,
        )
        .await?;
        events(RunEvent::Started {
            query_execution_id: id.clone(),
        });
        let progress = |s: RunState| events(RunEvent::State(s));
        let ended = |s: &Statistics| {
            events(RunEvent::Ended {
                statistics: s.clone(),
                cost_usd: cost_usd(s.bytes_scanned, self.settings.price_per_tb),
            })
        };
        let finished = run::wait(athena, &self.settings, &id, cancel, &progress, &ended).await?;
        let columns = read::columns(athena, &id).await?;
        let (mut writer, reader) = warden_results::create(&self.settings.cache_dir, columns)?;
        let s3_attempt = match &finished.output_location {
            None => Err(UsePaging(
                "the workgroup manages its results (no output location)".into(),
            )),
            Some(_) if finished.encrypted_client_side => Err(UsePaging(
                "the results are encrypted client-side (CSE_KMS)".into(),
            )),
            // Read where the execution says: a reused result lives under the earlier query.
            Some(location) => {
                let reading = ResultPath::S3 {
                    location: location.clone(),
                    resumed: 0,
                };
                events(RunEvent::Reading {
                    reader: reader.clone(),
                    path: reading,
                });
                read::from_s3(&self.clients.s3, location, finished.ddl, &mut writer)
                    .await?
                    .map(|resumed| ResultPath::S3 {
                        location: location.clone(),
                        resumed,
                    })
            }
        };
        let path = match s3_attempt {
            Ok(path) => path,
            Err(UsePaging(reason)) => {
                let path = ResultPath::Paging { reason };
                events(RunEvent::Reading {
                    reader: reader.clone(),
                    path: path.clone(),
                });
                read::by_paging(athena, &id, finished.ddl, &mut writer).await?;
                path
            }
        };
        let rows = writer.finish()?;
        Ok(AthenaRun {
            query_execution_id: id,
            workgroup: settings.workgroup.clone(),
            cost_usd: cost_usd(
                finished.statistics.bytes_scanned,
                self.settings.price_per_tb,
            ),
            statistics: finished.statistics,
            path,
            rows,
            reader,
            duration: started.elapsed(),
        })
    }

    /// Stops a query by id (lockout of a run the gate no longer allows) and waits for Athena
    /// to confirm.
    pub async fn stop(&self, query_execution_id: &str) -> Result<(), AthenaError> {
        run::stop(
            &self.clients.athena,
            query_execution_id,
            self.settings.stop_timeout,
        )
        .await
        .map(|_| ())
    }
}

/// A run id unique in this process and across restarts.
fn fresh_run_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{now}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

#[async_trait::async_trait]
impl Engine for AthenaEngine {
    fn name(&self) -> &'static str {
        "athena"
    }

    fn workgroup(&self) -> Option<String> {
        Some(self.current_workgroup())
    }

    async fn workgroups(&self) -> Result<Vec<warden_engine::Workgroup>, EngineError> {
        Ok(crate::workgroups::list(&self.clients.athena).await?)
    }

    fn use_workgroup(&self, name: &str) -> Result<(), EngineError> {
        self.pick_workgroup(name);
        Ok(())
    }

    async fn named_queries(&self) -> Result<Option<NamedQueries>, EngineError> {
        let workgroup = self.current_workgroup();
        Ok(Some(
            crate::named_queries::list(&self.clients.athena, &workgroup).await?,
        ))
    }

    async fn catalog(&self) -> Result<CatalogSnapshot, EngineError> {
        Ok(glue::snapshot(&self.clients.glue, None, &[]).await?)
    }

    async fn scan_sizes(
        &self,
        targets: &[warden_guardrails::ScanTarget],
    ) -> Option<Vec<Result<u64, String>>> {
        Some(
            crate::scan_size::measure_all(
                &self.clients,
                targets,
                &crate::scan_size::Bounds::default(),
            )
            .await,
        )
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
        let note = |event: RunEvent| match event {
            RunEvent::Started { query_execution_id } => trace.set_query_id(&query_execution_id),
            RunEvent::Ended {
                statistics,
                cost_usd,
            } => trace.set_scanned(Scanned {
                bytes: statistics.bytes_scanned,
                cost_usd: Some(cost_usd),
            }),
            RunEvent::State(RunState::Queued) => trace.set_phase(Phase::Queued),
            RunEvent::State(RunState::Running) => trace.set_phase(Phase::Running),
            RunEvent::Reading { reader, .. } => {
                trace.set_phase(Phase::Reading);
                // The window may show the first page while the rest is still being read.
                trace.set_arriving(&reader);
            }
        };
        let workgroup = trace
            .workgroup()
            .unwrap_or_else(|| self.current_workgroup());
        let run = self
            .run_in(&query, &fresh_run_id(), &cancel, &note, workgroup)
            .await?;
        // The rows stay in the store they streamed into; the gate hands that on.
        Ok(QueryOutcome {
            query_id: run.query_execution_id,
            result: run.reader,
            bytes_scanned: run.statistics.bytes_scanned,
            cost_usd: Some(run.cost_usd),
            duration: run.duration,
        })
    }
}
