//! The gate's elevation operations: request, end, and the periodic check that ends grants on
//! time, picks up approvers' decisions and warns before an end. Every grant starts with a
//! recorded request; if the journal cannot record it, nothing is granted.

use chrono::Utc;
use warden_audit::{ElevationDenied, ElevationExpired, ElevationGranted, ElevationRequested, Lockout, Payload};
use warden_elevation::{format_duration, validate, Grant, Moment, Request};
use warden_guardrails::Approval;

use crate::elevation::{
    approved_until, until_text, view, ElevationChanges, ElevationDecision, ElevationStatus, EndedElevation, Outcome,
};
use crate::{CoreError, Gate};

impl Gate {
    /// What the policy in force offers, what is held and what is waiting for an approver.
    pub fn elevation_status(&self) -> ElevationStatus {
        let policy = self.policy().ok();
        self.elevation_state().status(policy.as_ref().map(|p| p.policy()), Moment::now())
    }

    /// Asks for an elevation. Auto-approved ones hold at once; the others wait in the
    /// workspace's approval queue until [`Gate::check_elevations`] sees a decision.
    pub fn request_elevation(&self, request: Request) -> Result<ElevationDecision, CoreError> {
        let in_force = self.policy().map_err(|p| CoreError::NoElevation(p.reason))?;
        let valid = validate(in_force.policy(), &request)?;
        let now = Moment::now();
        let mut state = self.elevation_state();
        if let Some(held) = state.active.get(&valid.name).filter(|g| g.holds_at(now)) {
            return Err(warden_elevation::ElevationError::AlreadyActive {
                name: valid.name.clone(),
                until: held.expires_at.format("%H:%M:%S UTC").to_string(),
            }
            .into());
        }
        if let Some(id) = state.is_pending(&valid.name) {
            return Err(warden_elevation::ElevationError::AlreadyPending { name: valid.name.clone(), id: id.into() }.into());
        }
        match valid.approval {
            Approval::Auto => {
                let request_id = uuid_v7();
                self.record_elevation(Payload::ElevationRequested(ElevationRequested {
                    elevation_id: request_id.clone(),
                    scope: valid.name.clone(),
                    reason: valid.reason(),
                    requested_duration_s: valid.duration.as_secs(),
                }))?;
                let grant = Grant::starting(request_id.clone(), valid.name.clone(), now, valid.duration, None);
                self.record_elevation(Payload::ElevationGranted(ElevationGranted {
                    elevation_id: request_id.clone(),
                    approver: None,
                    expires_at_ms: grant.expires_at.timestamp_millis(),
                }))?;
                let message = format!("{} is active {}, approved by policy", grant.name, until_text(&grant));
                let expires_at_ms = Some(grant.expires_at.timestamp_millis());
                state.active.insert(grant);
                let status = state.status(Some(in_force.policy()), now);
                Ok(ElevationDecision { outcome: Outcome::Granted, name: valid.name, message, expires_at_ms, request_id: Some(request_id), status })
            }
            Approval::Manual => {
                let approvals = state.approvals.clone().ok_or_else(|| CoreError::NoApprovals(self.workspace().to_string()))?;
                let actor = warden_audit::Actor::from_os().os_user;
                let pending = approvals.submit(&valid, &actor, now.wall)?;
                if let Err(e) = self.record_elevation(Payload::ElevationRequested(ElevationRequested {
                    elevation_id: pending.id.clone(),
                    scope: valid.name.clone(),
                    reason: valid.reason(),
                    requested_duration_s: valid.duration.as_secs(),
                })) {
                    // Unrecorded requests must not be approvable: withdraw it by denying it.
                    let _ = approvals.decide(
                        &pending.id,
                        warden_elevation::Decision::Deny,
                        &actor,
                        Some("withdrawn: the requester's audit journal could not record the request"),
                        Utc::now(),
                    );
                    return Err(e);
                }
                let message = format!(
                    "{} for {} is waiting for an approver (request {})",
                    valid.name,
                    format_duration(valid.duration),
                    pending.id
                );
                let request_id = Some(pending.id.clone());
                state.wait_for(pending);
                let status = state.status(Some(in_force.policy()), now);
                Ok(ElevationDecision { outcome: Outcome::Pending, name: valid.name, message, expires_at_ms: None, request_id, status })
            }
        }
    }

    /// Ends a grant before its time (the holder is done). Queries that need it are cancelled.
    pub fn end_elevation(&self, name: &str) -> Result<(ElevationStatus, Option<EndedElevation>), CoreError> {
        let policy = self.policy().ok();
        let mut state = self.elevation_state();
        let ended = match state.active.end(name) {
            Some(grant) => {
                let cancelled = state.cancel_users_of(&grant.name);
                // The grant is gone whether or not the journal takes note (fail closed).
                let recorded = self.record_end(&grant, cancelled, "ended by its holder");
                Some((EndedElevation { name: grant.name, cancelled }, recorded))
            }
            None => None,
        };
        let status = state.status(policy.as_ref().map(|p| p.policy()), Moment::now());
        match ended {
            Some((ended, Err(e))) => {
                eprintln!("warden: {} ended, but {e}", ended.name);
                Ok((status, Some(ended)))
            }
            Some((ended, Ok(()))) => Ok((status, Some(ended))),
            None => Ok((status, None)),
        }
    }

    /// Ends grants whose time is up (or that the policy in force no longer defines), cancelling
    /// the queries that need them; turns approvers' decisions into grants or denials; reports
    /// grants that just came within the warning time of their end.
    pub fn check_elevations(&self) -> ElevationChanges {
        let now = Moment::now();
        let in_force = self.policy().ok();
        let policy = in_force.as_ref().map(|p| p.policy());
        let mut changes = ElevationChanges::default();
        let mut state = self.elevation_state();

        for grant in state.take_ended(now, policy) {
            let cancelled = state.cancel_users_of(&grant.name);
            let why = if grant.holds_at(now) { "no longer offered by the policy in force" } else { "its time ran out" };
            if let Err(e) = self.record_end(&grant, cancelled, why) {
                changes.errors.push(e.to_string());
            }
            changes.ended.push(EndedElevation { name: grant.name, cancelled });
        }

        for (request, decision) in state.take_decided() {
            let decided = match decision {
                Err(problem) => Err((None, format!("the approval could not be read ({problem}); ask again"))),
                Ok(d) if !d.approved => Err((Some(d.approver), d.reason.unwrap_or_else(|| "no reason given".into()))),
                Ok(d) => match policy.and_then(|p| p.elevation(&request.name)) {
                    None => Err((Some(d.approver), "the policy in force no longer offers this elevation".into())),
                    Some(def) => {
                        let until = approved_until(&request, d.decided_at_ms);
                        // The policy in force caps the grant, whatever the request said.
                        let left = (until - now.wall).to_std().unwrap_or_default().min(def.max_duration);
                        if left.is_zero() {
                            Err((Some(d.approver), "approved, but its time had run out before Warden saw the approval".into()))
                        } else {
                            Ok(Grant::starting(request.id.clone(), request.name.clone(), now, left, Some(d.approver)))
                        }
                    }
                },
            };
            match decided {
                Ok(grant) => {
                    let recorded = self.record_elevation(Payload::ElevationGranted(ElevationGranted {
                        elevation_id: grant.request_id.clone(),
                        approver: grant.approver.clone(),
                        expires_at_ms: grant.expires_at.timestamp_millis(),
                    }));
                    match recorded {
                        Ok(()) => {
                            changes.granted.push(view(&grant));
                            state.active.insert(grant);
                        }
                        // Nothing is granted unrecorded.
                        Err(e) => {
                            changes.errors.push(e.to_string());
                            changes.denied.push((request.name, format!("approved, but not granted: {e}")));
                        }
                    }
                }
                Err((approver, reason)) => {
                    if let Err(e) = self.record_elevation(Payload::ElevationDenied(ElevationDenied {
                        elevation_id: request.id.clone(),
                        approver,
                        reason: reason.clone(),
                    })) {
                        changes.errors.push(e.to_string());
                    }
                    changes.denied.push((request.name, reason));
                }
            }
        }

        changes.ending_soon = state.newly_ending(now);
        changes
    }

    fn record_end(&self, grant: &Grant, cancelled: usize, why: &str) -> Result<(), CoreError> {
        self.record_elevation(Payload::ElevationExpired(ElevationExpired { elevation_id: grant.request_id.clone() }))?;
        self.record_elevation(Payload::Lockout(Lockout {
            reason: format!(
                "{} ended ({why}); {cancelled} running {} that needed it cancelled; the editor is back to baseline access",
                grant.name,
                if cancelled == 1 { "query" } else { "queries" }
            ),
            until_ms: None,
        }))
    }

    fn record_elevation(&self, payload: Payload) -> Result<(), CoreError> {
        self.audit().record(payload).map(|_| ())
    }
}

fn uuid_v7() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use warden_elevation::{Approvals, Decision};
    use warden_engine::{CancellationToken, EngineError};
    use warden_guardrails::Verdict;

    use super::*;
    use crate::testing::{signed_gate, Fixture, Waiter, ELEVATION_POLICY};
    use crate::RunError;

    const PII: &str = "SELECT email FROM customers";

    async fn gate() -> (Fixture, Gate, Arc<AtomicUsize>) {
        let running = Arc::new(AtomicUsize::new(0));
        let (fixture, gate) = signed_gate(ELEVATION_POLICY, Box::new(Waiter { running: running.clone() })).await;
        (fixture, gate, running)
    }

    fn pii_read(secs: Option<u64>) -> Request {
        Request {
            name: "pii-read".into(),
            duration: secs.map(Duration::from_secs),
            justification: "churn study".into(),
            ticket: Some("INC-7".into()),
        }
    }

    fn kinds(gate: &Gate) -> Vec<String> {
        gate.audit().events(&[], None, None, false).expect("events").into_iter().map(|e| e.kind).collect()
    }

    #[tokio::test]
    async fn an_auto_approved_elevation_holds_at_once_and_is_recorded() {
        let (_f, gate, _) = gate().await;
        assert_eq!(gate.lint(PII, None).expect("policy").verdict(), Verdict::Elevate);
        let status = gate.elevation_status();
        assert_eq!(status.options.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["pii-read", "restricted-read"]);
        assert_eq!(status.options[0].ticket_pattern.as_deref(), Some("INC-[0-9]+"));

        let decision = gate.request_elevation(pii_read(None)).expect("granted");
        assert_eq!(decision.outcome, Outcome::Granted);
        assert!(decision.message.contains("approved by policy") && decision.message.contains("15 min"), "{}", decision.message);
        assert_eq!(decision.status.active.len(), 1);
        assert_eq!(gate.lint(PII, None).expect("policy").verdict(), Verdict::Allow);
        assert!(kinds(&gate).ends_with(&["elevation_requested".into(), "elevation_granted".into()]));
        let requested = &gate.audit().events(&[], None, None, false).expect("events")[kinds(&gate).len() - 2];
        assert_eq!(requested.payload["reason"], "[INC-7] churn study");

        let again = gate.request_elevation(pii_read(None)).unwrap_err().to_string();
        assert!(again.contains("already active"), "{again}");
    }

    #[tokio::test]
    async fn a_request_the_policy_does_not_allow_grants_and_records_nothing() {
        let (_f, gate, _) = gate().await;
        let before = kinds(&gate);
        let e = gate.request_elevation(pii_read(Some(2 * 3600))).unwrap_err().to_string();
        assert!(e.contains("at most 1 h"), "{e}");
        let e = gate.request_elevation(Request { ticket: None, ..pii_read(None) }).unwrap_err().to_string();
        assert!(e.contains("ticket reference matching INC-[0-9]+"), "{e}");
        assert_eq!(kinds(&gate), before);
        assert_eq!(gate.lint(PII, None).expect("policy").verdict(), Verdict::Elevate);
    }

    #[tokio::test]
    async fn when_a_grant_ends_the_queries_that_need_it_are_cancelled_and_others_run_on() {
        let (_f, gate, running) = gate().await;
        let gate = Arc::new(gate);
        gate.request_elevation(pii_read(Some(1))).expect("granted");
        let elevated = tokio::spawn({
            let gate = gate.clone();
            async move { gate.run(PII, None, CancellationToken::new()).await }
        });
        let plain_token = CancellationToken::new();
        let plain = tokio::spawn({
            let (gate, token) = (gate.clone(), plain_token.clone());
            async move { gate.run("SELECT country FROM customers", None, token).await }
        });
        while running.load(Ordering::SeqCst) < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let changes = gate.check_elevations();
        assert_eq!(changes.ended, vec![EndedElevation { name: "pii-read".into(), cancelled: 1 }]);
        let outcome = elevated.await.expect("task");
        assert!(matches!(outcome, Err(RunError::Engine(EngineError::Cancelled))), "{outcome:?}");
        assert_eq!(running.load(Ordering::SeqCst), 1, "the query that needs no elevation runs on");
        plain_token.cancel();
        let _ = plain.await;

        assert_eq!(gate.lint(PII, None).expect("policy").verdict(), Verdict::Elevate, "back to baseline");
        let k = kinds(&gate);
        for kind in ["elevation_expired", "lockout", "query_cancelled"] {
            assert!(k.contains(&kind.to_string()), "{kind} in {k:?}");
        }
        assert!(gate.check_elevations().ended.is_empty(), "an end is reported once");
        assert!(gate.elevation_status().active.is_empty());
    }

    #[tokio::test]
    async fn a_grant_past_its_end_no_longer_counts_even_before_the_check() {
        let (_f, gate, _) = gate().await;
        gate.request_elevation(pii_read(Some(1))).expect("granted");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(gate.lint(PII, None).expect("policy").verdict(), Verdict::Elevate);
        let refused = gate.run(PII, None, CancellationToken::new()).await;
        assert!(matches!(refused, Err(RunError::Blocked(_))), "{refused:?}");
    }

    #[tokio::test]
    async fn a_manual_elevation_waits_for_an_approver_and_holds_from_the_approval() {
        let (f, gate, _) = gate().await;
        let ask = Request {
            name: "restricted-read".into(),
            duration: None,
            justification: "fraud case".into(),
            ticket: None,
        };
        let decision = gate.request_elevation(ask.clone()).expect("submitted");
        assert_eq!(decision.outcome, Outcome::Pending);
        let id = decision.request_id.clone().expect("id");
        assert_eq!(decision.status.pending.len(), 1);
        let again = gate.request_elevation(ask.clone()).unwrap_err().to_string();
        assert!(again.contains("already waiting"), "{again}");
        assert!(gate.check_elevations().is_empty(), "nothing happens before a decision");
        assert_eq!(gate.lint("SELECT ssn FROM customers", None).expect("policy").verdict(), Verdict::Elevate);

        let approvals = Approvals::open(f.dir.path().join("approvals"), true);
        approvals.decide(&id, Decision::Approve, "bob", None, chrono::Utc::now()).expect("approve");
        let changes = gate.check_elevations();
        assert_eq!(changes.granted.len(), 1);
        assert_eq!(changes.granted[0].approver.as_deref(), Some("bob"));
        assert_eq!(gate.lint("SELECT ssn FROM customers", None).expect("policy").verdict(), Verdict::Allow);
        let granted = gate.audit().events(&[], None, None, false).expect("events").pop().expect("event");
        assert_eq!((granted.kind.as_str(), &granted.payload["approver"]), ("elevation_granted", &serde_json::json!("bob")));

        // A denial reaches the requester with its reason, and grants nothing.
        gate.end_elevation("restricted-read").expect("end");
        let id = gate.request_elevation(ask).expect("submitted").request_id.expect("id");
        approvals.decide(&id, Decision::Deny, "bob", Some("use the masked view"), chrono::Utc::now()).expect("deny");
        let changes = gate.check_elevations();
        assert_eq!(changes.denied, vec![("restricted-read".to_string(), "use the masked view".to_string())]);
        assert_eq!(gate.lint("SELECT ssn FROM customers", None).expect("policy").verdict(), Verdict::Elevate);
        assert_eq!(kinds(&gate).last().map(String::as_str), Some("elevation_denied"));
    }

    #[tokio::test]
    async fn ending_early_and_the_warning_before_the_end() {
        let (_f, gate, _) = gate().await;
        // Shorter than the warning time: it is announced as ending soon, once.
        gate.request_elevation(pii_read(Some(120))).expect("granted");
        let changes = gate.check_elevations();
        assert_eq!(changes.ending_soon.len(), 1);
        assert!(gate.check_elevations().ending_soon.is_empty());
        let (status, ended) = gate.end_elevation("pii-read").expect("end");
        assert_eq!(ended, Some(EndedElevation { name: "pii-read".into(), cancelled: 0 }));
        assert!(status.active.is_empty());
        assert_eq!(gate.lint(PII, None).expect("policy").verdict(), Verdict::Elevate);
        assert_eq!(gate.end_elevation("pii-read").expect("nothing to end").1, None);
    }
}
