//! The buyer as a business in the full model: its events reach
//! `events.csv`, completed training runs lift demand and revenue, and the
//! default probability moves the right way with funding, demand drift and
//! volatility (under common random numbers).

use mortgage_sim::config::{self, Scenario};
use mortgage_sim::metrics::{EventKind, ReplicaOutcome};
use mortgage_sim::montecarlo::{Silent, run_point};
use std::fs;

/// The golden scenario over three years with a buyer that defaults in
/// about one replica in six (revenue $3 a served chip-hour, $30M of
/// funding, no commercial failure), and `overrides`.
fn business(overrides: &[&str]) -> Scenario {
    let path = super::support::repo().join("tests/data/golden.toml");
    let mut all: Vec<String> = [
        "contract.term_years=3",
        "buyer.initial_funding_usd=30e6",
        "buyer.revenue_per_served_chip_hour_usd=3",
        "inference.growth.commercial_failure_probability=0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    all.extend(overrides.iter().map(|s| s.to_string()));
    config::load_file(&path, &all).expect("valid scenario")
}

fn outcomes(s: &Scenario, replicas: u32) -> Vec<ReplicaOutcome> {
    run_point(s, replicas, &Silent)
}

fn defaults(o: &[ReplicaOutcome]) -> usize {
    o.iter().filter(|x| x.row.default_month.is_some()).count()
}

#[test]
fn a_completed_training_run_lifts_demand_and_revenue() {
    let flat = outcomes(&business(&[]), 8);
    let lifted = outcomes(&business(&["inference.growth.completed_run_jump=0.5"]), 8);
    for (a, b) in flat.iter().zip(&lifted) {
        let completions = |o: &ReplicaOutcome| {
            o.events
                .iter()
                .filter(|e| e.kind == EventKind::TrainingRunCompleted)
                .count()
        };
        assert_eq!(completions(a), a.row.training_runs_completed as usize);
        if b.row.training_runs_completed == 0 {
            continue;
        }
        assert!(b.row.inference_demand_chip_hours > 1.2 * a.row.inference_demand_chip_hours);
        assert!(b.row.revenue_usd > a.row.revenue_usd);
        let first = b
            .events
            .iter()
            .find(|e| e.kind == EventKind::TrainingRunCompleted)
            .unwrap();
        assert!(first.detail.ends_with("demand x1.500"), "{}", first.detail);
    }
}

#[test]
fn more_funding_never_brings_a_default_earlier() {
    // No rule draws at random, so this holds replica by replica.
    let (poor, rich) = (
        outcomes(&business(&[]), 100),
        outcomes(&business(&["buyer.initial_funding_usd=40e6"]), 100),
    );
    assert!(defaults(&poor) > 5, "the test needs defaults to compare");
    for (p, r) in poor.iter().zip(&rich) {
        let month = |o: &ReplicaOutcome| o.row.default_month.unwrap_or(u32::MAX);
        assert!(month(r) >= month(p), "replica {}", p.row.replica);
    }
    assert!(defaults(&rich) < defaults(&poor));
}

/// Defaults of `worse` minus defaults of `better` over paired replicas,
/// and the standard error of that difference.
fn paired_difference(worse: &[ReplicaOutcome], better: &[ReplicaOutcome]) -> (f64, f64) {
    let d: Vec<f64> = worse
        .iter()
        .zip(better)
        .map(|(w, b)| w.row.default_month.is_some() as u8 as f64 - b.row.default_month.is_some() as u8 as f64)
        .collect();
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[test]
fn higher_drift_and_lower_volatility_do_not_raise_the_default_probability() {
    // Under common random numbers the paired difference is precise; "do not
    // raise" is checked one-sided at 2 standard errors of it, and the
    // expected direction must show.
    let base = outcomes(&business(&[]), 150);
    let faster = outcomes(&business(&["inference.growth.drift_per_year=0.8"]), 150);
    let (more, se) = paired_difference(&base, &faster);
    eprintln!(
        "P(default) base {}/150; drift 0.8 lowers it by {more:.3} ± {se:.3}",
        defaults(&base)
    );
    assert!(more > 2.0 * se, "drift 0.5 -> 0.8 lowered P(default) by {more} ± {se}");
    let calmer = outcomes(&business(&["inference.growth.volatility_per_sqrt_year=0.2"]), 150);
    let (more, se) = paired_difference(&base, &calmer);
    eprintln!("volatility 0.2 lowers it by {more:.3} ± {se:.3}");
    assert!(
        more > -2.0 * se,
        "volatility 0.4 -> 0.2 raised P(default) by {} ± {se}",
        -more
    );
    assert!(
        more > 0.0,
        "volatility 0.4 -> 0.2 should lower P(default) here: {more} ± {se}"
    );
}

#[test]
fn the_buyers_story_is_written_to_events_csv() {
    let dir = tempfile_dir("events");
    let out = dir.join("run");
    let status = super::support::binary()
        .args(["run", "tests/data/golden.toml", "--quiet", "--out"])
        .arg(&out)
        .args([
            "--set",
            "buyer.funding_rounds=[{ month = 2, amount_usd = 1e6 }]",
            "--set",
            "buyer.restructuring={ kind = \"deferral\", deferral_months = 2 }",
        ])
        .current_dir(super::support::repo())
        .status()
        .unwrap();
    assert!(status.success());
    let text = fs::read_to_string(out.join("events.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("point,replica,month,kind,amount_usd,detail"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.splitn(6, ',').collect()).collect();
    for replica in ["0", "1", "2"] {
        let kinds: Vec<&str> = rows.iter().filter(|r| r[1] == replica).map(|r| r[3]).collect();
        assert!(kinds.contains(&"funding_round"), "{kinds:?}");
        assert!(kinds.contains(&"restructuring"), "{kinds:?}");
        assert!(kinds.contains(&"training_run_completed"), "{kinds:?}");
        let months: Vec<f64> = rows
            .iter()
            .filter(|r| r[1] == replica)
            .map(|r| r[2].parse().unwrap())
            .collect();
        assert!(months.windows(2).all(|w| w[0] <= w[1]), "time order: {months:?}");
    }
    let replicas = fs::read_to_string(out.join("replicas.csv")).unwrap();
    let header: Vec<&str> = replicas.lines().next().unwrap().split(',').collect();
    let kind = header.iter().position(|h| *h == "restructure_kind").unwrap();
    for line in replicas.lines().skip(1) {
        assert_eq!(line.split(',').nth(kind), Some("deferral"));
    }
    fs::remove_dir_all(dir).unwrap();
}

fn tempfile_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mortgage-sim-it-{name}-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    dir
}
