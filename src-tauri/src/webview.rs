//! How the window's web engine (WebKitGTK) is set up to keep its memory small. The window is one
//! local page (forms, an editor and a grid) served by the app itself, so what WebKit does by
//! default for a browser (GPU compositing) costs memory and buys nothing here.
//! Figures: docs/performance.md, "Idle memory: where it goes, and what was cut".

/// Must run before GTK or WebKit start, while the process has a single thread (changing the
/// environment is only sound then): WebKit reads these variables once, when it starts.
#[cfg(target_os = "linux")]
pub fn before_gtk() {
    // Accelerated compositing (the page's layers as GL textures, drawn by compositor threads;
    // with no GPU, through Mesa's software rasteriser) held about 95 MiB more in the web
    // process at idle, and buys nothing for a page of forms, an editor and a grid. Without it
    // WebKit paints on the CPU and this process keeps the window's backing store (about 3 MiB
    // more here). Set by the program, not a wrapper script, so every way of starting the app
    // gets it; a user who wants compositing back starts the app with
    // WEBKIT_DISABLE_COMPOSITING_MODE=0.
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
}

#[cfg(not(target_os = "linux"))]
pub fn before_gtk() {}
