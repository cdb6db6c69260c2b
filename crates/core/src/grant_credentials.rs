//! The credentials a grant's engine signs with, held in one place a renewal replaces them in:
//! the broker mints a grant's credentials 15 minutes at a time, and the engine (and every query
//! running on it) signs from the next call on with the newest set, without being rebuilt.

use std::sync::{Arc, RwLock};

use aws_credential_types::provider::{future, ProvideCredentials};
use aws_credential_types::Credentials;

/// A shared, replaceable credential set. Clones share it. The engine that signs with it must
/// not cache what it hands out (the Athena engine's SDK clients cache no credentials), so a
/// swap takes effect at the next call.
#[derive(Clone)]
pub struct GrantCredentials {
    current: Arc<RwLock<Credentials>>,
}

impl GrantCredentials {
    pub fn new(credentials: Credentials) -> Self {
        Self {
            current: Arc::new(RwLock::new(credentials)),
        }
    }

    /// Signs with `credentials` from the next call on.
    pub fn replace(&self, credentials: Credentials) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = credentials;
    }

    /// The access key id in use (never a secret), for tests and logs.
    pub fn access_key_id(&self) -> String {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .access_key_id()
            .to_string()
    }
}

impl std::fmt::Debug for GrantCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `Credentials`' own Debug redacts the secrets; the key id is enough to tell sets apart.
        f.debug_struct("GrantCredentials").finish_non_exhaustive()
    }
}

impl ProvideCredentials for GrantCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let current = self
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        future::ProvideCredentials::ready(Ok(current))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(key: &str) -> Credentials {
        Credentials::new(key, "secret", Some("token".into()), None, "test")
    }

    #[tokio::test]
    async fn a_replaced_set_is_what_every_clone_hands_out_next() {
        let held = GrantCredentials::new(set("ASIAFIRST"));
        let engine_side = held.clone();
        assert_eq!(
            engine_side
                .provide_credentials()
                .await
                .unwrap()
                .access_key_id(),
            "ASIAFIRST"
        );
        held.replace(set("ASIASECOND"));
        assert_eq!(
            engine_side
                .provide_credentials()
                .await
                .unwrap()
                .access_key_id(),
            "ASIASECOND"
        );
        assert!(!format!("{held:?}").contains("secret"));
    }
}
