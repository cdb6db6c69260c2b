//! Every way a bundle can be refused or an operation can fail, each with a reason a person can act on.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("the policy does not validate, so no bundle was built: {0}")]
    PolicyInvalid(#[from] warden_guardrails::PolicyError),
    #[error("policy.yaml in the bundle is not valid: {0}; the publisher must fix the policy and publish a new revision")]
    BundledPolicyInvalid(warden_guardrails::PolicyError),
    #[error("the policy is named {policy:?} but the manifest says {manifest:?}; the bundle was not built by `warden bundle build`")]
    NameMismatch { manifest: String, policy: String },
    #[error("the policy is not UTF-8 text; pass the policy YAML file itself")]
    PolicyNotText,
    #[error("the catalog is not UTF-8 text; pass the catalog file itself")]
    CatalogNotText,
    #[error("revision must be 1 or more (got {0})")]
    InvalidRevision(u64),
    #[error("validity {0:?} is not a duration; write a number followed by s, m, h or d (for example 30d)")]
    InvalidDuration(String),

    #[error("key file {path}: {reason}")]
    KeyFile { path: PathBuf, reason: String },
    #[error("key file {path} can be read by other users (mode {mode:o}); run `chmod 600 {path}`", path = path.display())]
    KeyFileTooOpen { path: PathBuf, mode: u32 },
    #[error("{path} already exists; choose another --out or remove the old key first", path = path.display())]
    KeyFileExists { path: PathBuf },
    #[error("public key is not valid: {reason}; expected a .pub file written by `warden bundle keygen` or its line `ed25519:<64 hex digits>`")]
    PublicKeyInvalid { reason: String },
    #[error("the operating system gave no random numbers: {0}")]
    Random(String),

    #[error("the bundle is not a readable .tar.gz: {reason}")]
    NotAnArchive { reason: String },
    #[error("the bundle unpacks to more than {limit} bytes; refused (the size cap guards against archive bombs)")]
    ArchiveTooLarge { limit: u64 },
    #[error("the bundle has more than {limit} entries; a bundle holds only manifest.json, signature and the listed files")]
    TooManyEntries { limit: usize },
    #[error("archive entry {entry:?} leaves the bundle (absolute path, `..` or a folder); refused as path traversal")]
    PathTraversal { entry: String },
    #[error("archive entry {entry:?} is a {kind}; bundles may hold only regular files")]
    LinkOrSpecialEntry { entry: String, kind: String },
    #[error("archive entry {entry:?} appears twice")]
    DuplicateEntry { entry: String },

    #[error("the bundle has no manifest.json; it was not built by `warden bundle build`")]
    ManifestMissing,
    #[error("manifest.json is not valid: {reason}")]
    ManifestInvalid { reason: String },
    #[error("manifest format is {found:?}; this Warden reads \"warden-bundle/1\" (update Warden or rebuild the bundle)")]
    UnsupportedFormat { found: String },
    #[error("the bundle has no signature file; sign it with `warden bundle build --key KEYFILE`")]
    SignatureMissing,
    #[error("the signature file is not valid: {reason}")]
    SignatureInvalid { reason: String },
    #[error("the bundle is signed with key {key_id}, which is not trusted here (trusted: {trusted}); add its public key to the workspace's trusted keys if it is genuine")]
    UnknownKey { key_id: String, trusted: String },
    #[error("the signature does not match manifest.json for key {key_id}: the bundle was altered or signed with another key; do not use it")]
    BadSignature { key_id: String },
    #[error("manifest.json names key {manifest} but the signature is by key {signature}")]
    KeyIdMismatch { manifest: String, signature: String },
    #[error("{file} is listed in the manifest but missing from the archive")]
    FileMissing { file: String },
    #[error("{file} is in the archive but not listed in the manifest; refused, unsigned content")]
    FileExtra { file: String },
    #[error("{file} does not match its SHA-256 in the manifest (expected {expected}, found {actual}): the file was altered after signing")]
    HashMismatch {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("the manifest does not list policy.yaml; every bundle must carry a policy")]
    PolicyMissing,

    #[error("the bundle was issued at {issued_at}, more than {max_skew_seconds} s ahead of this machine's clock ({now}); check the clock here or on the publishing machine")]
    IssuedInFuture {
        issued_at: DateTime<Utc>,
        now: DateTime<Utc>,
        max_skew_seconds: i64,
    },
    #[error(
        "the bundle expired at {expires_at} (now {now}); publish a fresh revision and fetch it"
    )]
    Expired {
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    #[error("bundle {name:?} revision {revision} is older than revision {minimum} already accepted; refused as a rollback (publish a revision above {minimum})")]
    Rollback {
        name: String,
        revision: u64,
        minimum: u64,
    },
    #[error("bundle {name:?} revision {revision} differs from the revision {revision} already accepted; refused as equivocation (a revision number must never be reused; publish revision {next})", next = revision + 1)]
    Equivocation { name: String, revision: u64 },

    #[error("the bundle is named {name:?} but this workspace takes only bundle {expected:?} (pinned by {pinned_by}); refused: it was made for another team")]
    ForeignBundle {
        name: String,
        expected: String,
        pinned_by: String,
    },
    #[error("bundle {name:?} was signed for the audience {audience:?}, not for this workspace ({workspace}); refused: it was made for another team")]
    WrongAudience {
        name: String,
        audience: String,
        workspace: String,
    },

    #[error("no policy bundle has been accepted yet, so nothing may run; fetch one with `warden bundle fetch`")]
    NoBundle,
    #[error("the cached bundle could not be used ({reason}), so nothing may run; fetch a fresh one with `warden bundle fetch`")]
    CacheUnusable { reason: String },
    #[error("the policy bundle expired at {expires_at} and its grace period ended at {grace_ended}; queries are refused until a fresh bundle is fetched")]
    ExpiredBeyondGrace {
        expires_at: DateTime<Utc>,
        grace_ended: DateTime<Utc>,
    },
    #[error("the system clock reads {now}, earlier than {seen}, a time this machine has already seen or at which a trusted policy bundle was issued; the clock cannot be trusted to judge the bundle's expiry, so nothing may run until it is set right")]
    ClockUntrusted {
        now: DateTime<Utc>,
        seen: DateTime<Utc>,
    },

    #[error("{url:?} is not a bundle location: {reason}")]
    InvalidLocation { url: String, reason: String },
    #[error("could not reach {location}: {reason}")]
    Unreachable { location: String, reason: String },
    #[error(
        "{location} did not answer within the time limit; the last accepted bundle stays in force"
    )]
    Timeout { location: String },
    #[error("{location} answered HTTP {status}; the last accepted bundle stays in force")]
    HttpStatus { location: String, status: u16 },
    #[error("{location} redirected more than {limit} times")]
    TooManyRedirects { location: String, limit: usize },
    #[error("{location} sent more than {limit} bytes; refused")]
    DownloadTooLarge { location: String, limit: u64 },
    #[error("nothing is published at {location}; publish a bundle there first")]
    NotFound { location: String },
    #[error("S3 request to {location} failed: {reason}")]
    S3 { location: String, reason: String },
    #[error("{location} is read with your Warden sign-in, never with other AWS credentials on this machine: {reason}")]
    SignInNeeded { location: String, reason: String },

    #[error("revision {revision} is already published at {location} with different content; bump the revision and build again")]
    PublishConflict { revision: u64, location: String },
    #[error("{location} already points to revision {latest}, newer than {revision}; publish a revision above {latest}")]
    PublishOutdated {
        revision: u64,
        latest: u64,
        location: String,
    },
    #[error("another publisher kept changing {location}; try again")]
    PublishContended { location: String },
    #[error("{path} exists: another publish is running, or one crashed (then remove the file)", path = path.display())]
    PublishLocked { path: PathBuf },
    #[error("publishing to {scheme}:// is not supported; publish to s3:// or file:// and serve that over HTTPS")]
    PublishUnsupported { scheme: String },
}

impl BundleError {
    /// True when a valid bundle was refused because it was made for another workspace.
    pub fn is_foreign(&self) -> bool {
        matches!(
            self,
            BundleError::ForeignBundle { .. } | BundleError::WrongAudience { .. }
        )
    }

    /// True when the source could not be reached or read, as opposed to a bundle being refused.
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            BundleError::Io { .. }
                | BundleError::Unreachable { .. }
                | BundleError::Timeout { .. }
                | BundleError::HttpStatus { .. }
                | BundleError::TooManyRedirects { .. }
                | BundleError::NotFound { .. }
                | BundleError::S3 { .. }
                | BundleError::SignInNeeded { .. }
        )
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| BundleError::Io {
            action,
            path,
            source,
        }
    }
}
