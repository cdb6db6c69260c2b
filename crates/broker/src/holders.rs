//! Which grants hold one Identity Center account assignment, kept in the request bucket next to
//! the queue (`assignments/...json`, see [`Assignment::key`]) so that it survives a broker's
//! restart and two brokers share it. Overlapping grants of one permission set to one analyst
//! share one assignment: it is created when the first holder joins and deleted when the last
//! one leaves, never while another grant still holds it (AWS TEAM #279). Every change is a
//! compare-and-swap on the object's ETag; a lost race re-reads and decides again.
//!
//! Creating or deleting takes AWS a while, so the broker that does it first writes a claim
//! (`busy`) and others wait for it rather than race it; a claim older than [`BUSY_LEASE_MS`]
//! is taken to have died with its broker and is taken over.
//!
//! A creation whose outcome the broker could not learn (no answer to `CreateAccountAssignment`,
//! or its status unanswerable) may have made the assignment: the record is marked `uncertain`
//! and every later settle or sweep lists the assignments (`ListAccountAssignments`) until it
//! knows. Found, it counts as existing (and is deleted when nobody holds it); not found
//! [`UNCERTAIN_GRACE_MS`] after the mark, the mark goes.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use warden_audit::{ActionOutcome, BrokerAction};

use crate::assignment::{Assignment, Creation, IdentityCenter, Outcome};
use crate::record::Recorder;
use crate::{BrokerError, Bucket, Written};

/// A claim to create or delete older than this is taken over (its broker died).
pub const BUSY_LEASE_MS: i64 = 5 * 60 * 1000;
/// Compare-and-swap attempts before leaving the record to the next pass.
const MAX_ATTEMPTS: u32 = 8;
/// An uncertain creation not listed this long after it was marked did not land: the mark goes
/// (before, a creation still under way at AWS may not be listed yet).
pub const UNCERTAIN_GRACE_MS: i64 = 15 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Create,
    Delete,
}

/// A broker creating or deleting the assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Busy {
    pub operation: Operation,
    pub since_ms: i64,
    /// Names this claim, so that its broker finishes only its own.
    pub token: String,
}

/// The broker's record of one assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holders {
    pub assignment: Assignment,
    /// The request ids of the grants that hold (or are about to hold) the assignment.
    pub holders: BTreeSet<String>,
    /// Whether the assignment exists at AWS (as far as the brokers made it).
    pub assigned: bool,
    pub busy: Option<Busy>,
    /// Why the last creation failed, if it did.
    pub failure: Option<String>,
    /// AWS's request id of a creation that was still IN_PROGRESS when the broker stopped
    /// following it: it may complete later, so the assignment may exist although `assigned`
    /// is false. Until IAM Identity Center says what became of it, no new creation is asked
    /// for, and once it says SUCCEEDED the assignment counts as existing (and is deleted when
    /// it has no holders); FAILED clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creating: Option<String>,
    /// Since when (ms) a creation may have landed that the broker cannot follow by request id
    /// (its answer was lost, or AWS no longer answers the status of `creating`): the assignment
    /// may exist although `assigned` is false. Resolved by listing the assignments: found, it
    /// counts as existing; not found [`UNCERTAIN_GRACE_MS`] after this, the mark goes. Older
    /// brokers reject a record with this field (upgrade brokers together, docs/elevation.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertain: Option<i64>,
    pub updated_at_ms: i64,
}

impl Holders {
    fn new(assignment: &Assignment, now_ms: i64) -> Self {
        Self {
            assignment: assignment.clone(),
            holders: BTreeSet::new(),
            assigned: false,
            busy: None,
            failure: None,
            creating: None,
            uncertain: None,
            updated_at_ms: now_ms,
        }
    }

    fn busy_elsewhere(&self, now_ms: i64) -> bool {
        self.busy
            .as_ref()
            .is_some_and(|b| now_ms - b.since_ms < BUSY_LEASE_MS)
    }

    /// Whether grant `id` holds the assignment now: it is a holder, the assignment exists and
    /// nobody is deleting it.
    pub fn held_by(&self, id: &str) -> bool {
        self.assigned && self.busy.is_none() && self.holders.contains(id)
    }
}

/// What joining an assignment came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joined {
    /// The assignment exists and the grant holds it.
    Held,
    /// Another broker is creating or deleting it; the next pass looks again.
    Waiting,
    /// IAM Identity Center could not create it: the grant is denied with this reason.
    Failed(String),
}

/// The holders' records in one bucket, and the Identity Center that acts on them.
pub(crate) struct Ledger<'a> {
    pub bucket: &'a Bucket,
    pub center: &'a IdentityCenter,
    /// Every creation and deletion is recorded before it is asked for (`record.rs`).
    pub recorder: &'a Recorder,
    pub workspace: &'a str,
}

impl Ledger<'_> {
    /// The record of `assignment`, with its ETag.
    pub async fn read(&self, key: &str) -> Result<Option<(Holders, String)>, BrokerError> {
        let Some(object) = self.bucket.get(key).await? else {
            return Ok(None);
        };
        let holders: Holders =
            serde_json::from_slice(&object.body).map_err(|e| BrokerError::Damaged {
                bucket: self.bucket.name().into(),
                key: key.into(),
                reason: e.to_string(),
            })?;
        if holders.assignment.key() != key {
            return Err(BrokerError::Damaged {
                bucket: self.bucket.name().into(),
                key: key.into(),
                reason: format!("it holds {}", holders.assignment.key()),
            });
        }
        Ok(Some((holders, object.etag)))
    }

    /// Adds grant `id` to the holders of `assignment`, creating the assignment when it is the
    /// first (and waiting on IAM Identity Center until it exists).
    pub async fn join(
        &self,
        assignment: &Assignment,
        id: &str,
        now_ms: i64,
    ) -> Result<Joined, BrokerError> {
        let (record, failure) = self
            .settle(assignment, Some(id), now_ms, |h| {
                h.holders.insert(id.to_string());
            })
            .await?;
        if let Some(reason) = failure {
            // The creation failed: this grant leaves again, so the record does not keep it.
            self.settle(assignment, Some(id), now_ms, |h| {
                h.holders.remove(id);
            })
            .await?;
            return Ok(Joined::Failed(reason));
        }
        Ok(if record.held_by(id) {
            Joined::Held
        } else {
            Joined::Waiting
        })
    }

    /// Removes grant `id` from the holders of `assignment`, deleting the assignment when no
    /// other grant holds it. Returns the record as left.
    pub async fn leave(
        &self,
        assignment: &Assignment,
        id: &str,
        now_ms: i64,
    ) -> Result<Holders, BrokerError> {
        Ok(self
            .settle(assignment, Some(id), now_ms, |h| {
                h.holders.remove(id);
            })
            .await?
            .0)
    }

    /// Applies `change` to the record (idempotent: it is applied again after a lost race), then
    /// brings AWS in line with it: creates the assignment when it has holders but does not
    /// exist, deletes it when it exists without holders, unless another broker is busy doing
    /// so. Returns the record as written last and why a creation failed, if one did. Each
    /// creation or deletion is recorded before it is asked for, on behalf of grant `id` (`None`:
    /// a sweep), and its outcome after.
    async fn settle(
        &self,
        assignment: &Assignment,
        id: Option<&str>,
        now_ms: i64,
        change: impl Fn(&mut Holders),
    ) -> Result<(Holders, Option<String>), BrokerError> {
        let key = assignment.key();
        let mut failure = None;
        // What IAM Identity Center said of an unfinished creation (`None`: it did not say),
        // asked once per settle.
        let mut asked: Option<(String, Option<Creation>)> = None;
        // Whether the listing showed the assignment, for an uncertain creation; once per settle.
        let mut listed: Option<bool> = None;
        for _ in 0..MAX_ATTEMPTS {
            let current = self.read(&key).await?;
            let mut next = current
                .as_ref()
                .map(|(h, _)| h.clone())
                .unwrap_or_else(|| Holders::new(assignment, now_ms));
            change(&mut next);
            if let Some(request_id) = next
                .creating
                .clone()
                .filter(|_| !next.busy_elsewhere(now_ms))
            {
                // A creation the broker stopped following may have landed since: ask.
                let creation = match &asked {
                    Some((id, c)) if *id == request_id => c.clone(),
                    _ => {
                        let c = match self.center.creation(assignment, &request_id).await {
                            Ok(c) => Some(c),
                            Err(e) => {
                                tracing::warn!(key = %key, request = %request_id, "the status of an unfinished creation is unanswerable; the assignments are listed instead: {e}");
                                None
                            }
                        };
                        asked = Some((request_id.clone(), c.clone()));
                        c
                    }
                };
                match creation {
                    Some(Creation::Succeeded) => {
                        tracing::warn!(key = %key, request = %request_id, "an account assignment the broker stopped waiting for was created after all");
                        next.assigned = true;
                        next.creating = None;
                        next.uncertain = None;
                    }
                    Some(Creation::Failed) => next.creating = None,
                    Some(Creation::InProgress) => {}
                    // AWS no longer says (an error, or the status expired): the listing decides.
                    None => {
                        next.creating = None;
                        next.uncertain = Some(next.uncertain.unwrap_or(now_ms));
                    }
                }
            }
            if let Some(since) = next
                .uncertain
                .filter(|_| next.creating.is_none() && !next.busy_elsewhere(now_ms))
            {
                // A creation whose outcome is unknown may have landed: look for the assignment.
                let found = match listed {
                    Some(f) => f,
                    None => {
                        let f = self.center.exists(assignment).await?;
                        listed = Some(f);
                        f
                    }
                };
                if found {
                    if !next.assigned {
                        tracing::warn!(key = %key, "an account assignment whose creation went unanswered exists");
                    }
                    next.assigned = true;
                    next.uncertain = None;
                } else if next.assigned || now_ms - since >= UNCERTAIN_GRACE_MS {
                    // Not there (or known to exist from a later creation): nothing landed.
                    next.uncertain = None;
                }
            }
            let operation = if next.busy_elsewhere(now_ms) {
                None
            } else if !next.holders.is_empty()
                && !next.assigned
                && next.creating.is_none()
                && failure.is_none()
            {
                Some(Operation::Create)
            } else if next.holders.is_empty() && next.assigned {
                Some(Operation::Delete)
            } else {
                // A claim whose broker died, with nothing left to do.
                next.busy = None;
                None
            };
            let token = uuid::Uuid::now_v7().to_string();
            // The mark before this claim, which a creation with a known outcome restores.
            let prior = next.uncertain;
            if let Some(operation) = operation {
                next.busy = Some(Busy {
                    operation,
                    since_ms: now_ms,
                    token: token.clone(),
                });
                if operation == Operation::Create {
                    // Written ahead with the claim: should this broker stop before it learns
                    // the outcome, whoever takes the claim over looks for the assignment.
                    next.uncertain = Some(prior.unwrap_or(now_ms));
                }
            }
            // What ending the claim leaves of the mark: the prior one, unless the creation
            // may have landed unseen.
            let restore = (operation == Some(Operation::Create)).then_some(prior);
            if current.as_ref().map(|(h, _)| h) != Some(&next) {
                next.updated_at_ms = now_ms;
                if !self.write(&key, &next, current.as_ref()).await? {
                    continue;
                }
            }
            let Some(operation) = operation else {
                return Ok((next, failure));
            };
            let (action, verb) = match operation {
                Operation::Create => (BrokerAction::CreateAssignment, "assign"),
                Operation::Delete => (BrokerAction::DeleteAssignment, "take back"),
            };
            let detail = format!(
                "{verb} permission set {} in account {} to identity store user {} (holders: {})",
                assignment.permission_set_arn,
                assignment.account_id,
                assignment.principal_id,
                next.holders.iter().cloned().collect::<Vec<_>>().join(", ")
            );
            let intent = match self
                .recorder
                .start(self.workspace, action, id, &key, detail)
            {
                Ok(intent) => intent,
                Err(e) => {
                    // Not recorded, so not asked for: the claim goes, so that the next pass
                    // does it once the journal records again, rather than after the lease.
                    let _ = self
                        .finish_as(&key, &token, None, None, None, restore, now_ms)
                        .await;
                    return Err(e);
                }
            };
            let outcome = match operation {
                Operation::Create => self.center.create(&intent, assignment).await,
                Operation::Delete => self.center.delete(&intent, assignment).await,
            };
            let outcome = match outcome {
                Ok(o) => o,
                Err(e) => {
                    // AWS could not be asked, or did not answer: the claim goes, so that the
                    // next pass (this broker's or another's) tries again at once rather than
                    // after the lease.
                    let recorded = self.recorder.end(
                        intent,
                        ActionOutcome::Unknown,
                        Some(e.to_string()),
                        vec![],
                    );
                    // A creation may have reached AWS and landed: marked uncertain, so that
                    // later passes look for it (and delete it if nobody holds it).
                    let uncertain = (operation == Operation::Create).then_some(Some(now_ms));
                    let _ = self
                        .finish_as(&key, &token, None, None, None, uncertain, now_ms)
                        .await;
                    recorded?;
                    return Err(e);
                }
            };
            let recorded = match &outcome {
                Outcome::Succeeded => self.recorder.end(intent, ActionOutcome::Done, None, vec![]),
                Outcome::Failed(reason) => {
                    self.recorder
                        .end(intent, ActionOutcome::NotDone, Some(reason.clone()), vec![])
                }
                // It may still happen: neither done nor not done.
                Outcome::Unfinished { reason, .. } => {
                    self.recorder
                        .end(intent, ActionOutcome::Unknown, Some(reason.clone()), vec![])
                }
            };
            // A creation that may still land is kept in the record until AWS says what
            // became of it.
            let creating = match (operation, &outcome) {
                (Operation::Create, Outcome::Unfinished { request_id, .. }) => {
                    Some(request_id.clone())
                }
                _ => None,
            };
            if let Err(e) = recorded {
                // Done or not, the claim goes; the outcome waits for the journal.
                let done = match (operation, &outcome) {
                    (Operation::Create, Outcome::Succeeded) => Some(true),
                    (Operation::Delete, Outcome::Succeeded) => Some(false),
                    _ => None,
                };
                let _ = self
                    .finish_as(&key, &token, done, None, creating, restore, now_ms)
                    .await;
                return Err(e);
            }
            let done = match (operation, outcome) {
                (Operation::Create, Outcome::Succeeded) => {
                    tracing::info!(key = %key, "account assignment created");
                    Some(true)
                }
                (Operation::Delete, Outcome::Succeeded) => {
                    tracing::info!(key = %key, "account assignment deleted");
                    Some(false)
                }
                (Operation::Create, Outcome::Failed(reason)) => {
                    failure = Some(reason);
                    None
                }
                (Operation::Create, Outcome::Unfinished { reason, .. }) => {
                    // The grant is denied as for a failure; the assignment is treated as
                    // possibly existing (`creating`), so a later settle deletes it if it lands.
                    tracing::warn!(key = %key, "account assignment creation unfinished: {reason}");
                    failure = Some(reason);
                    None
                }
                (Operation::Delete, Outcome::Failed(reason))
                | (Operation::Delete, Outcome::Unfinished { reason, .. }) => {
                    // Still assigned, without holders: the next pass tries again.
                    let _ = self.finish(&key, &token, None, None, None, now_ms).await;
                    return Err(BrokerError::Aws {
                        what: "sso-admin DeleteAccountAssignment".into(),
                        message: reason,
                    });
                }
            };
            self.finish_as(
                &key,
                &token,
                done,
                failure.clone(),
                creating,
                restore,
                now_ms,
            )
            .await?;
            // Holders may have come or gone meanwhile: look again.
        }
        Err(BrokerError::Contended {
            id: key,
            attempts: MAX_ATTEMPTS,
        })
    }

    /// Ends this broker's claim `token`: the assignment exists (`Some(true)`), does not
    /// (`Some(false)`), or is as before (`None`, a failed creation); `creating`: the request id
    /// of a creation that may still land (`None` leaves the record's as it is).
    async fn finish(
        &self,
        key: &str,
        token: &str,
        assigned: Option<bool>,
        failure: Option<String>,
        creating: Option<String>,
        now_ms: i64,
    ) -> Result<(), BrokerError> {
        self.finish_as(key, token, assigned, failure, creating, None, now_ms)
            .await
    }

    /// [`Self::finish`], setting the record's `uncertain` mark to `mark` when it is `Some` (since
    /// when a creation without an answer may have landed, or the mark to restore). Knowing
    /// whether the assignment exists (`assigned`) clears it.
    #[allow(clippy::too_many_arguments)]
    async fn finish_as(
        &self,
        key: &str,
        token: &str,
        assigned: Option<bool>,
        failure: Option<String>,
        creating: Option<String>,
        mark: Option<Option<i64>>,
        now_ms: i64,
    ) -> Result<(), BrokerError> {
        for _ in 0..MAX_ATTEMPTS {
            let Some((mut h, etag)) = self.read(key).await? else {
                return Ok(());
            };
            if h.busy.as_ref().map(|b| b.token.as_str()) != Some(token) {
                // Taken over by another broker (our lease ran out): it decides now.
                return Ok(());
            }
            h.busy = None;
            if let Some(m) = mark {
                h.uncertain = m;
            }
            if let Some(a) = assigned {
                h.assigned = a;
                h.uncertain = None;
            }
            if creating.is_some() {
                h.creating = creating.clone();
            }
            h.failure = failure.clone();
            h.updated_at_ms = now_ms;
            if self.write(key, &h, Some(&(h.clone(), etag))).await? {
                return Ok(());
            }
        }
        Err(BrokerError::Contended {
            id: key.into(),
            attempts: MAX_ATTEMPTS,
        })
    }

    async fn write(
        &self,
        key: &str,
        next: &Holders,
        current: Option<&(Holders, String)>,
    ) -> Result<bool, BrokerError> {
        let body = serde_json::to_vec_pretty(next).unwrap_or_default();
        let written = match current {
            None => self.bucket.create(key, body).await?,
            Some((_, etag)) => self.bucket.replace(key, body, etag).await?,
        };
        Ok(matches!(written, Written::Done(_)))
    }

    /// Every assignment record in the bucket (for the sweep of holders whose grant ended).
    pub async fn keys(&self) -> Result<Vec<String>, BrokerError> {
        Ok(self
            .bucket
            .list("assignments/")
            .await?
            .into_iter()
            .filter(|k| k.ends_with(".json"))
            .collect())
    }

    /// Removes `gone` (grants whose end a broker recorded but did not get to release, for
    /// instance because it stopped in between) from the record `h`, and finishes what a
    /// broker that died left undone: an assignment without holders is deleted, one with
    /// holders that does not exist is created; and asks what became of a creation the broker
    /// stopped following (`creating`), or looks for one whose outcome is unknown (`uncertain`),
    /// deleting the assignment if it landed without holders.
    pub async fn sweep(
        &self,
        h: &Holders,
        gone: &[String],
        now_ms: i64,
    ) -> Result<(), BrokerError> {
        let stuck =
            (h.holders.is_empty() == h.assigned || h.creating.is_some() || h.uncertain.is_some())
                && !h.busy_elsewhere(now_ms);
        if gone.is_empty() && !stuck {
            return Ok(());
        }
        self.settle(&h.assignment, None, now_ms, |r| {
            for id in gone {
                r.holders.remove(id);
            }
        })
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Holders {
        Holders::new(
            &Assignment {
                instance_arn: "arn:aws:sso:::instance/ssoins-0123456789abcdef".into(),
                permission_set_arn:
                    "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef".into(),
                account_id: "123456789012".into(),
                principal_id: "9067a5e1-40a1-70c4-3a0a-5c6b1ef5d4a2".into(),
            },
            1_000,
        )
    }

    #[test]
    fn holders_without_the_uncertain_mark_are_written_as_before() {
        let plain = record();
        let json = serde_json::to_value(&plain).unwrap();
        // An unmarked record is the same for brokers older than the mark.
        assert!(json.get("uncertain").is_none(), "{json}");
        assert_eq!(serde_json::from_value::<Holders>(json).unwrap(), plain);
    }

    #[test]
    fn holders_keep_the_uncertain_mark_and_refuse_unknown_fields() {
        let mut marked = record();
        marked.uncertain = Some(2_000);
        let mut json = serde_json::to_value(&marked).unwrap();
        assert_eq!(json["uncertain"], 2_000);
        assert_eq!(
            serde_json::from_value::<Holders>(json.clone()).unwrap(),
            marked
        );
        // A field this broker does not know is refused rather than dropped on the next write.
        json["later"] = serde_json::json!(true);
        let e = serde_json::from_value::<Holders>(json).unwrap_err();
        assert!(e.to_string().contains("unknown field `later`"), "{e}");
    }
}
