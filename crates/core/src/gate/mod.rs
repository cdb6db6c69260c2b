//! The gate: the one way to execute SQL. One file per concern: [`run`] lints, records and
//! executes a query; [`policy`] says which policy is in force now; [`elevation`] requests, ends
//! and checks elevations; [`changes`] is what those checks report to the shells; [`signed_out`]
//! stops AWS work when the sign-in ends; [`everywhere`] ends every grant and request, at the
//! broker too, when the app quits or the sign-in ends.

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use warden_elevation::{Approvals, Clock, Elevations, Moment, Queue};
use warden_engine::Engine;
use warden_guardrails::LintContext;

use crate::audit::Audit;
use crate::policy_client::PolicyClient;

pub(crate) mod changes;
pub(crate) mod elevated;
mod elevated_results;
pub(crate) mod elevation;
mod everywhere;
mod format;
mod named_queries;
pub(crate) mod policy;
mod remembered_workgroup;
pub(crate) mod run;
mod scan;
mod schema;
mod signed_out;
mod star;
mod unlisted;
mod unsynced;
mod waiting;
mod workgroups;

pub use changes::{
    extended_notice, granted_notice, ElevationChanges, ElevationDecision, EndedElevation, Notice,
    Outcome,
};
pub use elevated::{GrantKeys, HeldCredentials, Renewed, LOCKOUT_LEAD};
#[cfg(test)]
pub(crate) use everywhere::BROKER_WAIT;
pub(crate) use policy::Enforced;
pub use policy::{NoPolicy, PolicyInForce};
pub(crate) use remembered_workgroup::path as remembered_workgroup_path;
pub use run::{Execution, RunDetails, RunEnd, RunError};
pub use signed_out::{StoppedWork, STOP_WAIT};
pub use workgroups::WorkgroupChoice;
pub(crate) use workgroups::WorkgroupRules;

/// The one way to execute SQL.
///
/// The engine is a private field and there is no accessor: whoever holds a gate can lint and
/// run, and running always lints again against the policy and elevations in force now, never
/// against a verdict computed earlier (the editor's verdict may be stale by the time Run is
/// pressed). The policy comes only from a verified bundle, and every run is recorded in the
/// audit journal before the engine sees it.
pub struct Gate {
    workspace: String,
    default_database: Option<String>,
    /// Grants, waiting requests and the queries that lean on a grant. Private: the only way in
    /// is a request the policy allows (see `elevation.rs`).
    elevation: std::sync::Mutex<Elevations>,
    engine: Box<dyn Engine>,
    /// On AWS workspaces, the engines of the grants held (each signs with its grant's
    /// credentials); `None` on the demo, where every run uses `engine`.
    elevated: Option<std::sync::Mutex<elevated::ElevatedEngines>>,
    enforced: Arc<RwLock<Enforced>>,
    /// Held for a whole fetch (network time); nothing a user waits on locks it for long.
    policy_client: tokio::sync::Mutex<PolicyClient>,
    /// The status as of the last fetch, for when a fetch is in progress.
    last_status: RwLock<warden_bundle::Status>,
    refresh_every: Duration,
    /// The latest time this gate has seen (ms since the epoch): a clock turned back while the
    /// app runs cannot stretch a bundle's validity.
    latest_seen_ms: std::sync::atomic::AtomicI64,
    audit: Arc<Audit>,
    /// Every "now" the gate uses: tests move it by hand instead of sleeping.
    clock: Arc<dyn Clock>,
    /// What came of requests decided elsewhere (AWS), told at the next check.
    news: std::sync::Mutex<ElevationChanges>,
    /// Woken when news comes or the broker ends a grant, so the app's check runs at once
    /// instead of at its next tick (see [`Gate::elevation_news`]).
    news_ready: tokio::sync::Notify,
    /// The workspace's catalog cache file; `None` keeps the catalog in memory only.
    catalog_cache: Option<std::path::PathBuf>,
    /// The catalog the window was last shown (see `schema.rs`).
    catalog_seen: RwLock<Option<Arc<crate::catalog_cache::CachedCatalog>>>,
    /// Athena workspaces: the workgroups baseline runs may use (see `workgroups.rs`).
    workgroup_rules: Option<WorkgroupRules>,
    /// The workspace's cache file of measured scan sizes; `None` measures every run.
    scan_cache: Option<std::path::PathBuf>,
    /// Where the workgroup picked in the window is remembered (see `remembered_workgroup.rs`).
    workgroup_memory: Option<std::path::PathBuf>,
    /// Why the remembered workgroup was not used at start, for the picker.
    workgroup_note: std::sync::Mutex<Option<String>>,
    /// Results read under grants, deleted when one of them ends (see `elevated_results.rs`).
    elevated_results: std::sync::Mutex<Vec<elevated_results::ElevatedResult>>,
    /// AWS workspaces: the signed-in user's elevations the window last asked through, so that
    /// quitting and the end of the sign-in withdraw what it holds at the broker too (see
    /// `everywhere.rs`).
    broker: std::sync::Mutex<Option<Arc<crate::aws_elevation::AwsElevations>>>,
}

impl Gate {
    pub(crate) fn new(
        workspace: String,
        default_database: Option<String>,
        engine: Box<dyn Engine>,
        policy_client: PolicyClient,
        audit: Arc<Audit>,
        approvals: Option<Approvals>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let now = clock.now().wall;
        let enforced = Arc::new(RwLock::new(policy_client.in_force(now)));
        Self {
            workspace,
            default_database,
            elevation: std::sync::Mutex::new(Elevations::new(
                approvals.map(|q| Arc::new(q) as Arc<dyn Queue>),
            )),
            engine,
            elevated: None,
            enforced,
            last_status: RwLock::new(policy_client.status(now)),
            refresh_every: policy_client.refresh_every(),
            latest_seen_ms: std::sync::atomic::AtomicI64::new(now.timestamp_millis()),
            policy_client: tokio::sync::Mutex::new(policy_client),
            audit,
            clock,
            news: std::sync::Mutex::new(ElevationChanges::default()),
            news_ready: tokio::sync::Notify::new(),
            catalog_cache: None,
            catalog_seen: RwLock::new(None),
            workgroup_rules: None,
            scan_cache: None,
            workgroup_memory: None,
            workgroup_note: std::sync::Mutex::new(None),
            elevated_results: std::sync::Mutex::new(Vec::new()),
            broker: std::sync::Mutex::new(None),
        }
    }

    pub fn workspace(&self) -> &str {
        &self.workspace
    }
    pub fn engine_name(&self) -> &'static str {
        self.engine.name()
    }
    pub fn default_database(&self) -> Option<&str> {
        self.default_database.as_deref()
    }
    /// The elevations that hold now.
    pub fn elevations(&self) -> BTreeSet<String> {
        self.elevation_state().names_at(self.now())
    }
    /// The request ids of the grants that hold now (a grant given again has a new id).
    pub fn held_grants(&self) -> BTreeSet<String> {
        let now = self.now();
        self.elevation_state()
            .active()
            .grants()
            .filter(|g| g.holds_at(now))
            .map(|g| g.request_id.clone())
            .collect()
    }
    pub fn audit(&self) -> &Arc<Audit> {
        &self.audit
    }

    /// Now, on the gate's clock (wall and monotonic).
    pub(crate) fn now(&self) -> Moment {
        self.clock.now()
    }

    pub(crate) fn elevation_state(&self) -> std::sync::MutexGuard<'_, Elevations> {
        self.elevation.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn context(&self, database: Option<&str>) -> LintContext {
        LintContext {
            default_database: database
                .filter(|d| !d.trim().is_empty())
                .map(str::to_string)
                .or_else(|| self.default_database.clone()),
            elevations: self.elevations(),
        }
    }
}
