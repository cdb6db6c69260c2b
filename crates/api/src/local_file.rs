//! Files the window keeps on this machine (tabs, saved queries): read with a size bound, and
//! written atomically (a temporary file renamed over the old one after fsync), so a crash or a
//! kill right after a change leaves the last whole save, never half of one.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use warden_core::Home;

use crate::error::ApiError;

/// The file `<data>/<folder>/<workspace>.json`; refused for a workspace name that could leave
/// the folder (names come from the configuration, which is not trusted to be tidy).
pub(crate) fn workspace_file(
    home: &Home,
    folder: &str,
    workspace: &str,
    what: &str,
) -> Result<PathBuf, ApiError> {
    let safe = !workspace.is_empty()
        && !workspace.starts_with('.')
        && !workspace.contains(['/', '\\', '\0']);
    if !safe {
        return Err(ApiError::internal(format!(
            "the {what} of workspace {workspace:?} cannot be kept: its name is not a plain file name"
        )));
    }
    Ok(home.data.join(folder).join(format!("{workspace}.json")))
}

/// The file's text, `None` when there is none, `Err(Some(len))` over `max` bytes.
pub(crate) fn read_bounded(path: &Path, max: u64) -> Result<Option<String>, ReadError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ReadError::Io(e)),
    };
    let mut text = String::new();
    file.take(max + 1)
        .read_to_string(&mut text)
        .map_err(ReadError::Io)?;
    if text.len() as u64 > max {
        return Err(ReadError::TooLarge(text.len() as u64));
    }
    Ok(Some(text))
}

pub(crate) enum ReadError {
    Io(std::io::Error),
    /// At least this many bytes.
    TooLarge(u64),
}

/// Replaces `path` with `bytes`, creating its folder.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut temp = path.as_os_str().to_owned();
    temp.push(".tmp");
    let temp = PathBuf::from(temp);
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}
