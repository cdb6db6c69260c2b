//! Just enough of the W3C WebDriver protocol to drive the app through WebKitWebDriver.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

use super::{free_port, wait_for};

/// The WebKitWebDriver process. It starts the app itself when a session is created.
pub struct Driver {
    child: Child,
    base: String,
    agent: ureq::Agent,
}

impl Driver {
    pub fn start(display: &str, envs: &[(&str, &Path)]) -> Result<Self, String> {
        let port = free_port();
        let mut command = Command::new("WebKitWebDriver");
        command
            .arg(format!("--port={port}"))
            .env("DISPLAY", display)
            // Without it the webview refuses automation and session creation hangs.
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            .env("NO_AT_BRIDGE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in envs {
            command.env(k, v);
        }
        let child = command.spawn().map_err(|e| {
            format!(
                "cannot start WebKitWebDriver (install webkit2gtk-driver: `make test` does): {e}"
            )
        })?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(90)))
            .build()
            .into();
        let mut driver = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            agent,
        };
        wait_for("WebKitWebDriver to listen", Duration::from_secs(15), || {
            driver
                .agent
                .get(format!("{}/status", driver.base))
                .call()
                .ok()
                .map(|_| ())
        })?;
        // Another test's driver may have taken the port between free_port() and the bind; then
        // ours has exited and the answer came from the other one.
        if let Ok(Some(exit)) = driver.child.try_wait() {
            return Err(format!(
                "WebKitWebDriver exited ({exit}); port {port} was taken by another process"
            ));
        }
        Ok(driver)
    }

    pub fn session(&self, binary: &Path) -> Result<Session<'_>, String> {
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "webkitgtk:browserOptions": { "binary": binary.to_string_lossy(), "args": [] }
        }}});
        let value = self.call("POST", "/session", Some(caps))?;
        let id = value["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session id in {value}"))?
            .to_string();
        Ok(Session { driver: self, id })
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{}", self.base, path);
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, Some(body)) => self.agent.post(&url).send_json(body),
            (_, None) => self.agent.post(&url).send_json(json!({})),
        };
        let mut response = response.map_err(|e| format!("{method} {path}: {e}"))?;
        let status = response.status();
        let doc: Value = response
            .body_mut()
            .read_json()
            .map_err(|e| format!("{method} {path}: {e}"))?;
        if !status.is_success() {
            return Err(format!(
                "{method} {path}: {status}: {}",
                doc["value"]["message"]
            ));
        }
        Ok(doc.get("value").cloned().unwrap_or(Value::Null))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Session<'d> {
    driver: &'d Driver,
    id: String,
}

impl Session<'_> {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        self.driver
            .call(method, &format!("/session/{}{}", self.id, path), body)
    }

    pub fn find_all(&self, css: &str) -> Result<Vec<String>, String> {
        let found = self.call(
            "POST",
            "/elements",
            Some(json!({ "using": "css selector", "value": css })),
        )?;
        Ok(found
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    pub fn find(&self, css: &str) -> Result<Option<String>, String> {
        Ok(self.find_all(css)?.into_iter().next())
    }

    pub fn text(&self, element: &str) -> Result<String, String> {
        Ok(self
            .call("GET", &format!("/element/{element}/text"), None)?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    pub fn attribute(&self, element: &str, name: &str) -> Result<Option<String>, String> {
        Ok(self
            .call("GET", &format!("/element/{element}/attribute/{name}"), None)?
            .as_str()
            .map(str::to_string))
    }

    pub fn click(&self, element: &str) -> Result<(), String> {
        self.call("POST", &format!("/element/{element}/click"), None)
            .map(|_| ())
    }

    pub fn send_keys(&self, element: &str, text: &str) -> Result<(), String> {
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .map(|_| ())
    }

    pub fn execute(&self, script: &str, args: Value) -> Result<Value, String> {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// The first shown element with ARIA `role` whose accessible name is `name` (when given)
    /// and whose text contains `containing` (when given), inside element `within` or the
    /// document: found as a screen reader user finds it, not by id or class. The name is the
    /// `aria-label`, else the text of the `aria-labelledby` elements, else a `<label for>`'s
    /// text, else the element's own text. Knows the roles the window's controls have.
    pub fn find_by_role(
        &self,
        role: &str,
        name: Option<&str>,
        containing: Option<&str>,
        within: Option<&str>,
    ) -> Result<Option<String>, String> {
        const SCRIPT: &str = r#"
const [role, name, containing, scope] = arguments;
const implicit = {
  button: 'button, [role=button]',
  complementary: 'aside, [role=complementary]',
  dialog: '[role=dialog], dialog',
  heading: 'h1, h2, h3, h4, [role=heading]',
  list: 'ol, ul, [role=list]',
  listitem: 'li, [role=listitem]',
  status: '[role=status], output',
  textbox: 'textarea, input:not([type]), input[type=text], input[type=search], [role=textbox]',
};
const text = (e) => (e ? e.textContent : '').replace(/\s+/g, ' ').trim();
const nameOf = (e) => {
  const label = e.getAttribute('aria-label');
  if (label) return label.trim();
  const by = e.getAttribute('aria-labelledby');
  if (by) return by.split(/\s+/).map((id) => text(document.getElementById(id))).join(' ').trim();
  if (e.id) {
    const caption = document.querySelector(`label[for="${CSS.escape(e.id)}"]`);
    if (caption) return text(caption);
  }
  return text(e);
};
for (const e of (scope ?? document).querySelectorAll(implicit[role] ?? `[role=${role}]`)) {
  if (e.closest('[hidden]')) continue;
  if (name !== null && nameOf(e) !== name) continue;
  if (containing !== null && !e.textContent.includes(containing)) continue;
  return e;
}
return null;
"#;
        let scope = within.map(|id| json!({ ELEMENT: id }));
        let found = self.execute(SCRIPT, json!([role, name, containing, scope]))?;
        Ok(found[ELEMENT].as_str().map(str::to_string))
    }

    pub fn screenshot(&self) -> Result<Vec<u8>, String> {
        let b64 = self.call("GET", "/screenshot", None)?;
        base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .map_err(|e| format!("the screenshot is not base64: {e}"))
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let _ = self
            .driver
            .call("DELETE", &format!("/session/{}", self.id), None);
    }
}
