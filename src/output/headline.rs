//! What `run` prints on stdout when it is done: the headline figures of a
//! results folder's point 0 — mean utilization, mean idle cost, P(default)
//! by the term's last year and the expected loss, each with its 95%
//! interval — read back from the `summary.csv` and `risk.csv` just written,
//! so the lines say exactly what the files say (nothing is recomputed).
//! One plain line per figure, `label: value (95% interval …)`, for people
//! and for `grep`.

use super::csv_table::{CsvTable, Garbled};
use super::numbers::{percent, usd};
use super::risk_rows;
use crate::folder::FolderError;
use std::path::Path;

/// One figure as a file holds it.
struct Figure {
    value: f64,
    ci95: Option<(f64, f64)>,
    /// How the interval was computed (`risk.csv`'s `interval` spelling).
    interval: String,
}

impl Figure {
    fn new(value: f64, ci95: Option<(f64, f64)>, n: Option<f64>, interval: String) -> Figure {
        // A Student-t interval needs two replicas (summary.csv writes a
        // zero-width one for a single replica).
        let too_few = interval == "t" && n.is_none_or(|n| n < 2.0);
        Figure {
            value,
            ci95: ci95.filter(|_| !too_few),
            interval,
        }
    }
}

/// The figure of `metric` at point 0 of summary.csv (`t`), if it has one.
fn summary_figure(t: &CsvTable, metric: &str) -> Result<Option<Figure>, Garbled> {
    let c = |name: &str| t.column(name);
    let (point, name, n, mean) = (c("point")?, c("metric")?, c("n")?, c("mean")?);
    let (low, high) = (c("ci95_low")?, c("ci95_high")?);
    for row in 0..t.rows.len() {
        if t.id(row, point)? != 0 || t.rows[row].get(name) != Some(metric) {
            continue;
        }
        let Some(value) = t.number(row, mean)? else {
            return Ok(None);
        };
        let ci95 = t.number(row, low)?.zip(t.number(row, high)?);
        return Ok(Some(Figure::new(value, ci95, t.number(row, n)?, "t".into())));
    }
    Ok(None)
}

/// `61.1% (95% interval 41.2% to 81.0%, Student-t)`.
fn describe(f: &Figure, format: fn(f64) -> String) -> String {
    let method = match f.interval.as_str() {
        "t" => "Student-t",
        "wilson" => "Wilson",
        "normal" => "normal",
        other => other,
    };
    match f.ci95 {
        Some((low, high)) => format!(
            "{} (95% interval {} to {}, {method})",
            format(f.value),
            format(low),
            format(high)
        ),
        None => format!("{} (no interval)", format(f.value)),
    }
}

/// The headline lines of the results folder `dir` (a `run`'s, one point).
/// A figure the folder does not have (no buyer, hence no default) is left
/// out.
pub fn headline(dir: &Path) -> Result<String, FolderError> {
    let garbled = |e: Garbled| FolderError::Io {
        path: e.path,
        source: std::io::Error::other(e.message),
    };
    let summary = CsvTable::read(dir, "summary.csv")
        .map_err(garbled)?
        .ok_or_else(|| FolderError::Io {
            path: dir.join("summary.csv"),
            source: std::io::ErrorKind::NotFound.into(),
        })?;
    let metric = |name: &str| summary_figure(&summary, name).map_err(garbled);
    let risk = risk_rows::read(dir).map_err(garbled)?.unwrap_or_default();
    let rows_of = |name: &'static str| (risk.iter()).filter(move |r| r.point == 0 && r.figure == name);
    let figure = |r: &risk_rows::RiskRow| {
        let interval = r.interval.clone().unwrap_or_default();
        Some(Figure::new(r.value?, r.ci95, r.n, interval))
    };
    // By the term: the last year risk.csv has.
    let default = rows_of("p_default_by_year")
        .filter_map(|r| Some((r.year?, r)))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let mut out = String::new();
    let mut line = |label: String, text: String| out += &format!("{label}: {text}\n");
    if let Some(f) = metric("utilization")? {
        line("mean utilization".into(), describe(&f, percent));
    }
    if let Some(f) = metric("idle_cost_usd")? {
        line("mean idle cost".into(), describe(&f, usd));
    }
    if let Some((year, f)) = default.and_then(|(y, r)| Some((y, figure(r)?))) {
        line(format!("P(default by year {year})"), describe(&f, percent));
    }
    if let Some(f) = rows_of("expected_loss_usd").next().and_then(figure) {
        line("expected loss".into(), describe(&f, usd));
    }
    Ok(out)
}
