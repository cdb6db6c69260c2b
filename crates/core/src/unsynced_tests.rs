//! `audit: { max_unsynced: 15m }`: a journal whose old events never reached the central store
//! (offline, rolled back, thrown away) cannot keep running queries for longer than that.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::Duration;
use warden_audit::Kind;
use warden_engine::CancellationToken;

use crate::audit::Audit;
use crate::gate::RunError;
use crate::testing::{recorder, Fixture, POLICY};

const COUNTRY: &str = "SELECT country FROM customers";

#[tokio::test]
async fn old_unsynced_events_stop_new_runs_until_a_sync() {
    let fixture = Fixture::new();
    let bounded = format!("{POLICY}\naudit: {{ max_unsynced: 15m }}\n");
    fixture.publish(&bounded, 1, Duration::days(30)).await;
    let central = fixture.dir.path().join("central");
    std::fs::create_dir_all(&central).expect("central");
    let store = url::Url::from_directory_path(&central)
        .expect("absolute")
        .to_string();
    let audit = Arc::new(
        Audit::open(
            &fixture.dir.path().join("journal.sqlite"),
            "test",
            Some(store),
        )
        .expect("journal"),
    );
    let (engine, executed) = recorder();
    let gate = fixture
        .gate_with(engine, Duration::days(3), audit.clone())
        .await;

    gate.run(COUNTRY, None, CancellationToken::new())
        .await
        .expect("fresh events are within the bound");
    // Offline for 17 minutes: the bundle_updated and the first run's events never left.
    fixture
        .clock
        .advance(std::time::Duration::from_secs(17 * 60));
    let err = gate
        .run(COUNTRY, None, CancellationToken::new())
        .await
        .expect_err("events older than 15 minutes are unsynced");
    let RunError::Unsynced(reason) = &err else {
        panic!("{err}");
    };
    assert!(
        reason.contains("audit.max_unsynced")
            && reason.contains("at most 15 min")
            && reason.contains("warden audit sync"),
        "{reason}"
    );
    assert_eq!(
        executed.load(Ordering::SeqCst),
        1,
        "the second run never reached the engine"
    );
    let blocked = audit
        .events(&[Kind::QueryBlocked], None, None, false)
        .expect("events");
    assert_eq!(blocked.len(), 1);
    assert_eq!(
        blocked[0].payload["query"]["rule_ids"][0],
        "audit-max-unsynced"
    );

    // The blocked event is the newest; once everything is central, runs go on.
    audit.sync(None).await.expect("sync");
    gate.run(COUNTRY, None, CancellationToken::new())
        .await
        .expect("synced: runs again");
    assert_eq!(executed.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn without_the_setting_unsynced_events_do_not_block() {
    let fixture = Fixture::new();
    fixture.publish(POLICY, 1, Duration::days(30)).await;
    let (engine, executed) = recorder();
    let gate = fixture.gate(engine, Duration::days(3)).await;
    fixture
        .clock
        .advance(std::time::Duration::from_secs(24 * 3600));
    gate.run(COUNTRY, None, CancellationToken::new())
        .await
        .expect("no bound");
    assert_eq!(executed.load(Ordering::SeqCst), 1);
}
