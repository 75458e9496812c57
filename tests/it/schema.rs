//! JSON Schemas of the file kinds: `schema/*.json` is what `mortgage-sim
//! schema KIND` prints (regenerate with `mortgage-sim schema KIND >
//! schema/KIND.json`), and every shipped TOML file names its kind's schema
//! in Taplo's `#:schema` header directive.

use super::support;
use std::fs;
use std::path::Path;

const KINDS: [&str; 4] = ["scenario", "experiment", "study", "stress"];

#[test]
fn committed_schemas_are_what_the_binary_prints() {
    for kind in KINDS {
        let o = support::binary().args(["schema", kind]).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let printed = String::from_utf8(o.stdout).unwrap();
        let path = support::repo().join("schema").join(format!("{kind}.json"));
        let committed = fs::read_to_string(&path).unwrap_or_default();
        assert!(
            printed == committed,
            "schema/{kind}.json is out of date: mortgage-sim schema {kind} > schema/{kind}.json"
        );
        let json: serde_json::Value = serde_json::from_str(&printed).unwrap();
        assert_eq!(json["$schema"], "http://json-schema.org/draft-07/schema#");
    }
    // Doc comments of the raw types are the descriptions.
    let scenario: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(support::repo().join("schema/scenario.json")).unwrap()).unwrap();
    let seed = &scenario["definitions"]["RawSimulation"]["properties"]["seed"];
    assert_eq!(seed["description"], "Master seed.");
    assert_eq!(scenario["additionalProperties"], false, "unknown keys are errors");
}

/// The kind of a shipped TOML file, from where it lives and what it holds.
fn kind_of(path: &Path, text: &str) -> &'static str {
    if path.starts_with(support::repo().join("configs")) {
        "scenario"
    } else if text.contains("\n[target]") {
        "stress"
    } else if text.contains("\nmethod =") {
        "study"
    } else {
        "experiment"
    }
}

#[test]
fn shipped_toml_files_name_their_schema() {
    let repo = support::repo();
    let mut files = Vec::new();
    for dir in ["configs", "experiments", "experiments/studies"] {
        for entry in fs::read_dir(repo.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
    }
    assert!(files.len() >= 8, "{files:?}");
    for path in files {
        let text = fs::read_to_string(&path).unwrap();
        let first = text.lines().next().unwrap_or_default();
        let target = first
            .strip_prefix("#:schema ")
            .unwrap_or_else(|| panic!("{}: the first line is not a #:schema directive", path.display()));
        let schema = path.parent().unwrap().join(target);
        let want = repo.join("schema").join(format!("{}.json", kind_of(&path, &text)));
        assert_eq!(
            fs::canonicalize(&schema).ok(),
            fs::canonicalize(&want).ok(),
            "{}: names {target}",
            path.display()
        );
    }
}
