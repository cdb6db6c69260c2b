use std::sync::{Arc, Mutex};
use std::time::Duration;

use warden_api::{ApiError, RunningQueries};
use warden_core::{Gate, Home, ResultStore, Workspace};

use crate::events::ToldHealth;

/// How many finished results the window can page through before the oldest is dropped.
const KEPT_RESULTS: usize = 8;

/// The open workspace, or the reason it could not be opened (shown in the window, not a crash).
pub struct AppState {
    opened: Result<Opened, String>,
    pub results: Mutex<ResultStore>,
    /// Running queries by the window's run id, for Cancel.
    pub running: Mutex<RunningQueries>,
    /// The policy health the window last heard of.
    pub told: Arc<ToldHealth>,
}

pub struct Opened {
    pub gate: Arc<Gate>,
    pub home: Home,
    pub audit_sync_every: Duration,
}

impl AppState {
    /// Opens the configured workspace, initialising the demo on first run, and records that the
    /// app started.
    pub fn start() -> Self {
        let opened = tauri::async_runtime::block_on(open());
        if let Err(message) = &opened {
            eprintln!("warden: {message}");
        }
        Self {
            opened,
            results: Mutex::new(ResultStore::new(KEPT_RESULTS)),
            running: Mutex::new(RunningQueries::default()),
            told: Arc::default(),
        }
    }

    pub fn opened(&self) -> Result<&Opened, ApiError> {
        self.opened
            .as_ref()
            .map_err(|m| ApiError::internal(m.clone()))
    }
}

async fn open() -> Result<Opened, String> {
    let home = Home::resolve(None).map_err(|e| e.to_string())?;
    let workspace = Workspace::find(&home, None).map_err(|e| e.to_string())?;
    let summary = workspace.summary().map_err(|e| e.to_string())?;
    if !summary.initialised {
        eprintln!(
            "warden: initialising the {} workspace in {} ...",
            workspace.name(),
            summary.dir.display()
        );
        workspace.init().await.map_err(|e| e.to_string())?;
    }
    let gate = workspace.open_gate().await.map_err(|e| e.to_string())?;
    gate.audit()
        .app_started(env!("CARGO_PKG_VERSION"))
        .map_err(|e| e.to_string())?;
    let audit_sync_every = workspace.audit_sync_every().map_err(|e| e.to_string())?;
    Ok(Opened {
        gate: Arc::new(gate),
        home,
        audit_sync_every,
    })
}
