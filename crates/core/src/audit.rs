//! The workspace's audit journal as the shells see it: read, verify, sync, and the few events a
//! shell itself reports. Query and bundle events are recorded by the gate, never by a shell.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone};
use serde::Serialize;
use warden_audit::{
    open_store, verify_store, Actor, AppStarted, ChainReport, Event, EventFilter, Journal, Kind,
    NewEvent, Payload, Recorded, StoreOptions, StoreReport, SyncPolicy, SyncReport,
};

use crate::error::CoreError;

pub use chrono::Utc;
pub use warden_audit::Kind as AuditKind;

/// One journal per workspace: its events, its device id and its sync watermark.
pub struct Audit {
    journal: std::sync::Arc<Journal>,
    workspace: String,
    store: Option<String>,
    /// How an S3 store is reached: an `athena` workspace's sign-in (its credentials, region and
    /// S3 endpoint); `None` takes the AWS SDK's own chain, as the broker's task role does.
    store_sdk: std::sync::RwLock<Option<aws_config::SdkConfig>>,
    /// The workspace's S3 endpoint for its store (`[audit] endpoint`), when it names one.
    store_endpoint: Option<String>,
    /// The workspace's own STS endpoint (`[sign_in.endpoints] sts`, `[elevation.endpoints]
    /// sts`): where the store's writer is asked who it is.
    identity_endpoint: Option<String>,
}

/// An event as the CLI prints it and the Audit panel lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    pub seq: u64,
    pub id: String,
    /// RFC 3339, UTC, milliseconds.
    pub at: String,
    pub kind: String,
    pub actor: String,
    pub workspace: String,
    pub summary: String,
    pub payload: serde_json::Value,
}

/// Sync state for `warden audit status` and the Audit panel.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditStatusView {
    pub device_id: String,
    pub journal: PathBuf,
    pub events: u64,
    pub last_seq: u64,
    pub store: Option<String>,
    pub last_synced_seq: u64,
    pub pending: u64,
    pub last_success: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
}

/// The account that owns this process: the requester or approver Warden records.
pub fn os_user() -> String {
    Actor::from_os().os_user
}

impl Audit {
    pub(crate) fn open(
        path: &Path,
        workspace: &str,
        store: Option<String>,
    ) -> Result<Self, CoreError> {
        let journal = std::sync::Arc::new(Journal::open(path, Actor::from_os())?);
        Ok(Self {
            journal,
            workspace: workspace.to_string(),
            store,
            store_sdk: std::sync::RwLock::new(None),
            store_endpoint: None,
            identity_endpoint: None,
        })
    }

    /// An `s3://` store is reached at `endpoint` (`[audit] endpoint`: a local server).
    /// Asks STS at `endpoint` (else where the AWS configuration says) whose credentials write
    /// an S3 store.
    pub(crate) fn with_identity_endpoint(mut self, endpoint: Option<String>) -> Self {
        self.identity_endpoint = endpoint;
        self
    }

    pub(crate) fn with_store_endpoint(mut self, endpoint: Option<String>) -> Self {
        self.store_endpoint = endpoint;
        self
    }

    /// Writes an S3 store with `sdk` (the workspace's sign-in: the analyst's own baseline
    /// credentials, which the bucket policy lets append) instead of whatever credentials the
    /// AWS SDK's chain finds on the machine.
    pub(crate) fn sign_store_with(&self, sdk: aws_config::SdkConfig) {
        *self.store_sdk.write().unwrap_or_else(|p| p.into_inner()) = Some(sdk);
    }

    fn store_options(&self) -> StoreOptions {
        let defaults = store_options();
        StoreOptions {
            sdk_config: self
                .store_sdk
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            s3_endpoint: self.store_endpoint.clone().or(defaults.s3_endpoint),
            sts_endpoint: self.identity_endpoint.clone(),
        }
    }

    pub(crate) fn record(&self, payload: Payload) -> Result<Recorded, CoreError> {
        Ok(self
            .journal
            .append(NewEvent::new(self.workspace.clone(), payload))?)
    }

    /// Attributes the following events to the SSO identity too (`None` after sign-out).
    pub(crate) fn set_sso_identity(&self, identity: Option<String>) {
        let mut actor = Actor::from_os();
        actor.sso_identity = identity;
        self.journal.set_actor(actor);
    }

    /// The desktop app (or a long-running shell) started in this workspace.
    pub fn app_started(&self, app_version: &str) -> Result<(), CoreError> {
        self.record(Payload::AppStarted(AppStarted {
            app_version: app_version.to_string(),
            os: std::env::consts::OS.to_string(),
        }))
        .map(|_| ())
    }

    /// The journal itself, for a writer of its own events (the elevation broker).
    pub(crate) fn journal(&self) -> std::sync::Arc<Journal> {
        self.journal.clone()
    }

    pub fn journal_path(&self) -> &Path {
        self.journal.path()
    }

    /// The configured central store, if any.
    pub fn store(&self) -> Option<&str> {
        self.store.as_deref()
    }

    /// Events matching `kinds` and `since`, newest first when `newest_first`.
    pub fn events(
        &self,
        kinds: &[Kind],
        since: Option<DateTime<Utc>>,
        limit: Option<u64>,
        newest_first: bool,
    ) -> Result<Vec<EventView>, CoreError> {
        let filter = EventFilter {
            kinds: kinds.to_vec(),
            since_ms: since.map(|t| t.timestamp_millis()),
            newest_first,
            limit,
            ..Default::default()
        };
        Ok(self
            .journal
            .events(&filter)?
            .iter()
            .map(EventView::from_event)
            .collect())
    }

    pub fn verify(&self) -> Result<ChainReport, CoreError> {
        Ok(self.journal.verify()?)
    }

    /// When the oldest event not yet in the configured store was recorded (ms since the epoch);
    /// `None` when every event is there. Without a store every event counts as unsynced.
    pub(crate) fn oldest_unsynced_ms(&self) -> Result<Option<i64>, CoreError> {
        let status = self.journal.status()?;
        let watermark = self
            .store
            .as_deref()
            .and_then(|url| status.stores.iter().find(|s| same_store(&s.store, url)))
            .map_or(0, |s| s.last_synced_seq);
        let next = EventFilter {
            after_seq: Some(watermark),
            limit: Some(1),
            ..Default::default()
        };
        Ok(self.journal.events(&next)?.first().map(|e| e.ts_ms))
    }

    pub fn status(&self) -> Result<AuditStatusView, CoreError> {
        let status = self.journal.status()?;
        let synced = self
            .store
            .as_deref()
            .and_then(|url| status.stores.iter().find(|s| same_store(&s.store, url)));
        Ok(AuditStatusView {
            device_id: status.device_id.clone(),
            journal: self.journal.path().to_path_buf(),
            events: status.events,
            last_seq: status.last_seq,
            store: self.store.clone(),
            last_synced_seq: synced.map_or(0, |s| s.last_synced_seq),
            pending: synced.map_or(status.last_seq, |s| s.pending),
            last_success: synced.and_then(|s| s.last_success_ms).map(rfc3339_ms),
            last_error: synced.and_then(|s| s.last_error.clone()),
            last_error_at: synced.and_then(|s| s.last_error_ms).map(rfc3339_ms),
        })
    }

    /// Uploads every event not yet in the store (`to`, or the workspace's store), exactly once.
    pub async fn sync(&self, to: Option<&str>) -> Result<SyncReport, CoreError> {
        self.sync_with(to, &SyncPolicy::default()).await
    }

    /// Syncs, then reports the state: for the app's "Sync now" and background sync. A failure
    /// (including one before any upload, such as no store configured) is in `last_error`.
    pub async fn sync_now(&self) -> Result<AuditStatusView, CoreError> {
        let outcome = self.sync(None).await;
        let mut status = self.status()?;
        // Tampering found by a sync that otherwise succeeded is shown like an error: the user
        // must see it, and the journal keeps it as a `store_tampering` event.
        let problem = match outcome {
            Err(e) => Some(e.to_string()),
            Ok(report) => (!report.findings.is_empty()).then(|| {
                let found: Vec<String> = report.findings.iter().map(|t| t.to_string()).collect();
                found.join("; ")
            }),
        };
        if let Some(problem) = problem {
            status.last_error = Some(problem);
            status.last_error_at = Some(rfc3339_ms(Utc::now().timestamp_millis()));
        }
        Ok(status)
    }

    #[tracing::instrument(name = "sync", skip_all, fields(workspace = %self.workspace))]
    pub async fn sync_with(
        &self,
        to: Option<&str>,
        policy: &SyncPolicy,
    ) -> Result<SyncReport, CoreError> {
        let url = to
            .or(self.store.as_deref())
            .ok_or_else(|| CoreError::NoAuditStore(self.workspace.clone()))?;
        let store = open_store(url, &self.store_options()).await?;
        let outcome = self.journal.sync(store.as_ref(), policy).await;
        // The store's address and an error's text can carry credentials: neither is logged.
        match &outcome {
            Ok(_) => tracing::info!("audit sync done"),
            Err(_) => tracing::warn!("audit sync failed (the status shows why)"),
        }
        outcome.map_err(CoreError::AuditSync)
    }
}

/// Checks a central store: per device, no gaps, no duplicates, chain continuous across objects.
pub async fn verify_central_store(url: &str) -> Result<StoreReport, CoreError> {
    let store = open_store(url, &store_options()).await?;
    Ok(verify_store(store.as_ref()).await?)
}

/// `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` point S3 stores at a local server (tests, MinIO),
/// whatever credentials reach it.
fn store_options() -> StoreOptions {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_S3")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .ok()
        .filter(|v| !v.is_empty());
    StoreOptions {
        sdk_config: None,
        s3_endpoint: endpoint,
        sts_endpoint: None,
    }
}

/// Store URLs are recorded normalised (trailing `/`); compare them the same way.
fn same_store(recorded: &str, configured: &str) -> bool {
    recorded.trim_end_matches('/') == configured.trim_end_matches('/')
}

pub(crate) fn rfc3339_ms(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| format!("{ms} ms"))
}

impl EventView {
    fn from_event(event: &Event) -> Self {
        let actor = match &event.actor.sso_identity {
            Some(sso) => format!("{} ({sso})", event.actor.os_user),
            None => event.actor.os_user.clone(),
        };
        Self {
            seq: event.seq,
            id: event.id.clone(),
            at: rfc3339_ms(event.ts_ms),
            kind: event.kind().as_str().to_string(),
            actor,
            workspace: event.workspace.clone(),
            summary: summary(&event.payload),
            payload: event.payload.to_json().unwrap_or(serde_json::Value::Null),
        }
    }
}

/// One line that says what happened, for lists.
fn summary(payload: &Payload) -> String {
    fn sql(q: &warden_audit::QueryContext) -> String {
        let text = q
            .sql
            .text()
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "));
        match text {
            Some(t) if t.chars().count() > 80 => {
                format!("{}…", t.chars().take(80).collect::<String>())
            }
            Some(t) => t,
            None => format!("sql sha256 {}", &q.sql.sha256().as_str()[..12]),
        }
    }
    match payload {
        Payload::AppStarted(p) => format!("Warden {} started on {}", p.app_version, p.os),
        Payload::BundleUpdated(p) => format!(
            "policy bundle {} revision {} in force (key {})",
            p.bundle_id, p.revision, p.signer_key_id
        ),
        Payload::BundleRejected(p) => format!("policy bundle refused: {}", p.reason),
        Payload::QueryBlocked(p) => format!(
            "blocked ({}): {}",
            p.query.rule_ids.join(", "),
            sql(&p.query)
        ),
        Payload::QueryStarted(p) => format!("started on {}: {}", p.engine.engine, sql(&p.query)),
        Payload::QueryFinished(p) => {
            format!(
                "finished: {} rows, {} bytes scanned, {} ms: {}",
                p.rows,
                p.bytes_scanned,
                p.duration_ms,
                sql(&p.query)
            )
        }
        Payload::QueryFailed(p) => format!("failed after {} ms: {}", p.duration_ms, p.error),
        Payload::QueryCancelled(p) => {
            format!("cancelled after {} ms: {}", p.duration_ms, sql(&p.query))
        }
        Payload::ElevationRequested(p) => format!(
            "elevation {} requested for {} s: {}",
            p.elevation_id, p.requested_duration_s, p.reason
        ),
        Payload::ElevationGranted(p) => format!(
            "elevation {} granted until {}",
            p.elevation_id,
            rfc3339_ms(p.expires_at_ms)
        ),
        Payload::ElevationDenied(p) => format!("elevation {} denied: {}", p.elevation_id, p.reason),
        Payload::ElevationExpired(p) => format!("elevation {} expired", p.elevation_id),
        Payload::ElevationExtended(p) => format!(
            "elevation {} extended until {} (request {})",
            p.elevation_id,
            rfc3339_ms(p.expires_at_ms),
            p.request_id
        ),
        Payload::ElevationRevoked(p) => format!(
            "elevation {} revoked by {}: {}",
            p.elevation_id, p.revoked_by, p.reason
        ),
        Payload::Lockout(p) => format!("locked out: {}", p.reason),
        Payload::CredentialsWiped(p) => {
            format!("credentials wiped ({}): {}", p.cleared.join(", "), p.reason)
        }
        Payload::SignedIn(p) => format!(
            "signed in ({}), token until {}",
            p.method,
            rfc3339_ms(p.expires_at_ms)
        ),
        Payload::SignedOut(_) => "signed out".to_string(),
        Payload::SignInFailed(p) => format!("sign-in failed: {}", p.reason),
        Payload::TokenRefreshed(p) => {
            format!("SSO token refreshed until {}", rfc3339_ms(p.expires_at_ms))
        }
        Payload::CredentialsIssued(p) => format!(
            "credentials issued for {} in {} until {}",
            p.role_name,
            p.account_id,
            rfc3339_ms(p.expires_at_ms)
        ),
        Payload::ResultExported(p) => format!(
            "{} rows exported as {}{}",
            p.rows,
            p.format,
            p.query_id
                .as_ref()
                .map(|id| format!(" from query {id}"))
                .unwrap_or_default()
        ),
        Payload::StoreTampering(p) => format!(
            "tampering in the audit store ({}): {}",
            p.finding.as_str(),
            p.detail
        ),
        Payload::BrokerActionStarted(p) => format!(
            "broker about to {} ({}): {}",
            p.action.as_str(),
            p.key,
            p.detail
        ),
        Payload::BrokerActionEnded(p) => format!(
            "broker {}: {}{}",
            p.action.as_str(),
            p.outcome.as_str(),
            p.reason
                .as_ref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ),
    }
}

/// Parses a `--kind` value.
pub fn parse_kind(text: &str) -> Result<Kind, String> {
    text.parse::<Kind>()
}

/// An RFC 3339 time, or an age such as `90m`, `24h`, `7d` counted back from `now`.
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    warden_bundle::parse_duration(text)
        .ok()
        .and_then(|age| now.checked_sub_signed(age))
        .ok_or_else(|| format!("{text:?} is neither an RFC 3339 time (2026-11-21T09:00:00Z) nor an age (90m, 24h, 7d)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_times_and_ages() {
        let now = DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(
            parse_since("2026-11-20T00:00:00Z", now)
                .expect("time")
                .to_rfc3339(),
            "2026-11-20T00:00:00+00:00"
        );
        assert_eq!(
            parse_since("2h", now).expect("age").to_rfc3339(),
            "2026-11-21T10:00:00+00:00"
        );
        let err = parse_since("yesterday", now).expect_err("nonsense");
        assert!(
            err.contains("yesterday") && err.contains("RFC 3339"),
            "{err}"
        );
        // An age reaching before the calendar's start is an error, not a crash.
        assert!(parse_since("100000000d", now).is_err());
    }
}
