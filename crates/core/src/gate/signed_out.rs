//! The end of the AWS sign-in (signed out, a refresh refused, a 401 from the portal): the
//! work that needs it stops.

use std::time::Duration;

use super::everywhere::BROKER_WAIT;
use super::Gate;
use crate::ElevationChanges;

/// How long a sign-out waits for running queries to stop at Athena before it clears the
/// credentials the stop itself is signed with.
pub const STOP_WAIT: Duration = Duration::from_secs(10);

/// What [`Gate::stop_aws_work`] (or [`Gate::end_everywhere`]) stopped.
#[derive(Debug, Default)]
pub struct StoppedWork {
    /// Grants ended, by name.
    pub ended: Vec<String>,
    /// Queries running when the sign-in ended, all cancelled (leaning on a grant or not).
    pub cancelled: usize,
    /// Queries still running when the wait ran out.
    pub still_running: usize,
    /// AWS: the request ids (grants and waiting requests) withdrawn at the broker.
    pub withdrawn: Vec<String>,
    /// AWS: the request ids the broker could not be told of, and why (a grant runs on at AWS
    /// until its end; its credentials are gone from this machine all the same).
    pub not_told: Vec<(String, String)>,
    /// What could not be recorded or wiped.
    pub errors: Vec<String>,
}

impl Gate {
    /// Every running query is cancelled (each engine sends Athena `StopQueryExecution` while
    /// the credentials still work), every grant ends and its engine is dropped and its
    /// credentials wiped, and waiting requests are withdrawn, at the broker too (as
    /// [`Gate::end_everywhere`] does, while the sign-in can still sign the withdrawals); then
    /// this waits up to `wait` for the runs to end. Called before a sign-out clears the
    /// session, and when the session ended by itself (its stops and withdrawals may then be
    /// refused: the queries' results are not read, and the record says the broker was not
    /// told). New runs are refused by the credentials provider, which answers only while the
    /// session lasts.
    pub async fn stop_aws_work(&self, why: &str, wait: Duration) -> StoppedWork {
        let cancelled = self.elevation_state().running_count();
        let mut changes = ElevationChanges::default();
        // Grants first, so that each one's end records the queries it cancels.
        let taken = self.take_everything(&mut changes);
        self.elevation_state().cancel_all();
        let mut stopped = StoppedWork {
            ended: taken.names(),
            cancelled,
            ..StoppedWork::default()
        };
        // The broker hears of the grants while the queries stop: both signed with the session.
        let runs_end = async {
            let deadline = tokio::time::Instant::now() + wait;
            while self.elevation_state().running_count() > 0
                && tokio::time::Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::join!(
            self.settle_everywhere(taken, why, BROKER_WAIT.min(wait), &mut stopped, changes),
            runs_end
        );
        stopped.still_running = self.elevation_state().running_count();
        if stopped.still_running > 0 {
            tracing::warn!(
                still_running = stopped.still_running,
                "queries still stopping after the sign-in ended"
            );
        }
        stopped
    }
}
