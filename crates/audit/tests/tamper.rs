mod common;

use std::io::{Read, Write};
use std::path::Path;

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

/// A raw connection with the append-only triggers dropped, as an attacker with file access would.
fn attacker(journal: &Journal) -> rusqlite::Connection {
    let raw = rusqlite::Connection::open(journal.path()).unwrap();
    raw.execute_batch("DROP TRIGGER events_append_only_update; DROP TRIGGER events_append_only_delete; DROP TRIGGER events_gap_free;")
        .unwrap();
    raw
}

fn broken_at(journal: &Journal) -> (Option<u64>, String) {
    let report = journal.verify().unwrap();
    (report.first_broken, report.reason.unwrap_or_default())
}

#[test]
fn an_edited_row_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 20);
    attacker(&journal).execute("UPDATE events SET payload = replace(payload, '\"rows\":5', '\"rows\":0') WHERE seq = 20", []).unwrap();
    let (seq, reason) = broken_at(&journal);
    assert_eq!(seq, Some(20));
    assert!(reason.contains("altered"), "{reason}");
}

#[test]
fn an_edited_or_removed_database_is_detected() {
    // The run's database is hashed like every other field: pointing History (or an auditor) at
    // another database breaks the chain, and so does dropping it.
    for edit in [
        "replace(payload, '\"database\":\"sales\"', '\"database\":\"hr\"')",
        "replace(payload, ',\"database\":\"sales\"', '')",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let journal = journal_with(&dir, 0);
        let attacker = attacker(&journal);
        let seq: i64 = attacker
            .query_row(
                "SELECT min(seq) FROM events WHERE payload LIKE '%\"database\":\"sales\"%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let changed = attacker
            .execute(
                &format!("UPDATE events SET payload = {edit} WHERE seq = {seq}"),
                [],
            )
            .unwrap();
        assert_eq!(changed, 1);
        let (broken, reason) = broken_at(&journal);
        assert_eq!(broken, Some(seq as u64), "{edit}");
        assert!(reason.contains("altered"), "{reason}");
    }
}

#[test]
fn an_edited_actor_or_timestamp_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 5);
    attacker(&journal)
        .execute(
            "UPDATE events SET actor_os_user = 'mallory' WHERE seq = 3",
            [],
        )
        .unwrap();
    assert_eq!(broken_at(&journal).0, Some(3));
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 5);
    attacker(&journal)
        .execute(
            "UPDATE events SET ts_ms = ts_ms - 86400000 WHERE seq = 9",
            [],
        )
        .unwrap();
    assert_eq!(broken_at(&journal).0, Some(9));
}

#[test]
fn an_edit_with_a_recomputed_hash_breaks_the_next_link() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 5);
    // Replacing row 4 by a copy of row 5's content and hash: row 4 then claims a wrong prev_hash.
    let raw = attacker(&journal);
    raw.execute(
        "UPDATE events SET (kind, payload, prev_hash, hash) = (SELECT kind, payload, prev_hash, hash FROM events WHERE seq = 5) WHERE seq = 4",
        [],
    )
    .unwrap();
    let (seq, reason) = broken_at(&journal);
    assert_eq!(seq, Some(4));
    assert!(reason.contains("prev_hash"), "{reason}");
}

#[test]
fn a_deleted_row_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 20);
    attacker(&journal)
        .execute("DELETE FROM events WHERE seq = 7", [])
        .unwrap();
    let (seq, reason) = broken_at(&journal);
    assert_eq!(seq, Some(7));
    assert!(reason.contains("missing"), "{reason}");
}

#[test]
fn reordered_rows_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 20);
    attacker(&journal)
        .execute_batch(
            "UPDATE events SET seq = -3 WHERE seq = 3; UPDATE events SET seq = 3 WHERE seq = 6; UPDATE events SET seq = 6 WHERE seq = -3;",
        )
        .unwrap();
    assert_eq!(broken_at(&journal).0, Some(3));
}

#[tokio::test]
async fn cutting_off_synced_events_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 20);
    journal
        .sync(
            &FolderStore::new(dir.path().join("central")),
            &fast_policy(),
        )
        .await
        .unwrap();
    attacker(&journal)
        .execute("DELETE FROM events WHERE seq > 30", [])
        .unwrap();
    let (seq, reason) = broken_at(&journal);
    assert_eq!(seq, Some(31));
    assert!(reason.contains("already synced"), "{reason}");
}

// --- the central store ---------------------------------------------------------------------

async fn synced_store(dir: &tempfile::TempDir) -> (Journal, FolderStore, Vec<String>) {
    let journal = journal_with(dir, 86); // 100 events: objects 1-20, 21-40, ..., 81-100
    let store = FolderStore::new(dir.path().join("central"));
    let policy = SyncPolicy {
        max_events_per_object: 20,
        ..fast_policy()
    };
    journal.sync(&store, &policy).await.unwrap();
    let mut keys = store.list("audit/v1/").await.unwrap();
    keys.sort();
    assert_eq!(keys.len(), 5);
    assert!(verify_store(&store).await.unwrap().is_intact());
    (journal, store, keys)
}

fn read_object(root: &Path, key: &str) -> String {
    let bytes = std::fs::read(root.join(key)).unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn write_object(root: &Path, key: &str, text: &str) {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    let path = root.join(key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, enc.finish().unwrap()).unwrap();
}

#[tokio::test]
async fn an_edited_object_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (_journal, store, keys) = synced_store(&dir).await;
    let text = read_object(store.root(), &keys[2]);
    let edited = text.replacen("\"rows\":", "\"rows\":1", 1);
    assert_ne!(text, edited);
    write_object(store.root(), &keys[2], &edited);
    let report = verify_store(&store).await.unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(
        matches!(&report.problems[0], StoreProblem::Broken { seq: 41, key, .. } if *key == keys[2]),
        "{:?}",
        report.problems
    );
    assert!(report.problems[0].to_string().contains("sequence 41"));
}

#[tokio::test]
async fn a_deleted_object_is_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let (_journal, store, keys) = synced_store(&dir).await;
    std::fs::remove_file(store.root().join(&keys[1])).unwrap();
    let report = verify_store(&store).await.unwrap();
    assert_eq!(
        report.problems,
        vec![StoreProblem::Gap {
            device_id: report.devices[0].device_id.clone(),
            missing_from: 21,
            missing_to: 40
        }]
    );
    assert!(report.problems[0].to_string().contains("21 to 40 missing"));
    // The chain is still checked after the gap: events 41-100 verified.
    assert_eq!(report.events, 80);
}

#[tokio::test]
async fn a_duplicated_object_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, store, keys) = synced_store(&dir).await;
    let text = read_object(store.root(), &keys[0]);
    let parsed = parse_object_key(&keys[0]).unwrap();
    // Under the same writer: only a copy under another writer's key can be a re-upload.
    let writer = parsed.principal.as_deref().unwrap();
    let copy = object_key(&parsed.dt, writer, journal.device_id(), 11, 20);
    write_object(store.root(), &copy, &text);
    let report = verify_store(&store).await.unwrap();
    assert!(
        matches!(&report.problems[..], [StoreProblem::Duplicate { key, .. }] if *key == copy),
        "{:?}",
        report.problems
    );
}

#[tokio::test]
async fn reordered_lines_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (_journal, store, keys) = synced_store(&dir).await;
    let text = read_object(store.root(), &keys[3]);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.swap(4, 5);
    write_object(store.root(), &keys[3], &(lines.join("\n") + "\n"));
    let report = verify_store(&store).await.unwrap();
    assert!(
        matches!(&report.problems[..], [StoreProblem::Broken { seq: 65, .. }]),
        "{:?}",
        report.problems
    );
}

#[tokio::test]
async fn a_removed_line_and_junk_objects_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (_journal, store, keys) = synced_store(&dir).await;
    let text = read_object(store.root(), &keys[4]);
    let kept: Vec<&str> = text.lines().take(19).collect();
    write_object(store.root(), &keys[4], &(kept.join("\n") + "\n"));
    std::fs::write(store.root().join("audit/v1/notes.txt"), b"hello").unwrap();
    std::fs::write(store.root().join(&keys[0]), b"not gzip").unwrap();
    let report = verify_store(&store).await.unwrap();
    let text: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(report.problems.len(), 3, "{text:?}");
    assert!(
        matches!(report.problems[0], StoreProblem::UnrecognizedKey { .. }),
        "{text:?}"
    );
    assert!(
        matches!(report.problems[1], StoreProblem::Unreadable { .. }),
        "{text:?}"
    );
    assert!(
        matches!(report.problems[2], StoreProblem::Broken { seq: 100, .. }),
        "{text:?}"
    );
}

#[test]
fn a_row_rewritten_with_wrong_types_is_a_broken_chain_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 5);
    attacker(&journal)
        .execute("UPDATE events SET ts_ms = 'yesterday' WHERE seq = 8", [])
        .unwrap();
    let (seq, reason) = broken_at(&journal);
    assert_eq!(seq, Some(8));
    assert!(reason.contains("cannot be read"), "{reason}");
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 5);
    attacker(&journal)
        .execute("UPDATE events SET payload = '{not json' WHERE seq = 2", [])
        .unwrap();
    assert_eq!(broken_at(&journal).0, Some(2));
    let err = journal.events(&EventFilter::default()).unwrap_err();
    assert!(matches!(err, AuditError::Corrupt { seq: 2, .. }), "{err}");
}

// --- sync of a tampered journal ------------------------------------------------------------

/// A journal of 44 events whose batch 1-44 is planned but not uploaded: the store was down.
async fn planned_but_not_uploaded(dir: &tempfile::TempDir) -> (Journal, FolderStore) {
    let journal = journal_with(dir, 30);
    let central = FolderStore::new(dir.path().join("central"));
    std::fs::create_dir_all(central.root()).unwrap();
    let down = FaultyStore::new(
        FolderStore::new(central.root()),
        3,
        100,
        vec![Fault::Unavailable],
    );
    let err = journal
        .sync(
            &down,
            &SyncPolicy {
                max_attempts: 2,
                ..fast_policy()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AuditError::Store { .. }), "{err}");
    assert_eq!(journal.status().unwrap().stores[0].pending, 44);
    (journal, central)
}

#[tokio::test]
async fn events_changed_after_their_batch_was_planned_are_not_uploaded() {
    let edits = [
        (
            "an edited row",
            "UPDATE events SET workspace = 'other' WHERE seq = 10",
        ),
        (
            "a row made unreadable",
            "UPDATE events SET payload = '{not json' WHERE seq = 10",
        ),
        ("a deleted row", "DELETE FROM events WHERE seq = 10"),
    ];
    for (what, edit) in edits {
        let dir = tempfile::tempdir().unwrap();
        let (journal, central) = planned_but_not_uploaded(&dir).await;
        attacker(&journal).execute(edit, []).unwrap();

        let err = journal.sync(&central, &fast_policy()).await.unwrap_err();
        assert!(
            matches!(
                err,
                AuditError::BatchChanged {
                    first_seq: 1,
                    last_seq: 44,
                    ..
                }
            ),
            "{what}: {err}"
        );
        let message = err.to_string();
        for part in [
            "events 1 to 44",
            "changed after they were planned",
            "none of them was uploaded",
            "audit verify",
        ] {
            assert!(message.contains(part), "{what}: {message}");
        }
        assert!(central.list("audit/").await.unwrap().is_empty(), "{what}");
        let status = journal.status().unwrap();
        assert_eq!(
            status.stores[0].last_error.as_deref(),
            Some(message.as_str()),
            "{what}"
        );
        assert_eq!(status.stores[0].last_synced_seq, 0, "{what}");
        // The sync stays stopped rather than planning around the changed range...
        assert!(
            matches!(
                journal.sync(&central, &fast_policy()).await,
                Err(AuditError::BatchChanged { .. })
            ),
            "{what}"
        );
        assert!(central.list("audit/").await.unwrap().is_empty(), "{what}");
        // ...and `verify` names the event, as the message promises.
        assert_eq!(broken_at(&journal).0, Some(10), "{what}");
    }
}

#[tokio::test]
async fn a_broken_chain_is_not_planned_or_uploaded() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 60); // 74 events: batches 1-50 and 51-74
    let central = FolderStore::new(dir.path().join("central"));
    std::fs::create_dir_all(central.root()).unwrap();
    // Row 60 takes row 61's payload and hashes: it no longer links to row 59.
    attacker(&journal)
        .execute(
            "UPDATE events SET (kind, payload, prev_hash, hash) = (SELECT kind, payload, prev_hash, hash FROM events WHERE seq = 61) WHERE seq = 60",
            [],
        )
        .unwrap();

    let err = journal.sync(&central, &fast_policy()).await.unwrap_err();
    assert!(
        matches!(
            err,
            AuditError::ChainBroken {
                first_seq: 51,
                last_seq: 74,
                seq: 60,
                ..
            }
        ),
        "{err}"
    );
    let message = err.to_string();
    for part in [
        "broken at sequence 60",
        "prev_hash",
        "events 51 to 74 were not uploaded",
        "audit verify",
    ] {
        assert!(message.contains(part), "{message}");
    }
    // The intact batch before the break went up; nothing from the broken one did.
    let keys = central.list("audit/").await.unwrap();
    assert_eq!(
        keys.iter()
            .map(|k| parse_object_key(k).unwrap().last_seq)
            .collect::<Vec<_>>(),
        vec![50]
    );
    let status = journal.status().unwrap();
    assert_eq!(status.stores[0].last_synced_seq, 50);
    assert_eq!(
        status.stores[0].last_error.as_deref(),
        Some(message.as_str())
    );
    assert_eq!(broken_at(&journal).0, Some(60));
}

#[tokio::test]
async fn verify_store_keeps_devices_apart() {
    let dir = tempfile::tempdir().unwrap();
    let central = FolderStore::new(dir.path().join("central"));
    let policy = SyncPolicy {
        max_events_per_object: 10,
        ..fast_policy()
    };
    // Three installations (three journal files, so three device ids) sync into one store:
    // 20, 30 and 40 events, in objects of 10.
    let mut devices = Vec::new();
    for (name, lake_events) in [("a", 6), ("b", 16), ("c", 26)] {
        let journal = Journal::open(dir.path().join(name).join("audit.db"), actor()).unwrap();
        journal.append_all(every_kind()).unwrap();
        journal
            .append_all((0..lake_events).map(lake_event).collect())
            .unwrap();
        journal.sync(&central, &policy).await.unwrap();
        devices.push(journal.device_id().to_string());
    }
    let [a, b, c] = &devices[..] else {
        unreachable!()
    };
    assert!(a != b && b != c && a != c);

    let summary = |report: &StoreReport, device: &str| {
        let found = report
            .devices
            .iter()
            .find(|d| d.device_id == device)
            .unwrap();
        (found.objects, found.events, found.last_seq)
    };
    let report = verify_store(&central).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(
        (report.devices.len(), report.objects, report.events),
        (3, 9, 90)
    );
    assert_eq!(summary(&report, a), (2, 20, 20));
    assert_eq!(summary(&report, b), (3, 30, 30));
    assert_eq!(summary(&report, c), (4, 40, 40));

    // Device b: one line of its middle object (11-20) rewritten. Device c: its object 21-30 deleted.
    let keys = central.list("audit/v1/").await.unwrap();
    let keys_of = |device: &str| {
        let mut mine: Vec<String> = keys
            .iter()
            .filter(|k| k.contains(&format!("/device={device}/")))
            .cloned()
            .collect();
        mine.sort();
        mine
    };
    let (b_keys, c_keys) = (keys_of(b), keys_of(c));
    assert_eq!((b_keys.len(), c_keys.len()), (3, 4));
    let text = read_object(central.root(), &b_keys[1]);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let edited = lines[2].replace("\"workspace\":\"demo\"", "\"workspace\":\"other\"");
    assert_ne!(lines[2], edited);
    lines[2] = edited;
    write_object(central.root(), &b_keys[1], &(lines.join("\n") + "\n"));
    std::fs::remove_file(central.root().join(&c_keys[2])).unwrap();

    let report = verify_store(&central).await.unwrap();
    let text: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(report.problems.len(), 2, "{text:?}");
    let b_broken = |p: &StoreProblem| matches!(p, StoreProblem::Broken { device_id, seq: 13, key, .. } if device_id == b && *key == b_keys[1]);
    assert!(report.problems.iter().any(b_broken), "{text:?}");
    assert!(
        report.problems.contains(&StoreProblem::Gap {
            device_id: c.clone(),
            missing_from: 21,
            missing_to: 30
        }),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains(&format!("device {b}, sequence 13")) && t.contains("altered")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains(&format!("device {c}: sequence 21 to 30 missing"))),
        "{text:?}"
    );
    assert!(text.iter().all(|t| !t.contains(a.as_str())), "{text:?}");
    // Device a is untouched; b and c are still checked around their problem (b: all but 13-20).
    assert_eq!(summary(&report, a), (2, 20, 20));
    assert_eq!(summary(&report, b), (3, 22, 30));
    assert_eq!(summary(&report, c), (3, 30, 40));
}

/// A store that accepts the connection and never answers, as a stalled S3 endpoint does.
struct Stalled;

#[async_trait::async_trait]
impl warden_audit::store::Store for Stalled {
    fn url(&self) -> &str {
        "s3://stalled/"
    }

    async fn put_if_absent(
        &self,
        _key: &str,
        _body: Vec<u8>,
    ) -> Result<warden_audit::store::PutOutcome, warden_audit::store::StoreError> {
        std::future::pending().await
    }

    async fn get(&self, _key: &str) -> Result<Option<Vec<u8>>, warden_audit::store::StoreError> {
        std::future::pending().await
    }

    async fn list(&self, _prefix: &str) -> Result<Vec<String>, warden_audit::store::StoreError> {
        std::future::pending().await
    }

    async fn principal(&self) -> Result<String, warden_audit::store::StoreError> {
        std::future::pending().await
    }
}

#[tokio::test]
async fn verifying_a_store_that_never_answers_ends_with_an_error() {
    let limit = std::time::Duration::from_millis(200);
    let err = verify_store_within(&Stalled, limit).await.unwrap_err();
    assert!(
        matches!(err, warden_audit::store::StoreError::Timeout(l) if l == limit),
        "{err}"
    );
    assert!(err.to_string().contains("did not answer"), "{err}");
}
