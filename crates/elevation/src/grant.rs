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
    /// When it was last extended; its length is counted from then against the policy's
    /// `max_duration` (an extension may not end it more than that from when it was given).
    pub extended_at: Option<DateTime<Utc>>,
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
            extended_at: None,
        })
    }

    /// How long it holds counted from when it was given or last extended: never more than
    /// the policy's `max_duration` allows.
    pub fn span(&self) -> std::time::Duration {
        (self.expires_at - self.extended_at.unwrap_or(self.granted_at))
            .to_std()
            .unwrap_or(std::time::Duration::MAX)
    }

    /// Whether the grant still holds at `now`: both clocks must agree.
    pub fn holds_at(&self, now: crate::Moment) -> bool {
        now.wall < self.expires_at && now.mono < self.expires_mono
    }
}
