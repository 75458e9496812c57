//! `report.html`: a results folder's picture of itself.
//!
//! [`write_report`] reads the CSVs of a results folder — only the files, so it
//! works on any folder, including ones written by older versions — and
//! writes `report.html` plus one SVG per chart in `charts/`. The SVGs are
//! also inlined in the HTML, so the page needs no network and no other file.
//!
//! The page answers the risk question first: the point's headline figures
//! and parameter values, its risk table (`risk.csv`, read in either of its
//! forms), the cumulative probability of default beside the loss-exceedance
//! curve with its VaR markers, why replicas default (the events of
//! `events.csv` before each default, and the restructurings' outcomes), the
//! exposure profile (`exposure.csv`), the distributions of loss given
//! default and of the provider's NPV. Then utilization over the term as a
//! fan chart with delivered and planned capacity on the same time axis;
//! idle fraction and idle cost across replicas; training runs by outcome
//! and their delay; the median replica's training run timelines
//! (`training_runs.csv`); for a `sensitivity` study's folder, a tornado,
//! Sobol or Morris chart per metric (`sensitivity.csv`); for a sweep whose
//! points have a `description`, a table of the named scenarios side by side;
//! and, for a sweep,
//! small multiples (a row per metric, a panel per swept axis) and a heatmap
//! per metric when two axes vary. One median replica is marked in every
//! chart that marks one; every chart's marks carry SVG `<title>` tooltips.
//!
//! What can fail: a missing, unreadable or garbled input file (a
//! [`ReportError`] whose [`ReportError::exit_code`] is 2, naming the file),
//! an unknown `--metric` or `--point`, and writing the report's files.
//! Thin data — one replica, one point, no default, every replica defaulting,
//! a column an older folder lacks — never fails: the chart says what is
//! missing instead.
//!
//! The code is split by concern: `folder` reads the results folder, `units`
//! names each metric's unit and makes keys readable (numbers for people are
//! `output::numbers`, the statistics the charts need are the `stats`
//! module's), `draw` the drawing machinery every chart shares, `detail` the
//! charts of one grid point's replicas, `risk_table` and `intervals` the
//! risk table, `why_default` the events before defaults, `sensitivity` a
//! sensitivity study's charts, `stress_table` the named scenarios' table, `sweep` the charts across grid points, and
//! `page` the HTML page around them.

mod detail;
mod draw;
mod folder;
mod intervals;
mod page;
mod risk_table;
mod sensitivity;
mod stress_table;
mod sweep;
mod units;
mod why_default;

use detail::Detail;
use folder::Folder;
use page::page;
use std::fs;
use std::path::{Path, PathBuf};
use sweep::Sweep;

/// What to report on.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// `summary.csv` metric(s) of the sweep charts: one name or a
    /// comma-separated list, each charted in its own row of panels
    /// (default `utilization`).
    pub metric: String,
    /// Grid point whose replicas the detail charts show (default: the first
    /// point of `points.csv`).
    pub point: Option<u64>,
}

impl ReportOptions {
    /// The metrics of [`ReportOptions::metric`], in order, without repeats
    /// or empty names.
    pub fn metrics(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for m in self.metric.split(',').map(str::trim).filter(|m| !m.is_empty()) {
            if !out.iter().any(|o| o == m) {
                out.push(m.to_string());
            }
        }
        out
    }
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
    /// A file was given, not a folder. Fatal; pass the results folder that
    /// `run` or `sweep` wrote.
    #[error(
        "{0} is a file; `report` wants a results folder written by `run`, `sweep` or `merge` \
         (e.g. results/baseline)"
    )]
    NotAFolder(PathBuf),
    /// The folder holds shards of a sharded sweep (or is one), which have no
    /// tables yet. Fatal; merge them, then report on the merged folder.
    #[error(
        "{dir}: shards of a sharded sweep, not a results folder; merge them first: mortgage-sim merge {} --out {out} --report",
        shards.join(" ")
    )]
    Shards {
        /// The folder given.
        dir: PathBuf,
        /// The shard folders found, as paths for the command line.
        shards: Vec<String>,
        /// A suggested merged folder.
        out: String,
    },
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

impl From<crate::output::csv_table::Garbled> for ReportError {
    fn from(e: crate::output::csv_table::Garbled) -> Self {
        ReportError::Garbled {
            path: e.path,
            message: e.message,
        }
    }
}

impl ReportError {
    /// The process exit code: 2 when the input (the folder, `--metric`,
    /// `--point`) is at fault, 1 when the machine is (writing, drawing).
    pub fn exit_code(&self) -> u8 {
        match self {
            ReportError::Write { .. } | ReportError::Draw { .. } => 1,
            _ => 2,
        }
    }
}

/// Names of the chart files the report may write in `charts/`.
pub const CHART_FILES: [&str; 10] = [
    "default_and_loss.svg",
    "exposure.svg",
    "lgd_and_npv.svg",
    "utilization_fan.svg",
    "idle.svg",
    "training.svg",
    "training_timeline.svg",
    "sweep_small_multiples.svg",
    "sweep_heatmap.svg",
    "sensitivity.svg",
];

/// Reads the results folder `dir` and writes `dir/report.html` and its
/// charts in `dir/charts/`. Returns the path of `report.html`.
pub fn write_report(dir: &Path, options: &ReportOptions) -> Result<PathBuf, ReportError> {
    let folder = Folder::load(dir)?;
    let point = folder.choose_point(options.point)?;
    let metrics = options.metrics();
    if metrics.is_empty() {
        folder.check_metric("")?;
    }
    for m in &metrics {
        folder.check_metric(m)?;
    }
    let detail = Detail::new(&folder, point);
    let mut sections = vec![
        risk_table::risk_section(&folder, &detail),
        detail.default_chart()?,
        why_default::why_default_section(&folder, point)?,
        detail.exposure_chart()?,
        detail.credit_distributions()?,
        detail.fan_chart()?,
        detail.idle_chart()?,
        detail.training_chart()?,
        detail.timeline_chart()?,
    ];
    sections.extend(sensitivity::sensitivity_section(&folder)?);
    sections.extend(stress_table::stress_section(&folder));
    if !folder.keys.is_empty() {
        let sweep = Sweep::new(&folder, &metrics);
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
        if let (Some(svg), Some(file)) = (&s.svg, s.file) {
            let path = charts.join(file);
            fs::write(&path, svg).map_err(write_err(&path))?;
        }
    }
    let html = page(&folder, &detail, &sections);
    let path = dir.join("report.html");
    crate::folder::write_file_atomically(&path, html.as_bytes()).map_err(write_err(&path))?;
    Ok(path)
}

fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    }
}
