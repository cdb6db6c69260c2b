use std::path::PathBuf;
use std::sync::Arc;

use aws_credential_types::provider::SharedCredentialsProvider;
use serde::Serialize;

use crate::audit::Audit;
use crate::bundles::{BundleSetup, Bundles, S3Signer};
use crate::config::{AuditSettings, BundleSettings, Config, WorkspaceKind};
use crate::error::CoreError;
use crate::gate::{Gate, PolicyInForce};
use crate::home::Home;
use crate::policy_client::PolicyClient;

/// The name of the embedded demo workspace, the default when nothing else is configured.
pub const DEMO: &str = "demo";

/// Used when the configuration does not say.
const DEFAULT_GRACE: &str = "3d";
const DEFAULT_REFRESH_EVERY: &str = "5m";

/// What `warden workspace show` prints and the app's status bar reads.
#[derive(Debug, Clone, Serialize)]
pub struct WorkspaceSummary {
    pub name: String,
    pub kind: WorkspaceKind,
    pub dir: PathBuf,
    pub initialised: bool,
    pub default_database: Option<String>,
    /// The policy the demo's security team signs (demo only).
    pub policy_path: Option<PathBuf>,
    /// The policy bundle in force, or why none is.
    pub bundle: warden_bundle::Status,
    pub audit_store: Option<String>,
    /// One line per table of the demo lake: rows, partitions and bytes on disk.
    pub tables: Vec<String>,
}

/// One line of `warden workspace list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkspaceListing {
    pub name: String,
    pub kind: WorkspaceKind,
    /// Pinned by the administrator's managed configuration.
    pub managed: bool,
    /// The workspace commands use when none is named.
    pub default: bool,
}

/// Every workspace the configuration offers (the managed configuration's alone when there is
/// one, as `Workspace::find` sees them), by name.
pub fn list_workspaces(home: &Home) -> Result<Vec<WorkspaceListing>, CoreError> {
    let config = Config::load_with_managed(&home.config_file(), &home.managed)?;
    Ok(config
        .workspaces
        .iter()
        .map(|(name, ws)| WorkspaceListing {
            name: name.clone(),
            kind: ws.kind,
            managed: ws.managed,
            default: *name == config.default_workspace,
        })
        .collect())
}

/// A workspace by name, as the configuration describes it.
pub struct Workspace {
    name: String,
    kind: WorkspaceKind,
    dir: PathBuf,
    default_database: Option<String>,
    bundle: BundleSettings,
    audit: AuditSettings,
    athena: crate::athena::AthenaConfig,
    elevation: Option<crate::broker::ElevationSettings>,
    /// The `[sign_in]` region, for AWS work the `[athena]` section does not place.
    sign_in_region: Option<String>,
    /// Whether it has a `[sign_in]` section (`warden login`).
    signs_in: bool,
    /// `[sign_in.endpoints] sts`: where STS is asked who a signed-in user is.
    sign_in_sts: Option<String>,
    home: Home,
    managed: bool,
}

impl Workspace {
    /// Looks `name` up (or the configured default) in `home`'s configuration.
    pub fn find(home: &Home, name: Option<&str>) -> Result<Self, CoreError> {
        let config = Config::load_with_managed(&home.config_file(), &home.managed)?;
        let name = name.unwrap_or(&config.default_workspace).to_string();
        let ws = config.workspace(&name)?;
        let dir = if ws.managed {
            home.managed_workspace_dir(&name)?
        } else {
            home.workspace_dir(&name)
        };
        Ok(Self {
            dir,
            kind: ws.kind,
            default_database: ws.default_database.clone(),
            bundle: ws.bundle.clone(),
            audit: ws.audit.clone(),
            athena: ws.athena.clone().unwrap_or_default(),
            elevation: ws.elevation.clone(),
            sign_in_region: ws
                .sign_in
                .as_ref()
                .and_then(|s| s.region.clone().or_else(|| s.sso_region.clone())),
            signs_in: ws.sign_in.is_some(),
            sign_in_sts: ws.sign_in.as_ref().and_then(|s| s.endpoints.sts.clone()),
            home: home.clone(),
            managed: ws.managed,
            name,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> WorkspaceKind {
        self.kind
    }

    /// Where the workspace keeps its journal, bundle cache and state.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// `[elevation]`: the AWS request bucket, when the workspace has one.
    pub fn elevation(&self) -> Option<&crate::broker::ElevationSettings> {
        self.elevation.as_ref()
    }

    /// The region of the workspace's AWS work: `[athena]`'s, else `[sign_in]`'s.
    pub(crate) fn region_hint(&self) -> Option<String> {
        self.athena
            .region
            .clone()
            .or_else(|| self.sign_in_region.clone())
    }

    /// True when an administrator's managed configuration pins this workspace: then its bundle
    /// source and trusted keys cannot be overridden from the command line.
    pub fn is_managed(&self) -> bool {
        self.managed
    }

    /// Creates what the workspace needs on disk; running it again repairs and keeps the rest.
    /// For the demo: the sample lake, its policy, a demo signing key, and a signed bundle
    /// published to the demo's local central store.
    pub async fn init(&self) -> Result<WorkspaceSummary, CoreError> {
        match self.kind {
            WorkspaceKind::Demo => self.init_demo().await?,
            // Nothing to create locally: an Athena workspace signs in (`warden login`).
            WorkspaceKind::Athena => std::fs::create_dir_all(&self.dir)
                .map_err(|e| CoreError::io("create", &self.dir, e))?,
        }
        self.summary()
    }

    /// `warden workspace init`: [`Self::init`], then, on an `athena` workspace with a bundle
    /// source, its policy fetched and verified now (an `s3://` source read with the sign-in:
    /// refused while signed out). The app's start calls [`Self::init`] alone, as it must open
    /// signed out to let the analyst sign in.
    pub async fn init_and_fetch(&self) -> Result<WorkspaceSummary, CoreError> {
        let summary = self.init().await?;
        if self.kind != WorkspaceKind::Athena || self.bundle.source.is_none() {
            return Ok(summary);
        }
        let mut client = self.open_policy_client(self.open_audit()?)?;
        client.fetch(None, chrono::Utc::now()).await?;
        self.summary()
    }

    #[cfg(feature = "embedded")]
    async fn init_demo(&self) -> Result<(), CoreError> {
        crate::demo::init(&self.dir).await?;
        // Through the same fetch-and-verify path as any workspace; recorded in the journal.
        let mut client = self.open_policy_client(self.open_audit()?)?;
        client.fetch(None, chrono::Utc::now()).await?;
        Ok(())
    }

    #[cfg(not(feature = "embedded"))]
    async fn init_demo(&self) -> Result<(), CoreError> {
        Err(CoreError::EmbeddedUnavailable)
    }

    #[cfg(feature = "embedded")]
    fn open_demo_engine(&self) -> Result<Box<dyn warden_engine::Engine>, CoreError> {
        crate::demo::open_engine(&self.dir, &self.results_dir())
    }

    #[cfg(not(feature = "embedded"))]
    fn open_demo_engine(&self) -> Result<Box<dyn warden_engine::Engine>, CoreError> {
        Err(CoreError::EmbeddedUnavailable)
    }

    pub fn summary(&self) -> Result<WorkspaceSummary, CoreError> {
        let tables = match self.kind {
            #[cfg(feature = "embedded")]
            WorkspaceKind::Demo => crate::demo::describe(&self.dir),
            #[cfg(not(feature = "embedded"))]
            WorkspaceKind::Demo => Vec::new(),
            WorkspaceKind::Athena => Vec::new(),
        };
        let bundle = Bundles::open(self.bundle_setup()?)?.status(chrono::Utc::now());
        Ok(WorkspaceSummary {
            name: self.name.clone(),
            kind: self.kind,
            dir: self.dir.clone(),
            initialised: self.is_initialised(),
            default_database: self.default_database.clone(),
            policy_path: matches!(self.kind, WorkspaceKind::Demo)
                .then(|| self.dir.join("policy.yaml")),
            bundle,
            audit_store: self.audit_store()?,
            tables,
        })
    }

    fn is_initialised(&self) -> bool {
        match self.kind {
            #[cfg(feature = "embedded")]
            WorkspaceKind::Demo => crate::demo::is_initialised(&self.dir),
            #[cfg(not(feature = "embedded"))]
            WorkspaceKind::Demo => false,
            WorkspaceKind::Athena => self.dir.is_dir(),
        }
    }

    /// Where the bundle comes from and whom to trust, with the demo's defaults filled in.
    pub(crate) fn bundle_setup(&self) -> Result<BundleSetup, CoreError> {
        let settings = &self.bundle;
        let (default_source, default_trust) = match self.kind {
            #[cfg(feature = "embedded")]
            WorkspaceKind::Demo => (
                Some(crate::demo::file_url(&crate::demo::central_bundles(
                    &self.dir,
                ))?),
                vec![
                    warden_bundle::public_path(&crate::demo::key_file(&self.dir))
                        .display()
                        .to_string(),
                ],
            ),
            #[cfg(not(feature = "embedded"))]
            WorkspaceKind::Demo => (None, Vec::new()),
            WorkspaceKind::Athena => (None, Vec::new()),
        };
        let duration = |value: &Option<String>, default: &str, key: &str| {
            let text = value.as_deref().unwrap_or(default);
            warden_bundle::parse_duration(text).map_err(|e| CoreError::Config {
                path: PathBuf::from("config.toml"),
                message: format!("[workspaces.{}.bundle] {key}: {e}", self.name),
            })
        };
        let grace = duration(&settings.grace, DEFAULT_GRACE, "grace")?;
        if grace > chrono::Duration::days(crate::config::MAX_GRACE_DAYS) {
            return Err(CoreError::Config {
                path: PathBuf::from("config.toml"),
                message: format!(
                    "[workspaces.{}.bundle] grace: {} days is longer than the {}-day maximum; an expired policy may not be enforced that long",
                    self.name,
                    grace.num_days(),
                    crate::config::MAX_GRACE_DAYS
                ),
            });
        }
        let refresh_every = duration(
            &settings.refresh_every,
            DEFAULT_REFRESH_EVERY,
            "refresh_every",
        )?
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(300));
        Ok(BundleSetup {
            source: settings.source.clone().or(default_source),
            trust: if settings.trust.is_empty() {
                default_trust
            } else {
                settings.trust.clone()
            },
            grace,
            refresh_every,
            cache_dir: self.dir.join("bundle-cache"),
            workspace: self.name.clone(),
            expected: warden_bundle::Expected {
                // Only the administrator pins a name; otherwise the cache pins the first one.
                name: settings.name.clone().filter(|_| self.managed),
                audience: Some(
                    settings
                        .audience
                        .clone()
                        .unwrap_or_else(|| self.name.clone()),
                ),
            },
            // The broker's: its task role. A client's comes from `open_policy_client`.
            s3_signer: S3Signer::SdkChain,
        })
    }

    /// Who signs this workspace's `s3://` bundle fetches when no sign-in is at hand: on an
    /// `athena` workspace with a `[sign_in]`, its sign-in, opened from the keyring at the fetch
    /// (refused while signed out), never the AWS SDK's chain; on the others, the SDK's chain.
    fn s3_signer(&self) -> S3Signer {
        if self.kind == WorkspaceKind::Athena && self.signs_in {
            S3Signer::SignInOf {
                home: self.home.clone(),
                region: self.region_hint(),
            }
        } else {
            S3Signer::SdkChain
        }
    }

    /// The central audit store, with the demo's default (a local folder) filled in.
    pub fn audit_store(&self) -> Result<Option<String>, CoreError> {
        if let Some(store) = &self.audit.store {
            return Ok(Some(store.clone()));
        }
        match self.kind {
            #[cfg(feature = "embedded")]
            WorkspaceKind::Demo => Ok(Some(crate::demo::file_url(&crate::demo::central_audit(
                &self.dir,
            ))?)),
            #[cfg(not(feature = "embedded"))]
            WorkspaceKind::Demo => Ok(None),
            WorkspaceKind::Athena => Ok(None),
        }
    }

    /// The S3 endpoint of the central audit store, when the workspace names one.
    pub fn audit_endpoint(&self) -> Option<String> {
        self.audit.endpoint.clone()
    }

    /// Where STS is asked who writes the audit store: the workspace's own STS endpoint (sign-in,
    /// else elevation), else the store's `[audit] endpoint` when that is a server on this
    /// machine (the sandbox's moto, which answers STS too), else where the AWS configuration
    /// sends STS (`AWS_ENDPOINT_URL_STS`, a profile, AWS's own). Never an S3 endpoint elsewhere
    /// (a VPC endpoint for S3 answers S3 only).
    pub(crate) fn identity_endpoint(&self) -> Option<String> {
        self.sign_in_sts
            .clone()
            .or_else(|| {
                self.elevation
                    .as_ref()
                    .and_then(|e| e.endpoints.sts.clone())
            })
            .or_else(|| self.audit_endpoint().filter(|url| on_this_machine(url)))
    }

    /// The workspace's audit journal as `warden audit sync` uses it: on an `athena` workspace
    /// with a sign-in, an S3 store is written with the sign-in's credentials (refused when
    /// signed out), as the app's syncs are.
    pub async fn open_audit_for_sync(&self) -> Result<Arc<Audit>, CoreError> {
        let audit = self.open_audit()?;
        if self.kind == WorkspaceKind::Athena && self.signs_in {
            let identity =
                crate::identity::WorkspaceIdentity::open(&self.home, Some(&self.name)).await?;
            let region = identity.session.config().region.clone();
            let credentials = SharedCredentialsProvider::new(identity.credentials.clone());
            self.sign_audit_store(&audit, credentials, Some(&region))
                .await?;
        }
        Ok(audit)
    }

    /// The journal of an `athena` workspace writes its S3 store with `credentials` (the
    /// sign-in's baseline: the bucket policy lets analysts append), not with whatever the AWS
    /// SDK's chain finds on the machine.
    async fn sign_audit_store(
        &self,
        audit: &Audit,
        credentials: SharedCredentialsProvider,
        sign_in_region: Option<&str>,
    ) -> Result<(), CoreError> {
        let setup = self.athena.setup(
            &self.name,
            self.default_database.as_deref(),
            self.results_dir(),
        )?;
        // The store's own endpoint is set on its S3 client alone (`with_store_endpoint`), so
        // STS is not sent there.
        audit.sign_store_with(setup.audit_store_sdk(credentials, sign_in_region).await?);
        Ok(())
    }

    /// How often the desktop app syncs the audit journal in the background.
    pub fn audit_sync_every(&self) -> Result<std::time::Duration, CoreError> {
        let text = self.audit.sync_every.as_deref().unwrap_or("1m");
        warden_bundle::parse_duration(text)
            .ok()
            .and_then(|d| d.to_std().ok())
            .ok_or_else(|| CoreError::Config {
                path: PathBuf::from("config.toml"),
                message: format!("[workspaces.{}.audit] sync_every: {text:?} is not a duration such as 60s or 5m", self.name),
            })
    }

    /// The workspace's audit journal (one per workspace and installation).
    pub fn open_audit(&self) -> Result<Arc<Audit>, CoreError> {
        let path = self.dir.join("audit").join("journal.sqlite");
        let audit = Audit::open(&path, &self.name, self.audit_store()?)?
            .with_store_endpoint(self.audit_endpoint())
            .with_identity_endpoint(self.identity_endpoint());
        if let Some(who) = crate::identity::signed_in_as(&self.dir) {
            audit.set_sso_identity(Some(who.arn));
        }
        Ok(Arc::new(audit))
    }

    /// The policy of the verified bundle in force now (`warden lint` without a policy of its
    /// own). Nothing is fetched and no journal is opened: linting is not an audited action.
    pub fn policy_in_force(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Arc<PolicyInForce>, CoreError> {
        let refused = |reason: String| CoreError::NoPolicyInForce {
            workspace: self.name.clone(),
            reason,
        };
        if !self.is_initialised() {
            return Err(refused(format!(
                "the workspace has not been initialised: run `warden workspace init --workspace {}`",
                self.name
            )));
        }
        Bundles::open(self.bundle_setup()?)?
            .in_force(now)
            .at(now)
            .map_err(|no| refused(no.reason))
    }

    /// The verified bundle cache and its source, without the engine (`warden bundle fetch`,
    /// `warden workspace init`): an `s3://` source of an `athena` workspace that signs in is
    /// read with its sign-in, opened from the keyring when a fetch needs it, and refused while
    /// signed out (the bundle in force keeps serving until its grace ends).
    pub fn open_policy_client(&self, audit: Arc<Audit>) -> Result<PolicyClient, CoreError> {
        self.policy_client_signed_by(audit, self.s3_signer())
    }

    /// The same, reading an `s3://` source with `identity`, the sign-in already open.
    pub(crate) fn open_policy_client_as(
        &self,
        audit: Arc<Audit>,
        identity: &crate::identity::WorkspaceIdentity,
    ) -> Result<PolicyClient, CoreError> {
        let credentials = SharedCredentialsProvider::new(identity.credentials.clone());
        let region = identity.session.config().region.clone();
        self.policy_client_signed_by(audit, self.sign_in_signer(credentials, Some(&region)))
    }

    /// An `athena` workspace's sign-in as the signer of its `s3://` bundle fetches, in the
    /// workspace's region (`[athena]`'s), else the sign-in's.
    fn sign_in_signer(
        &self,
        credentials: SharedCredentialsProvider,
        sign_in_region: Option<&str>,
    ) -> S3Signer {
        S3Signer::SignIn {
            credentials,
            region: self
                .region_hint()
                .or_else(|| sign_in_region.map(str::to_string)),
        }
    }

    fn policy_client_signed_by(
        &self,
        audit: Arc<Audit>,
        signer: S3Signer,
    ) -> Result<PolicyClient, CoreError> {
        let mut setup = self.bundle_setup()?;
        setup.s3_signer = signer;
        Ok(PolicyClient::new(Bundles::open(setup)?, audit))
    }

    /// Opens the workspace's engine behind the gate. The policy comes from the verified bundle
    /// cache; when none is in force a fetch is tried once, and if that fails too, the gate opens
    /// with nothing allowed and says why. An `athena` workspace signs its calls with the
    /// credentials of its sign-in (`warden login`), held in the OS keyring.
    pub async fn open_gate(&self) -> Result<Gate, CoreError> {
        self.open_gate_holding(&[]).await
    }

    /// Like [`Self::open_gate`], holding the AWS grants `elevations` names (their credentials
    /// from the keyring, put there by `warden elevation request`): refused when one of them is
    /// not held or its credentials have run out. Elevations are held on AWS workspaces only.
    pub async fn open_gate_holding(&self, elevations: &[String]) -> Result<Gate, CoreError> {
        if !elevations.is_empty() && self.kind != WorkspaceKind::Athena {
            return Err(CoreError::NoElevation(format!(
                "the {} workspace is not an AWS workspace: its elevations are asked for and held in the window",
                self.name
            )));
        }
        if !self.is_initialised() {
            return Err(CoreError::NotInitialised(self.name.clone()));
        }
        let engine: Box<dyn warden_engine::Engine> = match self.kind {
            WorkspaceKind::Demo => {
                #[cfg(feature = "embedded")]
                crate::demo::publish_bundle(&self.dir).await?;
                self.open_demo_engine()?
            }
            WorkspaceKind::Athena => {
                let identity =
                    crate::identity::WorkspaceIdentity::open(&self.home, Some(&self.name)).await?;
                let region = identity.session.config().region.clone();
                let credentials = SharedCredentialsProvider::new(identity.credentials.clone());
                let engine = self
                    .athena_engine(credentials.clone(), Some(&region), None)
                    .await?;
                let mut held = Vec::new();
                for name in elevations {
                    let grant =
                        crate::aws_elevation::held(identity.session.vault(), &self.name, name)?
                            .filter(|g| g.usable_at(chrono::Utc::now()))
                            .ok_or_else(|| {
                                CoreError::NoElevation(format!(
                                    "elevation {name} is not held on the {} workspace (or its credentials have run out): ask with `warden elevation request {name} --workspace {}`, and see `warden elevation status`",
                                    self.name, self.name
                                ))
                            })?;
                    held.push(grant);
                }
                let mut gate = self
                    .gate_over(Box::new(engine), Some((credentials, Some(&region))))
                    .await?;
                gate.offer_workgroups(self.athena.workgroup_rules());
                gate.remember_workgroup_in(crate::gate::remembered_workgroup_path(&self.dir));
                let keys = crate::aws_elevation::VaultKeys::new(
                    identity.session.vault().clone(),
                    &self.name,
                );
                self.hold_grants(
                    &mut gate,
                    held,
                    Some(&region),
                    Some(std::sync::Arc::new(keys)),
                )
                .await?;
                return Ok(gate);
            }
        };
        self.gate_over(engine, None).await
    }

    /// Gives an AWS gate the grants `held`, each with an engine signing with its credentials
    /// (in the elevation's own workgroup when the policy names one); locking one out deletes
    /// its credentials from `keys`.
    async fn hold_grants(
        &self,
        gate: &mut Gate,
        held: Vec<crate::aws_elevation::HeldGrant>,
        sign_in_region: Option<&str>,
        keys: Option<std::sync::Arc<dyn crate::gate::GrantKeys>>,
    ) -> Result<(), CoreError> {
        gate.require_elevated_engines(keys);
        for h in held {
            self.hold_grant(gate, &h, sign_in_region).await?;
        }
        Ok(())
    }

    /// Gives an AWS gate the grant `h` with an engine signing with its credentials.
    pub(crate) async fn hold_grant(
        &self,
        gate: &Gate,
        h: &crate::aws_elevation::HeldGrant,
        sign_in_region: Option<&str>,
    ) -> Result<(), CoreError> {
        let workgroup = gate.policy().ok().and_then(|p| {
            p.policy()
                .elevation(&h.name)
                .and_then(|e| e.aws.as_ref())
                .and_then(|a| a.workgroup.clone())
        });
        // Shared with the engine (whose SDK clients cache no credentials), so that the broker's
        // next set replaces them in place.
        let credentials = crate::grant_credentials::GrantCredentials::new(h.sdk_credentials());
        let engine = self
            .athena_engine(
                SharedCredentialsProvider::new(credentials.clone()),
                sign_in_region,
                workgroup,
            )
            .await?;
        gate.hold_elevated(h, std::sync::Arc::new(engine), Some(credentials))
    }

    /// The Athena engine of this workspace, signing with `credentials`.
    pub(crate) async fn athena_engine(
        &self,
        credentials: SharedCredentialsProvider,
        sign_in_region: Option<&str>,
        workgroup: Option<String>,
    ) -> Result<warden_engine_athena::AthenaEngine, CoreError> {
        let mut setup = self.athena.setup(
            &self.name,
            self.default_database.as_deref(),
            self.results_dir(),
        )?;
        if let Some(w) = workgroup {
            setup.settings.workgroup = w;
        }
        setup.engine(credentials, sign_in_region).await
    }

    /// The AWS clients of an `athena` workspace for reading metadata (Glue, S3), not for
    /// queries: signed with its sign-in when it has one (refused when signed out), else with
    /// the AWS SDK's own credentials (environment, profile), as an administrator's tools are.
    pub(crate) async fn metadata_clients(
        &self,
    ) -> Result<warden_engine_athena::AthenaClients, CoreError> {
        if self.kind != WorkspaceKind::Athena {
            return Err(CoreError::GlueCatalog(format!(
                "workspace `{}` is not an athena workspace; name one with --workspace",
                self.name
            )));
        }
        let setup = self.athena.setup(
            &self.name,
            self.default_database.as_deref(),
            self.results_dir(),
        )?;
        if self.signs_in {
            let identity =
                crate::identity::WorkspaceIdentity::open(&self.home, Some(&self.name)).await?;
            let region = identity.session.config().region.clone();
            let credentials = SharedCredentialsProvider::new(identity.credentials.clone());
            setup.clients(Some(credentials), Some(&region)).await
        } else {
            setup.clients(None, None).await
        }
    }

    /// An `athena` workspace's gate over credentials given by a test instead of a sign-in.
    #[cfg(test)]
    pub(crate) async fn open_athena_gate_with(
        &self,
        credentials: SharedCredentialsProvider,
    ) -> Result<Gate, CoreError> {
        self.open_athena_gate_holding(credentials, vec![]).await
    }

    /// The same, holding the grants `held` (credentials given by the test).
    #[cfg(test)]
    pub(crate) async fn open_athena_gate_holding(
        &self,
        credentials: SharedCredentialsProvider,
        held: Vec<crate::aws_elevation::HeldGrant>,
    ) -> Result<Gate, CoreError> {
        self.open_athena_gate_at(
            credentials,
            held,
            std::sync::Arc::new(warden_elevation::SystemClock),
            None,
        )
        .await
    }

    /// The same on the clock `clock`, deleting locked-out grants' credentials from `keys`.
    #[cfg(test)]
    pub(crate) async fn open_athena_gate_at(
        &self,
        credentials: SharedCredentialsProvider,
        held: Vec<crate::aws_elevation::HeldGrant>,
        clock: std::sync::Arc<dyn warden_elevation::Clock>,
        keys: Option<std::sync::Arc<dyn crate::gate::GrantKeys>>,
    ) -> Result<Gate, CoreError> {
        let engine = self.athena_engine(credentials.clone(), None, None).await?;
        let mut gate = self
            .gate_over_at(Box::new(engine), clock, Some((credentials, None)))
            .await?;
        gate.offer_workgroups(self.athena.workgroup_rules());
        gate.remember_workgroup_in(crate::gate::remembered_workgroup_path(&self.dir));
        self.hold_grants(&mut gate, held, None, keys).await?;
        Ok(gate)
    }

    /// The gate over `engine`, with the policy in force (fetched once when none is). `sign_in`:
    /// an `athena` workspace's credentials, which read an `s3://` bundle source and write an
    /// S3 audit store (without them, as [`Self::open_policy_client`] reads it).
    async fn gate_over(
        &self,
        engine: Box<dyn warden_engine::Engine>,
        sign_in: Option<(SharedCredentialsProvider, Option<&str>)>,
    ) -> Result<Gate, CoreError> {
        self.gate_over_at(
            engine,
            std::sync::Arc::new(warden_elevation::SystemClock),
            sign_in,
        )
        .await
    }

    /// The same, reading every "now" from `clock`.
    async fn gate_over_at(
        &self,
        engine: Box<dyn warden_engine::Engine>,
        clock: std::sync::Arc<dyn warden_elevation::Clock>,
        sign_in: Option<(SharedCredentialsProvider, Option<&str>)>,
    ) -> Result<Gate, CoreError> {
        self.remove_stale_results();
        let audit = self.open_audit()?;
        let signer = match sign_in {
            Some((credentials, region)) => {
                self.sign_audit_store(&audit, credentials.clone(), region)
                    .await?;
                self.sign_in_signer(credentials, region)
            }
            None => self.s3_signer(),
        };
        let mut client = self.policy_client_signed_by(audit.clone(), signer)?;
        let now = chrono::Utc::now();
        if client.in_force(now).at(now).is_err() || self.kind == WorkspaceKind::Demo {
            // The outcome is in the client's status; a failure leaves the gate closed, not broken.
            let _ = client.fetch(None, now).await;
        }
        let mut gate = Gate::new(
            self.name.clone(),
            self.default_database.clone(),
            engine,
            client,
            audit,
            self.approvals(),
            clock,
        );
        gate.cache_catalog_in(crate::catalog_cache::path(&self.home.cache, &self.name));
        gate.cache_scan_sizes_in(crate::scan_cache::path(&self.home.cache, &self.name));
        Ok(gate)
    }

    /// Where the engines store results: one folder per result, in the cache folder.
    pub fn results_dir(&self) -> PathBuf {
        self.home.cache.join(&self.name).join("results")
    }

    /// Results do not outlive the process that read them: a process that ends normally removes
    /// its own, and the result folders a killed or crashed one left behind (no live process
    /// holds their lock) are removed here, whenever a gate opens.
    fn remove_stale_results(&self) {
        match warden_results::remove_stale(&self.results_dir()) {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "stale result folders removed"),
            Err(e) => tracing::warn!("stale result folders could not be removed: {e}"),
        }
    }

    /// Where requests that need an approver wait. The demo keeps them in a local folder and,
    /// having a single user, lets that user decide their own requests.
    pub fn approvals(&self) -> Option<warden_elevation::Approvals> {
        match self.kind {
            WorkspaceKind::Demo => Some(warden_elevation::Approvals::open(
                self.dir.join("central").join("approvals"),
                true,
            )),
            WorkspaceKind::Athena => None,
        }
    }
}

/// Whether `url` names a server on this machine (loopback), as local stand-ins for AWS do.
fn on_this_machine(url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .and_then(|u| match u.host()? {
            url::Host::Domain(d) => Some(d.eq_ignore_ascii_case("localhost")),
            url::Host::Ipv4(ip) => Some(ip.is_loopback()),
            url::Host::Ipv6(ip) => Some(ip.is_loopback()),
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_a_local_audit_endpoint_stands_in_for_sts() {
        for local in [
            "http://127.0.0.1:5000",
            "http://localhost:4566/",
            "http://[::1]:9000",
        ] {
            assert!(super::on_this_machine(local), "{local}");
        }
        for remote in [
            "https://bucket.vpce-0123.s3.eu-west-1.vpce.amazonaws.com",
            "https://s3.eu-west-1.amazonaws.com",
            "not a url",
        ] {
            assert!(!super::on_this_machine(remote), "{remote}");
        }
    }

    use super::*;

    #[test]
    fn unknown_workspace_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = Home::under(dir.path());
        assert!(matches!(
            Workspace::find(&home, Some("prod")),
            Err(CoreError::UnknownWorkspace(_))
        ));
        let demo = Workspace::find(&home, None).expect("demo by default");
        assert_eq!(demo.name(), "demo");
    }

    #[test]
    fn the_listing_marks_the_default_and_the_managed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut home = Home::under(dir.path());
        home.managed = dir.path().join("none.toml");
        let names = |home: &Home| {
            list_workspaces(home)
                .expect("listing")
                .into_iter()
                .map(|w| (w.name, w.kind, w.managed, w.default))
                .collect::<Vec<_>>()
        };
        // Nothing configured: the demo, the default.
        assert_eq!(
            names(&home),
            [("demo".into(), WorkspaceKind::Demo, false, true)]
        );
        std::fs::create_dir_all(&home.config).expect("config dir");
        std::fs::write(
            home.config_file(),
            "default_workspace = \"aws\"\n[workspaces.aws]\nkind = \"athena\"\n",
        )
        .expect("write");
        assert_eq!(
            names(&home),
            [
                ("aws".into(), WorkspaceKind::Athena, false, true),
                ("demo".into(), WorkspaceKind::Demo, false, false)
            ]
        );
        home.managed = dir.path().join("managed.toml");
        std::fs::write(
            &home.managed,
            "[workspaces.prod]\nkind = \"athena\"\n[workspaces.prod.bundle]\nsource = \"s3://b/p/\"\ntrust = [\"/k.pub\"]\n[workspaces.prod.audit]\nstore = \"s3://a/w/\"\n",
        )
        .expect("write");
        assert_eq!(
            names(&home),
            [("prod".into(), WorkspaceKind::Athena, true, true)]
        );
    }

    #[test]
    fn a_bad_grace_period_names_the_setting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = Home::under(dir.path());
        std::fs::create_dir_all(&home.config).expect("config dir");
        std::fs::write(
            home.config_file(),
            "[workspaces.demo]\nkind = \"demo\"\n[workspaces.demo.bundle]\ngrace = \"soon\"\n",
        )
        .expect("write");
        let ws = Workspace::find(&home, None).expect("demo");
        let text = ws.bundle_setup().expect_err("bad grace").to_string();
        assert!(text.contains("grace") && text.contains("soon"), "{text}");
        std::fs::write(
            home.config_file(),
            "[workspaces.demo]\nkind = \"demo\"\n[workspaces.demo.bundle]\ngrace = \"3650d\"\n",
        )
        .expect("write");
        let ws = Workspace::find(&home, None).expect("demo");
        let text = ws.bundle_setup().expect_err("too long").to_string();
        assert!(text.contains("30-day maximum"), "{text}");
    }
}
