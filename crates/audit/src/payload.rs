//! One payload struct per event kind. There is deliberately no free-form map anywhere: every field
//! is named and typed, and none of them is meant for credentials, tokens or keys, so a secret has
//! no place to go. Bundles and SQL are identified by SHA-256 digests, which are validated.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::kind::Kind;

/// A lowercase hex SHA-256 digest (64 characters). Anything else is refused, so this field cannot
/// smuggle arbitrary text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sha256Hex(String);

impl Sha256Hex {
    pub fn of(bytes: &[u8]) -> Self {
        Sha256Hex(hex::encode(Sha256::digest(bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Sha256Hex {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Sha256Hex(s))
        } else {
            Err("a SHA-256 digest must be 64 lowercase hex characters".to_string())
        }
    }
}

impl From<Sha256Hex> for String {
    fn from(h: Sha256Hex) -> String {
        h.0
    }
}

/// Whether the policy lets the journal keep SQL text (`audit: { sql_text: full | hash }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlTextMode {
    Full,
    HashOnly,
}

/// Texts longer than this are recorded by their SHA-256 only, whatever the policy says. Athena
/// refuses them anyway (this is its limit, and the guardrails block longer texts), and neither
/// the journal nor the central store should take a pasted 100 MB file whole.
pub const MAX_SQL_TEXT_BYTES: usize = 262_144;

/// The SQL of a query: always its SHA-256, the text only when the policy allows it and it is no
/// longer than [`MAX_SQL_TEXT_BYTES`]. The digest is computed here, so it always matches the
/// text it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SqlRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    sha256: Sha256Hex,
}

impl SqlRecord {
    pub fn new(sql: &str, mode: SqlTextMode) -> Self {
        SqlRecord {
            text: match mode {
                SqlTextMode::Full if sql.len() <= MAX_SQL_TEXT_BYTES => Some(sql.to_string()),
                SqlTextMode::Full | SqlTextMode::HashOnly => None,
            },
            sha256: Sha256Hex::of(sql.as_bytes()),
        }
    }

    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    pub fn sha256(&self) -> &Sha256Hex {
        &self.sha256
    }
}

/// The values of a query's `?` parameters, kept as its text is: the values themselves only when
/// the policy keeps SQL text (and they are no longer than [`MAX_SQL_TEXT_BYTES`] together);
/// always how many there were and, when they could be put in the text, the SHA-256 of the text
/// with them in place (what Athena ran). Never a hash of a value alone: a short value's hash
/// names it, which a hash-only policy would not allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterRecord {
    count: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    values: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bound_sha256: Option<Sha256Hex>,
}

impl ParameterRecord {
    /// `bound_sql`: the text with the values in place, `None` when they were refused before.
    pub fn new(values: &[String], bound_sql: Option<&str>, mode: SqlTextMode) -> Self {
        let size: usize = values.iter().map(String::len).sum();
        ParameterRecord {
            count: values.len(),
            values: match mode {
                SqlTextMode::Full if size <= MAX_SQL_TEXT_BYTES => Some(values.to_vec()),
                SqlTextMode::Full | SqlTextMode::HashOnly => None,
            },
            bound_sha256: bound_sql.map(|sql| Sha256Hex::of(sql.as_bytes())),
        }
    }

    pub fn count(&self) -> usize {
        self.count
    }

    pub fn values(&self) -> Option<&[String]> {
        self.values.as_deref()
    }

    pub fn bound_sha256(&self) -> Option<&Sha256Hex> {
        self.bound_sha256.as_ref()
    }
}

/// The guardrails' verdict on a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allow,
    Warn,
    Elevate,
    Deny,
}

/// What every query event says about the query and the policy that judged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryContext {
    pub sql: SqlRecord,
    pub verdict: Verdict,
    /// Ids of the policy rules that produced the verdict.
    pub rule_ids: Vec<String>,
    /// Ids of the elevations active when the query ran.
    pub active_elevations: Vec<String>,
    pub bundle_revision: Option<u64>,
    /// The values of the text's `?` parameters; absent for a text without (so events of such
    /// texts encode as they did before parameters existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<ParameterRecord>,
    /// The database the text's unqualified names resolved in (the run's default database:
    /// Athena's query execution context), so History reopens the text against the same one.
    /// Only a database of the policy's catalog, lowercase (never free text); absent when the
    /// run had none, and in events written before it was recorded (which encode, and hash, as
    /// they did).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

/// The engine that ran a query and its own id for it (Athena query execution id, DataFusion run id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineRef {
    pub engine: String,
    pub query_id: Option<String>,
    /// The Athena workgroup the query ran in; absent for engines without workgroups (and in
    /// events written before it was recorded, whose encoding stays as it was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workgroup: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppStarted {
    pub app_version: String,
    pub os: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleUpdated {
    pub bundle_id: String,
    pub revision: u64,
    pub sha256: Sha256Hex,
    /// Fingerprint of the public key that signed the bundle.
    pub signer_key_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleRejected {
    pub bundle_id: Option<String>,
    pub revision: Option<u64>,
    pub sha256: Option<Sha256Hex>,
    pub reason: String,
}

/// Run was pressed on a statement whose verdict is deny or elevate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryBlocked {
    pub query: QueryContext,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryStarted {
    pub query: QueryContext,
    pub engine: EngineRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryFinished {
    pub query: QueryContext,
    pub engine: EngineRef,
    pub rows: u64,
    pub bytes_scanned: u64,
    /// What the scan cost, in millionths of a USD (an integer, so the canonical encoding is
    /// exact), for engines that bill by the byte (Athena); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_micro_usd: Option<u64>,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryFailed {
    pub query: QueryContext,
    pub engine: EngineRef,
    /// The engine's error in plain words (the caller strips anything request-specific).
    pub error: String,
    pub duration_ms: u64,
    /// What the query scanned before it failed (Athena bills it); absent when the engine did
    /// not say (the demo engine, or a run that failed before Athena accepted it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_scanned: Option<u64>,
    /// What that scan cost, in millionths of a USD, as in `QueryFinished`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_micro_usd: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryCancelled {
    pub query: QueryContext,
    pub engine: EngineRef,
    pub duration_ms: u64,
    /// What the query scanned before it stopped, as in `QueryFailed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_scanned: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_micro_usd: Option<u64>,
}

/// A result was written to a file (the window's Export). Never the data, nor the path itself
/// (it may name a person or a project): only its SHA-256, which matches a path one already has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultExported {
    /// `csv` or `json`.
    pub format: String,
    pub rows: u64,
    /// SHA-256 of the absolute path written, as UTF-8 (lossy on non-UTF-8 paths).
    pub path_sha256: Sha256Hex,
    /// The engine's id of the run whose result was exported (Athena's query execution id).
    pub query_id: Option<String>,
    /// Whether cells that start like a spreadsheet formula were guarded (CSV).
    pub formula_guard: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElevationRequested {
    pub elevation_id: String,
    /// What the elevation would allow, as named in the policy (e.g. a rule or grant id).
    pub scope: String,
    pub reason: String,
    pub requested_duration_s: u64,
    /// For an extension: the request id of the held grant it asks more time for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElevationGranted {
    pub elevation_id: String,
    pub approver: Option<String>,
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElevationDenied {
    pub elevation_id: String,
    pub approver: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElevationExpired {
    pub elevation_id: String,
}

/// A grant ended before its time by someone the broker accepted to end it (docs/elevation.md,
/// "Revoking"): who (the writer of the revocation, from its key) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElevationRevoked {
    pub elevation_id: String,
    pub revoked_by: String,
    pub reason: String,
}

/// A held grant was given more time (docs/elevation.md, "Extending a grant"): the grant
/// (`elevation_id`, its first request), the extension request that asked for it, who approved
/// it (`None`: the policy) and the grant's new end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElevationExtended {
    pub elevation_id: String,
    pub request_id: String,
    pub approver: Option<String>,
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lockout {
    pub reason: String,
    pub until_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsWiped {
    pub reason: String,
    /// Names of what was wiped (e.g. "sso-token-cache", "keyring:athena"), never the contents.
    pub cleared: Vec<String>,
}

/// A sign-in to IAM Identity Center (`browser` or `device_code`) and when its token expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    pub method: String,
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedOut {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInFailed {
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRefreshed {
    pub expires_at_ms: i64,
}

/// AWS credentials issued for a role: which account and role, until when. Never the keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsIssued {
    pub account_id: String,
    pub role_name: String,
    pub expires_at_ms: i64,
}

/// What the elevation broker does at AWS that grants or changes access (docs/audit.md, "The
/// broker's write-ahead record").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrokerAction {
    /// A compare-and-swap write of a request's state (`state/<id>.json`): decided, granted,
    /// extended, ended, revoked, or a refusal noted.
    WriteState,
    /// A credential set minted (STS `AssumeRole`) and delivered encrypted (`grants/...`).
    DeliverCredentials,
    /// IAM Identity Center `CreateAccountAssignment`.
    CreateAssignment,
    /// IAM Identity Center `DeleteAccountAssignment`.
    DeleteAssignment,
}

impl BrokerAction {
    pub fn as_str(self) -> &'static str {
        match self {
            BrokerAction::WriteState => "write_state",
            BrokerAction::DeliverCredentials => "deliver_credentials",
            BrokerAction::CreateAssignment => "create_assignment",
            BrokerAction::DeleteAssignment => "delete_assignment",
        }
    }
}

/// How a broker action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionOutcome {
    /// It happened; the events recorded with this one say what it did.
    Done,
    /// It did not happen (a lost compare-and-swap, a refusal by AWS): the reason says why.
    NotDone,
    /// The broker could not tell (AWS did not answer, or the pass stopped in between): the
    /// reason says why; the state in S3 and at AWS says what happened.
    Unknown,
}

impl ActionOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionOutcome::Done => "done",
            ActionOutcome::NotDone => "not_done",
            ActionOutcome::Unknown => "unknown",
        }
    }
}

/// The elevation broker is about to act (`action`); recorded before it does, so a journal that
/// refuses stops the action. Its `broker_action_ended` (same `action_id`) follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerActionStarted {
    /// Pairs this event with its `broker_action_ended` (a UUID).
    pub action_id: String,
    pub action: BrokerAction,
    /// The request the action is for; `None` for an assignment a sweep settles.
    pub elevation_id: Option<String>,
    /// The S3 key it writes (`state/<id>.json`, `grants/.../<n>.age`) or the assignment's
    /// record (`assignments/...json`).
    pub key: String,
    /// In plain words what it is about to do (never a credential).
    pub detail: String,
}

/// How the broker action `action_id` ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerActionEnded {
    pub action_id: String,
    pub action: BrokerAction,
    pub outcome: ActionOutcome,
    /// Why it was not done, or why the outcome is not known; `None` when done.
    pub reason: Option<String>,
}

/// What a sync found in the central store that this journal did not write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// The store holds events of this device that this journal does not have, or its chain does
    /// not continue the store's: another copy of the journal (a rolled-back or copied file) synced.
    Fork,
    /// An object under this device's key whose content is not this journal's events (someone
    /// with write access to the store put it there).
    ForeignObject,
}

impl Finding {
    pub fn as_str(self) -> &'static str {
        match self {
            Finding::Fork => "fork",
            Finding::ForeignObject => "foreign_object",
        }
    }
}

/// A sync found tampering in the central store (a fork or a foreign object), recorded once per
/// object so that the report itself reaches the store with the next batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreTampering {
    pub store: String,
    /// The object key, relative to the store's URL.
    pub key: String,
    pub finding: Finding,
    /// In plain words: what was found and what the journal holds instead.
    pub detail: String,
}

impl std::fmt::Display for StoreTampering {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.finding {
            Finding::Fork => "a fork of this journal",
            Finding::ForeignObject => "an object this journal did not write",
        };
        write!(
            f,
            "tampering found in the audit store {}: {what}: {}. Tell your security team; `warden audit verify-store --store {}` lists it",
            self.store, self.detail, self.store
        )
    }
}

/// The payload of an event; the variant decides the event's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    AppStarted(AppStarted),
    BundleUpdated(BundleUpdated),
    BundleRejected(BundleRejected),
    QueryBlocked(QueryBlocked),
    QueryStarted(QueryStarted),
    QueryFinished(QueryFinished),
    QueryFailed(QueryFailed),
    QueryCancelled(QueryCancelled),
    ElevationRequested(ElevationRequested),
    ElevationGranted(ElevationGranted),
    ElevationDenied(ElevationDenied),
    ElevationExpired(ElevationExpired),
    ElevationRevoked(ElevationRevoked),
    ElevationExtended(ElevationExtended),
    Lockout(Lockout),
    CredentialsWiped(CredentialsWiped),
    SignedIn(SignedIn),
    SignedOut(SignedOut),
    SignInFailed(SignInFailed),
    TokenRefreshed(TokenRefreshed),
    CredentialsIssued(CredentialsIssued),
    StoreTampering(StoreTampering),
    ResultExported(ResultExported),
    BrokerActionStarted(BrokerActionStarted),
    BrokerActionEnded(BrokerActionEnded),
}

impl Payload {
    pub fn kind(&self) -> Kind {
        match self {
            Payload::AppStarted(_) => Kind::AppStarted,
            Payload::BundleUpdated(_) => Kind::BundleUpdated,
            Payload::BundleRejected(_) => Kind::BundleRejected,
            Payload::QueryBlocked(_) => Kind::QueryBlocked,
            Payload::QueryStarted(_) => Kind::QueryStarted,
            Payload::QueryFinished(_) => Kind::QueryFinished,
            Payload::QueryFailed(_) => Kind::QueryFailed,
            Payload::QueryCancelled(_) => Kind::QueryCancelled,
            Payload::ElevationRequested(_) => Kind::ElevationRequested,
            Payload::ElevationGranted(_) => Kind::ElevationGranted,
            Payload::ElevationDenied(_) => Kind::ElevationDenied,
            Payload::ElevationExpired(_) => Kind::ElevationExpired,
            Payload::ElevationRevoked(_) => Kind::ElevationRevoked,
            Payload::ElevationExtended(_) => Kind::ElevationExtended,
            Payload::Lockout(_) => Kind::Lockout,
            Payload::CredentialsWiped(_) => Kind::CredentialsWiped,
            Payload::SignedIn(_) => Kind::SignedIn,
            Payload::SignedOut(_) => Kind::SignedOut,
            Payload::SignInFailed(_) => Kind::SignInFailed,
            Payload::TokenRefreshed(_) => Kind::TokenRefreshed,
            Payload::CredentialsIssued(_) => Kind::CredentialsIssued,
            Payload::StoreTampering(_) => Kind::StoreTampering,
            Payload::ResultExported(_) => Kind::ResultExported,
            Payload::BrokerActionStarted(_) => Kind::BrokerActionStarted,
            Payload::BrokerActionEnded(_) => Kind::BrokerActionEnded,
        }
    }

    /// Checks what the types alone cannot: a blocked query really was blocked.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if let Payload::QueryBlocked(b) = self {
            if !matches!(b.query.verdict, Verdict::Deny | Verdict::Elevate) {
                return Err("query_blocked needs a deny or elevate verdict".to_string());
            }
        }
        Ok(())
    }

    /// The payload as the JSON object stored in the journal.
    pub fn to_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        match self {
            Payload::AppStarted(p) => serde_json::to_value(p),
            Payload::BundleUpdated(p) => serde_json::to_value(p),
            Payload::BundleRejected(p) => serde_json::to_value(p),
            Payload::QueryBlocked(p) => serde_json::to_value(p),
            Payload::QueryStarted(p) => serde_json::to_value(p),
            Payload::QueryFinished(p) => serde_json::to_value(p),
            Payload::QueryFailed(p) => serde_json::to_value(p),
            Payload::QueryCancelled(p) => serde_json::to_value(p),
            Payload::ElevationRequested(p) => serde_json::to_value(p),
            Payload::ElevationGranted(p) => serde_json::to_value(p),
            Payload::ElevationDenied(p) => serde_json::to_value(p),
            Payload::ElevationExpired(p) => serde_json::to_value(p),
            Payload::ElevationRevoked(p) => serde_json::to_value(p),
            Payload::ElevationExtended(p) => serde_json::to_value(p),
            Payload::Lockout(p) => serde_json::to_value(p),
            Payload::CredentialsWiped(p) => serde_json::to_value(p),
            Payload::SignedIn(p) => serde_json::to_value(p),
            Payload::SignedOut(p) => serde_json::to_value(p),
            Payload::SignInFailed(p) => serde_json::to_value(p),
            Payload::TokenRefreshed(p) => serde_json::to_value(p),
            Payload::CredentialsIssued(p) => serde_json::to_value(p),
            Payload::StoreTampering(p) => serde_json::to_value(p),
            Payload::ResultExported(p) => serde_json::to_value(p),
            Payload::BrokerActionStarted(p) => serde_json::to_value(p),
            Payload::BrokerActionEnded(p) => serde_json::to_value(p),
        }
    }

    pub(crate) fn from_json(
        kind: Kind,
        value: serde_json::Value,
    ) -> Result<Self, serde_json::Error> {
        Ok(match kind {
            Kind::AppStarted => Payload::AppStarted(serde_json::from_value(value)?),
            Kind::BundleUpdated => Payload::BundleUpdated(serde_json::from_value(value)?),
            Kind::BundleRejected => Payload::BundleRejected(serde_json::from_value(value)?),
            Kind::QueryBlocked => Payload::QueryBlocked(serde_json::from_value(value)?),
            Kind::QueryStarted => Payload::QueryStarted(serde_json::from_value(value)?),
            Kind::QueryFinished => Payload::QueryFinished(serde_json::from_value(value)?),
            Kind::QueryFailed => Payload::QueryFailed(serde_json::from_value(value)?),
            Kind::QueryCancelled => Payload::QueryCancelled(serde_json::from_value(value)?),
            Kind::ElevationRequested => Payload::ElevationRequested(serde_json::from_value(value)?),
            Kind::ElevationGranted => Payload::ElevationGranted(serde_json::from_value(value)?),
            Kind::ElevationDenied => Payload::ElevationDenied(serde_json::from_value(value)?),
            Kind::ElevationExpired => Payload::ElevationExpired(serde_json::from_value(value)?),
            Kind::ElevationRevoked => Payload::ElevationRevoked(serde_json::from_value(value)?),
            Kind::ElevationExtended => Payload::ElevationExtended(serde_json::from_value(value)?),
            Kind::Lockout => Payload::Lockout(serde_json::from_value(value)?),
            Kind::CredentialsWiped => Payload::CredentialsWiped(serde_json::from_value(value)?),
            Kind::SignedIn => Payload::SignedIn(serde_json::from_value(value)?),
            Kind::SignedOut => Payload::SignedOut(serde_json::from_value(value)?),
            Kind::SignInFailed => Payload::SignInFailed(serde_json::from_value(value)?),
            Kind::TokenRefreshed => Payload::TokenRefreshed(serde_json::from_value(value)?),
            Kind::CredentialsIssued => Payload::CredentialsIssued(serde_json::from_value(value)?),
            Kind::StoreTampering => Payload::StoreTampering(serde_json::from_value(value)?),
            Kind::ResultExported => Payload::ResultExported(serde_json::from_value(value)?),
            Kind::BrokerActionStarted => {
                Payload::BrokerActionStarted(serde_json::from_value(value)?)
            }
            Kind::BrokerActionEnded => Payload::BrokerActionEnded(serde_json::from_value(value)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_only_sql_keeps_no_text() {
        let sql = "SELECT email FROM users";
        let full = SqlRecord::new(sql, SqlTextMode::Full);
        let hashed = SqlRecord::new(sql, SqlTextMode::HashOnly);
        assert_eq!(full.text(), Some(sql));
        assert_eq!(hashed.text(), None);
        assert_eq!(full.sha256(), hashed.sha256());
        let json = serde_json::to_string(&hashed).unwrap();
        assert!(!json.contains("email"), "{json}");
    }

    #[test]
    fn hash_only_parameters_keep_no_value_nor_a_hash_of_one() {
        let values = vec!["'4111 1111 1111 1111'".to_string(), "42".to_string()];
        let bound = "SELECT 1 WHERE card = '4111 1111 1111 1111' AND id = 42";
        let full = ParameterRecord::new(&values, Some(bound), SqlTextMode::Full);
        let hashed = ParameterRecord::new(&values, Some(bound), SqlTextMode::HashOnly);
        assert_eq!(full.values(), Some(values.as_slice()));
        assert_eq!(hashed.values(), None);
        assert_eq!(hashed.count(), 2);
        assert_eq!(
            hashed.bound_sha256(),
            Some(&Sha256Hex::of(bound.as_bytes()))
        );
        let json = serde_json::to_string(&hashed).unwrap();
        assert!(!json.contains("4111"), "{json}");
        for v in &values {
            let digest = String::from(Sha256Hex::of(v.as_bytes()));
            assert!(!json.contains(&digest), "{json}");
        }
        let refused = ParameterRecord::new(&values, None, SqlTextMode::HashOnly);
        assert_eq!(
            serde_json::to_value(&refused).unwrap(),
            serde_json::json!({ "count": 2 })
        );
    }

    #[test]
    fn oversized_sql_keeps_only_its_hash() {
        let at_bound = "x".repeat(MAX_SQL_TEXT_BYTES);
        assert_eq!(
            SqlRecord::new(&at_bound, SqlTextMode::Full).text(),
            Some(at_bound.as_str())
        );
        let over = "x".repeat(MAX_SQL_TEXT_BYTES + 1);
        let record = SqlRecord::new(&over, SqlTextMode::Full);
        assert_eq!(record.text(), None);
        assert_eq!(record.sha256(), &Sha256Hex::of(over.as_bytes()));
        assert!(serde_json::to_string(&record).unwrap().len() < 200);
    }

    #[test]
    fn a_failed_run_without_scan_figures_encodes_as_before_they_existed() {
        let query = QueryContext {
            sql: SqlRecord::new("SELECT 1", SqlTextMode::Full),
            verdict: Verdict::Allow,
            rule_ids: vec![],
            active_elevations: vec![],
            bundle_revision: Some(1),
            parameters: None,
            database: None,
        };
        let engine = EngineRef {
            engine: "athena".into(),
            query_id: Some("q".into()),
            workgroup: None,
        };
        let before = Payload::QueryCancelled(QueryCancelled {
            query: query.clone(),
            engine: engine.clone(),
            duration_ms: 5,
            bytes_scanned: None,
            cost_micro_usd: None,
        });
        let json = before.to_json().unwrap();
        assert!(json.get("bytes_scanned").is_none(), "{json}");
        assert_eq!(
            Payload::from_json(Kind::QueryCancelled, json).unwrap(),
            before
        );
        let scanned = Payload::QueryFailed(QueryFailed {
            query,
            engine,
            error: "boom".into(),
            duration_ms: 5,
            bytes_scanned: Some(42),
            cost_micro_usd: Some(7),
        });
        let json = scanned.to_json().unwrap();
        assert_eq!(
            (
                json["bytes_scanned"].as_u64(),
                json["cost_micro_usd"].as_u64()
            ),
            (Some(42), Some(7))
        );
        assert_eq!(
            Payload::from_json(Kind::QueryFailed, json).unwrap(),
            scanned
        );
    }

    #[test]
    fn the_database_is_kept_when_given_and_a_record_without_it_reads_as_before() {
        let query = QueryContext {
            sql: SqlRecord::new("SELECT order_id FROM orders", SqlTextMode::Full),
            verdict: Verdict::Allow,
            rule_ids: vec![],
            active_elevations: vec![],
            bundle_revision: Some(1),
            parameters: None,
            database: Some("sales".into()),
        };
        let blocked = |query: QueryContext| {
            Payload::QueryBlocked(QueryBlocked {
                query: QueryContext {
                    verdict: Verdict::Deny,
                    ..query
                },
            })
        };
        let with = blocked(query.clone());
        let json = with.to_json().unwrap();
        assert_eq!(json["query"]["database"], "sales", "{json}");
        assert_eq!(Payload::from_json(Kind::QueryBlocked, json).unwrap(), with);
        // A record written before the field existed: no key at all. It reads, with no
        // database, and encodes back to exactly the same JSON (so its hash still verifies).
        let old = serde_json::json!({"query": {
            "sql": {"text": "SELECT order_id FROM orders", "sha256": Sha256Hex::of(b"SELECT order_id FROM orders")},
            "verdict": "deny", "rule_ids": [], "active_elevations": [], "bundle_revision": 1
        }});
        let read = Payload::from_json(Kind::QueryBlocked, old.clone()).unwrap();
        assert_eq!(
            read,
            blocked(QueryContext {
                database: None,
                ..query
            })
        );
        assert_eq!(read.to_json().unwrap(), old);
    }

    #[test]
    fn an_export_records_a_hash_of_the_path_never_the_path() {
        let path = "/home/alice/clients/acme/churn.csv";
        let exported = Payload::ResultExported(ResultExported {
            format: "csv".into(),
            rows: 12,
            path_sha256: Sha256Hex::of(path.as_bytes()),
            query_id: Some("q-9".into()),
            formula_guard: true,
        });
        assert_eq!(exported.kind(), Kind::ResultExported);
        let json = exported.to_json().unwrap();
        assert!(!json.to_string().contains("acme"), "{json}");
        assert_eq!(json["rows"], 12);
        assert_eq!(
            Payload::from_json(Kind::ResultExported, json).unwrap(),
            exported
        );
        let forged = serde_json::json!({"format": "csv", "rows": 1, "path_sha256": path, "query_id": null, "formula_guard": true});
        assert!(Payload::from_json(Kind::ResultExported, forged).is_err());
    }

    #[test]
    fn sha256_field_refuses_free_text() {
        let bad = serde_json::json!({"bundle_id": "b", "revision": 1, "sha256": "AKIAEXAMPLE", "signer_key_id": "k"});
        let err = Payload::from_json(Kind::BundleUpdated, bad).unwrap_err();
        assert!(err.to_string().contains("64 lowercase hex"), "{err}");
    }

    #[test]
    fn blocked_query_must_be_denied_or_elevated() {
        let query = QueryContext {
            sql: SqlRecord::new("SELECT 1", SqlTextMode::Full),
            verdict: Verdict::Allow,
            rule_ids: vec![],
            active_elevations: vec![],
            bundle_revision: None,
            parameters: None,
            database: None,
        };
        assert!(Payload::QueryBlocked(QueryBlocked {
            query: query.clone()
        })
        .validate()
        .is_err());
        let denied = QueryContext {
            verdict: Verdict::Deny,
            ..query
        };
        assert!(Payload::QueryBlocked(QueryBlocked { query: denied })
            .validate()
            .is_ok());
    }

    #[test]
    fn a_broker_action_and_its_outcome_encode_as_plain_snake_case_and_round_trip() {
        let started = Payload::BrokerActionStarted(BrokerActionStarted {
            action_id: "0193a1b2-0000-7000-8000-000000000001".into(),
            action: BrokerAction::DeliverCredentials,
            elevation_id: Some("r-1".into()),
            key: "grants/AROA:ana@example.com/r-1/2.age".into(),
            detail: "credential set 2 of role R in account 123456789012".into(),
        });
        let ended = Payload::BrokerActionEnded(BrokerActionEnded {
            action_id: "0193a1b2-0000-7000-8000-000000000001".into(),
            action: BrokerAction::DeliverCredentials,
            outcome: ActionOutcome::NotDone,
            reason: Some("the key exists already".into()),
        });
        for (payload, kind) in [
            (started, Kind::BrokerActionStarted),
            (ended, Kind::BrokerActionEnded),
        ] {
            assert_eq!(payload.kind(), kind);
            let json = payload.to_json().unwrap();
            assert_eq!(json["action"], "deliver_credentials", "{json}");
            assert_eq!(Payload::from_json(kind, json).unwrap(), payload);
        }
        for outcome in [
            ActionOutcome::Done,
            ActionOutcome::NotDone,
            ActionOutcome::Unknown,
        ] {
            assert_eq!(
                serde_json::to_value(outcome).unwrap(),
                serde_json::json!(outcome.as_str())
            );
        }
        for action in [
            BrokerAction::WriteState,
            BrokerAction::DeliverCredentials,
            BrokerAction::CreateAssignment,
            BrokerAction::DeleteAssignment,
        ] {
            assert_eq!(
                serde_json::to_value(action).unwrap(),
                serde_json::json!(action.as_str())
            );
        }
    }
}
