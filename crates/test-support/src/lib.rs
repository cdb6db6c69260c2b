//! Local servers that Warden's integration tests run against (`moto`, `sso_fake`,
//! `sso_admin_fake`, `standin`, the whole sandbox script in `sandbox`),
//! the small policies several test crates share (`policies`), a clock tests move by hand, and
//! the demo lake generated once for tests that each need a copy (`cached_demo_lake`).
//! Test-only: no library crate depends on this one outside `[dev-dependencies]`.

mod clock;
mod demo_lake;

pub use clock::ManualClock;
pub use demo_lake::{cached_demo_lake, copy_lake};

pub mod moto;
pub mod policies;
pub mod portal_center;
pub mod sandbox;
pub mod sso_admin_fake;
pub mod sso_fake;
pub mod standin;

pub use moto::Moto;
