//! A clock tests move by hand, so that a test of "the grant ends after a second" advances time
//! by a second instead of sleeping through it.

use std::sync::Mutex;
use std::time::Duration;

use warden_elevation::{Clock, Moment};

/// Starts at the real time it was made and moves only when told to.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Moment>,
}

impl ManualClock {
    pub fn new() -> Self {
        Self {
            now: Mutex::new(Moment::now()),
        }
    }

    /// Moves both clocks forward by `d`.
    pub fn advance(&self, d: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now = now.after(d);
    }

    /// Sets the wall clock back by `d` (as a user or a bad NTP server might); the monotonic
    /// clock does not move.
    pub fn set_wall_back(&self, d: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        let span = chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
        now.wall = now.wall.checked_sub_signed(span).unwrap_or(now.wall);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Moment {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_moves_only_when_told() {
        let clock = ManualClock::new();
        let t0 = clock.now();
        assert_eq!(clock.now().wall, t0.wall);
        clock.advance(Duration::from_secs(90));
        let t1 = clock.now();
        assert_eq!((t1.wall - t0.wall).num_seconds(), 90);
        assert_eq!(t1.mono - t0.mono, Duration::from_secs(90));
        clock.set_wall_back(Duration::from_secs(3600));
        let t2 = clock.now();
        assert_eq!((t1.wall - t2.wall).num_seconds(), 3600);
        assert_eq!(t2.mono, t1.mono);
    }
}
