//! Opening the user's browser on a sign-in page: `$BROWSER` when set, else the platform's
//! opener. The CLI and the app share it; a failure is for the caller to show with the URL.

use std::process::{Command, Stdio};

pub fn open_url(url: &str) -> Result<(), String> {
    let mut cmd = if let Some(browser) = std::env::var_os("BROWSER").filter(|b| !b.is_empty()) {
        Command::new(browser)
    } else if cfg!(target_os = "macos") {
        Command::new("open")
    } else if cfg!(target_os = "windows") {
        let mut c = Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler");
        c
    } else {
        Command::new("xdg-open")
    };
    let mut child = cmd
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    // Reaped in the background, so a long-running app leaves no zombie per sign-in.
    std::thread::spawn(move || child.wait());
    Ok(())
}
