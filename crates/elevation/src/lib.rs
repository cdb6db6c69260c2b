//! Just-in-time elevation, without any user interface or cloud service in it.
//!
//! A [`Request`] names an elevation the policy defines; [`validate`] checks it against that
//! definition (duration, justification, ticket). An approved request becomes a [`Grant`] held in
//! [`Active`], which forgets it the moment it ends, judged by both the wall clock and a
//! monotonic clock so that turning the clock back cannot stretch it. Requests that need a person
//! go through an [`Approvals`] queue (a folder on the demo workspace), decided exactly once;
//! [`judge`] says whether a decision read from it counts. [`Elevations`] is the gate's
//! bookkeeping of all this; it reads no clock: time comes from a [`Clock`] the gate is given.

mod active;
mod approvals;
mod clock;
mod elevations;
mod error;
mod extension;
mod grant;
mod judge;
mod person;
mod queue;
mod request;
mod status;

pub use active::{Active, Moment};
pub use approvals::{Approvals, Decision, DecisionRecord, PendingRequest};
pub use clock::{Clock, SystemClock};
pub use elevations::{Elevations, PENDING_TIMEOUT};
pub use error::ElevationError;
pub use extension::{extend, judge_extension};
pub use grant::Grant;
pub use judge::{approved_until, judge, Denial};
pub use person::{person, same_person};
pub use queue::Queue;
pub use request::{format_duration, validate, Request, Validated, MAX_JUSTIFICATION_CHARS};
pub use status::{
    options, view, ActiveElevation, ElevationOption, ElevationStatus, PendingElevation, Refusal,
    WARN_BEFORE,
};
