//! Whom a bundle is for. A trusted key signs the policies of every team; a workspace must still
//! take only its own team's bundle, or anyone could swap in another team's policy (signed, valid,
//! and looser) by serving it from the workspace's source.

use serde::{Deserialize, Serialize};

use crate::error::BundleError;
use crate::verify::VerifiedBundle;

/// What a workspace's cache accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    /// The bundle name the configuration pins. Without it, the first name the cache accepted is
    /// kept in its state and pinned from then on.
    pub name: Option<String>,
    /// This workspace's audience: a manifest that names an audience must name this one.
    pub audience: Option<String>,
}

impl Expected {
    /// Refuses a bundle made for another workspace: another name than the pinned one
    /// (configured, else `first_accepted`), or another audience in its signed manifest.
    pub(crate) fn check(
        &self,
        bundle: &VerifiedBundle,
        first_accepted: Option<&str>,
    ) -> Result<(), BundleError> {
        let pinned = match (&self.name, first_accepted) {
            (Some(name), _) => Some((name.as_str(), "the workspace's configuration")),
            (None, Some(name)) => Some((name, "the first bundle this workspace accepted")),
            (None, None) => None,
        };
        if let Some((expected, by)) = pinned {
            if bundle.name() != expected {
                return Err(BundleError::ForeignBundle {
                    name: bundle.name().to_string(),
                    expected: expected.to_string(),
                    pinned_by: by.to_string(),
                });
            }
        }
        if let Some(audience) = bundle.manifest().audience.as_deref() {
            if self.audience.as_deref() != Some(audience) {
                return Err(BundleError::WrongAudience {
                    name: bundle.name().to_string(),
                    audience: audience.to_string(),
                    workspace: self
                        .audience
                        .clone()
                        .unwrap_or_else(|| "(unnamed)".to_string()),
                });
            }
        }
        Ok(())
    }
}
