//! Ending everything a gate holds, at the broker too: when the app quits, the user signs out or
//! the sign-in ends by itself, every grant ends and every waiting request is withdrawn in the
//! gate (nothing runs on them from that moment), their keyring entries go, and on an AWS
//! workspace the broker is told, as the window's End button tells it: each request id is
//! withdrawn in the request bucket, so the broker mints nothing more for a grant, ends it (in
//! the Identity Center mode it deletes the account assignment) and grants no waiting request
//! after an approval. The broker gets a few seconds in all ([`BROKER_WAIT`], every withdrawal
//! at once); what it did not hear of in time is recorded as such, never as ended there.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use warden_audit::{CredentialsWiped, Payload};
use warden_elevation::{Grant, PendingRequest, Queue};

use super::changes::ElevationChanges;
use super::signed_out::StoppedWork;
use super::Gate;
use crate::aws_elevation::{until_text, AwsElevations};

/// How long quitting (or the end of the sign-in) waits for the broker to hear of the grants and
/// requests it ends: all the withdrawals are sent at once, and those still unanswered then are
/// given up (quitting never hangs on the network).
pub const BROKER_WAIT: Duration = Duration::from_secs(3);

/// Everything taken out of the gate at once, still to be told to the broker and recorded.
pub(super) struct Taken {
    /// Grants ended, each with how many running queries that needed it were cancelled.
    grants: Vec<(Grant, usize)>,
    waiting: Vec<PendingRequest>,
    approvals: Option<Arc<dyn Queue>>,
}

impl Taken {
    fn is_empty(&self) -> bool {
        self.grants.is_empty() && self.waiting.is_empty()
    }

    /// The request ids of the grants and of the waiting requests, with their elevation's name.
    fn ids(&self) -> Vec<(String, String)> {
        self.grants
            .iter()
            .map(|(g, _)| (g.request_id.clone(), g.name.clone()))
            .chain(self.waiting.iter().map(|r| (r.id.clone(), r.name.clone())))
            .collect()
    }

    pub(super) fn names(&self) -> Vec<String> {
        self.grants.iter().map(|(g, _)| g.name.clone()).collect()
    }
}

/// What the broker was told, by request id: `Ok`, or why not. Empty on the demo (its queue is
/// a folder, written as the withdrawal is recorded).
pub(super) type Told = BTreeMap<String, Result<(), String>>;

impl Gate {
    /// The signed-in user's elevations (AWS) a request from the window was sent through: what
    /// the gate holds or waits on is withdrawn through them when it ends everything
    /// ([`Gate::end_everywhere`]). The latest replaces any earlier one.
    pub(crate) fn use_broker(&self, elevations: Arc<AwsElevations>) {
        *self.broker.lock().unwrap_or_else(|p| p.into_inner()) = Some(elevations);
    }

    /// The app is quitting: every grant ends and every waiting request is withdrawn, in the
    /// gate at once (their running queries cancelled, their keyring entries deleted), and on
    /// an AWS workspace at the broker too (at most [`BROKER_WAIT`]); then recorded
    /// (`elevation_expired` and `lockout`, `elevation_denied`) saying whether the broker heard
    /// of it.
    pub async fn end_everywhere(&self, why: &str) -> StoppedWork {
        self.end_everywhere_within(why, BROKER_WAIT).await
    }

    /// The same, waiting at most `wait` for the broker.
    pub(crate) async fn end_everywhere_within(&self, why: &str, wait: Duration) -> StoppedWork {
        let mut changes = ElevationChanges::default();
        let taken = self.take_everything(&mut changes);
        let mut stopped = StoppedWork {
            ended: taken.names(),
            cancelled: taken.grants.iter().map(|(_, c)| c).sum(),
            ..StoppedWork::default()
        };
        self.settle_everywhere(taken, why, wait, &mut stopped, changes)
            .await;
        stopped
    }

    /// Under the elevation lock: every grant ended (the queries that need it cancelled), every
    /// waiting request no longer waited on, and the grants' engines taken out; then, outside
    /// the lock, their credentials deleted from the keyring (`credentials_wiped`). Nothing is
    /// recorded of the ends yet: that waits for the broker's answer.
    pub(super) fn take_everything(&self, changes: &mut ElevationChanges) -> Taken {
        let now = self.now();
        let (taken, spent) = {
            let mut state = self.elevation_state();
            let mut grants = Vec::new();
            for grant in state.take_all() {
                let cancelled = state.cancel_users_of(&grant.name);
                grants.push((grant, cancelled));
            }
            let waiting = state
                .waiting_ids()
                .iter()
                .filter_map(|id| state.stop_waiting(id))
                .collect();
            let spent = self.take_spent(&mut state, now, changes);
            let approvals = state.approvals().cloned();
            (
                Taken {
                    grants,
                    waiting,
                    approvals,
                },
                spent,
            )
        };
        self.wipe_spent(spent, changes);
        taken
    }

    /// Tells the broker of `taken` (waiting at most `wait`), deletes what is left of it in the
    /// keyring, and records it; then does the same, without waiting again, for anything a
    /// request's background wait put in the gate meanwhile. Fills `stopped`.
    pub(super) async fn settle_everywhere(
        &self,
        taken: Taken,
        why: &str,
        wait: Duration,
        stopped: &mut StoppedWork,
        mut changes: ElevationChanges,
    ) {
        let mut told = self.tell_broker(&taken, why, wait).await;
        self.forget(&taken, why, &mut changes);
        self.record_ends(taken, &told, why, &mut changes);
        // A request granted just before its withdrawal reached the broker may have been put in
        // the gate by its wait while the broker was being told; its withdrawal went out already.
        let late = self.take_everything(&mut changes);
        if !late.is_empty() {
            for (id, _) in late.ids() {
                told.entry(id).or_insert_with(|| {
                    Err("it was granted while the app was ending its other grants".into())
                });
            }
            stopped.ended.extend(late.names());
            self.forget(&late, why, &mut changes);
            self.record_ends(late, &told, why, &mut changes);
        }
        for (id, outcome) in told {
            match outcome {
                Ok(()) => stopped.withdrawn.push(id),
                Err(e) => stopped.not_told.push((id, e)),
            }
        }
        stopped.errors.append(&mut changes.errors);
    }

    /// Withdraws every request of `taken` at the broker, all at once, waiting at most `wait`
    /// (AWS workspaces; nothing on the demo, whose folder queue is written as each withdrawal
    /// is recorded). The broker handle is let go: a later request from the window sets it again.
    async fn tell_broker(&self, taken: &Taken, why: &str, wait: Duration) -> Told {
        let mut told = Told::new();
        if self.elevated.is_none() {
            return told;
        }
        let ids = taken.ids();
        let broker = self.broker.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some(elevations) = broker else {
            for (id, _) in ids {
                told.insert(
                    id,
                    Err("this window has no connection to the broker's request bucket".into()),
                );
            }
            return told;
        };
        let mut set = tokio::task::JoinSet::new();
        for (id, _) in &ids {
            let (elevations, id, why) = (elevations.clone(), id.clone(), why.to_string());
            set.spawn(async move {
                let outcome = elevations.withdraw(&id, &why).await;
                (id, outcome.map_err(|e| e.to_string()))
            });
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, set.join_next()).await {
                Ok(Some(Ok((id, outcome)))) => {
                    told.insert(id, outcome);
                }
                // A withdrawal that panicked: counted below as not told.
                Ok(Some(Err(_))) => {}
                Ok(None) => break,
                Err(_) => {
                    set.abort_all();
                    break;
                }
            }
        }
        for (id, _) in ids {
            told.entry(id).or_insert_with(|| {
                Err(format!(
                    "the request bucket did not answer within {} s",
                    wait.as_secs()
                ))
            });
        }
        told
    }

    /// Nothing of `taken` stays in the keyring: each request's key (so nothing the broker
    /// delivers for it can be opened any more, told or not) and the grant entry a waiting
    /// request's background wait may have kept meanwhile (`credentials_wiped`).
    fn forget(&self, taken: &Taken, why: &str, changes: &mut ElevationChanges) {
        let Some(keys) = self.grant_keys() else {
            return;
        };
        for (id, name) in taken.ids() {
            if let Err(e) = keys.forget_request(&id) {
                changes.errors.push(format!(
                    "the key of request {id} ({name}) could not be deleted from the keyring ({e}); sign out to clear it"
                ));
            }
        }
        for request in &taken.waiting {
            match keys.wipe(&request.name, &request.id) {
                Ok(cleared) if cleared.is_empty() => {}
                Ok(cleared) => {
                    if let Err(e) = self
                        .audit()
                        .record(Payload::CredentialsWiped(CredentialsWiped {
                            reason: format!("{} withdrawn ({why})", request.name),
                            cleared,
                        }))
                    {
                        changes.errors.push(e.to_string());
                    }
                }
                Err(e) => changes.errors.push(format!(
                    "the credentials of {} could not be deleted from the keyring ({e}); sign out to clear them",
                    request.name
                )),
            }
        }
    }

    /// Records the end of every grant of `taken` (`elevation_expired`, `lockout`) and the
    /// withdrawal of every request (`elevation_denied`, and in the demo's folder queue), each
    /// saying whether the broker heard of it.
    fn record_ends(&self, taken: Taken, told: &Told, why: &str, changes: &mut ElevationChanges) {
        for (grant, cancelled) in &taken.grants {
            let reason = match told.get(&grant.request_id) {
                None => why.to_string(),
                Some(Ok(())) => format!("{why}; ended at the broker"),
                Some(Err(e)) => format!(
                    "{why}; the broker could not be told ({e}), so the grant runs on at AWS until {}, but its credentials are deleted from this machine",
                    until_text(grant.expires_at.timestamp_millis())
                ),
            };
            if let Err(e) = self.record_end(grant, *cancelled, &reason) {
                tracing::warn!(elevation = %grant.name, "ended, but {e}");
                changes.errors.push(e.to_string());
            }
        }
        for request in &taken.waiting {
            let reason = match told.get(&request.id) {
                None => why.to_string(),
                Some(Ok(())) => format!("{why}; withdrawn at the broker"),
                Some(Err(e)) => format!(
                    "{why}; the broker could not be told ({e}) and may still grant it, but its key is deleted from this machine, so nothing delivered for it can be opened here"
                ),
            };
            if let Err(e) = self.withdraw(taken.approvals.as_ref(), request, &reason) {
                tracing::warn!(request = %request.id, "withdrawn, but {e}");
                changes.errors.push(e.to_string());
            }
        }
    }
}
