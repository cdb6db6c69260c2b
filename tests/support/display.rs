use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::wait_for;

/// An Xvfb server on a display number nobody else uses.
pub struct Xvfb {
    child: Child,
    pub display: String,
}

impl Xvfb {
    pub fn start() -> Result<Self, String> {
        let n = (110..200)
            .find(|n| !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() && !Path::new(&format!("/tmp/.X{n}-lock")).exists())
            .ok_or("no free X display number between :110 and :199")?;
        let child = Command::new("Xvfb")
            .args([format!(":{n}").as_str(), "-screen", "0", "1400x900x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start Xvfb (install the xvfb package: `make test` does): {e}"))?;
        let socket = format!("/tmp/.X11-unix/X{n}");
        let xvfb = Self { child, display: format!(":{n}") };
        wait_for("the Xvfb socket", Duration::from_secs(10), || Path::new(&socket).exists().then_some(()))?;
        Ok(xvfb)
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
