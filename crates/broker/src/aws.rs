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
