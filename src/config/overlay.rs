//! Scenario variants: a small file that names a base scenario and the keys
//! it changes, so a stress or a sensitivity case is five lines instead of a
//! copy of the baseline that drifts from it.
//!
//! ```toml
//! name = "late_next_generation"
//! description = "trn3 arrives 18 months late"
//! base = "../baseline.toml"              # relative to this file
//! [set]                                  # dotted keys, as with --set
//! "cluster.tranches.1.delivery_delay_months" = { dist = "fixed", value = 18 }
//! ```
//!
//! A variant is resolved into the document of a complete scenario (the
//! base's, with `name`, `description` and each `[set]` key applied), which
//! is then checked like any scenario. The base must be a complete scenario:
//! a variant of a variant is refused, which also rules out cycles.

use super::{ConfigError, read_toml, set_dotted};
use std::path::{Path, PathBuf};

/// The keys a variant file may have.
const VARIANT_KEYS: [&str; 4] = ["name", "description", "base", "set"];

/// A variant file as read: where its base is and what it changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// The variant file.
    pub file: PathBuf,
    /// Its base scenario (resolved against the variant's folder).
    pub base: PathBuf,
    /// `name` and `description`, when the variant gives them.
    pub name: Option<toml::Value>,
    /// See `name`.
    pub description: Option<toml::Value>,
    /// (dotted key, value) in file order.
    pub set: Vec<(String, toml::Value)>,
}

impl Variant {
    /// Every key the variant sets on its base, `name` and `description`
    /// included when given, in file order.
    pub fn changes(&self) -> Vec<(String, toml::Value)> {
        let header = [("name", &self.name), ("description", &self.description)];
        let header = header
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_string(), v.clone()?)));
        header.chain(self.set.iter().cloned()).collect()
    }
}

/// Reads a scenario file: a complete scenario as it is, a variant resolved
/// onto its base.
pub fn read_scenario(path: &Path) -> Result<toml::Table, ConfigError> {
    let doc = read_toml(path)?;
    match variant_of(path, &doc)? {
        None => Ok(doc),
        Some(variant) => resolve(&variant),
    }
}

/// The variant `doc` (read from `path`) describes, or `None` when it is a
/// complete scenario (it has no `base` key).
pub fn variant_of(path: &Path, doc: &toml::Table) -> Result<Option<Variant>, ConfigError> {
    let Some(base) = doc.get("base") else {
        return Ok(None);
    };
    let file = path.display().to_string();
    let key_err = |key: String, problem: String| ConfigError::Key {
        file: file.clone(),
        key,
        problem,
    };
    let base = base.as_str().ok_or_else(|| {
        key_err(
            "base".into(),
            "is not a string; allowed: the path of a scenario file, relative to this file".into(),
        )
    })?;
    if let Some(key) = ["replicas", "grid", "zip", "variants"]
        .iter()
        .find(|k| doc.contains_key(**k))
    {
        return Err(key_err(
            (*key).into(),
            "belongs to an experiment, not a scenario; allowed here: a scenario or a variant (name, \
             description, base, set) — run an experiment with `mortgage-sim sweep`"
                .into(),
        ));
    }
    if let Some(other) = doc.keys().find(|k| !VARIANT_KEYS.contains(&k.as_str())) {
        return Err(key_err(
            other.clone(),
            format!(
                "is not allowed in a variant (a file with `base`); allowed: {} — change the base's keys under \
                 [set] as dotted keys, e.g. \"{other}.some_key\" = 1",
                VARIANT_KEYS.join(", ")
            ),
        ));
    }
    let set = match doc.get("set") {
        None => Vec::new(),
        Some(toml::Value::Table(t)) => t.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Some(_) => {
            return Err(key_err(
                "set".into(),
                "is not a table; allowed: a [set] table of dotted keys and their values".into(),
            ));
        }
    };
    let folder = path.parent().unwrap_or(Path::new("."));
    Ok(Some(Variant {
        file: path.to_path_buf(),
        base: folder.join(base),
        name: doc.get("name").cloned(),
        description: doc.get("description").cloned(),
        set,
    }))
}

/// The complete scenario document of `variant`: its base with its changes.
pub fn resolve(variant: &Variant) -> Result<toml::Table, ConfigError> {
    let file = variant.file.display().to_string();
    let key_err = |key: String, problem: String| ConfigError::Key {
        file: file.clone(),
        key,
        problem,
    };
    let mut doc = read_toml(&variant.base).map_err(|e| match e {
        ConfigError::Io { source, .. } => key_err(
            "base".into(),
            format!(
                "names {}, which cannot be read ({source}); allowed: a scenario file, relative to this file",
                variant.base.display()
            ),
        ),
        other => other,
    })?;
    if doc.contains_key("base") {
        return Err(key_err(
            "base".into(),
            format!(
                "names {}, which is itself a variant; allowed: a complete scenario (variants do not chain)",
                variant.base.display()
            ),
        ));
    }
    for (key, value) in variant.changes() {
        let origin = if VARIANT_KEYS.contains(&key.as_str()) {
            key.clone()
        } else {
            format!("set.\"{key}\"")
        };
        set_dotted(&mut doc, &key, value).map_err(|problem| key_err(origin, problem))?;
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{BASELINE_TOML, from_table, load_baseline, write_test_file as write};

    #[test]
    fn a_variant_is_its_base_with_the_keys_it_sets() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "base.toml", BASELINE_TOML);
        let v = write(
            dir.path(),
            "v.toml",
            "name = \"late\"\nbase = \"base.toml\"\n[set]\n\"cluster.tranches.1.delivery_delay_months\" = \
             { dist = \"fixed\", value = 18 }\n\"inference.growth.drift_per_year\" = 0.1\n",
        );
        let from_variant = from_table(read_scenario(&v).unwrap(), "v").unwrap();
        let by_hand = load_baseline(&[
            "name=late".into(),
            "cluster.tranches.1.delivery_delay_months={ dist = \"fixed\", value = 18 }".into(),
            "inference.growth.drift_per_year=0.1".into(),
        ])
        .unwrap();
        assert_eq!(format!("{from_variant:?}"), format!("{by_hand:?}"));
    }

    #[test]
    fn bad_variants_are_errors_naming_the_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "base.toml", BASELINE_TOML);
        let cases = [
            ("base = \"base.toml\"\n[contract]\nterm_years = 3\n", "`contract`"),
            ("base = \"missing.toml\"\n", "`base`: names"),
            ("base = 3\n", "`base`: is not a string"),
            ("base = \"base.toml\"\nset = 1\n", "`set`: is not a table"),
            (
                "base = \"base.toml\"\n[set]\n\"nosuch.table.x\" = 1\n",
                "`set.\"nosuch.table.x\"`",
            ),
            ("base = \"self.toml\"\n", "itself a variant"),
        ];
        for (i, (text, expected)) in cases.iter().enumerate() {
            let name = if expected.contains("itself") {
                "self.toml".to_string()
            } else {
                format!("v{i}.toml")
            };
            let v = write(dir.path(), &name, text);
            let msg = read_scenario(&v).unwrap_err().to_string();
            assert!(msg.contains(&name) && msg.contains(expected), "{text}: {msg}");
        }
    }
}
