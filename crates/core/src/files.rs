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
    let written = std::fs::File::create(&tmp)
        .and_then(|mut file| file.write_all(bytes).and_then(|_| file.sync_all()))
        .map_err(|e| CoreError::io("write", &tmp, e))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| CoreError::io("replace", path, e)));
    if written.is_err() {
        // A half-written temporary file is not left beside the real one.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
