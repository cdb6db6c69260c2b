//! Starting the app where no window can open, or losing the display while it runs, ends with a
//! plain sentence and exit code 1, not a panic from the windowing library nor a silent exit.

// Shared with the end-to-end tests; this file uses the display, WebDriver and wait parts.
#[allow(dead_code)]
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use support::display::Xvfb;
use support::wait_for;
use support::webdriver::{Driver, Name};
use support::window::{set_sql, wait_verdict, PATIENCE};
use warden_core::{Home, Workspace};

fn start(display: Option<&str>) -> (Option<i32>, String) {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_warden-desktop"));
    cmd.env("WARDEN_HOME", home.path())
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DISPLAY")
        .env("RUST_BACKTRACE", "1");
    if let Some(d) = display {
        // X11 only: GTK would otherwise also try a default Wayland socket, if one exists here.
        cmd.env("DISPLAY", d).env("GDK_BACKEND", "x11");
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn without_a_display_the_app_says_so_and_exits_1() {
    let (code, stderr) = start(None);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "warden: the desktop app cannot open a window: there is no display (neither DISPLAY nor \
         WAYLAND_DISPLAY is set). Start the app inside a desktop session, or use the `warden` \
         command line (`warden query`, `warden lint`), which needs no display.\n"
    );
}

#[test]
fn an_unreachable_display_is_named_without_a_panic() {
    // No X server listens on display 6543 (Xvfb in the other tests takes the lowest free one).
    let (code, stderr) = start(Some(":6543"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        "warden: the desktop app cannot open a window: GTK could not connect to the X display \
         \":6543\" (DISPLAY). Check that the display server is running and that this user may use \
         it (XAUTHORITY, xhost). Start the app inside a desktop session, or use the `warden` \
         command line (`warden query`, `warden lint`), which needs no display."
    );
}

/// How long the app may take to stop once its display is gone: the quit path runs first
/// (bounded at 20 s inside the app; with nothing to tell a broker it takes well under 1 s).
const STOP_BOUND: Duration = Duration::from_secs(30);

/// A demo home, initialised up front so that the window does not wait for it.
fn demo_home() -> Result<(tempfile::TempDir, Workspace), String> {
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ws = Workspace::find(&Home::under(home.path()), None).map_err(|e| e.to_string())?;
    tauri::async_runtime::block_on(ws.init()).map_err(|e| e.to_string())?;
    Ok((home, ws))
}

/// The app's log so far.
fn log(home: &Path) -> String {
    std::fs::read_dir(home.join("cache/logs"))
        .map(|dir| {
            dir.flatten()
                .map(|f| std::fs::read_to_string(f.path()).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default()
}

fn assert_plain_stop(stderr: &str, display: &str) {
    assert!(!stderr.contains("panicked"), "{stderr}");
    let said = stderr
        .lines()
        .find(|l| l.starts_with("warden: "))
        .unwrap_or_default();
    assert_eq!(
        said,
        format!(
            "warden: the display went away (DISPLAY={display}), so Warden stopped. Your query \
             tabs were kept (they are saved as you type) and elevations you held were ended, as \
             when the app quits. Start the app again inside a desktop session."
        ),
        "{stderr}"
    );
}

#[test]
fn a_display_going_away_is_named_and_the_app_exits_1() -> Result<(), String> {
    let (home, _ws) = demo_home()?;
    let xvfb = Xvfb::start()?;
    let display = xvfb.display.clone();
    let mut app = Command::new(env!("CARGO_BIN_EXE_warden-desktop"))
        .env("WARDEN_HOME", home.path())
        .env_remove("WAYLAND_DISPLAY")
        .env("DISPLAY", &display)
        .env("GDK_BACKEND", "x11")
        .env("NO_AT_BRIDGE", "1")
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stderr = app.stderr.take().ok_or("no stderr")?;
    let reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());

    // Up: the window is mapped and the app watches its display.
    let up = wait_for("the window and the display watch", PATIENCE, || {
        let mapped = xvfb
            .xdotool(&["search", "--onlyvisible", "--name", "^Warden$"])
            .ok()
            .filter(|found| !found.trim().is_empty());
        let watching = log(home.path()).contains("a lost display stops the app plainly");
        (mapped.is_some() && watching).then_some(())
    });
    if let Err(e) = up {
        let _ = app.kill();
        let _ = app.wait();
        return Err(format!(
            "{e}; stderr: {}",
            reader.join().unwrap_or_default()
        ));
    }

    drop(xvfb);
    let gone = Instant::now();
    let status = loop {
        if let Some(status) = app.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if gone.elapsed() > STOP_BOUND {
            let _ = app.kill();
            let _ = app.wait();
            return Err(format!(
                "the app still ran {STOP_BOUND:?} after its display went away"
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = reader.join().unwrap_or_default();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_plain_stop(&stderr, &display);
    let log = log(home.path());
    assert!(
        log.contains("the desktop app stops: the display went away"),
        "{log}"
    );
    Ok(())
}

/// A grant held when the display goes away ends as when the app quits: ended, recorded with
/// the reason, not left to run out on its own after the window is gone.
#[test]
fn a_grant_held_when_the_display_goes_away_ends_on_the_record() -> Result<(), String> {
    let (home, ws) = demo_home()?;
    let xvfb = Xvfb::start()?;
    let display = xvfb.display.clone();
    let stderr = home.path().join("stderr.txt");
    let driver =
        Driver::start_with_stderr(&display, &[("WARDEN_HOME", home.path())], Some(&stderr))?;
    let s = driver.session(Path::new(env!("CARGO_BIN_EXE_warden-desktop")))?;
    wait_for("the editor", PATIENCE, || {
        s.find("#editor .cm-content").ok().flatten()
    })?;
    set_sql(&s, "SELECT email FROM sales.customers LIMIT 3")?;
    wait_verdict(&s, "elevate")?;
    let ask = wait_for("the Request elevation button", PATIENCE, || {
        s.find_by_role("button", Some("Request elevation pii-read"), None, None)
            .ok()
            .flatten()
    })?;
    s.click(&ask)?;
    let dialog = wait_for("the request dialog", PATIENCE, || {
        s.find_by_role("dialog", None, None, None).ok().flatten()
    })?;
    let why = s
        .find_all_by_role("textbox", Name::Matches("^Justification"), Some(&dialog))?
        .into_iter()
        .next()
        .ok_or("no Justification field in the dialog")?;
    s.set_value(&why, "Checking the churn list for INC-1234")?;
    let submit = s
        .find_by_role("button", Some("Request"), None, Some(&dialog))?
        .ok_or("no Request button in the dialog")?;
    s.click(&submit)?;
    wait_verdict(&s, "allow")?;
    wait_for("the display watch", PATIENCE, || {
        log(home.path())
            .contains("a lost display stops the app plainly")
            .then_some(())
    })?;

    drop(xvfb);
    let events = wait_for("the grant's end in the journal", STOP_BOUND, || {
        let events = ws.open_audit().ok()?.events(&[], None, None, false).ok()?;
        // The grant ends as on quit; the lockout that follows says why.
        let ended = events.iter().any(|e| {
            e.kind == "lockout"
                && json!(e.payload)
                    .to_string()
                    .contains("pii-read ended (the display went away)")
        });
        ended.then_some(events)
    })
    .map_err(|e| {
        let kinds = ws
            .open_audit()
            .and_then(|a| a.events(&[], None, None, false))
            .map(|events| {
                events
                    .iter()
                    .map(|e| format!("{} {}", e.kind, json!(e.payload)))
                    .collect::<Vec<_>>()
            });
        format!(
            "{e}\njournal: {kinds:?}\nstderr: {}\nlog: {}",
            std::fs::read_to_string(&stderr).unwrap_or_default(),
            log(home.path())
        )
    })?;
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let granted = kinds.iter().position(|k| *k == "elevation_granted");
    let expired = kinds.iter().position(|k| *k == "elevation_expired");
    assert!(
        granted.is_some() && expired > granted,
        "the grant is recorded as ended: {kinds:?}"
    );
    let said = wait_for("the app's last words", STOP_BOUND, || {
        std::fs::read_to_string(&stderr)
            .ok()
            .filter(|t| t.contains("the display went away"))
    })?;
    assert_plain_stop(&said, &display);
    Ok(())
}
