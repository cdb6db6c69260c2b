//! Which engine a run gets. On the demo there is one. On an AWS workspace the baseline engine
//! signs with the sign-in's role, and a run whose verdict leans on a grant runs only on that
//! grant's own engine (signed with the credentials the broker delivered for it); a grant whose
//! credentials are missing or past their end means the run is refused (fail closed).

use std::collections::{BTreeMap, BTreeSet};

use warden_elevation::Grant;
use warden_engine::Engine;

use super::Gate;

/// An engine signing with one grant's credentials, usable until `until_ms`.
pub(crate) struct ElevatedEngine {
    pub request_id: String,
    /// The earlier of the grant's end and its credentials' expiry (ms since the epoch).
    pub until_ms: i64,
    pub engine: Box<dyn Engine>,
}

/// The grants' engines of an AWS gate, by elevation name.
#[derive(Default)]
pub(crate) struct ElevatedEngines {
    by_name: BTreeMap<String, ElevatedEngine>,
}

impl Gate {
    /// Makes every run that leans on a grant need that grant's own engine (AWS workspaces).
    pub(crate) fn require_elevated_engines(&mut self) {
        self.elevated.get_or_insert_with(ElevatedEngines::default);
    }

    /// Holds `grant` with the engine that signs with its credentials.
    pub(crate) fn hold_elevated(&mut self, grant: Grant, engine: ElevatedEngine) {
        self.require_elevated_engines();
        if let Some(elevated) = self.elevated.as_mut() {
            elevated.by_name.insert(grant.name.clone(), engine);
        }
        self.elevation_state().insert(grant);
    }

    /// The engine for a run whose verdict leaned on `names` (grants `grants`), or why none.
    pub(crate) fn engine_for(
        &self,
        names: &BTreeSet<String>,
        grants: &[String],
    ) -> Result<&dyn Engine, String> {
        let Some(elevated) = &self.elevated else {
            return Ok(self.engine.as_ref());
        };
        if names.is_empty() {
            return Ok(self.engine.as_ref());
        }
        let not_held = |name: &str, why: &str| {
            format!(
                "not allowed: elevation {name} is not held ({why}); ask for it with `warden elevation request {name}`"
            )
        };
        if names.len() > 1 {
            return Err(format!(
                "not allowed: this query leans on {} elevations at once ({}), and on AWS a query runs with one elevation's credentials; split it, or ask for one elevation that covers it",
                names.len(),
                names.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        let name = names.iter().next().map(String::as_str).unwrap_or_default();
        let Some(held) = elevated.by_name.get(name) else {
            return Err(not_held(name, "no credentials for it on this machine"));
        };
        if !grants.contains(&held.request_id) {
            return Err(not_held(name, "its credentials belong to another grant"));
        }
        if self.now().wall.timestamp_millis() >= held.until_ms {
            return Err(not_held(name, "its credentials have run out"));
        }
        Ok(held.engine.as_ref())
    }
}
