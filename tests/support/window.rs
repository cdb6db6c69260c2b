//! What the end-to-end tests read and do in Warden's window, through WebDriver.

use std::time::Duration;

use serde_json::json;

use super::wait_for;
use super::webdriver::Session;

/// How long a test waits for the window to show something.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The verdict the toolbar shows (`data-verdict`).
pub fn verdict(s: &Session<'_>) -> Option<String> {
    let el = s.find("#verdict").ok().flatten()?;
    s.attribute(&el, "data-verdict").ok().flatten()
}

pub fn wait_verdict(s: &Session<'_>, want: &str) -> Result<(), String> {
    wait_for(&format!("verdict {want}"), PATIENCE, || {
        (verdict(s).as_deref() == Some(want)).then_some(())
    })
}

/// Replaces the editor's text (the app's test hook), as typing it would.
pub fn set_sql(s: &Session<'_>, sql: &str) -> Result<(), String> {
    s.execute("window.__warden.setSql(arguments[0]);", json!([sql]))
        .map(|_| ())
}

pub fn run_disabled(s: &Session<'_>) -> Result<bool, String> {
    let run = s.control("button", "Run")?;
    Ok(s.attribute(&run, "disabled")?.is_some())
}

/// The text of the first element `selector` matches, if any.
pub fn text_of(s: &Session<'_>, selector: &str) -> Option<String> {
    s.execute(
        "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
        json!([selector]),
    )
    .ok()?
    .as_str()
    .map(str::to_string)
}

/// The first-run panel (a region named by its title), while it is shown.
pub fn welcome(s: &Session<'_>) -> Option<String> {
    s.find_by_role("region", Some("Welcome to Warden"), None, None)
        .ok()
        .flatten()
}

/// Waits for the dialog named `name` (its title) and gives it.
pub fn wait_dialog(s: &Session<'_>, name: &str) -> Result<String, String> {
    wait_for(&format!("the {name:?} dialog"), PATIENCE, || {
        s.find_by_role("dialog", Some(name), None, None)
            .ok()
            .flatten()
    })
}

/// Waits until no dialog named `name` is shown.
pub fn wait_dialog_gone(s: &Session<'_>, name: &str) -> Result<(), String> {
    wait_for(&format!("the {name:?} dialog to close"), PATIENCE, || {
        s.find_by_role("dialog", Some(name), None, None)
            .ok()
            .and_then(|d| d.is_none().then_some(()))
    })
}
