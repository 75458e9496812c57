//! Statistics of Monte Carlo samples: means with their standard errors,
//! quantiles, and confidence intervals that are right at every n. A leaf
//! module: it knows nothing of the simulation, and every other module may
//! use it, so one formula is written once (summary.csv, risk.csv,
//! `--target-ci` and the report agree).
//!
//! - Means: Student-t, [`t95`] (n = 4 uses 3.18, not 1.96).
//! - Proportions: Wilson, [`wilson`] (never below 0 or above 1).
//! - Quantiles: distribution-free bounds from order statistics,
//!   [`quantile_interval`] (binomial ranks; no normality, no density).
//! - Tail means (CVaR): a percentile bootstrap with a fixed seed,
//!   [`bootstrap_cvar_interval`], deterministic for any thread count.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use statrs::distribution::{Binomial, ContinuousCDF, DiscreteCDF, StudentsT};
use std::sync::OnceLock;

/// The 97.5% quantile of the standard normal distribution (two-sided 95%).
pub const Z95: f64 = 1.959_963_984_540_054;

/// Distribution of one metric across replicas.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Number of values.
    pub n: usize,
    /// Sample mean.
    pub mean: f64,
    /// Standard error of the mean (sample sd / √n; 0 when n < 2).
    pub stderr: f64,
    /// Quantiles at the levels asked for, interpolated linearly between
    /// order statistics (numpy's default, "type 7").
    pub quantiles: Vec<f64>,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl Summary {
    /// Summary of `values` with quantiles at `levels`; `None` if empty.
    pub fn of(values: &[f64], levels: &[f64]) -> Option<Summary> {
        if values.is_empty() {
            return None;
        }
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        let var = if n > 1 {
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        let sorted = sorted(values);
        Some(Summary {
            n,
            mean,
            stderr: (var / n as f64).sqrt(),
            quantiles: levels.iter().map(|&q| quantile_sorted(&sorted, q)).collect(),
            min: sorted[0],
            max: sorted[n - 1],
        })
    }

    /// Half-width of the 95% confidence interval of the mean: Student-t
    /// with n − 1 degrees of freedom, t × stderr (0 when n < 2, where the
    /// standard error is 0 too).
    pub fn ci95_half_width(&self) -> f64 {
        if self.n < 2 { 0.0 } else { t95(self.n - 1) * self.stderr }
    }

    /// The 95% confidence interval of the mean, `mean ∓ ci95_half_width`.
    pub fn ci95(&self) -> (f64, f64) {
        let h = self.ci95_half_width();
        (self.mean - h, self.mean + h)
    }
}

/// Degrees of freedom up to which [`t95`] keeps a table.
const T_TABLE: usize = 1000;

/// The 97.5% quantile of Student's t with `df` degrees of freedom (the
/// two-sided 95% critical value): 12.71 at 1, 3.18 at 3, 2.09 at 19,
/// tending to 1.96. `df = 0` gives infinity (no interval from one value).
pub fn t95(df: usize) -> f64 {
    static TABLE: OnceLock<Vec<f64>> = OnceLock::new();
    let exact = |df: usize| {
        StudentsT::new(0.0, 1.0, df as f64)
            .expect("df > 0 is a valid t distribution")
            .inverse_cdf(0.975)
    };
    match df {
        0 => f64::INFINITY,
        1..=T_TABLE => TABLE.get_or_init(|| (1..=T_TABLE).map(exact).collect())[df - 1],
        _ => t95_asymptotic(df),
    }
}

/// t95 for large `df` by its expansion in 1/df around the normal quantile
/// (Abramowitz & Stegun 26.7.5), exact to ~1e-12 beyond 1,000 degrees of
/// freedom. statrs's inverse CDF is not used there: for a `df` in the
/// millions (a summary over every research job's wait) it did not return.
fn t95_asymptotic(df: usize) -> f64 {
    let (z, n) = (Z95, df as f64);
    let g1 = (z.powi(3) + z) / 4.0;
    let g2 = (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / 96.0;
    let g3 = (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / 384.0;
    z + g1 / n + g2 / (n * n) + g3 / (n * n * n)
}

/// The mean of `values`; 0 for none.
pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// `values` in ascending order (NaN last).
pub fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// Quantile `q` of ascending, non-empty `sorted`, interpolating linearly
/// between order statistics (numpy's default).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Wilson score interval of a proportion `k` of `n` at 95%: within [0, 1]
/// at every n, unlike the normal (Wald) interval. `n = 0` gives [0, 1].
pub fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (z, n, p) = (Z95, n as f64, k as f64 / n as f64);
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Distribution-free 95% confidence bounds for the `q`-quantile of the
/// distribution `sorted` (ascending, n values) is a sample of: order
/// statistics `x_(l) ≤ ξ_q ≤ x_(u)` (1-based ranks) with equal tails,
/// since the number of values below ξ_q is Binomial(n, q):
/// `l` is the largest rank with P(B ≤ l − 1) ≤ 2.5% and `u` the smallest
/// with P(B ≤ u − 1) ≥ 97.5%. Coverage is at least 95% for any
/// continuous distribution (and for discrete ones, closed bounds). A side
/// that n values cannot bound (e.g. the upper bound of the 99% quantile
/// below 368 values) is `None`.
pub fn quantile_interval(sorted: &[f64], q: f64) -> (Option<f64>, Option<f64>) {
    let n = sorted.len();
    if n == 0 {
        return (None, None);
    }
    let (l, u) = quantile_ranks(n as u64, q.clamp(0.0, 1.0));
    (l.map(|l| sorted[l as usize - 1]), u.map(|u| sorted[u as usize - 1]))
}

/// The ranks of [`quantile_interval`]: (l, u), each `None` when out of
/// 1..=n.
pub fn quantile_ranks(n: u64, q: f64) -> (Option<u64>, Option<u64>) {
    let b = Binomial::new(q, n).expect("0 <= q <= 1");
    // F(k) = P(B <= k) is nondecreasing in k: binary search each side.
    let first_at_least = |p: f64| {
        // Smallest k in 0..=n with F(k) >= p (n if none).
        let (mut lo, mut hi) = (0u64, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if b.cdf(mid) >= p { hi = mid } else { lo = mid + 1 }
        }
        lo
    };
    // Lower: the largest l with F(l − 1) <= 0.025, i.e. l − 1 = (smallest k
    // with F(k) > 0.025) − 1.
    let k = first_at_least(0.025 + 1e-12);
    let l = (k >= 1 && b.cdf(k - 1) <= 0.025).then_some(k);
    let l = l.filter(|&l| l >= 1);
    // Upper: the smallest u with F(u − 1) >= 0.975.
    let k = first_at_least(0.975);
    let u = (b.cdf(k) >= 0.975 && k < n).then_some(k + 1);
    (l, u)
}

/// Conditional value at risk of ascending `sorted` at level `q`: the
/// `q`-quantile (interpolated as [`quantile_sorted`]) and the mean of the
/// values at or above it.
pub fn var_cvar_sorted(sorted: &[f64], q: f64) -> (f64, f64) {
    let var = quantile_sorted(sorted, q);
    let from = sorted.partition_point(|&v| v < var);
    let tail = &sorted[from..];
    (var, tail.iter().sum::<f64>() / tail.len() as f64)
}

/// Resamples of [`bootstrap_cvar_interval`].
pub const BOOTSTRAP_RESAMPLES: usize = 1000;

/// A percentile-bootstrap 95% interval for the CVaR at level `q` of
/// ascending `sorted` ([`var_cvar_sorted`]): [`BOOTSTRAP_RESAMPLES`]
/// resamples drawn with a fixed-seed generator (`seed`), so the interval
/// is the same for any thread count. Each resample is a vector of counts
/// over the sorted values, so it needs no sort: O(n) per resample. `None`
/// for fewer than 2 values.
pub fn bootstrap_cvar_interval(sorted: &[f64], q: f64, seed: u64) -> Option<(f64, f64)> {
    let n = sorted.len();
    if n < 2 {
        return None;
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut counts = vec![0u32; n];
    let mut stats: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| {
            counts.iter_mut().for_each(|c| *c = 0);
            for _ in 0..n {
                counts[rng.random_range(0..n)] += 1;
            }
            cvar_of_counts(sorted, &counts, q)
        })
        .collect();
    stats.sort_by(f64::total_cmp);
    Some((quantile_sorted(&stats, 0.025), quantile_sorted(&stats, 0.975)))
}

/// The CVaR at `q` of the sample holding `counts[i]` copies of `sorted[i]`.
fn cvar_of_counts(sorted: &[f64], counts: &[u32], q: f64) -> f64 {
    let n: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    // The type-7 quantile: position q(n − 1) between order statistics.
    let pos = q * (n - 1) as f64;
    let (lo, hi) = (pos.floor() as u64, pos.ceil() as u64);
    let at = |rank: u64| {
        // The value of the 0-based order statistic `rank`.
        let mut seen = 0u64;
        for (v, &c) in sorted.iter().zip(counts) {
            seen += u64::from(c);
            if seen > rank {
                return *v;
            }
        }
        sorted[sorted.len() - 1]
    };
    let (a, b) = (at(lo), at(hi));
    let var = a + (b - a) * (pos - lo as f64);
    let (mut sum, mut k) = (0.0, 0u64);
    for (v, &c) in sorted.iter().zip(counts) {
        if *v >= var {
            sum += v * f64::from(c);
            k += u64::from(c);
        }
    }
    sum / k as f64
}

#[cfg(test)]
mod tests {

    #[test]
    fn t95_beyond_the_table_joins_the_exact_value_and_returns_for_any_df() {
        // At the table's edge the expansion agrees with statrs's exact value.
        let exact = StudentsT::new(0.0, 1.0, 1000.0).unwrap().inverse_cdf(0.975);
        assert!(
            (t95_asymptotic(1000) - exact).abs() < 1e-10,
            "{} vs {exact}",
            t95_asymptotic(1000)
        );
        // And it is monotone down to the normal quantile, for any df.
        let (a, b) = (t95(1001), t95(50_000_000));
        assert!(exact > a && a > b && b > Z95 && b - Z95 < 1e-7, "{a} {b}");
    }
    use super::*;

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.5), 2.5);
        assert_eq!(quantile_sorted(&v, 0.25), 1.75);
        assert_eq!(quantile_sorted(&v, 1.0), 4.0);
        let s = Summary::of(&[2.0, 4.0, 6.0], &[0.5]).unwrap();
        assert_eq!(s.mean, 4.0);
        assert_eq!(s.quantiles, [4.0]);
        assert!((s.stderr - (4.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!((s.min, s.max), (2.0, 6.0));
        assert!(Summary::of(&[], &[0.5]).is_none());
    }

    #[test]
    fn wilson_interval_matches_a_published_value_and_stays_in_range() {
        // Newcombe (1998), Table I: 81 of 263 → 0.2553 to 0.3662.
        let (lo, hi) = wilson(81, 263);
        assert!((lo - 0.2553).abs() < 5e-5 && (hi - 0.3662).abs() < 5e-5, "{lo} {hi}");
        let (lo, hi) = wilson(0, 10);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.2775).abs() < 5e-5, "{hi}");
        // The report's small-n cases: 0 of 16 is not degenerate.
        let (lo, hi) = wilson(0, 16);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.1936).abs() < 1e-3, "{hi}");
        let (lo, hi) = wilson(10, 10);
        assert!((lo - 0.7225).abs() < 5e-5 && hi <= 1.0 && 1.0 - hi < 1e-12, "{lo} {hi}");
    }

    #[test]
    fn t_critical_values_match_the_tables() {
        // Standard t tables, two-sided 95%.
        for (df, t) in [
            (1, 12.706),
            (3, 3.182),
            (4, 2.776),
            (15, 2.131),
            (29, 2.045),
            (120, 1.980),
        ] {
            assert!((t95(df) - t).abs() < 1e-3, "df {df}: {}", t95(df));
        }
        assert!((t95(5000) - Z95).abs() < 1e-3);
        assert!(t95(0).is_infinite());
        // n = 4 values: the interval is 3.18 standard errors wide, not 1.96.
        let s = Summary::of(&[1.0, 2.0, 3.0, 4.0], &[]).unwrap();
        assert!((s.ci95_half_width() - 3.182 * s.stderr).abs() < 1e-3 * s.stderr);
        assert_eq!(Summary::of(&[5.0], &[]).unwrap().ci95(), (5.0, 5.0));
    }

    #[test]
    fn quantile_ranks_match_the_binomial_tables() {
        // The median of n = 10: ranks 2 and 9 cover with 97.9% (Conover,
        // Practical Nonparametric Statistics, table A3: l = 2, u = 9).
        assert_eq!(quantile_ranks(10, 0.5), (Some(2), Some(9)));
        // n = 100, median: ranks 40 and 61 (P = 0.9648).
        assert_eq!(quantile_ranks(100, 0.5), (Some(40), Some(61)));
        // The 99% quantile of 100 values has no upper bound (P(B <= 99) =
        // 1 − 0.99^100 = 0.634 < 0.975); it needs 0.99^n <= 0.025, n >= 368.
        assert_eq!(quantile_ranks(100, 0.99).1, None);
        assert!(quantile_ranks(367, 0.99).1.is_none() && quantile_ranks(368, 0.99).1.is_some());
        // Two values cannot bound a median at 95%.
        assert_eq!(quantile_ranks(2, 0.5), (None, None));
    }

    #[test]
    fn order_statistic_intervals_cover_at_least_95_percent() {
        // Exact coverage of the ranks for several (n, q), from the
        // binomial distribution itself, independently summed.
        for (n, q) in [(20u64, 0.5), (50, 0.9), (400, 0.95), (1000, 0.99), (37, 0.1)] {
            let (l, u) = quantile_ranks(n, q);
            let (l, u) = (l.unwrap_or(0), u.unwrap_or(n + 1));
            let pmf = |k: u64| {
                let mut log = 0.0;
                for i in 0..k {
                    log += ((n - i) as f64).ln() - ((i + 1) as f64).ln();
                }
                (log + k as f64 * q.ln() + (n - k) as f64 * (1.0 - q).ln()).exp()
            };
            let cover: f64 = (l..u).filter(|&k| k <= n).map(pmf).sum();
            assert!(cover >= 0.95 - 1e-9, "n {n} q {q}: ranks {l}..{u} cover {cover}");
        }
    }

    #[test]
    fn the_bootstrap_cvar_interval_holds_the_estimate_and_is_reproducible() {
        let v: Vec<f64> = (1..=200).map(f64::from).collect();
        let (_, cvar) = var_cvar_sorted(&v, 0.95);
        assert!((cvar - 195.5).abs() < 1e-9, "{cvar}"); // mean of 191..=200
        let (lo, hi) = bootstrap_cvar_interval(&v, 0.95, 7).unwrap();
        assert!(lo < cvar && cvar < hi && hi <= 200.0, "{lo} {hi}");
        assert_eq!(bootstrap_cvar_interval(&v, 0.95, 7), Some((lo, hi)));
        // Each resample's CVaR equals the direct formula on the resample.
        let counts = [0u32, 2, 1, 0, 3];
        let values = [1.0, 2.0, 3.0, 4.0, 5.0];
        let expanded = [2.0, 2.0, 3.0, 5.0, 5.0, 5.0];
        assert_eq!(cvar_of_counts(&values, &counts, 0.5), var_cvar_sorted(&expanded, 0.5).1);
        assert!(bootstrap_cvar_interval(&[1.0], 0.95, 1).is_none());
    }

    #[test]
    fn the_t_interval_covers_95_percent_at_n_4_where_the_normal_one_does_not() {
        // 20,000 samples of 4 standard normal values: the t interval
        // (3.18 SE) covers the mean 0 in 95% of them; the normal one
        // (1.96 SE) in P(|T_3| <= 1.96) = 85.5%, since mean/SE is t with 3
        // degrees of freedom. Coverage SE is at most √(0.25/20000) =
        // 0.0035; we accept ±4 SE.
        use rand_distr::{Distribution, StandardNormal};
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(19);
        let trials = 20_000;
        let (mut t_cover, mut z_cover) = (0, 0);
        for _ in 0..trials {
            let v: Vec<f64> = (0..4).map(|_| StandardNormal.sample(&mut rng)).collect();
            let s = Summary::of(&v, &[]).unwrap();
            t_cover += (s.mean.abs() <= s.ci95_half_width()) as u32;
            z_cover += (s.mean.abs() <= Z95 * s.stderr) as u32;
        }
        let se = |p: f64| (p * (1.0 - p) / trials as f64).sqrt();
        let t = t_cover as f64 / trials as f64;
        let z = z_cover as f64 / trials as f64;
        let normal = 2.0 * StudentsT::new(0.0, 1.0, 3.0).unwrap().cdf(Z95) - 1.0;
        assert!((normal - 0.855).abs() < 1e-3, "{normal}");
        assert!((t - 0.95).abs() <= 4.0 * se(0.95), "t coverage {t}");
        assert!(
            (z - normal).abs() <= 4.0 * se(normal),
            "normal coverage {z} vs {normal}"
        );
    }
}
