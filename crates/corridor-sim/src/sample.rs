//! The few distributions a rehearsal draws from, built on the uniform source of `rand`.
//!
//! Written here rather than taken from `rand_distr` because four short functions
//! do not justify another dependency, and because a zero variability must draw
//! nothing and return exactly 1: that is what makes a rehearsal without
//! uncertainty replay the plan to the second.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// A uniform draw in the open interval (0, 1): safe to take the logarithm of.
fn open01(rng: &mut ChaCha8Rng) -> f64 {
    loop {
        let u: f64 = rng.random();
        if u > 0.0 {
            return u;
        }
    }
}

/// A standard normal draw (Box–Muller; one of the pair is used, for simplicity).
pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let (u1, u2) = (open01(rng), rng.random::<f64>());
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A lognormal factor with mean 1 and coefficient of variation `cv`; exactly 1 (and no draw) when `cv` is 0.
///
/// With σ² = ln(1 + cv²) and μ = −σ²/2, E[exp(μ + σZ)] = exp(μ + σ²/2) = 1.
pub(crate) fn lognormal_factor(rng: &mut ChaCha8Rng, cv: f64) -> f64 {
    if cv <= 0.0 {
        return 1.0;
    }
    let s2 = (1.0 + cv * cv).ln();
    (-s2 / 2.0 + s2.sqrt() * normal(rng)).exp()
}

/// An exponential draw with the given mean.
pub(crate) fn exponential(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    -mean * open01(rng).ln()
}

/// Whether an event with `rate` per unit happens in `amount` units (a Poisson process); no draw when the rate is 0.
pub(crate) fn happens(rng: &mut ChaCha8Rng, rate: f64, amount: f64) -> bool {
    if rate <= 0.0 || amount <= 0.0 {
        return false;
    }
    rng.random::<f64>() < 1.0 - (-rate * amount).exp()
}

/// How many events with `rate` per unit happen in `amount` units: a Poisson count, drawn as
/// exponential gaps until they pass `amount`; no draw when the rate is 0.
///
/// Counted gap by gap rather than by inverting the Poisson distribution because
/// `exp(-rate * amount)` underflows on long spans at high rates; the cost is one
/// draw per event plus one.
pub(crate) fn events(rng: &mut ChaCha8Rng, rate: f64, amount: f64) -> u32 {
    if rate <= 0.0 || amount <= 0.0 {
        return 0;
    }
    let mut n = 0u32;
    let mut at = exponential(rng, 1.0 / rate);
    while at < amount && n < u32::MAX {
        n += 1;
        at += exponential(rng, 1.0 / rate);
    }
    n
}

/// A uniform draw in [0, 1).
pub(crate) fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    rng.random()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn moments(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var.sqrt())
    }

    #[test]
    fn the_lognormal_factor_has_mean_one_and_the_asked_variation() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for cv in [0.1, 0.3, 0.8] {
            let xs: Vec<f64> = (0..200_000)
                .map(|_| lognormal_factor(&mut rng, cv))
                .collect();
            let (mean, sd) = moments(&xs);
            // Standard error of the mean is cv / sqrt(n) ≤ 0.002: 5 of them is a safe margin.
            assert!(
                (mean - 1.0).abs() < 5.0 * cv / (xs.len() as f64).sqrt(),
                "cv {cv}: mean {mean}"
            );
            assert!(
                (sd / mean - cv).abs() < 0.05 * cv + 0.01,
                "cv {cv}: sd {sd}"
            );
            assert!(xs.iter().all(|&x| x > 0.0));
        }
    }

    #[test]
    fn no_variation_draws_nothing_and_is_exactly_one() {
        let mut a = ChaCha8Rng::seed_from_u64(3);
        let b = a.clone();
        assert_eq!(lognormal_factor(&mut a, 0.0), 1.0);
        assert!(!happens(&mut a, 0.0, 10.0));
        assert_eq!(events(&mut a, 0.0, 10.0), 0);
        assert_eq!(a, b);
    }

    #[test]
    fn normal_and_exponential_draws_have_their_moments() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let zs: Vec<f64> = (0..200_000).map(|_| normal(&mut rng)).collect();
        let (m, sd) = moments(&zs);
        assert!(m.abs() < 0.012, "normal mean {m}");
        assert!((sd - 1.0).abs() < 0.01, "normal sd {sd}");
        let es: Vec<f64> = (0..200_000).map(|_| exponential(&mut rng, 30.0)).collect();
        let (m, sd) = moments(&es);
        assert!((m - 30.0).abs() < 0.4, "exponential mean {m}");
        assert!((sd - 30.0).abs() < 0.6, "exponential sd {sd}");
    }

    #[test]
    fn event_counts_have_the_poisson_mean_and_variance() {
        let mut rng = ChaCha8Rng::seed_from_u64(13);
        // Spans short and long, rates low and high: the count's mean and variance are both rate × span.
        for (rate, span) in [(0.5, 1.0), (2.0, 3.0), (10.0, 20.0)] {
            let xs: Vec<f64> = (0..50_000)
                .map(|_| f64::from(events(&mut rng, rate, span)))
                .collect();
            let (m, sd) = moments(&xs);
            let lambda: f64 = rate * span;
            // Standard error of the mean is sqrt(λ / n): 5 of them.
            assert!(
                (m - lambda).abs() < 5.0 * (lambda / xs.len() as f64).sqrt(),
                "rate {rate} span {span}: mean {m}"
            );
            assert!(
                (sd * sd / lambda - 1.0).abs() < 0.05,
                "rate {rate} span {span}: variance {}",
                sd * sd
            );
        }
    }

    #[test]
    fn a_poisson_rate_gives_the_expected_share_of_events() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let n = 100_000;
        let hits = (0..n).filter(|_| happens(&mut rng, 0.5, 1.0)).count();
        let p = 1.0 - (-0.5f64).exp(); // 0.393
        let share = hits as f64 / n as f64;
        assert!((share - p).abs() < 0.01, "share {share}, expected {p}");
    }
}
