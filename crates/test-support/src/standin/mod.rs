//! A local stand-in for Amazon Athena, for tests and the sandbox only: it speaks Athena's JSON
//! protocol over HTTP on 127.0.0.1, runs queries with DataFusion over the tables registered in
//! a Glue (moto_server) whose files live in S3 (moto_server), and writes each result to S3 as
//! Athena does (`<output location><QueryExecutionId>.csv`). A second listener is an S3 front
//! for reading results (GET and HEAD of objects, ranges), where tests can refuse reads or drop
//! a download halfway. Never compiled into the app or the CLI.

mod aws;
mod exec;
mod knobs;
mod lake;
mod named;
mod parameters;
mod permissions;
mod protocol;
mod results;
mod s3front;
mod workgroup;

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub use aws::{glue_client, local_sdk_config, s3_client, split_s3, REGION};
pub use exec::QueryState;
pub use knobs::{KnobValues, Knobs};
pub use lake::{
    add_columns, ensure_bucket, load_demo_lake, tag_columns, upload_table, TableUpload,
};
pub use permissions::{caller as assumed_role, Caller, ColumnGrants, CLASS_PARAMETER};
pub use workgroup::WorkGroupSpec;

/// A `StopQueryExecution` the stand-in received, with the state the query was in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopSeen {
    pub query_execution_id: String,
    pub state: QueryState,
}

/// What the stand-in needs to start.
#[derive(Debug, Clone)]
pub struct StandInConfig {
    /// moto_server's endpoint (S3 and Glue).
    pub moto_endpoint: String,
    pub workgroups: Vec<WorkGroupSpec>,
    /// Ports to listen on (0 picks a free one).
    pub athena_port: u16,
    pub s3_port: u16,
    /// Where table files fetched from S3 are kept; a temporary folder when `None`.
    pub cache_dir: Option<PathBuf>,
    /// Column permissions per role (Lake Formation's part): `None` lets every caller read
    /// every column.
    pub column_grants: Option<ColumnGrants>,
}

impl StandInConfig {
    /// One workgroup, `primary`, writing results to `s3://<results_bucket>/results/`.
    pub fn new(moto_endpoint: &str, results_bucket: &str) -> Self {
        Self {
            moto_endpoint: moto_endpoint.into(),
            workgroups: vec![WorkGroupSpec::new(
                "primary",
                &format!("s3://{results_bucket}/results/"),
            )],
            athena_port: 0,
            s3_port: 0,
            cache_dir: None,
            column_grants: None,
        }
    }
}

pub(crate) struct Shared {
    pub knobs: Arc<Knobs>,
    pub workgroups: Vec<WorkGroupSpec>,
    pub executions: Mutex<exec::Executions>,
    pub stops: Mutex<Vec<StopSeen>>,
    /// The access key id that signed each `StartQueryExecution`, in order.
    pub signers: Mutex<Vec<String>>,
    pub s3: aws_sdk_s3::Client,
    pub glue: aws_sdk_glue::Client,
    pub cache: PathBuf,
    pub lake: tokio::sync::Mutex<Option<Lake>>,
    pub column_grants: Option<ColumnGrants>,
    pub moto_endpoint: String,
    /// Callers by access key, once looked up in moto (a key never changes hands).
    pub callers: Mutex<std::collections::HashMap<String, permissions::Caller>>,
    pub named: Mutex<named::NamedQueries>,
    /// `ListObjectsV2` calls through the S3 front (refused ones included).
    pub lists: std::sync::atomic::AtomicUsize,
}

/// The lake read from Glue: the session, and the classes of tagged columns.
#[derive(Clone)]
pub(crate) struct Lake {
    pub ctx: datafusion::prelude::SessionContext,
    pub classes: Arc<permissions::Classes>,
}

impl Shared {
    pub fn executions(&self) -> std::sync::MutexGuard<'_, exec::Executions> {
        self.executions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running stand-in; stops when dropped.
pub struct AthenaStandIn {
    /// `http://127.0.0.1:PORT` for the Athena client.
    pub endpoint: String,
    /// `http://127.0.0.1:PORT` for an S3 client (path style) reading results through the front.
    pub s3_endpoint: String,
    pub knobs: Arc<Knobs>,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _cache: Option<tempfile::TempDir>,
}

impl AthenaStandIn {
    /// Binds both listeners and serves them on a thread of its own, so sync and async tests
    /// alike can use it.
    pub fn start(config: StandInConfig) -> Result<AthenaStandIn, String> {
        let bind = |port: u16| {
            TcpListener::bind(("127.0.0.1", port))
                .and_then(|l| l.set_nonblocking(true).map(|()| l))
                .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))
        };
        let athena = bind(config.athena_port)?;
        let s3 = bind(config.s3_port)?;
        let addr = |l: &TcpListener| l.local_addr().map_err(|e| e.to_string());
        let endpoint = format!("http://{}", addr(&athena)?);
        let s3_endpoint = format!("http://{}", addr(&s3)?);
        let (temp, cache) = match &config.cache_dir {
            Some(dir) => (None, dir.clone()),
            None => {
                let t = tempfile::tempdir().map_err(|e| e.to_string())?;
                let p = t.path().to_path_buf();
                (Some(t), p)
            }
        };
        let knobs = Arc::new(Knobs::default());
        let shared = Arc::new(Shared {
            knobs: knobs.clone(),
            workgroups: config.workgroups.clone(),
            executions: Mutex::new(exec::Executions::default()),
            stops: Mutex::new(Vec::new()),
            signers: Mutex::new(Vec::new()),
            s3: s3_client(&config.moto_endpoint),
            glue: glue_client(&config.moto_endpoint),
            cache,
            lake: tokio::sync::Mutex::new(None),
            column_grants: config.column_grants.clone(),
            moto_endpoint: config.moto_endpoint.clone(),
            callers: Mutex::new(std::collections::HashMap::new()),
            named: Mutex::new(named::NamedQueries::default()),
            lists: std::sync::atomic::AtomicUsize::new(0),
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let served = shared.clone();
        let thread = std::thread::Builder::new()
            .name("athena-standin".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listeners = tokio::net::TcpListener::from_std(athena)
                        .and_then(|a| tokio::net::TcpListener::from_std(s3).map(|s| (a, s)));
                    let (athena, s3) = match listeners {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.to_string()));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    let athena_app = protocol::router(served.clone());
                    let s3_app = s3front::router(served);
                    let a = axum::serve(athena, athena_app);
                    let s = axum::serve(s3, s3_app);
                    tokio::select! {
                        _ = a => {}
                        _ = s => {}
                        _ = rx => {}
                    }
                });
                // Queries still running are dropped with the runtime.
                runtime.shutdown_background();
            })
            .map_err(|e| e.to_string())?;
        ready_rx
            .recv()
            .map_err(|_| "the stand-in thread ended at start".to_string())??;
        Ok(AthenaStandIn {
            endpoint,
            s3_endpoint,
            knobs,
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
            _cache: temp,
        })
    }

    /// Keeps a named query in `workgroup`, as `CreateNamedQuery` would (for the sandbox's
    /// examples); returns its id.
    pub fn add_named_query(
        &self,
        workgroup: &str,
        name: &str,
        description: &str,
        database: &str,
        sql: &str,
    ) -> Result<String, String> {
        let workgroups: Vec<&str> = self
            .shared
            .workgroups
            .iter()
            .map(|w| w.name.as_str())
            .collect();
        let created = self
            .shared
            .named
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .create(
                &serde_json::json!({"WorkGroup": workgroup, "Name": name,
                    "Description": description, "Database": database, "QueryString": sql}),
                &workgroups,
            )?;
        Ok(created["NamedQueryId"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// How many S3 listings (`ListObjectsV2` pages) the front was asked for so far.
    pub fn s3_lists(&self) -> usize {
        self.shared.lists.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Every `StopQueryExecution` received so far.
    pub fn stops_seen(&self) -> Vec<StopSeen> {
        self.shared
            .stops
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The access key id that signed each `StartQueryExecution` received so far, in order.
    pub fn start_signers(&self) -> Vec<String> {
        self.shared
            .signers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// How many executions the stand-in started (a retried start with the same client
    /// request token does not count twice).
    pub fn executions_started(&self) -> usize {
        self.shared.executions().order.len()
    }

    /// The workgroup of every execution started so far, in order.
    pub fn workgroups_used(&self) -> Vec<String> {
        let executions = self.shared.executions();
        executions
            .order
            .iter()
            .filter_map(|id| executions.by_id.get(id).map(|e| e.workgroup.clone()))
            .collect()
    }

    /// The state of an execution, if the stand-in knows it.
    pub fn state_of(&self, id: &str) -> Option<QueryState> {
        self.shared.executions().by_id.get(id).map(|e| e.state)
    }

    /// Forgets the lake read from Glue, so the next query reads it again.
    pub fn reload_lake(&self) {
        if let Ok(mut lake) = self.shared.lake.try_lock() {
            *lake = None;
        }
    }
}

impl Drop for AthenaStandIn {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
