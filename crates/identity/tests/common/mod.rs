//! Shared helpers: a sign-in configured against the SSO fake, and a "user" who approves in
//! the browser by following the fake's redirect to the real loopback listener.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use warden_identity::events::EventLog;
use warden_identity::{Endpoints, Session, SignInConfig, SignInPrompt, Vault};
use warden_test_support::sso_fake::{FakeSso, ACCOUNT_ID, ROLE_NAME};

pub fn config(workspace: &str, fake: &FakeSso, sts: Option<&str>) -> SignInConfig {
    SignInConfig {
        workspace: workspace.into(),
        start_url: "https://sandbox.awsapps.com/start".into(),
        sso_region: "us-east-1".into(),
        account_id: ACCOUNT_ID.into(),
        role_name: ROLE_NAME.into(),
        region: "us-east-1".into(),
        endpoints: Endpoints {
            sso: Some(fake.endpoint.clone()),
            sso_oidc: Some(fake.endpoint.clone()),
            sts: sts.map(str::to_owned),
        },
    }
}

pub async fn session(
    workspace: &str,
    fake: &FakeSso,
    vault: Vault,
) -> (Arc<Session>, Arc<EventLog>) {
    let events = Arc::new(EventLog::default());
    let s = Session::new(config(workspace, fake, None), vault, events.clone()).await;
    (Arc::new(s), events)
}

/// Approves in "the browser": asks the fake's authorize endpoint, then follows its redirect
/// to Warden's loopback listener with a plain HTTP GET, as a browser would.
pub struct ApprovingBrowser {
    pub endpoint: String,
    pub opened: Mutex<Vec<String>>,
    pub device_codes: Mutex<Vec<String>>,
}

impl ApprovingBrowser {
    pub fn new(fake: &FakeSso) -> ApprovingBrowser {
        ApprovingBrowser {
            endpoint: fake.endpoint.clone(),
            opened: Mutex::new(Vec::new()),
            device_codes: Mutex::new(Vec::new()),
        }
    }
}

impl SignInPrompt for ApprovingBrowser {
    fn open_browser(&self, url: &str) {
        self.opened.lock().unwrap().push(url.to_owned());
        if !url.contains("/authorize?") {
            return;
        }
        let url = url.to_owned();
        std::thread::spawn(move || {
            let location = http_get_location(&url).expect("the fake redirects");
            http_get_location(&location);
        });
    }

    fn show_device_code(&self, user_code: &str, verification_uri: &str, _complete: Option<&str>) {
        assert!(verification_uri.starts_with("http://127.0.0.1:"));
        self.device_codes.lock().unwrap().push(user_code.to_owned());
    }
}

/// A GET over a plain TCP connection; returns the `location` header if any.
pub fn http_get_location(url: &str) -> Option<String> {
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_at(rest.find('/')?);
    let mut stream = std::net::TcpStream::connect(host).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).ok()?;
    reply
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .map(|l| l.trim().to_owned())
}
