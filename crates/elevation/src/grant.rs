use std::time::Instant;

use chrono::{DateTime, Utc};

/// An elevation someone may use until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The request this grant answers; ties its audit events together.
    pub request_id: String,
    pub name: String,
    pub granted_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The same end on the monotonic clock, which a user cannot set back.
    pub expires_mono: Instant,
    /// Who approved it; `None` when the policy approved it automatically.
    pub approver: Option<String>,
}

impl Grant {
    /// A grant lasting `duration` from `now`.
    pub fn starting(request_id: String, name: String, now: crate::Moment, duration: std::time::Duration, approver: Option<String>) -> Self {
        let span = chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::zero());
        Self {
            request_id,
            name,
            granted_at: now.wall,
            expires_at: now.wall + span,
            expires_mono: now.mono + duration,
            approver,
        }
    }

    /// Whether the grant still holds at `now`: both clocks must agree.
    pub fn holds_at(&self, now: crate::Moment) -> bool {
        now.wall < self.expires_at && now.mono < self.expires_mono
    }
}
