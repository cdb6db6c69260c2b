//! Fetching a bundle's bytes from its source, conditionally: an unchanged bundle costs one
//! request and no download.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::error::BundleError;
use crate::location::{Kind, Location};
use crate::{http, s3};

/// Network settings for fetching and publishing.
#[derive(Debug, Clone)]
pub struct RemoteOptions {
    pub connect_timeout: Duration,
    /// For the whole request, body included: a slow source cannot hold a fetch open.
    pub timeout: Duration,
    pub max_redirects: usize,
    /// Largest download accepted (compressed bytes).
    pub max_bytes: u64,
    /// S3 endpoint override (tests, S3-compatible stores); `None` uses the AWS default.
    pub s3_endpoint: Option<String>,
    /// S3 region; `None` uses the workspace's AWS configuration.
    pub s3_region: Option<String>,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_redirects: 5,
            max_bytes: 16 * 1024 * 1024,
            s3_endpoint: None,
            s3_region: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The source still holds the bundle with the ETag we sent.
    NotModified,
    Body {
        bytes: Vec<u8>,
        etag: Option<String>,
    },
}

enum Backend {
    Http(reqwest::Client),
    S3(aws_sdk_s3::Client),
    File,
}

pub struct Fetcher {
    location: Location,
    backend: Backend,
    max_bytes: u64,
    max_redirects: usize,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fetcher({})", self.location)
    }
}

impl Fetcher {
    /// Prepares a fetcher for `source`; for `s3://` this loads the workspace's AWS configuration.
    pub async fn connect(source: &str, options: &RemoteOptions) -> Result<Self, BundleError> {
        let location = Location::parse(source)?;
        let backend = match &location.kind {
            Kind::Http(_) => Backend::Http(http::client(options)?),
            Kind::S3 { .. } => Backend::S3(s3::client(options).await),
            Kind::File(_) => Backend::File,
        };
        Ok(Self {
            location,
            backend,
            max_bytes: options.max_bytes,
            max_redirects: options.max_redirects,
        })
    }

    /// A fetcher for an `s3://` source through a client the caller configured.
    pub fn with_s3_client(
        source: &str,
        client: aws_sdk_s3::Client,
        options: &RemoteOptions,
    ) -> Result<Self, BundleError> {
        let location = Location::parse(source)?;
        if !matches!(location.kind, Kind::S3 { .. }) {
            return Err(BundleError::InvalidLocation {
                url: source.to_string(),
                reason: "an S3 client needs an s3:// location".into(),
            });
        }
        Ok(Self {
            location,
            backend: Backend::S3(client),
            max_bytes: options.max_bytes,
            max_redirects: options.max_redirects,
        })
    }

    pub fn source(&self) -> &str {
        self.location.as_str()
    }

    /// Fetches the bundle; with `etag`, a source that still holds it answers `NotModified`.
    pub async fn fetch(&self, etag: Option<&str>) -> Result<Fetched, BundleError> {
        match (&self.backend, &self.location.kind) {
            (Backend::Http(client), Kind::Http(url)) => {
                http::fetch(
                    client,
                    url,
                    self.location.as_str(),
                    etag,
                    self.max_bytes,
                    self.max_redirects,
                )
                .await
            }
            (Backend::S3(client), Kind::S3 { bucket, key }) => {
                s3::fetch(
                    client,
                    bucket,
                    key,
                    self.location.as_str(),
                    etag,
                    self.max_bytes,
                )
                .await
            }
            (Backend::File, Kind::File(path)) => {
                fetch_file(path, self.location.as_str(), etag, self.max_bytes).await
            }
            _ => Err(BundleError::InvalidLocation {
                url: self.location.to_string(),
                reason: "the fetcher was built for another kind of location".into(),
            }),
        }
    }
}

/// Files have no ETag; the SHA-256 of the content stands in for one.
async fn fetch_file(
    path: &std::path::Path,
    location: &str,
    etag: Option<&str>,
    max_bytes: u64,
) -> Result<Fetched, BundleError> {
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|e| file_error(e, location))?;
    if meta.len() > max_bytes {
        return Err(BundleError::DownloadTooLarge {
            location: location.to_string(),
            limit: max_bytes,
        });
    }
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| file_error(e, location))?;
    let tag = format!("\"sha256:{}\"", hex::encode(Sha256::digest(&bytes)));
    if etag == Some(tag.as_str()) {
        return Ok(Fetched::NotModified);
    }
    Ok(Fetched::Body {
        bytes,
        etag: Some(tag),
    })
}

fn file_error(e: std::io::Error, location: &str) -> BundleError {
    if e.kind() == std::io::ErrorKind::NotFound {
        BundleError::NotFound {
            location: location.to_string(),
        }
    } else {
        BundleError::Unreachable {
            location: location.to_string(),
            reason: e.to_string(),
        }
    }
}
