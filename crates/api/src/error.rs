//! What a failed command sends to the window: a kind the window branches on, and plain words.

use serde::Serialize;
use ts_rs::TS;
use warden_core::{CoreError, EngineError, RunError};

use crate::RunDetails;

/// Why a command failed, as the window tells failures apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// The gate refused: the policy, no policy in force, or the journal cannot record.
    Blocked,
    /// The engine failed to run an allowed query.
    Engine,
    /// The user cancelled the run.
    Cancelled,
    /// The request itself is wrong (a bad filter, a result no longer kept): the user's to fix.
    Invalid,
    /// The workspace could not be opened (its engine not installed, a configuration file to
    /// fix): every command says the same until that is fixed and the app started again.
    Unavailable,
    /// Anything else (the app's state is unusable, a file Warden keeps cannot be written).
    Internal,
}

/// Shape of every rejected command.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(rename = "CommandError")]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
    /// For a run that failed or was cancelled once the engine had it: what is known of it
    /// (the Athena id, the bytes scanned until it ended), for the run details panel.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub run: Option<RunDetails>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            run: None,
        }
    }

    /// This error with the details of the run it ended.
    pub fn with_run(self, run: Option<RunDetails>) -> Self {
        Self { run, ..self }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// A request the policy does not allow is the user's to fix (`invalid`); no elevations or
    /// no approver is a refusal (`blocked`); anything else (the journal) is not the user's.
    pub fn from_request(e: CoreError) -> Self {
        match e {
            CoreError::Elevation(e) => Self::invalid(e.to_string()),
            CoreError::NoElevation(_) | CoreError::NoApprovals(_) => {
                Self::new(ErrorKind::Blocked, e.to_string())
            }
            other => Self::internal(other.to_string()),
        }
    }
}

impl From<RunError> for ApiError {
    fn from(e: RunError) -> Self {
        let kind = match e {
            RunError::Blocked(_)
            | RunError::NoPolicy(_)
            | RunError::Unsynced(_)
            | RunError::Audit(_)
            | RunError::NotHeld(_)
            | RunError::UnlistedColumns(_)
            | RunError::MissingTables(_) => ErrorKind::Blocked,
            RunError::Engine(EngineError::Cancelled) => ErrorKind::Cancelled,
            RunError::Engine(_) => ErrorKind::Engine,
        };
        Self::new(kind, e.to_string())
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        Self::internal(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_reaches_the_window_as_a_kind_and_a_message() {
        let e = ApiError::invalid("that result is no longer kept: run the query again");
        assert_eq!(
            serde_json::to_value(&e).expect("serialises"),
            serde_json::json!({
                "kind": "invalid",
                "message": "that result is no longer kept: run the query again"
            })
        );
        let cancelled = ApiError::from(RunError::Engine(EngineError::Cancelled));
        assert_eq!(cancelled.kind, ErrorKind::Cancelled);
    }
}
