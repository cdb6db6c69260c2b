//! One pass of the broker over the queue: new requests checked against the policy, decisions
//! judged by who wrote them, grants ended, credentials minted. Every change to a request is a
//! compare-and-swap on `state/<id>.json`; a broker that loses one re-reads and decides again,
//! so two brokers never both grant a request or both deliver the same credential set.
//!
//! Nothing is done at AWS before the broker's journal has it (`record.rs`): each state write,
//! delivery, and Identity Center creation or deletion takes an [`Intent`] that only a
//! `broker_action_started` the journal accepted makes, and its outcome is recorded after it,
//! with the events that say what it did. A journal that refuses stops the pass before the
//! next action.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use warden_audit::{
    ActionOutcome, BrokerAction, CredentialsIssued, ElevationDenied, ElevationExpired,
    ElevationExtended, ElevationGranted, ElevationRequested, ElevationRevoked, Journal, Payload,
};
use warden_elevation::{extend, judge, validate, Clock, Decision, Grant, Moment, PENDING_TIMEOUT};
use warden_guardrails::{Approval, Policy};

use crate::holders::{Joined, Ledger};
use crate::keys::{grant_key, state_key, Key};
use crate::mint::{account_and_role, source_identity};
use crate::queue::{ReadApproval, ReadRevocation};
use crate::record::{fail, unanswered_write, Intent, Recorder, CHANGED_AFTER};
use crate::{
    Approvers, AwsElevation, BrokerConfig, BrokerError, Extension, GrantState, IdentityCenter,
    Minter, S3Queue, Status, Written,
};

/// Why a waiting extension comes to nothing when its grant ends first.
pub const VOID: &str =
    "the grant it extends ended before an approver decided; the extension is void";

/// Compare-and-swap attempts on one request per pass before leaving it to the next pass.
const MAX_ATTEMPTS: u32 = 5;

/// What one pass did, request ids by outcome.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunReport {
    pub granted: Vec<String>,
    pub waiting: Vec<String>,
    pub denied: Vec<String>,
    /// Extensions applied in this pass (the extension's request id).
    pub extended: Vec<String>,
    pub ended: Vec<String>,
    /// (request id, credential set number) delivered in this pass.
    pub minted: Vec<(String, u32)>,
    /// Decision objects refused in this pass (their keys).
    pub refused: Vec<String>,
    /// Requests this pass could not handle, and why; the next pass tries again.
    pub problems: Vec<String>,
}

pub struct Broker {
    queue: S3Queue,
    policy: Policy,
    config: BrokerConfig,
    minter: Minter,
    approvers: Approvers,
    /// The broker's journal: every action at AWS is recorded before it happens (`record.rs`).
    recorder: Recorder,
    clock: Arc<dyn Clock>,
    /// Identity Center mode: assigns permission sets; without it such elevations are denied.
    identity_center: Option<IdentityCenter>,
    /// Requests in a final state: not read again by this process.
    finished: Mutex<HashSet<String>>,
    /// The revision of the bundle `policy` came from, when known: grants record it, and only a
    /// broker on a newer revision ends a grant its policy no longer allows (another broker may
    /// not have refreshed yet, and must not revoke what a newer policy gave).
    revision: Option<u64>,
}

/// The objects about one request besides the request itself: (key, writer from the key).
#[derive(Default)]
struct OnRequest {
    withdrawn: bool,
    decisions: Vec<(String, String)>,
    revocations: Vec<(String, String)>,
}

/// A state change to write, and what to record once it is written.
struct Change {
    next: GrantState,
    events: Vec<Payload>,
    /// The credential set this change claims, to mint once the claim is won.
    mint: Option<u32>,
}

impl Broker {
    /// `policy` is the verified policy bundle's; `config` maps its elevations onto AWS.
    pub fn new(
        queue: S3Queue,
        policy: Policy,
        config: BrokerConfig,
        minter: Minter,
        approvers: Approvers,
        journal: Arc<Journal>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            queue,
            policy,
            config,
            minter,
            approvers,
            recorder: Recorder::new(journal),
            clock,
            identity_center: None,
            finished: Mutex::new(HashSet::new()),
            revision: None,
        }
    }

    /// The revision of the bundle the policy came from (see [`Broker::set_policy`]).
    pub fn with_policy_revision(mut self, revision: u64) -> Self {
        self.revision = Some(revision);
        self
    }

    /// Grants the Identity Center mode's elevations through `center` (docs/elevation.md).
    pub fn with_identity_center(mut self, center: IdentityCenter) -> Self {
        self.identity_center = Some(center);
        self
    }

    fn ledger(&self) -> Option<Ledger<'_>> {
        self.identity_center.as_ref().map(|center| Ledger {
            bucket: self.queue.bucket(),
            center,
            recorder: &self.recorder,
            workspace: &self.config.workspace,
        })
    }

    /// Whether grants of elevation `name` get credentials minted by the broker (STS mode).
    fn mints(&self, name: &str) -> bool {
        self.config
            .elevations
            .get(name)
            .is_some_and(|e| e.role_arn().is_some())
    }

    /// Replaces the policy (a newer verified bundle, of `revision`); decisions from then on
    /// follow it.
    pub fn set_policy(&mut self, policy: Policy, config: BrokerConfig, revision: u64) {
        self.policy = policy;
        self.config = config;
        self.revision = Some(revision);
    }

    /// Runs passes every `interval` until `stop` resolves. A failing pass is logged and the
    /// next one tries again.
    pub async fn run(&self, interval: Duration, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            match self.run_once().await {
                Ok(report) => tracing::debug!(?report, "broker pass"),
                Err(e) => tracing::warn!("broker pass failed: {e}"),
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(interval) => {}
            }
        }
    }

    /// One pass over every request in the queue.
    pub async fn run_once(&self) -> Result<RunReport, BrokerError> {
        // Outcomes an earlier pass could not record come first; while the journal refuses,
        // nothing is done.
        self.recorder.flush()?;
        let bucket = self.queue.bucket();
        let requests = bucket.list("requests/").await?;
        let mut on: BTreeMap<String, OnRequest> = BTreeMap::new();
        for key in bucket.list("approvals/").await? {
            if let Some(Key::Approval { approver, id }) = Key::parse(&key) {
                on.entry(id).or_default().decisions.push((key, approver));
            }
        }
        for key in bucket.list("revocations/").await? {
            if let Some(Key::Revocation { revoker, id }) = Key::parse(&key) {
                on.entry(id).or_default().revocations.push((key, revoker));
            }
        }
        let mut withdrawn = HashSet::new();
        let mut found = Vec::new();
        for key in &requests {
            match Key::parse(key) {
                Some(Key::Request { requester, id }) => found.push((requester, id)),
                Some(Key::Withdrawal { requester, id }) => {
                    withdrawn.insert((requester, id));
                }
                _ => {}
            }
        }
        let mut claimants: HashMap<String, Vec<String>> = HashMap::new();
        for (requester, id) in &found {
            claimants
                .entry(id.clone())
                .or_default()
                .push(requester.clone());
        }
        let mut report = RunReport::default();
        for (requester, id) in found {
            if self.is_finished(&id) {
                continue;
            }
            let makers = &claimants[&id];
            if makers.len() > 1 {
                // A copy of someone's request id under another prefix must not take that
                // request's decisions, nor withdraw or end it: only its maker's key counts.
                if let Some(why) = self.not_the_maker(&requester, &id, makers).await {
                    report.problems.push(why);
                    continue;
                }
            }
            let mut on_it = on.remove(&id).unwrap_or_default();
            // Only the requester's own prefix can hold their withdrawal.
            on_it.withdrawn = withdrawn.contains(&(requester.clone(), id.clone()));
            if let Err(e) = self.step(&requester, &id, &on_it, &mut report).await {
                // The journal refusing is the one failure that stops everything: the broker
                // must not act without a record.
                if matches!(e, BrokerError::Journal(_)) {
                    return Err(e);
                }
                report.problems.push(format!("request {id}: {e}"));
            }
        }
        match self.sweep_assignments(&mut report.problems).await {
            Err(e @ BrokerError::Journal(_)) => return Err(e),
            Err(e) => report.problems.push(format!("assignments: {e}")),
            Ok(()) => {}
        }
        Ok(report)
    }

    /// Releases the Identity Center assignments of grants that ended without their broker
    /// releasing them (it stopped in between), and finishes creations and deletions a broker
    /// that died left undone.
    /// Sweeps every assignment record. One that cannot be read or settled (damaged, an
    /// answer IAM Identity Center keeps refusing) is a problem of this pass, and the others
    /// are swept all the same; only a journal that refuses stops the sweep.
    async fn sweep_assignments(&self, problems: &mut Vec<String>) -> Result<(), BrokerError> {
        let Some(ledger) = self.ledger() else {
            return Ok(());
        };
        let now_ms = self.clock.now().wall.timestamp_millis();
        for key in ledger.keys().await? {
            let swept = async {
                let Some((record, _)) = ledger.read(&key).await? else {
                    return Ok(());
                };
                let mut gone = Vec::new();
                for id in &record.holders {
                    let ended = match self.queue.state(id).await {
                        Ok(Some((state, _))) => state.status.is_final(),
                        // Not decided yet, or unreadable: left for now.
                        _ => false,
                    };
                    if ended {
                        gone.push(id.clone());
                    }
                }
                ledger.sweep(&record, &gone, now_ms).await
            };
            match swept.await {
                Err(e @ BrokerError::Journal(_)) => return Err(e),
                Err(e) => problems.push(format!("assignments: {key}: {e}")),
                Ok(()) => {}
            }
        }
        Ok(())
    }

    /// Why request `id` under `requester`'s prefix is not judged when several prefixes hold
    /// that id (`makers`): the state names its maker, and before there is a state nobody can
    /// tell the copy from the original, so none is judged until the copies are gone.
    async fn not_the_maker(&self, requester: &str, id: &str, makers: &[String]) -> Option<String> {
        match self.queue.state(id).await {
            Ok(Some((state, _))) if state.requester == requester => None,
            Ok(Some((state, _))) => Some(format!(
                "request {id} under {requester}'s prefix is ignored: request {id} was made by {}",
                state.requester
            )),
            Ok(None) => Some(format!(
                "request {id} appears under more than one requester ({}); it is not judged until only one remains",
                makers.join(", ")
            )),
            Err(e) => Some(format!("request {id}: {e}")),
        }
    }

    fn is_finished(&self, id: &str) -> bool {
        self.finished
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(id)
    }

    fn finish(&self, id: &str) {
        self.finished
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_string());
    }

    async fn step(
        &self,
        requester: &str,
        id: &str,
        on_it: &OnRequest,
        report: &mut RunReport,
    ) -> Result<(), BrokerError> {
        for _ in 0..MAX_ATTEMPTS {
            let now = self.clock.now();
            let current = self.queue.state(id).await?;
            if let Some((state, _)) = current.as_ref().filter(|(s, _)| s.requester != requester) {
                // Its own request object gone, a copy under another prefix is not its maker.
                report.problems.push(format!(
                    "request {id} under {requester}'s prefix is ignored: request {id} was made by {}",
                    state.requester
                ));
                return Ok(());
            }
            let change = match &current {
                None => Some(self.first_look(requester, id, on_it.withdrawn, now).await?),
                Some((state, _)) => self.follow(state, on_it, now).await?,
            };
            let before = current.as_ref().map(|(s, _)| s.status);
            let change = match change {
                // The grant it extends is changed first; the extension's own state after, so
                // a broker that stops in between finds the extension applied next time.
                Some(c)
                    if c.next.status == Status::Extended && before != Some(Status::Extended) =>
                {
                    Some(self.apply_extension(c, now, report).await?)
                }
                Some(c) if c.next.status == Status::Granted && before != Some(Status::Granted) => {
                    match self.assign(c, now).await? {
                        Some(c) => Some(c),
                        None => {
                            // Another broker is creating or deleting the assignment.
                            report.waiting.push(id.into());
                            return Ok(());
                        }
                    }
                }
                other => other,
            };
            let Some(change) = change else {
                if let Some((state, _)) = &current {
                    match state.status {
                        Status::Pending => report.waiting.push(id.into()),
                        s if s.is_final() => self.finish(id),
                        _ => {}
                    }
                }
                return Ok(());
            };
            let mut change = change;
            if change.next.status == Status::Granted && before != Some(Status::Granted) {
                change.next.policy_revision = self.revision;
            }
            let intent = self.start(
                BrokerAction::WriteState,
                id,
                &state_key(id),
                transition(current.as_ref().map(|(s, _)| s), &change.next, change.mint),
            )?;
            let etag = current.as_ref().map(|(_, etag)| etag.as_str());
            let events = std::mem::take(&mut change.events);
            if !self.write_state(intent, &change.next, etag, events).await? {
                // Another broker changed it first: read what it decided and start over.
                continue;
            }
            match change.next.status {
                Status::Granted if before != Some(Status::Granted) => {
                    report.granted.push(id.into())
                }
                Status::Pending if before.is_none() => report.waiting.push(id.into()),
                Status::Denied | Status::Withdrawn if before != Some(Status::Granted) => {
                    report.denied.push(id.into())
                }
                Status::Extended => report.extended.push(id.into()),
                Status::Ended | Status::Revoked | Status::Withdrawn => report.ended.push(id.into()),
                _ => {}
            }
            report.refused.extend(
                change
                    .next
                    .refused
                    .iter()
                    .filter(|k| current.as_ref().is_none_or(|(s, _)| !s.refused.contains(k)))
                    .cloned(),
            );
            if let Some(n) = change.mint {
                if self.mint(&change.next, n).await? {
                    report.minted.push((id.into(), n));
                }
            }
            if before == Some(Status::Granted) && change.next.status.is_final() {
                self.release(&change.next).await?;
            }
            return Ok(());
        }
        Err(BrokerError::Contended {
            id: id.into(),
            attempts: MAX_ATTEMPTS,
        })
    }

    /// Records that the broker is about to do `action` for request `id` on `key`: the intent
    /// the action takes. A journal that refuses stops it here.
    fn start(
        &self,
        action: BrokerAction,
        id: &str,
        key: &str,
        detail: String,
    ) -> Result<Intent, BrokerError> {
        self.recorder
            .start(&self.config.workspace, action, Some(id), key, detail)
    }

    /// Writes `next` as its request's state under `intent` (create-only when `etag` is `None`,
    /// else a compare-and-swap on it) and records the outcome: done, followed by `events`;
    /// not done when another broker changed the state first (`Ok(false)`: read it again); when
    /// S3 failed, what reading the state back shows (the write may have landed before the
    /// answer was lost, see [`unanswered_write`]): done when it holds `next`, not done when it
    /// is still the state the write started from, unknown when another writer changed it
    /// since or it cannot be read.
    async fn write_state(
        &self,
        intent: Intent,
        next: &GrantState,
        etag: Option<&str>,
        events: Vec<Payload>,
    ) -> Result<bool, BrokerError> {
        let key = state_key(&next.id);
        let body = next.to_json();
        let bucket = self.queue.bucket();
        let written = match etag {
            None => bucket.create(&key, body).await,
            Some(etag) => bucket.replace(&key, body, etag).await,
        };
        let error = match written {
            Ok(Written::Done(_)) => {
                self.recorder
                    .end(intent, ActionOutcome::Done, None, events)?;
                return Ok(true);
            }
            Ok(Written::Lost) => {
                self.recorder.end(
                    intent,
                    ActionOutcome::NotDone,
                    Some(format!(
                        "another broker changed {key} first (a lost compare-and-swap); this broker reads it again and decides anew"
                    )),
                    vec![],
                )?;
                return Ok(false);
            }
            Err(e) => e,
        };
        let found = match self.queue.state(&next.id).await {
            Ok(found) => found,
            Err(_) => return fail(&self.recorder, intent, ActionOutcome::Unknown, error),
        };
        let found = found.as_ref().map(|(s, etag)| (s, etag.as_str()));
        match unanswered_write(etag, next, found) {
            ActionOutcome::Done => {
                self.recorder
                    .end(intent, ActionOutcome::Done, None, events)?;
                Ok(true)
            }
            ActionOutcome::NotDone => fail(&self.recorder, intent, ActionOutcome::NotDone, error),
            ActionOutcome::Unknown => {
                self.recorder.end(
                    intent,
                    ActionOutcome::Unknown,
                    Some(format!("{error}; {CHANGED_AFTER}")),
                    vec![],
                )?;
                Err(error)
            }
        }
    }

    /// A request the broker has not seen: checked against the policy, then granted (approval
    /// `auto`), left waiting for an approver, or denied with the reason.
    async fn first_look(
        &self,
        requester: &str,
        id: &str,
        withdrawn: bool,
        now: Moment,
    ) -> Result<Change, BrokerError> {
        let now_ms = now.wall.timestamp_millis();
        let request = match self.queue.read_request(requester, id).await {
            Ok(r) => r,
            Err(e @ (BrokerError::Damaged { .. } | BrokerError::TooLarge { .. })) => {
                let mut state = blank(id, "", requester, now_ms, 0, now_ms);
                return Ok(deny(&mut state, None, e.to_string(), vec![]));
            }
            Err(e) => return Err(e),
        };
        let mut state = blank(
            id,
            &request.name,
            requester,
            request.requested_at_ms,
            request.duration_s,
            now_ms,
        );
        let asked = warden_elevation::Request {
            name: request.name.clone(),
            duration: Some(Duration::from_secs(request.duration_s)),
            justification: request.justification.clone(),
            ticket: request.ticket.clone(),
            extends: request.extends.clone(),
        };
        let refused =
            |state: &mut GrantState, reason: String| Ok(deny(state, None, reason, vec![]));
        let validated = match validate(&self.policy, &asked) {
            Ok(v) => v,
            Err(e) => return refused(&mut state, e.to_string()),
        };
        if !self.config.elevations.contains_key(&validated.name) {
            return refused(
                &mut state,
                BrokerError::NoMapping {
                    name: validated.name.clone(),
                }
                .to_string(),
            );
        }
        if let Err(e) = source_identity(requester) {
            return refused(&mut state, e.to_string());
        }
        match request.recipient.as_deref().map(str::parse::<age::x25519::Recipient>) {
            Some(Ok(_)) => {}
            _ => {
                return refused(
                    &mut state,
                    "the request names no age X25519 key to deliver credentials to; ask again from Warden"
                        .into(),
                )
            }
        }
        let requested = Payload::ElevationRequested(ElevationRequested {
            elevation_id: id.into(),
            scope: validated.name.clone(),
            reason: validated.reason(),
            requested_duration_s: validated.duration.as_secs(),
            extends: validated.extends.clone(),
        });
        state.duration_s = validated.duration.as_secs();
        state.extends = validated.extends.clone();
        if withdrawn {
            // Taken back before the broker read it (an app that quit right after asking): it
            // is recorded, and nothing is granted, assigned or minted for it, not even once.
            state.status = Status::Withdrawn;
            state.reason = Some("withdrawn by the requester".into());
            let event = denied(&state, Some(requester.to_string()), "withdrawn");
            return Ok(changed(state, vec![requested, event]));
        }
        if validated.extends.is_some() {
            if let Err(why) = self.extensible(&state, now).await? {
                return refused(&mut state, why);
            }
            if validated.approval == Approval::Auto {
                return Ok(to_extend(state, None, vec![requested]));
            }
            return Ok(changed(state, vec![requested]));
        }
        if validated.approval == Approval::Auto {
            let end = now.wall + chrono::Duration::from_std(validated.duration).unwrap_or_default();
            let mut change = grant(state, None, now_ms, end, vec![requested]);
            if self.mints(&change.next.name) {
                change.mint = claim(&mut change.next, now_ms);
            }
            return Ok(change);
        }
        Ok(Change {
            next: state,
            events: vec![requested],
            mint: None,
        })
    }

    /// A request seen before: what has changed since.
    async fn follow(
        &self,
        state: &GrantState,
        on_it: &OnRequest,
        now: Moment,
    ) -> Result<Option<Change>, BrokerError> {
        let (withdrawn, decisions) = (on_it.withdrawn, on_it.decisions.as_slice());
        let now_ms = now.wall.timestamp_millis();
        let mut next = state.clone();
        next.updated_at_ms = now_ms;
        match state.status {
            Status::Pending => {
                if withdrawn {
                    next.status = Status::Withdrawn;
                    next.reason = Some("withdrawn by the requester".into());
                    let event = denied(&next, Some(state.requester.clone()), "withdrawn");
                    return Ok(Some(changed(next, vec![event])));
                }
                if next.extends.is_some() {
                    if let Some(change) = self.void_unless_held(&next, now).await? {
                        return Ok(Some(change));
                    }
                }
                let (events, decision) = self.read_decisions(&mut next, decisions, now).await?;
                if let Some(change) = decision {
                    let mut change = change;
                    change.events.splice(0..0, events);
                    return Ok(Some(change));
                }
                let waited = now_ms.saturating_sub(state.requested_at_ms);
                if waited >= PENDING_TIMEOUT.as_millis() as i64 {
                    let reason = "nobody decided within an hour; ask again".to_string();
                    let mut all = events;
                    all.push(denied(&next, None, &reason));
                    next.status = Status::Denied;
                    next.reason = Some(reason);
                    return Ok(Some(changed(next, all)));
                }
                Ok((!events.is_empty()).then(|| changed(next, events)))
            }
            Status::Granted => {
                let end = state.expires_at_ms.unwrap_or(now_ms);
                let expired = Payload::ElevationExpired(ElevationExpired {
                    elevation_id: state.id.clone(),
                });
                if now_ms >= end {
                    next.status = Status::Ended;
                    next.reason = Some("the grant ran to its end".into());
                    return Ok(Some(changed(next, vec![expired])));
                }
                if withdrawn {
                    next.status = Status::Withdrawn;
                    next.reason = Some("ended early by the requester".into());
                    return Ok(Some(changed(next, vec![expired])));
                }
                if let Some(reason) = self.policy_ends(state) {
                    next.status = Status::Revoked;
                    next.reason = Some(reason.clone());
                    let revoked = Payload::ElevationRevoked(ElevationRevoked {
                        elevation_id: state.id.clone(),
                        revoked_by: "policy".into(),
                        reason,
                    });
                    return Ok(Some(changed(next, vec![revoked, expired])));
                }
                let (mut events, revoked) = self.read_revocations(&mut next, on_it).await?;
                if let Some((by, reason)) = revoked {
                    next.status = Status::Revoked;
                    next.reason = Some(format!("revoked by {by}: {reason}"));
                    events.push(Payload::ElevationRevoked(ElevationRevoked {
                        elevation_id: state.id.clone(),
                        revoked_by: by,
                        reason,
                    }));
                    events.push(expired);
                    return Ok(Some(changed(next, events)));
                }
                let mint = if self.mints(&next.name) {
                    claim(&mut next, now_ms)
                } else {
                    None
                };
                if mint.is_none() && events.is_empty() {
                    return Ok(None);
                }
                Ok(Some(Change { next, events, mint }))
            }
            _ => Ok(None),
        }
    }

    /// Why the policy in force ends grant `state` now, if it does: it no longer offers the
    /// elevation, or its `max_duration` is now shorter than the grant runs (counted from the
    /// grant, or from its last extension). The client's gate ends such a grant under the new
    /// policy too; the broker must stop minting for it and release its access at AWS.
    fn policy_ends(&self, state: &GrantState) -> Option<String> {
        // Only a newer policy than the one the grant (or its last extension) was given under:
        // a broker that has not refreshed yet must not revoke what a newer policy allows.
        if !matches!((self.revision, state.policy_revision), (Some(now), Some(then)) if now > then)
        {
            return None;
        }
        let Some(definition) = self.policy.elevation(&state.name) else {
            return Some(format!(
                "the policy in force no longer offers {}",
                state.name
            ));
        };
        let start = state
            .extensions
            .last()
            .map(|e| e.at_ms)
            .or(state.granted_at_ms)?;
        let max_ms = i64::try_from(definition.max_duration.as_millis()).unwrap_or(i64::MAX);
        let end = state.expires_at_ms?;
        (end > start.saturating_add(max_ms)).then(|| {
            format!(
                "the policy in force allows {} for at most {}; ask again",
                state.name,
                warden_elevation::format_duration(definition.max_duration)
            )
        })
    }

    /// The decisions on a waiting request not yet refused: each judged by the key it was
    /// written under. Returns the refusals to record and, if a decision counts, the change.
    async fn read_decisions(
        &self,
        next: &mut GrantState,
        decisions: &[(String, String)],
        now: Moment,
    ) -> Result<(Vec<Payload>, Option<Change>), BrokerError> {
        let mut events = Vec::new();
        let now_ms = now.wall.timestamp_millis();
        for (key, approver) in decisions {
            if next.refused.contains(key) {
                continue;
            }
            // One object S3 will not give (a passing failure, or one stored where it cannot be
            // read) is looked at again next pass; it must not hold up the others, the request's
            // time-out or the grant's next credential set.
            let read = match self.queue.read_approval(key, approver, &next.id).await {
                Ok(read) => read,
                Err(e) => {
                    tracing::warn!(request = %next.id, key = %key, "the decision could not be read: {e}");
                    continue;
                }
            };
            let record = match self.admissible(next, approver, read).await? {
                Ok(record) => record,
                Err(why) => {
                    events.push(refusal(next, approver, key, &why));
                    next.refuse(key, &why);
                    continue;
                }
            };
            if record.decision == Decision::Withdraw {
                let why = "only the requester withdraws a request".to_string();
                events.push(refusal(next, approver, key, &why));
                next.refuse(key, &why);
                continue;
            }
            let pending = warden_elevation::PendingRequest {
                id: next.id.clone(),
                name: next.name.clone(),
                requester: next.requester.clone(),
                requested_at_ms: next.requested_at_ms,
                duration_s: next.duration_s,
                reason: String::new(),
                extends: next.extends.clone(),
            };
            return Ok(
                match judge(&pending, Ok(record), false, Some(&self.policy), now) {
                    // The grant's new end is worked out when it is applied (`apply_extension`).
                    Ok(_) if next.extends.is_some() => (
                        events,
                        Some(to_extend(next.clone(), Some(approver.clone()), vec![])),
                    ),
                    Ok(g) => {
                        let mut change = grant(
                            next.clone(),
                            Some(approver.clone()),
                            now_ms,
                            g.expires_at,
                            vec![],
                        );
                        if self.mints(&change.next.name) {
                            change.mint = claim(&mut change.next, now_ms);
                        }
                        (events, Some(change))
                    }
                    Err(denial) => {
                        let mut state = next.clone();
                        let change =
                            deny(&mut state, Some(approver.clone()), denial.reason, vec![]);
                        (events, Some(change))
                    }
                },
            );
        }
        Ok((events, None))
    }

    /// Whether a grant that holds is revoked: by a revocation object (`revocations/<who>/`)
    /// the broker accepts, or by a denial an admissible approver wrote after the grant. Returns
    /// the refusals to record and, if one counts, who revoked and why.
    async fn read_revocations(
        &self,
        next: &mut GrantState,
        on_it: &OnRequest,
    ) -> Result<(Vec<Payload>, Option<(String, String)>), BrokerError> {
        let mut events = Vec::new();
        for (key, revoker) in &on_it.revocations {
            if next.refused.contains(key) {
                continue;
            }
            // One object S3 will not give (a passing failure, or one stored where it cannot be
            // read) is looked at again next pass; it must not hold up the others, the request's
            // time-out or the grant's next credential set.
            let read = match self.queue.read_revocation(key, revoker, &next.id).await {
                Ok(read) => read,
                Err(e) => {
                    tracing::warn!(request = %next.id, key = %key, "the revocation could not be read: {e}");
                    continue;
                }
            };
            match self.may_revoke(next, revoker, read).await? {
                Ok(reason) => return Ok((events, Some((revoker.clone(), reason)))),
                Err(why) => {
                    events.push(denied(
                        next,
                        Some(revoker.clone()),
                        &format!(
                            "the revocation at {key} was refused: {why}; the grant still holds"
                        ),
                    ));
                    next.refuse(key, &why);
                }
            }
        }
        for (key, approver) in &on_it.decisions {
            if next.refused.contains(key) || Some(approver) == next.approver.as_ref() {
                continue;
            }
            // One object S3 will not give (a passing failure, or one stored where it cannot be
            // read) is looked at again next pass; it must not hold up the others, the request's
            // time-out or the grant's next credential set.
            let read = match self.queue.read_approval(key, approver, &next.id).await {
                Ok(read) => read,
                Err(e) => {
                    tracing::warn!(request = %next.id, key = %key, "the decision could not be read: {e}");
                    continue;
                }
            };
            match self.admissible(next, approver, read).await? {
                Ok(record) if record.decision == Decision::Deny => {
                    let reason = record.reason.unwrap_or_else(|| "no reason given".into());
                    return Ok((events, Some((approver.clone(), reason))));
                }
                // A late approval adds nothing to a grant that holds.
                Ok(_) => {}
                Err(why) => {
                    events.push(refusal(next, approver, key, &why));
                    next.refuse(key, &why);
                }
            }
        }
        Ok((events, None))
    }

    /// Whether a revocation counts: readable, about this grant, not claiming another writer,
    /// and written by the requester (ending their own), the approver who approved it, or
    /// someone who may approve the elevation now (the identity store and approver group, as
    /// for a decision). Taking access away is the safe direction, so the approver who approved
    /// is not asked about again. `Ok(Ok(reason))` when it counts.
    async fn may_revoke(
        &self,
        state: &GrantState,
        revoker: &str,
        read: ReadRevocation,
    ) -> Result<Result<String, String>, BrokerError> {
        let (claimed, record) = match read {
            Ok(r) => r,
            Err(problem) => return Ok(Err(format!("unreadable ({problem})"))),
        };
        if claimed != revoker {
            return Ok(Err(format!(
                "it names {claimed:?} as revoker but was written by {revoker}"
            )));
        }
        if record.name != state.name || record.requester != state.requester {
            return Ok(Err(format!(
                "it is about {} of {}, not this grant's {} of {}",
                record.name, record.requester, state.name, state.requester
            )));
        }
        if revoker == state.requester || Some(revoker) == state.approver.as_deref() {
            return Ok(Ok(record.reason));
        }
        let group = self
            .config
            .elevations
            .get(&state.name)
            .and_then(|e| e.approver_group.as_deref());
        Ok(self
            .approvers
            .check(revoker, group)
            .await?
            .map(|()| record.reason))
    }

    /// Whether a decision object may count at all: readable, not claiming another writer, not
    /// the requester's own, and by someone the identity store says may approve.
    async fn admissible(
        &self,
        state: &GrantState,
        approver: &str,
        read: ReadApproval,
    ) -> Result<Result<warden_elevation::DecisionRecord, String>, BrokerError> {
        let (claimed, record) = match read {
            Ok(r) => r,
            Err(problem) => return Ok(Err(format!("unreadable ({problem})"))),
        };
        if claimed != approver {
            return Ok(Err(format!(
                "it names {claimed:?} as approver but was written by {approver}"
            )));
        }
        // The person, not the session: one user signed in with an approver's permission set
        // has another role id than with the analyst's.
        if warden_elevation::same_person(approver, &state.requester) {
            return Ok(Err(
                "a request cannot be decided by the person who made it".into()
            ));
        }
        let group = self
            .config
            .elevations
            .get(&state.name)
            .and_then(|e| e.approver_group.as_deref());
        Ok(self
            .approvers
            .check(approver, group)
            .await?
            .map(|()| record))
    }

    /// Identity Center mode: before a grant is written as granted, its account assignment is
    /// made (or joined, when an overlapping grant holds it already) and IAM Identity Center
    /// says it exists. `Ok(None)` when another broker is busy with it (the next pass looks
    /// again); a change to denied, with the reason, when it cannot be made. STS-mode changes
    /// pass unchanged.
    async fn assign(&self, mut change: Change, now: Moment) -> Result<Option<Change>, BrokerError> {
        let name = change.next.name.clone();
        let Some(target) = self
            .config
            .elevations
            .get(&name)
            .and_then(|e| e.permission_set())
        else {
            return Ok(Some(change));
        };
        let Some(ledger) = self.ledger() else {
            return Ok(Some(refuse_grant(
                change,
                format!(
                    "elevation {name} is in the Identity Center mode and this broker has no IAM Identity Center client; start it with one"
                ),
            )));
        };
        let user = match source_identity(&change.next.requester) {
            Ok(u) => u,
            Err(e) => return Ok(Some(refuse_grant(change, e.to_string()))),
        };
        let center = ledger.center;
        let assigned = match center.resolve(&name, target, &user).await? {
            Ok(a) => a,
            Err(why) => return Ok(Some(refuse_grant(change, why))),
        };
        let now_ms = now.wall.timestamp_millis();
        match ledger
            .join(&assigned.assignment, &change.next.id, now_ms)
            .await?
        {
            Joined::Held => {}
            Joined::Waiting => return Ok(None),
            Joined::Failed(why) => return Ok(Some(refuse_grant(change, why))),
        }
        change
            .events
            .push(Payload::CredentialsIssued(CredentialsIssued {
                account_id: assigned.assignment.account_id.clone(),
                role_name: assigned.role_name.clone(),
                expires_at_ms: change.next.expires_at_ms.unwrap_or(now_ms),
            }));
        change.next.assignment = Some(assigned);
        Ok(Some(change))
    }

    /// Identity Center mode: a grant that ended leaves its assignment, which is deleted when
    /// no other grant holds it. A failure is left to the sweep of a later pass.
    async fn release(&self, state: &GrantState) -> Result<(), BrokerError> {
        let (Some(assigned), Some(ledger)) = (&state.assignment, self.ledger()) else {
            return Ok(());
        };
        let now_ms = self.clock.now().wall.timestamp_millis();
        let left = ledger
            .leave(&assigned.assignment, &state.id, now_ms)
            .await?;
        tracing::info!(
            grant = %state.id,
            holders = left.holders.len(),
            assigned = left.assigned,
            "left the account assignment"
        );
        Ok(())
    }

    /// The grant extension `e` asks more time on, as it stands in S3, or why there is none to
    /// extend. `Ok(Ok(None))` when `e` was applied to it already.
    async fn grant_of(
        &self,
        e: &GrantState,
    ) -> Result<Result<Option<(GrantState, String)>, String>, BrokerError> {
        let gid = e.extends.as_deref().unwrap_or_default();
        let not_held = || {
            warden_elevation::ElevationError::NotHeld {
                name: e.name.clone(),
                id: gid.to_string(),
            }
            .to_string()
        };
        if uuid::Uuid::parse_str(gid).is_err() {
            return Ok(Err(format!(
                "it extends {gid:?}, which is not a request id; {}",
                not_held()
            )));
        }
        let (g, etag) = match self.queue.state(gid).await {
            Ok(Some(found)) => found,
            Ok(None) => return Ok(Err(not_held())),
            Err(BrokerError::Damaged { .. } | BrokerError::TooLarge { .. }) => {
                return Ok(Err(not_held()))
            }
            Err(err) => return Err(err),
        };
        if g.extensions.iter().any(|x| x.id == e.id) {
            return Ok(Ok(None));
        }
        // The key of each request proves its writer: only the grant's own requester extends it.
        if g.requester != e.requester || g.extends.is_some() {
            return Ok(Err(format!(
                "grant {gid} is not a grant you were given; an extension adds time to one of your own grants"
            )));
        }
        if g.name != e.name {
            return Ok(Err(warden_elevation::ElevationError::OtherElevation {
                name: e.name.clone(),
                held: g.name.clone(),
                id: gid.to_string(),
            }
            .to_string()));
        }
        Ok(Ok(Some((g, etag))))
    }

    /// The elevation's `max_duration` in the policy in force.
    fn max_duration(&self, name: &str) -> Duration {
        self.policy
            .elevation(name)
            .map(|d| d.max_duration)
            .unwrap_or_default()
    }

    /// Whether extension `e` may be asked for now: its grant holds, is the requester's own and
    /// of the same elevation, and the new end (its end + the time asked) is at most the
    /// elevation's `max_duration` from now (no stacking past the maximum).
    async fn extensible(
        &self,
        e: &GrantState,
        now: Moment,
    ) -> Result<Result<(), String>, BrokerError> {
        let (g, _) = match self.grant_of(e).await? {
            Ok(Some(found)) => found,
            Ok(None) => return Ok(Ok(())),
            Err(why) => return Ok(Err(why)),
        };
        let held = match held_grant(&g, now) {
            Some(h) => h,
            None => {
                return Ok(Err(warden_elevation::ElevationError::NotHeld {
                    name: e.name.clone(),
                    id: g.id.clone(),
                }
                .to_string()))
            }
        };
        Ok(extend(
            Some(&held),
            &g.id,
            &e.name,
            Duration::from_secs(e.duration_s),
            self.max_duration(&e.name),
            now,
            None,
        )
        .map(|_| ())
        .map_err(|err| err.to_string()))
    }

    /// A waiting extension whose grant no longer holds is void: denied, with the reason.
    async fn void_unless_held(
        &self,
        e: &GrantState,
        now: Moment,
    ) -> Result<Option<Change>, BrokerError> {
        let why = match self.grant_of(e).await? {
            Ok(None) => return Ok(None),
            Ok(Some((g, _))) if held_grant(&g, now).is_some() => return Ok(None),
            Ok(Some(_)) => VOID.to_string(),
            Err(why) => why,
        };
        let mut next = e.clone();
        Ok(Some(deny(&mut next, None, why, vec![])))
    }

    /// Applies the approved extension in `change` to its grant: the grant's state gets the new
    /// end (its end + the time asked, capped at the elevation's `max_duration` from now) by a
    /// compare-and-swap that a lost race retries, and the extension is listed in it so that it
    /// is applied once however many brokers try. In the STS mode a credential set whose session
    /// policy ends at the new end is minted at once (the sets before end at the old one).
    /// Returns the extension's own change: extended, or denied when the grant ended first.
    async fn apply_extension(
        &self,
        change: Change,
        now: Moment,
        report: &mut RunReport,
    ) -> Result<Change, BrokerError> {
        let now_ms = now.wall.timestamp_millis();
        for _ in 0..MAX_ATTEMPTS {
            let (mut g, etag) = match self.grant_of(&change.next).await? {
                Ok(Some(found)) => found,
                Ok(None) => {
                    // Applied before (by another broker, or by this one before it stopped).
                    let applied = self
                        .queue
                        .state(change.next.extends.as_deref().unwrap_or_default())
                        .await?
                        .and_then(|(g, _)| {
                            g.extensions.into_iter().find(|x| x.id == change.next.id)
                        });
                    return Ok(match applied {
                        Some(x) => extended(change, &x),
                        None => refuse_grant(change, VOID.into()),
                    });
                }
                Err(why) => return Ok(refuse_grant(change, why)),
            };
            let Some(end) = g
                .expires_at_ms
                .filter(|end| g.status == Status::Granted && now_ms < *end)
            else {
                return Ok(refuse_grant(change, VOID.into()));
            };
            let max_ms = self.max_duration(&g.name).as_millis() as i64;
            let asked_ms = (change.next.duration_s as i64).saturating_mul(1000);
            let new_end = end
                .saturating_add(asked_ms)
                .min(now_ms.saturating_add(max_ms));
            if new_end <= end {
                return Ok(refuse_grant(
                    change,
                    format!(
                        "approved, but {} already holds as long as the policy allows; nothing was added",
                        g.name
                    ),
                ));
            }
            let x = Extension {
                id: change.next.id.clone(),
                approver: change.next.approver.clone(),
                at_ms: now_ms,
                expires_at_ms: new_end,
            };
            g.extensions.push(x.clone());
            g.extend_to(now_ms, new_end);
            g.policy_revision = self.revision;
            let mint = if self.mints(&g.name) {
                claim(&mut g, now_ms)
            } else {
                None
            };
            let intent = self.start(
                BrokerAction::WriteState,
                &g.id,
                &state_key(&g.id),
                format!(
                    "granted until {} -> granted until {} (extension {}){}",
                    at(end),
                    at(new_end),
                    x.id,
                    claims(mint)
                ),
            )?;
            if !self.write_state(intent, &g, Some(&etag), vec![]).await? {
                // Another broker changed the grant first (a renewal, a revocation, this very
                // extension): read it again.
                continue;
            }
            tracing::info!(grant = %g.id, extension = %x.id, "grant extended");
            if let Some(n) = mint {
                if self.mint(&g, n).await? {
                    report.minted.push((g.id.clone(), n));
                }
            }
            return Ok(extended(change, &x));
        }
        Err(BrokerError::Contended {
            id: change.next.extends.unwrap_or_default(),
            attempts: MAX_ATTEMPTS,
        })
    }

    /// Mints credential set `n` for `state` (a claim this broker won) and delivers it encrypted
    /// under `grants/`, once the journal has the intent to; then records how it ended and marks
    /// the delivery in the state. `Ok(false)` when the set was not delivered by this broker:
    /// its key was taken (delivered before, by another broker or by this one before it stopped).
    async fn mint(&self, state: &GrantState, n: u32) -> Result<bool, BrokerError> {
        let target: &AwsElevation =
            self.config
                .elevations
                .get(&state.name)
                .ok_or_else(|| BrokerError::NoMapping {
                    name: state.name.clone(),
                })?;
        let end_ms = state.expires_at_ms.unwrap_or_default();
        let end = Utc
            .timestamp_millis_opt(end_ms)
            .single()
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let request = self.queue.read_request(&state.requester, &state.id).await?;
        let recipient = request.recipient.unwrap_or_default();
        // Scheduled on the broker's own clock (the claim plus the session's length), so a skew
        // between it and AWS's clock cannot push the next mint past the expiry.
        let claimed_at = state.last_claim_at_ms.unwrap_or(end_ms);
        let until = (claimed_at + i64::from(crate::SESSION_SECONDS) * 1000).min(end_ms);
        let (account_id, role_name) = account_and_role(target.role_arn().unwrap_or_default());
        let key = grant_key(&state.requester, &state.id, n);
        let intent = self.start(
            BrokerAction::DeliverCredentials,
            &state.id,
            &key,
            format!(
                "credential set {n} of role {role_name} in account {account_id} for {}, until {}",
                state.requester,
                at(until)
            ),
        )?;
        let credentials = match self
            .minter
            .mint(&state.name, target, &state.id, &state.requester, end)
            .await
        {
            Ok(c) => c,
            Err(e) => return fail(&self.recorder, intent, ActionOutcome::NotDone, e),
        };
        let sealed = crate::credentials::seal(&credentials, &recipient, &state.id, n);
        drop(credentials);
        let sealed = match sealed {
            Ok(s) => s,
            Err(e) => return fail(&self.recorder, intent, ActionOutcome::NotDone, e),
        };
        // Create-only: a set is delivered once, whoever minted it.
        let delivered = match self.queue.bucket().create(&key, sealed).await {
            Ok(Written::Done(_)) => {
                tracing::info!(grant = %state.id, n, role = %role_name, "credentials delivered");
                let issued = Payload::CredentialsIssued(CredentialsIssued {
                    account_id,
                    role_name,
                    expires_at_ms: until,
                });
                self.recorder
                    .end(intent, ActionOutcome::Done, None, vec![issued])?;
                true
            }
            Ok(Written::Lost) => {
                self.recorder.end(
                    intent,
                    ActionOutcome::NotDone,
                    Some(format!(
                        "{key} exists already: set {n} was delivered before (by another broker, or by this one before it stopped); the set minted now was not delivered"
                    )),
                    vec![],
                )?;
                false
            }
            Err(e) => return fail(&self.recorder, intent, ActionOutcome::Unknown, e),
        };
        for _ in 0..MAX_ATTEMPTS {
            let Some((mut fresh, etag)) = self.queue.state(&state.id).await? else {
                break;
            };
            if fresh.delivered >= n {
                break;
            }
            fresh.delivered = n;
            fresh.credentials_until_ms = Some(until);
            fresh.updated_at_ms = self.clock.now().wall.timestamp_millis();
            if let Written::Done(_) = self
                .queue
                .bucket()
                .replace(&state_key(&state.id), fresh.to_json(), &etag)
                .await?
            {
                break;
            }
        }
        Ok(delivered)
    }
}

fn blank(
    id: &str,
    name: &str,
    requester: &str,
    requested_at_ms: i64,
    duration_s: u64,
    now_ms: i64,
) -> GrantState {
    GrantState {
        id: id.into(),
        name: name.into(),
        requester: requester.into(),
        requested_at_ms,
        duration_s,
        status: Status::Pending,
        approver: None,
        reason: None,
        granted_at_ms: None,
        expires_at_ms: None,
        minted: 0,
        delivered: 0,
        last_claim_at_ms: None,
        credentials_until_ms: None,
        refused: vec![],
        refusals: Default::default(),
        updated_at_ms: now_ms,
        assignment: None,
        extends: None,
        extensions: vec![],
        policy_revision: None,
    }
}

/// The grant `g` as the policy checks see it, when it holds at `now`: its end on both clocks
/// (the monotonic one counted from now).
fn held_grant(g: &GrantState, now: Moment) -> Option<Grant> {
    let end = g.expires_at_ms.filter(|_| g.status == Status::Granted)?;
    let left = end - now.wall.timestamp_millis();
    if left <= 0 {
        return None;
    }
    Some(Grant {
        request_id: g.id.clone(),
        name: g.name.clone(),
        granted_at: Utc
            .timestamp_millis_opt(g.granted_at_ms.unwrap_or(g.updated_at_ms))
            .single()?,
        expires_at: Utc.timestamp_millis_opt(end).single()?,
        expires_mono: now.mono.checked_add(Duration::from_millis(left as u64))?,
        approver: g.approver.clone(),
        extended_at: None,
    })
}

/// An extension approved (by `approver`; `None`: the policy), to be applied to its grant.
fn to_extend(mut state: GrantState, approver: Option<String>, events: Vec<Payload>) -> Change {
    state.status = Status::Extended;
    state.approver = approver;
    changed(state, events)
}

/// The extension's state once `x` was applied to its grant, and its record.
fn extended(mut change: Change, x: &Extension) -> Change {
    let next = &mut change.next;
    next.status = Status::Extended;
    next.approver = x.approver.clone();
    next.granted_at_ms = Some(x.at_ms);
    next.expires_at_ms = Some(x.expires_at_ms);
    change
        .events
        .push(Payload::ElevationExtended(ElevationExtended {
            elevation_id: next.extends.clone().unwrap_or_default(),
            request_id: next.id.clone(),
            approver: x.approver.clone(),
            expires_at_ms: x.expires_at_ms,
        }));
    change
}

fn changed(next: GrantState, events: Vec<Payload>) -> Change {
    Change {
        next,
        events,
        mint: None,
    }
}

fn grant(
    mut state: GrantState,
    approver: Option<String>,
    now_ms: i64,
    end: DateTime<Utc>,
    mut events: Vec<Payload>,
) -> Change {
    state.status = Status::Granted;
    state.approver = approver.clone();
    state.granted_at_ms = Some(now_ms);
    state.expires_at_ms = Some(end.timestamp_millis());
    events.push(Payload::ElevationGranted(ElevationGranted {
        elevation_id: state.id.clone(),
        approver,
        expires_at_ms: end.timestamp_millis(),
    }));
    changed(state, events)
}

/// A change that would grant, turned into a denial with `reason` (the grant's own event
/// dropped, what came before it kept).
fn refuse_grant(change: Change, reason: String) -> Change {
    let mut next = change.next;
    let events = change
        .events
        .into_iter()
        .filter(|e| !matches!(e, Payload::ElevationGranted(_)))
        .collect();
    next.granted_at_ms = None;
    next.expires_at_ms = None;
    next.minted = 0;
    next.last_claim_at_ms = None;
    deny(&mut next, None, reason, events)
}

fn deny(
    state: &mut GrantState,
    approver: Option<String>,
    reason: String,
    mut events: Vec<Payload>,
) -> Change {
    events.push(denied(state, approver, &reason));
    state.status = Status::Denied;
    state.reason = Some(reason);
    changed(state.clone(), events)
}

fn denied(state: &GrantState, approver: Option<String>, reason: &str) -> Payload {
    Payload::ElevationDenied(ElevationDenied {
        elevation_id: state.id.clone(),
        approver,
        reason: reason.to_string(),
    })
}

/// A decision object that does not count; recorded once, and the request waits on.
fn refusal(state: &GrantState, approver: &str, key: &str, why: &str) -> Payload {
    denied(
        state,
        Some(approver.to_string()),
        &format!("the decision at {key} was refused: {why}; the request still stands"),
    )
}

/// Claims the next credential set when one is due; the claim is part of the state written.
fn claim(state: &mut GrantState, now_ms: i64) -> Option<u32> {
    if !state.mint_due(now_ms) {
        return None;
    }
    state.minted += 1;
    state.last_claim_at_ms = Some(now_ms);
    Some(state.minted)
}

/// A time in the journal's words: RFC 3339, to the second.
fn at(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| format!("{ms} ms"))
}

fn status_name(status: Status) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn claims(mint: Option<u32>) -> String {
    mint.map(|n| format!(", claiming credential set {n}"))
        .unwrap_or_default()
}

/// What a state write does, for its `broker_action_started`: from what to what.
fn transition(before: Option<&GrantState>, next: &GrantState, mint: Option<u32>) -> String {
    let from = before.map_or("new".to_string(), |s| status_name(s.status));
    let mut to = status_name(next.status);
    if matches!(next.status, Status::Granted | Status::Extended) {
        if let Some(end) = next.expires_at_ms {
            to.push_str(&format!(" until {}", at(end)));
        }
    }
    if let Some(by) = &next.approver {
        if before.is_none_or(|s| s.approver.as_ref() != Some(by)) {
            to.push_str(&format!(", approved by {by}"));
        }
    }
    let refused =
        next.refused.len() - before.map_or(0, |s| s.refused.len().min(next.refused.len()));
    if refused > 0 {
        to.push_str(&format!(", {refused} decision(s) refused"));
    }
    format!("{from} -> {to}{}", claims(mint))
}
