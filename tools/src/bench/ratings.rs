//! The ratings `write-config` gives the `queue` scenario's accounts, and
//! the spread the scenario reports of the ratings it saw.
//!
//! The seeded ratings are the normal quantiles around [`MEAN`] with a
//! standard deviation of [`SD`] (the per-player deviation the rating model
//! itself assumes, docs/config-and-data.md §10.4), cut at ±3 SD, so a
//! population of any size has the same shape; a seeded shuffle then deals
//! them to the accounts, so neighbours in name (and in arrival order)
//! are not neighbours in rating. Same count and seed, same ratings.

/// Centre of the seeded ratings: a new player's rating.
pub const MEAN: f64 = 1500.0;
/// Standard deviation of the seeded ratings.
pub const SD: f64 = 200.0;

/// `count` ratings, deterministic in `count` and `seed` (see the module
/// docs), rounded to a tenth of a point.
pub fn spread(count: usize, seed: u64) -> Vec<f64> {
    let mut ratings: Vec<f64> = (0..count)
        .map(|i| {
            let p = (i as f64 + 0.5) / count as f64;
            let z = inverse_normal(p).clamp(-3.0, 3.0);
            ((MEAN + SD * z) * 10.0).round() / 10.0
        })
        .collect();
    let mut rng = SplitMix(seed);
    // Fisher-Yates.
    for i in (1..ratings.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        ratings.swap(i, j);
    }
    ratings
}

/// Mean and standard deviation of `values`; `None` when empty.
pub fn mean_sd(values: &[f64]) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    Some((mean, var.sqrt()))
}

/// The standard normal distribution function (Abramowitz and Stegun
/// 7.1.26 for erf, absolute error below 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// z with `normal_cdf(z) == p`, by bisection over [-8, 8] (60 halvings:
/// far below the precision a rating needs).
fn inverse_normal(p: f64) -> f64 {
    let (mut lo, mut hi) = (-8.0f64, 8.0f64);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if normal_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// SplitMix64: a tiny, well-mixed generator, enough for a shuffle that
/// must only be the same every time.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles_are_right() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.0) - 0.841_344_7).abs() < 1e-6);
        assert!((normal_cdf(-1.959_964) - 0.025).abs() < 1e-6);
        assert!((inverse_normal(0.975) - 1.959_964).abs() < 1e-4);
        assert!((inverse_normal(0.5)).abs() < 1e-6);
    }

    #[test]
    fn spread_is_normal_around_1500_and_deterministic() {
        let a = spread(1000, 7);
        assert_eq!(a, spread(1000, 7));
        assert_ne!(a, spread(1000, 8));
        let (mean, sd) = mean_sd(&a).unwrap();
        assert!((mean - MEAN).abs() < 0.5, "{mean}");
        // The ±3 SD cut takes a little off.
        assert!((sd - SD).abs() < 5.0, "{sd}");
        let min = a.iter().copied().fold(f64::INFINITY, f64::min);
        let max = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert!(
            min >= MEAN - 3.0 * SD && max <= MEAN + 3.0 * SD,
            "{min} {max}"
        );
        assert!(min < 1000.0 && max > 2000.0, "{min} {max}");
        // About 68 % within one SD.
        let inside = a.iter().filter(|r| (*r - MEAN).abs() <= SD).count();
        assert!((670..=700).contains(&inside), "{inside}");
    }

    #[test]
    fn the_shuffle_separates_neighbours() {
        let a = spread(200, 1);
        let mut sorted = a.clone();
        sorted.sort_by(f64::total_cmp);
        assert_ne!(a, sorted);
        // Neighbours in name are as far apart as any two players: the mean
        // gap of consecutive accounts is near 2 SD / sqrt(pi) ≈ 226.
        let mean_gap = a.windows(2).map(|w| (w[0] - w[1]).abs()).sum::<f64>() / 199.0;
        assert!(mean_gap > 150.0, "{mean_gap}");
    }

    #[test]
    fn small_and_empty() {
        assert!(spread(0, 1).is_empty());
        assert_eq!(spread(1, 1), vec![MEAN]);
        assert_eq!(mean_sd(&[]), None);
        assert_eq!(mean_sd(&[1.0, 3.0]), Some((2.0, 1.0)));
    }
}
