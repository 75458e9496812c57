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

/// Merges `parts` into a fresh folder; returns the output (the merge must
/// fail) after checking no results folder was left.
fn failed_merge(tmp: &Path, parts: &[PathBuf]) -> String {
    let out = tmp.join("merged-bad");
    let mut args: Vec<&str> = vec!["merge"];
    args.extend(parts.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--out", out.to_str().unwrap()]);
    let o = support::binary()
        .args(&args)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out.exists(), "no results folder after a failed merge");
    err
}

/// Edits `file` of a copy of `parts[1]`, returning the shard set with the
/// copy in its place.
fn with_edited(tmp: &Path, parts: &[PathBuf], file: &str, edit: impl Fn(String) -> String) -> Vec<PathBuf> {
    let copy = tmp.join(format!("edited-{}", file.replace('.', "-")));
    let _ = fs::remove_dir_all(&copy);
    fs::create_dir(&copy).unwrap();
    for entry in fs::read_dir(&parts[1]).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
    }
    let text = fs::read_to_string(copy.join(file)).unwrap();
    fs::write(copy.join(file), edit(text)).unwrap();
    vec![parts[0].clone(), copy, parts[2].clone()]
}

#[test]
fn merge_trusts_no_field_of_a_shard_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let parts = shards(tmp.path());
    // An edited plan no longer matches its hash.
    let edited = with_edited(tmp.path(), &parts, "shard.json", |t| {
        t.replacen("seed = 5", "seed = 6", 1)
    });
    assert!(failed_merge(tmp.path(), &edited).contains("does not hash to `plan_hash`"));
    // Impossible shard fields, named.
    for (from, to) in [("\"count\": 3", "\"count\": 0"), ("\"index\": 1", "\"index\": 7")] {
        let edited = with_edited(tmp.path(), &parts, "shard.json", |t| t.replacen(from, to, 1));
        let err = failed_merge(tmp.path(), &edited);
        assert!(err.contains("shard.json") && err.contains("`shard`"), "{to}: {err}");
    }
    // A duplicated line, a missing line, a foreign unit, a garbled line.
    let first_line = |t: &str| t.lines().next().unwrap().to_string();
    let doubled = with_edited(tmp.path(), &parts, "outcomes.jsonl", |t| {
        format!("{}\n{t}", first_line(&t))
    });
    assert!(failed_merge(tmp.path(), &doubled).contains("line 2 is point"));
    let truncated = with_edited(tmp.path(), &parts, "outcomes.jsonl", |t| {
        t.lines().skip(1).map(|l| format!("{l}\n")).collect()
    });
    assert!(failed_merge(tmp.path(), &truncated).contains("outcomes.jsonl"));
    let garbled = with_edited(tmp.path(), &parts, "outcomes.jsonl", |t| {
        t.replacen("\"series\":[{", "\"series\":[", 1)
    });
    assert!(failed_merge(tmp.path(), &garbled).contains("line 1"));
    let short = with_edited(tmp.path(), &parts, "outcomes.jsonl", |t| {
        let at = t.find("\"series\":[").unwrap() + "\"series\":[".len();
        let end = t[at..].find("},{").unwrap() + at + 2;
        format!("{}{}", &t[..at], &t[end..])
    });
    assert!(failed_merge(tmp.path(), &short).contains("the point's scenario gives"));
    // Four billion replicas, with every shard's hash and block made
    // consistent: a merge would hold a point's four billion outcomes; it is
    // refused before allocating.
    let huge: Vec<PathBuf> = parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let copy = tmp.path().join(format!("huge{i}"));
            fs::create_dir(&copy).unwrap();
            for entry in fs::read_dir(part).unwrap() {
                let entry = entry.unwrap();
                fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
            }
            let path = copy.join("shard.json");
            let mut meta: mortgage_sim::shard::ShardMeta =
                serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
            meta.plan.replicas = 4_000_000_000;
            meta.plan_hash = mortgage_sim::shard::plan_hash(&meta.plan);
            meta.units = meta.shard.units(4 * 4_000_000_000);
            fs::write(&path, serde_json::to_string(&meta).unwrap()).unwrap();
            copy
        })
        .collect();
    let err = failed_merge(tmp.path(), &huge);
    assert!(
        err.contains("--allow-huge") && err.contains("4000000000 replicas"),
        "{err}"
    );
}

#[test]
fn a_retried_shard_replaces_its_own_folder_with_force() {
    let tmp = tempfile::tempdir().unwrap();
    let parts = shards(tmp.path());
    let again = mortgage_sim(
        &[
            "sweep",
            &exp(),
            "--quiet",
            "--shard",
            "0/3",
            "--force",
            "--out",
            parts[0].to_str().unwrap(),
        ],
        &[],
    );
    ok(again);
    assert!(parts[0].join("shard.json").exists());
}

#[test]
fn shards_never_outnumber_work_units() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s");
    let o = mortgage_sim(
        &[
            "sweep",
            &exp(),
            "--quiet",
            "--shard",
            "0/4294967295",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("at most one shard per unit"));
    assert!(!out.exists());
}

/// The peak memory in kB that `--stats` reports on stderr.
#[cfg(target_os = "linux")]
fn peak_memory_kb(stderr: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("peak memory"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no peak memory line in --stats: {stderr}"))
}

#[cfg(target_os = "linux")]
#[test]
fn a_shard_of_a_huge_grid_holds_only_its_own_points() {
    // A 10^5-point grid (1,000 × 100 values) over the small golden scenario,
    // sharded 1,000 ways: one shard touches ~100 points and must run in
    // under 100 MB (the grid used to cost ~380 kB per point in every shard:
    // 38 GB here). Peak memory is the process's VmHWM, printed by --stats.
    let tmp = tempfile::tempdir().unwrap();
    let golden = support::repo().join("tests/data/golden.toml");
    let drift: Vec<String> = (0..1000).map(|i| format!("{}", 0.1 + i as f64 * 1e-4)).collect();
    let noise: Vec<String> = (0..100).map(|i| format!("{}", i as f64 * 1e-3)).collect();
    let file = tmp.path().join("huge_grid.toml");
    fs::write(
        &file,
        format!(
            "name = \"huge_grid\"\nbase = {:?}\nreplicas = 2\n[grid]\n\"inference.growth.drift_per_year\" = [{}]\n\
             \"inference.noise_sigma\" = [{}]\n",
            golden.display().to_string(),
            drift.join(", "),
            noise.join(", ")
        ),
    )
    .unwrap();
    let out = tmp.path().join("shard");
    let o = mortgage_sim(
        &[
            "sweep",
            file.to_str().unwrap(),
            "--quiet",
            "--stats",
            "--shard",
            "7/1000",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let kb = peak_memory_kb(&err);
    assert!(kb < 100_000, "shard 7/1000 peaked at {kb} kB");
    let lines = fs::read_to_string(out.join("outcomes.jsonl")).unwrap().lines().count();
    assert_eq!(lines, 200, "the shard's block: 2 × 10^5 / 1000 units");
}

#[cfg(target_os = "linux")]
#[test]
fn a_merge_streams_and_holds_one_point_at_a_time() {
    // 2,000 points in two shards: the merge reads them line by line and
    // keeps one point's replicas (and its pooled waits, ~380 kB) in hand,
    // so its peak memory does not grow with the grid (all 2,000 points'
    // waits alone would be ~760 MB).
    let tmp = tempfile::tempdir().unwrap();
    let golden = support::repo().join("tests/data/golden.toml");
    let drift: Vec<String> = (0..2000).map(|i| format!("{}", 0.1 + i as f64 * 1e-4)).collect();
    let file = tmp.path().join("wide.toml");
    fs::write(
        &file,
        format!(
            "name = \"wide\"\nbase = {:?}\nreplicas = 1\n[grid]\n\"inference.growth.drift_per_year\" = [{}]\n",
            golden.display().to_string(),
            drift.join(", ")
        ),
    )
    .unwrap();
    let parts: Vec<PathBuf> = (0..2)
        .map(|i| {
            let dir = tmp.path().join(format!("part{i}"));
            let spec = format!("{i}/2");
            ok(mortgage_sim(
                &[
                    "sweep",
                    file.to_str().unwrap(),
                    "--quiet",
                    "--shard",
                    &spec,
                    "--out",
                    dir.to_str().unwrap(),
                ],
                &[],
            ));
            dir
        })
        .collect();
    let out = tmp.path().join("merged");
    let o = mortgage_sim(
        &[
            "merge",
            parts[0].to_str().unwrap(),
            parts[1].to_str().unwrap(),
            "--stats",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let kb = peak_memory_kb(&err);
    assert!(kb < 50_000, "the merge peaked at {kb} kB");
    let rows = fs::read_to_string(out.join("replicas.csv")).unwrap().lines().count();
    assert_eq!(rows, 2001);
}
