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

/// What the app does before it stops because its display went away: set once the window is
/// up ([`on_loss`]).
#[cfg(target_os = "linux")]
static ON_LOSS: std::sync::OnceLock<Box<dyn Fn() -> bool + Send + Sync>> =
    std::sync::OnceLock::new();

/// How long [`on_loss`]'s `quit` may take before the app stops anyway.
#[cfg(target_os = "linux")]
const QUIT_BOUND: std::time::Duration = std::time::Duration::from_secs(20);

/// Set by the first thread that finds the display gone; the others wait for it to stop the app.
#[cfg(target_os = "linux")]
static STOPPING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// From now on, an X display that goes away while the app runs (the X server stopped, the
/// session ended, an SSH forwarding dropped) no longer ends the app inside a library: before,
/// GDK's handler exited on the spot, or WebKit, relaunching its web process without a display,
/// aborted with a fatal GLib error, whichever noticed first, and nothing said why. Instead the
/// app says so in plain words, runs `quit` (what quitting does: held grants ended and
/// recorded; at most [`QUIT_BOUND`]) and exits with status 1. Call it after the event loop
/// exists: GDK installs its own handler when it opens the display.
///
/// Two ways in: Xlib's I/O error handler (a connection to the X server broke), and GLib's
/// default log handler for a fatal error while the display does not answer.
///
/// A Wayland compositor going away still ends the app in GDK's Wayland backend ("Error reading
/// events from display"), which offers no hook: the quit path is skipped there.
///
/// One of the two places the app uses `unsafe` (the workspace denies it elsewhere): replacing
/// Xlib's handler is a C call ([`display_lost`] is the other: a C callback that ends the
/// process). Neither touches memory of its own.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub fn on_loss(quit: impl Fn() -> bool + Send + Sync + 'static) {
    if ON_LOSS.set(Box::new(quit)).is_err() {
        return;
    }
    match x11_dl::xlib::Xlib::open() {
        Ok(xlib) => {
            // SAFETY: sets the process's Xlib I/O error handler to a function of the right
            // type; Xlib calls it on the thread whose connection broke.
            unsafe {
                (xlib.XSetIOErrorHandler)(Some(display_lost));
            }
        }
        Err(e) => tracing::warn!("no handler for a lost display: {e}"),
    }
    use gtk::glib::{log_default_handler, log_set_default_handler, LogLevel};
    log_set_default_handler(|domain, level, message| {
        // A fatal error (GLib aborts after this returns) while the display is gone: WebKit
        // failing to relaunch its web process, typically. Anything else is GLib's to print.
        if level == LogLevel::Error && (STOPPING.load(Ordering::SeqCst) || !x_display_answers()) {
            tracing::warn!("a fatal error while the display is gone: {message}");
            stop_for_lost_display();
        }
        log_default_handler(domain, level, Some(message));
    });
    tracing::info!("a lost display stops the app plainly");
}

#[cfg(not(target_os = "linux"))]
pub fn on_loss(_quit: impl Fn() -> bool + Send + Sync + 'static) {}

#[cfg(target_os = "linux")]
use std::sync::atomic::Ordering;

/// Whether the local X display `DISPLAY` names (`:N` or `:N.S`) accepts a connection on its
/// socket; true when it cannot be told (a remote display), so that nothing is misjudged lost.
#[cfg(target_os = "linux")]
fn x_display_answers() -> bool {
    let display = std::env::var("DISPLAY").unwrap_or_default();
    let Some(number) = display
        .strip_prefix(':')
        .and_then(|rest| rest.split('.').next())
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    else {
        return true;
    };
    std::os::unix::net::UnixStream::connect(format!("/tmp/.X11-unix/X{number}")).is_ok()
}

/// The sentence the app ends with when its display went away; `ended` is whether the quit
/// path confirmed that every held elevation was ended (told to the broker, wiped, recorded).
#[cfg(target_os = "linux")]
pub fn lost_message(display: &str, ended: bool) -> String {
    let elevations = if ended {
        "elevations you held were ended, as when the app quits"
    } else {
        "ending the elevations you held could not be confirmed (the log says why); each \
         still ends at its grant's end"
    };
    format!(
        "the display went away (DISPLAY={display}), so Warden stopped. Your query tabs were \
         kept (they are saved as you type) and {elevations}. Start the app again inside a \
         desktop session."
    )
}

/// Xlib's I/O error handler: the connection to the X server broke. It must not return (Xlib
/// would exit).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
unsafe extern "C" fn display_lost(_display: *mut x11_dl::xlib::Display) -> std::os::raw::c_int {
    stop_for_lost_display()
}

/// Runs the quit path, says the display went away and what the quit did, and ends the process
/// with status 1. The first thread here does it; any other waits for it.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn stop_for_lost_display() -> ! {
    if STOPPING.swap(true, Ordering::SeqCst) {
        loop {
            std::thread::park();
        }
    }
    let screen = std::env::var("DISPLAY").unwrap_or_default();
    tracing::error!("the display went away (DISPLAY={screen}): quitting");
    // On a thread of its own, bounded: a quit that hangs must not keep a windowless app alive.
    let (done, finished) = std::sync::mpsc::channel();
    let quitting = std::thread::Builder::new()
        .name("display-lost".into())
        .spawn(move || {
            let ended = ON_LOSS.get().is_some_and(|quit| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(quit)).unwrap_or(false)
            });
            let _ = done.send(ended);
        });
    let ended = match quitting.map(|_| finished.recv_timeout(QUIT_BOUND)) {
        Ok(Ok(ended)) => ended,
        _ => {
            tracing::error!("the display went away: the quit path did not finish");
            false
        }
    };
    // Said after the quit, so that it says what happened.
    let message = lost_message(&screen, ended);
    tracing::error!("the desktop app stops: {message}");
    eprintln!("warden: {message}");
    // As GDK's own handler: no atexit handlers, which could touch the broken connection.
    // SAFETY: ends the process; nothing runs after it.
    unsafe { libc::_exit(1) }
}
