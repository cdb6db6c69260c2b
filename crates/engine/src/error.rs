/// Why an engine could not run a query, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the query failed: {0}")]
    Query(String),
    #[error("the query was cancelled")]
    Cancelled,
    #[error("the engine is not available: {0}")]
    Unavailable(String),
    #[error("the engine runs one statement at a time; this text has {0}")]
    MultipleStatements(usize),
}
