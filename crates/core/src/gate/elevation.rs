//! The gate's elevation operations: request, end, and the periodic check that ends grants on
//! time, picks up approvers' decisions and warns before an end. Every grant starts with a
//! recorded request; if the journal cannot record it, nothing is granted.

use std::sync::Arc;

use warden_audit::{
    ElevationDenied, ElevationExpired, ElevationExtended, ElevationGranted, ElevationRequested,
    Lockout, Payload,
};
use warden_elevation::{
    extend, format_duration, judge, judge_extension, validate, view, Decision, DecisionRecord,
    Denial, ElevationError, ElevationStatus, Elevations, Grant, Moment, PendingRequest, Queue,
    Request, PENDING_TIMEOUT,
};
use warden_guardrails::{Approval, Policy};

use super::changes::{until_text, ElevationChanges, ElevationDecision, EndedElevation, Outcome};
use crate::{CoreError, Gate};

impl Gate {
    /// What the policy in force offers, what is held and what is waiting for an approver.
    pub fn elevation_status(&self) -> ElevationStatus {
        let policy = self.policy().ok();
        self.elevation_state()
            .status(policy.as_ref().map(|p| p.policy()), self.now())
    }

    /// Asks for an elevation. Auto-approved ones hold at once; the others wait in the
    /// workspace's approval queue until [`Gate::check_elevations`] sees a decision.
    pub fn request_elevation(&self, request: Request) -> Result<ElevationDecision, CoreError> {
        let in_force = self
            .policy()
            .map_err(|p| CoreError::NoElevation(p.reason))?;
        let policy = in_force.policy();
        let valid = validate(policy, &request)?;
        if self.elevated.is_some() {
            // An AWS grant (and its end, and its credentials) is the broker's to give: requests
            // go through the request bucket (`aws_hold::request`), never this gate alone. A
            // grant made here would have no credentials, yet its verdicts would say allow.
            return Err(CoreError::NoElevation(match valid.extends {
                Some(_) => format!(
                    "on an AWS workspace the broker extends a grant: ask with `warden elevation extend {}` or the window's Extend",
                    valid.name
                ),
                None => format!(
                    "on an AWS workspace the broker grants elevations: sign in and ask with `warden elevation request {}` or the window's Request",
                    valid.name
                ),
            }));
        }
        let now = self.now();
        let mut state = self.elevation_state();
        // A grant that ended but was not yet noticed is ended (and recorded) before a new one
        // of the same name can take its place.
        let mut scratch = ElevationChanges::default();
        self.end_due(&mut state, now, Some(policy), &mut scratch);
        log_errors(&scratch);
        let extended = match &valid.extends {
            Some(id) => {
                let max = policy
                    .elevation(&valid.name)
                    .map(|d| d.max_duration)
                    .unwrap_or_default();
                let held = state.held(id, now).cloned();
                Some(extend(
                    held.as_ref(),
                    id,
                    &valid.name,
                    valid.duration,
                    max,
                    now,
                    None,
                )?)
            }
            None => None,
        };
        if let Some(held) = state.active().get(&valid.name).filter(|g| g.holds_at(now)) {
            if extended.is_none() {
                return Err(ElevationError::AlreadyActive {
                    name: valid.name.clone(),
                    until: held.expires_at.format("%H:%M:%S UTC").to_string(),
                }
                .into());
            }
        }
        if let Some(id) = state.is_pending(&valid.name) {
            return Err(ElevationError::AlreadyPending {
                name: valid.name.clone(),
                id: id.into(),
            }
            .into());
        }
        if let (Some(grant), Approval::Auto) = (extended, valid.approval) {
            let id = uuid::Uuid::now_v7().to_string();
            self.record_elevation(Payload::ElevationRequested(ElevationRequested {
                elevation_id: id.clone(),
                scope: valid.name.clone(),
                reason: valid.reason(),
                requested_duration_s: valid.duration.as_secs(),
                extends: valid.extends.clone(),
            }))?;
            self.record_elevation(Payload::ElevationExtended(ElevationExtended {
                elevation_id: grant.request_id.clone(),
                request_id: id.clone(),
                approver: None,
                expires_at_ms: grant.expires_at.timestamp_millis(),
            }))?;
            let message = format!(
                "{} extended {}, approved by policy",
                grant.name,
                extended_text(&grant, valid.duration)
            );
            let expires_at_ms = Some(grant.expires_at.timestamp_millis());
            state.extend(grant);
            let status = state.status(Some(policy), now);
            return Ok(ElevationDecision {
                outcome: Outcome::Granted,
                name: valid.name,
                message,
                expires_at_ms,
                request_id: Some(id),
                status,
            });
        }
        match valid.approval {
            Approval::Auto => {
                let grant = Grant::starting(
                    uuid::Uuid::now_v7().to_string(),
                    valid.name.clone(),
                    now,
                    valid.duration,
                    None,
                )?;
                self.record_elevation(Payload::ElevationRequested(ElevationRequested {
                    elevation_id: grant.request_id.clone(),
                    scope: valid.name.clone(),
                    reason: valid.reason(),
                    requested_duration_s: valid.duration.as_secs(),
                    extends: None,
                }))?;
                self.record_elevation(Payload::ElevationGranted(ElevationGranted {
                    elevation_id: grant.request_id.clone(),
                    approver: None,
                    expires_at_ms: grant.expires_at.timestamp_millis(),
                }))?;
                let message = format!(
                    "{} is active {}, approved by policy",
                    grant.name,
                    until_text(&grant)
                );
                let (expires_at_ms, request_id) = (
                    Some(grant.expires_at.timestamp_millis()),
                    Some(grant.request_id.clone()),
                );
                state.insert(grant);
                let status = state.status(Some(policy), now);
                Ok(ElevationDecision {
                    outcome: Outcome::Granted,
                    name: valid.name,
                    message,
                    expires_at_ms,
                    request_id,
                    status,
                })
            }
            Approval::Manual => {
                let approvals = state
                    .approvals()
                    .cloned()
                    .ok_or_else(|| CoreError::NoApprovals(self.workspace().to_string()))?;
                // The queue is a folder (for a team, on a share): its write and fsync happen
                // outside the lock, so that lint, run and the ending of grants never wait on it.
                drop(state);
                let actor = crate::audit::os_user();
                let pending = approvals.submit(&valid, &actor, now.wall)?;
                if let Err(e) =
                    self.record_elevation(Payload::ElevationRequested(ElevationRequested {
                        elevation_id: pending.id.clone(),
                        scope: valid.name.clone(),
                        reason: valid.reason(),
                        requested_duration_s: valid.duration.as_secs(),
                        extends: valid.extends.clone(),
                    }))
                {
                    // An unrecorded request must not be approvable: take it back.
                    let why = "the requester's audit journal could not record the request";
                    if let Err(w) = approvals.decide(
                        &pending.id,
                        Decision::Withdraw,
                        &actor,
                        Some(why),
                        self.now().wall,
                    ) {
                        tracing::warn!(request = %pending.id, "the request could not be withdrawn ({w}); an approval of it grants nothing");
                    }
                    return Err(e);
                }
                let message = if valid.extends.is_some() {
                    format!(
                        "{} more on {} is waiting for an approver (request {}); the grant runs on to its current end meanwhile",
                        format_duration(valid.duration),
                        valid.name,
                        pending.id
                    )
                } else {
                    format!(
                        "{} for {} is waiting for an approver (request {})",
                        valid.name,
                        format_duration(valid.duration),
                        pending.id
                    )
                };
                let request_id = Some(pending.id.clone());
                let mut state = self.elevation_state();
                // Two requests of one name raced through the write: the first one stands.
                if let Some(first) = state.is_pending(&valid.name).map(str::to_string) {
                    drop(state);
                    let why = "another request for the same elevation was made at the same time";
                    if let Err(e) = self.withdraw(Some(&approvals), &pending, why) {
                        tracing::warn!("{e}");
                    }
                    return Err(ElevationError::AlreadyPending {
                        name: valid.name,
                        id: first,
                    }
                    .into());
                }
                state.wait_for(pending, now.mono);
                let status = state.status(Some(policy), now);
                Ok(ElevationDecision {
                    outcome: Outcome::Pending,
                    name: valid.name,
                    message,
                    expires_at_ms: None,
                    request_id,
                    status,
                })
            }
        }
    }

    /// Ends a grant before its time (the holder is done), cancelling the queries that need
    /// it, or withdraws a request of that name still waiting for an approver.
    pub fn end_elevation(
        &self,
        name: &str,
    ) -> Result<(ElevationStatus, Option<EndedElevation>), CoreError> {
        let in_force = self.policy().ok();
        let policy = in_force.as_ref().map(|p| p.policy());
        let now = self.now();
        let mut changes = ElevationChanges::default();
        let (withdrawn, approvals, ended, spent, void) = {
            let mut state = self.elevation_state();
            // A grant that already ran out ended for that reason, not by its holder's hand.
            self.end_due(&mut state, now, policy, &mut changes);
            log_errors(&changes);
            changes.errors.clear();
            let mut ended = changes.ended.iter().find(|e| e.name == name).cloned();
            let mut withdrawn = None;
            if let Some(grant) = state.end(name) {
                let cancelled = state.cancel_users_of(&grant.name);
                // The grant is gone whether or not the journal takes note (fail closed).
                if let Err(e) = self.record_end(&grant, cancelled, "ended by its holder") {
                    tracing::warn!(elevation = %grant.name, "ended, but {e}");
                }
                ended = Some(EndedElevation {
                    name: grant.name,
                    cancelled,
                });
            } else if let Some(id) = state.is_pending(name).map(str::to_string) {
                withdrawn = state.stop_waiting(&id);
            }
            let void = state.void_extensions(now);
            for request in &void {
                state.refused(&request.id, &request.name, VOID, now);
            }
            let spent = self.take_spent(&mut state, now, &mut changes);
            (withdrawn, state.approvals().cloned(), ended, spent, void)
        };
        self.wipe_spent(spent, &mut changes);
        log_errors(&changes);
        // Queue files are written outside the lock.
        if let Some(request) = withdrawn {
            if let Err(e) =
                self.withdraw(approvals.as_ref(), &request, "withdrawn by the requester")
            {
                tracing::warn!("{e}");
            }
        }
        for request in void {
            if let Err(e) = self.withdraw(approvals.as_ref(), &request, VOID) {
                tracing::warn!("{e}");
            }
        }
        Ok((self.elevation_state().status(policy, self.now()), ended))
    }

    /// Ends grants whose time is up (or that the policy in force no longer defines), cancelling
    /// the queries that need them; turns approvers' decisions into grants or denials; withdraws
    /// requests nobody answered; reports grants that just came within the warning time.
    pub fn check_elevations(&self) -> ElevationChanges {
        let now = self.now();
        let in_force = self.policy().ok();
        let policy = in_force.as_ref().map(|p| p.policy());
        let mut changes = self.take_news();

        let (waiting, approvals, spent, void) = {
            let mut state = self.elevation_state();
            // A grant's engine first: it is locked out a little before the grant's end.
            let mut spent = self.take_spent(&mut state, now, &mut changes);
            self.end_due(&mut state, now, policy, &mut changes);
            spent.extend(self.take_spent(&mut state, now, &mut changes));
            // An extension whose grant ended before anyone decided on it is void.
            let void = state.void_extensions(now);
            for request in &void {
                state.refused(&request.id, &request.name, VOID, now);
            }
            (state.waiting_ids(), state.approvals().cloned(), spent, void)
        };
        for request in void {
            if let Err(e) = self.withdraw(approvals.as_ref(), &request, VOID) {
                changes.errors.push(e.to_string());
            }
            changes.denied.push((request.name, VOID.to_string()));
        }
        // Keyring calls block: outside the lock, like the queue's files.
        self.wipe_spent(spent, &mut changes);
        // Queue files are read without holding the state: a slow or hostile folder must not
        // stall lint, run, or the ending of grants.
        let decisions: Vec<(String, Result<Option<DecisionRecord>, ElevationError>)> =
            match &approvals {
                Some(q) => waiting
                    .into_iter()
                    .map(|id| (id.clone(), q.decision(&id)))
                    .collect(),
                None => vec![],
            };

        let mut state = self.elevation_state();
        let mut denied_ids = std::collections::BTreeMap::new();
        for (id, decision) in decisions {
            let decision = match decision {
                Ok(None) => continue,
                Ok(Some(d)) => Ok(d),
                Err(e) => Err(e.to_string()),
            };
            let Some(request) = state.stop_waiting(&id) else {
                continue;
            };
            denied_ids.insert(request.name.clone(), request.id.clone());
            if let Some(id) = request.extends.clone() {
                let held = state.held(&id, now).cloned();
                match judge_extension(
                    &request,
                    decision,
                    state.allows_self_approval(),
                    policy,
                    held.as_ref(),
                    now,
                ) {
                    Ok(grant) => {
                        let recorded =
                            self.record_elevation(Payload::ElevationExtended(ElevationExtended {
                                elevation_id: id,
                                request_id: request.id.clone(),
                                approver: grant.approver.clone(),
                                expires_at_ms: grant.expires_at.timestamp_millis(),
                            }));
                        match recorded {
                            Ok(()) => {
                                changes.extended.push(view(&grant));
                                state.extend(grant);
                            }
                            // Nothing is extended unrecorded; the grant runs on to its end.
                            Err(e) => {
                                changes.errors.push(e.to_string());
                                changes.denied.push((
                                    request.name,
                                    format!("the extension was approved, but not made: {e}"),
                                ));
                            }
                        }
                    }
                    Err(Denial { approver, reason }) => {
                        self.record_denial(&request, approver, &reason, &mut changes);
                        let end = held
                            .map(|g| {
                                format!(
                                    "; the grant runs on to {}",
                                    g.expires_at.format("%H:%M UTC")
                                )
                            })
                            .unwrap_or_default();
                        changes
                            .denied
                            .push((request.name, format!("no more time ({reason}){end}")));
                    }
                }
                continue;
            }
            match judge(
                &request,
                decision,
                state.allows_self_approval(),
                policy,
                now,
            ) {
                Ok(grant) => {
                    let recorded =
                        self.record_elevation(Payload::ElevationGranted(ElevationGranted {
                            elevation_id: grant.request_id.clone(),
                            approver: grant.approver.clone(),
                            expires_at_ms: grant.expires_at.timestamp_millis(),
                        }));
                    match recorded {
                        Ok(()) => {
                            changes.granted.push(view(&grant));
                            state.insert(grant);
                        }
                        // Nothing is granted unrecorded.
                        Err(e) => {
                            changes.errors.push(e.to_string());
                            changes
                                .denied
                                .push((request.name, format!("approved, but not granted: {e}")));
                        }
                    }
                }
                Err(Denial { approver, reason }) => {
                    self.record_denial(&request, approver, &reason, &mut changes);
                    changes.denied.push((request.name, reason));
                }
            }
        }
        for (name, reason) in &changes.denied {
            if let Some(id) = denied_ids.get(name) {
                state.refused(id, name, reason, now);
            }
        }

        let timed_out: Vec<PendingRequest> = state
            .timed_out(now)
            .iter()
            .filter_map(|id| state.stop_waiting(id))
            .collect();
        let reason = format!(
            "no approver decided within {}; ask again",
            format_duration(PENDING_TIMEOUT)
        );
        for request in &timed_out {
            state.refused(&request.id, &request.name, &reason, now);
        }
        changes.ending_soon = state.newly_ending(now);
        drop(state);

        // Withdrawals write queue files: outside the lock.
        for request in timed_out {
            if let Err(e) = self.withdraw(approvals.as_ref(), &request, &reason) {
                changes.errors.push(e.to_string());
            }
            changes.denied.push((request.name, reason.clone()));
        }
        changes
    }

    pub(super) fn end_due(
        &self,
        state: &mut Elevations,
        now: Moment,
        policy: Option<&Policy>,
        changes: &mut ElevationChanges,
    ) {
        for grant in state.take_ended(now, policy) {
            let cancelled = state.cancel_users_of(&grant.name);
            let why = if grant.holds_at(now) {
                "the policy in force no longer allows it"
            } else {
                "its time ran out"
            };
            if let Err(e) = self.record_end(&grant, cancelled, why) {
                changes.errors.push(e.to_string());
            }
            changes.ended.push(EndedElevation {
                name: grant.name,
                cancelled,
            });
        }
    }

    /// Withdraws `request` in the queue (so no later approval counts) and records the denial.
    pub(super) fn withdraw(
        &self,
        approvals: Option<&Arc<dyn Queue>>,
        request: &PendingRequest,
        why: &str,
    ) -> Result<(), CoreError> {
        if let Some(q) = approvals {
            match q.decide(
                &request.id,
                Decision::Withdraw,
                &request.requester,
                Some(why),
                self.now().wall,
            ) {
                Ok(_) | Err(ElevationError::AlreadyDecided { .. }) => {}
                Err(e) => tracing::warn!(
                    request = %request.id,
                    "the request could not be withdrawn in the queue: {e}"
                ),
            }
        }
        self.record_elevation(Payload::ElevationDenied(ElevationDenied {
            elevation_id: request.id.clone(),
            approver: None,
            reason: why.to_string(),
        }))
    }

    fn record_denial(
        &self,
        request: &PendingRequest,
        approver: Option<String>,
        reason: &str,
        changes: &mut ElevationChanges,
    ) {
        if let Err(e) = self.record_elevation(Payload::ElevationDenied(ElevationDenied {
            elevation_id: request.id.clone(),
            approver,
            reason: reason.to_string(),
        })) {
            changes.errors.push(e.to_string());
        }
    }

    /// The lockout of `grant`: the rows read under it are deleted, then its end is recorded.
    /// Every end of a grant comes through here, with the elevation lock held.
    pub(super) fn record_end(
        &self,
        grant: &Grant,
        cancelled: usize,
        why: &str,
    ) -> Result<(), CoreError> {
        let withdrawn = self.withdraw_results_of(&grant.request_id);
        if withdrawn > 0 {
            tracing::info!(elevation = %grant.name, withdrawn, "results read under the grant deleted");
        }
        self.record_elevation(Payload::ElevationExpired(ElevationExpired {
            elevation_id: grant.request_id.clone(),
        }))?;
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

/// Why an extension waiting for an approver was withdrawn: its grant is gone.
const VOID: &str = "the grant it extends ended before an approver decided; the extension is void";

/// "until 14:20:00 UTC (15 min more)".
fn extended_text(grant: &Grant, more: std::time::Duration) -> String {
    format!(
        "until {} ({} more)",
        grant.expires_at.format("%H:%M:%S UTC"),
        format_duration(more)
    )
}

fn log_errors(changes: &ElevationChanges) {
    for e in &changes.errors {
        tracing::warn!("{e}");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use warden_elevation::{Approvals, Decision};
    use warden_engine::{CancellationToken, EngineError};
    use warden_guardrails::Verdict;

    use warden_elevation::Clock;

    use super::*;
    use crate::testing::{signed_gate, Fixture, Waiter, ELEVATION_POLICY};
    use crate::RunError;

    const PII: &str = "SELECT email FROM customers";

    async fn gate() -> (Fixture, Gate, Arc<AtomicUsize>) {
        let running = Arc::new(AtomicUsize::new(0));
        let (fixture, gate) = signed_gate(
            ELEVATION_POLICY,
            Box::new(Waiter {
                running: running.clone(),
            }),
        )
        .await;
        (fixture, gate, running)
    }

    fn pii_read(secs: Option<u64>) -> Request {
        Request {
            name: "pii-read".into(),
            duration: secs.map(Duration::from_secs),
            justification: "churn study".into(),
            ticket: Some("INC-7".into()),
            extends: None,
        }
    }

    fn kinds(gate: &Gate) -> Vec<String> {
        gate.audit()
            .events(&[], None, None, false)
            .expect("events")
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }

    #[tokio::test]
    async fn an_auto_approved_elevation_holds_at_once_and_is_recorded() {
        let (_f, gate, _) = gate().await;
        assert_eq!(
            gate.lint(PII, None).expect("policy").verdict(),
            Verdict::Elevate
        );
        let status = gate.elevation_status();
        assert_eq!(
            status
                .options
                .iter()
                .map(|o| o.name.as_str())
                .collect::<Vec<_>>(),
            ["pii-read", "restricted-read"]
        );
        assert_eq!(
            status.options[0].ticket_pattern.as_deref(),
            Some("INC-[0-9]+")
        );

        let decision = gate.request_elevation(pii_read(None)).expect("granted");
        assert_eq!(decision.outcome, Outcome::Granted);
        assert!(
            decision.message.contains("approved by policy") && decision.message.contains("15 min"),
            "{}",
            decision.message
        );
        assert_eq!(decision.status.active.len(), 1);
        assert_eq!(
            gate.lint(PII, None).expect("policy").verdict(),
            Verdict::Allow
        );
        assert!(kinds(&gate).ends_with(&["elevation_requested".into(), "elevation_granted".into()]));
        let requested =
            &gate.audit().events(&[], None, None, false).expect("events")[kinds(&gate).len() - 2];
        assert_eq!(requested.payload["reason"], "[INC-7] churn study");

        let again = gate
            .request_elevation(pii_read(None))
            .unwrap_err()
            .to_string();
        assert!(again.contains("already active"), "{again}");
    }

    #[tokio::test]
    async fn a_request_the_policy_does_not_allow_grants_and_records_nothing() {
        let (_f, gate, _) = gate().await;
        let before = kinds(&gate);
        let e = gate
            .request_elevation(pii_read(Some(2 * 3600)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("at most 1 h"), "{e}");
        let e = gate
            .request_elevation(Request {
                ticket: None,
                ..pii_read(None)
            })
            .unwrap_err()
            .to_string();
        assert!(e.contains("ticket reference matching INC-[0-9]+"), "{e}");
        assert_eq!(kinds(&gate), before);
        assert_eq!(
            gate.lint(PII, None).expect("policy").verdict(),
            Verdict::Elevate
        );
    }

    #[tokio::test]
    async fn when_a_grant_ends_the_queries_that_need_it_are_cancelled_and_others_run_on() {
        let (f, gate, running) = gate().await;
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
        // Both queries reach the engine (the spawned tasks run while this one yields).
        while running.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        f.clock.advance(Duration::from_millis(1100));
        let changes = gate.check_elevations();
        assert_eq!(
            changes.ended,
            vec![EndedElevation {
                name: "pii-read".into(),
                cancelled: 1
            }]
        );
        let outcome = elevated.await.expect("task");
        assert!(
            matches!(outcome, Err(RunError::Engine(EngineError::Cancelled))),
            "{outcome:?}"
        );
        assert_eq!(
            running.load(Ordering::SeqCst),
            1,
            "the query that needs no elevation runs on"
        );
        plain_token.cancel();
        let _ = plain.await;

        assert_eq!(
            gate.lint(PII, None).expect("policy").verdict(),
            Verdict::Elevate,
            "back to baseline"
        );
        let k = kinds(&gate);
        for kind in ["elevation_expired", "lockout", "query_cancelled"] {
            assert!(k.contains(&kind.to_string()), "{kind} in {k:?}");
        }
        assert!(
            gate.check_elevations().ended.is_empty(),
            "an end is reported once"
        );
        assert!(gate.elevation_status().active.is_empty());
    }

    #[tokio::test]
    async fn rows_an_elevated_run_stored_so_far_go_at_the_grant_end_and_baseline_rows_stay() {
        let (f, gate, running) = gate().await;
        let gate = Arc::new(gate);
        let granted = gate.request_elevation(pii_read(Some(1))).expect("granted");
        let watched = |sql: &'static str, trace: Arc<warden_engine::RunTrace>| {
            let gate = gate.clone();
            tokio::spawn(async move {
                gate.run_watched(sql, &[], None, CancellationToken::new(), trace)
                    .await
                    .0
            })
        };
        let (elevated_trace, plain_trace) = (
            Arc::new(warden_engine::RunTrace::new()),
            Arc::new(warden_engine::RunTrace::new()),
        );
        let elevated = watched(PII, elevated_trace.clone());
        let plain = watched("SELECT country FROM customers", plain_trace.clone());
        while running.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        let early = elevated_trace.arriving().expect("published while going");
        let early_text = vec![vec![warden_engine::Value::Text("early".into())]];
        assert_eq!(early.page(0, 10).expect("readable"), early_text);
        assert_eq!(
            elevated_trace.grants(),
            [granted.status.active[0].request_id.clone()]
        );
        assert!(
            plain_trace.grants().is_empty(),
            "baseline leans on no grant"
        );
        let baseline = plain_trace.arriving().expect("published while going");

        f.clock.advance(Duration::from_millis(1100));
        assert_eq!(gate.check_elevations().ended.len(), 1);
        assert!(early.is_withdrawn(), "the window can no longer page them");
        assert!(!early.folder().exists(), "their chunk files are gone");
        assert!(matches!(
            elevated.await.expect("task"),
            Err(RunError::Engine(EngineError::Cancelled))
        ));
        assert_eq!(
            baseline.page(0, 10).expect("a baseline run's rows stay"),
            early_text
        );
        plain.abort();
    }

    #[tokio::test]
    async fn a_grant_past_its_end_no_longer_counts_even_before_the_check() {
        let (f, gate, _) = gate().await;
        gate.request_elevation(pii_read(Some(1))).expect("granted");
        f.clock.advance(Duration::from_millis(1100));
        assert_eq!(
            gate.lint(PII, None).expect("policy").verdict(),
            Verdict::Elevate
        );
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
            extends: None,
        };
        let decision = gate.request_elevation(ask.clone()).expect("submitted");
        assert_eq!(decision.outcome, Outcome::Pending);
        let id = decision.request_id.clone().expect("id");
        assert_eq!(decision.status.pending.len(), 1);
        let again = gate.request_elevation(ask.clone()).unwrap_err().to_string();
        assert!(again.contains("already waiting"), "{again}");
        assert!(
            gate.check_elevations().is_empty(),
            "nothing happens before a decision"
        );
        assert_eq!(
            gate.lint("SELECT ssn FROM customers", None)
                .expect("policy")
                .verdict(),
            Verdict::Elevate
        );

        let approvals = Approvals::open(f.dir.path().join("approvals"), true);
        approvals
            .decide(&id, Decision::Approve, "bob", None, f.clock.now().wall)
            .expect("approve");
        let changes = gate.check_elevations();
        assert_eq!(changes.granted.len(), 1);
        assert_eq!(changes.granted[0].approver.as_deref(), Some("bob"));
        assert_eq!(
            gate.lint("SELECT ssn FROM customers", None)
                .expect("policy")
                .verdict(),
            Verdict::Allow
        );
        let granted = gate
            .audit()
            .events(&[], None, None, false)
            .expect("events")
            .pop()
            .expect("event");
        assert_eq!(
            (granted.kind.as_str(), &granted.payload["approver"]),
            ("elevation_granted", &serde_json::json!("bob"))
        );

        // A denial reaches the requester with its reason, and grants nothing.
        gate.end_elevation("restricted-read").expect("end");
        let id = gate
            .request_elevation(ask)
            .expect("submitted")
            .request_id
            .expect("id");
        approvals
            .decide(
                &id,
                Decision::Deny,
                "bob",
                Some("use the masked view"),
                f.clock.now().wall,
            )
            .expect("deny");
        let changes = gate.check_elevations();
        assert_eq!(
            changes.denied,
            vec![(
                "restricted-read".to_string(),
                "use the masked view".to_string()
            )]
        );
        assert_eq!(
            gate.lint("SELECT ssn FROM customers", None)
                .expect("policy")
                .verdict(),
            Verdict::Elevate
        );
        assert_eq!(
            kinds(&gate).last().map(String::as_str),
            Some("elevation_denied")
        );
    }

    #[tokio::test]
    async fn ending_early_and_the_warning_before_the_end() {
        let (_f, gate, _) = gate().await;
        // Shorter than the warning time: it is announced as ending soon, once.
        gate.request_elevation(pii_read(Some(120)))
            .expect("granted");
        let changes = gate.check_elevations();
        assert_eq!(changes.ending_soon.len(), 1);
        assert!(gate.check_elevations().ending_soon.is_empty());
        let (status, ended) = gate.end_elevation("pii-read").expect("end");
        assert_eq!(
            ended,
            Some(EndedElevation {
                name: "pii-read".into(),
                cancelled: 0
            })
        );
        assert!(status.active.is_empty());
        assert_eq!(
            gate.lint(PII, None).expect("policy").verdict(),
            Verdict::Elevate
        );
        assert_eq!(
            gate.end_elevation("pii-read").expect("nothing to end").1,
            None
        );
    }

    fn restricted_read() -> Request {
        Request {
            name: "restricted-read".into(),
            duration: Some(Duration::from_secs(300)),
            justification: "fraud case".into(),
            ticket: None,
            extends: None,
        }
    }

    #[tokio::test]
    async fn an_approval_grants_exactly_what_was_asked_and_no_more() {
        let (f, gate, _) = gate().await;
        let approvals = Approvals::open(f.dir.path().join("approvals"), true);

        // A decision dated a day ahead still counts from now and for the five minutes asked.
        let id = gate
            .request_elevation(restricted_read())
            .expect("submitted")
            .request_id
            .expect("id");
        let tomorrow = f.clock.now().wall + chrono::Duration::days(1);
        approvals
            .decide(&id, Decision::Approve, "bob", None, tomorrow)
            .expect("approve");
        let granted = gate.check_elevations().granted;
        let left_ms = granted[0].expires_at_ms - f.clock.now().wall.timestamp_millis();
        assert!((0..=300_000).contains(&left_ms), "{left_ms} ms left");
        gate.end_elevation("restricted-read").expect("end");

        // A decision file rewritten to approve something else grants nothing.
        let id = gate
            .request_elevation(restricted_read())
            .expect("submitted")
            .request_id
            .expect("id");
        let forged = serde_json::json!({
            "id": id, "decision": "approve", "approver": "bob", "decided_at_ms": f.clock.now().wall.timestamp_millis(),
            "reason": null, "name": "restricted-read", "duration_s": 1800, "requester": crate::audit::os_user(),
        });
        let decisions = f.dir.path().join("approvals").join("decisions");
        std::fs::create_dir_all(&decisions).expect("mkdir");
        std::fs::write(decisions.join(format!("{id}.json")), forged.to_string()).expect("write");
        let changes = gate.check_elevations();
        assert!(changes.granted.is_empty());
        assert!(
            changes.denied[0].1.contains("another request"),
            "{:?}",
            changes.denied
        );
        assert!(gate.elevations().is_empty());
    }

    #[tokio::test]
    async fn outside_the_demo_nobody_approves_their_own_request_even_by_writing_the_file() {
        let (f, gate, _) = gate().await;
        gate.elevation_state()
            .set_approvals(Some(Arc::new(Approvals::open(
                f.dir.path().join("approvals"),
                false,
            ))));
        let decision = gate
            .request_elevation(restricted_read())
            .expect("submitted");
        let id = decision.request_id.expect("id");
        let me = crate::audit::os_user();
        let refused = Approvals::open(f.dir.path().join("approvals"), false).decide(
            &id,
            Decision::Approve,
            &me,
            None,
            f.clock.now().wall,
        );
        assert!(matches!(refused, Err(ElevationError::SelfApproval { .. })));
        // Written through a queue that allows it (as a hand-made file would be): the gate refuses.
        Approvals::open(f.dir.path().join("approvals"), true)
            .decide(&id, Decision::Approve, &me, None, f.clock.now().wall)
            .expect("written");
        let changes = gate.check_elevations();
        assert!(changes.granted.is_empty());
        assert!(
            changes.denied[0].1.contains("person who made it"),
            "{:?}",
            changes.denied
        );
    }

    #[tokio::test]
    async fn asking_again_right_after_an_unnoticed_end_records_that_end_first() {
        let (f, gate, _) = gate().await;
        gate.request_elevation(pii_read(Some(1))).expect("granted");
        f.clock.advance(Duration::from_millis(1100));
        gate.request_elevation(pii_read(None))
            .expect("granted again");
        let k = kinds(&gate);
        let tail: Vec<&str> = k.iter().rev().take(6).rev().map(String::as_str).collect();
        assert_eq!(
            tail,
            [
                "elevation_requested",
                "elevation_granted",
                "elevation_expired",
                "lockout",
                "elevation_requested",
                "elevation_granted"
            ]
        );
    }

    #[tokio::test]
    async fn quitting_ends_grants_and_withdraws_requests_on_the_record() {
        let (f, gate, _) = gate().await;
        gate.request_elevation(pii_read(None)).expect("granted");
        let id = gate
            .request_elevation(restricted_read())
            .expect("submitted")
            .request_id
            .expect("id");
        gate.end_everywhere("the app quit").await;
        assert!(gate.elevations().is_empty());
        assert!(gate.elevation_status().pending.is_empty());
        let k = kinds(&gate);
        for kind in ["elevation_expired", "lockout", "elevation_denied"] {
            assert!(k.contains(&kind.to_string()), "{kind} in {k:?}");
        }
        let late = Approvals::open(f.dir.path().join("approvals"), true).decide(
            &id,
            Decision::Approve,
            "bob",
            None,
            f.clock.now().wall,
        );
        assert!(
            matches!(late, Err(ElevationError::AlreadyDecided { .. })),
            "an approval after quitting is refused: {late:?}"
        );
    }

    #[tokio::test]
    async fn a_waiting_request_can_be_withdrawn_and_versions_grow() {
        let (_f, gate, _) = gate().await;
        let v0 = gate.elevation_status().version;
        gate.request_elevation(restricted_read())
            .expect("submitted");
        let v1 = gate.elevation_status().version;
        let (status, ended) = gate.end_elevation("restricted-read").expect("withdrawn");
        assert!(ended.is_none() && status.pending.is_empty());
        assert!(
            v0 < v1 && v1 < status.version,
            "{v0} {v1} {}",
            status.version
        );
        assert_eq!(
            kinds(&gate).last().map(String::as_str),
            Some("elevation_denied")
        );
        gate.request_elevation(restricted_read())
            .expect("it may be asked for again");
    }

    #[tokio::test]
    async fn a_new_policy_that_allows_less_ends_grants_it_no_longer_allows() {
        let (f, gate, _) = gate().await;
        gate.request_elevation(pii_read(Some(1800)))
            .expect("granted");
        f.publish(
            &ELEVATION_POLICY.replace(
                "max_duration: 1h\n    default_duration: 15m",
                "max_duration: 10m\n    default_duration: 5m",
            ),
            2,
            chrono::Duration::days(30),
        )
        .await;
        assert!(gate.refresh_policy().await.changed);
        let changes = gate.check_elevations();
        assert_eq!(
            changes.ended,
            vec![EndedElevation {
                name: "pii-read".into(),
                cancelled: 0
            }]
        );
        let lockout = gate
            .audit()
            .events(&[], None, None, false)
            .expect("events")
            .pop()
            .expect("event");
        assert!(
            lockout.payload["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("no longer allows it"),
            "{}",
            lockout.payload
        );
        gate.request_elevation(pii_read(Some(600)))
            .expect("within the new maximum");
    }

    #[tokio::test]
    async fn a_run_under_a_new_policy_does_not_lean_on_a_grant_it_no_longer_allows() {
        let (f, gate, _) = gate().await;
        gate.request_elevation(pii_read(Some(3600)))
            .expect("granted");
        f.clock.advance(Duration::from_secs(50 * 60));
        gate.run(PII, None, CancellationToken::new())
            .await
            .expect("held for ten more minutes");
        f.publish(
            &ELEVATION_POLICY.replace(
                "max_duration: 1h\n    default_duration: 15m",
                "max_duration: 30m\n    default_duration: 15m",
            ),
            2,
            chrono::Duration::days(30),
        )
        .await;
        assert!(gate.refresh_policy().await.changed);

        // No check has run since the new revision came in force: the run ends the grant itself.
        let refused = gate.run(PII, None, CancellationToken::new()).await;
        assert!(matches!(refused, Err(RunError::Blocked(_))), "{refused:?}");
        assert!(gate.elevations().is_empty());
        let events = gate.audit().events(&[], None, None, false).expect("events");
        let lockout = events
            .iter()
            .rposition(|e| e.kind == "lockout")
            .expect("a lockout");
        assert!(
            events[lockout].payload["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("pii-read ended (the policy in force no longer allows it)"),
            "{}",
            events[lockout].payload
        );
        assert_eq!(events[lockout - 1].kind, "elevation_expired");
        // The refusal is recorded after the lockout, with no grant active.
        let blocked = events
            .iter()
            .rposition(|e| e.kind == "query_blocked")
            .expect("the refusal");
        assert!(blocked > lockout);
        assert_eq!(
            events[blocked].payload["query"]["active_elevations"],
            serde_json::json!([])
        );
        // The app's next check tells of the end (its notification).
        let changes = gate.check_elevations();
        assert_eq!(
            changes.ended,
            vec![EndedElevation {
                name: "pii-read".into(),
                cancelled: 0
            }]
        );
    }

    #[tokio::test]
    async fn refusals_reach_the_status_and_approvals_dated_before_the_request_do_not_count() {
        let (f, gate, _) = gate().await;
        let approvals = Approvals::open(f.dir.path().join("approvals"), true);
        let id = gate
            .request_elevation(restricted_read())
            .expect("submitted")
            .request_id
            .expect("id");
        let yesterday = f.clock.now().wall - chrono::Duration::days(1);
        approvals
            .decide(&id, Decision::Approve, "bob", None, yesterday)
            .expect("approve");
        let changes = gate.check_elevations();
        assert!(changes.granted.is_empty());
        assert!(
            changes.denied[0].1.contains("dated before the request"),
            "{:?}",
            changes.denied
        );
        let status = gate.elevation_status();
        assert_eq!(status.refusals.len(), 1);
        assert_eq!(
            (
                status.refusals[0].request_id.as_str(),
                status.refusals[0].name.as_str()
            ),
            (id.as_str(), "restricted-read")
        );

        // Ending a grant that already ran out says so, not "ended by its holder".
        gate.request_elevation(pii_read(Some(1))).expect("granted");
        f.clock.advance(Duration::from_millis(1100));
        let (_, ended) = gate.end_elevation("pii-read").expect("end");
        assert_eq!(
            ended,
            Some(EndedElevation {
                name: "pii-read".into(),
                cancelled: 0
            })
        );
        let lockout = gate
            .audit()
            .events(&[], None, None, false)
            .expect("events")
            .pop()
            .expect("event");
        assert!(
            lockout.payload["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("its time ran out"),
            "{}",
            lockout.payload
        );
    }

    #[tokio::test]
    async fn rows_read_under_a_grant_stop_paging_at_the_lockout() {
        let (engine, _) = crate::testing::recorder();
        let (f, gate) = signed_gate(ELEVATION_POLICY, engine).await;
        let mut store = crate::ResultStore::new(8);
        gate.request_elevation(pii_read(Some(60))).expect("granted");
        let elevated = gate
            .run(PII, None, CancellationToken::new())
            .await
            .expect("allowed under the grant");
        assert_eq!(elevated.grants.len(), 1);
        let plain = gate
            .run(
                "SELECT country FROM customers",
                None,
                CancellationToken::new(),
            )
            .await
            .expect("allowed");
        assert!(plain.grants.is_empty());
        let (elevated_folder, plain_folder) = (
            elevated.result.folder().to_path_buf(),
            plain.result.folder().to_path_buf(),
        );
        let export = elevated.result.clone();
        let (elevated, plain) = (store.insert(&elevated), store.insert(&plain));
        assert!(store.page(&elevated, 0, 10, &gate.held_grants()).is_some());
        assert!(elevated_folder.is_dir());

        f.clock.advance(Duration::from_secs(61));
        assert_eq!(gate.check_elevations().ended.len(), 1);
        // At the lockout itself, before any page is asked for, and although readers (the
        // grid's store, an export) still hold the result: its chunk files are deleted.
        assert!(!elevated_folder.exists(), "the rows are gone from disk");
        assert!(export.page(0, 1).is_err());
        assert!(plain_folder.is_dir(), "baseline rows stay");
        // Asked for again: a new grant does not make the old rows readable again.
        gate.request_elevation(pii_read(Some(60)))
            .expect("granted again");
        assert!(store.page(&elevated, 0, 10, &gate.held_grants()).is_none());
        assert!(store.page(&plain, 0, 10, &gate.held_grants()).is_some());
    }

    #[tokio::test]
    async fn rows_read_under_a_grant_are_deleted_whichever_way_it_ends() {
        let (engine, _) = crate::testing::recorder();
        let (_f, gate) = signed_gate(ELEVATION_POLICY, engine).await;
        gate.request_elevation(pii_read(Some(60))).expect("granted");
        let by_hand = gate
            .run(PII, None, CancellationToken::new())
            .await
            .expect("allowed under the grant");
        gate.end_elevation("pii-read").expect("ended");
        assert!(!by_hand.result.folder().exists(), "ended by its holder");

        gate.request_elevation(pii_read(Some(60))).expect("granted");
        let at_quit = gate
            .run(PII, None, CancellationToken::new())
            .await
            .expect("allowed under the grant");
        gate.end_everywhere("the app quit").await;
        assert!(!at_quit.result.folder().exists(), "the app quitting");

        // A result whose grant ended before the gate could watch it is deleted at once.
        gate.request_elevation(pii_read(Some(60))).expect("granted");
        let late = gate
            .run(PII, None, CancellationToken::new())
            .await
            .expect("allowed under the grant");
        gate.end_elevation("pii-read").expect("ended");
        let again = crate::testing::stored(&["x"]);
        gate.watch_elevated_result(&again, &late.grants);
        assert!(!again.folder().exists());
    }

    /// A queue whose writes wait until the test lets them through.
    struct BlockingQueue {
        inner: Approvals,
        entered: std::sync::Mutex<std::sync::mpsc::Sender<()>>,
        release: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
    }

    impl Queue for BlockingQueue {
        fn submit(
            &self,
            request: &warden_elevation::Validated,
            requester: &str,
            now: chrono::DateTime<chrono::Utc>,
        ) -> Result<PendingRequest, ElevationError> {
            let _ = self.entered.lock().expect("sender").send(());
            let _ = self.release.lock().expect("receiver").recv();
            self.inner.submit(request, requester, now)
        }
        fn decision(&self, id: &str) -> Result<Option<DecisionRecord>, ElevationError> {
            self.inner.decision(id)
        }
        fn decide(
            &self,
            id: &str,
            decision: Decision,
            approver: &str,
            reason: Option<&str>,
            now: chrono::DateTime<chrono::Utc>,
        ) -> Result<DecisionRecord, ElevationError> {
            self.inner.decide(id, decision, approver, reason, now)
        }
        fn allows_self_approval(&self) -> bool {
            true
        }
    }

    #[tokio::test]
    async fn the_queue_is_written_without_holding_the_elevation_lock() {
        let (f, gate, _) = gate().await;
        let (entered_tx, entered) = std::sync::mpsc::channel();
        let (release, release_rx) = std::sync::mpsc::channel();
        gate.elevation_state()
            .set_approvals(Some(Arc::new(BlockingQueue {
                inner: Approvals::open(f.dir.path().join("approvals"), true),
                entered: std::sync::Mutex::new(entered_tx),
                release: std::sync::Mutex::new(release_rx),
            })));
        let gate = Arc::new(gate);
        let requester = std::thread::spawn({
            let gate = gate.clone();
            move || gate.request_elevation(restricted_read())
        });
        entered
            .recv_timeout(Duration::from_secs(10))
            .expect("the request reaches the queue");
        // While the write is stuck, the state can be read and an auto grant given.
        let (done_tx, done) = std::sync::mpsc::channel();
        let reader = std::thread::spawn({
            let gate = gate.clone();
            move || {
                let status = gate.elevation_status();
                let granted = gate.request_elevation(pii_read(None)).map(|d| d.outcome);
                let _ = done_tx.send((status.pending.len(), granted.ok()));
            }
        });
        let seen = done.recv_timeout(Duration::from_secs(10));
        release.send(()).expect("release the write");
        assert_eq!(
            seen.expect("the elevation state was not locked during the queue write"),
            (0, Some(Outcome::Granted))
        );
        reader.join().expect("reader");
        let decision = requester.join().expect("requester").expect("submitted");
        assert_eq!(decision.outcome, Outcome::Pending);
        assert_eq!(gate.elevation_status().pending.len(), 1);
    }

    fn extension(name: &str, of: &str, secs: u64) -> Request {
        Request {
            name: name.into(),
            duration: Some(Duration::from_secs(secs)),
            justification: "the study needs longer".into(),
            ticket: (name == "pii-read").then(|| "INC-7".into()),
            extends: Some(of.into()),
        }
    }

    fn last_event(gate: &Gate, kind: &str) -> serde_json::Value {
        gate.audit()
            .events(&[], None, None, false)
            .expect("events")
            .into_iter()
            .rev()
            .find(|e| e.kind == kind)
            .map(|e| e.payload)
            .unwrap_or_else(|| panic!("no {kind} in the journal"))
    }

    #[tokio::test]
    async fn an_auto_extension_moves_the_end_and_running_queries_carry_on_to_the_new_one() {
        let (f, gate, running) = gate().await;
        let gate = Arc::new(gate);
        let granted = gate.request_elevation(pii_read(Some(60))).expect("granted");
        let grant_id = granted.request_id.expect("id");
        let old_end = granted.expires_at_ms.expect("end");
        let elevated = tokio::spawn({
            let gate = gate.clone();
            async move { gate.run(PII, None, CancellationToken::new()).await }
        });
        while running.load(Ordering::SeqCst) < 1 {
            tokio::task::yield_now().await;
        }
        f.clock.advance(Duration::from_secs(30));
        let extended = gate
            .request_elevation(extension("pii-read", &grant_id, 120))
            .expect("extended");
        assert_eq!(extended.outcome, Outcome::Granted);
        assert!(
            extended.message.contains("pii-read extended until")
                && extended.message.contains("2 min more"),
            "{}",
            extended.message
        );
        assert_eq!(extended.expires_at_ms, Some(old_end + 120_000));
        let active = &extended.status.active[0];
        assert_eq!(
            (active.request_id.as_str(), active.expires_at_ms),
            (grant_id.as_str(), old_end + 120_000),
            "the same grant, later"
        );
        let requested = last_event(&gate, "elevation_requested");
        assert_eq!(requested["extends"], serde_json::json!(grant_id));
        let ext_id = extended.request_id.expect("the extension's id");
        assert_eq!(
            last_event(&gate, "elevation_extended"),
            serde_json::json!({
                "elevation_id": grant_id, "request_id": ext_id, "approver": null,
                "expires_at_ms": old_end + 120_000,
            })
        );

        // Past the old end: nothing is locked out, the query runs on.
        f.clock.advance(Duration::from_secs(40));
        assert!(gate.check_elevations().ended.is_empty());
        assert_eq!(
            gate.lint(PII, None).expect("policy").verdict(),
            Verdict::Allow
        );
        assert!(!elevated.is_finished());
        assert_eq!(running.load(Ordering::SeqCst), 1);
        // The lockout comes at the new end.
        f.clock.advance(Duration::from_secs(111));
        assert_eq!(
            gate.check_elevations().ended,
            vec![EndedElevation {
                name: "pii-read".into(),
                cancelled: 1
            }]
        );
        assert!(matches!(
            elevated.await.expect("task"),
            Err(RunError::Engine(EngineError::Cancelled))
        ));
        assert_eq!(
            last_event(&gate, "elevation_expired")["elevation_id"],
            serde_json::json!(grant_id)
        );
    }

    #[tokio::test]
    async fn the_end_warning_follows_the_new_end() {
        let (f, gate, _) = gate().await;
        let id = gate
            .request_elevation(pii_read(Some(120)))
            .expect("granted")
            .request_id
            .expect("id");
        assert_eq!(gate.check_elevations().ending_soon.len(), 1);
        gate.request_elevation(extension("pii-read", &id, 600))
            .expect("extended");
        assert!(
            gate.check_elevations().ending_soon.is_empty(),
            "not near its new end"
        );
        f.clock
            .advance(Duration::from_secs(720) - warden_elevation::WARN_BEFORE);
        let soon = gate.check_elevations().ending_soon;
        assert_eq!(soon.len(), 1, "warned again before the new end");
    }

    #[tokio::test]
    async fn an_extension_that_is_not_allowed_changes_and_records_nothing() {
        let (f, gate, _) = gate().await;
        let id = gate
            .request_elevation(pii_read(Some(50 * 60)))
            .expect("granted")
            .request_id
            .expect("id");
        let before = (kinds(&gate), gate.elevation_status().active);
        f.clock.advance(Duration::from_secs(60));
        let e = gate
            .request_elevation(extension("pii-read", &id, 12 * 60))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("more than 1 h from now") && e.contains("at most 11 min more"),
            "{e}"
        );
        let e = gate
            .request_elevation(extension(
                "pii-read",
                "01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f00",
                60,
            ))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no held grant"), "{e}");
        let e = gate
            .request_elevation(extension("restricted-read", &id, 60))
            .unwrap_err()
            .to_string();
        assert!(e.contains("is of pii-read, not restricted-read"), "{e}");
        let e = gate
            .request_elevation(extension("pii-read", &id, 2 * 3600))
            .unwrap_err()
            .to_string();
        assert!(e.contains("at most 1 h"), "the request's own rules: {e}");
        let e = gate
            .request_elevation(Request {
                ticket: None,
                ..extension("pii-read", &id, 60)
            })
            .unwrap_err()
            .to_string();
        assert!(e.contains("ticket reference"), "{e}");
        assert_eq!((kinds(&gate), gate.elevation_status().active), before);
        // Once the grant has ended, it cannot be extended.
        f.clock.advance(Duration::from_secs(50 * 60));
        let e = gate
            .request_elevation(extension("pii-read", &id, 60))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no held grant"), "{e}");
    }

    #[tokio::test]
    async fn a_manual_extension_waits_for_an_approver_and_a_denial_leaves_the_grant() {
        let (f, gate, _) = gate().await;
        let approvals = Approvals::open(f.dir.path().join("approvals"), true);
        let grant_id = gate
            .request_elevation(restricted_read())
            .expect("submitted")
            .request_id
            .expect("id");
        approvals
            .decide(
                &grant_id,
                Decision::Approve,
                "bob",
                None,
                f.clock.now().wall,
            )
            .expect("approve");
        let old_end = gate.check_elevations().granted[0].expires_at_ms;

        let asked = gate
            .request_elevation(extension("restricted-read", &grant_id, 300))
            .expect("submitted");
        assert_eq!(asked.outcome, Outcome::Pending);
        assert!(
            asked.message.contains("waiting for an approver"),
            "{}",
            asked.message
        );
        let ext = asked.request_id.expect("id");
        assert_eq!(
            asked.status.active[0].expires_at_ms, old_end,
            "runs on meanwhile"
        );
        assert!(gate.check_elevations().extended.is_empty());
        approvals
            .decide(&ext, Decision::Approve, "carol", None, f.clock.now().wall)
            .expect("approve");
        let changes = gate.check_elevations();
        assert_eq!(changes.extended.len(), 1);
        assert_eq!(changes.extended[0].expires_at_ms, old_end + 300_000);
        assert_eq!(changes.extended[0].approver.as_deref(), Some("carol"));
        assert!(changes.notices()[0]
            .title
            .starts_with("restricted-read extended until"));
        let recorded = last_event(&gate, "elevation_extended");
        assert_eq!(
            (
                &recorded["elevation_id"],
                &recorded["request_id"],
                &recorded["approver"]
            ),
            (
                &serde_json::json!(grant_id),
                &serde_json::json!(ext),
                &serde_json::json!("carol")
            )
        );

        let ext = gate
            .request_elevation(extension("restricted-read", &grant_id, 300))
            .expect("submitted")
            .request_id
            .expect("id");
        approvals
            .decide(
                &ext,
                Decision::Deny,
                "carol",
                Some("enough for today"),
                f.clock.now().wall,
            )
            .expect("deny");
        let changes = gate.check_elevations();
        let said = &changes.denied[0].1;
        assert!(
            said.starts_with("no more time (")
                && said.contains("enough for today")
                && said.contains("; the grant runs on to "),
            "{said}"
        );
        assert_eq!(
            gate.elevation_status().active[0].expires_at_ms,
            old_end + 300_000,
            "a denial leaves the grant as it was"
        );
        assert_eq!(
            kinds(&gate).last().map(String::as_str),
            Some("elevation_denied")
        );
    }

    #[tokio::test]
    async fn an_extension_nobody_decided_before_the_grant_ended_is_void() {
        let (f, gate, _) = gate().await;
        let approvals = Approvals::open(f.dir.path().join("approvals"), true);
        let grant_id = gate
            .request_elevation(restricted_read())
            .expect("submitted")
            .request_id
            .expect("id");
        approvals
            .decide(
                &grant_id,
                Decision::Approve,
                "bob",
                None,
                f.clock.now().wall,
            )
            .expect("approve");
        assert_eq!(gate.check_elevations().granted.len(), 1);
        let ext = gate
            .request_elevation(extension("restricted-read", &grant_id, 300))
            .expect("submitted")
            .request_id
            .expect("id");
        f.clock.advance(Duration::from_secs(301));
        let changes = gate.check_elevations();
        assert_eq!(changes.ended.len(), 1, "the grant ends at its current end");
        assert!(
            changes.denied[0].1.contains("extension is void"),
            "{:?}",
            changes.denied
        );
        assert!(gate.elevation_status().pending.is_empty());
        assert_eq!(gate.elevation_status().refusals[0].request_id, ext);
        let late = approvals.decide(&ext, Decision::Approve, "carol", None, f.clock.now().wall);
        assert!(
            matches!(late, Err(ElevationError::AlreadyDecided { .. })),
            "withdrawn in the queue: {late:?}"
        );

        // Ending the grant by hand voids a waiting extension too.
        let grant_id = gate
            .request_elevation(restricted_read())
            .expect("submitted")
            .request_id
            .expect("id");
        approvals
            .decide(
                &grant_id,
                Decision::Approve,
                "bob",
                None,
                f.clock.now().wall,
            )
            .expect("approve");
        gate.check_elevations();
        gate.request_elevation(extension("restricted-read", &grant_id, 300))
            .expect("submitted");
        let (status, ended) = gate.end_elevation("restricted-read").expect("end");
        assert!(ended.is_some() && status.active.is_empty() && status.pending.is_empty());
    }

    #[tokio::test]
    async fn on_aws_workspaces_the_gate_leaves_extensions_to_the_broker() {
        let (_f, mut gate, _) = gate().await;
        let id = gate
            .request_elevation(pii_read(Some(600)))
            .expect("granted")
            .request_id
            .expect("id");
        gate.require_elevated_engines(None);
        let e = gate
            .request_elevation(extension("pii-read", &id, 60))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("the broker extends a grant: ask with `warden elevation extend pii-read`"),
            "{e}"
        );
    }

    /// An AWS gate grants nothing itself, even an elevation its policy approves by itself: such
    /// a grant would have no credentials, yet the editor's verdicts would say allow.
    #[tokio::test]
    async fn on_aws_workspaces_the_gate_grants_nothing_itself() {
        let (_f, mut gate, _) = gate().await;
        gate.require_elevated_engines(None);
        let before = kinds(&gate);
        let e = gate
            .request_elevation(pii_read(Some(600)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("the broker grants elevations"), "{e}");
        assert!(gate.elevation_status().active.is_empty());
        assert_eq!(
            gate.lint(PII, None).expect("policy").verdict(),
            Verdict::Elevate
        );
        assert_eq!(kinds(&gate), before, "nothing recorded");
    }
}
