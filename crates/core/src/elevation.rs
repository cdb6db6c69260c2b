//! Just-in-time elevation at the gate: who holds which elevation until when, the requests
//! waiting for an approver, and the running queries that lean on an elevation (cancelled the
//! moment it ends). Only the gate holds this state; nothing else can add a grant.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use warden_elevation::{format_duration, Active, Approvals, Grant, Moment, PendingRequest};
use warden_engine::CancellationToken;
use warden_guardrails::{Approval, Justification, Policy};

/// How long before its end a grant is announced.
pub const WARN_BEFORE: Duration = Duration::from_secs(5 * 60);

/// An elevation the policy in force defines, as the request form needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ElevationOption {
    pub name: String,
    pub description: String,
    pub default_duration_s: u64,
    pub max_duration_s: u64,
    /// "auto" or "manual".
    pub approval: &'static str,
    /// "required" or "optional".
    pub justification: &'static str,
    pub ticket_pattern: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveElevation {
    pub name: String,
    pub request_id: String,
    pub granted_at_ms: i64,
    pub expires_at_ms: i64,
    pub approver: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingElevation {
    pub request_id: String,
    pub name: String,
    pub requested_at_ms: i64,
}

/// Everything the window shows about elevation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ElevationStatus {
    pub options: Vec<ElevationOption>,
    pub active: Vec<ActiveElevation>,
    pub pending: Vec<PendingElevation>,
    pub warn_before_s: u64,
    /// Grows with every change: a status with a smaller version is older news.
    pub version: u64,
    /// Requests that ended without a grant (denied, timed out, approved too late), newest
    /// first, so the window can say why.
    pub refusals: Vec<Refusal>,
}

/// A request that ended without a grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refusal {
    pub request_id: String,
    pub name: String,
    pub reason: String,
    pub at_ms: i64,
}

/// How many refusals a status carries.
const KEPT_REFUSALS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Granted,
    Pending,
    Denied,
}

/// The answer to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ElevationDecision {
    pub outcome: Outcome,
    pub name: String,
    pub message: String,
    pub expires_at_ms: Option<i64>,
    pub request_id: Option<String>,
    pub status: ElevationStatus,
}

/// A grant that ended, and how many running queries that needed it were cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndedElevation {
    pub name: String,
    pub cancelled: usize,
}

/// What one check changed; the app turns it into notifications and events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ElevationChanges {
    pub granted: Vec<ActiveElevation>,
    /// Name and the approver's reason.
    pub denied: Vec<(String, String)>,
    pub ended: Vec<EndedElevation>,
    /// Grants that came within [`WARN_BEFORE`] of their end since the last check.
    pub ending_soon: Vec<ActiveElevation>,
    /// Events that could not be recorded (the change happened anyway: ending fails closed).
    pub errors: Vec<String>,
}

impl ElevationChanges {
    pub fn is_empty(&self) -> bool {
        self.granted.is_empty()
            && self.denied.is_empty()
            && self.ended.is_empty()
            && self.ending_soon.is_empty()
    }
}

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
pub(crate) struct Elevations {
    pub(crate) active: Active,
    waiting: Vec<Waiting>,
    running: Vec<Running>,
    next_run: u64,
    /// Request ids already announced as ending soon.
    warned: BTreeSet<String>,
    pub(crate) approvals: Option<Approvals>,
    /// Grows with every change, so the window can drop a status older than one it has.
    version: u64,
    refusals: std::collections::VecDeque<Refusal>,
}

impl Elevations {
    pub(crate) fn new(approvals: Option<Approvals>) -> Self {
        Self {
            active: Active::default(),
            waiting: vec![],
            running: vec![],
            next_run: 0,
            warned: BTreeSet::new(),
            approvals,
            version: 0,
            refusals: std::collections::VecDeque::new(),
        }
    }

    pub(crate) fn changed(&mut self) {
        self.version += 1;
    }

    /// Notes that request `id` ended without a grant, for the window.
    pub(crate) fn refused(&mut self, id: &str, name: &str, reason: &str, now: Moment) {
        self.refusals.push_front(Refusal {
            request_id: id.into(),
            name: name.into(),
            reason: reason.into(),
            at_ms: now.wall.timestamp_millis(),
        });
        self.refusals.truncate(KEPT_REFUSALS);
        self.changed();
    }

    pub(crate) fn names_at(&self, now: Moment) -> BTreeSet<String> {
        self.active.names_at(now)
    }

    pub(crate) fn insert(&mut self, grant: Grant) {
        self.active.insert(grant);
        self.changed();
    }

    pub(crate) fn is_pending(&self, name: &str) -> Option<&str> {
        self.waiting
            .iter()
            .find(|w| w.request.name == name)
            .map(|w| w.request.id.as_str())
    }

    pub(crate) fn wait_for(&mut self, request: PendingRequest, since: Instant) {
        self.waiting.push(Waiting { request, since });
        self.changed();
    }

    pub(crate) fn waiting_ids(&self) -> Vec<String> {
        self.waiting.iter().map(|w| w.request.id.clone()).collect()
    }

    /// Stops waiting for request `id` (decided, withdrawn or timed out).
    pub(crate) fn stop_waiting(&mut self, id: &str) -> Option<PendingRequest> {
        let at = self.waiting.iter().position(|w| w.request.id == id)?;
        self.changed();
        Some(self.waiting.remove(at).request)
    }

    /// Requests that waited longer than [`PENDING_TIMEOUT`].
    pub(crate) fn timed_out(&self, now: Moment) -> Vec<String> {
        self.waiting
            .iter()
            .filter(|w| now.mono.saturating_duration_since(w.since) >= PENDING_TIMEOUT)
            .map(|w| w.request.id.clone())
            .collect()
    }

    /// Registers a query that leans on `uses`; returns its id for [`Self::finished`].
    pub(crate) fn started(&mut self, token: CancellationToken, uses: BTreeSet<String>) -> u64 {
        self.next_run += 1;
        self.running.push(Running {
            id: self.next_run,
            token,
            uses,
        });
        self.next_run
    }

    pub(crate) fn finished(&mut self, id: u64) {
        self.running.retain(|r| r.id != id);
    }

    /// Cancels the running queries that need `name`; how many.
    pub(crate) fn cancel_users_of(&mut self, name: &str) -> usize {
        let mut cancelled = 0;
        for run in self.running.iter().filter(|r| r.uses.contains(name)) {
            if !run.token.is_cancelled() {
                run.token.cancel();
                cancelled += 1;
            }
        }
        cancelled
    }

    /// Removes the grant of `name`, if held.
    pub(crate) fn end(&mut self, name: &str) -> Option<Grant> {
        let grant = self.active.end(name)?;
        self.warned.remove(&grant.request_id);
        self.changed();
        Some(grant)
    }

    /// Every grant, ended or not (the app is quitting).
    pub(crate) fn take_all(&mut self) -> Vec<Grant> {
        let names: Vec<String> = self.active.grants().map(|g| g.name.clone()).collect();
        names.iter().filter_map(|n| self.end(n)).collect()
    }

    /// Grants that ended by `now`, and grants the policy in force no longer allows (the
    /// elevation is gone, or its `max_duration` is now shorter than the grant).
    pub(crate) fn take_ended(&mut self, now: Moment, policy: Option<&Policy>) -> Vec<Grant> {
        let mut ended = self.active.take_expired(now);
        let allowed = |g: &Grant, p: &Policy| {
            p.elevation(&g.name).is_some_and(|d| {
                (g.expires_at - g.granted_at)
                    .to_std()
                    .unwrap_or(Duration::MAX)
                    <= d.max_duration
            })
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
    pub(crate) fn newly_ending(&mut self, now: Moment) -> Vec<ActiveElevation> {
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

    pub(crate) fn status(&self, policy: Option<&Policy>, now: Moment) -> ElevationStatus {
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

pub(crate) fn view(g: &Grant) -> ActiveElevation {
    ActiveElevation {
        name: g.name.clone(),
        request_id: g.request_id.clone(),
        granted_at_ms: g.granted_at.timestamp_millis(),
        expires_at_ms: g.expires_at.timestamp_millis(),
        approver: g.approver.clone(),
    }
}

pub(crate) fn options(policy: &Policy) -> Vec<ElevationOption> {
    policy
        .elevations()
        .values()
        .map(|e| ElevationOption {
            name: e.name.clone(),
            description: e.description.clone(),
            default_duration_s: e.default_duration.as_secs(),
            max_duration_s: e.max_duration.as_secs(),
            approval: match e.approval {
                Approval::Auto => "auto",
                Approval::Manual => "manual",
            },
            justification: match e.justification {
                Justification::Required => "required",
                Justification::Optional => "optional",
            },
            ticket_pattern: e.ticket_pattern.clone(),
        })
        .collect()
}

/// When an approved request's time runs out: its duration counts from the decision.
pub(crate) fn approved_until(request: &PendingRequest, decided_at_ms: i64) -> DateTime<Utc> {
    let ms = decided_at_ms
        .saturating_add(i64::try_from(request.duration_s.saturating_mul(1000)).unwrap_or(i64::MAX));
    // An unrepresentable time is the earliest one: too late, rather than forever.
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// "until 14:05 UTC (15 min)".
pub(crate) fn until_text(grant: &Grant) -> String {
    let span = (grant.expires_at - grant.granted_at)
        .to_std()
        .unwrap_or_default();
    format!(
        "until {} ({})",
        grant.expires_at.format("%H:%M:%S UTC"),
        format_duration(span)
    )
}

/// A desktop notification: what happened, in a line, and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

impl ElevationChanges {
    /// What to tell the analyst outside the window about these changes.
    pub fn notices(&self) -> Vec<Notice> {
        let mut notices = Vec::new();
        for g in &self.granted {
            let by = g
                .approver
                .as_deref()
                .map(|a| format!(" by {a}"))
                .unwrap_or_default();
            notices.push(Notice {
                title: format!("{} granted", g.name),
                body: format!("Approved{by}; it ends at {}.", clock(g.expires_at_ms)),
            });
        }
        for (name, reason) in &self.denied {
            notices.push(Notice {
                title: format!("{name} not granted"),
                body: sentence(reason),
            });
        }
        for g in &self.ending_soon {
            notices.push(Notice {
                title: format!("{} ends at {}", g.name, clock(g.expires_at_ms)),
                body: "Queries that need it and are still running then are cancelled. Save what you need.".into(),
            });
        }
        for e in &self.ended {
            let cancelled = match e.cancelled {
                0 => String::new(),
                1 => " One running query that needed it was cancelled.".into(),
                n => format!(" {n} running queries that needed it were cancelled."),
            };
            notices.push(Notice {
                title: format!("{} has ended", e.name),
                body: format!("You are back to your usual access.{cancelled}"),
            });
        }
        notices
    }
}

/// The notice for a grant the analyst just received from an auto-approving policy.
pub fn granted_notice(grant: &ActiveElevation) -> Notice {
    Notice {
        title: format!("{} granted", grant.name),
        body: format!(
            "Approved by policy; it ends at {}.",
            clock(grant.expires_at_ms)
        ),
    }
}

/// Backend reasons start in lower case to sit inside sentences; a notification body is one.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn clock(ms: i64) -> String {
    use chrono::Local;
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.with_timezone(&Local).format("%H:%M").to_string())
        .unwrap_or_else(|| "an unknown time".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active(name: &str, approver: Option<&str>) -> ActiveElevation {
        ActiveElevation {
            name: name.into(),
            request_id: "r".into(),
            granted_at_ms: 0,
            expires_at_ms: 3_600_000,
            approver: approver.map(str::to_string),
        }
    }

    #[test]
    fn each_change_is_told_in_plain_words() {
        let changes = ElevationChanges {
            granted: vec![active("large-scan", Some("bob"))],
            denied: vec![("restricted-read".into(), "use the masked view".into())],
            ended: vec![EndedElevation {
                name: "pii-read".into(),
                cancelled: 2,
            }],
            ending_soon: vec![active("large-scan", Some("bob"))],
            errors: vec![],
        };
        let notices = changes.notices();
        let titles: Vec<&str> = notices.iter().map(|n| n.title.as_str()).collect();
        assert_eq!(titles[0], "large-scan granted");
        assert!(
            notices[0].body.starts_with("Approved by bob; it ends at "),
            "{}",
            notices[0].body
        );
        assert_eq!(titles[1], "restricted-read not granted");
        assert_eq!(notices[1].body, "Use the masked view");
        assert!(titles[2].starts_with("large-scan ends at "));
        assert_eq!(titles[3], "pii-read has ended");
        assert!(
            notices[3]
                .body
                .ends_with("2 running queries that needed it were cancelled."),
            "{}",
            notices[3].body
        );
        assert!(ElevationChanges::default().notices().is_empty());
        assert!(granted_notice(&active("pii-read", None))
            .body
            .starts_with("Approved by policy"));
    }

    #[test]
    fn a_request_nobody_answers_times_out_after_an_hour() {
        let mut state = Elevations::new(None);
        let now = Moment::now();
        let request = PendingRequest {
            id: "01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f00".into(),
            name: "large-scan".into(),
            requester: "ana".into(),
            requested_at_ms: 0,
            duration_s: 600,
            reason: String::new(),
        };
        state.wait_for(request, now.mono);
        assert!(state
            .timed_out(now.after(PENDING_TIMEOUT - Duration::from_secs(1)))
            .is_empty());
        assert_eq!(state.timed_out(now.after(PENDING_TIMEOUT)).len(), 1);
    }
}
