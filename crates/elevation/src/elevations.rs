//! The gate's elevation bookkeeping: who holds which elevation until when, the requests
//! waiting for an approver, and the running queries that lean on an elevation (cancelled the
//! moment it ends). Pure state: every method is told the time, nothing reads a clock or a file.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use warden_guardrails::Policy;

use crate::status::{options, view, WARN_BEFORE};
use crate::{
    Active, ActiveElevation, ElevationStatus, Grant, Moment, PendingElevation, PendingRequest,
    Queue, Refusal,
};

/// How many refusals a status carries.
const KEPT_REFUSALS: usize = 5;

struct Running {
    id: u64,
    token: CancellationToken,
    uses: BTreeSet<String>,
}

struct Waiting {
    request: PendingRequest,
    since: Instant,
}

/// How long a request waits for an approver before the app withdraws it.
pub const PENDING_TIMEOUT: Duration = Duration::from_secs(3600);

/// The gate's elevation state.
pub struct Elevations {
    active: Active,
    waiting: Vec<Waiting>,
    running: Vec<Running>,
    next_run: u64,
    /// Request ids already announced as ending soon.
    warned: BTreeSet<String>,
    approvals: Option<Arc<dyn Queue>>,
    /// Grows with every change, so the window can drop a status older than one it has.
    version: u64,
    refusals: VecDeque<Refusal>,
}

impl Elevations {
    pub fn new(approvals: Option<Arc<dyn Queue>>) -> Self {
        Self {
            active: Active::default(),
            waiting: vec![],
            running: vec![],
            next_run: 0,
            warned: BTreeSet::new(),
            approvals,
            version: 0,
            refusals: VecDeque::new(),
        }
    }

    /// The grants held (some may have ended and await [`Self::take_ended`]).
    pub fn active(&self) -> &Active {
        &self.active
    }

    /// The workspace's approval queue, if it has one.
    pub fn approvals(&self) -> Option<&Arc<dyn Queue>> {
        self.approvals.as_ref()
    }

    /// Whether an approver may decide their own request (the demo workspace only).
    pub fn allows_self_approval(&self) -> bool {
        self.approvals
            .as_ref()
            .is_some_and(|q| q.allows_self_approval())
    }

    pub fn set_approvals(&mut self, approvals: Option<Arc<dyn Queue>>) {
        self.approvals = approvals;
    }

    fn changed(&mut self) {
        self.version += 1;
    }

    /// Notes that request `id` ended without a grant, for the window.
    pub fn refused(&mut self, id: &str, name: &str, reason: &str, now: Moment) {
        self.refusals.push_front(Refusal {
            request_id: id.into(),
            name: name.into(),
            reason: reason.into(),
            at_ms: now.wall.timestamp_millis(),
        });
        self.refusals.truncate(KEPT_REFUSALS);
        self.changed();
    }

    pub fn names_at(&self, now: Moment) -> BTreeSet<String> {
        self.active.names_at(now)
    }

    pub fn insert(&mut self, grant: Grant) {
        self.active.insert(grant);
        self.changed();
    }

    pub fn is_pending(&self, name: &str) -> Option<&str> {
        self.waiting
            .iter()
            .find(|w| w.request.name == name)
            .map(|w| w.request.id.as_str())
    }

    pub fn wait_for(&mut self, request: PendingRequest, since: Instant) {
        self.waiting.push(Waiting { request, since });
        self.changed();
    }

    pub fn waiting_ids(&self) -> Vec<String> {
        self.waiting.iter().map(|w| w.request.id.clone()).collect()
    }

    /// Stops waiting for request `id` (decided, withdrawn or timed out).
    pub fn stop_waiting(&mut self, id: &str) -> Option<PendingRequest> {
        let at = self.waiting.iter().position(|w| w.request.id == id)?;
        self.changed();
        Some(self.waiting.remove(at).request)
    }

    /// Requests that waited longer than [`PENDING_TIMEOUT`].
    pub fn timed_out(&self, now: Moment) -> Vec<String> {
        self.waiting
            .iter()
            .filter(|w| now.mono.saturating_duration_since(w.since) >= PENDING_TIMEOUT)
            .map(|w| w.request.id.clone())
            .collect()
    }

    /// Registers a running query that leans on `uses` (none for a baseline run); returns its id
    /// for [`Self::finished`].
    pub fn started(&mut self, token: CancellationToken, uses: BTreeSet<String>) -> u64 {
        self.next_run += 1;
        self.running.push(Running {
            id: self.next_run,
            token,
            uses,
        });
        self.next_run
    }

    pub fn finished(&mut self, id: u64) {
        self.running.retain(|r| r.id != id);
    }

    /// Cancels the running queries that need `name`; how many.
    pub fn cancel_users_of(&mut self, name: &str) -> usize {
        let mut cancelled = 0;
        for run in self.running.iter().filter(|r| r.uses.contains(name)) {
            if !run.token.is_cancelled() {
                run.token.cancel();
                cancelled += 1;
            }
        }
        cancelled
    }

    /// Cancels every running query, whatever it leans on (the AWS sign-in ended); how many.
    pub fn cancel_all(&mut self) -> usize {
        let mut cancelled = 0;
        for run in &self.running {
            if !run.token.is_cancelled() {
                run.token.cancel();
                cancelled += 1;
            }
        }
        cancelled
    }

    /// How many queries are running (registered with [`Self::started`] and not yet finished).
    pub fn running_count(&self) -> usize {
        self.running.len()
    }

    /// Removes the grant of `name`, if held.
    pub fn end(&mut self, name: &str) -> Option<Grant> {
        let grant = self.active.end(name)?;
        self.warned.remove(&grant.request_id);
        self.changed();
        Some(grant)
    }

    /// The grant whose request was `id`, if it holds at `now`.
    pub fn held(&self, id: &str, now: Moment) -> Option<&Grant> {
        self.active
            .grants()
            .find(|g| g.request_id == id && g.holds_at(now))
    }

    /// Replaces a held grant by its extension (same request id, later end): nothing that
    /// leans on it is touched, and its end may be announced again.
    pub fn extend(&mut self, extended: Grant) {
        self.warned.remove(&extended.request_id);
        self.active.insert(extended);
        self.changed();
    }

    /// Stops waiting for the extensions whose grant no longer holds at `now` (ended, or
    /// replaced): they are void.
    pub fn void_extensions(&mut self, now: Moment) -> Vec<PendingRequest> {
        let void: Vec<String> = self
            .waiting
            .iter()
            .filter(|w| {
                w.request
                    .extends
                    .as_deref()
                    .is_some_and(|id| self.held(id, now).is_none())
            })
            .map(|w| w.request.id.clone())
            .collect();
        void.iter().filter_map(|id| self.stop_waiting(id)).collect()
    }

    /// Every grant, ended or not (the app is quitting).
    pub fn take_all(&mut self) -> Vec<Grant> {
        let names: Vec<String> = self.active.grants().map(|g| g.name.clone()).collect();
        names.iter().filter_map(|n| self.end(n)).collect()
    }

    /// Grants that ended by `now`, and grants the policy in force no longer allows (the
    /// elevation is gone, or its `max_duration` is now shorter than the grant).
    pub fn take_ended(&mut self, now: Moment, policy: Option<&Policy>) -> Vec<Grant> {
        let mut ended = self.active.take_expired(now);
        let allowed = |g: &Grant, p: &Policy| {
            p.elevation(&g.name)
                .is_some_and(|d| g.span() <= d.max_duration)
        };
        let undefined: Vec<String> = self
            .active
            .grants()
            .filter(|g| policy.is_none_or(|p| !allowed(g, p)))
            .map(|g| g.name.clone())
            .collect();
        ended.extend(undefined.iter().filter_map(|n| self.active.end(n)));
        for g in &ended {
            self.warned.remove(&g.request_id);
        }
        if !ended.is_empty() {
            self.changed();
        }
        ended
    }

    /// Grants that are now within [`WARN_BEFORE`] of their end and were not announced yet.
    pub fn newly_ending(&mut self, now: Moment) -> Vec<ActiveElevation> {
        let soon: Vec<ActiveElevation> = self
            .active
            .grants()
            .filter(|g| {
                g.holds_at(now)
                    && !g.holds_at(now.after(WARN_BEFORE))
                    && !self.warned.contains(&g.request_id)
            })
            .map(view)
            .collect();
        self.warned
            .extend(soon.iter().map(|a| a.request_id.clone()));
        soon
    }

    pub fn status(&self, policy: Option<&Policy>, now: Moment) -> ElevationStatus {
        ElevationStatus {
            options: policy.map(options).unwrap_or_default(),
            active: self
                .active
                .grants()
                .filter(|g| g.holds_at(now))
                .map(view)
                .collect(),
            pending: self
                .waiting
                .iter()
                .map(|w| PendingElevation {
                    request_id: w.request.id.clone(),
                    name: w.request.name.clone(),
                    requested_at_ms: w.request.requested_at_ms,
                })
                .collect(),
            warn_before_s: WARN_BEFORE.as_secs(),
            version: self.version,
            refusals: self.refusals.iter().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"
format: warden-policy/1
name: elevations-test
catalog:
  databases:
    sales:
      tables:
        customers:
          columns:
            email: { type: varchar, tags: [pii] }
elevations:
  pii-read:
    description: Read pii
    max_duration: 1h
    default_duration: 15m
    approval: auto
    justification: optional
rules:
  - { id: pii, kind: restricted_columns, tags: [pii], severity: error, unlocked_by: [pii-read] }
"#;

    fn policy(text: &str) -> Policy {
        Policy::from_yaml(text).expect("policy")
    }

    fn grant(name: &str, at: Moment, secs: u64) -> Grant {
        Grant::starting(
            format!("id-{name}"),
            name.into(),
            at,
            Duration::from_secs(secs),
            None,
        )
        .expect("in range")
    }

    fn pending(id: &str, name: &str) -> PendingRequest {
        PendingRequest {
            id: id.into(),
            name: name.into(),
            requester: "ana".into(),
            requested_at_ms: 0,
            duration_s: 600,
            reason: String::new(),
            extends: None,
        }
    }

    #[test]
    fn a_request_nobody_answers_times_out_after_an_hour() {
        let mut state = Elevations::new(None);
        let now = Moment::now();
        state.wait_for(pending("r1", "large-scan"), now.mono);
        assert_eq!(state.is_pending("large-scan"), Some("r1"));
        assert!(state
            .timed_out(now.after(PENDING_TIMEOUT - Duration::from_secs(1)))
            .is_empty());
        assert_eq!(state.timed_out(now.after(PENDING_TIMEOUT)), ["r1"]);
        assert_eq!(
            state.stop_waiting("r1").map(|r| r.name),
            Some("large-scan".into())
        );
        assert!(state.stop_waiting("r1").is_none(), "stopped once");
    }

    #[test]
    fn ending_a_grant_cancels_only_the_queries_that_lean_on_it() {
        let t0 = Moment::now();
        let mut state = Elevations::new(None);
        state.insert(grant("pii-read", t0, 60));
        let (elevated, plain) = (CancellationToken::new(), CancellationToken::new());
        let run = state.started(elevated.clone(), BTreeSet::from(["pii-read".to_string()]));
        state.started(plain.clone(), BTreeSet::from(["large-scan".to_string()]));
        assert_eq!(
            state.end("pii-read").map(|g| g.name),
            Some("pii-read".into())
        );
        assert_eq!(state.cancel_users_of("pii-read"), 1);
        assert!(elevated.is_cancelled() && !plain.is_cancelled());
        assert_eq!(state.cancel_users_of("pii-read"), 0, "counted once");
        state.finished(run);
        assert!(state.names_at(t0).is_empty());
    }

    #[test]
    fn grants_end_on_time_or_when_the_policy_no_longer_allows_them() {
        let t0 = Moment::now();
        let p = policy(POLICY);
        let mut state = Elevations::new(None);
        state.insert(grant("pii-read", t0, 1800));
        state.insert(grant("gone", t0, 60));
        let ended = state.take_ended(t0, Some(&p));
        assert_eq!(
            ended.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
            ["gone"],
            "an elevation the policy does not define ends at once"
        );
        assert!(state.take_ended(t0, Some(&p)).is_empty());
        let shorter = policy(&POLICY.replace(
            "max_duration: 1h\n    default_duration: 15m",
            "max_duration: 10m\n    default_duration: 5m",
        ));
        assert_eq!(
            state.take_ended(t0, Some(&shorter)).len(),
            1,
            "now too long"
        );

        state.insert(grant("pii-read", t0, 60));
        let later = t0.after(Duration::from_secs(60));
        assert_eq!(state.take_ended(later, Some(&p)).len(), 1, "time ran out");
        state.insert(grant("pii-read", t0, 600));
        assert_eq!(state.take_ended(t0, None).len(), 1, "no policy, no grant");
    }

    #[test]
    fn an_extended_grant_is_measured_from_its_extension_and_voids_nothing_while_held() {
        let t0 = Moment::now();
        let p = policy(POLICY);
        let mut state = Elevations::new(None);
        state.insert(grant("pii-read", t0, 50 * 60));
        let later = t0.after(Duration::from_secs(40 * 60));
        let held = state.held("id-pii-read", later).cloned();
        let longer = crate::extend(
            held.as_ref(),
            "id-pii-read",
            "pii-read",
            Duration::from_secs(40 * 60),
            Duration::from_secs(3600),
            later,
            None,
        )
        .expect("ends 50 min from now, within the hour");
        let mut waiting = pending("x1", "pii-read");
        waiting.extends = Some("id-pii-read".into());
        state.wait_for(waiting, later.mono);
        state.extend(longer);
        // 90 minutes since it was granted, 50 since it was extended: the policy allows it.
        assert!(state.take_ended(later, Some(&p)).is_empty());
        assert!(state.void_extensions(later).is_empty(), "its grant holds");
        let past = t0.after(Duration::from_secs(90 * 60));
        assert_eq!(
            state.take_ended(past, Some(&p)).len(),
            1,
            "ends at the new end"
        );
        assert_eq!(
            state
                .void_extensions(past)
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>(),
            ["x1"],
            "an extension of a grant that ended is void"
        );
        assert!(state.held("id-pii-read", past).is_none());
    }

    #[test]
    fn a_grant_is_announced_once_when_it_comes_near_its_end() {
        let t0 = Moment::now();
        let mut state = Elevations::new(None);
        state.insert(grant("pii-read", t0, 900));
        assert!(state.newly_ending(t0).is_empty());
        let near = t0.after(Duration::from_secs(900) - WARN_BEFORE);
        assert_eq!(state.newly_ending(near).len(), 1);
        assert!(state.newly_ending(near).is_empty(), "once");
        assert!(state
            .newly_ending(t0.after(Duration::from_secs(900)))
            .is_empty());
    }

    #[test]
    fn the_status_shows_what_holds_and_grows_its_version_with_each_change() {
        let t0 = Moment::now();
        let p = policy(POLICY);
        let mut state = Elevations::new(None);
        let v0 = state.status(Some(&p), t0).version;
        state.insert(grant("pii-read", t0, 60));
        state.wait_for(pending("r1", "large-scan"), t0.mono);
        let status = state.status(Some(&p), t0);
        assert!(status.version > v0);
        assert_eq!(status.options[0].name, "pii-read");
        assert_eq!(status.active[0].name, "pii-read");
        assert_eq!(status.pending[0].request_id, "r1");
        assert!(
            state
                .status(Some(&p), t0.after(Duration::from_secs(60)))
                .active
                .is_empty(),
            "a grant past its end is not shown"
        );
        for i in 0..7 {
            state.refused(&format!("r{i}"), "large-scan", "denied", t0);
        }
        let refusals = state.status(None, t0).refusals;
        assert_eq!(refusals.len(), KEPT_REFUSALS);
        assert_eq!(refusals[0].request_id, "r6", "newest first");
    }

    #[test]
    fn self_approval_follows_the_queue() {
        let dir = std::env::temp_dir().join("warden-elevations-unused");
        let mut state = Elevations::new(None);
        assert!(!state.allows_self_approval());
        state.set_approvals(Some(Arc::new(crate::Approvals::open(&dir, true))));
        assert!(state.allows_self_approval());
        state.set_approvals(Some(Arc::new(crate::Approvals::open(&dir, false))));
        assert!(!state.allows_self_approval());
    }
}
