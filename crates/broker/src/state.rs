//! `state/<id>.json`: the broker's record of one request, the only object the broker writes
//! besides credentials. Every change is a compare-and-swap on its ETag, so two brokers never
//! both decide a request or both mint the same credential set.

use serde::{Deserialize, Serialize};

/// Ask for the next credentials this long before the current ones expire.
pub const REFRESH_BEFORE_MS: i64 = 5 * 60 * 1000;
/// A mint claimed but not delivered after this long is taken to have died with its broker.
pub const CLAIM_LEASE_MS: i64 = 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for an approver.
    Pending,
    /// Holds until `expires_at_ms`; credentials are minted for it.
    Granted,
    /// Refused: by the policy, an approver, or because no approver decided in time.
    Denied,
    /// Taken back by its requester (before the grant, or an early end of it).
    Withdrawn,
    /// An approver revoked the grant.
    Revoked,
    /// The grant ran to its end.
    Ended,
    /// An extension (`extends` names the grant) that was approved and applied: the grant it
    /// extends holds until this state's `expires_at_ms`. Never a grant of its own.
    Extended,
}

impl Status {
    pub fn is_final(self) -> bool {
        !matches!(self, Status::Pending | Status::Granted)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantState {
    pub id: String,
    pub name: String,
    /// From the request's key, never its body.
    pub requester: String,
    pub requested_at_ms: i64,
    pub duration_s: u64,
    pub status: Status,
    /// Who approved (the key prefix of their decision); `None` when the policy did.
    pub approver: Option<String>,
    /// Why it was denied, withdrawn, revoked or ended.
    pub reason: Option<String>,
    pub granted_at_ms: Option<i64>,
    pub expires_at_ms: Option<i64>,
    /// Credential sets claimed (`grants/.../<n>.age`, n counting from 1).
    pub minted: u32,
    /// The last credential set written to the bucket.
    pub delivered: u32,
    pub last_claim_at_ms: Option<i64>,
    /// When the last delivered credentials stop working (their STS expiry or the grant's end).
    pub credentials_until_ms: Option<i64>,
    /// Decision objects the broker refused (and recorded), so they are recorded once.
    pub refused: Vec<String>,
    /// Why each refused decision was refused, by its key: shown to the approver who wrote it
    /// (their window cannot read the broker's journal).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub refusals: std::collections::BTreeMap<String, String>,
    pub updated_at_ms: i64,
    /// Identity Center mode: the account assignment the grant holds (absent in the STS mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment: Option<crate::Assigned>,
    /// An extension: the request id of the grant it asks more time on (same requester, same
    /// elevation). Its status goes from pending to extended (or denied, withdrawn), never
    /// granted, so it mints nothing and holds nothing itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// A grant: the extensions applied to it, oldest first (their request ids), so an
    /// extension is applied once whichever broker gets there, however often it is retried.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<Extension>,
    /// A grant: the revision of the policy bundle it (or its last extension) was given under,
    /// when the broker knew it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_revision: Option<u64>,
}

/// An extension applied to a grant: which request, who approved it (`None`: the policy), when,
/// and the end it gave the grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    pub id: String,
    pub approver: Option<String>,
    pub at_ms: i64,
    pub expires_at_ms: i64,
}

impl GrantState {
    /// Marks the decision at `key` refused, and why.
    pub fn refuse(&mut self, key: &str, why: &str) {
        if !self.refused.iter().any(|k| k == key) {
            self.refused.push(key.to_string());
        }
        self.refusals.insert(key.to_string(), why.to_string());
    }

    /// Moves a grant's end to `end_ms` (an extension applied at `now_ms`): the credentials
    /// delivered so far end at the old end (their session policy says so), so the next set is
    /// due at once.
    pub fn extend_to(&mut self, now_ms: i64, end_ms: i64) {
        self.expires_at_ms = Some(end_ms);
        self.credentials_until_ms = None;
        self.updated_at_ms = now_ms;
    }

    pub fn to_json(&self) -> Vec<u8> {
        // A struct of strings and numbers always serialises.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// Whether the broker should claim the next credential set at `now_ms`.
    pub fn mint_due(&self, now_ms: i64) -> bool {
        let Some(end) = self
            .expires_at_ms
            .filter(|_| self.status == Status::Granted)
        else {
            return false;
        };
        if now_ms >= end {
            return false;
        }
        if self.minted > self.delivered {
            // Claimed by a broker that has not delivered: wait for it, unless it died.
            return self
                .last_claim_at_ms
                .is_none_or(|at| now_ms - at >= CLAIM_LEASE_MS);
        }
        match self.credentials_until_ms {
            None => true,
            Some(until) => until < end && now_ms >= until - REFRESH_BEFORE_MS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn granted(now: i64) -> GrantState {
        GrantState {
            id: "01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f00".into(),
            name: "pii-read".into(),
            requester: "AROA:ana".into(),
            requested_at_ms: now,
            duration_s: 3600,
            status: Status::Granted,
            approver: None,
            reason: None,
            granted_at_ms: Some(now),
            expires_at_ms: Some(now + 3_600_000),
            minted: 0,
            delivered: 0,
            last_claim_at_ms: None,
            credentials_until_ms: None,
            refused: vec![],
            refusals: Default::default(),
            updated_at_ms: now,
            assignment: None,
            extends: None,
            extensions: vec![],
            policy_revision: None,
        }
    }

    #[test]
    fn credentials_are_minted_at_once_then_before_they_expire_and_never_past_the_end() {
        let t = 1_800_000_000_000;
        let mut s = granted(t);
        assert!(s.mint_due(t), "first set at once");
        s.minted = 1;
        s.last_claim_at_ms = Some(t);
        assert!(!s.mint_due(t + 1000), "claimed: another broker is minting");
        assert!(
            s.mint_due(t + CLAIM_LEASE_MS),
            "a claim whose broker died is taken over"
        );
        s.delivered = 1;
        s.credentials_until_ms = Some(t + 900_000);
        assert!(!s.mint_due(t + 599_999));
        assert!(s.mint_due(t + 600_000), "five minutes before they expire");
        // The last set reaches the end of the grant: nothing more to mint.
        s.credentials_until_ms = s.expires_at_ms;
        assert!(!s.mint_due(t + 3_599_000));
        s.credentials_until_ms = Some(t + 900_000);
        assert!(!s.mint_due(t + 3_600_000), "never at or past the end");
        s.status = Status::Revoked;
        assert!(!s.mint_due(t + 600_000), "nor after a revocation");
    }

    #[test]
    fn an_extension_is_never_minted_for_and_an_extended_grant_mints_at_once() {
        let t = 1_800_000_000_000;
        let mut e = granted(t);
        e.extends = Some("g".into());
        e.status = Status::Extended;
        assert!(!e.mint_due(t), "the extension holds nothing itself");
        let mut s = granted(t);
        (s.minted, s.delivered) = (1, 1);
        s.credentials_until_ms = Some(t + 900_000);
        assert!(!s.mint_due(t + 1000));
        s.extend_to(t + 1000, t + 7_200_000);
        assert_eq!(s.expires_at_ms, Some(t + 7_200_000));
        assert!(s.mint_due(t + 1000), "a set ending at the new end, at once");
    }
}
