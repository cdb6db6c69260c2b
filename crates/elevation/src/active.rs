use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::Grant;

/// A point in time on both clocks.
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    pub wall: DateTime<Utc>,
    pub mono: Instant,
}

impl Moment {
    pub fn now() -> Self {
        Self {
            wall: Utc::now(),
            mono: Instant::now(),
        }
    }

    /// `self` moved forward by `d` on both clocks (for tests and schedules); a clock that cannot
    /// move that far stays where it is rather than panic.
    pub fn after(self, d: std::time::Duration) -> Self {
        let wall = chrono::Duration::from_std(d)
            .ok()
            .and_then(|span| self.wall.checked_add_signed(span));
        Self {
            wall: wall.unwrap_or(self.wall),
            mono: self.mono.checked_add(d).unwrap_or(self.mono),
        }
    }
}

/// The elevations granted and not yet ended, one grant per name.
#[derive(Debug, Default)]
pub struct Active {
    grants: BTreeMap<String, Grant>,
}

impl Active {
    /// Holds `grant`, replacing an earlier grant of the same name.
    pub fn insert(&mut self, grant: Grant) {
        self.grants.insert(grant.name.clone(), grant);
    }

    /// The names that hold at `now`. A grant past its end is never counted, even before
    /// [`Self::take_expired`] has removed it.
    pub fn names_at(&self, now: Moment) -> BTreeSet<String> {
        self.grants
            .values()
            .filter(|g| g.holds_at(now))
            .map(|g| g.name.clone())
            .collect()
    }

    /// Removes and returns the grants that ended by `now`.
    pub fn take_expired(&mut self, now: Moment) -> Vec<Grant> {
        let ended: Vec<String> = self
            .grants
            .values()
            .filter(|g| !g.holds_at(now))
            .map(|g| g.name.clone())
            .collect();
        ended
            .iter()
            .filter_map(|name| self.grants.remove(name))
            .collect()
    }

    /// Removes the grant of `name` (ended early by its holder, or no longer defined).
    pub fn end(&mut self, name: &str) -> Option<Grant> {
        self.grants.remove(name)
    }

    pub fn get(&self, name: &str) -> Option<&Grant> {
        self.grants.get(name)
    }

    /// Every grant held, in name order (some may have ended and await `take_expired`).
    pub fn grants(&self) -> impl Iterator<Item = &Grant> {
        self.grants.values()
    }

    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn grant(name: &str, at: Moment, secs: u64) -> Grant {
        Grant::starting(
            format!("id-{name}"),
            name.into(),
            at,
            Duration::from_secs(secs),
            None,
        )
        .expect("in range")
    }

    #[test]
    fn grants_hold_until_their_end_and_then_are_taken_out() {
        let t0 = Moment::now();
        let mut active = Active::default();
        active.insert(grant("pii-read", t0, 60));
        active.insert(grant("large-scan", t0, 600));
        assert_eq!(active.names_at(t0).len(), 2);
        let later = t0.after(Duration::from_secs(60));
        assert_eq!(
            active.names_at(later),
            BTreeSet::from(["large-scan".to_string()])
        );
        let ended = active.take_expired(later);
        assert_eq!(
            ended.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
            ["pii-read"]
        );
        assert!(
            active.take_expired(later).is_empty(),
            "an end is reported once"
        );
        assert!(active.get("large-scan").is_some());
    }

    #[test]
    fn turning_the_wall_clock_back_does_not_stretch_a_grant() {
        let t0 = Moment::now();
        let mut active = Active::default();
        active.insert(grant("pii-read", t0, 60));
        // Two minutes later on the monotonic clock, but the wall clock says an hour earlier.
        let skewed = Moment {
            wall: t0.wall - chrono::Duration::hours(1),
            mono: t0.mono + Duration::from_secs(120),
        };
        assert!(active.names_at(skewed).is_empty());
        assert_eq!(active.take_expired(skewed).len(), 1);
    }

    #[test]
    fn a_wall_clock_run_ahead_ends_a_grant_early_rather_than_late() {
        let t0 = Moment::now();
        let mut active = Active::default();
        active.insert(grant("pii-read", t0, 60));
        let ahead = Moment {
            wall: t0.wall + chrono::Duration::hours(1),
            mono: t0.mono,
        };
        assert!(active.names_at(ahead).is_empty());
    }

    #[test]
    fn a_grant_whose_end_no_clock_can_hold_is_refused_not_a_panic() {
        let now = Moment::now();
        for secs in [u64::MAX, u64::MAX / 2, 400_000_000_000_000] {
            let refused = Grant::starting(
                "r".into(),
                "pii-read".into(),
                now,
                Duration::from_secs(secs),
                None,
            );
            assert!(
                matches!(refused, Err(crate::ElevationError::OutOfRange { .. })),
                "{secs}"
            );
        }
    }

    #[test]
    fn moving_a_moment_beyond_what_clocks_hold_does_not_panic() {
        let now = Moment::now();
        let far = now.after(Duration::from_secs(u64::MAX));
        assert_eq!((far.wall, far.mono), (now.wall, now.mono));
        assert!(now.after(Duration::from_secs(60)).mono > now.mono);
    }

    #[test]
    fn a_new_grant_replaces_the_old_one_and_end_removes_it() {
        let t0 = Moment::now();
        let mut active = Active::default();
        active.insert(grant("pii-read", t0, 60));
        active.insert(grant("pii-read", t0, 600));
        assert_eq!(active.grants().count(), 1);
        assert!(active
            .names_at(t0.after(Duration::from_secs(120)))
            .contains("pii-read"));
        assert!(active.end("pii-read").is_some());
        assert!(active.is_empty());
        assert!(active.end("pii-read").is_none());
    }
}
