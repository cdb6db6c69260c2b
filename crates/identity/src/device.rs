//! The device-authorization flow, the fallback where a browser cannot reach a loopback port
//! (SSH, containers): a code shown to the user, `CreateToken` polled until it is approved.

use std::time::Duration;

use aws_sdk_ssooidc::operation::create_token::{CreateTokenError, CreateTokenOutput};
use aws_sdk_ssooidc::Client as OidcClient;

use crate::clients::{describe, now};
use crate::error::{IdentityError, Result};
use crate::prompt::SignInPrompt;
use crate::registration::Registration;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const SERVICE: &str = "IAM Identity Center (SSO-OIDC)";
/// What `slow_down` adds to the polling interval (RFC 8628 section 3.5, as the AWS CLI does).
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

pub async fn sign_in(
    oidc: &OidcClient,
    reg: &Registration,
    start_url: &str,
    prompt: &dyn SignInPrompt,
) -> Result<CreateTokenOutput> {
    let auth = oidc
        .start_device_authorization()
        .client_id(&reg.client_id)
        .client_secret(reg.client_secret.expose())
        .start_url(start_url)
        .send()
        .await
        .map_err(|e| describe(SERVICE, "StartDeviceAuthorization", e))?;
    let (Some(device_code), Some(user_code), Some(uri)) = (
        auth.device_code.as_deref(),
        auth.user_code.as_deref(),
        auth.verification_uri.as_deref(),
    ) else {
        return Err(IdentityError::SignInAborted(
            "the device authorization came back without a code or a verification URL".into(),
        ));
    };
    prompt.show_device_code(user_code, uri, auth.verification_uri_complete.as_deref());
    if let Some(complete) = auth.verification_uri_complete.as_deref() {
        prompt.open_browser(complete);
    }
    let mut interval = Duration::from_secs(auth.interval.clamp(1, 60) as u64);
    let deadline = now() + i64::from(auth.expires_in.max(1));
    loop {
        tokio::time::sleep(interval).await;
        if now() > deadline {
            return Err(IdentityError::DeviceCodeExpired);
        }
        let result = oidc
            .create_token()
            .client_id(&reg.client_id)
            .client_secret(reg.client_secret.expose())
            .grant_type(DEVICE_GRANT)
            .device_code(device_code)
            .send()
            .await;
        match result {
            Ok(out) => return Ok(out),
            Err(e) => match e.as_service_error() {
                Some(CreateTokenError::AuthorizationPendingException(_)) => {}
                Some(CreateTokenError::SlowDownException(_)) => interval += SLOW_DOWN_STEP,
                Some(CreateTokenError::ExpiredTokenException(_)) => {
                    return Err(IdentityError::DeviceCodeExpired)
                }
                Some(CreateTokenError::AccessDeniedException(_)) => {
                    return Err(IdentityError::SignInAborted(
                        "the request was denied on the verification page".into(),
                    ))
                }
                _ => return Err(describe(SERVICE, "CreateToken (device code)", e)),
            },
        }
    }
}
