//! Sizes measured for the scan estimate (see `gate/scan.rs`), kept in the cache folder for a few
//! minutes so that running a query again, or another over the same partitions, does not list S3
//! again. Keyed by table and partition filter (`sales.orders (dt IN ('2024-01-01'))`).
//!
//! Short-lived on purpose: a partition that grows is measured again within `LIFETIME`. A file
//! that cannot be used (unreadable, too large, another format or workspace) is ignored, and the
//! sizes measured again.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How long a measured size is used before S3 is listed again.
pub(crate) const LIFETIME: chrono::Duration = chrono::Duration::minutes(5);

/// The file holds at most this many entries (the most recent are kept) and this many bytes.
const MAX_ENTRIES: usize = 2_000;
const MAX_BYTES: u64 = 1024 * 1024;

const FORMAT: &str = "warden-scan-sizes/1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub bytes: u64,
    pub measured_at: DateTime<Utc>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct ScanCache {
    format: String,
    workspace: String,
    entries: BTreeMap<String, Entry>,
}

/// Where the workspace `workspace` keeps its measured sizes under the cache folder `cache`.
pub(crate) fn path(cache: &Path, workspace: &str) -> PathBuf {
    cache.join(workspace).join("scan-sizes.json")
}

impl ScanCache {
    /// The cache of `workspace` at `path`; empty when there is none or it cannot be used.
    pub(crate) fn load(path: &Path, workspace: &str) -> Self {
        let empty = || ScanCache {
            format: FORMAT.into(),
            workspace: workspace.into(),
            entries: BTreeMap::new(),
        };
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return empty(),
            Err(e) => {
                tracing::warn!(path = %path.display(), "scan size cache ignored: {e}");
                return empty();
            }
        };
        let mut bytes = Vec::new();
        if let Err(e) = file.take(MAX_BYTES + 1).read_to_end(&mut bytes) {
            tracing::warn!(path = %path.display(), "scan size cache ignored: {e}");
            return empty();
        }
        if bytes.len() as u64 > MAX_BYTES {
            tracing::warn!(path = %path.display(), "scan size cache ignored: too large");
            return empty();
        }
        match serde_json::from_slice::<ScanCache>(&bytes) {
            Ok(c) if c.format == FORMAT && c.workspace == workspace => c,
            _ => {
                tracing::warn!(path = %path.display(), "scan size cache ignored: not this format or workspace");
                empty()
            }
        }
    }

    /// The size of `key` measured less than `LIFETIME` before `now` (and not after it: a clock
    /// turned back does not make an old entry young).
    pub(crate) fn fresh(&self, key: &str, now: DateTime<Utc>) -> Option<u64> {
        let e = self.entries.get(key)?;
        (e.measured_at <= now && now - e.measured_at < LIFETIME).then_some(e.bytes)
    }

    pub(crate) fn put(&mut self, key: String, bytes: u64, now: DateTime<Utc>) {
        self.entries.insert(
            key,
            Entry {
                bytes,
                measured_at: now,
            },
        );
    }

    /// Writes the fresh entries (the newest `MAX_ENTRIES`) through a temporary file, renamed
    /// over the old one.
    pub(crate) fn store(mut self, path: &Path, now: DateTime<Utc>) -> Result<(), String> {
        self.entries
            .retain(|_, e| e.measured_at <= now && now - e.measured_at < LIFETIME);
        if self.entries.len() > MAX_ENTRIES {
            let mut ages: Vec<DateTime<Utc>> =
                self.entries.values().map(|e| e.measured_at).collect();
            ages.sort_unstable_by(|a, b| b.cmp(a));
            let oldest_kept = ages[MAX_ENTRIES - 1];
            self.entries.retain(|_, e| e.measured_at >= oldest_kept);
        }
        let bytes = serde_json::to_vec(&self).map_err(|e| e.to_string())?;
        if bytes.len() as u64 > MAX_BYTES {
            return Err("the measured sizes are over the cache's bound".into());
        }
        crate::files::write_atomically(path, &bytes).map_err(|e| e.to_string())
    }

    /// Deletes the file at `path`, if there is one: its keys hold literals of queries, which a
    /// policy that keeps no SQL text wants gone. A file that cannot be deleted is logged.
    pub(crate) fn remove(path: &Path) {
        match std::fs::remove_file(path) {
            Ok(()) => {
                tracing::info!("the measured scan sizes were deleted: the policy keeps no SQL text")
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!("the measured scan sizes could not be deleted: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_size_is_used_for_its_lifetime_then_measured_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = path(dir.path(), "aws");
        let t0 = Utc::now();
        let mut cache = ScanCache::load(&path, "aws");
        assert_eq!(cache.fresh("sales.orders", t0), None);
        cache.put("sales.orders".into(), 42, t0);
        cache.store(&path, t0).expect("store");
        let cache = ScanCache::load(&path, "aws");
        assert_eq!(cache.fresh("sales.orders", t0), Some(42));
        assert_eq!(
            cache.fresh("sales.orders", t0 + LIFETIME - chrono::Duration::seconds(1)),
            Some(42)
        );
        assert_eq!(cache.fresh("sales.orders", t0 + LIFETIME), None);
        // A clock turned back does not make the entry young.
        assert_eq!(
            cache.fresh("sales.orders", t0 - chrono::Duration::seconds(1)),
            None
        );
        // Another workspace's file, or a broken one, is ignored.
        assert_eq!(
            ScanCache::load(&path, "other").fresh("sales.orders", t0),
            None
        );
        std::fs::write(&path, b"{not json").expect("write");
        assert_eq!(
            ScanCache::load(&path, "aws").fresh("sales.orders", t0),
            None
        );
    }
}
