//! AWS credentials of the workspace's baseline role, fetched with the SSO session and kept in
//! the keyring, handed to SDK clients through `ProvideCredentials`.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::provider::{self, error::CredentialsError, ProvideCredentials};
use aws_credential_types::Credentials;
use serde::{Deserialize, Serialize};

use crate::clients::now;
use crate::error::{IdentityError, Result};
use crate::events::IdentityEvent;
use crate::secret::Secret;
use crate::session::Session;
use crate::vault::Slot;

/// New credentials are fetched this many seconds before the current ones expire.
pub const REFRESH_BEFORE: i64 = 5 * 60;

/// Role credentials. `Debug` shows the key id and expiry only.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RoleCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    /// Unix seconds.
    pub expires_at: i64,
    pub account_id: String,
    pub role_name: String,
}

impl RoleCredentials {
    pub fn to_sdk(&self) -> Credentials {
        Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.expose().to_owned(),
            Some(self.session_token.expose().to_owned()),
            Some(UNIX_EPOCH + Duration::from_secs(self.expires_at.max(0) as u64)),
            "warden",
        )
    }
}

/// Warden's credentials provider for one workspace: give it to any AWS SDK client (the Athena
/// engine takes it). Cheap to clone; clones share the cache and the single-flight lock.
#[derive(Clone, Debug)]
pub struct WardenCredentials {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    session: Arc<Session>,
    cache: tokio::sync::Mutex<Option<RoleCredentials>>,
}

impl WardenCredentials {
    pub fn new(session: Arc<Session>) -> WardenCredentials {
        WardenCredentials {
            inner: Arc::new(Inner {
                session,
                cache: tokio::sync::Mutex::new(None),
            }),
        }
    }

    pub fn session(&self) -> &Arc<Session> {
        &self.inner.session
    }

    /// Valid credentials for the workspace's baseline role: the held ones while they have more
    /// than five minutes left, new ones otherwise.
    pub async fn credentials(&self) -> Result<RoleCredentials> {
        let session = &self.inner.session;
        let workspace = session.config().workspace.clone();
        let mut guard = self.inner.cache.lock().await;
        if guard.is_none() {
            *guard = match session.vault().get(&workspace, Slot::Credentials)? {
                Some(json) => serde_json::from_str(json.expose()).ok(),
                None => None,
            };
        }
        if let Some(c) = guard.as_ref() {
            let matches = c.account_id == session.config().account_id
                && c.role_name == session.config().role_name;
            // Held credentials count only while the session they came from is still there.
            if matches && c.expires_at - now() > REFRESH_BEFORE && session.status().await?.is_some()
            {
                return Ok(c.clone());
            }
        }
        *guard = None;
        let fresh = self.fetch().await?;
        *guard = Some(fresh.clone());
        Ok(fresh)
    }

    async fn fetch(&self) -> Result<RoleCredentials> {
        let session = &self.inner.session;
        let config = session.config();
        let creds = session
            .role_credentials(&config.account_id, &config.role_name)
            .await?;
        let json =
            Secret::new(
                serde_json::to_string(&creds).map_err(|_| IdentityError::Corrupt {
                    entry: "AWS credentials".into(),
                })?,
            );
        session
            .vault()
            .put(&config.workspace, Slot::Credentials, &json)?;
        let recorded = session.events.record(IdentityEvent::CredentialsIssued {
            workspace: config.workspace.clone(),
            account_id: creds.account_id.clone(),
            role_name: creds.role_name.clone(),
            expires_at: creds.expires_at,
        });
        if let Err(reason) = recorded {
            session
                .vault()
                .delete(&config.workspace, Slot::Credentials)?;
            return Err(IdentityError::NotRecorded {
                what: "the issue of AWS credentials".into(),
                reason,
            });
        }
        Ok(creds)
    }
}

impl Session {
    /// Credentials for `role_name` in `account_id` from the AWS access portal
    /// (`GetRoleCredentials`) with this sign-in's token, neither cached nor kept: the caller
    /// decides where they live. In the Identity Center mode of elevation, the role is a
    /// permission set the broker assigned for the grant; the portal refuses it
    /// (`ForbiddenException`, [`IdentityError::is_forbidden`]) while the user has no
    /// assignment.
    pub async fn role_credentials(
        &self,
        account_id: &str,
        role_name: &str,
    ) -> Result<RoleCredentials> {
        let token = self.access_token().await?;
        let out = match self
            .portal
            .get_role_credentials()
            .access_token(token.expose())
            .account_id(account_id)
            .role_name(role_name)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => return Err(self.portal_error("GetRoleCredentials", e).await),
        };
        let rc = out.role_credentials.ok_or_else(|| IdentityError::Refused {
            service: "the AWS access portal (SSO)".into(),
            what: "GetRoleCredentials".into(),
            code: "an answer without credentials".into(),
            message: String::new(),
        })?;
        let (Some(key), Some(secret), Some(token)) =
            (rc.access_key_id, rc.secret_access_key, rc.session_token)
        else {
            return Err(IdentityError::Refused {
                service: "the AWS access portal (SSO)".into(),
                what: "GetRoleCredentials".into(),
                code: "incomplete credentials".into(),
                message: String::new(),
            });
        };
        Ok(RoleCredentials {
            access_key_id: key,
            secret_access_key: Secret::new(secret),
            session_token: Secret::new(token),
            // The portal gives milliseconds since the epoch.
            expires_at: rc.expiration / 1000,
            account_id: account_id.to_string(),
            role_name: role_name.to_string(),
        })
    }
}

impl ProvideCredentials for WardenCredentials {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(async move {
            match self.credentials().await {
                Ok(c) => Ok(c.to_sdk()),
                Err(e) => Err(CredentialsError::provider_error(e)),
            }
        })
    }
}

/// The `credential_process` answer (Version 1) for the AWS CLI, boto3 or dbt. Held as a
/// `Secret` because it carries the keys.
pub fn credential_process_json(c: &RoleCredentials) -> Secret {
    let expiration = aws_smithy_types::DateTime::from_secs(c.expires_at)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default();
    Secret::new(
        serde_json::json!({
            "Version": 1,
            "AccessKeyId": c.access_key_id,
            "SecretAccessKey": c.secret_access_key.expose(),
            "SessionToken": c.session_token.expose(),
            "Expiration": expiration,
        })
        .to_string(),
    )
}

/// Who the credentials belong to, from STS `GetCallerIdentity`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerIdentity {
    pub arn: String,
    pub account: String,
    pub user_id: String,
}

impl WardenCredentials {
    pub async fn caller_identity(&self) -> Result<CallerIdentity> {
        // Signed out or ended: say so, not the SDK's bare "other" for a provider that failed.
        self.credentials().await?;
        let config = self.inner.session.config();
        let sdk = crate::clients::sdk_config(&config.region).await;
        let mut builder =
            aws_sdk_sts::config::Builder::from(&sdk).credentials_provider(self.clone());
        if let Some(url) = &config.endpoints.sts {
            builder = builder.endpoint_url(url);
        }
        let sts = aws_sdk_sts::Client::from_conf(builder.build());
        let out = sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| crate::clients::describe("AWS STS", "GetCallerIdentity", e))?;
        Ok(CallerIdentity {
            arn: out.arn.unwrap_or_default(),
            account: out.account.unwrap_or_default(),
            user_id: out.user_id.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_process_output_is_version_1() {
        let c = RoleCredentials {
            access_key_id: "ASIAFAKE".into(),
            secret_access_key: Secret::new("s3cr3t-FAKE"),
            session_token: Secret::new("t0k3n-FAKE"),
            expires_at: 1_800_000_000,
            account_id: "123456789012".into(),
            role_name: "Analyst".into(),
        };
        let v: serde_json::Value =
            serde_json::from_str(credential_process_json(&c).expose()).unwrap();
        assert_eq!(v["Version"], 1);
        assert_eq!(v["AccessKeyId"], "ASIAFAKE");
        assert_eq!(v["SecretAccessKey"], "s3cr3t-FAKE");
        assert_eq!(v["SessionToken"], "t0k3n-FAKE");
        assert_eq!(v["Expiration"], "2027-01-15T08:00:00Z");
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("s3cr3t") && !dbg.contains("t0k3n"), "{dbg}");
    }
}
