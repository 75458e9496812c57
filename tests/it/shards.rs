//! Sharded sweeps merged exactly: a sweep run whole and as three shards
//! merged gives byte-identical files; a missing or doubled shard is named.

use super::support;
use std::fs;
use std::path::{Path, PathBuf};

fn mortgage_sim(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = support::binary();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

fn ok(o: std::process::Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn exp() -> String {
    support::repo()
        .join("tests/data/sweep_small.toml")
        .display()
        .to_string()
}

fn shards(tmp: &Path) -> Vec<PathBuf> {
    (0..3)
        .map(|i| {
            let dir = tmp.join(format!("shard{i}"));
            // Shard 1 takes its index from the Slurm environment.
            let o = if i == 1 {
                mortgage_sim(
                    &[
                        "sweep",
                        &exp(),
                        "--quiet",
                        "--shard-count",
                        "3",
                        "--out",
                        dir.to_str().unwrap(),
                    ],
                    &[("SLURM_ARRAY_TASK_ID", "1")],
                )
            } else {
                let spec = format!("{i}/3");
                mortgage_sim(
                    &[
                        "sweep",
                        &exp(),
                        "--quiet",
                        "--shard",
                        &spec,
                        "--out",
                        dir.to_str().unwrap(),
                    ],
                    &[],
                )
            };
            ok(o);
            dir
        })
        .collect()
}

#[test]
fn three_shards_merged_equal_the_whole_sweep_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    ok(mortgage_sim(
        &["sweep", &exp(), "--quiet", "--out", whole.to_str().unwrap()],
        &[],
    ));
    let parts = shards(tmp.path());
    let merged = tmp.path().join("merged");
    let mut args: Vec<&str> = vec!["merge"];
    args.extend(parts.iter().rev().map(|p| p.to_str().unwrap()));
    args.extend(["--out", merged.to_str().unwrap()]);
    ok(mortgage_sim(&args, &[]));
    for f in support::RESULT_FILES {
        let a = fs::read(whole.join(f)).unwrap();
        let b = fs::read(merged.join(f)).unwrap();
        assert!(a == b, "{f} differs between the whole sweep and the merged shards");
    }
}

#[test]
fn a_missing_or_doubled_shard_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let parts = shards(tmp.path());
    let out = tmp.path().join("m");
    let (s0, s1, s2) = (
        parts[0].to_str().unwrap(),
        parts[1].to_str().unwrap(),
        parts[2].to_str().unwrap(),
    );
    let o = mortgage_sim(&["merge", s0, s2, "--out", out.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("missing shard(s): 1/3"), "{err}");
    let o = mortgage_sim(&["merge", s0, s1, s1, s2, "--out", out.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("shard 1/3 given twice"), "{err}");
    assert!(!out.exists(), "no results folder after a failed merge");
    // A shard of another experiment (different replicas) does not merge.
    let other = tmp.path().join("other");
    ok(mortgage_sim(
        &[
            "sweep",
            &exp(),
            "--quiet",
            "--replicas",
            "2",
            "--shard",
            "1/3",
            "--out",
            other.to_str().unwrap(),
        ],
        &[],
    ));
    let o = mortgage_sim(
        &["merge", s0, other.to_str().unwrap(), s2, "--out", out.to_str().unwrap()],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("from another experiment"));
}

#[test]
fn a_shard_in_an_older_format_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let parts = shards(tmp.path());
    let meta_path = parts[1].join("shard.json");
    let mut meta: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&meta_path).unwrap()).unwrap();
    meta["format"] = 1.into();
    std::fs::write(&meta_path, meta.to_string()).unwrap();
    let out = tmp.path().join("m");
    let args: Vec<&str> = parts.iter().map(|p| p.to_str().unwrap()).collect();
    let o = mortgage_sim(
        &[&["merge"], &args[..], &["--out", out.to_str().unwrap()]].concat(),
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("shard.json") && err.contains("shard format 1"), "{err}");
    assert!(!out.exists(), "no results folder after a failed merge");
}
