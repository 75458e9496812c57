//! Credit exposure over the term, in the conventions of credit engines such
//! as the Open Source Risk Engine (ORE): for each contract month m, the
//! exposure if the buyer defaulted in month m — the payments still due from
//! month m on, the missed one included, valued at the end of month m — and
//! across replicas its expected exposure (EE), potential future exposure
//! (PFE, a quantile), expected positive exposure (EPE: EE's time average up
//! to m), and the marginal and cumulative probabilities of default. From
//! them, the credit valuation adjustment
//!
//! `CVA = Σ_m DF(m) · EE(m) · PD(m) · (1 − R)`,
//!
//! with R the recovery rate observed in the defaulting replicas. The
//! formula assumes exposure independent of default; the replicas' own
//! expected present-value loss does not, and the gap between the two is
//! the wrong-way risk (defaults cluster where re-marketing earns least).

use super::ReplicaOutcome;
use super::risk::{MIN_NONZERO_VALUES, RiskFigure};
use crate::finance::{discount_factor, present_value};
use crate::stats::{quantile_sorted, sorted};

/// One month of a point's exposure profile (a row of `exposure.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct ExposureMonth {
    /// Contract month, 1-based.
    pub month: usize,
    /// Expected exposure: the mean over replicas.
    pub ee_usd: f64,
    /// Potential future exposure at 95%.
    pub pfe95_usd: f64,
    /// Potential future exposure at 99%.
    pub pfe99_usd: f64,
    /// Expected positive exposure: the average of EE over months 1 to m.
    pub epe_usd: f64,
    /// Share of replicas defaulting in this month.
    pub marginal_pd: f64,
    /// Share of replicas defaulted by the end of this month.
    pub cumulative_pd: f64,
}

/// A replica's exposure in each month: E(m) = Σ_{k ≥ m} due(k)·v^(k−m),
/// v = (1 + r)^(−1/12), from the payments due after waivers (`due[0]` is
/// month 1's).
pub fn exposure_path(due: &[f64], rate: f64) -> Vec<f64> {
    let v = discount_factor(rate, 1.0);
    let mut path = vec![0.0; due.len()];
    let mut later = 0.0;
    for (m, d) in due.iter().enumerate().rev() {
        later = d + v * later;
        path[m] = later;
    }
    path
}

/// The exposure profile of one point's replicas, at annual rate `rate`.
pub fn profile(outcomes: &[ReplicaOutcome], rate: f64) -> Vec<ExposureMonth> {
    let n = outcomes.len();
    let paths: Vec<Vec<f64>> = outcomes.iter().map(|o| exposure_path(&o.ledger.due, rate)).collect();
    let months = paths.iter().map(Vec::len).max().unwrap_or(0);
    let mut out = Vec::with_capacity(months);
    let (mut ee_sum, mut defaulted) = (0.0, 0usize);
    for m in 0..months {
        let values: Vec<f64> = paths.iter().map(|p| p.get(m).copied().unwrap_or(0.0)).collect();
        let ordered = sorted(&values);
        let ee = values.iter().sum::<f64>() / n as f64;
        ee_sum += ee;
        let now = outcomes
            .iter()
            .filter(|o| o.ledger.default_month == Some(m as u32 + 1))
            .count();
        defaulted += now;
        out.push(ExposureMonth {
            month: m + 1,
            ee_usd: ee,
            pfe95_usd: quantile_sorted(&ordered, 0.95),
            pfe99_usd: quantile_sorted(&ordered, 0.99),
            epe_usd: ee_sum / (m + 1) as f64,
            marginal_pd: now as f64 / n as f64,
            cumulative_pd: defaulted as f64 / n as f64,
        });
    }
    out
}

/// The recovery rate the defaulting replicas show at annual rate `rate`:
/// 1 − Σ PV credit loss ÷ Σ PV exposure (so recovery counts re-marketing,
/// the claim and the opex the provider saves; a step-down's haircut is not
/// a credit loss at default and is left out); `None` without a default.
pub fn recovery_rate(outcomes: &[ReplicaOutcome], rate: f64) -> Option<f64> {
    let defaulted = outcomes.iter().filter(|o| o.row.default_month.is_some());
    let (lost, exposed) = defaulted.fold((0.0, 0.0), |(l, e), o| {
        let haircut = present_value(o.ledger.forgiven.iter().copied(), 1, rate);
        (l + o.row.pv_loss_usd - haircut, e + o.row.pv_exposure_at_default_usd)
    });
    (exposed > 0.0).then(|| 1.0 - lost / exposed)
}

/// CVA = Σ_m DF(m) · EE(m) · PD(m) · (1 − R).
pub fn cva(profile: &[ExposureMonth], rate: f64, recovery_rate: f64) -> f64 {
    profile
        .iter()
        .map(|p| discount_factor(rate, p.month as f64) * p.ee_usd * p.marginal_pd * (1.0 - recovery_rate))
        .sum()
}

/// The credit figures `risk.csv` adds from a point's exposure profile: the
/// observed recovery rate and the CVA it implies (both absent when no
/// replica defaulted, as the recovery rate is then unobserved).
pub fn credit_figures(profile: &[ExposureMonth], outcomes: &[ReplicaOutcome], rate: f64) -> Vec<RiskFigure> {
    let Some(r) = recovery_rate(outcomes, rate) else {
        return Vec::new();
    };
    let defaulted = outcomes.iter().filter(|o| o.row.default_month.is_some()).count();
    // Both rest on the defaulting replicas' recovery.
    let reliable = defaulted >= MIN_NONZERO_VALUES;
    vec![
        RiskFigure::point("recovery_rate", r, defaulted, reliable),
        RiskFigure::point("cva_usd", cva(profile, rate, r), outcomes.len(), reliable),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exposure_path_is_the_remaining_payments_valued_at_each_month() {
        assert_eq!(exposure_path(&[10.0, 10.0, 6.0], 0.0), [26.0, 16.0, 6.0]);
        let v = 1.1f64.powf(-1.0 / 12.0);
        let path = exposure_path(&[1.0, 1.0], 0.1);
        assert!((path[0] - (1.0 + v)).abs() < 1e-15 && path[1] == 1.0);
    }

    #[test]
    fn cva_under_a_constant_hazard_and_constant_exposure_is_its_closed_form() {
        // Exposure E every month, default hazard h per month (marginal PD
        // (1-h)^(m-1) h), no discounting, recovery R: CVA = E (1-R) (1 - (1-h)^M).
        let (e, h, months, r) = (100.0, 0.02, 60, 0.4);
        let profile: Vec<ExposureMonth> = (1..=months)
            .map(|m| ExposureMonth {
                month: m,
                ee_usd: e,
                pfe95_usd: e,
                pfe99_usd: e,
                epe_usd: e,
                marginal_pd: (1.0f64 - h).powi(m as i32 - 1) * h,
                cumulative_pd: 1.0 - (1.0f64 - h).powi(m as i32),
            })
            .collect();
        let closed = e * (1.0 - r) * (1.0 - (1.0 - h).powi(months as i32));
        assert!(
            (cva(&profile, 0.0, r) - closed).abs() < 1e-9,
            "{}",
            cva(&profile, 0.0, r)
        );
        // Discounted: each month's term by (1+rate)^(-m/12).
        let rate = 0.05;
        let discounted: f64 = (1..=months)
            .map(|m| 1.05f64.powf(-(m as f64) / 12.0) * e * (1.0 - h).powi(m as i32 - 1) * h * (1.0 - r))
            .sum();
        assert!((cva(&profile, rate, r) - discounted).abs() < 1e-9);
    }
}
