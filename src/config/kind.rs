//! Which kind of input file a TOML document is — a scenario, an experiment,
//! a sensitivity study or a reverse stress file — told from its top-level
//! keys, so that a command given the wrong kind says which command the file
//! is for instead of failing on the first key it does not know.

use super::ConfigError;

/// The kinds of input file, each read by one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A scenario (`configs/*.toml`), or a variant of one (`base` and a
    /// `[set]` table, `configs/stress/*.toml`): `run`.
    Scenario,
    /// An experiment, a grid of overrides on a base scenario: `sweep`.
    Experiment,
    /// A sensitivity study (`method`, `[[inputs]]`, `metrics`): `sensitivity`.
    Study,
    /// A reverse stress test (`[input]` and `[target]`): `stress`.
    Stress,
}

/// Tables only a scenario has at its top level.
const SCENARIO_TABLES: [&str; 11] = [
    "simulation",
    "contract",
    "cluster",
    "scheduler",
    "training",
    "inference",
    "research",
    "buyer",
    "provider",
    "market",
    "risk",
];

impl FileKind {
    /// The kind of `doc`, or `None` when its keys fit no kind (then the
    /// loader's own message about its keys is the useful one).
    ///
    /// A scenario's tables win over `base`, so a scenario with a stray
    /// `base` key is still called a scenario (and its loader names the key).
    /// Among files with a `base`, the keys only one kind has decide; a
    /// `[set]` table alone makes a scenario variant.
    pub fn of(doc: &toml::Table) -> Option<FileKind> {
        let has = |key: &str| doc.contains_key(key);
        let any = |keys: &[&str]| keys.iter().any(|k| has(k));
        if any(&SCENARIO_TABLES) {
            Some(FileKind::Scenario)
        } else if !has("base") {
            None
        } else if any(&["input", "target"]) {
            Some(FileKind::Stress)
        } else if any(&["method", "inputs", "metrics"]) {
            Some(FileKind::Study)
        } else if any(&["grid", "zip", "variants", "replicas"]) {
            Some(FileKind::Experiment)
        } else if has("set") {
            Some(FileKind::Scenario)
        } else {
            None
        }
    }

    /// The kind as a message names it: "a scenario", "an experiment", ….
    pub fn article_name(self) -> &'static str {
        match self {
            FileKind::Scenario => "a scenario",
            FileKind::Experiment => "an experiment",
            FileKind::Study => "a sensitivity study",
            FileKind::Stress => "a stress file",
        }
    }

    /// The `mortgage-sim` subcommand that reads this kind.
    pub fn command(self) -> &'static str {
        match self {
            FileKind::Scenario => "run",
            FileKind::Experiment => "sweep",
            FileKind::Study => "sensitivity",
            FileKind::Stress => "stress",
        }
    }
}

/// Checks that `doc`, read from `file`, is of the kind `wanted`; a document
/// of another kind is a [`ConfigError::WrongKind`] naming the command for
/// it. A document of no recognisable kind passes: its loader says what is
/// wrong with its keys.
pub fn expect(doc: &toml::Table, file: &str, wanted: FileKind) -> Result<(), ConfigError> {
    match FileKind::of(doc) {
        Some(kind) if kind != wanted => Err(ConfigError::WrongKind {
            file: file.to_string(),
            kind,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> Option<FileKind> {
        FileKind::of(&text.parse::<toml::Table>().unwrap())
    }

    #[test]
    fn each_kind_is_told_by_its_keys() {
        assert_eq!(kind("name = \"s\"\n[simulation]\nseed = 1"), Some(FileKind::Scenario));
        assert_eq!(
            kind("name = \"e\"\nbase = \"b.toml\"\n[grid]"),
            Some(FileKind::Experiment)
        );
        assert_eq!(kind("base = \"b.toml\"\n[[zip]]"), Some(FileKind::Experiment));
        assert_eq!(
            kind("base = \"b\"\nreplicas = 4\nvariants = []"),
            Some(FileKind::Experiment)
        );
        // A scenario variant: a base and the keys it sets.
        assert_eq!(kind("base = \"b\"\n[set]\n\"a.b\" = 1"), Some(FileKind::Scenario));
        assert_eq!(kind("name = \"v\"\nbase = \"b\""), None);
        assert_eq!(kind("base = \"b\"\nmethod = \"tornado\""), Some(FileKind::Study));
        assert_eq!(kind("base = \"b\"\n[[inputs]]\nkey = \"k\""), Some(FileKind::Study));
        assert_eq!(kind("base = \"b\"\n[input]\n[target]"), Some(FileKind::Stress));
        // A scenario's tables outweigh a stray `base`.
        assert_eq!(kind("base = \"b\"\n[contract]"), Some(FileKind::Scenario));
        assert_eq!(kind("name = \"x\""), None);
    }

    #[test]
    fn a_wrong_kind_names_the_command_for_it() {
        let doc: toml::Table = "base = \"b\"\nreplicas = 2\n[grid]".parse().unwrap();
        let e = expect(&doc, "e.toml", FileKind::Scenario).unwrap_err().to_string();
        assert_eq!(e, "e.toml is an experiment; use `mortgage-sim sweep e.toml`");
        assert!(expect(&doc, "e.toml", FileKind::Experiment).is_ok());
        let unknown: toml::Table = "name = \"x\"".parse().unwrap();
        assert!(expect(&unknown, "x.toml", FileKind::Stress).is_ok());
    }
}
