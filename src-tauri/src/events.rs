//! What the backend tells the window without being asked: a policy change, new audit events.

use tauri::{AppHandle, Emitter};
use warden_core::{AuditStatusView, Gate, PolicyRefresh};

pub const POLICY_CHANGED: &str = "policy-changed";
pub const AUDIT_CHANGED: &str = "audit-changed";

/// After a fetch: the window re-lints and redraws when the revision or health changed, and a
/// refused bundle also changes what the banner says.
pub fn after_refresh(app: &AppHandle, gate: &Gate, refresh: &PolicyRefresh) {
    if refresh.changed || refresh.new_refusal {
        if let Err(e) = app.emit(POLICY_CHANGED, &refresh.status) {
            eprintln!("warden: cannot tell the window about the new policy: {e}");
        }
        audit_changed(app, gate);
    }
}

pub fn audit_changed(app: &AppHandle, gate: &Gate) {
    match gate.audit().status() {
        Ok(status) => audit_status_changed(app, &status),
        Err(e) => eprintln!("warden: {e}"),
    }
}

pub fn audit_status_changed(app: &AppHandle, status: &AuditStatusView) {
    if let Err(e) = app.emit(AUDIT_CHANGED, status) {
        eprintln!("warden: cannot tell the window about new audit events: {e}");
    }
}
