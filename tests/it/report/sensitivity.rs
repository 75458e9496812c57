//! The sensitivity section of a `mortgage-sim sensitivity` folder: a tornado,
//! Sobol or Morris panel per metric whose marks carry every input's values,
//! inputs ranked by the method's headline statistic read here from
//! `sensitivity.csv` independently of the report; no section for a folder
//! without `sensitivity.csv`, and a note for one with only a header line.

use super::{html, ok, report, run_golden};
use crate::support;
use std::fs;
use std::path::Path;

/// Runs `sensitivity study [extra] --out dir`, then `report dir`.
fn study_report(study: &Path, dir: &Path, extra: &[&str]) {
    ok(support::quiet("sensitivity", study, dir).args(extra).output().unwrap());
    ok(report(dir, &[]));
}

/// For each metric of sensitivity.csv (in file order), its inputs sorted by
/// |value of `headline`|, largest first.
fn ranking(dir: &Path, headline: &str) -> Vec<(String, Vec<String>)> {
    let mut rdr = csv::Reader::from_path(dir.join("sensitivity.csv")).unwrap();
    let mut out: Vec<(String, Vec<(String, f64)>)> = Vec::new();
    for row in rdr.records().map(Result::unwrap) {
        if &row[3] != headline {
            continue;
        }
        let v: f64 = row[4].parse().unwrap();
        match out.iter_mut().find(|(m, _)| m == &row[1]) {
            Some((_, inputs)) => inputs.push((row[2].to_string(), v.abs())),
            None => out.push((row[1].to_string(), vec![(row[2].to_string(), v.abs())])),
        }
    }
    out.into_iter()
        .map(|(m, mut inputs)| {
            inputs.sort_by(|a, b| b.1.total_cmp(&a.1));
            (m, inputs.into_iter().map(|(i, _)| i).collect())
        })
        .collect()
}

/// Checks the chart has a panel and a tooltip (starting `tip`) per input and
/// metric, and that the table lists the inputs of each metric in `headline`
/// order.
fn check(dir: &Path, method: &str, headline: &str, tip: &str) {
    let chart = fs::read_to_string(dir.join("charts/sensitivity.svg")).unwrap();
    let page = html(dir);
    assert!(page.contains("Which assumption matters?"), "the section is on the page");
    let ranks = ranking(dir, headline);
    assert!(!ranks.is_empty(), "the study wrote {headline} statistics");
    for (metric, inputs) in &ranks {
        assert!(chart.contains(&format!("{metric}: ")), "a panel for {metric}");
        for input in inputs {
            assert!(
                chart.contains(&format!("<title>{input}: {tip}")),
                "{metric}/{input}: {chart}"
            );
        }
        let rows: Vec<usize> = inputs
            .iter()
            .map(|i| {
                let row = format!("<tr><td>{metric}</td><td>{method}</td><td><code>{i}</code></td><td>{headline}</td>");
                page.find(&row).unwrap_or_else(|| panic!("no table row {row}"))
            })
            .collect();
        assert!(
            rows.windows(2).all(|w| w[0] < w[1]),
            "{metric}: inputs ranked by |{headline}|"
        );
    }
}

#[test]
fn a_tornado_study_gets_a_tornado_per_metric() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("t");
    study_report(&support::repo().join("tests/data/study_small.toml"), &out, &[]);
    check(&out, "tornado", "swing", "at low ");
}

#[test]
fn a_morris_study_gets_a_scatter_per_metric() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m");
    let study = support::repo().join("tests/data/study_small.toml");
    study_report(&study, &out, &["--method", "morris"]);
    check(&out, "morris", "mu_star", "μ* ");
}

#[test]
fn a_sobol_study_gets_bars_with_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    // Three continuous inputs (tranche sizes must be multiples of 16, so
    // study_small's tranche input cannot be sampled by Sobol).
    let study = tmp.path().join("sobol.toml");
    let base = support::repo().join("tests/data/golden.toml");
    fs::write(
        &study,
        format!(
            "name = \"sobol\"\nbase = \"{}\"\nreplicas = 1\nmethod = \"sobol\"\nsamples = 16\n\
             metrics = [\"utilization\", \"p_default_by_year_1\"]\n\
             [[inputs]]\nkey = \"buyer.initial_funding_usd\"\nlow = 30e6\nhigh = 90e6\n\
             [[inputs]]\nkey = \"buyer.revenue_per_served_chip_hour_usd\"\nlow = 1.0\nhigh = 5.0\n\
             [[inputs]]\nkey = \"buyer.other_costs_per_month_usd\"\nlow = 1e6\nhigh = 5e6\n",
            base.display()
        ),
    )
    .unwrap();
    let out = tmp.path().join("s");
    study_report(&study, &out, &[]);
    check(&out, "sobol", "total", "first_order ");
    let chart = fs::read_to_string(out.join("charts/sensitivity.svg")).unwrap();
    assert!(chart.contains("; total "), "both indices in each tooltip");
}

#[test]
fn no_sensitivity_file_no_section_and_an_empty_one_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("g");
    run_golden(&out, &[]);
    assert!(!html(&out).contains("Which assumption matters?"));
    assert!(!out.join("charts/sensitivity.svg").exists());

    fs::write(
        out.join("sensitivity.csv"),
        "method,metric,input,statistic,value,ci95_low,ci95_high,n\n",
    )
    .unwrap();
    ok(report(&out, &[]));
    let page = html(&out);
    assert!(
        page.contains("Which assumption matters?") && page.contains("has no statistics"),
        "{page}"
    );
    assert!(!out.join("charts/sensitivity.svg").exists());
}
