//! What moto cannot show (it answers every assignment SUCCEEDED at once): a creation that IAM
//! Identity Center reports FAILED, or that stays IN_PROGRESS past the broker's bound, denies the
//! grant with the reason and leaves no holder behind; one that stays IN_PROGRESS is recorded as
//! `unknown` and kept in the record, so that once it lands a later pass deletes it. One whose
//! answer is lost (or whose status AWS no longer answers) marks the record `uncertain`, and the
//! listing of assignments decides: found without a grant, deleted; not found after the grace,
//! the mark goes. The fake of
//! sso-admin (`warden_test_support::sso_admin_fake`) answers for Identity Center; the identity
//! store and S3 are moto's.

mod common;

use std::time::Duration;

use aws_sdk_identitystore::types::{Email, Name};
use common::*;
use warden_audit::{ActionOutcome, BrokerAction, Journal};
use warden_broker::*;
use warden_elevation::Decision;
use warden_guardrails::{AwsTarget, PermissionSetGrant};
use warden_test_support::sso_admin_fake::{FakeAdmin, ACCOUNT, PERMISSION_SET};

const MIN: Duration = Duration::from_secs(60);

/// Ana in moto's identity store `store`.
async fn ana_in(env: &Env, store: &str) -> String {
    aws_sdk_identitystore::Client::new(&env.sdk)
        .create_user()
        .identity_store_id(store)
        .user_name("ana@example.com")
        .display_name("Ana")
        .name(
            Name::builder()
                .given_name("Ana")
                .family_name("Example")
                .build(),
        )
        .emails(Email::builder().value("ana@example.com").build())
        .send()
        .await
        .unwrap()
        .user_id
}

fn broker(env: &Env, admin: &FakeAdmin, journal: &str, wait: Duration) -> Broker {
    let mut config = BrokerConfig {
        workspace: "prod".into(),
        ..Default::default()
    };
    config.elevations.insert(
        "large-scan".into(),
        AwsElevation {
            target: AwsTarget::PermissionSet(PermissionSetGrant {
                permission_set_arn: PERMISSION_SET.into(),
                account_id: ACCOUNT.into(),
                instance_arn: None,
                role_name: Some("LargeScan".into()),
            }),
            workgroup: None,
            approver_group: None,
        },
    );
    let admin_sdk = env.sdk.to_builder().endpoint_url(&admin.endpoint).build();
    Broker::new(
        S3Queue::new(env.bucket(), "AROABROKER:warden-broker").unwrap(),
        policy(),
        config,
        Minter::new(&env.sdk),
        Approvers::none(),
        env.journal(journal),
        env.clock.clone(),
    )
    .with_identity_center(IdentityCenter::new(&admin_sdk, &env.sdk).with_wait(wait))
}

/// Ana asks for large-scan; the pass denies it. The denial's reason, and the request id.
async fn denied(env: &Env, broker: &Broker) -> (String, String) {
    let (ana, _) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();
    let report = broker.run_once().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.denied, vec![request.id.clone()]);
    let (s, _) = ana.state(&request.id).await.unwrap().unwrap();
    assert_eq!(s.status, Status::Denied);
    assert_eq!((s.expires_at_ms, s.assignment.clone()), (None, None));
    // The record of the assignment keeps no holder and no claim.
    let record = record(env).await;
    assert!(record.holders.is_empty() && !record.assigned && record.busy.is_none());
    (s.reason.unwrap(), request.id)
}

async fn record(env: &Env) -> Holders {
    let keys = env.keys("assignments/").await;
    assert_eq!(keys.len(), 1);
    serde_json::from_slice(&env.body(&keys[0]).await).unwrap()
}

async fn denied_reason(env: &Env, broker: &Broker) -> String {
    denied(env, broker).await.0
}

#[tokio::test]
async fn a_creation_identity_center_reports_failed_denies_the_grant_with_its_reason() {
    let env = env().await;
    ana_in(&env, "d-1234567890").await;
    let admin = FakeAdmin::start("d-1234567890", "FAILED");
    let broker = broker(&env, &admin, "broker.db", Duration::from_secs(30));
    assert_eq!(
        denied_reason(&env, &broker).await,
        "IAM Identity Center reported the creation of the assignment as FAILED: the permission set is not provisioned in the account"
    );
    assert_eq!(admin.state().status_calls, 1);
    assert_eq!(record(&env).await.creating, None, "nothing may land");
}

#[tokio::test]
async fn a_creation_that_does_not_finish_in_time_denies_the_grant() {
    let env = env().await;
    ana_in(&env, "d-1234567890").await;
    let admin = FakeAdmin::start("d-1234567890", "IN_PROGRESS");
    let broker = broker(&env, &admin, "broker.db", Duration::from_secs(2));
    let started = std::time::Instant::now();
    let reason = denied_reason(&env, &broker).await;
    assert!(
        reason.starts_with(
            "IAM Identity Center did not finish the creation of the assignment within 2 s"
        ),
        "{reason}"
    );
    // Polled with backoff (0.25 s, 0.5 s, 1 s ...) and given up at the bound, then asked
    // again for the record (by the denial and the sweep): it is still in progress.
    let calls = admin.state().status_calls;
    assert!((2..=7).contains(&calls), "{calls} status calls");
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test]
async fn a_creation_that_lands_after_the_wait_is_recorded_unknown_and_deleted_later() {
    let env = env().await;
    let ana_id = ana_in(&env, "d-1234567890").await;
    let admin = FakeAdmin::start("d-1234567890", "IN_PROGRESS");
    let broker = broker(&env, &admin, "broker.db", Duration::from_secs(1));
    let (reason, id) = denied(&env, &broker).await;
    assert!(reason.contains("within 1 s"), "{reason}");
    // Not known to have happened nor not to: recorded so, with the reason.
    let journal = env.journal("broker.db");
    let ended = paired(&journal);
    let create: Vec<_> = ended
        .iter()
        .filter(|e| e.action == BrokerAction::CreateAssignment)
        .collect();
    assert_eq!(create.len(), 1, "{ended:?}");
    assert_eq!(create[0].outcome, ActionOutcome::Unknown);
    let why = create[0].reason.as_deref().unwrap_or_default();
    assert!(
        why.contains("did not finish the creation") && why.contains("may still complete"),
        "{why}"
    );
    assert_eq!(
        kinds(&journal),
        vec!["elevation_requested", "elevation_denied"]
    );
    // The record keeps it as possibly existing, without a holder.
    let kept = record(&env).await;
    assert_eq!(
        kept.creating.as_deref(),
        Some(warden_test_support::sso_admin_fake::CREATION_REQUEST)
    );
    // Still in progress: a pass asks and waits, deleting nothing.
    let report = broker.run_once().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(admin.state().deletions, 0);
    // It lands at AWS: the analyst now holds the permission set without a grant.
    admin.land();
    assert_eq!(admin.state().assigned_to.as_deref(), Some(ana_id.as_str()));
    let report = broker.run_once().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    // The next pass found it and took it back, recorded before and after.
    let state = admin.state();
    assert_eq!((state.assigned_to, state.deletions), (None, 1));
    let record = record(&env).await;
    assert!(
        !record.assigned && record.creating.is_none() && record.busy.is_none(),
        "{record:?}"
    );
    let ended = paired(&journal);
    let delete: Vec<_> = ended
        .iter()
        .filter(|e| e.action == BrokerAction::DeleteAssignment)
        .map(|e| e.outcome)
        .collect();
    assert_eq!(delete, vec![ActionOutcome::Done]);
    // Nothing more to do: later passes leave it alone.
    broker.run_once().await.unwrap();
    assert_eq!(admin.state().deletions, 1);
    let (ana, _) = env.queue_of(ANA);
    let (s, _) = ana.state(&id).await.unwrap().unwrap();
    assert_eq!(s.status, Status::Denied);
}

/// The CreateAssignment and DeleteAssignment outcomes recorded in `journal`, in order.
fn assignment_outcomes(journal: &Journal) -> Vec<(BrokerAction, ActionOutcome)> {
    paired(journal)
        .iter()
        .filter(|e| {
            matches!(
                e.action,
                BrokerAction::CreateAssignment | BrokerAction::DeleteAssignment
            )
        })
        .map(|e| (e.action, e.outcome))
        .collect()
}

/// Ana asks for large-scan and the answer to the creation is lost: the pass reports it, the
/// request stays pending, and the record is marked uncertain (the creation may have landed).
async fn lost(env: &Env, broker: &Broker, admin: &FakeAdmin) -> String {
    let (ana, _) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();
    admin.lose_creation_answers(admin.state().creation_status == "SUCCEEDED");
    let report = broker.run_once().await.unwrap();
    // The grant's creation went unanswered (and the sweep's, if it asked again).
    assert!(!report.problems.is_empty());
    for p in &report.problems {
        assert!(
            p.contains("CreateAccountAssignment"),
            "{:?}",
            report.problems
        );
    }
    assert!(admin.state().creations >= 1);
    // Not decided: no state yet, or a pending one; the next pass tries again.
    let state = ana.state(&request.id).await.unwrap();
    assert!(
        state
            .as_ref()
            .is_none_or(|(s, _)| s.status == Status::Pending),
        "{state:?}"
    );
    // Still held for the waiting grant; uncertain, unless the same pass's sweep listed the
    // assignment already (then it counts as existing).
    let kept = record(env).await;
    assert!(kept.uncertain.is_some() != kept.assigned, "{kept:?}");
    assert_eq!(kept.holders.iter().collect::<Vec<_>>(), vec![&request.id]);
    request.id
}

#[tokio::test]
async fn a_creation_whose_answer_is_lost_and_which_landed_is_found_and_deleted_when_its_grant_ends()
{
    let env = env().await;
    let ana_id = ana_in(&env, "d-1234567890").await;
    // "SUCCEEDED": the lost creations land.
    let admin = FakeAdmin::start("d-1234567890", "SUCCEEDED");
    let broker = broker(&env, &admin, "broker.db", Duration::from_secs(2));
    let id = lost(&env, &broker, &admin).await;
    assert_eq!(admin.state().assigned_to.as_deref(), Some(ana_id.as_str()));
    let journal = env.journal("broker.db");
    assert_eq!(
        assignment_outcomes(&journal),
        vec![(BrokerAction::CreateAssignment, ActionOutcome::Unknown)]
    );
    // Ana withdraws before any pass learns more: the grant ends without holding anything.
    let (ana, _) = env.queue_of(ANA);
    ana.decide_request(&id, Decision::Withdraw, None, env.now())
        .await
        .unwrap();
    let report = broker.run_once().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let (s, _) = ana.state(&id).await.unwrap().unwrap();
    assert_eq!(s.status, Status::Withdrawn);
    // The listing (two pages) found the assignment nobody holds: deleted, recorded.
    let state = admin.state();
    assert_eq!(
        (state.assigned_to.clone(), state.deletions),
        (None, 1),
        "{state:?}"
    );
    assert!(state.list_calls >= 2, "{state:?}");
    assert_eq!(
        assignment_outcomes(&journal),
        vec![
            (BrokerAction::CreateAssignment, ActionOutcome::Unknown),
            (BrokerAction::DeleteAssignment, ActionOutcome::Done)
        ]
    );
    let left = record(&env).await;
    assert!(
        left.holders.is_empty()
            && !left.assigned
            && left.uncertain.is_none()
            && left.busy.is_none(),
        "{left:?}"
    );
    // Known now: later passes neither list nor delete again.
    let calls = admin.state().list_calls;
    let report = broker.run_once().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(
        (admin.state().list_calls, admin.state().deletions),
        (calls, 1)
    );
}

#[tokio::test]
async fn a_creation_whose_answer_is_lost_and_which_did_not_land_loses_its_mark_after_the_grace() {
    let env = env().await;
    ana_in(&env, "d-1234567890").await;
    let admin = FakeAdmin::start("d-1234567890", "IN_PROGRESS");
    let broker = broker(&env, &admin, "broker.db", Duration::from_secs(2));
    let id = lost(&env, &broker, &admin).await;
    assert_eq!(admin.state().assigned_to, None);
    let (ana, _) = env.queue_of(ANA);
    ana.decide_request(&id, Decision::Withdraw, None, env.now())
        .await
        .unwrap();
    // Not listed, but a creation under way may not be listed yet: the mark stays a while.
    let report = broker.run_once().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let kept = record(&env).await;
    assert!(
        kept.holders.is_empty() && kept.uncertain.is_some(),
        "{kept:?}"
    );
    assert!(admin.state().list_calls >= 2);
    // After the grace, still not listed: the mark goes, nothing was deleted.
    env.advance(Duration::from_millis(UNCERTAIN_GRACE_MS as u64));
    let report = broker.run_once().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let left = record(&env).await;
    assert!(
        left.uncertain.is_none() && !left.assigned && left.busy.is_none(),
        "{left:?}"
    );
    assert_eq!(admin.state().deletions, 0);
    // Only the unanswered creations are recorded (the grant's, and the same pass's sweep
    // asking again for the holder that still waited), each unknown; no deletion.
    let journal = env.journal("broker.db");
    let recorded = assignment_outcomes(&journal);
    assert!(
        !recorded.is_empty()
            && recorded
                .iter()
                .all(|r| *r == (BrokerAction::CreateAssignment, ActionOutcome::Unknown)),
        "{recorded:?}"
    );
    // Settled: no more listings.
    let calls = admin.state().list_calls;
    broker.run_once().await.unwrap();
    assert_eq!(admin.state().list_calls, calls);
}

#[tokio::test]
async fn a_kept_creation_whose_status_is_no_longer_answered_is_resolved_by_the_listing() {
    let env = env().await;
    ana_in(&env, "d-1234567890").await;
    let admin = FakeAdmin::start("d-1234567890", "IN_PROGRESS");
    let broker = broker(&env, &admin, "broker.db", Duration::from_secs(1));
    denied(&env, &broker).await;
    assert!(record(&env).await.creating.is_some());
    // It lands, and AWS no longer answers its status (the request id expired).
    admin.land();
    admin.fail_status_calls(true);
    let report = broker.run_once().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let state = admin.state();
    assert_eq!(
        (state.assigned_to.clone(), state.deletions),
        (None, 1),
        "{state:?}"
    );
    let left = record(&env).await;
    assert!(
        left.creating.is_none() && left.uncertain.is_none() && !left.assigned,
        "{left:?}"
    );
    let journal = env.journal("broker.db");
    assert_eq!(
        assignment_outcomes(&journal),
        vec![
            (BrokerAction::CreateAssignment, ActionOutcome::Unknown),
            (BrokerAction::DeleteAssignment, ActionOutcome::Done)
        ]
    );
}

#[tokio::test]
async fn a_broker_that_stops_mid_creation_leaves_the_mark_and_its_successor_deletes_what_landed() {
    let env = env().await;
    let ana_id = ana_in(&env, "d-1234567890").await;
    let admin = FakeAdmin::start("d-1234567890", "SUCCEEDED");
    let first = broker(&env, &admin, "broker.db", Duration::from_secs(2));
    let (ana, _) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();
    // The creation lands but its answer does not come: the broker stops while it waits.
    admin.stall_creation_answers(true);
    let cut = tokio::time::timeout(Duration::from_secs(3), first.run_once()).await;
    assert!(cut.is_err(), "the pass was to be cut off mid-creation");
    drop(first);
    assert_eq!(admin.state().assigned_to.as_deref(), Some(ana_id.as_str()));
    // The claim it left carries the mark written ahead of the creation.
    let left = record(&env).await;
    assert!(
        left.busy.is_some() && left.uncertain.is_some() && !left.assigned,
        "{left:?}"
    );
    // Ana withdraws; after the claim's lease a new broker takes over and lists.
    ana.decide_request(&request.id, Decision::Withdraw, None, env.now())
        .await
        .unwrap();
    env.advance(Duration::from_millis(BUSY_LEASE_MS as u64 + 1_000));
    admin.lose_creation_answers(false);
    let successor = broker(&env, &admin, "successor.db", Duration::from_secs(2));
    let report = successor.run_once().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let state = admin.state();
    assert_eq!(
        (state.assigned_to.clone(), state.deletions),
        (None, 1),
        "{state:?}"
    );
    let record = record(&env).await;
    assert!(
        record.holders.is_empty()
            && !record.assigned
            && record.uncertain.is_none()
            && record.busy.is_none(),
        "{record:?}"
    );
    assert_eq!(
        assignment_outcomes(&env.journal("successor.db")),
        vec![(BrokerAction::DeleteAssignment, ActionOutcome::Done)]
    );
}
