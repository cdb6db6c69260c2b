mod common;

use std::sync::atomic::Ordering;

use common::*;
use warden_audit::store::FolderStore;
use warden_audit::*;

fn journal_with(dir: &tempfile::TempDir, n: u64) -> Journal {
    let journal = Journal::open(dir.path().join("audit.db"), actor()).unwrap();
    journal.append_all(every_kind()).unwrap();
    journal
        .append_all((0..n).map(lake_event).collect())
        .unwrap();
    journal
}

async fn assert_exactly_once(store: &dyn Store, journal: &Journal) -> StoreReport {
    let report = verify_store(store).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    let status = journal.status().unwrap();
    assert_eq!(report.events, status.events);
    assert_eq!(report.devices.len(), 1);
    assert_eq!(report.devices[0].device_id, journal.device_id());
    assert_eq!(report.devices[0].last_seq, status.last_seq);
    report
}

#[tokio::test]
async fn syncs_every_event_once_and_then_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 100);
    let store = FolderStore::new(dir.path().join("central"));
    let report = journal.sync(&store, &fast_policy()).await.unwrap();
    assert_eq!(report.events_synced, 114);
    assert_eq!(report.objects_created, 3); // 50 + 50 + 14
    assert_eq!(
        (report.last_synced_seq, report.pending, report.retries),
        (114, 0, 0)
    );

    let again = journal.sync(&store, &fast_policy()).await.unwrap();
    assert_eq!(
        (again.objects_created, again.events_synced, again.pending),
        (0, 0, 0)
    );

    journal.append(lake_event(1000)).unwrap();
    let status = journal.status().unwrap();
    assert_eq!(status.stores[0].pending, 1);
    assert!(status.stores[0].last_success_ms.is_some());
    assert_eq!(status.stores[0].last_error, None);
    let more = journal.sync(&store, &fast_policy()).await.unwrap();
    assert_eq!(
        (
            more.objects_created,
            more.events_synced,
            more.last_synced_seq
        ),
        (1, 1, 115)
    );

    let report = assert_exactly_once(&store, &journal).await;
    assert_eq!(report.objects, 4);
    let keys = store.list("audit/v1/").await.unwrap();
    let day = keys[0].split('/').nth(2).unwrap().to_string();
    assert!(day.starts_with("dt=20"), "{day}");
    let mut ranges: Vec<_> = keys
        .iter()
        .map(|k| parse_object_key(k).unwrap())
        .map(|k| (k.first_seq, k.last_seq))
        .collect();
    ranges.sort();
    assert_eq!(ranges, vec![(1, 50), (51, 100), (101, 114), (115, 115)]);
}

#[tokio::test]
async fn survives_unavailable_hanging_and_dropped_connections() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 1000);
    let inner = FolderStore::new(dir.path().join("central"));
    let store = FaultyStore::new(
        inner,
        7,
        40,
        vec![Fault::Unavailable, Fault::Hang, Fault::DropAfterWrite],
    );
    let report = journal.sync(&store, &fast_policy()).await.unwrap();
    assert_eq!(report.events_synced, 1014);
    assert!(report.retries > 0);
    assert!(store.injected.load(Ordering::SeqCst) > 5);
    // Every dropped acknowledgement was settled by finding the object with the expected content.
    let drops = store.drops_after_write.load(Ordering::SeqCst);
    assert!(drops > 0);
    assert_eq!(report.objects_already_present, drops);
    assert_eq!(report.objects_created + report.objects_already_present, 21);
    let verified = assert_exactly_once(&store.inner, &journal).await;
    assert_eq!(verified.objects, 21);
}

#[tokio::test]
async fn a_lost_acknowledgement_is_settled_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 10);
    let central = dir.path().join("central");
    let broken = FaultyStore::new(
        FolderStore::new(&central),
        1,
        100,
        vec![Fault::DropAfterWrite],
    );
    let policy = SyncPolicy {
        max_attempts: 1,
        ..fast_policy()
    };
    let err = journal.sync(&broken, &policy).await.unwrap_err();
    assert!(err.to_string().contains("connection reset"), "{err}");
    let status = journal.status().unwrap();
    assert_eq!(status.stores[0].pending, 24);
    assert!(status.stores[0]
        .last_error
        .as_deref()
        .unwrap_or("")
        .contains("temporarily unavailable"));

    // The object landed although the writer never heard so; the next run must not write it twice.
    let healthy = FolderStore::new(&central);
    let report = journal.sync(&healthy, &policy).await.unwrap();
    assert_eq!(
        (
            report.objects_already_present,
            report.objects_created,
            report.events_synced
        ),
        (1, 0, 24)
    );
    assert_eq!(journal.status().unwrap().stores[0].last_error, None);
    assert_exactly_once(&healthy, &journal).await;
}

#[tokio::test]
async fn a_permanent_failure_stops_at_once_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 0);
    let not_a_folder = dir.path().join("file");
    std::fs::write(&not_a_folder, b"x").unwrap();
    let store = FolderStore::new(&not_a_folder);
    let err = journal.sync(&store, &fast_policy()).await.unwrap_err();
    assert!(
        matches!(
            err,
            AuditError::Store {
                source: StoreError::Permanent(_),
                ..
            }
        ),
        "{err}"
    );
    let status = journal.status().unwrap();
    assert!(status.stores[0].last_error.is_some());
    assert_eq!(status.stores[0].pending, 14);
}

#[tokio::test]
async fn concurrent_syncs_of_one_journal_write_each_object_once() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 500);
    let other = Journal::open(dir.path().join("audit.db"), actor()).unwrap();
    let central = dir.path().join("central");
    let (a, b) = (FolderStore::new(&central), FolderStore::new(&central));
    let policy = SyncPolicy {
        max_events_per_object: 20,
        ..fast_policy()
    };
    let (ra, rb) = tokio::join!(journal.sync(&a, &policy), other.sync(&b, &policy));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.objects_created + rb.objects_created, 26);
    let report = assert_exactly_once(&a, &journal).await;
    assert_eq!(report.objects, 26);
}

#[tokio::test]
async fn max_objects_bounds_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 200);
    let store = FolderStore::new(dir.path().join("central"));
    let policy = SyncPolicy {
        max_objects: Some(2),
        ..fast_policy()
    };
    let report = journal.sync(&store, &policy).await.unwrap();
    assert_eq!(
        (
            report.objects_created,
            report.last_synced_seq,
            report.pending
        ),
        (2, 100, 114)
    );
    journal.sync(&store, &fast_policy()).await.unwrap();
    assert_exactly_once(&store, &journal).await;
}

#[test]
fn journal_and_sync_future_can_move_to_a_background_task() {
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    fn assert_send<T: Send>(_: T) {}
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 0);
    assert_send_sync(&journal);
    let store = FolderStore::new(dir.path().join("central"));
    let policy = fast_policy();
    assert_send(journal.sync(&store, &policy));
    assert_send(verify_store(&store));
}
