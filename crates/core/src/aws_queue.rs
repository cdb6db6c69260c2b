//! The AWS request queue as a signed-in person sees it: their Warden writes under their own
//! `aws:userid` in the workspace's request bucket, with the credentials of their sign-in
//! (`warden login`), so the bucket policy, not Warden, decides what they may write.

use aws_config::Region;
use aws_credential_types::provider::SharedCredentialsProvider;
use chrono::Utc;
use warden_broker::{Bucket, S3Queue, Status};
use warden_elevation::{Decision, DecisionRecord, ElevationError};

use crate::config::WorkspaceKind;
use crate::error::CoreError;
use crate::home::Home;
use crate::identity::WorkspaceIdentity;
use crate::workspace::Workspace;

/// The queue of workspace `name` (kind `athena`, with `[elevation] bucket`), as the person
/// signed in to it.
pub async fn open(home: &Home, name: Option<&str>) -> Result<S3Queue, CoreError> {
    open_as(home, name).await.map(|(queue, _)| queue)
}

/// The queue of workspace `name` and the sign-in whose credentials write to it.
pub async fn open_as(
    home: &Home,
    name: Option<&str>,
) -> Result<(S3Queue, WorkspaceIdentity), CoreError> {
    let ws = Workspace::find(home, name)?;
    let workspace = ws.name().to_string();
    if ws.kind() != WorkspaceKind::Athena {
        return Err(CoreError::NoElevation(format!(
            "the {workspace} workspace is not an AWS workspace; the request bucket is for workspaces of kind `athena` (on the demo, elevations are asked for and ended in the window, and decided with `warden elevation approve|deny`)"
        )));
    }
    let settings = ws.elevation().cloned().unwrap_or_default();
    let bucket = settings.bucket.clone().ok_or_else(|| {
        CoreError::NoElevation(format!(
            "the {workspace} workspace names no request bucket: set bucket under [workspaces.{workspace}.elevation] in config.toml"
        ))
    })?;
    let identity = WorkspaceIdentity::open(home, Some(&workspace)).await?;
    let me = identity.credentials.caller_identity().await?.user_id;
    let region = settings
        .region
        .clone()
        .or_else(|| ws.region_hint())
        .unwrap_or_else(|| identity.session.config().region.clone());
    let sdk = warden_broker::sdk_config()
        .await
        .to_builder()
        .region(Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(identity.credentials.clone()))
        .build();
    let s3_endpoint = settings
        .endpoints
        .s3
        .clone()
        .or_else(|| std::env::var("AWS_ENDPOINT_URL_S3").ok())
        .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
    let sdk = match &settings.endpoints.s3 {
        Some(url) => sdk.to_builder().endpoint_url(url).build(),
        None => sdk,
    };
    let bucket = Bucket::new(&sdk, &bucket, s3_endpoint.is_some())
        .map_err(|e| CoreError::NoElevation(e.to_string()))?;
    let queue = S3Queue::new(bucket, &me).map_err(|e| CoreError::NoElevation(e.to_string()))?;
    Ok((queue, identity))
}

/// What became of a revocation.
#[derive(Debug)]
pub enum Revocation {
    /// Written; the broker ends the grant at its next pass.
    Written(DecisionRecord),
    /// Nothing written: the request is not a grant that holds (why, in words).
    NotHeld(String),
}

/// Revokes grant `id`: a denial under the approver's own prefix, which the broker turns into
/// the grant's end (and the end of its credentials' renewal). Only a grant that holds can be
/// revoked; a waiting request is denied with `warden elevation deny`.
pub async fn revoke(queue: &S3Queue, id: &str, reason: &str) -> Result<Revocation, CoreError> {
    let remote = |e: warden_broker::BrokerError| CoreError::NoElevation(e.to_string());
    let status = queue
        .state(id)
        .await
        .map_err(|e| match e {
            warden_broker::BrokerError::Invalid { value, .. } => {
                CoreError::Elevation(ElevationError::BadRequestId { id: value })
            }
            e => remote(e),
        })?
        .map(|(state, _)| state.status);
    match status {
        Some(Status::Granted) => {}
        None => {
            return Err(CoreError::Elevation(ElevationError::UnknownRequest {
                id: id.into(),
            }))
        }
        Some(other) => {
            return Ok(Revocation::NotHeld(format!(
            "request {id} is not a grant that holds (it is {}); only a held grant can be revoked",
            serde_json::to_value(other)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        )))
        }
    }
    Ok(Revocation::Written(
        queue
            .decide_request(id, Decision::Deny, Some(reason), Utc::now())
            .await?,
    ))
}
