//! Seeded random streams derived deterministically from (seed, component name).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The random generator handed to simulation components.
pub type SimRng = ChaCha8Rng;

/// The run's seed, from which every component derives its own stream.
///
/// A stream depends only on the seed and the component's name (a stable FNV-1a hash
/// mixed by SplitMix64, independent of the Rust version or platform), so adding a
/// component never changes the numbers another component draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RngStreams {
    seed: u64,
}

impl RngStreams {
    /// Streams for the run seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        RngStreams { seed }
    }

    /// The run seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The stream of the component called `name` (for example `"dram.ch3.refresh"`).
    pub fn stream(&self, name: &str) -> SimRng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in name.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        let mut state = self.seed ^ h.rotate_left(17);
        let mut key = [0u8; 32];
        for chunk in key.chunks_mut(8) {
            chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
        }
        ChaCha8Rng::from_seed(key)
    }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_deterministic_and_distinct() {
        let s = RngStreams::new(42);
        let a1: Vec<u64> = s
            .stream("a")
            .sample_iter(rand::distributions::Standard)
            .take(4)
            .collect();
        let a2: Vec<u64> = s
            .stream("a")
            .sample_iter(rand::distributions::Standard)
            .take(4)
            .collect();
        let b: Vec<u64> = s
            .stream("b")
            .sample_iter(rand::distributions::Standard)
            .take(4)
            .collect();
        let a_other_seed: Vec<u64> = RngStreams::new(43)
            .stream("a")
            .sample_iter(rand::distributions::Standard)
            .take(4)
            .collect();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        assert_ne!(a1, a_other_seed);
    }
}
