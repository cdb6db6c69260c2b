//! Verification: every check a bundle must pass before its policy may be enforced.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::archive::{self, Limits};
use crate::error::BundleError;
use crate::keys::{KeyId, TrustStore};
use crate::manifest::{
    Manifest, SignatureFile, CATALOG_FILE, MANIFEST_FILE, POLICY_FILE, SIGNATURE_FILE,
};

#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Lowest revision accepted (the last accepted revision, or `--min-revision`).
    pub min_revision: Option<u64>,
    pub now: DateTime<Utc>,
    /// How far `issued_at` may lie ahead of `now` (clock skew between publisher and client).
    pub max_future_skew: Duration,
    pub limits: Limits,
}

impl VerifyOptions {
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            min_revision: None,
            now,
            max_future_skew: Duration::minutes(5),
            limits: Limits::default(),
        }
    }
}

/// A bundle that passed every check. Only [`verify`] makes one.
#[derive(Debug, Clone)]
pub struct VerifiedBundle {
    manifest: Manifest,
    policy: warden_guardrails::Policy,
    policy_yaml: String,
    catalog: Option<String>,
    manifest_sha256: String,
    bundle_sha256: String,
}

impl VerifiedBundle {
    pub fn name(&self) -> &str {
        &self.manifest.name
    }
    pub fn revision(&self) -> u64 {
        self.manifest.revision
    }
    pub fn issued_at(&self) -> DateTime<Utc> {
        self.manifest.issued_at
    }
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.manifest.expires_at
    }
    pub fn key_id(&self) -> &str {
        &self.manifest.key_id
    }
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }
    pub fn policy(&self) -> &warden_guardrails::Policy {
        &self.policy
    }
    pub fn policy_yaml(&self) -> &str {
        &self.policy_yaml
    }
    pub fn catalog(&self) -> Option<&str> {
        self.catalog.as_deref()
    }
    /// SHA-256 of the signed manifest: two bundles with the same one say exactly the same thing.
    pub fn content_id(&self) -> &str {
        &self.manifest_sha256
    }
    /// SHA-256 of the `.tar.gz` bytes as received.
    pub fn bundle_sha256(&self) -> &str {
        &self.bundle_sha256
    }
    /// One line for `warden bundle verify`.
    pub fn summary(&self) -> String {
        let for_whom = self
            .manifest()
            .audience
            .as_deref()
            .map(|a| format!(", for audience {a:?}"))
            .unwrap_or_default();
        format!(
            "bundle {:?} revision {} valid: signed by key {}, issued {}, expires {}{for_whom}",
            self.name(),
            self.revision(),
            self.key_id(),
            self.issued_at().to_rfc3339(),
            self.expires_at().to_rfc3339()
        )
    }
}

/// Verifies a bundle completely, including its validity window and minimum revision.
pub fn verify(
    bytes: &[u8],
    trust: &TrustStore,
    options: &VerifyOptions,
) -> Result<VerifiedBundle, BundleError> {
    let bundle = verify_content(bytes, trust, &options.limits)?;
    check_time(bundle.manifest(), options.now, options.max_future_skew)?;
    if let Some(minimum) = options.min_revision {
        if bundle.revision() < minimum {
            return Err(BundleError::Rollback {
                name: bundle.name().to_string(),
                revision: bundle.revision(),
                minimum,
            });
        }
    }
    Ok(bundle)
}

/// Signature, file set, hashes and policy; not the clock. The cache uses this alone at start, so
/// that an expired bundle is still shown (and refused for execution with its own reason).
pub(crate) fn verify_content(
    bytes: &[u8],
    trust: &TrustStore,
    limits: &Limits,
) -> Result<VerifiedBundle, BundleError> {
    let mut files = archive::read(bytes, limits)?;
    let manifest_bytes = files
        .remove(MANIFEST_FILE)
        .ok_or(BundleError::ManifestMissing)?;
    let signature_bytes = files
        .remove(SIGNATURE_FILE)
        .ok_or(BundleError::SignatureMissing)?;

    // The signature is checked before the manifest is interpreted.
    let (key_id, signature) = SignatureFile::parse(&signature_bytes)?;
    let key = trust.get(&key_id).ok_or_else(|| BundleError::UnknownKey {
        key_id: key_id.clone(),
        trusted: trusted_list(trust),
    })?;
    if !key.verify(&manifest_bytes, &signature) {
        return Err(BundleError::BadSignature { key_id });
    }
    let manifest = Manifest::parse(&manifest_bytes)?;
    if manifest.key_id != key_id {
        return Err(BundleError::KeyIdMismatch {
            manifest: manifest.key_id,
            signature: key_id,
        });
    }

    for name in manifest.files.keys() {
        if !files.contains_key(name) {
            return Err(BundleError::FileMissing { file: name.clone() });
        }
    }
    for name in files.keys() {
        if !manifest.files.contains_key(name) {
            return Err(BundleError::FileExtra { file: name.clone() });
        }
    }
    for (name, entry) in &manifest.files {
        let data = files
            .get(name)
            .ok_or_else(|| BundleError::FileMissing { file: name.clone() })?;
        let actual = hex::encode(Sha256::digest(data));
        if !actual.eq_ignore_ascii_case(&entry.sha256) || data.len() as u64 != entry.size {
            return Err(BundleError::HashMismatch {
                file: name.clone(),
                expected: entry.sha256.clone(),
                actual,
            });
        }
    }

    let policy_bytes = files
        .remove(POLICY_FILE)
        .ok_or(BundleError::PolicyMissing)?;
    let policy_yaml = String::from_utf8(policy_bytes).map_err(|_| BundleError::PolicyNotText)?;
    let policy = warden_guardrails::Policy::from_yaml(&policy_yaml)
        .map_err(BundleError::BundledPolicyInvalid)?;
    if policy.name() != manifest.name {
        return Err(BundleError::NameMismatch {
            manifest: manifest.name,
            policy: policy.name().to_string(),
        });
    }
    let catalog = match files.remove(CATALOG_FILE) {
        Some(bytes) => Some(String::from_utf8(bytes).map_err(|_| BundleError::CatalogNotText)?),
        None => None,
    };
    Ok(VerifiedBundle {
        manifest,
        policy,
        policy_yaml,
        catalog,
        manifest_sha256: hex::encode(Sha256::digest(&manifest_bytes)),
        bundle_sha256: hex::encode(Sha256::digest(bytes)),
    })
}

pub(crate) fn check_time(
    manifest: &Manifest,
    now: DateTime<Utc>,
    max_future_skew: Duration,
) -> Result<(), BundleError> {
    if manifest.issued_at > now + max_future_skew {
        return Err(BundleError::IssuedInFuture {
            issued_at: manifest.issued_at,
            now,
            max_skew_seconds: max_future_skew.num_seconds(),
        });
    }
    if manifest.expires_at <= now {
        return Err(BundleError::Expired {
            expires_at: manifest.expires_at,
            now,
        });
    }
    Ok(())
}

fn trusted_list(trust: &TrustStore) -> String {
    let ids: Vec<&str> = trust.ids().map(KeyId::as_str).collect();
    if ids.is_empty() {
        "none".to_string()
    } else {
        ids.join(", ")
    }
}

/// Reads the manifest without checking the signature: for publishing, which needs the revision
/// but may run where no trust store is configured. Never use the result to enforce anything.
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<Manifest, BundleError> {
    let mut files = archive::read(bytes, limits)?;
    let manifest_bytes = files
        .remove(MANIFEST_FILE)
        .ok_or(BundleError::ManifestMissing)?;
    Manifest::parse(&manifest_bytes)
}
