//! The S3 store against moto_server: conditional writes, faults, exactly-once, tampering.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use warden_audit::store::S3Store;
use warden_audit::*;
use warden_test_support::Moto;

#[tokio::test]
async fn s3_writes_are_create_only() {
    let moto = Moto::start();
    moto.create_bucket("central").await;
    let store = S3Store::new(&moto.sdk_config().await, "central", "warden/prod", true);
    assert_eq!(store.url(), "s3://central/warden/prod/");
    let key = "audit/v1/dt=2026-11-21/device=d/000000000001-000000000002.jsonl.gz";
    assert_eq!(
        store.put_if_absent(key, b"first".to_vec()).await.unwrap(),
        PutOutcome::Created
    );
    assert_eq!(
        store.put_if_absent(key, b"second".to_vec()).await.unwrap(),
        PutOutcome::AlreadyExists
    );
    assert_eq!(store.get(key).await.unwrap().unwrap(), b"first");
    assert_eq!(store.get("audit/v1/missing.gz").await.unwrap(), None);
    assert_eq!(store.list("audit/").await.unwrap(), vec![key.to_string()]);

    let missing_bucket = S3Store::new(&moto.sdk_config().await, "no-such-bucket", "", true);
    let err = missing_bucket
        .put_if_absent(key, b"x".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Permanent(_)), "{err}");
}

#[tokio::test]
async fn syncs_exactly_once_to_s3_through_faults_and_detects_tampering() {
    let moto = Moto::start();
    let client = moto.create_bucket("central").await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path().join("audit.db"), actor()).unwrap();
    journal.append_all(every_kind()).unwrap();
    journal
        .append_all((0..786).map(lake_event).collect())
        .unwrap();

    let options = StoreOptions {
        sdk_config: Some(moto.sdk_config().await),
        s3_endpoint: None,
        sts_endpoint: None,
    };
    let store = open_store("s3://central/audit-root/", &options)
        .await
        .unwrap();
    let faulty = FaultyStore::new(
        store,
        11,
        35,
        vec![Fault::Unavailable, Fault::Hang, Fault::DropAfterWrite],
    );
    let policy = SyncPolicy {
        request_timeout: Duration::from_secs(1),
        ..fast_policy()
    };
    let mut faulty = faulty;
    faulty.hang_for = Duration::from_secs(2);
    let report = journal.sync(&faulty, &policy).await.unwrap();
    assert_eq!(report.events_synced, 800);
    assert_eq!(report.objects_created + report.objects_already_present, 16);
    assert!(report.retries > 0);
    assert_eq!(
        report.objects_already_present,
        faulty.drops_after_write.load(Ordering::SeqCst)
    );
    assert!(faulty.drops_after_write.load(Ordering::SeqCst) > 0);

    let verified = verify_store(&faulty.inner).await.unwrap();
    assert!(verified.is_intact(), "{:?}", verified.problems);
    assert_eq!((verified.objects, verified.events), (16, 800));

    // An admin with write access replaces one object with an edited copy.
    let keys = faulty.inner.list("audit/v1/").await.unwrap();
    let mut sorted = keys.clone();
    sorted.sort();
    let victim = &sorted[5];
    let original = faulty.inner.get(victim).await.unwrap().unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&original[..]), &mut text)
        .unwrap();
    let edited = text.replacen("\"rows\":", "\"rows\":9", 1);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, edited.as_bytes()).unwrap();
    client
        .put_object()
        .bucket("central")
        .key(format!("audit-root/{victim}"))
        .body(enc.finish().unwrap().into())
        .send()
        .await
        .unwrap();
    let tampered = verify_store(&faulty.inner).await.unwrap();
    assert!(
        matches!(
            &tampered.problems[..],
            [StoreProblem::Broken { seq: 251, .. }]
        ),
        "{:?}",
        tampered.problems
    );
}
