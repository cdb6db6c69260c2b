use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::workspace::DEMO;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkspaceKind {
    /// The embedded engine over the generated sample lake.
    Demo,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceConfig {
    pub kind: WorkspaceKind,
    /// Database that unqualified table names resolve in.
    #[serde(default)]
    pub default_database: Option<String>,
}

/// `config.toml`. A missing file means the defaults: the demo workspace only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_workspace")]
    pub default_workspace: String,
    #[serde(default = "default_workspaces")]
    pub workspaces: BTreeMap<String, WorkspaceConfig>,
}

fn default_workspace() -> String {
    DEMO.to_string()
}

fn default_workspaces() -> BTreeMap<String, WorkspaceConfig> {
    BTreeMap::from([(
        DEMO.to_string(),
        WorkspaceConfig { kind: WorkspaceKind::Demo, default_database: Some("sales".into()) },
    )])
}

impl Default for Config {
    fn default() -> Self {
        Self { default_workspace: default_workspace(), workspaces: default_workspaces() }
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Self, CoreError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(CoreError::io("read", path, e)),
        };
        let mut config: Config = toml::from_str(&text)
            .map_err(|e| CoreError::Config { path: path.to_path_buf(), message: e.to_string() })?;
        // The demo workspace is always there, even when a file lists only others.
        config.workspaces.entry(DEMO.to_string()).or_insert_with(|| default_workspaces()[DEMO].clone());
        Ok(config)
    }

    pub fn workspace(&self, name: &str) -> Result<&WorkspaceConfig, CoreError> {
        self.workspaces.get(name).ok_or_else(|| CoreError::UnknownWorkspace(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_means_demo_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config::load(&dir.path().join("config.toml")).expect("defaults");
        assert_eq!(config.default_workspace, "demo");
        assert_eq!(config.workspace("demo").expect("demo").kind, WorkspaceKind::Demo);
        assert!(matches!(config.workspace("prod"), Err(CoreError::UnknownWorkspace(_))));
    }

    #[test]
    fn unknown_keys_are_refused_with_the_file_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "default_workspace = \"demo\"\ncolour = \"blue\"\n").expect("write");
        let err = Config::load(&path).expect_err("unknown key");
        let text = err.to_string();
        assert!(text.contains("config.toml") && text.contains("colour"), "{text}");
    }
}
