//! What the window shows about elevation: the options the policy offers, the grants held, the
//! requests waiting and the ones refused. Plain data, serialised for the window.

use std::time::Duration;

use serde::Serialize;
use warden_guardrails::{Approval, Justification, Policy};

use crate::Grant;

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

/// A grant that holds, as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveElevation {
    pub name: String,
    pub request_id: String,
    pub granted_at_ms: i64,
    pub expires_at_ms: i64,
    pub approver: Option<String>,
}

/// A request waiting for an approver.
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

/// A grant as the window shows it.
pub fn view(g: &Grant) -> ActiveElevation {
    ActiveElevation {
        name: g.name.clone(),
        request_id: g.request_id.clone(),
        granted_at_ms: g.granted_at.timestamp_millis(),
        expires_at_ms: g.expires_at.timestamp_millis(),
        approver: g.approver.clone(),
    }
}

pub fn options(policy: &Policy) -> Vec<ElevationOption> {
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
