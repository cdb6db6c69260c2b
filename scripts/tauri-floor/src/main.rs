fn main() {
    // As Warden's app does (src-tauri/src/webview.rs): WebKit paints without GPU compositing.
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the window could not open");
}
