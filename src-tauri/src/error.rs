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
        Self { kind: "invalid", message: message.into() }
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self { kind: "internal", message: message.into() }
    }
}

impl From<RunError> for CommandError {
    fn from(e: RunError) -> Self {
        let kind = match e {
            RunError::Blocked(_) | RunError::NoPolicy(_) | RunError::Audit(_) => "blocked",
            RunError::Engine(warden_core::EngineError::Cancelled) => "cancelled",
            RunError::Engine(_) => "engine",
        };
        Self { kind, message: e.to_string() }
    }
}

impl From<warden_core::CoreError> for CommandError {
    fn from(e: warden_core::CoreError) -> Self {
        Self::unavailable(e.to_string())
    }
}
