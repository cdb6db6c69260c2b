//! Desktop notifications. A failure (no notification server) is logged, never fatal: the
//! window shows the same news.

use warden_core::Notice;

pub fn send(notices: Vec<Notice>) {
    if notices.is_empty() {
        return;
    }
    // D-Bus calls block; keep them off the async workers.
    tauri::async_runtime::spawn_blocking(move || {
        for notice in notices {
            let shown = notify_rust::Notification::new()
                .appname("Warden")
                .summary(&notice.title)
                .body(&notice.body)
                .show();
            if let Err(e) = shown {
                tracing::warn!(title = notice.title, "cannot show the notification: {e}");
            }
        }
    });
}
