//! Just enough of the W3C WebDriver protocol to drive the app through WebKitWebDriver.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
        Self::start_with_stderr(display, envs, None)
    }

    /// The same, with the driver's standard error, which the app it starts inherits, written
    /// to the file `stderr` when given.
    pub fn start_with_stderr(
        display: &str,
        envs: &[(&str, &Path)],
        stderr: Option<&Path>,
    ) -> Result<Self, String> {
        let stderr = match stderr {
            Some(path) => Stdio::from(
                std::fs::File::create(path)
                    .map_err(|e| format!("cannot create {}: {e}", path.display()))?,
            ),
            None => Stdio::null(),
        };
        let port = free_port();
        let mut command = Command::new("WebKitWebDriver");
        command
            .arg(format!("--port={port}"))
            .env("DISPLAY", display)
            // Without it the webview refuses automation and session creation hangs.
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            .env("NO_AT_BRIDGE", "1")
            .stdout(Stdio::null())
            .stderr(stderr);
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

/// How an accessible name must read.
#[derive(Clone, Copy, Debug)]
pub enum Name<'a> {
    /// Any name, or none.
    Any,
    /// Exactly this (white space collapsed).
    Is(&'a str),
    /// A JavaScript regular expression, case-insensitive, the name must match.
    Matches(&'a str),
}

/// Finds elements by ARIA role and computes their accessible names, in the page, close to
/// the accessible name computation a screen reader relies on: `aria-labelledby`, else
/// `aria-label`, else a `<label>` (by `for` or around it) for a form field, else the text
/// (without `aria-hidden` parts) for the roles named by their content, else `title`, else
/// `placeholder`. Hidden elements (`hidden`, `aria-hidden`, not laid out) are not found, and an
/// element whose explicit role differs is not taken for its tag's implicit one.
const ROLE_SCRIPT: &str = r#"
const IMPLICIT = {
  alert: '[role=alert]',
  button: 'button, input[type=button], input[type=submit], [role=button]',
  checkbox: 'input[type=checkbox], [role=checkbox]',
  combobox: 'select, [role=combobox]',
  complementary: 'aside, [role=complementary]',
  contentinfo: 'footer, [role=contentinfo]',
  dialog: 'dialog, [role=dialog], [role=alertdialog]',
  heading: 'h1, h2, h3, h4, h5, h6, [role=heading]',
  list: 'ol, ul, [role=list]',
  listitem: 'li, [role=listitem]',
  region: 'section[aria-label], section[aria-labelledby], [role=region]',
  status: 'output, [role=status]',
  tab: '[role=tab]',
  tablist: '[role=tablist]',
  tabpanel: '[role=tabpanel]',
  textbox: 'textarea, input:not([type]), input[type=text], input[type=search], input[type=url], [role=textbox]',
};
const FROM_CONTENT = new Set(['button', 'tab', 'heading', 'listitem', 'link', 'option', 'cell', 'checkbox']);
const squash = (t) => (t ?? '').replace(/\s+/g, ' ').trim();
const visibleText = (e) => {
  if (e.nodeType === Node.TEXT_NODE) return e.textContent;
  if (e.nodeType !== Node.ELEMENT_NODE || e.getAttribute('aria-hidden') === 'true') return '';
  return [...e.childNodes].map(visibleText).join('');
};
const roleOf = (e) => {
  const explicit = e.getAttribute('role');
  if (explicit) return explicit;
  return Object.keys(IMPLICIT).find((r) => e.matches(IMPLICIT[r]));
};
const nameOf = (e) => {
  const by = e.getAttribute('aria-labelledby');
  if (by) return squash(by.split(/\s+/).map((id) => visibleText(document.getElementById(id) ?? document.createElement('i'))).join(' '));
  const label = squash(e.getAttribute('aria-label'));
  if (label) return label;
  if (e.labels && e.labels.length) return squash([...e.labels].map(visibleText).join(' '));
  if (FROM_CONTENT.has(roleOf(e))) {
    const text = squash(visibleText(e));
    if (text) return text;
  }
  return squash(e.getAttribute('title') ?? e.getAttribute('placeholder') ?? '');
};
const shown = (e) => !e.closest('[hidden], [aria-hidden=true]') && e.getClientRects().length > 0;
const byRole = (role, scope) =>
  [...scope.querySelectorAll(IMPLICIT[role] ?? `[role=${role}]`)].filter(
    (e) => (e.getAttribute('role') ?? role) === role && shown(e),
  );
const named = (e, mode, name) =>
  mode === 'any' || (mode === 'is' ? nameOf(e) === squash(name) : new RegExp(name, 'i').test(nameOf(e)));
"#;

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
        Ok(element_ids(&found))
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

    /// Finds an element with `find` and clicks it, finding it again when the window replaced
    /// it in between: the status bar's grant buttons and the Request buttons are built anew on
    /// every elevation update, so a node found a moment ago may be gone. Waits up to `patience`
    /// for one to be shown; any other failure of the click ends it.
    pub fn click_found(
        &self,
        what: &str,
        patience: Duration,
        find: impl Fn() -> Option<String>,
    ) -> Result<(), String> {
        let deadline = Instant::now() + patience;
        loop {
            let why = match find() {
                Some(element) => match self.click(&element) {
                    Ok(()) => return Ok(()),
                    Err(e) if was_replaced(&e) => e,
                    Err(e) => return Err(e),
                },
                None => "not shown".to_string(),
            };
            if Instant::now() >= deadline {
                return Err(format!(
                    "{what} could not be clicked within {patience:?}: {why}"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
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
    /// document: found as a screen reader user finds it, not by id or class (see [`ROLE_SCRIPT`]
    /// for how the name is computed).
    pub fn find_by_role(
        &self,
        role: &str,
        name: Option<&str>,
        containing: Option<&str>,
        within: Option<&str>,
    ) -> Result<Option<String>, String> {
        let name = name.map_or(Name::Any, Name::Is);
        Ok(self
            .query_roles(role, name, containing, within)?
            .into_iter()
            .next())
    }

    /// Every shown element with ARIA `role` whose accessible name fits `name`, inside element
    /// `within` or the document, in document order.
    pub fn find_all_by_role(
        &self,
        role: &str,
        name: Name<'_>,
        within: Option<&str>,
    ) -> Result<Vec<String>, String> {
        self.query_roles(role, name, None, within)
    }

    /// The shown control with `role` named exactly `name`; an error names what is missing, so
    /// a control that loses its accessible name (or its role) fails the test.
    pub fn control(&self, role: &str, name: &str) -> Result<String, String> {
        self.find_by_role(role, Some(name), None, None)?
            .ok_or_else(|| format!("no {role} named {name:?} is shown"))
    }

    /// The same, inside element `within` (a dialog, the status bar, a panel).
    pub fn control_in(&self, within: &str, role: &str, name: &str) -> Result<String, String> {
        self.find_by_role(role, Some(name), None, Some(within))?
            .ok_or_else(|| format!("no {role} named {name:?} is shown there"))
    }

    /// The accessible name of `element`, computed as [`ROLE_SCRIPT`] does.
    pub fn accessible_name(&self, element: &str) -> Result<String, String> {
        let script = format!("{ROLE_SCRIPT}\nreturn nameOf(arguments[0]);");
        Ok(self
            .execute(&script, json!([{ ELEMENT: element }]))?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    fn query_roles(
        &self,
        role: &str,
        name: Name<'_>,
        containing: Option<&str>,
        within: Option<&str>,
    ) -> Result<Vec<String>, String> {
        let (mode, name) = match name {
            Name::Any => ("any", ""),
            Name::Is(n) => ("is", n),
            Name::Matches(n) => ("matches", n),
        };
        let scope = within.map(|id| json!({ ELEMENT: id }));
        let script = format!(
            "{ROLE_SCRIPT}\nconst [role, mode, name, containing, scope] = arguments;\n\
             return byRole(role, scope ?? document).filter((e) => named(e, mode, name) && \
             (containing === null || e.textContent.includes(containing)));"
        );
        let found = self.execute(&script, json!([role, mode, name, containing, scope]))?;
        Ok(element_ids(&found))
    }

    /// Sets a form field's value and tells the page, as typing it would (`input` event).
    pub fn set_value(&self, element: &str, value: &str) -> Result<(), String> {
        self.execute(
            "const [f, v] = arguments; f.value = v; f.dispatchEvent(new Event('input', { bubbles: true }));",
            json!([{ ELEMENT: element }, value]),
        )
        .map(|_| ())
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

/// The element ids in a WebDriver answer that is a list of element references.
fn element_ids(found: &Value) -> Vec<String> {
    found
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e[ELEMENT].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// WebKitWebDriver's answer for an element no longer in the page ("Node with identifier ... was
/// not found"), or the W3C "stale element reference".
fn was_replaced(error: &str) -> bool {
    (error.contains("Node with identifier") && error.contains("was not found"))
        || error.contains("stale element reference")
}
