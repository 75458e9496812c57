//! Scenario configuration: the TOML schema, units, validation, dotted-path
//! overrides and the embedded default scenario.
//!
//! Loading goes in three checked stages, so every bad setting fails before
//! any simulation starts:
//! 1. the text is parsed as TOML and `--set key=value` overrides are applied
//!    to the document ([`apply_override`]);
//! 2. the document is deserialized into [`RawScenario`] (unknown keys and
//!    wrong types are errors naming the key path);
//! 3. [`Scenario::try_from`] validates values and converts units.
//!
//! All failures are a [`ConfigError`] that names the file and the key.

pub mod buyer;
pub mod cluster;
pub mod contract;
pub mod dist;
pub mod failures;
pub mod hazards;
pub mod inference;
pub mod kind;
pub mod maintenance;
pub(crate) mod money;
pub mod overlay;
pub mod raw;
pub mod research;
pub(crate) mod rules;
pub mod scenario;
pub mod training;
pub mod tranche;

pub use dist::{Dist, DistSpec, TimeDist};
pub use overlay::read_scenario;
pub use raw::RawScenario;
pub use scenario::{KeyError, PolicyKind, Scenario, check_name};

use std::path::Path;

/// The documented default scenario, `configs/baseline.toml`, compiled in so
/// that running with no config works.
pub const BASELINE_TOML: &str = include_str!("../configs/baseline.toml");

/// Name used in messages for the embedded baseline.
pub const BASELINE_SOURCE: &str = "<embedded configs/baseline.toml>";

/// Why a scenario could not be loaded. Every variant is fatal for the run
/// and names where the problem is; the CLI maps all of them to exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read (missing, permissions). Fix the path.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The path given.
        file: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The text is not valid TOML. The message has the line and column.
    #[error("{file}: not valid TOML: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// The parser's message.
        message: String,
    },
    /// A key is missing, unknown, of the wrong type or has a value outside
    /// what is allowed.
    #[error("{file}: key `{key}`: {problem}")]
    Key {
        /// The file.
        file: String,
        /// Dotted key path.
        key: String,
        /// What is wrong and what is allowed.
        problem: String,
    },
    /// The file is of another kind than the command reads (an experiment
    /// given to `run`, …). Fatal; use the command the message names.
    #[error("{file} is {}; use `mortgage-sim {} {file}`", kind.article_name(), kind.command())]
    WrongKind {
        /// The file.
        file: String,
        /// What it is.
        kind: kind::FileKind,
    },
    /// A `--set key=value` override is malformed or names no such table.
    #[error("--set {}: {problem}", shorten(arg))]
    Override {
        /// The argument as given.
        arg: String,
        /// What is wrong.
        problem: String,
    },
}

impl ConfigError {
    /// The process exit code: always 2 (bad input), the file or the command
    /// line being at fault.
    pub fn exit_code(&self) -> u8 {
        2
    }
}

/// Loads and validates a scenario file, applying `overrides` (`key=value`).
pub fn load_file(path: &Path, overrides: &[String]) -> Result<Scenario, ConfigError> {
    load_table(read_scenario(path)?, &path.display().to_string(), overrides)
}

/// The JSON Schema of a file type `T`, in draft 7 (what Taplo / Even Better
/// TOML read), titled `title`, pretty-printed with a final newline. Derived
/// from `T`'s serde attributes; its doc comments are the descriptions.
pub fn json_schema<T: schemars::JsonSchema>(title: &str) -> String {
    let mut schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>();
    schema.insert("title".into(), title.into());
    serde_json::to_string_pretty(&schema).expect("a schema serializes") + "\n"
}

/// The JSON Schema of scenario files (draft 7).
pub fn scenario_schema() -> String {
    json_schema::<RawScenario>("mortgage-sim scenario")
}

/// Reads and parses a TOML file (a scenario or an experiment), naming it in
/// errors.
pub fn read_toml(path: &Path) -> Result<toml::Table, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        file: file.clone(),
        source,
    })?;
    parse_toml(&text, &file)
}

/// Loads the embedded baseline, applying `overrides`.
pub fn load_baseline(overrides: &[String]) -> Result<Scenario, ConfigError> {
    load_str(BASELINE_TOML, BASELINE_SOURCE, overrides)
}

/// Parses a TOML document into a table, naming `file` on error. The
/// message is one line: line, column, the parser's complaint and the line
/// itself (which shows the key).
pub fn parse_toml(text: &str, file: &str) -> Result<toml::Table, ConfigError> {
    text.parse::<toml::Table>().map_err(|e| ConfigError::Syntax {
        file: file.to_string(),
        message: syntax_message(text, &e),
    })
}

fn syntax_message(text: &str, e: &toml::de::Error) -> String {
    let what = one_line(e.message());
    let Some(span) = e.span() else { return what };
    let start = span.start.min(text.len());
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..start].chars().count() + 1;
    let content = text[line_start..].lines().next().unwrap_or("").trim();
    let content: String = if content.chars().count() > 80 {
        content.chars().take(77).chain("...".chars()).collect()
    } else {
        content.to_string()
    };
    format!("line {line}, column {column}: {what}; the line reads `{content}`")
}

/// A text as a message shows it: as is when short, else its first 60
/// characters and how long it was.
pub fn shorten(text: &str) -> String {
    const SHOWN: usize = 60;
    let length = text.chars().count();
    if length <= SHOWN {
        text.to_string()
    } else {
        let head: String = text.chars().take(SHOWN).collect();
        format!("{head}… ({length} characters)")
    }
}

/// A text value as a message shows it: quoted and escaped (a NUL shows as
/// `\0`), and cut after 60 characters with the full length said, so that a
/// 100 kB value does not flood the terminal.
pub fn quote_value(text: &str) -> String {
    const SHOWN: usize = 60;
    let length = text.chars().count();
    if length <= SHOWN {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(SHOWN).collect();
        format!("{head:?}… ({length} characters)")
    }
}

/// Joins a possibly multi-line message into one line.
fn one_line(message: &str) -> String {
    message
        .trim()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Loads a scenario from TOML text; `file` names the source in errors.
pub fn load_str(text: &str, file: &str, overrides: &[String]) -> Result<Scenario, ConfigError> {
    load_table(parse_toml(text, file)?, file, overrides)
}

/// Applies `overrides` to a parsed scenario and checks it.
fn load_table(mut doc: toml::Table, file: &str, overrides: &[String]) -> Result<Scenario, ConfigError> {
    for arg in overrides {
        apply_override(&mut doc, arg)?;
    }
    from_table(doc, file).map_err(|e| blame_override(e, overrides))
}

/// When a bad key's value came from a command-line override, says so: the
/// file is then not where to look.
pub(crate) fn blame_override(e: ConfigError, overrides: &[String]) -> ConfigError {
    let ConfigError::Key { file, key, problem } = e else {
        return e;
    };
    // The last override of a key wins, so look from the end.
    let culprit = overrides.iter().rev().find(|arg| {
        let path = arg.split_once('=').map_or(arg.as_str(), |(p, _)| p).trim();
        let path = path
            .split('.')
            .enumerate()
            .map(|(i, part)| match part.parse::<usize>() {
                Ok(n) => format!("[{n}]"),
                Err(_) if i == 0 => part.to_string(),
                Err(_) => format!(".{part}"),
            })
            .collect::<String>();
        key == path || key.starts_with(&format!("{path}.")) || key.starts_with(&format!("{path}["))
    });
    let problem = match culprit {
        Some(arg) => format!("{problem} (value given on the command line: {})", shorten(arg)),
        None => problem,
    };
    ConfigError::Key { file, key, problem }
}

/// Deserializes and validates an already-parsed (and overridden) document.
pub fn from_table(doc: toml::Table, file: &str) -> Result<Scenario, ConfigError> {
    let key_error = |key: String, problem: String| ConfigError::Key {
        file: file.to_string(),
        key,
        problem,
    };
    let raw: RawScenario = serde_path_to_error::deserialize(toml::Value::Table(doc)).map_err(|e| {
        let (key, problem) = describe_de_error(&e);
        key_error(key, problem)
    })?;
    Scenario::try_from(raw).map_err(|e| key_error(e.key, e.problem))
}

/// Turns a deserialization error into the full dotted key and a one-line
/// problem saying what is allowed. serde's messages are rewritten where
/// their form is known: a missing field is reported at the field itself
/// (serde reports it at the enclosing table), an unknown field lists the
/// allowed keys, and a wrong type or value names the accepted values in
/// words rather than Rust types (`u64` → "a whole number ≥ 0"). Public so
/// that other TOML inputs (experiment files) can report the same way.
pub fn describe_de_error(e: &serde_path_to_error::Error<toml::de::Error>) -> (String, String) {
    let path = e.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let message = one_line(e.inner().message());
    let join = |field: &str| {
        if path.is_empty() {
            field.to_string()
        } else if path == field || path.ends_with(&format!(".{field}")) {
            path.clone()
        } else {
            format!("{path}.{field}")
        }
    };
    let whole = |key: String, problem: String| {
        let key = if key.is_empty() { "(top level)".to_string() } else { key };
        (key, problem)
    };
    if let Some(field) = backticked(&message, "missing field ") {
        return whole(join(field), "is missing; it is required".into());
    }
    if let Some(field) = backticked(&message, "unknown field ") {
        let allowed = message.split_once(", expected ").map_or("no keys", |(_, a)| a);
        let allowed = allowed.strip_prefix("one of ").unwrap_or(allowed);
        return whole(join(field), format!("unknown key (a typo?); allowed here: {allowed}"));
    }
    if let Some(value) = backticked(&message, "unknown variant ").map(shorten) {
        let allowed = if path == "dist" || path.ends_with(".dist") {
            dist::DIST_KINDS.to_string()
        } else {
            let a = message.split_once(", expected ").map_or("none", |(_, a)| a);
            a.strip_prefix("one of ").unwrap_or(a).to_string()
        };
        return whole(path, format!("is \"{value}\"; allowed: {allowed}"));
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some((found, expected)) = message
            .strip_prefix(prefix)
            .and_then(|rest| rest.rsplit_once(", expected "))
        {
            return whole(
                path,
                format!(
                    "is {}; allowed: {}",
                    shorten(&found_in_words(found)),
                    in_words(expected)
                ),
            );
        }
    }
    whole(path, message)
}

/// The text in backticks right after `prefix`, if `message` starts so.
fn backticked<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.strip_prefix('`')?.split('`').next()
}

/// serde's description of a value found (`integer \`-5\``, `string "x"`,
/// `sequence`), as the value itself or the kind of TOML value.
fn found_in_words(found: &str) -> String {
    for kind in ["integer ", "floating point ", "boolean ", "string "] {
        if let Some(value) = found.strip_prefix(kind) {
            return value.trim_matches('`').to_string();
        }
    }
    match found {
        "sequence" => "an array".into(),
        "map" => "a table".into(),
        f => f.into(),
    }
}

/// serde's name for an expected type, in the words of a scenario file.
fn in_words(expected: &str) -> String {
    match expected {
        "f64" | "f32" => "a number".into(),
        "u64" | "usize" => "a whole number ≥ 0".into(),
        "u32" => format!("a whole number ≥ 0 (at most {})", u32::MAX),
        "i64" => "a whole number".into(),
        "a string" => "a string in quotes".into(),
        "a boolean" => "true or false".into(),
        "a sequence" => "an array, e.g. [1, 2]".into(),
        e if e.starts_with("struct ") || e == "a map" => "a table".into(),
        e => e.into(),
    }
}

/// Applies one `key=value` override to a parsed document. The key is a dotted
/// path (`inference.growth.drift_per_year`, `cluster.tranches.0.chips`); the
/// value is read as a TOML value (`2`, `0.5`, `true`, `"text"`,
/// `{ dist = "exp", mean = 3 }`), or as a bare string if it is not one. Every
/// table on the path must exist; the last key may be new (and is then checked
/// against the schema like any other key).
pub fn apply_override(doc: &mut toml::Table, arg: &str) -> Result<(), ConfigError> {
    let err = |problem: String| ConfigError::Override {
        arg: arg.to_string(),
        problem,
    };
    let (path, value_text) = arg
        .split_once('=')
        .ok_or_else(|| err("expected KEY=VALUE, e.g. inference.base_demand_chips=200000".into()))?;
    let path = path.trim();
    let value_text = value_text.trim();
    let value = match format!("v = {value_text}").parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").expect("parsed key"),
        Err(_) => toml::Value::String(value_text.to_string()),
    };
    set_dotted(doc, path, value).map_err(err)
}

/// Sets the dotted `path` (array entries by index) of `doc` to `value`, as
/// [`apply_override`] does; the error says what is wrong with the path.
pub fn set_dotted(doc: &mut toml::Table, path: &str, value: toml::Value) -> Result<(), String> {
    let parts: Vec<&str> = path.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(format!(
            "key {path:?} has an empty part; expected a dotted path like a.b.c"
        ));
    }
    // Walk on a Value root so tables and arrays are handled alike; the
    // document is put back whatever the outcome.
    let mut root = toml::Value::Table(std::mem::take(doc));
    let result = set_path(&mut root, &parts, value);
    if let toml::Value::Table(t) = root {
        *doc = t;
    }
    result
}

fn set_path(root: &mut toml::Value, parts: &[&str], value: toml::Value) -> Result<(), String> {
    let mut node = root;
    for (depth, part) in parts.iter().enumerate() {
        let here = parts[..=depth].join(".");
        let is_last = depth + 1 == parts.len();
        let slot = match node {
            toml::Value::Table(t) if is_last => {
                t.insert(part.to_string(), value);
                return Ok(());
            }
            toml::Value::Table(t) => t.get_mut(*part).ok_or(format!("no table `{here}` in the scenario"))?,
            toml::Value::Array(a) => {
                let i: usize = part
                    .parse()
                    .map_err(|_| format!("`{here}`: `{part}` must be an array index"))?;
                let n = a.len();
                a.get_mut(i)
                    .ok_or(format!("`{here}`: index {i} out of range (the array has {n} entries)"))?
            }
            _ => {
                return Err(format!("`{}` is a value, not a table", parts[..depth].join(".")));
            }
        };
        if is_last {
            *slot = value;
            return Ok(());
        }
        node = slot;
    }
    Ok(())
}

/// Writes `text` to `dir/name` for a test and returns the path.
#[cfg(test)]
pub(crate) fn write_test_file(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_loads() {
        let s = load_baseline(&[]).unwrap();
        assert_eq!(s.name, "baseline");
    }

    #[test]
    fn overrides_set_nested_keys_and_array_entries() {
        let s = load_baseline(&[
            "inference.growth.drift_per_year=0.9".into(),
            "cluster.tranches.0.chips=32000".into(),
            "name=other".into(),
        ])
        .unwrap();
        assert_eq!(s.inference.unwrap().drift_per_year, 0.9);
        assert_eq!(s.cluster.tranches[0].units * s.cluster.unit_chips, 32000);
        assert_eq!(s.name, "other");
    }

    #[test]
    fn bad_overrides_are_errors() {
        for arg in ["nokey", "nosuch.table.x=1", "cluster.tranches.99.chips=1", "a..b=1"] {
            assert!(
                matches!(load_baseline(&[arg.into()]), Err(ConfigError::Override { .. })),
                "{arg}"
            );
        }
        let e = load_baseline(&["cluster.chip_mtbf_hourz=1".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("chip_mtbf_hourz"), "{e}");
    }
}
