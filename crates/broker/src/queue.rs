//! The S3 queue behind [`warden_elevation::Queue`]: what an analyst's or approver's Warden
//! writes and reads. Who asked and who decided come from keys, never from bodies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use warden_elevation::{
    Decision, DecisionRecord, ElevationError, PendingRequest, Queue, Validated,
};

use crate::keys::{
    approval_key, check_id, check_user, request_key, revocation_key, state_key, withdrawal_key, Key,
};
use crate::{BrokerError, Bucket, GrantState, Status, Written};

/// Longest reason an approver may give (as the folder queue).
const MAX_REASON_CHARS: usize = 1000;

/// `requests/<requester>/<id>.json`. No requester inside: the key is the only word on that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestObject {
    pub id: String,
    pub name: String,
    pub duration_s: u64,
    pub justification: String,
    pub ticket: Option<String>,
    pub requested_at_ms: i64,
    /// The age X25519 recipient (`age1...`) the credentials are encrypted to; the client made
    /// the key pair for this request.
    pub recipient: Option<String>,
    /// An extension: the request id of the requester's grant it asks more time on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
}

impl RequestObject {
    /// The request as approvers and `judge` see it, with the requester from the key.
    pub fn pending(&self, requester: &str) -> PendingRequest {
        let reason = match &self.ticket {
            Some(t) if self.justification.is_empty() => format!("[{t}]"),
            Some(t) => format!("[{t}] {}", self.justification),
            None => self.justification.clone(),
        };
        PendingRequest {
            id: self.id.clone(),
            name: self.name.clone(),
            requester: requester.to_string(),
            requested_at_ms: self.requested_at_ms,
            duration_s: self.duration_s,
            reason,
            extends: self.extends.clone(),
        }
    }
}

/// One decision object as read: the approver its body claims, and the record with the
/// approver taken from its key.
pub type ReadApproval = Result<(String, DecisionRecord), String>;

/// `revocations/<revoker>/<id>.json`: an approver ending grant `id` before its time. The body
/// repeats the writer so that a body copied under another key is noticed; the broker takes
/// the revoker from the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationRecord {
    pub id: String,
    pub revoked_by: String,
    pub revoked_at_ms: i64,
    pub reason: String,
    /// The elevation and requester of the grant, as the revoker saw them in `state/`.
    pub name: String,
    pub requester: String,
}

/// One revocation object as read: the revoker its body claims, and the record with the
/// revoker taken from its key.
pub type ReadRevocation = Result<(String, RevocationRecord), String>;

/// A reason as approvers give one: trimmed, at most [`MAX_REASON_CHARS`], no control
/// characters; `None` when empty.
fn checked_reason(reason: Option<&str>) -> Result<Option<String>, ElevationError> {
    let reason = reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    if let Some(r) = &reason {
        let chars = r.chars().count();
        if chars > MAX_REASON_CHARS || r.chars().any(char::is_control) {
            return Err(ElevationError::BadReason {
                chars,
                max: MAX_REASON_CHARS,
            });
        }
    }
    Ok(reason)
}

/// The queue as one signed-in user sees it: `me` is their `aws:userid`, the prefix AWS lets
/// them write under.
#[derive(Debug, Clone)]
pub struct S3Queue {
    bucket: Bucket,
    me: String,
    recipient: Option<String>,
}

impl S3Queue {
    pub fn new(bucket: Bucket, me: &str) -> Result<Self, BrokerError> {
        check_user(me)?;
        Ok(Self {
            bucket,
            me: me.to_string(),
            recipient: None,
        })
    }

    /// The age recipient requests submitted from now on name for their credentials.
    pub fn with_recipient(mut self, recipient: &str) -> Result<Self, BrokerError> {
        recipient
            .parse::<age::x25519::Recipient>()
            .map_err(|_| BrokerError::Invalid {
                what: "age recipient",
                value: recipient.chars().take(100).collect(),
                hint: "an X25519 recipient starts with age1",
            })?;
        self.recipient = Some(recipient.to_string());
        Ok(self)
    }

    pub fn bucket(&self) -> &Bucket {
        &self.bucket
    }

    /// The `aws:userid` this queue writes as.
    pub fn me(&self) -> &str {
        &self.me
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket.name())
    }

    /// Writes a new request under `requests/<me>/`, create-only.
    pub async fn submit_request(
        &self,
        request: &Validated,
        now: DateTime<Utc>,
    ) -> Result<(PendingRequest, RequestObject), BrokerError> {
        let object = RequestObject {
            id: uuid::Uuid::now_v7().to_string(),
            name: request.name.clone(),
            duration_s: request.duration.as_secs(),
            justification: request.justification.clone(),
            ticket: request.ticket.clone(),
            requested_at_ms: now.timestamp_millis(),
            recipient: self.recipient.clone(),
            extends: request.extends.clone(),
        };
        let key = request_key(&self.me, &object.id);
        let body = serde_json::to_vec_pretty(&object).unwrap_or_default();
        match self.bucket.create(&key, body).await? {
            Written::Done(_) => Ok((object.pending(&self.me), object)),
            // A new v7 UUID that exists already: only someone replaying our key gets here.
            Written::Lost => {
                Err(self.damaged(&key, "a request with this new id exists already".into()))
            }
        }
    }

    /// Finds request `id` (whoever made it) by listing `requests/`. An id under more than one
    /// prefix is refused: a copy of someone's id must not make an approver decide for, or
    /// about, the wrong person.
    pub async fn find_request(&self, id: &str) -> Result<(String, RequestObject), BrokerError> {
        check_id(id)?;
        let mut makers: Vec<String> = self
            .bucket
            .list("requests/")
            .await?
            .iter()
            .filter_map(|k| match Key::parse(k) {
                Some(Key::Request { requester, id: i }) if i == id => Some(requester),
                _ => None,
            })
            .collect();
        if makers.len() > 1 {
            return Err(BrokerError::Ambiguous {
                id: id.into(),
                requesters: makers.join(", "),
            });
        }
        let requester = makers
            .pop()
            .ok_or_else(|| BrokerError::UnknownRequest { id: id.into() })?;
        let object = self.read_request(&requester, id).await?;
        Ok((requester, object))
    }

    /// Request `id` of `requester`; its body must name the id its key does.
    pub async fn read_request(
        &self,
        requester: &str,
        id: &str,
    ) -> Result<RequestObject, BrokerError> {
        let key = request_key(requester, id);
        let object = self
            .bucket
            .get(&key)
            .await?
            .ok_or_else(|| BrokerError::UnknownRequest { id: id.into() })?;
        let request: RequestObject = self.parse(&key, &object.body)?;
        if request.id != id {
            return Err(self.damaged(&key, format!("it holds request {}", request.id)));
        }
        Ok(request)
    }

    /// Every decision object on `id`: its key and what it says (see [`ReadApproval`]).
    pub async fn approvals(&self, id: &str) -> Result<Vec<(String, ReadApproval)>, BrokerError> {
        check_id(id)?;
        let mut found = Vec::new();
        for key in self.bucket.list("approvals/").await? {
            if let Some(Key::Approval { approver, id: i }) = Key::parse(&key) {
                if i == id {
                    let read = self.read_approval(&key, &approver, id).await?;
                    found.push((key, read));
                }
            }
        }
        Ok(found)
    }

    /// The decision object at `key`, with the approver from the key.
    /// `Err` when S3 could not be read (the next pass tries again); `Ok(Err(why))` when the
    /// object itself is not an acceptable decision, which is refused for good.
    pub async fn read_approval(
        &self,
        key: &str,
        approver: &str,
        id: &str,
    ) -> Result<ReadApproval, BrokerError> {
        let object = match self.read_object(key).await? {
            Ok(o) => o,
            Err(why) => return Ok(Err(why)),
        };
        let mut record: DecisionRecord = match serde_json::from_slice(&object.body) {
            Ok(r) => r,
            Err(e) => return Ok(Err(format!("not a decision: {e}"))),
        };
        if record.id != id {
            return Ok(Err(format!("it holds the decision on {}", record.id)));
        }
        let claimed = std::mem::replace(&mut record.approver, approver.to_string());
        Ok(Ok((claimed, record)))
    }

    /// The object at `key`: `Ok(Err(why))` when what is there (or not) can never count, `Err`
    /// when S3 did not answer. A passing failure must not refuse a decision or a revocation
    /// for good: both are written once, so a refused one could not be written again.
    async fn read_object(
        &self,
        key: &str,
    ) -> Result<Result<crate::bucket::Object, String>, BrokerError> {
        match self.bucket.get(key).await {
            Ok(Some(o)) => Ok(Ok(o)),
            Ok(None) => Ok(Err("it disappeared".into())),
            Err(e @ BrokerError::TooLarge { .. }) => Ok(Err(e.to_string())),
            Err(e) => Err(e),
        }
    }

    /// The broker's record of request `id`, with its ETag.
    pub async fn state(&self, id: &str) -> Result<Option<(GrantState, String)>, BrokerError> {
        check_id(id)?;
        let key = state_key(id);
        match self.bucket.get(&key).await? {
            None => Ok(None),
            Some(object) => {
                let state: GrantState = self.parse(&key, &object.body)?;
                if state.id != id {
                    return Err(self.damaged(&key, format!("it holds request {}", state.id)));
                }
                Ok(Some((state, object.etag)))
            }
        }
    }

    /// Decides request `id` as `me`: writes `approvals/<me>/<id>.json` once (or, for the
    /// requester's withdrawal, `requests/<me>/<id>.withdrawn.json`).
    pub async fn decide_request(
        &self,
        id: &str,
        decision: Decision,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<DecisionRecord, ElevationError> {
        let remote = |e: BrokerError| ElevationError::Remote {
            url: self.url(""),
            reason: e.to_string(),
        };
        let found = if decision == Decision::Withdraw {
            // Only one's own request is withdrawn: read at one's own key, without listing the
            // bucket (the bucket policy lets analysts list only their own prefixes).
            match check_id(id) {
                Ok(()) => self
                    .read_request(&self.me, id)
                    .await
                    .map(|r| (self.me.clone(), r)),
                Err(e) => Err(e),
            }
        } else {
            self.find_request(id).await
        };
        let (requester, request) = found.map_err(|e| match e {
            BrokerError::UnknownRequest { id } => ElevationError::UnknownRequest { id },
            BrokerError::Invalid { value, .. } => ElevationError::BadRequestId { id: value },
            e => remote(e),
        })?;
        match decision {
            Decision::Withdraw if requester != self.me => {
                return Err(ElevationError::NotYours {
                    requester,
                    id: id.into(),
                })
            }
            Decision::Approve | Decision::Deny
                if warden_elevation::same_person(&requester, &self.me) =>
            {
                return Err(ElevationError::SelfApproval {
                    user: self.me.clone(),
                    id: id.into(),
                })
            }
            _ => {}
        }
        let reason = checked_reason(reason)?;
        if decision == Decision::Deny && reason.is_none() {
            return Err(ElevationError::DenialWithoutReason);
        }
        let record = DecisionRecord {
            id: id.into(),
            decision,
            approver: self.me.clone(),
            decided_at_ms: now.timestamp_millis(),
            reason,
            name: request.name.clone(),
            duration_s: request.duration_s,
            requester,
        };
        let key = match decision {
            Decision::Withdraw => withdrawal_key(&self.me, id),
            _ => approval_key(&self.me, id),
        };
        let body = serde_json::to_vec_pretty(&record).unwrap_or_default();
        match self.bucket.create(&key, body).await.map_err(remote)? {
            Written::Done(_) => Ok(record),
            Written::Lost => Err(ElevationError::AlreadyDecided {
                id: id.into(),
                decision: "decided".into(),
                approver: self.me.clone(),
            }),
        }
    }

    /// Revokes grant `id` as `me`: writes `revocations/<me>/<id>.json` once. `state` is the
    /// broker's record the revoker read (the grant's name and requester go into the body). The
    /// broker alone decides whether it counts (docs/elevation.md, "Revoking").
    pub async fn write_revocation(
        &self,
        state: &GrantState,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<RevocationRecord, ElevationError> {
        let reason = checked_reason(Some(reason))?.ok_or(ElevationError::DenialWithoutReason)?;
        let record = RevocationRecord {
            id: state.id.clone(),
            revoked_by: self.me.clone(),
            revoked_at_ms: now.timestamp_millis(),
            reason,
            name: state.name.clone(),
            requester: state.requester.clone(),
        };
        let key = revocation_key(&self.me, &state.id);
        let body = serde_json::to_vec_pretty(&record).unwrap_or_default();
        let written = self
            .bucket
            .create(&key, body)
            .await
            .map_err(|e| ElevationError::Remote {
                url: self.url(&key),
                reason: e.to_string(),
            })?;
        match written {
            Written::Done(_) => Ok(record),
            Written::Lost => Err(ElevationError::AlreadyDecided {
                id: state.id.clone(),
                decision: "revoked (the broker ends it at its next pass)".into(),
                approver: self.me.clone(),
            }),
        }
    }

    /// The revocation object at `key`, with the revoker from the key.
    /// Like [`S3Queue::read_approval`]: `Err` for S3 not answering, `Ok(Err(why))` for an
    /// object that can never count.
    pub async fn read_revocation(
        &self,
        key: &str,
        revoker: &str,
        id: &str,
    ) -> Result<ReadRevocation, BrokerError> {
        let object = match self.read_object(key).await? {
            Ok(o) => o,
            Err(why) => return Ok(Err(why)),
        };
        let mut record: RevocationRecord = match serde_json::from_slice(&object.body) {
            Ok(r) => r,
            Err(e) => return Ok(Err(format!("not a revocation: {e}"))),
        };
        if record.id != id {
            return Ok(Err(format!("it holds the revocation of {}", record.id)));
        }
        if checked_reason(Some(&record.reason))
            .ok()
            .flatten()
            .is_none()
        {
            return Ok(Err(
                "its reason is empty, too long or holds control characters".into(),
            ));
        }
        let claimed = std::mem::replace(&mut record.revoked_by, revoker.to_string());
        Ok(Ok((claimed, record)))
    }

    /// The broker's verdict on request `id`, as a decision: what clients trust.
    pub async fn verdict(&self, id: &str) -> Result<Option<DecisionRecord>, BrokerError> {
        Ok(self.state(id).await?.and_then(|(s, _)| verdict_of(&s)))
    }

    fn parse<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
        body: &[u8],
    ) -> Result<T, BrokerError> {
        serde_json::from_slice(body).map_err(|e| self.damaged(key, e.to_string()))
    }

    fn damaged(&self, key: &str, reason: String) -> BrokerError {
        BrokerError::Damaged {
            bucket: self.bucket.name().into(),
            key: key.into(),
            reason,
        }
    }
}

/// What the broker decided, in the folder queue's terms; `None` while it waits.
fn verdict_of(s: &GrantState) -> Option<DecisionRecord> {
    let decision = match s.status {
        Status::Pending => return None,
        Status::Granted | Status::Ended | Status::Extended => Decision::Approve,
        Status::Denied | Status::Revoked => Decision::Deny,
        Status::Withdrawn => Decision::Withdraw,
    };
    Some(DecisionRecord {
        id: s.id.clone(),
        decision,
        approver: s.approver.clone().unwrap_or_else(|| "policy".into()),
        decided_at_ms: s.granted_at_ms.unwrap_or(s.updated_at_ms),
        reason: s.reason.clone(),
        name: s.name.clone(),
        duration_s: s.duration_s,
        requester: s.requester.clone(),
    })
}

impl Queue for S3Queue {
    fn submit(
        &self,
        request: &Validated,
        requester: &str,
        now: DateTime<Utc>,
    ) -> Result<PendingRequest, ElevationError> {
        if requester != self.me {
            // AWS would refuse the write anyway: the bucket policy names the caller's prefix.
            return Err(ElevationError::NotYours {
                requester: self.me.clone(),
                id: "(new request)".into(),
            });
        }
        let (queue, request) = (self.clone(), request.clone());
        self.bucket
            .block(async move { queue.submit_request(&request, now).await.map(|(p, _)| p) })
            .map_err(|e| ElevationError::Remote {
                url: self.url("requests/"),
                reason: e.to_string(),
            })
    }

    fn decision(&self, id: &str) -> Result<Option<DecisionRecord>, ElevationError> {
        check_id(id).map_err(|_| ElevationError::BadRequestId { id: id.into() })?;
        let (queue, id) = (self.clone(), id.to_string());
        self.bucket
            .block(async move { queue.verdict(&id).await })
            .map_err(|e| ElevationError::Remote {
                url: self.url("state/"),
                reason: e.to_string(),
            })
    }

    fn decide(
        &self,
        id: &str,
        decision: Decision,
        approver: &str,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<DecisionRecord, ElevationError> {
        if approver != self.me {
            return Err(ElevationError::NotYours {
                requester: self.me.clone(),
                id: id.into(),
            });
        }
        let (queue, id, reason) = (self.clone(), id.to_string(), reason.map(str::to_string));
        let url = self.url("approvals/");
        self.bucket
            .block(async move {
                Ok(queue
                    .decide_request(&id, decision, reason.as_deref(), now)
                    .await)
            })
            .map_err(|e| ElevationError::Remote {
                url,
                reason: e.to_string(),
            })?
    }

    /// Never: the bucket policy and the broker both hold that someone else decides.
    fn allows_self_approval(&self) -> bool {
        false
    }
}
