//! Starting the app where no window can open ends with a plain sentence and exit code 1, not a
//! panic from the windowing library.

use std::process::Command;

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
