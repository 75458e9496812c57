//! `report.html`: a results folder's picture of itself.
//!
//! [`write_report`] reads the CSVs of a results folder — only the files, so it
//! works on any folder, including ones written by older versions — and
//! writes `report.html` plus one SVG per chart in `charts/`. The SVGs are
//! also inlined in the HTML, so the page needs no network and no other file.
//!
//! Charts: utilization over the term as a fan chart with delivered and
//! planned capacity on the same time axis; idle fraction and idle cost
//! across replicas; the cumulative probability of default by month and the
//! loss distribution; training runs by outcome and their delay; the
//! median replica's training run timelines (`training_runs.csv`); and, for a
//! sweep, one small-multiples panel per swept axis and a heatmap when two
//! axes vary.
//!
//! What can fail: a missing, unreadable or garbled input file (a
//! [`ReportError`] for which [`ReportError::is_bad_input`] is true, naming the
//! file), an unknown `--metric` or `--point`, and writing the report's files.
//! Thin data — one replica, one point, no default, every replica defaulting,
//! a column an older folder lacks — never fails: the chart says what is
//! missing instead.

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// What to report on.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// `summary.csv` metric of the sweep charts (default `utilization`).
    pub metric: String,
    /// Grid point whose replicas the detail charts show (default: the first
    /// point of `points.csv`).
    pub point: Option<u64>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            metric: "utilization".into(),
            point: None,
        }
    }
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The results folder does not exist. Fatal; pass the folder that `run`
    /// or `sweep` wrote (e.g. `results/baseline`).
    #[error("{0}: no such results folder (run `mortgage-sim run` or `sweep` first)")]
    NoFolder(PathBuf),
    /// A file every results folder has is missing. Fatal; the folder is not a
    /// complete results folder.
    #[error("{0}: missing (every results folder written by `run` or `sweep` has it)")]
    MissingFile(PathBuf),
    /// A file exists but cannot be read as expected: not CSV or JSON, a
    /// missing column, a cell that is not a number. Fatal; the message says
    /// where.
    #[error("{path}: {message}")]
    Garbled {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line when known.
        message: String,
    },
    /// `--metric` names no metric of `summary.csv`. Fatal; choose one of the
    /// listed ones.
    #[error("--metric {metric}: not a metric of {path}; allowed: {allowed}")]
    UnknownMetric {
        /// The metric asked for.
        metric: String,
        /// `summary.csv`.
        path: PathBuf,
        /// The metrics it has.
        allowed: String,
    },
    /// `--point` names no point of `points.csv`. Fatal; choose a listed one.
    #[error("--point {point}: not a point of {path}; allowed: {allowed}")]
    UnknownPoint {
        /// The point asked for.
        point: u64,
        /// `points.csv`.
        path: PathBuf,
        /// The points it has.
        allowed: String,
    },
    /// A report file could not be written (permissions, full disk).
    #[error("{path}: {source}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The plotting library failed to draw a chart (a bug, not bad input).
    #[error("chart {chart}: {message}")]
    Draw {
        /// The chart's file name.
        chart: String,
        /// The library's message.
        message: String,
    },
}

impl ReportError {
    /// True when the input (the folder, `--metric`, `--point`) is at fault
    /// rather than the machine: the CLI exits with code 2 for these.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, ReportError::Write { .. } | ReportError::Draw { .. })
    }
}

/// Names of the chart files the report may write in `charts/`.
pub const CHART_FILES: [&str; 7] = [
    "utilization_fan.svg",
    "idle.svg",
    "default_and_loss.svg",
    "training.svg",
    "training_timeline.svg",
    "sweep_small_multiples.svg",
    "sweep_heatmap.svg",
];

/// Reads the results folder `dir` and writes `dir/report.html` and its
/// charts in `dir/charts/`. Returns the path of `report.html`.
pub fn write_report(dir: &Path, options: &ReportOptions) -> Result<PathBuf, ReportError> {
    let folder = Folder::load(dir)?;
    let point = folder.choose_point(options.point)?;
    folder.check_metric(&options.metric)?;
    let detail = Detail::new(&folder, point);
    let mut sections = vec![
        detail.fan_chart()?,
        detail.idle_chart()?,
        detail.default_chart()?,
        detail.training_chart()?,
        detail.timeline_chart()?,
    ];
    if !folder.keys.is_empty() {
        let sweep = Sweep::new(&folder, &options.metric);
        sections.push(sweep.small_multiples()?);
        sections.push(sweep.heatmap()?);
    }
    let charts = dir.join("charts");
    fs::create_dir_all(&charts).map_err(write_err(&charts))?;
    for name in CHART_FILES {
        let stale = charts.join(name);
        if stale.exists() {
            fs::remove_file(&stale).map_err(write_err(&stale))?;
        }
    }
    for s in &sections {
        if let Some(svg) = &s.svg {
            let path = charts.join(s.file);
            fs::write(&path, svg).map_err(write_err(&path))?;
        }
    }
    let html = page(&folder, &detail, &options.metric, &sections);
    let path = dir.join("report.html");
    let tmp = dir.join(format!(".report.html.tmp-{}", std::process::id()));
    fs::write(&tmp, html).map_err(write_err(&tmp))?;
    fs::rename(&tmp, &path).map_err(write_err(&path))?;
    Ok(path)
}

fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    }
}

// ---------------------------------------------------------------------------
// Reading a results folder

/// One CSV file, read whole, with its header.
struct Table {
    path: PathBuf,
    headers: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

impl Table {
    /// Reads `dir/file`; `None` if it does not exist.
    fn read(dir: &Path, file: &str) -> Result<Option<Table>, ReportError> {
        let path = dir.join(file);
        if !path.exists() {
            return Ok(None);
        }
        let garbled = |e: csv::Error| ReportError::Garbled {
            path: path.clone(),
            message: e.to_string(),
        };
        let mut reader = csv::ReaderBuilder::new().from_path(&path).map_err(garbled)?;
        let headers: Vec<String> = reader.headers().map_err(garbled)?.iter().map(String::from).collect();
        if headers.iter().all(|h| h.is_empty()) {
            return Err(ReportError::Garbled {
                path,
                message: "empty file (no header line)".into(),
            });
        }
        let rows = reader.records().collect::<Result<Vec<_>, _>>().map_err(garbled)?;
        Ok(Some(Table { path, headers, rows }))
    }

    /// Reads a file every results folder has.
    fn required(dir: &Path, file: &str) -> Result<Table, ReportError> {
        Table::read(dir, file)?.ok_or_else(|| ReportError::MissingFile(dir.join(file)))
    }

    fn has(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    fn column(&self, name: &str) -> Result<usize, ReportError> {
        self.has(name).ok_or_else(|| ReportError::Garbled {
            path: self.path.clone(),
            message: format!("no column `{name}` in the header line"),
        })
    }

    fn line(&self, row: usize) -> u64 {
        self.rows[row].position().map(|p| p.line()).unwrap_or(row as u64 + 2)
    }

    /// A numeric cell; an empty cell is `None`.
    fn number(&self, row: usize, col: usize) -> Result<Option<f64>, ReportError> {
        let text = self.rows[row].get(col).unwrap_or("").trim();
        if text.is_empty() {
            return Ok(None);
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(ReportError::Garbled {
                path: self.path.clone(),
                message: format!(
                    "line {}, column `{}`: `{text}` is not a finite number",
                    self.line(row),
                    self.headers[col]
                ),
            }),
        }
    }

    /// A numeric cell that must have a value.
    fn value(&self, row: usize, col: usize) -> Result<f64, ReportError> {
        self.number(row, col)?.ok_or_else(|| ReportError::Garbled {
            path: self.path.clone(),
            message: format!("line {}, column `{}`: empty", self.line(row), self.headers[col]),
        })
    }

    /// A point id (a non-negative integer).
    fn id(&self, row: usize, col: usize) -> Result<u64, ReportError> {
        let text = self.rows[row].get(col).unwrap_or("").trim();
        text.parse().map_err(|_| ReportError::Garbled {
            path: self.path.clone(),
            message: format!(
                "line {}, column `{}`: `{text}` is not a point id (a whole number)",
                self.line(row),
                self.headers[col]
            ),
        })
    }
}

/// A grid point of `points.csv`.
struct Point {
    id: u64,
    scenario: String,
    /// Values of the swept keys, as TOML text, in key order.
    values: Vec<String>,
}

/// A row of `summary.csv`.
struct SummaryRow {
    point: u64,
    metric: String,
    n: f64,
    mean: f64,
    ci95_low: f64,
    ci95_high: f64,
}

/// A row of `timeseries.csv`.
#[derive(Clone, Copy)]
struct Band {
    month: f64,
    mean: f64,
    p5: f64,
    p25: f64,
    p50: f64,
    p75: f64,
    p95: f64,
}

/// A row of `training_runs.csv` (months of the term).
struct RunRow {
    point: u64,
    replica: f64,
    run: f64,
    chips: f64,
    generation: String,
    ready: f64,
    start: Option<f64>,
    planned: f64,
    finish: Option<f64>,
    interruptions: f64,
    outcome: String,
}

/// The replicas.csv columns the report reads (others are ignored, so a
/// folder with more or fewer columns still reports).
const REPLICA_COLUMNS: [&str; 15] = [
    "replica",
    "utilization",
    "useful_utilization",
    "idle_fraction",
    "idle_cost_usd",
    "delivered_chip_hours",
    "inference_served_fraction",
    "training_runs_planned",
    "training_runs_cancelled",
    "training_runs_infeasible",
    "training_runs_started",
    "training_runs_completed",
    "training_mean_delay_days",
    "default_month",
    "loss_usd",
];

/// Everything the report reads from a results folder.
struct Folder {
    dir: PathBuf,
    points_path: PathBuf,
    summary_path: PathBuf,
    keys: Vec<String>,
    points: Vec<Point>,
    /// `point` of each replicas.csv row.
    replica_point: Vec<u64>,
    /// `replica` of each replicas.csv row.
    replica_index: Vec<f64>,
    /// The replicas.csv columns of [`REPLICA_COLUMNS`] the folder has.
    columns: BTreeMap<String, Vec<Option<f64>>>,
    summary: Vec<SummaryRow>,
    series: BTreeMap<(u64, String), Vec<Band>>,
    /// `training_runs.csv`; `None` for folders written before it existed.
    runs: Option<Vec<RunRow>>,
    manifest: Option<Value>,
}

impl Folder {
    fn load(dir: &Path) -> Result<Folder, ReportError> {
        if !dir.is_dir() {
            return Err(ReportError::NoFolder(dir.to_path_buf()));
        }
        let points_t = Table::required(dir, "points.csv")?;
        let replicas_t = Table::required(dir, "replicas.csv")?;
        let summary_t = Table::required(dir, "summary.csv")?;
        let series_t = Table::required(dir, "timeseries.csv")?;

        let (pc, sc) = (points_t.column("point")?, points_t.column("scenario")?);
        let keys: Vec<String> = points_t.headers.iter().skip(sc + 1).cloned().collect();
        let mut points = Vec::new();
        for row in 0..points_t.rows.len() {
            let r = &points_t.rows[row];
            points.push(Point {
                id: points_t.id(row, pc)?,
                scenario: r.get(sc).unwrap_or("").to_string(),
                values: (sc + 1..points_t.headers.len())
                    .map(|c| r.get(c).unwrap_or("").to_string())
                    .collect(),
            });
        }
        if points.is_empty() {
            return Err(ReportError::Garbled {
                path: points_t.path,
                message: "no grid points (only a header line)".into(),
            });
        }

        let rp = replicas_t.column("point")?;
        let mut replica_point = Vec::with_capacity(replicas_t.rows.len());
        for row in 0..replicas_t.rows.len() {
            let id = replicas_t.id(row, rp)?;
            if !points.iter().any(|p| p.id == id) {
                return Err(ReportError::Garbled {
                    path: replicas_t.path.clone(),
                    message: format!("line {}: point {id} is not in points.csv", replicas_t.line(row)),
                });
            }
            replica_point.push(id);
        }
        if replica_point.is_empty() {
            return Err(ReportError::Garbled {
                path: replicas_t.path,
                message: "no replica rows (only a header line)".into(),
            });
        }
        let mut columns = BTreeMap::new();
        for (c, name) in replicas_t.headers.iter().enumerate() {
            if !REPLICA_COLUMNS.contains(&name.as_str()) {
                continue;
            }
            let values = (0..replicas_t.rows.len())
                .map(|row| replicas_t.number(row, c))
                .collect::<Result<Vec<_>, _>>()?;
            columns.insert(name.clone(), values);
        }
        let replica_index = match columns.remove("replica") {
            Some(v) => v.iter().enumerate().map(|(i, r)| r.unwrap_or(i as f64)).collect(),
            None => (0..replica_point.len()).map(|i| i as f64).collect(),
        };

        let s = &summary_t;
        let cols = [
            s.column("point")?,
            s.column("metric")?,
            s.column("n")?,
            s.column("mean")?,
            s.column("ci95_low")?,
            s.column("ci95_high")?,
        ];
        let mut summary = Vec::with_capacity(s.rows.len());
        for row in 0..s.rows.len() {
            summary.push(SummaryRow {
                point: s.id(row, cols[0])?,
                metric: s.rows[row].get(cols[1]).unwrap_or("").to_string(),
                n: s.value(row, cols[2])?,
                mean: s.value(row, cols[3])?,
                ci95_low: s.value(row, cols[4])?,
                ci95_high: s.value(row, cols[5])?,
            });
        }

        let t = &series_t;
        let names = ["month", "mean", "p5", "p25", "p50", "p75", "p95"];
        let (tp, tm) = (t.column("point")?, t.column("metric")?);
        let nc = names.iter().map(|n| t.column(n)).collect::<Result<Vec<_>, _>>()?;
        let mut series: BTreeMap<(u64, String), Vec<Band>> = BTreeMap::new();
        for row in 0..t.rows.len() {
            let v = nc.iter().map(|&c| t.value(row, c)).collect::<Result<Vec<_>, _>>()?;
            let key = (t.id(row, tp)?, t.rows[row].get(tm).unwrap_or("").to_string());
            series.entry(key).or_default().push(Band {
                month: v[0],
                mean: v[1],
                p5: v[2],
                p25: v[3],
                p50: v[4],
                p75: v[5],
                p95: v[6],
            });
        }
        for bands in series.values_mut() {
            bands.sort_by(|a, b| a.month.total_cmp(&b.month));
        }

        let runs = match Table::read(dir, "training_runs.csv")? {
            Some(t) => Some(read_runs(&t)?),
            None => None,
        };

        let manifest_path = dir.join("manifest.json");
        let manifest = if manifest_path.exists() {
            let text = fs::read_to_string(&manifest_path).map_err(|e| ReportError::Garbled {
                path: manifest_path.clone(),
                message: e.to_string(),
            })?;
            Some(serde_json::from_str(&text).map_err(|e| ReportError::Garbled {
                path: manifest_path.clone(),
                message: format!("not JSON: {e}"),
            })?)
        } else {
            None
        };

        Ok(Folder {
            dir: dir.to_path_buf(),
            points_path: points_t.path,
            summary_path: summary_t.path,
            keys,
            points,
            replica_point,
            replica_index,
            columns,
            summary,
            series,
            runs,
            manifest,
        })
    }

    fn choose_point(&self, asked: Option<u64>) -> Result<u64, ReportError> {
        match asked {
            None => Ok(self.points[0].id),
            Some(p) if self.points.iter().any(|q| q.id == p) => Ok(p),
            Some(p) => Err(ReportError::UnknownPoint {
                point: p,
                path: self.points_path.clone(),
                allowed: list(self.points.iter().map(|q| q.id.to_string())),
            }),
        }
    }

    fn metrics(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for r in &self.summary {
            if !seen.contains(&r.metric.as_str()) {
                seen.push(&r.metric);
            }
        }
        seen
    }

    fn check_metric(&self, metric: &str) -> Result<(), ReportError> {
        let metrics = self.metrics();
        if metrics.contains(&metric) {
            Ok(())
        } else {
            Err(ReportError::UnknownMetric {
                metric: metric.to_string(),
                path: self.summary_path.clone(),
                allowed: list(metrics.into_iter().map(String::from)),
            })
        }
    }

    fn summary_of(&self, point: u64, metric: &str) -> Option<&SummaryRow> {
        self.summary.iter().find(|r| r.point == point && r.metric == metric)
    }

    fn manifest_str(&self, key: &str) -> Option<String> {
        match self.manifest.as_ref()?.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }
}

/// The rows of `training_runs.csv`.
fn read_runs(t: &Table) -> Result<Vec<RunRow>, ReportError> {
    let names = [
        "point",
        "replica",
        "run",
        "chips",
        "generation",
        "ready_month",
        "start_month",
        "planned_finish_month",
        "finish_month",
        "interruptions",
        "outcome",
    ];
    let c = names.iter().map(|n| t.column(n)).collect::<Result<Vec<_>, _>>()?;
    let text = |row: usize, col: usize| t.rows[row].get(col).unwrap_or("").trim().to_string();
    (0..t.rows.len())
        .map(|row| {
            Ok(RunRow {
                point: t.id(row, c[0])?,
                replica: t.value(row, c[1])?,
                run: t.value(row, c[2])?,
                chips: t.value(row, c[3])?,
                generation: text(row, c[4]),
                ready: t.value(row, c[5])?,
                start: t.number(row, c[6])?,
                planned: t.value(row, c[7])?,
                finish: t.number(row, c[8])?,
                interruptions: t.value(row, c[9])?,
                outcome: text(row, c[10]),
            })
        })
        .collect()
}

fn list(items: impl Iterator<Item = String>) -> String {
    let all: Vec<String> = items.collect();
    if all.len() > 40 {
        format!("{}, … ({} in all)", all[..40].join(", "), all.len())
    } else {
        all.join(", ")
    }
}

// ---------------------------------------------------------------------------
// Numbers for people

/// The unit of a metric, inferred from its column name (keys carry their
/// unit: `_usd`, `_chip_hours`, `_days`, …).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    /// A fraction shown as a percentage.
    Percent,
    /// US dollars.
    Usd,
    /// Chips.
    Chips,
    /// Chip-hours.
    ChipHours,
    /// Days.
    Days,
    /// Hours.
    Hours,
    /// Months.
    Months,
    /// A plain number (counts, ratios).
    Plain,
}

impl Unit {
    /// The unit of metric column `name`.
    pub fn of(name: &str) -> Unit {
        let n = name;
        if n.ends_with("_usd") {
            Unit::Usd
        } else if n.contains("utilization") || n.ends_with("fraction") || n.ends_with("goodput") || n.starts_with("p_")
        {
            Unit::Percent
        } else if n.ends_with("_chip_hours") {
            Unit::ChipHours
        } else if n.ends_with("_chips") {
            Unit::Chips
        } else if n.ends_with("_days") {
            Unit::Days
        } else if n.ends_with("_hours") || n.ends_with("_hours_pooled") {
            Unit::Hours
        } else if n.ends_with("_month") || n.ends_with("_months") {
            Unit::Months
        } else {
            Unit::Plain
        }
    }

    /// How an axis names the unit, e.g. "%" or "USD".
    pub fn axis(self) -> &'static str {
        match self {
            Unit::Percent => "%",
            Unit::Usd => "USD",
            Unit::Chips => "chips",
            Unit::ChipHours => "chip-hours",
            Unit::Days => "days",
            Unit::Hours => "hours",
            Unit::Months => "months",
            Unit::Plain => "count",
        }
    }

    /// A value in full, for text: "94.1%", "$12.3B", "1.5M chips".
    pub fn format(self, x: f64) -> String {
        match self {
            Unit::Percent => percent(x),
            Unit::Usd => usd(x),
            Unit::Chips => format!("{} chips", human(x)),
            Unit::ChipHours => format!("{} chip-hours", human(x)),
            Unit::Days => format!("{} days", human(x)),
            Unit::Hours => format!("{} hours", human(x)),
            Unit::Months => format!("month {}", human(x)),
            Unit::Plain => human(x),
        }
    }

    /// A value on an axis tick: "94%", "$12.3B", "1.5M".
    pub fn tick(self, x: f64) -> String {
        match self {
            Unit::Percent => trim(format!("{:.1}", x * 100.0)) + "%",
            Unit::Usd => usd(x),
            _ => human(x),
        }
    }
}

/// Removes trailing zeros after a decimal point ("1.50" → "1.5", "2.0" → "2").
fn trim(s: String) -> String {
    let t = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if t == "-0" { "0".into() } else { t }
}

/// Three significant figures with a k/M/B/T suffix: 1.5M, 12.3B, 940, 0.0023.
pub fn human(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    const SUFFIXES: [(f64, &str); 5] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"), (1.0, "")];
    let a = x.abs();
    let mut k = SUFFIXES.iter().position(|(s, _)| a >= *s).unwrap_or(4);
    loop {
        let (scale, suffix) = SUFFIXES[k];
        let v = x / scale;
        let text = sig3(v);
        // 999.7k rounds to "1000k": move up a suffix.
        if text.trim_start_matches('-').len() >= 4 && !text.contains('.') && k > 0 && v.abs() >= 999.5 {
            k -= 1;
            continue;
        }
        return text + suffix;
    }
}

fn sig3(v: f64) -> String {
    let a = v.abs();
    let decimals = if a == 0.0 || a >= 100.0 {
        0
    } else {
        (2 - a.log10().floor() as i32).clamp(0, 12) as usize
    };
    trim(format!("{v:.decimals$}"))
}

/// A fraction as a percentage with one decimal: 0.941 → "94.1%".
pub fn percent(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", x * 100.0)
    } else {
        "n/a".into()
    }
}

/// Dollars, compact: 12.3e9 → "$12.3B".
pub fn usd(x: f64) -> String {
    if x < 0.0 {
        format!("-${}", human(-x))
    } else {
        format!("${}", human(x))
    }
}

// ---------------------------------------------------------------------------
// Statistics

/// Quantile with linear interpolation between order statistics (numpy's
/// default, as summary.csv uses). `sorted` is ascending and non-empty.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// Wilson score interval of a proportion k/n at 95%.
fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (z, n, p) = (1.959_964, n as f64, k as f64 / n as f64);
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// A non-empty, finite axis range around `lo..hi`, padded by `pad` of its
/// span (a single value gets a range around it).
fn range(lo: f64, hi: f64, pad: f64) -> (f64, f64) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo.min(hi), lo.max(hi))
    } else {
        (0.0, 1.0)
    };
    let span = hi - lo;
    if span > 1e-12 * lo.abs().max(hi.abs()).max(1e-300) {
        (lo - pad * span, hi + pad * span)
    } else {
        let half = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        (lo - half, hi + half)
    }
}

// ---------------------------------------------------------------------------
// Drawing

/// A categorical axis on f64 coordinates: categories sit at 0, 1, …, n − 1
/// (so dots can be spread around them) and only they get ticks.
struct Categories {
    inner: RangedCoordf64,
    n: usize,
}

impl Categories {
    fn new(n: usize) -> Categories {
        Categories {
            inner: (-0.5..n.max(1) as f64 - 0.5).into(),
            n: n.max(1),
        }
    }
}

impl Ranged for Categories {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            return Vec::new();
        }
        let every = self.n.div_ceil(hint.max_num_points().max(1)).max(1);
        (0..self.n).step_by(every).map(|i| i as f64).collect()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

/// The label of the category at `v` on a [`Categories`] axis; `None` (a
/// blank tick) unless `v` is, within rounding, the index of one of `labels`.
fn category_label<S: AsRef<str>>(labels: &[S], v: f64) -> Option<&str> {
    let i = v.round();
    if (v - i).abs() < 1e-6 && i >= 0.0 {
        labels.get(i as usize).map(AsRef::as_ref)
    } else {
        None
    }
}

/// Tick label of a count axis: only whole numbers, as a fraction of a
/// replica or a run means nothing.
fn count_tick(v: &f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        String::new()
    }
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Chart<'a, 'b, X, Y> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>;
type DrawResult = Result<(), Box<dyn std::error::Error>>;

const FONT: &str = "sans-serif";
const C_MAIN: RGBColor = RGBColor(31, 119, 180);
const C_ACCENT: RGBColor = RGBColor(230, 97, 1);
const C_GREEN: RGBColor = RGBColor(26, 133, 80);
const C_RED: RGBColor = RGBColor(200, 40, 40);
const C_GRAY: RGBColor = RGBColor(90, 90, 90);
const C_LIGHT: RGBColor = RGBColor(225, 225, 225);

/// Text sizes and margin of a family of charts, so that charts shown at the
/// same size read alike.
#[derive(Clone, Copy)]
struct Look {
    caption: i32,
    margin: i32,
    axis_desc: i32,
    ticks: i32,
}

/// The detail charts of one grid point, half or full page width.
const DETAIL: Look = Look {
    caption: 20,
    margin: 12,
    axis_desc: 15,
    ticks: 13,
};

/// The sweep's small multiples, up to three panels a row.
const PANEL: Look = Look {
    caption: 16,
    margin: 10,
    axis_desc: 13,
    ticks: 12,
};

/// The sweep heatmap and its colour bar.
const HEATMAP: Look = Look {
    caption: 20,
    margin: 12,
    axis_desc: 14,
    ticks: 12,
};

impl Look {
    /// A chart on `area` captioned `title`, with `label_areas` = (below,
    /// left) pixels for the tick labels and axis descriptions.
    fn chart<'a, 'b>(
        self,
        area: &'a Area<'b>,
        title: &str,
        label_areas: (u32, u32),
    ) -> ChartBuilder<'a, 'static, SVGBackend<'b>> {
        let mut builder = ChartBuilder::on(area);
        builder
            .caption(title, (FONT, self.caption))
            .margin(self.margin)
            .x_label_area_size(label_areas.0)
            .y_label_area_size(label_areas.1);
        builder
    }

    /// The mesh of `chart` with the look's text and only the bold grid
    /// lines; the caller adds what differs per chart (axis descriptions,
    /// tick labels, which grid lines) and draws it.
    fn mesh<'m, 'a, 'b, X, Y, XT, YT>(
        self,
        chart: &'m mut Chart<'a, 'b, X, Y>,
    ) -> MeshStyle<'a, 'm, X, Y, SVGBackend<'b>>
    where
        X: Ranged<ValueType = XT> + ValueFormatter<XT>,
        Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
    {
        let mut mesh = chart.configure_mesh();
        mesh.axis_desc_style((FONT, self.axis_desc))
            .label_style((FONT, self.ticks))
            .light_line_style(WHITE.mix(0.0));
        mesh
    }
}

/// Draws the legend of `chart`'s labelled series in `corner`, on a nearly
/// opaque box so it stays readable over the data.
fn draw_legend<'a, 'b: 'a, X: Ranged, Y: Ranged>(
    chart: &mut Chart<'a, 'b, X, Y>,
    corner: SeriesLabelPosition,
) -> DrawResult {
    chart
        .configure_series_labels()
        .position(corner)
        .background_style(WHITE.mix(0.85))
        .border_style(C_LIGHT)
        .label_font((FONT, 13))
        .draw()?;
    Ok(())
}

/// A legend sample for a line series: a short stroke.
fn legend_line(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style)
}

/// A legend sample for a band or bars: a filled box.
fn legend_box(color: RGBAColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], color.filled())
}

/// Draws a chart of `w`×`h` pixels into an SVG string.
fn svg(chart: &str, w: u32, h: u32, draw: impl FnOnce(&Area) -> DrawResult) -> Result<String, ReportError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        let drawn = root
            .fill(&WHITE)
            .map_err(|e| e.into())
            .and_then(|_| draw(&root))
            .and_then(|_| root.present().map_err(|e| e.into()));
        drawn.map_err(|e: Box<dyn std::error::Error>| ReportError::Draw {
            chart: chart.to_string(),
            message: e.to_string(),
        })?;
    }
    Ok(out)
}

/// Draws a detail chart of two panels side by side, each half the page wide.
fn two_panels(chart: &str, draw: impl FnOnce(&Area, &Area) -> DrawResult) -> Result<String, ReportError> {
    svg(chart, 1200, 330, |root| {
        let (left, right) = root.split_horizontally(600);
        draw(&left, &right)
    })
}

/// A framed panel with a title and a message instead of a chart.
fn placeholder(area: &Area, title: &str, message: &str) -> DrawResult {
    let area = area.margin(10, 10, 10, 10);
    let (w, h) = area.dim_in_pixel();
    area.draw(&Rectangle::new(
        [(0, 0), (w as i32 - 1, h as i32 - 1)],
        C_LIGHT.stroke_width(1),
    ))?;
    area.draw(&Text::new(
        title.to_string(),
        (10, 10),
        (FONT, 20).into_font().style(FontStyle::Bold),
    ))?;
    for (i, line) in wrap(message, (w as usize / 8).max(20)).iter().enumerate() {
        area.draw(&Text::new(
            line.clone(),
            (20, h as i32 / 2 - 10 + 20 * i as i32),
            (FONT, 16).into_font().color(&C_GRAY),
        ))?;
    }
    Ok(())
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("one line");
        if !last.is_empty() && last.len() + 1 + word.len() > width {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

/// Shortens a label to `max` characters with an ellipsis.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let keep: String = text.chars().take(max.saturating_sub(1)).collect();
        keep + "…"
    }
}

/// A histogram of `values` across replicas, with the mean marked.
fn histogram(area: &Area, title: &str, values: &[f64], unit: Unit, x_desc: &str, color: RGBColor) -> DrawResult {
    let s = sorted(values);
    let (min, max) = (s[0], s[s.len() - 1]);
    let bins = if max > min {
        ((s.len() as f64).sqrt().ceil() as usize).clamp(5, 40)
    } else {
        1
    };
    let (lo, hi) = if max > min { (min, max) } else { range(min, max, 0.0) };
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for v in &s {
        let b = (((v - lo) / width).floor() as usize).min(bins - 1);
        counts[b] += 1;
    }
    let top = *counts.iter().max().unwrap_or(&1) as f64;
    let (x0, x1) = (lo - 0.5 * width, hi + 0.5 * width);
    let mut chart = DETAIL
        .chart(area, title, (48, 60))
        .build_cartesian_2d(x0..x1, 0f64..top * 1.2)?;
    let x_fmt = |v: &f64| unit.tick(*v);
    DETAIL
        .mesh(&mut chart)
        .disable_x_mesh()
        .x_desc(x_desc)
        .y_desc("replicas (count)")
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&count_tick)
        .draw()?;
    // White outlines over the fills keep neighbouring bars apart.
    let bars = |style: ShapeStyle| {
        counts.iter().enumerate().filter(|(_, c)| **c > 0).map(move |(i, c)| {
            let a = lo + width * i as f64;
            Rectangle::new([(a, 0.0), (a + width, *c as f64)], style)
        })
    };
    chart.draw_series(bars(color.mix(0.75).filled()))?;
    chart.draw_series(bars(WHITE.stroke_width(1)))?;
    let m = mean(values);
    chart
        .draw_series(DashedLineSeries::new(
            vec![(m, 0.0), (m, top * 1.08)],
            6,
            4,
            C_GRAY.stroke_width(2),
        ))?
        .label(format!("mean {} (n = {})", unit.format(m), values.len()))
        .legend(legend_line(C_GRAY.stroke_width(2)));
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// A section of the report: a chart and its caption.
struct Section {
    id: &'static str,
    file: &'static str,
    heading: String,
    /// The chart; `None` when the section is only a note.
    svg: Option<String>,
    /// HTML: what the chart shows and how to read it.
    caption: String,
}

// ---------------------------------------------------------------------------
// Detail charts: one grid point's replicas

struct Detail<'a> {
    folder: &'a Folder,
    point: u64,
    /// Indices of the point's replicas.csv rows.
    rows: Vec<usize>,
    /// Length of the term, months.
    term_months: f64,
}

impl<'a> Detail<'a> {
    fn new(folder: &'a Folder, point: u64) -> Detail<'a> {
        let rows: Vec<usize> = (0..folder.replica_point.len())
            .filter(|&i| folder.replica_point[i] == point)
            .collect();
        let from_series = folder
            .series
            .iter()
            .filter(|((p, _), _)| *p == point)
            .flat_map(|(_, b)| b.iter().map(|b| b.month))
            .fold(0.0_f64, f64::max);
        let from_manifest = folder
            .manifest
            .as_ref()
            .and_then(|m| m.pointer("/contract_point_0/term_years"))
            .and_then(Value::as_f64)
            .map(|y| y * 12.0)
            .unwrap_or(0.0);
        let mut d = Detail {
            folder,
            point,
            rows,
            term_months: 0.0,
        };
        let from_defaults = d
            .present("default_month")
            .unwrap_or_default()
            .into_iter()
            .fold(0.0, f64::max);
        d.term_months = [from_series, from_manifest, from_defaults]
            .into_iter()
            .find(|m| *m > 0.0)
            .unwrap_or(12.0)
            .max(from_defaults)
            .ceil();
        d
    }

    /// The point's values of a replicas.csv column (`None` per empty cell);
    /// `None` if the folder has no such column.
    fn column(&self, name: &str) -> Option<Vec<Option<f64>>> {
        let c = self.folder.columns.get(name)?;
        Some(self.rows.iter().map(|&i| c[i]).collect())
    }

    /// The point's non-empty values of a column.
    fn present(&self, name: &str) -> Option<Vec<f64>> {
        Some(self.column(name)?.into_iter().flatten().collect())
    }

    fn n(&self) -> usize {
        self.rows.len()
    }

    fn scenario(&self) -> &str {
        self.folder
            .points
            .iter()
            .find(|p| p.id == self.point)
            .map(|p| p.scenario.as_str())
            .unwrap_or("")
    }

    fn bands(&self, metric: &str) -> Option<&Vec<Band>> {
        self.folder
            .series
            .get(&(self.point, metric.to_string()))
            .filter(|b| !b.is_empty())
    }

    fn fan_chart(&self) -> Result<Section, ReportError> {
        let file = "utilization_fan.svg";
        let util = self.bands("utilization");
        let delivered = self.bands("delivered_chips");
        let undelivered = self.bands("undelivered_chips");
        let term = self.term_months;
        let svg = svg(file, 1200, 620, |root| {
            let (top, bottom) = root.split_vertically(340);
            match util {
                Some(b) => fan(&top, b, term),
                None => placeholder(
                    &top,
                    "Utilization over the term",
                    "timeseries.csv has no `utilization` rows for this point.",
                ),
            }?;
            match delivered {
                Some(d) => capacity(&bottom, d, undelivered.map(Vec::as_slice), term),
                None => placeholder(
                    &bottom,
                    "Delivered and planned capacity",
                    "timeseries.csv has no `delivered_chips` rows for this point.",
                ),
            }
        })?;
        let steps = util.map(Vec::len).unwrap_or(0);
        let one = if self.n() == 1 {
            " With a single replica the bands collapse onto the median."
        } else {
            ""
        };
        Ok(Section {
            id: "utilization",
            file,
            heading: "Utilization and capacity over the term".into(),
            svg: Some(svg),
            caption: format!(
                "Top: utilization (busy / delivered chip-hours in each of the {steps} steps) across the {} \
                 replicas: the median, the p25–p75 band and the p5–p95 band (<code>timeseries.csv</code>). \
                 Bottom, on the same time axis: delivered chips (median and p5–p95) and planned capacity, \
                 the mean of delivered + undelivered chips — the gap between them is capacity paid for but \
                 not yet there. Points are plotted at the end of each step.{one}",
                self.n()
            ),
        })
    }

    fn idle_chart(&self) -> Result<Section, ReportError> {
        let file = "idle.svg";
        let fraction = self.present("idle_fraction").filter(|v| !v.is_empty());
        let cost = self.present("idle_cost_usd").filter(|v| !v.is_empty());
        let svg = two_panels(file, |left, right| {
            match &fraction {
                Some(v) => histogram(
                    left,
                    "Idle fraction across replicas",
                    v,
                    Unit::Percent,
                    "idle / delivered chip-hours (%)",
                    C_MAIN,
                ),
                None => placeholder(left, "Idle fraction", "replicas.csv has no idle_fraction column."),
            }?;
            match &cost {
                Some(v) => histogram(
                    right,
                    "Committed cost of idle capacity",
                    v,
                    Unit::Usd,
                    "idle chip-hours × contract price (USD)",
                    C_ACCENT,
                ),
                None => placeholder(right, "Idle cost", "replicas.csv has no idle_cost_usd column."),
            }
        })?;
        Ok(Section {
            id: "idle",
            file,
            heading: "Idle capacity".into(),
            svg: Some(svg),
            caption: format!(
                "Histograms over the {} replicas (<code>replicas.csv</code>) of the share of delivered \
                 chip-hours that sat up and unallocated, and of what those idle chip-hours cost at the \
                 contract's price per chip-hour. The dashed line is the mean.",
                self.n()
            ),
        })
    }

    fn default_chart(&self) -> Result<Section, ReportError> {
        let file = "default_and_loss.svg";
        let n = self.n();
        let months = self.column("default_month");
        let loss = self.present("loss_usd");
        let term = self.term_months;
        let defaults = months.as_ref().map(|m| m.iter().flatten().count());
        let svg = two_panels(file, |left, right| {
            match &months {
                Some(m) => {
                    let m: Vec<f64> = m.iter().flatten().copied().collect();
                    default_curve(left, &m, n, term)
                }
                None => placeholder(
                    left,
                    "Cumulative probability of default",
                    "replicas.csv has no default_month column: this folder was written before the buyer \
                     and default model.",
                ),
            }?;
            match &loss {
                None => placeholder(
                    right,
                    "Loss at default",
                    "replicas.csv has no loss_usd column: this folder was written before the buyer \
                     and default model.",
                ),
                Some(l) if l.iter().all(|x| *x == 0.0) => placeholder(
                    right,
                    "Loss at default",
                    &format!(
                        "No loss: the provider's loss is $0 in all {} replicas (no replica defaulted, or \
                         recovery covered the exposure).",
                        l.len()
                    ),
                ),
                Some(l) => histogram(
                    right,
                    "Provider's loss across replicas",
                    l,
                    Unit::Usd,
                    "loss = exposure at default − recovery (USD)",
                    C_RED,
                ),
            }
        })?;
        let verdict = match defaults {
            Some(0) => format!("No replica defaulted (0 of {n})."),
            Some(k) => format!("{k} of {n} replicas defaulted within the term."),
            None => "This folder has no default columns.".into(),
        };
        Ok(Section {
            id: "default",
            file,
            heading: "Counterparty risk".into(),
            svg: Some(svg),
            caption: format!(
                "{verdict} Left: the share of replicas whose buyer has defaulted by each month \
                 (<code>default_month</code>; empty = never) with its 95% Wilson interval — with few \
                 replicas the band is wide, and zero defaults still leaves an upper bound. Right: the \
                 provider's loss per replica (<code>loss_usd</code>, $0 without default)."
            ),
        })
    }

    fn training_chart(&self) -> Result<Section, ReportError> {
        let file = "training.svg";
        let outcomes: Vec<(&str, Vec<f64>)> = [
            ("planned", "training_runs_planned"),
            ("cancelled", "training_runs_cancelled"),
            ("infeasible", "training_runs_infeasible"),
            ("started", "training_runs_started"),
            ("completed", "training_runs_completed"),
        ]
        .into_iter()
        .filter_map(|(label, col)| Some((label, self.present(col)?)))
        .filter(|(_, v)| !v.is_empty())
        .collect();
        let median = self.median_training_replica();
        let delay = self.present("training_mean_delay_days").unwrap_or_default();
        let planned_any = outcomes
            .iter()
            .find(|(l, _)| *l == "planned")
            .is_some_and(|(_, v)| v.iter().any(|x| *x > 0.0));
        let svg = two_panels(file, |left, right| {
            if outcomes.is_empty() || !planned_any {
                placeholder(
                    left,
                    "Training runs by outcome",
                    "No training run was on the roadmap within the term at this point.",
                )?;
            } else {
                run_outcomes(left, &outcomes, median.map(|(i, _)| i))?;
            }
            if delay.is_empty() {
                placeholder(
                    right,
                    "Training delay",
                    "No replica completed a training run, so there is no delay to show.",
                )
            } else {
                histogram(
                    right,
                    "Mean delay of completed runs",
                    &delay,
                    Unit::Days,
                    "finish − ready − failure-free time (days)",
                    C_GREEN,
                )
            }
        })?;
        let median_text = match median {
            Some((i, replica)) => {
                let get = |c: &str| {
                    self.column(c)
                        .and_then(|v| v[i])
                        .map(human)
                        .unwrap_or_else(|| "n/a".into())
                };
                format!(
                    "The median replica by completed runs is replica {} (orange marks): {} planned, {} \
                     cancelled, {} started, {} completed, mean delay {} days.",
                    human(replica),
                    get("training_runs_planned"),
                    get("training_runs_cancelled"),
                    get("training_runs_started"),
                    get("training_runs_completed"),
                    get("training_mean_delay_days"),
                )
            }
            None => String::new(),
        };
        Ok(Section {
            id: "training",
            file,
            heading: "Frontier training runs".into(),
            svg: Some(svg),
            caption: format!(
                "Left: training runs per replica by outcome — bar = median across the {} replicas, \
                 whisker = p5–p95. {median_text} Right: each replica's mean delay over its completed \
                 runs (queueing, failures and checkpoint overhead beyond the failure-free time). \
                 The next chart shows each run of one replica.",
                self.n()
            ),
        })
    }

    /// The replica whose utilization is the median of the point's (the
    /// lower middle one for an even count): (row among the point's, replica
    /// index, utilization).
    fn median_utilization_replica(&self) -> Option<(usize, f64, f64)> {
        let util = self.column("utilization")?;
        let values: Vec<(usize, f64)> = util.iter().enumerate().filter_map(|(i, u)| Some((i, (*u)?))).collect();
        let mut order = values.clone();
        order.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let (row, u) = *order.get(order.len().checked_sub(1)? / 2)?;
        Some((row, self.folder.replica_index[self.rows[row]], u))
    }

    fn timeline_chart(&self) -> Result<Section, ReportError> {
        let file = "training_timeline.svg";
        let title = "Training run timelines, median replica";
        let term = self.term_months;
        let median = self.median_utilization_replica();
        let runs: Option<Vec<&RunRow>> = self.folder.runs.as_ref().map(|all| {
            let mut r: Vec<&RunRow> = match median {
                Some((_, replica, _)) => all
                    .iter()
                    .filter(|r| r.point == self.point && r.replica == replica)
                    .collect(),
                None => Vec::new(),
            };
            r.sort_by(|a, b| a.run.total_cmp(&b.run));
            r
        });
        let default_month = median.and_then(|(row, _, _)| self.column("default_month").and_then(|d| d[row]));
        const MAX_RUNS: usize = 60;
        let shown = runs.as_ref().map_or(0, |r| r.len().min(MAX_RUNS));
        let height = (110 + 26 * shown as u32).max(330);
        let svg = svg(file, 1200, height, |root| match (&runs, median) {
            (None, _) => placeholder(
                root,
                title,
                "This folder has no training_runs.csv: it was written before per-run records existed. \
                 Re-run the scenario to get them.",
            ),
            (Some(_), None) => placeholder(
                root,
                title,
                "replicas.csv has no utilization values, so there is no median replica to show.",
            ),
            (Some(r), Some(_)) if r.is_empty() => placeholder(
                root,
                title,
                "No training run was on the roadmap within the term for the median replica.",
            ),
            (Some(r), Some(_)) => timeline(root, &r[..shown], term, default_month),
        })?;
        let which = match median {
            Some((_, replica, u)) if self.n() == 1 => {
                format!(
                    "the only replica, replica {} (utilization {})",
                    human(replica),
                    percent(u)
                )
            }
            Some((_, replica, u)) => format!(
                "replica {}, whose utilization ({}) is the median of the {} replicas'",
                human(replica),
                percent(u),
                self.n()
            ),
            None => "no replica (no utilization values)".into(),
        };
        let more = match &runs {
            Some(r) if r.len() > MAX_RUNS => format!(" Only its first {MAX_RUNS} of {} runs are drawn.", r.len()),
            _ => String::new(),
        };
        let counts = match &runs {
            Some(r) if !r.is_empty() => {
                let n = |o: &str| r.iter().filter(|x| x.outcome == o).count();
                let late: Vec<f64> = r
                    .iter()
                    .filter_map(|x| Some(x.finish? - x.planned))
                    .map(|m| m * 30.4375)
                    .collect();
                let late_text = if late.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", finishing on average {} days after their planned finish",
                        human(mean(&late))
                    )
                };
                let interruptions: f64 = r.iter().map(|x| x.interruptions).sum();
                format!(
                    " Of its {} runs, {} completed{late_text}; {} were still running and {} still queued at \
                     the term's end; {} cancelled, {} infeasible, {} abandoned at the buyer's default; {} \
                     interruptions in all.",
                    r.len(),
                    n("completed"),
                    n("running_at_term_end"),
                    n("queued_at_term_end"),
                    n("cancelled"),
                    n("infeasible"),
                    n("abandoned_at_default"),
                    human(interruptions)
                )
            }
            _ => String::new(),
        };
        Ok(Section {
            id: "timeline",
            file,
            heading: "Training run timelines (planned vs actual)".into(),
            svg: Some(svg),
            caption: format!(
                "Each training run of {which} (<code>training_runs.csv</code>), one row per run: the bar \
                 runs from its first start to its finish — blue if it completed, orange if it was still \
                 unfinished at the term's end (or, red, when the buyer defaulted); the thin gray line \
                 from its ready time is the wait to start; the black cross is its planned finish (ready \
                 + failure-free compute time), so a bar ending right of its cross finished late. Runs \
                 that never started show only their ready time, planned finish and outcome.{counts}{more}"
            ),
        })
    }

    /// The replica whose completed-run count is the median (ties: the delay
    /// closest to the median delay): (row among the point's, replica index).
    fn median_training_replica(&self) -> Option<(usize, f64)> {
        let completed = self.column("training_runs_completed")?;
        let delay = self.column("training_mean_delay_days").unwrap_or_default();
        let mut c: Vec<f64> = completed.iter().flatten().copied().collect();
        if c.is_empty() {
            return None;
        }
        c.sort_by(f64::total_cmp);
        let target = c[(c.len() - 1) / 2];
        let d: Vec<f64> = delay.iter().flatten().copied().collect();
        let d_med = if d.is_empty() { 0.0 } else { quantile(&sorted(&d), 0.5) };
        let best = (0..completed.len())
            .filter(|&i| completed[i] == Some(target))
            .min_by(|&a, &b| {
                let da = delay.get(a).copied().flatten().map_or(f64::MAX, |x| (x - d_med).abs());
                let db = delay.get(b).copied().flatten().map_or(f64::MAX, |x| (x - d_med).abs());
                da.total_cmp(&db)
            })?;
        Some((best, self.folder.replica_index[self.rows[best]]))
    }

    /// (label, formatted value) of the headline figures.
    fn figures(&self) -> Vec<(String, String)> {
        let mut out = vec![("Replicas".to_string(), self.n().to_string())];
        let spread = |col: &str, label: &str| -> Option<(String, String)> {
            let v = self.present(col)?;
            if v.is_empty() {
                return None;
            }
            let u = Unit::of(col);
            let s = sorted(&v);
            // Quantiles without a repeated unit word: "59.7B chip-hours (p5 58.2B – p95 60.6B)".
            let q = |x: f64| match u {
                Unit::Percent | Unit::Usd => u.format(x),
                _ => human(x),
            };
            let text = if v.len() > 1 {
                format!(
                    "{} (p5 {} – p95 {})",
                    u.format(mean(&v)),
                    q(quantile(&s, 0.05)),
                    q(quantile(&s, 0.95))
                )
            } else {
                u.format(v[0])
            };
            Some((label.to_string(), text))
        };
        let rows = [
            ("utilization", "Utilization, mean"),
            ("useful_utilization", "Useful utilization, mean"),
            ("idle_fraction", "Idle fraction, mean"),
            ("idle_cost_usd", "Idle cost, mean"),
            ("delivered_chip_hours", "Delivered chip-hours, mean"),
            ("inference_served_fraction", "Inference demand served, mean"),
            ("training_runs_completed", "Training runs completed, mean"),
        ];
        out.extend(rows.iter().filter_map(|(c, l)| spread(c, l)));
        if let Some(m) = self.column("default_month") {
            let k = m.iter().flatten().count();
            let (lo, hi) = wilson(k, m.len());
            out.push((
                "Defaulted within the term".into(),
                format!(
                    "{k} of {} = {} (95% CI {} – {})",
                    m.len(),
                    percent(k as f64 / m.len().max(1) as f64),
                    percent(lo),
                    percent(hi)
                ),
            ));
        }
        if let Some(l) = self.present("loss_usd").filter(|l| !l.is_empty()) {
            out.push((
                "Provider's loss, mean (worst)".into(),
                format!("{} ({})", usd(mean(&l)), usd(sorted(&l)[l.len() - 1])),
            ));
        }
        out
    }
}

/// Draws the axes of a chart over the term (x: month of the term), one time
/// axis for the fan, capacity and default charts so they read together.
fn draw_term_axes(
    chart: &mut Chart<'_, '_, RangedCoordf64, RangedCoordf64>,
    y_desc: &str,
    y_ticks: &dyn Fn(&f64) -> String,
) -> DrawResult {
    DETAIL
        .mesh(chart)
        .x_desc("month of the term")
        .y_desc(y_desc)
        .x_label_formatter(&|v| human(*v))
        .y_label_formatter(y_ticks)
        .draw()?;
    Ok(())
}

/// The fan chart of utilization over the term.
fn fan(area: &Area, b: &[Band], term: f64) -> DrawResult {
    let top = b.iter().map(|x| x.p95).fold(1.0_f64, f64::max).min(1.5);
    let mut chart = DETAIL
        .chart(area, "Utilization over the term", (44, 64))
        .build_cartesian_2d(0f64..term.max(1.0), 0f64..top * 1.02)?;
    draw_term_axes(&mut chart, "utilization (%)", &|v| Unit::Percent.tick(*v))?;
    let band = |lo: fn(&Band) -> f64, hi: fn(&Band) -> f64| -> Vec<(f64, f64)> {
        let mut pts: Vec<(f64, f64)> = b.iter().map(|x| (x.month, hi(x))).collect();
        pts.extend(b.iter().rev().map(|x| (x.month, lo(x))));
        pts
    };
    chart
        .draw_series(std::iter::once(Polygon::new(
            band(|x| x.p5, |x| x.p95),
            C_MAIN.mix(0.18),
        )))?
        .label("p5–p95 of replicas")
        .legend(legend_box(C_MAIN.mix(0.18)));
    chart
        .draw_series(std::iter::once(Polygon::new(
            band(|x| x.p25, |x| x.p75),
            C_MAIN.mix(0.4),
        )))?
        .label("p25–p75")
        .legend(legend_box(C_MAIN.mix(0.4)));
    chart
        .draw_series(LineSeries::new(
            b.iter().map(|x| (x.month, x.p50)),
            C_MAIN.stroke_width(3),
        ))?
        .label("median")
        .legend(legend_line(C_MAIN.stroke_width(3)));
    chart
        .draw_series(DashedLineSeries::new(
            b.iter().map(|x| (x.month, x.mean)),
            5,
            4,
            C_GRAY.stroke_width(1),
        ))?
        .label("mean")
        .legend(legend_line(C_GRAY.stroke_width(1)));
    if b.len() == 1 {
        let x = b[0];
        chart.draw_series(std::iter::once(Circle::new((x.month, x.p50), 5, C_MAIN.filled())))?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
}

/// Delivered capacity (median, p5–p95) and planned capacity over the term.
fn capacity(area: &Area, delivered: &[Band], undelivered: Option<&[Band]>, term: f64) -> DrawResult {
    let planned: Vec<(f64, f64)> = match undelivered {
        Some(u) => delivered
            .iter()
            .map(|d| {
                let und = u
                    .iter()
                    .find(|x| (x.month - d.month).abs() < 1e-6)
                    .map_or(0.0, |x| x.mean);
                (d.month, d.mean + und)
            })
            .collect(),
        None => Vec::new(),
    };
    let peak = delivered
        .iter()
        .map(|x| x.p95)
        .chain(planned.iter().map(|p| p.1))
        .fold(0.0_f64, f64::max);
    let top = if peak > 0.0 { peak * 1.15 } else { 1.0 };
    let mut chart = DETAIL
        .chart(area, "Delivered and planned capacity", (44, 64))
        .build_cartesian_2d(0f64..term.max(1.0), 0f64..top)?;
    draw_term_axes(&mut chart, "chips", &|v| human(*v))?;
    let mut pts: Vec<(f64, f64)> = delivered.iter().map(|x| (x.month, x.p95)).collect();
    pts.extend(delivered.iter().rev().map(|x| (x.month, x.p5)));
    chart
        .draw_series(std::iter::once(Polygon::new(pts, C_GREEN.mix(0.2))))?
        .label("delivered, p5–p95")
        .legend(legend_box(C_GREEN.mix(0.2)));
    chart
        .draw_series(LineSeries::new(
            delivered.iter().map(|x| (x.month, x.p50)),
            C_GREEN.stroke_width(3),
        ))?
        .label("delivered, median")
        .legend(legend_line(C_GREEN.stroke_width(3)));
    if !planned.is_empty() {
        chart
            .draw_series(DashedLineSeries::new(planned, 8, 5, BLACK.stroke_width(2)))?
            .label("planned (mean delivered + undelivered)")
            .legend(legend_line(BLACK.stroke_width(2)));
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
}

/// P(default by month m) over the term, with a Wilson band.
fn default_curve(area: &Area, months: &[f64], n: usize, term: f64) -> DrawResult {
    let steps: Vec<(f64, f64, f64, f64)> = (0..=term as usize)
        .map(|m| {
            let k = months.iter().filter(|d| **d <= m as f64).count();
            let (lo, hi) = wilson(k, n);
            (m as f64, k as f64 / n.max(1) as f64, lo, hi)
        })
        .collect();
    let top = steps.iter().map(|s| s.3).fold(0.05_f64, f64::max).min(1.0) * 1.05;
    let mut chart = DETAIL
        .chart(area, "Cumulative probability of default", (48, 60))
        .build_cartesian_2d(0f64..term.max(1.0), 0f64..top)?;
    draw_term_axes(&mut chart, "P(default by month) (%)", &|v| Unit::Percent.tick(*v))?;
    // Step functions: the value at month m holds until m + 1.
    let stair = |f: fn(&(f64, f64, f64, f64)) -> f64| -> Vec<(f64, f64)> {
        let mut pts = Vec::new();
        for (i, s) in steps.iter().enumerate() {
            let end = steps.get(i + 1).map_or(term, |n| n.0);
            pts.push((s.0, f(s)));
            pts.push((end.min(term), f(s)));
        }
        pts
    };
    let mut band = stair(|s| s.3);
    band.extend(stair(|s| s.2).into_iter().rev());
    chart
        .draw_series(std::iter::once(Polygon::new(band, C_RED.mix(0.15))))?
        .label("95% interval (Wilson)")
        .legend(legend_box(C_RED.mix(0.15)));
    let k = months.len();
    // The legend goes where the curve is not: top left while defaults are
    // rare, bottom right once most replicas have defaulted.
    let corner = if 2 * k > n {
        SeriesLabelPosition::LowerRight
    } else {
        SeriesLabelPosition::UpperLeft
    };
    chart
        .draw_series(LineSeries::new(stair(|s| s.1), C_RED.stroke_width(3)))?
        .label(format!("defaulted: {k} of {n} replicas"))
        .legend(legend_line(C_RED.stroke_width(3)));
    draw_legend(&mut chart, corner)
}

/// Training runs per replica by outcome: median bar, p5–p95 whisker, and the
/// median replica's count.
fn run_outcomes(area: &Area, outcomes: &[(&str, Vec<f64>)], median_row: Option<usize>) -> DrawResult {
    let top = outcomes
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(1.0_f64, f64::max);
    let k = outcomes.len();
    let mut chart = DETAIL
        .chart(area, "Training runs by outcome, per replica", (48, 60))
        .build_cartesian_2d(Categories::new(k), 0f64..top * 1.55)?;
    let labels: Vec<&str> = outcomes.iter().map(|(l, _)| *l).collect();
    let x_fmt = |v: &f64| category_label(&labels, *v).unwrap_or_default().to_string();
    DETAIL
        .mesh(&mut chart)
        .disable_x_mesh()
        .x_desc("outcome")
        .y_desc("training runs (count)")
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&count_tick)
        .draw()?;
    let stats: Vec<(f64, f64, f64)> = outcomes
        .iter()
        .map(|(_, v)| {
            let s = sorted(v);
            (quantile(&s, 0.05), quantile(&s, 0.5), quantile(&s, 0.95))
        })
        .collect();
    chart
        .draw_series(
            stats
                .iter()
                .enumerate()
                .map(|(i, s)| Rectangle::new([(i as f64 - 0.3, 0.0), (i as f64 + 0.3, s.1)], C_MAIN.mix(0.6).filled())),
        )?
        .label("median across replicas")
        .legend(legend_box(C_MAIN.mix(0.6)));
    chart
        .draw_series(stats.iter().enumerate().flat_map(|(i, s)| {
            let x = i as f64;
            [
                PathElement::new(vec![(x, s.0), (x, s.2)], BLACK.stroke_width(2)),
                PathElement::new(vec![(x - 0.08, s.0), (x + 0.08, s.0)], BLACK.stroke_width(2)),
                PathElement::new(vec![(x - 0.08, s.2), (x + 0.08, s.2)], BLACK.stroke_width(2)),
            ]
        }))?
        .label("p5–p95")
        .legend(|(x, y)| PathElement::new(vec![(x + 9, y - 7), (x + 9, y + 7)], BLACK.stroke_width(2)));
    if let Some(row) = median_row {
        chart
            .draw_series(
                outcomes
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (_, v))| v.get(row).map(|y| Circle::new((i as f64, *y), 6, C_ACCENT.filled()))),
            )?
            .label("median replica")
            .legend(|(x, y)| Circle::new((x + 9, y), 5, C_ACCENT.filled()));
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// One replica's training runs, one row each (the first at the top): wait
/// from ready to start, a bar from start to finish (or the term's end, or
/// the default), the planned finish, and the outcome of runs that never ran.
fn timeline(area: &Area, runs: &[&RunRow], term: f64, default_month: Option<f64>) -> DrawResult {
    let n = runs.len();
    let end = runs
        .iter()
        .flat_map(|r| [r.planned, r.finish.unwrap_or(0.0)])
        .fold(term.max(1.0), f64::max);
    // Row i (run order) sits at y = n − 1 − i, so the first run is on top.
    let y = |i: usize| (n - 1 - i) as f64;
    let labels: Vec<String> = (0..n)
        .rev()
        .map(|i| {
            let r = runs[i];
            let generation = if r.generation.is_empty() {
                String::new()
            } else {
                format!(" on {}", clip(&r.generation, 10))
            };
            format!("run {} · {} chips{generation}", human(r.run), human(r.chips))
        })
        .collect();
    let mut chart = DETAIL
        .chart(area, "Training run timelines, median replica", (44, 190))
        .build_cartesian_2d(0f64..end, Categories::new(n))?;
    let y_fmt = |v: &f64| category_label(&labels, *v).unwrap_or_default().to_string();
    DETAIL
        .mesh(&mut chart)
        .disable_y_mesh()
        .x_desc("month of the term")
        .y_desc("training run")
        .x_label_formatter(&|v| human(*v))
        .y_label_formatter(&y_fmt)
        .y_labels(n.max(1))
        .draw()?;
    if end > term {
        chart.draw_series(DashedLineSeries::new(
            vec![(term, -0.5), (term, n as f64 - 0.5)],
            4,
            4,
            C_GRAY.stroke_width(1),
        ))?;
    }
    if let Some(d) = default_month {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(d, -0.5), (d, n as f64 - 0.5)],
                6,
                4,
                C_RED.stroke_width(2),
            ))?
            .label(format!("buyer defaults (month {})", human(d)))
            .legend(legend_line(C_RED.stroke_width(2)));
    }
    // Waits: ready to start (or to the end of the bar-less run's life).
    chart
        .draw_series(runs.iter().enumerate().filter_map(|(i, r)| {
            let to = r.start?;
            Some(PathElement::new(
                vec![(r.ready, y(i)), (to, y(i))],
                C_GRAY.stroke_width(1),
            ))
        }))?
        .label("waiting since ready")
        .legend(legend_line(C_GRAY.stroke_width(1)));
    chart
        .draw_series(
            runs.iter()
                .enumerate()
                .map(|(i, r)| Circle::new((r.ready, y(i)), 4, C_GRAY.filled())),
        )?
        .label("ready")
        .legend(|(x, y)| Circle::new((x + 9, y), 4, C_GRAY.filled()));
    let bar_end = |r: &RunRow| match (r.finish, r.outcome.as_str(), default_month) {
        (Some(f), _, _) => f,
        (None, "abandoned_at_default", Some(d)) => d,
        (None, _, _) => term,
    };
    let color = |r: &RunRow| match (r.finish, r.outcome.as_str()) {
        (Some(_), _) => C_MAIN,
        (None, "abandoned_at_default") => C_RED,
        _ => C_ACCENT,
    };
    for (label, pick) in [
        ("completed", C_MAIN),
        ("unfinished at the term's end", C_ACCENT),
        ("stopped by the default", C_RED),
    ] {
        let bars: Vec<_> = runs
            .iter()
            .enumerate()
            .filter(|(_, r)| r.start.is_some() && color(r) == pick)
            .map(|(i, r)| {
                let (a, b) = (r.start.unwrap_or(r.ready), bar_end(r));
                Rectangle::new([(a, y(i) - 0.3), (b.max(a), y(i) + 0.3)], pick.mix(0.75).filled())
            })
            .collect();
        if !bars.is_empty() {
            chart
                .draw_series(bars)?
                .label(format!("running: {label}"))
                .legend(legend_box(pick.mix(0.75)));
        }
    }
    chart
        .draw_series(
            runs.iter()
                .enumerate()
                .map(|(i, r)| Cross::new((r.planned, y(i)), 6, BLACK.stroke_width(2))),
        )?
        .label("planned finish")
        .legend(|(x, y)| Cross::new((x + 9, y), 5, BLACK.stroke_width(2)));
    // Runs that never started: their outcome in words, right of the cross
    // in the first half of the term, left of the ready dot in the second.
    let gap = 0.012 * end;
    chart.draw_series(
        runs.iter()
            .enumerate()
            .filter(|(_, r)| r.start.is_none())
            .map(|(i, r)| {
                let (x, anchor) = if r.ready < 0.5 * end {
                    (r.planned.max(r.ready) + gap, HPos::Left)
                } else {
                    (r.ready - gap, HPos::Right)
                };
                Text::new(
                    format!("never started: {}", r.outcome.replace('_', " ")),
                    (x, y(i)),
                    (FONT, 13)
                        .into_font()
                        .color(&C_GRAY)
                        .pos(Pos::new(anchor, VPos::Center)),
                )
            }),
    )?;
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}

// ---------------------------------------------------------------------------
// Sweep charts

/// A sweep axis: swept keys that vary together (a `[grid]` key, or the
/// keys of one `[[zip]]` group), with its distinct values in point order.
struct Axis {
    keys: Vec<String>,
    /// Label of each distinct value (the keys' values joined by " / ").
    labels: Vec<String>,
    /// Index into `labels` of each point, in points.csv order.
    of_point: Vec<usize>,
}

struct Sweep<'a> {
    folder: &'a Folder,
    metric: &'a str,
    axes: Vec<Axis>,
}

impl<'a> Sweep<'a> {
    fn new(folder: &'a Folder, metric: &'a str) -> Sweep<'a> {
        // Keys whose values partition the points the same way move together
        // (a zip group); points.csv does not say so, but the values do.
        let signature = |k: usize| -> Vec<usize> {
            let mut seen: Vec<&str> = Vec::new();
            folder
                .points
                .iter()
                .map(|p| {
                    let v = p.values.get(k).map(String::as_str).unwrap_or("");
                    seen.iter().position(|s| *s == v).unwrap_or_else(|| {
                        seen.push(v);
                        seen.len() - 1
                    })
                })
                .collect()
        };
        let mut groups: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
        for k in 0..folder.keys.len() {
            let sig = signature(k);
            match groups.iter_mut().find(|(s, _)| *s == sig) {
                Some((_, ks)) => ks.push(k),
                None => groups.push((sig, vec![k])),
            }
        }
        let axes = groups
            .into_iter()
            .map(|(sig, ks)| {
                let count = sig.iter().max().map_or(0, |m| m + 1);
                let labels = (0..count)
                    .map(|v| {
                        let p = sig.iter().position(|s| *s == v).expect("every label has a point");
                        ks.iter()
                            .map(|&k| short_value(folder.points[p].values.get(k).map(String::as_str).unwrap_or("")))
                            .collect::<Vec<_>>()
                            .join(" / ")
                    })
                    .collect();
                Axis {
                    keys: ks.iter().map(|&k| folder.keys[k].clone()).collect(),
                    labels,
                    of_point: sig,
                }
            })
            .collect();
        Sweep { folder, metric, axes }
    }

    /// (mean, ci95_low, ci95_high) of the metric at each point, in points.csv
    /// order; `None` where summary.csv has no row (e.g. no values).
    fn values(&self) -> Vec<Option<(f64, f64, f64)>> {
        self.folder
            .points
            .iter()
            .map(|p| {
                self.folder
                    .summary_of(p.id, self.metric)
                    .map(|r| (r.mean, r.ci95_low, r.ci95_high))
            })
            .collect()
    }

    fn small_multiples(&self) -> Result<Section, ReportError> {
        let file = "sweep_small_multiples.svg";
        let unit = Unit::of(self.metric);
        let values = self.values();
        let cols = self.axes.len().clamp(1, 3);
        let rows = self.axes.len().div_ceil(cols).max(1);
        let (w, h) = (1200u32, 340 * rows as u32);
        let svg = svg(file, w, h, |root| {
            let panels = root.split_evenly((rows, cols));
            for (axis, panel) in self.axes.iter().zip(panels.iter()) {
                self.panel(panel, axis, &values, unit, (w as usize / cols) / 9)?;
            }
            Ok(())
        })?;
        let n_points = self.folder.points.len();
        Ok(Section {
            id: "sweep",
            file,
            heading: format!("Sweep: {} by swept key", self.metric),
            svg: Some(svg),
            caption: format!(
                "One panel per swept axis (keys of a <code>[[zip]]</code> group vary together and share a \
                 panel). Dots: each of the {n_points} grid points' mean of <code>{}</code> with its 95% \
                 confidence interval (<code>summary.csv</code>); line: the average over the other swept \
                 keys. Choose another metric with <code>mortgage-sim report DIR --metric NAME</code>.",
                html_escape(self.metric)
            ),
        })
    }

    fn panel(
        &self,
        area: &Area,
        axis: &Axis,
        values: &[Option<(f64, f64, f64)>],
        unit: Unit,
        label_chars: usize,
    ) -> DrawResult {
        let k = axis.labels.len();
        let present: Vec<(usize, (f64, f64, f64))> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (axis.of_point[i], v)))
            .collect();
        let title = clip(&axis.keys.join(" + "), label_chars + 6);
        if present.is_empty() {
            return placeholder(
                area,
                &title,
                &format!("summary.csv has no {} at any point.", self.metric),
            );
        }
        let lo = present.iter().map(|p| p.1.1.min(p.1.0)).fold(f64::INFINITY, f64::min);
        let hi = present
            .iter()
            .map(|p| p.1.2.max(p.1.0))
            .fold(f64::NEG_INFINITY, f64::max);
        let (y0, y1) = range(lo, hi, 0.1);
        let mut chart = PANEL
            .chart(area, &title, (44, 64))
            .build_cartesian_2d(Categories::new(k), y0..y1)?;
        let per_label = (label_chars / k.max(1)).clamp(6, 40);
        let x_fmt = |v: &f64| {
            category_label(&axis.labels, *v)
                .map(|s| clip(s, per_label))
                .unwrap_or_default()
        };
        let y_fmt = |v: &f64| unit.tick(*v);
        let y_desc = format!("{} ({})", clip(self.metric, 28), unit.axis());
        PANEL
            .mesh(&mut chart)
            .disable_x_mesh()
            .x_desc("swept value")
            .y_desc(y_desc)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .draw()?;
        let marginal: Vec<(f64, f64)> = (0..k)
            .filter_map(|c| {
                let at: Vec<f64> = present.iter().filter(|p| p.0 == c).map(|p| p.1.0).collect();
                (!at.is_empty()).then(|| (c as f64, mean(&at)))
            })
            .collect();
        chart.draw_series(LineSeries::new(marginal, C_MAIN.stroke_width(3)))?;
        // Spread the dots of one value sideways so their intervals stay visible.
        let mut nth = vec![0usize; k];
        let per_value = (0..k)
            .map(|c| present.iter().filter(|p| p.0 == c).count())
            .collect::<Vec<_>>();
        let xs: Vec<f64> = present
            .iter()
            .map(|(c, _)| {
                let j = nth[*c];
                nth[*c] += 1;
                let spread = if per_value[*c] > 1 {
                    -0.2 + 0.4 * j as f64 / (per_value[*c] - 1) as f64
                } else {
                    0.0
                };
                *c as f64 + spread
            })
            .collect();
        let mut shapes = Vec::new();
        for (&x, (_, (m, l, h))) in xs.iter().zip(&present) {
            shapes.push(PathElement::new(vec![(x, *l), (x, *h)], C_GRAY.stroke_width(1)));
            shapes.push(PathElement::new(
                vec![(x - 0.02, *m), (x + 0.02, *m)],
                C_GRAY.stroke_width(1),
            ));
        }
        chart.draw_series(shapes)?;
        chart.draw_series(
            xs.iter()
                .zip(&present)
                .map(|(&x, (_, (m, _, _)))| Circle::new((x, *m), 4, C_ACCENT.filled())),
        )?;
        Ok(())
    }

    fn heatmap(&self) -> Result<Section, ReportError> {
        let file = "sweep_heatmap.svg";
        let varying: Vec<&Axis> = self.axes.iter().filter(|a| a.labels.len() > 1).collect();
        let heading = format!("Sweep: {} over two swept keys", self.metric);
        if varying.len() != 2 {
            return Ok(Section {
                id: "heatmap",
                file,
                heading,
                svg: None,
                caption: format!(
                    "No heatmap: it needs exactly two swept axes with at least two values each; this \
                     sweep has {}.",
                    varying.len()
                ),
            });
        }
        let (ax, ay) = (varying[0], varying[1]);
        let values = self.values();
        let (nx, ny) = (ax.labels.len(), ay.labels.len());
        let mut cells = vec![vec![Vec::new(); ny]; nx];
        for (i, v) in values.iter().enumerate() {
            if let Some((m, _, _)) = v {
                cells[ax.of_point[i]][ay.of_point[i]].push(*m);
            }
        }
        let grid: Vec<Vec<Option<f64>>> = cells
            .iter()
            .map(|col| col.iter().map(|c| (!c.is_empty()).then(|| mean(c))).collect())
            .collect();
        let all: Vec<f64> = grid.iter().flatten().flatten().copied().collect();
        let unit = Unit::of(self.metric);
        let metric = self.metric;
        let h = (ny as u32 * 70 + 170).clamp(360, 900);
        let svg = svg(file, 1200, h, |root| {
            if all.is_empty() {
                return placeholder(root, "Heatmap", &format!("summary.csv has no {metric} at any point."));
            }
            let (lo, hi) = (
                all.iter().copied().fold(f64::INFINITY, f64::min),
                all.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            );
            let (main, bar) = root.split_horizontally(1060);
            heat(&main, ax, ay, &grid, (lo, hi), unit, metric)?;
            colorbar(&bar, (lo, hi), unit)
        })?;
        Ok(Section {
            id: "heatmap",
            file,
            heading,
            svg: Some(svg),
            caption: format!(
                "Mean of <code>{}</code> at each grid point; rows and columns are the two swept axes. \
                 Common random numbers: every point sees the same random draws, so neighbouring cells \
                 differ by the parameter, not by noise.",
                html_escape(metric)
            ),
        })
    }
}

/// Shortens a swept value (TOML text) for a label: a distribution table
/// `{ dist = "lognormal", median = 12, sigma = 0.5 }` becomes
/// `lognormal median=12 sigma=0.5`.
fn short_value(v: &str) -> String {
    let t = v.trim();
    if !t.starts_with('{') {
        return t.trim_matches('"').to_string();
    }
    t.trim_matches(|c| c == '{' || c == '}')
        .split(',')
        .map(|part| {
            let (k, val) = part.split_once('=').unwrap_or(("", part));
            let (k, val) = (k.trim(), val.trim().trim_matches('"'));
            if k == "dist" || k.is_empty() {
                val.to_string()
            } else {
                format!("{k}={val}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Viridis-like color for t in [0, 1].
fn color_at(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 5] = [
        (68, 1, 84),
        (59, 82, 139),
        (33, 145, 140),
        (94, 201, 98),
        (253, 231, 37),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.5 };
    let x = t * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn scale(v: f64, (lo, hi): (f64, f64)) -> f64 {
    if hi > lo { (v - lo) / (hi - lo) } else { 0.5 }
}

fn heat(
    area: &Area,
    ax: &Axis,
    ay: &Axis,
    grid: &[Vec<Option<f64>>],
    span: (f64, f64),
    unit: Unit,
    metric: &str,
) -> DrawResult {
    let (nx, ny) = (ax.labels.len(), ay.labels.len());
    let ylabel_chars = 22;
    let mut chart = HEATMAP
        .chart(
            area,
            &format!("{metric} by swept value"),
            (60, ylabel_chars as u32 * 8 + 30),
        )
        .build_cartesian_2d(Categories::new(nx), Categories::new(ny))?;
    let per_x = (110 / nx.max(1)).clamp(6, 40);
    let label =
        |labels: &[String], v: f64, max: usize| category_label(labels, v).map(|s| clip(s, max)).unwrap_or_default();
    let x_fmt = |v: &f64| label(&ax.labels, *v, per_x);
    let y_fmt = |v: &f64| label(&ay.labels, *v, ylabel_chars);
    HEATMAP
        .mesh(&mut chart)
        .disable_mesh()
        .x_desc(clip(&ax.keys.join(" + "), 100))
        .y_desc(clip(&ay.keys.join(" + "), 50))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .draw()?;
    let mut rects = Vec::new();
    let mut texts = Vec::new();
    for (i, col) in grid.iter().enumerate() {
        for (j, cell) in col.iter().enumerate() {
            let (x, y) = (i as f64, j as f64);
            let corners = [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)];
            match cell {
                Some(v) => {
                    let t = scale(*v, span);
                    rects.push(Rectangle::new(corners, color_at(t).filled()));
                    let ink = if t > 0.6 { BLACK } else { WHITE };
                    texts.push(Text::new(
                        unit.format(*v),
                        (x, y),
                        (FONT, 14)
                            .into_font()
                            .color(&ink)
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    ));
                }
                None => {
                    rects.push(Rectangle::new(corners, C_LIGHT.filled()));
                    texts.push(Text::new(
                        "no value".to_string(),
                        (x, y),
                        (FONT, 13)
                            .into_font()
                            .color(&C_GRAY)
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    ));
                }
            }
        }
    }
    chart.draw_series(rects)?;
    chart.draw_series(
        (0..=nx)
            .map(|i| PathElement::new(vec![(i as f64 - 0.5, -0.5), (i as f64 - 0.5, ny as f64 - 0.5)], WHITE))
            .chain(
                (0..=ny)
                    .map(|j| PathElement::new(vec![(-0.5, j as f64 - 0.5), (nx as f64 - 0.5, j as f64 - 0.5)], WHITE)),
            ),
    )?;
    chart.draw_series(texts)?;
    Ok(())
}

fn colorbar(area: &Area, span: (f64, f64), unit: Unit) -> DrawResult {
    let (lo, hi) = range(span.0, span.1, 0.0);
    let (lo, hi) = if span.1 > span.0 { span } else { (lo, hi) };
    let mut chart = ChartBuilder::on(area)
        .margin_top(50)
        .margin_bottom(70)
        .margin_right(10)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..1f64, lo..hi)?;
    let y_fmt = |v: &f64| unit.tick(*v);
    HEATMAP
        .mesh(&mut chart)
        .disable_mesh()
        .disable_x_axis()
        .y_label_formatter(&y_fmt)
        .draw()?;
    let steps = 60;
    chart.draw_series((0..steps).map(|s| {
        let a = lo + (hi - lo) * s as f64 / steps as f64;
        let b = lo + (hi - lo) * (s + 1) as f64 / steps as f64;
        Rectangle::new([(0.0, a), (1.0, b)], color_at(scale((a + b) / 2.0, (lo, hi))).filled())
    }))?;
    Ok(())
}

// ---------------------------------------------------------------------------
// The page

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Strips the XML prolog, if any, so an SVG can be inlined in HTML.
fn inline_svg(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

fn page(folder: &Folder, detail: &Detail, metric: &str, sections: &[Section]) -> String {
    // A run is named after its scenario; a sweep after its experiment, which
    // is the results folder's name unless --out said otherwise.
    let folder_name = folder
        .dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| detail.scenario().to_string());
    let name = if folder.keys.is_empty() {
        detail.scenario()
    } else {
        &folder_name
    };
    let mut h = String::new();
    h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    h += &format!("<title>mortgage-sim report: {}</title>\n", html_escape(name));
    h += "<style>\n\
        body { font-family: sans-serif; margin: 16px auto; max-width: 1220px; color: #222; line-height: 1.35; }\n\
        h1 { font-size: 24px; margin: 0 0 4px 0; } h2 { font-size: 19px; margin: 14px 0 2px 0; }\n\
        .meta { color: #555; font-size: 13px; margin: 2px 0; }\n\
        table { border-collapse: collapse; font-size: 14px; margin: 8px 0; }\n\
        td, th { border-bottom: 1px solid #ddd; padding: 3px 12px 3px 0; text-align: left; vertical-align: top; }\n\
        .figures { columns: 2; column-gap: 40px; font-size: 14px; margin: 8px 0; }\n\
        .figures div { break-inside: avoid; padding: 1px 0; } .figures b { display: inline-block; min-width: 240px; font-weight: 600; }\n\
        figure { margin: 0; } figure svg { max-width: 100%; height: auto; display: block; }\n\
        figcaption { font-size: 13px; color: #444; margin: 2px 0 6px 0; }\n\
        code { font-size: 12px; background: #f3f3f3; padding: 0 3px; }\n\
        </style>\n</head>\n<body>\n";
    h += &format!("<h1>mortgage-sim report: {}</h1>\n", html_escape(name));
    let mut meta = vec![format!(
        "results folder <code>{}</code>",
        html_escape(&folder.dir.display().to_string())
    )];
    if !folder.keys.is_empty() {
        meta.push(format!("base scenario {}", html_escape(detail.scenario())));
    }
    if let Some(source) = folder.manifest_str("source") {
        meta.push(format!("source <code>{}</code>", html_escape(&source)));
    }
    if let Some(v) = folder.manifest_str("version") {
        meta.push(format!("mortgage-sim {}", html_escape(&v)));
    }
    if let Some(seed) = folder.manifest_str("master_seed") {
        meta.push(format!("master seed {}", html_escape(&seed)));
    }
    h += &format!("<p class=\"meta\">{}</p>\n", meta.join(" · "));
    if let Some(cmd) = folder.manifest_str("command") {
        h += &format!("<p class=\"meta\">command: <code>{}</code></p>\n", html_escape(&cmd));
    }
    if let Some(m) = &folder.manifest {
        let f = |p: &str| m.pointer(p).and_then(Value::as_f64);
        if let (Some(years), Some(usd_), Some(price)) = (
            f("/contract_point_0/term_years"),
            f("/contract_point_0/committed_usd"),
            f("/contract_point_0/price_per_chip_hour_usd"),
        ) {
            h += &format!(
                "<p class=\"meta\">contract (point 0): {} committed over {} years at ${:.2} per chip-hour</p>\n",
                usd(usd_),
                human(years),
                price
            );
        }
    }
    if folder.points.len() > 1 {
        h += &format!(
            "<p class=\"meta\">This sweep has {} grid points; the charts of replicas below show point {} \
             (choose another with <code>--point N</code>); the sweep charts are at the end.</p>\n",
            folder.points.len(),
            detail.point
        );
    }
    h += &format!(
        "<h2>Point {}: headline figures</h2>\n<div class=\"figures\">\n",
        detail.point
    );
    for (label, value) in detail.figures() {
        h += &format!("<div><b>{}</b> {}</div>\n", html_escape(&label), html_escape(&value));
    }
    h += "</div>\n";
    for s in sections {
        h += &format!(
            "<section id=\"{}\">\n<h2>{}</h2>\n<figure>\n",
            s.id,
            html_escape(&s.heading)
        );
        if let Some(svg) = &s.svg {
            h += inline_svg(svg);
            h += "\n";
        }
        h += &format!("<figcaption>{}</figcaption>\n</figure>\n</section>\n", s.caption);
        if s.id == "sweep" {
            h += &points_table(folder, metric);
        }
    }
    h += "<p class=\"meta\">Every chart is also in <code>charts/</code> as an SVG file. Columns are \
          documented in the README (\"Output files\").</p>\n</body>\n</html>\n";
    h
}

fn points_table(folder: &Folder, metric: &str) -> String {
    let unit = Unit::of(metric);
    let mut t = String::from("<table>\n<tr><th>point</th>");
    for k in &folder.keys {
        t += &format!("<th>{}</th>", html_escape(k));
    }
    t += &format!("<th>{} (mean, 95% CI)</th><th>n</th></tr>\n", html_escape(metric));
    for p in &folder.points {
        t += &format!("<tr><td>{}</td>", p.id);
        for v in &p.values {
            t += &format!("<td>{}</td>", html_escape(&short_value(v)));
        }
        match folder.summary_of(p.id, metric) {
            Some(r) => {
                t += &format!(
                    "<td>{} ({} – {})</td><td>{}</td>",
                    html_escape(&unit.format(r.mean)),
                    html_escape(&unit.format(r.ci95_low)),
                    html_escape(&unit.format(r.ci95_high)),
                    human(r.n)
                )
            }
            None => t += "<td>no value</td><td>0</td>",
        }
        t += "</tr>\n";
    }
    t + "</table>\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_a_person_wrote_them() {
        assert_eq!(human(1.5e6), "1.5M");
        assert_eq!(human(1_000_000.0), "1M");
        assert_eq!(human(999_700.0), "1M");
        assert_eq!(human(940.0), "940");
        assert_eq!(human(0.0023), "0.0023");
        assert_eq!(human(0.0), "0");
        assert_eq!(human(-2.5e3), "-2.5k");
        assert_eq!(usd(12.3e9), "$12.3B");
        assert_eq!(usd(-4.0e6), "-$4M");
        assert_eq!(percent(0.941), "94.1%");
        assert_eq!(Unit::Percent.tick(0.25), "25%");
        assert_eq!(Unit::Chips.format(1.5e6), "1.5M chips");
        assert_eq!(human(f64::NAN), "n/a");
    }

    #[test]
    fn units_follow_column_names() {
        assert_eq!(Unit::of("idle_cost_usd"), Unit::Usd);
        assert_eq!(Unit::of("utilization"), Unit::Percent);
        assert_eq!(Unit::of("idle_fraction"), Unit::Percent);
        assert_eq!(Unit::of("delivered_chip_hours"), Unit::ChipHours);
        assert_eq!(Unit::of("training_mean_delay_days"), Unit::Days);
        assert_eq!(Unit::of("default_month"), Unit::Months);
        assert_eq!(Unit::of("unit_failures"), Unit::Plain);
    }

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

    #[test]
    fn ranges_are_never_empty() {
        assert_eq!(range(0.0, 0.0, 0.1), (-1.0, 1.0));
        let (a, b) = range(5.0, 5.0, 0.1);
        assert!(a < 5.0 && b > 5.0);
        assert_eq!(range(f64::NAN, 1.0, 0.0), (0.0, 1.0));
    }

    #[test]
    fn distribution_values_get_short_labels() {
        assert_eq!(
            short_value("{ dist = \"lognormal\", median = 12, sigma = 0.5 }"),
            "lognormal median=12 sigma=0.5"
        );
        assert_eq!(short_value("0.4"), "0.4");
        assert_eq!(clip("abcdef", 4), "abc…");
    }

    #[test]
    fn a_histogram_of_one_value_draws() {
        let s = svg("t.svg", 600, 380, |root| {
            histogram(root, "one", &[3.0], Unit::Usd, "x (USD)", C_MAIN)
        })
        .unwrap();
        assert!(s.contains("<rect"), "{s}");
    }
}
