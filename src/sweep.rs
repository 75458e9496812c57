//! Experiments: a base scenario, replicas, a seed, and a grid of dotted-path
//! overrides, expanded into grid points.
//!
//! ```toml
//! name = "growth_x_delay"
//! base = "../configs/baseline.toml"     # relative to this file
//! replicas = 32
//! seed = 7                              # optional; default: the base's seed
//! [grid]                                # cartesian product of these axes
//! "inference.growth.drift_per_year" = [0.2, 0.4, 0.6]
//! [[zip]]                               # paired axis: values taken together
//! "cluster.tranches.1.planned_month" = [12, 18]
//! "cluster.tranches.1.chips" = [500000, 600000]
//! ```
//!
//! Points are numbered in row-major order over the axes as written (`[grid]`
//! keys first, then each `[[zip]]` group), the last axis varying fastest.
//! Every point is validated before any simulation starts.

use crate::config::{self, ConfigError, Scenario};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// An experiment file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExperiment {
    name: String,
    #[serde(default)]
    description: String,
    base: String,
    replicas: u32,
    seed: Option<u64>,
    #[serde(default)]
    grid: toml::Table,
    #[serde(default)]
    zip: Vec<toml::Table>,
}

/// One axis of the grid: one key (a `[grid]` entry) or several keys whose
/// values go together (a `[[zip]]` group).
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The dotted keys set by this axis.
    pub keys: Vec<String>,
    /// `values[k][i]`: the value of `keys[k]` at step `i`.
    pub values: Vec<Vec<toml::Value>>,
}

impl Axis {
    fn len(&self) -> usize {
        self.values.first().map_or(1, Vec::len)
    }
}

/// A loaded experiment.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// Name; results go to `results/<name>/`.
    pub name: String,
    /// What it shows.
    pub description: String,
    /// The experiment file.
    pub file: PathBuf,
    /// The base scenario file (resolved against the experiment's folder).
    pub base: PathBuf,
    /// Replicas per point.
    pub replicas: u32,
    /// Master seed, if the experiment sets one.
    pub seed: Option<u64>,
    /// Grid axes in file order.
    pub axes: Vec<Axis>,
}

/// One grid point: its id, the values it sets, and the checked scenario.
#[derive(Debug, Clone)]
pub struct GridPoint {
    /// Point id (row-major over the axes).
    pub id: u64,
    /// (dotted key, value as TOML) for every swept key, in axis order.
    pub params: Vec<(String, String)>,
    /// The scenario at this point.
    pub scenario: Scenario,
}

/// Loads an experiment file.
pub fn load(path: &Path) -> Result<Experiment, ConfigError> {
    let file = path.display().to_string();
    let doc = config::read_toml(path)?;
    let key_err = |key: String, problem: String| ConfigError::Key {
        file: file.clone(),
        key,
        problem,
    };
    let raw: RawExperiment = serde_path_to_error::deserialize(toml::Value::Table(doc)).map_err(|e| {
        let (key, problem) = config::describe_de_error(&e);
        key_err(key, problem)
    })?;
    config::check_name(&raw.name).map_err(|problem| key_err("name".into(), problem))?;
    if raw.replicas == 0 {
        return Err(key_err("replicas".into(), "is 0; allowed: at least 1".into()));
    }
    let mut axes = Vec::new();
    for (key, values) in &raw.grid {
        axes.push(Axis {
            keys: vec![key.clone()],
            values: vec![axis_values(values, &format!("grid.\"{key}\""), &key_err)?],
        });
    }
    for (i, group) in raw.zip.iter().enumerate() {
        let mut axis = Axis {
            keys: Vec::new(),
            values: Vec::new(),
        };
        for (key, values) in group {
            let here = format!("zip[{i}].\"{key}\"");
            let values = axis_values(values, &here, &key_err)?;
            if let Some(first) = axis.values.first().filter(|f| f.len() != values.len()) {
                return Err(key_err(
                    here,
                    format!(
                        "has {} values; allowed: the same number as the other keys of this [[zip]] group ({})",
                        values.len(),
                        first.len()
                    ),
                ));
            }
            axis.keys.push(key.clone());
            axis.values.push(values);
        }
        if axis.keys.is_empty() {
            return Err(key_err(
                format!("zip[{i}]"),
                "is empty; allowed: at least one key with a list of values".into(),
            ));
        }
        axes.push(axis);
    }
    let folder = path.parent().unwrap_or(Path::new("."));
    Ok(Experiment {
        name: raw.name,
        description: raw.description,
        file: path.to_path_buf(),
        base: folder.join(&raw.base),
        replicas: raw.replicas,
        seed: raw.seed,
        axes,
    })
}

fn axis_values(
    values: &toml::Value,
    key: &str,
    key_err: &impl Fn(String, String) -> ConfigError,
) -> Result<Vec<toml::Value>, ConfigError> {
    match values {
        toml::Value::Array(a) if !a.is_empty() => Ok(a.clone()),
        _ => Err(key_err(
            key.to_string(),
            "allowed: a non-empty list of values, one per grid step".into(),
        )),
    }
}

/// Expands the experiment into validated grid points. `overrides` (from
/// `--set`) apply to every point, before the point's own values.
pub fn expand(exp: &Experiment, overrides: &[String]) -> Result<Vec<GridPoint>, ConfigError> {
    let mut base = config::read_toml(&exp.base)?;
    for arg in overrides {
        config::apply_override(&mut base, arg)?;
    }
    if let Some(seed) = exp.seed {
        config::apply_override(&mut base, &format!("simulation.seed={seed}"))?;
    }
    config::apply_override(&mut base, &format!("simulation.replicas={}", exp.replicas))?;
    let total: usize = exp.axes.iter().map(Axis::len).product();
    let mut points = Vec::with_capacity(total);
    for id in 0..total {
        let mut doc = base.clone();
        let mut params = Vec::new();
        let mut rest = id;
        let mut steps = vec![0; exp.axes.len()];
        for (a, axis) in exp.axes.iter().enumerate().rev() {
            steps[a] = rest % axis.len();
            rest /= axis.len();
        }
        for (axis, &step) in exp.axes.iter().zip(&steps) {
            for (key, values) in axis.keys.iter().zip(&axis.values) {
                let value = values[step].to_string();
                config::apply_override(&mut doc, &format!("{key}={value}"))?;
                params.push((key.clone(), value));
            }
        }
        let scenario = config::from_table(
            doc,
            &format!("{} (point {id}: {})", exp.file.display(), describe(&params)),
        )?;
        points.push(GridPoint {
            id: id as u64,
            params,
            scenario,
        });
    }
    Ok(points)
}

fn describe(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn grid_is_a_cartesian_product_and_zip_pairs_values() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "base.toml", config::BASELINE_TOML);
        let exp = write(
            dir.path(),
            "e.toml",
            r#"
name = "e"
base = "base.toml"
replicas = 2
[grid]
"inference.growth.drift_per_year" = [0.1, 0.2, 0.3]
[[zip]]
"cluster.tranches.1.planned_month" = [12, 18]
"cluster.tranches.1.chips" = [500000, 600000]
"#,
        );
        let e = load(&exp).unwrap();
        let points = expand(&e, &[]).unwrap();
        assert_eq!(points.len(), 6);
        assert_eq!(
            points[3].params[0],
            ("inference.growth.drift_per_year".into(), "0.2".into())
        );
        assert_eq!(points[3].params[1].1, "18");
        assert_eq!(points[3].params[2].1, "600000");
        assert_eq!(points[4].params[1].1, "12");
        assert_eq!(points[5].scenario.cluster.tranches[1].units * 16, 600000);
        assert!(points.iter().all(|p| p.scenario.replicas == 2));
    }

    #[test]
    fn mismatched_zip_and_bad_values_are_errors_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "base.toml", config::BASELINE_TOML);
        let exp = write(
            dir.path(),
            "e.toml",
            "name = \"e\"\nbase = \"base.toml\"\nreplicas = 1\n[[zip]]\n\"a.b\" = [1, 2]\n\"c.d\" = [1]\n",
        );
        let msg = load(&exp).unwrap_err().to_string();
        assert!(msg.contains("zip[0].\"c.d\""), "{msg}");
        let exp = write(
            dir.path(),
            "f.toml",
            "name = \"f\"\nbase = \"base.toml\"\nreplicas = 1\n[grid]\n\"contract.term_years\" = [5, -1]\n",
        );
        let msg = expand(&load(&exp).unwrap(), &[]).unwrap_err().to_string();
        assert!(msg.contains("contract.term_years") && msg.contains("point 1"), "{msg}");
    }
}
