//! Inputs that must never delete, escape or crash: names that would become
//! paths outside `results/`, `--force` aimed at folders this program did not
//! write, leftovers of killed runs, and a reader that closes the pipe.
//! Each test is named after what it protects.

use super::support::{self, run_in, stderr};
use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn golden() -> String {
    support::repo().join("tests/data/golden.toml").display().to_string()
}

/// `run golden.toml --replicas 1 --quiet --force --out OUT` in `work`.
fn run_forced(work: &Path, out: &str) -> Output {
    run_in(
        work,
        &["run", &golden(), "--replicas", "1", "--quiet", "--force", "--out", out],
    )
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
        let o = run_forced(&work, out);
        assert_eq!(o.status.code(), Some(2), "--out {out}: {}", stderr(&o));
        assert!(stderr(&o).contains(reason), "--out {out}: {}", stderr(&o));
    }
    // The working directory itself, by its absolute path, and its parent.
    for dir in [work.clone(), tmp.path().to_path_buf()] {
        let out = dir.display().to_string();
        let o = run_forced(&work, &out);
        assert_eq!(o.status.code(), Some(2), "--out {out}: {}", stderr(&o));
        assert!(stderr(&o).contains("working directory"), "--out {out}: {}", stderr(&o));
    }
    // A folder that merely has a file called manifest.json (a web app's).
    fs::write(sibling.join("manifest.json"), r#"{"name": "app"}"#).unwrap();
    let o = run_forced(&work, "../sibling");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(entries(&sibling), ["manifest.json", "notes.txt"]);
    assert_eq!(entries(&work), ["results", "src"]);
    // A results folder of ours is replaced.
    let o = run_forced(&work, "results/other");
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

#[test]
fn a_replica_beyond_the_resource_ceilings_is_refused_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("x");
    let out_arg = out.to_str().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &["check", "--set", "simulation.timeseries_step_months=1e-9"],
            "simulation.timeseries_step_months",
        ),
        (
            &[
                "run",
                "--quiet",
                "--out",
                out_arg,
                "--set",
                "simulation.timeseries_step_months=1e-9",
            ],
            "simulation.timeseries_step_months",
        ),
        (
            &["run", "--quiet", "--out", out_arg, "--replicas", "4294967295"],
            "--replicas",
        ),
        (
            &[
                "run",
                "--quiet",
                "--out",
                out_arg,
                "--target-ci",
                "utilization=0.001",
                "--max-replicas",
                "4000000000",
            ],
            "--max-replicas",
        ),
    ];
    for (args, key) in cases {
        let o = run_in(tmp.path(), args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(key) && err.contains("--allow-huge"), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?}: a results folder was written");
    }
    // The ceiling is a choice the user can lift deliberately.
    let o = run_in(
        tmp.path(),
        &[
            "check",
            "--allow-huge",
            "--set",
            "simulation.timeseries_step_months=1e-9",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("Cost of a replica"));
}

#[test]
fn a_huge_research_job_size_cap_does_not_slow_failure_victims() {
    // research.max_chips bounds the rejection sampling that picks the job a
    // failure hits; 2^62 made every pick take ~10^17 tries. Now the bound is
    // at most a generation's units, so one replica runs as usual.
    let tmp = tempfile::tempdir().unwrap();
    let golden = support::repo().join("tests/data/golden.toml");
    let o = run_in(
        tmp.path(),
        &[
            "run",
            golden.to_str().unwrap(),
            "--quiet",
            "--replicas",
            "1",
            "--set",
            "research.max_chips=4611686018427387904",
            "--out",
            "x",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn messages_cut_long_values_and_show_numbers_for_people() {
    let tmp = tempfile::tempdir().unwrap();
    let long = "x".repeat(100_000);
    for set in [
        format!("name={long}"),
        format!("scheduler.policy=\"{long}\""),
        format!("cluster.tranches.0.generation=\"{long}\""),
        format!("nosuch.{long}=1"),
    ] {
        let o = run_in(tmp.path(), &["check", "--set", &set]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{}", &err[..err.len().min(300)]);
        assert!(err.len() < 1_000, "a {}-byte message", err.len());
        assert!(err.contains(" characters)"), "{}", &err[..err.len().min(300)]);
    }
    // A huge but valid commitment is shown in scientific notation, never
    // as 300 digits or NaN.
    let o = run_in(tmp.path(), &["check", "--set", "contract.committed_usd=1e300"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        out.contains("$1e300") && !out.contains("NaN") && !out.contains("0000000000"),
        "{out}"
    );
}

#[test]
fn an_unwritable_destination_is_exit_1_for_a_run_and_for_a_shard() {
    // A results folder under a regular file cannot be created (root or not).
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("file"), "not a folder").unwrap();
    let golden = golden();
    let sweep = support::repo().join("tests/data/sweep_small.toml");
    let sweep = sweep.to_str().unwrap();
    for args in [
        vec!["run", golden.as_str(), "--quiet", "--replicas", "1", "--out", "file/x"],
        vec!["sweep", sweep, "--quiet", "--shard", "0/2", "--out", "file/x"],
    ] {
        let o = run_in(tmp.path(), &args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("file/x"), "{}", stderr(&o));
    }
}
