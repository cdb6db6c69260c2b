//! What the identity layer tells the audit journal. Names, accounts, roles and times only:
//! never a token or a key.

/// How a sign-in was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Authorization code with PKCE through a browser and a loopback listener.
    Browser,
    /// Device authorization: a code shown to the user, approved on any device.
    DeviceCode,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Browser => "browser",
            Method::DeviceCode => "device_code",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityEvent {
    SignedIn {
        workspace: String,
        method: Method,
        expires_at: i64,
    },
    SignedOut {
        workspace: String,
    },
    SignInFailed {
        workspace: String,
        reason: String,
    },
    TokenRefreshed {
        workspace: String,
        expires_at: i64,
    },
    CredentialsIssued {
        workspace: String,
        account_id: String,
        role_name: String,
        expires_at: i64,
    },
    /// The session ended without the user signing out (refresh refused, signed out
    /// elsewhere): AWS work is locked out until the next sign-in.
    SessionEnded {
        workspace: String,
        reason: String,
    },
}

/// Receives identity events (the core maps them to audit events).
pub trait EventSink: Send + Sync {
    /// Err (in plain words) when the event could not be recorded. A sign-in or credentials that
    /// cannot be recorded are undone: nothing happens unrecorded.
    fn record(&self, event: IdentityEvent) -> Result<(), String>;
}

/// Drops every event (tools that keep no journal).
pub struct NoEvents;

impl EventSink for NoEvents {
    fn record(&self, _event: IdentityEvent) -> Result<(), String> {
        Ok(())
    }
}

/// Keeps every event in memory (tests).
#[derive(Default)]
pub struct EventLog(pub std::sync::Mutex<Vec<IdentityEvent>>);

impl EventSink for EventLog {
    fn record(&self, event: IdentityEvent) -> Result<(), String> {
        if let Ok(mut v) = self.0.lock() {
            v.push(event);
        }
        Ok(())
    }
}

impl EventLog {
    pub fn events(&self) -> Vec<IdentityEvent> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}
