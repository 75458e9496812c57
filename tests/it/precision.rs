//! Risk figures to a stated precision: the tidy `risk.csv` with its
//! intervals, and `--target-ci` on risk figures and relative widths.

use super::support;
use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::process::Output;

fn run(out: &Path, extra: &[&str]) -> Output {
    let golden = support::repo().join("tests/data/golden.toml");
    support::quiet("run", &golden, out).args(extra).output().unwrap()
}

/// risk.csv's rows as column → cell maps.
fn risk_rows(dir: &Path) -> Vec<HashMap<String, String>> {
    let mut rdr = csv::Reader::from_path(dir.join("risk.csv")).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    rdr.records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn num(cell: &str) -> Option<f64> {
    (!cell.is_empty()).then(|| cell.parse().unwrap())
}

#[test]
fn risk_csv_is_tidy_and_every_interval_is_in_range_and_holds_its_estimate() {
    let tmp = tempfile::tempdir().unwrap();
    // 8 replicas, 2 of which default (see the funding in the sweep below).
    let o = run(
        &tmp.path().join("r"),
        &["--replicas", "8", "--set", "buyer.initial_funding_usd=80e6"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = risk_rows(&tmp.path().join("r"));
    let header = fs::read_to_string(tmp.path().join("r/risk.csv")).unwrap();
    assert!(
        header
            .starts_with("point,figure,year,quantile,threshold,value,stderr,ci95_low,ci95_high,n,interval,reliable,estimator,effective_n\n")
    );
    for r in &rows {
        let figure = &r["figure"];
        assert!(
            !figure.chars().any(|c| c.is_ascii_digit()),
            "a parameter in the name {figure}"
        );
        let (value, lo, hi) = (num(&r["value"]).unwrap(), num(&r["ci95_low"]), num(&r["ci95_high"]));
        if let Some(lo) = lo {
            assert!(lo <= value + 1e-9 * value.abs(), "{figure}: {lo} > {value}");
        }
        if let Some(hi) = hi {
            assert!(hi >= value - 1e-9 * value.abs(), "{figure}: {hi} < {value}");
        }
        let interval = r["interval"].as_str();
        match interval {
            "wilson" => {
                let (lo, hi) = (lo.unwrap(), hi.unwrap());
                assert!(
                    (0.0..=1.0).contains(&lo) && (0.0..=1.0).contains(&hi),
                    "{figure}: {lo} {hi}"
                );
                assert_eq!(r["reliable"], "true");
            }
            "t" | "order_statistic" | "bootstrap" | "" => {}
            other => panic!("{figure}: unknown interval {other}"),
        }
        assert!(r["reliable"] == "true" || r["reliable"] == "false");
        let params = ["year", "quantile", "threshold"]
            .iter()
            .filter(|c| !r[**c].is_empty())
            .count();
        let expected = match figure.as_str() {
            "p_default_by_year" | "p_year_utilization_below" | "default_month" | "loss_given_default" => 1,
            f if f.starts_with("var_") || f.starts_with("cvar_") => 1,
            _ => 0,
        };
        assert_eq!(params, expected, "{figure}");
    }
    let p = rows
        .iter()
        .find(|r| r["figure"] == "p_default_by_year" && r["year"] == "1")
        .unwrap();
    assert_eq!(p["value"], "0.25");
    // 2 of 8: Wilson 0.0715 to 0.5907.
    assert!((num(&p["ci95_low"]).unwrap() - 0.0715).abs() < 1e-3, "{p:?}");
    assert!((num(&p["ci95_high"]).unwrap() - 0.5907).abs() < 1e-3, "{p:?}");
    // A VaR99 of 8 replicas is not reliable, and its upper bound is unknown.
    let var99 = rows
        .iter()
        .find(|r| r["figure"] == "var_loss_usd" && r["quantile"] == "0.99")
        .unwrap();
    assert_eq!((var99["reliable"].as_str(), var99["ci95_high"].as_str()), ("false", ""));
}

#[test]
fn target_ci_takes_risk_figures_and_relative_widths() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("t");
    // The buyer of the golden run defaults in year 1 in every replica: the
    // Wilson interval of k = n is [n / (n + 1.96²), 1], half-width 0.281 at
    // n = 3 and 0.195 at n = 6.
    let o = run(
        &out,
        &["--target-ci", "p_default_by_year_1=0.2", "--max-replicas", "30"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("precision target p_default_by_year_1") && err.contains(" reached"),
        "{err}"
    );
    let manifest: serde_json::Value = serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let target = &manifest["precision_target"];
    assert_eq!(target["metric"], "p_default_by_year_1");
    assert_eq!(target["reached"], true);
    // Batches of 3 (the scenario's replicas): 3, then 6.
    assert_eq!(target["replicas"], 6, "{target}");
    assert!(
        (target["worst_half_width"].as_f64().unwrap() - 0.1952).abs() < 1e-4,
        "{target}"
    );
    // A relative width on a mean.
    let out = tmp.path().join("rel");
    let o = run(
        &out,
        &["--target-ci", "expected_idle_cost_usd=20%", "--max-replicas", "60"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success() && err.contains("<= 20% of the estimate reached"),
        "{err}"
    );
    let manifest: serde_json::Value = serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["precision_target"]["target_relative_half_width"], 0.2);
    let rows = risk_rows(&out);
    let idle = rows.iter().find(|r| r["figure"] == "expected_idle_cost_usd").unwrap();
    let (v, lo, hi) = (
        num(&idle["value"]).unwrap(),
        num(&idle["ci95_low"]).unwrap(),
        num(&idle["ci95_high"]).unwrap(),
    );
    assert!((hi - lo) / 2.0 <= 0.2 * v, "{idle:?}");
}

#[test]
fn a_conditional_target_says_why_it_is_not_met() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(
        &tmp.path().join("c"),
        &[
            "--set",
            "buyer.initial_funding_usd=100e6",
            "--target-ci",
            "default_month=0.1",
            "--max-replicas",
            "6",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("NOT reached"), "{err}");
    assert!(
        err.contains("`default_month` has a value in only 0 of 6 replicas") && err.contains("p_default_by_year_5"),
        "{err}"
    );
    assert!(!err.contains("worst half-width inf"), "{err}");
}

#[test]
fn a_bad_target_names_what_is_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    for (arg, words) in [
        ("var97_loss_usd=1", "var95_loss_usd, var99_loss_usd"),
        ("cva_usd=1", "unknown metric or risk figure `cva_usd`"),
        ("expected_loss_usd=-5%", "a percentage such as 5%"),
        ("utilization", "expected METRIC=HALF_WIDTH"),
    ] {
        let o = run(&tmp.path().join("b"), &["--target-ci", arg]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{arg}: {err}");
        assert!(err.contains(words), "{arg}: {err}");
    }
}
