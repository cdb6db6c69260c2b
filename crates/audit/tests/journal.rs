mod common;

use common::*;
use warden_audit::*;

fn open(dir: &tempfile::TempDir) -> Journal {
    Journal::open(dir.path().join("audit.db"), actor()).unwrap()
}

#[test]
fn appends_are_gap_free_chained_and_read_back_typed() {
    let dir = tempfile::tempdir().unwrap();
    let journal = open(&dir);
    let events = every_kind();
    let first = journal.append(events[0].clone()).unwrap();
    assert_eq!(first.seq, 1);
    let rest = journal.append_all(events[1..].to_vec()).unwrap();
    assert_eq!(
        rest.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (2..=14).collect::<Vec<_>>()
    );

    let stored = journal.events(&EventFilter::default()).unwrap();
    assert_eq!(stored.len(), 14);
    assert_eq!(stored[0].prev_hash, GENESIS_HASH);
    for (i, event) in stored.iter().enumerate() {
        assert_eq!(event.seq, i as u64 + 1);
        assert_eq!(event.payload, events[i].payload);
        assert_eq!(event.device_id, journal.device_id());
        assert_eq!(event.actor, actor());
        if i > 0 {
            assert_eq!(event.prev_hash, stored[i - 1].hash);
        }
    }
    // UUIDv7: time-ordered, so ids sort like sequence numbers.
    assert!(stored.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(stored[0].id.as_bytes()[14], b'7');

    let report = journal.verify().unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.events, 14);
    assert_eq!(report.head_hash, stored[13].hash);
}

#[test]
fn filters_by_kind_time_and_page() {
    let dir = tempfile::tempdir().unwrap();
    let journal = open(&dir);
    journal.append_all(every_kind()).unwrap();
    let blocked = journal
        .events(&EventFilter {
            kinds: vec![Kind::QueryBlocked, Kind::Lockout],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        blocked.iter().map(|e| e.kind()).collect::<Vec<_>>(),
        vec![Kind::QueryBlocked, Kind::Lockout]
    );

    let recent = journal.events(&EventFilter::recent(3)).unwrap();
    assert_eq!(
        recent.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![14, 13, 12]
    );

    let page = journal
        .events(&EventFilter {
            after_seq: Some(10),
            limit: Some(2),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![11, 12]);

    let ts = recent[0].ts_ms;
    assert_eq!(
        journal
            .events(&EventFilter {
                since_ms: Some(ts + 1),
                ..Default::default()
            })
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        journal
            .events(&EventFilter {
                until_ms: Some(ts + 1),
                ..Default::default()
            })
            .unwrap()
            .len(),
        14
    );
}

#[test]
fn reopening_keeps_device_and_continues_the_chain_across_handles() {
    let dir = tempfile::tempdir().unwrap();
    let device = {
        let journal = open(&dir);
        journal.append(lake_event(1)).unwrap();
        journal.device_id().to_string()
    };
    // Two handles on one file, as the app and the CLI would have.
    let a = open(&dir);
    let b = open(&dir);
    assert_eq!(a.device_id(), device);
    assert_eq!(b.device_id(), device);
    for i in 0..10 {
        let handle = if i % 2 == 0 { &a } else { &b };
        assert_eq!(handle.append(lake_event(i)).unwrap().seq, i + 2);
    }
    b.set_actor(Actor {
        os_user: "alice".into(),
        sso_identity: None,
    });
    b.append(lake_event(99)).unwrap();
    let report = a.verify().unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.events, 12);
    let last = a.events(&EventFilter::recent(1)).unwrap();
    assert_eq!(last[0].actor.sso_identity, None);
}

#[test]
fn the_database_refuses_updates_deletes_and_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let journal = open(&dir);
    journal.append_all(every_kind()).unwrap();
    let raw = rusqlite::Connection::open(journal.path()).unwrap();
    let err = raw
        .execute("UPDATE events SET workspace = 'x' WHERE seq = 2", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = raw
        .execute("DELETE FROM events WHERE seq = 14", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = raw
        .execute(
            "INSERT INTO events SELECT seq + 5, id || 'x', device_id, ts_ms, actor_os_user, actor_sso_identity,
             workspace, kind, payload, prev_hash, hash FROM events WHERE seq = 14",
            [],
        )
        .unwrap_err();
    assert!(err.to_string().contains("next sequence number"), "{err}");
    assert!(journal.verify().unwrap().is_intact());
}

#[test]
fn invalid_events_are_refused_and_nothing_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let journal = open(&dir);
    let empty_workspace = NewEvent::new(" ", every_kind()[0].payload.clone());
    assert!(matches!(
        journal.append(empty_workspace),
        Err(AuditError::InvalidEvent(_))
    ));
    let allowed_but_blocked = NewEvent::new(
        "demo",
        Payload::QueryBlocked(QueryBlocked {
            query: query("SELECT 1", Verdict::Allow, SqlTextMode::Full),
        }),
    );
    // One bad event in a batch: the whole batch is refused.
    let err = journal
        .append_all(vec![lake_event(1), allowed_but_blocked])
        .unwrap_err();
    assert!(err.to_string().contains("deny or elevate"), "{err}");
    assert_eq!(journal.status().unwrap().events, 0);
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    drop(Journal::open(&path, actor()).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Journal::open(&path, actor()).err().unwrap();
    assert!(
        matches!(err, AuditError::SchemaTooNew { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade Warden"), "{err}");
}

#[test]
fn opens_in_wal_mode_with_full_sync_and_creates_folders() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/home/audit.db");
    let journal = Journal::open(&path, actor()).unwrap();
    journal.append(lake_event(1)).unwrap();
    let raw = rusqlite::Connection::open(&path).unwrap();
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert!(path.with_file_name("audit.db-wal").exists());
}

#[test]
fn status_counts_events_and_pending_per_store() {
    let dir = tempfile::tempdir().unwrap();
    let journal = open(&dir);
    let empty = journal.status().unwrap();
    assert_eq!(
        (empty.events, empty.last_seq, empty.stores.len()),
        (0, 0, 0)
    );
    journal.append_all(every_kind()).unwrap();
    let status = journal.status().unwrap();
    assert_eq!(status.events, 14);
    assert_eq!(status.last_seq, 14);
    assert_eq!(status.device_id, journal.device_id());
    assert!(status.last_event_ms.is_some());
}
