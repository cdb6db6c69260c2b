//! Warden's signed policy bundles: build and sign them, publish them, fetch them, verify them,
//! and keep the last accepted one on disk.
//!
//! The format and the key files are described in docs/bundle.md. Everything that can refuse a
//! bundle is a variant of [`BundleError`] whose message says what to do.

mod archive;
mod atomic;
mod audience;
mod builder;
mod cache;
mod error;
mod fetch;
mod http;
mod keys;
mod location;
mod manifest;
mod publish;
mod refresh;
mod s3;
mod status;
mod verify;

pub use archive::Limits;
pub use audience::Expected;
pub use builder::{build, build_for, parse_duration};
pub use cache::{AcceptOutcome, Cache};
pub use error::BundleError;
pub use fetch::{Fetched, Fetcher, RemoteOptions};
pub use keys::{keygen, public_path, KeyId, PublicKey, SigningKey, TrustStore};
pub use location::{redact, Location};
pub use manifest::{
    FileEntry, Manifest, CATALOG_FILE, FORMAT, MANIFEST_FILE, POLICY_FILE, SIGNATURE_FILE,
};
pub use publish::{publish, publish_with_s3_client, Published};
pub use refresh::{refresh, RefreshOutcome};
pub use status::{FetchResult, FetchVerdict, Health, Status};
pub use verify::{inspect, verify, VerifiedBundle, VerifyOptions};
