//! Per-evaluation estimates from risk.csv, for studies run with
//! `--fidelity multi` (or `is`, importance sampling on the twins): there each evaluation's P(default by year k),
//! expected loss and expected present-value loss come from the
//! multi-fidelity control variate (full replicas paired with their cheap
//! twins, `montecarlo::multifidelity`), which is more precise than the mean
//! of the full replicas alone. The study's indices then use those
//! estimates instead of the replicas' means; metrics risk.csv does not
//! estimate, and studies run with plain Monte Carlo, keep the replicas.

use super::indices::Estimate;
use super::{Metric, StudyError};
use crate::output::csv_table::Garbled;
use crate::output::risk_rows;
use std::path::Path;

/// The estimator names risk.csv gives figures that use the low-fidelity
/// twins: the control variate and importance sampling (`--fidelity is`).
const WITH_TWINS: [&str; 2] = ["multi_fidelity", "importance_sampling"];

/// The risk.csv figure (and year) that estimates `metric`'s mean, if any.
fn figure_of(metric: Metric) -> Option<(&'static str, Option<u32>)> {
    match metric {
        Metric::DefaultByYear(k) => Some(("p_default_by_year", Some(k))),
        Metric::Column(c) if c.name == "loss_usd" => Some(("expected_loss_usd", None)),
        Metric::Column(c) if c.name == "pv_loss_usd" => Some(("expected_pv_loss_usd", None)),
        Metric::Column(_) => None,
    }
}

/// For each of `metrics`: the estimate at each of `evaluations` points from
/// `dir`'s risk.csv when at least one of them is a multi-fidelity estimate
/// (or an importance-sampling one; then all are taken from risk.csv, plain where the control variate
/// could not be formed), else `None`. A folder without risk.csv, or one
/// whose risk.csv names no estimator (folders written before `--fidelity`),
/// has none.
pub fn read(metrics: &[Metric], dir: &Path, evaluations: usize) -> Result<Vec<Option<Vec<Estimate>>>, StudyError> {
    let bad = |e: Garbled| StudyError::Results {
        file: e.path,
        problem: e.message,
    };
    let Some(rows) = risk_rows::read(dir).map_err(bad)? else {
        return Ok(metrics.iter().map(|_| None).collect());
    };
    let wanted: Vec<Option<(&str, Option<u32>)>> = metrics.iter().map(|&m| figure_of(m)).collect();
    let mut found: Vec<Vec<Option<(Estimate, bool)>>> = metrics.iter().map(|_| vec![None; evaluations]).collect();
    for (line, row) in rows.iter().enumerate() {
        for (m, want) in wanted.iter().enumerate() {
            let Some((figure, year)) = *want else {
                continue;
            };
            if row.figure != figure || row.year != year.map(f64::from) {
                continue;
            }
            let point = usize::try_from(row.point)
                .ok()
                .filter(|&p| p < evaluations)
                .ok_or_else(|| StudyError::Results {
                    file: dir.join("risk.csv"),
                    problem: format!("line {}: `{}` is not a point of the study", line + 2, row.point),
                })?;
            let estimate = Estimate {
                value: row.value.unwrap_or(f64::NAN),
                ci95: row.ci95,
                n: row.effective_n.map_or(0, |n| n.round().max(0.0) as usize),
            };
            let with_twins = row.estimator.as_deref().is_some_and(|e| WITH_TWINS.contains(&e));
            found[m][point] = Some((estimate, with_twins));
        }
    }
    Ok(found
        .into_iter()
        .map(|per_point| {
            let any_multi = per_point.iter().flatten().any(|(_, multi)| *multi);
            let all: Option<Vec<Estimate>> = per_point.into_iter().map(|e| e.map(|(e, _)| e)).collect();
            all.filter(|_| any_multi)
        })
        .collect())
}
