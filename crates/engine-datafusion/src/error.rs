use std::path::PathBuf;

/// Why the embedded engine could not be opened over a lake.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("the data lake folder {} cannot be used: {reason}", path.display())]
    LakeRoot { path: PathBuf, reason: String },
    #[error(
        "table {table} has no data folder at {}; generate the demo lake first (it is created on first use)",
        path.display()
    )]
    MissingTable { table: String, path: PathBuf },
    #[error("table {table} could not be registered: {message}")]
    Register { table: String, message: String },
}
