//! The window's "Add AWS workspace" form: the profiles it offers and what it sends.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use warden_core::{Home, NewAthenaWorkspace, NewSignIn};

use crate::error::ApiError;
use crate::identity::WorkspaceEntry;

/// How the new workspace signs in: an AWS CLI profile, or IAM Identity Center given outright.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum NewWorkspaceSignIn {
    Profile {
        profile: String,
    },
    #[serde(rename_all = "camelCase")]
    IdentityCenter {
        start_url: String,
        sso_region: String,
        account_id: String,
        role_name: String,
    },
}

/// What the form sends. Empty optional fields are left out of the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewWorkspace {
    pub name: String,
    pub sign_in: NewWorkspaceSignIn,
    pub region: Option<String>,
    pub workgroup: Option<String>,
    pub default_database: Option<String>,
    pub bundle_source: String,
    pub trusted_key: String,
}

/// `aws_profiles`: the `~/.aws/config` profiles that sign in through IAM Identity Center.
pub async fn aws_profiles() -> Result<Vec<String>, ApiError> {
    warden_core::aws_profiles()
        .await
        .map_err(|e| ApiError::invalid(e.to_string()))
}

/// `add_workspace`: writes the new workspace into `config.toml` and lists the workspaces.
pub async fn add_workspace(
    home: &Home,
    current: &str,
    form: NewWorkspace,
) -> Result<Vec<WorkspaceEntry>, ApiError> {
    let sign_in = match form.sign_in {
        NewWorkspaceSignIn::Profile { profile } => NewSignIn::Profile(profile),
        NewWorkspaceSignIn::IdentityCenter {
            start_url,
            sso_region,
            account_id,
            role_name,
        } => NewSignIn::IdentityCenter {
            start_url,
            sso_region,
            account_id,
            role_name,
        },
    };
    let new = NewAthenaWorkspace {
        name: form.name,
        sign_in,
        region: form.region,
        workgroup: form.workgroup,
        default_database: form.default_database,
        bundle_source: form.bundle_source,
        trusted_key: form.trusted_key,
    };
    warden_core::add_athena_workspace(home, &new)
        .await
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    crate::identity::workspaces(home, current)
}
