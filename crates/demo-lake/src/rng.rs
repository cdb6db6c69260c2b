//! SplitMix64: tiny, fast and fully specified, so the same seed gives the same lake on every
//! platform and every Rust version (no dependency whose algorithm might change under us).

#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// An independent stream for one part of the lake, so each table and day can be generated
    /// on its own without the others shifting its values.
    pub fn derive(seed: u64, stream: u64, index: u64) -> Self {
        let mut mixer = Rng::new(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        let base = mixer.next_u64();
        Rng::new(base ^ index.wrapping_mul(0xE703_7ED1_A0B4_28DB))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)` with 53 bits of precision.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[low, high]`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        debug_assert!(low <= high);
        let span = high - low + 1;
        low + self.next_u64() % span
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }

    /// Picks from `(item, weight)` pairs in proportion to the weights.
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut ticket = self.next_u64() % total.max(1);
        for (item, weight) in items {
            let weight = u64::from(*weight);
            if ticket < weight {
                return item;
            }
            ticket -= weight;
        }
        &items[items.len() - 1].0
    }

    pub fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_splitmix64_sequence() {
        // First outputs for seed 1234567, from the reference C implementation by Sebastiano Vigna.
        let mut rng = Rng::new(1_234_567);
        assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(rng.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn derived_streams_differ_and_repeat() {
        let a: Vec<u64> = (0..4).map(|_| Rng::derive(7, 1, 0).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::derive(7, 1, 0).next_u64(),
            Rng::derive(7, 1, 1).next_u64()
        );
        assert_ne!(
            Rng::derive(7, 1, 0).next_u64(),
            Rng::derive(7, 2, 0).next_u64()
        );
        assert_ne!(
            Rng::derive(7, 1, 0).next_u64(),
            Rng::derive(8, 1, 0).next_u64()
        );
    }

    #[test]
    fn weighted_follows_the_weights() {
        let mut rng = Rng::new(3);
        let items = [("a", 90), ("b", 10), ("never", 0)];
        let mut a = 0;
        for _ in 0..10_000 {
            match *rng.weighted(&items) {
                "a" => a += 1,
                "never" => panic!("a zero-weight item was picked"),
                _ => {}
            }
        }
        assert!(
            (8_700..9_300).contains(&a),
            "a was picked {a} times out of 10000"
        );
    }

    #[test]
    fn range_is_inclusive_and_bounded() {
        let mut rng = Rng::new(9);
        let values: Vec<u64> = (0..1_000).map(|_| rng.range(3, 5)).collect();
        assert!(values.iter().all(|v| (3..=5).contains(v)));
        assert!(values.contains(&3) && values.contains(&5));
    }
}
