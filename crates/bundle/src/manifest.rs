//! `manifest.json` and the `signature` file: what is signed and how the signature is stored.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::BundleError;

pub const FORMAT: &str = "warden-bundle/1";
pub const MANIFEST_FILE: &str = "manifest.json";
pub const SIGNATURE_FILE: &str = "signature";
pub const POLICY_FILE: &str = "policy.yaml";
pub const CATALOG_FILE: &str = "catalog.yaml";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub name: String,
    pub revision: u64,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub key_id: String,
    /// The workspace this bundle is for, signed with the rest: a workspace refuses a bundle
    /// made for another audience. Absent in bundles built without `--audience`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    pub files: BTreeMap<String, FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub sha256: String,
    pub size: u64,
}

impl Manifest {
    /// Parses the exact bytes that were signed. Checks the format before anything else so that
    /// a future format gets a clear "update Warden" instead of a field error.
    pub fn parse(bytes: &[u8]) -> Result<Self, BundleError> {
        #[derive(Deserialize)]
        struct FormatOnly {
            format: Option<String>,
        }
        let probe: FormatOnly =
            serde_json::from_slice(bytes).map_err(|e| BundleError::ManifestInvalid {
                reason: e.to_string(),
            })?;
        match probe.format.as_deref() {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(BundleError::UnsupportedFormat {
                    found: other.to_string(),
                })
            }
            None => {
                return Err(BundleError::ManifestInvalid {
                    reason: "it has no \"format\" field".into(),
                })
            }
        }
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|e| BundleError::ManifestInvalid {
                reason: e.to_string(),
            })?;
        if manifest.revision == 0 {
            return Err(BundleError::ManifestInvalid {
                reason: "revision 0 is not allowed; revisions start at 1".into(),
            });
        }
        if manifest.expires_at <= manifest.issued_at {
            return Err(BundleError::ManifestInvalid {
                reason: "expires_at is not after issued_at".into(),
            });
        }
        Ok(manifest)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureFile {
    pub algorithm: String,
    pub key_id: String,
    /// 128 hex digits: the 64-byte Ed25519 signature over the exact bytes of manifest.json.
    pub signature: String,
}

impl SignatureFile {
    pub fn parse(bytes: &[u8]) -> Result<(String, [u8; 64]), BundleError> {
        let file: SignatureFile =
            serde_json::from_slice(bytes).map_err(|e| BundleError::SignatureInvalid {
                reason: e.to_string(),
            })?;
        if file.algorithm != "ed25519" {
            return Err(BundleError::SignatureInvalid {
                reason: format!("algorithm {:?} is not \"ed25519\"", file.algorithm),
            });
        }
        let mut signature = [0u8; 64];
        hex::decode_to_slice(&file.signature, &mut signature).map_err(|_| {
            BundleError::SignatureInvalid {
                reason: "the signature is not 128 hex digits".into(),
            }
        })?;
        Ok((file.key_id, signature))
    }
}
