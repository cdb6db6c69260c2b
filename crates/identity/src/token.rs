//! The SSO access token as kept in the keyring, and when it must be refreshed.

use serde::{Deserialize, Serialize};

use crate::clients::now;
use crate::secret::Secret;

/// From this many seconds before expiry a refresh is tried; a failure keeps the old token.
pub const REFRESH_OPTIONAL: i64 = 15 * 60;
/// From this many seconds before expiry a refresh must succeed.
pub const REFRESH_MANDATORY: i64 = 10 * 60;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessToken {
    pub token: Secret,
    /// Unix seconds.
    pub expires_at: i64,
    /// How the session was started (`browser` or `device_code`).
    pub method: String,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    RefreshOptional,
    RefreshMandatory,
}

impl AccessToken {
    pub fn freshness(&self) -> Freshness {
        let left = self.expires_at - now();
        if left > REFRESH_OPTIONAL {
            Freshness::Fresh
        } else if left > REFRESH_MANDATORY {
            Freshness::RefreshOptional
        } else {
            Freshness::RefreshMandatory
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_follow_the_aws_cli() {
        let t = |left: i64| AccessToken {
            token: Secret::new("t"),
            expires_at: now() + left,
            method: "browser".into(),
        };
        assert_eq!(t(3600).freshness(), Freshness::Fresh);
        assert_eq!(t(12 * 60).freshness(), Freshness::RefreshOptional);
        assert_eq!(t(9 * 60).freshness(), Freshness::RefreshMandatory);
        assert_eq!(t(-5).freshness(), Freshness::RefreshMandatory);
    }
}
