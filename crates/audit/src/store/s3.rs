use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;

use super::{check_key, PutOutcome, Store, StoreError};
use crate::batch::valid_principal;

/// An S3 bucket (`s3://bucket/prefix/`) as the central store. Objects are created with
/// `If-None-Match: *`, so S3 itself refuses to replace one (HTTP 412). Its principal is the
/// `UserId` STS `GetCallerIdentity` names for the same credentials (the `aws:userid` a bucket
/// policy sees).
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    sts: aws_sdk_sts::Client,
    bucket: String,
    prefix: String,
    url: String,
}

impl S3Store {
    /// `prefix` is empty or ends with `/`. Path-style addressing is needed by S3 look-alikes
    /// such as moto or MinIO reached through an endpoint override.
    pub fn new(sdk_config: &SdkConfig, bucket: &str, prefix: &str, force_path_style: bool) -> Self {
        let config = aws_sdk_s3::config::Builder::from(sdk_config)
            .force_path_style(force_path_style)
            .build();
        let prefix = match prefix.trim_start_matches('/') {
            "" => String::new(),
            p if p.ends_with('/') => p.to_string(),
            p => format!("{p}/"),
        };
        S3Store {
            client: Client::from_conf(config),
            sts: aws_sdk_sts::Client::new(sdk_config),
            url: format!("s3://{bucket}/{prefix}"),
            bucket: bucket.to_string(),
            prefix,
        }
    }

    /// Asks STS who the credentials are with `sdk_config` (its endpoint and region) instead of
    /// the S3 configuration's. The credentials must be the same ones, or keys would name
    /// someone else than their writer.
    pub fn with_identity_from(mut self, sdk_config: &SdkConfig) -> Self {
        self.sts = aws_sdk_sts::Client::new(sdk_config);
        self
    }

    fn full_key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

/// Sorts SDK failures into retryable and not; keeps the SDK's explanation (never credentials).
fn classify<E>(what: &str, err: SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
{
    let message = format!("S3 {what} failed: {}", DisplayErrorContext(&err));
    match &err {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            if status == 429 || status == 409 || status >= 500 {
                StoreError::Transient(message)
            } else {
                StoreError::Permanent(message)
            }
        }
        SdkError::ConstructionFailure(_) => StoreError::Permanent(message),
        _ => StoreError::Transient(message),
    }
}

/// A failed `GetCallerIdentity`: retried when the network or STS may recover, otherwise the
/// sync stops without writing.
fn identity_error<E>(err: SdkError<E, aws_sdk_sts::config::http::HttpResponse>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
{
    let message = format!(
        "STS GetCallerIdentity failed: {}",
        DisplayErrorContext(&err)
    );
    match &err {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            if status == 429 || status >= 500 {
                StoreError::Transient(message)
            } else {
                StoreError::Identity(message)
            }
        }
        SdkError::ConstructionFailure(_) => StoreError::Identity(message),
        _ => StoreError::Transient(message),
    }
}

fn status_of<E>(err: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> Option<u16> {
    match err {
        SdkError::ServiceError(service) => Some(service.raw().status().as_u16()),
        _ => None,
    }
}

#[async_trait]
impl Store for S3Store {
    fn url(&self) -> &str {
        &self.url
    }

    async fn put_if_absent(&self, key: &str, body: Vec<u8>) -> Result<PutOutcome, StoreError> {
        check_key(key)?;
        let result = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .if_none_match("*")
            .content_type("application/gzip")
            .body(ByteStream::from(body))
            .send()
            .await;
        match result {
            Ok(_) => Ok(PutOutcome::Created),
            Err(err) if status_of(&err) == Some(412) => Ok(PutOutcome::AlreadyExists),
            Err(err) => Err(classify("put", err)),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        check_key(key)?;
        let result = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .send()
            .await;
        match result {
            Ok(output) => {
                let bytes = output.body.collect().await.map_err(|e| {
                    StoreError::Transient(format!("S3 get of {key} broke off: {e}"))
                })?;
                Ok(Some(bytes.into_bytes().to_vec()))
            }
            Err(err) if status_of(&err) == Some(404) => Ok(None),
            Err(err) => Err(classify("get", err)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(self.full_key(prefix))
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("list", e))?;
            for object in page.contents() {
                if let Some(key) = object.key().and_then(|k| k.strip_prefix(&self.prefix)) {
                    keys.push(key.to_string());
                }
            }
        }
        Ok(keys)
    }

    async fn principal(&self) -> Result<String, StoreError> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(identity_error)?;
        match out.user_id() {
            Some(user_id) if valid_principal(user_id) => Ok(user_id.to_string()),
            Some(user_id) => Err(StoreError::Identity(format!(
                "STS names the caller {user_id:?}, which cannot name an object key"
            ))),
            None => Err(StoreError::Identity(
                "STS GetCallerIdentity answered without a user id".to_string(),
            )),
        }
    }
}
