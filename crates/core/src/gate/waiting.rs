//! Requests a long-lived gate waits on elsewhere (the broker of an AWS workspace): they are
//! listed as waiting like the folder queue's, and what comes of them is told at the next check
//! (`Gate::check_elevations`), so the app notifies and redraws as for any other decision.

use warden_audit::{ElevationDenied, Payload};
use warden_elevation::{view, ElevationStatus, PendingRequest};

use super::changes::ElevationChanges;
use super::Gate;

impl Gate {
    /// Lists `request` as waiting for a decision made elsewhere.
    pub(crate) fn wait_elsewhere(&self, request: PendingRequest) -> ElevationStatus {
        let now = self.now();
        let policy = self.policy().ok();
        let mut state = self.elevation_state();
        state.wait_for(request, now.mono);
        state.status(policy.as_ref().map(|p| p.policy()), now)
    }

    /// Whether request `id` is still waiting (not withdrawn from the window, not timed out).
    pub(crate) fn still_waiting(&self, id: &str) -> bool {
        self.elevation_state().waiting_ids().iter().any(|w| w == id)
    }

    /// Request `id` was granted and its grant is held now (see [`Gate::hold_elevated`]).
    pub(crate) fn granted_elsewhere(&self, id: &str) {
        let mut state = self.elevation_state();
        let Some(request) = state.stop_waiting(id) else {
            return;
        };
        let Some(grant) = state
            .active()
            .get(&request.name)
            .filter(|g| g.request_id == id)
            .map(view)
        else {
            return;
        };
        drop(state);
        self.tell(|c| c.granted.push(grant));
    }

    /// Request `id` came to nothing: recorded, listed among the refusals and told.
    pub(crate) fn refused_elsewhere(&self, id: &str, reason: &str) {
        let now = self.now();
        let mut state = self.elevation_state();
        let Some(request) = state.stop_waiting(id) else {
            return;
        };
        state.refused(id, &request.name, reason, now);
        drop(state);
        let recorded = self
            .audit()
            .record(Payload::ElevationDenied(ElevationDenied {
                elevation_id: id.to_string(),
                approver: None,
                reason: reason.to_string(),
            }));
        self.tell(|c| {
            if let Err(e) = recorded {
                c.errors.push(e.to_string());
            }
            c.denied.push((request.name, reason.to_string()));
        });
    }

    fn tell(&self, change: impl FnOnce(&mut ElevationChanges)) {
        change(&mut self.news.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// What came of requests decided elsewhere since the last check.
    pub(crate) fn take_news(&self) -> ElevationChanges {
        std::mem::take(&mut *self.news.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
