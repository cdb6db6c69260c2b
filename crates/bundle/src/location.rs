//! Where bundles live: `https://` / `http://` URLs, `s3://bucket/key`, `file:///path`.
//!
//! A location ending in `/` is a store written by `warden bundle publish`; fetching from it reads
//! its `latest` object. Any other location names the bundle object itself.

use std::fmt;
use std::path::PathBuf;

use crate::error::BundleError;

pub(crate) const LATEST: &str = "latest";
pub(crate) const REVISIONS: &str = "revisions/";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Http(url::Url),
    S3 { bucket: String, key: String },
    File(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub(crate) kind: Kind,
    text: String,
}

impl Location {
    /// Parses a location to fetch a bundle from.
    pub fn parse(text: &str) -> Result<Self, BundleError> {
        let shown = redact(text);
        let invalid = |reason: &str| BundleError::InvalidLocation {
            url: shown.clone(),
            reason: reason.to_string(),
        };
        let url = url::Url::parse(text).map_err(|e| {
            invalid(&format!(
                "{e}; write https://..., s3://bucket/key or file:///path"
            ))
        })?;
        let kind = match url.scheme() {
            "http" | "https" => {
                if url.host_str().is_none() {
                    return Err(invalid("it has no host"));
                }
                if !url.username().is_empty() || url.password().is_some() {
                    return Err(invalid(
                        "credentials in the URL are not allowed (they would be stored and shown)",
                    ));
                }
                let mut url = url;
                if url.path().ends_with('/') {
                    let path = format!("{}{LATEST}", url.path());
                    url.set_path(&path);
                }
                Kind::Http(url)
            }
            "s3" => {
                let bucket = url
                    .host_str()
                    .filter(|b| !b.is_empty())
                    .ok_or_else(|| invalid("it has no bucket"))?
                    .to_string();
                let mut key = url.path().trim_start_matches('/').to_string();
                if key.is_empty() || key.ends_with('/') {
                    key.push_str(LATEST);
                }
                Kind::S3 { bucket, key }
            }
            "file" => {
                let mut path = url
                    .to_file_path()
                    .map_err(|()| invalid("it is not an absolute local path"))?;
                if url.path().ends_with('/') {
                    path.push(LATEST);
                }
                Kind::File(path)
            }
            other => {
                return Err(invalid(&format!(
                    "scheme {other}:// is not supported; use https, http, s3 or file"
                )))
            }
        };
        // The text is what errors, status and the cache show and store: never a credential.
        Ok(Self { kind, text: shown })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether it is an `s3://` location, read with AWS credentials.
    pub fn is_s3(&self) -> bool {
        matches!(self.kind, Kind::S3 { .. })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A store to publish into: a folder or an S3 prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreKind {
    S3 { bucket: String, prefix: String },
    Folder(PathBuf),
}

pub(crate) fn parse_store(text: &str) -> Result<StoreKind, BundleError> {
    let shown = redact(text);
    let invalid = |reason: &str| BundleError::InvalidLocation {
        url: shown.clone(),
        reason: reason.to_string(),
    };
    let url = url::Url::parse(text)
        .map_err(|e| invalid(&format!("{e}; write s3://bucket/prefix/ or file:///dir/")))?;
    match url.scheme() {
        "s3" => {
            let bucket = url
                .host_str()
                .filter(|b| !b.is_empty())
                .ok_or_else(|| invalid("it has no bucket"))?
                .to_string();
            let mut prefix = url.path().trim_start_matches('/').to_string();
            if !prefix.is_empty() && !prefix.ends_with('/') {
                prefix.push('/');
            }
            Ok(StoreKind::S3 { bucket, prefix })
        }
        "file" => {
            Ok(StoreKind::Folder(url.to_file_path().map_err(|()| {
                invalid("it is not an absolute local path")
            })?))
        }
        other => Err(BundleError::PublishUnsupported {
            scheme: other.to_string(),
        }),
    }
}

/// The location as it may be shown: never with a password.
/// A location as it may be shown, logged or stored: no user name or password, and no query
/// string (a presigned URL's signature is a credential).
pub fn redact(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut url) => {
            let mut changed = false;
            if url.password().is_some() {
                let _ = url.set_password(Some("REDACTED"));
                changed = true;
            }
            if !url.username().is_empty() {
                let _ = url.set_username("REDACTED");
                changed = true;
            }
            if url.query().is_some() {
                url.set_query(Some("REDACTED"));
                changed = true;
            }
            if changed {
                url.to_string()
            } else {
                text.to_string()
            }
        }
        Err(_) => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_removes_credentials_and_signatures() {
        assert_eq!(
            redact("https://user:pw@h.example/b/"),
            "https://REDACTED:REDACTED@h.example/b/"
        );
        assert_eq!(
            redact("https://token@h.example/b/"),
            "https://REDACTED@h.example/b/"
        );
        assert_eq!(
            redact("https://h.example/latest?X-Amz-Signature=abc&X-Amz-Credential=AKIA"),
            "https://h.example/latest?REDACTED"
        );
        assert_eq!(redact("file:///srv/bundles/"), "file:///srv/bundles/");
        // What a parsed location shows (in errors, the status, the cache) is the redacted text.
        let presigned =
            Location::parse("https://h.example/latest?X-Amz-Signature=abc123").expect("valid");
        assert!(!presigned.as_str().contains("abc123"), "{presigned}");
    }

    #[test]
    fn store_locations_read_latest() {
        let l = Location::parse("https://example.com/bundles/").unwrap();
        assert_eq!(
            l.kind,
            Kind::Http(url::Url::parse("https://example.com/bundles/latest").unwrap())
        );
        let l = Location::parse("s3://bucket/team/a/").unwrap();
        assert_eq!(
            l.kind,
            Kind::S3 {
                bucket: "bucket".into(),
                key: "team/a/latest".into()
            }
        );
        let l = Location::parse("s3://bucket").unwrap();
        assert_eq!(
            l.kind,
            Kind::S3 {
                bucket: "bucket".into(),
                key: "latest".into()
            }
        );
        let l = Location::parse("file:///srv/bundles/").unwrap();
        assert_eq!(l.kind, Kind::File(PathBuf::from("/srv/bundles/latest")));
        let l = Location::parse("file:///srv/bundles/finance.tar.gz").unwrap();
        assert_eq!(
            l.kind,
            Kind::File(PathBuf::from("/srv/bundles/finance.tar.gz"))
        );
    }

    #[test]
    fn bad_locations_are_explained() {
        for bad in [
            "ftp://x/y",
            "not a url",
            "https://user:pw@host/x",
            "file://relative",
        ] {
            assert!(
                matches!(
                    Location::parse(bad),
                    Err(BundleError::InvalidLocation { .. })
                ),
                "{bad}"
            );
        }
        let err = Location::parse("https://user:secret@host/x").unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
        assert!(matches!(
            parse_store("https://x/"),
            Err(BundleError::PublishUnsupported { .. })
        ));
        assert_eq!(
            parse_store("s3://b/p").unwrap(),
            StoreKind::S3 {
                bucket: "b".into(),
                prefix: "p/".into()
            }
        );
    }
}
