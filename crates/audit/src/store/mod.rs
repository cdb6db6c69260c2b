//! The central audit store: where objects of synced events land, exactly once.

mod folder;
mod open;
mod s3;

use std::time::Duration;

use async_trait::async_trait;

pub use folder::FolderStore;
pub use open::{open_store, StoreOptions};
pub use s3::S3Store;

/// What a create-only write found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Created,
    /// An object already exists under the key; it was left untouched.
    AlreadyExists,
}

/// A flat key space of immutable objects. Implementations never overwrite an object.
#[async_trait]
pub trait Store: Send + Sync {
    /// The store's URL, e.g. `file:///var/audit/` or `s3://bucket/prefix/`; sync state is kept per URL.
    fn url(&self) -> &str;

    /// Creates `key` with `body` only if no object exists under `key` (a conditional write).
    async fn put_if_absent(&self, key: &str, body: Vec<u8>) -> Result<PutOutcome, StoreError>;

    /// The object's bytes, or `None` when there is no such object.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Every key starting with `prefix`, in no particular order.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError>;

    /// Who writes through this store: the `aws:userid` of an S3 store's credentials (STS
    /// `GetCallerIdentity`), [`LOCAL_PRINCIPAL`](crate::batch::LOCAL_PRINCIPAL) for a folder.
    /// Sync names it in every key it writes and lists nothing else, so a bucket policy can keep
    /// each writer to its own objects. An error means nothing may be written.
    async fn principal(&self) -> Result<String, StoreError>;
}

/// So that `open_store`'s result can be wrapped and passed wherever a store is expected.
#[async_trait]
impl<S: Store + ?Sized> Store for Box<S> {
    fn url(&self) -> &str {
        (**self).url()
    }

    async fn put_if_absent(&self, key: &str, body: Vec<u8>) -> Result<PutOutcome, StoreError> {
        (**self).put_if_absent(key, body).await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get(key).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        (**self).list(prefix).await
    }

    async fn principal(&self) -> Result<String, StoreError> {
        (**self).principal().await
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("invalid store URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// Throttling, 5xx, dropped connections: worth retrying.
    #[error("the store is temporarily unavailable: {0}")]
    Transient(String),
    #[error("the store did not answer within {0:?}")]
    Timeout(Duration),
    /// Access denied, missing bucket or folder, invalid request: retrying will not help.
    #[error("{0}")]
    Permanent(String),
    /// Whose credentials write the store could not be learned, so nothing was written: every
    /// object's key names its writer.
    #[error("cannot tell whose credentials write the audit store ({0}), so nothing was written: each object's key names its writer's AWS user id. Sign in again or check the credentials and the network; the events stay in the journal")]
    Identity(String),
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Transient(_) | StoreError::Timeout(_))
    }
}

/// Keys are produced by this crate, but a store must not be talked into escaping its root.
pub(crate) fn check_key(key: &str) -> Result<(), StoreError> {
    let ok = !key.is_empty()
        && !key.starts_with('/')
        && key
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"=._-/:@+,".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Permanent(format!(
            "refusing object key {key:?}: not a key this journal writes"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape_the_root() {
        assert!(check_key("audit/v1/dt=2026-01-01/device=a/1-2.jsonl.gz").is_ok());
        assert!(check_key(
            "audit/v1/dt=2026-01-01/principal=AROAX:alice+ops@example.com,x/device=a/1-2.jsonl.gz"
        )
        .is_ok());
        for bad in [
            "",
            "/etc/passwd",
            "audit/../x",
            "a//b",
            "a/./b",
            "a b",
            "a\\b",
            "a*b",
            "a?b",
        ] {
            assert!(check_key(bad).is_err(), "{bad:?}");
        }
    }
}
