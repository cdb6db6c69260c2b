use std::time::Duration;

use warden_results::{
    create, ExportFormat, ExportOptions, ResultsError, CHUNK_ROWS, FIRST_CHUNK_ROWS,
};
use warden_results::{ColumnInfo, Value};

fn columns() -> Vec<ColumnInfo> {
    ["n", "name", "score", "ok"]
        .iter()
        .map(|n| ColumnInfo {
            name: n.to_string(),
            data_type: "varchar".into(),
        })
        .collect()
}

fn row(i: i64) -> Vec<Value> {
    vec![
        Value::Int(i),
        if i % 7 == 0 {
            Value::Null
        } else {
            Value::Text(format!("név \"{i}\",\n"))
        },
        Value::Float(i as f64 / 2.0),
        if i % 5 == 0 {
            Value::Null
        } else {
            Value::Bool(i % 2 == 0)
        },
    ]
}

#[test]
fn rows_round_trip_through_chunks_with_their_types_and_nulls() {
    let cache = tempfile::tempdir().unwrap();
    let (mut writer, reader) = create(cache.path(), columns()).unwrap();
    for i in 0..50_000 {
        writer.push(row(i)).unwrap();
    }
    assert_eq!(writer.finish().unwrap(), 50_000);
    let snap = reader.snapshot();
    assert_eq!(
        (snap.rows, snap.complete, snap.failure),
        (50_000, true, None)
    );
    // A page across the first chunk's end and one deep inside a later chunk.
    let page = reader.page(FIRST_CHUNK_ROWS as u64 - 2, 4).unwrap();
    let want: Vec<_> = (FIRST_CHUNK_ROWS as i64 - 2..FIRST_CHUNK_ROWS as i64 + 2)
        .map(row)
        .collect();
    assert_eq!(page, want);
    assert_eq!(
        reader.page(40_000, 3).unwrap(),
        (40_000..40_003).map(row).collect::<Vec<_>>()
    );
    assert_eq!(reader.page(49_999, 100).unwrap().len(), 1);
    assert!(reader.page(60_000, 10).unwrap().is_empty());
    let chunks = std::fs::read_dir(reader.folder()).unwrap().count();
    assert!(chunks > 2, "{chunks} chunk files");
}

#[test]
fn the_first_page_is_readable_while_rows_still_arrive() {
    let cache = tempfile::tempdir().unwrap();
    let (mut writer, reader) = create(cache.path(), columns()).unwrap();
    let (read, rest) = std::sync::mpsc::channel::<()>();
    let feeder = std::thread::spawn(move || {
        for i in 0..FIRST_CHUNK_ROWS as i64 {
            writer.push(row(i)).unwrap();
        }
        // Hold the writer open until the first page has been read: the rest has not arrived.
        rest.recv().unwrap();
        writer.push(row(FIRST_CHUNK_ROWS as i64)).unwrap();
        writer.finish().unwrap();
    });
    let snap = reader.wait_for(100, Duration::from_secs(10));
    assert!(!snap.complete && snap.rows >= 100, "{snap:?}");
    assert_eq!(
        reader.page(0, 100).unwrap(),
        (0..100).map(row).collect::<Vec<_>>()
    );
    read.send(()).unwrap();
    feeder.join().unwrap();
    assert_eq!(reader.snapshot().rows, FIRST_CHUNK_ROWS as u64 + 1);
}

#[test]
fn export_streams_csv_and_json_lines_with_null_apart_from_empty_text() {
    let cache = tempfile::tempdir().unwrap();
    let (mut writer, reader) = create(cache.path(), columns()).unwrap();
    writer
        .push(vec![
            Value::Int(1),
            Value::Text(String::new()),
            Value::Null,
            Value::Bool(true),
        ])
        .unwrap();
    writer
        .push(vec![
            Value::Int(2),
            Value::Text("a,\"b\"\nc".into()),
            Value::Float(1.5),
            Value::Null,
        ])
        .unwrap();
    writer.finish().unwrap();
    let mut csv = Vec::new();
    assert_eq!(reader.export_csv(&mut csv).unwrap(), 2);
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        "n,name,score,ok\r\n1,\"\",,true\r\n2,\"a,\"\"b\"\"\nc\",1.5,\r\n"
    );
    let mut json = Vec::new();
    reader
        .export(&mut json, ExportOptions::new(ExportFormat::Json))
        .unwrap();
    assert_eq!(
        String::from_utf8(json).unwrap(),
        "[\n{\"n\":1,\"name\":\"\",\"score\":null,\"ok\":true},\n{\"n\":2,\"name\":\"a,\\\"b\\\"\\nc\",\"score\":1.5,\"ok\":null}\n]\n"
    );
}

/// Counts the CSV rows it receives and, the first time it has seen `signal_after` of them,
/// notes how far the result had arrived and tells the writer to go on.
struct Sink {
    rows: u64,
    last: u8,
    signal_after: u64,
    reader: warden_results::ResultReader,
    seen_then: Option<warden_results::Snapshot>,
    go: Option<std::sync::mpsc::Sender<()>>,
}

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // A record ends with CRLF; the test's text holds a bare LF inside quotes.
        for b in buf {
            if *b == b'\n' && self.last == b'\r' {
                self.rows += 1;
            }
            self.last = *b;
        }
        if self.rows > self.signal_after {
            if let Some(go) = self.go.take() {
                self.seen_then = Some(self.reader.snapshot());
                let _ = go.send(());
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_large_export_streams_rows_out_before_the_result_is_whole() {
    // If the export gathered the result before writing, the writer below would wait for
    // output that never comes: the export streams, or this test fails (after 30 s at most).
    let cache = tempfile::tempdir().unwrap();
    let (mut writer, reader) = create(cache.path(), columns()).unwrap();
    let first_part = (FIRST_CHUNK_ROWS + 2 * CHUNK_ROWS) as i64;
    let total = first_part + 10 * CHUNK_ROWS as i64;
    let (go, wait) = std::sync::mpsc::channel();
    let producer = std::thread::spawn(move || {
        for n in 0..first_part {
            writer.push(row(n)).unwrap();
        }
        if wait.recv_timeout(Duration::from_secs(30)).is_err() {
            writer.fail("no exported row came out before the whole result was in");
            return;
        }
        for n in first_part..total {
            writer.push(row(n)).unwrap();
        }
        writer.finish().unwrap();
    });
    let mut sink = Sink {
        rows: 0,
        last: 0,
        signal_after: FIRST_CHUNK_ROWS as u64,
        reader: reader.clone(),
        seen_then: None,
        go: Some(go),
    };
    let exported = reader.export_csv(&mut sink).expect("the export streams");
    producer.join().unwrap();
    assert_eq!(exported, total as u64);
    assert_eq!(sink.rows, total as u64 + 1, "every row and the header");
    let then = sink.seen_then.expect("rows came out");
    assert!(
        !then.complete,
        "rows were written out while the rest was still to come"
    );
    assert!(then.rows <= first_part as u64, "{then:?}");
}

#[test]
fn a_writer_dropped_early_fails_its_readers_with_a_reason() {
    let cache = tempfile::tempdir().unwrap();
    let (mut writer, reader) = create(cache.path(), columns()).unwrap();
    writer.push(row(1)).unwrap();
    drop(writer);
    let snap = reader.snapshot();
    assert_eq!(snap.rows, 1, "the rows that arrived stay readable");
    assert!(snap
        .failure
        .unwrap()
        .contains("stopped before the last row"));
    let err = reader.export_csv(Vec::new()).unwrap_err();
    assert!(matches!(err, ResultsError::Incomplete(_)), "{err}");
}

#[test]
fn a_row_of_the_wrong_width_is_refused_and_the_folder_goes_with_the_result() {
    let cache = tempfile::tempdir().unwrap();
    let (mut writer, reader) = create(cache.path(), columns()).unwrap();
    let err = writer.push(vec![Value::Int(1)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a row has 1 values but the result has 4 columns"
    );
    let folder = reader.folder().to_path_buf();
    writer.push(row(3)).unwrap();
    writer.finish().unwrap();
    assert!(folder.is_dir());
    drop(reader);
    assert!(!folder.exists());
}

#[test]
fn a_withdrawn_result_is_deleted_at_once_for_every_reader_and_stops_its_writer() {
    let cache = tempfile::tempdir().unwrap();
    let (mut writer, reader) = create(cache.path(), columns()).unwrap();
    for i in 0..(FIRST_CHUNK_ROWS as i64 + 10) {
        writer.push(row(i)).unwrap();
    }
    let other = reader.clone();
    let watched = reader.watch();
    let folder = reader.folder().to_path_buf();
    assert!(folder.join("000000.arrow").is_file());
    watched.withdraw();
    assert!(
        !folder.exists(),
        "the chunk files are gone, not just hidden"
    );
    assert!(other.is_withdrawn());
    assert!(matches!(other.page(0, 10), Err(ResultsError::Withdrawn)));
    assert!(matches!(
        other.export_csv(Vec::new()),
        Err(ResultsError::Withdrawn)
    ));
    assert!(other.snapshot().failure.is_some());
    // The writer stops at its next chunk, and its end says why.
    let stopped = (0..CHUNK_ROWS as i64 + 1).try_for_each(|i| writer.push(row(i)));
    assert!(
        matches!(stopped, Err(ResultsError::Withdrawn)),
        "{stopped:?}"
    );
    assert!(!folder.exists(), "the writer did not bring the folder back");
    drop((writer, reader, other));
    assert!(!watched.is_alive());
    watched.withdraw();
}

#[test]
fn from_rows_stores_a_small_result_whole() {
    let cache = tempfile::tempdir().unwrap();
    let reader = warden_results::from_rows(cache.path(), columns(), (0..5).map(row)).unwrap();
    assert_eq!(reader.len(), 5);
    assert!(reader.snapshot().complete);
    assert_eq!(
        reader.all_rows().unwrap(),
        (0..5).map(row).collect::<Vec<_>>()
    );
}

/// The environment variable that makes [`child_leaves_a_result_behind`] do its work.
const CHILD_DIR: &str = "WARDEN_RESULTS_TEST_CHILD_DIR";

#[test]
#[ignore = "run in a child process by the stale-folder test"]
fn child_leaves_a_result_behind() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let (mut writer, reader) = create(std::path::Path::new(&dir), columns()).unwrap();
    for i in 0..(FIRST_CHUNK_ROWS as i64 + 1) {
        writer.push(row(i)).unwrap();
    }
    println!("FOLDER={}", reader.folder().display());
    // Killed as a crash would kill it: no destructor runs, the folder stays on disk.
    std::process::abort();
}

#[test]
fn the_folders_a_killed_process_left_are_swept_and_live_ones_kept() {
    let cache = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_leaves_a_result_behind",
            "--nocapture",
        ])
        .env(CHILD_DIR, cache.path())
        .output()
        .expect("the child runs");
    assert!(!child.status.success(), "the child aborts");
    let stdout = String::from_utf8_lossy(&child.stdout);
    let left = stdout
        .lines()
        .find_map(|l| l.strip_prefix("FOLDER="))
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| panic!("the child made no result: {stdout}"));
    assert!(
        left.join("000000.arrow").is_file(),
        "the killed process left its rows"
    );

    // This process's own result, alive: locked, kept.
    let live = warden_results::from_rows(cache.path(), columns(), (0..3).map(row)).unwrap();
    // Not result folders of ours: kept whatever their age.
    std::fs::create_dir(cache.path().join("other")).unwrap();
    std::fs::write(cache.path().join("result-note.txt"), "not a folder").unwrap();
    // A result folder that has no lock file yet (one being created): kept while fresh.
    std::fs::create_dir(cache.path().join("result-fresh")).unwrap();

    assert_eq!(warden_results::remove_stale(cache.path()).unwrap(), 1);
    assert!(!left.exists(), "the killed process's folder is swept");
    assert!(live.folder().is_dir());
    assert_eq!(live.len(), 3);
    assert_eq!(live.page(0, 3).unwrap().len(), 3);
    for kept in ["other", "result-note.txt", "result-fresh"] {
        assert!(cache.path().join(kept).exists(), "{kept} kept");
    }
    assert_eq!(warden_results::remove_stale(cache.path()).unwrap(), 0);
    assert_eq!(
        warden_results::remove_stale(&cache.path().join("missing")).unwrap(),
        0
    );
}

#[test]
fn a_result_larger_than_its_disk_limit_stops_with_a_reason_and_what_to_do() {
    let cache = tempfile::tempdir().unwrap();
    let (writer, reader) = create(cache.path(), columns()).unwrap();
    let mut writer = writer.limit_bytes(64 * 1024);
    let mut pushed = 0;
    let err = loop {
        match writer.push(row(pushed)) {
            Ok(()) => pushed += 1,
            Err(e) => break e,
        }
        assert!(pushed < 10_000_000, "the limit never stopped the writer");
    };
    assert!(
        matches!(err, ResultsError::TooLarge { limit: 65_536 }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("larger than 64 KiB"), "{message}");
    assert!(message.contains("add a LIMIT"), "{message}");
    // What was written before the limit stays on disk only while the result is kept.
    writer.fail(&message);
    let seen = reader.snapshot();
    assert!(!seen.complete && seen.failure.is_some(), "{seen:?}");
    let folder = reader.folder().to_path_buf();
    drop(reader);
    assert!(!folder.exists(), "the folder goes with the result");
}
