//! The Approvals panel of an AWS workspace: the requests of others waiting for a decision, the
//! grants the signed-in approver approved, and approving, denying or revoking them. The same
//! `warden_core::aws_queue` calls as `warden elevation list|approve|deny|revoke`; the broker
//! judges every decision and revocation by the key it was written under.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use warden_core::aws_queue::{self, HeldGrant, OpenRequest, Revocation};
use warden_core::{CoreError, Decision, ElevationError, Home};

use crate::error::ApiError;

/// A request by someone else, waiting for a decision. Everything but `requester` (the key's
/// writer) and the times was written by the requester: the window shows it as text only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalRequest {
    pub id: String,
    pub name: String,
    pub requester: String,
    pub requested_at_ms: i64,
    pub duration_s: u64,
    pub justification: String,
    pub ticket: Option<String>,
    /// The broker refused the signed-in approver's decision on it (not in the elevation's
    /// approver group, unknown to the identity store, ...): it did not count, and the request
    /// waits for another approver.
    pub refused_yours: bool,
    /// Why, as the broker said (`null` from a broker that kept only the refusal, or when
    /// nothing was refused).
    pub refused_why: Option<String>,
    /// An extension: the grant it asks more time on (`null` for a request of its own).
    pub extends: Option<ExtensionOf>,
}

/// The grant an extension adds time to, as the broker's record has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExtensionOf {
    /// The grant's request id.
    pub grant_id: String,
    /// When the grant ends now; `null` when it no longer holds (the broker refuses the
    /// extension then).
    pub ends_at_ms: Option<i64>,
    /// When it would end with the time asked added now (the broker caps it at the policy's
    /// maximum from its decision).
    pub would_end_at_ms: Option<i64>,
}

/// A grant that holds and that the signed-in approver approved: theirs to revoke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ApprovedGrant {
    pub id: String,
    pub name: String,
    pub requester: String,
    pub granted_at_ms: Option<i64>,
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Approvals {
    /// The signed-in approver's `aws:userid` (the prefix their decisions are written under).
    pub me: String,
    /// Oldest first; never the approver's own.
    pub requests: Vec<ApprovalRequest>,
    /// Soonest end first.
    pub grants: Vec<ApprovedGrant>,
    /// Objects in the bucket that could not be read, in words; the rest is listed.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalVerb {
    Approve,
    Deny,
    Revoke,
}

/// What the approver did in the panel.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalAction {
    /// The request (or, to revoke, the grant) id.
    pub id: String,
    pub verb: ApprovalVerb,
    /// Required to deny and to revoke; optional to approve.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalDone {
    /// Plain words, shown as is.
    pub message: String,
    /// The panel as it is now.
    pub approvals: Approvals,
}

/// The panel's content from what the queue holds: requests by `me` are left out (nobody
/// decides their own).
pub fn view(
    me: &str,
    open: Vec<OpenRequest>,
    grants: Vec<HeldGrant>,
    problems: Vec<String>,
) -> Approvals {
    Approvals {
        me: me.to_string(),
        requests: open
            .into_iter()
            .filter(|r| !warden_core::same_person(&r.requester, me))
            .map(|r| {
                let yours = r
                    .refused
                    .iter()
                    .find(|d| warden_core::same_person(&d.approver, me));
                ApprovalRequest {
                    refused_yours: yours.is_some(),
                    refused_why: yours.and_then(|d| d.reason.clone()),
                    id: r.id,
                    name: r.name,
                    requester: r.requester,
                    requested_at_ms: r.requested_at_ms,
                    duration_s: r.duration_s,
                    justification: r.justification,
                    ticket: r.ticket,
                    extends: r.extends.map(|x| ExtensionOf {
                        grant_id: x.id,
                        ends_at_ms: x.ends_at_ms,
                        would_end_at_ms: x.would_end_at_ms,
                    }),
                }
            })
            .collect(),
        grants: grants
            .into_iter()
            .map(|g| ApprovedGrant {
                id: g.id,
                name: g.name,
                requester: g.requester,
                granted_at_ms: g.granted_at_ms,
                expires_at_ms: g.expires_at_ms,
            })
            .collect(),
        problems,
    }
}

/// `approvals`: what the approver signed in to `workspace` has to decide and may revoke.
pub async fn approvals(home: &Home, workspace: &str) -> Result<Approvals, ApiError> {
    let queue = aws_queue::open(home, Some(workspace))
        .await
        .map_err(ApiError::from_request)?;
    read(&queue).await
}

async fn read(queue: &warden_core::aws_queue::S3Queue) -> Result<Approvals, ApiError> {
    let (open, mut problems) = aws_queue::open_requests(queue)
        .await
        .map_err(ApiError::from_request)?;
    let (grants, damaged) = aws_queue::approved_grants(queue)
        .await
        .map_err(ApiError::from_request)?;
    for d in damaged {
        if !problems.contains(&d) {
            problems.push(d);
        }
    }
    Ok(view(queue.me(), open, grants, problems))
}

/// `act_on_approval`: approves, denies or revokes as the approver signed in to `workspace`,
/// then reads the panel again. Refusals (already decided, one's own, not a grant that holds, a
/// reason missing) are `invalid` with the reason in words; nothing was written then.
pub async fn act(
    home: &Home,
    workspace: &str,
    action: ApprovalAction,
) -> Result<ApprovalDone, ApiError> {
    let queue = aws_queue::open(home, Some(workspace))
        .await
        .map_err(ApiError::from_request)?;
    let message = perform(&queue, &action).await?;
    Ok(ApprovalDone {
        message,
        approvals: read(&queue).await?,
    })
}

async fn perform(
    queue: &warden_core::aws_queue::S3Queue,
    action: &ApprovalAction,
) -> Result<String, ApiError> {
    let reason = action
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let id = action.id.as_str();
    match action.verb {
        ApprovalVerb::Approve | ApprovalVerb::Deny => {
            let decision = match action.verb {
                ApprovalVerb::Approve => Decision::Approve,
                _ => Decision::Deny,
            };
            if decision == Decision::Deny && reason.is_none() {
                return Err(refused(ElevationError::DenialWithoutReason));
            }
            let record = aws_queue::decide(queue, id, decision, reason)
                .await
                .map_err(ApiError::from_request)?;
            Ok(format!(
                "{} {} for {}; the broker judges it at its next pass",
                capitalised(record.decision.past_tense()),
                record.name,
                record.requester
            ))
        }
        ApprovalVerb::Revoke => {
            let Some(reason) = reason else {
                return Err(ApiError::invalid(
                    "a revocation needs a reason the requester can act on",
                ));
            };
            match aws_queue::revoke(queue, id, reason)
                .await
                .map_err(ApiError::from_request)?
            {
                Revocation::Written(r) => Ok(format!(
                    "Revoked {} of {}; the broker ends it at its next pass",
                    r.name, r.requester
                )),
                Revocation::EndedOwn(r) => Ok(format!(
                    "Ended your own grant of {}; the broker ends it at its next pass",
                    r.name
                )),
                Revocation::NotHeld(why) => Err(ApiError::invalid(why)),
            }
        }
    }
}

fn refused(e: ElevationError) -> ApiError {
    ApiError::from_request(CoreError::Elevation(e))
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_core::aws_queue::RefusedDecision;

    fn open(id: &str, requester: &str) -> OpenRequest {
        OpenRequest {
            id: id.into(),
            name: "pii-read".into(),
            requester: requester.into(),
            requested_at_ms: 1_800_000_000_000,
            duration_s: 900,
            justification: "fraud case 7".into(),
            ticket: Some("INC-7".into()),
            refused: vec![],
            extends: None,
        }
    }

    #[test]
    fn the_panel_leaves_out_the_approvers_own_requests_and_speaks_camel_case() {
        let me = "AROAEXAMPLE:bob@example.com";
        let grant = HeldGrant {
            id: "g".into(),
            name: "large-scan".into(),
            requester: "AROAEXAMPLE:ana@example.com".into(),
            approver: Some(me.into()),
            granted_at_ms: Some(1),
            expires_at_ms: 2,
        };
        let refused = OpenRequest {
            refused: vec![
                RefusedDecision {
                    approver: "AROAEXAMPLE:cy@example.com".into(),
                    reason: Some("cy is not in the approver group".into()),
                },
                RefusedDecision {
                    approver: me.into(),
                    reason: Some(
                        "bob@example.com is not in the approver group data-approvers".into(),
                    ),
                },
            ],
            ..open("c", "AROAEXAMPLE:ana@example.com")
        };
        let mut approvals = view(
            me,
            vec![
                open("a", "AROAEXAMPLE:ana@example.com"),
                open("b", me),
                refused,
                OpenRequest {
                    extends: Some(warden_core::aws_queue::ExtendedGrant {
                        id: "g".into(),
                        ends_at_ms: Some(2),
                        would_end_at_ms: Some(900_002),
                    }),
                    ..open("d", "AROAEXAMPLE:ana@example.com")
                },
            ],
            vec![grant],
            vec!["s3://b/requests/x is damaged".into()],
        );
        assert_eq!(
            approvals
                .requests
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>(),
            ["a", "c", "d"]
        );
        // An extension names the grant, its end and the end it asks for.
        assert_eq!(
            serde_json::to_value(&approvals.requests[2]).unwrap()["extends"],
            serde_json::json!({"grantId": "g", "endsAtMs": 2, "wouldEndAtMs": 900_002})
        );
        // Refused for this approver: shown, saying so; another's refusal is not theirs.
        assert_eq!(
            approvals
                .requests
                .iter()
                .map(|r| (r.refused_yours, r.refused_why.as_deref()))
                .collect::<Vec<_>>(),
            [
                (false, None),
                (
                    true,
                    Some("bob@example.com is not in the approver group data-approvers")
                ),
                (false, None)
            ]
        );
        approvals.requests.truncate(1);
        assert_eq!(
            serde_json::to_value(&approvals).unwrap(),
            serde_json::json!({
                "me": me,
                "requests": [{
                    "id": "a", "name": "pii-read", "requester": "AROAEXAMPLE:ana@example.com",
                    "requestedAtMs": 1_800_000_000_000_i64, "durationS": 900,
                    "justification": "fraud case 7", "ticket": "INC-7", "refusedYours": false,
                    "refusedWhy": null, "extends": null
                }],
                "grants": [{
                    "id": "g", "name": "large-scan", "requester": "AROAEXAMPLE:ana@example.com",
                    "grantedAtMs": 1, "expiresAtMs": 2
                }],
                "problems": ["s3://b/requests/x is damaged"]
            })
        );
        let action: ApprovalAction = serde_json::from_value(
            serde_json::json!({"id": "a", "verb": "revoke", "reason": "done"}),
        )
        .unwrap();
        assert_eq!(action.verb, ApprovalVerb::Revoke);
    }
}
