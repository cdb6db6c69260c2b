//! AWS sign-in as the window shows it: the status bar's Sign in / identity item, the device
//! code dialog, the workspace picker, and the news that a session ended by itself.

use serde::Serialize;
use ts_rs::TS;
use warden_core::identity::{IdentityError, SignInMethod, SignInPrompt, WorkspaceIdentity};
use warden_core::{Config, CoreError, Gate, Home, WorkspaceKind, STOP_WAIT};

use crate::error::{ApiError, ErrorKind};

/// Whether the open workspace signs in to AWS, and who is signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignInStatus {
    pub workspace: String,
    /// True for AWS workspaces (kind `athena`); the window shows no sign-in item otherwise.
    pub needed: bool,
    pub signed_in: bool,
    /// Who STS says the credentials belong to (an ARN), while signed in.
    pub identity: Option<String>,
    pub account_id: Option<String>,
    pub role_name: Option<String>,
    /// When the SSO token runs out (ms since the epoch); it is refreshed before that.
    pub expires_at_ms: Option<i64>,
    /// Why signing in is not possible here (no OS keyring, an incomplete `[sign_in]`).
    pub problem: Option<String>,
}

impl SignInStatus {
    /// A workspace that needs no sign-in.
    pub fn not_needed(workspace: &str) -> Self {
        Self::signed_out(workspace, false, None)
    }

    /// An AWS workspace whose sign-in could not be opened, with why.
    pub fn unavailable(workspace: &str, problem: String) -> Self {
        Self::signed_out(workspace, true, Some(problem))
    }

    fn signed_out(workspace: &str, needed: bool, problem: Option<String>) -> Self {
        Self {
            workspace: workspace.to_string(),
            needed,
            signed_in: false,
            identity: None,
            account_id: None,
            role_name: None,
            expires_at_ms: None,
            problem,
        }
    }
}

/// The device flow's code, shown in a dialog until the sign-in ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCode {
    pub user_code: String,
    pub verification_uri: String,
    /// The verification page with the code filled in, when the service gives one.
    pub complete_uri: Option<String>,
}

/// A session that ended without the user signing out (refresh refused, signed out elsewhere).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionEnded {
    pub workspace: String,
    pub reason: String,
}

/// One configured workspace, for the picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceEntry {
    pub name: String,
    /// `demo` or `athena`.
    pub kind: String,
    /// The workspace this window has open.
    pub current: bool,
}

/// `sign_in_status`: read from the keyring (no network).
pub async fn sign_in_status(identity: &WorkspaceIdentity) -> SignInStatus {
    let config = identity.session.config();
    let mut status = SignInStatus::signed_out(&config.workspace, true, None);
    match identity.session.status().await {
        Ok(Some(expires_at)) => {
            let who = identity.signed_in_as();
            status.signed_in = true;
            status.expires_at_ms = Some(expires_at.saturating_mul(1000));
            status.identity = who.as_ref().map(|w| w.arn.clone());
            status.account_id = Some(config.account_id.clone());
            status.role_name = Some(config.role_name.clone());
        }
        Ok(None) => {}
        Err(e) => status.problem = Some(e.to_string()),
    }
    status
}

/// `sign_in`: the browser flow, or the device flow with `device_code`; then asks STS who the
/// credentials belong to, so the window and every later audit event name the identity.
pub async fn sign_in(
    identity: &WorkspaceIdentity,
    device_code: bool,
    prompt: &dyn SignInPrompt,
) -> Result<SignInStatus, ApiError> {
    let method = if device_code {
        SignInMethod::DeviceCode
    } else {
        SignInMethod::Browser
    };
    identity
        .session
        .sign_in(method, prompt)
        .await
        .map_err(|e| from_identity(CoreError::Identity(e)))?;
    identity.confirm_identity().await.map_err(from_identity)?;
    Ok(sign_in_status(identity).await)
}

/// `sign_out`: AWS work stops first (running queries are stopped at Athena and grants and
/// waiting requests withdrawn at the broker while the session can still sign them; grants end
/// and their keys are wiped), then every keyring entry of the workspace goes.
pub async fn sign_out(
    identity: &WorkspaceIdentity,
    gate: Option<&Gate>,
) -> Result<SignInStatus, ApiError> {
    if let Some(gate) = gate {
        let stopped = gate.stop_aws_work("signed out", STOP_WAIT).await;
        for (id, why) in &stopped.not_told {
            tracing::warn!(request = %id, "signing out: the broker was not told: {why}");
        }
        for e in &stopped.errors {
            tracing::warn!("signing out: {e}");
        }
    }
    identity.sign_out().await.map_err(from_identity)?;
    Ok(sign_in_status(identity).await)
}

/// `workspaces`: every configured workspace (the administrator's pins included), `current`
/// marking the open one.
pub fn workspaces(home: &Home, current: &str) -> Result<Vec<WorkspaceEntry>, ApiError> {
    let config = Config::load_with_managed(&home.config_file(), &home.managed)?;
    Ok(config
        .workspaces
        .iter()
        .map(|(name, ws)| WorkspaceEntry {
            name: name.clone(),
            kind: match ws.kind {
                WorkspaceKind::Demo => "demo",
                WorkspaceKind::Athena => "athena",
            }
            .to_string(),
            current: name == current,
        })
        .collect())
}

/// A refused or abandoned sign-in is the user's to retry (`blocked`); a broken configuration
/// or keyring is not (`internal`).
fn from_identity(e: CoreError) -> ApiError {
    use IdentityError as E;
    match &e {
        CoreError::Identity(
            E::SignedOut { .. }
            | E::SessionEnded { .. }
            | E::DeviceCodeExpired
            | E::SignInAborted(_)
            | E::StateMismatch
            | E::Refused { .. }
            | E::Timeout { .. }
            | E::Unreachable { .. }
            | E::NotRecorded { .. },
        ) => ApiError::new(ErrorKind::Blocked, e.to_string()),
        _ => ApiError::internal(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_reaches_the_window_in_camel_case() {
        let wire = serde_json::to_value(SignInStatus::unavailable("sandbox", "no keyring".into()))
            .expect("serialises");
        assert_eq!(wire["needed"], true);
        assert_eq!(wire["signedIn"], false);
        assert_eq!(wire["expiresAtMs"], serde_json::Value::Null);
        assert_eq!(wire["problem"], "no keyring");
    }

    #[test]
    fn the_picker_lists_every_workspace_and_marks_the_open_one() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let home = Home::under(dir.path());
        std::fs::create_dir_all(&home.config).expect("config dir");
        std::fs::write(
            home.config_file(),
            "[workspaces.aws]\nkind = \"athena\"\n[workspaces.aws.sign_in]\nsso_start_url = \"https://x.awsapps.com/start\"\nsso_region = \"eu-west-1\"\naccount_id = \"111122223333\"\nrole_name = \"Analyst\"\n",
        )
        .expect("config written");
        let listed = workspaces(&home, "aws").expect("listed");
        let names: Vec<_> = listed
            .iter()
            .map(|w| (w.name.as_str(), w.kind.as_str(), w.current))
            .collect();
        assert_eq!(
            names,
            vec![("aws", "athena", true), ("demo", "demo", false)]
        );
    }

    #[test]
    fn a_refused_sign_in_is_the_users_to_retry_and_a_broken_keyring_is_not() {
        let refused = from_identity(CoreError::Identity(IdentityError::DeviceCodeExpired));
        assert_eq!(refused.kind, ErrorKind::Blocked);
        let keyring = from_identity(CoreError::Identity(IdentityError::KeyringUnavailable {
            reason: "no Secret Service".into(),
            advice: "start gnome-keyring".into(),
        }));
        assert_eq!(keyring.kind, ErrorKind::Internal);
    }
}
