//! Work the app does on its own: fetch the policy bundle every so often, notice when the bundle
//! in force expires, and sync the audit journal.

use std::sync::Arc;
use std::time::Duration;

use tauri::AppHandle;
use warden_core::identity::WorkspaceIdentity;
use warden_core::Gate;

use crate::events::{self, ToldHealth};
use crate::notify;

/// Expiry is a matter of time alone; this is how soon the window learns of it.
const HEALTH_CHECK_EVERY: Duration = Duration::from_secs(10);

/// How soon a grant's end cancels the queries that need it, and an approval is picked up.
/// (Lint and run judge grants by the clock anyway; this bounds how long a running query
/// outlives its grant.) News from the broker (a decision, a grant ended there) wakes the
/// check at once.
const ELEVATION_CHECK_EVERY: Duration = Duration::from_secs(1);

/// How often a signed-in AWS session is looked at: its token is refreshed before it runs out,
/// and a refused refresh ends the session (the watcher tells the window and the desktop).
const SESSION_CHECK_EVERY: Duration = Duration::from_secs(20);

/// Keeps the AWS session of an `athena` workspace fresh, and notices when it ends by itself.
pub fn watch_session(identity: Arc<WorkspaceIdentity>) {
    tauri::async_runtime::spawn(async move {
        loop {
            if let Ok(Some(_)) = identity.session.status().await {
                if let Err(e) = identity.session.access_token().await {
                    tracing::warn!("the AWS session check: {e}");
                }
            }
            tokio::time::sleep(SESSION_CHECK_EVERY).await;
        }
    });
}

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
            // A grant the broker ended is locked out as soon as the follower sees it, not up
            // to a tick later.
            tokio::select! {
                _ = tokio::time::sleep(ELEVATION_CHECK_EVERY) => {}
                _ = g.elevation_news() => {}
            }
            // Journal writes and queue reads block; keep them off the async workers.
            let checked = g.clone();
            let Ok(changes) =
                tauri::async_runtime::spawn_blocking(move || checked.check_elevations()).await
            else {
                tracing::warn!("the elevation check did not complete; trying again");
                continue;
            };
            for e in &changes.errors {
                tracing::warn!("elevation check: {e}");
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
                Err(e) => tracing::warn!("audit sync: {}", e.message),
            }
            tokio::time::sleep(audit_sync_every).await;
        }
    });
}
