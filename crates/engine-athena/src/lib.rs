//! Amazon Athena as a Warden engine: runs exactly the approved text with
//! `StartQueryExecution` (idempotent per run), polls with backoff, stops on cancel, and reads
//! the result object from S3 as a stream (resuming dropped downloads), falling back to paging
//! `GetQueryResults` when S3 cannot be used. Rows go to the disk-backed result store. The
//! schema comes from Glue. Tauri-free; the caller supplies the SDK configuration.

mod clients;
mod engine;
mod error;
pub mod glue;
pub mod named_queries;
pub mod policy_catalog;
mod projection;
mod read;
mod run;
pub mod scan_size;
mod sdk_error;
mod settings;
pub mod workgroups;

pub use clients::AthenaClients;
pub use engine::{AthenaEngine, AthenaRun, RunEvent};
pub use error::AthenaError;
pub use read::ResultPath;
pub use run::{request_token, RunState, Statistics};
pub use settings::{cost_usd, AthenaSettings};
