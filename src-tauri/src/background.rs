//! Work the app does on its own: fetch the policy bundle every so often, notice when the bundle
//! in force expires, and sync the audit journal.

use std::sync::Arc;
use std::time::Duration;

use tauri::AppHandle;
use warden_core::Gate;

use crate::events::{self, ToldHealth};
use crate::notify;

/// Expiry is a matter of time alone; this is how soon the window learns of it.
const HEALTH_CHECK_EVERY: Duration = Duration::from_secs(10);

/// How soon a grant's end cancels the queries that need it, and an approval is picked up.
/// (Lint and run judge grants by the clock anyway; this bounds how long a running query
/// outlives its grant.)
const ELEVATION_CHECK_EVERY: Duration = Duration::from_secs(1);

pub fn start(app: AppHandle, gate: Arc<Gate>, told: Arc<ToldHealth>, audit_sync_every: Duration) {
    let (a, g, t) = (app.clone(), gate.clone(), told.clone());
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(g.refresh_every()).await;
            let refresh = g.refresh_policy().await;
            events::after_refresh(&a, &g, &t, &refresh);
        }
    });

    let (a, g) = (app.clone(), gate.clone());
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(ELEVATION_CHECK_EVERY).await;
            // Journal writes and queue reads block; keep them off the async workers.
            let checked = g.clone();
            let Ok(changes) =
                tauri::async_runtime::spawn_blocking(move || checked.check_elevations()).await
            else {
                eprintln!("warden: the elevation check did not complete; trying again");
                continue;
            };
            for e in &changes.errors {
                eprintln!("warden: {e}");
            }
            if !changes.is_empty() {
                events::elevation_changed(&a, &warden_api::elevation::elevation_status(&g));
                events::audit_changed(&a, &g);
                notify::send(changes.notices());
            }
        }
    });

    let (a, g) = (app.clone(), gate.clone());
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(HEALTH_CHECK_EVERY).await;
            let status = g.policy_status();
            if told.differs(&status) {
                events::policy_changed(&a, &told, &status);
            }
        }
    });

    tauri::async_runtime::spawn(async move {
        loop {
            // A failure is in the status's last error, shown in the Audit panel.
            match warden_api::audit::audit_sync(&gate).await {
                Ok(status) => events::audit_status_changed(&app, &status),
                Err(e) => eprintln!("warden: {}", e.message),
            }
            tokio::time::sleep(audit_sync_every).await;
        }
    });
}
