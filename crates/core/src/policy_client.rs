//! Fetching the policy bundle and recording what came of it: a new revision in force, or a
//! refused bundle. Used by the gate's background refresh and by `warden bundle fetch`.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use warden_audit::{AuditError, BundleRejected, BundleUpdated, Payload, Sha256Hex};
use warden_bundle::{BundleError, RefreshOutcome, Status};

use crate::audit::Audit;
use crate::bundles::Bundles;
use crate::error::CoreError;
use crate::gate::Enforced;

pub struct PolicyClient {
    bundles: Bundles,
    audit: Arc<Audit>,
    /// The reason of the last `bundle_rejected` recorded, so that a source that keeps serving
    /// the same bad bundle is recorded once, not at every refresh.
    last_rejection: Option<String>,
    /// A new revision was accepted but its `bundle_updated` could not be recorded: it does not
    /// come into force until the event is on disk.
    unrecorded_update: bool,
}

/// What a refresh did, for the shells.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRefresh {
    /// The revision in force or the health changed: re-lint open editors.
    pub changed: bool,
    /// A fetched bundle was refused for a reason not seen at the previous refresh.
    pub new_refusal: bool,
    /// In plain words: "unchanged, revision 3", "updated from revision 3 to revision 4", or the
    /// reason the fetch failed or the bundle was refused.
    pub message: String,
    pub ok: bool,
    pub status: Status,
}

impl PolicyClient {
    pub(crate) fn new(bundles: Bundles, audit: Arc<Audit>) -> Self {
        let mut client = Self {
            bundles,
            audit,
            last_rejection: None,
            unrecorded_update: false,
        };
        // A cached bundle made for another workspace (another name, another audience) is
        // refused like a fetched one, and recorded; nothing runs until the right one is fetched.
        if let Some(reason) = client.bundles.refused_as_foreign() {
            let reason = format!("cached bundle refused: {reason}");
            if client.record_rejection(&reason).is_ok() {
                client.last_rejection = Some(reason);
            }
        }
        client
    }

    fn record_rejection(&self, reason: &str) -> Result<(), CoreError> {
        self.audit.record(Payload::BundleRejected(BundleRejected {
            bundle_id: None,
            revision: None,
            sha256: None,
            reason: reason.to_string(),
        }))?;
        Ok(())
    }

    pub(crate) fn in_force(&self, now: DateTime<Utc>) -> Enforced {
        if self.unrecorded_update {
            return Enforced::Blocked(
                "the audit journal could not record the last policy bundle change; nothing may run until it can".into(),
            );
        }
        self.bundles.in_force(now)
    }

    fn record_updated(&mut self) -> Result<(), CoreError> {
        if let Some((name, revision, sha256, key_id)) = self.bundles.current_identity() {
            let sha256 = Sha256Hex::try_from(sha256)
                .map_err(|e| CoreError::Audit(AuditError::InvalidEvent(e)))?;
            let recorded = self.audit.record(Payload::BundleUpdated(BundleUpdated {
                bundle_id: name,
                revision,
                sha256,
                signer_key_id: key_id,
            }));
            self.unrecorded_update = recorded.is_err();
            recorded?;
        }
        Ok(())
    }

    pub fn status(&self, now: DateTime<Utc>) -> Status {
        let mut status = self.bundles.status(now);
        if let Enforced::Blocked(reason) = self.in_force(now) {
            status.health = warden_bundle::Health::Blocked;
            status.reason = Some(reason);
        }
        status
    }

    pub fn refresh_every(&self) -> Duration {
        self.bundles.setup().refresh_every
    }

    /// Whether the workspace's configured keys (not a `--trust` of this run) include `key_id`.
    pub fn configured_trusts(&self, key_id: &str) -> bool {
        self.bundles.configured_trusts(key_id)
    }

    /// Replaces the trusted keys for this run (`--trust` on the command line).
    pub fn trust_only(&mut self, keys: &[String]) -> Result<(), CoreError> {
        self.bundles.trust_only(keys)
    }

    /// Fetches from `source` (or the configured one). A new revision is recorded as
    /// `bundle_updated`, a refused bundle as `bundle_rejected`; an unreachable source is not an
    /// audit event (being offline is normal) but shows in the status.
    pub async fn fetch(
        &mut self,
        source: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<RefreshOutcome, CoreError> {
        self.fetch_noting_refusal(source, now).await.0
    }

    /// [`Self::fetch`], and whether it recorded a refusal not seen at the previous fetch.
    async fn fetch_noting_refusal(
        &mut self,
        source: Option<&str>,
        now: DateTime<Utc>,
    ) -> (Result<RefreshOutcome, CoreError>, bool) {
        let outcome = self.bundles.refresh(source, now).await;
        let mut new_refusal = false;
        let recorded = self.record(&outcome, &mut new_refusal);
        match recorded {
            Ok(()) => (outcome, new_refusal),
            Err(e) => (Err(e), new_refusal),
        }
    }

    fn record(
        &mut self,
        outcome: &Result<RefreshOutcome, CoreError>,
        new_refusal: &mut bool,
    ) -> Result<(), CoreError> {
        match outcome {
            Ok(RefreshOutcome::Updated { .. }) => self.record_updated()?,
            Ok(RefreshOutcome::Unchanged { .. }) if self.unrecorded_update => {
                self.record_updated()?
            }
            Ok(RefreshOutcome::Unchanged { .. }) => {}
            // Only a bundle the source served and verification refused is a rejection; an
            // unreachable source or a configuration mistake is shown in the status instead.
            Err(CoreError::Bundle(e))
                if !e.is_transport() && !matches!(e, BundleError::InvalidLocation { .. }) =>
            {
                let reason = e.to_string();
                if self.last_rejection.as_deref() != Some(reason.as_str()) {
                    self.record_rejection(&reason)?;
                    self.last_rejection = Some(reason);
                    *new_refusal = true;
                }
                return Ok(());
            }
            Err(_) => {}
        }
        if outcome.is_ok() {
            self.last_rejection = None;
        }
        Ok(())
    }

    /// Fetches and publishes the result into the gate's view of what is in force.
    pub(crate) async fn refresh_into(
        &mut self,
        source: Option<&str>,
        enforced: &RwLock<Enforced>,
        now: DateTime<Utc>,
    ) -> PolicyRefresh {
        let (outcome, new_refusal) = self.fetch_noting_refusal(source, now).await;
        // A bundle change the journal could not record does not come into force.
        let next = self.in_force(now);
        let changed = {
            let mut current = enforced.write().unwrap_or_else(|p| p.into_inner());
            let changed = current.revision() != next.revision()
                || matches!((&*current, &next), (Enforced::Blocked(a), Enforced::Blocked(b)) if a != b);
            *current = next;
            changed
        };
        let (ok, message) = match outcome {
            Ok(RefreshOutcome::Unchanged { revision: Some(r) }) => {
                (true, format!("unchanged, revision {r}"))
            }
            Ok(RefreshOutcome::Unchanged { revision: None }) => (true, "unchanged".to_string()),
            Ok(RefreshOutcome::Updated {
                previous: Some(p),
                revision,
            }) => (
                true,
                format!("updated from revision {p} to revision {revision}"),
            ),
            Ok(RefreshOutcome::Updated {
                previous: None,
                revision,
            }) => (true, format!("accepted revision {revision}")),
            Err(e) => (false, e.to_string()),
        };
        let status = self.status(now);
        PolicyRefresh {
            changed,
            new_refusal,
            message,
            ok,
            status,
        }
    }
}
