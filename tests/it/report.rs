//! `mortgage-sim report` and `--report`: the edge cases the charts must
//! survive (one replica, a one-point sweep, no default, every replica
//! defaulting, an old folder without the finance columns), the risk table
//! read from `risk.csv` in both of its forms, several metrics in one report,
//! tooltips with values, clear errors for bad folders, and (in [`chromium`])
//! a render in headless Chromium that checks every chart holds data.

mod chromium;
mod risk;
mod sensitivity;
mod stress;
mod why_default;

use super::support;
use std::fs;
use std::path::Path;
use std::process::Output;

fn golden() -> String {
    support::repo().join("tests/data/golden.toml").display().to_string()
}

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "exit {:?}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// `run golden.toml --report` with extra arguments into `out`.
fn run_golden(out: &Path, extra: &[&str]) {
    ok(support::quiet("run", golden(), out)
        .arg("--report")
        .args(extra)
        .output()
        .unwrap());
}

fn report(dir: &Path, extra: &[&str]) -> Output {
    support::binary().arg("report").arg(dir).args(extra).output().unwrap()
}

fn html(dir: &Path) -> String {
    fs::read_to_string(dir.join("report.html")).unwrap()
}

/// The detail charts every report has, in `charts/` and inline.
const DETAIL_CHARTS: [&str; 7] = [
    "default_and_loss.svg",
    "exposure.svg",
    "lgd_and_npv.svg",
    "utilization_fan.svg",
    "idle.svg",
    "training.svg",
    "training_timeline.svg",
];

/// Checks what every report has: the detail charts inline and as files,
/// the risk section, no reference to anything outside the page.
fn check_detail_charts(dir: &Path) -> String {
    let page = html(dir);
    for chart in DETAIL_CHARTS {
        let text = fs::read_to_string(dir.join("charts").join(chart)).unwrap();
        assert!(text.contains("<svg") && text.contains("</svg>"), "{chart}");
    }
    assert!(page.matches("<svg").count() >= 7, "inline charts");
    for heading in [
        "risk figures",
        "Cumulative probability of default",
        "Exposure profile over the term",
        "Utilization over the term",
        "Delivered and planned capacity",
        "Idle fraction across replicas",
        "Training runs by outcome",
        "Training run timelines, median replica",
    ] {
        assert!(page.contains(heading), "missing chart `{heading}`");
    }
    // Self-contained: no scripts, stylesheets or images fetched from anywhere
    // (the SVG namespace URI is a name, not a fetch).
    assert!(!page.contains("<script") && !page.contains("<link") && !page.contains("<img"));
    assert!(!page.contains("src=") && !page.contains("href="));
    page
}

/// The mean of a replicas.csv column, computed here independently.
fn column_mean(dir: &Path, column: &str) -> f64 {
    let mut rdr = csv::Reader::from_path(dir.join("replicas.csv")).unwrap();
    let c = rdr.headers().unwrap().iter().position(|h| h == column).unwrap();
    let v: Vec<f64> = rdr.records().map(|r| r.unwrap()[c].parse::<f64>().unwrap()).collect();
    v.iter().sum::<f64>() / v.len() as f64
}

/// A chart file of the report in `dir`.
fn chart(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join("charts").join(name)).unwrap()
}

/// The `<title>` tooltips of an SVG that start with `prefix`.
fn tooltips<'a>(svg: &'a str, prefix: &str) -> Vec<&'a str> {
    svg.split("<title>")
        .skip(1)
        .filter_map(|t| t.split("</title>").next())
        .filter(|t| t.starts_with(prefix))
        .collect()
}

/// Values of a replicas.csv column (empty cells skipped).
fn column(dir: &Path, name: &str) -> Vec<f64> {
    let mut rdr = csv::Reader::from_path(dir.join("replicas.csv")).unwrap();
    let c = rdr.headers().unwrap().iter().position(|h| h == name).unwrap();
    rdr.records()
        .filter_map(|r| r.unwrap()[c].parse::<f64>().ok())
        .collect()
}

#[test]
fn a_run_with_report_shows_its_own_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("g");
    run_golden(&out, &[]);
    let page = check_detail_charts(&out);
    let util = format!("{:.1}%", 100.0 * column_mean(&out, "utilization"));
    assert!(
        page.contains(&format!("<b>Utilization, mean</b> {util}")),
        "headline utilization {util} not in the page"
    );
    assert!(!page.contains("Sweep:"), "a plain run has no sweep charts");
    assert!(!out.join("charts/sweep_heatmap.svg").exists());
    // One median replica (by utilization) across the charts: named in the
    // headline figures, marked in the idle, training and timeline charts.
    let util = column(&out, "utilization");
    let mut order: Vec<usize> = (0..util.len()).collect();
    order.sort_by(|&a, &b| util[a].total_cmp(&util[b]));
    let median = order[(order.len() - 1) / 2];
    assert!(page.contains(&format!("<b>Median replica (marked in orange)</b> replica {median} ")));
    assert!(page.contains(&format!("replica {median}, whose utilization")), "{page}");
    assert!(page.contains("is the median of the 3 replicas"), "{page}");
    for name in ["idle.svg", "training.svg"] {
        assert!(
            chart(&out, name).contains(&format!("median replica ({median})")),
            "{name}"
        );
    }
    // Tooltips carry values: one per defaulting replica on the loss given
    // default ECDF, one per month on the exposure profile, one per step of
    // the loss-exceedance curve (each distinct positive loss, and 0).
    let defaults = column(&out, "default_month").len();
    let lgd = chart(&out, "lgd_and_npv.svg");
    assert_eq!(tooltips(&lgd, "replica ").len(), defaults, "{lgd}");
    // The golden scenario has no provider economics: its NPV cells are
    // empty and the NPV panel says so.
    assert!(column(&out, "provider_npv_usd").is_empty());
    assert!(lgd.contains("No provider economics in this scenario"), "{lgd}");
    let exposure = chart(&out, "exposure.svg");
    let months = tooltips(&exposure, "month ");
    assert_eq!(months.len(), 12, "the golden term is 12 months");
    assert!(
        months[0].starts_with("month 1: EE $") && months[0].contains("PFE95 $"),
        "{}",
        months[0]
    );
    let mut losses = column(&out, "loss_usd");
    losses.retain(|l| *l > 0.0);
    losses.sort_by(f64::total_cmp);
    losses.dedup();
    let steps = tooltips(&chart(&out, "default_and_loss.svg"), "loss above ").len();
    assert_eq!(
        steps,
        losses.len(),
        "one step per distinct loss (the largest ends the curve at 0)"
    );
}

#[test]
fn a_single_replica_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("one");
    run_golden(&out, &["--replicas", "1"]);
    let page = check_detail_charts(&out);
    assert!(page.contains("<b>Replicas</b> 1<"));
    assert!(
        page.contains("Each training run of the only replica, replica 0"),
        "{page}"
    );
}

#[test]
fn a_run_without_defaults_reports_zero_loss() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rich");
    run_golden(&out, &["--set", "buyer.initial_funding_usd=1e18"]);
    let page = check_detail_charts(&out);
    assert!(page.contains("No replica defaulted (0 of 3)"), "{page}");
    assert!(page.contains("No loss"));
    assert!(
        chart(&out, "lgd_and_npv.svg").contains("No replica defaulted (0 of 3), so there is no loss"),
        "the loss given default panel says why it is empty"
    );
    // Zero defaults still have a Wilson upper bound, in the table too.
    assert!(
        page.contains("P(default by the end of year 1)</td><td class=\"num\">0.0%</td><td class=\"num\">0.0% – 56.1%"),
        "{page}"
    );
}

#[test]
fn a_run_where_every_replica_defaults_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("broke");
    run_golden(
        &out,
        &[
            "--set",
            "buyer.initial_funding_usd=0",
            "--set",
            "buyer.revenue_per_served_chip_hour_usd=0",
            "--set",
            "buyer.credit_line_usd=0",
        ],
    );
    let page = check_detail_charts(&out);
    assert!(page.contains("3 of 3 replicas defaulted"), "{page}");
    let loss = chart(&out, "default_and_loss.svg");
    assert!(loss.contains("Loss exceedance") && loss.contains("VaR95 $"), "{loss}");
    assert!(chart(&out, "lgd_and_npv.svg").contains("Loss given default (3 defaulting replicas of 3)"));
}

#[test]
fn a_sweep_gets_small_multiples_and_a_heatmap() {
    // sweep_small has three swept keys on two axes: drift, and a zip of
    // research arrivals and sizes.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let exp = support::repo().join("tests/data/sweep_small.toml");
    ok(support::quiet("sweep", &exp, &out).output().unwrap());
    ok(report(&out, &["--metric", "idle_cost_usd", "--point", "3"]));
    let page = check_detail_charts(&out);
    assert!(page.contains("Sweep: idle_cost_usd by swept key"));
    let panels = chart(&out, "sweep_small_multiples.svg");
    // Axis titles in words; a zip group's keys share an axis.
    assert!(
        panels.contains("research: arrivals per hour + research: chips"),
        "zip keys share an axis"
    );
    assert!(
        !panels.contains("research.arrivals_per_hour"),
        "no raw dotted keys on the chart"
    );
    // Points coloured by the other axis, with a legend naming it.
    assert!(
        panels.contains("colour: inference growth: drift per year ="),
        "{panels}"
    );
    // Every point has a tooltip naming its parameters and value.
    assert_eq!(tooltips(&panels, "point ").len(), 2 * 4, "two panels of four points");
    assert!(page.contains("charts of replicas below show point 3"));
    assert!(
        page.contains("Parameters of point 3: <span title=\"inference.growth.drift_per_year\">inference growth: drift per year</span> = <b>0.8</b>"),
        "{page}"
    );
    let heat = chart(&out, "sweep_heatmap.svg");
    assert!(heat.matches('$').count() >= 4, "four cells labelled in dollars");
    assert!(
        heat.contains("idle cost (USD)"),
        "the colour bar names its metric and unit"
    );
    assert_eq!(
        tooltips(&heat, "inference growth: drift per year = ").len(),
        4,
        "a tooltip per cell"
    );

    // Several metrics at once: a row of panels, a heatmap and a table
    // column each, none overwriting another.
    ok(report(&out, &["--metric", "utilization,idle_cost_usd,loss_usd"]));
    let page = html(&out);
    assert!(page.contains("Sweep: utilization, idle_cost_usd, loss_usd by swept key"));
    let panels = chart(&out, "sweep_small_multiples.svg");
    for title in ["utilization (%) by", "idle cost (USD) by", "loss (USD) by"] {
        assert_eq!(panels.matches(title).count(), 2, "{title}: one panel per axis");
    }
    for column in [
        "utilization (mean, 95% CI)",
        "idle_cost_usd (mean, 95% CI)",
        "loss_usd (mean, 95% CI)",
    ] {
        assert!(page.contains(column), "{column}");
    }
    assert_eq!(chart(&out, "sweep_heatmap.svg").matches("<title>").count(), 3 * 4);
    fails_with(
        report(&out, &["--metric", "utilization,idle_costs"]),
        2,
        "--metric idle_costs",
    );
}

#[test]
fn a_one_point_sweep_reports_without_a_heatmap() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("one_point.toml");
    fs::write(
        &exp,
        format!(
            "name = \"one_point\"\nbase = {:?}\nreplicas = 2\n[grid]\n\"inference.growth.drift_per_year\" = [0.3]\n",
            golden()
        ),
    )
    .unwrap();
    let out = tmp.path().join("one_point");
    ok(support::quiet("sweep", &exp, &out).arg("--report").output().unwrap());
    let page = check_detail_charts(&out);
    assert!(page.contains("Sweep: utilization by swept key"));
    assert!(page.contains("No heatmap"));
    assert!(out.join("charts/sweep_small_multiples.svg").exists());
    assert!(!out.join("charts/sweep_heatmap.svg").exists());
}

/// Rewrites replicas.csv without the given columns.
fn drop_columns(dir: &Path, drop: &[&str]) {
    let path = dir.join("replicas.csv");
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let keep: Vec<usize> = (0..headers.len()).filter(|&i| !drop.contains(&&headers[i])).collect();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(keep.iter().map(|&i| &headers[i])).unwrap();
    for r in rows {
        w.write_record(keep.iter().map(|&i| &r[i])).unwrap();
    }
    w.flush().unwrap();
}

#[test]
fn an_old_folder_without_finance_columns_still_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("old");
    run_golden(&out, &[]);
    fs::remove_file(out.join("risk.csv")).unwrap();
    fs::remove_file(out.join("exposure.csv")).unwrap();
    fs::remove_file(out.join("manifest.json")).unwrap();
    fs::remove_file(out.join("training_runs.csv")).unwrap();
    drop_columns(
        &out,
        &[
            "default_month",
            "loss_usd",
            "loss_given_default",
            "provider_npv_usd",
            "exposure_at_default_usd",
            "training_runs_infeasible",
            "training_mean_delay_days",
        ],
    );
    ok(report(&out, &[]));
    let page = check_detail_charts(&out);
    assert!(page.contains("no default_month column"));
    assert!(page.contains("no loss_usd column"));
    assert!(page.contains("This folder has no risk.csv"));
    assert!(chart(&out, "exposure.svg").contains("This folder has no exposure.csv"));
    let credit = chart(&out, "lgd_and_npv.svg");
    assert!(credit.contains("no loss_given_default column") && credit.contains("no provider_npv_usd column"));
    let timeline = fs::read_to_string(out.join("charts/training_timeline.svg")).unwrap();
    assert!(timeline.contains("no training_runs.csv"), "{timeline}");
}

fn fails_with(o: Output, code: i32, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert!(err.contains(needle), "stderr `{err}` lacks `{needle}`");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_folders_fail_with_code_2_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    fails_with(report(&tmp.path().join("nothing"), &[]), 2, "no such results folder");

    let out = tmp.path().join("g");
    run_golden(&out, &[]);
    let keep = fs::read(out.join("replicas.csv")).unwrap();

    fs::write(out.join("replicas.csv"), "point,replica,utilization\n0,0,high\n").unwrap();
    fails_with(
        report(&out, &[]),
        2,
        "replicas.csv: line 2, column `utilization`: `high` is not a finite number",
    );
    fs::write(out.join("replicas.csv"), "point,replica,loss_usd\n0,0,inf\n").unwrap();
    fails_with(report(&out, &[]), 2, "`inf` is not a finite number");
    fs::write(out.join("replicas.csv"), "point,replica\n0,1,2\n").unwrap();
    fails_with(report(&out, &[]), 2, "replicas.csv");
    fs::write(out.join("replicas.csv"), "").unwrap();
    fails_with(report(&out, &[]), 2, "replicas.csv: empty file");
    fs::write(out.join("replicas.csv"), "point,replica\n9,0\n").unwrap();
    fails_with(report(&out, &[]), 2, "point 9 is not in points.csv");
    fs::write(out.join("replicas.csv"), &keep).unwrap();

    fs::write(out.join("manifest.json"), "{").unwrap();
    fails_with(report(&out, &[]), 2, "manifest.json: not JSON");
    fs::remove_file(out.join("manifest.json")).unwrap();

    fails_with(report(&out, &["--metric", "utilisation"]), 2, "--metric utilisation");
    fails_with(report(&out, &["--point", "4"]), 2, "--point 4: not a point of");

    // Months far past any term must not size a chart (1e300 overflowed a
    // buffer's capacity, 1e9 exhausted memory).
    let series = out.join("timeseries.csv");
    let keep_series = fs::read_to_string(&series).unwrap();
    for month in ["1e300", "1e9", "-3"] {
        let mut lines: Vec<String> = keep_series.lines().map(String::from).collect();
        let mut cells: Vec<&str> = lines[1].split(',').collect();
        cells[1] = month;
        lines[1] = cells.join(",");
        fs::write(&series, lines.join("\n") + "\n").unwrap();
        fails_with(
            report(&out, &[]),
            2,
            &format!("timeseries.csv: line 2, column `month`: `{month}` is not a month of a contract term"),
        );
    }
    fs::write(out.join("replicas.csv"), "point,replica,default_month\n0,0,1e9\n").unwrap();
    fails_with(report(&out, &[]), 2, "column `default_month`: `1e9` is not a month");
    fs::write(out.join("replicas.csv"), &keep).unwrap();
    fs::write(&series, &keep_series).unwrap();

    // risk.csv and exposure.csv are checked as the other files are.
    let risk = out.join("risk.csv");
    let keep_risk = fs::read(&risk).unwrap();
    fs::write(&risk, "point,figure,value\n0,expected_loss_usd,lots\n").unwrap();
    fails_with(
        report(&out, &[]),
        2,
        "risk.csv: line 2, column `value`: `lots` is not a finite number",
    );
    fs::write(&risk, "point,value\n0,1\n").unwrap();
    fails_with(report(&out, &[]), 2, "risk.csv: no column `figure`");
    fs::write(&risk, "point,figure,value,reliable\n0,cva_usd,1,perhaps\n").unwrap();
    fails_with(
        report(&out, &[]),
        2,
        "column `reliable`: `perhaps` is not true or false",
    );
    fs::write(&risk, &keep_risk).unwrap();
    let exposure = out.join("exposure.csv");
    let keep_exposure = fs::read(&exposure).unwrap();
    fs::write(&exposure, "point,month,ee_usd\n0,1e9,1\n").unwrap();
    fails_with(
        report(&out, &[]),
        2,
        "exposure.csv: line 2, column `month`: `1e9` is not a month",
    );
    fs::write(&exposure, &keep_exposure).unwrap();
    fs::rename(&series, out.join("moved.csv")).unwrap();
    fails_with(report(&out, &[]), 2, "timeseries.csv: missing");
    fs::rename(out.join("moved.csv"), &series).unwrap();

    // A write failure is not bad input: exit code 1.
    fs::remove_dir_all(out.join("charts")).unwrap();
    fs::write(out.join("charts"), "in the way").unwrap();
    fails_with(report(&out, &[]), 1, "charts");
}
