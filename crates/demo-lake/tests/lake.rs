use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Int64Type, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use warden_demo_lake::{
    describe, ensure, generate, luhn_valid, ColumnType, LakeError, LakeSummary, MARKER_FILE,
};

const SEED: u64 = 7;

/// Every file under `root`, relative path -> bytes.
fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("readable dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).expect("under root").to_path_buf();
                out.insert(rel, fs::read(&path).expect("readable file"));
            }
        }
    }
    out
}

fn parquet_files(files: &BTreeMap<PathBuf, Vec<u8>>) -> Vec<&PathBuf> {
    files
        .keys()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect()
}

fn read_batches(path: &Path) -> Vec<arrow::record_batch::RecordBatch> {
    let file = fs::File::open(path).expect("parquet file");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet metadata")
        .build()
        .expect("reader");
    reader.map(|b| b.expect("batch")).collect()
}

/// One lake shared by the tests that only read it, kept between runs in Cargo's scratch
/// folder (`ensure` regenerates it when the generator changes).
fn shared() -> &'static (PathBuf, LakeSummary) {
    static LAKE: std::sync::OnceLock<(PathBuf, LakeSummary)> = std::sync::OnceLock::new();
    LAKE.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo-lake-tests");
        let summary = ensure(&root, SEED).expect("shared lake generated");
        (root, summary)
    })
}

fn generated(seed: u64) -> (tempfile::TempDir, LakeSummary) {
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = generate(dir.path(), seed).expect("lake generated");
    (dir, summary)
}

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_does_not() {
    let (a, summary_a) = generated(SEED);
    let (b, summary_b) = generated(SEED);
    let (c, summary_c) = generated(SEED + 1);
    assert_eq!(summary_a, summary_b);
    let (files_a, files_b, files_c) = (files(a.path()), files(b.path()), files(c.path()));
    assert_eq!(
        files_a.keys().collect::<Vec<_>>(),
        files_b.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &files_a {
        assert!(
            files_b[path] == *bytes,
            "{} differs between two runs with the same seed",
            path.display()
        );
    }
    assert_ne!(summary_a.seed, summary_c.seed);
    let differing = parquet_files(&files_a)
        .into_iter()
        .filter(|p| files_c.get(*p) != files_a.get(*p))
        .count();
    assert_eq!(
        differing,
        parquet_files(&files_a).len(),
        "every file should change with the seed"
    );
}

#[test]
fn layout_follows_athena() {
    let (root, summary) = shared();
    assert!(root.join(MARKER_FILE).is_file());
    assert!(
        !root.join(".staging").exists(),
        "the staging folder is removed"
    );
    assert!(root.join("sales/customers/part-0.parquet").is_file());
    for table in ["sales/orders", "web/events"] {
        let mut partitions: Vec<String> = fs::read_dir(root.join(table))
            .expect("table folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        partitions.sort();
        assert_eq!(partitions.len(), 60, "{table}");
        assert_eq!(
            partitions.first().map(String::as_str),
            Some("dt=2025-09-01")
        );
        assert_eq!(partitions.last().map(String::as_str), Some("dt=2025-10-30"));
        for p in &partitions {
            let files: Vec<_> = fs::read_dir(root.join(table).join(p))
                .expect("partition")
                .collect();
            assert_eq!(files.len(), 1, "{table}/{p}");
            assert!(root.join(table).join(p).join("part-0.parquet").is_file());
        }
    }
    assert_eq!(summary.first_day, "2025-09-01");
    assert_eq!(summary.last_day, "2025-10-30");
    let top: Vec<String> = {
        let mut v: Vec<String> = fs::read_dir(root)
            .expect("root")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(top, vec![MARKER_FILE, "sales", "web"]);
}

#[test]
fn files_hold_the_described_columns_and_the_summary_counts_them() {
    let (root, summary) = shared();
    let all = files(root.as_path());
    for spec in describe() {
        let table = summary
            .table(spec.database, spec.name)
            .expect("table in summary");
        let prefix = spec.relative_dir();
        let mut rows = 0u64;
        let mut bytes = 0u64;
        let mut count = 0u64;
        for path in parquet_files(&all)
            .into_iter()
            .filter(|p| p.starts_with(&prefix))
        {
            bytes += all[path].len() as u64;
            count += 1;
            for batch in read_batches(&root.as_path().join(path)) {
                rows += batch.num_rows() as u64;
                let schema = batch.schema();
                let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                let expected: Vec<&str> = spec.data_columns().map(|c| c.name).collect();
                assert_eq!(names, expected, "{}", spec.qualified_name());
                for (field, column) in schema.fields().iter().zip(spec.data_columns()) {
                    let ok = match column.data_type {
                        ColumnType::Bigint => field.data_type() == &DataType::Int64,
                        ColumnType::Double => field.data_type() == &DataType::Float64,
                        ColumnType::Varchar => field.data_type() == &DataType::Utf8,
                        ColumnType::Date => field.data_type() == &DataType::Date32,
                        ColumnType::Timestamp => {
                            field.data_type() == &DataType::Timestamp(TimeUnit::Millisecond, None)
                        }
                    };
                    assert!(
                        ok,
                        "{}.{} is {}",
                        spec.qualified_name(),
                        column.name,
                        field.data_type()
                    );
                }
            }
        }
        assert_eq!(table.rows, rows, "{}", spec.qualified_name());
        assert_eq!(table.bytes, bytes, "{}", spec.qualified_name());
        assert_eq!(table.files, count, "{}", spec.qualified_name());
    }
    let customers = summary.table("sales", "customers").expect("customers");
    assert_eq!((customers.rows, customers.partitions), (5_000, 0));
    let orders = summary.table("sales", "orders").expect("orders");
    assert_eq!(orders.partitions, 60);
    assert!(
        (50_000..80_000).contains(&orders.rows),
        "{} orders",
        orders.rows
    );
    let events = summary.table("web", "events").expect("events");
    assert_eq!(events.partitions, 60);
    assert!(
        (78_000..102_000).contains(&events.rows),
        "{} events",
        events.rows
    );
}

#[test]
fn card_numbers_are_luhn_valid_and_stable_per_customer() {
    let (root, _) = shared();
    let mut card_of: HashMap<i64, String> = HashMap::new();
    let mut checked = 0;
    for day in ["dt=2025-09-01", "dt=2025-10-15"] {
        for batch in read_batches(
            &root
                .as_path()
                .join("sales/orders")
                .join(day)
                .join("part-0.parquet"),
        ) {
            let customers = batch
                .column_by_name("customer_id")
                .expect("customer_id")
                .as_primitive::<Int64Type>();
            let cards = batch
                .column_by_name("card_number")
                .expect("card_number")
                .as_string::<i32>();
            for i in 0..batch.num_rows() {
                let card = cards.value(i);
                assert_eq!(card.len(), 16, "{card}");
                assert!(luhn_valid(card), "{card} fails the Luhn check");
                let previous = card_of
                    .entry(customers.value(i))
                    .or_insert_with(|| card.to_string());
                assert_eq!(
                    previous,
                    card,
                    "customer {} paid with two cards",
                    customers.value(i)
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 1_500);
}

#[test]
fn customers_look_real_and_countries_are_skewed() {
    let (root, _) = shared();
    let batches = read_batches(&root.as_path().join("sales/customers/part-0.parquet"));
    let mut countries: HashMap<String, usize> = HashMap::new();
    let mut emails = std::collections::HashSet::new();
    for batch in &batches {
        let ssn = batch.column_by_name("ssn").expect("ssn").as_string::<i32>();
        let email = batch
            .column_by_name("email")
            .expect("email")
            .as_string::<i32>();
        let country = batch
            .column_by_name("country")
            .expect("country")
            .as_string::<i32>();
        for i in 0..batch.num_rows() {
            let s = ssn.value(i);
            assert!(s.len() == 11 && &s[3..4] == "-" && &s[6..7] == "-", "{s}");
            assert!(
                emails.insert(email.value(i).to_string()),
                "duplicate e-mail {}",
                email.value(i)
            );
            *countries.entry(country.value(i).to_string()).or_default() += 1;
        }
        assert_eq!(ssn.null_count(), 0);
    }
    let us = countries.get("US").copied().unwrap_or(0);
    let mx = countries.get("MX").copied().unwrap_or(0);
    assert!(countries.len() >= 10, "{countries:?}");
    assert!(us > 1_500 && us > 10 * mx.max(1), "{countries:?}");
}

#[test]
fn ensure_reuses_a_complete_lake_and_redoes_an_interrupted_one() {
    let (dir, summary) = generated(SEED);
    let root = dir.path();
    let sentinel = root.join("sales/orders/sentinel.txt");
    fs::write(&sentinel, "kept while the lake is complete").expect("sentinel");
    assert_eq!(ensure(root, SEED).expect("ensure"), summary);
    assert!(sentinel.exists(), "a complete lake must not be rewritten");

    // An interrupted run leaves the marker saying incomplete and a staging folder behind.
    let marker = root.join(MARKER_FILE);
    let text = fs::read_to_string(&marker)
        .expect("marker")
        .replace("\"complete\": true", "\"complete\": false");
    fs::write(&marker, text).expect("marker rewritten");
    fs::create_dir_all(root.join(".staging/sales/orders")).expect("staging");
    assert_eq!(ensure(root, SEED).expect("ensure"), summary);
    assert!(
        !sentinel.exists(),
        "an interrupted lake must be regenerated"
    );
    assert!(!root.join(".staging").exists());

    // Another seed regenerates too.
    let other = ensure(root, SEED + 1).expect("ensure other seed");
    assert_eq!(other.seed, SEED + 1);
    assert_ne!(other.total_bytes(), 0);
}

#[test]
fn a_folder_with_other_data_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let precious = dir.path().join("notes.txt");
    fs::write(&precious, "mine").expect("write");
    let err = generate(dir.path(), SEED).expect_err("must refuse");
    assert!(matches!(err, LakeError::NotALake { .. }), "{err}");
    assert!(
        err.to_string().contains("choose an empty or new folder"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&precious).expect("still there"), "mine");
    assert!(!dir.path().join(MARKER_FILE).exists());
}

#[test]
fn a_new_nested_folder_is_created() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("a/b/lake");
    let summary = ensure(&root, SEED).expect("lake");
    assert_eq!(summary.tables.len(), 3);
    assert!(root
        .join("web/events/dt=2025-09-30/part-0.parquet")
        .is_file());
}

#[test]
fn anonymous_events_have_null_user_ids() {
    let (root, _) = shared();
    let batches = read_batches(
        &root
            .as_path()
            .join("web/events/dt=2025-09-10/part-0.parquet"),
    );
    let (nulls, rows) = batches.iter().fold((0, 0), |(n, r), b| {
        (
            n + b.column_by_name("user_id").expect("user_id").null_count(),
            r + b.num_rows(),
        )
    });
    assert!(
        nulls > rows / 20 && nulls < rows / 4,
        "{nulls} nulls in {rows} rows"
    );
}
