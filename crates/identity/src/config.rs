//! Which IAM Identity Center and which role a workspace signs in with: given outright, or taken
//! from an `~/.aws/config` profile or `[sso-session]` so an AWS CLI user types nothing twice.

use std::borrow::Cow;
use std::path::PathBuf;

use aws_runtime::env_config::file::{
    EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
};
use aws_types::os_shim_internal::{Env, Fs};

use crate::error::{IdentityError, Result};

/// Everything a sign-in needs. None of it is secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInConfig {
    /// The workspace the secrets are filed under in the keyring.
    pub workspace: String,
    /// The AWS access portal URL, e.g. `https://my-org.awsapps.com/start`.
    pub start_url: String,
    /// The region of IAM Identity Center.
    pub sso_region: String,
    /// The account whose baseline role the workspace works in.
    pub account_id: String,
    /// The permission set (role) name in that account.
    pub role_name: String,
    /// The region the workspace's AWS clients call (Athena, S3, Glue).
    pub region: String,
    /// Endpoints that replace AWS's (the local sandbox); `AWS_ENDPOINT_URL_*` work too.
    pub endpoints: Endpoints,
}

/// Endpoint overrides, each optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub sso: Option<String>,
    pub sso_oidc: Option<String>,
    pub sts: Option<String>,
}

impl SignInConfig {
    /// Checks the values for the mistakes a hand-written config makes.
    pub fn validate(self) -> Result<SignInConfig> {
        let ws = &self.workspace;
        if !self.start_url.starts_with("https://") {
            return Err(IdentityError::Config(format!(
                "workspace `{ws}`: sso_start_url must be an https:// URL (the AWS access portal URL), got `{}`",
                self.start_url
            )));
        }
        for (name, value) in [("sso_region", &self.sso_region), ("region", &self.region)] {
            let plain = !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !plain {
                return Err(IdentityError::Config(format!(
                    "workspace `{ws}`: {name} must be an AWS region such as `eu-west-1`, got `{value}`"
                )));
            }
        }
        if self.account_id.len() != 12 || !self.account_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(IdentityError::Config(format!(
                "workspace `{ws}`: account_id must be 12 digits, got `{}`",
                self.account_id
            )));
        }
        if self.role_name.trim().is_empty() {
            return Err(IdentityError::Config(format!(
                "workspace `{ws}`: role_name is empty"
            )));
        }
        Ok(self)
    }
}

/// Reads a sign-in from an AWS CLI profile (`[profile NAME]` with `sso_session` or the legacy
/// `sso_start_url` keys). `config_file` overrides the default `~/.aws/config` (and
/// `AWS_CONFIG_FILE`).
pub async fn from_aws_profile(
    workspace: &str,
    profile: &str,
    config_file: Option<PathBuf>,
) -> Result<SignInConfig> {
    let set = load(config_file).await?;
    let p = set.get_profile(profile).ok_or_else(|| {
        IdentityError::Config(format!(
            "workspace `{workspace}`: there is no profile `{profile}` in the AWS config file"
        ))
    })?;
    let missing = |key: &str, place: &str| {
        IdentityError::Config(format!(
            "workspace `{workspace}`: {place} has no `{key}`; add it or name the value in Warden's config"
        ))
    };
    let place = format!("AWS profile `{profile}`");
    let (start_url, sso_region) = match p.get("sso_session") {
        Some(session) => {
            let s = set.sso_session(session).ok_or_else(|| {
                IdentityError::Config(format!(
                    "workspace `{workspace}`: profile `{profile}` names sso_session `{session}`, which the AWS config file does not define"
                ))
            })?;
            let splace = format!("[sso-session {session}]");
            (
                s.get("sso_start_url")
                    .ok_or_else(|| missing("sso_start_url", &splace))?,
                s.get("sso_region")
                    .ok_or_else(|| missing("sso_region", &splace))?,
            )
        }
        None => (
            p.get("sso_start_url")
                .ok_or_else(|| missing("sso_start_url", &place))?,
            p.get("sso_region")
                .ok_or_else(|| missing("sso_region", &place))?,
        ),
    };
    let account_id = p
        .get("sso_account_id")
        .ok_or_else(|| missing("sso_account_id", &place))?;
    let role_name = p
        .get("sso_role_name")
        .ok_or_else(|| missing("sso_role_name", &place))?;
    SignInConfig {
        workspace: workspace.into(),
        start_url: start_url.into(),
        sso_region: sso_region.into(),
        account_id: account_id.into(),
        role_name: role_name.into(),
        region: p.get("region").unwrap_or(sso_region).into(),
        endpoints: Endpoints::default(),
    }
    .validate()
}

/// Reads the start URL and region of an `[sso-session NAME]`; the account and role come from
/// Warden's own config.
pub async fn from_aws_sso_session(
    workspace: &str,
    session: &str,
    account_id: &str,
    role_name: &str,
    region: Option<&str>,
    config_file: Option<PathBuf>,
) -> Result<SignInConfig> {
    let set = load(config_file).await?;
    let s = set.sso_session(session).ok_or_else(|| {
        IdentityError::Config(format!(
            "workspace `{workspace}`: there is no [sso-session {session}] in the AWS config file"
        ))
    })?;
    let get = |key: &str| {
        s.get(key).ok_or_else(|| {
            IdentityError::Config(format!(
                "workspace `{workspace}`: [sso-session {session}] has no `{key}`"
            ))
        })
    };
    let sso_region = get("sso_region")?;
    SignInConfig {
        workspace: workspace.into(),
        start_url: get("sso_start_url")?.into(),
        sso_region: sso_region.into(),
        account_id: account_id.into(),
        role_name: role_name.into(),
        region: region.unwrap_or(sso_region).into(),
        endpoints: Endpoints::default(),
    }
    .validate()
}

/// The profiles of the AWS config file a workspace can sign in with (those with
/// `sso_session` or `sso_start_url`), sorted; none when there is no file.
pub async fn sso_profiles(config_file: Option<PathBuf>) -> Result<Vec<String>> {
    if config_file.as_ref().is_some_and(|path| !path.exists()) {
        return Ok(vec![]);
    }
    let set = load(config_file).await?;
    let mut names: Vec<String> = set
        .profiles()
        .filter(|name| {
            set.get_profile(name)
                .is_some_and(|p| p.get("sso_session").is_some() || p.get("sso_start_url").is_some())
        })
        .map(str::to_owned)
        .collect();
    names.sort();
    Ok(names)
}

async fn load(config_file: Option<PathBuf>) -> Result<aws_config::profile::ProfileSet> {
    let files = match config_file {
        Some(path) => ProfileFiles::builder()
            .with_file(ProfileFileKind::Config, path)
            .build(),
        None => ProfileFiles::default(),
    };
    aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        &files,
        Some(Cow::Borrowed("default")),
    )
    .await
    .map_err(|e| IdentityError::Config(format!("cannot read the AWS config file: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[tokio::test]
    async fn profile_with_sso_session() {
        let (_d, path) = write(
            "[profile analyst]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Analyst\nregion = eu-west-1\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n",
        );
        let c = from_aws_profile("ws", "analyst", Some(path)).await.unwrap();
        assert_eq!(c.start_url, "https://corp.awsapps.com/start");
        assert_eq!(c.sso_region, "us-east-1");
        assert_eq!(c.account_id, "111122223333");
        assert_eq!(c.role_name, "Analyst");
        assert_eq!(c.region, "eu-west-1");
    }

    #[tokio::test]
    async fn only_profiles_that_sign_in_through_sso_are_offered() {
        let (_d, path) = write(
            "[default]\nregion = eu-west-1\n[profile keys]\naws_access_key_id = AKIAFAKE\n[profile old]\nsso_start_url = https://old.awsapps.com/start\n[profile analyst]\nsso_session = corp\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n",
        );
        assert_eq!(sso_profiles(Some(path)).await.unwrap(), ["analyst", "old"]);
        let none = tempfile::tempdir().unwrap().path().join("absent");
        assert!(sso_profiles(Some(none)).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn legacy_profile_and_missing_keys() {
        let (_d, path) = write(
            "[profile old]\nsso_start_url = https://old.awsapps.com/start\nsso_region = eu-central-1\nsso_account_id = 444455556666\nsso_role_name = Reader\n[profile broken]\nsso_region = eu-central-1\n",
        );
        let c = from_aws_profile("ws", "old", Some(path.clone()))
            .await
            .unwrap();
        assert_eq!(c.region, "eu-central-1");
        let e = from_aws_profile("ws", "broken", Some(path.clone()))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("has no `sso_start_url`"), "{e}");
        let e = from_aws_profile("ws", "nope", Some(path))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("no profile `nope`"), "{e}");
    }

    #[tokio::test]
    async fn sso_session_alone() {
        let (_d, path) = write(
            "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
        );
        let c = from_aws_sso_session("ws", "corp", "111122223333", "Analyst", None, Some(path))
            .await
            .unwrap();
        assert_eq!(c.region, "us-east-1");
    }

    #[test]
    fn validation_names_the_field() {
        let ok = SignInConfig {
            workspace: "w".into(),
            start_url: "https://x.awsapps.com/start".into(),
            sso_region: "us-east-1".into(),
            account_id: "123456789012".into(),
            role_name: "R".into(),
            region: "us-east-1".into(),
            endpoints: Endpoints::default(),
        };
        assert!(ok.clone().validate().is_ok());
        let e = SignInConfig {
            account_id: "12".into(),
            ..ok.clone()
        };
        assert!(e.validate().unwrap_err().to_string().contains("account_id"));
        let e = SignInConfig {
            start_url: "http://x".into(),
            ..ok
        };
        assert!(e.validate().unwrap_err().to_string().contains("https://"));
    }
}
