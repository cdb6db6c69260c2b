//! A policy may bound offline work (`audit: { max_unsynced: 15m }`): while an event older than
//! that has not reached the central store, no new run starts. A journal rolled back or thrown
//! away can then hide at most that window of work.

use warden_guardrails::Policy;

use super::Gate;

impl Gate {
    /// Why no new run may start under `policy`, if the journal holds events older than its
    /// `max_unsynced` that the central store does not. A journal that cannot say refuses too.
    pub(crate) fn check_unsynced(&self, policy: &Policy) -> Result<(), String> {
        let Some(limit) = policy.audit_max_unsynced() else {
            return Ok(());
        };
        let oldest = self.audit().oldest_unsynced_ms().map_err(|e| {
            format!("not allowed: the policy bounds unsynced audit events, and the journal cannot tell which are unsynced ({e})")
        })?;
        let Some(oldest) = oldest else {
            return Ok(());
        };
        let now = self.now().wall.timestamp_millis();
        let waited = std::time::Duration::from_millis(now.saturating_sub(oldest).max(0) as u64);
        if waited <= limit {
            return Ok(());
        }
        Err(format!(
            "not allowed: audit events recorded {} ago have not reached the central store, and the policy allows at most {} (audit.max_unsynced); connect to the network and run `warden audit sync` (or Sync now in the app's Audit panel), then run again",
            warden_elevation::format_duration(waited),
            warden_elevation::format_duration(limit),
        ))
    }
}
