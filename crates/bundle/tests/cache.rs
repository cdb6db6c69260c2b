//! The on-disk cache: offline start, corruption, rollback, equivocation, expiry while running.

mod common;

use chrono::Duration;
use common::*;
use warden_bundle::{
    build_for, AcceptOutcome, BundleError, Cache, Expected, FetchResult, Health, TrustStore,
    VerifyOptions,
};

const SOURCE: &str = "file:///srv/bundles/";

fn accept(cache: &mut Cache, keys: &Keys, bytes: &[u8]) -> Result<AcceptOutcome, BundleError> {
    cache.accept(
        bytes,
        &keys.trust,
        &VerifyOptions::new(t0()),
        SOURCE,
        Some("\"etag-1\""),
    )
}

#[test]
fn no_bundle_means_nothing_runs() {
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path(), &keys.trust).unwrap();
    let err = cache.enforceable(t0(), Duration::hours(1)).unwrap_err();
    assert!(matches!(err, BundleError::NoBundle), "{err}");
    let status = cache.status(t0(), Duration::hours(1));
    assert_eq!(status.health, Health::Blocked);
    assert!(status.reason.unwrap().contains("warden bundle fetch"));
}

#[test]
fn offline_start_uses_the_cached_bundle() {
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    let bytes = bundle(&keys, 4, POLICY, t0());
    {
        let mut cache = Cache::open(dir.path(), &keys.trust).unwrap();
        assert_eq!(
            accept(&mut cache, &keys, &bytes).unwrap(),
            AcceptOutcome::Updated {
                previous: None,
                revision: 4
            }
        );
    }
    let cache = Cache::open(dir.path(), &keys.trust).unwrap();
    let bundle = cache
        .enforceable(t0() + Duration::days(1), Duration::zero())
        .unwrap();
    assert_eq!(bundle.revision(), 4);
    assert_eq!(bundle.policy().name(), "finance");
    assert_eq!(cache.etag_for(SOURCE), Some("\"etag-1\""));
    let status = cache.status(t0() + Duration::days(1), Duration::zero());
    assert_eq!(status.health, Health::Valid);
    assert_eq!(status.revision, Some(4));
    assert_eq!(status.name.as_deref(), Some("finance"));
    assert_eq!(status.source.as_deref(), Some(SOURCE));
    assert_eq!(status.fetched_at, Some(t0()));
    assert_eq!(status.key_id.as_deref(), Some(keys.signing.id().as_str()));
    assert_eq!(
        status.last_fetch.as_ref().map(|v| v.result),
        Some(FetchResult::Updated)
    );
    let json: serde_json::Value = serde_json::from_str(&status.to_json()).unwrap();
    assert_eq!(json["revision"], 4);
    assert_eq!(json["health"], "valid");
    assert_eq!(json["last_fetch"]["result"], "updated");
}

#[test]
fn restart_with_a_corrupted_cache_file_blocks_until_a_fresh_fetch() {
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    let bytes = bundle(&keys, 4, POLICY, t0());
    {
        let mut cache = Cache::open(dir.path(), &keys.trust).unwrap();
        accept(&mut cache, &keys, &bytes).unwrap();
    }
    let mut corrupted = bytes.clone();
    let middle = corrupted.len() / 2;
    corrupted[middle] ^= 0x55;
    std::fs::write(dir.path().join("bundle.tar.gz"), &corrupted).unwrap();

    let mut cache = Cache::open(dir.path(), &keys.trust).unwrap();
    let err = cache.enforceable(t0(), Duration::zero()).unwrap_err();
    assert!(matches!(err, BundleError::CacheUnusable { .. }), "{err}");
    assert!(err.to_string().contains("cached bundle refused"), "{err}");
    assert_eq!(
        cache.etag_for(SOURCE),
        None,
        "a corrupted cache must not make the next fetch conditional"
    );

    // The fetch that repairs it may not roll back below what was accepted before the damage.
    let older = bundle(&keys, 3, POLICY, t0());
    assert!(matches!(
        accept(&mut cache, &keys, &older),
        Err(BundleError::Rollback { minimum: 4, .. })
    ));
    accept(&mut cache, &keys, &bytes).unwrap();
    assert_eq!(
        cache
            .enforceable(t0(), Duration::zero())
            .unwrap()
            .revision(),
        4
    );
}

#[test]
fn a_damaged_or_missing_state_file_blocks_until_a_fetch() {
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    let two = bundle(&keys, 2, POLICY, t0());
    {
        let mut cache = Cache::open(dir.path(), &keys.trust).unwrap();
        accept(&mut cache, &keys, &two).unwrap();
    }
    // Without state.json the rollback marks and the latest time seen are gone: the cached
    // bundle alone cannot be trusted (its expiry could be judged by a clock turned back).
    for damage in [Some(&b"{ truncated"[..]), None] {
        match damage {
            Some(bytes) => std::fs::write(dir.path().join("state.json"), bytes).unwrap(),
            None => std::fs::remove_file(dir.path().join("state.json")).unwrap(),
        }
        let mut cache = Cache::open(dir.path(), &keys.trust).unwrap();
        let err = cache.enforceable(t0(), Duration::zero()).unwrap_err();
        assert!(matches!(err, BundleError::CacheUnusable { .. }), "{err}");
        assert!(err.to_string().contains("fetch the bundle again"), "{err}");
        accept(&mut cache, &keys, &two).unwrap();
        assert_eq!(
            cache
                .enforceable(t0(), Duration::zero())
                .unwrap()
                .revision(),
            2
        );
    }
}

#[test]
fn cached_bundle_signed_by_a_key_no_longer_trusted_is_refused_at_start() {
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    {
        let mut cache = Cache::open(dir.path(), &keys.trust).unwrap();
        accept(&mut cache, &keys, &bundle(&keys, 2, POLICY, t0())).unwrap();
    }
    let cache = Cache::open(dir.path(), &TrustStore::new()).unwrap();
    let err = cache.enforceable(t0(), Duration::zero()).unwrap_err();
    assert!(err.to_string().contains("not trusted"), "{err}");
}

#[test]
fn rollback_is_refused_while_running_and_after_restart() {
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    let new = bundle(&keys, 5, POLICY, t0());
    let old = bundle(&keys, 4, POLICY, t0());
    let mut cache = Cache::open(dir.path(), &keys.trust).unwrap();
    accept(&mut cache, &keys, &new).unwrap();
    let err = accept(&mut cache, &keys, &old).unwrap_err();
    assert!(
        matches!(
            err,
            BundleError::Rollback {
                revision: 4,
                minimum: 5,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        cache
            .enforceable(t0(), Duration::zero())
            .unwrap()
            .revision(),
        5,
        "the newer bundle stays in force"
    );
    drop(cache);

    // Someone swaps the cache file for the older (validly signed) bundle.
    std::fs::write(dir.path().join("bundle.tar.gz"), &old).unwrap();
    let cache = Cache::open(dir.path(), &keys.trust).unwrap();
    let err = cache.enforceable(t0(), Duration::zero()).unwrap_err();
    assert!(err.to_string().contains("rollback"), "{err}");
}

#[test]
fn same_revision_with_different_content_is_equivocation() {
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    let first = bundle(&keys, 7, POLICY, t0());
    let twin = bundle(&keys, 7, &policy_text("different rules"), t0());
    let mut cache = Cache::open(dir.path(), &keys.trust).unwrap();
    accept(&mut cache, &keys, &first).unwrap();
    let err = accept(&mut cache, &keys, &twin).unwrap_err();
    assert!(
        matches!(err, BundleError::Equivocation { revision: 7, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("publish revision 8"), "{err}");
    // The identical bundle again is simply unchanged.
    assert_eq!(
        accept(&mut cache, &keys, &first).unwrap(),
        AcceptOutcome::Unchanged { revision: 7 }
    );
    // And the refusal survives a restart even if the twin is planted in the cache.
    drop(cache);
    std::fs::write(dir.path().join("bundle.tar.gz"), &twin).unwrap();
    let cache = Cache::open(dir.path(), &keys.trust).unwrap();
    assert!(cache
        .enforceable(t0(), Duration::zero())
        .unwrap_err()
        .to_string()
        .contains("equivocation"));
}

#[test]
fn expiry_while_running_enters_grace_then_blocks_until_a_fresh_bundle() {
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    let grace = Duration::hours(12);
    let mut cache = Cache::open(dir.path(), &keys.trust).unwrap();
    accept(&mut cache, &keys, &bundle(&keys, 1, POLICY, t0())).unwrap();
    let expires = t0() + Duration::days(30);

    let before = expires - Duration::seconds(1);
    assert!(cache.enforceable(before, grace).is_ok());
    assert_eq!(cache.status(before, grace).health, Health::Valid);

    let in_grace = expires + Duration::hours(1);
    assert!(cache.enforceable(in_grace, grace).is_ok());
    let status = cache.status(in_grace, grace);
    assert_eq!(status.health, Health::Grace);
    assert!(status
        .warning
        .unwrap()
        .contains("queries will be refused from"));

    let after = expires + grace;
    let err = cache.enforceable(after, grace).unwrap_err();
    assert!(
        matches!(err, BundleError::ExpiredBeyondGrace { .. }),
        "{err}"
    );
    let status = cache.status(after, grace);
    assert_eq!(status.health, Health::Blocked);
    assert!(status
        .reason
        .unwrap()
        .contains("until a fresh bundle is fetched"));

    // A fresh revision arrives.
    let fresh = bundle(&keys, 2, POLICY, after);
    let mut options = VerifyOptions::new(after);
    options.max_future_skew = Duration::zero();
    cache
        .accept(&fresh, &keys.trust, &options, SOURCE, None)
        .unwrap();
    assert_eq!(cache.enforceable(after, grace).unwrap().revision(), 2);
}

#[test]
fn refused_bundle_leaves_the_one_in_force_and_the_cache_holds_only_its_files() {
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    let mut cache = Cache::open(dir.path(), &keys.trust).unwrap();
    let good = bundle(&keys, 1, POLICY, t0());
    accept(&mut cache, &keys, &good).unwrap();
    let err = accept(&mut cache, &keys, b"garbage").unwrap_err();
    cache.record_failure(SOURCE, &err, t0()).unwrap();
    assert_eq!(
        cache
            .enforceable(t0(), Duration::zero())
            .unwrap()
            .revision(),
        1
    );
    let status = cache.status(t0(), Duration::zero());
    assert_eq!(
        status.last_fetch.as_ref().map(|v| v.result),
        Some(FetchResult::Refused)
    );
    assert_eq!(
        std::fs::read(dir.path().join("bundle.tar.gz")).unwrap(),
        good
    );
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["bundle.tar.gz", "cache.lock", "state.json"],
        "no temporary files are left behind"
    );
}

#[test]
fn two_processes_updating_one_cache_never_lower_the_high_water_mark() {
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    let one = bundle(&keys, 1, POLICY, t0());
    let two = bundle(&keys, 2, POLICY, t0());
    // The app and `warden bundle fetch` each hold the cache open.
    let mut app = Cache::open(dir.path(), &keys.trust).unwrap();
    accept(&mut app, &keys, &one).unwrap();
    let mut cli = Cache::open(dir.path(), &keys.trust).unwrap();
    accept(&mut cli, &keys, &two).unwrap();
    // The app, still at revision 1 in memory, records an unchanged fetch: revision 2's mark stays.
    app.record_unchanged(SOURCE, None, t0()).unwrap();
    let err = accept(&mut app, &keys, &one).unwrap_err();
    assert!(
        matches!(
            err,
            BundleError::Rollback {
                revision: 1,
                minimum: 2,
                ..
            }
        ),
        "{err}"
    );
    // A restart keeps refusing revision 1: the mark on disk was not lowered.
    // The app still holds revision 1 in memory; it is not enforced once a newer one is known.
    let err = app.enforceable(t0(), Duration::zero()).unwrap_err();
    assert!(
        matches!(
            err,
            BundleError::Rollback {
                revision: 1,
                minimum: 2,
                ..
            }
        ),
        "{err}"
    );
    let mut restarted = Cache::open(dir.path(), &keys.trust).unwrap();
    assert_eq!(restarted.current().map(|b| b.revision()), Some(2));
    let err = accept(&mut restarted, &keys, &one).unwrap_err();
    assert!(matches!(err, BundleError::Rollback { .. }), "{err}");
}

#[test]
fn a_clock_turned_back_cannot_revive_an_expired_bundle() {
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    let mut cache = Cache::open(dir.path(), &keys.trust).unwrap();
    accept(&mut cache, &keys, &bundle(&keys, 1, POLICY, t0())).unwrap();
    // Days later the machine fetched again (offline: the fetch failed, but the time was seen).
    let later = t0() + Duration::days(40);
    cache
        .record_failure(
            SOURCE,
            &BundleError::Timeout {
                location: SOURCE.into(),
            },
            later,
        )
        .unwrap();
    assert!(matches!(
        cache.enforceable(later, Duration::zero()),
        Err(BundleError::ExpiredBeyondGrace { .. })
    ));
    // Turning the clock back to within the bundle's validity does not bring it back.
    let turned_back = t0() + Duration::days(1);
    let err = Cache::open(dir.path(), &keys.trust)
        .unwrap()
        .enforceable(turned_back, Duration::zero())
        .unwrap_err();
    assert!(matches!(err, BundleError::ClockUntrusted { .. }), "{err}");
    assert!(err.to_string().contains("clock cannot be trusted"), "{err}");
    // Nor does a clock that reads earlier than the bundle was issued.
    let before_issue = t0() - Duration::hours(1);
    let fresh = tempfile::tempdir().unwrap();
    let mut cache = Cache::open(fresh.path(), &keys.trust).unwrap();
    cache
        .accept(
            &bundle(&keys, 1, POLICY, t0()),
            &keys.trust,
            &VerifyOptions::new(t0()),
            SOURCE,
            None,
        )
        .unwrap();
    assert!(matches!(
        cache.enforceable(before_issue, Duration::zero()),
        Err(BundleError::ClockUntrusted { .. })
    ));
    // A few minutes of skew are tolerated.
    assert!(cache
        .enforceable(t0() - Duration::minutes(2), Duration::zero())
        .is_ok());
}

#[test]
fn a_clock_that_ran_ahead_recovers_with_a_new_revision() {
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    let mut cache = Cache::open(dir.path(), &keys.trust).unwrap();
    accept(&mut cache, &keys, &bundle(&keys, 1, POLICY, t0())).unwrap();
    // For a while the clock read a day ahead, and a fetch happened then.
    cache
        .record_unchanged(SOURCE, None, t0() + Duration::days(1))
        .unwrap();
    let corrected = t0() + Duration::hours(1);
    assert!(matches!(
        cache.enforceable(corrected, Duration::zero()),
        Err(BundleError::ClockUntrusted { .. })
    ));
    // The next revision, verified with the corrected clock, makes it trusted again.
    cache
        .accept(
            &bundle(&keys, 2, POLICY, t0()),
            &keys.trust,
            &VerifyOptions::new(corrected),
            SOURCE,
            None,
        )
        .unwrap();
    assert_eq!(
        cache
            .enforceable(corrected, Duration::zero())
            .unwrap()
            .revision(),
        2
    );
}

#[test]
fn a_frozen_clock_cannot_keep_an_old_policy_once_a_newer_one_is_seen() {
    // The clock is stuck at t0 (faketime). A trusted signature over a manifest issued two days
    // later proves that the real time is at least that: the old bundle is not enforced any more.
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    let mut cache = Cache::open(dir.path(), &keys.trust).unwrap();
    accept(&mut cache, &keys, &bundle(&keys, 1, POLICY, t0())).unwrap();
    let issued = t0() + Duration::days(2);
    let err = accept(&mut cache, &keys, &bundle(&keys, 2, POLICY, issued)).unwrap_err();
    assert!(matches!(err, BundleError::IssuedInFuture { .. }), "{err}");
    let err = cache.enforceable(t0(), Duration::days(3)).unwrap_err();
    assert!(matches!(err, BundleError::ClockUntrusted { .. }), "{err}");
    assert_eq!(
        cache.status(t0(), Duration::days(3)).health,
        Health::Blocked
    );
    // The floor survives a restart, and lifts once the clock is right.
    let reopened = Cache::open(dir.path(), &keys.trust).unwrap();
    assert!(matches!(
        reopened.enforceable(t0(), Duration::days(3)),
        Err(BundleError::ClockUntrusted { .. })
    ));
    assert_eq!(
        reopened
            .enforceable(issued, Duration::days(3))
            .unwrap()
            .revision(),
        1
    );
    // An unsigned (untrusted) bundle claiming a later time proves nothing.
    let fresh = tempfile::tempdir().unwrap();
    let mut cache = Cache::open(fresh.path(), &keys.trust).unwrap();
    accept(&mut cache, &keys, &bundle(&keys, 1, POLICY, t0())).unwrap();
    let stranger = common::keys();
    let err = accept(&mut cache, &keys, &bundle(&stranger, 2, POLICY, issued)).unwrap_err();
    assert!(matches!(err, BundleError::UnknownKey { .. }), "{err}");
    assert!(cache.enforceable(t0(), Duration::days(3)).is_ok());
}

#[test]
fn a_bundle_for_another_team_is_refused_even_when_signed_by_a_trusted_key() {
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    let marketing = "format: warden-policy/1\nname: marketing\nrules: []\n";
    // Without a configured name, the first name accepted is pinned, across restarts too.
    let mut cache = Cache::open(dir.path(), &keys.trust).unwrap();
    accept(&mut cache, &keys, &bundle(&keys, 1, POLICY, t0())).unwrap();
    let err = accept(&mut cache, &keys, &bundle(&keys, 9, marketing, t0())).unwrap_err();
    assert!(matches!(err, BundleError::ForeignBundle { .. }), "{err}");
    assert!(err.to_string().contains("\"finance\""), "{err}");
    let mut cache = Cache::open(dir.path(), &keys.trust).unwrap();
    let err = accept(&mut cache, &keys, &bundle(&keys, 9, marketing, t0())).unwrap_err();
    assert!(matches!(err, BundleError::ForeignBundle { .. }), "{err}");
    assert_eq!(
        cache
            .enforceable(t0(), Duration::zero())
            .unwrap()
            .policy()
            .name(),
        "finance"
    );

    // A configured name wins from the first fetch on.
    let pinned = tempfile::tempdir().unwrap();
    let expected = Expected {
        name: Some("finance".into()),
        audience: Some("finance-eu".into()),
    };
    let mut cache = Cache::open_expecting(pinned.path(), &keys.trust, expected.clone()).unwrap();
    let err = accept(&mut cache, &keys, &bundle(&keys, 1, marketing, t0())).unwrap_err();
    assert!(matches!(err, BundleError::ForeignBundle { .. }), "{err}");

    // The signed audience must name this workspace.
    let for_us = |audience: &str| {
        build_for(
            POLICY.as_bytes(),
            None,
            1,
            Duration::days(30),
            &keys.signing,
            t0(),
            Some(audience),
        )
        .unwrap()
    };
    let err = accept(&mut cache, &keys, &for_us("finance-us")).unwrap_err();
    assert!(matches!(err, BundleError::WrongAudience { .. }), "{err}");
    assert!(err.to_string().contains("finance-us"), "{err}");
    accept(&mut cache, &keys, &for_us("finance-eu")).unwrap();
}
