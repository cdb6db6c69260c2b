use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// An Xvfb server on a display number it chose itself.
pub struct Xvfb {
    child: Child,
    // Held open so that Xvfb never writes into a closed pipe.
    _stdout: Option<BufReader<ChildStdout>>,
    pub display: String,
}

impl Xvfb {
    /// Two tests that each picked "the first free number" would both pick the same one and share
    /// a server, and the first to finish would take the other's window down with it. With
    /// `-displayfd` the server claims a free display atomically and reports it once it is ready.
    pub fn start() -> Result<Self, String> {
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1400x900x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("cannot start Xvfb (install the xvfb package: `make test` does): {e}")
            })?;
        let stdout = child.stdout.take().ok_or("Xvfb has no standard output")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let read = reader.read_line(&mut line).map(|_| line.trim().to_string());
            let _ = tx.send((read, reader));
        });
        let mut xvfb = Self {
            child,
            _stdout: None,
            display: String::new(),
        };
        let (read, reader) = rx
            .recv_timeout(Duration::from_secs(20))
            .map_err(|_| "Xvfb did not report a display within 20 s".to_string())?;
        let number = read.map_err(|e| format!("cannot read Xvfb's display number: {e}"))?;
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "Xvfb reported {number:?} instead of a display number (did it exit?)"
            ));
        }
        xvfb._stdout = Some(reader);
        xvfb.display = format!(":{number}");
        Ok(xvfb)
    }
}

impl Xvfb {
    /// Runs `xdotool ARGS` on this display, for what WebDriver cannot reach: the native
    /// dialogs GTK opens outside the webview. Returns its standard output.
    pub fn xdotool(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .output()
            .map_err(|e| format!("cannot run xdotool (install it: `make test` does): {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "xdotool {args:?}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
