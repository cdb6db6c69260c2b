//! Whether a window can open here. Without a display GTK cannot start, and the windowing library
//! panics with a backtrace; the app says what is missing and what to do instead.

/// `Err` says, in plain words, why no window can open.
#[cfg(target_os = "linux")]
pub fn check() -> Result<(), String> {
    let display = std::env::var("DISPLAY").ok().filter(|d| !d.is_empty());
    let wayland = std::env::var("WAYLAND_DISPLAY")
        .ok()
        .filter(|d| !d.is_empty());
    if display.is_none() && wayland.is_none() {
        return Err(format!(
            "there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set). {}",
            ELSEWHERE
        ));
    }
    gtk::init().map_err(|_| {
        let which = match (&wayland, &display) {
            (Some(w), _) => format!("the Wayland display {w:?} (WAYLAND_DISPLAY)"),
            (None, Some(d)) => format!("the X display {d:?} (DISPLAY)"),
            (None, None) => "a display".to_string(),
        };
        format!(
            "GTK could not connect to {which}. Check that the display server is running and \
             that this user may use it (XAUTHORITY, xhost). {ELSEWHERE}"
        )
    })
}

#[cfg(not(target_os = "linux"))]
pub fn check() -> Result<(), String> {
    Ok(())
}

#[cfg(target_os = "linux")]
const ELSEWHERE: &str = "Start the app inside a desktop session, or use the `warden` command line \
                         (`warden query`, `warden lint`), which needs no display.";
