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
    /// A grant lasting `duration` from `now`; refused when either clock cannot represent its end
    /// (policies cap elevations at 7 days, so only a broken caller gets here).
    pub fn starting(
        request_id: String,
        name: String,
        now: crate::Moment,
        duration: std::time::Duration,
        approver: Option<String>,
    ) -> Result<Self, crate::ElevationError> {
        let out_of_range = || crate::ElevationError::OutOfRange { name: name.clone() };
        let span = chrono::Duration::from_std(duration).map_err(|_| out_of_range())?;
        let expires_at = now.wall.checked_add_signed(span).ok_or_else(out_of_range)?;
        let expires_mono = now.mono.checked_add(duration).ok_or_else(out_of_range)?;
        Ok(Self {
            request_id,
            name,
            granted_at: now.wall,
            expires_at,
            expires_mono,
            approver,
        })
    }

    /// Whether the grant still holds at `now`: both clocks must agree.
    pub fn holds_at(&self, now: crate::Moment) -> bool {
        now.wall < self.expires_at && now.mono < self.expires_mono
    }
}
