//! A hostile `file://` source: what sits at `latest` must neither hang a fetch nor fill memory.

mod common;

use std::time::Duration as StdDuration;

use common::*;
use warden_bundle::{refresh, BundleError, Cache, Fetcher, RemoteOptions, VerifyOptions};

fn options() -> RemoteOptions {
    RemoteOptions {
        timeout: StdDuration::from_secs(3),
        ..RemoteOptions::default()
    }
}

/// Fetches `file://dir/` once, failing the test if it takes longer than a few seconds.
async fn fetch_latest(dir: &std::path::Path) -> Result<(), BundleError> {
    let keys = keys();
    let cache_dir = tempfile::tempdir().unwrap();
    let fetcher = Fetcher::connect(&format!("file://{}/", dir.display()), &options())
        .await
        .unwrap();
    let mut cache = Cache::open(cache_dir.path(), &keys.trust).unwrap();
    let verify = VerifyOptions::new(t0());
    let attempt = refresh(&mut cache, &fetcher, &keys.trust, &verify);
    tokio::time::timeout(StdDuration::from_secs(10), attempt)
        .await
        .expect("the fetch must end, not wait on the source")
        .map(|_| ())
}

#[tokio::test]
async fn a_named_pipe_as_latest_is_refused_without_waiting() {
    let store = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(store.path().join("latest"))
        .status()
        .unwrap();
    assert!(status.success());
    let err = fetch_latest(store.path()).await.unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
}

#[tokio::test]
async fn a_link_as_latest_is_refused_even_to_a_good_bundle() {
    // A link could point at /dev/zero (endless) as easily as at a bundle: links are not followed.
    let keys = keys();
    let store = tempfile::tempdir().unwrap();
    let real = store.path().join("real.tar.gz");
    std::fs::write(&real, bundle(&keys, 1, POLICY, t0())).unwrap();
    std::os::unix::fs::symlink(&real, store.path().join("latest")).unwrap();
    let err = fetch_latest(store.path()).await.unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");

    let endless = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/dev/zero", endless.path().join("latest")).unwrap();
    let err = fetch_latest(endless.path()).await.unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
}
