//! The `warden` binary as scripts and CI use it: exit codes, output, and the demo workspace.
//! Each run whose output a user reads is an insta snapshot (exit code, stdout, stderr; see
//! snapshots.rs); JSON a script parses is checked field by field.

mod common;

use common::{json, text, warden, warden_cmd};
use insta_cmd::assert_cmd_snapshot;
use warden_test_support::policies::PII_READ;

#[test]
fn lint_exit_codes_follow_the_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, PII_READ).expect("write policy");
    let sql = dir.path().join("q.sql");
    std::fs::write(&sql, "SELECT email FROM sales.customers").expect("write sql");
    let policy_arg = policy.to_str().expect("utf-8 path");
    let sql_arg = sql.to_str().expect("utf-8 path");

    let elevate = warden(
        dir.path(),
        &["lint", "--policy", policy_arg, "--format", "json", sql_arg],
    );
    assert_eq!(elevate.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&elevate.stdout).expect("json output");
    assert_eq!(doc["files"][0]["verdict"], "elevate");
    assert_eq!(doc["files"][0]["elevations"][0], "pii-read");

    let allowed = warden(
        dir.path(),
        &[
            "lint",
            "--policy",
            policy_arg,
            "--elevation",
            "pii-read",
            sql_arg,
        ],
    );
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed.stdout));

    std::fs::write(
        &policy,
        "format: warden-policy/1\nname: x\nrules: [ { id: a, kind: nope } ]\n",
    )
    .expect("write");
    common::with_filters(dir.path(), || {
        assert_cmd_snapshot!(
            "lint_unknown_rule_kind",
            warden_cmd(dir.path(), &["lint", "--policy", policy_arg, sql_arg])
        );
    });
}

#[test]
fn bundles_are_signed_verified_and_tampering_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = |name: &str| {
        dir.path()
            .join(name)
            .to_str()
            .expect("utf-8 path")
            .to_string()
    };
    std::fs::write(d("policy.yaml"), PII_READ).expect("write policy");

    let keygen = warden(
        dir.path(),
        &["bundle", "keygen", "--out", &d("signing.key")],
    );
    assert_eq!(keygen.status.code(), Some(0), "{}", text(&keygen.stderr));
    let build = warden(
        dir.path(),
        &[
            "bundle",
            "build",
            "--policy",
            &d("policy.yaml"),
            "--revision",
            "3",
            "--key",
            &d("signing.key"),
            "--out",
            &d("b.tar.gz"),
        ],
    );
    assert_eq!(build.status.code(), Some(0), "{}", text(&build.stderr));

    let verify = |bundle: &str, extra: &[&str]| {
        let trust = d("signing.key.pub");
        let mut args = vec!["bundle", "verify", "--trust", &trust];
        let owned: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        args.extend(owned.iter().map(String::as_str));
        let bundle = d(bundle);
        args.push(&bundle);
        warden_cmd(dir.path(), &args)
    };
    let mut bytes = std::fs::read(d("b.tar.gz")).expect("read bundle");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(d("tampered.tar.gz"), bytes).expect("write");
    common::demo_filters(dir.path()).bind(|| {
        assert_cmd_snapshot!("bundle_verify", verify("b.tar.gz", &[]));
        assert_cmd_snapshot!(
            "bundle_verify_rollback",
            verify("b.tar.gz", &["--min-revision", "4"])
        );
    });
    // Not a snapshot: the archive holds the time it was signed and a fresh key, so the flipped
    // byte lands in another member (or the gzip trailer) from run to run and the reason varies.
    // What must hold is that it is refused and says why.
    let tampered = verify("tampered.tar.gz", &[])
        .output()
        .expect("the warden binary runs");
    assert_eq!(tampered.status.code(), Some(1));
    assert!(!text(&tampered.stderr).is_empty(), "a refusal says why");

    let published = warden(
        dir.path(),
        &[
            "bundle",
            "publish",
            &d("b.tar.gz"),
            "--to",
            &format!("file://{}/", d("central")),
        ],
    );
    assert_eq!(
        published.status.code(),
        Some(0),
        "{}",
        text(&published.stderr)
    );
}

#[test]
fn the_demo_runs_on_its_signed_bundle_and_every_query_is_audited_and_synced() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    let mut filters = common::demo_filters(h);
    // The Parquet writer decides the exact sizes; rows and partitions come from the seed.
    filters.add_filter(r"\d+ bytes of Parquet", "[N] bytes of Parquet");
    let _filters = filters.bind_to_scope();
    assert_cmd_snapshot!("workspace_init", warden_cmd(h, &["workspace", "init"]));

    let status = warden(h, &["bundle", "status", "--format", "json"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    let status = json(&status);
    assert_eq!(status["health"], "valid");
    assert_eq!(status["revision"], 1);
    assert_eq!(status["name"], "demo");
    assert!(
        status["source"]
            .as_str()
            .is_some_and(|s| s.starts_with("file://") && s.ends_with("/central/bundles/")),
        "{status}"
    );
    assert!(
        status["key_id"].is_string() && status["expires_at"].is_string(),
        "{status}"
    );

    assert_cmd_snapshot!(
        "bundle_fetch_unchanged",
        warden_cmd(h, &["bundle", "fetch"])
    );

    assert_eq!(
        warden(h, &["query", "SELECT count(*) AS n FROM sales.customers"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        warden(h, &["query", "SELECT ssn FROM sales.customers"])
            .status
            .code(),
        Some(1)
    );

    let log = warden(h, &["audit", "log", "--format", "json"]);
    assert_eq!(log.status.code(), Some(0), "{}", text(&log.stderr));
    let kinds: Vec<String> = json(&log)
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "bundle_updated",
            "query_started",
            "query_finished",
            "query_blocked"
        ]
    );
    assert_cmd_snapshot!(
        "audit_log_blocked",
        warden_cmd(
            h,
            &["audit", "log", "--kind", "query_blocked", "--since", "1h"],
        )
    );
    // The error lists the kinds.
    assert_cmd_snapshot!(
        "audit_log_unknown_kind",
        warden_cmd(h, &["audit", "log", "--kind", "query_exploded"])
    );
    assert_cmd_snapshot!("audit_verify", warden_cmd(h, &["audit", "verify"]));

    // Each `warden query` sent its events before it exited: nothing waits for a later sync
    // (the bundle_updated of `init` went with the first query).
    let before = json(&warden(h, &["audit", "status", "--format", "json"]));
    assert_eq!(before["pending"], 0, "{before}");
    assert_cmd_snapshot!(
        "audit_sync_nothing_pending",
        warden_cmd(h, &["audit", "sync"])
    );
    let after = json(&warden(h, &["audit", "status", "--format", "json"]));
    assert_eq!(after["pending"], 0);
    assert_eq!(after["last_synced_seq"], 4);
    assert!(after["last_success"].is_string());

    let store = after["store"].as_str().expect("demo store").to_string();
    assert_cmd_snapshot!(
        "audit_verify_store",
        warden_cmd(h, &["audit", "verify-store", "--store", &store])
    );
    let report = json(&warden(
        h,
        &[
            "audit",
            "verify-store",
            "--store",
            &store,
            "--format",
            "json",
        ],
    ));
    assert_eq!(report["intact"], true, "{report}");
    assert_eq!(
        report["devices"][0]["writers"],
        serde_json::json!(["local"])
    );
    assert_eq!(report["devices"][0]["reuploads"], 0);
    // Exactly once: the same answer as before.
    assert_cmd_snapshot!(
        "audit_sync_nothing_pending",
        warden_cmd(h, &["audit", "sync"])
    );
}

#[test]
fn a_tampered_journal_is_named_by_its_first_broken_sequence_number() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    for sql in ["SELECT 1", "SELECT 2", "SELECT 3"] {
        assert_eq!(warden(h, &["query", sql]).status.code(), Some(0));
    }
    let journal = h.join("data/workspaces/demo/audit/journal.sqlite");
    let conn = rusqlite::Connection::open(&journal).expect("open journal");
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("triggers");
    for t in triggers {
        conn.execute_batch(&format!("DROP TRIGGER {t}"))
            .expect("drop trigger");
    }
    conn.execute(
        "UPDATE events SET payload = replace(payload, 'SELECT 2', 'SELECT 9') WHERE seq = 4",
        [],
    )
    .expect("tamper");
    drop(conn);
    common::demo_filters(h).bind(|| {
        assert_cmd_snapshot!("audit_verify_tampered", warden_cmd(h, &["audit", "verify"]));
    });
}

#[test]
fn a_bundle_signed_by_an_unknown_key_is_refused_and_the_cached_one_stays() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    assert_eq!(warden(h, &["workspace", "init"]).status.code(), Some(0));
    let d = |name: &str| h.join(name).display().to_string();
    std::fs::write(d("policy.yaml"), PII_READ).expect("write policy");
    assert_eq!(
        warden(h, &["bundle", "keygen", "--out", &d("rogue.key")])
            .status
            .code(),
        Some(0)
    );
    let built = warden(
        h,
        &[
            "bundle",
            "build",
            "--policy",
            &d("policy.yaml"),
            "--revision",
            "7",
            "--key",
            &d("rogue.key"),
            "--out",
            &d("rogue.tar.gz"),
        ],
    );
    assert_eq!(built.status.code(), Some(0), "{}", text(&built.stderr));
    let source = format!("file://{}", d("rogue.tar.gz"));

    let filters = common::demo_filters(h);
    filters.bind(|| {
        assert_cmd_snapshot!(
            "bundle_fetch_unknown_key",
            warden_cmd(h, &["bundle", "fetch", "--source", &source])
        );
    });
    let status = json(&warden(h, &["bundle", "status", "--format", "json"]));
    assert_eq!(status["revision"], 1);
    assert_eq!(status["last_fetch"]["result"], "refused");
    let log = warden(h, &["audit", "log", "--kind", "bundle_rejected"]);
    assert_eq!(
        text(&log.stdout).lines().count(),
        1,
        "{}",
        text(&log.stdout)
    );

    // Trusting its key for this fetch does not make it this workspace's bundle: it is named
    // for another team (cli-test), and the workspace is pinned to the first name it accepted.
    let rogue_pub = format!("{}.pub", d("rogue.key"));
    filters.bind(|| {
        assert_cmd_snapshot!(
            "bundle_fetch_another_team",
            warden_cmd(
                h,
                &["bundle", "fetch", "--source", &source, "--trust", &rogue_pub],
            )
        );
    });
    // Without that key in the configuration the cached bundle is refused at the next start, and
    // the configured source's bundle is fetched again.
    let after = warden(h, &["query", "SELECT 1"]);
    assert_eq!(after.status.code(), Some(0), "{}", text(&after.stderr));
    let status = json(&warden(h, &["bundle", "status", "--format", "json"]));
    assert_eq!(
        (status["name"].as_str(), status["revision"].as_u64()),
        (Some("demo"), Some(1)),
        "{status}"
    );
}

#[test]
fn a_managed_configuration_pins_the_trusted_keys() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    let managed = h.join("managed.toml");
    std::fs::write(
        &managed,
        "[workspaces.demo]\nkind = \"demo\"\n[workspaces.demo.bundle]\ngrace = \"1d\"\nsource = \"file:///srv/bundles/\"\ntrust = [\"/etc/warden/security.pub\"]\n[workspaces.demo.audit]\nstore = \"file:///srv/audit/\"\n",
    )
    .expect("write");
    let mut fetch = warden_cmd(h, &["bundle", "fetch", "--trust", "/tmp/mine.pub"]);
    fetch.env("WARDEN_MANAGED_CONFIG", &managed);
    common::with_filters(h, || {
        assert_cmd_snapshot!("bundle_fetch_managed_trust", fetch);
    });
}

#[test]
fn an_approver_lists_and_decides_requests_once() {
    let home = tempfile::tempdir().expect("tempdir");
    let init = warden(home.path(), &["workspace", "init"]);
    assert_eq!(init.status.code(), Some(0), "{}", text(&init.stderr));

    // The analyst's side: the app asks for the demo's manual elevation through the gate.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let ws = warden_core::Workspace::find(&warden_core::Home::under(home.path()), None)
        .expect("workspace");
    let gate = runtime.block_on(ws.open_gate()).expect("gate");
    let ask = |why: &str| warden_core::ElevationRequest {
        name: "large-scan".into(),
        duration: None,
        justification: why.into(),
        ticket: None,
        extends: None,
    };
    let id = gate
        .request_elevation(ask("year-end report"))
        .expect("submitted")
        .request_id
        .expect("pending id");

    let listed = warden(home.path(), &["elevation", "list", "--format", "json"]);
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
    let open: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("json");
    assert_eq!(open[0]["id"], id.as_str());
    assert_eq!(open[0]["name"], "large-scan");
    assert_eq!(open[0]["reason"], "year-end report");

    let filters = common::demo_filters(home.path());
    filters.bind(|| {
        assert_cmd_snapshot!(
            "elevation_approve",
            warden_cmd(home.path(), &["elevation", "approve", &id])
        );
        assert_cmd_snapshot!(
            "elevation_deny_decided",
            warden_cmd(
                home.path(),
                &["elevation", "deny", &id, "--reason", "changed my mind"],
            )
        );
    });

    let changes = gate.check_elevations();
    assert_eq!(changes.granted.len(), 1, "the app picks up the approval");
    assert_eq!(
        gate.elevations().into_iter().collect::<Vec<_>>(),
        ["large-scan"]
    );

    // A denial needs a reason; then the requester hears it.
    gate.end_elevation("large-scan").expect("end");
    let id = gate
        .request_elevation(ask("again"))
        .expect("submitted")
        .request_id
        .expect("pending id");
    let no_reason = warden(home.path(), &["elevation", "deny", &id]);
    assert_eq!(
        no_reason.status.code(),
        Some(2),
        "clap refuses a denial without --reason"
    );
    let denied = warden(
        home.path(),
        &["elevation", "deny", &id, "--reason", "filter on dt instead"],
    );
    assert_eq!(denied.status.code(), Some(0), "{}", text(&denied.stderr));
    assert_eq!(
        gate.check_elevations().denied,
        vec![("large-scan".to_string(), "filter on dt instead".to_string())]
    );
    let empty = warden(home.path(), &["elevation", "list"]);
    assert_eq!(
        text(&empty.stdout).trim(),
        "no requests are waiting for a decision"
    );

    filters.bind(|| {
        assert_cmd_snapshot!(
            "elevation_approve_not_an_id",
            warden_cmd(home.path(), &["elevation", "approve", "../../etc/passwd"])
        );
    });
}
