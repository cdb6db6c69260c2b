//! End to end on AWS, locally: `make sandbox` (moto, the SSO fake, the Athena stand-in over the
//! demo lake, the broker), a sign-in kept in the real OS keyring, and the real app window running
//! queries on the `sandbox` workspace through the Athena engine. Needs the keyring session of
//! scripts/with-keyring.sh (`scripts/test.sh` provides it).

// Shared with tests/e2e.rs, which uses the parts this test does not.
#[allow(dead_code)]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::json;
use support::display::Xvfb;
use support::wait_for;
use support::webdriver::{Driver, Session};

const PATIENCE: Duration = Duration::from_secs(60);

/// The sandbox's servers and home; stopped when dropped, so a failing test leaves nothing behind.
struct Sandbox {
    repo: PathBuf,
    target: PathBuf,
    home: tempfile::TempDir,
    user_home: tempfile::TempDir,
    state: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let app = Path::new(env!("CARGO_BIN_EXE_warden-desktop"));
        let target = app
            .parent()
            .and_then(Path::parent)
            .expect("the binaries live in TARGET/debug")
            .to_path_buf();
        let sandbox = Sandbox {
            repo: Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf(),
            target,
            home: tempfile::tempdir().unwrap(),
            user_home: tempfile::tempdir().unwrap(),
            state: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(sandbox.user_home.path().join(".aws")).unwrap();
        sandbox
    }

    fn env(&self, cmd: &mut Command) {
        cmd.env("WARDEN_HOME", self.home.path())
            .env("WARDEN_SANDBOX_STATE", self.state.path())
            .env("WARDEN_SANDBOX_PREBUILT", "1")
            .env("CARGO_TARGET_DIR", &self.target)
            .env("HOME", self.user_home.path())
            .env_remove("AWS_PROFILE")
            .env("BROWSER", "/nonexistent-browser");
    }

    fn script(&self, arg: &str) -> Output {
        let mut cmd = Command::new(self.repo.join("scripts/sandbox.sh"));
        cmd.arg(arg);
        self.env(&mut cmd);
        cmd.output().expect("scripts/sandbox.sh runs")
    }

    fn warden(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(self.target.join("debug/warden"));
        self.env(&mut cmd);
        cmd.args(args).output().expect("warden runs")
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.script("stop");
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn verdict(s: &Session<'_>) -> Option<String> {
    let el = s.find("#verdict").ok().flatten()?;
    s.attribute(&el, "data-verdict").ok().flatten()
}

fn wait_verdict(s: &Session<'_>, want: &str) -> Result<(), String> {
    wait_for(&format!("verdict {want}"), PATIENCE, || {
        (verdict(s).as_deref() == Some(want)).then_some(())
    })
}

fn set_sql(s: &Session<'_>, sql: &str) -> Result<(), String> {
    s.execute("window.__warden.setSql(arguments[0]);", json!([sql]))
        .map(|_| ())
}

fn text_of(s: &Session<'_>, selector: &str) -> Option<String> {
    s.execute(
        "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
        json!([selector]),
    )
    .ok()?
    .as_str()
    .map(str::to_string)
}

fn grid_cells(s: &Session<'_>) -> Vec<String> {
    s.execute(
        "return [...document.querySelectorAll('#grid .grid-row .grid-cell')].map(c => c.textContent);",
        json!([]),
    )
    .ok()
    .and_then(|v| serde_json::from_value(v).ok())
    .unwrap_or_default()
}

#[test]
fn the_window_runs_queries_on_athena_in_the_sandbox_within_its_policy() -> Result<(), String> {
    assert!(
        std::env::var_os("WARDEN_TEST_KEYRING").is_some(),
        "run through scripts/test.sh, or: dbus-run-session -- scripts/with-keyring.sh cargo test --test e2e_athena"
    );
    let sandbox = Sandbox::new();
    let out = sandbox.script("start");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Signed in from the command line: the window finds the session in the same keyring.
    let out = sandbox.warden(&["login", "--workspace", "sandbox", "--device-code"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let data = sandbox.home.path().join("data");
    std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
    std::fs::write(data.join("window-workspace"), "sandbox").map_err(|e| e.to_string())?;

    let xvfb = Xvfb::start()?;
    let driver = Driver::start(
        &xvfb.display,
        &[
            ("WARDEN_HOME", sandbox.home.path()),
            ("HOME", sandbox.user_home.path()),
        ],
    )?;
    let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
    wait_for("the signed-in identity in the status bar", PATIENCE, || {
        text_of(&s, "#sign-in-identity").filter(|t| !t.contains("signed out") && !t.is_empty())
    })?;
    assert!(
        s.find("#welcome")?.is_none(),
        "the demo's welcome panel is not shown on an AWS workspace"
    );

    // The sandbox's signed policy guards the window: personal data needs an elevation.
    set_sql(&s, "SELECT email FROM sales.customers")?;
    wait_verdict(&s, "elevate")?;

    // An allowed query runs on the Athena stand-in and its rows land in the grid.
    set_sql(
        &s,
        "SELECT country, count(*) AS n FROM sales.customers GROUP BY country ORDER BY country",
    )?;
    wait_verdict(&s, "allow")?;
    let run = s.find("#run")?.ok_or("no #run button")?;
    s.click(&run)?;
    let cells = wait_for("rows from Athena in the grid", PATIENCE, || {
        Some(grid_cells(&s)).filter(|c| !c.is_empty())
    })?;
    // The same rows as the command line gets from the same workspace.
    let out = sandbox.warden(&[
        "query",
        "--workspace",
        "sandbox",
        "--format",
        "csv",
        "SELECT country, count(*) AS n FROM sales.customers GROUP BY country ORDER BY country",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let csv = String::from_utf8_lossy(&out.stdout).into_owned();
    let first_row: Vec<&str> = csv
        .lines()
        .nth(1)
        .ok_or("the CLI printed no row")?
        .split(',')
        .collect();
    assert_eq!(&cells[..2], &first_row[..], "grid {cells:?}, CLI {csv}");

    // The journal names the run's Athena execution.
    let out = sandbox.warden(&["audit", "log", "--workspace", "sandbox", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let journal: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let finished: Vec<_> = journal
        .iter()
        .filter(|e| e["kind"] == "query_finished")
        .collect();
    assert_eq!(
        finished.len(),
        2,
        "the window's run and the CLI's: {journal:?}"
    );
    for event in finished {
        assert_eq!(event["payload"]["engine"]["engine"], "athena", "{event}");
        assert!(
            event["payload"]["engine"]["query_id"].is_string(),
            "{event}"
        );
    }
    Ok(())
}
