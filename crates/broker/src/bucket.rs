//! The request bucket: bounded reads, create-only and compare-and-swap writes, every call with
//! a timeout. All S3 traffic runs on the bucket's own small runtime, so the synchronous
//! [`warden_elevation::Queue`] and the async broker can share one client safely.

use std::future::Future;
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;

use crate::aws::{bounded, describe};
use crate::BrokerError;

/// Every object of the queue is a small JSON document or one encrypted credential set.
pub const MAX_OBJECT_BYTES: u64 = 64 * 1024;
/// More keys than this under one prefix is not a queue Warden wrote.
const MAX_KEYS: usize = 100_000;

/// An object read whole, with the ETag a later compare-and-swap names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub body: Vec<u8>,
    pub etag: String,
}

/// What a conditional write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Written; the new ETag.
    Done(String),
    /// The condition failed (412, or 409 from a concurrent write): another writer got there
    /// first. Re-read and decide again.
    Lost,
}

#[derive(Clone)]
pub struct Bucket {
    client: Client,
    name: String,
    worker: Arc<Worker>,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bucket(s3://{})", self.name)
    }
}

/// A one-thread runtime owned by the bucket; shut down without blocking, so dropping the
/// bucket inside an async context does not panic.
struct Worker(Option<tokio::runtime::Runtime>);

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl Bucket {
    /// `force_path_style` for S3 look-alikes reached through an endpoint override (moto).
    pub fn new(sdk: &SdkConfig, name: &str, force_path_style: bool) -> Result<Self, BrokerError> {
        let mut builder = aws_sdk_s3::config::Builder::from(sdk).force_path_style(force_path_style);
        if sdk.timeout_config().is_none() {
            builder = builder.timeout_config(crate::aws::timeouts());
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("warden-broker-s3")
            .enable_all()
            .build()
            .map_err(|e| BrokerError::Worker {
                reason: e.to_string(),
            })?;
        Ok(Self {
            client: Client::from_conf(builder.build()),
            name: name.to_string(),
            worker: Arc::new(Worker(Some(rt))),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn handle(&self) -> Result<tokio::runtime::Handle, BrokerError> {
        self.worker
            .0
            .as_ref()
            .map(|rt| rt.handle().clone())
            .ok_or_else(|| BrokerError::Worker {
                reason: "shut down".into(),
            })
    }

    async fn on_worker<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T, BrokerError>> + Send + 'static,
    ) -> Result<T, BrokerError> {
        self.handle()?
            .spawn(fut)
            .await
            .map_err(|e| BrokerError::Worker {
                reason: e.to_string(),
            })?
    }

    /// Runs `fut` to completion from synchronous code, inside or outside a runtime.
    pub(crate) fn block<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T, BrokerError>> + Send + 'static,
    ) -> Result<T, BrokerError> {
        let handle = self.handle()?;
        std::thread::scope(|s| {
            s.spawn(move || handle.block_on(async move { handle_join(tokio::spawn(fut)).await }))
                .join()
        })
        .map_err(|_| BrokerError::Worker {
            reason: "an S3 call panicked".into(),
        })?
    }

    /// The object at `key`, or `None`. Refuses objects larger than [`MAX_OBJECT_BYTES`]
    /// without reading them (and stops reading a body that grows past it).
    pub async fn get(&self, key: &str) -> Result<Option<Object>, BrokerError> {
        let (client, bucket, key) = (self.client.clone(), self.name.clone(), key.to_string());
        self.on_worker(async move {
            let sent = bounded(
                "S3 GetObject",
                client.get_object().bucket(&bucket).key(&key).send(),
            )
            .await?;
            let out = match sent {
                Ok(out) => out,
                Err(err) if status(&err) == Some(404) => return Ok(None),
                Err(err) => return Err(describe(&format!("S3 GetObject {key}"), &err)),
            };
            let too_large = || BrokerError::TooLarge {
                bucket: bucket.clone(),
                key: key.clone(),
                max: MAX_OBJECT_BYTES,
            };
            if out.content_length().unwrap_or(0) as u64 > MAX_OBJECT_BYTES {
                return Err(too_large());
            }
            let etag = out.e_tag().unwrap_or_default().to_string();
            let mut stream = out.body;
            let mut body = Vec::new();
            loop {
                let chunk = bounded("S3 GetObject body", stream.try_next()).await?;
                match chunk {
                    Ok(Some(bytes)) => {
                        body.extend_from_slice(&bytes);
                        if body.len() as u64 > MAX_OBJECT_BYTES {
                            return Err(too_large());
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        return Err(BrokerError::Aws {
                            what: format!("S3 GetObject {key}"),
                            message: format!("the body broke off: {e}"),
                        })
                    }
                }
            }
            Ok(Some(Object { body, etag }))
        })
        .await
    }

    /// Creates `key` only if nothing is there (`If-None-Match: *`).
    pub async fn create(&self, key: &str, body: Vec<u8>) -> Result<Written, BrokerError> {
        self.put(key, body, None).await
    }

    /// Replaces `key` only if it is still the version read (`If-Match: etag`).
    pub async fn replace(
        &self,
        key: &str,
        body: Vec<u8>,
        etag: &str,
    ) -> Result<Written, BrokerError> {
        self.put(key, body, Some(etag.to_string())).await
    }

    async fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        etag: Option<String>,
    ) -> Result<Written, BrokerError> {
        let (client, bucket, key) = (self.client.clone(), self.name.clone(), key.to_string());
        self.on_worker(async move {
            let mut put = client
                .put_object()
                .bucket(&bucket)
                .key(&key)
                .content_type("application/json")
                .body(ByteStream::from(body));
            put = match etag {
                Some(etag) => put.if_match(etag),
                None => put.if_none_match("*"),
            };
            match bounded("S3 PutObject", put.send()).await? {
                Ok(out) => Ok(Written::Done(out.e_tag().unwrap_or_default().to_string())),
                Err(err) if matches!(status(&err), Some(412 | 409)) => Ok(Written::Lost),
                Err(err) => Err(describe(&format!("S3 PutObject {key}"), &err)),
            }
        })
        .await
    }

    /// Every key under `prefix`, in S3's order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, BrokerError> {
        let (client, bucket, prefix) = (self.client.clone(), self.name.clone(), prefix.to_string());
        self.on_worker(async move {
            let mut pages = client
                .list_objects_v2()
                .bucket(&bucket)
                .prefix(&prefix)
                .into_paginator()
                .send();
            let mut keys = Vec::new();
            while let Some(page) = bounded("S3 ListObjectsV2", pages.next()).await? {
                let page = page.map_err(|e| describe(&format!("S3 ListObjectsV2 {prefix}"), &e))?;
                keys.extend(
                    page.contents()
                        .iter()
                        .filter_map(|o| o.key().map(str::to_string)),
                );
                if keys.len() > MAX_KEYS {
                    return Err(BrokerError::TooLarge {
                        bucket,
                        key: format!("{prefix}*"),
                        max: MAX_KEYS as u64,
                    });
                }
            }
            Ok(keys)
        })
        .await
    }

    pub async fn delete(&self, key: &str) -> Result<(), BrokerError> {
        let (client, bucket, key) = (self.client.clone(), self.name.clone(), key.to_string());
        self.on_worker(async move {
            bounded(
                "S3 DeleteObject",
                client.delete_object().bucket(&bucket).key(&key).send(),
            )
            .await?
            .map(|_| ())
            .map_err(|e| describe(&format!("S3 DeleteObject {key}"), &e))
        })
        .await
    }
}

async fn handle_join<T>(
    handle: tokio::task::JoinHandle<Result<T, BrokerError>>,
) -> Result<T, BrokerError> {
    handle.await.map_err(|e| BrokerError::Worker {
        reason: e.to_string(),
    })?
}

fn status<E>(err: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> Option<u16> {
    match err {
        SdkError::ServiceError(service) => Some(service.raw().status().as_u16()),
        _ => None,
    }
}
