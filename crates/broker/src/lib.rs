//! The elevation broker: the server side of just-in-time elevation on AWS.
//!
//! Requests, approvals and the broker's state live in one S3 bucket whose policy makes an
//! object's key prove its writer (`requests/<requester>/`, `approvals/<approver>/`,
//! `revocations/<approver>/`), so the
//! broker takes who asked and who decided from the key, never from an object's body. An
//! approved grant gets short-lived credentials ([`Minter`], STS `AssumeRole`) bounded by a
//! session policy to the grant's end, delivered encrypted to the key the requester named
//! (`age`, X25519); or, in the Identity Center mode, an account assignment of a permission set
//! ([`IdentityCenter`]) shared by overlapping grants and deleted when the last one ends. [`Broker::run_once`] is one pass over the queue; each action it takes at
//! AWS is recorded in its own audit journal before it happens, and its outcome after. See docs/elevation.md and docs/deploy-aws.md.

mod approvers;
mod assignment;
mod aws;
mod bucket;
mod config;
mod credentials;
mod error;
mod holders;
mod keys;
mod mint;
mod queue;
mod record;
mod run;
mod session_policy;
mod state;

/// The `age` crate, for clients that make the key pair a request names.
pub use age;
pub use approvers::Approvers;
pub use assignment::{
    Assigned, Assignment, IdentityCenter, Outcome as AssignmentOutcome, OPERATION_WAIT,
};
pub use aws::{caller, sdk_config, CALL_TIMEOUT};
pub use bucket::{Bucket, Object, Written, MAX_OBJECT_BYTES};
pub use config::{AwsElevation, BrokerConfig};
pub use credentials::{open_delivery, Credentials};
pub use error::BrokerError;
pub use holders::{Busy, Holders, BUSY_LEASE_MS, UNCERTAIN_GRACE_MS};
pub use keys::{
    approval_key, grant_key, request_key, revocation_key, state_key, withdrawal_key, Key,
};
pub use mint::{Minter, SESSION_SECONDS};
pub use queue::{RequestObject, RevocationRecord, S3Queue};
pub use run::{Broker, RunReport};
pub use session_policy::session_policy;
pub use state::{Extension, GrantState, Status};
