//! The local AWS sandbox (`scripts/sandbox.sh`) started and signed in from the command line,
//! and a display and WebKitWebDriver ready to open the app on its `sandbox` workspace, which
//! finds the session in the same keyring.

use std::path::Path;

use warden_test_support::sandbox::{output_text, Sandbox};

use super::display::Xvfb;
use super::webdriver::Driver;

/// Fields drop in order: the driver (and the app it started) before the display, the sandbox's
/// servers last.
pub struct SandboxWindow {
    pub driver: Driver,
    pub xvfb: Xvfb,
    pub sandbox: Sandbox,
}

/// `repo`: the checkout (`CARGO_MANIFEST_DIR`); `app`: the app binary of the test's build.
pub fn start(repo: &Path, app: &Path) -> Result<SandboxWindow, String> {
    assert!(
        std::env::var_os("WARDEN_TEST_KEYRING").is_some(),
        "run through scripts/test.sh, or: dbus-run-session -- scripts/with-keyring.sh cargo test --test NAME"
    );
    let sandbox = Sandbox::new(repo, app);
    let out = sandbox.script("start");
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let out = sandbox.warden(&["login", "--workspace", "sandbox", "--device-code"]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
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
    Ok(SandboxWindow {
        driver,
        xvfb,
        sandbox,
    })
}
