//! SDK clients pointed at a local server (moto_server) with static fake credentials.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// Region every local test uses.
pub const REGION: &str = "us-east-1";

/// An SDK configuration for `endpoint` with fake static credentials (moto accepts any).
pub fn local_sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                "FAKEACCESSKEY",
                "FAKE-secret-for-local-servers",
                None,
                None,
                "fake",
            )),
        )
        .build()
}

pub fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(&local_sdk_config(endpoint))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

pub fn glue_client(endpoint: &str) -> aws_sdk_glue::Client {
    aws_sdk_glue::Client::new(&local_sdk_config(endpoint))
}

/// Puts the local file `path` at `s3://bucket/key`; the error says what failed, with the SDK's
/// whole error chain.
pub async fn put_file(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    path: &std::path::Path,
) -> Result<(), String> {
    let body = aws_sdk_s3::primitives::ByteStream::from_path(path)
        .await
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(body)
        .send()
        .await
        .map_err(|e| {
            format!(
                "cannot put s3://{bucket}/{key}: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            )
        })?;
    Ok(())
}

/// Splits `s3://bucket/key` into bucket and key.
pub fn split_s3(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| (bucket.to_string(), key.to_string()))
}
