use std::path::PathBuf;

/// Why the demo lake could not be written or read, with the path involved.
#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not write the Parquet file {}: {message}", path.display())]
    Parquet { path: PathBuf, message: String },
    #[error("could not build the rows of {table}: {message}")]
    Data { table: String, message: String },
    #[error(
        "{} is not empty and holds no Warden demo lake; choose an empty or new folder for the demo data",
        path.display()
    )]
    NotALake { path: PathBuf },
}

impl LakeError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> LakeError {
        let path = path.into();
        move |source| LakeError::Io {
            action,
            path,
            source,
        }
    }
}
