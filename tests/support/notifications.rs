//! A real notification server (dunst) on the test's display and session bus, to see what the
//! app told the desktop.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::wait_for;

pub struct Dunst {
    child: Child,
}

impl Dunst {
    pub fn start(display: &str) -> Result<Self, String> {
        let child = Command::new("dunst")
            .args(["-config", "/dev/null"])
            .env("DISPLAY", display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("cannot start dunst (install the dunst package: `make test` does): {e}")
            })?;
        let dunst = Self { child };
        wait_for(
            "dunst to own org.freedesktop.Notifications",
            Duration::from_secs(15),
            || {
                let out = Command::new("dbus-send")
                    .args([
                        "--session",
                        "--print-reply",
                        "--dest=org.freedesktop.DBus",
                        "/org/freedesktop/DBus",
                        "org.freedesktop.DBus.NameHasOwner",
                        "string:org.freedesktop.Notifications",
                    ])
                    .output()
                    .ok()?;
                String::from_utf8_lossy(&out.stdout)
                    .contains("boolean true")
                    .then_some(())
            },
        )?;
        Ok(dunst)
    }

    /// Summaries of every notification shown so far (dunst keeps only closed ones in its
    /// history, so everything open is closed first).
    pub fn summaries(&self) -> Result<Vec<String>, String> {
        let closed = Command::new("dunstctl")
            .arg("close-all")
            .status()
            .map_err(|e| e.to_string())?;
        if !closed.success() {
            return Err(format!("dunstctl close-all failed: {closed}"));
        }
        let out = Command::new("dunstctl")
            .arg("history")
            .output()
            .map_err(|e| e.to_string())?;
        let history: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("dunstctl history is not JSON: {e}"))?;
        let entries = history["data"][0].as_array().cloned().unwrap_or_default();
        Ok(entries
            .iter()
            .filter_map(|n| n["summary"]["data"].as_str().map(str::to_string))
            .collect())
    }
}

impl Drop for Dunst {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
