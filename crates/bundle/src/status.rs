//! `warden bundle status`: what is in force, where it came from, and how the last fetch went.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::cache::{AcceptOutcome, CacheState};
use crate::error::BundleError;
use crate::verify::VerifiedBundle;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FetchResult {
    Updated,
    Unchanged,
    /// The source answered, but the bundle was refused.
    Refused,
    /// The source could not be reached or answered with an error.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchVerdict {
    pub at: DateTime<Utc>,
    pub result: FetchResult,
    pub message: String,
}

impl FetchVerdict {
    pub(crate) fn from_outcome(outcome: &AcceptOutcome, at: DateTime<Utc>) -> Self {
        match outcome {
            AcceptOutcome::Unchanged { revision } => Self::unchanged(Some(*revision), at),
            AcceptOutcome::Updated {
                previous: Some(p),
                revision,
            } => Self {
                at,
                result: FetchResult::Updated,
                message: format!("updated from revision {p} to revision {revision}"),
            },
            AcceptOutcome::Updated {
                previous: None,
                revision,
            } => Self {
                at,
                result: FetchResult::Updated,
                message: format!("accepted revision {revision}"),
            },
        }
    }

    pub(crate) fn unchanged(revision: Option<u64>, at: DateTime<Utc>) -> Self {
        let message = match revision {
            Some(r) => format!("unchanged, revision {r}"),
            None => "unchanged".to_string(),
        };
        Self {
            at,
            result: FetchResult::Unchanged,
            message,
        }
    }

    pub(crate) fn failure(error: &BundleError, at: DateTime<Utc>) -> Self {
        let result = if error.is_transport() {
            FetchResult::Failed
        } else {
            FetchResult::Refused
        };
        Self {
            at,
            result,
            message: error.to_string(),
        }
    }
}

/// Whether queries may run, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Valid,
    /// Past `expires_at` but within the grace period: still enforced, show a warning.
    Grace,
    /// Nothing may run; `reason` says why.
    Blocked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub health: Health,
    /// Why nothing may run, when `health` is `blocked`.
    pub reason: Option<String>,
    /// What to tell the user while `health` is `grace`.
    pub warning: Option<String>,
    pub name: Option<String>,
    pub revision: Option<u64>,
    pub source: Option<String>,
    pub fetched_at: Option<DateTime<Utc>>,
    pub issued_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub key_id: Option<String>,
    pub last_fetch: Option<FetchVerdict>,
}

impl Status {
    pub(crate) fn new(
        current: Option<&VerifiedBundle>,
        state: &CacheState,
        blocked: Option<BundleError>,
        now: DateTime<Utc>,
        grace: Duration,
    ) -> Self {
        let health = match (&blocked, current) {
            (Some(_), _) => Health::Blocked,
            (None, Some(b)) if now >= b.expires_at() => Health::Grace,
            _ => Health::Valid,
        };
        let warning = match (health, current) {
            (Health::Grace, Some(b)) => Some(format!(
                "the policy bundle expired at {}; queries will be refused from {} unless a fresh bundle is fetched",
                b.expires_at().to_rfc3339(),
                (b.expires_at() + grace).to_rfc3339()
            )),
            _ => None,
        };
        Self {
            health,
            reason: blocked.map(|e| e.to_string()),
            warning,
            name: current.map(|b| b.name().to_string()),
            revision: current.map(VerifiedBundle::revision),
            source: state.source.clone(),
            fetched_at: state.fetched_at,
            issued_at: current.map(VerifiedBundle::issued_at),
            expires_at: current.map(VerifiedBundle::expires_at),
            key_id: current.map(|b| b.key_id().to_string()),
            last_fetch: state.last_fetch.clone(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()))
    }
}
