//! `s3://` sources and stores through the AWS SDK, with the workspace's credentials.

use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::primitives::ByteStream;

use crate::error::BundleError;
use crate::fetch::{Fetched, RemoteOptions};

pub(crate) async fn client(options: &RemoteOptions) -> aws_sdk_s3::Client {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(options.connect_timeout)
        .operation_timeout(options.timeout)
        .build();
    let mut loader =
        aws_config::defaults(aws_config::BehaviorVersion::latest()).timeout_config(timeouts);
    if let Some(region) = &options.s3_region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(endpoint) = &options.s3_endpoint {
        loader = loader.endpoint_url(endpoint.clone());
    }
    if let Some(credentials) = &options.s3_credentials {
        // Warden's provider caches and refreshes by itself, and answers only while the
        // sign-in lasts.
        loader = loader
            .credentials_provider(credentials.clone())
            .identity_cache(aws_config::identity::IdentityCache::no_cache());
    }
    let shared = loader.load().await;
    // Path-style addressing works with every S3-compatible store and with dotted bucket names.
    let config = aws_sdk_s3::config::Builder::from(&shared)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

pub(crate) async fn fetch(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    location: &str,
    etag: Option<&str>,
    max_bytes: u64,
) -> Result<Fetched, BundleError> {
    let mut request = client.get_object().bucket(bucket).key(key);
    if let Some(etag) = etag {
        request = request.if_none_match(etag);
    }
    let output = match request.send().await {
        Ok(output) => output,
        Err(e) if status(&e) == Some(304) => return Ok(Fetched::NotModified),
        Err(e) if status(&e) == Some(404) => {
            return Err(BundleError::NotFound {
                location: location.to_string(),
            })
        }
        Err(e) => return Err(sdk_error(e, location)),
    };
    if output
        .content_length()
        .is_some_and(|n| n < 0 || n as u64 > max_bytes)
    {
        return Err(BundleError::DownloadTooLarge {
            location: location.to_string(),
            limit: max_bytes,
        });
    }
    let new_etag = output.e_tag().map(str::to_string);
    let bytes = read_capped(output.body, location, max_bytes).await?;
    Ok(Fetched::Body {
        bytes,
        etag: new_etag,
    })
}

async fn read_capped(
    mut body: ByteStream,
    location: &str,
    max_bytes: u64,
) -> Result<Vec<u8>, BundleError> {
    let mut bytes = Vec::new();
    loop {
        match body.try_next().await {
            Ok(Some(chunk)) => {
                if bytes.len() as u64 + chunk.len() as u64 > max_bytes {
                    return Err(BundleError::DownloadTooLarge {
                        location: location.to_string(),
                        limit: max_bytes,
                    });
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(bytes),
            Err(e) => {
                return Err(BundleError::Unreachable {
                    location: location.to_string(),
                    reason: e.to_string(),
                })
            }
        }
    }
}

/// An object and its ETag, or `None` when it does not exist.
pub(crate) async fn get(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    max_bytes: u64,
) -> Result<Option<(Vec<u8>, Option<String>)>, BundleError> {
    let location = format!("s3://{bucket}/{key}");
    match client.get_object().bucket(bucket).key(key).send().await {
        Ok(output) => {
            let etag = output.e_tag().map(str::to_string);
            Ok(Some((
                read_capped(output.body, &location, max_bytes).await?,
                etag,
            )))
        }
        Err(e) if status(&e) == Some(404) => Ok(None),
        Err(e) => Err(sdk_error(e, &location)),
    }
}

pub(crate) enum Condition<'a> {
    /// Write only if no object exists (`If-None-Match: *`).
    Absent,
    /// Write only if the object still has this ETag.
    Matches(&'a str),
}

/// A conditional PUT. `Ok(false)` means the condition failed: someone else wrote first.
pub(crate) async fn put(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    bytes: &[u8],
    condition: Condition<'_>,
) -> Result<bool, BundleError> {
    let location = format!("s3://{bucket}/{key}");
    let mut request = client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/gzip")
        .body(ByteStream::from(bytes.to_vec()));
    request = match condition {
        Condition::Absent => request.if_none_match("*"),
        Condition::Matches(etag) => request.if_match(etag),
    };
    match request.send().await {
        Ok(_) => Ok(true),
        // 412: the condition failed; 409: a concurrent conditional write is in progress.
        Err(e) if matches!(status(&e), Some(412) | Some(409)) => Ok(false),
        Err(e) => Err(sdk_error(e, &location)),
    }
}

fn status<E, R: HasStatus>(e: &SdkError<E, R>) -> Option<u16> {
    e.raw_response().map(HasStatus::status_code)
}

trait HasStatus {
    fn status_code(&self) -> u16;
}

impl HasStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

fn sdk_error<E: std::error::Error + 'static>(
    e: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    location: &str,
) -> BundleError {
    match &e {
        SdkError::TimeoutError(_) => BundleError::Timeout {
            location: location.to_string(),
        },
        SdkError::DispatchFailure(_) => BundleError::Unreachable {
            location: location.to_string(),
            reason: DisplayErrorContext(&e).to_string(),
        },
        _ => BundleError::S3 {
            location: location.to_string(),
            reason: DisplayErrorContext(&e).to_string(),
        },
    }
}
