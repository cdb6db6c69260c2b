//! The S3 queue against moto_server: create-only requests, compare-and-swap state, decisions
//! judged by the key they were written under.

mod common;

use std::time::Duration;

use common::*;
use warden_broker::*;
use warden_elevation::{judge, Decision, ElevationError, Moment, Queue};

#[tokio::test]
async fn requests_are_created_once_and_never_replaced() {
    let env = env().await;
    let (ana, _) = env.queue_of(ANA);
    // Through the gate's synchronous interface, as the app would.
    let pending = Queue::submit(&ana, &pii_request(Duration::from_secs(600)), ANA, env.now())
        .expect("submitted");
    assert_eq!(pending.requester, ANA);
    assert_eq!(pending.reason, "[INC-7] fraud case 7");
    let key = request_key(ANA, &pending.id);
    assert_eq!(env.keys("requests/").await, vec![key.clone()]);
    let first = env.body(&key).await;

    // A second write to the same key loses, and the request stays as it was.
    let written = env.bucket().create(&key, b"{}".to_vec()).await.unwrap();
    assert_eq!(written, Written::Lost);
    assert_eq!(env.body(&key).await, first);

    // Nobody submits in someone else's name through the queue.
    let refused = Queue::submit(&ana, &pii_request(Duration::from_secs(600)), BOB, env.now());
    assert!(
        matches!(refused, Err(ElevationError::NotYours { .. })),
        "{refused:?}"
    );

    let (requester, object) = ana.find_request(&pending.id).await.unwrap();
    assert_eq!(requester, ANA);
    assert_eq!(object.ticket.as_deref(), Some("INC-7"));
    assert!(object.recipient.as_deref().unwrap().starts_with("age1"));
}

#[tokio::test]
async fn two_writers_racing_on_one_state_object_one_wins() {
    let env = env().await;
    let bucket = env.bucket();
    let key = state_key("01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f00");
    assert!(matches!(
        bucket.create(&key, b"{\"v\":0}".to_vec()).await.unwrap(),
        Written::Done(_)
    ));
    assert_eq!(
        bucket.create(&key, b"{\"v\":9}".to_vec()).await.unwrap(),
        Written::Lost,
        "create-only"
    );
    let read = bucket.get(&key).await.unwrap().unwrap();
    // Both writers read the same version and race to replace it.
    let (a, b) = tokio::join!(
        bucket.replace(&key, b"{\"v\":1}".to_vec(), &read.etag),
        bucket.replace(&key, b"{\"v\":2}".to_vec(), &read.etag),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let wins = [&a, &b]
        .iter()
        .filter(|w| matches!(w, Written::Done(_)))
        .count();
    assert_eq!(wins, 1, "exactly one writer wins: {a:?} {b:?}");
    let now = bucket.get(&key).await.unwrap().unwrap();
    let winner = if matches!(a, Written::Done(_)) {
        "{\"v\":1}"
    } else {
        "{\"v\":2}"
    };
    assert_eq!(String::from_utf8(now.body).unwrap(), winner);
    // The loser re-reads and can then write on top of the winner.
    assert!(matches!(
        bucket
            .replace(&key, b"{\"v\":3}".to_vec(), &now.etag)
            .await
            .unwrap(),
        Written::Done(_)
    ));
}

#[tokio::test]
async fn a_forged_approval_is_judged_by_its_key() {
    let env = env().await;
    let (ana, _) = env.queue_of(ANA);
    let (request, _) = ana
        .submit_request(&pii_request(Duration::from_secs(600)), env.now())
        .await
        .unwrap();
    // Ana cannot approve her own request through the queue...
    let own = ana
        .decide_request(&request.id, Decision::Approve, None, env.now())
        .await;
    assert!(
        matches!(own, Err(ElevationError::SelfApproval { .. })),
        "{own:?}"
    );
    // ...so she writes the object herself, under her own prefix (all the bucket lets her
    // write), with a body that says Bob approved.
    let forged = format!(
        r#"{{"id":"{id}","decision":"approve","approver":"{BOB}","decided_at_ms":{at},"reason":null,"name":"pii-read","duration_s":600,"requester":"{ANA}"}}"#,
        id = request.id,
        at = env.now().timestamp_millis()
    );
    env.put(&approval_key(ANA, &request.id), &forged).await;

    let found = ana.approvals(&request.id).await.unwrap();
    assert_eq!(found.len(), 1);
    let (key, read) = &found[0];
    assert_eq!(key, &approval_key(ANA, &request.id));
    let (claimed, record) = read.clone().unwrap();
    assert_eq!(claimed, BOB, "what the body says");
    assert_eq!(record.approver, ANA, "who the key says wrote it");
    let judged = judge(&request, Ok(record), false, Some(&policy()), Moment::now());
    assert!(
        judged.unwrap_err().reason.contains("person who made it"),
        "judged as Ana's own approval"
    );

    // Bob's real approval is read as his.
    let (bob, _) = env.queue_of(BOB);
    Queue::decide(&bob, &request.id, Decision::Approve, BOB, None, env.now()).unwrap();
    let again = Queue::decide(&bob, &request.id, Decision::Approve, BOB, None, env.now());
    assert!(
        matches!(again, Err(ElevationError::AlreadyDecided { .. })),
        "{again:?}"
    );
    let found = bob.approvals(&request.id).await.unwrap();
    let bobs = found
        .iter()
        .find(|(k, _)| k == &approval_key(BOB, &request.id))
        .expect("Bob's decision");
    let (_, record) = bobs.1.clone().unwrap();
    assert_eq!(record.approver, BOB);
    assert!(judge(&request, Ok(record), false, Some(&policy()), Moment::now()).is_ok());
    // Until the broker decides, the queue's verdict is "waiting".
    assert_eq!(Queue::decision(&bob, &request.id).unwrap(), None);
}

#[tokio::test]
async fn oversized_and_damaged_objects_are_refused() {
    let env = env().await;
    let (ana, _) = env.queue_of(ANA);
    let id = "01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f00";
    let big = "x".repeat(MAX_OBJECT_BYTES as usize + 1);
    env.put(&request_key(ANA, id), &big).await;
    let err = ana.read_request(ANA, id).await.unwrap_err();
    assert!(matches!(err, BrokerError::TooLarge { .. }), "{err}");
    env.put(&state_key(id), "{not json").await;
    let err = ana.state(id).await.unwrap_err();
    assert!(err.to_string().contains("damaged"), "{err}");
    let other = "01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f01";
    env.put(
        &request_key(ANA, other),
        &format!(r#"{{"id":"{id}","name":"pii-read","duration_s":60,"justification":"x","ticket":null,"requested_at_ms":0,"recipient":null}}"#),
    )
    .await;
    let err = ana.read_request(ANA, other).await.unwrap_err();
    assert!(err.to_string().contains("holds request"), "{err}");
}

#[tokio::test]
async fn a_requester_withdraws_at_their_own_key_and_nobody_else_can() {
    let env = env().await;
    let (ana, _) = env.queue_of(ANA);
    let (bob, _) = env.queue_of(BOB);
    let (pending, _) = ana
        .submit_request(&pii_request(Duration::from_secs(600)), env.now())
        .await
        .unwrap();
    // Bob finds nothing of that id under his own prefix, and writes nothing.
    let refused = bob
        .decide_request(&pending.id, Decision::Withdraw, Some("not mine"), env.now())
        .await;
    assert!(
        matches!(refused, Err(ElevationError::UnknownRequest { .. })),
        "{refused:?}"
    );
    let withdrawn = ana
        .decide_request(&pending.id, Decision::Withdraw, Some("done"), env.now())
        .await
        .unwrap();
    assert_eq!(withdrawn.requester, ANA);
    assert_eq!(
        env.keys("requests/").await,
        vec![
            request_key(ANA, &pending.id),
            withdrawal_key(ANA, &pending.id)
        ]
    );
    let bad = ana
        .decide_request("../x", Decision::Withdraw, None, env.now())
        .await;
    assert!(
        matches!(bad, Err(ElevationError::BadRequestId { .. })),
        "{bad:?}"
    );
}

/// Decisions and revocations are written once, so one refused because S3 did not answer
/// could never be written again: a read that fails is a passing failure (the pass tries again),
/// and only an object that can never count is refused.
#[tokio::test]
async fn a_decision_or_revocation_s3_cannot_read_is_not_refused_for_good() {
    let env = env().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let down = env
        .sdk
        .to_builder()
        .endpoint_url(format!("http://127.0.0.1:{closed}"))
        .build();
    let unreachable = S3Queue::new(Bucket::new(&down, BUCKET, true).unwrap(), BOB).unwrap();
    let id = "01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f01";
    let (approval, revocation) = (approval_key(BOB, id), revocation_key(BOB, id));
    assert!(
        unreachable.read_approval(&approval, BOB, id).await.is_err(),
        "S3 not answering is not a verdict on the decision"
    );
    assert!(unreachable
        .read_revocation(&revocation, BOB, id)
        .await
        .is_err());

    let (queue, _) = env.queue_of(BOB);
    env.put(&approval, "not a decision").await;
    env.put(&revocation, "not a revocation").await;
    let read = queue.read_approval(&approval, BOB, id).await.unwrap();
    assert!(read.is_err_and(|why| why.contains("not a decision")));
    let read = queue.read_revocation(&revocation, BOB, id).await.unwrap();
    assert!(read.is_err_and(|why| why.contains("not a revocation")));
    let missing = approval_key(BOB, "01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f02");
    let read = queue.read_approval(&missing, BOB, id).await.unwrap();
    assert!(read.is_err_and(|why| why.contains("disappeared")));
}
