//! Small file helpers shared by the modules that write the user's files.

use std::path::Path;

use crate::CoreError;

/// Written beside and renamed over after fsync, so a crash leaves the old file or the new,
/// never half of one.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CoreError> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| CoreError::io("create", dir, e))?;
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp).map_err(|e| CoreError::io("create", &tmp, e))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(|e| CoreError::io("write", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| CoreError::io("replace", path, e))
}
