//! Crash-safe file replacement: a reader sees the old file or the new one, never a mix.

use std::io::Write;
use std::path::Path;

use crate::error::BundleError;

/// Writes `bytes` to a temporary file beside `path`, syncs it, renames it over `path`, and syncs
/// the folder so the rename itself survives a power cut.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), BundleError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".warden-tmp-")
        .tempfile_in(dir)
        .map_err(BundleError::io("creating a temporary file in", dir))?;
    temp.write_all(bytes)
        .map_err(BundleError::io("writing", temp.path()))?;
    temp.as_file()
        .sync_all()
        .map_err(BundleError::io("syncing", temp.path()))?;
    temp.persist(path).map_err(|e| BundleError::Io {
        action: "renaming into place",
        path: path.to_path_buf(),
        source: e.error,
    })?;
    sync_dir(dir)
}

pub(crate) fn sync_dir(dir: &Path) -> Result<(), BundleError> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(BundleError::io("syncing folder", dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
