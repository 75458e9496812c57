//! Per-evaluation estimates from risk.csv, for studies run with
//! `--fidelity multi`: there each evaluation's P(default by year k),
//! expected loss and expected present-value loss come from the
//! multi-fidelity control variate (full replicas paired with their cheap
//! twins, `montecarlo::multifidelity`), which is more precise than the mean
//! of the full replicas alone. The study's indices then use those
//! estimates instead of the replicas' means; metrics risk.csv does not
//! estimate, and studies run with plain Monte Carlo, keep the replicas.

use super::indices::Estimate;
use super::{Metric, StudyError};
use std::path::Path;

/// The estimator name risk.csv gives a multi-fidelity figure.
const MULTI_FIDELITY: &str = "multi_fidelity";

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
/// (then all are taken from risk.csv, plain where the control variate
/// could not be formed), else `None`. A folder without risk.csv, or one
/// whose risk.csv has no `estimator` column, has none.
pub fn read(metrics: &[Metric], dir: &Path, evaluations: usize) -> Result<Vec<Option<Vec<Estimate>>>, StudyError> {
    let file = dir.join("risk.csv");
    let none = || metrics.iter().map(|_| None).collect();
    let Ok(mut reader) = csv::Reader::from_path(&file) else {
        return Ok(none());
    };
    let bad = |problem: String| StudyError::Results {
        file: file.clone(),
        problem,
    };
    let headers = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let names = [
        "point",
        "figure",
        "year",
        "value",
        "ci95_low",
        "ci95_high",
        "estimator",
        "effective_n",
    ];
    let Some(cols) = names.iter().map(|n| col(n)).collect::<Option<Vec<usize>>>() else {
        return Ok(none());
    };
    let wanted: Vec<Option<(&str, Option<u32>)>> = metrics.iter().map(|&m| figure_of(m)).collect();
    let mut found: Vec<Vec<Option<(Estimate, bool)>>> = metrics.iter().map(|_| vec![None; evaluations]).collect();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(e.to_string()))?;
        let cell = |i: usize| record.get(cols[i]).unwrap_or("");
        let number = |i: usize| cell(i).parse::<f64>().ok();
        let year = cell(2).parse::<u32>().ok();
        for (m, want) in wanted.iter().enumerate() {
            if *want != Some((cell(1), year)) {
                continue;
            }
            let point = cell(0)
                .parse::<usize>()
                .ok()
                .filter(|&p| p < evaluations)
                .ok_or_else(|| bad(format!("line {}: `{}` is not a point of the study", line + 2, cell(0))))?;
            let estimate = Estimate {
                value: number(3).unwrap_or(f64::NAN),
                ci95: number(4).zip(number(5)),
                n: number(7).map_or(0, |n| n.round().max(0.0) as usize),
            };
            found[m][point] = Some((estimate, cell(6) == MULTI_FIDELITY));
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
