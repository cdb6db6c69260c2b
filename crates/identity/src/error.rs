//! What can go wrong while signing in or getting credentials, in words a user can act on.
//! No variant carries a token, key or secret: messages are built from names, codes and counts.

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("the OS keyring is not available: {reason}. {advice}")]
    KeyringUnavailable { reason: String, advice: String },
    #[error("the OS keyring refused to {action}: {reason}")]
    Keyring { action: String, reason: String },
    #[error(
        "not signed in to workspace `{workspace}`: run `warden login --workspace {workspace}`"
    )]
    SignedOut { workspace: String },
    #[error("the sign-in of workspace `{workspace}` has ended ({why}): sign in again with `warden login --workspace {workspace}`")]
    SessionEnded { workspace: String, why: String },
    #[error("{service} did not answer in time ({what}); check the network or the endpoint and try again")]
    Timeout { service: String, what: String },
    #[error("cannot reach {service} ({what}): {reason}")]
    Unreachable {
        service: String,
        what: String,
        reason: String,
    },
    #[error("{service} refused {what}: {code}{message}")]
    Refused {
        service: String,
        what: String,
        code: String,
        message: String,
    },
    #[error("the device code expired before it was approved: run the sign-in again")]
    DeviceCodeExpired,
    #[error("sign-in was not completed: {0}")]
    SignInAborted(String),
    #[error("the browser sign-in came back with a different `state` than was sent: refused (a stale or forged redirect)")]
    StateMismatch,
    #[error("sign-in configuration: {0}")]
    Config(String),
    #[error("the audit journal could not record {what} ({reason}), so it was undone: nothing happens unrecorded")]
    NotRecorded { what: String, reason: String },
    #[error("the keyring holds an entry Warden cannot read ({entry}); sign out and sign in again")]
    Corrupt { entry: String },
}

pub type Result<T> = std::result::Result<T, IdentityError>;

impl IdentityError {
    /// IAM Identity Center does not know the client registration used (a new instance behind
    /// the same start URL, a registration it dropped): registering again helps.
    pub fn is_unknown_client(&self) -> bool {
        matches!(self, IdentityError::Refused { code, .. } if code == "InvalidClientException")
    }

    /// The access portal refused a role to this user (`ForbiddenException`): they have no
    /// account assignment for it (yet, or any more).
    pub fn is_forbidden(&self) -> bool {
        matches!(self, IdentityError::Refused { code, .. } if code == "ForbiddenException")
    }
}
