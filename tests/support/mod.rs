//! What the end-to-end tests need around the real app: a headless X display, WebKitWebDriver,
//! and a small WebDriver client. Every process started here is killed when its guard drops.

pub mod display;
pub mod notifications;
pub mod sandbox_window;
pub mod webdriver;
pub mod window;

use std::time::{Duration, Instant};

/// Polls `probe` until it gives a value or `timeout` passes; the error names what was awaited.
pub fn wait_for<T>(
    what: &str,
    timeout: Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> Result<T, String> {
    let start = Instant::now();
    loop {
        if let Some(value) = probe() {
            return Ok(value);
        }
        if start.elapsed() > timeout {
            return Err(format!("timed out after {timeout:?} waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("the loopback interface gives a free port")
}

/// The users (`<workspace>/<slot>`) `secret-tool search --all service warden` lists: what the
/// OS keyring holds for Warden.
pub fn keyring_users() -> Result<Vec<String>, String> {
    let out = std::process::Command::new("secret-tool")
        .args(["search", "--all", "--unlock", "service", "warden"])
        .output()
        .map_err(|e| format!("secret-tool (package libsecret-tools) does not run: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(text
        .lines()
        .filter_map(|l| l.strip_prefix("attribute.username = "))
        .map(str::to_owned)
        .collect())
}
