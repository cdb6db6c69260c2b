use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// The longest any one AWS call may take, retries included; the broker never waits forever.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// The SDK configuration the broker uses: the default credential chain (the instance or task
/// role; `AWS_ENDPOINT_URL_*` for moto in tests) with connect, attempt and operation timeouts.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts())
        .load()
        .await
}

/// Who the broker's credentials belong to (STS `GetCallerIdentity`): its `aws:userid` and ARN.
/// Asked once at start, so that a broker without credentials says so before its first pass.
pub async fn caller(sdk: &SdkConfig) -> Result<(String, String), crate::BrokerError> {
    let mut builder = aws_sdk_sts::config::Builder::from(sdk);
    if sdk.timeout_config().is_none() {
        builder = builder.timeout_config(timeouts());
    }
    let sts = aws_sdk_sts::Client::from_conf(builder.build());
    let out = bounded("STS GetCallerIdentity", sts.get_caller_identity().send())
        .await?
        .map_err(|e| describe("STS GetCallerIdentity", &e))?;
    Ok((
        out.user_id().unwrap_or_default().to_string(),
        out.arn().unwrap_or_default().to_string(),
    ))
}

pub(crate) fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(10))
        .operation_timeout(CALL_TIMEOUT)
        .build()
}

/// Runs `call`, turning an answer that takes longer than [`CALL_TIMEOUT`] into an error even
/// when the SDK configuration the caller passed has no timeouts of its own.
pub(crate) async fn bounded<T>(
    what: &str,
    call: impl std::future::Future<Output = T>,
) -> Result<T, crate::BrokerError> {
    tokio::time::timeout(CALL_TIMEOUT + Duration::from_secs(1), call)
        .await
        .map_err(|_| crate::BrokerError::Timeout {
            what: what.to_string(),
            seconds: CALL_TIMEOUT.as_secs() + 1,
        })
}

/// An SDK error in words, without anything the request carried.
pub(crate) fn describe<E, R>(
    what: &str,
    err: &aws_sdk_s3::error::SdkError<E, R>,
) -> crate::BrokerError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    crate::BrokerError::Aws {
        what: what.to_string(),
        message: aws_sdk_s3::error::DisplayErrorContext(err).to_string(),
    }
}
