//! Extending a held grant on AWS, against moto_server: the broker checks the extension against
//! the grant it names (held, the requester's own, the same elevation, within the maximum),
//! applies the same approval rules, moves the grant's end once however many brokers race, and
//! in the STS mode mints at once a set whose session policy ends at the new end.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use warden_audit::Payload;
use warden_broker::*;
use warden_elevation::{validate, Decision, Queue, Request, Validated};

const MIN: Duration = Duration::from_secs(60);

async fn state(env: &Env, id: &str) -> GrantState {
    let (queue, _) = env.queue_of(BOB);
    queue.state(id).await.unwrap().expect("state").0
}

fn extension(name: &str, of: &str, duration: Duration) -> Validated {
    validate(
        &policy(),
        &Request {
            name: name.into(),
            duration: Some(duration),
            justification: "still on fraud case 7".into(),
            ticket: (name == "pii-read").then(|| "INC-7".into()),
            extends: Some(of.into()),
        },
    )
    .unwrap()
}

/// The end of the session policy (`DateLessThan aws:CurrentTime`) of the set delivered as
/// `grants/<ANA>/<id>/<n>.age`, as moto's STS was asked for it.
async fn session_end(env: &Env, identity: &age::x25519::Identity, id: &str, n: u32) -> i64 {
    let sealed = env.body(&grant_key(ANA, id, n)).await;
    let (set, creds) = open_delivery(identity, id, &sealed).expect("delivered to Ana");
    assert_eq!(set, n);
    let caller =
        warden_test_support::standin::assumed_role(&env.moto.endpoint, &creds.access_key_id)
            .await
            .unwrap();
    let end = caller.session_end.expect("a session policy with an end");
    end.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The whole second before `ms` (the session policy's end never outlives the grant).
fn second_of(ms: i64) -> i64 {
    ms / 1000 * 1000
}

fn extended_events(journal: &warden_audit::Journal) -> Vec<warden_audit::ElevationExtended> {
    events(journal)
        .into_iter()
        .filter_map(|p| match p {
            Payload::ElevationExtended(e) => Some(e),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn an_automatic_extension_moves_the_end_and_mints_a_set_ending_there_at_once() {
    let env = env().await;
    let journal = env.journal("broker.db");
    let broker = env.broker(journal.clone(), Approvers::none(), None);
    let (ana, identity) = env.queue_of(ANA);
    let (grant, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();
    broker.run_once().await.unwrap();
    let before = state(&env, &grant.id).await;
    let old_end = before.expires_at_ms.unwrap();
    assert_eq!(
        session_end(&env, &identity, &grant.id, 1).await,
        second_of(old_end)
    );

    env.advance(5 * MIN);
    let (ext, object) = ana
        .submit_request(&extension("large-scan", &grant.id, 20 * MIN), env.now())
        .await
        .unwrap();
    assert_eq!(
        object.extends.as_deref(),
        Some(grant.id.as_str()),
        "the request names the grant"
    );
    let report = broker.run_once().await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.extended, vec![ext.id.clone()]);
    assert!(
        report.granted.is_empty(),
        "an extension is not a grant of its own"
    );
    assert_eq!(
        report.minted,
        vec![(grant.id.clone(), 2)],
        "a new set at once"
    );

    let new_end = old_end + 20 * 60 * 1000;
    let g = state(&env, &grant.id).await;
    assert_eq!(g.status, Status::Granted);
    assert_eq!(g.expires_at_ms, Some(new_end));
    assert_eq!(g.granted_at_ms, before.granted_at_ms, "the same grant");
    assert_eq!(g.extensions.len(), 1);
    assert_eq!(g.extensions[0].id, ext.id);
    let e = state(&env, &ext.id).await;
    assert_eq!(e.status, Status::Extended);
    assert_eq!(e.extends.as_deref(), Some(grant.id.as_str()));
    assert_eq!(e.expires_at_ms, Some(new_end));
    assert_eq!(e.approver, None, "approved by the policy");
    // The new set is delivered to the grant's key, and its session policy ends at the new end;
    // the first set's still says the old one.
    assert_eq!(
        session_end(&env, &identity, &grant.id, 2).await,
        second_of(new_end)
    );
    assert_eq!(
        session_end(&env, &identity, &grant.id, 1).await,
        second_of(old_end)
    );
    assert!(env
        .keys(&format!("grants/{ANA}/{}/", ext.id))
        .await
        .is_empty());
    assert_eq!(
        kinds(&journal),
        vec![
            "elevation_requested",
            "elevation_granted",
            "credentials_issued",
            // The grant's new set is minted (and recorded) as the grant is changed, before the
            // extension's own state and records are written.
            "credentials_issued",
            "elevation_requested",
            "elevation_extended",
        ]
    );
    match &outcomes(&journal)[4] {
        Payload::ElevationRequested(r) => assert_eq!(r.extends.as_deref(), Some(grant.id.as_str())),
        other => panic!("{other:?}"),
    }
    let x = &extended_events(&journal)[0];
    assert_eq!(
        (
            x.elevation_id.as_str(),
            x.request_id.as_str(),
            x.approver.as_deref(),
            x.expires_at_ms
        ),
        (grant.id.as_str(), ext.id.as_str(), None, new_end)
    );
    // Passes after change nothing: applied once.
    let again = broker.run_once().await.unwrap();
    assert!(
        again.extended.is_empty() && again.minted.is_empty(),
        "{again:?}"
    );

    // No stacking past the maximum (1 h from now): the grant now ends 35 min from now.
    let (over, _) = ana
        .submit_request(&extension("large-scan", &grant.id, 30 * MIN), env.now())
        .await
        .unwrap();
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.denied, vec![over.id.clone()]);
    let refused = state(&env, &over.id).await;
    assert_eq!(refused.status, Status::Denied);
    let why = refused.reason.unwrap();
    assert!(
        why.contains("more than 1 h from now") && why.contains("at most 25 min more"),
        "{why}"
    );
    assert_eq!(
        state(&env, &grant.id).await.expires_at_ms,
        Some(new_end),
        "unchanged"
    );

    // Minting goes on to the new end and stops there.
    let mut minted = 2;
    for _ in 0..12 {
        env.advance(5 * MIN);
        let report = broker.run_once().await.unwrap();
        minted += report.minted.len() as u32;
        if report.ended == vec![grant.id.clone()] {
            break;
        }
    }
    let g = state(&env, &grant.id).await;
    assert_eq!(g.status, Status::Ended);
    assert!(env.now().timestamp_millis() >= new_end);
    assert_eq!(
        g.credentials_until_ms,
        Some(new_end),
        "the last set reaches the new end"
    );
    assert_eq!(
        session_end(&env, &identity, &grant.id, minted).await,
        second_of(new_end)
    );
    env.advance(30 * MIN);
    assert!(broker.run_once().await.unwrap().minted.is_empty());
    assert_eq!(
        env.keys("grants/").await.len(),
        minted as usize,
        "none after the end"
    );
}

#[tokio::test]
async fn a_manual_extension_waits_for_someone_else_and_refuses_the_requesters_own() {
    let env = env().await;
    let journal = env.journal("broker.db");
    let broker = env.broker(journal.clone(), Approvers::none(), None);
    let (ana, identity) = env.queue_of(ANA);
    let (bob, _) = env.queue_of(BOB);
    let (grant, _) = ana
        .submit_request(&pii_request(15 * MIN), env.now())
        .await
        .unwrap();
    broker.run_once().await.unwrap();
    Queue::decide(&bob, &grant.id, Decision::Approve, BOB, None, env.now()).unwrap();
    broker.run_once().await.unwrap();
    let old_end = state(&env, &grant.id).await.expires_at_ms.unwrap();

    env.advance(10 * MIN);
    let (ext, _) = ana
        .submit_request(&extension("pii-read", &grant.id, 15 * MIN), env.now())
        .await
        .unwrap();
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.waiting, vec![ext.id.clone()]);
    assert_eq!(state(&env, &ext.id).await.status, Status::Pending);
    assert_eq!(state(&env, &grant.id).await.expires_at_ms, Some(old_end));

    // Ana approves her own extension, around Warden: refused, recorded, still waiting.
    let own = format!(
        r#"{{"id":"{id}","decision":"approve","approver":"{ANA}","decided_at_ms":{at},"reason":null,"name":"pii-read","duration_s":900,"requester":"{ANA}"}}"#,
        id = ext.id,
        at = env.now().timestamp_millis()
    );
    env.put(&approval_key(ANA, &ext.id), &own).await;
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.refused, vec![approval_key(ANA, &ext.id)]);
    assert!(report.extended.is_empty());
    assert_eq!(state(&env, &ext.id).await.status, Status::Pending);
    assert_eq!(state(&env, &grant.id).await.expires_at_ms, Some(old_end));

    env.advance(MIN);
    Queue::decide(&bob, &ext.id, Decision::Approve, BOB, Some("ok"), env.now()).unwrap();
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.extended, vec![ext.id.clone()]);
    let new_end = old_end + 15 * 60 * 1000;
    let g = state(&env, &grant.id).await;
    assert_eq!(g.expires_at_ms, Some(new_end));
    let n = g.delivered;
    assert_eq!(report.minted, vec![(grant.id.clone(), n)]);
    assert_eq!(
        session_end(&env, &identity, &grant.id, n).await,
        second_of(new_end)
    );
    let e = state(&env, &ext.id).await;
    assert_eq!(
        (e.status, e.approver.as_deref()),
        (Status::Extended, Some(BOB))
    );
    let x = &extended_events(&journal)[0];
    assert_eq!(
        (x.approver.as_deref(), x.expires_at_ms),
        (Some(BOB), new_end)
    );
    // The extension's verdict, as the requester's Warden reads it.
    let verdict = Queue::decision(&ana, &ext.id).unwrap().expect("decided");
    assert_eq!(
        (verdict.decision, verdict.approver.as_str()),
        (Decision::Approve, BOB)
    );

    // A denial of a second extension leaves the grant as it was.
    let (no, _) = ana
        .submit_request(&extension("pii-read", &grant.id, 5 * MIN), env.now())
        .await
        .unwrap();
    broker.run_once().await.unwrap();
    Queue::decide(
        &bob,
        &no.id,
        Decision::Deny,
        BOB,
        Some("wrap it up"),
        env.now(),
    )
    .unwrap();
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.denied, vec![no.id.clone()]);
    assert_eq!(state(&env, &grant.id).await.expires_at_ms, Some(new_end));
    assert_eq!(state(&env, &grant.id).await.status, Status::Granted);
}

#[tokio::test]
async fn extensions_of_ended_revoked_or_someone_elses_grants_are_refused() {
    let env = env().await;
    let journal = env.journal("broker.db");
    let broker = env.broker(journal.clone(), Approvers::none(), None);
    let (ana, _) = env.queue_of(ANA);
    let (bob, _) = env.queue_of(BOB);
    let (eve, _) = env.queue_of(EVE);
    let mut grants = Vec::new();
    for _ in 0..3 {
        let (g, _) = ana
            .submit_request(&scan_request(10 * MIN), env.now())
            .await
            .unwrap();
        grants.push(g.id);
    }
    let (pii, _) = ana
        .submit_request(&pii_request(10 * MIN), env.now())
        .await
        .unwrap();
    broker.run_once().await.unwrap();
    Queue::decide(&bob, &pii.id, Decision::Approve, BOB, None, env.now()).unwrap();
    broker.run_once().await.unwrap();

    // Eve asks more time on Ana's grant: the key of each request proves its writer.
    let (eves, _) = eve
        .submit_request(&extension("large-scan", &grants[0], 10 * MIN), env.now())
        .await
        .unwrap();
    // Another elevation than the grant's.
    let (other, _) = ana
        .submit_request(&extension("pii-read", &grants[0], 10 * MIN), env.now())
        .await
        .unwrap();
    // A grant that does not exist, and one that is not a request id at all.
    let (unknown, _) = ana
        .submit_request(
            &extension(
                "large-scan",
                "01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f00",
                10 * MIN,
            ),
            env.now(),
        )
        .await
        .unwrap();
    let (garbage, _) = ana
        .submit_request(&extension("large-scan", "../state/x", 10 * MIN), env.now())
        .await
        .unwrap();
    // Grant 1 revoked by its requester's early end, grant 2 left to run out.
    ana.decide_request(&grants[1], Decision::Withdraw, None, env.now())
        .await
        .unwrap();
    broker.run_once().await.unwrap();
    let reason = |id: String| {
        let env = &env;
        async move {
            let s = state(env, &id).await;
            assert_eq!(s.status, Status::Denied, "{id}");
            s.reason.unwrap()
        }
    };
    let why = reason(eves.id).await;
    assert!(why.contains("not a grant you were given"), "{why}");
    let why = reason(other.id).await;
    assert!(why.contains("is of large-scan, not pii-read"), "{why}");
    let why = reason(unknown.id).await;
    assert!(why.contains("there is no held grant"), "{why}");
    let why = reason(garbage.id).await;
    assert!(why.contains("not a request id"), "{why}");

    let (ended_early, _) = ana
        .submit_request(&extension("large-scan", &grants[1], 10 * MIN), env.now())
        .await
        .unwrap();
    // A revoked grant.
    let pii_state = state(&env, &pii.id).await;
    bob.write_revocation(&pii_state, "case closed", env.now())
        .await
        .unwrap();
    broker.run_once().await.unwrap();
    assert_eq!(state(&env, &pii.id).await.status, Status::Revoked);
    let (of_revoked, _) = ana
        .submit_request(&extension("pii-read", &pii.id, 5 * MIN), env.now())
        .await
        .unwrap();
    // Grant 2 runs out.
    env.advance(10 * MIN);
    broker.run_once().await.unwrap();
    let (of_ended, _) = ana
        .submit_request(&extension("large-scan", &grants[2], 10 * MIN), env.now())
        .await
        .unwrap();
    broker.run_once().await.unwrap();
    for id in [ended_early.id, of_revoked.id, of_ended.id] {
        let why = reason(id).await;
        assert!(why.contains("there is no held grant"), "{why}");
    }
    // Nothing was extended, nothing minted for an extension.
    assert!(extended_events(&journal).is_empty());
    assert!(env
        .keys("grants/")
        .await
        .iter()
        .all(|k| grants.iter().any(|g| k.contains(g.as_str())) || k.contains(&pii.id)));
}

#[tokio::test]
async fn a_waiting_extension_whose_grant_ends_first_is_void() {
    let env = env().await;
    let journal = env.journal("broker.db");
    let broker = env.broker(journal.clone(), Approvers::none(), None);
    let (ana, _) = env.queue_of(ANA);
    let (bob, _) = env.queue_of(BOB);
    let (grant, _) = ana
        .submit_request(&pii_request(10 * MIN), env.now())
        .await
        .unwrap();
    broker.run_once().await.unwrap();
    Queue::decide(&bob, &grant.id, Decision::Approve, BOB, None, env.now()).unwrap();
    broker.run_once().await.unwrap();
    let (ext, _) = ana
        .submit_request(&extension("pii-read", &grant.id, 10 * MIN), env.now())
        .await
        .unwrap();
    broker.run_once().await.unwrap();
    assert_eq!(state(&env, &ext.id).await.status, Status::Pending);
    env.advance(10 * MIN);
    let report = broker.run_once().await.unwrap();
    assert!(report.ended.contains(&grant.id), "{report:?}");
    assert!(report.denied.contains(&ext.id), "{report:?}");
    let e = state(&env, &ext.id).await;
    assert_eq!(e.status, Status::Denied);
    assert!(e.reason.unwrap().contains("the extension is void"));
    // A late approval grants nothing.
    let _ = Queue::decide(&bob, &ext.id, Decision::Approve, BOB, None, env.now());
    broker.run_once().await.unwrap();
    assert!(extended_events(&journal).is_empty());
    assert_eq!(state(&env, &grant.id).await.status, Status::Ended);
}

#[tokio::test]
async fn two_brokers_racing_on_an_extension_extend_once() {
    let env = env().await;
    let (one, two) = (env.journal("one.db"), env.journal("two.db"));
    let first = env.broker(one.clone(), Approvers::none(), None);
    let second = env.broker(two.clone(), Approvers::none(), None);
    let (ana, _) = env.queue_of(ANA);
    let (grant, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();
    first.run_once().await.unwrap();
    let old_end = state(&env, &grant.id).await.expires_at_ms.unwrap();
    env.advance(MIN);
    let (ext, _) = ana
        .submit_request(&extension("large-scan", &grant.id, 20 * MIN), env.now())
        .await
        .unwrap();
    let (a, b) = tokio::join!(first.run_once(), second.run_once());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(
        a.problems.is_empty() && b.problems.is_empty(),
        "{a:?} {b:?}"
    );
    assert_eq!(a.extended.len() + b.extended.len(), 1, "{a:?} {b:?}");
    assert_eq!(
        a.minted.len() + b.minted.len(),
        1,
        "one new set: {a:?} {b:?}"
    );
    let g = state(&env, &grant.id).await;
    assert_eq!(
        g.expires_at_ms,
        Some(old_end + 20 * 60 * 1000),
        "moved once"
    );
    assert_eq!(g.extensions.len(), 1);
    assert_eq!((g.minted, g.delivered), (2, 2));
    assert_eq!(state(&env, &ext.id).await.status, Status::Extended);
    assert_eq!(extended_events(&one).len() + extended_events(&two).len(), 1);
    assert_eq!(env.keys("grants/").await.len(), 2);
    // And again: nothing more.
    let (a, b) = tokio::join!(first.run_once(), second.run_once());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(
        a.extended.is_empty()
            && b.extended.is_empty()
            && a.minted.is_empty()
            && b.minted.is_empty()
    );
    assert_eq!(
        state(&env, &grant.id).await.expires_at_ms,
        Some(old_end + 20 * 60 * 1000)
    );
}

/// An extension falls due while the broker's journal refuses: the grant's end does not move
/// and no set is minted for the new end until the journal records again; then the grant's
/// change, the new set and the extension's own state each come after their record.
#[tokio::test]
async fn an_extension_waits_for_a_journal_that_refuses() {
    let env = env().await;
    let journal = env.journal("broker.db");
    let broker = env.broker(journal.clone(), Approvers::none(), None);
    let (ana, _) = env.queue_of(ANA);
    let (grant, _) = ana
        .submit_request(&scan_request(20 * MIN), env.now())
        .await
        .unwrap();
    broker.run_once().await.unwrap();
    let old_end = state(&env, &grant.id).await.expires_at_ms.unwrap();
    let before = story(&journal).len();

    env.advance(5 * MIN);
    let (ext, _) = ana
        .submit_request(&extension("large-scan", &grant.id, 20 * MIN), env.now())
        .await
        .unwrap();
    refuse_appends(&journal, true);
    assert!(matches!(
        broker.run_once().await,
        Err(BrokerError::Journal(_))
    ));
    let g = state(&env, &grant.id).await;
    assert_eq!(g.expires_at_ms, Some(old_end), "the end did not move");
    assert!(g.extensions.is_empty());
    assert_eq!(env.keys("grants/").await.len(), 1, "no set for the new end");
    assert!(env.keys(&state_key(&ext.id)).await.is_empty());

    refuse_appends(&journal, false);
    let report = broker.run_once().await.unwrap();
    assert_eq!(report.extended, vec![ext.id.clone()]);
    assert_eq!(report.minted, vec![(grant.id.clone(), 2)]);
    assert_eq!(
        state(&env, &grant.id).await.expires_at_ms,
        Some(old_end + 20 * 60 * 1000)
    );
    assert_eq!(
        story(&journal)[before..],
        [
            "start write_state",
            "write_state done",
            "start deliver_credentials",
            "deliver_credentials done",
            "credentials_issued",
            "start write_state",
            "write_state done",
            "elevation_requested",
            "elevation_extended",
        ]
    );
    let starts: Vec<_> = events(&journal)
        .into_iter()
        .filter_map(|p| match p {
            Payload::BrokerActionStarted(s) => Some(s),
            _ => None,
        })
        .collect();
    let (of_grant, of_extension) = (&starts[starts.len() - 3], &starts[starts.len() - 1]);
    assert_eq!(of_grant.key, state_key(&grant.id));
    assert!(
        of_grant.detail.starts_with("granted until ")
            && of_grant.detail.contains(&format!("(extension {})", ext.id))
            && of_grant.detail.ends_with("claiming credential set 2"),
        "{}",
        of_grant.detail
    );
    assert_eq!(of_extension.key, state_key(&ext.id));
    assert!(
        of_extension.detail.starts_with("new -> extended until "),
        "{}",
        of_extension.detail
    );
    paired(&journal);
}
