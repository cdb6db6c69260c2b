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

use crate::aws_elevation::HeldGrant;
use crate::grant_credentials::GrantCredentials;
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
    /// When the grant itself ends (ms since the epoch): no renewal reaches past it.
    pub grant_end_ms: i64,
    /// The broker's credential set the engine signs with (`grants/.../<set>.age`).
    pub set: u32,
    pub engine: Arc<dyn Engine>,
    /// Where the engine reads its credentials, so a renewal replaces them in place; `None`
    /// for an engine whose credentials cannot be renewed.
    pub credentials: Option<GrantCredentials>,
    /// Why the last attempt to take the broker's next set failed, told at the lockout.
    pub renewal_problem: Option<String>,
    /// Why the broker ended the grant (revoked, ended early elsewhere), when it has: the next
    /// check locks it out at once instead of when its credentials run out.
    pub ended_at_broker: Option<String>,
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

    /// Deletes the key kept for request `request_id` (AWS: the private half of the key its
    /// credentials are delivered to), so that nothing delivered for it can be opened any more.
    /// Nothing to do where no such key is kept.
    fn forget_request(&self, _request_id: &str) -> Result<(), String> {
        Ok(())
    }
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
    why: String,
}

/// What became of a renewal handed to [`Gate::renew_elevated`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewed {
    /// The grant's engine signs with the new set from now on, until `until_ms`.
    Swapped { set: u32, until_ms: i64 },
    /// The engine already signs with this set or a newer one.
    AlreadyCurrent,
}

/// Where a held grant's credentials stand, for the task that renews them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldCredentials {
    pub set: u32,
    /// When the engine stops being used with them (ms since the epoch).
    pub until_ms: i64,
    /// When the grant ends (ms since the epoch).
    pub grant_end_ms: i64,
    /// Why the last look for the broker's next set came to nothing, if it did.
    pub problem: Option<String>,
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

    /// Where the grants' credentials are kept outside the gate, if anywhere.
    pub(super) fn grant_keys(&self) -> Option<Arc<dyn GrantKeys>> {
        self.elevated_engines().and_then(|e| e.keys.clone())
    }

    fn elevated_engines(&self) -> Option<MutexGuard<'_, ElevatedEngines>> {
        self.elevated
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Holds the grant `h` with `engine`, which signs with `h`'s credentials (read from
    /// `credentials`, when given, so that [`Gate::renew_elevated`] can replace them). Taken as
    /// held on the gate's own clocks from now.
    pub(crate) fn hold_elevated(
        &self,
        h: &HeldGrant,
        engine: Arc<dyn Engine>,
        credentials: Option<GrantCredentials>,
    ) -> Result<(), crate::CoreError> {
        let (request_id, name, approver) =
            (h.request_id.as_str(), h.name.as_str(), h.approver.clone());
        let (granted_at_ms, expires_at_ms) = (h.granted_at_ms, h.expires_at_ms);
        let until_ms = h.expires_at_ms.min(h.credentials_expire_at_ms);
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
            extended_at: h
                .extended_at_ms
                .and_then(chrono::DateTime::from_timestamp_millis),
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
                grant_end_ms: expires_at_ms,
                set: h.set,
                engine,
                credentials,
                renewal_problem: None,
                ended_at_broker: None,
            },
        );
        drop(elevated);
        // A grant of the same name this gate held before is replaced, not stacked.
        if let Some(old) = state.end(name) {
            if old.request_id != request_id {
                state.cancel_users_of(name);
                self.withdraw_results_of(&old.request_id);
            }
        }
        state.insert(grant);
        Ok(())
    }

    /// The credentials the gate holds for grant `request_id` of `name`, or `None` when it no
    /// longer holds that grant (ended, locked out, replaced).
    pub fn held_credentials(&self, name: &str, request_id: &str) -> Option<HeldCredentials> {
        let elevated = self.elevated_engines()?;
        let e = elevated.by_name.get(name)?;
        (e.request_id == request_id).then(|| HeldCredentials {
            set: e.set,
            until_ms: e.until_ms,
            grant_end_ms: e.grant_end_ms,
            problem: e.renewal_problem.clone(),
        })
    }

    /// Gives the grant's engine the broker's newer credential set `h` (as opened into the
    /// keyring): queries already running sign their next call with it, and the grant is used
    /// until the earlier of its end and the new set's expiry. Refused when the gate no longer
    /// holds that grant, when its credentials have already run out (the lockout is under way:
    /// a grant is never revived), or when its engine cannot take new credentials.
    pub fn renew_elevated(&self, h: &HeldGrant) -> Result<Renewed, crate::CoreError> {
        let now_ms = self.now().wall.timestamp_millis();
        let refused = |why: &str| {
            crate::CoreError::NoElevation(format!(
                "the new credentials of {} were not taken: {why}",
                h.name
            ))
        };
        let Some(mut elevated) = self.elevated_engines() else {
            return Err(refused("this gate holds no AWS grants"));
        };
        let Some(e) = elevated
            .by_name
            .get_mut(&h.name)
            .filter(|e| e.request_id == h.request_id)
        else {
            return Err(refused("the grant is no longer held here"));
        };
        if now_ms >= e.spent_from_ms() {
            return Err(refused("its credentials ran out before they arrived"));
        }
        if h.set <= e.set {
            return Ok(Renewed::AlreadyCurrent);
        }
        let Some(credentials) = &e.credentials else {
            return Err(refused("its engine cannot change credentials"));
        };
        credentials.replace(h.sdk_credentials());
        // Never past the grant's end as this gate took it, whatever the set says.
        e.until_ms = h.credentials_expire_at_ms.min(e.grant_end_ms);
        e.set = h.set;
        e.renewal_problem = None;
        tracing::info!(elevation = %h.name, set = h.set, "the grant's credentials were renewed");
        Ok(Renewed::Swapped {
            set: h.set,
            until_ms: e.until_ms,
        })
    }

    /// Moves the end of the grant `h` names in its engine to `h`'s (an extension): the engine is
    /// used until the earlier of that end and when the credentials it signs with stop working
    /// (`h`'s, when it is the set the engine holds; a newer set is taken by
    /// [`Gate::renew_elevated`]). Called under the elevation lock.
    pub(crate) fn extend_elevated(&self, h: &HeldGrant) -> Result<(), crate::CoreError> {
        let Some(mut elevated) = self.elevated_engines() else {
            return Err(crate::CoreError::NoElevation(
                "this gate holds no AWS grants".into(),
            ));
        };
        let Some(e) = elevated
            .by_name
            .get_mut(&h.name)
            .filter(|e| e.request_id == h.request_id)
        else {
            return Err(crate::CoreError::NoElevation(format!(
                "the grant of {} is no longer held here",
                h.name
            )));
        };
        e.grant_end_ms = h.expires_at_ms;
        if h.set == e.set {
            e.until_ms = h.credentials_expire_at_ms.min(h.expires_at_ms);
        }
        Ok(())
    }

    /// Notes why the broker's next set could not be taken for grant `request_id` of `name`;
    /// if none arrives before the current credentials run out, the lockout records it.
    pub fn renewal_failed(&self, name: &str, request_id: &str, why: &str) {
        if let Some(mut elevated) = self.elevated_engines() {
            if let Some(e) = elevated
                .by_name
                .get_mut(name)
                .filter(|e| e.request_id == request_id)
            {
                e.renewal_problem = Some(why.to_string());
            }
        }
    }

    /// Notes that the broker has ended grant `request_id` of `name` (`why`: its words): the
    /// gate's next check locks the grant out as at its end, and records why.
    pub fn ended_at_broker(&self, name: &str, request_id: &str, why: &str) {
        if let Some(mut elevated) = self.elevated_engines() {
            if let Some(e) = elevated
                .by_name
                .get_mut(name)
                .filter(|e| e.request_id == request_id)
            {
                e.ended_at_broker = Some(why.to_string());
            }
        }
        // The lockout should not wait for the check's next tick.
        self.wake_check();
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
        self.take_engines(state, now, changes, true)
    }

    /// Under the elevation lock: takes out the engines of grants the gate no longer holds
    /// (ended just before), and no other; the credentials are wiped afterwards
    /// ([`Gate::wipe_spent`]). A run uses it after ending what the policy in force ends: a
    /// grant whose credentials ran out is refused by [`Gate::engine_for`], saying so, and
    /// locked out at the next check.
    pub(crate) fn take_let_go(
        &self,
        state: &mut Elevations,
        now: Moment,
        changes: &mut ElevationChanges,
    ) -> Vec<Spent> {
        self.take_engines(state, now, changes, false)
    }

    fn take_engines(
        &self,
        state: &mut Elevations,
        now: Moment,
        changes: &mut ElevationChanges,
        spent_too: bool,
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
                !held || (spent_too && (now_ms >= e.spent_from_ms() || e.ended_at_broker.is_some()))
            })
            .map(|(name, _)| name.clone())
            .collect();
        let mut out = Vec::new();
        for name in spent {
            let Some(engine) = elevated.by_name.remove(&name) else {
                continue;
            };
            let mut why = "the grant ended".to_string();
            let grant = state
                .active()
                .get(&name)
                .is_some_and(|g| g.request_id == engine.request_id);
            if grant {
                if let Some(grant) = state.end(&name) {
                    let cancelled = state.cancel_users_of(&name);
                    let lead = LOCKOUT_LEAD.as_millis() as i64;
                    why = if let Some(reason) = &engine.ended_at_broker {
                        format!("the broker ended it: {reason}")
                    } else if now_ms >= grant.expires_at.timestamp_millis() - lead {
                        "its time ran out".into()
                    } else {
                        match &engine.renewal_problem {
                            Some(problem) => format!(
                                "its credentials ran out: the broker's next set could not be taken ({problem})"
                            ),
                            None => "its credentials ran out".into(),
                        }
                    };
                    if let Err(e) = self.record_end(&grant, cancelled, &why) {
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
        let keys = self.grant_keys();
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
