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
    /// Credentials for `s3://` (an `athena` workspace's sign-in); `None` takes the AWS SDK's
    /// own chain (environment, profile, instance role).
    pub s3_credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
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
            s3_credentials: None,
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
    timeout: Duration,
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
            timeout: options.timeout,
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
            timeout: options.timeout,
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
                let (path, location) = (path.clone(), self.location.as_str().to_string());
                let max_bytes = self.max_bytes;
                let read =
                    tokio::task::spawn_blocking(move || read_file(&path, &location, max_bytes));
                let bytes = match tokio::time::timeout(self.timeout, read).await {
                    Ok(Ok(result)) => result?,
                    Ok(Err(e)) => {
                        return Err(BundleError::Unreachable {
                            location: self.location.as_str().to_string(),
                            reason: format!("the read did not finish: {e}"),
                        })
                    }
                    Err(_) => {
                        return Err(BundleError::Timeout {
                            location: self.location.as_str().to_string(),
                        })
                    }
                };
                Ok(file_fetched(bytes, etag))
            }
            _ => Err(BundleError::InvalidLocation {
                url: self.location.to_string(),
                reason: "the fetcher was built for another kind of location".into(),
            }),
        }
    }
}

/// Reads a `file://` bundle defensively: a link, a named pipe, a device or a huge file at the
/// source must neither hang the fetch nor fill memory. The file is opened without following a
/// link and without blocking, checked to be a regular file on the open handle (not by path, which
/// could be swapped in between), and read through a size bound.
fn read_file(
    path: &std::path::Path,
    location: &str,
    max_bytes: u64,
) -> Result<Vec<u8>, BundleError> {
    use std::io::Read;
    let refused = |reason: &str| BundleError::Unreachable {
        location: location.to_string(),
        reason: reason.to_string(),
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(refused(
                "it is a symbolic link; publish the bundle as a regular file",
            ))
        }
        Err(e) => return Err(file_error(e, location)),
    };
    let meta = file.metadata().map_err(|e| file_error(e, location))?;
    if !meta.is_file() {
        return Err(refused(
            "it is not a regular file (a pipe, a device or a folder); publish the bundle as a regular file",
        ));
    }
    if meta.len() > max_bytes {
        return Err(BundleError::DownloadTooLarge {
            location: location.to_string(),
            limit: max_bytes,
        });
    }
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| file_error(e, location))?;
    if bytes.len() as u64 > max_bytes {
        return Err(BundleError::DownloadTooLarge {
            location: location.to_string(),
            limit: max_bytes,
        });
    }
    Ok(bytes)
}

/// Files have no ETag; the SHA-256 of the content stands in for one.
fn file_fetched(bytes: Vec<u8>, etag: Option<&str>) -> Fetched {
    let tag = format!("\"sha256:{}\"", hex::encode(Sha256::digest(&bytes)));
    if etag == Some(tag.as_str()) {
        return Fetched::NotModified;
    }
    Fetched::Body {
        bytes,
        etag: Some(tag),
    }
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
