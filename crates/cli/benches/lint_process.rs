//! `warden lint` over the 99 TPC-DS queries as one process, against a process that only reads
//! and parses the same files (docs/performance.md, "Guardrails"; target: at most 2x).
//!
//! `cargo bench -p warden-cli --no-default-features --bench lint_process`. The parse-only process
//! is this binary run again with `--parse-only DIR`.

#[path = "../../guardrails/benches/support/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use warden_guardrails::sqlparser::parser::Parser;
use warden_guardrails::AthenaDialect;

const RUNS: usize = 21;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(dir) = args
        .iter()
        .position(|a| a == "--parse-only")
        .and_then(|i| args.get(i + 1))
    {
        parse_only(Path::new(dir));
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let queries = corpus::queries(
        include_str!("../../guardrails/tests/fixtures/tpc/tpc-ds.sql"),
        "tpcds",
    );
    for (name, sql) in &queries {
        std::fs::write(dir.path().join(format!("{name}.sql")), sql).expect("write query");
    }
    let policy = dir.path().join("policy.yaml");
    let text = corpus::twenty_rules(
        include_str!("../../guardrails/tests/fixtures/tpc/tpcds.policy.yaml"),
        "tpcds",
        "c_email_address",
        "store_sales",
        "ss_sold_date_sk",
        "store",
        "s_store_sk",
    );
    std::fs::write(&policy, text).expect("write policy");
    let sql_dir = dir.path().to_path_buf();

    let warden = PathBuf::from(env!("CARGO_BIN_EXE_warden"));
    let lint = || {
        let status = Command::new(&warden)
            .args([
                "lint",
                "--database",
                "tpcds",
                "--format",
                "json",
                "--policy",
            ])
            .arg(&policy)
            .arg(&sql_dir)
            .stdout(Stdio::null())
            .status()
            .expect("warden runs");
        assert!(
            matches!(status.code(), Some(0 | 1)),
            "warden lint failed: {status}"
        );
    };
    let me = std::env::current_exe().expect("own path");
    let parse = || {
        let status = Command::new(&me)
            .arg("--parse-only")
            .arg(&sql_dir)
            .status()
            .expect("parser runs");
        assert!(status.success(), "parse-only failed: {status}");
    };
    let lint_ms = median(RUNS, lint);
    let parse_ms = median(RUNS, parse);
    println!("{} TPC-DS files, median of {RUNS} runs each", queries.len());
    println!("warden lint (20 rules, JSON):   {lint_ms:>8.1} ms");
    println!("read + parse only:             {parse_ms:>8.1} ms");
    println!("ratio:                         {:>8.2}", lint_ms / parse_ms);
}

fn median(runs: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm the page cache
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2].as_secs_f64() * 1000.0
}

fn parse_only(dir: &Path) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read query");
        let parsed = Parser::parse_sql(&AthenaDialect, &text);
        assert!(parsed.is_ok(), "{}: {:?}", path.display(), parsed.err());
    }
}
