//! `warden bundle build`: validate the policy, write the manifest, sign it, pack it.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::archive::{self, Limits};
use crate::error::BundleError;
use crate::keys::SigningKey;
use crate::manifest::{
    FileEntry, Manifest, SignatureFile, CATALOG_FILE, FORMAT, MANIFEST_FILE, POLICY_FILE,
    SIGNATURE_FILE,
};

/// Builds and signs a bundle for any audience. The policy is validated first, with the same
/// errors `warden lint` gives; the bundle takes the policy's name.
pub fn build(
    policy_yaml: &[u8],
    catalog: Option<&[u8]>,
    revision: u64,
    expires_in: Duration,
    signing_key: &SigningKey,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, BundleError> {
    build_for(
        policy_yaml,
        catalog,
        revision,
        expires_in,
        signing_key,
        now,
        None,
    )
}

/// [`build`], naming in the signed manifest the workspace (`audience`) the bundle is for.
pub fn build_for(
    policy_yaml: &[u8],
    catalog: Option<&[u8]>,
    revision: u64,
    expires_in: Duration,
    signing_key: &SigningKey,
    now: DateTime<Utc>,
    audience: Option<&str>,
) -> Result<Vec<u8>, BundleError> {
    if revision == 0 {
        return Err(BundleError::InvalidRevision(revision));
    }
    if expires_in <= Duration::zero() {
        return Err(BundleError::InvalidDuration(format!(
            "{} s",
            expires_in.num_seconds()
        )));
    }
    let text = std::str::from_utf8(policy_yaml).map_err(|_| BundleError::PolicyNotText)?;
    let policy = warden_guardrails::Policy::from_yaml(text)?;
    if let Some(catalog) = catalog {
        std::str::from_utf8(catalog).map_err(|_| BundleError::CatalogNotText)?;
    }
    let expires_at = now
        .checked_add_signed(expires_in)
        .ok_or_else(|| BundleError::InvalidDuration(format!("{} s", expires_in.num_seconds())))?;

    let mut files: Vec<(&str, &[u8])> = vec![(POLICY_FILE, policy_yaml)];
    if let Some(catalog) = catalog {
        files.push((CATALOG_FILE, catalog));
    }
    let entries: BTreeMap<String, FileEntry> = files
        .iter()
        .map(|(name, bytes)| {
            (
                name.to_string(),
                FileEntry {
                    sha256: hex::encode(Sha256::digest(bytes)),
                    size: bytes.len() as u64,
                },
            )
        })
        .collect();
    let manifest = Manifest {
        format: FORMAT.to_string(),
        name: policy.name().to_string(),
        revision,
        // Whole seconds: the manifest is read by people and compared across machines.
        issued_at: truncate(now),
        expires_at: truncate(expires_at),
        key_id: signing_key.id().to_string(),
        audience: audience.map(str::to_string),
        files: entries,
    };
    let manifest_bytes = manifest.to_bytes();
    let signature = SignatureFile {
        algorithm: "ed25519".into(),
        key_id: signing_key.id().to_string(),
        signature: hex::encode(signing_key.sign(&manifest_bytes)),
    };
    let signature_bytes =
        serde_json::to_vec_pretty(&signature).map_err(|e| BundleError::SignatureInvalid {
            reason: e.to_string(),
        })?;

    let mut all: Vec<(&str, &[u8])> = vec![(MANIFEST_FILE, &manifest_bytes)];
    all.extend(files);
    all.push((SIGNATURE_FILE, &signature_bytes));
    let bytes = archive::write(&all)?;
    // Refuse here what every client would refuse on fetch: a signed bundle nobody can use.
    archive::read(&bytes, &Limits::default())?;
    let max_download = crate::fetch::RemoteOptions::default().max_bytes;
    if bytes.len() as u64 > max_download {
        return Err(BundleError::DownloadTooLarge {
            location: "the built bundle".into(),
            limit: max_download,
        });
    }
    Ok(bytes)
}

fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// Parses a validity such as `30d`, `12h`, `90m` or `3600s`.
pub fn parse_duration(text: &str) -> Result<Duration, BundleError> {
    let bad = || BundleError::InvalidDuration(text.to_string());
    let text_trim = text.trim();
    let split = text_trim
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(bad)?;
    let (number, unit) = text_trim.split_at(split);
    let n: i64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        "d" => n.checked_mul(86_400),
        _ => None,
    }
    .ok_or_else(bad)?;
    if seconds <= 0 {
        return Err(bad());
    }
    Duration::try_seconds(seconds).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d").unwrap(), Duration::days(30));
        assert_eq!(parse_duration("12h").unwrap(), Duration::hours(12));
        assert_eq!(parse_duration("90m").unwrap(), Duration::minutes(90));
        assert_eq!(parse_duration("5s").unwrap(), Duration::seconds(5));
        for bad in ["", "d", "30", "30w", "-1d", "0d", "99999999999999999999d"] {
            assert!(
                matches!(parse_duration(bad), Err(BundleError::InvalidDuration(_))),
                "{bad}"
            );
        }
    }
}
