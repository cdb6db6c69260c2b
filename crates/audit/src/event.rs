use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::canonical::{to_canonical, write_canonical};
use crate::kind::Kind;
use crate::payload::Payload;

/// Who acted: the OS user, plus the SSO identity once the user has signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub os_user: String,
    pub sso_identity: Option<String>,
}

impl Actor {
    /// The account that owns this process: its name as the system's user database (NSS: files,
    /// LDAP, SSSD) gives it for the process's uid, else `uid:N`. Never the environment, which the
    /// user sets at will (`USER=someone-else warden ...`).
    pub fn from_os() -> Self {
        Actor {
            os_user: process_owner(),
            sso_identity: None,
        }
    }
}

#[cfg(unix)]
fn process_owner() -> String {
    let uid = nix::unistd::getuid();
    user_name(uid.as_raw()).unwrap_or_else(|| format!("uid:{uid}"))
}

/// The name NSS gives `uid` (getpwuid_r, so that LDAP and SSSD accounts resolve like local ones).
#[cfg(unix)]
fn user_name(uid: u32) -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|user| user.name)
        .filter(|name| !name.is_empty())
}

#[cfg(not(unix))]
fn process_owner() -> String {
    // No uid to look up: the account name Windows gives the session.
    std::env::var("USERNAME")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// An event to record. Id, sequence number, timestamp, device, actor and hashes are added by the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub workspace: String,
    pub payload: Payload,
}

impl NewEvent {
    pub fn new(workspace: impl Into<String>, payload: Payload) -> Self {
        NewEvent {
            workspace: workspace.into(),
            payload,
        }
    }
}

/// What `append` returns once the event is durable on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub id: String,
    pub seq: u64,
    pub ts_ms: i64,
    pub hash: String,
}

/// A recorded event, read back from the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    pub device_id: String,
    pub seq: u64,
    pub ts_ms: i64,
    pub actor: Actor,
    pub workspace: String,
    pub payload: Payload,
    pub prev_hash: String,
    pub hash: String,
}

impl Event {
    pub fn kind(&self) -> Kind {
        self.payload.kind()
    }
}

/// An event as stored: in a journal row and as one line of a store object. Kept untyped (payload as
/// JSON) so that verification never depends on this version's payload types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct EventLine {
    pub id: String,
    pub device_id: String,
    pub seq: u64,
    pub ts_ms: i64,
    pub actor: Actor,
    pub workspace: String,
    pub kind: String,
    pub payload: Value,
    pub prev_hash: String,
    pub hash: String,
}

impl EventLine {
    /// Every field except `prev_hash` and `hash`: what the hash covers.
    fn body(&self) -> serde_json::Map<String, Value> {
        let body = json!({
            "id": self.id,
            "device_id": self.device_id,
            "seq": self.seq,
            "ts_ms": self.ts_ms,
            "actor": {"os_user": self.actor.os_user, "sso_identity": self.actor.sso_identity},
            "workspace": self.workspace,
            "kind": self.kind,
            "payload": self.payload,
        });
        match body {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        }
    }

    /// The canonical encoding that is hashed: the body, as JCS.
    pub fn canonical_body(&self) -> Result<String, String> {
        to_canonical(&Value::Object(self.body()))
    }

    /// The object line for the store: the body plus `prev_hash` and `hash`, canonical, no newline.
    pub fn canonical_line(&self) -> Result<String, String> {
        let mut line = self.body();
        line.insert("prev_hash".into(), Value::String(self.prev_hash.clone()));
        line.insert("hash".into(), Value::String(self.hash.clone()));
        let mut out = String::new();
        write_canonical(&Value::Object(line), &mut out)?;
        Ok(out)
    }

    pub fn into_event(self) -> Result<Event, String> {
        let kind: Kind = self.kind.parse()?;
        let payload = Payload::from_json(kind, self.payload)
            .map_err(|e| format!("payload of kind {kind}: {e}"))?;
        Ok(Event {
            id: self.id,
            device_id: self.device_id,
            seq: self.seq,
            ts_ms: self.ts_ms,
            actor: self.actor,
            workspace: self.workspace,
            payload,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

#[cfg(all(test, unix))]
mod tests {
    #[test]
    fn the_process_owner_is_found_without_the_environment() {
        let owner = super::process_owner();
        assert!(!owner.is_empty() && !owner.starts_with("uid:"), "{owner:?}");
        assert_eq!(super::user_name(0).as_deref(), Some("root"));
        assert_eq!(super::user_name(4_242_424), None);
    }
}
