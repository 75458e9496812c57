//! Sensitivity studies: which assumption drives the answer. A study file
//! names a base scenario, inputs with ranges and output metrics; a method
//! (tornado, Morris, Sobol) turns it into a design of evaluations, which
//! runs as an ordinary sweep (one `[[zip]]` axis over all inputs, so shards,
//! merge, `--set` and the results folder are the sweep's), and the
//! estimators read the folder's `replicas.csv` to write `sensitivity.csv`
//! (or, after `--fidelity multi`, risk.csv's multi-fidelity estimates where
//! it has them, `sensitivity/estimates.rs`).
//!
//! ```toml
//! name = "baseline_tornado"
//! base = "../configs/baseline.toml"
//! replicas = 16
//! method = "tornado"                  # tornado | morris | sobol
//! metrics = ["p_default_by_year_5", "idle_cost_usd"]
//! [[inputs]]
//! key = "inference.growth.drift_per_year"
//! low = 0.25
//! high = 0.55
//! ```
//!
//! Every evaluation runs the same replica seeds (the sweep's seeding rule),
//! so differences between evaluations are the inputs' effects, not noise.
//! Reverse stress tests live in [`stress`].

pub mod design;
mod estimates;
pub mod indices;
pub mod stress;

use crate::config::{self, ConfigError};
use crate::folder::{self, FolderError};
use crate::metrics::{self, Cell};
use crate::sweep::{self, Axis, Experiment, Header};
use design::UnitDesign;
use indices::{Index, Replicas};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// How a study explores its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// One input at a time at its low and high end, the others at base.
    Tornado,
    /// Morris's elementary effects on random one-at-a-time trajectories.
    Morris,
    /// Sobol first-order and total indices from Saltelli's design.
    Sobol,
}

impl Method {
    /// Its name in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Tornado => "tornado",
            Method::Morris => "morris",
            Method::Sobol => "sobol",
        }
    }
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Method, String> {
        match s {
            "tornado" => Ok(Method::Tornado),
            "morris" => Ok(Method::Morris),
            "sobol" => Ok(Method::Sobol),
            _ => Err(format!("`{s}`; allowed: tornado, morris, sobol")),
        }
    }
}

/// An output a study measures, per replica.
#[derive(Debug, Clone, Copy)]
pub enum Metric {
    /// A replicas.csv column; the study's value is its mean over the
    /// replicas that have one.
    Column(&'static metrics::Column),
    /// P(default by the end of year k): per replica 1 if `default_month` ≤
    /// 12k, else 0, so the study's value is the proportion (as risk.csv's
    /// `p_default_by_year`).
    DefaultByYear(u32),
}

impl Metric {
    /// Reads a metric name: a replicas.csv metric column, or
    /// `p_default_by_year_K`.
    pub fn parse(name: &str) -> Result<Metric, String> {
        if let Some(k) = name.strip_prefix("p_default_by_year_") {
            return k
                .parse::<u32>()
                .ok()
                .filter(|&k| k >= 1)
                .map(Metric::DefaultByYear)
                .ok_or_else(|| format!("`{name}`: the year must be a whole number ≥ 1"));
        }
        metrics::column(name)
            .filter(|c| c.is_metric())
            .map(Metric::Column)
            .ok_or_else(|| {
                format!(
                    "`{name}`; allowed: p_default_by_year_K or a replicas.csv metric column (README's \"Output files\")"
                )
            })
    }

    /// Whether it is a proportion (every replica's value 0 or 1).
    pub fn is_proportion(self) -> bool {
        matches!(self, Metric::DefaultByYear(_))
    }

    /// Its name in sensitivity.csv.
    pub fn name(self) -> String {
        match self {
            Metric::Column(c) => c.name.to_string(),
            Metric::DefaultByYear(k) => format!("p_default_by_year_{k}"),
        }
    }

    /// The replicas.csv column it reads.
    pub fn column(self) -> &'static str {
        match self {
            Metric::Column(c) => c.name,
            Metric::DefaultByYear(_) => "default_month",
        }
    }

    /// Its value in one replica, given that replica's value of
    /// [`Metric::column`] (`None` = an empty cell).
    pub fn of(self, cell: Option<f64>) -> Option<f64> {
        match self {
            Metric::Column(_) => cell,
            Metric::DefaultByYear(k) => Some(if cell.is_some_and(|m| m <= f64::from(12 * k)) {
                1.0
            } else {
                0.0
            }),
        }
    }
}

/// One input of a study and its range.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// The dotted key it sets.
    pub key: String,
    /// The low end of its range.
    pub low: f64,
    /// The high end.
    pub high: f64,
    /// Its value at the base point (the tornado's centre).
    pub base: Option<f64>,
    /// Written as a whole number (the key takes one).
    pub integer: bool,
    /// Sampled uniformly in its logarithm (`scale = "log"`).
    pub log: bool,
}

impl Input {
    /// The value at position `u` of the unit range, or the base value.
    pub fn value(&self, u: Option<f64>) -> f64 {
        let x = match u {
            None => self.base.unwrap_or(f64::NAN),
            Some(u) if self.log => (self.low.ln() + u * (self.high.ln() - self.low.ln())).exp(),
            Some(u) => self.low + u * (self.high - self.low),
        };
        if self.integer { x.round() } else { x }
    }

    /// A value as TOML text.
    pub fn text(&self, x: f64) -> String {
        if self.integer {
            format!("{}", x as i64)
        } else {
            toml::Value::Float(x).to_string()
        }
    }
}

/// A study file as written (`mortgage-sim sensitivity`), after its header:
/// the inputs with their ranges, the metrics and a method. Its JSON Schema
/// (`mortgage-sim schema study`) is derived from this type and the header's.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawStudy {
    /// How the inputs are explored (`--method` overrides it).
    method: Method,
    /// What is measured: `replicas.csv` metric columns (their mean over
    /// replicas) or `p_default_by_year_K`.
    metrics: Vec<String>,
    /// The uncertain inputs.
    inputs: Vec<RawInput>,
    /// Seed of the Morris/Sobol draws and the bootstrap (default: `seed`, else 0).
    design_seed: Option<u64>,
    /// Morris: r trajectories of k + 1 evaluations (default 10).
    trajectories: Option<usize>,
    /// Morris: grid levels, even (default 4).
    levels: Option<usize>,
    /// Sobol: N rows, N (k + 2) evaluations (default 64).
    samples: Option<usize>,
}

/// `[[inputs]]`: one uncertain input of a study.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawInput {
    /// The dotted scenario key it sets.
    key: String,
    /// The low end of its range (whole numbers keep the input whole).
    #[schemars(with = "serde_json::Value")]
    low: toml::Value,
    /// The high end of its range.
    #[schemars(with = "serde_json::Value")]
    high: toml::Value,
    /// The tornado's centre (default: the base scenario's value).
    #[schemars(with = "Option<serde_json::Value>")]
    base: Option<toml::Value>,
    /// How it is sampled between low and high (default linear).
    #[serde(default)]
    scale: Scale,
}

/// `inputs.scale`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Scale {
    /// Uniformly between low and high.
    #[default]
    Linear,
    /// Uniformly in the logarithm (low > 0).
    Log,
}

/// The JSON Schema of study files (draft 7).
pub fn study_schema() -> String {
    crate::sweep::header::file_schema::<RawStudy>("mortgage-sim sensitivity study")
}

/// A loaded study: its inputs, metrics and design.
#[derive(Debug, Clone)]
pub struct Study {
    /// Name, file, base scenario, replicas per evaluation and seed.
    pub header: Header,
    /// The method.
    pub method: Method,
    /// The outputs measured.
    pub metrics: Vec<Metric>,
    /// The inputs varied.
    pub inputs: Vec<Input>,
    /// Seed of the design's and the bootstrap's draws.
    pub design_seed: u64,
    /// The design in the unit cube.
    pub design: UnitDesign,
}

/// The most evaluations a study may have.
pub const MAX_EVALUATIONS: usize = 1_000_000;

/// Loads a study file; `method` replaces the file's method if given.
pub fn load(path: &Path, method: Option<Method>) -> Result<Study, ConfigError> {
    let (header, raw) = sweep::header::read::<RawStudy>(path)?;
    let key_err = |key: String, problem: String| header.key_error(key, problem);
    if raw.inputs.is_empty() {
        return Err(key_err(
            "inputs".into(),
            "is empty; allowed: at least one [[inputs]] table".into(),
        ));
    }
    if raw.metrics.is_empty() {
        return Err(key_err(
            "metrics".into(),
            "is empty; allowed: at least one metric name".into(),
        ));
    }
    let metrics = raw
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| Metric::parse(m).map_err(|p| key_err(format!("metrics[{i}]"), format!("is {p}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let method = method.unwrap_or(raw.method);
    let base_path = &header.base;
    let base_doc = config::read_scenario(base_path).map_err(|e| {
        key_err(
            "base".into(),
            format!(
                "names {}, which cannot be read ({e}); allowed: a scenario file, relative to the study's folder",
                base_path.display()
            ),
        )
    })?;
    let mut inputs = Vec::new();
    for (i, raw_input) in raw.inputs.iter().enumerate() {
        let here = |field: &str| format!("inputs[{i}].{field}");
        if inputs.iter().any(|x: &Input| x.key == raw_input.key) {
            return Err(key_err(
                here("key"),
                format!("`{}` is varied twice; allowed: each key once", raw_input.key),
            ));
        }
        let number = |v: &toml::Value, field: &str| match v {
            toml::Value::Integer(n) => Ok((*n as f64, true)),
            toml::Value::Float(x) if x.is_finite() => Ok((*x, false)),
            other => Err(key_err(here(field), format!("is {other}; allowed: a finite number"))),
        };
        let (low, low_int) = number(&raw_input.low, "low")?;
        let (high, high_int) = number(&raw_input.high, "high")?;
        if low >= high {
            return Err(key_err(
                here("high"),
                format!("is {high}, not above low = {low}; allowed: high > low"),
            ));
        }
        let log = raw_input.scale == Scale::Log;
        if log && low <= 0.0 {
            return Err(key_err(
                here("low"),
                format!("is {low}; allowed: > 0 with scale = \"log\""),
            ));
        }
        let in_base = lookup(&base_doc, &raw_input.key);
        let base = match (&raw_input.base, in_base) {
            (Some(v), _) => Some(number(v, "base")?),
            (None, Some(v @ (toml::Value::Integer(_) | toml::Value::Float(_)))) => Some(number(v, "key")?),
            (None, _) => None,
        };
        if method == Method::Tornado && base.is_none() {
            return Err(key_err(
                here("base"),
                format!(
                    "is missing and the base scenario has no number at `{}`; allowed: a number (the tornado's centre)",
                    raw_input.key
                ),
            ));
        }
        let integer = low_int && high_int && base.is_none_or(|(_, int)| int);
        inputs.push(Input {
            key: raw_input.key.clone(),
            low,
            high,
            base: base.map(|(x, _)| x),
            integer,
            log,
        });
    }
    let design_seed = raw.design_seed.or(header.seed).unwrap_or(0);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(design_seed);
    let k = inputs.len();
    let count = |key: &str, v: Option<usize>, default: usize, min: usize| match v.unwrap_or(default) {
        n if n >= min => Ok(n),
        n => Err(key_err(key.into(), format!("is {n}; allowed: at least {min}"))),
    };
    let evaluations = |n: usize| {
        n.checked_mul(match method {
            Method::Tornado => 1,
            Method::Morris => k + 1,
            Method::Sobol => k + 2,
        })
    };
    let design = match method {
        Method::Tornado => design::tornado(k),
        Method::Morris => {
            let r = count("trajectories", raw.trajectories, 10, 2)?;
            let levels = count("levels", raw.levels, 4, 2)?;
            if levels % 2 != 0 {
                return Err(key_err(
                    "levels".into(),
                    format!("is {levels}; allowed: an even number (Δ = levels / (2 (levels − 1)) lands on the grid)"),
                ));
            }
            check_size(evaluations(r), "trajectories", &key_err)?;
            design::morris(k, r, levels, &mut rng)
        }
        Method::Sobol => {
            let n = count("samples", raw.samples, 64, 2)?;
            check_size(evaluations(n), "samples", &key_err)?;
            design::saltelli(k, n, &mut rng)
        }
    };
    Ok(Study {
        header,
        method,
        metrics,
        inputs,
        design_seed,
        design,
    })
}

fn check_size(
    n: Option<usize>,
    key: &str,
    key_err: &impl Fn(String, String) -> ConfigError,
) -> Result<(), ConfigError> {
    match n {
        Some(n) if n <= MAX_EVALUATIONS => Ok(()),
        _ => Err(key_err(
            key.into(),
            format!("makes the design larger than {MAX_EVALUATIONS} evaluations"),
        )),
    }
}

/// The value at a dotted path of a document (`a.b.0.c`), if there is one.
fn lookup<'a>(doc: &'a toml::Table, key: &str) -> Option<&'a toml::Value> {
    let mut parts = key.split('.');
    let mut node = doc.get(parts.next()?)?;
    for part in parts {
        node = match node {
            toml::Value::Table(t) => t.get(part)?,
            toml::Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

impl Study {
    /// The value of every input at every evaluation.
    pub fn values(&self) -> Vec<Vec<f64>> {
        self.design
            .points
            .iter()
            .map(|p| p.iter().zip(&self.inputs).map(|(&u, input)| input.value(u)).collect())
            .collect()
    }

    /// The design as an experiment: one `[[zip]]` axis setting every input
    /// at every evaluation, so a study runs, shards and merges as a sweep.
    pub fn experiment(&self) -> Experiment {
        let values = self.values();
        Experiment {
            header: self.header.clone(),
            axes: vec![Axis {
                keys: self.inputs.iter().map(|x| x.key.clone()).collect(),
                origins: (0..self.inputs.len()).map(|i| format!("inputs[{i}].key")).collect(),
                values: self
                    .inputs
                    .iter()
                    .enumerate()
                    .map(|(i, input)| values.iter().map(|v| input.text(v[i])).collect())
                    .collect(),
            }],
        }
    }
}

/// Why a study's results cannot be analysed.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// The results folder is not this study's (bad input, exit code 2).
    #[error("{file}: {problem}")]
    Results {
        /// The file read.
        file: PathBuf,
        /// What does not match.
        problem: String,
    },
    /// A result file could not be written (exit code 1).
    #[error(transparent)]
    Folder(#[from] FolderError),
}

impl StudyError {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            StudyError::Results { .. } => 2,
            StudyError::Folder(e) => e.exit_code(),
        }
    }
}

/// The estimates of one metric.
#[derive(Debug, Clone)]
pub struct MetricIndices {
    /// The metric.
    pub metric: Metric,
    /// Its statistics, inputs in the order of their importance.
    pub indices: Vec<Index>,
}

/// Reads a results folder of `study`'s design (written by `sensitivity` or
/// merged from its shards), computes the method's statistics and writes
/// `sensitivity.csv`, `design.csv` and `evaluations.csv` into it (each
/// under a temporary name, then renamed).
pub fn analyse(study: &Study, dir: &Path) -> Result<Vec<MetricIndices>, StudyError> {
    check_points(study, dir)?;
    let values = read_values(study, dir)?;
    let estimates = estimates::read(&study.metrics, dir, study.design.points.len())?;
    let k = study.inputs.len();
    let mut all = Vec::new();
    for (m, metric) in study.metrics.iter().enumerate() {
        let per_eval = &values[m];
        let means: Vec<f64> = match &estimates[m] {
            Some(estimates) => estimates.iter().map(|e| e.value).collect(),
            None => per_eval.iter().map(indices::mean_of).collect(),
        };
        let seed = study.design_seed ^ (m as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let (mut found, headline) = match study.method {
            Method::Tornado => match &estimates[m] {
                Some(estimates) => (indices::tornado_of_estimates(&study.design.roles, estimates), "swing"),
                None => (
                    indices::tornado(&study.design.roles, per_eval, metric.is_proportion()),
                    "swing",
                ),
            },
            Method::Morris => (
                indices::morris(&study.design.roles, &study.design.points, &means, k, seed),
                "mu_star",
            ),
            Method::Sobol => (indices::sobol(&study.design.roles, &means, k, seed), "total"),
        };
        // Inputs in order of importance (|headline| descending, NaN last);
        // whole-study figures first.
        let weight = |input: Option<usize>| {
            input.map_or(f64::INFINITY, |i| {
                found
                    .iter()
                    .find(|x| x.input == Some(i) && x.statistic == headline)
                    .map_or(-1.0, |x| if x.value.is_finite() { x.value.abs() } else { -1.0 })
            })
        };
        let order: Vec<f64> = found.iter().map(|x| weight(x.input)).collect();
        let mut keyed: Vec<(f64, Option<usize>, Index)> =
            found.drain(..).zip(order).map(|(x, w)| (w, x.input, x)).collect();
        keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        all.push(MetricIndices {
            metric: *metric,
            indices: keyed.into_iter().map(|(_, _, x)| x).collect(),
        });
    }
    write_outputs(study, dir, &all, &values, &estimates)?;
    Ok(all)
}

/// The study's answer for one metric in a few lines: the inputs in order of
/// importance with the method's headline statistic and its interval.
pub fn headline(study: &Study, m: &MetricIndices) -> String {
    let headline = match study.method {
        Method::Tornado => "swing",
        Method::Morris => "mu_star",
        Method::Sobol => "total",
    };
    let mut text = format!("  {} ({headline}):", m.metric.name());
    for x in m.indices.iter().filter(|x| x.statistic == headline) {
        let input = x.input.map_or("", |i| study.inputs[i].key.as_str());
        let interval = x.ci95.map_or(String::new(), |(lo, hi)| {
            format!(" [{}, {}]", config::rules::approx(lo), config::rules::approx(hi))
        });
        text += &format!("\n    {input}: {}{interval}", config::rules::approx(x.value));
    }
    text
}

/// The folder's points.csv must be this study's design, value for value.
fn check_points(study: &Study, dir: &Path) -> Result<(), StudyError> {
    let file = dir.join("points.csv");
    let bad = |problem: String| StudyError::Results {
        file: file.clone(),
        problem,
    };
    let mut reader = csv::Reader::from_path(&file).map_err(|e| bad(format!("cannot read: {e}")))?;
    let header = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    let columns = study
        .inputs
        .iter()
        .map(|x| {
            header.iter().position(|h| h == x.key).ok_or_else(|| {
                bad(format!(
                    "has no column `{}`: this folder is not a run of {} (run `sensitivity` on the study, or merge its shards)",
                    x.key,
                    study.header.file.display()
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let expected = study.experiment().axes.remove(0).values;
    let mut rows = 0;
    for (e, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(e.to_string()))?;
        for (i, &c) in columns.iter().enumerate() {
            let want = expected[i].get(e).map(String::as_str);
            if record.get(c) != want {
                return Err(bad(format!(
                    "point {e} sets `{}` = {:?}, but the study's design has {:?} (another study, design_seed or method?)",
                    study.inputs[i].key,
                    record.get(c).unwrap_or(""),
                    want.unwrap_or("no such evaluation")
                )));
            }
        }
        rows += 1;
    }
    if rows != study.design.points.len() {
        return Err(bad(format!(
            "has {rows} points; the study's design has {} evaluations",
            study.design.points.len()
        )));
    }
    Ok(())
}

/// `values[metric][evaluation][replica]` from replicas.csv.
fn read_values(study: &Study, dir: &Path) -> Result<Vec<Vec<Replicas>>, StudyError> {
    let file = dir.join("replicas.csv");
    let bad = |problem: String| StudyError::Results {
        file: file.clone(),
        problem,
    };
    let mut reader = csv::Reader::from_path(&file).map_err(|e| bad(format!("cannot read: {e}")))?;
    let header = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    let position = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| bad(format!("has no column `{name}`")))
    };
    let (point_col, replica_col) = (position("point")?, position("replica")?);
    let columns = study
        .metrics
        .iter()
        .map(|m| position(m.column()))
        .collect::<Result<Vec<_>, _>>()?;
    let (evaluations, replicas) = (study.design.points.len(), study.header.replicas as usize);
    let mut values = vec![vec![Vec::new(); evaluations]; study.metrics.len()];
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(e.to_string()))?;
        let index = |c: usize, limit: usize| {
            record
                .get(c)
                .and_then(|s| s.parse::<usize>().ok())
                .filter(|&i| i < limit)
                .ok_or_else(|| {
                    bad(format!(
                        "line {}: `{}` is not a point/replica of the study",
                        line + 2,
                        record.get(c).unwrap_or("")
                    ))
                })
        };
        let (e, r) = (index(point_col, evaluations)?, index(replica_col, usize::MAX)?);
        for (m, (&c, metric)) in columns.iter().zip(&study.metrics).enumerate() {
            let cell = record
                .get(c)
                .filter(|s| !s.is_empty())
                .and_then(|s| s.parse::<f64>().ok());
            let slot = &mut values[m][e];
            if slot.len() <= r {
                slot.resize(r + 1, None);
            }
            slot[r] = metric.of(cell);
        }
    }
    if let Some(e) = values[0].iter().position(|v| v.len() != replicas) {
        return Err(bad(format!(
            "point {e} has {} replicas; the study runs {replicas} (was --replicas given? pass the same to the analysis)",
            values[0][e].len()
        )));
    }
    Ok(values)
}

fn number(x: f64) -> String {
    Cell::Num(x).text(&mut ryu::Buffer::new()).into_owned()
}

/// The `ci95_low` and `ci95_high` cells of an interval, empty without one.
fn interval_cells(ci95: Option<(f64, f64)>) -> (String, String) {
    ci95.map_or((String::new(), String::new()), |(l, h)| (number(l), number(h)))
}

fn write_outputs(
    study: &Study,
    dir: &Path,
    all: &[MetricIndices],
    values: &[Vec<Replicas>],
    estimates: &[Option<Vec<indices::Estimate>>],
) -> Result<(), StudyError> {
    let method = study.method.as_str();
    let input_name = |i: Option<usize>| i.map_or(String::new(), |i| study.inputs[i].key.clone());
    let mut rows = vec![
        vec![
            "method",
            "metric",
            "input",
            "statistic",
            "value",
            "ci95_low",
            "ci95_high",
            "n",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>(),
    ];
    for m in all {
        for x in &m.indices {
            let (lo, hi) = interval_cells(x.ci95);
            rows.push(vec![
                method.into(),
                m.metric.name(),
                input_name(x.input),
                x.statistic.into(),
                number(x.value),
                lo,
                hi,
                x.n.to_string(),
            ]);
        }
    }
    write_csv(dir, "sensitivity.csv", &rows)?;

    let mut rows = vec![["point", "role", "index", "input"].map(String::from).to_vec()];
    for (e, role) in study.design.roles.iter().enumerate() {
        let (name, index, input) = role.describe();
        rows.push(vec![
            e.to_string(),
            name.into(),
            index.map_or(String::new(), |i| i.to_string()),
            input_name(input),
        ]);
    }
    write_csv(dir, "design.csv", &rows)?;

    let mut rows = vec![
        ["point", "metric", "value", "ci95_low", "ci95_high", "n"]
            .map(String::from)
            .to_vec(),
    ];
    for (m, metric) in study.metrics.iter().enumerate() {
        for (e, replicas) in values[m].iter().enumerate() {
            if let Some(x) = estimates[m].as_ref().map(|all| all[e]) {
                let (lo, hi) = interval_cells(x.ci95);
                rows.push(vec![
                    e.to_string(),
                    metric.name(),
                    number(x.value),
                    lo,
                    hi,
                    x.n.to_string(),
                ]);
                continue;
            }
            let present: Vec<f64> = replicas.iter().flatten().copied().collect();
            let summary = crate::stats::Summary::of(&present, &[]);
            let (value, lo, hi) = match summary {
                Some(s) if metric.is_proportion() => {
                    let (lo, hi) = crate::stats::wilson(present.iter().filter(|&&v| v > 0.5).count(), s.n);
                    (number(s.mean), number(lo), number(hi))
                }
                Some(s) if s.n >= 2 => (
                    number(s.mean),
                    number(s.mean - s.ci95_half_width()),
                    number(s.mean + s.ci95_half_width()),
                ),
                Some(s) => (number(s.mean), String::new(), String::new()),
                None => (String::new(), String::new(), String::new()),
            };
            rows.push(vec![
                e.to_string(),
                metric.name(),
                value,
                lo,
                hi,
                present.len().to_string(),
            ]);
        }
    }
    write_csv(dir, "evaluations.csv", &rows)
}

/// Writes `rows` to `dir/name` under a temporary name, then renames it.
fn write_csv(dir: &Path, name: &str, rows: &[Vec<String>]) -> Result<(), StudyError> {
    let path = dir.join(name);
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer
            .write_record(row)
            .map_err(|e| folder::io_error(&path)(e.into()))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| folder::io_error(&path)(e.into_error()))?;
    folder::write_file_atomically(&path, &bytes).map_err(|e| folder::io_error(&path)(e).into())
}
