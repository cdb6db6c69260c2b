//! The demo workspace's engine, run in a process of its own.
//!
//! DataFusion, Arrow's kernels and Parquet are most of what a build of Warden with an engine
//! weighs, and only the demo workspace uses them. They live in a separate executable,
//! `warden-demo-engine` (crate `warden-engine-datafusion`, shipped in the `warden-demo`
//! package), and this crate is the app's side of it:
//!
//! - [`DemoEngine`] implements [`warden_engine::Engine`]: it takes only an
//!   [`warden_engine::Approved`] query, hands the engine the very statement the guardrails
//!   checked (see [`protocol::statement_text`]), and streams the rows into the result store.
//!   Cancelling a run kills its process.
//! - [`ensure_lake`] has the engine generate the demo lake.
//! - [`protocol`] is what crosses the pipes, shared with the engine.
//! - [`program`] finds the executable.

mod catalog;
pub mod convert;
mod engine;
mod error;
mod lake;
mod locate;
pub mod protocol;
mod stderr;
pub mod types;
mod worker;

pub use catalog::snapshot as catalog_snapshot;
pub use engine::DemoEngine;
pub use error::DemoError;
pub use lake::ensure_lake;
pub use locate::{program, PROGRAM};
