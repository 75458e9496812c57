//! The counterparty-risk figures of `risk.csv`, computed across the replicas
//! of one grid point from their result rows.

use super::ReplicaRow;
use crate::stats::{Summary, quantile_sorted};

/// One figure of `risk.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskFigure {
    /// Name, e.g. `p_default_by_year_3` or `var95_loss_usd`.
    pub name: String,
    /// The estimate.
    pub value: f64,
    /// Its standard error where one is defined (probabilities, means).
    pub stderr: Option<f64>,
    /// Replicas it is computed from.
    pub n: usize,
}

/// Value at risk and conditional value at risk of `values` at level `q`
/// (e.g. 0.95): the q-quantile, and the mean of the values at or above it.
pub fn var_cvar(values: &[f64], q: f64) -> (f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let var = quantile_sorted(&sorted, q);
    let tail: Vec<f64> = sorted.iter().copied().filter(|&v| v >= var).collect();
    (var, tail.iter().sum::<f64>() / tail.len() as f64)
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
    let proportion = |name: String, hits: usize| {
        let p = hits as f64 / n as f64;
        RiskFigure {
            name,
            value: p,
            stderr: Some((p * (1.0 - p) / n as f64).sqrt()),
            n,
        }
    };
    for year in 1..=(term_years.ceil() as u32) {
        let by = rows
            .iter()
            .filter(|r| r.default_month.is_some_and(|m| m <= 12 * year))
            .count();
        out.push(proportion(format!("p_default_by_year_{year}"), by));
    }
    let losses: Vec<f64> = rows.iter().map(|r| r.loss_usd).collect();
    let idle: Vec<f64> = rows.iter().map(|r| r.idle_cost_usd).collect();
    for (label, values) in [("loss_usd", &losses), ("idle_cost_usd", &idle)] {
        let s = Summary::of(values, &[]).expect("non-empty");
        out.push(RiskFigure {
            name: format!("expected_{label}"),
            value: s.mean,
            stderr: Some(s.stderr),
            n,
        });
        let (var95, cvar95) = var_cvar(values, 0.95);
        let (var99, _) = var_cvar(values, 0.99);
        for (name, value) in [("var95", var95), ("var99", var99), ("cvar95", cvar95)] {
            out.push(RiskFigure {
                name: format!("{name}_{label}"),
                value,
                stderr: None,
                n,
            });
        }
    }
    let months: Vec<f64> = rows.iter().filter_map(|r| r.default_month.map(f64::from)).collect();
    if !months.is_empty() {
        let s = Summary::of(&months, &[0.05, 0.5, 0.95]).expect("non-empty");
        for (name, value) in [
            ("default_month_p5", s.quantiles[0]),
            ("default_month_p50", s.quantiles[1]),
            ("default_month_p95", s.quantiles[2]),
        ] {
            out.push(RiskFigure {
                name: name.into(),
                value,
                stderr: None,
                n: months.len(),
            });
        }
    }
    let below = rows
        .iter()
        .filter(|r| r.min_year_utilization.is_some_and(|u| u < threshold))
        .count();
    out.push(proportion(format!("p_year_utilization_below_{threshold}"), below));
    let pv_losses: Vec<f64> = rows.iter().map(|r| r.pv_loss_usd).collect();
    let s = Summary::of(&pv_losses, &[]).expect("non-empty");
    out.push(RiskFigure {
        name: "expected_pv_loss_usd".into(),
        value: s.mean,
        stderr: Some(s.stderr),
        n,
    });
    // Loss given default is a distribution over the defaulting replicas.
    let lgd: Vec<f64> = rows.iter().filter_map(|r| r.loss_given_default).collect();
    if let Some(s) = Summary::of(&lgd, &[0.05, 0.5, 0.95]) {
        let figures = [
            ("mean_loss_given_default", s.mean, Some(s.stderr)),
            ("loss_given_default_p5", s.quantiles[0], None),
            ("loss_given_default_p50", s.quantiles[1], None),
            ("loss_given_default_p95", s.quantiles[2], None),
        ];
        for (name, value, stderr) in figures {
            out.push(RiskFigure {
                name: name.into(),
                value,
                stderr,
                n: lgd.len(),
            });
        }
    }
    out.extend(provider_figures(rows));
    out
}

/// The provider's figures, when its economics are modelled: its expected
/// NPV and NPV quantiles, and the break-even default probability.
fn provider_figures(rows: &[&ReplicaRow]) -> Vec<RiskFigure> {
    let npv: Vec<f64> = rows.iter().filter_map(|r| r.provider_npv_usd).collect();
    let Some(s) = Summary::of(&npv, &[0.05, 0.5, 0.95]) else {
        return Vec::new();
    };
    let n = npv.len();
    let mut out = vec![RiskFigure {
        name: "expected_provider_npv_usd".into(),
        value: s.mean,
        stderr: Some(s.stderr),
        n,
    }];
    for (name, value) in [
        ("provider_npv_usd_p5", s.quantiles[0]),
        ("provider_npv_usd_p50", s.quantiles[1]),
        ("provider_npv_usd_p95", s.quantiles[2]),
    ] {
        out.push(RiskFigure {
            name: name.into(),
            value,
            stderr: None,
            n,
        });
    }
    let mean_where = |defaulted: bool| {
        let v: Vec<f64> = rows
            .iter()
            .filter(|r| r.default_month.is_some() == defaulted)
            .filter_map(|r| r.provider_npv_usd)
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    if let (Some(kept), Some(defaulted)) = (mean_where(false), mean_where(true)) {
        out.push(RiskFigure {
            name: "breakeven_default_probability".into(),
            value: breakeven_default_probability(kept, defaulted),
            stderr: None,
            n,
        });
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

    #[test]
    fn default_probabilities_accumulate_by_year() {
        let row = |m: Option<u32>, loss: f64| ReplicaRow {
            default_month: m,
            loss_usd: loss,
            ..ReplicaRow::default()
        };
        let rows = [row(Some(3), 10.0), row(Some(14), 5.0), row(None, 0.0), row(None, 0.0)];
        let refs: Vec<&ReplicaRow> = rows.iter().collect();
        let f = risk_figures(&refs, 2.0, 0.5);
        let get = |name: &str| f.iter().find(|x| x.name == name).unwrap().value;
        assert_eq!(get("p_default_by_year_1"), 0.25);
        assert_eq!(get("p_default_by_year_2"), 0.5);
        assert_eq!(get("expected_loss_usd"), 3.75);
        assert_eq!(get("default_month_p50"), 8.5);
    }
}
