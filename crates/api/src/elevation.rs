//! Just-in-time elevation as the window sees it: what can be asked for, asking, ending early.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use warden_core::{extended_notice, granted_notice, Gate, Home, Notice, Outcome as CoreOutcome};

use crate::error::ApiError;

/// Who grants a request: the policy by itself, or an approver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Approval {
    Auto,
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Justification {
    Required,
    Optional,
}

/// One elevation the policy in force defines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ElevationOption {
    pub name: String,
    pub description: String,
    pub default_duration_s: u64,
    pub max_duration_s: u64,
    pub approval: Approval,
    pub justification: Justification,
    /// A regex the whole ticket must match; null: the request takes no ticket.
    pub ticket_pattern: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActiveElevation {
    pub name: String,
    pub request_id: String,
    pub granted_at_ms: i64,
    pub expires_at_ms: i64,
    /// Who approved it; null when the policy approved it by itself.
    pub approver: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PendingElevation {
    pub request_id: String,
    pub name: String,
    pub requested_at_ms: i64,
}

/// A request that ended without a grant: denied, withdrawn, timed out, or approved too late.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ElevationRefusal {
    pub request_id: String,
    pub name: String,
    /// Plain words, e.g. "denied by alice: not during the freeze".
    pub reason: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ElevationStatus {
    /// Empty when no policy is in force.
    pub options: Vec<ElevationOption>,
    pub active: Vec<ActiveElevation>,
    pub pending: Vec<PendingElevation>,
    /// The latest refusals, newest first (at most 5).
    pub refusals: Vec<ElevationRefusal>,
    /// How long before its end an elevation is announced.
    pub warn_before_s: u64,
    /// Grows with every change on the backend: a smaller one is older news.
    pub version: u64,
}

impl From<&warden_core::ElevationStatus> for ElevationStatus {
    fn from(s: &warden_core::ElevationStatus) -> Self {
        Self {
            options: s
                .options
                .iter()
                .map(|o| ElevationOption {
                    name: o.name.clone(),
                    description: o.description.clone(),
                    default_duration_s: o.default_duration_s,
                    max_duration_s: o.max_duration_s,
                    // Anything but "auto" needs an approver (fail closed).
                    approval: match o.approval {
                        "auto" => Approval::Auto,
                        _ => Approval::Manual,
                    },
                    justification: match o.justification {
                        "optional" => Justification::Optional,
                        _ => Justification::Required,
                    },
                    ticket_pattern: o.ticket_pattern.clone(),
                })
                .collect(),
            active: s
                .active
                .iter()
                .map(|a| ActiveElevation {
                    name: a.name.clone(),
                    request_id: a.request_id.clone(),
                    granted_at_ms: a.granted_at_ms,
                    expires_at_ms: a.expires_at_ms,
                    approver: a.approver.clone(),
                })
                .collect(),
            pending: s
                .pending
                .iter()
                .map(|p| PendingElevation {
                    request_id: p.request_id.clone(),
                    name: p.name.clone(),
                    requested_at_ms: p.requested_at_ms,
                })
                .collect(),
            refusals: s
                .refusals
                .iter()
                .map(|r| ElevationRefusal {
                    request_id: r.request_id.clone(),
                    name: r.name.clone(),
                    reason: r.reason.clone(),
                    at_ms: r.at_ms,
                })
                .collect(),
            warn_before_s: s.warn_before_s,
            version: s.version,
        }
    }
}

/// What the window asks for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ElevationRequest {
    pub name: String,
    /// Null asks for the elevation's default duration.
    pub duration_s: Option<u64>,
    pub justification: String,
    pub ticket: Option<String>,
    /// Asks for more time on a held grant: its `requestId` (an extension; `durationS` is
    /// then how much longer). Demo workspaces only so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub extends: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Granted,
    Pending,
    Denied,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ElevationDecision {
    pub outcome: Outcome,
    pub name: String,
    /// Plain words, shown as is.
    pub message: String,
    /// When granted.
    pub expires_at_ms: Option<i64>,
    /// When pending.
    pub request_id: Option<String>,
    pub status: ElevationStatus,
}

/// `elevation_status`.
pub fn elevation_status(gate: &Gate) -> ElevationStatus {
    (&gate.elevation_status()).into()
}

/// `request_elevation`: the decision, and the desktop notification a grant deserves. Blocks on
/// the journal and the approval queue: call it off the window's thread.
pub fn request_elevation(
    gate: &Gate,
    request: ElevationRequest,
) -> Result<(ElevationDecision, Vec<Notice>), ApiError> {
    let extension = request.extends.is_some();
    let decision = gate
        .request_elevation(core_request(request))
        .map_err(ApiError::from_request)?;
    let notices = match decision.outcome {
        CoreOutcome::Granted => decision
            .status
            .active
            .iter()
            .filter(|a| a.name == decision.name)
            .take(1)
            .map(|a| {
                if extension {
                    extended_notice(a)
                } else {
                    granted_notice(a)
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok((wire(decision), notices))
}

/// `request_elevation` on an AWS workspace (`kind = "athena"`): sent to the broker's queue as
/// the person signed in, then waited on in the background; the grant is held in `gate` with its
/// own credentials, and told by the gate's next check (granted or not, with a notification).
pub async fn request_aws_elevation(
    home: &Home,
    gate: Arc<Gate>,
    request: ElevationRequest,
) -> Result<ElevationDecision, ApiError> {
    let decision = warden_core::aws_hold::request(home, gate, core_request(request))
        .await
        .map_err(ApiError::from_request)?;
    Ok(wire(decision))
}

/// `end_elevation` on an AWS workspace: ends it in `gate` as on the demo, and a grant also at
/// the broker.
pub async fn end_aws_elevation(
    home: &Home,
    gate: Arc<Gate>,
    name: &str,
) -> Result<ElevationStatus, ApiError> {
    let status = warden_core::aws_hold::end(home, gate, name).await?;
    Ok((&status).into())
}

fn core_request(request: ElevationRequest) -> warden_core::ElevationRequest {
    warden_core::ElevationRequest {
        name: request.name,
        duration: request.duration_s.map(Duration::from_secs),
        justification: request.justification,
        ticket: request.ticket,
        extends: request.extends,
    }
}

fn wire(decision: warden_core::ElevationDecision) -> ElevationDecision {
    let outcome = match decision.outcome {
        CoreOutcome::Granted => Outcome::Granted,
        CoreOutcome::Pending => Outcome::Pending,
        CoreOutcome::Denied => Outcome::Denied,
    };
    ElevationDecision {
        outcome,
        name: decision.name,
        message: decision.message,
        expires_at_ms: decision.expires_at_ms,
        request_id: decision.request_id,
        status: (&decision.status).into(),
    }
}

/// `end_elevation`: ends a grant early, or withdraws a request still waiting for an approver.
/// Blocks like `request_elevation`.
pub fn end_elevation(gate: &Gate, name: &str) -> Result<ElevationStatus, ApiError> {
    let (status, _ended) = gate.end_elevation(name)?;
    Ok((&status).into())
}
