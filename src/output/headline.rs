//! What `run` prints on stdout when it is done: the headline figures of a
//! results folder's point 0 — mean utilization, mean idle cost, P(default)
//! by the term's last year and the expected loss, each with its 95%
//! interval — read back from the `summary.csv` and `risk.csv` just written,
//! so the lines say exactly what the files say (nothing is recomputed).
//! One plain line per figure, `label: value (95% interval …)`, for people
//! and for `grep`. A risk figure too noisy to read says so: a P(default)
//! whose interval is wider than ±[`NOISY_HALF_WIDTH`] is followed by a
//! line naming the options that narrow it, and an expected loss that
//! `risk.csv` flags as unreliable carries the flag.

use super::csv_table::{CsvTable, Garbled};
use super::numbers::{percent, probability, usd};
use super::risk_rows;
use crate::folder::FolderError;
use crate::metrics::risk::MIN_NONZERO_VALUES;
use std::path::Path;

/// A P(default) interval with a half-width above this (5 percentage
/// points) is too wide to read: 1 default in the baseline's 16 replicas
/// gives 6.2% with a Wilson interval of 1.1% to 28.3%.
pub const NOISY_HALF_WIDTH: f64 = 0.05;

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
    let mut note = None;
    if let Some((year, f)) = default.and_then(|(y, r)| Some((y, figure(r)?))) {
        line(format!("P(default by year {year})"), describe(&f, probability));
        note = f
            .ci95
            .map(|(low, high)| (high - low) / 2.0)
            .filter(|&half| half > NOISY_HALF_WIDTH)
            .map(|half| noisy_note(half, year));
    }
    if let Some(r) = rows_of("expected_loss_usd").next()
        && let Some(f) = figure(r)
    {
        let flag = if r.reliable == Some(false) {
            format!(" — not reliable: fewer than {MIN_NONZERO_VALUES} replicas have a loss (risk.csv's `reliable`)")
        } else {
            String::new()
        };
        line("expected loss".into(), describe(&f, usd) + &flag);
    }
    if let Some(note) = note {
        out += &note;
    }
    Ok(out)
}

/// The line after a P(default by year `year`) whose 95% interval is
/// ±`half` wide, when that is too wide to read.
fn noisy_note(half: f64, year: f64) -> String {
    format!(
        "note: the risk figures are mostly noise at this many replicas (P(default) ±{:.1} pp); for ±0.5 pp add \
         `--fidelity multi --target-ci p_default_by_year_{year}=0.005` (README, \"Which estimator\")\n",
        half * 100.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_noise_note_names_the_half_width_and_the_target_for_the_year() {
        let note = noisy_note(0.136, 5.0);
        assert!(note.contains("±13.6 pp"), "{note}");
        assert!(note.contains("--target-ci p_default_by_year_5=0.005"), "{note}");
        assert!(note.ends_with('\n') && note.lines().count() == 1, "{note}");
    }
}
