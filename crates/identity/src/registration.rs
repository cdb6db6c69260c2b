//! The client registration with IAM Identity Center, kept in the keyring and registered again
//! when its secret expires or the flow or start URL changed.

use aws_sdk_ssooidc::Client as OidcClient;
use serde::{Deserialize, Serialize};

use crate::clients::{describe, now};
use crate::config::SignInConfig;
use crate::error::{IdentityError, Result};
use crate::events::Method;
use crate::secret::Secret;
use crate::vault::{Slot, Vault};

/// The redirect URI registered for the browser flow; the port is added per sign-in (IAM
/// Identity Center accepts any loopback port for it, as for the AWS CLI).
pub const REDIRECT_URI: &str = "http://127.0.0.1/oauth/callback";
pub const SCOPE: &str = "sso:account:access";
const CLIENT_NAME: &str = "warden";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

#[derive(Serialize, Deserialize)]
pub struct Registration {
    pub client_id: String,
    pub client_secret: Secret,
    /// When the client secret expires (Unix seconds).
    pub expires_at: i64,
    pub method: String,
    pub start_url: String,
}

impl Registration {
    fn usable_for(&self, method: Method, start_url: &str) -> bool {
        self.method == method.as_str()
            && self.start_url == start_url
            && self.expires_at > now() + 300
    }
}

/// The stored registration, if any, whatever its state (refresh uses the one that issued the
/// token).
pub fn stored(vault: &Vault, workspace: &str) -> Result<Option<Registration>> {
    match vault.get(workspace, Slot::Client)? {
        None => Ok(None),
        Some(json) => {
            serde_json::from_str(json.expose())
                .map(Some)
                .map_err(|_| IdentityError::Corrupt {
                    entry: "client registration".into(),
                })
        }
    }
}

/// A registration usable for `method`: the stored one while its secret is valid, a new one
/// otherwise.
pub async fn ensure(
    vault: &Vault,
    oidc: &OidcClient,
    config: &SignInConfig,
    method: Method,
) -> Result<Registration> {
    if let Some(r) = stored(vault, &config.workspace)? {
        if r.usable_for(method, &config.start_url) {
            return Ok(r);
        }
    }
    let mut call = oidc
        .register_client()
        .client_name(CLIENT_NAME)
        .client_type("public")
        .scopes(SCOPE);
    call = match method {
        Method::Browser => call
            .grant_types("authorization_code")
            .grant_types("refresh_token")
            .redirect_uris(REDIRECT_URI)
            .issuer_url(&config.start_url),
        Method::DeviceCode => call.grant_types(DEVICE_GRANT).grant_types("refresh_token"),
    };
    let out = call
        .send()
        .await
        .map_err(|e| describe("IAM Identity Center (SSO-OIDC)", "RegisterClient", e))?;
    let (Some(client_id), Some(client_secret)) = (out.client_id, out.client_secret) else {
        return Err(IdentityError::Refused {
            service: "IAM Identity Center (SSO-OIDC)".into(),
            what: "RegisterClient".into(),
            code: "an answer without a client id or secret".into(),
            message: String::new(),
        });
    };
    let reg = Registration {
        client_id,
        client_secret: Secret::new(client_secret),
        expires_at: out.client_secret_expires_at,
        method: method.as_str().into(),
        start_url: config.start_url.clone(),
    };
    let json = Secret::new(
        serde_json::to_string(&reg).map_err(|_| IdentityError::Corrupt {
            entry: "client registration".into(),
        })?,
    );
    vault.put(&config.workspace, Slot::Client, &json)?;
    Ok(reg)
}
