//! Every JSON document the CLI prints (`--format json`), in one place and in one casing:
//! snake_case (the window's wire, camelCase, is `warden-api`'s; see docs/architecture.md).
//! Diagnostics (`warden lint --format json`) are the guardrails' own format.

use std::path::PathBuf;

use serde::Serialize;
use warden_core::{
    AuditStatusView, ColumnInfo, EventView, Execution, PendingRequest, PolicyStatus, ResultReader,
    ResultsError, WorkspaceListing, WorkspaceSummary,
};

/// Pretty JSON on stdout.
pub fn print(doc: &impl Serialize) -> Result<(), String> {
    let text =
        serde_json::to_string_pretty(doc).map_err(|e| format!("cannot encode the output: {e}"))?;
    println!("{text}");
    Ok(())
}

/// `warden query --format json`. The rows are written as they are read from the stored result,
/// one chunk file at a time ([`StoredRows`]), so the document is never built in memory.
#[derive(Debug, Serialize)]
pub struct QueryOutput<'a> {
    pub columns: &'a [ColumnInfo],
    pub rows: StoredRows<'a>,
    pub row_count: u64,
    pub bytes_scanned: u64,
    pub duration_ms: u64,
    pub engine: &'a str,
    pub query_id: &'a str,
    pub reads: &'a [String],
}

impl<'a> From<&'a Execution> for QueryOutput<'a> {
    fn from(e: &'a Execution) -> Self {
        Self {
            columns: e.result.columns(),
            rows: StoredRows(&e.result),
            row_count: e.result.len(),
            bytes_scanned: e.bytes_scanned,
            duration_ms: e.duration.as_millis() as u64,
            engine: e.engine,
            query_id: &e.query_id,
            reads: &e.reads,
        }
    }
}

/// The rows of a stored result as a JSON array, serialised straight from its chunk files.
#[derive(Debug)]
pub struct StoredRows<'a>(pub &'a ResultReader);

impl Serialize for StoredRows<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = serializer.serialize_seq(Some(self.0.len() as usize))?;
        // The serializer's own error (a closed pipe, say) is kept to be returned as it is.
        let mut failed: Option<S::Error> = None;
        let read = self.0.for_each_row(|row| {
            seq.serialize_element(row).map_err(|e| {
                failed = Some(e);
                ResultsError::Export("the output stopped".into())
            })
        });
        if let Some(e) = failed {
            return Err(e);
        }
        read.map_err(S::Error::custom)?;
        seq.end()
    }
}

/// One event of `warden audit log --format json`.
#[derive(Debug, Serialize)]
pub struct AuditEvent<'a> {
    pub seq: u64,
    pub id: &'a str,
    /// RFC 3339, UTC, milliseconds.
    pub at: &'a str,
    pub kind: &'a str,
    pub actor: &'a str,
    pub workspace: &'a str,
    pub summary: &'a str,
    pub payload: &'a serde_json::Value,
}

impl<'a> From<&'a EventView> for AuditEvent<'a> {
    fn from(e: &'a EventView) -> Self {
        Self {
            seq: e.seq,
            id: &e.id,
            at: &e.at,
            kind: &e.kind,
            actor: &e.actor,
            workspace: &e.workspace,
            summary: &e.summary,
            payload: &e.payload,
        }
    }
}

/// `warden audit status --format json`.
#[derive(Debug, Serialize)]
pub struct AuditStatus<'a> {
    pub device_id: &'a str,
    pub journal: &'a PathBuf,
    pub events: u64,
    pub last_seq: u64,
    pub store: Option<&'a str>,
    pub last_synced_seq: u64,
    pub pending: u64,
    pub last_success: Option<&'a str>,
    pub last_error: Option<&'a str>,
    pub last_error_at: Option<&'a str>,
}

impl<'a> From<&'a AuditStatusView> for AuditStatus<'a> {
    fn from(s: &'a AuditStatusView) -> Self {
        Self {
            device_id: &s.device_id,
            journal: &s.journal,
            events: s.events,
            last_seq: s.last_seq,
            store: s.store.as_deref(),
            last_synced_seq: s.last_synced_seq,
            pending: s.pending,
            last_success: s.last_success.as_deref(),
            last_error: s.last_error.as_deref(),
            last_error_at: s.last_error_at.as_deref(),
        }
    }
}

/// `warden audit verify-store --format json`.
#[derive(Debug, Serialize)]
pub struct StoreReport<'a> {
    pub store: &'a str,
    pub intact: bool,
    pub devices: Vec<StoreDevice<'a>>,
    pub problems: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct StoreDevice<'a> {
    pub device: &'a str,
    pub events: u64,
    pub objects: u64,
    pub last_seq: u64,
    /// Who wrote the device's objects (their keys' `aws:userid`; `local` for a folder store).
    pub writers: &'a [String],
    /// Objects repeating another's range under another writer (a batch re-planned at sign-in).
    pub reuploads: u64,
}

/// `warden whoami --format json`: who the workspace's AWS credentials belong to (STS
/// `GetCallerIdentity`) and when the sign-in and the credentials run out.
#[derive(Debug, Serialize)]
pub struct WhoAmI<'a> {
    pub workspace: &'a str,
    /// The caller's ARN as STS names it.
    pub identity: &'a str,
    pub account_id: &'a str,
    pub role_name: &'a str,
    /// RFC 3339, UTC; null when the sign-in's token carries no expiry.
    pub sign_in_expires_at: Option<String>,
    /// RFC 3339, UTC.
    pub credentials_expire_at: String,
}

/// `warden elevation list --format json`: the queue's own records, already snake_case.
pub type PendingRequests<'a> = &'a [PendingRequest];

/// One element of `warden elevation list --format json` on an AWS workspace: a request in the
/// bucket waiting for an approver. `requester` is the `aws:userid` whose prefix the request was
/// written under (the bucket policy makes that the writer); the rest is what the requester
/// wrote.
#[derive(Debug, Serialize)]
pub struct OpenRequest<'a> {
    pub id: &'a str,
    /// The elevation asked for.
    pub name: &'a str,
    pub requester: &'a str,
    pub requested_at_ms: i64,
    /// How long ago it was asked, in whole seconds.
    pub age_s: u64,
    pub duration_s: u64,
    pub justification: &'a str,
    pub ticket: Option<&'a str>,
    /// An extension: the request id of the grant it asks more time on.
    pub extends: Option<&'a str>,
    /// When that grant ends now (absent when it no longer holds).
    pub grant_ends_at_ms: Option<i64>,
    /// When it would end with the time asked added now.
    pub grant_would_end_at_ms: Option<i64>,
}

impl<'a> OpenRequest<'a> {
    pub fn of(r: &'a warden_core::aws_queue::OpenRequest, now_ms: i64) -> Self {
        OpenRequest {
            id: &r.id,
            name: &r.name,
            requester: &r.requester,
            requested_at_ms: r.requested_at_ms,
            age_s: ((now_ms - r.requested_at_ms).max(0) / 1000) as u64,
            duration_s: r.duration_s,
            justification: &r.justification,
            ticket: r.ticket.as_deref(),
            extends: r.extends.as_ref().map(|x| x.id.as_str()),
            grant_ends_at_ms: r.extends.as_ref().and_then(|x| x.ends_at_ms),
            grant_would_end_at_ms: r.extends.as_ref().and_then(|x| x.would_end_at_ms),
        }
    }
}

/// `warden workspace show --format json`: the core's summary, already snake_case.
pub type Workspace<'a> = &'a WorkspaceSummary;

/// `warden workspace list --format json`: the core's listing, already snake_case.
pub type WorkspaceList<'a> = &'a [WorkspaceListing];

/// `warden bundle status --format json`: the bundle crate's status, already snake_case.
pub type BundleStatus<'a> = &'a PolicyStatus;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key of `doc`, however deep, except inside `payload` (an event's own record).
    fn keys(doc: &serde_json::Value, out: &mut Vec<String>) {
        match doc {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    out.push(k.clone());
                    if k != "payload" {
                        keys(v, out);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
            _ => {}
        }
    }

    fn assert_snake_case(doc: impl Serialize) {
        let mut found = Vec::new();
        keys(&serde_json::to_value(doc).expect("serialises"), &mut found);
        assert!(!found.is_empty());
        for k in found {
            assert!(
                k.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{k} is not snake_case"
            );
        }
    }

    #[test]
    fn every_printed_document_is_snake_case() {
        let status = AuditStatusView {
            device_id: "d".into(),
            journal: PathBuf::from("/j"),
            events: 1,
            last_seq: 1,
            store: Some("file:///s".into()),
            last_synced_seq: 0,
            pending: 1,
            last_success: None,
            last_error: Some("offline".into()),
            last_error_at: Some("2026-01-01T00:00:00.000Z".into()),
        };
        assert_snake_case(AuditStatus::from(&status));
        let event = EventView {
            seq: 1,
            id: "e".into(),
            at: "2026-01-01T00:00:00.000Z".into(),
            kind: "app_started".into(),
            actor: "a".into(),
            workspace: "demo".into(),
            summary: "started".into(),
            payload: serde_json::json!({ "appVersion": "kept as recorded" }),
        };
        assert_snake_case([AuditEvent::from(&event)]);
        assert_snake_case(StoreReport {
            store: "file:///s",
            intact: true,
            devices: vec![StoreDevice {
                device: "d",
                events: 1,
                objects: 1,
                last_seq: 1,
                writers: &["local".to_string()],
                reuploads: 0,
            }],
            problems: vec![],
        });
        let pending = [PendingRequest {
            id: "r".into(),
            name: "pii-read".into(),
            requester: "a".into(),
            requested_at_ms: 1,
            duration_s: 60,
            reason: "INC-1".into(),
            extends: None,
        }];
        let list: PendingRequests = &pending;
        assert_snake_case(list);
        let open = warden_core::aws_queue::OpenRequest {
            id: "r".into(),
            name: "pii-read".into(),
            requester: "AROA:ana".into(),
            requested_at_ms: 1,
            duration_s: 60,
            justification: "j".into(),
            ticket: Some("INC-1".into()),
            refused: vec![],
            extends: None,
        };
        assert_snake_case([OpenRequest::of(&open, 61_001)]);
        assert_eq!(OpenRequest::of(&open, 61_001).age_s, 61);
        let bundle: PolicyStatus = serde_json::from_value(serde_json::json!({
            "health": "valid", "reason": null, "warning": null, "name": "demo", "revision": 1,
            "source": null, "fetched_at": null, "issued_at": null, "expires_at": null,
            "key_id": null,
            "last_fetch": { "at": "2026-01-01T00:00:00Z", "result": "updated", "message": "m" }
        }))
        .expect("a status");
        let printed: BundleStatus = &bundle;
        assert_snake_case(printed);
        let listing = [WorkspaceListing {
            name: "demo".into(),
            kind: warden_core::WorkspaceKind::Demo,
            managed: false,
            default: true,
        }];
        let printed: WorkspaceList = &listing;
        assert_snake_case(printed);
        assert_snake_case(WhoAmI {
            workspace: "prod",
            identity: "arn:aws:sts::123456789012:assumed-role/analyst/ana",
            account_id: "123456789012",
            role_name: "analyst",
            sign_in_expires_at: Some("2026-01-01T00:00:00+00:00".into()),
            credentials_expire_at: "2026-01-01T00:00:00+00:00".into(),
        });
    }
}
