//! The window's tabs kept across restarts (titles, texts, databases), in a file of the data
//! folder on this machine: never in the journal or the central store. The window owns the
//! format; this keeps it bounded and written atomically (a temporary file renamed over the
//! old one after fsync), so a crash or a kill right after an edit leaves the last whole save.

use std::path::Path;

use warden_core::Home;

use crate::error::{ApiError, ErrorKind};
use crate::local_file::{read_bounded, workspace_file, write_atomically, ReadError};

/// More than this is refused: tabs are queries, not data.
pub const MAX_TABS_BYTES: u64 = 4 * 1024 * 1024;

/// `kept_tabs`: the text last kept for `workspace`, or `None` when nothing was.
pub fn kept_tabs(home: &Home, workspace: &str) -> Result<Option<String>, ApiError> {
    let path = workspace_file(home, "tabs", workspace, "tabs")?;
    read_bounded(&path, MAX_TABS_BYTES).map_err(|e| match e {
        ReadError::TooLarge(bytes) => ApiError::new(
            ErrorKind::Blocked,
            format!(
                "{} is too large to be Warden's kept tabs ({bytes} bytes, at most {MAX_TABS_BYTES})",
                path.display()
            ),
        ),
        ReadError::Io(e) => io_error("read", &path, &e),
    })
}

/// `keep_tabs`: replaces what is kept for `workspace` with `text`.
pub fn keep_tabs(home: &Home, workspace: &str, text: &str) -> Result<(), ApiError> {
    if text.len() as u64 > MAX_TABS_BYTES {
        return Err(too_large(text.len() as u64));
    }
    let path = workspace_file(home, "tabs", workspace, "tabs")?;
    write_atomically(&path, text.as_bytes()).map_err(|e| io_error("write", &path, &e))
}

fn too_large(bytes: u64) -> ApiError {
    ApiError::new(
        ErrorKind::Blocked,
        format!(
            "the tabs are too large to keep ({bytes} bytes, at most {MAX_TABS_BYTES}); close or shorten some tabs"
        ),
    )
}

fn io_error(what: &str, path: &Path, e: &std::io::Error) -> ApiError {
    ApiError::internal(format!(
        "cannot {what} the kept tabs at {}: {e}",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home() -> (tempfile::TempDir, Home) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let home = Home::under(dir.path());
        (dir, home)
    }

    #[test]
    fn tabs_kept_for_a_workspace_come_back_for_it_only() {
        let (_dir, home) = home();
        assert_eq!(kept_tabs(&home, "demo").expect("read"), None);
        keep_tabs(&home, "demo", r#"{"tabs":[{"text":"SELECT 1"}]}"#).expect("kept");
        keep_tabs(&home, "demo", r#"{"tabs":[{"text":"SELECT 2"}]}"#).expect("replaced");
        assert_eq!(
            kept_tabs(&home, "demo").expect("read").as_deref(),
            Some(r#"{"tabs":[{"text":"SELECT 2"}]}"#)
        );
        assert_eq!(kept_tabs(&home, "prod").expect("read"), None);
        let left: Vec<_> = std::fs::read_dir(home.data.join("tabs"))
            .expect("the folder")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(left, ["demo.json"], "no temporary file is left behind");
    }

    #[test]
    fn oversized_tabs_and_unsafe_names_are_refused_with_a_reason() {
        let (_dir, home) = home();
        let huge = "x".repeat(MAX_TABS_BYTES as usize + 1);
        let refused = keep_tabs(&home, "demo", &huge).expect_err("too large");
        assert_eq!(refused.kind, ErrorKind::Blocked);
        assert!(refused.message.contains("too large"), "{}", refused.message);
        // A kept file grown too large (by hand, say) is named when read.
        let path = home.data.join("tabs").join("demo.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &huge).unwrap();
        let unread = kept_tabs(&home, "demo").expect_err("too large to read");
        assert!(
            unread.message.contains(&path.display().to_string())
                && unread.message.contains("too large"),
            "{}",
            unread.message
        );
        for name in ["../escape", ".hidden", "", "a/b"] {
            let refused = keep_tabs(&home, name, "{}").expect_err("unsafe name");
            assert!(
                refused.message.contains("plain file name"),
                "{}",
                refused.message
            );
        }
        assert!(!home.data.join("escape.json").exists());
    }
}
