//! The demo lake generated once and kept between test runs, for tests that each need a copy of
//! their own (a demo workspace's `lake/` folder): generating it in a debug build takes about a
//! second, copying it a few milliseconds.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use warden_demo_lake::existing;

/// The demo lake for `seed`, in the build's scratch folder (`<target>/tmp`, Cargo's
/// `CARGO_TARGET_TMPDIR`, which unit tests are not given). Generated when missing or written
/// by another version of the generator. Read it, never write to it: copy it with `copy_lake`.
pub fn cached_demo_lake(seed: u64) -> Result<PathBuf, String> {
    static TURN: Mutex<()> = Mutex::new(());
    let _turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let scratch = scratch_dir()?;
    let root = scratch.join(format!("warden-demo-lake-{seed}"));
    if existing(&root, seed).is_some() {
        return Ok(root);
    }
    // Generated aside and renamed into place, so that another test process never reads half a
    // lake; whichever process renames first wins and the other uses its lake.
    let staging = scratch.join(format!("warden-demo-lake-{seed}.{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    warden_demo_lake::generate(&staging, seed).map_err(|e| {
        format!(
            "cannot generate the demo lake in {}: {e}",
            staging.display()
        )
    })?;
    if root.exists() {
        // An older generator's lake (or half of one a killed run left).
        let _ = fs::remove_dir_all(&root);
    }
    match fs::rename(&staging, &root) {
        Ok(()) => Ok(root),
        Err(_) if existing(&root, seed).is_some() => {
            let _ = fs::remove_dir_all(&staging);
            Ok(root)
        }
        Err(e) => Err(format!(
            "cannot move the demo lake to {}: {e}",
            root.display()
        )),
    }
}

/// Copies a lake (or any folder) to `to`, which must not exist yet.
pub fn copy_lake(from: &Path, to: &Path) -> Result<(), String> {
    let failed = |what: &str, path: &Path, e: std::io::Error| {
        format!("cannot {what} {}: {e}", path.display())
    };
    fs::create_dir(to).map_err(|e| failed("create", to, e))?;
    for entry in fs::read_dir(from).map_err(|e| failed("read", from, e))? {
        let entry = entry.map_err(|e| failed("read", from, e))?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if entry
            .file_type()
            .map_err(|e| failed("read", &source, e))?
            .is_dir()
        {
            copy_lake(&source, &target)?;
        } else {
            fs::copy(&source, &target).map_err(|e| failed("copy", &source, e))?;
        }
    }
    Ok(())
}

/// `<target>/tmp`, found from the test binary's own path (`<target>/debug/deps/<test>`).
fn scratch_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the test binary: {e}"))?;
    let target = exe
        .ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "deps"))
        .and_then(|deps| deps.parent()?.parent())
        .ok_or_else(|| {
            format!(
                "{} is not in a Cargo target folder (<target>/<profile>/deps)",
                exe.display()
            )
        })?;
    let scratch = target.join("tmp");
    fs::create_dir_all(&scratch)
        .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    Ok(scratch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cached_lake_is_generated_once_and_copied_whole() {
        let first = cached_demo_lake(warden_demo_lake::DEFAULT_SEED).unwrap();
        let again = cached_demo_lake(warden_demo_lake::DEFAULT_SEED).unwrap();
        assert_eq!(first, again);
        let summary = existing(&first, warden_demo_lake::DEFAULT_SEED).expect("a complete lake");
        assert!(
            first.starts_with(scratch_dir().unwrap()),
            "{}",
            first.display()
        );

        let copy = tempfile::tempdir().unwrap();
        let to = copy.path().join("lake");
        copy_lake(&first, &to).unwrap();
        assert_eq!(
            existing(&to, warden_demo_lake::DEFAULT_SEED),
            Some(summary),
            "the copy is a lake of its own"
        );
        let err = copy_lake(&first, &to).unwrap_err();
        assert!(err.starts_with("cannot create"), "{err}");
    }
}
