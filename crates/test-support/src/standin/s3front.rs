//! A read-only S3 front for result objects (path style: `GET /bucket/key`) and listings
//! (`ListObjectsV2`: `GET /bucket?list-type=2`), backed by moto, where tests can refuse reads
//! or listings, count listings, or drop a download halfway.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::StreamExt;

use crate::standin::Shared;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/{bucket}", get(list))
        .route("/{bucket}/", get(list))
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

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `ListObjectsV2` (prefix, max-keys, continuation-token), answered from moto's listing.
async fn list(
    State(shared): State<Arc<Shared>>,
    Path(bucket): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    shared
        .lists
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let knobs = shared.knobs.get();
    if knobs.refuse_s3_lists || knobs.refuse_s3_reads {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied");
    }
    if query.get("list-type").map(String::as_str) != Some("2") {
        return s3_error(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "stand-in: only ListObjectsV2 is served",
        );
    }
    let got = shared
        .s3
        .list_objects_v2()
        .bucket(&bucket)
        .set_prefix(query.get("prefix").cloned())
        .set_max_keys(query.get("max-keys").and_then(|m| m.parse().ok()))
        .set_continuation_token(query.get("continuation-token").cloned())
        .send()
        .await;
    let got = match got {
        Ok(g) => g,
        Err(_) => {
            return s3_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "stand-in: the backing store failed",
            )
        }
    };
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>{}</Name><Prefix>{}</Prefix><KeyCount>{}</KeyCount><MaxKeys>{}</MaxKeys><IsTruncated>{}</IsTruncated>",
        xml_escape(&bucket),
        xml_escape(got.prefix().unwrap_or_default()),
        got.key_count().unwrap_or(0),
        got.max_keys().unwrap_or(1000),
        got.is_truncated().unwrap_or(false),
    );
    if let Some(token) = got.next_continuation_token() {
        xml.push_str(&format!(
            "<NextContinuationToken>{}</NextContinuationToken>",
            xml_escape(token)
        ));
    }
    for o in got.contents() {
        xml.push_str(&format!(
            "<Contents><Key>{}</Key><Size>{}</Size></Contents>",
            xml_escape(o.key().unwrap_or_default()),
            o.size().unwrap_or(0)
        ));
    }
    xml.push_str("</ListBucketResult>");
    ([("content-type", "application/xml")], xml).into_response()
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
