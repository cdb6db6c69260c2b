//! A disk-backed result store: rows stream in from an engine and are written as Arrow IPC
//! chunk files in the cache folder, so memory stays flat whatever the size of the result.
//! Readers page from the chunks already written while the rest is still arriving, and export
//! to CSV or JSON one chunk at a time.

mod chunk;
mod error;
mod export;
mod store;
mod value;

pub use error::ResultsError;
pub use export::{write_atomically, ExportFormat, ExportOptions, RowExporter};
pub use store::{
    create, from_rows, remove_stale, ResultReader, ResultWriter, Snapshot, WatchedResult,
    CHUNK_ROWS, FIRST_CHUNK_ROWS, MAX_RESULT_BYTES,
};
pub use value::{ColumnInfo, Value};
