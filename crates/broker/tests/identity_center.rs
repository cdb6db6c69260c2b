//! The Identity Center mode against moto_server (S3, sso-admin, identitystore): a grant is an
//! account assignment of a permission set to the analyst, made before the grant is written as
//! granted, shared by overlapping grants and deleted only when the last one ends, through a
//! broker's restart and between racing brokers. moto answers every assignment SUCCEEDED at once.

mod common;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_identitystore::types::{Email, Name};
use common::*;
use warden_audit::{ActionOutcome, Payload};
use warden_broker::*;
use warden_guardrails::{AwsTarget, PermissionSetGrant};

const MIN: Duration = Duration::from_secs(60);
const ACCOUNT: &str = "123456789012";

/// moto's Identity Center: its instance, the instance's identity store, and one permission set.
struct Center {
    admin: aws_sdk_ssoadmin::Client,
    instance_arn: String,
    store: String,
    permission_set_arn: String,
}

async fn center(env: &Env, users: &[&str]) -> Center {
    let admin = aws_sdk_ssoadmin::Client::new(&env.sdk);
    let instances = admin.list_instances().send().await.unwrap();
    let instance = &instances.instances()[0];
    let instance_arn = instance.instance_arn().unwrap().to_string();
    let store = instance.identity_store_id().unwrap().to_string();
    let ps = admin
        .create_permission_set()
        .instance_arn(&instance_arn)
        .name("LargeScan")
        // moto answers an unset duration as a number, which the SDK refuses.
        .session_duration("PT1H")
        .send()
        .await
        .unwrap();
    let permission_set_arn = ps
        .permission_set()
        .unwrap()
        .permission_set_arn()
        .unwrap()
        .to_string();
    let ids = aws_sdk_identitystore::Client::new(&env.sdk);
    for name in users {
        ids.create_user()
            .identity_store_id(&store)
            .user_name(*name)
            .display_name(*name)
            .name(
                Name::builder()
                    .given_name(*name)
                    .family_name("Example")
                    .build(),
            )
            .emails(Email::builder().value(*name).build())
            .send()
            .await
            .unwrap();
    }
    Center {
        admin,
        instance_arn,
        store,
        permission_set_arn,
    }
}

impl Center {
    /// Both elevations in the Identity Center mode, onto the one permission set.
    fn config(&self) -> BrokerConfig {
        let mut config = BrokerConfig {
            workspace: "prod".into(),
            ..Default::default()
        };
        for name in ["pii-read", "large-scan"] {
            config.elevations.insert(
                name.into(),
                AwsElevation {
                    target: AwsTarget::PermissionSet(PermissionSetGrant {
                        permission_set_arn: self.permission_set_arn.clone(),
                        account_id: ACCOUNT.into(),
                        instance_arn: None,
                        role_name: None,
                    }),
                    workgroup: None,
                    approver_group: None,
                },
            );
        }
        config
    }

    fn broker(&self, env: &Env, journal: Arc<warden_audit::Journal>) -> Broker {
        Broker::new(
            S3Queue::new(env.bucket(), "AROABROKER:warden-broker").unwrap(),
            policy(),
            self.config(),
            Minter::new(&env.sdk),
            Approvers::none(),
            journal,
            env.clock.clone(),
        )
        .with_identity_center(IdentityCenter::new(&env.sdk, &env.sdk))
    }

    /// The account assignments of the permission set at moto: (principal type, principal id).
    async fn assignments(&self) -> Vec<(String, String)> {
        let out = self
            .admin
            .list_account_assignments()
            .instance_arn(&self.instance_arn)
            .account_id(ACCOUNT)
            .permission_set_arn(&self.permission_set_arn)
            .send()
            .await
            .unwrap();
        out.account_assignments()
            .iter()
            .map(|a| {
                (
                    a.principal_type().unwrap().as_str().to_string(),
                    a.principal_id().unwrap().to_string(),
                )
            })
            .collect()
    }

    async fn user_id(&self, env: &Env, name: &str) -> String {
        let ids = aws_sdk_identitystore::Client::new(&env.sdk);
        let users = ids
            .list_users()
            .identity_store_id(&self.store)
            .send()
            .await
            .unwrap();
        users
            .users()
            .iter()
            .find(|u| u.user_name() == Some(name))
            .map(|u| u.user_id().to_string())
            .expect(name)
    }
}

async fn state(env: &Env, id: &str) -> GrantState {
    let (queue, _) = env.queue_of(BOB);
    queue.state(id).await.unwrap().expect("state").0
}

async fn holders(env: &Env, key: &str) -> Holders {
    serde_json::from_slice(&env.body(key).await).unwrap()
}

#[tokio::test]
async fn an_automatic_grant_is_an_account_assignment_made_before_it_counts() {
    let env = env().await;
    let center = center(&env, &["ana@example.com"]).await;
    let journal = env.journal("broker.db");
    let broker = center.broker(&env, journal.clone());
    let (ana, _) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();
    assert!(center.assignments().await.is_empty());

    let report = broker.run_once().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.granted, vec![request.id.clone()]);
    assert!(report.minted.is_empty(), "the broker mints nothing here");
    let ana_id = center.user_id(&env, "ana@example.com").await;
    assert_eq!(
        center.assignments().await,
        vec![("USER".to_string(), ana_id.clone())]
    );
    let s = state(&env, &request.id).await;
    assert_eq!(s.status, Status::Granted);
    assert_eq!((s.minted, s.delivered), (0, 0));
    let assigned = s
        .assignment
        .clone()
        .expect("the grant names its assignment");
    assert_eq!(
        assigned.role_name, "LargeScan",
        "from DescribePermissionSet"
    );
    assert_eq!(assigned.assignment.principal_id, ana_id);
    assert_eq!(assigned.assignment.account_id, ACCOUNT);
    assert_eq!(assigned.assignment.instance_arn, center.instance_arn);
    assert!(env.keys("grants/").await.is_empty(), "no credentials sent");
    let record = holders(&env, &assigned.assignment.key()).await;
    assert!(record.assigned && record.busy.is_none());
    assert_eq!(record.holders.iter().collect::<Vec<_>>(), vec![&request.id]);
    assert_eq!(
        kinds(&journal),
        vec![
            "elevation_requested",
            "elevation_granted",
            "credentials_issued"
        ]
    );
    match &outcomes(&journal)[2] {
        Payload::CredentialsIssued(c) => {
            assert_eq!(
                (c.account_id.as_str(), c.role_name.as_str()),
                (ACCOUNT, "LargeScan")
            );
            assert_eq!(Some(c.expires_at_ms), s.expires_at_ms);
        }
        other => panic!("{other:?}"),
    }

    // Later passes change nothing; at the end the assignment goes.
    assert_eq!(broker.run_once().await.unwrap(), RunReport::default());
    env.advance(20 * MIN);
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.ended, vec![request.id.clone()]);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(center.assignments().await.is_empty());
    let record = holders(&env, &assigned.assignment.key()).await;
    assert!(!record.assigned && record.holders.is_empty());
    assert_eq!(
        kinds(&journal)[3..],
        ["elevation_expired"],
        "the end is recorded"
    );
}

#[tokio::test]
async fn overlapping_grants_share_the_assignment_until_the_last_one_ends() {
    let env = env().await;
    let center = center(&env, &["ana@example.com"]).await;
    let journal = env.journal("broker.db");
    let broker = center.broker(&env, journal.clone());
    let (ana, _) = env.queue_of(ANA);
    let (first, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();
    broker.run_once().await.unwrap();
    env.advance(10 * MIN);
    let (second, _) = ana
        .submit_request(&scan_request(30 * MIN), env.now())
        .await
        .unwrap();
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.granted, vec![second.id.clone()]);
    assert_eq!(
        center.assignments().await.len(),
        1,
        "one assignment, shared"
    );
    let key = state(&env, &first.id)
        .await
        .assignment
        .unwrap()
        .assignment
        .key();
    assert_eq!(holders(&env, &key).await.holders.len(), 2);

    // The first grant ends: the second still holds the assignment (AWS TEAM #279).
    env.advance(10 * MIN);
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.ended, vec![first.id.clone()]);
    assert_eq!(
        center.assignments().await.len(),
        1,
        "still held by the second"
    );
    let record = holders(&env, &key).await;
    assert!(record.assigned);
    assert_eq!(record.holders.iter().collect::<Vec<_>>(), vec![&second.id]);

    // The second one is ended early by Ana: now the assignment goes.
    ana.decide_request(
        &second.id,
        warden_elevation::Decision::Withdraw,
        None,
        env.now(),
    )
    .await
    .unwrap();
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.ended, vec![second.id.clone()]);
    assert_eq!(state(&env, &second.id).await.status, Status::Withdrawn);
    assert!(center.assignments().await.is_empty());
    assert!(!holders(&env, &key).await.assigned);
}

#[tokio::test]
async fn a_restarted_broker_carries_on_from_the_record_in_s3() {
    let env = env().await;
    let center = center(&env, &["ana@example.com"]).await;
    let journal = env.journal("broker.db");
    let (ana, _) = env.queue_of(ANA);
    let (first, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();
    let (second, _) = ana
        .submit_request(&scan_request(40 * MIN), env.now())
        .await
        .unwrap();
    {
        let broker = center.broker(&env, journal.clone());
        let report = broker.run_once().await.unwrap();
        assert_eq!(report.granted.len(), 2, "{report:?}");
    }
    // A new broker process knows only what S3 holds.
    let broker = center.broker(&env, journal.clone());
    env.advance(20 * MIN);
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.ended, vec![first.id.clone()]);
    assert_eq!(center.assignments().await.len(), 1);
    drop(broker);
    let broker = center.broker(&env, journal.clone());
    env.advance(20 * MIN);
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.ended, vec![second.id.clone()]);
    assert!(center.assignments().await.is_empty());
}

/// Ana's grant of large-scan, assigned by `broker`, whose end a broker wrote and then stopped
/// before leaving the assignment.
async fn end_without_release(env: &Env, broker: &Broker) {
    let (ana, _) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();
    broker.run_once().await.unwrap();
    let (queue, _) = env.queue_of(BOB);
    let (mut s, _) = queue.state(&request.id).await.unwrap().unwrap();
    s.status = Status::Ended;
    env.put(
        &state_key(&request.id),
        &String::from_utf8(s.to_json()).unwrap(),
    )
    .await;
}

#[tokio::test]
async fn a_grant_whose_release_was_interrupted_is_swept_by_a_later_pass() {
    let env = env().await;
    let center = center(&env, &["ana@example.com"]).await;
    let journal = env.journal("broker.db");
    let broker = center.broker(&env, journal.clone());
    end_without_release(&env, &broker).await;
    assert_eq!(center.assignments().await.len(), 1);
    let fresh = center.broker(&env, journal.clone());
    let report = fresh.run_once().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(center.assignments().await.is_empty(), "swept");
}

/// One assignment record that cannot be read (damaged) is a problem of the pass; the sweep
/// still reaches the others, so their ended grants do not keep their assignments.
#[tokio::test]
async fn a_damaged_assignment_record_does_not_stop_the_sweep_of_the_others() {
    let env = env().await;
    let center = center(&env, &["ana@example.com"]).await;
    let journal = env.journal("broker.db");
    let broker = center.broker(&env, journal.clone());
    end_without_release(&env, &broker).await;
    // Listed before the real record.
    env.put("assignments/0-damaged.json", "not a record").await;
    assert_eq!(center.assignments().await.len(), 1);
    let report = center
        .broker(&env, journal.clone())
        .run_once()
        .await
        .unwrap();
    assert!(center.assignments().await.is_empty(), "swept all the same");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.starts_with("assignments: assignments/0-damaged.json: ")),
        "{:?}",
        report.problems
    );
}

#[tokio::test]
async fn an_analyst_the_identity_store_does_not_know_is_denied_with_the_reason() {
    let env = env().await;
    let center = center(&env, &["bob@example.com"]).await;
    let journal = env.journal("broker.db");
    let broker = center.broker(&env, journal.clone());
    let (ana, _) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.denied, vec![request.id.clone()]);
    assert!(report.granted.is_empty());
    let s = state(&env, &request.id).await;
    assert_eq!(s.status, Status::Denied);
    assert_eq!(s.expires_at_ms, None);
    let reason = s.reason.unwrap();
    assert_eq!(
        reason,
        format!(
            "ana@example.com is not a user of the identity store {}, so IAM Identity Center cannot assign them elevation large-scan's permission set",
            center.store
        )
    );
    assert_eq!(
        kinds(&journal),
        vec!["elevation_requested", "elevation_denied"]
    );
    assert!(center.assignments().await.is_empty());
    assert!(env.keys("assignments/").await.is_empty());
}

#[tokio::test]
async fn a_broker_without_identity_center_denies_the_mode_with_the_reason() {
    let env = env().await;
    let center = center(&env, &["ana@example.com"]).await;
    let journal = env.journal("broker.db");
    let broker = Broker::new(
        S3Queue::new(env.bucket(), "AROABROKER:warden-broker").unwrap(),
        policy(),
        center.config(),
        Minter::new(&env.sdk),
        Approvers::none(),
        journal.clone(),
        env.clock.clone(),
    );
    let (ana, _) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();
    broker.run_once().await.unwrap();
    let s = state(&env, &request.id).await;
    assert_eq!(s.status, Status::Denied);
    assert!(
        s.reason
            .unwrap()
            .contains("has no IAM Identity Center client"),
        "denied with the reason"
    );
}

#[tokio::test]
async fn racing_brokers_make_one_assignment_and_one_record() {
    let env = env().await;
    let center = center(&env, &["ana@example.com"]).await;
    let (one, two) = (env.journal("one.db"), env.journal("two.db"));
    let first = center.broker(&env, one.clone());
    let second = center.broker(&env, two.clone());
    let (ana, _) = env.queue_of(ANA);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (r, _) = ana
            .submit_request(&scan_request(20 * MIN), env.now())
            .await
            .unwrap();
        ids.push(r.id);
    }
    // Until every grant is decided: a broker that finds the other creating waits a pass.
    for _ in 0..4 {
        let (a, b) = tokio::join!(first.run_once(), second.run_once());
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(
            a.problems.is_empty() && b.problems.is_empty(),
            "{a:?} {b:?}"
        );
    }
    for id in &ids {
        assert_eq!(state(&env, id).await.status, Status::Granted, "{id}");
    }
    assert_eq!(center.assignments().await.len(), 1, "one assignment");
    assert_eq!(env.keys("assignments/").await.len(), 1, "one record");
    let granted = |j: &warden_audit::Journal| {
        kinds(j)
            .into_iter()
            .filter(|k| *k == "elevation_granted")
            .count()
    };
    assert_eq!(granted(&one) + granted(&two), 3, "each grant recorded once");
    // One creation, recorded before it was asked for by the broker that made it.
    let created = |j: &warden_audit::Journal| {
        paired(j)
            .into_iter()
            .filter(|e| {
                e.action == warden_audit::BrokerAction::CreateAssignment
                    && e.outcome == ActionOutcome::Done
            })
            .count()
    };
    assert_eq!(created(&one) + created(&two), 1);

    // They all end at once, both brokers racing: the assignment is deleted once, and gone.
    env.advance(20 * MIN);
    let (a, b) = tokio::join!(first.run_once(), second.run_once());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(
        a.problems.is_empty() && b.problems.is_empty(),
        "{a:?} {b:?}"
    );
    let (a, b) = tokio::join!(first.run_once(), second.run_once());
    assert!(a.unwrap().problems.is_empty() && b.unwrap().problems.is_empty());
    assert!(center.assignments().await.is_empty());
    let key = env.keys("assignments/").await.remove(0);
    let record = holders(&env, &key).await;
    assert!(record.holders.is_empty() && !record.assigned && record.busy.is_none());
    let deleted = |j: &warden_audit::Journal| {
        paired(j)
            .into_iter()
            .filter(|e| {
                e.action == warden_audit::BrokerAction::DeleteAssignment
                    && e.outcome == ActionOutcome::Done
            })
            .count()
    };
    assert_eq!(deleted(&one) + deleted(&two), 1);
}

#[tokio::test]
async fn an_approved_grant_is_assigned_then_and_a_revocation_takes_the_assignment_back() {
    let env = env().await;
    let center = center(&env, &["ana@example.com"]).await;
    let journal = env.journal("broker.db");
    let broker = center.broker(&env, journal.clone());
    let (ana, _) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&pii_request(30 * MIN), env.now())
        .await
        .unwrap();
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.waiting, vec![request.id.clone()]);
    assert!(
        center.assignments().await.is_empty(),
        "nothing before a decision"
    );

    let (bob, _) = env.queue_of(BOB);
    bob.decide_request(
        &request.id,
        warden_elevation::Decision::Approve,
        None,
        env.now(),
    )
    .await
    .unwrap();
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.granted, vec![request.id.clone()]);
    assert_eq!(center.assignments().await.len(), 1);
    let s = state(&env, &request.id).await;
    assert_eq!(s.approver.as_deref(), Some(BOB));

    bob.write_revocation(&s, "case closed", env.now())
        .await
        .unwrap();
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.ended, vec![request.id.clone()]);
    assert_eq!(state(&env, &request.id).await.status, Status::Revoked);
    assert!(center.assignments().await.is_empty(), "revoked: unassigned");
    assert_eq!(
        kinds(&journal),
        vec![
            "elevation_requested",
            "elevation_granted",
            "credentials_issued",
            "elevation_revoked",
            "elevation_expired"
        ]
    );
}

#[tokio::test]
async fn an_extension_moves_the_end_and_the_shared_assignment_lasts_until_the_new_end() {
    let env = env().await;
    let center = center(&env, &["ana@example.com"]).await;
    let journal = env.journal("broker.db");
    let broker = center.broker(&env, journal.clone());
    let (ana, _) = env.queue_of(ANA);
    let (long, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();
    let (short, _) = ana
        .submit_request(&scan_request(10 * MIN), env.now())
        .await
        .unwrap();
    broker.run_once().await.unwrap();
    let ana_id = center.user_id(&env, "ana@example.com").await;
    let key = state(&env, &short.id)
        .await
        .assignment
        .expect("assigned")
        .assignment
        .key();
    let old_end = state(&env, &short.id).await.expires_at_ms.unwrap();

    // Five minutes in, the shorter grant gets 30 minutes more: it now outlives the other.
    env.advance(5 * MIN);
    let more = warden_elevation::validate(
        &policy(),
        &warden_elevation::Request {
            name: "large-scan".into(),
            duration: Some(30 * MIN),
            justification: String::new(),
            ticket: None,
            extends: Some(short.id.clone()),
        },
    )
    .unwrap();
    let (ext, _) = ana.submit_request(&more, env.now()).await.unwrap();
    let report = broker.run_once().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.extended, vec![ext.id.clone()]);
    assert!(report.minted.is_empty(), "nothing is minted in this mode");
    let new_end = old_end + 30 * 60 * 1000;
    let s = state(&env, &short.id).await;
    assert_eq!(
        (s.status, s.expires_at_ms),
        (Status::Granted, Some(new_end))
    );
    assert!(s.assignment.is_some(), "the assignment stays");
    let record = holders(&env, &key).await;
    assert_eq!(
        record.holders.len(),
        2,
        "the extension is no holder of its own"
    );
    assert!(!record.holders.contains(&ext.id));

    // Past the old end and the other grant's end, the assignment holds for the extended one.
    env.advance(15 * MIN);
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.ended, vec![long.id.clone()]);
    assert_eq!(
        center.assignments().await,
        vec![("USER".to_string(), ana_id)]
    );
    assert_eq!(
        holders(&env, &key).await.holders.iter().collect::<Vec<_>>(),
        vec![&short.id]
    );
    // At the new end it goes.
    env.advance(20 * MIN);
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.ended, vec![short.id.clone()]);
    assert!(center.assignments().await.is_empty());
}

/// The broker's journal refusing stops the Identity Center mode before it assigns or takes an
/// assignment back: nothing at IAM Identity Center, no state. Once it records again the
/// assignment is made after its record, and deleted after its record at the grant's end.
#[tokio::test]
async fn a_journal_that_refuses_holds_the_assignment_back_until_it_records() {
    let env = env().await;
    let center = center(&env, &["ana@example.com"]).await;
    let journal = env.journal("broker.db");
    let broker = center.broker(&env, journal.clone());
    let (ana, _) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();

    refuse_appends(&journal, true);
    let err = broker.run_once().await.unwrap_err();
    assert!(matches!(err, BrokerError::Journal(_)), "{err}");
    assert!(center.assignments().await.is_empty(), "nothing assigned");
    assert!(env.keys("state/").await.is_empty(), "no state written");
    // The claim to create is let go, so the next pass does not wait out its lease.
    for key in env.keys("assignments/").await {
        let record = holders(&env, &key).await;
        assert!(record.busy.is_none() && !record.assigned, "{record:?}");
    }

    refuse_appends(&journal, false);
    let report = broker.run_once().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.granted, vec![request.id.clone()]);
    assert_eq!(center.assignments().await.len(), 1);
    assert_eq!(
        story(&journal),
        [
            "start create_assignment",
            "create_assignment done",
            "start write_state",
            "write_state done",
            "elevation_requested",
            "elevation_granted",
            "credentials_issued",
        ]
    );

    // The end: the grant's state and the assignment's deletion wait for the journal too.
    env.advance(20 * MIN);
    refuse_appends(&journal, true);
    assert!(broker.run_once().await.is_err());
    assert_eq!(center.assignments().await.len(), 1);
    assert_eq!(state(&env, &request.id).await.status, Status::Granted);
    refuse_appends(&journal, false);
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.ended, vec![request.id.clone()]);
    assert!(center.assignments().await.is_empty());
    assert_eq!(
        story(&journal)[7..],
        [
            "start write_state",
            "write_state done",
            "elevation_expired",
            "start delete_assignment",
            "delete_assignment done",
        ]
    );
    let ended = paired(&journal);
    assert!(
        ended.iter().all(|e| e.outcome == ActionOutcome::Done),
        "{ended:?}"
    );
}

/// A grant whose end is recorded and written, but whose assignment's deletion the journal
/// refuses: the assignment stays until the journal records again, and then a later pass's
/// sweep deletes it, recorded before it asks.
#[tokio::test]
async fn a_deletion_the_journal_refuses_is_swept_once_it_records() {
    let env = env().await;
    let center = center(&env, &["ana@example.com"]).await;
    let journal = env.journal("broker.db");
    let broker = center.broker(&env, journal.clone());
    let (ana, _) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();
    assert_eq!(
        broker.run_once().await.unwrap().granted,
        vec![request.id.clone()]
    );
    let key = state(&env, &request.id)
        .await
        .assignment
        .expect("assigned")
        .assignment
        .key();

    env.advance(20 * MIN);
    refuse_appends_when(
        &journal,
        r#"NEW.kind = 'broker_action_started' AND NEW.payload LIKE '%"delete_assignment"%'"#,
    );
    assert!(matches!(
        broker.run_once().await,
        Err(BrokerError::Journal(_))
    ));
    assert_eq!(state(&env, &request.id).await.status, Status::Ended);
    assert_eq!(
        center.assignments().await.len(),
        1,
        "not deleted unrecorded"
    );
    let record = holders(&env, &key).await;
    assert!(
        record.holders.is_empty() && record.assigned && record.busy.is_none(),
        "{record:?}"
    );

    refuse_appends(&journal, false);
    let report = broker.run_once().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(center.assignments().await.is_empty());
    assert_eq!(
        story(&journal)[7..],
        [
            "start write_state",
            "write_state done",
            "elevation_expired",
            "start delete_assignment",
            "delete_assignment done",
        ]
    );
    let started = events(&journal)
        .into_iter()
        .filter_map(|p| match p {
            Payload::BrokerActionStarted(s) => Some(s),
            _ => None,
        })
        .next_back()
        .expect("the deletion's start");
    assert_eq!(started.elevation_id, None, "a sweep's, for no one grant");
    assert_eq!(started.key, key);
    paired(&journal);
}
