//! The attacks of the security review (issue 11), each played against the real binary.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{json, report, text, warden, warden_cmd};
use insta::assert_snapshot;

/// `warden` under libfaketime with the wall clock frozen at `at` (the monotonic clock is left
/// alone, so timeouts still work). No privileges needed: this is what an analyst can do.
fn warden_frozen(home: &Path, at: chrono::DateTime<chrono::Utc>, args: &[&str]) -> Output {
    let faketime = ["/usr/bin/faketime", "/usr/local/bin/faketime"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .expect("faketime is installed (Debian package faketime, see scripts/system-packages.txt)");
    Command::new(faketime)
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .arg(at.format("%Y-%m-%d %H:%M:%S").to_string())
        .arg(env!("CARGO_BIN_EXE_warden"))
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .expect("faketime runs warden")
}

fn demo_dir(home: &Path) -> PathBuf {
    home.join("data").join("workspaces").join("demo")
}

#[test]
fn a_frozen_clock_cannot_keep_an_old_policy_in_force() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    let frozen = chrono::Utc::now() - chrono::Duration::days(2);
    // The analyst's machine took revision 1 two days ago, then froze its clock there.
    let init = warden_frozen(h, frozen, &["workspace", "init"]);
    assert_eq!(init.status.code(), Some(0), "{}", text(&init.stderr));
    let status = json(&warden_frozen(
        h,
        frozen,
        &["bundle", "status", "--format", "json"],
    ));
    assert_eq!(status["health"], "valid", "{status}");
    // The security team publishes revision 2 today.
    let dir = demo_dir(h);
    let out = h.join("rev2.tar.gz");
    let built = warden(
        h,
        &[
            "bundle",
            "build",
            "--policy",
            dir.join("policy.yaml").to_str().expect("utf-8"),
            "--revision",
            "2",
            "--key",
            dir.join("keys/demo-signing.key").to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(built.status.code(), Some(0), "{}", text(&built.stderr));
    let store = format!("file://{}/", dir.join("central/bundles").display());
    let published = warden(
        h,
        &[
            "bundle",
            "publish",
            out.to_str().expect("utf-8"),
            "--to",
            &store,
        ],
    );
    assert_eq!(
        published.status.code(),
        Some(0),
        "{}",
        text(&published.stderr)
    );

    // Under the frozen clock the new revision is "issued in the future"; the old one must not
    // stay in force because of that.
    let fetch = warden_frozen(h, frozen, &["bundle", "fetch"]);
    let status = warden_frozen(h, frozen, &["bundle", "status", "--format", "json"]);
    let query = warden_frozen(
        h,
        frozen,
        &["query", "SELECT count(*) FROM sales.customers"],
    );
    common::demo_filters(h).bind(|| {
        assert_snapshot!("frozen_clock_fetch", report(&fetch));
        assert_snapshot!("frozen_clock_status", report(&status));
        assert_snapshot!("frozen_clock_query", report(&query));
    });

    // With the clock right again, the new revision is fetched and everything runs.
    let fetch = warden(h, &["bundle", "fetch"]);
    assert_eq!(fetch.status.code(), Some(0), "{}", text(&fetch.stderr));
    let status = json(&warden(h, &["bundle", "status", "--format", "json"]));
    assert_eq!(
        (status["health"].clone(), status["revision"].clone()),
        ("valid".into(), 2.into())
    );
}

/// Runs `warden ARGS | head -c1` for real: a shell pipeline whose reader quits after one byte.
fn piped_into_head(home: &Path, args: &str) -> (String, String) {
    let script = format!(
        "'{}' --home '{}' {args} 2>'{}/stderr'; echo $? >'{}/status'",
        env!("CARGO_BIN_EXE_warden"),
        home.display(),
        home.display(),
        home.display()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("({script}) | head -c1 >/dev/null"))
        .output()
        .expect("sh runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    (
        std::fs::read_to_string(home.join("stderr")).unwrap_or_default(),
        std::fs::read_to_string(home.join("status")).unwrap_or_default(),
    )
}

/// Runs `warden ARGS` with its standard output a pipe whose reader is already gone, so that the
/// very first write fails, however short the output.
fn into_a_closed_pipe(home: &Path, args: &[&str]) -> Output {
    let mut child = warden_cmd(home, args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("warden starts");
    drop(child.stdout.take());
    child.wait_with_output().expect("warden ends")
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    let init = warden(h, &["workspace", "init"]);
    assert_eq!(init.status.code(), Some(0), "{}", text(&init.stderr));
    let commands: [&[&str]; 6] = [
        &["bundle", "status"],
        &["bundle", "status", "--format", "json"],
        &["workspace", "show"],
        &["audit", "log"],
        &["audit", "verify"],
        &["query", "SELECT country FROM sales.customers LIMIT 3"],
    ];
    // Whatever was written before the pipe closed is lost; what counts is a clean end: exit 0
    // and nothing on stderr (no panic, no "Broken pipe").
    for args in commands {
        let out = into_a_closed_pipe(h, args);
        assert_eq!(
            (out.status.code(), text(&out.stderr).as_str()),
            (Some(0), ""),
            "{args:?}"
        );
    }
    // The shell pipeline itself, with more rows than a pipe buffers.
    for args in [
        "bundle status",
        "query --format csv 'SELECT customer_id, country FROM sales.customers'",
    ] {
        let (stderr, status) = piped_into_head(h, args);
        // Not empty, and not a snapshot: a query still says on stderr how many rows it read and
        // how long it took (times vary); what this checks is that nothing else is there.
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args}: {stderr}"
        );
        assert_eq!(status.trim(), "0", "{args}: {stderr}");
    }
}

/// Builds and publishes the demo's policy as `revision` for `audience` into the demo's source.
fn publish_demo(home: &Path, revision: &str, audience: &str) -> Output {
    let dir = demo_dir(home);
    let out = home.join(format!("rev{revision}.tar.gz"));
    let built = warden(
        home,
        &[
            "bundle",
            "build",
            "--policy",
            dir.join("policy.yaml").to_str().expect("utf-8"),
            "--revision",
            revision,
            "--key",
            dir.join("keys/demo-signing.key").to_str().expect("utf-8"),
            "--audience",
            audience,
            "--out",
            out.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(built.status.code(), Some(0), "{}", text(&built.stderr));
    let store = format!("file://{}/", dir.join("central/bundles").display());
    let published = warden(
        home,
        &[
            "bundle",
            "publish",
            out.to_str().expect("utf-8"),
            "--to",
            &store,
        ],
    );
    assert_eq!(
        published.status.code(),
        Some(0),
        "{}",
        text(&published.stderr)
    );
    built
}

#[test]
fn a_bundle_signed_for_another_audience_is_refused_and_recorded() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    let init = warden(h, &["workspace", "init"]);
    assert_eq!(init.status.code(), Some(0), "{}", text(&init.stderr));

    // Signed by the workspace's own trusted key, but for another team's workspace.
    let built = publish_demo(h, "2", "marketing");
    let fetch = warden(h, &["bundle", "fetch"]);
    let status = json(&warden(h, &["bundle", "status", "--format", "json"]));
    assert_eq!(status["revision"], 1, "{status}");
    let log = warden(h, &["audit", "log", "--kind", "bundle_rejected"]);
    common::demo_filters(h).bind(|| {
        assert_snapshot!("audience_build", report(&built));
        assert_snapshot!("audience_fetch_refused", report(&fetch));
        assert_snapshot!("audience_rejection_recorded", report(&log));
    });

    // Signed for this workspace (its audience is its name): in force.
    publish_demo(h, "3", "demo");
    let fetch = warden(h, &["bundle", "fetch"]);
    assert_eq!(fetch.status.code(), Some(0), "{}", text(&fetch.stderr));
    let status = json(&warden(h, &["bundle", "status", "--format", "json"]));
    assert_eq!(status["revision"], 3, "{status}");
}

#[test]
fn a_query_whose_events_cannot_be_sent_warns_and_keeps_them() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    let init = warden(h, &["workspace", "init"]);
    assert_eq!(init.status.code(), Some(0), "{}", text(&init.stderr));
    // A store nobody can write to (not even root): /proc takes no new folders.
    std::fs::create_dir_all(h.join("config")).expect("config dir");
    std::fs::write(
        h.join("config/config.toml"),
        "[workspaces.demo]\nkind = \"demo\"\n[workspaces.demo.audit]\nstore = \"file:///proc/warden-nowhere/\"\n",
    )
    .expect("config");
    let query = warden(h, &["query", "SELECT count(*) AS n FROM sales.customers"]);
    common::demo_filters(h).bind(|| {
        assert_snapshot!("events_kept_when_the_store_refuses", report(&query));
    });
    let status = json(&warden(h, &["audit", "status", "--format", "json"]));
    assert_eq!(status["last_synced_seq"], 0, "{status}");
    assert!(
        status["pending"].as_u64().is_some_and(|p| p >= 3),
        "{status}"
    );
    let log = warden(h, &["audit", "log", "--kind", "query_finished"]);
    assert_eq!(
        text(&log.stdout).lines().count(),
        1,
        "{}",
        text(&log.stdout)
    );
}

#[test]
fn a_managed_workspace_keeps_its_journal_where_home_cannot_move_it() {
    let root = tempfile::tempdir().expect("tempdir");
    let r = root.path();
    let managed = r.join("managed.toml");
    std::fs::write(
        &managed,
        "[workspaces.team]\nkind = \"athena\"\n[workspaces.team.bundle]\nsource = \"file:///srv/bundles/\"\ntrust = [\"/etc/warden/security.pub\"]\n[workspaces.team.audit]\nstore = \"file:///srv/audit/\"\n",
    )
    .expect("managed");
    let platform = r.join("xdg-data");
    let journal_of = |command: &mut Command| {
        let output = command
            .env("WARDEN_MANAGED_CONFIG", &managed)
            .env("XDG_DATA_HOME", &platform)
            .args(["audit", "status", "--workspace", "team", "--format", "json"])
            .output()
            .expect("warden runs");
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        PathBuf::from(json(&output)["journal"].as_str().expect("journal path"))
    };
    let throwaway = r.join("throwaway");
    let by_flag = journal_of(&mut warden_cmd(&throwaway, &[]));
    let mut by_env = Command::new(env!("CARGO_BIN_EXE_warden"));
    by_env.env("WARDEN_HOME", r.join("another"));
    let by_env = journal_of(&mut by_env);
    assert_eq!(by_flag, by_env);
    assert!(by_flag.starts_with(&platform), "{}", by_flag.display());
    assert!(!throwaway.join("data/workspaces/team").exists());
}

/// The journal's files (database, WAL, shared memory) as they are now.
fn snapshot(journal: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| {
            let file = PathBuf::from(format!("{}{suffix}", journal.display()));
            let bytes = std::fs::read(&file).ok();
            (file, bytes)
        })
        .collect()
}

#[test]
fn a_journal_copied_back_is_reported_as_a_fork_locally_and_centrally() {
    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    let init = warden(h, &["workspace", "init"]);
    assert_eq!(init.status.code(), Some(0), "{}", text(&init.stderr));
    let query = "SELECT count(*) AS n FROM sales.customers";
    let first = warden(h, &["query", query]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let status = json(&warden(h, &["audit", "status", "--format", "json"]));
    let journal = PathBuf::from(status["journal"].as_str().expect("journal"));
    let store = status["store"].as_str().expect("store").to_string();

    // The analyst keeps a copy, runs more queries (synced as each run ends), then puts it back.
    let copy = snapshot(&journal);
    for _ in 0..2 {
        let run = warden(h, &["query", query]);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    }
    for (file, bytes) in &copy {
        match bytes {
            Some(bytes) => std::fs::write(file, bytes).expect("restore"),
            None => {
                let _ = std::fs::remove_file(file);
            }
        }
    }
    let verify = warden(h, &["audit", "verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stderr));

    // The next run's sync finds the erased events in the store.
    let after = warden(h, &["query", query]);
    // One report per object of the erased runs (each run synced its own), each a fork.
    let log = warden(h, &["audit", "log", "--kind", "store_tampering"]);
    let status = json(&warden(h, &["audit", "status", "--format", "json"]));
    assert_eq!(status["pending"], 0, "{status}");
    // The store names the fork and the device's own report of it, and no repeated sequence
    // numbers: the copied-back events are the same events, not new ones.
    let central = warden(h, &["audit", "verify-store", "--store", &store]);
    common::demo_filters(h).bind(|| {
        assert_snapshot!("fork_found_by_the_next_sync", report(&after));
        assert_snapshot!("fork_reports", report(&log));
        assert_snapshot!("fork_in_the_store", report(&central));
    });
}
