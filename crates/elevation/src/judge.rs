//! Whether an approver's decision counts, and what it grants. Pure: the request, the decision
//! read from the queue, the policy in force and the time are all given.

use chrono::{DateTime, TimeZone, Utc};
use warden_guardrails::Policy;

use crate::{Decision, DecisionRecord, Grant, Moment, PendingRequest};

/// A decision that grants nothing: who decided (when known) and why, in words for the requester.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub approver: Option<String>,
    pub reason: String,
}

impl Denial {
    fn new(approver: &Option<String>, reason: impl Into<String>) -> Self {
        Self {
            approver: approver.clone(),
            reason: reason.into(),
        }
    }
}

/// What an approver's answer grants: exactly what was asked, by someone else (unless
/// `allow_self_approval`), counted from the decision (never from a decision time in the
/// future), capped by the policy in force. `decision` is the record read from the queue, or
/// why it could not be read.
pub fn judge(
    request: &PendingRequest,
    decision: Result<DecisionRecord, String>,
    allow_self_approval: bool,
    policy: Option<&Policy>,
    now: Moment,
) -> Result<Grant, Denial> {
    let d = decision.map_err(|problem| Denial {
        approver: None,
        reason: format!("the approval could not be read ({problem}); ask again"),
    })?;
    let approver = Some(d.approver.clone());
    match d.decision {
        Decision::Approve => {}
        Decision::Deny => {
            let reason = d.reason.unwrap_or_else(|| "no reason given".into());
            return Err(Denial::new(&approver, reason));
        }
        Decision::Withdraw => {
            let reason = d.reason.unwrap_or_else(|| "withdrawn".into());
            return Err(Denial::new(&approver, reason));
        }
    }
    if (d.name.as_str(), d.duration_s, d.requester.as_str())
        != (
            request.name.as_str(),
            request.duration_s,
            request.requester.as_str(),
        )
    {
        return Err(Denial::new(&approver, "the approval is for another request than the one made (elevation, duration or requester differ); ask again"));
    }
    if crate::same_person(&d.approver, &request.requester) && !allow_self_approval {
        return Err(Denial::new(
            &approver,
            "a request cannot be approved by the person who made it",
        ));
    }
    let Some(def) = policy.and_then(|p| p.elevation(&request.name)) else {
        return Err(Denial::new(
            &approver,
            "the policy in force no longer offers this elevation",
        ));
    };
    if d.decided_at_ms < request.requested_at_ms {
        return Err(Denial::new(
            &approver,
            "the approval is dated before the request was made; ask again",
        ));
    }
    let decided_at_ms = d.decided_at_ms.min(now.wall.timestamp_millis());
    let until = approved_until(request, decided_at_ms);
    let asked = std::time::Duration::from_secs(request.duration_s);
    let left = (until - now.wall)
        .to_std()
        .unwrap_or_default()
        .min(asked)
        .min(def.max_duration);
    if left.is_zero() {
        return Err(Denial::new(
            &approver,
            "approved, but its time had run out before Warden saw the approval",
        ));
    }
    Grant::starting(
        request.id.clone(),
        request.name.clone(),
        now,
        left,
        Some(d.approver),
    )
    .map_err(|e| Denial {
        approver: None,
        reason: e.to_string(),
    })
}

/// When an approved request's time runs out: its duration counts from the decision.
pub fn approved_until(request: &PendingRequest, decided_at_ms: i64) -> DateTime<Utc> {
    let ms = decided_at_ms
        .saturating_add(i64::try_from(request.duration_s.saturating_mul(1000)).unwrap_or(i64::MAX));
    // An unrepresentable time is the earliest one: too late, rather than forever.
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const POLICY: &str = r#"
format: warden-policy/1
name: judge-test
catalog:
  databases:
    sales:
      tables:
        customers:
          columns:
            ssn: { type: varchar, tags: [restricted] }
elevations:
  restricted-read:
    description: Read restricted columns
    max_duration: 30m
    default_duration: 10m
    approval: manual
    justification: required
rules:
  - { id: restricted, kind: restricted_columns, tags: [restricted], severity: error, unlocked_by: [restricted-read] }
"#;

    fn policy() -> Policy {
        Policy::from_yaml(POLICY).expect("policy")
    }

    /// A moment on a whole millisecond, as decision files record them.
    fn start() -> Moment {
        Moment {
            wall: Utc.timestamp_millis_opt(1_800_000_000_000).unwrap(),
            mono: std::time::Instant::now(),
        }
    }

    /// A request for five minutes made at `t0`.
    fn request(t0: Moment) -> PendingRequest {
        PendingRequest {
            id: "01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f00".into(),
            name: "restricted-read".into(),
            requester: "ana".into(),
            requested_at_ms: t0.wall.timestamp_millis(),
            duration_s: 300,
            reason: "fraud case".into(),
            extends: None,
        }
    }

    fn approval(r: &PendingRequest, by: &str, at: DateTime<Utc>) -> DecisionRecord {
        DecisionRecord {
            id: r.id.clone(),
            decision: Decision::Approve,
            approver: by.into(),
            decided_at_ms: at.timestamp_millis(),
            reason: None,
            name: r.name.clone(),
            duration_s: r.duration_s,
            requester: r.requester.clone(),
        }
    }

    fn reason(result: Result<Grant, Denial>) -> String {
        result.expect_err("denied").reason
    }

    #[test]
    fn an_approval_grants_what_was_asked_from_the_decision() {
        let t0 = start();
        let r = request(t0);
        let now = t0.after(Duration::from_secs(60));
        // Approved 30 s after the request, seen a minute after it: 4.5 minutes are left.
        let d = approval(&r, "bob", t0.after(Duration::from_secs(30)).wall);
        let grant = judge(&r, Ok(d), false, Some(&policy()), now).expect("granted");
        assert_eq!(grant.approver.as_deref(), Some("bob"));
        assert_eq!(grant.granted_at, now.wall);
        assert_eq!(
            (grant.expires_at - now.wall).num_milliseconds(),
            270_000,
            "counted from the decision"
        );
        assert!(grant.holds_at(now.after(Duration::from_secs(269))));
        assert!(!grant.holds_at(now.after(Duration::from_secs(270))));
    }

    #[test]
    fn a_decision_dated_in_the_future_counts_from_now() {
        let t0 = start();
        let r = request(t0);
        let tomorrow = t0.after(Duration::from_secs(86_400)).wall;
        let grant = judge(
            &r,
            Ok(approval(&r, "bob", tomorrow)),
            false,
            Some(&policy()),
            t0,
        )
        .expect("ok");
        assert_eq!((grant.expires_at - t0.wall).num_seconds(), 300);
    }

    #[test]
    fn nobody_approves_their_own_request_unless_the_queue_allows_it() {
        let t0 = start();
        let r = request(t0);
        let own = approval(&r, "ana", t0.wall);
        let refused = judge(&r, Ok(own.clone()), false, Some(&policy()), t0);
        assert!(reason(refused).contains("person who made it"));
        assert!(judge(&r, Ok(own), true, Some(&policy()), t0).is_ok());
    }

    #[test]
    fn an_approval_of_something_else_grants_nothing() {
        let t0 = start();
        let r = request(t0);
        let mut longer = approval(&r, "bob", t0.wall);
        longer.duration_s = 1800;
        let mut other_requester = approval(&r, "bob", t0.wall);
        other_requester.requester = "eve".into();
        let mut other_name = approval(&r, "bob", t0.wall);
        other_name.name = "pii-read".into();
        for d in [longer, other_requester, other_name] {
            let got = reason(judge(&r, Ok(d), false, Some(&policy()), t0));
            assert!(got.contains("another request"), "{got}");
        }
    }

    #[test]
    fn dates_before_the_request_or_past_the_end_grant_nothing() {
        let t0 = start();
        let r = request(t0);
        let yesterday = t0.wall - chrono::Duration::days(1);
        let got = reason(judge(
            &r,
            Ok(approval(&r, "bob", yesterday)),
            false,
            Some(&policy()),
            t0,
        ));
        assert!(got.contains("dated before the request"), "{got}");
        // Approved at once, but seen only after the five minutes asked for.
        let late = t0.after(Duration::from_secs(300));
        let got = reason(judge(
            &r,
            Ok(approval(&r, "bob", t0.wall)),
            false,
            Some(&policy()),
            late,
        ));
        assert!(got.contains("time had run out"), "{got}");
    }

    #[test]
    fn denials_withdrawals_and_unreadable_decisions_carry_their_reason() {
        let t0 = start();
        let r = request(t0);
        let mut deny = approval(&r, "bob", t0.wall);
        deny.decision = Decision::Deny;
        deny.reason = Some("use the masked view".into());
        let denied = judge(&r, Ok(deny), false, Some(&policy()), t0).expect_err("denied");
        assert_eq!(
            denied,
            Denial {
                approver: Some("bob".into()),
                reason: "use the masked view".into()
            }
        );
        let mut withdraw = approval(&r, "ana", t0.wall);
        withdraw.decision = Decision::Withdraw;
        assert_eq!(
            reason(judge(&r, Ok(withdraw), false, Some(&policy()), t0)),
            "withdrawn"
        );
        let unreadable = judge(&r, Err("bad json".into()), false, Some(&policy()), t0);
        let denial = unreadable.expect_err("unreadable");
        assert_eq!(denial.approver, None);
        assert!(denial.reason.contains("bad json"), "{}", denial.reason);
    }

    #[test]
    fn the_policy_in_force_caps_and_can_withdraw_the_offer() {
        let t0 = start();
        let mut r = request(t0);
        let got = reason(judge(&r, Ok(approval(&r, "bob", t0.wall)), false, None, t0));
        assert!(got.contains("no longer offers"), "{got}");
        // Asked for two hours under a policy that now allows thirty minutes.
        r.duration_s = 7200;
        let grant = judge(
            &r,
            Ok(approval(&r, "bob", t0.wall)),
            false,
            Some(&policy()),
            t0,
        )
        .expect("granted");
        assert_eq!((grant.expires_at - t0.wall).num_minutes(), 30);
    }

    #[test]
    fn an_end_no_clock_can_hold_is_the_earliest_time() {
        let t0 = start();
        let mut r = request(t0);
        r.duration_s = u64::MAX;
        assert_eq!(approved_until(&r, i64::MAX), DateTime::<Utc>::MIN_UTC);
    }
}
