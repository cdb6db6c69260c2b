//! The policy in force: what a verified, unexpired bundle says, or why nothing may run. The
//! gate reads it for every lint and run, judged at the time of its clock.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use warden_guardrails::Policy;

use super::Gate;
use crate::policy_client::PolicyRefresh;

/// The policy of a verified, unexpired (or in-grace) bundle, with where it came from.
#[derive(Debug)]
pub struct PolicyInForce {
    policy: Policy,
    bundle_name: String,
    revision: u64,
    expires_at: DateTime<Utc>,
    grace_ends: DateTime<Utc>,
}

impl PolicyInForce {
    pub(crate) fn new(
        policy: Policy,
        bundle_name: String,
        revision: u64,
        expires_at: DateTime<Utc>,
        grace_ends: DateTime<Utc>,
    ) -> Self {
        Self {
            policy,
            bundle_name,
            revision,
            expires_at,
            grace_ends,
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }
    pub fn bundle_name(&self) -> &str {
        &self.bundle_name
    }
    pub fn revision(&self) -> u64 {
        self.revision
    }
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }
    /// From this moment nothing may run under this policy.
    pub fn grace_ends(&self) -> DateTime<Utc> {
        self.grace_ends
    }
}

/// Why no policy is in force: nothing may run until this is fixed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not allowed: no valid policy bundle is in force ({reason})")]
pub struct NoPolicy {
    pub reason: String,
}

/// What the gate enforces until the next refresh: a policy, or the reason there is none.
#[derive(Debug, Clone)]
pub(crate) enum Enforced {
    Policy(Arc<PolicyInForce>),
    Blocked(String),
}

impl Enforced {
    /// The policy, if it is still within `expires_at + grace` at `now`.
    pub fn at(&self, now: DateTime<Utc>) -> Result<Arc<PolicyInForce>, NoPolicy> {
        match self {
            Enforced::Policy(p) if now < p.grace_ends => Ok(p.clone()),
            Enforced::Policy(p) => Err(NoPolicy {
                reason: format!(
                    "the policy bundle {} revision {} expired at {} and its grace period ended at {}; fetch a fresh bundle",
                    p.bundle_name,
                    p.revision,
                    p.expires_at.to_rfc3339(),
                    p.grace_ends.to_rfc3339()
                ),
            }),
            Enforced::Blocked(reason) => Err(NoPolicy { reason: reason.clone() }),
        }
    }

    /// Revision in force, for telling whether a refresh changed anything.
    pub fn revision(&self) -> Option<u64> {
        match self {
            Enforced::Policy(p) => Some(p.revision),
            Enforced::Blocked(_) => None,
        }
    }
}

/// How far the clock may step back (NTP corrections) before the gate stops trusting it.
const CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(5);

impl Gate {
    /// The policy in force now, or why there is none (no bundle, refused, expired past grace).
    pub fn policy(&self) -> Result<Arc<PolicyInForce>, NoPolicy> {
        let now = self.now().wall;
        let seen = self
            .latest_seen_ms
            .fetch_max(now.timestamp_millis(), std::sync::atomic::Ordering::SeqCst);
        if now.timestamp_millis() + CLOCK_SKEW.num_milliseconds() < seen {
            return Err(NoPolicy {
                reason: format!(
                    "the system clock went back to {} after reading {}; it cannot be trusted to judge the bundle's expiry, so nothing may run until it is set right",
                    now.to_rfc3339(),
                    crate::audit::rfc3339_ms(seen)
                ),
            });
        }
        let enforced = self.enforced.read().unwrap_or_else(|p| p.into_inner());
        enforced.at(now)
    }

    /// Fetches the policy bundle now; a new revision is in force for the next lint and run.
    /// While another fetch is running this one does not queue behind it: it reports that.
    #[tracing::instrument(name = "fetch", skip_all, fields(workspace = %self.workspace))]
    pub async fn refresh_policy(&self) -> PolicyRefresh {
        let Ok(mut client) = self.policy_client.try_lock() else {
            return PolicyRefresh {
                changed: false,
                new_refusal: false,
                ok: true,
                message: "a fetch is already running".into(),
                status: self.policy_status(),
            };
        };
        let refresh = client
            .refresh_into(None, &self.enforced, self.now().wall)
            .await;
        *self.last_status.write().unwrap_or_else(|p| p.into_inner()) = refresh.status.clone();
        // Not the message: a failed fetch's reason can name the source, credentials and all.
        tracing::info!(
            ok = refresh.ok,
            changed = refresh.changed,
            revision = ?refresh.status.revision,
            "policy fetch done"
        );
        refresh
    }

    /// What is in force, where it came from, and how the last fetch went. Never waits for a
    /// fetch in progress: then the status of the last one is shown, with the health of now.
    pub fn policy_status(&self) -> warden_bundle::Status {
        let now = self.now().wall;
        let mut status = match self.policy_client.try_lock() {
            Ok(client) => {
                let status = client.status(now);
                *self.last_status.write().unwrap_or_else(|p| p.into_inner()) = status.clone();
                status
            }
            Err(_) => self
                .last_status
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        };
        // What the gate enforces decides the health shown (a clock turned back, for one).
        if let Err(no_policy) = self.policy() {
            status.health = warden_bundle::Health::Blocked;
            status.reason = Some(no_policy.reason);
        }
        status
    }

    /// How often the desktop app should fetch in the background.
    pub fn refresh_every(&self) -> Duration {
        self.refresh_every
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use chrono::Duration;
    use warden_audit::Kind;
    use warden_engine::CancellationToken;
    use warden_guardrails::Verdict;

    use warden_elevation::Clock;

    use crate::gate::RunError;
    use crate::testing::{recorder, Fixture, POLICY};

    const COUNTRY: &str = "SELECT country FROM customers";

    #[tokio::test]
    async fn a_new_revision_is_in_force_for_the_next_lint_and_is_recorded() {
        let fixture = Fixture::new();
        fixture.publish(POLICY, 1, Duration::days(30)).await;
        let (engine, _) = recorder();
        let gate = fixture.gate(engine, Duration::days(3)).await;
        assert_eq!(
            gate.lint(COUNTRY, None).expect("policy").verdict(),
            Verdict::Allow
        );

        let unchanged = gate.refresh_policy().await;
        assert!(unchanged.ok && !unchanged.changed, "{unchanged:?}");
        assert_eq!(unchanged.message, "unchanged, revision 1");

        let stricter = POLICY.replace(
            "country: varchar",
            "country: { type: varchar, tags: [restricted] }",
        );
        fixture.publish(&stricter, 2, Duration::days(30)).await;
        let updated = gate.refresh_policy().await;
        assert!(updated.ok && updated.changed, "{updated:?}");
        assert_eq!(updated.status.revision, Some(2));
        assert_eq!(
            gate.lint(COUNTRY, None).expect("policy").verdict(),
            Verdict::Deny
        );
        let events = gate
            .audit()
            .events(&[Kind::BundleUpdated], None, None, false)
            .expect("events");
        let revisions: Vec<_> = events
            .iter()
            .map(|e| e.payload["revision"].as_u64())
            .collect();
        assert_eq!(revisions, [Some(1), Some(2)]);
    }

    #[tokio::test]
    async fn without_a_bundle_nothing_runs_and_the_attempt_is_recorded() {
        let fixture = Fixture::new();
        let (engine, executed) = recorder();
        let gate = fixture.gate(engine, Duration::days(3)).await;
        let no_policy = gate
            .lint(COUNTRY, None)
            .expect_err("no bundle was ever published");
        assert!(
            no_policy
                .to_string()
                .starts_with("not allowed: no valid policy bundle"),
            "{no_policy}"
        );
        let err = gate
            .run(COUNTRY, None, CancellationToken::new())
            .await
            .expect_err("blocked");
        assert!(matches!(err, RunError::NoPolicy(_)), "{err}");
        assert_eq!(executed.load(Ordering::SeqCst), 0);
        let blocked = gate
            .audit()
            .events(&[Kind::QueryBlocked], None, None, false)
            .expect("events");
        assert_eq!(blocked[0].payload["query"]["rule_ids"][0], "no-policy");
        assert!(blocked[0].payload["query"]["sql"]
            .get("text")
            .is_none_or(|t| t.is_null()));
        let status = gate.policy_status();
        assert_eq!(status.health, warden_bundle::Health::Blocked);
    }

    #[tokio::test]
    async fn a_refused_bundle_leaves_the_previous_revision_in_force_and_is_recorded() {
        let fixture = Fixture::new();
        fixture.publish(POLICY, 1, Duration::days(30)).await;
        let (engine, _) = recorder();
        let gate = fixture.gate(engine, Duration::days(3)).await;
        // Someone replaces the published bundle with one signed by a key nobody trusts.
        let intruder = fixture.dir.path().join("intruder.key");
        warden_bundle::keygen(&intruder).expect("keygen");
        let key = warden_bundle::SigningKey::from_file(&intruder).expect("key");
        let forged = warden_bundle::build(
            POLICY.as_bytes(),
            None,
            9,
            Duration::days(30),
            &key,
            fixture.clock.now().wall,
        )
        .expect("build");
        std::fs::write(fixture.store.join("latest"), forged).expect("overwrite");

        let refused = gate.refresh_policy().await;
        assert!(!refused.ok && !refused.changed, "{refused:?}");
        assert!(refused.message.contains("key"), "{}", refused.message);
        assert_eq!(refused.status.revision, Some(1));
        assert_eq!(
            refused.status.last_fetch.as_ref().map(|f| f.result),
            Some(warden_bundle::FetchResult::Refused)
        );
        assert_eq!(
            gate.lint(COUNTRY, None)
                .expect("revision 1 still in force")
                .verdict(),
            Verdict::Allow
        );
        let rejected = gate
            .audit()
            .events(&[Kind::BundleRejected], None, None, false)
            .expect("events");
        assert_eq!(rejected.len(), 1);
    }

    #[tokio::test]
    async fn an_unreachable_source_is_not_an_audit_event_and_keeps_the_cached_bundle() {
        let fixture = Fixture::new();
        fixture.publish(POLICY, 1, Duration::days(30)).await;
        let (engine, _) = recorder();
        let gate = fixture.gate(engine, Duration::days(3)).await;
        std::fs::remove_dir_all(&fixture.store).expect("source gone");
        let offline = gate.refresh_policy().await;
        assert!(!offline.ok && !offline.changed, "{offline:?}");
        assert_eq!(offline.status.health, warden_bundle::Health::Valid);
        assert_eq!(
            gate.lint(COUNTRY, None).expect("cached bundle").verdict(),
            Verdict::Allow
        );
        assert!(gate
            .audit()
            .events(&[Kind::BundleRejected], None, None, false)
            .expect("events")
            .is_empty());
    }

    #[tokio::test]
    async fn a_bundle_that_expires_while_running_blocks_everything_after_its_grace() {
        let fixture = Fixture::new();
        fixture.publish(POLICY, 1, Duration::days(1)).await;
        let (engine, executed) = recorder();
        let gate = fixture.gate(engine, Duration::days(1)).await;
        assert_eq!(
            gate.lint(COUNTRY, None).expect("valid").verdict(),
            Verdict::Allow
        );
        // Expired, but within its day of grace: still in force.
        fixture
            .clock
            .advance(std::time::Duration::from_secs(86_400 + 60));
        assert_eq!(
            gate.lint(COUNTRY, None).expect("in grace").verdict(),
            Verdict::Allow
        );
        fixture
            .clock
            .advance(std::time::Duration::from_secs(86_400));
        let expired = gate.lint(COUNTRY, None).expect_err("expired");
        assert!(expired.reason.contains("expired"), "{expired}");
        let err = gate
            .run(COUNTRY, None, CancellationToken::new())
            .await
            .expect_err("expired");
        assert!(matches!(err, RunError::NoPolicy(_)), "{err}");
        assert_eq!(executed.load(Ordering::SeqCst), 0);
        assert_eq!(gate.policy_status().health, warden_bundle::Health::Blocked);
    }
}
