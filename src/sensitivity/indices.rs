//! Estimators: tornado swings, Morris's elementary effects and Sobol
//! indices, each with a 95% interval, from the values of one metric at the
//! evaluations of a design. Pure functions of numbers: they know nothing
//! of the simulation, so their tests use functions whose indices are known
//! in closed form.

use super::design::Role;
use crate::stats::{self, Summary};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Bootstrap resamples behind the Morris and Sobol intervals.
pub const RESAMPLES: usize = 1000;

/// One statistic of one input for one metric: a line of sensitivity.csv
/// (the method and metric are added by the writer).
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    /// The input (its index in the study's inputs; `None` for a figure of
    /// the whole study, such as the base value or the variance).
    pub input: Option<usize>,
    /// `low_value`, `high_value`, `swing`, `mu`, `mu_star`, `sigma`,
    /// `first_order`, `total`, `base_value` or `variance`.
    pub statistic: &'static str,
    /// The estimate.
    pub value: f64,
    /// Its 95% interval, when one can be given.
    pub ci95: Option<(f64, f64)>,
    /// How many values it rests on (replicas, trajectories or rows).
    pub n: usize,
}

/// A metric's values at one evaluation: one per replica (`None` where the
/// replica has no value, e.g. a default month in a replica that did not
/// default). Replica `r` has the same seed at every evaluation (common
/// random numbers), so differences can be paired replica by replica.
pub type Replicas = Vec<Option<f64>>;

/// The mean over the replicas that have a value (NaN if none has).
pub fn mean_of(values: &Replicas) -> f64 {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    if present.is_empty() {
        f64::NAN
    } else {
        stats::mean(&present)
    }
}

fn mean_with_interval(values: &[f64]) -> (f64, Option<(f64, f64)>, usize) {
    match Summary::of(values, &[]) {
        Some(s) if s.n >= 2 => (
            s.mean,
            Some((s.mean - s.ci95_half_width(), s.mean + s.ci95_half_width())),
            s.n,
        ),
        Some(s) => (s.mean, None, s.n),
        None => (f64::NAN, None, 0),
    }
}

/// A proportion (values 0 or 1) with its Wilson interval.
fn proportion_with_interval(values: &[f64]) -> (f64, Option<(f64, f64)>, usize) {
    let n = values.len();
    let k = values.iter().filter(|&&v| v > 0.5).count();
    if n == 0 {
        return (f64::NAN, None, 0);
    }
    (k as f64 / n as f64, Some(stats::wilson(k, n)), n)
}

/// A metric's estimate at one evaluation with its 95% interval and the
/// replicas (or effective replicas) behind it: what [`tornado_of_estimates`]
/// reads when each evaluation's figure comes from an estimator other than
/// the plain mean (the multi-fidelity control variate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// Its 95% interval, when known.
    pub ci95: Option<(f64, f64)>,
    /// Replicas behind it (the effective sample size, rounded, for a
    /// multi-fidelity estimate).
    pub n: usize,
}

/// Tornado: each input's metric at its low and at its high end and the
/// swing high − low. Means get Student-t intervals over replicas, and the
/// swing's interval comes from the replica-by-replica differences (common
/// random numbers make it far tighter than the two means' intervals).
/// Proportions (`proportion`: every value 0 or 1) get Wilson intervals,
/// and their swing Newcombe's square-and-add interval from the two Wilson
/// intervals (Newcombe 1998, method 10), which stays inside [−1, 1] and is
/// conservative under the positive pairing of common random numbers.
/// Inputs in design order.
pub fn tornado(roles: &[Role], values: &[Replicas], proportion: bool) -> Vec<Index> {
    let level = |e: usize| {
        let present: Vec<f64> = values[e].iter().flatten().copied().collect();
        let (value, ci95, n) = if proportion {
            proportion_with_interval(&present)
        } else {
            mean_with_interval(&present)
        };
        Estimate { value, ci95, n }
    };
    let paired = |lo: usize, hi: usize| {
        let diffs: Vec<f64> = values[hi]
            .iter()
            .zip(&values[lo])
            .filter_map(|(h, l)| Some((*h)? - (*l)?))
            .collect();
        mean_with_interval(&diffs)
    };
    tornado_from(roles, level, (!proportion).then_some(paired))
}

/// Tornado from one estimate per evaluation (see [`Estimate`]): the swing's
/// interval is the square-and-add of the two ends' intervals, as for
/// proportions in [`tornado`] (conservative under common random numbers,
/// which pair the ends positively).
pub fn tornado_of_estimates(roles: &[Role], estimates: &[Estimate]) -> Vec<Index> {
    type Paired = fn(usize, usize) -> (f64, Option<(f64, f64)>, usize);
    tornado_from(roles, |e| estimates[e], None::<Paired>)
}

/// The tornado of evaluation levels `level(e)`; the swing from `paired`
/// (low, high) when given, else square-and-add.
fn tornado_from(
    roles: &[Role],
    level: impl Fn(usize) -> Estimate,
    paired: Option<impl Fn(usize, usize) -> (f64, Option<(f64, f64)>, usize)>,
) -> Vec<Index> {
    let find = |want: Role| roles.iter().position(|&r| r == want);
    let mut out = Vec::new();
    if let Some(base) = find(Role::Base) {
        let Estimate { value, ci95, n } = level(base);
        out.push(Index {
            input: None,
            statistic: "base_value",
            value,
            ci95,
            n,
        });
    }
    let inputs = roles.iter().filter(|r| matches!(r, Role::Low(_))).count();
    for i in 0..inputs {
        let (Some(lo), Some(hi)) = (find(Role::Low(i)), find(Role::High(i))) else {
            continue;
        };
        let ends = [level(lo), level(hi)];
        for (statistic, end) in [("low_value", ends[0]), ("high_value", ends[1])] {
            out.push(Index {
                input: Some(i),
                statistic,
                value: end.value,
                ci95: end.ci95,
                n: end.n,
            });
        }
        let (value, ci95, n) = match (&paired, ends[0].ci95, ends[1].ci95) {
            (Some(paired), _, _) => paired(lo, hi),
            (None, Some((l1, u1)), Some((l2, u2))) => {
                let (p1, p2) = (ends[0].value, ends[1].value);
                let d = p2 - p1;
                let lower = d - ((p2 - l2).powi(2) + (u1 - p1).powi(2)).sqrt();
                let upper = d + ((u2 - p2).powi(2) + (p1 - l1).powi(2)).sqrt();
                (d, Some((lower, upper)), ends[0].n.min(ends[1].n))
            }
            (None, _, _) => (ends[1].value - ends[0].value, None, ends[0].n.min(ends[1].n)),
        };
        out.push(Index {
            input: Some(i),
            statistic: "swing",
            value,
            ci95,
            n,
        });
    }
    out
}

/// Morris's elementary effects from trajectory evaluations: for each step
/// that moved input i by Δx (in its unit range), EE = Δy / Δx, the change
/// of the metric per whole range of the input. Per input: μ (mean EE), μ*
/// (mean |EE|, the screening measure of Campolongo et al. 2007) and σ (sd
/// of EE: interaction or non-linearity), with percentile-bootstrap
/// intervals over trajectories.
pub fn morris(roles: &[Role], positions: &[Vec<Option<f64>>], y: &[f64], k: usize, seed: u64) -> Vec<Index> {
    // effects[i][t]: input i's elementary effect on trajectory t.
    let mut effects: Vec<Vec<f64>> = vec![Vec::new(); k];
    for e in 1..roles.len() {
        if let Role::Trajectory { moved: Some(i), .. } = roles[e] {
            let dx = positions[e][i].unwrap_or(0.0) - positions[e - 1][i].unwrap_or(0.0);
            let dy = y[e] - y[e - 1];
            if dx != 0.0 && dy.is_finite() {
                effects[i].push(dy / dx);
            }
        }
    }
    let stats_of = |ee: &[f64]| -> [f64; 3] {
        let n = ee.len().max(1) as f64;
        let mu = ee.iter().sum::<f64>() / n;
        let mu_star = ee.iter().map(|v| v.abs()).sum::<f64>() / n;
        let sigma = if ee.len() > 1 {
            (ee.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        [mu, mu_star, sigma]
    };
    let mut out = Vec::new();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    for (i, ee) in effects.iter().enumerate() {
        let point = stats_of(ee);
        let boots: Vec<[f64; 3]> = (0..RESAMPLES)
            .map(|_| {
                let sample: Vec<f64> = (0..ee.len()).map(|_| ee[rng.random_range(0..ee.len())]).collect();
                stats_of(&sample)
            })
            .collect();
        for (s, statistic) in ["mu", "mu_star", "sigma"].into_iter().enumerate() {
            let column: Vec<f64> = boots.iter().map(|b| b[s]).collect();
            out.push(Index {
                input: Some(i),
                statistic,
                value: point[s],
                ci95: (ee.len() >= 2).then(|| percentile_interval(&column)),
                n: ee.len(),
            });
        }
    }
    out
}

/// Sobol indices from Saltelli's design: first order by Saltelli et al.
/// (2010), S_i = mean((f_B − f̄) (f_ABi − f_A)) / V, total by Jansen (1999),
/// S_Ti = mean((f_A − f_ABi)²) / 2V, with V the variance of f over A and B;
/// percentile-bootstrap intervals over the design's rows. An output that
/// does not vary (V = 0) has no indices: only its variance is written.
pub fn sobol(roles: &[Role], y: &[f64], k: usize, seed: u64) -> Vec<Index> {
    let n = roles.iter().filter(|r| matches!(r, Role::A(_))).count();
    let mut fa = vec![f64::NAN; n];
    let mut fb = vec![f64::NAN; n];
    let mut fab = vec![vec![f64::NAN; n]; k];
    for (&role, &v) in roles.iter().zip(y) {
        match role {
            Role::A(r) => fa[r] = v,
            Role::B(r) => fb[r] = v,
            Role::AB(r, i) => fab[i][r] = v,
            _ => {}
        }
    }
    let estimate = |rows: &[usize]| -> (f64, Vec<(f64, f64)>) {
        let m = rows.len() as f64;
        let all: Vec<f64> = rows.iter().flat_map(|&r| [fa[r], fb[r]]).collect();
        let mean = all.iter().sum::<f64>() / all.len() as f64;
        let var = all.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / all.len() as f64;
        // f_B is centred: the estimator is unbiased either way, but its
        // variance grows with the mean² of f (a chip-hour count of 1e10
        // would drown the signal).
        let indices = (0..k)
            .map(|i| {
                let first = rows.iter().map(|&r| (fb[r] - mean) * (fab[i][r] - fa[r])).sum::<f64>() / m / var;
                let total = rows.iter().map(|&r| (fa[r] - fab[i][r]).powi(2)).sum::<f64>() / (2.0 * m) / var;
                (first, total)
            })
            .collect();
        (var, indices)
    };
    let rows: Vec<usize> = (0..n).collect();
    let (var, point) = estimate(&rows);
    let mut out = vec![Index {
        input: None,
        statistic: "variance",
        value: var,
        ci95: None,
        n,
    }];
    if !(var > 0.0 && var.is_finite()) {
        return out;
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let boots: Vec<Vec<(f64, f64)>> = (0..RESAMPLES)
        .map(|_| {
            let sample: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
            estimate(&sample).1
        })
        .collect();
    for (i, &(first, total)) in point.iter().enumerate() {
        for (statistic, value, pick) in [
            ("first_order", first, (|b: &(f64, f64)| b.0) as fn(&(f64, f64)) -> f64),
            ("total", total, |b: &(f64, f64)| b.1),
        ] {
            let column: Vec<f64> = boots.iter().map(|b| pick(&b[i])).filter(|v| v.is_finite()).collect();
            out.push(Index {
                input: Some(i),
                statistic,
                value,
                ci95: (column.len() >= 2).then(|| percentile_interval(&column)),
                n,
            });
        }
    }
    out
}

/// The 2.5% and 97.5% quantiles of bootstrap estimates.
fn percentile_interval(values: &[f64]) -> (f64, f64) {
    let sorted = stats::sorted(values);
    (
        stats::quantile_sorted(&sorted, 0.025),
        stats::quantile_sorted(&sorted, 0.975),
    )
}

#[cfg(test)]
mod tests {
    use super::super::design;
    use super::*;

    /// A linear function of independent uniform inputs, y = Σ a_i x_i with
    /// x_i uniform on [0, 1]: Var(y) = Σ a_i² / 12, so the first-order and
    /// total indices are both a_i² / Σ a_j²; an input with a_i = 0 has 0.
    #[test]
    fn sobol_indices_of_a_linear_function_match_the_closed_form() {
        let a = [4.0, 2.0, 1.0, 0.0];
        let k = a.len();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let d = design::saltelli(k, 4096, &mut rng);
        let y: Vec<f64> = d
            .points
            .iter()
            .map(|p| p.iter().zip(&a).map(|(x, ai)| x.unwrap() * ai).sum())
            .collect();
        let out = sobol(&d.roles, &y, k, 5);
        let sum_sq: f64 = a.iter().map(|v| v * v).sum();
        for (i, ai) in a.iter().enumerate() {
            let truth = ai * ai / sum_sq;
            for statistic in ["first_order", "total"] {
                let x = out
                    .iter()
                    .find(|x| x.input == Some(i) && x.statistic == statistic)
                    .expect("every input has both indices");
                let (lo, hi) = x.ci95.expect("an interval");
                // Within 4 bootstrap standard errors of the closed form
                // (a false alarm about once in 16,000 checks), and the
                // interval informative (narrower than 0.1).
                let se = (hi - lo) / (2.0 * stats::Z95);
                assert!(
                    (x.value - truth).abs() <= 4.0 * se,
                    "{statistic} {i}: {} vs {truth}, se {se}",
                    x.value
                );
                assert!(
                    hi - lo < 0.1,
                    "{statistic} {i}: interval [{lo}, {hi}] too wide to test anything"
                );
            }
        }
    }

    /// Morris ranks the inputs of y = Σ a_i x_i by |a_i|, and for a linear
    /// function every elementary effect is exactly a_i (σ = 0).
    #[test]
    fn morris_effects_of_a_linear_function_are_its_coefficients() {
        let a = [-3.0, 0.5, 2.0, 0.0];
        let k = a.len();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(12);
        let d = design::morris(k, 10, 4, &mut rng);
        let y: Vec<f64> = d
            .points
            .iter()
            .map(|p| p.iter().zip(&a).map(|(x, ai)| x.unwrap() * ai).sum())
            .collect();
        let out = morris(&d.roles, &d.points, &y, k, 1);
        let get = |i: usize, s: &str| {
            out.iter()
                .find(|x| x.input == Some(i) && x.statistic == s)
                .unwrap()
                .value
        };
        for (i, ai) in a.iter().enumerate() {
            assert!((get(i, "mu") - ai).abs() < 1e-9, "mu {i}");
            assert!((get(i, "mu_star") - ai.abs()).abs() < 1e-9, "mu* {i}");
            assert!(get(i, "sigma") < 1e-9, "sigma {i}");
        }
    }

    /// An interaction shows in Morris's σ: y = x0 · x1 has effects that
    /// depend on the other input, so σ > 0 for both and 0 for x2.
    #[test]
    fn morris_sigma_reveals_an_interaction() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(13);
        let d = design::morris(3, 20, 4, &mut rng);
        let y: Vec<f64> = d.points.iter().map(|p| p[0].unwrap() * p[1].unwrap()).collect();
        let out = morris(&d.roles, &d.points, &y, 3, 1);
        let sigma = |i: usize| {
            out.iter()
                .find(|x| x.input == Some(i) && x.statistic == "sigma")
                .unwrap()
                .value
        };
        assert!(sigma(0) > 0.1 && sigma(1) > 0.1, "{} {}", sigma(0), sigma(1));
        assert_eq!(sigma(2), 0.0);
    }

    /// The tornado's swing is the hand-computed difference, and its
    /// interval comes from the paired differences: with a constant shift
    /// between high and low in every replica it has zero width.
    #[test]
    fn tornado_swing_is_the_paired_difference() {
        let d = design::tornado(1);
        let base: Replicas = vec![Some(1.0), Some(2.0), Some(3.0)];
        let low: Replicas = vec![Some(0.0), Some(1.0), Some(5.0)];
        let high: Replicas = vec![Some(2.5), Some(3.5), Some(7.5)];
        let out = tornado(&d.roles, &[base, low, high], false);
        let swing = out.iter().find(|x| x.statistic == "swing").unwrap();
        assert_eq!(swing.value, 2.5);
        assert_eq!(swing.ci95, Some((2.5, 2.5)));
        let lo = out.iter().find(|x| x.statistic == "low_value").unwrap();
        assert_eq!(lo.value, 2.0);
        assert!(
            lo.ci95.unwrap().0 < 0.0,
            "the mean's own interval is wide: {:?}",
            lo.ci95
        );
    }

    /// A proportion's swing gets Newcombe's interval, never degenerate and
    /// inside [−1, 1], even when every replica moves together.
    #[test]
    fn a_proportion_swing_has_newcombes_interval() {
        let d = design::tornado(1);
        let ones: Replicas = vec![Some(1.0); 8];
        let zeros: Replicas = vec![Some(0.0); 8];
        let out = tornado(&d.roles, &[ones.clone(), ones, zeros], true);
        let swing = out.iter().find(|x| x.statistic == "swing").unwrap();
        assert_eq!(swing.value, -1.0);
        let (lo, hi) = swing.ci95.unwrap();
        // Wilson at 8 of 8 is [l, 1] with l = 0.676 (and 0 of 8 is
        // [0, 1 − l]): Newcombe's upper limit is −1 + √2 (1 − l), its lower
        // limit −1.
        let (l, _) = stats::wilson(8, 8);
        let upper = -1.0 + 2f64.sqrt() * (1.0 - l);
        assert!(
            (hi - upper).abs() < 1e-12 && (lo + 1.0).abs() < 1e-12,
            "[{lo}, {hi}] vs [-1, {upper}]"
        );
    }
}
