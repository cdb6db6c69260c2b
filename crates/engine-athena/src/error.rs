use warden_engine::EngineError;

/// Why a query on Athena did not give its rows, in words an analyst can act on.
#[derive(Debug, thiserror::Error)]
pub enum AthenaError {
    #[error("Athena could not run the query ({category}): {message}")]
    QueryFailed { category: String, message: String },
    #[error("the query was cancelled")]
    Cancelled,
    #[error("Athena cancelled the query: {0}")]
    CancelledByAthena(String),
    #[error("Athena did not confirm the cancellation of query {0} within {1} s; it may still be running: check it in the Athena console")]
    StopNotConfirmed(String, u64),
    #[error("Athena does not know query {0}; it may have been run in another region or account, or be older than 45 days")]
    UnknownQuery(String),
    #[error("a permission is missing: {action} was refused ({detail}); ask your administrator for {action}")]
    Permission { action: String, detail: String },
    #[error("{action} was not sent: there are no AWS credentials ({detail}); sign in again (`warden login`, or Sign in in the window)")]
    NoCredentials { action: String, detail: String },
    #[error("{action} failed: {detail}")]
    Service { action: String, detail: String },
    #[error("the query result could not be read: {0}")]
    Result(String),
    #[error("the query result could not be stored: {0}")]
    Store(#[from] warden_results::ResultsError),
    #[error("this workspace's Athena settings are incomplete: {0}")]
    Settings(String),
    #[error("the engine runs one statement at a time; this text has {0}")]
    MultipleStatements(usize),
}

impl From<AthenaError> for EngineError {
    fn from(e: AthenaError) -> Self {
        match e {
            AthenaError::Cancelled => EngineError::Cancelled,
            AthenaError::MultipleStatements(n) => EngineError::MultipleStatements(n),
            AthenaError::Service { .. } | AthenaError::Settings(_) => {
                EngineError::Unavailable(e.to_string())
            }
            other => EngineError::Query(other.to_string()),
        }
    }
}

/// Athena's `ErrorCategory` in words.
pub(crate) fn category(code: Option<i32>) -> String {
    match code {
        Some(1) => "an error inside Athena; trying again may work".into(),
        Some(2) => "an error in the query; fix the query".into(),
        Some(3) => "an error of another kind".into(),
        Some(n) => format!("error category {n}"),
        None => "no reason given".into(),
    }
}
