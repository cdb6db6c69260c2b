use std::path::PathBuf;

/// What went wrong outside a query, said so a user can act on it.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{0}")]
    Identity(#[from] warden_identity::IdentityError),
    #[error("sign-in: {0}")]
    SignIn(String),
    #[error("cannot find a home directory for Warden's files: set HOME, or pass --home DIR")]
    NoHome,
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration file {path} is not valid: {message}")]
    Config { path: PathBuf, message: String },
    #[error("there is no workspace named {0:?}: run `warden workspace show` to list them")]
    UnknownWorkspace(String),
    #[error("the {0} workspace has not been initialised: run `warden workspace init`")]
    NotInitialised(String),
    #[error("the policy {path} cannot be used, so nothing may run: {message}")]
    Policy { path: PathBuf, message: String },
    #[error("the demo workspace is not part of this build of Warden (it was built without the `embedded` feature)")]
    EmbeddedUnavailable,
    #[error("the demo data lake could not be created: {0}")]
    DemoLake(String),
    #[error("the query engine could not start: {0}")]
    Engine(String),
    #[error("the catalog could not be read from Glue: {0}")]
    GlueCatalog(String),
    #[error("{0}")]
    Bundle(warden_bundle::BundleError),
    #[error("no verified policy bundle is in force in the {workspace} workspace ({reason}); fetch one with `warden bundle fetch`, or lint against a file with --policy FILE or --bundle FILE --trust KEY")]
    NoPolicyInForce { workspace: String, reason: String },
    #[error("the {0} workspace has no bundle source: set source under [workspaces.{0}.bundle] in config.toml, or pass --source URL")]
    NoBundleSource(String),
    #[error("the {0} workspace has no audit store: set store under [workspaces.{0}.audit] in config.toml, or pass --to URL")]
    NoAuditStore(String),
    #[error("the central audit store did not answer within {0:?}")]
    AuditSyncTimeout(std::time::Duration),
    #[error("the audit journal cannot be used, so nothing may run: {0}")]
    Audit(#[from] warden_audit::AuditError),
    /// A sync that failed: the journal still records, so this never stops a run by itself.
    #[error("{0}")]
    AuditSync(warden_audit::AuditError),
    #[error("no elevation can be granted: {0}")]
    NoElevation(String),
    #[error("the {0} workspace has no approval queue, so elevations that need an approver cannot be requested here")]
    NoApprovals(String),
    #[error("{0}")]
    Elevation(#[from] warden_elevation::ElevationError),
    #[error("cannot export the result: {0}")]
    Export(String),
    #[error("the workspace cannot be added: {0}")]
    NewWorkspace(String),
    #[error("the elevation broker cannot run: {0}")]
    Broker(String),
    #[error("the audit store cannot be used: {0}")]
    AuditStore(#[from] warden_audit::StoreError),
}

impl CoreError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        CoreError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
