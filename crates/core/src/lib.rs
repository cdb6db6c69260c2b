//! Warden's core: where things live on disk, which workspace is in use, and the gate.
//!
//! The desktop app and the CLI talk to this crate only. Query engines are private to it: the
//! one way to execute SQL is [`Gate::run`], which lints the text against the policy and the
//! elevations in force at that moment and hands the engine nothing but the resulting
//! [`warden_guardrails::Approved`].

mod config;
#[cfg(feature = "embedded")]
mod demo;
pub mod editor;
mod error;
mod gate;
mod home;
mod results;
mod workspace;

pub use config::{Config, WorkspaceConfig, WorkspaceKind};
pub use error::CoreError;
pub use gate::{Execution, Gate, RunError};
pub use home::Home;
pub use results::ResultStore;
pub use workspace::{Workspace, WorkspaceSummary, DEMO};

pub use warden_engine::{CancellationToken, CatalogSnapshot, ColumnInfo, ResultSet, Value};
pub use warden_guardrails::{
    Diagnostic, Policy, Position, Report, Severity, Span, StatementClass, Verdict,
};
