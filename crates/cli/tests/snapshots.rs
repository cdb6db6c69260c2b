//! Whole runs of the `warden` binary, snapshotted with insta-cmd: exit code, stdout and stderr.
//! What varies from run to run (temporary paths, ids, times, durations) is replaced by a name
//! in brackets. Review changes with `cargo insta review` (or rerun with `INSTA_UPDATE=always`).

use std::path::Path;
use std::process::Command;

use insta_cmd::assert_cmd_snapshot;

fn warden(home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_warden"));
    command.arg("--home").arg(home).args(args);
    command
}

/// Runs `body` with the output filters for `home`.
fn with_filters(home: &Path, body: impl FnOnce()) {
    let mut settings = insta::Settings::clone_current();
    let home = regex_escape(&home.display().to_string());
    settings.add_filter(&home, "[HOME]");
    settings.add_filter(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",
        "[TIME]",
    );
    settings.add_filter(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[UUID]",
    );
    settings.add_filter(r"\d+ ms", "[N] ms");
    settings.add_filter(r#""duration_ms": \d+"#, r#""duration_ms": [N]"#);
    settings.add_filter(r"sha256:[0-9a-f]{64}", "sha256:[HASH]");
    settings.add_filter(r#""(device_id|key_id)": "[^"]+""#, r#""$1": "[ID]""#);
    settings.bind(body);
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

const POLICY: &str = r#"format: warden-policy/1
name: cli-test
catalog:
  databases:
    sales:
      tables:
        customers:
          columns:
            customer_id: bigint
            email: { type: varchar, tags: [pii] }
elevations:
  pii-read: { description: Read personal data }
rules:
  - { id: pii, kind: restricted_columns, tags: [pii], unlocked_by: [pii-read] }
"#;

#[test]
fn lint_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, POLICY).expect("write policy");
    let elevate = dir.path().join("elevate.sql");
    std::fs::write(&elevate, "SELECT email FROM sales.customers").expect("write sql");
    let allow = dir.path().join("allow.sql");
    std::fs::write(&allow, "SELECT customer_id FROM sales.customers").expect("write sql");
    let p = policy.to_str().expect("utf-8 path");
    let (e, a) = (
        elevate.to_str().expect("utf-8 path"),
        allow.to_str().expect("utf-8 path"),
    );
    with_filters(dir.path(), || {
        assert_cmd_snapshot!(
            "lint_elevate",
            warden(dir.path(), &["lint", "--policy", p, e])
        );
        assert_cmd_snapshot!(
            "lint_allow",
            warden(dir.path(), &["lint", "--policy", p, a])
        );
        assert_cmd_snapshot!(
            "lint_missing_policy",
            warden(
                dir.path(),
                &["lint", "--policy", "/nonexistent/policy.yaml", a]
            )
        );
    });
}

#[test]
fn demo_runs() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    let init = warden(h, &["workspace", "init"])
        .output()
        .expect("warden runs");
    assert_eq!(init.status.code(), Some(0));
    let by_country = "SELECT country, count(*) AS customers FROM sales.customers \
                      GROUP BY country ORDER BY country LIMIT 3";
    with_filters(h, || {
        assert_cmd_snapshot!("query_table", warden(h, &["query", by_country]));
        assert_cmd_snapshot!(
            "query_json",
            warden(h, &["query", "--format", "json", by_country])
        );
        assert_cmd_snapshot!(
            "query_csv",
            warden(h, &["query", "--format", "csv", by_country])
        );
        assert_cmd_snapshot!(
            "query_refused",
            warden(h, &["query", "SELECT ssn FROM sales.customers"])
        );
        assert_cmd_snapshot!("query_without_sql", warden(h, &["query"]));
        assert_cmd_snapshot!(
            "elevation_list_json",
            warden(h, &["elevation", "list", "--format", "json"])
        );
    });
}
