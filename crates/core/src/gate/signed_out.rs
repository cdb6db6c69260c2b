//! The end of the AWS sign-in (signed out, a refresh refused, a 401 from the portal): the
//! work that needs it stops.

use std::time::Duration;

use super::Gate;
use crate::ElevationChanges;

/// How long a sign-out waits for running queries to stop at Athena before it clears the
/// credentials the stop itself is signed with.
pub const STOP_WAIT: Duration = Duration::from_secs(10);

/// What [`Gate::stop_aws_work`] stopped.
#[derive(Debug, Default)]
pub struct StoppedWork {
    /// Grants ended, by name.
    pub ended: Vec<String>,
    /// Queries running when the sign-in ended, all cancelled (leaning on a grant or not).
    pub cancelled: usize,
    /// Queries still running when the wait ran out.
    pub still_running: usize,
    /// What could not be recorded or wiped.
    pub errors: Vec<String>,
}

impl Gate {
    /// Every running query is cancelled (each engine sends Athena `StopQueryExecution` while
    /// the credentials still work), every grant ends on the record, its engine is dropped and
    /// its credentials wiped, and waiting requests are withdrawn; then this waits up to `wait`
    /// for the runs to end. Called before a sign-out clears the session, and when the session
    /// ended by itself (its stops may then be refused: the queries' results are not read).
    /// New runs are refused by the credentials provider, which answers only while the session
    /// lasts.
    pub async fn stop_aws_work(&self, why: &str, wait: Duration) -> StoppedWork {
        let ended: Vec<String> = self.elevations().into_iter().collect();
        let cancelled = self.elevation_state().running_count();
        // Grants first, so that each one's end records the queries it cancels.
        self.end_all_elevations(why);
        let now = self.now();
        let mut changes = ElevationChanges::default();
        let spent = {
            let mut state = self.elevation_state();
            state.cancel_all();
            self.take_spent(&mut state, now, &mut changes)
        };
        self.wipe_spent(spent, &mut changes);
        let deadline = tokio::time::Instant::now() + wait;
        while self.elevation_state().running_count() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let still_running = self.elevation_state().running_count();
        if still_running > 0 {
            tracing::warn!(
                still_running,
                "queries still stopping after the sign-in ended"
            );
        }
        StoppedWork {
            ended,
            cancelled,
            still_running,
            errors: changes.errors,
        }
    }
}
