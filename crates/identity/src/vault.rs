//! The OS keyring, the only place Warden keeps a secret: one entry per secret, service
//! `warden`, user `<workspace>/<what>`. There is no fall-back store: when the keyring cannot be
//! used, signing in is refused (fail closed).

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error as KeyringError};

use crate::error::{IdentityError, Result};
use crate::secret::Secret;

/// The keyring service name every Warden entry is filed under.
pub const SERVICE: &str = "warden";

/// What an entry holds. One secret per entry (Windows caps a credential at 2,560 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// The client registration with IAM Identity Center (its id, secret and expiry).
    Client,
    /// The SSO access token and its expiry.
    AccessToken,
    /// The SSO refresh token.
    RefreshToken,
    /// The AWS credentials of the workspace's baseline role and their expiry.
    Credentials,
}

impl Slot {
    pub const ALL: [Slot; 4] = [
        Slot::Client,
        Slot::AccessToken,
        Slot::RefreshToken,
        Slot::Credentials,
    ];

    fn name(self) -> &'static str {
        match self {
            Slot::Client => "sso-client",
            Slot::AccessToken => "sso-access-token",
            Slot::RefreshToken => "sso-refresh-token",
            Slot::Credentials => "aws-credentials",
        }
    }
}

/// Entries of AWS elevations, keyed by more than the workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElevationSlot {
    /// The age X25519 identity made for one request (keyed by request id): only it opens the
    /// credentials the broker delivers for that request.
    RequestKey,
    /// The credentials of a held grant and its end (keyed by elevation name).
    Grant,
}

impl ElevationSlot {
    fn name(self) -> &'static str {
        match self {
            ElevationSlot::RequestKey => "elevation-key",
            ElevationSlot::Grant => "elevation-grant",
        }
    }
}

/// A handle on the keyring, obtained only through a probe that succeeded.
#[derive(Clone)]
pub struct Vault {
    store: Arc<CredentialStore>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").finish_non_exhaustive()
    }
}

impl Vault {
    /// The platform's keyring (Secret Service on Linux, Keychain on macOS, Credential Manager
    /// on Windows), probed by writing, reading and deleting an entry. An error says in plain
    /// words what is missing and what to do.
    pub fn system() -> Result<Vault> {
        let store = platform_store()?;
        let vault = Vault { store };
        vault.probe()?;
        Ok(vault)
    }

    /// An in-memory keyring for unit tests.
    pub fn in_memory() -> Vault {
        let store: Arc<CredentialStore> =
            keyring_core::mock::Store::new().expect("the mock keyring store always builds");
        Vault { store }
    }

    fn probe(&self) -> Result<()> {
        let unavailable = |e: KeyringError| IdentityError::KeyringUnavailable {
            reason: describe(&e),
            advice: advice(),
        };
        // One probe entry per process and call: two processes probing at once (the app and
        // the CLI) must not read or delete each other's.
        let user = format!(
            "probe-{}-{}",
            std::process::id(),
            crate::pkce::random_string(8)
        );
        let entry = Entry::new_in_store(&self.store, SERVICE, &user).map_err(unavailable)?;
        entry
            .set_password("warden keyring probe")
            .map_err(unavailable)?;
        let read = entry.get_password().map_err(unavailable)?;
        entry.delete_credential().map_err(unavailable)?;
        if read != "warden keyring probe" {
            return Err(IdentityError::KeyringUnavailable {
                reason: "an entry written to it read back differently".into(),
                advice: advice(),
            });
        }
        Ok(())
    }

    fn entry(&self, workspace: &str, slot: Slot) -> Result<Entry> {
        Entry::new_in_store(
            &self.store,
            SERVICE,
            &format!("{workspace}/{}", slot.name()),
        )
        .map_err(|e| refused("open an entry", &e))
    }

    pub fn put(&self, workspace: &str, slot: Slot, value: &Secret) -> Result<()> {
        self.entry(workspace, slot)?
            .set_password(value.expose())
            .map_err(|e| refused("store a secret", &e))
    }

    pub fn get(&self, workspace: &str, slot: Slot) -> Result<Option<Secret>> {
        match self.entry(workspace, slot)?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(refused("read a secret", &e)),
        }
    }

    pub fn delete(&self, workspace: &str, slot: Slot) -> Result<()> {
        match self.entry(workspace, slot)?.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(e) => Err(refused("delete a secret", &e)),
        }
    }

    /// The entry of one elevation request or grant (`<workspace>/<kind>/<key>`): the age
    /// identity a request's credentials are encrypted to, or the credentials of a grant.
    fn elevation_entry(&self, workspace: &str, kind: ElevationSlot, key: &str) -> Result<Entry> {
        Entry::new_in_store(
            &self.store,
            SERVICE,
            &format!("{workspace}/{}/{key}", kind.name()),
        )
        .map_err(|e| refused("open an entry", &e))
    }

    pub fn put_elevation(
        &self,
        workspace: &str,
        kind: ElevationSlot,
        key: &str,
        value: &Secret,
    ) -> Result<()> {
        // Indexed first: an entry the index does not name could outlive a sign-out.
        let mut index = self.elevation_entries(workspace)?;
        let name = format!("{}/{key}", kind.name());
        if !index.contains(&name) {
            index.push(name);
            self.write_index(workspace, &index)?;
        }
        self.elevation_entry(workspace, kind, key)?
            .set_password(value.expose())
            .map_err(|e| refused("store a secret", &e))
    }

    /// The elevation entries of `workspace` (`elevation-key/<id>`, `elevation-grant/<name>`),
    /// from the index kept beside them (keyrings cannot list entries portably).
    pub fn elevation_entries(&self, workspace: &str) -> Result<Vec<String>> {
        match self.index_entry(workspace)?.get_password() {
            Ok(text) => Ok(serde_json::from_str(&text).unwrap_or_default()),
            Err(KeyringError::NoEntry) => Ok(Vec::new()),
            Err(e) => Err(refused("read a secret", &e)),
        }
    }

    fn index_entry(&self, workspace: &str) -> Result<Entry> {
        Entry::new_in_store(
            &self.store,
            SERVICE,
            &format!("{workspace}/elevation-index"),
        )
        .map_err(|e| refused("open an entry", &e))
    }

    fn write_index(&self, workspace: &str, index: &[String]) -> Result<()> {
        let entry = self.index_entry(workspace)?;
        if index.is_empty() {
            return match entry.delete_credential() {
                Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
                Err(e) => Err(refused("delete a secret", &e)),
            };
        }
        entry
            .set_password(&serde_json::to_string(index).unwrap_or_default())
            .map_err(|e| refused("store a secret", &e))
    }

    pub fn get_elevation(
        &self,
        workspace: &str,
        kind: ElevationSlot,
        key: &str,
    ) -> Result<Option<Secret>> {
        match self.elevation_entry(workspace, kind, key)?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(refused("read a secret", &e)),
        }
    }

    pub fn delete_elevation(&self, workspace: &str, kind: ElevationSlot, key: &str) -> Result<()> {
        match self
            .elevation_entry(workspace, kind, key)?
            .delete_credential()
        {
            Ok(()) | Err(KeyringError::NoEntry) => {}
            Err(e) => return Err(refused("delete a secret", &e)),
        }
        let mut index = self.elevation_entries(workspace)?;
        let name = format!("{}/{key}", kind.name());
        if index.contains(&name) {
            index.retain(|n| n != &name);
            self.write_index(workspace, &index)?;
        }
        Ok(())
    }

    /// Deletes every entry of a workspace (sign-out).
    pub fn clear(&self, workspace: &str) -> Result<()> {
        for slot in Slot::ALL {
            self.delete(workspace, slot)?;
        }
        for name in self.elevation_entries(workspace)? {
            let entry = Entry::new_in_store(&self.store, SERVICE, &format!("{workspace}/{name}"))
                .map_err(|e| refused("open an entry", &e))?;
            match entry.delete_credential() {
                Ok(()) | Err(KeyringError::NoEntry) => {}
                Err(e) => return Err(refused("delete a secret", &e)),
            }
        }
        self.write_index(workspace, &[])
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
fn platform_store() -> Result<Arc<CredentialStore>> {
    match zbus_secret_service_keyring_store::Store::new() {
        Ok(store) => Ok(store),
        Err(e) => Err(IdentityError::KeyringUnavailable {
            reason: format!(
                "no Secret Service answers on the session bus ({})",
                describe(&e)
            ),
            advice: advice(),
        }),
    }
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<Arc<CredentialStore>> {
    apple_native_keyring_store::keychain::Store::new().map_err(|e| {
        IdentityError::KeyringUnavailable {
            reason: describe(&e),
            advice: advice(),
        }
    })
}

#[cfg(target_os = "windows")]
fn platform_store() -> Result<Arc<CredentialStore>> {
    windows_native_keyring_store::Store::new().map_err(|e| IdentityError::KeyringUnavailable {
        reason: describe(&e),
        advice: advice(),
    })
}

fn advice() -> String {
    if cfg!(target_os = "macos") {
        "Unlock the login keychain (Keychain Access) and try again; Warden keeps no secret anywhere else".into()
    } else if cfg!(target_os = "windows") {
        "Warden needs the Windows Credential Manager; it keeps no secret anywhere else".into()
    } else {
        "Warden keeps sign-in secrets only in a Secret Service keyring: start and unlock GNOME Keyring or KWallet in this desktop session (on a headless box: `dbus-run-session` and `gnome-keyring-daemon --unlock --components=secrets`), then try again; Warden does not fall back to a file".into()
    }
}

fn refused(action: &str, e: &KeyringError) -> IdentityError {
    IdentityError::Keyring {
        action: action.into(),
        reason: describe(e),
    }
}

/// A keyring error in words, leaving out anything the error carries from the entry itself
/// (a badly encoded value is still a secret).
fn describe(e: &KeyringError) -> String {
    match e {
        KeyringError::PlatformFailure(inner) => format!("platform failure: {inner}"),
        KeyringError::NoStorageAccess(inner) => format!("no access to the keyring: {inner}"),
        KeyringError::NoEntry => "no such entry".into(),
        KeyringError::BadEncoding(_) | KeyringError::BadDataFormat(..) => {
            "an entry is not in the expected format".into()
        }
        KeyringError::NoDefaultStore => "no keyring store is configured".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_per_secret_keyed_by_workspace() {
        let vault = Vault::in_memory();
        vault
            .put("a", Slot::AccessToken, &Secret::new("tok-a"))
            .unwrap();
        vault
            .put("b", Slot::AccessToken, &Secret::new("tok-b"))
            .unwrap();
        assert_eq!(
            vault.get("a", Slot::AccessToken).unwrap().unwrap().expose(),
            "tok-a"
        );
        assert!(vault.get("a", Slot::RefreshToken).unwrap().is_none());
        vault.clear("a").unwrap();
        assert!(vault.get("a", Slot::AccessToken).unwrap().is_none());
        assert_eq!(
            vault.get("b", Slot::AccessToken).unwrap().unwrap().expose(),
            "tok-b"
        );
    }

    #[test]
    fn elevation_entries_are_indexed_and_go_with_the_workspace() {
        let vault = Vault::in_memory();
        let id = "01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f00";
        vault
            .put_elevation("a", ElevationSlot::RequestKey, id, &Secret::new("AGE-KEY"))
            .unwrap();
        vault
            .put_elevation("a", ElevationSlot::Grant, "pii-read", &Secret::new("{}"))
            .unwrap();
        vault
            .put_elevation("b", ElevationSlot::Grant, "pii-read", &Secret::new("{}"))
            .unwrap();
        assert_eq!(
            vault.elevation_entries("a").unwrap(),
            [
                format!("elevation-key/{id}"),
                "elevation-grant/pii-read".into()
            ]
        );
        vault
            .delete_elevation("a", ElevationSlot::RequestKey, id)
            .unwrap();
        assert_eq!(
            vault.elevation_entries("a").unwrap(),
            ["elevation-grant/pii-read"]
        );
        vault.clear("a").unwrap();
        assert!(vault
            .get_elevation("a", ElevationSlot::Grant, "pii-read")
            .unwrap()
            .is_none());
        assert!(vault.elevation_entries("a").unwrap().is_empty());
        assert!(vault
            .get_elevation("b", ElevationSlot::Grant, "pii-read")
            .unwrap()
            .is_some());
    }
}
