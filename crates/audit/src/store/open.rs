use aws_config::meta::region::RegionProviderChain;
use aws_config::{BehaviorVersion, SdkConfig};

use super::{FolderStore, S3Store, Store, StoreError};

/// How to reach the store named by a URL.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// AWS configuration with the workspace's credentials. Without it, the default chain
    /// (environment, profile, SSO cache) is loaded.
    pub sdk_config: Option<SdkConfig>,
    /// An S3 endpoint override (moto, MinIO); turns on path-style addressing.
    pub s3_endpoint: Option<String>,
    /// Where STS is asked whose credentials write the store (`GetCallerIdentity`). `None`: where
    /// the AWS configuration sends STS (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, else AWS's
    /// own), never the S3 endpoint above, which serves S3 only (a VPC endpoint, say).
    pub sts_endpoint: Option<String>,
}

/// Opens `file:///dir/` or `s3://bucket/prefix/`.
pub async fn open_store(url: &str, options: &StoreOptions) -> Result<Box<dyn Store>, StoreError> {
    let invalid = |reason: &str| StoreError::InvalidUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let parsed = url::Url::parse(url)
        .map_err(|e| invalid(&format!("{e}; use file:///dir/ or s3://bucket/prefix/")))?;
    match parsed.scheme() {
        "file" => {
            if parsed
                .host_str()
                .is_some_and(|h| !h.is_empty() && h != "localhost")
            {
                return Err(invalid(
                    "a file URL names a local folder: use three slashes, file:///dir/",
                ));
            }
            let path = parsed
                .to_file_path()
                .map_err(|()| invalid("not a local folder path"))?;
            Ok(Box::new(FolderStore::new(path)))
        }
        "s3" => {
            let bucket = parsed
                .host_str()
                .filter(|b| !b.is_empty())
                .ok_or_else(|| invalid("the bucket name is missing"))?;
            if parsed.query().is_some() || parsed.fragment().is_some() {
                return Err(invalid("an s3 URL takes no ?query or #fragment"));
            }
            let sdk_config = match &options.sdk_config {
                Some(config) => config.clone(),
                None => {
                    let region = RegionProviderChain::default_provider().or_else("us-east-1");
                    aws_config::defaults(BehaviorVersion::latest())
                        .region(region)
                        .load()
                        .await
                }
            };
            // Whose credentials they are is asked of STS where the configuration sends STS,
            // before the S3 endpoint is set.
            let identity_config = match &options.sts_endpoint {
                Some(endpoint) => {
                    let mut builder = sdk_config.to_builder().endpoint_url(endpoint);
                    builder
                        .insert_origin("endpoint_url", aws_types::origin::Origin::shared_config());
                    builder.build()
                }
                None => sdk_config.clone(),
            };
            let sdk_config = match &options.s3_endpoint {
                Some(endpoint) => {
                    // Set in code, so that AWS_ENDPOINT_URL(_S3) in the environment does not
                    // send the journal to another store than the configured one.
                    let mut builder = sdk_config.into_builder().endpoint_url(endpoint);
                    builder
                        .insert_origin("endpoint_url", aws_types::origin::Origin::shared_config());
                    builder.build()
                }
                None => sdk_config,
            };
            let path_style = sdk_config.endpoint_url().is_some();
            let store = S3Store::new(&sdk_config, bucket, parsed.path(), path_style);
            Ok(Box::new(store.with_identity_from(&identity_config)))
        }
        other => Err(invalid(&format!(
            "unsupported scheme {other:?}; use file:///dir/ or s3://bucket/prefix/"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn parses_store_urls() {
        let store = open_store("file:///tmp/central/", &StoreOptions::default())
            .await
            .unwrap();
        assert_eq!(store.url(), "file:///tmp/central/");
        let store = open_store(
            "s3://audit-bucket/warden/prod",
            &StoreOptions {
                s3_endpoint: Some("http://127.0.0.1:1".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(store.url(), "s3://audit-bucket/warden/prod/");
        for bad in ["ftp://x/", "not a url", "s3:///prefix/", "file://host/dir/"] {
            let err = open_store(bad, &StoreOptions::default())
                .await
                .err()
                .unwrap();
            assert!(matches!(err, StoreError::InvalidUrl { .. }), "{bad}: {err}");
        }
    }
}
