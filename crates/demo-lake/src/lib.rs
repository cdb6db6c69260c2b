//! A deterministic sample data lake for Warden's demo workspace.
//!
//! [`generate`] writes Parquet files in Athena's layout,
//! `<root>/<database>/<table>/dt=YYYY-MM-DD/part-0.parquet` (tables without partitions keep
//! their file directly in the table folder), from a seed: the same seed gives byte-identical
//! files. [`describe`] tells what the tables hold, including which columns carry personal data,
//! so a demo policy can be written against it. Nothing binary is kept in git; the lake is
//! generated on first use in well under a second in release builds.

mod calendar;
mod error;
mod fake;
mod lake;
mod open_policy;
mod rng;
mod spec;
mod summary;
mod tables;

pub use error::LakeError;
pub use fake::luhn_valid;
pub use lake::{ensure, existing, generate, GENERATOR_VERSION, MARKER_FILE};
pub use open_policy::open_policy_yaml;
pub use spec::{describe, ColumnSpec, ColumnType, TableSpec, TAG_PII, TAG_RESTRICTED};
pub use summary::{LakeSummary, TableSummary};

/// The seed of the lake shipped with the demo workspace.
pub const DEFAULT_SEED: u64 = 20_250_901;
