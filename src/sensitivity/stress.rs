//! Reverse stress tests: the value of one input at which a risk target is
//! crossed ("the smallest demand drift at which P(default by year 5) ≤
//! 5%"), by bisection on common random numbers.
//!
//! ```toml
//! name = "drift_for_5pct"
//! base = "../configs/baseline.toml"
//! replicas = 32
//! [input]
//! key = "inference.growth.drift_per_year"
//! low = 0.2
//! high = 1.0
//! [target]
//! metric = "p_default_by_year_5"
//! at_most = 0.05          # or at_least = ...
//! tolerance = 0.005       # stop when the bracket is this narrow (input units)
//! ```
//!
//! Every evaluation runs the same replica seeds, so the metric moves with
//! the input only (for a proportion it is a step function of the input in
//! each replica); the search needs the target met at one end of the range
//! and missed at the other. The boundary's Monte Carlo uncertainty is the
//! range of evaluated inputs at which the target lies inside the metric's
//! 95% interval.

use super::{Input, Metric, StudyError, write_csv};
use crate::config::{self, ConfigError};
use crate::folder;
use crate::montecarlo::{self, Progress};
use crate::sweep::{self, Header, Plan};
use serde::Deserialize;
use std::path::Path;

/// A reverse stress test file as written (`mortgage-sim stress`), after its
/// header: one input with its range and a risk target. Its JSON Schema
/// (`mortgage-sim schema stress`) is derived from this type and the header's.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawStress {
    /// The input searched.
    input: RawInput,
    /// The risk target whose crossing is sought.
    target: RawTarget,
}

/// `[input]`: the input a stress test moves.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawInput {
    /// The dotted scenario key it sets.
    key: String,
    /// One end of the search bracket.
    low: f64,
    /// The other end of the search bracket.
    high: f64,
    /// Whether the key takes whole numbers only.
    #[serde(default)]
    integer: bool,
}

/// `[target]`: a metric and the bound it must keep.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    /// A study metric: a `replicas.csv` metric column or `p_default_by_year_K`.
    metric: String,
    /// The target holds while the metric is at most this (or give `at_least`).
    at_most: Option<f64>,
    /// The target holds while the metric is at least this.
    at_least: Option<f64>,
    /// Stop when the bracket is this narrow (input units).
    tolerance: f64,
    /// Most bisection steps (default 30).
    #[serde(default = "default_steps")]
    max_steps: u32,
}

fn default_steps() -> u32 {
    30
}

/// The JSON Schema of stress test files (draft 7).
pub fn stress_schema() -> String {
    sweep::header::file_schema::<RawStress>("mortgage-sim reverse stress test")
}

/// A loaded reverse stress test.
#[derive(Debug, Clone)]
pub struct StressTest {
    /// Name, file, base scenario, replicas per evaluation and seed.
    pub header: Header,
    /// The input searched over.
    pub input: Input,
    /// The metric tested.
    pub metric: Metric,
    /// The target value.
    pub target: f64,
    /// Whether the metric must be at most (true) or at least the target.
    pub at_most: bool,
    /// Stop when the bracket is this narrow.
    pub tolerance: f64,
    /// At most this many bisection steps.
    pub max_steps: u32,
}

/// Loads a stress file.
pub fn load(path: &Path) -> Result<StressTest, ConfigError> {
    let (header, raw) = sweep::header::read::<RawStress>(path)?;
    let key_err = |key: &str, problem: String| header.key_error(key, problem);
    let (low, high) = (raw.input.low, raw.input.high);
    if !(low.is_finite() && high.is_finite() && low < high) {
        return Err(key_err(
            "input.high",
            format!("is {high} with low = {low}; allowed: finite, high > low"),
        ));
    }
    let metric = Metric::parse(&raw.target.metric).map_err(|p| key_err("target.metric", format!("is {p}")))?;
    let (target, at_most) = match (raw.target.at_most, raw.target.at_least) {
        (Some(t), None) => (t, true),
        (None, Some(t)) => (t, false),
        _ => {
            return Err(key_err(
                "target",
                "allowed: exactly one of at_most = X or at_least = X".into(),
            ));
        }
    };
    if !target.is_finite() {
        return Err(key_err("target", format!("is {target}; allowed: a finite number")));
    }
    let tolerance = raw.target.tolerance;
    if !(tolerance > 0.0 && tolerance.is_finite()) {
        return Err(key_err(
            "target.tolerance",
            format!("is {tolerance}; allowed: a number > 0"),
        ));
    }
    if raw.target.max_steps == 0 || raw.target.max_steps > 60 {
        return Err(key_err(
            "target.max_steps",
            format!("is {}; allowed: 1 to 60", raw.target.max_steps),
        ));
    }
    Ok(StressTest {
        header,
        input: Input {
            key: raw.input.key,
            low,
            high,
            base: None,
            integer: raw.input.integer,
            log: false,
        },
        metric,
        target,
        at_most,
        tolerance,
        max_steps: raw.target.max_steps,
    })
}

/// One evaluation of the search.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The input's value.
    pub x: f64,
    /// The metric (mean over replicas with a value).
    pub value: f64,
    /// Its 95% interval (Student-t over replicas).
    pub ci95: Option<(f64, f64)>,
    /// Replicas with a value.
    pub n: usize,
    /// Whether the target is met.
    pub meets: bool,
}

/// What the search found.
#[derive(Debug, Clone)]
pub struct Boundary {
    /// Every evaluation, in the order run.
    pub evaluations: Vec<Evaluation>,
    /// The last input value that met the target and the last that missed
    /// it: the boundary lies between.
    pub meets_at: f64,
    /// See `meets_at`.
    pub misses_at: f64,
    /// The range of evaluated inputs at which the target lies inside the
    /// metric's 95% interval, widened to the bracket: where Monte Carlo
    /// noise cannot tell which side the input is on.
    pub uncertain: (f64, f64),
}

/// Why a search found no boundary.
#[derive(Debug, thiserror::Error)]
pub enum StressError {
    /// The scenario is invalid at some input value.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The target is met (or missed) at both ends of the range.
    #[error("{file}: {problem}")]
    NotCrossed {
        /// The stress file.
        file: String,
        /// What was found at the ends.
        problem: String,
    },
    /// Results could not be written.
    #[error(transparent)]
    Write(#[from] StudyError),
}

impl StressError {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            StressError::Write(e) => e.exit_code(),
            _ => 2,
        }
    }
}

impl From<folder::FolderError> for StressError {
    fn from(e: folder::FolderError) -> Self {
        StressError::Write(e.into())
    }
}

impl StressTest {
    /// The base scenario's document with the test's seed and replicas.
    pub fn base_document(&self) -> Result<toml::Table, ConfigError> {
        let mut base = config::read_scenario(&self.header.base)?;
        if let Some(seed) = self.header.seed {
            config::apply_override(&mut base, &format!("simulation.seed={seed}"))?;
        }
        config::apply_override(&mut base, &format!("simulation.replicas={}", self.header.replicas))?;
        Ok(base)
    }

    /// The checked plan of the evaluation at input value `x` (already
    /// rounded for an integer input): `base` (from
    /// [`StressTest::base_document`]) with the command line's `overrides`
    /// and the input set to `x`.
    pub fn plan_at(&self, base: &toml::Table, overrides: &[String], x: f64) -> Result<Plan, ConfigError> {
        let mut all = overrides.to_vec();
        all.push(format!("{}={}", self.input.key, self.input.text(x)));
        let source = format!(
            "{} ({} = {})",
            self.header.file.display(),
            self.input.key,
            self.input.text(x)
        );
        Plan::single(base.clone(), &source, &all)
    }
}

/// Runs the bisection with the command line's `overrides` on every
/// evaluation.
pub fn search(test: &StressTest, overrides: &[String], progress: &dyn Progress) -> Result<Boundary, StressError> {
    let base = test.base_document()?;
    let evaluate = |x: f64| -> Result<Evaluation, StressError> {
        let x = if test.input.integer { x.round() } else { x };
        let scenario = test.plan_at(&base, overrides, x)?.point(0)?.scenario;
        let outcomes = montecarlo::run_point(&scenario, test.header.replicas, progress);
        let column = crate::metrics::column(test.metric.column()).expect("a metric names a replicas.csv column");
        let values: Vec<f64> = outcomes
            .iter()
            .filter_map(|o| test.metric.of((column.get)(&o.row).value()))
            .collect();
        let summary = crate::stats::Summary::of(&values, &[]);
        let value = summary.as_ref().map_or(f64::NAN, |s| s.mean);
        let meets = if test.at_most {
            value <= test.target
        } else {
            value >= test.target
        };
        Ok(Evaluation {
            x,
            value,
            ci95: summary
                .filter(|s| s.n >= 2)
                .map(|s| (s.mean - s.ci95_half_width(), s.mean + s.ci95_half_width())),
            n: values.len(),
            meets,
        })
    };
    let mut evaluations = vec![evaluate(test.input.low)?, evaluate(test.input.high)?];
    if evaluations[0].meets == evaluations[1].meets {
        let verdict = if evaluations[0].meets { "met" } else { "missed" };
        return Err(StressError::NotCrossed {
            file: test.header.file.display().to_string(),
            problem: format!(
                "the target {} {} {} is {verdict} at both ends of input.{{low, high}} ({} = {}: {}; {}: {}); \
                 allowed: a range over which it is crossed — widen it",
                test.metric.name(),
                if test.at_most { "<=" } else { ">=" },
                test.target,
                test.input.key,
                test.input.low,
                evaluations[0].value,
                test.input.high,
                evaluations[1].value
            ),
        });
    }
    let (mut meets_at, mut misses_at) = if evaluations[0].meets {
        (test.input.low, test.input.high)
    } else {
        (test.input.high, test.input.low)
    };
    for _ in 0..test.max_steps {
        let gap = (meets_at - misses_at).abs();
        if gap <= test.tolerance || (test.input.integer && gap <= 1.0) {
            break;
        }
        let e = evaluate(0.5 * (meets_at + misses_at))?;
        if e.meets {
            meets_at = e.x;
        } else {
            misses_at = e.x;
        }
        evaluations.push(e);
    }
    let inside: Vec<f64> = evaluations
        .iter()
        .filter(|e| e.ci95.is_some_and(|(lo, hi)| lo <= test.target && test.target <= hi))
        .map(|e| e.x)
        .chain([meets_at, misses_at])
        .collect();
    let uncertain = (
        inside.iter().copied().fold(f64::INFINITY, f64::min),
        inside.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    Ok(Boundary {
        evaluations,
        meets_at,
        misses_at,
        uncertain,
    })
}

/// Writes `stress.csv` (every evaluation) and a manifest into `dir`,
/// atomically.
pub fn write(
    test: &StressTest,
    boundary: &Boundary,
    dir: &Path,
    force: bool,
    command: &str,
) -> Result<(), StressError> {
    let number = super::number;
    folder::write_atomically(dir, force, |tmp| -> Result<(), StressError> {
        let mut rows = vec![
            [
                "step",
                "input",
                "input_value",
                "metric",
                "value",
                "ci95_low",
                "ci95_high",
                "n",
                "meets_target",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for (step, e) in boundary.evaluations.iter().enumerate() {
            let (lo, hi) = super::interval_cells(e.ci95);
            rows.push(vec![
                step.to_string(),
                test.input.key.clone(),
                number(e.x),
                test.metric.name(),
                number(e.value),
                lo,
                hi,
                e.n.to_string(),
                e.meets.to_string(),
            ]);
        }
        write_csv(tmp, "stress.csv", &rows)?;
        let manifest = serde_json::json!({
            "tool": "mortgage-sim",
            "version": env!("CARGO_PKG_VERSION"),
            "kind": "stress",
            "source": test.header.file.display().to_string(),
            "command": command,
            "input": test.input.key,
            "metric": test.metric.name(),
            "target": test.target,
            "at_most": test.at_most,
            "meets_at": boundary.meets_at,
            "misses_at": boundary.misses_at,
            "uncertain_low": boundary.uncertain.0,
            "uncertain_high": boundary.uncertain.1,
        });
        let text = serde_json::to_string_pretty(&manifest).expect("a JSON value serializes");
        let path = tmp.join("manifest.json");
        std::fs::write(&path, text + "\n").map_err(folder::io_error(&path))?;
        Ok(())
    })
}
