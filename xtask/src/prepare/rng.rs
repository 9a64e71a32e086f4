//! The seeded random source of the data split: SplitMix64 and a Fisher-Yates shuffle.
//!
//! Why our own: the split is a published fact (`www/assets/data-split.json`), so it must
//! come out identical on every machine and every future build. A 10-line generator
//! whose algorithm is named in the manifest guarantees that; a crate's generator could
//! change its stream in a minor release.

/// SplitMix64 (Steele, Lea & Flood 2014): a 64-bit counter passed through a mixing
/// function. Tiny, fast and statistically fine for shuffling.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound > 0`), by the multiply-high method: the top 64 bits
    /// of `next * bound`. Its bias is below `bound / 2^64`, far under anything
    /// measurable for datasets of thousands, so we skip rejection sampling.
    pub fn below(&mut self, bound: usize) -> usize {
        ((u128::from(self.next_u64()) * bound as u128) >> 64) as usize
    }

    /// In-place Fisher-Yates (Durstenfeld): for i from the end down to 1, swap item i
    /// with a uniformly chosen item in `0..=i`.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_stream() {
        // First outputs of the reference C implementation for seed 0.
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn shuffle_is_a_seeded_permutation() {
        let mut a: Vec<usize> = (0..100).collect();
        let mut b = a.clone();
        SplitMix64::new(42).shuffle(&mut a);
        SplitMix64::new(42).shuffle(&mut b);
        assert_eq!(a, b);
        assert_ne!(a, (0..100).collect::<Vec<_>>());
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = SplitMix64::new(7);
        for bound in 1..200 {
            assert!(rng.below(bound) < bound);
        }
        SplitMix64::new(1).shuffle::<u8>(&mut []);
    }
}
