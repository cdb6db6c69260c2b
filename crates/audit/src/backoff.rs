use std::time::Duration;

/// "Full jitter" exponential backoff: a uniformly random wait in [0, min(cap, base * 2^attempt)],
/// so that many devices retrying after an outage do not hammer the store in lockstep.
pub(crate) fn backoff_delay(base: Duration, cap: Duration, attempt: u32) -> Duration {
    let ceiling = base
        .saturating_mul(2u32.saturating_pow(attempt.min(30)))
        .min(cap);
    let millis = ceiling.as_millis().min(u64::MAX as u128) as u64;
    Duration::from_millis(fastrand::u64(0..=millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_up_to_the_cap() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(2);
        for _ in 0..200 {
            assert!(backoff_delay(base, cap, 0) <= Duration::from_millis(100));
            assert!(backoff_delay(base, cap, 3) <= Duration::from_millis(800));
            assert!(backoff_delay(base, cap, 40) <= cap);
        }
        // Jitter: the waits differ.
        let samples: std::collections::HashSet<_> =
            (0..50).map(|_| backoff_delay(base, cap, 4)).collect();
        assert!(samples.len() > 1);
    }
}
