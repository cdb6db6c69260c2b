//! The close button waits for the window to keep its tabs. The window writes typed text after a
//! pause in typing (one write per pause, not per key), and a close inside that pause used to
//! lose the last keys: the webview went before its write reached the app.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tauri::{Emitter, Manager, Window, WindowEvent};

use crate::events::CLOSE_REQUESTED;

/// How long a close waits for the window's answer: a page that hangs or never loaded must not
/// keep the window open. Writing the tabs takes milliseconds.
const WAIT: Duration = Duration::from_secs(2);

/// Where a close stands: asked of the window, then ready (the window answered, or the wait
/// ran out) and let through.
#[derive(Default)]
pub struct Closing {
    asked: AtomicBool,
    ready: AtomicBool,
}

/// A close request (the close button, the window manager, Alt+F4) is held until the window has
/// written its tabs; a second one while waiting changes nothing.
pub fn on_window_event(window: &Window, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    let closing = window.state::<Closing>();
    if closing.ready.load(Ordering::SeqCst) {
        return;
    }
    api.prevent_close();
    if closing.asked.swap(true, Ordering::SeqCst) {
        return;
    }
    if let Err(e) = window.emit(CLOSE_REQUESTED, ()) {
        tracing::warn!("cannot ask the window to keep its tabs before closing: {e}");
        close_now(window);
        return;
    }
    let window = window.clone();
    std::thread::spawn(move || {
        std::thread::sleep(WAIT);
        if !window.state::<Closing>().ready.load(Ordering::SeqCst) {
            tracing::warn!(
                "the window did not answer the close within {} s; closing it without its answer",
                WAIT.as_secs()
            );
            close_now(&window);
        }
    });
}

/// The window kept its tabs: it closes now.
#[tauri::command]
pub fn ready_to_close(window: Window) {
    close_now(&window);
}

fn close_now(window: &Window) {
    if window.state::<Closing>().ready.swap(true, Ordering::SeqCst) {
        return;
    }
    if let Err(e) = window.destroy() {
        tracing::warn!("cannot close the window: {e}");
    }
}
