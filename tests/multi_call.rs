//! The package ships one executable: `/usr/bin/warden` is a link to `warden-desktop`, which runs
//! the command line when started under the name `warden` (src-tauri/src/main.rs). Started so, it
//! behaves as the standalone `warden` binary (same output and exit status) and needs no display:
//! every run here has neither DISPLAY nor WAYLAND_DISPLAY, where the app itself would only say
//! that it cannot open a window.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// What a run printed and how it ended.
#[derive(Debug, PartialEq)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(program: &Path, args: &[&str]) -> Run {
    let out = Command::new(program)
        .args(args)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A folder holding `NAME`, a link to the debug `warden-desktop`, as the package installs
/// `/usr/bin/warden`.
fn linked_as(name: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join(name);
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_warden-desktop"), &link).unwrap();
    (dir, link)
}

/// The standalone CLI of crates/cli, built beside the app by `cargo test --workspace`.
fn standalone() -> PathBuf {
    let cli = Path::new(env!("CARGO_BIN_EXE_warden-desktop")).with_file_name("warden");
    assert!(
        cli.is_file(),
        "{} is missing: build the workspace's binaries first (cargo test --workspace --no-run)",
        cli.display()
    );
    cli
}

/// Runs the same arguments through the link and the standalone CLI, checks that they agree, and
/// returns the run.
fn same_as_standalone(link: &Path, args: &[&str]) -> Run {
    let linked = run(link, args);
    let cli = run(&standalone(), args);
    assert_eq!(
        linked, cli,
        "warden {args:?} through the link to warden-desktop"
    );
    assert!(
        !linked.stderr.contains("desktop app"),
        "the app ran instead of the CLI: {}",
        linked.stderr
    );
    linked
}

#[test]
fn started_as_warden_it_answers_version_and_help_as_the_cli() {
    let (_dir, warden) = linked_as("warden");

    let version = same_as_standalone(&warden, &["--version"]);
    assert_eq!(version.code, Some(0));
    assert_eq!(
        version.stdout,
        format!("warden {}\n", env!("CARGO_PKG_VERSION"))
    );

    for args in [&["--help"][..], &["lint", "--help"]] {
        let help = same_as_standalone(&warden, args);
        assert_eq!(help.code, Some(0), "{help:?}");
        assert!(help.stdout.contains("Usage: warden"), "{}", help.stdout);
    }
}

#[test]
fn started_as_warden_it_refuses_a_lint_as_the_cli() {
    let (_dir, warden) = linked_as("warden");
    let home = tempfile::tempdir().unwrap();
    let policy = home.path().join("policy.yaml");
    let sql = home.path().join("elevate.sql");
    std::fs::write(&policy, warden_test_support::policies::PII_READ).unwrap();
    std::fs::write(&sql, "SELECT email FROM sales.customers\n").unwrap();
    let home_arg = home.path().to_str().unwrap();
    let (policy, sql) = (policy.to_str().unwrap(), sql.to_str().unwrap());

    // A query that needs an elevation: refused, exit 1, the rule's diagnostic on stdout.
    let refused = same_as_standalone(
        &warden,
        &["--home", home_arg, "lint", "--policy", policy, sql],
    );
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused
            .stdout
            .contains("error[pii]: sales.customers.email is tagged pii"),
        "{}",
        refused.stdout
    );

    // A policy that is not there: a usage error, exit 2, the reason on stderr.
    let missing = home.path().join("missing.yaml");
    let usage = same_as_standalone(
        &warden,
        &[
            "--home",
            home_arg,
            "lint",
            "--policy",
            missing.to_str().unwrap(),
            sql,
        ],
    );
    assert_eq!(usage.code, Some(2), "{usage:?}");
    assert!(usage.stderr.starts_with("warden: "), "{}", usage.stderr);
}

#[test]
fn under_any_other_name_it_is_the_app() {
    // Only the exact name selects the CLI: a link named otherwise starts the app, which here,
    // with no display, says so and exits 1.
    for name in ["warden-desktop", "warden-cli", "Warden"] {
        let (_dir, link) = linked_as(name);
        let app = run(&link, &["--version"]);
        assert_eq!(app.code, Some(1), "{name}: {app:?}");
        assert!(
            app.stderr
                .contains("the desktop app cannot open a window: there is no display"),
            "{name}: {}",
            app.stderr
        );
    }
}
