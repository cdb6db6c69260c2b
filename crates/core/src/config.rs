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
    /// Amazon Athena, signed in through IAM Identity Center (`[sign_in]`).
    Athena,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceConfig {
    pub kind: WorkspaceKind,
    /// Database that unqualified table names resolve in.
    #[serde(default)]
    pub default_database: Option<String>,
    #[serde(default)]
    pub bundle: BundleSettings,
    #[serde(default)]
    pub audit: AuditSettings,
    /// How an `athena` workspace signs in to AWS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in: Option<crate::identity::SignInSettings>,
    /// Where and how an `athena` workspace runs queries (defaults: workgroup `primary`,
    /// `AwsDataCatalog`, 5 USD per TB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub athena: Option<crate::athena::AthenaConfig>,
    /// Where an `athena` workspace's elevation requests go (the broker's request bucket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elevation: Option<crate::broker::ElevationSettings>,
    /// Set when the entry comes from the administrator's managed configuration.
    #[serde(skip)]
    pub managed: bool,
}

/// Longest grace period a configuration may give an expired bundle: beyond it, an offline
/// machine would enforce an old policy for too long.
pub const MAX_GRACE_DAYS: i64 = 30;

/// Where the workspace's signed policy bundle comes from and whom to trust for it.
///
/// For the demo workspace every field has a default inside the workspace folder (its own demo
/// key and local central store); any other workspace must name a source and at least one key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleSettings {
    /// `https://…`, `s3://bucket/prefix/` or `file:///dir/` (a trailing `/` reads its `latest`).
    #[serde(default)]
    pub source: Option<String>,
    /// Trusted public keys: `.pub` files or key text. Several during a key rotation.
    #[serde(default)]
    pub trust: Vec<String>,
    /// How long an expired bundle is still enforced while a fresh one cannot be fetched.
    #[serde(default)]
    pub grace: Option<String>,
    /// How often the desktop app fetches in the background.
    #[serde(default)]
    pub refresh_every: Option<String>,
    /// The bundle name this workspace takes (managed configuration only; otherwise the first
    /// name accepted is pinned in the cache's state).
    #[serde(default)]
    pub name: Option<String>,
    /// This workspace's audience: a bundle whose signed manifest names another is refused.
    /// Default: the workspace's name.
    #[serde(default)]
    pub audience: Option<String>,
}

/// Where the audit journal is synced to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// `s3://bucket/prefix/` or `file:///dir/`.
    #[serde(default)]
    pub store: Option<String>,
    /// How often the desktop app syncs in the background.
    #[serde(default)]
    pub sync_every: Option<String>,
    /// An S3 endpoint instead of AWS's for an `s3://` store (a local server: the sandbox's
    /// moto, MinIO). `AWS_ENDPOINT_URL_S3` does the same for every workspace.
    #[serde(default)]
    pub endpoint: Option<String>,
}

/// `config.toml`. A missing file means the defaults: the demo workspace only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
        WorkspaceConfig {
            kind: WorkspaceKind::Demo,
            default_database: Some("sales".into()),
            bundle: BundleSettings::default(),
            audit: AuditSettings::default(),
            sign_in: None,
            athena: None,
            elevation: None,
            managed: false,
        },
    )])
}

impl Default for Config {
    fn default() -> Self {
        Self {
            default_workspace: default_workspace(),
            workspaces: default_workspaces(),
        }
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Self, CoreError> {
        let mut config = Self::read(path)?.unwrap_or_default();
        // The demo workspace is always there, even when a file lists only others.
        config
            .workspaces
            .entry(DEMO.to_string())
            .or_insert_with(|| default_workspaces()[DEMO].clone());
        Ok(config)
    }

    /// The user's configuration at `path`, unless the administrator's at `managed` exists: then
    /// the workspaces are exactly those it lists (source, trusted keys, grace, audit store),
    /// whatever the user's file says, so that no workspace of the user's own can trust a key of
    /// the user's own. The user's file may still choose the default among them.
    pub fn load_with_managed(path: &Path, managed: &Path) -> Result<Self, CoreError> {
        let user = Self::load(path)?;
        let Some(admin) = Self::read(managed)? else {
            return Ok(user);
        };
        let workspaces: BTreeMap<String, WorkspaceConfig> = admin
            .workspaces
            .into_iter()
            .map(|(name, mut ws)| {
                ws.managed = true;
                (name, ws)
            })
            .collect();
        for (name, ws) in &workspaces {
            check_managed_entry(managed, name, ws)?;
        }
        let default_workspace = if managed_has_default(managed)? {
            admin.default_workspace
        } else if workspaces.contains_key(&user.default_workspace) {
            user.default_workspace
        } else {
            workspaces
                .keys()
                .next()
                .cloned()
                .ok_or_else(|| CoreError::Config {
                    path: managed.to_path_buf(),
                    message: "it lists no workspace; add one under [workspaces.NAME]".into(),
                })?
        };
        Ok(Config {
            default_workspace,
            workspaces,
        })
    }

    fn read(path: &Path) -> Result<Option<Self>, CoreError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(CoreError::io("read", path, e)),
        };
        toml::from_str(&text)
            .map(Some)
            .map_err(|e| CoreError::Config {
                path: path.to_path_buf(),
                message: e.to_string(),
            })
    }

    pub fn workspace(&self, name: &str) -> Result<&WorkspaceConfig, CoreError> {
        self.workspaces
            .get(name)
            .ok_or_else(|| CoreError::UnknownWorkspace(name.to_string()))
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
        assert_eq!(
            config.workspace("demo").expect("demo").kind,
            WorkspaceKind::Demo
        );
        assert!(matches!(
            config.workspace("prod"),
            Err(CoreError::UnknownWorkspace(_))
        ));
    }

    #[test]
    fn unknown_keys_are_refused_with_the_file_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "default_workspace = \"demo\"\ncolour = \"blue\"\n").expect("write");
        let err = Config::load(&path).expect_err("unknown key");
        let text = err.to_string();
        assert!(
            text.contains("config.toml") && text.contains("colour"),
            "{text}"
        );
    }
}

/// A managed entry names its bundle source, trusted keys and audit store itself: the defaults
/// live in the user's own folders, where the user could replace them.
fn check_managed_entry(path: &Path, name: &str, ws: &WorkspaceConfig) -> Result<(), CoreError> {
    let mut missing = Vec::new();
    if ws.bundle.source.is_none() {
        missing.push("bundle.source");
    }
    if ws.bundle.trust.is_empty() {
        missing.push("bundle.trust");
    }
    if ws.audit.store.is_none() {
        missing.push("audit.store");
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(CoreError::Config {
        path: path.to_path_buf(),
        message: format!(
            "[workspaces.{name}] does not name {}; a managed workspace must name its bundle source, trusted keys and audit store (the defaults are in the user's own folders, which the user can change)",
            missing.join(", ")
        ),
    })
}

/// Whether the managed file sets `default_workspace` itself (rather than by serde's default).
fn managed_has_default(path: &Path) -> Result<bool, CoreError> {
    let text = std::fs::read_to_string(path).map_err(|e| CoreError::io("read", path, e))?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| CoreError::Config {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(table.contains_key("default_workspace"))
}

#[cfg(test)]
mod settings_tests {
    use super::*;

    #[test]
    fn bundle_and_audit_settings_are_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            r#"
[workspaces.demo]
kind = "demo"
default_database = "web"
[workspaces.demo.bundle]
source = "https://policy.example.com/bundles/"
trust = ["/etc/warden/security.pub", "/etc/warden/security-next.pub"]
grace = "2d"
[workspaces.demo.audit]
store = "s3://audit/warden/"
"#,
        )
        .expect("write");
        let config = Config::load(&path).expect("valid");
        let demo = config.workspace("demo").expect("demo");
        assert_eq!(
            demo.bundle.source.as_deref(),
            Some("https://policy.example.com/bundles/")
        );
        assert_eq!(demo.bundle.trust.len(), 2);
        assert_eq!(demo.bundle.grace.as_deref(), Some("2d"));
        assert_eq!(demo.audit.store.as_deref(), Some("s3://audit/warden/"));
        std::fs::write(
            &path,
            "[workspaces.demo]\nkind = \"demo\"\n[workspaces.demo.bundle]\ntrusted = []\n",
        )
        .expect("write");
        let text = Config::load(&path).expect_err("typo").to_string();
        assert!(text.contains("trusted"), "{text}");
    }
}

#[cfg(test)]
mod managed_tests {
    use super::*;

    const MANAGED_DEMO: &str = "[workspaces.demo]\nkind = \"demo\"\n[workspaces.demo.bundle]\nsource = \"https://policy.example.com/bundles/\"\ntrust = [\"/etc/warden/security.pub\"]\n[workspaces.demo.audit]\nstore = \"s3://audit/warden/\"\n";

    #[test]
    fn a_managed_entry_must_name_its_source_keys_and_audit_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let user = dir.path().join("config.toml");
        let managed = dir.path().join("managed.toml");
        for (drop, named) in [
            ("source = ", "bundle.source"),
            ("trust = ", "bundle.trust"),
            ("store = ", "audit.store"),
        ] {
            let text: String = MANAGED_DEMO
                .lines()
                .filter(|l| !l.starts_with(drop))
                .map(|l| format!("{l}\n"))
                .collect();
            std::fs::write(&managed, text).expect("write");
            let err = Config::load_with_managed(&user, &managed)
                .expect_err("an incomplete managed entry is refused")
                .to_string();
            assert!(
                err.contains("[workspaces.demo]") && err.contains(named),
                "{err}"
            );
        }
        std::fs::write(&managed, MANAGED_DEMO).expect("write");
        assert!(Config::load_with_managed(&user, &managed).is_ok());
    }

    #[test]
    fn the_managed_file_wins_over_the_users() {
        let dir = tempfile::tempdir().expect("tempdir");
        let user = dir.path().join("config.toml");
        let managed = dir.path().join("managed.toml");
        std::fs::write(
            &user,
            "[workspaces.demo]\nkind = \"demo\"\n[workspaces.demo.bundle]\ntrust = [\"/home/me/my.pub\"]\ngrace = \"30d\"\n",
        )
        .expect("write");
        let mine = Config::load_with_managed(&user, &managed).expect("no managed file");
        assert!(!mine.workspace("demo").expect("demo").managed);
        assert_eq!(
            mine.workspace("demo").expect("demo").bundle.trust,
            ["/home/me/my.pub"]
        );

        std::fs::write(&managed, MANAGED_DEMO).expect("write");
        let pinned = Config::load_with_managed(&user, &managed).expect("managed");
        let demo = pinned.workspace("demo").expect("demo");
        assert!(demo.managed);
        assert_eq!(demo.bundle.trust, ["/etc/warden/security.pub"]);
        assert_eq!(
            demo.bundle.grace, None,
            "the user's grace does not survive either"
        );
        assert_eq!(pinned.default_workspace, "demo");

        // A workspace of the user's own is not available while a managed file exists.
        std::fs::write(&user, "default_workspace = \"mine\"\n[workspaces.mine]\nkind = \"demo\"\n[workspaces.mine.bundle]\ntrust = [\"/home/me/my.pub\"]\n")
            .expect("write");
        let pinned = Config::load_with_managed(&user, &managed).expect("managed");
        assert!(matches!(
            pinned.workspace("mine"),
            Err(CoreError::UnknownWorkspace(_))
        ));
        assert_eq!(pinned.default_workspace, "demo");
    }
}
