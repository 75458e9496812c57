//! The "why replicas default" section: its counts of events before a
//! default agree with `events.csv` and `replicas.csv` counted here
//! independently; restructurings and their outcomes are listed; a folder
//! without defaults or without `events.csv` says so instead.

use super::{html, ok, report, run_golden};
use crate::support;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The section's HTML, from its heading to the next section.
fn section(dir: &Path) -> String {
    let page = html(dir);
    let start = page.find("Why replicas default").expect("the section is on the page");
    let rest = &page[start..];
    let end = rest.find("<h2").unwrap_or(rest.len());
    rest[..end].to_string()
}

/// Default month of each replica of point 0 that defaulted, read from
/// replicas.csv.
fn defaults(dir: &Path) -> BTreeMap<String, f64> {
    let mut rdr = csv::Reader::from_path(dir.join("replicas.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (r, d) = (col("replica"), col("default_month"));
    rdr.records()
        .map(Result::unwrap)
        .filter_map(|row| row[d].parse::<f64>().ok().map(|m| (row[r].to_string(), m)))
        .collect()
}

/// Replicas that had an event of `kind` at or before their default month.
fn replicas_with_before_default(dir: &Path, kind: &str) -> BTreeSet<String> {
    let defaults = defaults(dir);
    let mut rdr = csv::Reader::from_path(dir.join("events.csv")).unwrap();
    rdr.records()
        .map(Result::unwrap)
        .filter(|row| &row[3] == kind)
        .filter(|row| {
            defaults
                .get(&row[1])
                .is_some_and(|d| row[2].parse::<f64>().unwrap() <= *d)
        })
        .map(|row| row[1].to_string())
        .collect()
}

#[test]
fn the_golden_run_counts_events_before_each_default() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("golden");
    run_golden(&out, &[]);
    let n = defaults(&out).len();
    assert!(n > 0, "the golden run has defaults");
    let s = section(&out);
    assert!(s.contains(&format!("{n} of 3 replicas defaulted")), "{s}");
    let completed = replicas_with_before_default(&out, "training_run_completed").len();
    assert!(completed > 0, "golden replicas complete runs before defaulting");
    assert!(
        s.contains(&format!(
            "<code>training_run_completed</code></td><td class=\"num\">{completed} of {n} ("
        )),
        "{s}"
    );
    assert!(
        s.contains("<code>failed_round</code></td><td class=\"num\">0 of"),
        "{s}"
    );
}

#[test]
fn the_calibrated_buyer_shows_rounds_and_restructurings() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cal");
    let config = support::repo().join("configs/calibrated.toml");
    ok(support::quiet("run", &config, &out)
        .args(["--report", "--replicas", "8"])
        .output()
        .unwrap());
    let d = defaults(&out);
    let s = section(&out);
    assert!(s.contains(&format!("{} of 8 replicas defaulted", d.len())), "{s}");
    for kind in ["failed_round", "cost_cut", "restructuring", "funding_round"] {
        let k = replicas_with_before_default(&out, kind).len();
        assert!(
            s.contains(&format!(
                "<code>{kind}</code></td><td class=\"num\">{k} of {} (",
                d.len()
            )),
            "{kind}: {k}\n{s}"
        );
    }
    // The restructuring outcomes, counted from replicas.csv.
    let mut rdr = csv::Reader::from_path(out.join("replicas.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let (kc, dc) = (
        h.iter().position(|x| x == "restructure_kind").unwrap(),
        h.iter().position(|x| x == "default_month").unwrap(),
    );
    let mut by_kind: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for row in rdr.records().map(Result::unwrap) {
        if !row[kc].is_empty() {
            let e = by_kind.entry(row[kc].to_string()).or_default();
            e.0 += 1;
            e.1 += usize::from(!row[dc].is_empty());
        }
    }
    assert!(
        !by_kind.is_empty(),
        "the calibrated buyer restructures in 8 replicas (seed fixed)"
    );
    for (kind, (n, defaulted)) in by_kind {
        assert!(
            s.contains(&format!("<code>{kind}</code> (replicas"))
                && s.contains(&format!("{n} of 8 ("))
                && s.contains(&format!("{defaulted} of {n} (")),
            "{kind}: {n} restructured, {defaulted} defaulted\n{s}"
        );
    }
}

#[test]
fn no_default_and_no_events_file_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rich");
    run_golden(&out, &["--set", "buyer.initial_funding_usd=1e18"]);
    let s = section(&out);
    assert!(s.contains("No replica defaulted at point 0 (0 of 3)"), "{s}");
    assert!(s.contains("no replica restructured"), "{s}");

    fs::remove_file(out.join("events.csv")).unwrap();
    ok(report(&out, &[]));
    let s = section(&out);
    assert!(s.contains("has no <code>events.csv</code>"), "{s}");
    assert!(!s.contains("<table"), "a placeholder, not an empty table: {s}");
}
