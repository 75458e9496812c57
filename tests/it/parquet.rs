//! `--format`: Parquet copies of the result files, byte-identical for any
//! thread count and between a sweep run whole and its merged shards; the
//! manifest records the format; `--format parquet` keeps no CSV file.
//! (Their column types against python/mortgage_sim/schema.py: the Python
//! tests.)

use super::support;
use std::fs;
use std::path::Path;

fn run(args: &[&str]) -> std::process::Output {
    support::binary().args(args).output().expect("the binary runs")
}

fn ok(o: std::process::Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn data(name: &str) -> String {
    support::repo().join("tests/data").join(name).display().to_string()
}

fn parquet_files() -> Vec<String> {
    support::RESULT_FILES
        .iter()
        .map(|f| f.replace(".csv", ".parquet"))
        .collect()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn parquet_files_are_identical_for_any_thread_count_and_recorded_in_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let golden = data("golden.toml");
    let dirs: Vec<_> = ["1", "2"]
        .iter()
        .map(|threads| {
            let dir = tmp.path().join(format!("t{threads}"));
            let out = dir.to_str().unwrap();
            ok(run(&[
                "run",
                &golden,
                "--quiet",
                "--format",
                "both",
                "--threads",
                threads,
                "--out",
                out,
            ]));
            dir
        })
        .collect();
    for f in parquet_files() {
        let a = fs::read(dirs[0].join(&f)).unwrap();
        let b = fs::read(dirs[1].join(&f)).unwrap();
        assert!(
            a.starts_with(b"PAR1") && a.ends_with(b"PAR1"),
            "{f} is not a Parquet file"
        );
        assert!(a == b, "{f} differs between 1 and 2 threads");
    }
    // The CSV files of `both` are those of the default format.
    let csv_only = tmp.path().join("csv");
    ok(run(&["run", &golden, "--quiet", "--out", csv_only.to_str().unwrap()]));
    for f in support::RESULT_FILES {
        assert_eq!(
            fs::read(dirs[0].join(f)).unwrap(),
            fs::read(csv_only.join(f)).unwrap(),
            "{f}"
        );
        assert!(!csv_only.join(f.replace(".csv", ".parquet")).exists());
    }
    let m = manifest(&dirs[0]);
    assert_eq!(m["format"], "both");
    let files: Vec<&str> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"replicas.parquet") && files.contains(&"replicas.csv"),
        "{files:?}"
    );
    assert_eq!(manifest(&csv_only)["format"], "csv");
}

#[test]
fn merged_shards_give_the_parquet_files_of_the_whole_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = data("sweep_small.toml");
    let whole = tmp.path().join("whole");
    ok(run(&[
        "sweep",
        &exp,
        "--quiet",
        "--format",
        "both",
        "--out",
        whole.to_str().unwrap(),
    ]));
    let shards: Vec<String> = (0..2)
        .map(|i| {
            let dir = tmp.path().join(format!("shard{i}")).display().to_string();
            ok(run(&[
                "sweep",
                &exp,
                "--quiet",
                "--shard",
                &format!("{i}/2"),
                "--out",
                &dir,
            ]));
            dir
        })
        .collect();
    let merged = tmp.path().join("merged");
    let merged_arg = merged.display().to_string();
    ok(run(&[
        "merge",
        &shards[0],
        &shards[1],
        "--format",
        "parquet",
        "--out",
        &merged_arg,
    ]));
    for f in parquet_files() {
        let a = fs::read(whole.join(&f)).unwrap();
        let b = fs::read(merged.join(&f)).unwrap();
        assert!(a == b, "{f} differs between the whole sweep and the merged shards");
    }
    // `parquet` alone keeps no CSV file, and the manifest lists what is there.
    for f in support::RESULT_FILES {
        assert!(!merged.join(f).exists(), "{f} left beside the Parquet files");
    }
    let m = manifest(&merged);
    assert_eq!(m["format"], "parquet");
    let mut listed: Vec<String> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().into())
        .collect();
    let mut present: Vec<String> = fs::read_dir(&merged)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    listed.sort();
    present.sort();
    assert_eq!(listed, present);
}

#[test]
fn a_format_that_cannot_serve_the_command_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("x").display().to_string();
    let golden = data("golden.toml");
    let o = run(&["run", &golden, "--quiet", "--format", "feather", "--out", &out]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("allowed: csv, parquet, both"), "{err}");
    let o = run(&[
        "run", &golden, "--quiet", "--format", "parquet", "--report", "--out", &out,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--format both"));
    let o = run(&[
        "sweep",
        &data("sweep_small.toml"),
        "--quiet",
        "--format",
        "both",
        "--shard",
        "0/2",
        "--out",
        &out,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!Path::new(&out).exists());
}
