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

    /// Extension `id` was applied by the broker to the grant the gate holds as `h` (the keyring's
    /// entry, with the new end): the same grant (same id, so running queries carry on and rows
    /// read under it stay readable) ends at the new end on both clocks, the end warning may show
    /// again, and the change is told (the notification "NAME extended until HH:MM"). The
    /// grant's engine is used up to the new end, with credentials that reach it once the
    /// broker's new set is taken ([`Gate::renew_elevated`]). The extension was recorded when it
    /// was read (`AwsElevations::check`). Refused when the gate no longer holds that grant.
    pub(crate) fn extended_elsewhere(
        &self,
        id: &str,
        h: &crate::aws_elevation::HeldGrant,
        approver: Option<String>,
    ) -> Result<(), crate::CoreError> {
        let now = self.now();
        let mut state = self.elevation_state();
        state.stop_waiting(id);
        let not_held = || {
            crate::CoreError::Elevation(warden_elevation::ElevationError::NotHeld {
                name: h.name.clone(),
                id: h.request_id.clone(),
            })
        };
        let grant = state
            .held(&h.request_id, now)
            .cloned()
            .ok_or_else(not_held)?;
        let end = chrono::DateTime::from_timestamp_millis(h.expires_at_ms)
            .filter(|end| *end > grant.expires_at)
            .ok_or_else(|| {
                crate::CoreError::NoElevation(format!(
                    "the extension of {} gives no later end than the grant has",
                    h.name
                ))
            })?;
        let left = (h.expires_at_ms - now.wall.timestamp_millis()).max(0) as u64;
        let extended = warden_elevation::Grant {
            expires_at: end,
            expires_mono: now.mono + std::time::Duration::from_millis(left),
            extended_at: Some(now.wall),
            approver,
            ..grant
        };
        self.extend_elevated(h)?;
        let told = view(&extended);
        state.extend(extended);
        drop(state);
        self.tell(|c| c.extended.push(told));
        Ok(())
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

    pub(super) fn tell(&self, change: impl FnOnce(&mut ElevationChanges)) {
        change(&mut self.news.lock().unwrap_or_else(|p| p.into_inner()));
        self.news_ready.notify_one();
    }

    /// Returns when something happened that [`Gate::check_elevations`] should act on now
    /// rather than at its next tick: a request decided elsewhere, or a grant the broker ended
    /// (which the check locks out). A wake-up given while nobody waits is kept for the next
    /// wait, so none is lost between two checks.
    pub async fn elevation_news(&self) {
        self.news_ready.notified().await
    }

    /// Wakes [`Gate::elevation_news`].
    pub(crate) fn wake_check(&self) {
        self.news_ready.notify_one();
    }

    /// What came of requests decided elsewhere since the last check.
    pub(crate) fn take_news(&self) -> ElevationChanges {
        std::mem::take(&mut *self.news.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use warden_elevation::PendingRequest;

    use crate::testing::{recorder, signed_gate, ELEVATION_POLICY};

    /// Long enough for a wake-up that was given; a missing one is a test failure, not a hang.
    const GIVEN: Duration = Duration::from_secs(5);
    /// How long the test waits to see that no wake-up was given.
    const NONE: Duration = Duration::from_millis(50);

    fn waiting(id: &str) -> PendingRequest {
        PendingRequest {
            id: id.into(),
            name: "pii-read".into(),
            requester: "ana".into(),
            requested_at_ms: 0,
            duration_s: 900,
            reason: "churn study".into(),
            extends: None,
        }
    }

    #[tokio::test]
    async fn news_from_elsewhere_wakes_the_check_once_and_is_not_lost() {
        let (_fixture, gate) = signed_gate(ELEVATION_POLICY, recorder().0).await;
        assert!(
            tokio::time::timeout(NONE, gate.elevation_news())
                .await
                .is_err(),
            "woken with no news"
        );

        // Given before anyone waits: kept for the next wait.
        gate.wait_elsewhere(waiting("r-1"));
        gate.refused_elsewhere("r-1", "denied by sam");
        tokio::time::timeout(GIVEN, gate.elevation_news())
            .await
            .expect("a refusal wakes the check");
        assert_eq!(gate.take_news().denied.len(), 1);
        assert!(
            tokio::time::timeout(NONE, gate.elevation_news())
                .await
                .is_err(),
            "one piece of news wakes the check once"
        );

        // A grant the broker ended wakes it too, so the lockout does not wait for a tick.
        gate.ended_at_broker("pii-read", "r-2", "revoked by sam");
        tokio::time::timeout(GIVEN, gate.elevation_news())
            .await
            .expect("an end at the broker wakes the check");
    }
}
