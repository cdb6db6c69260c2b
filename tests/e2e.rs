//! End to end: the real app binary in a real window (WebKitGTK under Xvfb), driven through
//! WebKitWebDriver. It proves the path editor -> lint -> gate -> engine -> grid as a user sees it.

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use support::display::Xvfb;
use support::wait_for;
use support::webdriver::{Driver, Session};
use warden_core::{Home, Workspace};

const PATIENCE: Duration = Duration::from_secs(30);

fn verdict(s: &Session<'_>) -> Option<String> {
    let el = s.find("#verdict").ok().flatten()?;
    s.attribute(&el, "data-verdict").ok().flatten()
}

fn wait_verdict(s: &Session<'_>, want: &str) -> Result<(), String> {
    wait_for(&format!("verdict {want}"), PATIENCE, || (verdict(s).as_deref() == Some(want)).then_some(()))
}

fn set_sql(s: &Session<'_>, sql: &str) -> Result<(), String> {
    s.execute("window.__warden.setSql(arguments[0]);", json!([sql])).map(|_| ())
}

fn run_disabled(s: &Session<'_>) -> Result<bool, String> {
    let run = s.find("#run")?.ok_or("no #run button")?;
    Ok(s.attribute(&run, "disabled")?.is_some())
}

#[test]
fn the_window_lints_as_you_type_and_runs_allowed_queries() -> Result<(), String> {
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    // Initialise up front: the app would do it at start, but then the window waits for it.
    let ws = Workspace::find(&Home::under(home.path()), None).map_err(|e| e.to_string())?;
    tauri::async_runtime::block_on(ws.init()).map_err(|e| e.to_string())?;

    let xvfb = Xvfb::start()?;
    let driver = Driver::start(&xvfb.display, &[("WARDEN_HOME", home.path())])?;
    let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;

    let content = wait_for("the editor", PATIENCE, || s.find("#editor .cm-content").ok().flatten())?;
    wait_for("the status bar to name the demo workspace", PATIENCE, || {
        let status = s.find("#status").ok().flatten()?;
        s.text(&status).ok().filter(|t| t.contains("demo"))
    })?;

    // Typing a query that reads a restricted column: the diagnostic appears under it and Run is off.
    s.click(&content)?;
    s.send_keys(&content, "SELECT ssn FROM sales.customers")?;
    wait_for("a lint error mark in the editor", PATIENCE, || {
        s.find(".cm-lintRange-error").ok().flatten()
    })?;
    wait_verdict(&s, "deny")?;
    let marked = s.find(".cm-lintRange-error")?.ok_or("the error mark went away")?;
    assert_eq!(s.text(&marked)?, "ssn", "the mark covers the offending column");
    assert!(run_disabled(&s)?, "Run is disabled on a deny verdict");
    let reason_text = s
        .execute("return document.querySelector('#verdict-reason').textContent;", json!([]))?
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(reason_text.contains("ssn"), "the reason names the column: {reason_text:?}");

    // Personal data needs an elevation, and the window says which.
    set_sql(&s, "SELECT email FROM sales.customers")?;
    wait_verdict(&s, "elevate")?;
    let shown = s.find("#verdict")?.ok_or("no #verdict")?;
    assert!(s.text(&shown)?.contains("pii-read"), "the elevation is named");

    // An allowed query runs and its rows land in the grid.
    set_sql(&s, "SELECT country, count(*) AS customers FROM sales.customers GROUP BY country ORDER BY customers DESC")?;
    wait_verdict(&s, "allow")?;
    assert!(!run_disabled(&s)?, "Run is enabled on allow");
    let run = s.find("#run")?.ok_or("no #run button")?;
    s.click(&run)?;
    let rows = wait_for("rows in the grid", PATIENCE, || s.find_all("#grid .grid-row").ok().filter(|r| !r.is_empty()))?;
    let cells = s.find_all("#grid .grid-row .grid-cell")?;
    assert!(cells.len() >= 2 * rows.len(), "each row has a country and a count");
    let first = s.execute("return document.querySelector('#grid .grid-row .grid-cell').textContent;", json!([]))?;
    assert!(!first.as_str().unwrap_or_default().trim().is_empty(), "the first cell shows a country: {first}");
    let meta = s.find("#result-meta")?.ok_or("no #result-meta")?;
    let meta_text = wait_for("the result summary", PATIENCE, || s.text(&meta).ok().filter(|t| t.contains("row")))?;
    assert!(meta_text.contains("scanned"), "bytes scanned are shown: {meta_text}");
    let error = s.find("#error")?.ok_or("no #error")?;
    assert!(s.text(&error)?.trim().is_empty(), "no error is shown");

    // Keep a picture of the window for the README and for whoever reads a failed run.
    let png = s.screenshot()?;
    assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
    let target = std::env::var_os("WARDEN_SCREENSHOT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("warden-window.png"));
    std::fs::write(&target, png).map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    Ok(())
}
