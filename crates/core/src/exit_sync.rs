//! A short-lived process (the CLI) sends its events to the central store before it exits, so
//! that a journal copied back or thrown away afterwards cannot hide what it ran.

use std::time::Duration;

use warden_audit::{SyncPolicy, SyncReport};

use crate::audit::Audit;
use crate::error::CoreError;

/// How long a CLI run waits for the central store before it exits; what is not sent by then
/// goes with the next sync (the journal keeps it).
pub const EXIT_SYNC_LIMIT: Duration = Duration::from_secs(10);

impl Audit {
    /// Syncs within `limit` (a few quick attempts, no long backoff). `Ok(None)` when the
    /// workspace has no audit store. Stopping part-way is safe: sync is exactly-once across runs.
    pub async fn sync_before_exit(&self, limit: Duration) -> Result<Option<SyncReport>, CoreError> {
        if self.store().is_none() {
            return Ok(None);
        }
        let policy = SyncPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            request_timeout: limit,
            ..SyncPolicy::default()
        };
        match tokio::time::timeout(limit, self.sync_with(None, &policy)).await {
            Ok(outcome) => outcome.map(Some),
            Err(_) => Err(CoreError::AuditSyncTimeout(limit)),
        }
    }
}
