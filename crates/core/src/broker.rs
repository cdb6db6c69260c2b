//! The elevation broker of an AWS workspace (`warden broker run`): its settings from the
//! workspace's `[elevation]` section, the policy from the same signed bundle every client
//! verifies (workspace bundle settings, its own cache), its own audit journal, and AWS
//! credentials from the default chain (the instance or task role; never keys in config).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::{Region, SdkConfig};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use warden_broker::{
    Approvers, Broker, BrokerConfig, Bucket, IdentityCenter, Minter, RunReport, S3Queue,
};

use crate::audit::Audit;
use crate::bundles::Bundles;
use crate::config::WorkspaceKind;
use crate::error::CoreError;
use crate::home::Home;
use crate::policy_client::PolicyClient;
use crate::workspace::Workspace;

/// `[workspaces.NAME.elevation]`: the request bucket of deploy/warden-aws.yaml and how to
/// reach it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElevationSettings {
    /// The request bucket's name (the stack's `RequestBucket` output).
    #[serde(default)]
    pub bucket: Option<String>,
    /// The bucket's region; the `[athena]` or `[sign_in]` region, or the SDK's, when not set.
    #[serde(default)]
    pub region: Option<String>,
    /// The IAM Identity Center identity store (`d-...`) approvers are looked up in. Without
    /// it, a decision on an elevation with an `approver_group` is refused.
    #[serde(default)]
    pub identity_store_id: Option<String>,
    /// Local endpoints instead of AWS's (the sandbox). `AWS_ENDPOINT_URL_*` work too.
    #[serde(default)]
    pub endpoints: ElevationEndpoints,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElevationEndpoints {
    /// The request bucket is read path-style from here.
    #[serde(default)]
    pub s3: Option<String>,
    #[serde(default)]
    pub sts: Option<String>,
    #[serde(default)]
    pub identitystore: Option<String>,
    /// IAM Identity Center's admin API (the Identity Center mode's account assignments).
    #[serde(default)]
    pub ssoadmin: Option<String>,
}

/// What one pass did, for `warden broker run --once` and the log.
#[derive(Debug, Clone)]
pub struct BrokerPass {
    /// `None` when no policy was in force, so the broker decided nothing.
    pub report: Option<RunReport>,
    /// "bundle NAME revision N", or why no policy is in force.
    pub policy: String,
    /// Why the broker's journal could not be synced to the central store, if it could not.
    pub sync_problem: Option<String>,
}

/// A broker for one workspace, with the policy it follows kept current.
pub struct BrokerHost {
    workspace: String,
    bucket: String,
    caller: String,
    broker: Broker,
    client: PolicyClient,
    audit: Arc<Audit>,
    /// The bundle revision `broker` follows.
    revision: u64,
    refresh_every: Duration,
    last_fetch: Instant,
    sync_every: Duration,
    last_sync: Option<Instant>,
}

impl BrokerHost {
    /// Opens the broker of workspace `name` (or the default one): checks its settings, asks
    /// STS whose credentials the default chain gives, and takes the policy of the verified
    /// bundle (fetched now when none is in force). Refuses to start without a policy.
    pub async fn open(home: &Home, name: Option<&str>) -> Result<BrokerHost, CoreError> {
        let ws = Workspace::find(home, name)?;
        let workspace = ws.name().to_string();
        let problem = |message: String| CoreError::Broker(message);
        if ws.kind() != WorkspaceKind::Athena {
            return Err(problem(format!(
                "the {workspace} workspace is not an AWS workspace; the broker serves workspaces of kind `athena`"
            )));
        }
        let settings = ws.elevation().cloned().unwrap_or_default();
        let bucket = settings
            .bucket
            .clone()
            .filter(|b| !b.trim().is_empty())
            .ok_or_else(|| {
                problem(format!(
                    "the {workspace} workspace names no request bucket: set bucket under [workspaces.{workspace}.elevation] in config.toml (the RequestBucket output of deploy/warden-aws.yaml)"
                ))
            })?;

        let dir = broker_dir(ws.dir());
        std::fs::create_dir_all(&dir).map_err(|e| CoreError::io("create", &dir, e))?;
        let audit = Arc::new(
            Audit::open(&dir.join("journal.sqlite"), &workspace, ws.audit_store()?)?
                .with_store_endpoint(ws.audit_endpoint())
                .with_identity_endpoint(ws.identity_endpoint()),
        );
        // Its own cache: the broker's rollback and pinning state is not a client's.
        let mut setup = ws.bundle_setup()?;
        setup.cache_dir = dir.join("bundle-cache");
        let refresh_every = setup.refresh_every;
        let mut client = PolicyClient::new(Bundles::open(setup)?, audit.clone());

        let sdk = sdk_config(&settings, ws.region_hint()).await?;
        let (user_id, caller) = warden_broker::caller(&for_endpoint(&sdk, &settings.endpoints.sts))
            .await
            .map_err(|e| {
                problem(format!(
                    "the broker has no usable AWS credentials ({e}); it takes them from the default chain: the instance or task role, or AWS_* environment variables"
                ))
            })?;
        audit.set_sso_identity(Some(caller.clone()));

        let now = Utc::now();
        if client.in_force(now).at(now).is_err() {
            // The outcome is in the client's status; without a policy the broker does not start.
            let _ = client.fetch(None, now).await;
        }
        let in_force = client.in_force(now).at(now).map_err(|e| {
            problem(format!(
                "{e}; the broker decides nothing without the policy every client enforces"
            ))
        })?;
        let policy = in_force.policy().clone();

        let s3_endpoint = settings
            .endpoints
            .s3
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_S3").ok())
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
        let bucket_client = Bucket::new(
            &for_endpoint(&sdk, &settings.endpoints.s3),
            &bucket,
            s3_endpoint.is_some(),
        )
        .map_err(|e| problem(e.to_string()))?;
        let queue = S3Queue::new(bucket_client, &user_id).map_err(|e| problem(e.to_string()))?;
        let approvers = match &settings.identity_store_id {
            Some(id) => Approvers::identity_store(
                &for_endpoint(&sdk, &settings.endpoints.identitystore),
                id,
            ),
            None => Approvers::none(),
        };
        let broker = Broker::new(
            queue,
            policy.clone(),
            BrokerConfig::from_policy(&workspace, &policy),
            Minter::new(&for_endpoint(&sdk, &settings.endpoints.sts)),
            approvers,
            audit.journal(),
            Arc::new(warden_elevation::SystemClock),
        )
        .with_identity_center(IdentityCenter::new(
            &for_endpoint(&sdk, &settings.endpoints.ssoadmin),
            &for_endpoint(&sdk, &settings.endpoints.identitystore),
        ))
        .with_policy_revision(in_force.revision());
        Ok(BrokerHost {
            revision: in_force.revision(),
            sync_every: ws.audit_sync_every()?,
            workspace,
            bucket,
            caller,
            broker,
            client,
            audit,
            refresh_every,
            last_fetch: Instant::now(),
            last_sync: None,
        })
    }

    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    /// The request bucket's name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The ARN of the broker's AWS credentials.
    pub fn caller(&self) -> &str {
        &self.caller
    }

    /// The broker's own journal.
    pub fn audit(&self) -> &Arc<Audit> {
        &self.audit
    }

    /// One pass: the policy refreshed when due, every request in the queue handled, and the
    /// journal synced when due. Without a policy in force nothing is decided; the error is a
    /// pass that could not finish (the journal refusing, the bucket unreachable).
    pub async fn pass(&mut self) -> Result<BrokerPass, CoreError> {
        let now = Utc::now();
        if self.last_fetch.elapsed() >= self.refresh_every {
            self.last_fetch = Instant::now();
            // A failed fetch keeps the bundle in force until its grace ends; the status says why.
            let _ = self.client.fetch(None, now).await;
        }
        let (report, policy) = match self.client.in_force(now).at(now) {
            Ok(in_force) => {
                if in_force.revision() != self.revision {
                    tracing::info!(
                        revision = in_force.revision(),
                        "the broker follows a new policy revision"
                    );
                    self.broker.set_policy(
                        in_force.policy().clone(),
                        BrokerConfig::from_policy(&self.workspace, in_force.policy()),
                        in_force.revision(),
                    );
                    self.revision = in_force.revision();
                }
                let report = self
                    .broker
                    .run_once()
                    .await
                    .map_err(|e| CoreError::Broker(e.to_string()))?;
                (
                    Some(report),
                    format!(
                        "bundle {} revision {}",
                        in_force.bundle_name(),
                        in_force.revision()
                    ),
                )
            }
            Err(no_policy) => (None, no_policy.to_string()),
        };
        let sync_problem = self.sync_when_due().await;
        Ok(BrokerPass {
            report,
            policy,
            sync_problem,
        })
    }

    async fn sync_when_due(&mut self) -> Option<String> {
        self.audit.store()?;
        if self
            .last_sync
            .is_some_and(|at| at.elapsed() < self.sync_every)
        {
            return None;
        }
        self.last_sync = Some(Instant::now());
        self.audit.sync(None).await.err().map(|e| e.to_string())
    }

    /// Runs a pass every `interval` until `stop` resolves; a pass under way is finished first.
    /// A pass that fails is logged and the next one tries again.
    pub async fn run(&mut self, interval: Duration, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            match self.pass().await {
                Ok(pass) => {
                    if let Some(r) = &pass.report {
                        tracing::debug!(?r, "broker pass");
                        for p in &r.problems {
                            tracing::warn!("{p}");
                        }
                    } else {
                        tracing::warn!("no policy in force, nothing decided: {}", pass.policy);
                    }
                    if let Some(p) = &pass.sync_problem {
                        tracing::warn!("the broker's journal was not synced: {p}");
                    }
                }
                Err(e) => tracing::warn!("broker pass failed: {e}"),
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(interval) => {}
            }
        }
    }
}

/// The default chain's configuration with the broker's timeouts, in the configured region
/// (else the workspace's, else the SDK's own).
async fn sdk_config(
    settings: &ElevationSettings,
    region_hint: Option<String>,
) -> Result<SdkConfig, CoreError> {
    let sdk = warden_broker::sdk_config().await;
    let sdk = match settings.region.clone().or(region_hint) {
        Some(region) => sdk.to_builder().region(Region::new(region)).build(),
        None => sdk,
    };
    if sdk.region().is_none() {
        return Err(CoreError::Broker(
            "no AWS region for the broker: set region under [elevation] (or [athena]) in the workspace, or AWS_REGION".into(),
        ));
    }
    Ok(sdk)
}

fn for_endpoint(sdk: &SdkConfig, endpoint: &Option<String>) -> SdkConfig {
    match endpoint {
        Some(url) => crate::aws_endpoint::at_endpoint(sdk, url),
        None => sdk.clone(),
    }
}

/// Where the broker of the workspace in `dir` keeps its journal and bundle cache.
pub fn broker_dir(workspace_dir: &std::path::Path) -> PathBuf {
    workspace_dir.join("broker")
}
