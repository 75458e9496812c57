//! 95% intervals for tail figures the report computes itself when
//! `risk.csv` gives none (folders written before it carried them): a
//! distribution-free interval for a quantile from order statistics, and a
//! bootstrap percentile interval for CVaR. Both use the replicas.csv column
//! the figure was computed from, with the estimator `risk.csv` uses.

use crate::metrics::risk::var_cvar;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// An interval whose ends may lie beyond the sample: `None` when the
/// replicas cannot bound that side at 95% (too few in the tail).
pub(super) type Bounds = (Option<f64>, Option<f64>);

/// P(Binomial(n, p) ≤ k) for k = 0..=n, summed from the probabilities in
/// log space so that no term underflows before it matters.
fn binomial_cdf(n: usize, p: f64) -> Vec<f64> {
    if p <= 0.0 {
        return vec![1.0; n + 1];
    }
    if p >= 1.0 {
        let mut c = vec![0.0; n + 1];
        c[n] = 1.0;
        return c;
    }
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    let mut log_pmf = n as f64 * lq;
    let mut sum = 0.0;
    let mut out = Vec::with_capacity(n + 1);
    for k in 0..=n {
        if k > 0 {
            log_pmf += ((n - k + 1) as f64).ln() - (k as f64).ln() + lp - lq;
        }
        sum += log_pmf.exp();
        out.push(sum.min(1.0));
    }
    out
}

/// The 95% distribution-free interval of the `q`-quantile of the
/// population `sorted` (ascending) is drawn from: order statistics
/// X(l) ≤ X(u) with P(X(l) ≤ ξ_q ≤ X(u)) = B(u − 1) − B(l − 1) ≥ 0.95,
/// B the Binomial(n, q) distribution function, each side at most 2.5%.
pub(super) fn quantile_interval(sorted: &[f64], q: f64) -> Bounds {
    let n = sorted.len();
    if n == 0 {
        return (None, None);
    }
    let cdf = binomial_cdf(n, q);
    // Order statistics are 1-based: X(j) = sorted[j − 1].
    let lower = (1..=n).rev().find(|&j| cdf[j - 1] <= 0.025).map(|j| sorted[j - 1]);
    let upper = (1..=n).find(|&j| cdf[j - 1] >= 0.975).map(|j| sorted[j - 1]);
    (lower, upper)
}

/// Two-sided 95% critical values of Student's t for 1 to 30 degrees of
/// freedom (the 97.5% quantiles, as printed in every statistics table).
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
    2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/// The 97.5% quantile of Student's t with `df` degrees of freedom: the
/// table up to 30, then the Cornish–Fisher expansion around the normal
/// quantile (Abramowitz and Stegun 26.7.5), within 1e-4 there.
pub(super) fn t975(df: f64) -> f64 {
    let whole = df.floor();
    if whole < 1.0 {
        return f64::INFINITY;
    }
    if whole <= 30.0 {
        return T975[whole as usize - 1];
    }
    let z = crate::stats::Z95;
    let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
    z + (z3 + z) / (4.0 * whole)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * whole.powi(2))
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * whole.powi(3))
}

/// Resamples of the bootstrap.
const RESAMPLES: usize = 1000;
/// Its fixed seed: the same folder gives the same report.
const SEED: u64 = 0x5eed_c7a2;

/// The 95% bootstrap percentile interval of CVaR at level `q` of `values`
/// (the mean of the values at or above the q-quantile, as `risk.csv`), or
/// `None` when fewer than two replicas lie in the tail, where resampling
/// says nothing.
pub(super) fn cvar_interval(values: &[f64], q: f64) -> Option<(f64, f64)> {
    let n = values.len();
    if (n as f64) * (1.0 - q) < 2.0 {
        return None;
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    let mut sample = vec![0.0; n];
    let mut estimates: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            for s in sample.iter_mut() {
                *s = values[rng.random_range(0..n)];
            }
            var_cvar(&sample, q).1
        })
        .collect();
    estimates.sort_by(f64::total_cmp);
    let at = |p: f64| crate::stats::quantile_sorted(&estimates, p);
    Some((at(0.025), at(0.975)))
}

/// Replicas needed for [`cvar_interval`] at level `q`.
pub(super) fn cvar_replicas_needed(q: f64) -> usize {
    (2.0 / (1.0 - q)).ceil() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binomial_distribution_function_matches_closed_forms() {
        // n = 3, p = 1/2: 1/8, 4/8, 7/8, 1.
        let c = binomial_cdf(3, 0.5);
        for (got, want) in c.iter().zip([0.125, 0.5, 0.875, 1.0]) {
            assert!((got - want).abs() < 1e-12, "{c:?}");
        }
        // Terms that underflow alone still sum right: P(Bin(2000, 0.99) ≤
        // 1980) = 0.530189 (exact rational arithmetic).
        let c = binomial_cdf(2000, 0.99);
        assert!((c[1980] - 0.530_189).abs() < 1e-5, "{}", c[1980]);
    }

    #[test]
    fn t_quantiles_match_the_tables() {
        assert_eq!(t975(2.0), 4.303);
        assert_eq!(t975(30.0), 2.042);
        // Beyond the table, the expansion against published values:
        // t(40) = 2.021, t(60) = 2.000, t(120) = 1.980, and → 1.960.
        for (df, t) in [(40.0, 2.0211), (60.0, 2.0003), (120.0, 1.9799), (1e9, 1.95996)] {
            assert!((t975(df) - t).abs() < 2e-4, "t975({df}) = {} ≠ {t}", t975(df));
        }
        assert!(t975(0.0).is_infinite());
    }

    #[test]
    fn median_intervals_match_the_published_order_statistics() {
        // The textbook distribution-free 95% intervals for the median
        // (e.g. Conover, Practical Nonparametric Statistics, table A3):
        // n = 20 → X(6) to X(15); n = 100 → X(40) to X(61).
        let s20: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(quantile_interval(&s20, 0.5), (Some(6.0), Some(15.0)));
        let s100: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile_interval(&s100, 0.5), (Some(40.0), Some(61.0)));
    }

    #[test]
    fn a_tail_quantile_beyond_the_sample_is_unbounded_on_that_side() {
        // VaR99 of 100 replicas: P(Bin(100, 0.99) ≤ 99) = 0.634 < 0.975,
        // so no order statistic bounds it above; below, B(96) = 0.0184 ≤
        // 0.025 < B(97) = 0.0794 makes X(97) the lower end.
        let s100: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile_interval(&s100, 0.99), (Some(97.0), None));
        // Three replicas: P(Bin(3, 0.95) ≤ 1) = 0.00725 ≤ 0.025, so X(2).
        assert_eq!(quantile_interval(&[1.0, 2.0, 3.0], 0.95), (Some(2.0), None));
    }

    #[test]
    fn cvar_intervals_are_reproducible_and_bracket_the_estimate() {
        let values: Vec<f64> = (0..400)
            .map(|i| f64::from(i % 97) * 1.5 + f64::from(i) * 0.01)
            .collect();
        let (lo, hi) = cvar_interval(&values, 0.95).unwrap();
        let cvar = var_cvar(&values, 0.95).1;
        assert!(lo < cvar && cvar < hi, "{lo} {cvar} {hi}");
        assert_eq!(cvar_interval(&values, 0.95), Some((lo, hi)));
        // A constant sample has a point interval; too short a tail none.
        assert_eq!(cvar_interval(&[7.0; 100], 0.95), Some((7.0, 7.0)));
        assert_eq!(cvar_interval(&[1.0; 100], 0.99), None);
        assert_eq!(cvar_replicas_needed(0.99), 200);
    }
}
