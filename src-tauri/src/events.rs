//! What the backend tells the window without being asked: a policy change, new audit events.

use tauri::{AppHandle, Emitter};
use warden_core::{Gate, PolicyRefresh};

pub const POLICY_CHANGED: &str = "policy-changed";
pub const AUDIT_CHANGED: &str = "audit-changed";

/// After a fetch: the window re-lints and redraws when the revision or health changed, and a
/// refused bundle also changes what the banner says.
pub fn after_refresh(app: &AppHandle, gate: &Gate, refresh: &PolicyRefresh) {
    let refused = refresh.status.last_fetch.as_ref().is_some_and(|f| f.result == warden_core::FetchResult::Refused);
    if refresh.changed || refused {
        if let Err(e) = app.emit(POLICY_CHANGED, &refresh.status) {
            eprintln!("warden: cannot tell the window about the new policy: {e}");
        }
    }
    if refresh.changed || refused {
        audit_changed(app, gate);
    }
}

pub fn audit_changed(app: &AppHandle, gate: &Gate) {
    match gate.audit().status() {
        Ok(status) => {
            if let Err(e) = app.emit(AUDIT_CHANGED, &status) {
                eprintln!("warden: cannot tell the window about new audit events: {e}");
            }
        }
        Err(e) => eprintln!("warden: {e}"),
    }
}
