//! Which engine a run gets. On the demo there is one. On an AWS workspace the baseline engine
//! signs with the sign-in's role, and a run whose verdict leans on a grant runs only on that
//! grant's own engine (signed with the credentials the broker delivered for it); a grant whose
//! credentials are missing or past their end means the run is refused (fail closed).
//!
//! A long-lived gate (the app) also locks a grant out in-process when its engine may no longer
//! be used: see [`Gate::lock_out_spent`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use warden_audit::{CredentialsWiped, Payload};
use warden_elevation::{Elevations, Grant, Moment};
use warden_engine::Engine;

use super::changes::{ElevationChanges, EndedElevation};
use super::Gate;

/// How long before its credentials stop working a grant's engine is locked out. The stop of
/// the grant's running queries is signed with the grant's own credentials, and AWS refuses
/// them from the second before the grant's end (the broker's session policy): the stop must go
/// out while they still work, with room for a clock a little ahead of AWS's.
pub const LOCKOUT_LEAD: Duration = Duration::from_secs(5);

/// An engine signing with one grant's credentials, usable until `until_ms`.
pub(crate) struct ElevatedEngine {
    pub request_id: String,
    /// The earlier of the grant's end and its credentials' expiry (ms since the epoch).
    pub until_ms: i64,
    pub engine: Arc<dyn Engine>,
}

impl ElevatedEngine {
    /// The moment (ms since the epoch) from which this engine is no longer used.
    fn spent_from_ms(&self) -> i64 {
        self.until_ms - LOCKOUT_LEAD.as_millis() as i64
    }
}

/// Where a grant's credentials are kept outside the gate (the OS keyring), so that locking the
/// grant out also deletes them there.
pub trait GrantKeys: Send + Sync {
    /// Deletes the credentials of elevation `name` kept for grant `request_id` (and nothing
    /// kept for another grant of that name). Returns the names of what was deleted, as the
    /// journal records them (never a value), or why it could not be done.
    fn wipe(&self, name: &str, request_id: &str) -> Result<Vec<String>, String>;
}

/// The grants' engines of an AWS gate, by elevation name.
#[derive(Default)]
pub(crate) struct ElevatedEngines {
    by_name: BTreeMap<String, ElevatedEngine>,
    keys: Option<Arc<dyn GrantKeys>>,
}

/// The engine a run gets: the gate's own, or a grant's (shared with the gate, so that a grant
/// locked out mid-run can still send the stop with its credentials).
pub(crate) enum Runner<'a> {
    Baseline(&'a dyn Engine),
    Elevated(Arc<dyn Engine>),
}

impl<'a> std::ops::Deref for Runner<'a> {
    type Target = dyn Engine + 'a;
    fn deref(&self) -> &Self::Target {
        match self {
            Runner::Baseline(e) => *e,
            Runner::Elevated(e) => e.as_ref(),
        }
    }
}

/// A grant's engine taken out of the gate: its credentials still to be wiped.
pub(crate) struct Spent {
    name: String,
    request_id: String,
    why: &'static str,
}

impl Gate {
    /// Makes every run that leans on a grant need that grant's own engine (AWS workspaces),
    /// and locking a grant out delete its credentials from `keys`.
    pub(crate) fn require_elevated_engines(&mut self, keys: Option<Arc<dyn GrantKeys>>) {
        let elevated = self
            .elevated
            .get_or_insert_with(|| Mutex::new(ElevatedEngines::default()));
        let elevated = elevated.get_mut().unwrap_or_else(|p| p.into_inner());
        if keys.is_some() {
            elevated.keys = keys;
        }
    }

    fn elevated_engines(&self) -> Option<MutexGuard<'_, ElevatedEngines>> {
        self.elevated
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Holds the grant `request_id` of elevation `name`, from `granted_at_ms` to
    /// `expires_at_ms`, with `engine`, which signs with its credentials until `until_ms`. Taken
    /// as held on the gate's own clocks from now.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn hold_elevated(
        &self,
        request_id: &str,
        name: &str,
        approver: Option<String>,
        granted_at_ms: i64,
        expires_at_ms: i64,
        until_ms: i64,
        engine: Arc<dyn Engine>,
    ) -> Result<(), crate::CoreError> {
        let now = self.now();
        let (Some(granted_at), Some(expires_at)) = (
            chrono::DateTime::from_timestamp_millis(granted_at_ms),
            chrono::DateTime::from_timestamp_millis(expires_at_ms),
        ) else {
            return Err(crate::CoreError::NoElevation(format!(
                "the grant of {name} has dates out of range; ask for it again"
            )));
        };
        let left = (expires_at_ms - now.wall.timestamp_millis()).max(0) as u64;
        let grant = Grant {
            request_id: request_id.to_string(),
            name: name.to_string(),
            granted_at,
            expires_at,
            expires_mono: now.mono + Duration::from_millis(left),
            approver,
        };
        // The state first, then the engines (the order every caller takes them in), so that
        // no check sees the engine without its grant, nor the grant without its engine.
        let mut state = self.elevation_state();
        let Some(mut elevated) = self.elevated_engines() else {
            return Err(crate::CoreError::NoElevation(format!(
                "the {} workspace does not run queries with a grant's own credentials",
                self.workspace
            )));
        };
        elevated.by_name.insert(
            name.to_string(),
            ElevatedEngine {
                request_id: request_id.to_string(),
                until_ms,
                engine,
            },
        );
        drop(elevated);
        // A grant of the same name this gate held before is replaced, not stacked.
        if let Some(old) = state.end(name) {
            if old.request_id != request_id {
                state.cancel_users_of(name);
            }
        }
        state.insert(grant);
        Ok(())
    }

    /// The engine for a run whose verdict leaned on `names` (grants `grants`), or why none.
    pub(crate) fn engine_for(
        &self,
        names: &BTreeSet<String>,
        grants: &[String],
    ) -> Result<Runner<'_>, String> {
        let Some(elevated) = self.elevated_engines() else {
            return Ok(Runner::Baseline(self.engine.as_ref()));
        };
        if names.is_empty() {
            return Ok(Runner::Baseline(self.engine.as_ref()));
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
        if self.now().wall.timestamp_millis() >= held.spent_from_ms() {
            return Err(not_held(name, "its credentials have run out"));
        }
        Ok(Runner::Elevated(held.engine.clone()))
    }

    /// Under the elevation lock: takes out every grant engine that may no longer be used (its
    /// grant is no longer held by this gate, or its credentials are within [`LOCKOUT_LEAD`] of
    /// running out). A grant still held whose credentials run out is ended here, its running
    /// queries cancelled (each sends Athena `StopQueryExecution` through its engine, which the
    /// run still holds) and its end recorded. The credentials are wiped afterwards, outside
    /// the lock ([`Gate::wipe_spent`]).
    pub(crate) fn take_spent(
        &self,
        state: &mut Elevations,
        now: Moment,
        changes: &mut ElevationChanges,
    ) -> Vec<Spent> {
        let Some(mut elevated) = self.elevated_engines() else {
            return vec![];
        };
        let now_ms = now.wall.timestamp_millis();
        let spent: Vec<String> = elevated
            .by_name
            .iter()
            .filter(|(name, e)| {
                let held = state
                    .active()
                    .get(name)
                    .is_some_and(|g| g.request_id == e.request_id && g.holds_at(now));
                !held || now_ms >= e.spent_from_ms()
            })
            .map(|(name, _)| name.clone())
            .collect();
        let mut out = Vec::new();
        for name in spent {
            let Some(engine) = elevated.by_name.remove(&name) else {
                continue;
            };
            let mut why = "the grant ended";
            let grant = state
                .active()
                .get(&name)
                .is_some_and(|g| g.request_id == engine.request_id);
            if grant {
                if let Some(grant) = state.end(&name) {
                    let cancelled = state.cancel_users_of(&name);
                    let lead = LOCKOUT_LEAD.as_millis() as i64;
                    why = if now_ms >= grant.expires_at.timestamp_millis() - lead {
                        "its time ran out"
                    } else {
                        "its credentials ran out"
                    };
                    if let Err(e) = self.record_end(&grant, cancelled, why) {
                        changes.errors.push(e.to_string());
                    }
                    changes.ended.push(EndedElevation {
                        name: grant.name,
                        cancelled,
                    });
                }
            }
            out.push(Spent {
                name,
                request_id: engine.request_id,
                why,
            });
            // `engine` is dropped here; runs still stopping hold their own reference.
        }
        out
    }

    /// Deletes the credentials of grants taken out by [`Gate::take_spent`] from where they are
    /// kept and records `credentials_wiped`. A wipe that fails is reported in `changes` (the
    /// engine is gone all the same, and AWS refuses the credentials after the grant's end).
    pub(crate) fn wipe_spent(&self, spent: Vec<Spent>, changes: &mut ElevationChanges) {
        if spent.is_empty() {
            return;
        }
        let keys = self.elevated_engines().and_then(|e| e.keys.clone());
        for Spent {
            name,
            request_id,
            why,
        } in spent
        {
            let Some(keys) = &keys else {
                continue;
            };
            match keys.wipe(&name, &request_id) {
                Ok(cleared) => {
                    // Wiping removes access: never held back by the journal.
                    if let Err(e) =
                        self.audit()
                            .record(Payload::CredentialsWiped(CredentialsWiped {
                                reason: format!("{name} locked out ({why})"),
                                cleared,
                            }))
                    {
                        changes.errors.push(e.to_string());
                    }
                }
                Err(why) => {
                    let message = format!(
                        "the credentials of {name} could not be deleted from the keyring ({why}); Warden no longer uses them and AWS refuses them after the grant's end; sign out to clear them"
                    );
                    tracing::warn!(elevation = %name, "the lockout could not wipe the grant's credentials");
                    changes.errors.push(message.clone());
                    changes.not_wiped.push((name, message));
                }
            }
        }
    }
}
