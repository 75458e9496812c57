//! The counterparty-risk figures of `risk.csv`, computed across the replicas
//! of one grid point from their result rows, each with a 95% confidence
//! interval that is right at every n (see `stats`): Wilson for
//! probabilities, Student-t for means, order statistics for quantiles, a
//! bootstrap for CVaR. A figure is a name without parameters
//! (`p_default_by_year`, `var_loss_usd`) and its parameter (a contract
//! year, a quantile level or a threshold): `risk.csv` is tidy.

use super::{ReplicaOutcome, ReplicaRow, exposure};
use crate::config::Scenario;
use crate::engine::Span;
use crate::stats::{self, Summary, bootstrap_cvar_interval, quantile_interval, sorted, var_cvar_sorted};

/// A quantile figure is reliable when at least this many replicas lie
/// beyond the quantile (n · min(q, 1 − q)): the 95% rank uncertainty of
/// the order statistic is then within about ±20% of its tail probability
/// (1.96 / √100), so a VaR99 needs 10,000 replicas and a VaR95 2,000.
pub const MIN_TAIL_REPLICAS: f64 = 100.0;

/// A mean is reliable when at least this many replicas have a nonzero
/// value: a mean of mostly zeros (the loss when few replicas default) is
/// far from normal, and its t interval is then too narrow.
pub const MIN_NONZERO_VALUES: usize = 10;

/// The seed of the CVaR bootstrap: fixed, so a figure's interval depends
/// only on its values.
const BOOTSTRAP_SEED: u64 = 0x6d6f_7274_6761_6765;

/// The parameter of a figure: one column of `risk.csv` each.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Param {
    /// None.
    None,
    /// A contract year (1-based): `year`.
    Year(u32),
    /// A quantile level in (0, 1): `quantile`.
    Quantile(f64),
    /// A utilization threshold: `threshold`.
    Threshold(f64),
}

/// How a figure's 95% interval was computed (the `interval` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// Mean ∓ t(n − 1) · stderr.
    StudentT,
    /// Wilson score interval of a proportion.
    Wilson,
    /// Distribution-free bounds from order statistics (binomial ranks).
    OrderStatistic,
    /// Percentile bootstrap.
    Bootstrap,
    /// Normal interval of an estimator's standard error (the multi-fidelity
    /// and importance-sampling estimators).
    Normal,
    /// No interval (ratios of sums and other derived figures).
    None,
}

impl Interval {
    /// The CSV spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::StudentT => "t",
            Interval::Wilson => "wilson",
            Interval::OrderStatistic => "order_statistic",
            Interval::Bootstrap => "bootstrap",
            Interval::Normal => "normal",
            Interval::None => "",
        }
    }
}

/// One figure of `risk.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskFigure {
    /// Name without its parameter, e.g. `p_default_by_year`, `var_loss_usd`.
    pub figure: &'static str,
    /// Its parameter.
    pub param: Param,
    /// The estimate.
    pub value: f64,
    /// Its standard error where one is defined (probabilities, means).
    pub stderr: Option<f64>,
    /// The 95% confidence interval's bounds; a side the data cannot bound
    /// (or a figure without an interval) is `None`.
    pub ci95: (Option<f64>, Option<f64>),
    /// How the interval was computed.
    pub interval: Interval,
    /// Replicas it is computed from.
    pub n: usize,
    /// Whether enough replicas inform it (see [`MIN_TAIL_REPLICAS`],
    /// [`MIN_NONZERO_VALUES`]).
    pub reliable: bool,
    /// Which estimator produced it.
    pub estimator: Estimator,
    /// Its effective sample size: the plain Monte Carlo replicas that
    /// would give the same variance (`n` for a plain estimate).
    pub effective_n: f64,
}

/// The estimator behind a figure (the `estimator` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimator {
    /// Plain Monte Carlo over the full replicas.
    Plain,
    /// The multi-fidelity control variate (full replicas and their cheap
    /// twins, plus more cheap replicas).
    MultiFidelity,
    /// Importance sampling: twins sampled under a tilt of the drivers of
    /// default and weighted by their likelihood ratios, corrected by full
    /// replicas under the same tilt and their twins.
    ImportanceSampling,
}

impl Estimator {
    /// The CSV spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Estimator::Plain => "plain",
            Estimator::MultiFidelity => "multi_fidelity",
            Estimator::ImportanceSampling => "importance_sampling",
        }
    }
}

impl RiskFigure {
    /// A probability: `hits` of `n`, with its Wilson interval (valid at
    /// every n, so always reliable).
    pub fn proportion(figure: &'static str, param: Param, hits: usize, n: usize) -> RiskFigure {
        let p = hits as f64 / n.max(1) as f64;
        let (lo, hi) = stats::wilson(hits, n);
        RiskFigure {
            figure,
            param,
            value: p,
            stderr: Some((p * (1.0 - p) / n.max(1) as f64).sqrt()),
            ci95: (Some(lo), Some(hi)),
            interval: Interval::Wilson,
            n,
            reliable: n > 0,
            estimator: Estimator::Plain,
            effective_n: n as f64,
        }
    }

    /// A mean, with its Student-t interval; `None` without values.
    pub fn mean(figure: &'static str, values: &[f64]) -> Option<RiskFigure> {
        let s = Summary::of(values, &[])?;
        let (lo, hi) = s.ci95();
        let nonzero = values.iter().filter(|&&v| v != 0.0).count();
        Some(RiskFigure {
            figure,
            param: Param::None,
            value: s.mean,
            stderr: Some(s.stderr),
            ci95: if s.n >= 2 { (Some(lo), Some(hi)) } else { (None, None) },
            interval: Interval::StudentT,
            n: s.n,
            reliable: nonzero >= MIN_NONZERO_VALUES,
            estimator: Estimator::Plain,
            effective_n: s.n as f64,
        })
    }

    /// The `q`-quantile of ascending `sorted` (interpolated as numpy's
    /// default), with its order-statistic interval.
    pub fn quantile(figure: &'static str, sorted: &[f64], q: f64) -> RiskFigure {
        let ci95 = quantile_interval(sorted, q);
        RiskFigure {
            figure,
            param: Param::Quantile(q),
            value: stats::quantile_sorted(sorted, q),
            stderr: None,
            ci95,
            interval: Interval::OrderStatistic,
            n: sorted.len(),
            reliable: tail_reliable(sorted.len(), q) && ci95.0.is_some() && ci95.1.is_some(),
            estimator: Estimator::Plain,
            effective_n: sorted.len() as f64,
        }
    }

    /// The CVaR at `q` of ascending `sorted` (the mean of the values at or
    /// above the `q`-quantile), with a bootstrap interval.
    pub fn cvar(figure: &'static str, sorted: &[f64], q: f64) -> RiskFigure {
        let ci = bootstrap_cvar_interval(sorted, q, BOOTSTRAP_SEED);
        RiskFigure {
            figure,
            param: Param::Quantile(q),
            value: var_cvar_sorted(sorted, q).1,
            stderr: None,
            ci95: ci.map_or((None, None), |(lo, hi)| (Some(lo), Some(hi))),
            interval: Interval::Bootstrap,
            n: sorted.len(),
            reliable: tail_reliable(sorted.len(), q) && ci.is_some(),
            estimator: Estimator::Plain,
            effective_n: sorted.len() as f64,
        }
    }

    /// A derived figure without an interval, from `n` replicas.
    pub fn point(figure: &'static str, value: f64, n: usize, reliable: bool) -> RiskFigure {
        RiskFigure {
            figure,
            param: Param::None,
            value,
            stderr: None,
            ci95: (None, None),
            interval: Interval::None,
            n,
            reliable,
            estimator: Estimator::Plain,
            effective_n: n as f64,
        }
    }

    /// The figure's name with its parameter, as `risk.csv` spelled it
    /// before it was tidy and as `--target-ci` takes it:
    /// `p_default_by_year_3`, `var95_loss_usd`, `cvar95_idle_cost_usd`,
    /// `default_month_p50`, `p_year_utilization_below_0.5`.
    pub fn label(&self) -> String {
        match self.param {
            Param::None => self.figure.to_string(),
            Param::Year(y) => format!("{}_{y}", self.figure),
            Param::Threshold(t) => format!("{}_{t}", self.figure),
            Param::Quantile(q) => {
                let pct = (q * 100.0).round();
                match self.figure.split_once('_') {
                    Some((head @ ("var" | "cvar"), rest)) => format!("{head}{pct}_{rest}"),
                    _ => format!("{}_p{pct}", self.figure),
                }
            }
        }
    }

    /// Half the width of the 95% interval (infinite when a side is
    /// unbounded or there is no interval).
    pub fn half_width(&self) -> f64 {
        match self.ci95 {
            (Some(lo), Some(hi)) => (hi - lo) / 2.0,
            _ => f64::INFINITY,
        }
    }
}

/// Whether a quantile at level `q` of `n` values has [`MIN_TAIL_REPLICAS`]
/// beyond it.
fn tail_reliable(n: usize, q: f64) -> bool {
    n as f64 * q.min(1.0 - q) >= MIN_TAIL_REPLICAS
}

/// Value at risk and conditional value at risk of `values` at level `q`
/// (e.g. 0.95): the q-quantile, and the mean of the values at or above it.
pub fn var_cvar(values: &[f64], q: f64) -> (f64, f64) {
    var_cvar_sorted(&sorted(values), q)
}

/// Every figure of `risk.csv` for one grid point: [`risk_figures`] and the
/// credit figures of its exposure profile.
pub fn point_figures(outcomes: &[ReplicaOutcome], scenario: &Scenario) -> Vec<RiskFigure> {
    let rows: Vec<&ReplicaRow> = outcomes.iter().map(|o| &o.row).collect();
    let term_years = scenario.contract.term.in_units(Span::YEAR);
    let rate = scenario.contract.discount_rate_per_year;
    let profile = exposure::profile(outcomes, rate);
    let mut out = risk_figures(&rows, term_years, scenario.utilization_threshold);
    out.extend(exposure::credit_figures(&profile, outcomes, rate));
    out
}

/// The labels of the figures of `scenario`'s `risk.csv` that have a
/// confidence interval (those a precision target can aim at), in file
/// order: the figures of two replicas, one defaulting and one not, so
/// every figure the scenario can have is there.
pub fn target_labels(scenario: &Scenario) -> Vec<String> {
    let some = |x: f64| Some(x);
    let rows = [
        ReplicaRow {
            default_month: Some(1),
            loss_given_default: some(0.5),
            provider_npv_usd: some(1.0),
            ..ReplicaRow::default()
        },
        ReplicaRow {
            provider_npv_usd: some(2.0),
            ..ReplicaRow::default()
        },
    ];
    let refs: Vec<&ReplicaRow> = rows.iter().collect();
    let term_years = scenario.contract.term.in_units(Span::YEAR);
    risk_figures(&refs, term_years, scenario.utilization_threshold)
        .iter()
        .filter(|f| f.interval != Interval::None)
        .map(RiskFigure::label)
        .collect()
}

/// The counterparty-risk figures of one grid point from its replica rows:
/// probability of default by the end of each contract year, expected loss,
/// VaR95/VaR99/CVaR95 of loss and of idle cost, the default month's
/// median and 5–95% range among defaulting replicas, and the probability
/// that some whole contract year has utilization below `threshold`.
pub fn risk_figures(rows: &[&ReplicaRow], term_years: f64, threshold: f64) -> Vec<RiskFigure> {
    let n = rows.len();
    if n == 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for year in 1..=(term_years.ceil() as u32) {
        let by = rows
            .iter()
            .filter(|r| r.default_month.is_some_and(|m| m <= 12 * year))
            .count();
        out.push(RiskFigure::proportion("p_default_by_year", Param::Year(year), by, n));
    }
    let losses: Vec<f64> = rows.iter().map(|r| r.loss_usd).collect();
    let idle: Vec<f64> = rows.iter().map(|r| r.idle_cost_usd).collect();
    let tails = [
        ("expected_loss_usd", "var_loss_usd", "cvar_loss_usd", &losses),
        (
            "expected_idle_cost_usd",
            "var_idle_cost_usd",
            "cvar_idle_cost_usd",
            &idle,
        ),
    ];
    for (expected, var, cvar, values) in tails {
        out.extend(RiskFigure::mean(expected, values));
        let ordered = sorted(values);
        out.push(RiskFigure::quantile(var, &ordered, 0.95));
        out.push(RiskFigure::quantile(var, &ordered, 0.99));
        out.push(RiskFigure::cvar(cvar, &ordered, 0.95));
    }
    let months: Vec<f64> = rows.iter().filter_map(|r| r.default_month.map(f64::from)).collect();
    if !months.is_empty() {
        let ordered = sorted(&months);
        for q in [0.05, 0.5, 0.95] {
            out.push(RiskFigure::quantile("default_month", &ordered, q));
        }
    }
    let below = rows
        .iter()
        .filter(|r| r.min_year_utilization.is_some_and(|u| u < threshold))
        .count();
    out.push(RiskFigure::proportion(
        "p_year_utilization_below",
        Param::Threshold(threshold),
        below,
        n,
    ));
    let pv_losses: Vec<f64> = rows.iter().map(|r| r.pv_loss_usd).collect();
    out.extend(RiskFigure::mean("expected_pv_loss_usd", &pv_losses));
    // Loss given default is a distribution over the defaulting replicas.
    let lgd: Vec<f64> = rows.iter().filter_map(|r| r.loss_given_default).collect();
    if let Some(mean) = RiskFigure::mean("mean_loss_given_default", &lgd) {
        out.push(mean);
        let ordered = sorted(&lgd);
        for q in [0.05, 0.5, 0.95] {
            out.push(RiskFigure::quantile("loss_given_default", &ordered, q));
        }
    }
    out.extend(provider_figures(rows));
    out
}

/// The provider's figures, when its economics are modelled: its expected
/// NPV and NPV quantiles, and the break-even default probability.
fn provider_figures(rows: &[&ReplicaRow]) -> Vec<RiskFigure> {
    let npv: Vec<f64> = rows.iter().filter_map(|r| r.provider_npv_usd).collect();
    let Some(mean) = RiskFigure::mean("expected_provider_npv_usd", &npv) else {
        return Vec::new();
    };
    let mut out = vec![mean];
    let ordered = sorted(&npv);
    for q in [0.05, 0.5, 0.95] {
        out.push(RiskFigure::quantile("provider_npv_usd", &ordered, q));
    }
    let npv_where = |defaulted: bool| -> Vec<f64> {
        rows.iter()
            .filter(|r| r.default_month.is_some() == defaulted)
            .filter_map(|r| r.provider_npv_usd)
            .collect()
    };
    let (kept, defaulted) = (npv_where(false), npv_where(true));
    if !kept.is_empty() && !defaulted.is_empty() {
        let value = breakeven_default_probability(stats::mean(&kept), stats::mean(&defaulted));
        let reliable = kept.len().min(defaulted.len()) >= MIN_NONZERO_VALUES;
        out.push(RiskFigure::point(
            "breakeven_default_probability",
            value,
            npv.len(),
            reliable,
        ));
    }
    out
}

/// The default probability p at which the provider's expected NPV,
/// (1 − p) · `kept` + p · `defaulted`, is zero, given its mean NPV when the
/// buyer pays to the end and when it defaults (with this scenario's timing
/// of defaults): 0 when the deal loses money even if paid in full, 1 when
/// it makes money even if the buyer defaults.
pub fn breakeven_default_probability(kept: f64, defaulted: f64) -> f64 {
    if kept <= 0.0 {
        0.0
    } else if defaulted >= 0.0 {
        1.0
    } else {
        kept / (kept - defaulted)
    }
}

#[cfg(test)]
mod risk_tests {
    use super::*;

    #[test]
    fn the_breakeven_default_probability_zeroes_the_expected_npv() {
        let p = breakeven_default_probability(30.0, -70.0);
        assert!((p - 0.3).abs() < 1e-12 && ((1.0 - p) * 30.0 + p * -70.0).abs() < 1e-9);
        assert_eq!(breakeven_default_probability(-1.0, -5.0), 0.0);
        assert_eq!(breakeven_default_probability(10.0, 2.0), 1.0);
    }

    #[test]
    fn var_and_cvar_of_a_known_sample() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        let (var, cvar) = var_cvar(&v, 0.95);
        assert!((var - 95.05).abs() < 1e-9);
        assert!((cvar - 98.0).abs() < 1e-9, "{cvar}"); // mean of 96..=100
    }

    fn row(m: Option<u32>, loss: f64) -> ReplicaRow {
        ReplicaRow {
            default_month: m,
            loss_usd: loss,
            ..ReplicaRow::default()
        }
    }

    #[test]
    fn default_probabilities_accumulate_by_year() {
        let rows = [row(Some(3), 10.0), row(Some(14), 5.0), row(None, 0.0), row(None, 0.0)];
        let refs: Vec<&ReplicaRow> = rows.iter().collect();
        let f = risk_figures(&refs, 2.0, 0.5);
        let get = |label: &str| f.iter().find(|x| x.label() == label).unwrap().clone();
        assert_eq!(get("p_default_by_year_1").value, 0.25);
        assert_eq!(get("p_default_by_year_2").value, 0.5);
        assert_eq!(get("p_default_by_year_2").param, Param::Year(2));
        assert_eq!(get("expected_loss_usd").value, 3.75);
        assert_eq!(get("default_month_p50").value, 8.5);
        assert_eq!(get("default_month_p50").figure, "default_month");
        assert_eq!(get("var95_loss_usd").param, Param::Quantile(0.95));
        assert_eq!(get("cvar95_idle_cost_usd").figure, "cvar_idle_cost_usd");
        assert_eq!(get("p_year_utilization_below_0.5").param, Param::Threshold(0.5));
    }

    #[test]
    fn a_small_proportion_has_a_wilson_interval_inside_0_1() {
        // Issue 19: 1 of 16 had a normal interval of 0.0625 ∓ 0.119, below 0.
        let mut rows = vec![row(Some(40), 1.0)];
        rows.extend((0..15).map(|_| row(None, 0.0)));
        let refs: Vec<&ReplicaRow> = rows.iter().collect();
        let f = risk_figures(&refs, 5.0, 0.5);
        let p = f.iter().find(|x| x.label() == "p_default_by_year_5").unwrap();
        assert_eq!(p.value, 0.0625);
        let (lo, hi) = (p.ci95.0.unwrap(), p.ci95.1.unwrap());
        assert!((0.0..0.0625).contains(&lo) && (0.0625..=1.0).contains(&hi), "{lo} {hi}");
        assert!((lo - 0.0111).abs() < 1e-3 && (hi - 0.2833).abs() < 1e-3, "{lo} {hi}");
        assert_eq!(p.interval, Interval::Wilson);
        // One loss in 16: the mean's interval exists but it is not reliable;
        // neither is a VaR99 of 16 values, whose upper bound does not exist.
        let el = f.iter().find(|x| x.label() == "expected_loss_usd").unwrap();
        assert!(!el.reliable && el.interval == Interval::StudentT);
        let var99 = f.iter().find(|x| x.label() == "var99_loss_usd").unwrap();
        assert!(!var99.reliable && var99.ci95.1.is_none() && var99.half_width().is_infinite());
    }

    #[test]
    fn a_var95_of_2000_replicas_is_reliable_and_of_1999_is_not() {
        for (n, reliable) in [(2000usize, true), (1999, false)] {
            let v: Vec<f64> = (0..n).map(|i| i as f64).collect();
            let f = RiskFigure::quantile("var_loss_usd", &v, 0.95);
            assert_eq!(f.reliable, reliable, "n {n}");
            let (lo, hi) = (f.ci95.0.unwrap(), f.ci95.1.unwrap());
            assert!(lo < f.value && f.value < hi);
        }
    }
}
