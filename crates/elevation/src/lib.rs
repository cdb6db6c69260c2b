//! Just-in-time elevation, without any user interface or cloud service in it.
//!
//! A [`Request`] names an elevation the policy defines; [`validate`] checks it against that
//! definition (duration, justification, ticket). An approved request becomes a [`Grant`] held in
//! [`Active`], which forgets it the moment it ends, judged by both the wall clock and a
//! monotonic clock so that turning the clock back cannot stretch it. Requests that need a person
//! go through an [`Approvals`] queue (a folder on the demo workspace), decided exactly once.

mod active;
mod approvals;
mod error;
mod grant;
mod request;

pub use active::{Active, Moment};
pub use approvals::{Approvals, Decision, DecisionRecord, PendingRequest};
pub use error::ElevationError;
pub use grant::Grant;
pub use request::{format_duration, validate, Request, Validated, MAX_JUSTIFICATION_CHARS};
