//! `sweep --point N`: a grid point as a complete scenario file that `run`
//! accepts and that reproduces the point's replicas row for row.

use super::support;
use std::fs;

fn run(args: &[&str]) -> std::process::Output {
    support::binary().args(args).output().expect("the binary runs")
}

fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The rows of `replicas.csv` of `point`, without the point column.
fn replica_rows(dir: &std::path::Path, point: &str) -> Vec<String> {
    fs::read_to_string(dir.join("replicas.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| {
            l.split_once(',')
                .filter(|(p, _)| *p == point)
                .map(|(_, rest)| rest.to_string())
        })
        .collect()
}

#[test]
fn a_point_file_reruns_that_point_of_the_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = support::repo()
        .join("tests/data/sweep_small.toml")
        .display()
        .to_string();
    let whole = tmp.path().join("whole");
    ok(&run(&["sweep", &exp, "--quiet", "--out", whole.to_str().unwrap()]));
    for point in ["1", "2"] {
        let o = run(&["sweep", &exp, "--point", point]);
        ok(&o);
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(
            text.contains(&format!("name = \"sweep_small.point-{point}\"")),
            "{text}"
        );
        let file = tmp.path().join(format!("point-{point}.toml"));
        fs::write(&file, &text).unwrap();
        let out = tmp.path().join(format!("rerun-{point}"));
        ok(&run(&[
            "run",
            file.to_str().unwrap(),
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]));
        let want = replica_rows(&whole, point);
        assert_eq!(want.len(), 3, "the sweep has 3 replicas per point");
        assert_eq!(replica_rows(&out, "0"), want, "point {point}");
    }
    // Points differ (the test is not comparing a point with itself).
    assert_ne!(replica_rows(&whole, "1"), replica_rows(&whole, "2"));
    let o = run(&["sweep", &exp, "--point", "4"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("has points 0 to 3"));
}
