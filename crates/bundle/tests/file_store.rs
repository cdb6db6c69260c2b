//! `file://` stores: publish, fetch, refresh, concurrent publishers.

mod common;

use chrono::Duration;
use common::*;
use warden_bundle::{
    publish, refresh, BundleError, Cache, FetchResult, Fetcher, RefreshOutcome, RemoteOptions,
    TrustStore, VerifyOptions,
};

fn store_url(dir: &std::path::Path) -> String {
    format!("file://{}/", dir.display())
}

#[tokio::test]
async fn publish_then_fetch_then_unchanged_costs_no_verification() {
    let keys = keys();
    let store = tempfile::tempdir().unwrap();
    let cache_dir = tempfile::tempdir().unwrap();
    let url = store_url(store.path());
    let options = RemoteOptions::default();

    let published = publish(&bundle(&keys, 1, POLICY, t0()), &url, &options)
        .await
        .unwrap();
    assert_eq!(
        (
            published.revision,
            published.latest_moved,
            published.already_published
        ),
        (1, true, false)
    );
    assert!(store.path().join("revisions/1.tar.gz").is_file());
    assert!(store.path().join("latest").is_file());

    let fetcher = Fetcher::connect(&url, &options).await.unwrap();
    let mut cache = Cache::open(cache_dir.path(), &keys.trust).unwrap();
    let verify = VerifyOptions::new(t0());
    let outcome = refresh(&mut cache, &fetcher, &keys.trust, &verify)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        RefreshOutcome::Updated {
            previous: None,
            revision: 1
        }
    );

    // An empty trust store would refuse anything it had to verify: success proves nothing was.
    let outcome = refresh(&mut cache, &fetcher, &TrustStore::new(), &verify)
        .await
        .unwrap();
    assert_eq!(outcome, RefreshOutcome::Unchanged { revision: Some(1) });
    assert_eq!(
        cache
            .status(t0(), Duration::zero())
            .last_fetch
            .unwrap()
            .result,
        FetchResult::Unchanged
    );

    let published = publish(&bundle(&keys, 2, POLICY, t0()), &url, &options)
        .await
        .unwrap();
    assert!(published.latest_moved);
    let outcome = refresh(&mut cache, &fetcher, &keys.trust, &verify)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        RefreshOutcome::Updated {
            previous: Some(1),
            revision: 2
        }
    );
    assert_eq!(
        cache
            .enforceable(t0(), Duration::zero())
            .unwrap()
            .revision(),
        2
    );
}

#[tokio::test]
async fn republishing_the_same_bundle_is_idempotent_and_a_different_one_conflicts() {
    let keys = keys();
    let store = tempfile::tempdir().unwrap();
    let url = store_url(store.path());
    let options = RemoteOptions::default();
    let first = bundle(&keys, 3, POLICY, t0());
    publish(&first, &url, &options).await.unwrap();
    let again = publish(&first, &url, &options).await.unwrap();
    assert!(again.already_published && !again.latest_moved);

    let twin = bundle(&keys, 3, &policy_text("twin"), t0());
    let err = publish(&twin, &url, &options).await.unwrap_err();
    assert!(
        matches!(err, BundleError::PublishConflict { revision: 3, .. }),
        "{err}"
    );

    // An older revision never moves the pointer back.
    let older = bundle(&keys, 2, POLICY, t0());
    let err = publish(&older, &url, &options).await.unwrap_err();
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
    assert_eq!(std::fs::read(store.path().join("latest")).unwrap(), first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_publishers_of_one_revision_cannot_both_win() {
    let keys = keys();
    let store = tempfile::tempdir().unwrap();
    let url = store_url(store.path());
    let bundles: Vec<Vec<u8>> = (0..8)
        .map(|i| bundle(&keys, 5, &policy_text(&format!("publisher {i}")), t0()))
        .collect();
    let mut tasks = Vec::new();
    for bytes in bundles.clone() {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            publish(&bytes, &url, &RemoteOptions::default()).await
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
    let winner = &bundles[winners[0]];
    assert_eq!(
        &std::fs::read(store.path().join("revisions/5.tar.gz")).unwrap(),
        winner
    );
    assert_eq!(&std::fs::read(store.path().join("latest")).unwrap(), winner);
    assert!(!store.path().join("latest.lock").exists());
}

#[tokio::test]
async fn a_refused_fetch_keeps_the_bundle_in_force_and_says_why() {
    let keys = keys();
    let store = tempfile::tempdir().unwrap();
    let cache_dir = tempfile::tempdir().unwrap();
    let url = store_url(store.path());
    let options = RemoteOptions::default();
    publish(&bundle(&keys, 1, POLICY, t0()), &url, &options)
        .await
        .unwrap();
    let fetcher = Fetcher::connect(&url, &options).await.unwrap();
    let mut cache = Cache::open(cache_dir.path(), &keys.trust).unwrap();
    refresh(&mut cache, &fetcher, &keys.trust, &VerifyOptions::new(t0()))
        .await
        .unwrap();

    // Someone replaces `latest` with a bundle signed by an untrusted key.
    let intruder = common::keys();
    std::fs::write(
        store.path().join("latest"),
        bundle(&intruder, 9, POLICY, t0()),
    )
    .unwrap();
    let err = refresh(&mut cache, &fetcher, &keys.trust, &VerifyOptions::new(t0()))
        .await
        .unwrap_err();
    assert!(matches!(err, BundleError::UnknownKey { .. }), "{err}");
    let status = cache.status(t0(), Duration::zero());
    assert_eq!(status.revision, Some(1));
    let verdict = status.last_fetch.unwrap();
    assert_eq!(verdict.result, FetchResult::Refused);
    assert!(
        verdict.message.contains("not trusted"),
        "{}",
        verdict.message
    );

    // And a source that disappeared is a failure, not a refusal.
    std::fs::remove_file(store.path().join("latest")).unwrap();
    let err = refresh(&mut cache, &fetcher, &keys.trust, &VerifyOptions::new(t0()))
        .await
        .unwrap_err();
    assert!(matches!(err, BundleError::NotFound { .. }), "{err}");
    assert_eq!(
        cache
            .status(t0(), Duration::zero())
            .last_fetch
            .unwrap()
            .result,
        FetchResult::Failed
    );
    assert_eq!(
        cache
            .enforceable(t0(), Duration::zero())
            .unwrap()
            .revision(),
        1
    );
}

#[tokio::test]
async fn publishing_to_http_is_refused_with_a_reason() {
    let keys = keys();
    let err = publish(
        &bundle(&keys, 1, POLICY, t0()),
        "https://example.com/b/",
        &RemoteOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, BundleError::PublishUnsupported { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn the_app_can_refresh_from_a_background_task() {
    fn send_sync<T: Send + Sync>() {}
    fn send<F: Send>(_: &F) {}
    send_sync::<Cache>();
    send_sync::<Fetcher>();
    send_sync::<TrustStore>();
    send_sync::<warden_bundle::VerifiedBundle>();

    let keys = keys();
    let store = tempfile::tempdir().unwrap();
    let url = store_url(store.path());
    publish(
        &bundle(&keys, 1, POLICY, t0()),
        &url,
        &RemoteOptions::default(),
    )
    .await
    .unwrap();
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = std::sync::Arc::new(tokio::sync::Mutex::new(
        Cache::open(cache_dir.path(), &keys.trust).unwrap(),
    ));
    let fetcher = Fetcher::connect(&url, &RemoteOptions::default())
        .await
        .unwrap();
    let trust = keys.trust.clone();
    let shared = std::sync::Arc::clone(&cache);
    let task = async move {
        let mut cache = shared.lock().await;
        refresh(&mut cache, &fetcher, &trust, &VerifyOptions::new(t0())).await
    };
    send(&task);
    let outcome = tokio::spawn(task).await.unwrap().unwrap();
    assert_eq!(
        outcome,
        RefreshOutcome::Updated {
            previous: None,
            revision: 1
        }
    );
    assert_eq!(
        cache
            .lock()
            .await
            .enforceable(t0(), Duration::zero())
            .unwrap()
            .revision(),
        1
    );
}
