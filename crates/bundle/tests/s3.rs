//! `s3://` stores against moto_server's S3 (conditional writes included), started on a free
//! port by the test and killed when it ends.

mod common;

use std::sync::Once;

use chrono::Duration;
use common::*;
use warden_bundle::{
    publish, publish_with_s3_client, refresh, BundleError, Cache, Fetched, Fetcher, RefreshOutcome,
    RemoteOptions, TrustStore, VerifyOptions,
};
use warden_test_support::Moto;

/// The SDK's default chain reads credentials from the environment; set them once, before any
/// test in this binary builds a client.
fn fake_credentials() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_REGION", "us-east-1");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_CONFIG_FILE", "/nonexistent/warden-test-aws-config");
        std::env::set_var(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/warden-test-aws-credentials",
        );
    });
}

fn options(moto: &Moto) -> RemoteOptions {
    RemoteOptions {
        s3_endpoint: Some(moto.endpoint.clone()),
        s3_region: Some("us-east-1".into()),
        ..RemoteOptions::default()
    }
}

#[tokio::test]
async fn publish_fetch_and_unchanged_through_the_workspace_configuration() {
    fake_credentials();
    let moto = Moto::start();
    let s3 = moto.create_bucket("bundles").await;
    let keys = keys();
    let options = options(&moto);

    let published = publish(
        &bundle(&keys, 1, POLICY, t0()),
        "s3://bundles/finance/",
        &options,
    )
    .await
    .unwrap();
    assert_eq!(published.object, "s3://bundles/finance/revisions/1.tar.gz");
    assert!(published.latest_moved);
    let listed = s3
        .list_objects_v2()
        .bucket("bundles")
        .prefix("finance/")
        .send()
        .await
        .unwrap();
    let mut keys_listed: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    keys_listed.sort();
    assert_eq!(
        keys_listed,
        ["finance/latest", "finance/revisions/1.tar.gz"]
    );

    let cache_dir = tempfile::tempdir().unwrap();
    let mut cache = Cache::open(cache_dir.path(), &keys.trust).unwrap();
    let fetcher = Fetcher::connect("s3://bundles/finance/", &options)
        .await
        .unwrap();
    let verify = VerifyOptions::new(t0());
    assert_eq!(
        refresh(&mut cache, &fetcher, &keys.trust, &verify)
            .await
            .unwrap(),
        RefreshOutcome::Updated {
            previous: None,
            revision: 1
        }
    );
    // Unchanged: S3 answers 304 to If-None-Match; the empty trust store proves nothing was verified.
    assert_eq!(
        refresh(&mut cache, &fetcher, &TrustStore::new(), &verify)
            .await
            .unwrap(),
        RefreshOutcome::Unchanged { revision: Some(1) }
    );
    let etag = cache.etag_for("s3://bundles/finance/").unwrap().to_string();
    assert_eq!(
        fetcher.fetch(Some(&etag)).await.unwrap(),
        Fetched::NotModified
    );

    publish(
        &bundle(&keys, 2, POLICY, t0()),
        "s3://bundles/finance/",
        &options,
    )
    .await
    .unwrap();
    assert_eq!(
        refresh(&mut cache, &fetcher, &keys.trust, &verify)
            .await
            .unwrap(),
        RefreshOutcome::Updated {
            previous: Some(1),
            revision: 2
        }
    );
    assert_eq!(
        cache.status(t0(), Duration::zero()).source.as_deref(),
        Some("s3://bundles/finance/")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_publishers_of_one_revision_cannot_both_win() {
    fake_credentials();
    let moto = Moto::start();
    let s3 = moto.create_bucket("race").await;
    let keys = keys();
    let bundles: Vec<Vec<u8>> = (0..6)
        .map(|i| bundle(&keys, 5, &policy_text(&format!("publisher {i}")), t0()))
        .collect();
    let mut tasks = Vec::new();
    for bytes in bundles.clone() {
        let s3 = s3.clone();
        tasks.push(tokio::spawn(async move {
            publish_with_s3_client(&bytes, "s3://race/p/", &s3, &RemoteOptions::default()).await
        }));
    }
    let mut winners = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(_) => winners.push(i),
            Err(e) => assert!(
                matches!(e, BundleError::PublishConflict { revision: 5, .. }),
                "{e}"
            ),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one publisher wins");
    let object = s3
        .get_object()
        .bucket("race")
        .key("p/revisions/5.tar.gz")
        .send()
        .await
        .unwrap();
    let stored = object.body.collect().await.unwrap().into_bytes();
    assert_eq!(stored.as_ref(), bundles[winners[0]].as_slice());
    let latest = s3
        .get_object()
        .bucket("race")
        .key("p/latest")
        .send()
        .await
        .unwrap();
    assert_eq!(
        latest.body.collect().await.unwrap().into_bytes().as_ref(),
        bundles[winners[0]].as_slice()
    );
}

#[tokio::test]
async fn the_pointer_never_moves_back_and_republishing_is_idempotent() {
    fake_credentials();
    let moto = Moto::start();
    let s3 = moto.create_bucket("order").await;
    let keys = keys();
    let options = RemoteOptions::default();
    let three = bundle(&keys, 3, POLICY, t0());
    publish_with_s3_client(&three, "s3://order/", &s3, &options)
        .await
        .unwrap();
    let again = publish_with_s3_client(&three, "s3://order/", &s3, &options)
        .await
        .unwrap();
    assert!(again.already_published && !again.latest_moved);
    let err = publish_with_s3_client(
        &bundle(&keys, 2, POLICY, t0()),
        "s3://order/",
        &s3,
        &options,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            BundleError::PublishOutdated {
                revision: 2,
                latest: 3,
                ..
            }
        ),
        "{err}"
    );
    let err = publish_with_s3_client(
        &bundle(&keys, 3, &policy_text("twin"), t0()),
        "s3://order/",
        &s3,
        &options,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, BundleError::PublishConflict { revision: 3, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn missing_objects_and_buckets_are_reported() {
    fake_credentials();
    let moto = Moto::start();
    let s3 = moto.create_bucket("empty").await;
    let fetcher =
        Fetcher::with_s3_client("s3://empty/nothing/", s3.clone(), &RemoteOptions::default())
            .unwrap();
    let err = fetcher.fetch(None).await.unwrap_err();
    assert!(matches!(err, BundleError::NotFound { .. }), "{err}");
    let fetcher =
        Fetcher::with_s3_client("s3://no-such-bucket/x/", s3, &RemoteOptions::default()).unwrap();
    let err = fetcher.fetch(None).await.unwrap_err();
    assert!(err.is_transport(), "{err}");
}

/// Credentials that count how often they are asked for.
#[derive(Debug, Clone, Default)]
struct Counted(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl aws_credential_types::provider::ProvideCredentials for Counted {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        aws_credential_types::provider::future::ProvideCredentials::ready(Ok(
            aws_credential_types::Credentials::new(
                "FAKESIGNIN",
                "FAKE-sign-in",
                None,
                None,
                "test",
            ),
        ))
    }
}

#[tokio::test]
async fn a_fetch_signs_with_the_credentials_it_is_given_not_the_sdk_chain() {
    fake_credentials();
    let moto = Moto::start();
    moto.create_bucket("bundles").await;
    let keys = keys();
    publish(
        &bundle(&keys, 1, POLICY, t0()),
        "s3://bundles/signed/",
        &options(&moto),
    )
    .await
    .unwrap();
    let sign_in = Counted::default();
    let options = RemoteOptions {
        s3_credentials: Some(
            aws_credential_types::provider::SharedCredentialsProvider::new(sign_in.clone()),
        ),
        ..options(&moto)
    };
    let fetcher = Fetcher::connect("s3://bundles/signed/", &options)
        .await
        .unwrap();
    assert!(matches!(
        fetcher.fetch(None).await.unwrap(),
        Fetched::Body { .. }
    ));
    assert!(
        sign_in.0.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "the request was signed with the given credentials"
    );
}
