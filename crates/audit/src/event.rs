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
    /// The account that owns this process (on Linux, from its uid, which the user cannot set
    /// like an environment variable), else `USER` / `LOGNAME` / `USERNAME`, else "unknown".
    pub fn from_os() -> Self {
        let os_user = process_owner()
            .or_else(|| {
                ["USER", "LOGNAME", "USERNAME"]
                    .iter()
                    .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
            })
            .unwrap_or_else(|| "unknown".to_string());
        Actor {
            os_user,
            sso_identity: None,
        }
    }
}

/// The name of the account that owns this process, from `/etc/passwd`.
#[cfg(target_os = "linux")]
fn process_owner() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid).then(|| name.to_string())
    })
}

#[cfg(not(target_os = "linux"))]
fn process_owner() -> Option<String> {
    None
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

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn the_process_owner_is_found_without_the_environment() {
        let owner =
            super::process_owner().expect("the account owning this process is in /etc/passwd");
        assert!(!owner.is_empty() && !owner.contains(':'), "{owner:?}");
    }
}
