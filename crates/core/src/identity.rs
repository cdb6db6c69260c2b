//! Sign-in for AWS workspaces (kind `athena`): the workspace's `[sign_in]` settings resolved
//! into a sign-in (given outright, or from an AWS CLI profile or `[sso-session]`), a session on
//! the OS keyring, and its events in the workspace's audit journal. The SSO identity, which is
//! not secret, is kept beside the journal so every later event's actor carries it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use warden_audit::{
    CredentialsIssued, CredentialsWiped, Lockout, Payload, SignInFailed, SignedIn, SignedOut,
    TokenRefreshed,
};
use warden_identity::{Session, SignInConfig, Vault, WardenCredentials};

use crate::audit::Audit;
use crate::config::{Config, WorkspaceKind};
use crate::error::CoreError;
use crate::home::Home;
use crate::workspace::Workspace;

pub use warden_identity::{
    credential_process_json, open_url, CallerIdentity, EventSink, IdentityError, IdentityEvent,
    Method as SignInMethod, RoleCredentials, Secret, SignInPrompt,
};

/// `[workspaces.NAME.sign_in]`: either the values themselves, or `aws_profile`, or
/// `sso_session` with `account_id` and `role_name`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInSettings {
    #[serde(default)]
    pub sso_start_url: Option<String>,
    #[serde(default)]
    pub sso_region: Option<String>,
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub role_name: Option<String>,
    /// The region of the workspace's AWS work (Athena, S3, Glue).
    #[serde(default)]
    pub region: Option<String>,
    /// Take everything from this `~/.aws/config` profile.
    #[serde(default)]
    pub aws_profile: Option<String>,
    /// Take the start URL and SSO region from this `[sso-session]` of `~/.aws/config`.
    #[serde(default)]
    pub sso_session: Option<String>,
    /// Local endpoints instead of AWS's (the sandbox). `AWS_ENDPOINT_URL_*` work too.
    #[serde(default)]
    pub endpoints: EndpointSettings,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointSettings {
    #[serde(default)]
    pub sso: Option<String>,
    #[serde(default)]
    pub sso_oidc: Option<String>,
    #[serde(default)]
    pub sts: Option<String>,
}

impl SignInSettings {
    pub async fn resolve(&self, workspace: &str) -> Result<SignInConfig, CoreError> {
        let missing = |key: &str| {
            CoreError::SignIn(format!(
                "workspace `{workspace}`: [workspaces.{workspace}.sign_in] has no `{key}`; set it, or name an `aws_profile` or `sso_session`"
            ))
        };
        let mut config = if let Some(profile) = &self.aws_profile {
            warden_identity::config::from_aws_profile(workspace, profile, None).await?
        } else if let Some(session) = &self.sso_session {
            warden_identity::config::from_aws_sso_session(
                workspace,
                session,
                self.account_id
                    .as_deref()
                    .ok_or_else(|| missing("account_id"))?,
                self.role_name
                    .as_deref()
                    .ok_or_else(|| missing("role_name"))?,
                self.region.as_deref(),
                None,
            )
            .await?
        } else {
            let sso_region = self
                .sso_region
                .clone()
                .ok_or_else(|| missing("sso_region"))?;
            SignInConfig {
                workspace: workspace.into(),
                start_url: self
                    .sso_start_url
                    .clone()
                    .ok_or_else(|| missing("sso_start_url"))?,
                account_id: self
                    .account_id
                    .clone()
                    .ok_or_else(|| missing("account_id"))?,
                role_name: self.role_name.clone().ok_or_else(|| missing("role_name"))?,
                region: self.region.clone().unwrap_or_else(|| sso_region.clone()),
                sso_region,
                endpoints: Default::default(),
            }
            .validate()?
        };
        // Warden's own values win over the profile's.
        if self.aws_profile.is_some() {
            if let Some(a) = &self.account_id {
                config.account_id = a.clone();
            }
            if let Some(r) = &self.role_name {
                config.role_name = r.clone();
            }
            if let Some(r) = &self.region {
                config.region = r.clone();
            }
        }
        config.endpoints = warden_identity::Endpoints {
            sso: self.endpoints.sso.clone(),
            sso_oidc: self.endpoints.sso_oidc.clone(),
            sts: self.endpoints.sts.clone(),
        };
        Ok(config)
    }
}

/// The SSO identity of the last sign-in (not secret), kept beside the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInAs {
    /// Who STS says the credentials belong to.
    pub arn: String,
    pub account_id: String,
    pub role_name: String,
}

fn identity_file(dir: &Path) -> PathBuf {
    dir.join("identity.json")
}

/// The SSO identity recorded for the workspace in `dir`, if signed in.
pub(crate) fn signed_in_as(dir: &Path) -> Option<SignedInAs> {
    let text = std::fs::read_to_string(identity_file(dir)).ok()?;
    serde_json::from_str(&text).ok()
}

/// A workspace's sign-in: the session (keyring-held tokens), the credentials provider for its
/// AWS clients, and the journal its events go to.
pub struct WorkspaceIdentity {
    pub session: Arc<Session>,
    pub credentials: WardenCredentials,
    audit: Arc<Audit>,
    dir: PathBuf,
}

impl WorkspaceIdentity {
    /// Opens the sign-in of workspace `name` (or the default one). Probes the OS keyring first
    /// and refuses, in plain words, when there is none: Warden has no other place for secrets.
    pub async fn open(home: &Home, name: Option<&str>) -> Result<WorkspaceIdentity, CoreError> {
        Self::open_watched(home, name, None).await
    }

    /// Like `open`, and `watcher` hears every identity event once the journal was asked to
    /// record it (the app tells its window and the desktop when a session ends by itself).
    pub async fn open_watched(
        home: &Home,
        name: Option<&str>,
        watcher: Option<Arc<dyn EventSink>>,
    ) -> Result<WorkspaceIdentity, CoreError> {
        let config = Config::load_with_managed(&home.config_file(), &home.managed)?;
        let name = name.unwrap_or(&config.default_workspace).to_string();
        let ws = config.workspace(&name)?;
        if ws.kind != WorkspaceKind::Athena {
            return Err(CoreError::SignIn(format!(
                "workspace `{name}` is a {} workspace, which needs no sign-in; AWS sign-in is for workspaces of kind `athena`",
                serde_json::to_value(ws.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
            )));
        }
        let settings = ws.sign_in.clone().ok_or_else(|| {
            CoreError::SignIn(format!(
                "workspace `{name}` has no [workspaces.{name}.sign_in] section in config.toml"
            ))
        })?;
        let sign_in = settings.resolve(&name).await?;
        let vault = Vault::system()?;
        let workspace = Workspace::find(home, Some(&name))?;
        let audit = workspace.open_audit()?;
        let dir = workspace.dir().to_path_buf();
        let sink = Arc::new(JournalSink {
            audit: audit.clone(),
            watcher,
        });
        let session = Arc::new(Session::new(sign_in, vault, sink).await);
        Ok(WorkspaceIdentity {
            credentials: WardenCredentials::new(session.clone()),
            session,
            audit,
            dir,
        })
    }

    /// Asks STS who the credentials belong to and keeps it as the actor of later events.
    pub async fn confirm_identity(&self) -> Result<SignedInAs, CoreError> {
        let who = self.credentials.caller_identity().await?;
        let config = self.session.config();
        let as_ = SignedInAs {
            arn: who.arn,
            account_id: config.account_id.clone(),
            role_name: config.role_name.clone(),
        };
        std::fs::create_dir_all(&self.dir).map_err(|e| CoreError::io("create", &self.dir, e))?;
        let path = identity_file(&self.dir);
        let text = serde_json::to_string_pretty(&as_).unwrap_or_default();
        std::fs::write(&path, text).map_err(|e| CoreError::io("write", &path, e))?;
        self.audit.set_sso_identity(Some(as_.arn.clone()));
        Ok(as_)
    }

    /// Signs out and forgets the identity.
    pub async fn sign_out(&self) -> Result<(), CoreError> {
        let workspace = self.session.config().workspace.clone();
        // AWS elevations' keys and credentials go with the sign-in (Vault::clear).
        let elevated = self
            .session
            .vault()
            .elevation_entries(&workspace)
            .unwrap_or_default();
        self.session.sign_out().await?;
        if !elevated.is_empty() {
            // Wiping is never held back by the journal; the record is best effort.
            let _ = self
                .audit
                .record(Payload::CredentialsWiped(CredentialsWiped {
                    reason: "signed out".into(),
                    cleared: elevated
                        .iter()
                        .map(|name| format!("keyring:{workspace}/{name}"))
                        .collect(),
                }));
        }
        self.forget_identity()
    }

    /// Forgets the identity after the session ended.
    pub fn forget_identity(&self) -> Result<(), CoreError> {
        let path = identity_file(&self.dir);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(CoreError::io("remove", &path, e)),
        }
        self.audit.set_sso_identity(None);
        Ok(())
    }

    /// The workspace's journal, where this sign-in's events go.
    pub fn audit(&self) -> &Arc<Audit> {
        &self.audit
    }

    pub fn signed_in_as(&self) -> Option<SignedInAs> {
        signed_in_as(&self.dir)
    }
}

/// Identity events into the audit journal. Names, accounts, roles and times: never a secret
/// (the payload types have no field for one). A journal that cannot record answers Err, and the
/// identity layer undoes a sign-in or credentials it cannot record (fail closed).
struct JournalSink {
    audit: Arc<Audit>,
    watcher: Option<Arc<dyn EventSink>>,
}

impl EventSink for JournalSink {
    fn record(&self, event: IdentityEvent) -> Result<(), String> {
        let ms = |s: i64| s.saturating_mul(1000);
        let payload = match event.clone() {
            IdentityEvent::SignedIn {
                method, expires_at, ..
            } => Payload::SignedIn(SignedIn {
                method: method.as_str().into(),
                expires_at_ms: ms(expires_at),
            }),
            IdentityEvent::SignedOut { .. } => Payload::SignedOut(SignedOut {}),
            IdentityEvent::SignInFailed { reason, .. } => {
                Payload::SignInFailed(SignInFailed { reason })
            }
            IdentityEvent::TokenRefreshed { expires_at, .. } => {
                Payload::TokenRefreshed(TokenRefreshed {
                    expires_at_ms: ms(expires_at),
                })
            }
            IdentityEvent::CredentialsIssued {
                account_id,
                role_name,
                expires_at,
                ..
            } => Payload::CredentialsIssued(CredentialsIssued {
                account_id,
                role_name,
                expires_at_ms: ms(expires_at),
            }),
            IdentityEvent::SessionEnded { reason, .. } => Payload::Lockout(Lockout {
                reason: format!("the AWS sign-in ended: {reason}"),
                until_ms: None,
            }),
        };
        let recorded = self.audit.record(payload).map(|_| ()).map_err(|e| {
            tracing::warn!("the audit journal could not record a sign-in event: {e}");
            e.to_string()
        });
        // The watcher hears what happened (a session that ended has ended, recorded or not);
        // whether it stands is the caller's decision on `recorded`.
        if let Some(watcher) = &self.watcher {
            let _ = watcher.record(event);
        }
        recorded
    }
}
