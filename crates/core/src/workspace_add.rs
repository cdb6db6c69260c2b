//! Adding an `athena` workspace to the user's `config.toml` (the window's "Add AWS workspace"
//! form, `warden workspace add`). The file is edited, not rewritten: the user's comments and
//! other entries stay as they are, and nothing is written unless the whole file still loads
//! with the new entry.

use std::path::Path;

use crate::config::{BundleSettings, Config, WorkspaceConfig, WorkspaceKind};
use crate::identity::SignInSettings;
use crate::{CoreError, Home, DEMO};

/// How the new workspace signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewSignIn {
    /// Everything from this `~/.aws/config` profile (one with SSO settings).
    Profile(String),
    /// IAM Identity Center given outright.
    IdentityCenter {
        start_url: String,
        sso_region: String,
        account_id: String,
        role_name: String,
    },
}

/// What the form asks for. Nothing here is secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAthenaWorkspace {
    pub name: String,
    pub sign_in: NewSignIn,
    /// The region of the workspace's AWS work (Athena, S3, Glue); the profile's when empty.
    pub region: Option<String>,
    pub workgroup: Option<String>,
    pub default_database: Option<String>,
    /// Where the security team publishes the signed policy bundle.
    pub bundle_source: String,
    /// The security team's public key: key text or a `.pub` file.
    pub trusted_key: String,
}

/// Adds `new` to `home`'s `config.toml`, refused with a reason when the administrator's
/// managed configuration sets the workspaces, when the name is taken, or when a value is not
/// one AWS or Warden would accept.
pub async fn add_athena_workspace(home: &Home, new: &NewAthenaWorkspace) -> Result<(), CoreError> {
    let path = home.config_file();
    if home.managed.exists() {
        return Err(invalid(format!(
            "your administrator sets the workspaces on this machine ({}); ask them to add it there",
            home.managed.display()
        )));
    }
    let name = new.name.trim();
    check_name(name)?;
    let config = Config::load(&path)?;
    if config.workspaces.contains_key(name) {
        return Err(invalid(format!(
            "a workspace named `{name}` exists already; pick another name"
        )));
    }
    let entry = entry(name, new)?;
    // The sign-in resolves as it will at every start: a profile without SSO settings, a
    // malformed start URL or region is refused now, not at the first sign-in.
    if let Some(sign_in) = &entry.sign_in {
        sign_in.resolve(name).await?;
    }
    let mut trust = warden_bundle::TrustStore::new();
    trust
        .add_path_or_text(&new.trusted_key)
        .map_err(|e| invalid(format!("the trusted key cannot be used: {e}")))?;

    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(CoreError::io("read", &path, e)),
    };
    let updated = with_entry(&path, &text, name, &entry)?;
    // The file as it will be must load, with the new entry as written.
    let check: Config = toml::from_str(&updated).map_err(|e| CoreError::Config {
        path: path.clone(),
        message: format!("the new entry would not load: {e}"),
    })?;
    if check.workspaces.get(name) != Some(&entry) {
        return Err(CoreError::Config {
            path: path.clone(),
            message: "the new entry would not read back as written; nothing was changed".into(),
        });
    }
    crate::files::write_atomically(&path, updated.as_bytes())
}

/// The `~/.aws/config` profiles a new workspace can take its sign-in from.
pub async fn aws_profiles() -> Result<Vec<String>, CoreError> {
    Ok(warden_identity::config::sso_profiles(None).await?)
}

fn invalid(message: String) -> CoreError {
    CoreError::NewWorkspace(message)
}

/// Workspace names become keyring entries, folder names and TOML keys: kept plain.
fn check_name(name: &str) -> Result<(), CoreError> {
    let plain = !name.is_empty()
        && name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !plain {
        return Err(invalid(format!(
            "`{name}` cannot name a workspace: use up to 40 lowercase letters, digits, `-` and `_`, starting with a letter or digit"
        )));
    }
    if name == DEMO {
        return Err(invalid(
            "`demo` is the built-in demo workspace; pick another name".into(),
        ));
    }
    Ok(())
}

/// A key file is kept by its absolute path: the app does not start where the form was filled.
fn trusted_key(key: &str) -> String {
    let key = key.trim();
    match std::fs::canonicalize(key) {
        Ok(path) if path.is_file() => path.display().to_string(),
        _ => key.to_owned(),
    }
}

fn entry(name: &str, new: &NewAthenaWorkspace) -> Result<WorkspaceConfig, CoreError> {
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let region = text(&new.region);
    let sign_in = match &new.sign_in {
        NewSignIn::Profile(profile) => SignInSettings {
            aws_profile: Some(profile.trim().to_owned()),
            region: region.clone(),
            ..SignInSettings::default()
        },
        NewSignIn::IdentityCenter {
            start_url,
            sso_region,
            account_id,
            role_name,
        } => {
            let account_id = account_id.trim();
            if account_id.len() != 12 || !account_id.chars().all(|c| c.is_ascii_digit()) {
                return Err(invalid(format!(
                    "workspace `{name}`: the account id is the 12 digits of an AWS account, got `{account_id}`"
                )));
            }
            let role_name = role_name.trim();
            let role_ok = !role_name.is_empty()
                && role_name.len() <= 64
                && role_name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
            if !role_ok {
                return Err(invalid(format!(
                    "workspace `{name}`: `{role_name}` is not a role (permission set) name: up to 64 letters, digits and + = , . @ _ -"
                )));
            }
            SignInSettings {
                sso_start_url: Some(start_url.trim().to_owned()),
                sso_region: Some(sso_region.trim().to_owned()),
                account_id: Some(account_id.to_owned()),
                role_name: Some(role_name.to_owned()),
                region: region.clone(),
                ..SignInSettings::default()
            }
        }
    };
    let workgroup = text(&new.workgroup);
    if let Some(w) = &workgroup {
        let ok = w.len() <= 128
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !ok {
            return Err(invalid(format!(
                "workspace `{name}`: `{w}` is not an Athena workgroup name: up to 128 letters, digits, `.`, `_` and `-`"
            )));
        }
    }
    let default_database = text(&new.default_database);
    if let Some(d) = &default_database {
        let ok = d.len() <= 255
            && d.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            return Err(invalid(format!(
                "workspace `{name}`: `{d}` is not an Athena database name: lowercase letters, digits and `_`"
            )));
        }
    }
    let source = new.bundle_source.trim();
    if !["https://", "s3://", "file:///"]
        .iter()
        .any(|scheme| source.starts_with(scheme))
    {
        return Err(invalid(format!(
            "workspace `{name}`: the policy bundle source must start with https://, s3:// or file:///, got `{source}`; your security team publishes it"
        )));
    }
    let athena = workgroup.map(|workgroup| crate::athena::AthenaConfig {
        workgroup: Some(workgroup),
        ..crate::athena::AthenaConfig::default()
    });
    Ok(WorkspaceConfig {
        kind: WorkspaceKind::Athena,
        default_database,
        bundle: BundleSettings {
            source: Some(source.to_owned()),
            trust: vec![trusted_key(&new.trusted_key)],
            ..BundleSettings::default()
        },
        audit: Default::default(),
        sign_in: Some(sign_in),
        athena,
        elevation: None,
        managed: false,
    })
}

/// Settings left at their defaults would show as empty `[...]` headers: left out.
fn drop_empty(table: &mut toml_edit::Table) {
    let empty: Vec<String> = table
        .iter_mut()
        .filter_map(|(key, item)| {
            let sub = item.as_table_mut()?;
            drop_empty(sub);
            sub.is_empty().then(|| key.get().to_owned())
        })
        .collect();
    for key in empty {
        table.remove(&key);
    }
}

/// `text` with `[workspaces.<name>]` added, everything else as it was.
fn with_entry(
    path: &Path,
    text: &str,
    name: &str,
    entry: &WorkspaceConfig,
) -> Result<String, CoreError> {
    let not_toml = |e: String| CoreError::Config {
        path: path.to_path_buf(),
        message: e,
    };
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| not_toml(format!("{e}")))?;
    let rendered = toml::to_string(entry).map_err(|e| not_toml(e.to_string()))?;
    let mut table = rendered
        .parse::<toml_edit::DocumentMut>()
        .map_err(|e| not_toml(format!("{e}")))?
        .as_table()
        .clone();
    drop_empty(&mut table);
    table.set_implicit(false);
    let workspaces = doc
        .entry("workspaces")
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            toml_edit::Item::Table(t)
        })
        .as_table_mut()
        .ok_or_else(|| not_toml("`workspaces` is not a table".into()))?;
    workspaces.insert(name, toml_edit::Item::Table(table));
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests;
