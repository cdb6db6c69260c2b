//! Extending a held grant: more time on the same grant, asked for like a request and
//! approved by the same rules. Pure, like [`crate::judge`]: the grant, the policy's maximum
//! and the time are all given.

use std::time::Duration;

use warden_guardrails::Policy;

use crate::{format_duration, judge, DecisionRecord, Denial, ElevationError, Grant};
use crate::{Moment, PendingRequest};

/// `held` (the grant whose request was `id`, if this gate holds one) extended by `more`, for
/// `approver` (`None`: the policy). Refused unless it holds at `now` and is a grant of `name`,
/// and when its new end would be more than `max` from now (no stacking past the maximum).
pub fn extend(
    held: Option<&Grant>,
    id: &str,
    name: &str,
    more: Duration,
    max: Duration,
    now: Moment,
    approver: Option<String>,
) -> Result<Grant, ElevationError> {
    let Some(grant) = held.filter(|g| g.request_id == id && g.holds_at(now)) else {
        return Err(ElevationError::NotHeld {
            name: name.into(),
            id: id.into(),
        });
    };
    if grant.name != name {
        return Err(ElevationError::OtherElevation {
            name: name.into(),
            held: grant.name.clone(),
            id: id.into(),
        });
    }
    let out_of_range = || ElevationError::OutOfRange { name: name.into() };
    let span = chrono::Duration::from_std(more).map_err(|_| out_of_range())?;
    let until = grant
        .expires_at
        .checked_add_signed(span)
        .ok_or_else(out_of_range)?;
    let latest = now.after(max);
    if latest.wall == now.wall && !max.is_zero() {
        return Err(out_of_range());
    }
    if until > latest.wall {
        let most = (latest.wall - grant.expires_at)
            .to_std()
            .unwrap_or_default();
        return Err(ElevationError::PastMaximum {
            name: name.into(),
            until: until.format("%H:%M:%S UTC").to_string(),
            max: format_duration(max),
            most: format_duration(Duration::from_secs(most.as_secs())),
        });
    }
    let mono = grant
        .expires_mono
        .checked_add(more)
        .ok_or_else(out_of_range)?
        .min(latest.mono);
    Ok(Grant {
        expires_at: until,
        expires_mono: mono,
        extended_at: Some(now.wall),
        approver,
        ..grant.clone()
    })
}

/// What an approver's answer to the extension `request` does to `held`: the same checks as
/// [`judge`] (exactly what was asked, by someone else, under the policy in force), then the
/// grant must still hold (an extension whose grant ended first is void) and gains what was
/// asked, capped so that it ends at most the policy's `max_duration` from now.
pub fn judge_extension(
    request: &PendingRequest,
    decision: Result<DecisionRecord, String>,
    allow_self_approval: bool,
    policy: Option<&Policy>,
    held: Option<&Grant>,
    now: Moment,
) -> Result<Grant, Denial> {
    let approved = judge(request, decision, allow_self_approval, policy, now)?;
    let denial = |reason: String| Denial {
        approver: approved.approver.clone(),
        reason,
    };
    let id = request.extends.as_deref().unwrap_or_default();
    let Some(grant) = held.filter(|g| g.request_id == id && g.holds_at(now)) else {
        return Err(denial(
            "the grant it extends ended before the decision; the extension is void".into(),
        ));
    };
    // `judge` found the elevation in the policy.
    let max = policy
        .and_then(|p| p.elevation(&request.name))
        .map(|d| d.max_duration)
        .unwrap_or_default();
    let room = (now.after(max).wall - grant.expires_at)
        .to_std()
        .unwrap_or_default();
    let more = Duration::from_secs(request.duration_s).min(room);
    if more.is_zero() {
        return Err(denial(format!(
            "approved, but {} already holds as long as the policy allows; nothing was added",
            request.name
        )));
    }
    extend(
        Some(grant),
        id,
        &request.name,
        more,
        max,
        now,
        approved.approver.clone(),
    )
    .map_err(|e| denial(e.to_string()))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::Decision;

    const POLICY: &str = r#"
format: warden-policy/1
name: extension-test
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
    max_duration: 1h
    default_duration: 10m
    approval: manual
    justification: required
rules:
  - { id: restricted, kind: restricted_columns, tags: [restricted], severity: error, unlocked_by: [restricted-read] }
"#;

    const HOUR: Duration = Duration::from_secs(3600);

    fn start() -> Moment {
        Moment {
            wall: Utc.timestamp_millis_opt(1_800_000_000_000).unwrap(),
            mono: std::time::Instant::now(),
        }
    }

    fn grant(at: Moment, secs: u64) -> Grant {
        Grant::starting(
            "g1".into(),
            "restricted-read".into(),
            at,
            Duration::from_secs(secs),
            Some("bob".into()),
        )
        .expect("in range")
    }

    fn minutes(m: u64) -> Duration {
        Duration::from_secs(m * 60)
    }

    #[test]
    fn an_extension_moves_the_end_of_the_same_grant() {
        let t0 = start();
        let g = grant(t0, 600);
        let now = t0.after(minutes(8));
        let longer = extend(
            Some(&g),
            "g1",
            "restricted-read",
            minutes(15),
            HOUR,
            now,
            None,
        )
        .expect("ok");
        assert_eq!(longer.request_id, "g1", "the same grant");
        assert_eq!(longer.granted_at, g.granted_at);
        assert_eq!((longer.expires_at - g.expires_at).num_minutes(), 15);
        assert!(longer.holds_at(t0.after(minutes(24))));
        assert!(!longer.holds_at(t0.after(minutes(25))), "both clocks moved");
        assert_eq!(longer.extended_at, Some(now.wall));
        assert!(longer.span() <= HOUR);
    }

    #[test]
    fn only_a_held_grant_of_the_same_elevation_is_extended() {
        let t0 = start();
        let g = grant(t0, 600);
        let e = extend(None, "g1", "restricted-read", minutes(5), HOUR, t0, None).unwrap_err();
        assert!(matches!(e, ElevationError::NotHeld { .. }), "{e}");
        let e = extend(
            Some(&g),
            "g2",
            "restricted-read",
            minutes(5),
            HOUR,
            t0,
            None,
        )
        .unwrap_err();
        assert!(
            matches!(e, ElevationError::NotHeld { .. }),
            "another grant id: {e}"
        );
        let ended = t0.after(minutes(10));
        let e = extend(
            Some(&g),
            "g1",
            "restricted-read",
            minutes(5),
            HOUR,
            ended,
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("no held grant g1") && e.contains("ask for"),
            "{e}"
        );
        let e = extend(Some(&g), "g1", "pii-read", minutes(5), HOUR, t0, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("is of restricted-read, not pii-read"), "{e}");
    }

    #[test]
    fn no_stacking_past_the_maximum_from_now() {
        let t0 = start();
        let g = grant(t0, 50 * 60);
        // Ten minutes in, 40 are left: 20 more is the most (an hour from now).
        let now = t0.after(minutes(10));
        assert!(extend(
            Some(&g),
            "g1",
            "restricted-read",
            minutes(20),
            HOUR,
            now,
            None
        )
        .is_ok());
        let e = extend(
            Some(&g),
            "g1",
            "restricted-read",
            minutes(21),
            HOUR,
            now,
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("more than 1 h from now") && e.contains("ask for at most 20 min more"),
            "{e}"
        );
    }

    fn extension_request(t0: Moment, minutes_more: u64) -> PendingRequest {
        PendingRequest {
            id: "x1".into(),
            name: "restricted-read".into(),
            requester: "ana".into(),
            requested_at_ms: t0.wall.timestamp_millis(),
            duration_s: minutes_more * 60,
            reason: "still on the fraud case".into(),
            extends: Some("g1".into()),
        }
    }

    fn answer(r: &PendingRequest, decision: Decision, at: Moment) -> DecisionRecord {
        DecisionRecord {
            id: r.id.clone(),
            decision,
            approver: "carol".into(),
            decided_at_ms: at.wall.timestamp_millis(),
            reason: (decision == Decision::Deny).then(|| "not tonight".into()),
            name: r.name.clone(),
            duration_s: r.duration_s,
            requester: r.requester.clone(),
        }
    }

    #[test]
    fn an_approved_extension_adds_to_the_grant_and_a_denied_one_leaves_it() {
        let policy = Policy::from_yaml(POLICY).expect("policy");
        let t0 = start();
        let g = grant(t0, 600);
        let r = extension_request(t0, 15);
        let now = t0.after(minutes(2));
        let approval = answer(&r, Decision::Approve, now);
        let longer = judge_extension(&r, Ok(approval), false, Some(&policy), Some(&g), now)
            .expect("extended");
        assert_eq!((longer.expires_at - g.expires_at).num_minutes(), 15);
        assert_eq!(longer.approver.as_deref(), Some("carol"));

        let denied = judge_extension(
            &r,
            Ok(answer(&r, Decision::Deny, now)),
            false,
            Some(&policy),
            Some(&g),
            now,
        )
        .expect_err("denied");
        assert_eq!(denied.reason, "not tonight");
    }

    #[test]
    fn an_extension_decided_after_its_grant_ended_is_void() {
        let policy = Policy::from_yaml(POLICY).expect("policy");
        let t0 = start();
        let g = grant(t0, 600);
        let r = extension_request(t0, 15);
        let late = t0.after(minutes(10));
        let void = judge_extension(
            &r,
            Ok(answer(&r, Decision::Approve, late)),
            false,
            Some(&policy),
            Some(&g),
            late,
        )
        .expect_err("void");
        assert!(
            void.reason.contains("ended before the decision"),
            "{}",
            void.reason
        );
        let gone = judge_extension(
            &r,
            Ok(answer(&r, Decision::Approve, t0)),
            false,
            Some(&policy),
            None,
            t0,
        )
        .expect_err("void");
        assert!(gone.reason.contains("extension is void"), "{}", gone.reason);
    }

    #[test]
    fn an_approval_seen_late_is_capped_at_the_maximum_from_now() {
        let policy = Policy::from_yaml(POLICY).expect("policy");
        let t0 = start();
        // 50 minutes, extension by 30 asked at once; seen when the grant still had 45 left.
        let g = grant(t0, 50 * 60);
        let r = extension_request(t0, 30);
        let now = t0.after(minutes(5));
        let longer = judge_extension(
            &r,
            Ok(answer(&r, Decision::Approve, t0)),
            false,
            Some(&policy),
            Some(&g),
            now,
        )
        .expect("extended");
        assert_eq!(longer.expires_at, now.after(HOUR).wall, "capped");
    }
}
