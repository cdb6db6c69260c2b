//! Warden's core: where things live on disk, which workspace is in use, and the gate.
//!
//! The desktop app and the CLI talk to this crate only. Query engines are private to it: the
//! one way to execute SQL is [`Gate::run`], which lints the text against the policy and the
//! elevations in force at that moment and hands the engine nothing but the resulting
//! [`warden_guardrails::Approved`]. The policy comes only from a verified, unexpired bundle, and
//! every run is recorded in the audit journal before the engine sees it.

pub mod athena;
#[cfg(all(test, feature = "embedded"))]
mod athena_gate_tests;
pub mod audit;
pub mod aws_elevation;
mod aws_endpoint;
pub mod aws_hold;
pub mod aws_queue;
pub mod broker;
mod bundles;
mod catalog_cache;
mod config;
#[cfg(feature = "embedded")]
mod demo;
mod demo_queries;
mod error;
mod exit_sync;
#[cfg(all(test, feature = "embedded"))]
mod explain_tests;
mod export;
mod files;
#[cfg(test)]
mod foreign_tests;
mod gate;
#[cfg(all(test, feature = "embedded"))]
mod glue_catalog_tests;
pub mod grant_credentials;
mod home;
pub mod identity;
mod policy_catalog;
mod policy_client;
mod results;
mod scan_cache;
#[cfg(all(test, feature = "embedded"))]
mod scan_estimate_tests;
#[cfg(test)]
mod testing;
#[cfg(test)]
mod unsynced_tests;
#[cfg(all(test, feature = "embedded"))]
mod workgroup_tests;
mod workspace;
mod workspace_add;

pub use audit::{Audit, AuditStatusView, EventView};
pub use broker::{BrokerHost, BrokerPass, ElevationSettings};
pub use catalog_cache::CachedCatalog;
pub use config::{AuditSettings, BundleSettings, Config, WorkspaceConfig, WorkspaceKind};
pub use demo_queries::{DemoQuery, DEMO_QUERIES};
pub use error::CoreError;
pub use exit_sync::EXIT_SYNC_LIMIT;
pub use export::{ExportFormat, ExportOptions, Exported, ResultsError, RowExporter};
pub use gate::{
    extended_notice, granted_notice, ElevationChanges, ElevationDecision, EndedElevation,
    Execution, Gate, GrantKeys, HeldCredentials, NoPolicy, Notice, Outcome, PolicyInForce, Renewed,
    RunDetails, RunEnd, RunError, StoppedWork, WorkgroupChoice, LOCKOUT_LEAD, STOP_WAIT,
};
pub use home::Home;
pub use policy_client::{PolicyClient, PolicyRefresh};
pub use results::{KeptResult, ResultStore};
pub use warden_broker::RunReport as BrokerReport;
pub use warden_bundle::{
    FetchResult, FetchVerdict, Health as PolicyHealth, RefreshOutcome, Status as PolicyStatus,
};
pub use warden_elevation::same_person;
pub use warden_elevation::{
    format_duration, ActiveElevation, Approvals, Clock, Decision, DecisionRecord, ElevationError,
    ElevationOption, ElevationStatus, PendingElevation, PendingRequest,
    Refusal as ElevationRefusal, Request as ElevationRequest, SystemClock, WARN_BEFORE,
};
pub use workspace::{list_workspaces, Workspace, WorkspaceListing, WorkspaceSummary, DEMO};
pub use workspace_add::{add_athena_workspace, aws_profiles, NewAthenaWorkspace, NewSignIn};

pub use warden_engine::{
    CancellationToken, CatalogSnapshot, ColumnInfo, EngineError, NamedQueries, NamedQuery, Phase,
    ResultReader, RunTrace, Value, Workgroup,
};
pub use warden_guardrails::{
    check_value as check_parameter_value, Diagnostic, ParameterError, Placeholder, Policy,
    Position, Report, Severity, Span, StatementClass, Verdict,
};
