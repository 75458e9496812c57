//! The few statistics the report computes itself from replicas.csv:
//! quantiles, means and the Wilson interval of a proportion.

/// Quantile with linear interpolation between order statistics (numpy's
/// default, as summary.csv uses). `sorted` is ascending and non-empty.
pub(super) fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

pub(super) fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

pub(super) fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// Wilson score interval of a proportion k/n at 95%.
pub(super) fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (z, n, p) = (1.959_964, n as f64, k as f64 / n as f64);
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_interval_brackets_the_proportion_and_is_not_degenerate_at_zero() {
        let (lo, hi) = wilson(0, 16);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.1936).abs() < 1e-3, "{hi}");
        let (lo, hi) = wilson(16, 16);
        assert!(lo > 0.75 && hi == 1.0);
        let (lo, hi) = wilson(5, 10);
        assert!(lo < 0.5 && hi > 0.5 && (0.5 - lo - (hi - 0.5)).abs() < 1e-12);
    }
}
