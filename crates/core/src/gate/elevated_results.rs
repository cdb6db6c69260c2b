//! Rows read under an elevation do not outlive it: the gate watches every result a run that
//! leaned on a grant produced, and the grant's end (whatever ends it: its time, its holder, a
//! new policy, the broker, the sign-in, the app quitting) deletes their chunk files at once,
//! however many readers (the grid's store, an export) still hold them. A run still going is
//! watched too, through its trace: the rows it has stored so far, which the window may already
//! show, go at the grant's end like a finished result's.

use std::collections::BTreeSet;
use std::sync::{Arc, Weak};

use warden_engine::RunTrace;
use warden_results::{ResultReader, WatchedResult};

use super::Gate;

/// A result read under grants, by their request ids.
pub(crate) struct ElevatedResult {
    grants: Vec<String>,
    result: Watched,
}

enum Watched {
    Result(WatchedResult),
    /// A run handed to its engine: whatever result it publishes.
    Run(Weak<RunTrace>),
}

impl Watched {
    fn is_alive(&self) -> bool {
        match self {
            Watched::Result(result) => result.is_alive(),
            Watched::Run(trace) => trace.strong_count() > 0,
        }
    }

    fn withdraw(&self) {
        match self {
            Watched::Result(result) => result.withdraw(),
            Watched::Run(trace) => {
                if let Some(trace) = trace.upgrade() {
                    trace.withdraw_arriving();
                }
            }
        }
    }
}

impl Gate {
    /// Watches `result` when `grants` (request ids) is not empty. A grant that ended while the
    /// run finished gets no chance to be missed: the check and the registration happen under
    /// the elevation lock every end of a grant holds, and a result whose grants no longer all
    /// hold is withdrawn at once.
    pub(crate) fn watch_elevated_result(&self, result: &ResultReader, grants: &[String]) {
        self.watch_elevated(Watched::Result(result.watch()), grants);
    }

    /// Watches the result run `trace` publishes while it goes (see
    /// [`RunTrace::set_arriving`]), under the same rule as [`Self::watch_elevated_result`].
    pub(crate) fn watch_elevated_run(&self, trace: &Arc<RunTrace>, grants: &[String]) {
        self.watch_elevated(Watched::Run(Arc::downgrade(trace)), grants);
    }

    fn watch_elevated(&self, result: Watched, grants: &[String]) {
        if grants.is_empty() {
            return;
        }
        let now = self.now();
        let state = self.elevation_state();
        let held: BTreeSet<&str> = state
            .active()
            .grants()
            .filter(|g| g.holds_at(now))
            .map(|g| g.request_id.as_str())
            .collect();
        if !grants.iter().all(|g| held.contains(g.as_str())) {
            result.withdraw();
            return;
        }
        let mut watched = self.elevated_results();
        // Results nobody reads any more are already gone from disk.
        watched.retain(|w| w.result.is_alive());
        watched.push(ElevatedResult {
            grants: grants.to_vec(),
            result,
        });
    }

    /// Deletes the rows of every result read under grant `request_id`. Called at every end of a
    /// grant, with the elevation lock held.
    pub(crate) fn withdraw_results_of(&self, request_id: &str) -> usize {
        let mut watched = self.elevated_results();
        let mut withdrawn = 0;
        watched.retain(|w| {
            if !w.grants.iter().any(|g| g == request_id) {
                return w.result.is_alive();
            }
            if w.result.is_alive() {
                w.result.withdraw();
                withdrawn += 1;
            }
            false
        });
        withdrawn
    }

    fn elevated_results(&self) -> std::sync::MutexGuard<'_, Vec<ElevatedResult>> {
        self.elevated_results
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}
