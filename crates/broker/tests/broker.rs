//! The broker against moto_server (S3, STS, identitystore): approvals by policy and by a
//! person, refusals by who wrote a decision, racing brokers, restarts, and minting that stops
//! at the grant's end. Credentials never reach the journal, the state or an error.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_identitystore::types::{Email, MemberId, Name};
use common::*;
use warden_audit::{ActionOutcome, Payload};
use warden_broker::*;
use warden_elevation::{Decision, Queue};

const MIN: Duration = Duration::from_secs(60);

async fn state(env: &Env, id: &str) -> GrantState {
    let (queue, _) = env.queue_of(BOB);
    queue.state(id).await.unwrap().expect("state").0
}

fn denial_reasons(journal: &warden_audit::Journal) -> Vec<String> {
    events(journal)
        .into_iter()
        .filter_map(|p| match p {
            Payload::ElevationDenied(d) => Some(d.reason),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn an_automatic_elevation_is_granted_and_its_credentials_reach_only_the_requester() {
    let env = env().await;
    let journal = env.journal("broker.db");
    let broker = env.broker(journal.clone(), Approvers::none(), None);
    let (ana, identity) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();

    let report = broker.run_once().await.unwrap();
    assert_eq!(report.granted, vec![request.id.clone()]);
    assert_eq!(report.minted, vec![(request.id.clone(), 1)]);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let s = state(&env, &request.id).await;
    assert_eq!(s.status, Status::Granted);
    assert_eq!(s.approver, None, "approved by the policy");
    assert_eq!(s.requester, ANA);
    assert_eq!((s.minted, s.delivered), (1, 1));
    assert_eq!(
        kinds(&journal),
        vec![
            "elevation_requested",
            "elevation_granted",
            "credentials_issued"
        ]
    );

    // Only Ana's identity opens the delivery; the credentials came from STS.
    let key = grant_key(ANA, &request.id, 1);
    assert_eq!(env.keys("grants/").await, vec![key.clone()]);
    let sealed = env.body(&key).await;
    let (n, credentials) = open_delivery(&identity, &request.id, &sealed).unwrap();
    assert_eq!(n, 1);
    assert!(
        credentials.access_key_id.starts_with("ASIA"),
        "{credentials:?}"
    );
    assert!(open_delivery(&age::x25519::Identity::generate(), &request.id, &sealed).is_err());

    // The secret values are nowhere else: not in the journal, the bucket's other objects, the
    // report or the state.
    let secrets = [
        credentials.secret_access_key.clone(),
        credentials.session_token.clone(),
    ];
    let mut haystack = format!("{report:?}");
    for e in journal.events(&Default::default()).unwrap() {
        haystack.push_str(&format!("{e:?}"));
    }
    for k in env.keys("").await {
        haystack.push_str(&String::from_utf8_lossy(&env.body(&k).await));
    }
    haystack.push_str(&String::from_utf8_lossy(
        &std::fs::read(journal.path()).unwrap(),
    ));
    for secret in &secrets {
        assert!(secret.len() > 10);
        assert!(!haystack.contains(secret.as_str()), "a secret leaked");
    }
    // A later pass mints nothing new while the first set is fresh.
    let again = broker.run_once().await.unwrap();
    assert!(
        again.minted.is_empty() && again.granted.is_empty(),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_manual_elevation_waits_for_someone_else_and_refuses_the_requesters_own_decision() {
    let env = env().await;
    let journal = env.journal("broker.db");
    let broker = env.broker(journal.clone(), Approvers::none(), None);
    let (ana, identity) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&pii_request(30 * MIN), env.now())
        .await
        .unwrap();
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.waiting, vec![request.id.clone()]);
    assert_eq!(state(&env, &request.id).await.status, Status::Pending);
    assert_eq!(Queue::decision(&ana, &request.id).unwrap(), None);

    // Ana approves her own request by writing the object herself (the queue refuses to).
    let own = format!(
        r#"{{"id":"{id}","decision":"approve","approver":"{ANA}","decided_at_ms":{at},"reason":null,"name":"pii-read","duration_s":1800,"requester":"{ANA}"}}"#,
        id = request.id,
        at = env.now().timestamp_millis()
    );
    env.put(&approval_key(ANA, &request.id), &own).await;
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.refused, vec![approval_key(ANA, &request.id)]);
    assert!(report.granted.is_empty());
    let s = state(&env, &request.id).await;
    assert_eq!(s.status, Status::Pending, "the request still waits");
    assert!(denial_reasons(&journal)[0].contains("person who made it"));
    // The state says why too, for the approver's window (which cannot read the journal).
    let why = &s.refusals[&approval_key(ANA, &request.id)];
    assert!(why.contains("person who made it"), "{why}");
    // Refused once, recorded once.
    broker.run_once().await.unwrap();
    assert_eq!(denial_reasons(&journal).len(), 1);

    // Signed in with an approver's permission set, Ana has another role id but is the same
    // person: her queue refuses to decide, and the broker refuses the object she writes.
    const ANA_APPROVING: &str = "AROAAPPROVERSET:ana@example.com";
    let (ana_approving, _) = env.queue_of(ANA_APPROVING);
    let refused = Queue::decide(
        &ana_approving,
        &request.id,
        Decision::Approve,
        ANA_APPROVING,
        None,
        env.now(),
    )
    .unwrap_err();
    assert!(
        matches!(
            refused,
            warden_elevation::ElevationError::SelfApproval { .. }
        ),
        "{refused}"
    );
    let own_other_role = own.replace(
        &format!(r#""approver":"{ANA}""#),
        &format!(r#""approver":"{ANA_APPROVING}""#),
    );
    assert_ne!(own_other_role, own);
    env.put(&approval_key(ANA_APPROVING, &request.id), &own_other_role)
        .await;
    let report = broker.run_once().await.unwrap();
    assert_eq!(
        report.refused,
        vec![approval_key(ANA_APPROVING, &request.id)]
    );
    assert!(report.granted.is_empty());
    assert_eq!(state(&env, &request.id).await.status, Status::Pending);
    let reasons = denial_reasons(&journal);
    assert_eq!(reasons.len(), 2);
    assert!(reasons[1].contains("person who made it"), "{reasons:?}");

    env.advance(2 * MIN);
    let (bob, _) = env.queue_of(BOB);
    Queue::decide(&bob, &request.id, Decision::Approve, BOB, None, env.now()).unwrap();
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.granted, vec![request.id.clone()]);
    let s = state(&env, &request.id).await;
    assert_eq!(s.status, Status::Granted);
    assert_eq!(s.approver.as_deref(), Some(BOB));
    assert_eq!(
        s.expires_at_ms.unwrap() - s.granted_at_ms.unwrap(),
        30 * 60 * 1000,
        "the duration counts from the decision"
    );
    let verdict = Queue::decision(&ana, &request.id)
        .unwrap()
        .expect("decided");
    assert_eq!(
        (verdict.decision, verdict.approver.as_str()),
        (Decision::Approve, BOB)
    );
    let sealed = env.body(&grant_key(ANA, &request.id, 1)).await;
    open_delivery(&identity, &request.id, &sealed).expect("delivered to Ana");
    match events(&journal)
        .into_iter()
        .find(|p| matches!(p, Payload::ElevationGranted(_)))
    {
        Some(Payload::ElevationGranted(g)) => assert_eq!(g.approver.as_deref(), Some(BOB)),
        other => panic!("no grant recorded: {other:?}"),
    }
}

#[tokio::test]
async fn decisions_by_unknown_approvers_outsiders_or_forgers_are_refused() {
    let env = env().await;
    let store = "d-1234567890";
    let ids = aws_sdk_identitystore::Client::new(&env.sdk);
    let mut user_ids = Vec::new();
    for name in ["bob@example.com", "eve@example.com", "ana@example.com"] {
        let user = ids
            .create_user()
            .identity_store_id(store)
            .user_name(name)
            .display_name(name)
            .name(
                Name::builder()
                    .given_name(name)
                    .family_name("Example")
                    .build(),
            )
            .emails(Email::builder().value(name).build())
            .send()
            .await
            .unwrap();
        user_ids.push(user.user_id().to_string());
    }
    let group = ids
        .create_group()
        .identity_store_id(store)
        .display_name("warden-approvers")
        .send()
        .await
        .unwrap();
    ids.create_group_membership()
        .identity_store_id(store)
        .group_id(group.group_id())
        .member_id(MemberId::UserId(user_ids[0].clone()))
        .send()
        .await
        .unwrap();

    let journal = env.journal("broker.db");
    let broker = env.broker(
        journal.clone(),
        Approvers::identity_store(&env.sdk, store),
        Some("warden-approvers"),
    );
    let (ana, _) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&pii_request(30 * MIN), env.now())
        .await
        .unwrap();
    broker.run_once().await.unwrap();

    let decision = |claimed: &str| {
        format!(
            r#"{{"id":"{id}","decision":"approve","approver":"{claimed}","decided_at_ms":{at},"reason":null,"name":"pii-read","duration_s":1800,"requester":"{ANA}"}}"#,
            id = request.id,
            at = env.now().timestamp_millis()
        )
    };
    let mallory = "AROAEXAMPLE:mallory@example.com";
    // Eve is a user but not an approver; Mallory is nobody; the third names Bob but was
    // written by Eve; the fourth is not a decision at all.
    env.put(&approval_key(EVE, &request.id), &decision(EVE))
        .await;
    env.put(&approval_key(mallory, &request.id), &decision(mallory))
        .await;
    let forger = "AROAEXAMPLE:forger@example.com";
    env.put(&approval_key(forger, &request.id), &decision(BOB))
        .await;
    let junk = "AROAEXAMPLE:junk@example.com";
    env.put(&approval_key(junk, &request.id), "{\"approve\": true}")
        .await;
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.refused.len(), 4, "{report:?}");
    assert_eq!(state(&env, &request.id).await.status, Status::Pending);
    let reasons = denial_reasons(&journal).join("\n");
    for expected in [
        "eve@example.com is not in the approver group warden-approvers",
        "mallory@example.com is not a user of the identity store",
        "but was written by AROAEXAMPLE:forger@example.com",
        "unreadable (not a decision",
    ] {
        assert!(reasons.contains(expected), "{expected} in:\n{reasons}");
    }

    let (bob, _) = env.queue_of(BOB);
    Queue::decide(&bob, &request.id, Decision::Approve, BOB, None, env.now()).unwrap();
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.granted, vec![request.id.clone()], "{report:?}");
    assert_eq!(
        state(&env, &request.id).await.approver.as_deref(),
        Some(BOB)
    );
}

#[tokio::test]
async fn a_request_the_policy_does_not_allow_is_denied_and_recorded() {
    let env = env().await;
    let journal = env.journal("broker.db");
    let broker = env.broker(journal.clone(), Approvers::none(), None);
    let id = "01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f00";
    // Written by hand: two hours (the policy allows one), no ticket.
    let body = format!(
        r#"{{"id":"{id}","name":"pii-read","duration_s":7200,"justification":"x","ticket":null,"requested_at_ms":{at},"recipient":"{r}"}}"#,
        at = env.now().timestamp_millis(),
        r = age::x25519::Identity::generate().to_public()
    );
    env.put(&request_key(ANA, id), &body).await;
    let unknown = "01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f01";
    env.put(
        &request_key(ANA, unknown),
        &body.replace(id, unknown).replace("pii-read", "root"),
    )
    .await;
    let report = broker.run_once().await.unwrap();
    let denied: BTreeSet<_> = report.denied.iter().cloned().collect();
    assert_eq!(
        denied,
        BTreeSet::from([id.to_string(), unknown.to_string()])
    );
    assert!(state(&env, id)
        .await
        .reason
        .unwrap()
        .contains("at most 1 h"));
    assert!(state(&env, unknown)
        .await
        .reason
        .unwrap()
        .contains("no elevation named \"root\""));
    assert_eq!(
        kinds(&journal),
        vec!["elevation_denied", "elevation_denied"]
    );
    assert!(env.keys("grants/").await.is_empty());
}

#[tokio::test]
async fn two_brokers_racing_on_one_request_grant_it_once() {
    let env = env().await;
    let (one, two) = (env.journal("one.db"), env.journal("two.db"));
    let first = env.broker(one.clone(), Approvers::none(), None);
    let second = env.broker(two.clone(), Approvers::none(), None);
    let (ana, _) = env.queue_of(ANA);
    for _ in 0..3 {
        ana.submit_request(&scan_request(20 * MIN), env.now())
            .await
            .unwrap();
    }
    let (a, b) = tokio::join!(first.run_once(), second.run_once());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.granted.len() + b.granted.len(), 3, "{a:?} {b:?}");
    assert_eq!(a.minted.len() + b.minted.len(), 3, "{a:?} {b:?}");
    let granted = |j: &warden_audit::Journal| {
        kinds(j)
            .into_iter()
            .filter(|k| *k == "elevation_granted")
            .count()
    };
    assert_eq!(granted(&one) + granted(&two), 3, "each grant recorded once");
    assert_eq!(
        env.keys("grants/").await.len(),
        3,
        "one credential set each"
    );
    // Each broker recorded every action before it and its outcome after: the writes it lost
    // to the other as not done, and only the ones it won followed by what they decided. The
    // two passes run in lockstep on one thread, so both read each request before either
    // writes it, and one of them loses.
    let mut lost = 0;
    for j in [&one, &two] {
        for e in paired(j) {
            match e.outcome {
                ActionOutcome::Done => {}
                ActionOutcome::NotDone => {
                    let reason = e.reason.unwrap_or_default();
                    assert!(reason.contains("lost compare-and-swap"), "{reason}");
                    lost += 1;
                }
                ActionOutcome::Unknown => panic!("{e:?}"),
            }
        }
        let story = story(j);
        for (i, s) in story.iter().enumerate() {
            if s == "elevation_granted" {
                assert_eq!(story[i - 2], "write_state done", "{story:?}");
            }
        }
    }
    assert!(
        lost > 0,
        "no race was lost: {:?} {:?}",
        story(&one),
        story(&two)
    );
    // Passes after the race change nothing.
    let (a, b) = tokio::join!(first.run_once(), second.run_once());
    assert!(a.unwrap().minted.is_empty() && b.unwrap().minted.is_empty());
}

#[tokio::test]
async fn a_restarted_broker_carries_on_and_minting_stops_at_the_end() {
    let env = env().await;
    let journal = env.journal("broker.db");
    let (ana, identity) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&scan_request(25 * MIN), env.now())
        .await
        .unwrap();
    {
        let broker = env.broker(journal.clone(), Approvers::none(), None);
        let report = broker.run_once().await.unwrap();
        assert_eq!(report.minted, vec![(request.id.clone(), 1)]);
    }
    // A new broker process (same journal file, as after a restart) finds the grant in S3.
    let broker = env.broker(journal.clone(), Approvers::none(), None);
    env.advance(5 * MIN);
    let report = broker.run_once().await.unwrap();
    assert!(
        report.granted.is_empty() && report.minted.is_empty(),
        "{report:?}"
    );
    // Five minutes before the first set expires (15 min), the next one.
    env.advance(5 * MIN);
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.minted, vec![(request.id.clone(), 2)]);
    // The second set reaches past the grant's end (25 min): the session policy ends it there,
    // and nothing more is minted.
    let s = state(&env, &request.id).await;
    assert_eq!(s.credentials_until_ms, s.expires_at_ms);
    env.advance(14 * MIN);
    assert!(broker.run_once().await.unwrap().minted.is_empty());
    env.advance(MIN);
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.ended, vec![request.id.clone()]);
    assert!(report.minted.is_empty());
    assert_eq!(state(&env, &request.id).await.status, Status::Ended);
    env.advance(30 * MIN);
    assert_eq!(broker.run_once().await.unwrap(), RunReport::default());
    assert_eq!(env.keys("grants/").await.len(), 2, "no set after the end");
    for n in 1..=2 {
        let sealed = env.body(&grant_key(ANA, &request.id, n)).await;
        assert_eq!(open_delivery(&identity, &request.id, &sealed).unwrap().0, n);
    }
    assert_eq!(
        kinds(&journal),
        vec![
            "elevation_requested",
            "elevation_granted",
            "credentials_issued",
            "credentials_issued",
            "elevation_expired"
        ]
    );
}

#[tokio::test]
async fn withdrawal_early_end_and_revocation_stop_a_request() {
    let env = env().await;
    let journal = env.journal("broker.db");
    let broker = env.broker(journal.clone(), Approvers::none(), None);
    let (ana, _) = env.queue_of(ANA);
    let (bob, _) = env.queue_of(BOB);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (r, _) = ana
            .submit_request(&pii_request(30 * MIN), env.now())
            .await
            .unwrap();
        ids.push(r.id);
    }
    broker.run_once().await.unwrap();
    // The first is withdrawn while it waits; the other two are approved.
    ana.decide_request(&ids[0], Decision::Withdraw, None, env.now())
        .await
        .unwrap();
    for id in &ids[1..] {
        Queue::decide(&bob, id, Decision::Approve, BOB, None, env.now()).unwrap();
    }
    broker.run_once().await.unwrap();
    assert_eq!(state(&env, &ids[0]).await.status, Status::Withdrawn);
    // Ana ends the second early; Eve revokes the third.
    ana.decide_request(&ids[1], Decision::Withdraw, None, env.now())
        .await
        .unwrap();
    let (eve, _) = env.queue_of(EVE);
    Queue::decide(
        &eve,
        &ids[2],
        Decision::Deny,
        EVE,
        Some("incident closed"),
        env.now(),
    )
    .unwrap();
    let report = broker.run_once().await.unwrap();
    let ended: BTreeSet<_> = report.ended.into_iter().collect();
    assert_eq!(ended, BTreeSet::from([ids[1].clone(), ids[2].clone()]));
    assert_eq!(state(&env, &ids[1]).await.status, Status::Withdrawn);
    let revoked = state(&env, &ids[2]).await;
    assert_eq!(revoked.status, Status::Revoked);
    assert!(revoked.reason.unwrap().contains("incident closed"));
    env.advance(20 * MIN);
    assert!(broker.run_once().await.unwrap().minted.is_empty());
    assert_eq!(
        env.keys("grants/").await.len(),
        2,
        "one set each, none after the end"
    );
}

#[tokio::test]
async fn sts_is_asked_for_a_tagged_bounded_session() {
    let env = env().await;
    let minter = Minter::new(&env.sdk);
    let target = config(None).elevations["pii-read"].clone();
    let end = env.now() + chrono::Duration::minutes(10);
    let id = "01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f00";
    let credentials = minter
        .mint("pii-read", &target, id, ANA, end)
        .await
        .unwrap();
    assert!(credentials.access_key_id.starts_with("ASIA"));
    assert!(!credentials.secret_access_key.is_empty());
    assert!(!credentials.session_token.is_empty());
    // STS would let the set live 15 minutes; its session policy stops it at the grant's end,
    // and that is the expiry the holder is told.
    assert_eq!(credentials.expires_at_ms, end.timestamp_millis());
    // The session is Ana's, for this grant (moto answers for the assumed role).
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(&env.sdk)
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                credentials.access_key_id.clone(),
                credentials.secret_access_key.clone(),
                Some(credentials.session_token.clone()),
                None,
                "minted",
            ))
            .build(),
    );
    let me = sts.get_caller_identity().send().await.unwrap();
    assert!(
        me.arn()
            .unwrap()
            .ends_with(&format!("warden-pii-read/warden-{id}")),
        "{:?}",
        me.arn()
    );
    // A requester whose SSO user STS cannot take as SourceIdentity is refused before the call.
    let err = minter
        .mint("pii-read", &target, id, "AROAEXAMPLE:a", end)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("SourceIdentity"), "{err}");
}

/// Users `names` in identity store `store`, the first `members` of them in group
/// `warden-approvers`.
async fn identity_store(env: &Env, store: &str, names: &[&str], members: usize) {
    let ids = aws_sdk_identitystore::Client::new(&env.sdk);
    let group = ids
        .create_group()
        .identity_store_id(store)
        .display_name("warden-approvers")
        .send()
        .await
        .unwrap();
    for (i, name) in names.iter().enumerate() {
        let user = ids
            .create_user()
            .identity_store_id(store)
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
        if i < members {
            ids.create_group_membership()
                .identity_store_id(store)
                .group_id(group.group_id())
                .member_id(MemberId::UserId(user.user_id().to_string()))
                .send()
                .await
                .unwrap();
        }
    }
}

/// Revocation objects (`revocations/<writer>/<id>.json`): the approver who approved takes the
/// grant back (their approval, create-only, stays where it is), the requester ends their own,
/// and revocations by outsiders, forgers, about another grant or unreadable are refused,
/// recorded once, and change nothing.
#[tokio::test]
async fn the_approver_who_approved_revokes_and_forged_revocations_are_refused() {
    let env = env().await;
    let store = "d-1234567890";
    identity_store(
        &env,
        store,
        &["bob@example.com", "eve@example.com", "ana@example.com"],
        1,
    )
    .await;
    let journal = env.journal("broker.db");
    let broker = env.broker(
        journal.clone(),
        Approvers::identity_store(&env.sdk, store),
        Some("warden-approvers"),
    );
    let (ana, identity) = env.queue_of(ANA);
    let (bob, _) = env.queue_of(BOB);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (r, _) = ana
            .submit_request(&pii_request(30 * MIN), env.now())
            .await
            .unwrap();
        ids.push(r.id);
    }
    broker.run_once().await.unwrap();
    for id in &ids {
        Queue::decide(&bob, id, Decision::Approve, BOB, None, env.now()).unwrap();
    }
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.granted.len(), 3, "{report:?}");
    let granted = state(&env, &ids[0]).await;

    // Bob cannot write a second decision at his key (create-only), but a revocation he can.
    assert!(matches!(
        Queue::decide(&bob, &ids[0], Decision::Deny, BOB, Some("x"), env.now()),
        Err(warden_elevation::ElevationError::AlreadyDecided { .. })
    ));
    let record = bob
        .write_revocation(&granted, "case closed", env.now())
        .await
        .unwrap();
    assert_eq!(record.revoked_by, BOB);
    assert!(matches!(
        bob.write_revocation(&granted, "again", env.now()).await,
        Err(warden_elevation::ElevationError::AlreadyDecided { .. })
    ));

    // On the second grant: Eve (a user, not an approver), a forger writing Bob's name, a
    // revocation copied from another grant, and one that is not a revocation at all.
    let second = state(&env, &ids[1]).await;
    let body = |by: &str, name: &str| {
        format!(
            r#"{{"id":"{id}","revoked_by":"{by}","revoked_at_ms":{at},"reason":"stop","name":"{name}","requester":"{ANA}"}}"#,
            id = second.id,
            at = env.now().timestamp_millis()
        )
    };
    let forger = "AROAEXAMPLE:forger@example.com";
    let copier = "AROAEXAMPLE:copier@example.com";
    let junk = "AROAEXAMPLE:junk@example.com";
    let refused_keys = [
        revocation_key(EVE, &second.id),
        revocation_key(forger, &second.id),
        revocation_key(copier, &second.id),
        revocation_key(junk, &second.id),
    ];
    env.put(&refused_keys[0], &body(EVE, "pii-read")).await;
    env.put(&refused_keys[1], &body(BOB, "pii-read")).await;
    env.put(&refused_keys[2], &body(copier, "large-scan")).await;
    env.put(&refused_keys[3], "{\"revoke\": true}").await;

    let report = broker.run_once().await.unwrap();
    assert_eq!(report.ended, vec![ids[0].clone()], "{report:?}");
    let mut refused = report.refused.clone();
    refused.sort();
    let mut expected = refused_keys.to_vec();
    expected.sort();
    assert_eq!(refused, expected);
    let revoked = state(&env, &ids[0]).await;
    assert_eq!(revoked.status, Status::Revoked);
    assert_eq!(
        revoked.reason.as_deref(),
        Some(format!("revoked by {BOB}: case closed").as_str())
    );
    assert_eq!(state(&env, &ids[1]).await.status, Status::Granted);
    let verdict = Queue::decision(&ana, &ids[0]).unwrap().expect("decided");
    assert_eq!(verdict.decision, Decision::Deny, "the client locks out");
    let reasons = denial_reasons(&journal).join("\n");
    for expected in [
        "eve@example.com is not in the approver group warden-approvers",
        "it names \"AROAEXAMPLE:bob@example.com\" as revoker but was written by AROAEXAMPLE:forger@example.com",
        "it is about large-scan of",
        "unreadable (not a revocation",
        "; the grant still holds",
    ] {
        assert!(reasons.contains(expected), "{expected} in:\n{reasons}");
    }
    let revocations: Vec<_> = events(&journal)
        .into_iter()
        .filter_map(|p| match p {
            Payload::ElevationRevoked(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(revocations.len(), 1);
    assert_eq!(
        (
            revocations[0].elevation_id.as_str(),
            revocations[0].revoked_by.as_str(),
            revocations[0].reason.as_str()
        ),
        (ids[0].as_str(), BOB, "case closed")
    );
    let kinds = kinds(&journal);
    let at = kinds
        .iter()
        .position(|k| *k == "elevation_revoked")
        .unwrap();
    assert_eq!(kinds[at + 1], "elevation_expired", "the revoked grant ends");
    // Refused once, recorded once; the revoked grant gets no further credentials.
    let denials = denial_reasons(&journal).len();
    env.advance(11 * MIN);
    let report = broker.run_once().await.unwrap();
    assert_eq!(denials, denial_reasons(&journal).len());
    assert!(report.refused.is_empty(), "{report:?}");
    let minted: BTreeSet<_> = report.minted.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(
        minted,
        BTreeSet::from([ids[1].clone(), ids[2].clone()]),
        "the next sets of the grants that hold, none for the revoked one"
    );
    assert_eq!(
        env.keys(&format!("grants/{ANA}/{}/", ids[0])).await.len(),
        1
    );

    // Ana ends her own third grant with a revocation under her own prefix (a requester who
    // holds the approvers' permission set could write one): it counts.
    let third = state(&env, &ids[2]).await;
    ana.write_revocation(&third, "done early", env.now())
        .await
        .unwrap();
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.ended, vec![ids[2].clone()], "{report:?}");
    assert_eq!(
        state(&env, &ids[2]).await.reason.as_deref(),
        Some(format!("revoked by {ANA}: done early").as_str())
    );

    // No credential value reached the journal, the state or any other object.
    let sealed = env.body(&grant_key(ANA, &ids[1], 2)).await;
    let (_, credentials) = open_delivery(&identity, &ids[1], &sealed).unwrap();
    let mut haystack = String::new();
    for k in env.keys("").await {
        if !k.starts_with("grants/") {
            haystack.push_str(&String::from_utf8_lossy(&env.body(&k).await));
        }
    }
    haystack.push_str(&String::from_utf8_lossy(
        &std::fs::read(journal.path()).unwrap(),
    ));
    for secret in [&credentials.secret_access_key, &credentials.session_token] {
        assert!(!haystack.contains(secret.as_str()), "a secret leaked");
    }
}

/// Eve copies Ana's waiting request under her own prefix (the bucket lets her write there) and
/// withdraws the copy: the broker neither withdraws Ana's request nor lets the copy take its
/// decisions, and an approver looking the id up is told it is ambiguous.
#[tokio::test]
async fn a_copy_of_someone_elses_request_id_neither_withdraws_nor_decides_it() {
    let env = env().await;
    let journal = env.journal("broker.db");
    let broker = env.broker(journal.clone(), Approvers::none(), None);
    let (ana, _) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&pii_request(30 * MIN), env.now())
        .await
        .unwrap();
    broker.run_once().await.unwrap();
    assert_eq!(state(&env, &request.id).await.status, Status::Pending);

    let copy = String::from_utf8(env.body(&request_key(ANA, &request.id)).await).unwrap();
    env.put(&request_key(EVE, &request.id), &copy).await;
    let (eve, _) = env.queue_of(EVE);
    eve.decide_request(&request.id, Decision::Withdraw, None, env.now())
        .await
        .expect("Eve's own prefix takes the withdrawal object");
    let report = broker.run_once().await.unwrap();
    assert!(
        report.denied.is_empty() && report.ended.is_empty(),
        "{report:?}"
    );
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("ignored") && p.contains(EVE)),
        "{report:?}"
    );
    let s = state(&env, &request.id).await;
    assert_eq!((s.status, s.requester.as_str()), (Status::Pending, ANA));

    // An approver cannot be led to decide about the wrong person.
    let (bob, _) = env.queue_of(BOB);
    let refused = bob
        .decide_request(&request.id, Decision::Approve, None, env.now())
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("more than one requester"),
        "{refused}"
    );

    // Bob's decision about Ana's request, written directly, still counts for Ana: the copy,
    // listed before or after hers, does not take it.
    let approval = format!(
        r#"{{"id":"{id}","decision":"approve","approver":"{BOB}","decided_at_ms":{at},"reason":null,"name":"pii-read","duration_s":1800,"requester":"{ANA}"}}"#,
        id = request.id,
        at = env.now().timestamp_millis()
    );
    env.put(&approval_key(BOB, &request.id), &approval).await;
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.granted, vec![request.id.clone()], "{report:?}");
    let s = state(&env, &request.id).await;
    assert_eq!(
        (s.status, s.requester.as_str(), s.approver.as_deref()),
        (Status::Granted, ANA, Some(BOB))
    );
    // And the copy's withdrawal does not end the grant either.
    let report = broker.run_once().await.unwrap();
    assert!(report.ended.is_empty(), "{report:?}");
    assert_eq!(state(&env, &request.id).await.status, Status::Granted);
}

/// A newer policy that drops an elevation, or allows it for less time than a grant runs,
/// ends that grant at the broker's next pass: no more credential sets, recorded as revoked by
/// the policy. Grants it still allows run on, and a broker on an older revision than a grant
/// was given under ends nothing.
#[tokio::test]
async fn a_newer_policy_that_no_longer_allows_a_grant_ends_it() {
    let env = env().await;
    let journal = env.journal("broker.db");
    let mut broker = env
        .broker(journal.clone(), Approvers::none(), None)
        .with_policy_revision(2);
    let (ana, _) = env.queue_of(ANA);
    let (long, _) = ana
        .submit_request(&scan_request(50 * MIN), env.now())
        .await
        .unwrap();
    let (bob_queue, _) = env.queue_of(BOB);
    let (short, _) = bob_queue
        .submit_request(&scan_request(10 * MIN), env.now())
        .await
        .unwrap();
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.granted.len(), 2, "{report:?}");
    assert_eq!(state(&env, &long.id).await.policy_revision, Some(2));

    // A second broker still on revision 1, whose policy allows only 20 minutes, ends nothing:
    // the grants were given under a newer policy.
    let shorter = large_scan_for_at_most_20_min();
    let mut behind = env
        .broker(journal.clone(), Approvers::none(), None)
        .with_policy_revision(1);
    behind.set_policy(
        warden_guardrails::Policy::from_yaml(&shorter).unwrap(),
        config(None),
        1,
    );
    let report = behind.run_once().await.unwrap();
    assert!(report.ended.is_empty(), "{report:?}");
    assert_eq!(state(&env, &long.id).await.status, Status::Granted);

    // Revision 3 allows large-scan for at most 20 minutes: the 50-minute grant ends, the
    // 10-minute one holds.
    broker.set_policy(
        warden_guardrails::Policy::from_yaml(&shorter).unwrap(),
        config(None),
        3,
    );
    env.advance(MIN);
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.ended, vec![long.id.clone()], "{report:?}");
    let s = state(&env, &long.id).await;
    assert_eq!(s.status, Status::Revoked);
    assert!(
        s.reason
            .as_deref()
            .is_some_and(|r| r.contains("at most 20 min")),
        "{:?}",
        s.reason
    );
    assert_eq!(state(&env, &short.id).await.status, Status::Granted);
    match events(&journal)
        .into_iter()
        .find(|p| matches!(p, Payload::ElevationRevoked(_)))
    {
        Some(Payload::ElevationRevoked(r)) => {
            assert_eq!(
                (r.elevation_id.as_str(), r.revoked_by.as_str()),
                (long.id.as_str(), "policy")
            )
        }
        other => panic!("no revocation recorded: {other:?}"),
    }

    // A policy without large-scan ends the other one too; nothing is minted for either.
    let without = warden_test_support::policies::ELEVATIONS.replace(
        "  large-scan:\n    description: Scan more\n    max_duration: 1h\n    default_duration: 30m\n    approval: auto\n    justification: optional\n",
        "",
    );
    assert_ne!(without, warden_test_support::policies::ELEVATIONS);
    broker.set_policy(
        warden_guardrails::Policy::from_yaml(&without).unwrap(),
        config(None),
        4,
    );
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.ended, vec![short.id.clone()], "{report:?}");
    assert!(report.minted.is_empty());
    assert!(state(&env, &short.id)
        .await
        .reason
        .is_some_and(|r| r.contains("no longer offers large-scan")));
}

/// The test policy with large-scan allowed for at most 20 minutes.
fn large_scan_for_at_most_20_min() -> String {
    let shorter = warden_test_support::policies::ELEVATIONS.replace(
        "  large-scan:\n    description: Scan more\n    max_duration: 1h\n    default_duration: 30m\n",
        "  large-scan:\n    description: Scan more\n    max_duration: 20m\n    default_duration: 10m\n",
    );
    assert_ne!(shorter, warden_test_support::policies::ELEVATIONS);
    shorter
}

/// The broker's journal refusing to append (as on a full disk) stops the broker before it
/// acts: no state is written, no credential set is minted or delivered, no grant is ended.
/// Once the journal records again the next pass does it, and the journal holds each action
/// before it happened and its outcome after, in order.
#[tokio::test]
async fn a_journal_that_refuses_stops_the_broker_before_it_grants_delivers_or_ends() {
    let env = env().await;
    let journal = env.journal("broker.db");
    let broker = env.broker(journal.clone(), Approvers::none(), None);
    let (ana, identity) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();

    refuse_appends(&journal, true);
    for _ in 0..2 {
        let err = broker.run_once().await.unwrap_err();
        assert!(matches!(err, BrokerError::Journal(_)), "{err}");
        assert!(err.to_string().contains("disk is full"), "{err}");
    }
    assert!(env.keys("state/").await.is_empty(), "no state written");
    assert!(env.keys("grants/").await.is_empty(), "nothing delivered");
    assert!(events(&journal).is_empty());

    refuse_appends(&journal, false);
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.granted, vec![request.id.clone()]);
    assert_eq!(report.minted, vec![(request.id.clone(), 1)]);
    assert_eq!(
        story(&journal),
        [
            "start write_state",
            "write_state done",
            "elevation_requested",
            "elevation_granted",
            "start deliver_credentials",
            "deliver_credentials done",
            "credentials_issued",
        ]
    );

    // The next set falls due while the journal refuses: it is not even claimed.
    env.advance(10 * MIN);
    refuse_appends(&journal, true);
    assert!(matches!(
        broker.run_once().await,
        Err(BrokerError::Journal(_))
    ));
    assert_eq!(env.keys("grants/").await.len(), 1);
    let s = state(&env, &request.id).await;
    assert_eq!((s.minted, s.delivered), (1, 1));
    refuse_appends(&journal, false);
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.minted, vec![(request.id.clone(), 2)]);

    // The grant's end is not written while the journal refuses either.
    env.advance(10 * MIN);
    refuse_appends(&journal, true);
    assert!(broker.run_once().await.is_err());
    assert_eq!(state(&env, &request.id).await.status, Status::Granted);
    refuse_appends(&journal, false);
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.ended, vec![request.id.clone()]);
    assert_eq!(state(&env, &request.id).await.status, Status::Ended);

    assert_eq!(
        story(&journal)[7..],
        [
            "start write_state",
            "write_state done",
            "start deliver_credentials",
            "deliver_credentials done",
            "credentials_issued",
            "start write_state",
            "write_state done",
            "elevation_expired",
        ],
        "the claim of set 2, its delivery, the end"
    );
    let ended = paired(&journal);
    assert!(
        ended.iter().all(|e| e.outcome == ActionOutcome::Done),
        "{ended:?}"
    );
    // What each start says it is about to do.
    let started: Vec<_> = events(&journal)
        .into_iter()
        .filter_map(|p| match p {
            Payload::BrokerActionStarted(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(
        started[0].elevation_id.as_deref(),
        Some(request.id.as_str())
    );
    assert_eq!(started[0].key, state_key(&request.id));
    assert!(
        started[0].detail.starts_with("new -> granted until ")
            && started[0].detail.ends_with(", claiming credential set 1"),
        "{}",
        started[0].detail
    );
    assert_eq!(started[1].key, grant_key(ANA, &request.id, 1));
    assert!(
        started[1]
            .detail
            .contains("role warden-large-scan in account 123456789012"),
        "{}",
        started[1].detail
    );
    assert!(
        started[4].detail.starts_with("granted -> ended"),
        "{}",
        started[4].detail
    );
    for n in 1..=2 {
        let sealed = env.body(&grant_key(ANA, &request.id, n)).await;
        assert_eq!(open_delivery(&identity, &request.id, &sealed).unwrap().0, n);
    }
}

/// A credential set whose key is taken when the broker delivers it (delivered before, or
/// written there by someone else) is recorded as not delivered, never as issued.
#[tokio::test]
async fn a_delivery_whose_key_is_taken_is_recorded_as_not_done() {
    let env = env().await;
    let journal = env.journal("broker.db");
    let broker = env.broker(journal.clone(), Approvers::none(), None);
    let (ana, _) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();
    let key = grant_key(ANA, &request.id, 1);
    env.put(&key, "taken").await;

    let report = broker.run_once().await.unwrap();
    assert_eq!(report.granted, vec![request.id.clone()]);
    assert!(report.minted.is_empty(), "{report:?}");
    assert_eq!(env.body(&key).await, b"taken");
    assert_eq!(
        story(&journal),
        [
            "start write_state",
            "write_state done",
            "elevation_requested",
            "elevation_granted",
            "start deliver_credentials",
            "deliver_credentials not_done",
        ]
    );
    let ended = paired(&journal);
    let reason = ended[1].reason.clone().unwrap_or_default();
    assert!(
        reason.contains(&key) && reason.contains("exists already"),
        "{reason}"
    );
}

/// The journal takes an action's start, then refuses its outcome: the action happened, so its
/// outcome and what it did wait in the broker and are the first thing recorded once the
/// journal takes events again; until then the broker does nothing more.
#[tokio::test]
async fn an_outcome_the_journal_refuses_is_recorded_first_when_it_records_again() {
    let env = env().await;
    let journal = env.journal("broker.db");
    let broker = env.broker(journal.clone(), Approvers::none(), None);
    let (ana, _) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();

    refuse_appends_when(&journal, "NEW.kind = 'broker_action_ended'");
    assert!(matches!(
        broker.run_once().await,
        Err(BrokerError::Journal(_))
    ));
    // The state was written (its start was recorded), and the pass stopped before the mint.
    assert_eq!(state(&env, &request.id).await.status, Status::Granted);
    assert!(env.keys("grants/").await.is_empty());
    assert_eq!(story(&journal), ["start write_state"]);
    // Still refusing: the next pass does nothing, not even a start.
    assert!(broker.run_once().await.is_err());
    assert_eq!(story(&journal), ["start write_state"]);

    refuse_appends(&journal, false);
    let report = broker.run_once().await.unwrap();
    assert!(
        report.granted.is_empty() && report.minted.is_empty(),
        "{report:?}"
    );
    assert_eq!(
        story(&journal),
        [
            "start write_state",
            "write_state done",
            "elevation_requested",
            "elevation_granted",
        ]
    );
    // The claim of set 1 died with that pass: after its lease, the next set is delivered.
    env.advance(MIN);
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.minted, vec![(request.id.clone(), 2)]);
    let ended = paired(&journal);
    assert!(
        ended.iter().all(|e| e.outcome == ActionOutcome::Done),
        "{ended:?}"
    );
}

/// An approver's decision and a revocation seen while the broker's journal refuses change
/// nothing until it records: the request stays waiting, then the grant stays granted.
#[tokio::test]
async fn an_approval_and_a_revocation_wait_for_a_journal_that_refuses() {
    let env = env().await;
    let journal = env.journal("broker.db");
    let broker = env.broker(journal.clone(), Approvers::none(), None);
    let (ana, _) = env.queue_of(ANA);
    let (bob, _) = env.queue_of(BOB);
    let (eve, _) = env.queue_of(EVE);
    let (request, _) = ana
        .submit_request(&pii_request(30 * MIN), env.now())
        .await
        .unwrap();
    assert_eq!(
        broker.run_once().await.unwrap().waiting,
        vec![request.id.clone()]
    );

    Queue::decide(&bob, &request.id, Decision::Approve, BOB, None, env.now()).unwrap();
    refuse_appends(&journal, true);
    assert!(matches!(
        broker.run_once().await,
        Err(BrokerError::Journal(_))
    ));
    assert_eq!(state(&env, &request.id).await.status, Status::Pending);
    assert!(env.keys("grants/").await.is_empty());
    refuse_appends(&journal, false);
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.granted, vec![request.id.clone()]);
    assert_eq!(report.minted, vec![(request.id.clone(), 1)]);

    Queue::decide(
        &eve,
        &request.id,
        Decision::Deny,
        EVE,
        Some("incident closed"),
        env.now(),
    )
    .unwrap();
    refuse_appends(&journal, true);
    assert!(broker.run_once().await.is_err());
    assert_eq!(state(&env, &request.id).await.status, Status::Granted);
    refuse_appends(&journal, false);
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.ended, vec![request.id.clone()]);
    assert_eq!(state(&env, &request.id).await.status, Status::Revoked);
    assert_eq!(
        story(&journal),
        [
            "start write_state",
            "write_state done",
            "elevation_requested",
            "start write_state",
            "write_state done",
            "elevation_granted",
            "start deliver_credentials",
            "deliver_credentials done",
            "credentials_issued",
            "start write_state",
            "write_state done",
            "elevation_revoked",
            "elevation_expired",
        ]
    );
    paired(&journal);
}

/// A request taken back before the broker first read it (an app that quit right after asking):
/// the broker's first look records it and ends it there; nothing is granted or minted for it,
/// not even for one pass, automatic approval or not.
#[tokio::test]
async fn a_request_withdrawn_before_the_broker_read_it_is_never_granted() {
    let env = env().await;
    let journal = env.journal("broker.db");
    let broker = env.broker(journal.clone(), Approvers::none(), None);
    let (ana, _) = env.queue_of(ANA);
    let mut ids = Vec::new();
    for request in [scan_request(20 * MIN), pii_request(20 * MIN)] {
        let (r, _) = ana.submit_request(&request, env.now()).await.unwrap();
        ana.decide_request(&r.id, Decision::Withdraw, None, env.now())
            .await
            .unwrap();
        ids.push(r.id);
    }
    let report = broker.run_once().await.unwrap();
    assert!(report.granted.is_empty(), "{report:?}");
    assert!(report.minted.is_empty(), "{report:?}");
    for id in &ids {
        let s = state(&env, id).await;
        assert_eq!(s.status, Status::Withdrawn, "{s:?}");
        assert_eq!(s.reason.as_deref(), Some("withdrawn by the requester"));
        assert_eq!(s.delivered, 0);
    }
    assert!(env.keys("grants/").await.is_empty(), "no set was delivered");
    assert_eq!(
        kinds(&journal),
        [
            "elevation_requested",
            "elevation_denied",
            "elevation_requested",
            "elevation_denied"
        ]
    );
    // Later passes leave them as they are.
    env.advance(MIN);
    let report = broker.run_once().await.unwrap();
    assert!(
        report.granted.is_empty() && report.minted.is_empty(),
        "{report:?}"
    );
    assert_eq!(state(&env, &ids[0]).await.status, Status::Withdrawn);
}
