//! A small deterministic PRNG (xorshift64*): the interleave rule draws
//! with it, so the same seed and input always give the same decisions.

/// xorshift64* (Vigna, 2016).
///
/// # Invariants
/// `state` is never zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prng {
    state: u64,
}

impl Prng {
    /// A generator seeded with `seed` (zero is mapped to a fixed odd seed).
    pub fn new(seed: u64) -> Self {
        Prng {
            state: if seed == 0 {
                0x853C_49E6_748F_EA9B
            } else {
                seed
            },
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `0..bound` (0 when `bound` is 0), by Lemire's
    /// multiply-shift (bias below 2^-32 for the bounds used here).
    pub fn below(&mut self, bound: u64) -> u64 {
        (u128::from(self.next_u64()).wrapping_mul(u128::from(bound)) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_bounded() {
        let (mut a, mut b) = (Prng::new(7), Prng::new(7));
        for _ in 0..100 {
            let x = a.below(10);
            assert_eq!(x, b.below(10));
            assert!(x < 10);
        }
        assert_eq!(Prng::new(0).below(0), 0);
    }

    #[test]
    fn draws_cover_the_range_roughly_evenly() {
        let mut p = Prng::new(1);
        let mut hist = [0u32; 4];
        for _ in 0..40_000 {
            hist[p.below(4) as usize] += 1;
        }
        assert!(
            hist.iter().all(|&h| (9_000..11_000).contains(&h)),
            "{hist:?}"
        );
    }
}
