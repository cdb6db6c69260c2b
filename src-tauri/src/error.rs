use serde::Serialize;
use warden_core::RunError;

/// What a failed command sends to the window: a kind the UI can branch on and plain words.
#[derive(Debug, Serialize)]
pub struct CommandError {
    pub kind: &'static str,
    pub message: String,
}

impl CommandError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            kind: "invalid",
            message: message.into(),
        }
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self {
            kind: "internal",
            message: message.into(),
        }
    }
}

impl CommandError {
    /// A request the policy does not allow is the user's to fix ("invalid"); anything else
    /// (no policy, the journal) is not.
    pub fn from_request(e: warden_core::CoreError) -> Self {
        match e {
            warden_core::CoreError::Elevation(e) => Self::invalid(e.to_string()),
            warden_core::CoreError::NoElevation(_) | warden_core::CoreError::NoApprovals(_) => {
                Self {
                    kind: "blocked",
                    message: e.to_string(),
                }
            }
            other => Self::unavailable(other.to_string()),
        }
    }
}

impl From<RunError> for CommandError {
    fn from(e: RunError) -> Self {
        let kind = match e {
            RunError::Blocked(_) | RunError::NoPolicy(_) | RunError::Audit(_) => "blocked",
            RunError::Engine(warden_core::EngineError::Cancelled) => "cancelled",
            RunError::Engine(_) => "engine",
        };
        Self {
            kind,
            message: e.to_string(),
        }
    }
}

impl From<warden_core::CoreError> for CommandError {
    fn from(e: warden_core::CoreError) -> Self {
        Self::unavailable(e.to_string())
    }
}
