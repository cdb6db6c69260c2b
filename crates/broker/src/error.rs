/// Why the broker could not do something; every message says what to check. No message ever
/// holds credentials: AWS errors are described by the SDK's error context, which has none.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("AWS {what} failed: {message}; check the broker's role, the region and the endpoint")]
    Aws { what: String, message: String },
    #[error("AWS {what} did not answer within {seconds} s; check the network and the endpoint")]
    Timeout { what: String, seconds: u64 },
    #[error(
        "s3://{bucket}/{key} is larger than {max} bytes, so it is not one of Warden's; remove it"
    )]
    TooLarge {
        bucket: String,
        key: String,
        max: u64,
    },
    #[error("s3://{bucket}/{key} is damaged ({reason}); remove it and ask again")]
    Damaged {
        bucket: String,
        key: String,
        reason: String,
    },
    #[error("{value:?} is not a valid {what}; {hint}")]
    Invalid {
        what: &'static str,
        value: String,
        hint: &'static str,
    },
    #[error("no elevation request {id} in the queue; `warden elevation list` shows the open ones")]
    UnknownRequest { id: String },
    #[error("request {id} appears under more than one requester ({requesters}), so it is not decided; the broker judges none of them until the copies are removed")]
    Ambiguous { id: String, requesters: String },
    #[error("the session policy for {name} is unusable: {reason}; fix elevations.{name}.aws.session_policy")]
    SessionPolicy { name: String, reason: String },
    #[error("elevation {name} has no AWS mapping (elevations.{name}.aws.role_arn); the broker cannot grant it")]
    NoMapping { name: String },
    #[error("cannot encrypt the credentials for request {id}: {reason}")]
    Encrypt { id: String, reason: String },
    #[error("cannot read delivered credentials: {reason}")]
    Decrypt { reason: String },
    #[error("the broker's audit journal refused an event: {0}; nothing further is done until it records again")]
    Journal(#[from] warden_audit::AuditError),
    #[error("state/{id}.json kept changing under the broker ({attempts} attempts); it will try again on the next pass")]
    Contended { id: String, attempts: u32 },
    #[error("the broker's S3 worker stopped: {reason}")]
    Worker { reason: String },
}
