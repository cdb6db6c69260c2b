//! Whole runs of the `warden` binary, snapshotted with insta-cmd: exit code, stdout and stderr.
//! What varies from run to run (temporary paths, ids, times, durations) is replaced by a name
//! in brackets. Review changes with `cargo insta review` (or rerun with `INSTA_UPDATE=always`).

mod common;

use std::path::Path;
use std::process::Command;

use common::{warden_cmd as warden, with_filters};
use insta_cmd::assert_cmd_snapshot;
use warden_test_support::policies::PII_READ;

#[test]
fn lint_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, PII_READ).expect("write policy");
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

/// A policy whose elevation mixes the STS and Identity Center modes, or names a bad account, is
/// refused before any SQL is read, at the key and line of the mistake.
#[test]
fn lint_refuses_a_bad_identity_center_mapping() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sql = dir.path().join("q.sql");
    std::fs::write(&sql, "SELECT 1").expect("write sql");
    let q = sql.to_str().expect("utf-8 path");
    let mapped = |aws: &str| {
        PII_READ.replacen(
            "  pii-read: { description: Read personal data }\n",
            &format!("  pii-read:\n    description: Read personal data\n    aws:\n{aws}"),
            1,
        )
    };
    let cases = [
        (
            "lint_policy_both_aws_modes",
            mapped("      role_arn: arn:aws:iam::123456789012:role/warden-pii-read\n      permission_set_arn: arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef\n"),
        ),
        (
            "lint_policy_identity_center_bad_account",
            mapped("      permission_set_arn: arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef\n      account_id: \"12345\"\n"),
        ),
    ];
    with_filters(dir.path(), || {
        for (name, text) in &cases {
            assert!(
                text.contains("    aws:"),
                "PII_READ names pii-read as expected"
            );
            let policy = dir.path().join(format!("{name}.yaml"));
            std::fs::write(&policy, text).expect("write policy");
            let p = policy.to_str().expect("utf-8 path");
            assert_cmd_snapshot!(*name, warden(dir.path(), &["lint", "--policy", p, q]));
        }
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

/// `?` parameters: the values given with --param run in order; a value that is not one literal,
/// or a count that does not match, is refused before anything runs, and the journal keeps the
/// values as the policy keeps SQL text.
#[test]
fn query_parameters() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    let init = warden(h, &["workspace", "init"])
        .output()
        .expect("warden runs");
    assert_eq!(init.status.code(), Some(0));
    let sql = "SELECT country, count(*) AS customers FROM sales.customers \
               WHERE country IN (?, ?) AND customer_id > ? GROUP BY country ORDER BY country LIMIT 3";
    with_filters(h, || {
        assert_cmd_snapshot!(
            "query_parameters",
            warden(
                h,
                &["query", sql, "--param", "'DE'", "--param", "'US'", "--param", "-1"]
            )
        );
        assert_cmd_snapshot!(
            "query_parameters_injection",
            warden(
                h,
                &[
                    "query",
                    sql,
                    "--param",
                    "'DE') OR (1 = 1",
                    "--param",
                    "'US'",
                    "--param",
                    "0"
                ]
            )
        );
        assert_cmd_snapshot!(
            "query_parameters_comment",
            warden(
                h,
                &["query", sql, "--param", "'DE' --", "--param", "'US'", "--param", "0"]
            )
        );
        assert_cmd_snapshot!(
            "query_parameters_missing",
            warden(h, &["query", sql, "--param", "'DE'"])
        );
        assert_cmd_snapshot!(
            "query_parameters_unclosed",
            warden(
                h,
                &["query", sql, "--param", "'DE", "--param", "'US'", "--param", "0"]
            )
        );
    });
    // The journal: the run with its values, the refused ones as query_blocked (rule parameters).
    let log = run_ok(&mut warden(
        h,
        &[
            "audit",
            "log",
            "--kind",
            "query_blocked",
            "--format",
            "json",
        ],
    ));
    let events: serde_json::Value = serde_json::from_str(&log).expect("json");
    let blocked: Vec<&serde_json::Value> = events
        .as_array()
        .expect("array")
        .iter()
        .filter(|e| e["payload"]["query"]["rule_ids"] == serde_json::json!(["parameters"]))
        .collect();
    assert_eq!(blocked.len(), 4, "{log}");
    assert_eq!(
        blocked[0]["payload"]["query"]["parameters"]["values"],
        serde_json::json!(["'DE') OR (1 = 1", "'US'", "0"])
    );
    let log = run_ok(&mut warden(
        h,
        &[
            "audit",
            "log",
            "--kind",
            "query_finished",
            "--format",
            "json",
        ],
    ));
    let events: serde_json::Value = serde_json::from_str(&log).expect("json");
    let finished = &events.as_array().expect("array")[0]["payload"]["query"];
    assert_eq!(finished["parameters"]["count"], 3);
    assert_eq!(
        finished["parameters"]["values"],
        serde_json::json!(["'DE'", "'US'", "-1"])
    );
    assert_eq!(finished["sql"]["text"], sql);
}

fn run_ok(command: &mut Command) -> String {
    let out = command.output().expect("warden runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn lint_runs_against_a_signed_bundle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let policy = d.join("policy.yaml");
    std::fs::write(&policy, PII_READ).expect("write policy");
    let elevate = d.join("elevate.sql");
    std::fs::write(&elevate, "SELECT email FROM sales.customers").expect("write sql");
    let path = |p: &Path| p.to_str().expect("utf-8 path").to_string();
    let (key, other) = (d.join("team.key"), d.join("other.key"));
    run_ok(&mut warden(d, &["bundle", "keygen", "--out", &path(&key)]));
    run_ok(&mut warden(
        d,
        &["bundle", "keygen", "--out", &path(&other)],
    ));
    let bundle = d.join("team.tar.gz");
    run_ok(&mut warden(
        d,
        &[
            "bundle",
            "build",
            "--policy",
            &path(&policy),
            "--revision",
            "1",
            "--key",
            &path(&key),
            "--out",
            &path(&bundle),
        ],
    ));
    let (b, e) = (path(&bundle), path(&elevate));
    let trusted = path(&d.join("team.key.pub"));
    let untrusted = path(&d.join("other.key.pub"));

    // The bundle's policy gives the same report as the policy file it was built from.
    let from_file = warden(d, &["lint", "--policy", &path(&policy), &e])
        .output()
        .expect("warden runs");
    let from_bundle = warden(d, &["lint", "--bundle", &b, "--trust", &trusted, &e])
        .output()
        .expect("warden runs");
    assert_eq!(
        (from_bundle.status.code(), &from_bundle.stdout),
        (from_file.status.code(), &from_file.stdout)
    );
    // An altered bundle is refused, as the app refuses it.
    let mut bytes = std::fs::read(&bundle).expect("bundle");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    let altered = d.join("altered.tar.gz");
    std::fs::write(&altered, bytes).expect("write");
    let altered = warden(
        d,
        &["lint", "--bundle", &path(&altered), "--trust", &trusted, &e],
    )
    .output()
    .expect("warden runs");
    assert_eq!(altered.status.code(), Some(2));
    assert!(altered.stdout.is_empty());

    with_filters(d, || {
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(r"key [A-Za-z0-9_-]{8,}", "key [ID]");
        settings.add_filter(r"trusted: [0-9a-f]{8,}", "trusted: [ID]");
        settings.bind(|| {
            assert_cmd_snapshot!(
                "lint_bundle_elevate",
                warden(d, &["lint", "--bundle", &b, "--trust", &trusted, &e])
            );
            assert_cmd_snapshot!(
                "lint_bundle_untrusted",
                warden(d, &["lint", "--bundle", &b, "--trust", &untrusted, &e])
            );
            assert_cmd_snapshot!(
                "lint_bundle_without_trust",
                warden(d, &["lint", "--bundle", &b, &e])
            );
        });
    });
}

#[test]
fn lint_runs_against_the_workspaces_bundle_in_force() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    let sql = h.join("ssn.sql");
    std::fs::write(&sql, "SELECT ssn FROM sales.customers").expect("write sql");
    let s = sql.to_str().expect("utf-8 path");
    with_filters(h, || {
        // Nothing in force yet: refused, and nothing is initialised or fetched by the lint.
        assert_cmd_snapshot!("lint_workspace_none_in_force", warden(h, &["lint", s]));
    });
    assert!(!h.join("data/workspaces/demo/central").exists());
    run_ok(&mut warden(h, &["workspace", "init"]));
    with_filters(h, || {
        assert_cmd_snapshot!("lint_workspace_in_force", warden(h, &["lint", s]));
        assert_cmd_snapshot!(
            "lint_workspace_sarif",
            warden(h, &["lint", "--format", "sarif", "--workspace", "demo", s])
        );
    });
}

#[test]
fn workspace_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("config")).expect("config dir");
    std::fs::write(
        dir.path().join("config").join("config.toml"),
        "default_workspace = \"aws\"\n[workspaces.demo]\nkind = \"demo\"\n[workspaces.aws]\nkind = \"athena\"\n[workspaces.aws.bundle]\nsource = \"s3://bundles/warden/\"\ntrust = [\"/etc/warden/security.pub\"]\n",
    )
    .expect("config.toml");
    // The administrator's file replaces the user's workspaces (docs/bundle.md).
    let managed = dir.path().join("managed.toml");
    std::fs::write(
        &managed,
        "default_workspace = \"prod\"\n[workspaces.prod]\nkind = \"athena\"\n[workspaces.prod.bundle]\nsource = \"s3://bundles/prod/\"\ntrust = [\"/etc/warden/security.pub\"]\n[workspaces.prod.audit]\nstore = \"s3://audit/warden/\"\n",
    )
    .expect("managed.toml");
    let no_managed = dir.path().join("no-managed.toml");
    let list = |managed: &Path, format: &str| {
        let mut command = warden(dir.path(), &["workspace", "list", "--format", format]);
        command.env("WARDEN_MANAGED_CONFIG", managed);
        command
    };
    with_filters(dir.path(), || {
        assert_cmd_snapshot!("workspace_list", list(&no_managed, "text"));
        assert_cmd_snapshot!("workspace_list_json", list(&no_managed, "json"));
        assert_cmd_snapshot!("workspace_list_managed", list(&managed, "text"));
    });
}

#[test]
fn workspace_add() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("security.key");
    warden_bundle::keygen(&key).expect("keygen");
    let public = warden_bundle::public_path(&key);
    let no_managed = dir.path().join("no-managed.toml");
    let add = |managed: &Path, name: &str, account: &str| {
        let mut command = warden(
            dir.path(),
            &[
                "workspace",
                "add",
                name,
                "--start-url",
                "https://my-org.awsapps.com/start",
                "--sso-region",
                "eu-west-1",
                "--account",
                account,
                "--role",
                "AthenaAnalyst",
                "--workgroup",
                "analysts",
                "--database",
                "sales",
                "--bundle-source",
                "s3://security-bundles/warden/",
                "--trust",
                &public.display().to_string(),
            ],
        );
        command.env("WARDEN_MANAGED_CONFIG", managed);
        command
    };
    let managed = dir.path().join("managed.toml");
    std::fs::write(&managed, "[workspaces.prod]\nkind = \"athena\"\n").expect("managed.toml");
    with_filters(dir.path(), || {
        assert_cmd_snapshot!(
            "workspace_add",
            add(&no_managed, "analytics", "123456789012")
        );
        let config = std::fs::read_to_string(dir.path().join("config").join("config.toml"))
            .expect("config.toml");
        insta::assert_snapshot!("workspace_add_config", config);
        assert_cmd_snapshot!(
            "workspace_add_again",
            add(&no_managed, "analytics", "123456789012")
        );
        assert_cmd_snapshot!(
            "workspace_add_bad_account",
            add(&no_managed, "other", "12-34")
        );
        assert_cmd_snapshot!(
            "workspace_add_managed",
            add(&managed, "other", "123456789012")
        );
        let mut list = warden(dir.path(), &["workspace", "list"]);
        list.env("WARDEN_MANAGED_CONFIG", &no_managed);
        assert_cmd_snapshot!("workspace_add_listed", list);
    });
}
