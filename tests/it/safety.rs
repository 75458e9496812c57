//! Inputs that must never delete, escape or crash: names that would become
//! paths outside `results/`, `--force` aimed at folders this program did not
//! write, leftovers of killed runs, and a reader that closes the pipe.
//! Each test is named after what it protects.

use super::support;
use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn golden() -> String {
    support::repo().join("tests/data/golden.toml").display().to_string()
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    support::binary()
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The names of the entries of `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A working directory with files of its own, a sibling folder and a
/// `results/` folder holding another run's results.
fn workspace() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    fs::create_dir_all(work.join("src")).unwrap();
    fs::write(work.join("src/main.rs"), "fn main() {}\n").unwrap();
    fs::create_dir_all(tmp.path().join("sibling")).unwrap();
    fs::write(tmp.path().join("sibling/notes.txt"), "keep\n").unwrap();
    let o = run_in(
        &work,
        &["run", &golden(), "--replicas", "1", "--quiet", "--out", "results/other"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    (tmp, work)
}

#[test]
fn experiment_names_cannot_name_a_path_outside_results() {
    let (tmp, work) = workspace();
    let before_parent = entries(tmp.path());
    let before_work = entries(&work);
    let absolute = tmp.path().join("abs").display().to_string();
    for name in ["..", "", ".", "../../x", "a/b", absolute.as_str(), "x\0y", "/"] {
        let experiment = work.join("e.toml");
        fs::write(
            &experiment,
            format!(
                "name = {}\nbase = {:?}\nreplicas = 1\n[grid]\n\"inference.noise_sigma\" = [0.1]\n",
                toml::Value::String(name.into()),
                golden()
            ),
        )
        .unwrap();
        for force in [false, true] {
            let mut args = vec!["sweep", "e.toml", "--quiet"];
            if force {
                args.push("--force");
            }
            let o = run_in(&work, &args);
            assert_eq!(o.status.code(), Some(2), "name {name:?}: {}", stderr(&o));
            assert!(stderr(&o).contains("key `name`"), "name {name:?}: {}", stderr(&o));
        }
        fs::remove_file(&experiment).unwrap();
    }
    assert_eq!(
        entries(tmp.path()),
        before_parent,
        "something was written beside the working directory"
    );
    assert_eq!(entries(&work), before_work, "the working directory changed");
    assert_eq!(
        entries(&work.join("results")),
        ["other"],
        "another run's results changed"
    );
}

#[test]
fn force_never_deletes_a_folder_it_did_not_write() {
    let (tmp, work) = workspace();
    let sibling = tmp.path().join("sibling");
    let cases: [(&str, &str); 6] = [
        (".", "names no folder"),
        ("..", "names no folder"),
        ("/", "names no folder"),
        ("src", "not a results folder"),
        ("../sibling", "not a results folder"),
        ("results/other/../..", "names no folder"),
    ];
    for (out, reason) in cases {
        let o = run_in(
            &work,
            &["run", &golden(), "--replicas", "1", "--quiet", "--force", "--out", out],
        );
        assert_eq!(o.status.code(), Some(2), "--out {out}: {}", stderr(&o));
        assert!(stderr(&o).contains(reason), "--out {out}: {}", stderr(&o));
    }
    // The working directory itself, by its absolute path, and its parent.
    for dir in [work.clone(), tmp.path().to_path_buf()] {
        let out = dir.display().to_string();
        let o = run_in(
            &work,
            &["run", &golden(), "--replicas", "1", "--quiet", "--force", "--out", &out],
        );
        assert_eq!(o.status.code(), Some(2), "--out {out}: {}", stderr(&o));
        assert!(stderr(&o).contains("working directory"), "--out {out}: {}", stderr(&o));
    }
    // A folder that merely has a file called manifest.json (a web app's).
    fs::write(sibling.join("manifest.json"), r#"{"name": "app"}"#).unwrap();
    let o = run_in(
        &work,
        &[
            "run",
            &golden(),
            "--replicas",
            "1",
            "--quiet",
            "--force",
            "--out",
            "../sibling",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(entries(&sibling), ["manifest.json", "notes.txt"]);
    assert_eq!(entries(&work), ["results", "src"]);
    // A results folder of ours is replaced.
    let o = run_in(
        &work,
        &[
            "run",
            &golden(),
            "--replicas",
            "1",
            "--quiet",
            "--force",
            "--out",
            "results/other",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(entries(&work.join("results")), ["other"]);
}

#[test]
fn a_killed_runs_temporary_folder_is_cleaned_by_the_next_run_and_nothing_else() {
    let (_tmp, work) = workspace();
    let results = work.join("results");
    // A process that has ended: its PID names the leftover folder.
    let mut child = Command::new("true").spawn().unwrap();
    child.wait().unwrap();
    let pid = child.id();
    let leftover = results.join(format!(".mine.tmp-{pid}"));
    fs::create_dir(&leftover).unwrap();
    fs::write(leftover.join(".mortgage-sim-partial"), "").unwrap();
    fs::write(leftover.join("points.csv"), "point\n").unwrap();
    // Look-alikes that are not ours: no marker, or another destination.
    let unmarked = results.join(format!(".mine.tmp-{}", pid.wrapping_add(100_000)));
    fs::create_dir(&unmarked).unwrap();
    fs::write(unmarked.join("thesis.tex"), "keep\n").unwrap();
    let other = results.join(format!(".else.tmp-{pid}"));
    fs::create_dir(&other).unwrap();
    fs::write(other.join(".mortgage-sim-partial"), "").unwrap();
    let o = run_in(
        &work,
        &["run", &golden(), "--replicas", "1", "--quiet", "--out", "results/mine"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!leftover.exists(), "the stale temporary folder is still there");
    assert!(unmarked.join("thesis.tex").exists(), "{:?}", entries(&results));
    assert!(other.exists(), "{:?}", entries(&results));
    assert!(!results.join("mine").join(".mortgage-sim-partial").exists());
}

#[test]
fn a_closed_stdout_is_a_normal_end() {
    // A pipe whose reading end is closed before the program writes, as
    // when `check | head -1` has read its line: every write fails (EPIPE).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = support::binary()
        .arg("check")
        .env_remove("RUST_BACKTRACE")
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}
