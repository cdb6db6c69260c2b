//! The AWS SDK clients of a sign-in, each call bounded in time. `AWS_ENDPOINT_URL_SSO`,
//! `AWS_ENDPOINT_URL_SSO_OIDC` and `AWS_ENDPOINT_URL_STS` are honoured through aws-config, which
//! is how the tests and the sandbox point them at local servers.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sso::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::error::IdentityError;

/// The connect, per-attempt and whole-call limits of every call.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Shared SDK settings for one region; no credentials (the SSO calls are bearer- or
/// client-authenticated, STS gets Warden's provider explicitly).
pub async fn sdk_config(region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .no_credentials()
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(CALL_TIMEOUT)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .load()
        .await
}

/// The SSO-OIDC endpoint the browser is sent to (`/authorize` is not in the SDK model).
pub fn oidc_base_url(sso_region: &str, configured: Option<&str>) -> String {
    if let Some(url) = configured {
        return url.trim().trim_end_matches('/').to_owned();
    }
    for var in ["AWS_ENDPOINT_URL_SSO_OIDC", "AWS_ENDPOINT_URL"] {
        if let Ok(url) = std::env::var(var) {
            if !url.trim().is_empty() {
                return url.trim().trim_end_matches('/').to_owned();
            }
        }
    }
    format!("https://oidc.{sso_region}.amazonaws.com")
}

/// An SDK error in plain words with the service's error code. Service messages are kept: AWS
/// never echoes a token in them.
pub fn describe<E, R>(service: &str, what: &str, err: SdkError<E, R>) -> IdentityError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match err {
        SdkError::TimeoutError(_) => IdentityError::Timeout {
            service: service.into(),
            what: what.into(),
        },
        SdkError::DispatchFailure(f) if f.is_timeout() => IdentityError::Timeout {
            service: service.into(),
            what: what.into(),
        },
        SdkError::DispatchFailure(f) => IdentityError::Unreachable {
            service: service.into(),
            what: what.into(),
            reason: f
                .as_connector_error()
                .map(|c| format!("{c}"))
                .unwrap_or_else(|| "the connection failed".into()),
        },
        SdkError::ServiceError(e) => {
            let e = e.into_err();
            IdentityError::Refused {
                service: service.into(),
                what: what.into(),
                code: e.code().unwrap_or("an error").to_owned(),
                message: e.message().map(|m| format!(" ({m})")).unwrap_or_default(),
            }
        }
        SdkError::ResponseError(_) => IdentityError::Unreachable {
            service: service.into(),
            what: what.into(),
            reason: "the answer could not be read".into(),
        },
        other => IdentityError::Unreachable {
            service: service.into(),
            what: what.into(),
            reason: format!(
                "{}",
                aws_smithy_types::error::display::DisplayErrorContext(&other)
            ),
        },
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
