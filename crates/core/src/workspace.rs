use std::path::{Path, PathBuf};

use serde::Serialize;
use warden_guardrails::Policy;

use crate::config::{Config, WorkspaceKind};
use crate::error::CoreError;
use crate::gate::Gate;
use crate::home::Home;

/// The name of the embedded demo workspace, the default when nothing else is configured.
pub const DEMO: &str = "demo";

/// What `warden workspace show` prints and the app's status bar reads.
#[derive(Debug, Clone, Serialize)]
pub struct WorkspaceSummary {
    pub name: String,
    pub kind: WorkspaceKind,
    pub dir: PathBuf,
    pub initialised: bool,
    pub default_database: Option<String>,
    pub policy_path: PathBuf,
    pub policy_name: Option<String>,
    pub policy_fingerprint: Option<String>,
    /// One line per table of the demo lake: rows, partitions and bytes on disk.
    pub tables: Vec<String>,
}

/// A workspace by name, as the configuration describes it.
pub struct Workspace {
    name: String,
    kind: WorkspaceKind,
    dir: PathBuf,
    default_database: Option<String>,
}

impl Workspace {
    /// Looks `name` up (or the configured default) in `home`'s configuration.
    pub fn find(home: &Home, name: Option<&str>) -> Result<Self, CoreError> {
        let config = Config::load(&home.config_file())?;
        let name = name.unwrap_or(&config.default_workspace).to_string();
        let ws = config.workspace(&name)?;
        Ok(Self {
            dir: home.workspace_dir(&name),
            kind: ws.kind,
            default_database: ws.default_database.clone(),
            name,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn policy_path(&self) -> PathBuf {
        self.dir.join("policy.yaml")
    }

    /// Creates what the workspace needs on disk; running it again repairs and keeps the rest.
    pub fn init(&self) -> Result<WorkspaceSummary, CoreError> {
        match self.kind {
            WorkspaceKind::Demo => {
                #[cfg(feature = "embedded")]
                {
                    crate::demo::init(&self.dir)?;
                }
                #[cfg(not(feature = "embedded"))]
                {
                    return Err(CoreError::EmbeddedUnavailable);
                }
            }
        }
        self.summary()
    }

    pub fn summary(&self) -> Result<WorkspaceSummary, CoreError> {
        let policy_path = self.policy_path();
        let policy = if policy_path.exists() { Some(self.load_policy()?) } else { None };
        let tables = match self.kind {
            #[cfg(feature = "embedded")]
            WorkspaceKind::Demo => crate::demo::describe(&self.dir),
            #[cfg(not(feature = "embedded"))]
            WorkspaceKind::Demo => Vec::new(),
        };
        Ok(WorkspaceSummary {
            name: self.name.clone(),
            kind: self.kind,
            dir: self.dir.clone(),
            initialised: self.is_initialised(),
            default_database: self.default_database.clone(),
            policy_name: policy.as_ref().map(|p| p.name().to_string()),
            policy_fingerprint: policy.as_ref().map(|p| p.fingerprint().to_string()),
            policy_path,
            tables,
        })
    }

    fn is_initialised(&self) -> bool {
        match self.kind {
            #[cfg(feature = "embedded")]
            WorkspaceKind::Demo => crate::demo::is_initialised(&self.dir),
            #[cfg(not(feature = "embedded"))]
            WorkspaceKind::Demo => false,
        }
    }

    /// The policy in force. A policy that cannot be read or validated stops everything.
    pub fn load_policy(&self) -> Result<Policy, CoreError> {
        load_policy(&self.policy_path())
    }

    /// Opens the workspace's engine behind the gate. Fails when the workspace is not initialised
    /// or its policy is unusable: no policy, no queries.
    pub async fn open_gate(&self) -> Result<Gate, CoreError> {
        if !self.is_initialised() {
            return Err(CoreError::NotInitialised(self.name.clone()));
        }
        let policy = self.load_policy()?;
        let engine = match self.kind {
            #[cfg(feature = "embedded")]
            WorkspaceKind::Demo => crate::demo::open_engine(&self.dir)?,
            #[cfg(not(feature = "embedded"))]
            WorkspaceKind::Demo => return Err(CoreError::EmbeddedUnavailable),
        };
        Ok(Gate::new(self.name.clone(), policy, self.default_database.clone(), engine))
    }
}

pub(crate) fn load_policy(path: &Path) -> Result<Policy, CoreError> {
    let text = std::fs::read_to_string(path).map_err(|e| CoreError::Policy {
        path: path.to_path_buf(),
        message: format!("cannot read it ({e})"),
    })?;
    Policy::from_yaml(&text)
        .map_err(|e| CoreError::Policy { path: path.to_path_buf(), message: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unusable_policy_is_an_error_that_names_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("policy.yaml");
        std::fs::write(&path, "format: warden-policy/1\nname: x\nrules: [ { id: a, kind: nope } ]\n").expect("write");
        let err = load_policy(&path).expect_err("bad policy");
        let text = err.to_string();
        assert!(text.contains("policy.yaml") && text.contains("nothing may run"), "{text}");
        let err = load_policy(&dir.path().join("missing.yaml")).expect_err("missing policy");
        assert!(err.to_string().contains("cannot read it"));
    }

    #[test]
    fn unknown_workspace_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = Home::under(dir.path());
        assert!(matches!(Workspace::find(&home, Some("prod")), Err(CoreError::UnknownWorkspace(_))));
        let demo = Workspace::find(&home, None).expect("demo by default");
        assert_eq!(demo.name(), "demo");
    }
}
