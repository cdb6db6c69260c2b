//! The embedded query engine of Warden's demo workspace: DataFusion over a local Parquet lake
//! laid out as Athena lays out S3 (`<root>/<database>/<table>/dt=YYYY-MM-DD/*.parquet`).
//!
//! It implements [`warden_engine::Engine`]: it executes only an [`warden_engine::Approved`]
//! query, plans the very statement the guardrails parsed (the text is not parsed again),
//! refuses anything that is not a read, honours cancellation, and reports the Parquet bytes it
//! read, so partition pruning is as visible as in Athena's "data scanned".
//!
//! The app does not link it: it runs as `warden-demo-engine` (`src/main.rs`), a process the
//! app's `warden-demo-client` starts and hands approved statements to, and [`Lake`] is what
//! that process runs them on.

mod catalog;
mod engine;
mod error;
mod metrics;
mod names;
mod read_only;
mod register;
mod stack;

pub use engine::{BatchSink, DataFusionEngine, Lake, DEFAULT_MEMORY_LIMIT};
pub use error::OpenError;
pub use stack::QUERY_STACK_BYTES;
