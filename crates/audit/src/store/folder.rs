use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::{check_key, PutOutcome, Store, StoreError};
use crate::batch::LOCAL_PRINCIPAL;

/// A local folder as the central store (`file:///dir/`), the demo workspace's default.
/// It has no IAM, so every writer is [`LOCAL_PRINCIPAL`]: keys read
/// `audit/v1/dt=DAY/principal=local/device=ID/...`, and anyone who can write the folder can
/// read all of it.
///
/// Create-only writes: the object is written to a temporary file (create_new), fsynced, then
/// hard-linked to its final name. `link(2)` fails when the name exists, so an object is never
/// replaced, and a reader never sees a partial object. The folder is fsynced after the link.
#[derive(Debug, Clone)]
pub struct FolderStore {
    root: PathBuf,
    url: String,
}

const TMP_PREFIX: &str = ".tmp-";

impl FolderStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let mut url = format!("file://{}", root.display());
        if !url.ends_with('/') {
            url.push('/');
        }
        FolderStore { root, url }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn run<T: Send + 'static>(
        &self,
        key: &str,
        f: impl FnOnce(PathBuf) -> Result<T, StoreError> + Send + 'static,
    ) -> impl std::future::Future<Output = Result<T, StoreError>> {
        let path = self.root.join(key);
        async move {
            tokio::task::spawn_blocking(move || f(path))
                .await
                .map_err(|e| StoreError::Transient(format!("folder store task failed: {e}")))?
        }
    }
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    let message = format!("cannot {what} {}: {e}", path.display());
    match e.kind() {
        ErrorKind::Interrupted | ErrorKind::TimedOut | ErrorKind::WouldBlock => {
            StoreError::Transient(message)
        }
        _ => StoreError::Permanent(message),
    }
}

fn put_blocking(path: &Path, body: &[u8]) -> Result<PutOutcome, StoreError> {
    let parent = path.parent().ok_or_else(|| {
        StoreError::Permanent(format!("object path {} has no folder", path.display()))
    })?;
    fs::create_dir_all(parent).map_err(|e| io_error("create folder", parent, e))?;
    if path.exists() {
        return Ok(PutOutcome::AlreadyExists);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!("{TMP_PREFIX}{}-{name}", uuid::Uuid::new_v4()));
    let written = (|| {
        let mut file = File::options().write(true).create_new(true).open(&tmp)?;
        file.write_all(body)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_error("write", &tmp, e));
    }
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            File::open(parent)
                .and_then(|d| d.sync_all())
                .map_err(|e| io_error("sync folder", parent, e))?;
            Ok(PutOutcome::Created)
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(PutOutcome::AlreadyExists),
        Err(e) => Err(io_error("create", path, e)),
    }
}

fn list_blocking(root: &Path, start: &Path, out: &mut Vec<String>) -> Result<(), StoreError> {
    let entries = match fs::read_dir(start) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound && start != root => return Ok(()),
        Err(e) => return Err(io_error("list", start, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_error("list", start, e))?;
        let path = entry.path();
        let file_type = entry
            .file_type()
            .map_err(|e| io_error("inspect", &path, e))?;
        if entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
            continue;
        }
        if file_type.is_dir() {
            list_blocking(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            let key: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(key.join("/"));
        }
    }
    Ok(())
}

#[async_trait]
impl Store for FolderStore {
    fn url(&self) -> &str {
        &self.url
    }

    async fn put_if_absent(&self, key: &str, body: Vec<u8>) -> Result<PutOutcome, StoreError> {
        check_key(key)?;
        self.run(key, move |path| put_blocking(&path, &body)).await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        check_key(key)?;
        self.run(key, |path| match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("read", &path, e)),
        })
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let root = self.root.clone();
        let prefix = prefix.to_string();
        tokio::task::spawn_blocking(move || {
            if !root.is_dir() {
                return Err(StoreError::Permanent(format!(
                    "the store folder {} does not exist; check the store URL",
                    root.display()
                )));
            }
            // Walk only the folder that the prefix names, then filter on the full prefix.
            let dir = match prefix.rfind('/') {
                Some(i) => root.join(&prefix[..i]),
                None => root.clone(),
            };
            let mut keys = Vec::new();
            list_blocking(&root, &dir, &mut keys)?;
            keys.retain(|k| k.starts_with(&prefix));
            Ok(keys)
        })
        .await
        .map_err(|e| StoreError::Transient(format!("folder store task failed: {e}")))?
    }

    /// A folder has no IAM: everyone who can write it writes as the same, fixed principal.
    async fn principal(&self) -> Result<String, StoreError> {
        Ok(LOCAL_PRINCIPAL.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn create_only_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let store = FolderStore::new(dir.path());
        assert_eq!(
            store
                .put_if_absent("a/b/c.gz", b"one".to_vec())
                .await
                .unwrap(),
            PutOutcome::Created
        );
        assert_eq!(
            store
                .put_if_absent("a/b/c.gz", b"two".to_vec())
                .await
                .unwrap(),
            PutOutcome::AlreadyExists
        );
        assert_eq!(store.get("a/b/c.gz").await.unwrap().unwrap(), b"one");
        assert_eq!(store.get("a/b/missing.gz").await.unwrap(), None);
        assert_eq!(
            store.list("a/").await.unwrap(),
            vec!["a/b/c.gz".to_string()]
        );
        assert!(store.list("zzz/").await.unwrap().is_empty());
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(dir.path().join("a/b"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
    }

    #[tokio::test]
    async fn missing_root_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = FolderStore::new(dir.path().join("nope"));
        let err = store.list("audit/").await.unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}
