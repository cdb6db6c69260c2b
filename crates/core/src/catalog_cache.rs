//! The engine's catalog (on Athena, Glue's) kept in the cache folder, so the window shows its
//! schema panel at once instead of after a Glue listing. A convenience only: the file can be
//! stale, hand-edited or half-written by a crash, so it is never trusted for a decision (the
//! gate's star check reads the live catalog), and a file that cannot be read is ignored and
//! the catalog read again.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use warden_engine::CatalogSnapshot;

/// Larger files are neither written nor read: a Glue catalog of tens of thousands of columns is
/// a few MB; anything bigger is not worth keeping in memory twice.
pub(crate) const MAX_BYTES: u64 = 16 * 1024 * 1024;

const FORMAT: &str = "warden-catalog-cache/1";

/// A catalog and when it was read from the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedCatalog {
    pub catalog: CatalogSnapshot,
    pub read_at: DateTime<Utc>,
    /// Served from the cache file rather than read from the engine just now.
    pub from_cache: bool,
}

#[derive(Serialize, Deserialize)]
struct File {
    format: String,
    workspace: String,
    read_at: DateTime<Utc>,
    catalog: CatalogSnapshot,
}

/// Where the workspace `workspace` keeps its catalog under the cache folder `cache`.
pub(crate) fn path(cache: &Path, workspace: &str) -> PathBuf {
    cache.join(workspace).join("catalog.json")
}

/// The cached catalog of `workspace`, or `None` (with the reason logged) when there is none or
/// it cannot be used: unreadable, too large, not JSON of this format, another workspace's.
pub(crate) fn load(path: &Path, workspace: &str) -> Option<CachedCatalog> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(path = %path.display(), "catalog cache ignored: {e}");
            return None;
        }
    };
    let mut bytes = Vec::new();
    if let Err(e) = file.take(MAX_BYTES + 1).read_to_end(&mut bytes) {
        tracing::warn!(path = %path.display(), "catalog cache ignored: {e}");
        return None;
    }
    if bytes.len() as u64 > MAX_BYTES {
        tracing::warn!(path = %path.display(), "catalog cache ignored: over {MAX_BYTES} bytes");
        return None;
    }
    match serde_json::from_slice::<File>(&bytes) {
        Ok(f) if f.format == FORMAT && f.workspace == workspace => Some(CachedCatalog {
            catalog: f.catalog,
            read_at: f.read_at,
            from_cache: true,
        }),
        Ok(_) => {
            tracing::warn!(path = %path.display(), "catalog cache ignored: another format or workspace");
            None
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), "catalog cache ignored: {e}");
            None
        }
    }
}

/// Replaces the cache with `catalog` read at `read_at`: through a temporary file beside it,
/// synced, then renamed, so a reader sees the old file or the new one, never half of one.
pub(crate) fn store(
    path: &Path,
    workspace: &str,
    catalog: &CatalogSnapshot,
    read_at: DateTime<Utc>,
) -> Result<(), String> {
    let file = File {
        format: FORMAT.to_string(),
        workspace: workspace.to_string(),
        read_at,
        catalog: catalog.clone(),
    };
    let bytes = serde_json::to_vec(&file).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!(
            "the catalog is {} bytes, over the cache's bound of {MAX_BYTES}",
            bytes.len()
        ));
    }
    crate::files::write_atomically(path, &bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use warden_engine::{CatalogColumn, CatalogDatabase, CatalogTable};

    use super::*;

    fn catalog() -> CatalogSnapshot {
        CatalogSnapshot {
            databases: vec![CatalogDatabase {
                name: "sales".into(),
                tables: vec![CatalogTable {
                    name: "orders".into(),
                    columns: vec![CatalogColumn {
                        name: "order_id".into(),
                        data_type: "bigint".into(),
                        partition_key: false,
                    }],
                }],
            }],
        }
    }

    #[test]
    fn a_stored_catalog_comes_back_with_when_it_was_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = path(dir.path(), "aws");
        assert_eq!(load(&path, "aws"), None);
        let at = DateTime::parse_from_rfc3339("2026-12-04T20:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        store(&path, "aws", &catalog(), at).expect("store");
        let back = load(&path, "aws").expect("loaded");
        assert_eq!(back.catalog, catalog());
        assert_eq!(back.read_at, at);
        assert!(back.from_cache);
        // No temporary file is left beside it.
        let names: Vec<_> = std::fs::read_dir(path.parent().expect("dir"))
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("catalog.json")]);
    }

    #[test]
    fn a_file_that_cannot_be_used_is_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = path(dir.path(), "aws");
        std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
        let at = Utc::now();
        // Half a file, as a crash in a non-atomic write would leave.
        store(&path, "aws", &catalog(), at).expect("store");
        let whole = std::fs::read(&path).expect("read");
        std::fs::write(&path, &whole[..whole.len() / 2]).expect("truncate");
        assert_eq!(load(&path, "aws"), None);
        // Another workspace's file.
        store(&path, "other", &catalog(), at).expect("store");
        assert_eq!(load(&path, "aws"), None);
        // Too large.
        let big = vec![b' '; MAX_BYTES as usize + 1];
        std::fs::write(&path, big).expect("write");
        assert_eq!(load(&path, "aws"), None);
    }

    #[test]
    fn a_catalog_over_the_bound_is_not_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = path(dir.path(), "aws");
        let mut huge = catalog();
        huge.databases[0].tables[0].columns[0].name = "x".repeat(MAX_BYTES as usize);
        let err = store(&path, "aws", &huge, Utc::now()).expect_err("refused");
        assert!(err.contains("over the cache's bound"), "{err}");
        assert!(!path.exists());
    }
}
