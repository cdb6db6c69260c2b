//! A read-only S3 front for result objects (path style: `GET /bucket/key`), backed by moto,
//! where tests can refuse reads or drop a download halfway.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::StreamExt;

use crate::standin::Shared;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/{bucket}/{*key}", get(object).head(object))
        .with_state(shared)
}

fn s3_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        [("content-type", "application/xml")],
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"),
    )
        .into_response()
}

async fn object(
    State(shared): State<Arc<Shared>>,
    Path((bucket, key)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let knobs = shared.knobs.get();
    if !knobs.latency.is_zero() {
        tokio::time::sleep(knobs.latency).await;
    }
    if knobs.refuse_s3_reads {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied");
    }
    let range = headers
        .get("range")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let got = shared
        .s3
        .get_object()
        .bucket(&bucket)
        .key(&key)
        .set_range(range.clone())
        .send()
        .await;
    let got = match got {
        Ok(g) => g,
        Err(e) => {
            let not_found = e.as_service_error().is_some_and(|s| s.is_no_such_key());
            return if not_found {
                s3_error(
                    StatusCode::NOT_FOUND,
                    "NoSuchKey",
                    "The specified key does not exist.",
                )
            } else {
                s3_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    "stand-in: the backing store failed",
                )
            };
        }
    };
    let mut response = Response::builder().status(if got.content_range().is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    });
    if let Some(cr) = got.content_range() {
        response = response.header("content-range", cr);
    }
    if let Some(etag) = got.e_tag() {
        response = response.header("etag", etag);
    }
    let length = got.content_length().unwrap_or(0).max(0) as u64;
    response = response
        .header("content-length", length)
        .header("accept-ranges", "bytes");
    if method == Method::HEAD {
        return response
            .body(Body::empty())
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    let bytes = match got.body.collect().await {
        Ok(b) => b.into_bytes(),
        Err(_) => {
            return s3_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "stand-in: read failed",
            )
        }
    };
    let body = match shared.knobs.take_drop() {
        // Sends the first bytes, then fails the stream: the connection closes short of the
        // Content-Length, as a dropped download does.
        Some(after) => {
            let head = bytes.slice(..(after as usize).min(bytes.len()));
            // The pause lets the head reach the client before the drop; dropping at once
            // would look like a failed request, which the SDK simply retries.
            let tail = futures::stream::once(async {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                Err::<Bytes, std::io::Error>(std::io::Error::other("stand-in: connection dropped"))
            });
            Body::from_stream(futures::stream::once(async move { Ok(head) }).chain(tail))
        }
        None => Body::from(bytes),
    };
    response
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
