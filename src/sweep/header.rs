//! The header every run file shares — experiments, sensitivity studies and
//! stress tests: a name, a description, a base scenario, the replicas per
//! evaluation and an optional master seed — read and checked in one place.

use crate::config::{self, ConfigError};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// The header's keys, taken out of a run file before the rest is read.
const KEYS: [&str; 5] = ["name", "description", "base", "replicas", "seed"];

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    /// Short name; results go to `results/<name>/`.
    name: String,
    /// One line saying what the file is for.
    #[serde(default)]
    description: String,
    /// The base scenario file, relative to this file.
    base: String,
    /// Monte Carlo replicas per point or evaluation (`--replicas` overrides it).
    replicas: u32,
    /// Master seed (default: the base scenario's; `--seed` overrides it).
    seed: Option<u64>,
}

/// A whole run file for its JSON Schema only: the header's keys and the
/// rest's (`T`), in one table.
#[derive(schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)] // never built: it only describes the file
struct RunFile<T> {
    #[schemars(flatten)]
    header: RawHeader,
    #[schemars(flatten)]
    rest: T,
}

/// The JSON Schema (draft 7) of a run file whose keys after the header are
/// `T`'s, titled `title`.
pub fn file_schema<T: schemars::JsonSchema>(title: &str) -> String {
    config::json_schema::<RunFile<T>>(title)
}

/// A run file's header, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// Name; results go to `results/<name>/`.
    pub name: String,
    /// What it shows.
    pub description: String,
    /// The run file.
    pub file: PathBuf,
    /// The base scenario file (resolved against the run file's folder).
    pub base: PathBuf,
    /// Replicas per point or evaluation.
    pub replicas: u32,
    /// Master seed, if the file sets one.
    pub seed: Option<u64>,
}

impl Header {
    /// The run file's folder, against which the paths it names resolve.
    pub fn folder(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new("."))
    }

    /// An error about `key` of the run file.
    pub fn key_error(&self, key: impl Into<String>, problem: impl Into<String>) -> ConfigError {
        ConfigError::Key {
            file: self.file.display().to_string(),
            key: key.into(),
            problem: problem.into(),
        }
    }
}

/// Reads the run file at `path`: its checked header, and the rest of its
/// keys as `T` (whose unknown keys and wrong types are named as for
/// scenarios, the header's keys listed among those allowed).
pub fn read<T: DeserializeOwned>(path: &Path) -> Result<(Header, T), ConfigError> {
    let file = path.display().to_string();
    let mut doc = config::read_toml(path)?;
    let head: toml::Table = KEYS
        .iter()
        .filter_map(|k| Some((k.to_string(), doc.remove(*k)?)))
        .collect();
    let raw: RawHeader = deserialize(head, &file)?;
    let rest: T = deserialize(doc, &file).map_err(|e| match e {
        ConfigError::Key { file, key, problem } if problem.starts_with("unknown key") => ConfigError::Key {
            file,
            key,
            problem: format!("{problem}, `{}`", KEYS.join("`, `")),
        },
        other => other,
    })?;
    let folder = path.parent().unwrap_or(Path::new("."));
    let header = Header {
        base: folder.join(&raw.base),
        name: raw.name,
        description: raw.description,
        file: path.to_path_buf(),
        replicas: raw.replicas,
        seed: raw.seed,
    };
    config::check_name(&header.name).map_err(|problem| header.key_error("name", problem))?;
    if header.replicas == 0 {
        return Err(header.key_error("replicas", "is 0; allowed: at least 1"));
    }
    Ok((header, rest))
}

/// `doc` as a `T`, errors naming `file` and the key.
fn deserialize<T: DeserializeOwned>(doc: toml::Table, file: &str) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(toml::Value::Table(doc)).map_err(|e| {
        let (key, problem) = config::describe_de_error(&e);
        ConfigError::Key {
            file: file.to_string(),
            key,
            problem,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Rest {
        #[allow(dead_code)]
        extra: u32,
    }

    #[test]
    fn the_header_is_checked_and_the_rest_read_with_every_allowed_key_named() {
        let dir = tempfile::tempdir().unwrap();
        let write = |text: &str| {
            let p = dir.path().join("f.toml");
            std::fs::write(&p, text).unwrap();
            p
        };
        let (h, _) = read::<Rest>(&write("name = \"n\"\nbase = \"b.toml\"\nreplicas = 2\nextra = 1\n")).unwrap();
        assert_eq!((h.name.as_str(), h.replicas, h.seed), ("n", 2, None));
        assert_eq!(h.base, dir.path().join("b.toml"));
        let cases = [
            (
                "name = \"n\"\nbase = \"b\"\nreplicas = 0\nextra = 1\n",
                "`replicas`: is 0",
            ),
            ("name = \"..\"\nbase = \"b\"\nreplicas = 1\nextra = 1\n", "`name`"),
            ("name = \"n\"\nreplicas = 1\nextra = 1\n", "`base`: is missing"),
            (
                "name = \"n\"\nbase = \"b\"\nreplicas = 1\nextra = 1\ntypo = 1\n",
                "allowed here: `extra`, `name`, `description`, `base`, `replicas`, `seed`",
            ),
        ];
        for (text, expected) in cases {
            let msg = read::<Rest>(&write(text)).unwrap_err().to_string();
            assert!(msg.contains("f.toml") && msg.contains(expected), "{text}: {msg}");
        }
    }
}
