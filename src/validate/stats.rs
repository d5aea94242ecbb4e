//! Error statistics of predicted against reference values.
//!
//! Per case: the signed percentage error `100 (p − r) / r` and its absolute value (APE).
//! Per group of cases:
//!
//! * weighted error `100 Σ|p − r| / Σ r` (large cases count more; the paper's NS-3 metric);
//! * MAPE, the mean APE (every case counts the same; the paper's vLLM metric);
//! * the largest APE and the bias (mean signed error: positive means over-prediction);
//! * Pearson's r of the values, and Spearman's ρ and Kendall's τ-b of their rankings (for a
//!   design-space search the order matters more than the values);
//! * a seeded percentile-bootstrap 95 % interval of the MAPE;
//! * the median and geometric mean of the per-case speedups.
//!
//! Means, covariances, ranks and quantiles come from `statrs`; Kendall's τ-b (which
//! `statrs` lacks) is the O(n²) pair count. Every function returns `None` where the
//! statistic is undefined (too few points, zero variance) instead of NaN.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use statrs::statistics::{Data, OrderStatistics, RankTieBreaker, Statistics};

/// Resamples of the bootstrap interval.
pub const BOOTSTRAP_RESAMPLES: usize = 2000;

/// Signed percentage error of `predicted` against `reference`; `None` unless both are
/// finite and the reference is positive.
pub fn signed_error_pct(predicted: f64, reference: f64) -> Option<f64> {
    (predicted.is_finite() && reference.is_finite() && reference > 0.0)
        .then(|| 100.0 * (predicted - reference) / reference)
}

/// Weighted error `100 Σ|p − r| / Σ r` over `(predicted, reference)` pairs.
pub fn weighted_error_pct(pairs: &[(f64, f64)]) -> Option<f64> {
    let den: f64 = pairs.iter().map(|p| p.1).sum();
    (!pairs.is_empty() && den > 0.0)
        .then(|| 100.0 * pairs.iter().map(|(p, r)| (p - r).abs()).sum::<f64>() / den)
}

/// Mean of `xs`; `None` when empty.
pub fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().mean())
}

/// Largest value of `xs`; `None` when empty.
pub fn max(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| Statistics::max(xs.iter()))
}

/// Median of `xs`; `None` when empty.
pub fn median(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| Data::new(xs.to_vec()).median())
}

/// Geometric mean of positive `xs`; `None` when empty or any value is not positive.
pub fn geometric_mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty() && xs.iter().all(|&x| x > 0.0 && x.is_finite()))
        .then(|| xs.iter().geometric_mean())
}

/// Pearson's correlation coefficient; `None` for fewer than two points, unequal lengths or
/// a constant series.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 || x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let sx = x.iter().std_dev();
    let sy = y.iter().std_dev();
    if !(sx > 0.0 && sy > 0.0) {
        return None;
    }
    let r = x.iter().covariance(y.iter()) / (sx * sy);
    Some(r.clamp(-1.0, 1.0))
}

/// Ranks of `x` (1-based, ties get their average rank).
fn ranks(x: &[f64]) -> Vec<f64> {
    Data::new(x.to_vec()).ranks(RankTieBreaker::Average)
}

/// Spearman's rank correlation ρ: Pearson's r of the average-tie ranks.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 || x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    pearson(&ranks(x), &ranks(y))
}

/// Kendall's τ-b (tie-corrected): `(C − D) / sqrt((n0 − n1)(n0 − n2))` with C and D the
/// concordant and discordant pairs, n0 all pairs, n1 and n2 the pairs tied in x and in y.
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 || x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let n = x.len();
    let (mut concordant, mut discordant, mut tie_x, mut tie_y) = (0u64, 0u64, 0u64, 0u64);
    for i in 0..n {
        for j in i + 1..n {
            let dx = x[i] - x[j];
            let dy = y[i] - y[j];
            if dx == 0.0 {
                tie_x += 1;
            }
            if dy == 0.0 {
                tie_y += 1;
            }
            if dx == 0.0 || dy == 0.0 {
                continue;
            }
            if (dx > 0.0) == (dy > 0.0) {
                concordant += 1;
            } else {
                discordant += 1;
            }
        }
    }
    let n0 = (n * (n - 1) / 2) as f64;
    let den = ((n0 - tie_x as f64) * (n0 - tie_y as f64)).sqrt();
    (den > 0.0).then(|| ((concordant as f64 - discordant as f64) / den).clamp(-1.0, 1.0))
}

/// Percentile-bootstrap interval of the mean of `values` at confidence `level` (e.g. 0.95):
/// `resamples` resamples with replacement drawn from a ChaCha8 generator seeded with `seed`,
/// and the `(1 − level)/2` and `(1 + level)/2` quantiles of their means. The same inputs
/// and seed always give the same interval. `None` when `values` is empty.
pub fn bootstrap_mean_ci(
    values: &[f64],
    resamples: usize,
    level: f64,
    seed: u64,
) -> Option<(f64, f64)> {
    if values.is_empty() || resamples == 0 || !(level > 0.0 && level < 1.0) {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = values.len();
    let means: Vec<f64> = (0..resamples)
        .map(|_| (0..n).map(|_| values[rng.gen_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    let mut d = Data::new(means);
    let alpha = (1.0 - level) / 2.0;
    Some((d.quantile(alpha), d.quantile(1.0 - alpha)))
}

/// A stable 64-bit FNV-1a hash, to derive per-group bootstrap seeds from names.
pub fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Every statistic of one group.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct GroupStats {
    /// Cases with a value from both sides.
    pub cases: usize,
    /// `100 Σ|p − r| / Σ r`.
    pub weighted_error_pct: Option<f64>,
    /// Mean absolute percentage error.
    pub mape_pct: Option<f64>,
    /// Largest absolute percentage error.
    pub max_ape_pct: Option<f64>,
    /// Mean signed percentage error (positive: over-prediction).
    pub bias_pct: Option<f64>,
    /// Pearson's r of predicted against reference values.
    pub pearson: Option<f64>,
    /// Spearman's ρ of the rankings.
    pub spearman: Option<f64>,
    /// Kendall's τ-b of the rankings.
    pub kendall: Option<f64>,
    /// Bootstrap 95 % interval of the MAPE.
    pub mape_ci95_pct: Option<[f64; 2]>,
    /// Median of detailed wall ÷ fast wall over the cases that ran both.
    pub speedup_median: Option<f64>,
    /// Geometric mean of the same speedups.
    pub speedup_geomean: Option<f64>,
}

/// The statistics of `(predicted, reference)` pairs (finite, positive references only are
/// counted) and of the per-case `speedups`; `seed` seeds the bootstrap.
pub fn summarize(pairs: &[(f64, f64)], speedups: &[f64], seed: u64) -> GroupStats {
    let pairs: Vec<(f64, f64)> = pairs
        .iter()
        .copied()
        .filter(|&(p, r)| signed_error_pct(p, r).is_some())
        .collect();
    let signed: Vec<f64> = pairs
        .iter()
        .filter_map(|&(p, r)| signed_error_pct(p, r))
        .collect();
    let apes: Vec<f64> = signed.iter().map(|s| s.abs()).collect();
    let predicted: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let reference: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let speedups: Vec<f64> = speedups
        .iter()
        .copied()
        .filter(|s| s.is_finite() && *s > 0.0)
        .collect();
    GroupStats {
        cases: pairs.len(),
        weighted_error_pct: weighted_error_pct(&pairs),
        mape_pct: mean(&apes),
        max_ape_pct: max(&apes),
        bias_pct: mean(&signed),
        pearson: pearson(&predicted, &reference),
        spearman: spearman(&predicted, &reference),
        kendall: kendall_tau_b(&predicted, &reference),
        mape_ci95_pct: bootstrap_mean_ci(&apes, BOOTSTRAP_RESAMPLES, 0.95, seed)
            .map(|(lo, hi)| [lo, hi]),
        speedup_median: median(&speedups),
        speedup_geomean: geometric_mean(&speedups),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64, tol: f64) {
        match a {
            Some(a) => assert!((a - b).abs() <= tol, "{a} vs {b}"),
            None => panic!("None vs {b}"),
        }
    }

    #[test]
    fn error_measures_on_a_hand_computed_group() {
        let pairs = [(110.0, 100.0), (90.0, 100.0), (200.0, 200.0)];
        close(weighted_error_pct(&pairs), 5.0, 1e-12);
        let s = summarize(&pairs, &[], 1);
        assert_eq!(s.cases, 3);
        close(s.mape_pct, 20.0 / 3.0, 1e-12);
        close(s.max_ape_pct, 10.0, 1e-12);
        close(s.bias_pct, 0.0, 1e-12);
        assert_eq!(signed_error_pct(1.0, 0.0), None);
        assert_eq!(signed_error_pct(f64::NAN, 1.0), None);
    }

    #[test]
    fn pearson_matches_the_textbook_value() {
        // Σdxdy = 6, Σdx² = 10, Σdy² = 6: r = 6 / sqrt(60).
        let r = pearson(&[1.0, 2.0, 3.0, 4.0, 5.0], &[2.0, 4.0, 5.0, 4.0, 5.0]);
        close(r, 0.774_596_669_241_483_4, 1e-12);
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(pearson(&[1.0], &[1.0]), None);
    }

    #[test]
    fn spearman_and_kendall_match_scipy_with_ties() {
        // scipy.stats.spearmanr / kendalltau (tau-b) of these vectors.
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [5.0, 6.0, 7.0, 8.0, 7.0];
        close(spearman(&x, &y), 0.820_782_681_668_123_3, 1e-12);
        close(kendall_tau_b(&x, &y), 0.737_864_787_372_621_8, 1e-12);
        // Perfect and reversed orders.
        close(spearman(&x, &[10.0, 20.0, 30.0, 40.0, 50.0]), 1.0, 1e-12);
        close(kendall_tau_b(&x, &[5.0, 4.0, 3.0, 2.0, 1.0]), -1.0, 1e-12);
    }

    #[test]
    fn medians_and_geometric_means() {
        close(median(&[3.0, 1.0, 2.0, 10.0]), 2.5, 1e-12);
        close(geometric_mean(&[1.0, 100.0, 10_000.0]), 100.0, 1e-9);
        assert_eq!(geometric_mean(&[1.0, 0.0]), None);
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn bootstrap_interval_is_seeded_and_matches_the_normal_approximation() {
        // APEs 0..99: mean 49.5, sample sd 29.01, standard error 2.901, so the normal
        // 95 % interval is 49.5 ± 5.69. The percentile bootstrap with 2000 resamples
        // lands within 1 point of each end for this seed.
        let v: Vec<f64> = (0..100).map(f64::from).collect();
        let a = bootstrap_mean_ci(&v, BOOTSTRAP_RESAMPLES, 0.95, 7);
        let b = bootstrap_mean_ci(&v, BOOTSTRAP_RESAMPLES, 0.95, 7);
        assert_eq!(a, b);
        let Some((lo, hi)) = a else {
            panic!("no interval")
        };
        assert!((lo - (49.5 - 5.69)).abs() < 1.0, "lo {lo}");
        assert!((hi - (49.5 + 5.69)).abs() < 1.0, "hi {hi}");
        assert_ne!(bootstrap_mean_ci(&v, BOOTSTRAP_RESAMPLES, 0.95, 8), a);
        // A constant sample has a zero-width interval.
        assert_eq!(bootstrap_mean_ci(&[4.0; 9], 100, 0.95, 1), Some((4.0, 4.0)));
    }

    #[test]
    fn speedups_and_stable_hash() {
        let s = summarize(&[(1.0, 1.0)], &[10.0, 1000.0, 100.0], 0);
        close(s.speedup_median, 100.0, 1e-12);
        close(s.speedup_geomean, 100.0, 1e-9);
        assert_eq!(
            stable_hash("fast-vs-detailed"),
            stable_hash("fast-vs-detailed")
        );
        assert_ne!(stable_hash("a"), stable_hash("b"));
    }
}
