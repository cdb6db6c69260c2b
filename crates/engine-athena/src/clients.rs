use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::SdkConfig;

/// The SDK clients the engine uses. The caller supplies the SDK configuration (region,
/// credentials provider, endpoints); the engine adds its retry and timeout policy.
#[derive(Debug, Clone)]
pub struct AthenaClients {
    pub athena: aws_sdk_athena::Client,
    pub s3: aws_sdk_s3::Client,
    pub glue: aws_sdk_glue::Client,
}

/// Throttling, 5xx and dropped connections are retried with jittered exponential backoff
/// (the SDK's standard mode); every call has a deadline.
fn retry() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(6)
        .with_initial_backoff(Duration::from_millis(100))
        .with_max_backoff(Duration::from_secs(5))
}

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(30))
        .operation_attempt_timeout(Duration::from_secs(30))
        .operation_timeout(Duration::from_secs(120))
        .build()
}

fn s3_timeouts() -> TimeoutConfig {
    // A result download may take long as a whole; each read may not stall.
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(30))
        .build()
}

impl AthenaClients {
    /// Clients for all three services from one SDK configuration.
    pub fn new(config: &SdkConfig) -> Self {
        Self::with_s3_endpoint(config, None)
    }

    /// As [`AthenaClients::new`], reading results from `s3_endpoint` (path style) when given.
    pub fn with_s3_endpoint(config: &SdkConfig, s3_endpoint: Option<&str>) -> Self {
        let athena = aws_sdk_athena::config::Builder::from(config)
            .retry_config(retry())
            .timeout_config(timeouts())
            .build();
        let glue = aws_sdk_glue::config::Builder::from(config)
            .retry_config(retry())
            .timeout_config(timeouts())
            .build();
        let mut s3 = aws_sdk_s3::config::Builder::from(config)
            .retry_config(retry())
            .timeout_config(s3_timeouts());
        if let Some(endpoint) = s3_endpoint {
            s3 = s3.endpoint_url(endpoint).force_path_style(true);
        }
        Self {
            athena: aws_sdk_athena::Client::from_conf(athena),
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            glue: aws_sdk_glue::Client::from_conf(glue),
        }
    }
}
