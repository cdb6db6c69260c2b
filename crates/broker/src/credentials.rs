//! Credentials minted for a grant, and their delivery: encrypted to the age X25519 recipient
//! the request named, so only the requester's Warden (which holds the identity) can read them.

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::BrokerError;

/// Temporary AWS credentials. Never printed: `Debug` shows the key id's first characters only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// When STS lets them expire; the session policy may end them earlier (the grant's end).
    pub expires_at_ms: i64,
}

/// The values are wiped from memory when a copy is dropped (the AWS SDK's own response types,
/// which Warden does not own, are not).
impl Drop for Credentials {
    fn drop(&mut self) {
        self.access_key_id.zeroize();
        self.secret_access_key.zeroize();
        self.session_token.zeroize();
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: String = self.access_key_id.chars().take(4).collect();
        f.debug_struct("Credentials")
            .field("access_key_id", &format!("{shown}…"))
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

/// The plaintext inside `grants/<requester>/<id>/<n>.age`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Delivery {
    version: u32,
    grant: String,
    n: u32,
    credentials: Credentials,
}

/// Encrypts `credentials` (set `n` of grant `id`) to `recipient` (`age1...`).
pub(crate) fn seal(
    credentials: &Credentials,
    recipient: &str,
    id: &str,
    n: u32,
) -> Result<Vec<u8>, BrokerError> {
    let fail = |reason: String| BrokerError::Encrypt {
        id: id.to_string(),
        reason,
    };
    let recipient: age::x25519::Recipient = recipient
        .parse()
        .map_err(|_| fail("the request's recipient is not an age X25519 key".into()))?;
    let plain = Zeroizing::new(
        serde_json::to_vec(&Delivery {
            version: 1,
            grant: id.to_string(),
            n,
            credentials: credentials.clone(),
        })
        .map_err(|e| fail(e.to_string()))?,
    );
    age::encrypt(&recipient, &plain).map_err(|e| fail(e.to_string()))
}

/// Decrypts a delivered credential set of grant `id` with the requester's identity.
pub fn open_delivery(
    identity: &age::x25519::Identity,
    id: &str,
    sealed: &[u8],
) -> Result<(u32, Credentials), BrokerError> {
    let plain =
        Zeroizing::new(
            age::decrypt(identity, sealed).map_err(|e| BrokerError::Decrypt {
                reason: e.to_string(),
            })?,
        );
    let delivery: Delivery = serde_json::from_slice(&plain).map_err(|_| BrokerError::Decrypt {
        reason: "not a Warden credential delivery".into(),
    })?;
    if delivery.version != 1 || delivery.grant != id {
        return Err(BrokerError::Decrypt {
            reason: format!("it is for grant {}, not {id}", delivery.grant),
        });
    }
    Ok((delivery.n, delivery.credentials))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f00";

    fn creds() -> Credentials {
        Credentials {
            access_key_id: "ASIAEXAMPLEKEYID".into(),
            secret_access_key: "very-secret-access-key".into(),
            session_token: "very-secret-session-token".into(),
            expires_at_ms: 1_800_000_900_000,
        }
    }

    #[test]
    fn only_the_requesters_identity_opens_a_delivery() {
        let ana = age::x25519::Identity::generate();
        let eve = age::x25519::Identity::generate();
        let sealed = seal(&creds(), &ana.to_public().to_string(), ID, 3).unwrap();
        let text = String::from_utf8_lossy(&sealed);
        assert!(!text.contains("very-secret"), "encrypted, not encoded");
        assert_eq!(open_delivery(&ana, ID, &sealed).unwrap(), (3, creds()));
        assert!(open_delivery(&eve, ID, &sealed).is_err());
        let other = "01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f01";
        let err = open_delivery(&ana, other, &sealed).unwrap_err();
        assert!(err.to_string().contains("not 01890a5d"), "{err}");
    }

    #[test]
    fn credentials_never_show_in_debug_or_errors() {
        let shown = format!("{:?}", creds());
        assert!(
            !shown.contains("very-secret") && !shown.contains("EXAMPLEKEYID"),
            "{shown}"
        );
        let err = seal(&creds(), "not-a-key", ID, 1).unwrap_err().to_string();
        assert!(!err.contains("very-secret"), "{err}");
    }
}
