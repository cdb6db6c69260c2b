//! Ed25519 keys, their ids and their file formats (see docs/bundle.md).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::Signature;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::BundleError;

const PRIVATE_PREFIX: &str = "ed25519-private:";
const PUBLIC_PREFIX: &str = "ed25519:";

/// First 16 hex digits of the SHA-256 of the raw 32-byte public key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(String);

impl KeyId {
    fn of(public: &ed25519_dalek::VerifyingKey) -> Self {
        KeyId(hex::encode(&Sha256::digest(public.as_bytes())[..8]))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A public key that bundles may be signed with.
#[derive(Debug, Clone)]
pub struct PublicKey {
    key: ed25519_dalek::VerifyingKey,
    id: KeyId,
}

impl PublicKey {
    /// Reads the text of a `.pub` file or the bare key line `ed25519:<64 hex>`.
    pub fn from_text(text: &str) -> Result<Self, BundleError> {
        let invalid = |reason: &str| BundleError::PublicKeyInvalid {
            reason: reason.to_string(),
        };
        let line = key_line(text).ok_or_else(|| invalid("no key line found"))?;
        let hex_text = line
            .strip_prefix(PUBLIC_PREFIX)
            .ok_or_else(|| invalid("the key line does not start with `ed25519:`"))?;
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hex_text, &mut bytes)
            .map_err(|_| invalid("the key is not 64 hex digits"))?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| invalid("the bytes are not an Ed25519 point"))?;
        if key.is_weak() {
            return Err(invalid("the key is a weak (small-order) point"));
        }
        Ok(Self {
            id: KeyId::of(&key),
            key,
        })
    }

    pub fn from_file(path: &Path) -> Result<Self, BundleError> {
        let text =
            std::fs::read_to_string(path).map_err(BundleError::io("reading public key", path))?;
        Self::from_text(&text)
    }

    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// The `.pub` file text.
    pub fn to_text(&self) -> String {
        format!(
            "# Warden bundle public key, key id {}\n{PUBLIC_PREFIX}{}\n",
            self.id,
            hex::encode(self.key.as_bytes())
        )
    }

    /// Strict verification: rejects non-canonical signatures and small-order keys.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        let signature = Signature::from_bytes(signature);
        self.key.verify_strict(message, &signature).is_ok()
    }
}

/// A private signing key, loaded from a key file written by [`keygen`].
pub struct SigningKey {
    key: ed25519_dalek::SigningKey,
    public: PublicKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.public.id)
    }
}

impl SigningKey {
    /// Loads a private key file; refuses one that other users can read.
    pub fn from_file(path: &Path) -> Result<Self, BundleError> {
        let key_err = |reason: &str| BundleError::KeyFile {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta =
                std::fs::metadata(path).map_err(BundleError::io("reading signing key", path))?;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(BundleError::KeyFileTooOpen {
                    path: path.to_path_buf(),
                    mode,
                });
            }
        }
        let text = Zeroizing::new(
            std::fs::read_to_string(path).map_err(BundleError::io("reading signing key", path))?,
        );
        let line = key_line(&text).ok_or_else(|| key_err("no key line found"))?;
        let hex_text = line.strip_prefix(PRIVATE_PREFIX).ok_or_else(|| {
            key_err("not a private key file (its key line must start with `ed25519-private:`)")
        })?;
        let mut seed = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(hex_text, seed.as_mut())
            .map_err(|_| key_err("the key is not 64 hex digits"))?;
        Ok(Self::from_seed(&seed))
    }

    fn from_seed(seed: &[u8; 32]) -> Self {
        let key = ed25519_dalek::SigningKey::from_bytes(seed);
        let verifying = key.verifying_key();
        Self {
            public: PublicKey {
                id: KeyId::of(&verifying),
                key: verifying,
            },
            key,
        }
    }

    pub fn id(&self) -> &KeyId {
        &self.public.id
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Signs arbitrary bytes; bundles sign the exact bytes of manifest.json.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer as _;
        self.key.sign(message).to_bytes()
    }
}

/// Generates a key pair: the private key at `out` (mode 0600), the public key at `out` + `.pub`.
/// Refuses to overwrite either file.
pub fn keygen(out: &Path) -> Result<KeyId, BundleError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(|e| BundleError::Random(e.to_string()))?;
    let key = SigningKey::from_seed(&seed);
    let public_path = public_path(out);
    if public_path.exists() {
        return Err(BundleError::KeyFileExists { path: public_path });
    }
    let private_text = Zeroizing::new(format!(
        "# Warden bundle signing key, key id {}. Secret: keep it readable by you only.\n{PRIVATE_PREFIX}{}\n",
        key.id(),
        hex::encode(seed.as_ref())
    ));
    write_new(out, private_text.as_bytes(), 0o600)?;
    if let Err(e) = write_new(&public_path, key.public.to_text().as_bytes(), 0o644) {
        // A private key without its public half is useless and would block the next attempt.
        let _ = std::fs::remove_file(out);
        return Err(e);
    }
    Ok(key.id().clone())
}

/// Where [`keygen`] puts the public key for a private key file.
pub fn public_path(private: &Path) -> PathBuf {
    let mut name = private.as_os_str().to_os_string();
    name.push(".pub");
    PathBuf::from(name)
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), BundleError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => BundleError::KeyFileExists {
            path: path.to_path_buf(),
        },
        _ => BundleError::Io {
            action: "creating key file",
            path: path.to_path_buf(),
            source: e,
        },
    })?;
    file.write_all(bytes)
        .map_err(BundleError::io("writing key file", path))?;
    file.sync_all()
        .map_err(BundleError::io("syncing key file", path))?;
    Ok(())
}

/// The single non-comment, non-blank line of a key file.
fn key_line(text: &str) -> Option<&str> {
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    let line = lines.next()?;
    lines.next().is_none().then_some(line)
}

/// The public keys bundles may be signed with; several at once during a key rotation.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    keys: BTreeMap<KeyId, PublicKey>,
}

impl TrustStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, key: PublicKey) -> KeyId {
        let id = key.id.clone();
        self.keys.insert(id.clone(), key);
        id
    }

    /// Accepts what `--trust` accepts: a path to a `.pub` file, or the key text itself.
    pub fn add_path_or_text(&mut self, arg: &str) -> Result<KeyId, BundleError> {
        let key = if arg.trim_start().starts_with(PUBLIC_PREFIX) {
            PublicKey::from_text(arg)?
        } else {
            PublicKey::from_file(Path::new(arg))?
        };
        Ok(self.add(key))
    }

    pub fn get(&self, id: &str) -> Option<&PublicKey> {
        self.keys.get(&KeyId(id.to_string()))
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keygen_writes_owner_only_private_key_and_matching_public_key() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("signing.key");
        let id = keygen(&out).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let private = SigningKey::from_file(&out).unwrap();
        let public = PublicKey::from_file(&public_path(&out)).unwrap();
        assert_eq!(private.id(), &id);
        assert_eq!(public.id(), &id);
        assert_eq!(id.as_str().len(), 16);
        let sig = private.sign(b"message");
        assert!(public.verify(b"message", &sig));
        assert!(!public.verify(b"messagf", &sig));
    }

    #[test]
    fn keygen_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("k");
        keygen(&out).unwrap();
        assert!(matches!(
            keygen(&out),
            Err(BundleError::KeyFileExists { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn private_key_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("k");
        keygen(&out).unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            SigningKey::from_file(&out),
            Err(BundleError::KeyFileTooOpen { mode: 0o644, .. })
        ));
    }

    #[test]
    fn public_key_text_is_parsed_with_or_without_comments() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("k");
        let id = keygen(&out).unwrap();
        let text = std::fs::read_to_string(public_path(&out)).unwrap();
        let bare = text.lines().find(|l| l.starts_with("ed25519:")).unwrap();
        let mut trust = TrustStore::new();
        assert_eq!(trust.add_path_or_text(bare).unwrap(), id);
        assert_eq!(
            trust
                .add_path_or_text(public_path(&out).to_str().unwrap())
                .unwrap(),
            id
        );
        assert_eq!(trust.ids().count(), 1);
        assert!(matches!(
            PublicKey::from_text("ed25519:zz"),
            Err(BundleError::PublicKeyInvalid { .. })
        ));
        assert!(matches!(
            PublicKey::from_text(""),
            Err(BundleError::PublicKeyInvalid { .. })
        ));
    }
}
