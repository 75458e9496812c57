//! The shape of `src/` that README.md's "Architecture" section draws: the
//! top-level modules import each other one way only (no cycle), in the
//! layer order below; no source file (library, binary, tests, benches)
//! grows past ~800 lines; and the
//! library knows no terminal (progress bars live in the CLI).

use super::support;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The top-level modules, in layer order: a module may import only modules
/// before it. `stats` and `folder` are leaves anyone may use.
const LAYERS: [&str; 13] = [
    "stats",
    "folder",
    "engine",
    "config",
    "finance",
    "metrics",
    "model",
    "montecarlo",
    "sweep",
    "shard",
    "output",
    "jobs",
    "sensitivity",
];

/// The most lines a source file may have.
const MAX_LINES: usize = 800;

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The top-level module a file belongs to (`src/model/world/capacity.rs` →
/// `model`), or `None` for lib.rs and main.rs.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_string_lossy().into_owned();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// The top-level modules a file's code names through `crate::`, in paths
/// (`crate::metrics::Class`) and in grouped imports (`use crate::{a, b::c}`).
fn referenced(text: &str) -> BTreeSet<String> {
    // Code only: comments (and doc comments) may name any module.
    let code: String = text
        .lines()
        .map(|l| l.split_once("//").map_or(l, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.insert(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            found.insert(name);
        }
    }
    found
}

#[test]
fn modules_import_each_other_one_way_in_layer_order() {
    let src = support::repo().join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src) {
        let Some(module) = top_module(&src, &file) else {
            continue;
        };
        let deps = referenced(&fs::read_to_string(&file).unwrap());
        graph
            .entry(module.clone())
            .or_default()
            .extend(deps.into_iter().filter(|d| *d != module));
    }
    let modules: BTreeSet<&str> = graph.keys().map(String::as_str).collect();
    let layers: BTreeSet<&str> = LAYERS.into_iter().collect();
    assert_eq!(
        modules, layers,
        "a top-level module was added or removed: place it in LAYERS and in README's graph"
    );
    let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
    let mut wrong = Vec::new();
    for (module, deps) in &graph {
        for dep in deps {
            match (rank(module), rank(dep)) {
                (Some(a), Some(b)) if b < a => {}
                _ => wrong.push(format!("{module} imports {dep}")),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layer order {LAYERS:?} (a cycle, or a module reaching up):\n{}",
        wrong.join("\n")
    );
    // The graph is not empty by accident: the model does use the layers below it.
    assert!(graph["model"].contains("metrics") && graph["montecarlo"].contains("model"));
}

#[test]
fn no_source_file_is_over_800_lines() {
    let repo = support::repo();
    let files: Vec<PathBuf> = ["src", "tests", "benches"]
        .iter()
        .flat_map(|dir| rust_files(&repo.join(dir)))
        .collect();
    assert!(
        files.iter().any(|f| f.ends_with("tests/it/fuzz.rs")),
        "tests/ not searched"
    );
    let long: Vec<String> = files
        .into_iter()
        .filter_map(|f| {
            let n = fs::read_to_string(&f).unwrap().lines().count();
            (n > MAX_LINES).then(|| format!("{}: {n} lines", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by concern:\n{}", long.join("\n"));
}

#[test]
fn the_library_knows_no_terminal() {
    let src = support::repo().join("src");
    let mut found = Vec::new();
    for file in rust_files(&src) {
        if top_module(&src, &file).is_none() {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap();
        for word in ["indicatif", "anyhow", "println!", "eprintln!", "std::process::exit"] {
            if text.contains(word) {
                found.push(format!("{} uses {word}", file.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the CLI's business, not the library's:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_reference_finder_sees_paths_and_groups() {
    let deps = referenced("use crate::{stats::Z95, engine};\nlet x = crate::metrics::Class::Idle; // crate::output\n");
    assert_eq!(
        deps,
        ["engine", "metrics", "stats"].map(String::from).into_iter().collect()
    );
}
