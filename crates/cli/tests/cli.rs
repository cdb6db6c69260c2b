//! The `warden` binary as scripts and CI use it: exit codes, output, and the demo workspace.

use std::path::Path;
use std::process::{Command, Output};

fn warden(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_warden"))
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .expect("the warden binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
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
fn query_on_the_demo_workspace_prints_rows_and_refuses_restricted_columns() {
    let home = tempfile::tempdir().expect("tempdir");
    let ok = warden(home.path(), &["query", "--workspace", "demo", "SELECT country, count(*) FROM sales.customers GROUP BY 1"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let out = text(&ok.stdout);
    assert!(out.contains("country") && out.contains("US"), "{out}");
    assert!(out.contains("rows") && out.contains("scanned"), "{out}");

    let refused = warden(home.path(), &["query", "SELECT ssn FROM sales.customers"]);
    assert_eq!(refused.status.code(), Some(1));
    let err = text(&refused.stderr);
    assert!(err.contains("restricted") && err.contains("not allowed"), "{err}");
    assert!(refused.stdout.is_empty(), "no rows are printed for a refused query");
}

#[test]
fn lint_exit_codes_follow_the_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, POLICY).expect("write policy");
    let sql = dir.path().join("q.sql");
    std::fs::write(&sql, "SELECT email FROM sales.customers").expect("write sql");
    let policy_arg = policy.to_str().expect("utf-8 path");
    let sql_arg = sql.to_str().expect("utf-8 path");

    let elevate = warden(dir.path(), &["lint", "--policy", policy_arg, "--format", "json", sql_arg]);
    assert_eq!(elevate.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&elevate.stdout).expect("json output");
    assert_eq!(doc["files"][0]["verdict"], "elevate");
    assert_eq!(doc["files"][0]["elevations"][0], "pii-read");

    let allowed = warden(dir.path(), &["lint", "--policy", policy_arg, "--elevation", "pii-read", sql_arg]);
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed.stdout));

    std::fs::write(&policy, "format: warden-policy/1\nname: x\nrules: [ { id: a, kind: nope } ]\n").expect("write");
    let bad = warden(dir.path(), &["lint", "--policy", policy_arg, sql_arg]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("nope"), "{}", text(&bad.stderr));
}

#[test]
fn bundles_are_signed_verified_and_tampering_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = |name: &str| dir.path().join(name).to_str().expect("utf-8 path").to_string();
    std::fs::write(d("policy.yaml"), POLICY).expect("write policy");

    let keygen = warden(dir.path(), &["bundle", "keygen", "--out", &d("signing.key")]);
    assert_eq!(keygen.status.code(), Some(0), "{}", text(&keygen.stderr));
    let build = warden(
        dir.path(),
        &["bundle", "build", "--policy", &d("policy.yaml"), "--revision", "3", "--key", &d("signing.key"), "--out", &d("b.tar.gz")],
    );
    assert_eq!(build.status.code(), Some(0), "{}", text(&build.stderr));

    let verify = |bundle: &str, extra: &[&str]| {
        let trust = d("signing.key.pub");
        let mut args = vec!["bundle", "verify", "--trust", &trust];
        let owned: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        args.extend(owned.iter().map(String::as_str));
        let bundle = d(bundle);
        args.push(&bundle);
        warden(dir.path(), &args)
    };
    let good = verify("b.tar.gz", &[]);
    assert_eq!(good.status.code(), Some(0), "{}", text(&good.stderr));
    assert!(text(&good.stdout).contains("revision 3"), "{}", text(&good.stdout));

    let rollback = verify("b.tar.gz", &["--min-revision", "4"]);
    assert_eq!(rollback.status.code(), Some(1));

    let mut bytes = std::fs::read(d("b.tar.gz")).expect("read bundle");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(d("tampered.tar.gz"), bytes).expect("write");
    let tampered = verify("tampered.tar.gz", &[]);
    assert_eq!(tampered.status.code(), Some(1));
    assert!(!text(&tampered.stderr).is_empty(), "a refusal says why");

    let published = warden(dir.path(), &["bundle", "publish", &d("b.tar.gz"), "--to", &format!("file://{}/", d("central"))]);
    assert_eq!(published.status.code(), Some(0), "{}", text(&published.stderr));
}
