use std::path::PathBuf;

/// Why a result could not be stored, read or exported.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("cannot create the result folder in {path}: {reason}; check that the cache folder is writable and the disk has space")]
    Create { path: PathBuf, reason: String },
    #[error("cannot write the result to disk: {0}; check that the disk has space")]
    Write(String),
    #[error("cannot read the stored result: {0}")]
    Read(String),
    #[error("a row has {got} values but the result has {expected} columns")]
    RowWidth { expected: usize, got: usize },
    /// More than a result may take on disk ([`crate::MAX_RESULT_BYTES`]).
    #[error("the result is larger than {} on disk, the most Warden keeps for one result: add a LIMIT, select fewer columns or aggregate", gib(*limit))]
    TooLarge { limit: u64 },
    #[error("the result did not arrive completely: {0}")]
    Incomplete(String),
    #[error("cannot write the export: {0}")]
    Export(String),
    /// The rows were deleted on purpose ([`crate::ResultReader::withdraw`]).
    #[error("the result is no longer kept (its rows were deleted): run the query again")]
    Withdrawn,
    /// The destination refused a write (kept whole, so a closed pipe can be told apart).
    #[error("cannot write the export: {0}")]
    Output(#[source] std::io::Error),
}

fn gib(bytes: u64) -> String {
    if bytes >= 1 << 30 {
        format!("{} GiB", bytes >> 30)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}
