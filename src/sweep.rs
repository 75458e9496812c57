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
//! Named scenarios side by side: `variants = ["../configs/baseline.toml",
//! "../configs/stress/funding_winter.toml", ...]` lists the base itself or
//! variant files of it (see [`crate::config::overlay`]); they become one
//! more `[[zip]]`-like axis of `name`, `description` and `set`, whose `set`
//! value is an inline table of the dotted keys that point changes. A
//! `[[zip]]` group may use a `"set"` key the same way.
//!
//! Points are numbered in row-major order over the axes as written (`[grid]`
//! keys first, then each `[[zip]]` group, then `variants`), the last axis
//! varying fastest.
//! An experiment becomes a [`Plan`], whose points are built on demand; a key
//! swept twice, a key inside a swept table, a swept `simulation.replicas`
//! or `simulation.seed`, and a `--set` on a swept key are errors.

pub mod header;

pub use header::Header;

use crate::config::{self, ConfigError, Scenario};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// An experiment file as written, after its [`Header`]. Its JSON Schema
/// (`mortgage-sim schema experiment`) is derived from this type and the
/// header's.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawExperiment {
    /// Cartesian axes: a dotted scenario key and the list of its values;
    /// every combination of the axes is a grid point.
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, Vec<serde_json::Value>>")]
    grid: toml::Table,
    /// Paired axes: in each group, the keys' lists (of one length) are
    /// taken together, step by step.
    #[serde(default)]
    #[schemars(with = "Vec<std::collections::BTreeMap<String, Vec<serde_json::Value>>>")]
    zip: Vec<toml::Table>,
    /// Named scenarios side by side: scenario or variant files (relative to
    /// this file), one point each.
    #[serde(default)]
    variants: Vec<String>,
}

/// The JSON Schema of experiment files (draft 7).
pub fn experiment_schema() -> String {
    header::file_schema::<RawExperiment>("mortgage-sim experiment")
}

/// The axis key whose values are inline tables of dotted keys to set
/// together (a variant's changes), not a key of the scenario.
pub const SET_KEY: &str = "set";

/// One axis of the grid: one key (a `[grid]` entry) or several keys whose
/// values go together (a `[[zip]]` group).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// The dotted keys set by this axis.
    pub keys: Vec<String>,
    /// Where each key is in the experiment file (`grid."a.b"`, `zip[0]."c"`),
    /// for messages.
    pub origins: Vec<String>,
    /// `values[k][i]`: the value of `keys[k]` at step `i`, as TOML text.
    pub values: Vec<Vec<String>>,
}

impl Axis {
    fn len(&self) -> u64 {
        self.values.first().map_or(1, |v| v.len() as u64)
    }

    /// The scenario keys this axis sets, with where each is written: its
    /// keys, except that a [`SET_KEY`] stands for every key in its tables.
    fn scenario_keys(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for ((key, origin), values) in self.keys.iter().zip(&self.origins).zip(&self.values) {
            if key != SET_KEY {
                out.push((key.clone(), origin.clone()));
                continue;
            }
            for value in values {
                for (inner, _) in set_table(value).unwrap_or_default() {
                    if !out.iter().any(|(k, _)| *k == inner) {
                        out.push((inner, origin.clone()));
                    }
                }
            }
        }
        out
    }
}

/// The (dotted key, value) pairs of a [`SET_KEY`] value, an inline table as
/// TOML text.
fn set_table(value: &str) -> Result<Vec<(String, toml::Value)>, String> {
    match format!("v = {value}").parse::<toml::Table>().map(|mut t| t.remove("v")) {
        Ok(Some(toml::Value::Table(t))) => Ok(t.into_iter().collect()),
        _ => Err(format!(
            "`{value}` is not a table; allowed: an inline table of dotted keys and values, e.g.              {{ \"inference.growth.drift_per_year\" = 0.1 }}"
        )),
    }
}

/// A loaded experiment.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// Name, file, base scenario, replicas per point and seed.
    pub header: Header,
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

/// The most points a grid may have.
pub const MAX_POINTS: u64 = 1_000_000_000;

/// Loads an experiment file.
pub fn load(path: &Path) -> Result<Experiment, ConfigError> {
    let (header, raw) = header::read::<RawExperiment>(path)?;
    let key_err = |key: String, problem: String| header.key_error(key, problem);
    let mut axes: Vec<Axis> = Vec::new();
    for (key, values) in &raw.grid {
        let origin = format!("grid.\"{key}\"");
        axes.push(Axis {
            keys: vec![key.clone()],
            values: vec![axis_values(values, &origin, &key_err)?],
            origins: vec![origin],
        });
    }
    for (i, group) in raw.zip.iter().enumerate() {
        let mut axis = Axis {
            keys: Vec::new(),
            origins: Vec::new(),
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
            axis.origins.push(here);
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
    if !raw.variants.is_empty() {
        axes.push(variant_axis(&raw.variants, header.folder(), &header.base, &key_err)?);
    }
    check_keys(&axes, &key_err)?;
    Ok(Experiment { header, axes })
}

fn axis_values(
    values: &toml::Value,
    key: &str,
    key_err: &impl Fn(String, String) -> ConfigError,
) -> Result<Vec<String>, ConfigError> {
    match values {
        toml::Value::Array(a) if !a.is_empty() => Ok(a.iter().map(toml::Value::to_string).collect()),
        _ => Err(key_err(
            key.to_string(),
            "allowed: a non-empty list of values, one per grid step".into(),
        )),
    }
}

/// The axis of `variants`: each file is `base` itself (no changes) or a
/// variant of it, checked here so a bad variant is reported against its
/// own file and key.
fn variant_axis(
    files: &[String],
    folder: &Path,
    base: &Path,
    key_err: &impl Fn(String, String) -> ConfigError,
) -> Result<Axis, ConfigError> {
    let same_file = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let mut values: [Vec<String>; 3] = Default::default();
    for (i, name) in files.iter().enumerate() {
        let path = folder.join(name);
        let origin = format!("variants[{i}]");
        let doc = config::read_toml(&path).map_err(|e| match e {
            ConfigError::Io { source, .. } => key_err(
                origin.clone(),
                format!(
                    "names {}, which cannot be read ({source}); allowed: the base or a variant of it, relative \
                     to the experiment's folder",
                    path.display()
                ),
            ),
            other => other,
        })?;
        let (changes, label) = match config::overlay::variant_of(&path, &doc)? {
            None if same_file(&path, base) => (Vec::new(), doc.get("name").cloned()),
            None => {
                return Err(key_err(
                    origin,
                    format!(
                        "names {}, a complete scenario other than the base ({}); allowed: the base itself or a \
                         variant of it (a file with `base = ...` and [set])",
                        path.display(),
                        base.display()
                    ),
                ));
            }
            Some(variant) if !same_file(&variant.base, base) => {
                return Err(key_err(
                    origin,
                    format!(
                        "names {}, a variant of {}; allowed: variants of this experiment's base ({})",
                        path.display(),
                        variant.base.display(),
                        base.display()
                    ),
                ));
            }
            Some(variant) => {
                // Checked whole now, so its errors name its own file.
                config::from_table(config::overlay::resolve(&variant)?, &path.display().to_string())?;
                (variant.set.clone(), variant.name.clone())
            }
        };
        // Labelled by the name (else the file as listed); described by the
        // variant's description, else by that label.
        let label = label.unwrap_or_else(|| toml::Value::String(name.clone()));
        let description = match changes.is_empty() {
            true => None,
            false => doc.get("description").cloned(),
        };
        values[1].push(description.unwrap_or_else(|| label.clone()).to_string());
        values[0].push(label.to_string());
        values[2].push(toml::Value::Table(changes.into_iter().collect()).to_string());
    }
    Ok(Axis {
        keys: vec!["name".into(), "description".into(), SET_KEY.into()],
        origins: vec!["variants".into(); 3],
        values: values.into(),
    })
}

/// Whether setting `a` also sets (or is set by) setting `b`: the same key,
/// or one is a table holding the other.
fn overlaps(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    a == b || b.starts_with(&format!("{a}.")) || a.starts_with(&format!("{b}."))
}

/// The keys an experiment may not sweep: the experiment's own `replicas`
/// and `seed` set them for every point (a swept value would be ignored or
/// half-recorded).
const UNSWEPT: [&str; 2] = ["simulation.replicas", "simulation.seed"];

/// No key is swept twice (in two axes, or a key and the table holding it),
/// and none is one of [`UNSWEPT`].
fn check_keys(axes: &[Axis], key_err: &impl Fn(String, String) -> ConfigError) -> Result<(), ConfigError> {
    let all: Vec<(String, String)> = axes.iter().flat_map(Axis::scenario_keys).collect();
    for (i, (key, origin)) in all.iter().enumerate() {
        if let Some(fixed) = UNSWEPT.iter().find(|u| overlaps(key, u)) {
            return Err(key_err(
                origin.to_string(),
                format!(
                    "sweeps `{fixed}`; allowed: not swept — the experiment's `replicas` and `seed` (or --replicas \
                     and --seed) set it for every point"
                ),
            ));
        }
        if let Some((other, other_origin)) = all[..i].iter().find(|(k, _)| overlaps(key, k)) {
            return Err(key_err(
                origin.to_string(),
                format!(
                    "sets `{key}`, which {other_origin} (`{other}`) also sets; allowed: each key in one axis only \
                     (a value would silently win over the other)"
                ),
            ));
        }
    }
    Ok(())
}

/// A grid of scenarios to run: a base document (a scenario with the
/// command line's overrides applied), the axes over it and the replicas per
/// point. Points are built on demand, so a grid of millions of points
/// costs only what the points in hand cost; [`Plan::validate`] checks them
/// all without keeping them.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Name; results go to `results/<name>/`.
    pub name: String,
    /// The file it came from, for messages and the manifest.
    pub source: String,
    base: toml::Table,
    axes: Vec<Axis>,
    replicas: u32,
    /// The command line's `--set` values, to say so when one is wrong.
    overrides: Vec<String>,
}

/// A plan as a shard records it: enough to rebuild it exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRecord {
    /// The plan's name.
    pub name: String,
    /// Where it came from.
    pub source: String,
    /// The base document as TOML.
    pub base_toml: String,
    /// The axes.
    pub axes: Vec<Axis>,
    /// Replicas per point.
    pub replicas: u32,
}

impl Plan {
    /// The plan of a single scenario (`run`): `doc` from `source`, with the
    /// command line's `overrides` applied.
    pub fn single(mut doc: toml::Table, source: &str, overrides: &[String]) -> Result<Plan, ConfigError> {
        for arg in overrides {
            config::apply_override(&mut doc, arg)?;
        }
        let scenario = config::from_table(doc.clone(), source).map_err(|e| config::blame_override(e, overrides))?;
        Ok(Plan {
            name: scenario.name,
            source: source.to_string(),
            base: doc,
            axes: Vec::new(),
            replicas: scenario.replicas,
            overrides: overrides.to_vec(),
        })
    }

    /// The plan of an experiment, with the command line's `overrides`
    /// (`--set`) on every point and its `--seed`/`--replicas`, if given,
    /// instead of the experiment's. Checks the keys and the first point.
    pub fn experiment(
        exp: &Experiment,
        overrides: &[String],
        seed: Option<u64>,
        replicas: Option<u32>,
    ) -> Result<Plan, ConfigError> {
        let header = &exp.header;
        let file = header.file.display().to_string();
        let mut base = config::read_scenario(&header.base).map_err(|e| match e {
            ConfigError::Io { source, .. } => ConfigError::Key {
                file: file.clone(),
                key: "base".into(),
                problem: format!(
                    "names {}, which cannot be read ({source}); allowed: a scenario file, relative to the \
                     experiment's folder",
                    header.base.display()
                ),
            },
            other => other,
        })?;
        for arg in overrides {
            let path = arg.split_once('=').map_or(arg.as_str(), |(k, _)| k);
            let swept = exp.axes.iter().flat_map(Axis::scenario_keys);
            if let Some((key, origin)) = swept.into_iter().find(|(k, _)| overlaps(path, k)) {
                return Err(ConfigError::Override {
                    arg: arg.clone(),
                    problem: format!(
                        "{file} sweeps `{key}` ({origin}), so this value would be replaced at every point; \
                         remove it or the axis"
                    ),
                });
            }
            config::apply_override(&mut base, arg)?;
        }
        let seed = seed.or(header.seed);
        if let Some(seed) = seed {
            config::apply_override(&mut base, &format!("simulation.seed={seed}"))?;
        }
        let replicas = replicas.unwrap_or(header.replicas);
        config::apply_override(&mut base, &format!("simulation.replicas={replicas}"))?;
        let points = exp
            .axes
            .iter()
            .try_fold(1u64, |n, a| n.checked_mul(a.len()).filter(|&n| n <= MAX_POINTS));
        if points.is_none() {
            return Err(ConfigError::Key {
                file,
                key: exp.axes.last().map_or("grid".into(), |a| a.origins[0].clone()),
                problem: format!("makes the grid larger than {MAX_POINTS} points; allowed: at most {MAX_POINTS}"),
            });
        }
        let plan = Plan {
            name: header.name.clone(),
            source: file,
            base,
            axes: exp.axes.clone(),
            replicas,
            overrides: overrides.to_vec(),
        };
        plan.point(0)?;
        Ok(plan)
    }

    /// Number of points.
    pub fn len(&self) -> u64 {
        self.axes.iter().map(Axis::len).product()
    }

    /// Whether the grid has no point (never: an axis has at least one value).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replicas per point.
    pub fn replicas(&self) -> u32 {
        self.replicas
    }

    /// The swept keys, in axis order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.axes.iter().flat_map(|a| a.keys.iter().map(String::as_str))
    }

    /// Point `id` (`id < len()`), built and checked.
    pub fn point(&self, id: u64) -> Result<GridPoint, ConfigError> {
        let (doc, params) = self.document(id)?;
        let label = if params.is_empty() {
            self.source.clone()
        } else {
            format!("{} (point {id}: {})", self.source, describe(&params))
        };
        let scenario = config::from_table(doc, &label).map_err(|e| config::blame_override(e, &self.overrides))?;
        Ok(GridPoint { id, params, scenario })
    }

    /// Point `id` as a complete scenario file (`sweep --point`): the base
    /// document with the overrides and the point's values applied, the
    /// plan's seed and replicas, named `<plan>.point-<id>`. `run` on it
    /// simulates the replicas of that point of the sweep (same seeds).
    pub fn point_toml(&self, id: u64) -> Result<String, ConfigError> {
        if id >= self.len() {
            return Err(ConfigError::Override {
                arg: format!("--point {id}"),
                problem: format!("{} has points 0 to {}", self.source, self.len() - 1),
            });
        }
        self.point(id)?; // the point is valid
        let (mut doc, params) = self.document(id)?;
        let name = format!("{}.point-{id}", self.name);
        if config::check_name(&name).is_ok() {
            doc.insert("name".into(), toml::Value::String(name));
        }
        let mut text = format!(
            "# Point {id} of {} as a scenario: `mortgage-sim run` on this file\n\
             # reproduces the point's replicas (same seed, same replicas).\n",
            self.source
        );
        for (key, value) in &params {
            text += &format!("#   {key} = {value}\n");
        }
        text += "\n";
        text += &toml::to_string(&doc).expect("a TOML table serializes");
        Ok(text)
    }

    /// The document of point `id` and its (key, value) pairs.
    fn document(&self, id: u64) -> Result<(toml::Table, Vec<(String, String)>), ConfigError> {
        let mut doc = self.base.clone();
        let mut params = Vec::new();
        let mut rest = id;
        let mut steps = vec![0; self.axes.len()];
        for (a, axis) in self.axes.iter().enumerate().rev() {
            steps[a] = (rest % axis.len()) as usize;
            rest /= axis.len();
        }
        for (axis, &step) in self.axes.iter().zip(&steps) {
            for ((key, origin), values) in axis.keys.iter().zip(&axis.origins).zip(&axis.values) {
                let value = &values[step];
                let key_err = |problem: String| ConfigError::Key {
                    file: self.source.clone(),
                    key: origin.clone(),
                    problem,
                };
                if key == SET_KEY {
                    for (inner, v) in set_table(value).map_err(key_err)? {
                        config::set_dotted(&mut doc, &inner, v).map_err(key_err)?;
                    }
                } else {
                    config::apply_override(&mut doc, &format!("{key}={value}")).map_err(|e| match e {
                        ConfigError::Override { problem, .. } => key_err(problem),
                        other => other,
                    })?;
                }
                params.push((key.clone(), value.clone()));
            }
        }
        Ok((doc, params))
    }

    /// Checks every point, keeping none, and returns what `inspect` makes
    /// of each (e.g. its resource estimate).
    pub fn validate<T>(&self, mut inspect: impl FnMut(&GridPoint) -> T) -> Result<Vec<T>, ConfigError> {
        (0..self.len()).map(|id| self.point(id).map(|p| inspect(&p))).collect()
    }

    /// What a shard records of the plan.
    pub fn record(&self) -> PlanRecord {
        PlanRecord {
            name: self.name.clone(),
            source: self.source.clone(),
            base_toml: toml::to_string(&self.base).expect("a TOML table serializes"),
            axes: self.axes.clone(),
            replicas: self.replicas,
        }
    }

    /// The plan a shard recorded; `file` names the record in messages.
    pub fn from_record(record: &PlanRecord, file: &str) -> Result<Plan, ConfigError> {
        Ok(Plan {
            name: record.name.clone(),
            source: record.source.clone(),
            base: config::parse_toml(&record.base_toml, file)?,
            axes: record.axes.clone(),
            replicas: record.replicas,
            overrides: Vec::new(),
        })
    }
}

/// The points' parameters for a message, each value cut to 60 characters.
fn describe(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| {
            let v = if v.chars().count() > 60 {
                format!("{}…", v.chars().take(60).collect::<String>())
            } else {
                v.clone()
            };
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::write_test_file as write;

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
        let plan = Plan::experiment(&e, &[], None, None).unwrap();
        let points: Vec<GridPoint> = (0..plan.len()).map(|i| plan.point(i).unwrap()).collect();
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
        let plan = Plan::experiment(&load(&exp).unwrap(), &[], None, None).unwrap();
        let msg = plan.validate(|_| ()).unwrap_err().to_string();
        assert!(msg.contains("contract.term_years") && msg.contains("point 1"), "{msg}");
    }

    #[test]
    fn variants_are_points_that_set_what_each_variant_sets() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "base.toml", config::BASELINE_TOML);
        write(
            dir.path(),
            "late.toml",
            "name = \"late\"\ndescription = \"late\"\nbase = \"base.toml\"\n[set]\n\
             \"cluster.tranches.1.delivery_delay_months\" = { dist = \"fixed\", value = 18 }\n",
        );
        write(
            dir.path(),
            "poor.toml",
            "name = \"poor\"\nbase = \"base.toml\"\n[set]\n\"buyer.credit_line_usd\" = 0.0\n",
        );
        let exp = write(
            dir.path(),
            "e.toml",
            "name = \"e\"\nbase = \"base.toml\"\nreplicas = 1\nvariants = [\"base.toml\", \"late.toml\", \
             \"poor.toml\"]\n[grid]\n\"inference.growth.drift_per_year\" = [0.1, 0.2]\n",
        );
        let plan = Plan::experiment(&load(&exp).unwrap(), &[], None, None).unwrap();
        assert_eq!(plan.len(), 6);
        let by_hand = |sets: &[&str]| {
            let mut all = vec!["simulation.replicas=1".to_string()];
            all.extend(sets.iter().map(|s| s.to_string()));
            config::load_baseline(&all).unwrap()
        };
        let delay = "cluster.tranches.1.delivery_delay_months={ dist = \"fixed\", value = 18 }";
        let expected = [
            by_hand(&["inference.growth.drift_per_year=0.1", "description=baseline"]),
            by_hand(&[
                "inference.growth.drift_per_year=0.1",
                "name=late",
                "description=late",
                delay,
            ]),
            by_hand(&[
                "inference.growth.drift_per_year=0.1",
                "name=poor",
                "description=poor",
                "buyer.credit_line_usd=0.0",
            ]),
            by_hand(&[
                "inference.growth.drift_per_year=0.2",
                "name=poor",
                "description=poor",
                "buyer.credit_line_usd=0.0",
            ]),
        ];
        for (id, want) in [0, 1, 2, 5].into_iter().zip(expected) {
            let point = plan.point(id).unwrap();
            assert_eq!(format!("{:?}", point.scenario), format!("{want:?}"), "point {id}");
        }
        assert_eq!(
            plan.point(2).unwrap().params[3].1,
            "{ \"buyer.credit_line_usd\" = 0.0 }"
        );
    }

    #[test]
    fn a_variant_must_belong_to_the_base_and_not_collide_with_an_axis() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "base.toml", config::BASELINE_TOML);
        write(dir.path(), "other.toml", config::BASELINE_TOML);
        write(
            dir.path(),
            "v.toml",
            "base = \"base.toml\"\n[set]\n\"inference.growth.drift_per_year\" = 0.1\n",
        );
        write(dir.path(), "w.toml", "base = \"other.toml\"\n");
        write(
            dir.path(),
            "bad.toml",
            "base = \"base.toml\"\n[set]\n\"contract.term_years\" = -1\n",
        );
        let cases = [
            (
                "variants = [\"other.toml\"]",
                "variants[0]",
                "complete scenario other than the base",
            ),
            ("variants = [\"w.toml\"]", "variants[0]", "a variant of"),
            ("variants = [\"missing.toml\"]", "variants[0]", "cannot be read"),
            ("variants = [\"bad.toml\"]", "bad.toml", "contract.term_years"),
            (
                "variants = [\"v.toml\"]\n[grid]\n\"inference.growth\" = [{}]",
                "variants",
                "also sets",
            ),
        ];
        for (i, (tail, file_or_key, problem)) in cases.iter().enumerate() {
            let exp = write(
                dir.path(),
                &format!("e{i}.toml"),
                &format!("name = \"e\"\nbase = \"base.toml\"\nreplicas = 1\n{tail}\n"),
            );
            let msg = load(&exp).unwrap_err().to_string();
            assert!(msg.contains(file_or_key) && msg.contains(problem), "{tail}: {msg}");
        }
        let exp = write(
            dir.path(),
            "ok.toml",
            "name = \"e\"\nbase = \"base.toml\"\nreplicas = 1\nvariants = [\"base.toml\", \"v.toml\"]\n",
        );
        let set = ["inference.growth.drift_per_year=0.3".to_string()];
        let msg = Plan::experiment(&load(&exp).unwrap(), &set, None, None)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("sweeps `inference.growth.drift_per_year`"), "{msg}");
    }
}
