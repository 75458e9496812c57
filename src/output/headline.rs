//! What `run` prints on stdout when it is done: the headline figures of a
//! results folder's point 0 — mean utilization, mean idle cost, P(default)
//! by the term's last year and the expected loss, each with its 95%
//! interval — read back from the `summary.csv` and `risk.csv` just written,
//! so the lines say exactly what the files say (nothing is recomputed).
//! One plain line per figure, `label: value (95% interval …)`, for people
//! and for `grep`.

use super::numbers::{percent, usd};
use crate::folder::FolderError;
use std::path::Path;

/// One figure as a file holds it.
struct Figure {
    value: f64,
    ci95: Option<(f64, f64)>,
    /// How the interval was computed (`risk.csv`'s `interval` spelling).
    interval: String,
}

/// A CSV file of the folder, as its header and its rows of point 0.
struct Rows {
    headers: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

impl Rows {
    fn read(path: &Path) -> Result<Rows, FolderError> {
        let garbled = |e: csv::Error| FolderError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        };
        let mut reader = csv::Reader::from_path(path).map_err(garbled)?;
        let headers = reader.headers().map_err(garbled)?.iter().map(String::from).collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(garbled)?;
            if record.get(0) == Some("0") {
                rows.push(record);
            }
        }
        Ok(Rows { headers, rows })
    }

    fn cell<'a>(&self, row: &'a csv::StringRecord, column: &str) -> Option<&'a str> {
        let i = self.headers.iter().position(|h| h == column)?;
        row.get(i).filter(|v| !v.is_empty())
    }

    fn number(&self, row: &csv::StringRecord, column: &str) -> Option<f64> {
        self.cell(row, column)?.parse().ok()
    }

    fn figure(&self, row: &csv::StringRecord, interval: &str) -> Option<Figure> {
        let interval = self.cell(row, "interval").unwrap_or(interval).to_string();
        // A Student-t interval needs two replicas (summary.csv writes a
        // zero-width one for a single replica).
        let too_few = interval == "t" && self.number(row, "n").is_none_or(|n| n < 2.0);
        let ci95 = self.number(row, "ci95_low").zip(self.number(row, "ci95_high"));
        Some(Figure {
            value: self.number(row, "mean").or_else(|| self.number(row, "value"))?,
            ci95: ci95.filter(|_| !too_few),
            interval,
        })
    }
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
    let summary = Rows::read(&dir.join("summary.csv"))?;
    let risk = Rows::read(&dir.join("risk.csv"))?;
    let metric = |name: &str| {
        (summary.rows.iter())
            .find(|r| summary.cell(r, "metric") == Some(name))
            .and_then(|r| summary.figure(r, "t"))
    };
    let risk = &risk;
    let rows_of = |name: &'static str| (risk.rows.iter()).filter(move |r| risk.cell(r, "figure") == Some(name));
    // By the term: the last year risk.csv has.
    let default = rows_of("p_default_by_year")
        .filter_map(|r| Some((risk.number(r, "year")?, r)))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let mut out = String::new();
    let mut line = |label: String, text: String| out += &format!("{label}: {text}\n");
    if let Some(f) = metric("utilization") {
        line("mean utilization".into(), describe(&f, percent));
    }
    if let Some(f) = metric("idle_cost_usd") {
        line("mean idle cost".into(), describe(&f, usd));
    }
    if let Some((year, f)) = default.and_then(|(y, r)| Some((y, risk.figure(r, "")?))) {
        line(format!("P(default by year {year})"), describe(&f, percent));
    }
    if let Some(f) = rows_of("expected_loss_usd").next().and_then(|r| risk.figure(r, "")) {
        line("expected loss".into(), describe(&f, usd));
    }
    Ok(out)
}
