//! Where the gate reads the time. Passing a clock in (rather than reading `Utc::now()` inside)
//! lets tests move time forward instead of sleeping, and keeps one place that decides what
//! "now" means: a wall time for dates people read and a monotonic time a user cannot set back.

use crate::Moment;

/// A source of [`Moment`]s.
pub trait Clock: Send + Sync {
    fn now(&self) -> Moment;
}

/// The machine's clocks: the system's wall clock and its monotonic clock, read together.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Moment {
        Moment::now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_moves_forward_on_the_monotonic_clock() {
        let a = SystemClock.now();
        let b = SystemClock.now();
        assert!(b.mono >= a.mono);
        // Both readings are of today, not a default or the epoch.
        assert!(a.wall.timestamp() > 1_700_000_000);
    }
}
