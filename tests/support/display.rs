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

impl Xvfb {
    /// Asks the visible window titled exactly `title` to close, as a window manager does when
    /// its close button is clicked: a `WM_DELETE_WINDOW` message. Xvfb runs no window manager,
    /// and Debian 12's xdotool (3.20160805) cannot send one. Returns the process id the window
    /// belongs to (`_NET_WM_PID`), to wait for it to end.
    #[allow(unsafe_code)]
    pub fn ask_to_close(&self, title: &str) -> Result<u32, String> {
        use std::ffi::CString;
        use x11_dl::xlib;

        let found = self.xdotool(&["search", "--onlyvisible", "--name", &format!("^{title}$")])?;
        let window: xlib::Window = found
            .lines()
            .find_map(|line| line.trim().parse().ok())
            .ok_or_else(|| format!("no visible window titled {title:?}"))?;
        let pid: u32 = self
            .xdotool(&["getwindowpid", &window.to_string()])?
            .trim()
            .parse()
            .map_err(|e| format!("the window {window} names no process: {e}"))?;
        let x = xlib::Xlib::open().map_err(|e| format!("cannot load Xlib: {e}"))?;
        let name = CString::new(self.display.clone()).map_err(|e| e.to_string())?;
        // SAFETY: plain Xlib calls on a display this function opens and closes; the event is
        // a fully initialised client message, copied by XSendEvent.
        unsafe {
            let display = (x.XOpenDisplay)(name.as_ptr());
            if display.is_null() {
                return Err(format!("cannot open the display {}", self.display));
            }
            let protocols = (x.XInternAtom)(display, c"WM_PROTOCOLS".as_ptr(), xlib::False);
            let delete = (x.XInternAtom)(display, c"WM_DELETE_WINDOW".as_ptr(), xlib::False);
            let mut data = xlib::ClientMessageData::default();
            data.set_long(0, delete as std::os::raw::c_long);
            data.set_long(1, xlib::CurrentTime as std::os::raw::c_long);
            let mut event = xlib::XEvent::from(xlib::XClientMessageEvent {
                type_: xlib::ClientMessage,
                serial: 0,
                send_event: xlib::True,
                display,
                window,
                message_type: protocols,
                format: 32,
                data,
            });
            let sent = (x.XSendEvent)(display, window, xlib::False, xlib::NoEventMask, &mut event);
            (x.XFlush)(display);
            (x.XCloseDisplay)(display);
            if sent == 0 {
                return Err(format!("the close message to window {window} was not sent"));
            }
        }
        Ok(pid)
    }
}
