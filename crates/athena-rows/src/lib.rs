//! Athena's result rows: the CSV it writes to S3 (or the text of a DDL statement) parsed as the
//! bytes stream in, or the rows of a `GetQueryResults` page, typed by the result's column types
//! and written to the result store.
//!
//! A crate of its own because this is the per-row work of a result: the root `Cargo.toml`
//! optimises it in debug builds too (what `make run` builds), so a million rows arrive in
//! seconds, while the Athena engine's SDK code and its many tests build unoptimised (optimised,
//! they took 277 of a cold test build's 2,122 unit-seconds: docs/performance.md, "Tests").

pub mod csv;
mod kind;
mod rows;

pub use csv::{CsvError, CsvStream, Fields};
pub use kind::Kind;
pub use rows::{CsvRows, RowError, Rows};
