//! Sensitivity studies and reverse stress tests through the binary, on
//! cases whose answers are known in closed form: delivered chip-hours are
//! linear in the tranche sizes when nothing is late (so Sobol's indices are
//! a_i² Var(x_i) / Σ a_j² Var(x_j), Morris's effects are a_i × range, and
//! a tornado's swing is a_i × range), and with no revenue, no costs, no
//! credit and flat payments the buyer defaults within the term exactly
//! when its funding is below the commitment.

use super::support;
use std::fs;
use std::path::Path;

/// The golden scenario with nothing late and one-chip failure units, so
/// any whole number of chips is a valid tranche: tranche 0 (old chips)
/// serves its 0.75-year life, tranche 1 the term's last 8 months. Delivered
/// chip-hours = c0 × 0.75 y + c1 × (8/12) y.
fn linear_base(dir: &Path) {
    let text = fs::read_to_string(support::repo().join("tests/data/golden.toml"))
        .unwrap()
        .replace("failure_unit_chips = 16", "failure_unit_chips = 1")
        .replace(
            "delivery_delay_months = { dist = \"exp\", mean = 0.5 }",
            "delivery_delay_months = { dist = \"fixed\", value = 0 }",
        )
        .replace(
            "delivery_delay_months = { dist = \"gamma\", shape = 2, scale = 1 }",
            "delivery_delay_months = { dist = \"fixed\", value = 0 }",
        );
    assert!(
        text.matches("\"fixed\", value = 0").count() == 2,
        "golden.toml changed shape"
    );
    fs::write(dir.join("base.toml"), text).unwrap();
}

const INPUTS: &str = r#"
[[inputs]]
key = "cluster.tranches.0.chips"
low = 5000
high = 15000
[[inputs]]
key = "cluster.tranches.1.chips"
low = 2000
high = 6000
[[inputs]]
key = "inference.growth.drift_per_year"
low = 0.0
high = 1.0
"#;

/// A line of sensitivity.csv.
struct Row {
    input: String,
    statistic: String,
    value: f64,
    lo: Option<f64>,
    hi: Option<f64>,
}

/// Runs `sensitivity` on a study written into `dir` and returns
/// sensitivity.csv's lines.
fn study(dir: &Path, head: &str) -> Vec<Row> {
    fs::write(dir.join("s.toml"), format!("{head}{INPUTS}")).unwrap();
    let out = dir.join("out");
    let o = support::binary()
        .args(["sensitivity", "s.toml", "--quiet", "--force", "--out"])
        .arg(&out)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut reader = csv::Reader::from_path(out.join("sensitivity.csv")).unwrap();
    let number = |s: &str| s.parse::<f64>().ok();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            Row {
                input: r[2].to_string(),
                statistic: r[3].to_string(),
                value: number(&r[4]).unwrap(),
                lo: number(&r[5]),
                hi: number(&r[6]),
            }
        })
        .collect()
}

fn find<'a>(rows: &'a [Row], input: &str, statistic: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.input == input && r.statistic == statistic)
        .unwrap_or_else(|| panic!("no {statistic} of {input}"))
}

/// Coefficients of delivered chip-hours per chip of each tranche, in units
/// of a year (only their ratio matters to the indices).
const A: [f64; 2] = [0.75, 8.0 / 12.0];
const RANGE: [f64; 2] = [10000.0, 4000.0];

#[test]
fn sobol_indices_of_delivered_chip_hours_match_the_linear_closed_form() {
    let tmp = tempfile::tempdir().unwrap();
    linear_base(tmp.path());
    let rows = study(
        tmp.path(),
        "name = \"s\"\nbase = \"base.toml\"\nreplicas = 1\nmethod = \"sobol\"\nsamples = 256\nseed = 3\n\
         metrics = [\"delivered_chip_hours\"]\n",
    );
    // Var(a_i x_i) = a_i² range_i² / 12 for a uniform x_i.
    let var: Vec<f64> = A.iter().zip(RANGE).map(|(a, r)| (a * r).powi(2)).collect();
    let total: f64 = var.iter().sum();
    let keys = ["cluster.tranches.0.chips", "cluster.tranches.1.chips"];
    for (i, key) in keys.iter().enumerate() {
        let truth = var[i] / total;
        for statistic in ["first_order", "total"] {
            let row = find(&rows, key, statistic);
            let (value, lo, hi) = (row.value, row.lo.unwrap(), row.hi.unwrap());
            // Within 4 bootstrap standard errors of the closed form.
            let se = (hi - lo) / (2.0 * 1.959_964);
            assert!(
                (value - truth).abs() <= 4.0 * se,
                "{key} {statistic}: estimate {value:.4} vs closed form {truth:.4}, bootstrap se {se:.4}"
            );
            assert!(
                hi - lo < 0.3,
                "{key} {statistic}: interval [{lo}, {hi}] too wide to test anything"
            );
        }
    }
    // The demand drift does not touch delivered chip-hours: its total index
    // is 0 (to rounding: its evaluations give identical values).
    let drift = find(&rows, "inference.growth.drift_per_year", "total");
    let hi = drift.hi.unwrap();
    assert!(
        drift.value.abs() < 1e-9 && hi.abs() < 1e-9,
        "drift: S_T {}, hi {hi}",
        drift.value
    );
}

#[test]
fn morris_and_tornado_recover_the_linear_coefficients() {
    let tmp = tempfile::tempdir().unwrap();
    linear_base(tmp.path());
    let head = "name = \"s\"\nbase = \"base.toml\"\nreplicas = 2\nseed = 3\nmetrics = [\"delivered_chip_hours\"]\n";
    let morris = study(tmp.path(), &format!("{head}method = \"morris\"\ntrajectories = 6\n"));
    let tornado = study(tmp.path(), &format!("{head}method = \"tornado\"\n"));
    let keys = ["cluster.tranches.0.chips", "cluster.tranches.1.chips"];
    // One year in hours, from tranche 0's chip-hours per chip per year.
    let swing0 = find(&tornado, keys[0], "swing").value;
    let year = swing0 / (A[0] * RANGE[0]);
    for (i, key) in keys.iter().enumerate() {
        let expected = A[i] * RANGE[i] * year;
        // Morris: every elementary effect is a_i × range (chips are rounded
        // to whole numbers, a relative error below 1e-3), so μ* = |μ| and σ ≈ 0.
        let mu_star = find(&morris, key, "mu_star").value;
        assert!(
            (mu_star / expected - 1.0).abs() < 1e-3,
            "{key}: μ* {mu_star} vs {expected}"
        );
        // Tornado: the swing is high − low, the same in both replicas.
        let row = find(&tornado, key, "swing");
        let (lo, hi) = (
            find(&tornado, key, "low_value").value,
            find(&tornado, key, "high_value").value,
        );
        assert!(
            (row.value - (hi - lo)).abs() <= 1e-9 * row.value.abs(),
            "{key}: swing {} vs {}",
            row.value,
            hi - lo
        );
        assert!(
            (row.value / expected - 1.0).abs() < 1e-9,
            "{key}: swing {} vs {expected}",
            row.value
        );
    }
    // The year so measured is the model's (365.25 days), to rounding.
    assert!((year / 8766.0 - 1.0).abs() < 1e-6, "year = {year} h");
    // Ranking: tranche 0 first, the drift last with no effect at all.
    let order: Vec<&str> = morris
        .iter()
        .filter(|r| r.statistic == "mu_star")
        .map(|r| r.input.as_str())
        .collect();
    assert_eq!(order, [keys[0], keys[1], "inference.growth.drift_per_year"]);
    assert_eq!(find(&morris, "inference.growth.drift_per_year", "mu_star").value, 0.0);
}

#[test]
fn a_reverse_stress_test_finds_the_funding_at_which_the_buyer_survives_the_term() {
    // No revenue, no costs, no credit, flat payments of the commitment
    // ($200M over the one-year term): the buyer pays every installment iff
    // its funding F ≥ $200M, so P(default by year 1) ≤ 0.5 exactly above it.
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(support::repo().join("tests/data/golden.toml"))
        .unwrap()
        .replace(
            "payment_schedule = \"planned_capacity\"",
            "payment_schedule = \"flat_monthly\"",
        )
        .replace("price_escalation_per_year = 0.1", "price_escalation_per_year = 0.0")
        .replace("undelivered_capacity = \"waived\"", "undelivered_capacity = \"owed\"")
        .replace(
            "revenue_per_served_chip_hour_usd = 4.0",
            "revenue_per_served_chip_hour_usd = 0.0",
        )
        .replace("other_costs_per_month_usd = 2e6", "other_costs_per_month_usd = 0.0")
        .replace("credit_line_usd = 10e6", "credit_line_usd = 0.0");
    fs::write(tmp.path().join("base.toml"), text).unwrap();
    fs::write(
        tmp.path().join("st.toml"),
        "name = \"st\"\nbase = \"base.toml\"\nreplicas = 2\n[input]\nkey = \"buyer.initial_funding_usd\"\n\
         low = 50e6\nhigh = 400e6\n[target]\nmetric = \"p_default_by_year_1\"\nat_most = 0.5\ntolerance = 1e5\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = support::binary()
        .args(["stress", "st.toml", "--quiet", "--out"])
        .arg(&out)
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let (meets, misses) = (
        manifest["meets_at"].as_f64().unwrap(),
        manifest["misses_at"].as_f64().unwrap(),
    );
    assert!(
        misses < 200e6 && 200e6 <= meets && meets - misses <= 1e5,
        "boundary bracket [{misses}, {meets}] should hold $200M"
    );
    let csv = fs::read_to_string(out.join("stress.csv")).unwrap();
    assert!(csv.lines().count() > 10, "bisection steps recorded:\n{csv}");
    // A target crossed nowhere in the range is bad input, said plainly.
    fs::write(
        tmp.path().join("none.toml"),
        "name = \"none\"\nbase = \"base.toml\"\nreplicas = 1\n[input]\nkey = \"buyer.initial_funding_usd\"\n\
         low = 300e6\nhigh = 400e6\n[target]\nmetric = \"p_default_by_year_1\"\nat_most = 0.5\ntolerance = 1e5\n",
    )
    .unwrap();
    let o = support::binary()
        .args(["stress", "none.toml", "--quiet", "--out"])
        .arg(tmp.path().join("none"))
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("none.toml") && err.contains("met at both ends"), "{err}");
    assert!(!tmp.path().join("none").exists());
}

#[test]
fn a_study_runs_in_shards_and_the_merged_analysis_is_identical() {
    let tmp = tempfile::tempdir().unwrap();
    linear_base(tmp.path());
    let head = "name = \"s\"\nbase = \"base.toml\"\nreplicas = 2\nseed = 5\nmethod = \"morris\"\ntrajectories = 3\n\
                metrics = [\"utilization\", \"p_default_by_year_1\"]\n";
    study(tmp.path(), head);
    let run = |args: &[&str]| {
        let o = support::binary().args(args).current_dir(tmp.path()).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    for i in 0..2 {
        let shard = format!("{i}/2");
        let out = format!("shard{i}");
        run(&["sensitivity", "s.toml", "--quiet", "--shard", &shard, "--out", &out]);
    }
    run(&["merge", "shard0", "shard1", "--out", "merged"]);
    run(&["sensitivity", "s.toml", "--analyse", "merged"]);
    for f in ["sensitivity.csv", "design.csv", "evaluations.csv", "replicas.csv"] {
        let a = fs::read(tmp.path().join("out").join(f)).unwrap();
        let b = fs::read(tmp.path().join("merged").join(f)).unwrap();
        assert!(a == b, "{f} differs between the direct and the sharded run");
    }
    // The analysis refuses a folder of another design.
    fs::write(
        tmp.path().join("other.toml"),
        format!("{}{INPUTS}", head.replace("seed = 5", "seed = 6")),
    )
    .unwrap();
    let o = support::binary()
        .args(["sensitivity", "other.toml", "--analyse", "merged"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("points.csv"));
}

#[test]
fn sensitivity_with_report_draws_the_study_it_just_analysed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s");
    let study = support::repo().join("tests/data/study_small.toml");
    let o = support::binary()
        .args(["sensitivity", study.to_str().unwrap(), "--quiet", "--report", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("sensitivity.csv").is_file());
    let chart = fs::read_to_string(out.join("charts/sensitivity.svg")).expect("the report drew the study");
    assert!(
        chart.contains("buyer.initial_funding_usd") || chart.contains("initial funding"),
        "{chart}"
    );
}

/// The rows of `file` as (header → cell) maps.
fn table(file: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(file).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            headers
                .iter()
                .map(String::from)
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn with_fidelity_multi_a_tornado_reads_the_multi_fidelity_estimates_of_risk_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let base = support::repo().join("tests/data/reduced.toml");
    let text = format!(
        "name = \"mf\"\nbase = {:?}\nreplicas = 16\nmethod = \"tornado\"\n\
         metrics = [\"p_default_by_year_5\", \"utilization\"]\n\
         [[inputs]]\nkey = \"inference.growth.drift_per_year\"\nlow = 0.2\nhigh = 0.6\n",
        base.to_str().unwrap()
    );
    fs::write(tmp.path().join("s.toml"), text).unwrap();
    let out = tmp.path().join("out");
    let o = support::binary()
        .args(["sensitivity", "s.toml", "--fidelity", "multi", "--quiet", "--out"])
        .arg(&out)
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Which design point is the base, the low and the high end.
    let design = table(&out.join("design.csv"));
    let point_of = |role: &str| design.iter().find(|r| r["role"] == role).unwrap()["point"].clone();
    let risk = table(&out.join("risk.csv"));
    let estimate = |point: &str| {
        risk.iter()
            .find(|r| r["point"] == point && r["figure"] == "p_default_by_year" && r["year"] == "5")
            .unwrap()
            .clone()
    };
    let ends: Vec<_> = ["base", "low", "high"].iter().map(|r| estimate(&point_of(r))).collect();
    assert!(
        ends.iter().any(|e| e["estimator"] == "multi_fidelity"),
        "no multi-fidelity estimate to test: {ends:?}"
    );
    let rows = table(&out.join("sensitivity.csv"));
    let stat = |metric: &str, statistic: &str| {
        rows.iter()
            .find(|r| r["metric"] == metric && r["statistic"] == statistic)
            .unwrap_or_else(|| panic!("no {statistic} of {metric}"))
            .clone()
    };
    let number = |s: &str| s.parse::<f64>().unwrap();
    // The study's levels are risk.csv's estimates, interval and all ...
    for (statistic, e) in ["base_value", "low_value", "high_value"].iter().zip(&ends) {
        let row = stat("p_default_by_year_5", statistic);
        for (a, b) in [("value", "value"), ("ci95_low", "ci95_low"), ("ci95_high", "ci95_high")] {
            assert_eq!(number(&row[a]), number(&e[b]), "{statistic} {a}");
        }
    }
    // ... and the swing their difference.
    let swing = number(&stat("p_default_by_year_5", "swing")["value"]);
    assert!((swing - (number(&ends[2]["value"]) - number(&ends[1]["value"]))).abs() < 1e-12);
    // A metric risk.csv does not estimate stays the plain mean of the replicas.
    let replicas = table(&out.join("replicas.csv"));
    let base_point = point_of("base");
    let utilization: Vec<f64> = replicas
        .iter()
        .filter(|r| r["point"] == base_point)
        .map(|r| number(&r["utilization"]))
        .collect();
    let mean = utilization.iter().sum::<f64>() / utilization.len() as f64;
    let base_value = number(&stat("utilization", "base_value")["value"]);
    assert!(
        (base_value - mean).abs() <= 1e-12 * mean.abs(),
        "{base_value} vs {mean}"
    );
}
