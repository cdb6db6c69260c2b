//! `warden query --format csv|json`: RFC 4180 quoting, NULL against empty text, the CSV formula
//! guard and `--no-formula-guard`, snapshotted with insta-cmd (exit code, stdout, stderr).

mod common;

use std::path::Path;

use common::{json, warden, warden_cmd, with_filters};
use insta_cmd::assert_cmd_snapshot;

fn init(home: &Path) {
    let init = warden(home, &["workspace", "init"]);
    assert_eq!(init.status.code(), Some(0), "{init:?}");
}

/// Cells a spreadsheet would run, and the cases RFC 4180 cares about.
const TRICKY: &str = "SELECT '=HYPERLINK(\"http://evil.example\",\"x\")' AS link, \
                      '+1' AS plus, '-3+1' AS minus, '@SUM(A1)' AS at, 'a=b' AS inner_equals, \
                      '' AS empty, CAST(NULL AS VARCHAR) AS nothing, 'a,b' AS comma, \
                      'line\nbreak' AS newline, 'say \"hi\"' AS quotes, -5 AS negative";

#[test]
fn csv_guards_formulas_by_default() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    init(h);
    with_filters(h, || {
        assert_cmd_snapshot!(
            "export_csv_guarded",
            warden_cmd(h, &["query", "--format", "csv", TRICKY])
        );
    });
}

#[test]
fn csv_without_the_guard_writes_cells_as_they_are() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    init(h);
    with_filters(h, || {
        assert_cmd_snapshot!(
            "export_csv_unguarded",
            warden_cmd(
                h,
                &["query", "--format", "csv", "--no-formula-guard", TRICKY]
            )
        );
    });
}

#[test]
fn json_keeps_text_as_it_is_and_null_as_null() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    init(h);
    with_filters(h, || {
        assert_cmd_snapshot!(
            "export_json",
            warden_cmd(h, &["query", "--format", "json", TRICKY])
        );
    });
}

#[test]
fn a_whole_table_goes_out_as_csv_one_record_per_row() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    init(h);
    let counted = warden(
        h,
        &[
            "query",
            "--format",
            "json",
            "SELECT count(*) AS n FROM sales.customers",
        ],
    );
    let n = json(&counted)["rows"][0][0].as_u64().expect("a count");
    assert!(n > 1_000, "the demo lake has more than a page: {n}");
    let out = warden(
        h,
        &[
            "query",
            "--format",
            "csv",
            "SELECT customer_id, country FROM sales.customers ORDER BY customer_id",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        text.starts_with("customer_id,country\r\n"),
        "{}",
        &text[..40]
    );
    assert_eq!(text.matches("\r\n").count() as u64, n + 1);
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(stderr.starts_with(&format!("{n} rows")), "{stderr}");
}
