//! The random draws the generator needs, all from one seeded ChaCha8 stream.
//!
//! Every method takes care that no draw can panic, whatever the options:
//! empty ranges and out-of-range probabilities are handled here, not by `rand`.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A seeded source of draws.
pub(crate) struct Draw {
    rng: ChaCha8Rng,
}

impl Draw {
    /// The stream for a seed: the same seed always gives the same draws.
    pub(crate) fn new(seed: u64) -> Draw {
        Draw {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        self.rng.random::<f64>()
    }

    /// Uniform in `[lo, hi)`.
    pub(crate) fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform whole number in `lo..=hi` (`lo` when the range is empty).
    pub(crate) fn int(&mut self, lo: u32, hi: u32) -> u32 {
        if hi <= lo {
            lo
        } else {
            self.rng.random_range(lo..=hi)
        }
    }

    /// Uniform index in `0..n` (0 when `n` is 0).
    pub(crate) fn index(&mut self, n: usize) -> usize {
        if n <= 1 {
            0
        } else {
            self.rng.random_range(0..n)
        }
    }

    /// True with probability `p` (clamped to `[0, 1]`).
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Standard normal, by the Box–Muller transform.
    pub(crate) fn normal(&mut self) -> f64 {
        // 1 - unit() lies in (0, 1], so the logarithm is finite.
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Poisson(`lambda`) by Knuth's method (fine for the small means used here).
    pub(crate) fn poisson(&mut self, lambda: f64) -> u32 {
        let limit = (-lambda).exp();
        let mut k = 0u32;
        let mut p = 1.0;
        loop {
            p *= self.unit();
            if p <= limit || k >= 1000 {
                return k;
            }
            k += 1;
        }
    }

    /// An index drawn with probability proportional to `cumulative[i] - cumulative[i - 1]`.
    ///
    /// `cumulative` is the running sum of positive weights; an empty slice gives 0.
    pub(crate) fn weighted(&mut self, cumulative: &[f64]) -> usize {
        let Some(&total) = cumulative.last() else {
            return 0;
        };
        let x = self.unit() * total;
        cumulative
            .partition_point(|&c| c <= x)
            .min(cumulative.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_mean_is_close() {
        let mut d = Draw::new(3);
        let n = 20_000;
        let sum: u64 = (0..n).map(|_| u64::from(d.poisson(4.0))).sum();
        let mean = sum as f64 / f64::from(n);
        assert!((mean - 4.0).abs() < 0.1, "mean {mean}");
    }

    #[test]
    fn weighted_follows_the_weights() {
        let mut d = Draw::new(5);
        let cumulative = [1.0, 1.0, 4.0]; // weights 1, 0, 3
        let mut counts = [0u32; 3];
        for _ in 0..8000 {
            counts[d.weighted(&cumulative)] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!((1700..2300).contains(&counts[0]), "{counts:?}");
    }

    #[test]
    fn empty_ranges_do_not_panic() {
        let mut d = Draw::new(1);
        assert_eq!(d.int(3, 3), 3);
        assert_eq!(d.int(4, 2), 4);
        assert_eq!(d.index(0), 0);
        assert_eq!(d.weighted(&[]), 0);
    }
}
