use std::sync::{Arc, Mutex};
use std::time::Duration;

use warden_api::{ApiError, ErrorKind, RunningQueries};
use warden_core::identity::WorkspaceIdentity;
use warden_core::{Config, Gate, Home, ResultStore, Workspace, WorkspaceKind};

use crate::events::ToldHealth;
use crate::identity::Watcher;

/// How many finished results the window can page through before the oldest is dropped.
const KEPT_RESULTS: usize = 8;

/// The open workspace, or the reason it could not be opened (shown in the window, not a crash).
pub struct AppState {
    opened: Result<Opened, String>,
    /// The workspace this window is on (the one picked last, else the configured default).
    pub workspace: String,
    pub home: Option<Home>,
    /// The AWS sign-in of an `athena` workspace: None for others, Err when it cannot be opened.
    pub identity: Result<Option<Arc<WorkspaceIdentity>>, String>,
    /// Hears identity events and tells the window and the desktop.
    pub watcher: Arc<Watcher>,
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
    /// Opens the workspace, initialising the demo on first run, records that the app started,
    /// and opens the AWS sign-in of an `athena` workspace.
    pub fn start() -> Self {
        let watcher = Arc::new(Watcher::default());
        let home = Home::resolve(None).map_err(|e| e.to_string());
        let workspace = match &home {
            Ok(home) => crate::picked::workspace(home),
            Err(_) => warden_core::DEMO.to_string(),
        };
        let opened = match &home {
            Ok(home) => tauri::async_runtime::block_on(open(home.clone(), &workspace)),
            Err(e) => Err(e.clone()),
        };
        if let Err(message) = &opened {
            tracing::warn!("the workspace could not be opened: {message}");
        }
        let identity = match &home {
            Ok(home) => tauri::async_runtime::block_on(open_identity(home, &workspace, &watcher)),
            Err(e) => Err(e.clone()),
        };
        if let Err(message) = &identity {
            tracing::warn!("the AWS sign-in could not be opened: {message}");
        }
        Self {
            opened,
            workspace,
            home: home.ok(),
            identity,
            watcher,
            results: Mutex::new(ResultStore::new(KEPT_RESULTS)),
            running: Mutex::new(RunningQueries::default()),
            told: Arc::default(),
        }
    }

    pub fn opened(&self) -> Result<&Opened, ApiError> {
        self.opened
            .as_ref()
            .map_err(|m| ApiError::new(ErrorKind::Unavailable, m.clone()))
    }

    pub fn home(&self) -> Result<&Home, ApiError> {
        self.home
            .as_ref()
            .ok_or_else(|| ApiError::internal("Warden's folders could not be found"))
    }
}

async fn open(home: Home, name: &str) -> Result<Opened, String> {
    let workspace = Workspace::find(&home, Some(name)).map_err(|e| e.to_string())?;
    let summary = workspace.summary().map_err(|e| e.to_string())?;
    if !summary.initialised {
        tracing::info!(workspace = workspace.name(), "initialising the workspace");
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

async fn open_identity(
    home: &Home,
    name: &str,
    watcher: &Arc<Watcher>,
) -> Result<Option<Arc<WorkspaceIdentity>>, String> {
    let config =
        Config::load_with_managed(&home.config_file(), &home.managed).map_err(|e| e.to_string())?;
    let kind = config.workspace(name).map_err(|e| e.to_string())?.kind;
    if kind != WorkspaceKind::Athena {
        return Ok(None);
    }
    let watcher: Arc<dyn warden_core::identity::EventSink> = watcher.clone();
    WorkspaceIdentity::open_watched(home, Some(name), Some(watcher))
        .await
        .map(|identity| Some(Arc::new(identity)))
        .map_err(|e| e.to_string())
}
