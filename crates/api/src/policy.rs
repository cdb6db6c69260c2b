//! The policy bundle in force, as the banner and status bar show it.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use ts_rs::TS;
use warden_core::{FetchResult, Gate, PolicyHealth};

/// Whether queries may run, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(rename = "PolicyHealth")]
pub enum Health {
    Valid,
    /// Past `expires_at` but within the grace period: still enforced, with a warning.
    Grace,
    /// Nothing may run; `reason` says why.
    Blocked,
}

impl From<PolicyHealth> for Health {
    fn from(h: PolicyHealth) -> Self {
        match h {
            PolicyHealth::Valid => Self::Valid,
            PolicyHealth::Grace => Self::Grace,
            PolicyHealth::Blocked => Self::Blocked,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum FetchOutcome {
    Updated,
    Unchanged,
    /// The source answered, but the bundle was refused.
    Refused,
    /// The source could not be reached or answered with an error.
    Failed,
}

impl From<FetchResult> for FetchOutcome {
    fn from(r: FetchResult) -> Self {
        match r {
            FetchResult::Updated => Self::Updated,
            FetchResult::Unchanged => Self::Unchanged,
            FetchResult::Refused => Self::Refused,
            FetchResult::Failed => Self::Failed,
        }
    }
}

/// The outcome of the last attempt to fetch the policy bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct FetchVerdict {
    /// RFC 3339.
    pub at: String,
    pub result: FetchOutcome,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PolicyStatus {
    pub health: Health,
    /// Why nothing may run (health `blocked`).
    pub reason: Option<String>,
    /// What to tell the user while in `grace` (expired, still enforced for a while).
    pub warning: Option<String>,
    pub name: Option<String>,
    pub revision: Option<u64>,
    pub source: Option<String>,
    /// RFC 3339, like every time below.
    pub fetched_at: Option<String>,
    pub issued_at: Option<String>,
    pub expires_at: Option<String>,
    pub key_id: Option<String>,
    pub last_fetch: Option<FetchVerdict>,
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl From<&warden_core::PolicyStatus> for PolicyStatus {
    fn from(s: &warden_core::PolicyStatus) -> Self {
        Self {
            health: s.health.into(),
            reason: s.reason.clone(),
            warning: s.warning.clone(),
            name: s.name.clone(),
            revision: s.revision,
            source: s.source.clone(),
            fetched_at: s.fetched_at.map(rfc3339),
            issued_at: s.issued_at.map(rfc3339),
            expires_at: s.expires_at.map(rfc3339),
            key_id: s.key_id.clone(),
            last_fetch: s.last_fetch.as_ref().map(|f| FetchVerdict {
                at: rfc3339(f.at),
                result: f.result.into(),
                message: f.message.clone(),
            }),
        }
    }
}

/// `policy_status`.
pub fn policy_status(gate: &Gate) -> PolicyStatus {
    (&gate.policy_status()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_chrono_writes_them_and_fields_are_camel_case() {
        let at: DateTime<Utc> = "2026-01-02T03:04:05.678Z".parse().expect("a time");
        let core: warden_core::PolicyStatus = serde_json::from_value(serde_json::json!({
            "health": "grace", "reason": null, "warning": "expired", "name": "demo",
            "revision": 3, "source": null, "fetched_at": at, "issued_at": null,
            "expires_at": null, "key_id": "k1",
            "last_fetch": { "at": at, "result": "unchanged", "message": "unchanged, revision 3" }
        }))
        .expect("a status");
        let wire = serde_json::to_value(PolicyStatus::from(&core)).expect("serialises");
        assert_eq!(wire["health"], "grace");
        assert_eq!(wire["fetchedAt"], serde_json::to_value(at).expect("a time"));
        assert_eq!(wire["keyId"], "k1");
        assert_eq!(wire["lastFetch"]["result"], "unchanged");
        assert_eq!(wire["lastFetch"]["at"], "2026-01-02T03:04:05.678Z");
    }
}
