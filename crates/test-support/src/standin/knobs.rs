//! What a test can turn on the stand-in: latency, queueing, failures, throttling, refusals.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;

#[derive(Debug, Clone, Default)]
pub struct KnobValues {
    /// Added before answering every Athena call and every S3 read.
    pub latency: Duration,
    /// Time each query spends QUEUED before it runs.
    pub queued: Duration,
    /// Least time each query spends RUNNING (so a test can stop it while it runs).
    pub running_at_least: Duration,
    /// The next N Athena calls answer `ThrottlingException` (HTTP 400).
    pub throttle_next: u32,
    /// The next N Athena calls answer HTTP 500.
    pub fail_calls_next: u32,
    /// The next N queries end FAILED with a system error.
    pub fail_queries_next: u32,
    /// S3 reads through the stand-in's S3 front answer 403 AccessDenied.
    pub refuse_s3_reads: bool,
    /// S3 listings (`ListObjectsV2`) through the front answer 403 AccessDenied.
    pub refuse_s3_lists: bool,
    /// The next S3 read through the front sends this many bytes, then drops the connection.
    pub drop_next_read_after: Option<u64>,
    /// How far ahead of the real time the stand-in judges whether a session has ended, so a
    /// test passes a grant's end without waiting for it.
    pub time_ahead: Duration,
}

/// The knobs, shared between the test and the server.
#[derive(Debug)]
pub struct Knobs {
    values: Mutex<KnobValues>,
    /// Bumped by `release_queued`; each query watches it while it waits QUEUED.
    released: watch::Sender<u64>,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            values: Mutex::default(),
            released: watch::channel(0).0,
        }
    }
}

impl Knobs {
    /// Ends the QUEUED wait of every query the stand-in holds now: they run at once. A test
    /// that holds a query to act meanwhile lets it go when it is done, rather than waiting out
    /// a hold long enough for the slowest machine.
    pub fn release_queued(&self) {
        self.released.send_modify(|n| *n += 1);
    }

    /// What a query taken in now waits on, besides its hold, to leave QUEUED.
    pub(crate) fn queued_release(&self) -> watch::Receiver<u64> {
        self.released.subscribe()
    }

    pub fn get(&self) -> KnobValues {
        self.values
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn set(&self, change: impl FnOnce(&mut KnobValues)) {
        change(&mut self.values.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// Takes one unit of a countdown knob, saying whether it fired.
    pub(crate) fn take(&self, pick: impl FnOnce(&mut KnobValues) -> &mut u32) -> bool {
        let mut values = self.values.lock().unwrap_or_else(|p| p.into_inner());
        let n = pick(&mut values);
        if *n > 0 {
            *n -= 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn take_drop(&self) -> Option<u64> {
        self.values
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drop_next_read_after
            .take()
    }
}
