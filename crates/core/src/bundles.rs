//! The workspace's policy comes from a signed bundle, never from a loose file: this module holds
//! the verified cache, the trusted keys and the source, and says which policy is in force now.

use std::path::PathBuf;
use std::sync::Arc;

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use chrono::{DateTime, Duration, Utc};
use warden_bundle::{
    refresh, BundleError, Cache, Expected, Fetcher, Location, RefreshOutcome, RemoteOptions,
    Status, TrustStore, VerifyOptions,
};

use crate::error::CoreError;
use crate::gate::{Enforced, PolicyInForce};
use crate::home::Home;

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
    /// Who signs the requests of an `s3://` source.
    pub s3_signer: S3Signer,
}

/// Who signs the requests of an `s3://` bundle source. A source of another kind needs no
/// credentials and ignores it.
#[derive(Debug, Clone)]
pub(crate) enum S3Signer {
    /// The AWS SDK's own chain (environment, profile, instance or task role): the demo, an
    /// `athena` workspace without a `[sign_in]` (an administrator's), and the broker.
    SdkChain,
    /// An `athena` workspace's sign-in, already open (the gate's, the elevation commands').
    /// Refused when it gives no credentials (signed out), never replaced by the SDK's chain.
    SignIn {
        credentials: SharedCredentialsProvider,
        region: Option<String>,
    },
    /// An `athena` workspace's sign-in, opened from the OS keyring only when an `s3://` source
    /// is fetched (`warden bundle fetch`, `warden workspace init`); refused while signed out.
    SignInOf { home: Home, region: Option<String> },
}

pub(crate) struct Bundles {
    cache: Cache,
    trust: TrustStore,
    trust_problems: Vec<String>,
    /// Key ids of the configured trust, kept when a run replaces the trust (`--trust`).
    configured: Vec<String>,
    setup: BundleSetup,
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
        let connected = match self.remote_for(&source).await {
            Ok(remote) => Fetcher::connect(&source, &remote).await,
            Err(e) => Err(e),
        };
        let fetcher = match connected {
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

    /// The network settings of a fetch from `source`: for `s3://`, the credentials of the
    /// workspace's signer, checked to answer before any request is sent, so that a signed-out
    /// analyst is told to sign in and no other credentials are tried.
    async fn remote_for(&self, source: &str) -> Result<RemoteOptions, BundleError> {
        let remote = RemoteOptions::default();
        // A location that does not parse is refused by `Fetcher::connect`, in its own words.
        let Some(location) = Location::parse(source).ok().filter(Location::is_s3) else {
            return Ok(remote);
        };
        let workspace = self.setup.workspace.as_str();
        let refused = |reason: String| BundleError::SignInNeeded {
            location: location.as_str().to_string(),
            reason,
        };
        let (credentials, region) = match &self.setup.s3_signer {
            S3Signer::SdkChain => return Ok(remote),
            S3Signer::SignIn {
                credentials,
                region,
            } => (credentials.clone(), region.clone()),
            S3Signer::SignInOf { home, region } => {
                let identity = crate::identity::WorkspaceIdentity::open(home, Some(workspace))
                    .await
                    .map_err(|e| refused(e.to_string()))?;
                let region = region
                    .clone()
                    .unwrap_or_else(|| identity.session.config().region.clone());
                (
                    SharedCredentialsProvider::new(identity.credentials.clone()),
                    Some(region),
                )
            }
        };
        if let Err(e) = credentials.provide_credentials().await {
            return Err(refused(no_credentials(&e, workspace)));
        }
        Ok(RemoteOptions {
            s3_credentials: Some(credentials),
            s3_region: region,
            ..remote
        })
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

fn sign_in_first(workspace: &str) -> String {
    format!("sign in first: warden login --workspace {workspace}")
}

/// Why a sign-in gave no credentials, in the identity layer's words ("sign in first" when it
/// is signed out), not the SDK's wrapping of them.
fn no_credentials(e: &(dyn std::error::Error + 'static), workspace: &str) -> String {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut innermost = e.to_string();
    while let Some(c) = cause {
        if let Some(identity) = c.downcast_ref::<warden_identity::IdentityError>() {
            return match identity {
                warden_identity::IdentityError::SignedOut { .. } => sign_in_first(workspace),
                other => other.to_string(),
            };
        }
        innermost = c.to_string();
        cause = c.source();
    }
    format!("the sign-in gave no AWS credentials ({innermost})")
}

impl From<BundleError> for CoreError {
    fn from(e: BundleError) -> Self {
        CoreError::Bundle(e)
    }
}

#[cfg(test)]
mod tests {
    use aws_credential_types::provider::{error::CredentialsError, future};

    use super::*;
    use crate::testing::Fixture;

    /// A sign-in that answers with `error` (signed out, or another failure).
    #[derive(Debug)]
    struct Refusing(fn() -> CredentialsError);

    impl ProvideCredentials for Refusing {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            future::ProvideCredentials::ready(Err((self.0)()))
        }
    }

    fn signed_in_as(error: fn() -> CredentialsError, source: &str, fixture: &Fixture) -> Bundles {
        let mut setup = fixture.setup(Duration::days(3));
        setup.source = Some(source.into());
        setup.s3_signer = S3Signer::SignIn {
            credentials: SharedCredentialsProvider::new(Refusing(error)),
            region: Some("us-east-1".into()),
        };
        Bundles::open(setup).expect("bundles")
    }

    /// Refused before an S3 client is built: a request (to AWS, unreachable here) would have
    /// failed with another message.
    #[tokio::test]
    async fn an_s3_fetch_without_the_sign_in_is_refused_before_any_request() {
        let fixture = Fixture::new();
        let source = "s3://warden-policy/bundles/";
        let signed_out = || {
            CredentialsError::provider_error(warden_identity::IdentityError::SignedOut {
                workspace: "test".into(),
            })
        };
        let mut bundles = signed_in_as(signed_out, source, &fixture);
        let now = Utc::now();
        let err = bundles.refresh(None, now).await.expect_err("signed out");
        assert_eq!(
            err.to_string(),
            "s3://warden-policy/bundles/ is read with your Warden sign-in, never with other AWS credentials on this machine: sign in first: warden login --workspace test"
        );
        // Shown by `bundle status` as a failed fetch (not a refused bundle).
        let last = bundles.status(now).last_fetch.expect("recorded");
        assert_eq!(last.result, warden_bundle::FetchResult::Failed);
        assert_eq!(last.message, err.to_string());

        // Any other failure of the sign-in is said in its own words.
        let broken = || CredentialsError::provider_error("the keyring is locked");
        let err = signed_in_as(broken, source, &fixture)
            .refresh(None, now)
            .await
            .expect_err("no credentials");
        assert!(
            err.to_string().ends_with(
                "never with other AWS credentials on this machine: the sign-in gave no AWS credentials (the keyring is locked)"
            ),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_local_source_needs_no_sign_in() {
        let fixture = Fixture::new();
        fixture
            .publish(
                warden_test_support::policies::PII_READ,
                1,
                Duration::days(30),
            )
            .await;
        let signed_out = || CredentialsError::not_loaded("signed out");
        let mut bundles = signed_in_as(signed_out, &fixture.source(), &fixture);
        let outcome = bundles.refresh(None, Utc::now()).await.expect("fetched");
        assert!(matches!(
            outcome,
            RefreshOutcome::Updated { revision: 1, .. }
        ));
    }
}
