//! What the backend tells the window without being asked: a policy change, new audit events.
//! Payloads are `warden_api` wire types, like the commands' answers.

use std::sync::Mutex;

use serde::Serialize;
use tauri::{AppHandle, Emitter};
use warden_api::{AuditStatus, ElevationStatus};
use warden_core::{Gate, PolicyHealth, PolicyRefresh, PolicyStatus};

pub const POLICY_CHANGED: &str = "policy-changed";
pub const AUDIT_CHANGED: &str = "audit-changed";
pub const ELEVATION_CHANGED: &str = "elevation-changed";
/// The close button was pressed: the window keeps its tabs, then calls `ready_to_close`.
pub const CLOSE_REQUESTED: &str = "close-requested";

/// The policy health the window last heard of, whoever told it (a command's answer or an
/// event). The health check compares against this, not against what it saw itself, so a
/// window told "valid" by a fetch still hears when that bundle expires.
#[derive(Default)]
pub struct ToldHealth(Mutex<Option<PolicyHealth>>);

impl ToldHealth {
    pub fn told(&self, status: &PolicyStatus) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(status.health);
    }

    /// Whether the window's picture is out of date.
    pub fn differs(&self, status: &PolicyStatus) -> bool {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) != Some(status.health)
    }
}

/// Tells the window the policy changed (it re-lints and redraws).
pub fn policy_changed(app: &AppHandle, told: &ToldHealth, status: &PolicyStatus) {
    match app.emit(POLICY_CHANGED, warden_api::PolicyStatus::from(status)) {
        Ok(()) => told.told(status),
        Err(e) => tracing::warn!("cannot tell the window that the policy changed: {e}"),
    }
}

/// After a fetch: the window re-lints and redraws when the revision or health changed, and a
/// refused bundle also changes what the banner says.
pub fn after_refresh(app: &AppHandle, gate: &Gate, told: &ToldHealth, refresh: &PolicyRefresh) {
    if refresh.changed || refresh.new_refusal {
        policy_changed(app, told, &refresh.status);
        audit_changed(app, gate);
    }
}

/// A grant started, ended or was decided: the window re-lints and redraws its elevation parts.
pub fn elevation_changed(app: &AppHandle, status: &ElevationStatus) {
    emit(app, ELEVATION_CHANGED, status);
}

pub fn audit_changed(app: &AppHandle, gate: &Gate) {
    match warden_api::audit::audit_status(gate) {
        Ok(status) => audit_status_changed(app, &status),
        Err(e) => tracing::warn!("cannot read the audit status: {}", e.message),
    }
}

pub fn audit_status_changed(app: &AppHandle, status: &AuditStatus) {
    emit(app, AUDIT_CHANGED, status);
}

/// Sends `event` to the window; a window that cannot be told is logged, never fatal.
pub fn emit<T: Serialize + Clone>(app: &AppHandle, event: &str, payload: &T) {
    if let Err(e) = app.emit(event, payload.clone()) {
        tracing::warn!(event, "cannot tell the window: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(health: PolicyHealth) -> PolicyStatus {
        let mut status: PolicyStatus = serde_json::from_value(serde_json::json!({
            "health": "valid", "reason": null, "warning": null, "name": null
        }))
        .expect("a minimal status parses");
        status.health = health;
        status
    }

    #[test]
    fn the_health_check_speaks_up_whenever_the_window_heard_something_else() {
        let told = ToldHealth::default();
        assert!(
            told.differs(&status(PolicyHealth::Valid)),
            "nothing told yet"
        );
        // The window started blocked, then a fetch it asked for brought a valid bundle.
        told.told(&status(PolicyHealth::Blocked));
        told.told(&status(PolicyHealth::Valid));
        assert!(!told.differs(&status(PolicyHealth::Valid)));
        // The bundle expires: the window heard "valid", so the change is told, whatever the
        // health check itself saw at start.
        assert!(told.differs(&status(PolicyHealth::Blocked)));
    }
}
