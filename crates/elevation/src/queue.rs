//! What the gate needs of an approval queue. [`Approvals`] (a folder) is the queue the app uses;
//! a test can put one in front of it whose writes block, to prove what waits on them.

use chrono::{DateTime, Utc};

use crate::{Approvals, Decision, DecisionRecord, ElevationError, PendingRequest, Validated};

pub trait Queue: Send + Sync {
    /// Writes `request` durably; the approver sees it from then on.
    fn submit(
        &self,
        request: &Validated,
        requester: &str,
        now: DateTime<Utc>,
    ) -> Result<PendingRequest, ElevationError>;
    /// The decision on request `id`, if there is one yet.
    fn decision(&self, id: &str) -> Result<Option<DecisionRecord>, ElevationError>;
    /// Decides request `id`, once.
    fn decide(
        &self,
        id: &str,
        decision: Decision,
        approver: &str,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<DecisionRecord, ElevationError>;
    /// Whether an approver may decide their own request (the demo workspace only).
    fn allows_self_approval(&self) -> bool;
}

impl Queue for Approvals {
    fn submit(
        &self,
        request: &Validated,
        requester: &str,
        now: DateTime<Utc>,
    ) -> Result<PendingRequest, ElevationError> {
        Approvals::submit(self, request, requester, now)
    }
    fn decision(&self, id: &str) -> Result<Option<DecisionRecord>, ElevationError> {
        Approvals::decision(self, id)
    }
    fn decide(
        &self,
        id: &str,
        decision: Decision,
        approver: &str,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<DecisionRecord, ElevationError> {
        Approvals::decide(self, id, decision, approver, reason, now)
    }
    fn allows_self_approval(&self) -> bool {
        Approvals::allows_self_approval(self)
    }
}
