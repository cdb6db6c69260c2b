//! Where the demo engine's executable is.

use std::path::{Path, PathBuf};

use crate::DemoError;

/// The engine's file name.
pub const PROGRAM: &str = "warden-demo-engine";

/// Where the `warden-demo` package installs it: a helper the app starts, not a command on the
/// PATH.
const INSTALLED: &str = "/usr/lib/warden/warden-demo-engine";

/// The demo engine: beside the running executable (a build tree, where cargo puts every
/// program of the workspace in one folder, and its tests one folder down, in `deps`), or
/// where the package installs it.
pub fn program() -> Result<PathBuf, DemoError> {
    let exe = std::env::current_exe().ok();
    let looked = candidates(exe.as_deref(), Path::new(INSTALLED));
    match looked.iter().find(|p| p.is_file()) {
        Some(found) => Ok(found.clone()),
        None => Err(DemoError::NotInstalled {
            program: PROGRAM,
            looked,
        }),
    }
}

fn candidates(exe: Option<&Path>, installed: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(dir) = exe.and_then(Path::parent) {
        out.push(dir.join(PROGRAM));
        if dir.file_name().is_some_and(|n| n == "deps") {
            if let Some(up) = dir.parent() {
                out.push(up.join(PROGRAM));
            }
        }
    }
    out.push(installed.to_path_buf());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_installed_app_looks_beside_itself_then_in_usr_lib() {
        let got = candidates(
            Some(Path::new("/usr/bin/warden-desktop")),
            Path::new(INSTALLED),
        );
        assert_eq!(
            got,
            [
                PathBuf::from("/usr/bin/warden-demo-engine"),
                PathBuf::from(INSTALLED)
            ]
        );
    }

    #[test]
    fn a_test_executable_in_deps_also_looks_one_folder_up() {
        let got = candidates(
            Some(Path::new("/t/debug/deps/warden_core-0123")),
            Path::new(INSTALLED),
        );
        assert_eq!(got[1], PathBuf::from("/t/debug/warden-demo-engine"));
    }

    #[test]
    fn a_missing_engine_says_where_it_looked_and_what_to_do() {
        let e = DemoError::NotInstalled {
            program: PROGRAM,
            looked: candidates(None, Path::new("/nowhere/warden-demo-engine")),
        };
        let text = e.to_string();
        assert!(text.contains("/nowhere/warden-demo-engine"), "{text}");
        assert!(text.contains("warden-demo package"), "{text}");
    }
}
