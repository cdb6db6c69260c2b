use std::path::PathBuf;

/// Why an elevation request or decision was refused; every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ElevationError {
    #[error("the policy in force has no elevation named {name:?}; it defines: {known}")]
    Unknown { name: String, known: String },
    #[error("{name} may last at most {max}; ask for {max} or less")]
    TooLong { name: String, max: String },
    #[error("{name} cannot be granted for that long: its end is beyond what the clocks can tell")]
    OutOfRange { name: String },
    #[error("a duration of zero grants nothing; ask for at least one second")]
    ZeroDuration,
    #[error("{name} needs a justification: say why you need it (the ticket or the question you are answering)")]
    JustificationRequired { name: String },
    #[error("the justification is {chars} characters long; keep it to {max}")]
    JustificationTooLong { chars: usize, max: usize },
    #[error("the justification contains control characters; write plain text")]
    ControlCharacters,
    #[error("{name} needs a ticket reference matching {pattern}")]
    TicketRequired { name: String, pattern: String },
    #[error("a ticket reference is one line of at most {max} characters")]
    BadTicket { max: usize },
    #[error("ticket {ticket:?} does not match {pattern}; give a reference in the form the policy asks for")]
    TicketMismatch { ticket: String, pattern: String },
    #[error("the policy's ticket pattern for {name} does not compile ({reason}); ask the security team to fix the policy")]
    BadTicketPattern { name: String, reason: String },
    #[error("{name} is already active until {until}; end it first to ask again")]
    AlreadyActive { name: String, until: String },
    #[error("there is no held grant {id} to extend (it ended, or was never given here); ask for {name} again instead")]
    NotHeld { name: String, id: String },
    #[error("grant {id} is of {held}, not {name}; an extension asks more time for the elevation it names")]
    OtherElevation {
        name: String,
        held: String,
        id: String,
    },
    #[error("{name} would then end at {until}, more than {max} from now (the most it may hold); ask for at most {most} more")]
    PastMaximum {
        name: String,
        until: String,
        max: String,
        most: String,
    },
    #[error("a request for {name} is already waiting for an approver (request {id})")]
    AlreadyPending { name: String, id: String },
    #[error("there is no request {id} in the approval queue; `warden elevation list` shows the open ones")]
    UnknownRequest { id: String },
    #[error("request {id} was already {decision} by {approver}; a request is decided once")]
    AlreadyDecided {
        id: String,
        decision: String,
        approver: String,
    },
    #[error("{user} made request {id}; someone else must decide it")]
    SelfApproval { user: String, id: String },
    #[error("a denial needs a reason the requester can act on (--reason)")]
    DenialWithoutReason,
    #[error("the reason is {chars} characters long or holds control characters; write one plain line of at most {max}")]
    BadReason { chars: usize, max: usize },
    #[error("only {requester}, who made request {id}, may withdraw it")]
    NotYours { requester: String, id: String },
    #[error("{id:?} is not a request id (they look like 01890a5d-ac96-7a3e-8f1e-5c2b1d0e9f00)")]
    BadRequestId { id: String },
    #[error("cannot use the approval queue at {path}: {source}; check that the folder exists and is writable")]
    Store {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the approval queue file {path} is damaged ({reason}); move it aside and ask for the request again")]
    Damaged { path: PathBuf, reason: String },
    /// A queue kept in a cloud service (the S3 queue of `crates/broker`) could not be used.
    #[error("cannot use the approval queue at {url}: {reason}")]
    Remote { url: String, reason: String },
}
