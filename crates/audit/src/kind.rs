use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What happened. Stored as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    AppStarted,
    BundleUpdated,
    BundleRejected,
    QueryBlocked,
    QueryStarted,
    QueryFinished,
    QueryFailed,
    QueryCancelled,
    ElevationRequested,
    ElevationGranted,
    ElevationDenied,
    ElevationExpired,
    ElevationRevoked,
    ElevationExtended,
    Lockout,
    CredentialsWiped,
    SignedIn,
    SignedOut,
    SignInFailed,
    TokenRefreshed,
    CredentialsIssued,
    StoreTampering,
    ResultExported,
    BrokerActionStarted,
    BrokerActionEnded,
}

impl Kind {
    pub const ALL: [Kind; 25] = [
        Kind::AppStarted,
        Kind::BundleUpdated,
        Kind::BundleRejected,
        Kind::QueryBlocked,
        Kind::QueryStarted,
        Kind::QueryFinished,
        Kind::QueryFailed,
        Kind::QueryCancelled,
        Kind::ElevationRequested,
        Kind::ElevationGranted,
        Kind::ElevationDenied,
        Kind::ElevationExpired,
        Kind::ElevationRevoked,
        Kind::ElevationExtended,
        Kind::Lockout,
        Kind::CredentialsWiped,
        Kind::SignedIn,
        Kind::SignedOut,
        Kind::SignInFailed,
        Kind::TokenRefreshed,
        Kind::CredentialsIssued,
        Kind::StoreTampering,
        Kind::ResultExported,
        Kind::BrokerActionStarted,
        Kind::BrokerActionEnded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::AppStarted => "app_started",
            Kind::BundleUpdated => "bundle_updated",
            Kind::BundleRejected => "bundle_rejected",
            Kind::QueryBlocked => "query_blocked",
            Kind::QueryStarted => "query_started",
            Kind::QueryFinished => "query_finished",
            Kind::QueryFailed => "query_failed",
            Kind::QueryCancelled => "query_cancelled",
            Kind::ElevationRequested => "elevation_requested",
            Kind::ElevationGranted => "elevation_granted",
            Kind::ElevationDenied => "elevation_denied",
            Kind::ElevationExpired => "elevation_expired",
            Kind::ElevationRevoked => "elevation_revoked",
            Kind::ElevationExtended => "elevation_extended",
            Kind::Lockout => "lockout",
            Kind::CredentialsWiped => "credentials_wiped",
            Kind::SignedIn => "signed_in",
            Kind::SignedOut => "signed_out",
            Kind::SignInFailed => "sign_in_failed",
            Kind::TokenRefreshed => "token_refreshed",
            Kind::CredentialsIssued => "credentials_issued",
            Kind::StoreTampering => "store_tampering",
            Kind::ResultExported => "result_exported",
            Kind::BrokerActionStarted => "broker_action_started",
            Kind::BrokerActionEnded => "broker_action_ended",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "unknown event kind {s:?}; expected one of: {}",
                    known.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for kind in Kind::ALL {
            assert_eq!(kind.as_str().parse::<Kind>().unwrap(), kind);
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
        }
        let err = "query_ran".parse::<Kind>().unwrap_err();
        assert!(err.contains("query_finished"), "{err}");
    }
}
