mod common;

use std::io::{Read, Write};
use std::path::Path;

use common::*;
use warden_audit::store::FolderStore;
use warden_audit::*;

fn journal_with(dir: &tempfile::TempDir, n: u64) -> Journal {
    let journal = Journal::open(dir.path().join("audit.db"), actor()).unwrap();
    journal.append_all(every_kind()).unwrap();
    journal.append_all((0..n).map(lake_event).collect()).unwrap();
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
fn an_edited_actor_or_timestamp_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 5);
    attacker(&journal).execute("UPDATE events SET actor_os_user = 'mallory' WHERE seq = 3", []).unwrap();
    assert_eq!(broken_at(&journal).0, Some(3));
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 5);
    attacker(&journal).execute("UPDATE events SET ts_ms = ts_ms - 86400000 WHERE seq = 9", []).unwrap();
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
    attacker(&journal).execute("DELETE FROM events WHERE seq = 7", []).unwrap();
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
    journal.sync(&FolderStore::new(dir.path().join("central")), &fast_policy()).await.unwrap();
    attacker(&journal).execute("DELETE FROM events WHERE seq > 30", []).unwrap();
    let (seq, reason) = broken_at(&journal);
    assert_eq!(seq, Some(31));
    assert!(reason.contains("already synced"), "{reason}");
}

// --- the central store ---------------------------------------------------------------------

async fn synced_store(dir: &tempfile::TempDir) -> (Journal, FolderStore, Vec<String>) {
    let journal = journal_with(dir, 86); // 100 events: objects 1-20, 21-40, ..., 81-100
    let store = FolderStore::new(dir.path().join("central"));
    let policy = SyncPolicy { max_events_per_object: 20, ..fast_policy() };
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
    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).unwrap();
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
        vec![StoreProblem::Gap { device_id: report.devices[0].device_id.clone(), missing_from: 21, missing_to: 40 }]
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
    let copy = object_key(&parsed.dt, journal.device_id(), 11, 20);
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
    assert!(matches!(&report.problems[..], [StoreProblem::Broken { seq: 65, .. }]), "{:?}", report.problems);
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
    assert!(matches!(report.problems[0], StoreProblem::UnrecognizedKey { .. }), "{text:?}");
    assert!(matches!(report.problems[1], StoreProblem::Unreadable { .. }), "{text:?}");
    assert!(matches!(report.problems[2], StoreProblem::Broken { seq: 100, .. }), "{text:?}");
}

#[test]
fn a_row_rewritten_with_wrong_types_is_a_broken_chain_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 5);
    attacker(&journal).execute("UPDATE events SET ts_ms = 'yesterday' WHERE seq = 8", []).unwrap();
    let (seq, reason) = broken_at(&journal);
    assert_eq!(seq, Some(8));
    assert!(reason.contains("cannot be read"), "{reason}");
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_with(&dir, 5);
    attacker(&journal).execute("UPDATE events SET payload = '{not json' WHERE seq = 2", []).unwrap();
    assert_eq!(broken_at(&journal).0, Some(2));
    let err = journal.events(&EventFilter::default()).unwrap_err();
    assert!(matches!(err, AuditError::Corrupt { seq: 2, .. }), "{err}");
}
