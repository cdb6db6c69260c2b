//! One workspace's sign-in: the flows, the access token refreshed one caller at a time, and
//! sign-out. Every secret goes to the keyring and nowhere else.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sso::Client as PortalClient;
use aws_sdk_ssooidc::operation::create_token::{CreateTokenError, CreateTokenOutput};
use aws_sdk_ssooidc::Client as OidcClient;

use crate::clients::{describe, now, oidc_base_url, sdk_config};
use crate::config::SignInConfig;
use crate::error::{IdentityError, Result};
use crate::events::{EventSink, IdentityEvent, Method};
use crate::pkce::{authorize_url, challenge, random_string, Loopback};
use crate::prompt::SignInPrompt;
use crate::registration;
use crate::secret::Secret;
use crate::token::{AccessToken, Freshness};
use crate::vault::{Slot, Vault};

const OIDC: &str = "IAM Identity Center (SSO-OIDC)";

pub struct Session {
    config: SignInConfig,
    vault: Vault,
    oidc: OidcClient,
    pub(crate) portal: PortalClient,
    pub(crate) events: Arc<dyn EventSink>,
    /// The token in memory; the lock makes refresh single-flight.
    token: tokio::sync::Mutex<Option<AccessToken>>,
    /// How long the browser flow waits for the redirect.
    pub browser_timeout: Duration,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("workspace", &self.config.workspace)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub async fn new(config: SignInConfig, vault: Vault, events: Arc<dyn EventSink>) -> Session {
        let sdk = sdk_config(&config.sso_region).await;
        let mut oidc = aws_sdk_ssooidc::config::Builder::from(&sdk);
        if let Some(url) = &config.endpoints.sso_oidc {
            oidc = oidc.endpoint_url(url);
        }
        let mut portal = aws_sdk_sso::config::Builder::from(&sdk);
        if let Some(url) = &config.endpoints.sso {
            portal = portal.endpoint_url(url);
        }
        Session {
            oidc: OidcClient::from_conf(oidc.build()),
            portal: PortalClient::from_conf(portal.build()),
            config,
            vault,
            events,
            token: tokio::sync::Mutex::new(None),
            browser_timeout: Duration::from_secs(300),
        }
    }

    pub fn config(&self) -> &SignInConfig {
        &self.config
    }

    /// The keyring this session keeps its secrets in (elevations keep theirs there too).
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    fn workspace(&self) -> &str {
        &self.config.workspace
    }

    /// Signs in with `method`, replacing any earlier session of the workspace. A failure is
    /// recorded as `sign_in_failed` and leaves no token behind.
    pub async fn sign_in(&self, method: Method, prompt: &dyn SignInPrompt) -> Result<i64> {
        let mut guard = self.token.lock().await;
        match self.sign_in_inner(method, prompt).await {
            Ok(token) => {
                let expires_at = token.expires_at;
                let recorded = self.events.record(IdentityEvent::SignedIn {
                    workspace: self.workspace().into(),
                    method,
                    expires_at,
                });
                if let Err(reason) = recorded {
                    // Fail closed: a sign-in the journal does not know of is not kept.
                    for slot in [Slot::AccessToken, Slot::RefreshToken, Slot::Credentials] {
                        self.vault.delete(self.workspace(), slot)?;
                    }
                    return Err(IdentityError::NotRecorded {
                        what: "the sign-in".into(),
                        reason,
                    });
                }
                *guard = Some(token);
                Ok(expires_at)
            }
            Err(e) => {
                // The failure is returned either way; a journal that cannot record it adds
                // nothing the caller could act on.
                let _ = self.events.record(IdentityEvent::SignInFailed {
                    workspace: self.workspace().into(),
                    reason: e.to_string(),
                });
                Err(e)
            }
        }
    }

    async fn sign_in_inner(
        &self,
        method: Method,
        prompt: &dyn SignInPrompt,
    ) -> Result<AccessToken> {
        let reg = registration::ensure(&self.vault, &self.oidc, &self.config, method).await?;
        let out = match self.flow(method, &reg, prompt).await {
            // The keyring's registration is one the portal no longer knows: drop it, register
            // again and start over, once.
            Err(e) if e.is_unknown_client() => {
                tracing::info!("the stored client registration was refused; registering again");
                self.vault.delete(self.workspace(), Slot::Client)?;
                let reg =
                    registration::ensure(&self.vault, &self.oidc, &self.config, method).await?;
                self.flow(method, &reg, prompt).await?
            }
            other => other?,
        };
        // Credentials of an earlier session belong to it.
        self.vault.delete(self.workspace(), Slot::Credentials)?;
        self.vault.delete(self.workspace(), Slot::RefreshToken)?;
        self.store(out, method.as_str())
    }

    async fn flow(
        &self,
        method: Method,
        reg: &registration::Registration,
        prompt: &dyn SignInPrompt,
    ) -> Result<CreateTokenOutput> {
        match method {
            Method::Browser => self.browser_flow(reg, prompt).await,
            Method::DeviceCode => {
                crate::device::sign_in(&self.oidc, reg, &self.config.start_url, prompt).await
            }
        }
    }

    async fn browser_flow(
        &self,
        reg: &registration::Registration,
        prompt: &dyn SignInPrompt,
    ) -> Result<CreateTokenOutput> {
        let loopback = Loopback::bind().await?;
        let verifier = Secret::new(random_string(64));
        let state = random_string(32);
        let redirect_uri = loopback.redirect_uri();
        let url = authorize_url(
            &oidc_base_url(
                &self.config.sso_region,
                self.config.endpoints.sso_oidc.as_deref(),
            ),
            &reg.client_id,
            &redirect_uri,
            &state,
            &challenge(verifier.expose()),
        );
        prompt.open_browser(&url);
        let code = loopback.wait_for_code(&state, self.browser_timeout).await?;
        self.oidc
            .create_token()
            .client_id(&reg.client_id)
            .client_secret(reg.client_secret.expose())
            .grant_type("authorization_code")
            .redirect_uri(redirect_uri)
            .code_verifier(verifier.expose())
            .code(code.expose())
            .send()
            .await
            .map_err(|e| describe(OIDC, "CreateToken (authorization code)", e))
    }

    /// Keeps a `CreateToken` answer: access token with its expiry, and the refresh token when
    /// one came (a refresh may omit it, then the old one stays).
    fn store(&self, out: CreateTokenOutput, method: &str) -> Result<AccessToken> {
        let Some(access) = out.access_token else {
            return Err(IdentityError::Refused {
                service: OIDC.into(),
                what: "CreateToken".into(),
                code: "an answer without an access token".into(),
                message: String::new(),
            });
        };
        let token = AccessToken {
            token: Secret::new(access),
            expires_at: now() + i64::from(out.expires_in.max(0)),
            method: method.into(),
        };
        let json =
            Secret::new(
                serde_json::to_string(&token).map_err(|_| IdentityError::Corrupt {
                    entry: "access token".into(),
                })?,
            );
        if let Some(refresh) = out.refresh_token {
            self.vault
                .put(self.workspace(), Slot::RefreshToken, &Secret::new(refresh))?;
        }
        self.vault.put(self.workspace(), Slot::AccessToken, &json)?;
        Ok(token)
    }

    fn load(&self) -> Result<Option<AccessToken>> {
        match self.vault.get(self.workspace(), Slot::AccessToken)? {
            None => Ok(None),
            Some(json) => {
                serde_json::from_str(json.expose())
                    .map(Some)
                    .map_err(|_| IdentityError::Corrupt {
                        entry: "access token".into(),
                    })
            }
        }
    }

    /// Whether the keyring holds a session for the workspace, and until when its token runs.
    pub async fn status(&self) -> Result<Option<i64>> {
        let mut guard = self.token.lock().await;
        if guard.is_none() {
            *guard = self.load()?;
        }
        Ok(guard.as_ref().map(|t| t.expires_at))
    }

    /// A valid access token, refreshed first when it is near its end. Many callers at once
    /// wait for one refresh (the lock is held across it).
    pub async fn access_token(&self) -> Result<Secret> {
        let mut guard = self.token.lock().await;
        if guard.is_none() {
            *guard = self.load()?;
        }
        let Some(current) = guard.clone() else {
            return Err(IdentityError::SignedOut {
                workspace: self.workspace().into(),
            });
        };
        let freshness = current.freshness();
        if freshness == Freshness::Fresh {
            return Ok(current.token);
        }
        match self.refresh(&current.method).await {
            Ok(token) => {
                let value = token.token.clone();
                *guard = Some(token);
                Ok(value)
            }
            Err(e @ IdentityError::SessionEnded { .. }) => {
                *guard = None;
                Err(e)
            }
            // Optional window: the old token is still good for a while.
            Err(_) if freshness == Freshness::RefreshOptional => Ok(current.token),
            Err(e) => Err(e),
        }
    }

    async fn refresh(&self, method: &str) -> Result<AccessToken> {
        let refresh = self.vault.get(self.workspace(), Slot::RefreshToken)?;
        let reg = registration::stored(&self.vault, self.workspace())?;
        let (Some(refresh), Some(reg)) = (refresh, reg) else {
            return Err(self.end("the token expired and there is no refresh token".into())?);
        };
        let result = self
            .oidc
            .create_token()
            .client_id(&reg.client_id)
            .client_secret(reg.client_secret.expose())
            .grant_type("refresh_token")
            .refresh_token(refresh.expose())
            .send()
            .await;
        match result {
            Ok(out) => {
                let token = self.store(out, method)?;
                // A refresh continues a recorded sign-in; the ones that follow still count.
                let _ = self.events.record(IdentityEvent::TokenRefreshed {
                    workspace: self.workspace().into(),
                    expires_at: token.expires_at,
                });
                Ok(token)
            }
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                let ended = matches!(
                    e.as_service_error(),
                    Some(
                        CreateTokenError::InvalidGrantException(_)
                            | CreateTokenError::InvalidClientException(_)
                            | CreateTokenError::UnauthorizedClientException(_)
                            | CreateTokenError::ExpiredTokenException(_)
                            | CreateTokenError::AccessDeniedException(_)
                    )
                ) || status == Some(401);
                let err = describe(OIDC, "CreateToken (refresh)", e);
                if ended {
                    Err(self.end(format!("the refresh was refused: {err}"))?)
                } else {
                    Err(err)
                }
            }
        }
    }

    /// Ends the session without the user asking (refresh refused, 401): the tokens and
    /// credentials leave the keyring, AWS work stops until the next sign-in.
    pub(crate) fn end(&self, why: String) -> Result<IdentityError> {
        for slot in [Slot::AccessToken, Slot::RefreshToken, Slot::Credentials] {
            self.vault.delete(self.workspace(), slot)?;
        }
        // The session ends whether or not the journal can say so.
        let _ = self.events.record(IdentityEvent::SessionEnded {
            workspace: self.workspace().into(),
            reason: why.clone(),
        });
        Ok(IdentityError::SessionEnded {
            workspace: self.workspace().into(),
            why,
        })
    }

    /// Forgets the in-memory token after the session was ended through another handle.
    pub(crate) async fn forget(&self) {
        *self.token.lock().await = None;
    }

    /// Signs out: tells the portal (best effort, bounded in time), then deletes every entry of
    /// the workspace from the keyring.
    pub async fn sign_out(&self) -> Result<()> {
        let mut guard = self.token.lock().await;
        let token = match guard.take() {
            Some(t) => Some(t),
            None => self.load().ok().flatten(),
        };
        if let Some(t) = token.filter(|t| t.expires_at > now()) {
            // The local sign-out must not wait on a portal that is gone.
            let _ = self
                .portal
                .logout()
                .access_token(t.token.expose())
                .send()
                .await;
        }
        self.vault.clear(self.workspace())?;
        // Signing out removes access; it is never held back by the journal.
        let _ = self.events.record(IdentityEvent::SignedOut {
            workspace: self.workspace().into(),
        });
        Ok(())
    }
}
