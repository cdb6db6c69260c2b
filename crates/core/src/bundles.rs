//! The workspace's policy comes from a signed bundle, never from a loose file: this module holds
//! the verified cache, the trusted keys and the source, and says which policy is in force now.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use warden_bundle::{
    refresh, BundleError, Cache, Expected, Fetcher, RefreshOutcome, RemoteOptions, Status,
    TrustStore, VerifyOptions,
};

use crate::error::CoreError;
use crate::gate::{Enforced, PolicyInForce};

/// Where a workspace's bundle comes from, resolved from `config.toml` and the workspace's defaults.
#[derive(Debug, Clone)]
pub(crate) struct BundleSetup {
    pub source: Option<String>,
    pub trust: Vec<String>,
    pub grace: Duration,
    pub refresh_every: std::time::Duration,
    pub cache_dir: PathBuf,
    pub workspace: String,
    /// The bundle name and audience this workspace takes.
    pub expected: Expected,
    /// An `s3://` source is read with these (an `athena` workspace's sign-in); `None` takes the
    /// AWS SDK's own chain.
    pub s3_credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
}

pub(crate) struct Bundles {
    cache: Cache,
    trust: TrustStore,
    trust_problems: Vec<String>,
    /// Key ids of the configured trust, kept when a run replaces the trust (`--trust`).
    configured: Vec<String>,
    setup: BundleSetup,
    remote: RemoteOptions,
}

impl Bundles {
    /// Opens the cache and verifies the cached bundle again. Unusable trusted keys are not an
    /// error here: they are the reason nothing may run, shown wherever the verdict is shown.
    pub fn open(setup: BundleSetup) -> Result<Self, CoreError> {
        let mut trust = TrustStore::new();
        let mut trust_problems = Vec::new();
        for key in &setup.trust {
            if let Err(e) = trust.add_path_or_text(key) {
                trust_problems.push(format!("the trusted key {key} cannot be used: {e}"));
            }
        }
        let cache = Cache::open_expecting(&setup.cache_dir, &trust, setup.expected.clone())?;
        let configured = trust.ids().map(|id| id.to_string()).collect();
        Ok(Self {
            cache,
            trust,
            trust_problems,
            configured,
            remote: RemoteOptions {
                s3_credentials: setup.s3_credentials.clone(),
                ..RemoteOptions::default()
            },
            setup,
        })
    }

    pub fn setup(&self) -> &BundleSetup {
        &self.setup
    }

    pub fn in_force(&self, now: DateTime<Utc>) -> Enforced {
        if self.trust.is_empty() {
            let mut reason = format!(
                "no trusted signing key is configured for the {} workspace: add the security team's public key to trust under [workspaces.{}.bundle] in config.toml",
                self.setup.workspace, self.setup.workspace
            );
            if !self.trust_problems.is_empty() {
                reason = format!("{reason} ({})", self.trust_problems.join("; "));
            }
            return Enforced::Blocked(reason);
        }
        match self.cache.enforceable(now, self.setup.grace) {
            Ok(bundle) => Enforced::Policy(Arc::new(PolicyInForce::new(
                bundle.policy().clone(),
                bundle.name().to_string(),
                bundle.revision(),
                bundle.expires_at(),
                bundle.expires_at() + self.setup.grace,
            ))),
            Err(e) => Enforced::Blocked(e.to_string()),
        }
    }

    /// Fetches from the configured source (or `source`), verifying only what is new.
    pub async fn refresh(
        &mut self,
        source: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<RefreshOutcome, CoreError> {
        let source = match source.or(self.setup.source.as_deref()) {
            Some(s) => s.to_string(),
            None => return Err(CoreError::NoBundleSource(self.setup.workspace.clone())),
        };
        let fetcher = match Fetcher::connect(&source, &self.remote).await {
            Ok(f) => f,
            Err(e) => {
                // Recorded so that `bundle status` shows why, like any other failed fetch.
                let _ = self.cache.record_failure(&source, &e, now);
                return Err(e.into());
            }
        };
        let options = VerifyOptions::new(now);
        Ok(refresh(&mut self.cache, &fetcher, &self.trust, &options).await?)
    }

    /// Replaces the trusted keys for this run (`warden bundle fetch --trust`).
    pub fn trust_only(&mut self, keys: &[String]) -> Result<(), CoreError> {
        let mut trust = TrustStore::new();
        for key in keys {
            trust.add_path_or_text(key)?;
        }
        self.trust = trust;
        self.trust_problems.clear();
        Ok(())
    }

    /// Whether the workspace's configuration (not a `--trust` of this run) trusts `key_id`.
    pub fn configured_trusts(&self, key_id: &str) -> bool {
        self.configured.iter().any(|k| k == key_id)
    }

    pub fn status(&self, now: DateTime<Utc>) -> Status {
        let mut status = self.cache.status(now, self.setup.grace);
        if let Enforced::Blocked(reason) = self.in_force(now) {
            status.health = warden_bundle::Health::Blocked;
            status.reason = Some(reason);
        }
        if status.source.is_none() {
            status.source = self.setup.source.as_deref().map(warden_bundle::redact);
        }
        status
    }

    /// Why the cached bundle was refused at open as another workspace's, if it was.
    pub fn refused_as_foreign(&self) -> Option<&str> {
        self.cache.refused_as_foreign()
    }

    /// SHA-256 and signer of the bundle in force, for the audit journal.
    pub fn current_identity(&self) -> Option<(String, u64, String, String)> {
        self.cache.current().map(|b| {
            (
                b.name().to_string(),
                b.revision(),
                b.bundle_sha256().to_string(),
                b.key_id().to_string(),
            )
        })
    }
}

impl From<BundleError> for CoreError {
    fn from(e: BundleError) -> Self {
        CoreError::Bundle(e)
    }
}
