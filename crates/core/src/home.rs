use std::path::{Path, PathBuf};

use crate::error::CoreError;

/// Where Warden keeps its configuration, data and cache.
///
/// `--home DIR` (or `WARDEN_HOME`) puts everything under one folder, for scripts and tests,
/// except the workspaces an administrator manages; otherwise the platform's conventions apply
/// (XDG on Linux).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    pub config: PathBuf,
    pub data: PathBuf,
    pub cache: PathBuf,
    /// The administrator's configuration, which the user's cannot override. Not moved by
    /// `--home`: relocating state must not relocate who is trusted.
    pub managed: PathBuf,
}

/// Where administrators pin workspaces' bundle sources, trusted keys and audit stores.
pub const MANAGED_CONFIG: &str = "/etc/warden/managed.toml";

fn managed_config() -> PathBuf {
    // Tests point this elsewhere; release builds always read the system file.
    #[cfg(debug_assertions)]
    if let Some(path) = std::env::var_os("WARDEN_MANAGED_CONFIG").filter(|v| !v.is_empty()) {
        return PathBuf::from(path);
    }
    PathBuf::from(MANAGED_CONFIG)
}

impl Home {
    pub fn under(root: &Path) -> Self {
        Self {
            config: root.join("config"),
            data: root.join("data"),
            cache: root.join("cache"),
            managed: managed_config(),
        }
    }

    /// `explicit` (from `--home`) first, then `WARDEN_HOME`, then the platform directories.
    pub fn resolve(explicit: Option<&Path>) -> Result<Self, CoreError> {
        if let Some(root) = explicit {
            return Ok(Self::under(root));
        }
        if let Some(root) = std::env::var_os("WARDEN_HOME").filter(|v| !v.is_empty()) {
            return Ok(Self::under(Path::new(&root)));
        }
        let dirs =
            directories::ProjectDirs::from("dev", "warden", "warden").ok_or(CoreError::NoHome)?;
        Ok(Self {
            config: dirs.config_dir().to_path_buf(),
            data: dirs.data_dir().to_path_buf(),
            cache: dirs.cache_dir().to_path_buf(),
            managed: managed_config(),
        })
    }

    pub fn config_file(&self) -> PathBuf {
        self.config.join("config.toml")
    }

    pub fn workspace_dir(&self, name: &str) -> PathBuf {
        self.data.join("workspaces").join(name)
    }

    /// The folder of a workspace the administrator's managed configuration lists: always the
    /// platform's data folder, whatever `--home` or `WARDEN_HOME` say, so that no run can keep
    /// its journal (or its bundle cache and rollback marks) in a throwaway folder.
    pub fn managed_workspace_dir(&self, name: &str) -> Result<PathBuf, CoreError> {
        let dirs =
            directories::ProjectDirs::from("dev", "warden", "warden").ok_or(CoreError::NoHome)?;
        Ok(dirs.data_dir().join("workspaces").join(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_home_holds_everything() {
        let home = Home::resolve(Some(Path::new("/tmp/w"))).expect("explicit home");
        assert_eq!(home.config, Path::new("/tmp/w/config"));
        assert_eq!(home.data, Path::new("/tmp/w/data"));
        assert_eq!(home.cache, Path::new("/tmp/w/cache"));
        assert_eq!(
            home.workspace_dir("demo"),
            Path::new("/tmp/w/data/workspaces/demo")
        );
    }
}
