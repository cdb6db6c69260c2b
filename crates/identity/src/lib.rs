//! Warden's identity: sign-in to IAM Identity Center (authorization code with PKCE, or device
//! authorization), the SSO token refreshed one caller at a time, AWS credentials of the
//! workspace's role through a credentials provider, and every secret only in the OS keyring.
//! Tauri-free; the core maps its events to audit events.

pub mod browser;
pub mod clients;
pub mod config;
mod device;
pub mod error;
pub mod events;
pub mod pkce;
mod portal;
pub mod prompt;
pub mod provider;
pub mod registration;
pub mod secret;
pub mod session;
pub mod token;
pub mod vault;

pub use browser::open_url;
pub use config::{Endpoints, SignInConfig};
pub use error::{IdentityError, Result};
pub use events::{EventSink, IdentityEvent, Method, NoEvents};
pub use portal::Account;
pub use prompt::SignInPrompt;
pub use provider::{credential_process_json, CallerIdentity, RoleCredentials, WardenCredentials};
pub use secret::Secret;
pub use session::Session;
pub use vault::{ElevationSlot, Vault};
