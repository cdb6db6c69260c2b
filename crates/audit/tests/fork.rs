//! A rolled-back journal (an old copy of the file put back) and objects put into a device's keys
//! by someone else: the sync reports them, locally and in the store, and keeps going; the store's
//! verification calls them tampering. Against the folder store and against S3 (moto_server).

mod common;

use std::path::{Path, PathBuf};

use common::*;
use warden_audit::store::FolderStore;
use warden_audit::*;
use warden_test_support::Moto;

/// The journal's files as they are now (the database and, if present, its WAL and shared memory).
fn snapshot(path: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            let bytes = std::fs::read(&file).ok();
            (file, bytes)
        })
        .collect()
}

/// Puts an old copy back, as a user with a backup would.
fn restore(saved: &[(PathBuf, Option<Vec<u8>>)]) {
    for (file, bytes) in saved {
        match bytes {
            Some(bytes) => std::fs::write(file, bytes).unwrap(),
            None => {
                let _ = std::fs::remove_file(file);
            }
        }
    }
}

fn tampering_events(journal: &Journal) -> Vec<StoreTampering> {
    journal
        .events(&EventFilter {
            kinds: vec![Kind::StoreTampering],
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|e| match e.payload {
            Payload::StoreTampering(t) => t,
            other => panic!("{other:?}"),
        })
        .collect()
}

async fn a_rolled_back_journal_is_reported_as_a_fork(store: &dyn Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let policy = fast_policy();
    {
        let journal = Journal::open(&path, actor()).unwrap();
        journal.append_all(every_kind()).unwrap(); // 1-14
        journal.sync(store, &policy).await.unwrap();
    }
    let old_copy = snapshot(&path);
    let erased_key = {
        let journal = Journal::open(&path, actor()).unwrap();
        journal
            .append_all((0..5).map(lake_event).collect())
            .unwrap(); // 15-19
        let report = journal.sync(store, &policy).await.unwrap();
        assert!(report.findings.is_empty(), "{:?}", report.findings);
        assert_eq!(report.last_synced_seq, 19);
        let mut keys = store.list("audit/v1/").await.unwrap();
        keys.sort();
        keys.pop().unwrap()
    };
    restore(&old_copy);

    let journal = Journal::open(&path, actor()).unwrap();
    assert!(
        journal.verify().unwrap().is_intact(),
        "local checks alone cannot see it"
    );
    journal
        .append_all((100..103).map(lake_event).collect())
        .unwrap(); // 15-17, other events
    let report = journal.sync(store, &policy).await.unwrap();
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    let fork = &report.findings[0];
    assert_eq!(
        (fork.finding, fork.key.as_str()),
        (Finding::Fork, erased_key.as_str())
    );
    assert!(fork.detail.contains("rolled back"), "{}", fork.detail);
    assert!(fork.to_string().contains("tampering"), "{fork}");
    // Reported locally, as an event of the chain, and sent with this very sync.
    assert_eq!(tampering_events(&journal), vec![fork.clone()]);
    assert_eq!((report.events_synced, report.last_synced_seq), (4, 18));
    // Once: the next sync does not report the same object again.
    journal.append(lake_event(200)).unwrap();
    let again = journal.sync(store, &policy).await.unwrap();
    assert!(again.findings.is_empty(), "{:?}", again.findings);
    assert_eq!(again.last_synced_seq, 19);

    let central = verify_store(store).await.unwrap();
    let text: Vec<String> = central.problems.iter().map(|p| p.to_string()).collect();
    assert!(
        central
            .problems
            .iter()
            .any(|p| matches!(p, StoreProblem::Fork { seq: 15, .. })),
        "{text:?}"
    );
    assert!(
        central.problems.iter().any(|p| matches!(
            p,
            StoreProblem::Reported { seq: 18, tampering, .. } if tampering.finding == Finding::Fork
        )),
        "{text:?}"
    );
    assert!(
        !central
            .problems
            .iter()
            .any(|p| matches!(p, StoreProblem::Duplicate { .. } | StoreProblem::Gap { .. })),
        "{text:?}"
    );
    assert!(text.iter().all(|t| t.contains("tampering")), "{text:?}");
}

/// Someone with write access to the store creates the key the device's next batch will use.
async fn a_key_taken_in_advance_does_not_stall_the_sync(store: &dyn Store) {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path().join("audit.db"), actor()).unwrap();
    journal.append_all(every_kind()).unwrap(); // 1-14
    let first = journal.events(&EventFilter::default()).unwrap();
    let day = chrono::DateTime::from_timestamp_millis(first[0].ts_ms)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    let writer = store.principal().await.unwrap();
    let taken = object_key(&day, &writer, journal.device_id(), 1, 14);
    store
        .put_if_absent(&taken, b"someone else's bytes".to_vec())
        .await
        .unwrap();

    let report = journal.sync(store, &fast_policy()).await.unwrap();
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    assert_eq!(
        (report.findings[0].finding, report.findings[0].key.as_str()),
        (Finding::ForeignObject, taken.as_str())
    );
    // Every event, the report included, is in the store; the foreign object is left as it was.
    assert_eq!((report.last_synced_seq, report.pending), (15, 0));
    assert_eq!(
        store.get(&taken).await.unwrap().unwrap(),
        b"someone else's bytes"
    );
    let central = verify_store(store).await.unwrap();
    assert_eq!(central.events, 15, "{:?}", central.problems);
    let text: Vec<String> = central.problems.iter().map(|p| p.to_string()).collect();
    assert!(
        central.problems.iter().any(|p| matches!(
            p,
            StoreProblem::Reported { tampering, .. }
                if tampering.finding == Finding::ForeignObject && tampering.key == taken
        )),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("tampering") && t.contains(&taken)),
        "{text:?}"
    );
}

#[tokio::test]
async fn a_rolled_back_journal_is_a_fork_in_the_folder_store() {
    let dir = tempfile::tempdir().unwrap();
    a_rolled_back_journal_is_reported_as_a_fork(&FolderStore::new(dir.path().join("central")))
        .await;
}

#[tokio::test]
async fn a_key_taken_in_advance_in_the_folder_store_does_not_stall_the_sync() {
    let dir = tempfile::tempdir().unwrap();
    a_key_taken_in_advance_does_not_stall_the_sync(&FolderStore::new(dir.path().join("central")))
        .await;
}

async fn moto_store(moto: &Moto) -> Box<dyn Store> {
    moto.create_bucket("central").await;
    let options = StoreOptions {
        sdk_config: Some(moto.sdk_config().await),
        s3_endpoint: None,
        sts_endpoint: None,
    };
    open_store("s3://central/audit-root/", &options)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_rolled_back_journal_is_a_fork_in_s3() {
    let moto = Moto::start();
    a_rolled_back_journal_is_reported_as_a_fork(moto_store(&moto).await.as_ref()).await;
}

#[tokio::test]
async fn a_key_taken_in_advance_in_s3_does_not_stall_the_sync() {
    let moto = Moto::start();
    a_key_taken_in_advance_does_not_stall_the_sync(moto_store(&moto).await.as_ref()).await;
}

/// A store whose listing misses what was created after the sync looked (a race with the writer
/// of the foreign object): the upload itself meets the taken key.
struct ListsNothing(FolderStore);

#[async_trait::async_trait]
impl Store for ListsNothing {
    fn url(&self) -> &str {
        self.0.url()
    }
    async fn put_if_absent(&self, key: &str, body: Vec<u8>) -> Result<PutOutcome, StoreError> {
        self.0.put_if_absent(key, body).await
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.get(key).await
    }
    async fn list(&self, _prefix: &str) -> Result<Vec<String>, StoreError> {
        Ok(Vec::new())
    }
    async fn principal(&self) -> Result<String, StoreError> {
        self.0.principal().await
    }
}

#[tokio::test]
async fn a_batch_whose_key_is_taken_goes_to_its_second_key() {
    let dir = tempfile::tempdir().unwrap();
    let folder = FolderStore::new(dir.path().join("central"));
    let journal = Journal::open(dir.path().join("audit.db"), actor()).unwrap();
    journal.append_all(every_kind()).unwrap();
    let first = journal.events(&EventFilter::default()).unwrap();
    let day = chrono::DateTime::from_timestamp_millis(first[0].ts_ms)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    let taken = object_key(&day, LOCAL_PRINCIPAL, journal.device_id(), 1, 14);
    folder
        .put_if_absent(&taken, b"someone else's bytes".to_vec())
        .await
        .unwrap();

    let store = ListsNothing(folder.clone());
    let report = journal.sync(&store, &fast_policy()).await.unwrap();
    assert_eq!(
        report
            .findings
            .iter()
            .map(|t| (t.finding, t.key.as_str()))
            .collect::<Vec<_>>(),
        vec![(Finding::ForeignObject, taken.as_str())]
    );
    assert_eq!((report.last_synced_seq, report.pending), (15, 0));
    let mut keys = folder.list("audit/v1/").await.unwrap();
    keys.sort();
    let second = keys
        .iter()
        .find(|k| parse_object_key(k).is_some_and(|p| p.tag.is_some()))
        .expect("a second key");
    assert_eq!(
        parse_object_key(second).map(|p| (p.first_seq, p.last_seq)),
        Some((1, 14))
    );
    // A retry of the same batch would land on the same second key: it depends on the content only.
    assert!(second.contains(".c"), "{second}");

    let central = verify_store(&folder).await.unwrap();
    assert_eq!(central.events, 15, "{:?}", central.problems);
    let text: Vec<String> = central.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(central.problems.len(), 2, "{text:?}");
    assert!(
        matches!(&central.problems[0], StoreProblem::Unreadable { key, .. } if *key == taken),
        "{text:?}"
    );
    assert!(
        matches!(&central.problems[1], StoreProblem::Reported { seq: 15, tampering, .. } if tampering.key == taken),
        "{text:?}"
    );
}

#[tokio::test]
async fn a_journal_whose_chain_does_not_continue_the_stores_is_a_fork() {
    let dir = tempfile::tempdir().unwrap();
    let store = FolderStore::new(dir.path().join("central"));
    let original = Journal::open(dir.path().join("audit.db"), actor()).unwrap();
    original.append_all(every_kind()).unwrap();
    original.sync(&store, &fast_policy()).await.unwrap();

    // A journal written afresh under the same device id, with the original's sync bookkeeping:
    // its own chain and bookkeeping agree, only the store knows other events.
    let rewritten_path = dir.path().join("rewritten.db");
    drop(Journal::open(&rewritten_path, actor()).unwrap());
    {
        let raw = rusqlite::Connection::open(&rewritten_path).unwrap();
        raw.execute(
            "UPDATE journal_meta SET value = ?1 WHERE key = 'device_id'",
            [original.device_id()],
        )
        .unwrap();
    }
    let rewritten = Journal::open(&rewritten_path, actor()).unwrap();
    rewritten
        .append_all((0..14).map(lake_event).collect())
        .unwrap();
    {
        let raw = rusqlite::Connection::open(&rewritten_path).unwrap();
        raw.execute(
            "ATTACH DATABASE ?1 AS original",
            [dir.path().join("audit.db").to_str().unwrap()],
        )
        .unwrap();
        raw.execute_batch(
            "INSERT INTO sync_state SELECT * FROM original.sync_state;
             INSERT INTO sync_batches SELECT * FROM original.sync_batches;",
        )
        .unwrap();
    }
    assert!(rewritten.verify().unwrap().is_intact());
    rewritten.append(lake_event(99)).unwrap();
    let report = rewritten.sync(&store, &fast_policy()).await.unwrap();
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    assert_eq!(report.findings[0].finding, Finding::Fork);
    assert!(
        report.findings[0]
            .detail
            .contains("does not continue the store's"),
        "{}",
        report.findings[0].detail
    );
    let central = verify_store(&store).await.unwrap();
    assert!(
        central.problems.iter().any(|p| matches!(
            p,
            StoreProblem::Reported { tampering, .. } if tampering.finding == Finding::Fork
        )),
        "{:?}",
        central.problems
    );
}
