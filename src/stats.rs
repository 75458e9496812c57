//! Statistics of Monte Carlo samples: means with their standard errors,
//! quantiles, and confidence intervals. A leaf module: it knows nothing of
//! the simulation, and every other module may use it, so one formula is
//! written once (summary.csv, risk.csv, `--target-ci` and the report agree).

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

    /// Half-width of the normal-approximation 95% confidence interval.
    pub fn ci95_half_width(&self) -> f64 {
        Z95 * self.stderr
    }
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

#[cfg(test)]
mod tests {
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
}
