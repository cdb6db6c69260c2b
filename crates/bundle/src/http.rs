//! `https://` and `http://` sources through reqwest (rustls): conditional GET, bounded
//! redirects, timeouts, capped body.

use reqwest::header::{ETAG, IF_NONE_MATCH};
use reqwest::StatusCode;

use crate::error::BundleError;
use crate::fetch::{Fetched, RemoteOptions};

pub(crate) fn client(options: &RemoteOptions) -> Result<reqwest::Client, BundleError> {
    reqwest::Client::builder()
        .connect_timeout(options.connect_timeout)
        .timeout(options.timeout)
        .redirect(reqwest::redirect::Policy::limited(options.max_redirects))
        .user_agent(concat!("warden-bundle/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| BundleError::Unreachable {
            location: "HTTP client".into(),
            reason: e.to_string(),
        })
}

pub(crate) async fn fetch(
    client: &reqwest::Client,
    url: &url::Url,
    location: &str,
    etag: Option<&str>,
    max_bytes: u64,
    max_redirects: usize,
) -> Result<Fetched, BundleError> {
    let mut request = client.get(url.as_str());
    if let Some(etag) = etag {
        request = request.header(IF_NONE_MATCH, etag);
    }
    let mut response = request
        .send()
        .await
        .map_err(|e| transport_error(e, location, max_redirects))?;
    let status = response.status();
    if status == StatusCode::NOT_MODIFIED {
        return Ok(Fetched::NotModified);
    }
    if status == StatusCode::NOT_FOUND {
        return Err(BundleError::NotFound {
            location: location.to_string(),
        });
    }
    if !status.is_success() {
        return Err(BundleError::HttpStatus {
            location: location.to_string(),
            status: status.as_u16(),
        });
    }
    let new_etag = response
        .headers()
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // A server that ignores If-None-Match but still sends the same strong ETag: skip the body.
    if let (Some(sent), Some(got)) = (etag, new_etag.as_deref()) {
        if sent == got && !got.starts_with("W/") {
            return Ok(Fetched::NotModified);
        }
    }
    if response.content_length().is_some_and(|n| n > max_bytes) {
        return Err(BundleError::DownloadTooLarge {
            location: location.to_string(),
            limit: max_bytes,
        });
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(e, location, max_redirects))?
    {
        if bytes.len() as u64 + chunk.len() as u64 > max_bytes {
            return Err(BundleError::DownloadTooLarge {
                location: location.to_string(),
                limit: max_bytes,
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Fetched::Body {
        bytes,
        etag: new_etag,
    })
}

fn transport_error(e: reqwest::Error, location: &str, max_redirects: usize) -> BundleError {
    // reqwest's text names the URL, whose query may be a presigned signature: drop it, the
    // (redacted) location says where.
    let e = e.without_url();
    if e.is_timeout() {
        BundleError::Timeout {
            location: location.to_string(),
        }
    } else if e.is_redirect() {
        BundleError::TooManyRedirects {
            location: location.to_string(),
            limit: max_redirects,
        }
    } else {
        BundleError::Unreachable {
            location: location.to_string(),
            reason: error_chain(&e),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
