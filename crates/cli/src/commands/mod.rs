pub mod audit;
mod bounded;
pub mod broker;
pub mod bundle;
pub mod elevation;
pub mod identity;
pub mod lint;
pub mod policy;
pub mod query;
pub mod workspace;

use std::path::Path;

use warden_core::{CoreError, Home, Workspace};

pub(crate) fn home(explicit: Option<&Path>) -> Result<Home, String> {
    Home::resolve(explicit).map_err(|e| e.to_string())
}

/// Finds the workspace; a demo workspace that was never initialised is initialised on the spot,
/// since that is deterministic and takes seconds.
pub(crate) fn ready_workspace(home: &Home, name: Option<&str>) -> Result<Workspace, String> {
    let ws = Workspace::find(home, name).map_err(|e| e.to_string())?;
    let summary = ws.summary().map_err(|e| e.to_string())?;
    if !summary.initialised {
        eprintln!(
            "warden: initialising the {} workspace in {} ...",
            ws.name(),
            summary.dir.display()
        );
        runtime()?
            .block_on(ws.init())
            .map_err(|e: CoreError| e.to_string())?;
    }
    Ok(ws)
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}
