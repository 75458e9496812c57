//! `mortgage-sim report` and `--report`: the edge cases the charts must
//! survive (one replica, a one-point sweep, no default, every replica
//! defaulting, an old folder without the finance columns), clear errors for
//! bad folders, and a render in headless Chromium that checks the charts are
//! there and not blank.

use super::support;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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
    ok(support::binary()
        .args(["run", &golden(), "--quiet", "--report", "--out", out.to_str().unwrap()])
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

/// Checks what every report has: the five detail charts inline and as
/// files, no reference to anything outside the page.
fn check_detail_charts(dir: &Path) -> String {
    let page = html(dir);
    for chart in [
        "utilization_fan.svg",
        "idle.svg",
        "default_and_loss.svg",
        "training.svg",
        "training_timeline.svg",
    ] {
        let text = fs::read_to_string(dir.join("charts").join(chart)).unwrap();
        assert!(text.contains("<svg") && text.contains("</svg>"), "{chart}");
    }
    assert!(page.matches("<svg").count() >= 4, "inline charts");
    for heading in [
        "Utilization over the term",
        "Delivered and planned capacity",
        "Idle fraction across replicas",
        "Cumulative probability of default",
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
    // The timeline shows the median replica by utilization, named in the caption.
    assert!(page.contains("is the median of the 3 replicas"), "{page}");
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
    assert!(page.contains("loss across replicas"));
}

#[test]
fn a_sweep_gets_small_multiples_and_a_heatmap() {
    // sweep_small has three swept keys on two axes: drift, and a zip of
    // research arrivals and sizes.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let exp = support::repo().join("tests/data/sweep_small.toml");
    ok(support::binary()
        .args([
            "sweep",
            exp.to_str().unwrap(),
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap());
    ok(report(&out, &["--metric", "idle_cost_usd", "--point", "3"]));
    let page = check_detail_charts(&out);
    assert!(page.contains("Sweep: idle_cost_usd by swept key"));
    assert!(
        page.contains("research.arrivals_per_hour + research.chips"),
        "zip keys share an axis"
    );
    assert!(page.contains("charts of replicas below show point 3"));
    let heat = fs::read_to_string(out.join("charts/sweep_heatmap.svg")).unwrap();
    assert!(heat.matches('$').count() >= 4, "four cells labelled in dollars");
    assert!(out.join("charts/sweep_small_multiples.svg").exists());
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
    ok(support::binary()
        .args([
            "sweep",
            exp.to_str().unwrap(),
            "--quiet",
            "--report",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap());
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
    fs::remove_file(out.join("manifest.json")).unwrap();
    fs::remove_file(out.join("training_runs.csv")).unwrap();
    drop_columns(
        &out,
        &[
            "default_month",
            "loss_usd",
            "exposure_at_default_usd",
            "training_runs_infeasible",
            "training_mean_delay_days",
        ],
    );
    ok(report(&out, &[]));
    let page = check_detail_charts(&out);
    assert!(page.contains("no default_month column"));
    assert!(page.contains("no loss_usd column"));
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
    fs::rename(&series, out.join("moved.csv")).unwrap();
    fails_with(report(&out, &[]), 2, "timeseries.csv: missing");
    fs::rename(out.join("moved.csv"), &series).unwrap();

    // A write failure is not bad input: exit code 1.
    fs::remove_dir_all(out.join("charts")).unwrap();
    fs::write(out.join("charts"), "in the way").unwrap();
    fails_with(report(&out, &[]), 1, "charts");
}

// ---------------------------------------------------------------------------
// Headless Chromium

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// Renders `html` to a PNG of 1280×`height` pixels with headless Chromium.
fn screenshot(browser: &Path, html: &Path, png: &Path, height: u32) {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("--window-size=1280,{height}"))
        .arg(format!("file://{}", html.canonicalize().unwrap().display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium exited with {status}");
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(png.exists(), "chromium wrote no screenshot");
}

/// (width, height, RGB pixels) of a PNG.
fn decode(png_path: &Path) -> (usize, usize, Vec<[u8; 3]>) {
    let file = std::io::BufReader::new(fs::File::open(png_path).unwrap());
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|p| match channels {
            1 | 2 => [p[0]; 3],
            _ => [p[0], p[1], p[2]],
        })
        .collect();
    (info.width as usize, info.height as usize, pixels)
}

#[test]
fn the_report_renders_in_headless_chromium_with_charts_that_show_data() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("REQUIRE_CHROMIUM").is_none(),
            "REQUIRE_CHROMIUM is set but no chromium was found (apt-get install -y chromium)"
        );
        eprintln!("SKIPPED: chromium is not installed (apt-get install -y chromium, or set CHROMIUM=path)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("g");
    run_golden(&out, &[]);
    let png = tmp.path().join("report.png");
    screenshot(&browser, &out.join("report.html"), &png, 2400);
    let (w, h, px) = decode(&png);
    assert_eq!((w, h), (1280, 2400));
    let ink = |p: &[u8; 3]| p.iter().any(|c| *c < 200);
    // Chart fills (bands, bars) are saturated; text and axes are gray.
    let colored = |p: &[u8; 3]| {
        let (lo, hi) = (p.iter().min().unwrap(), p.iter().max().unwrap());
        hi - lo > 50
    };
    let inked = px.iter().filter(|p| ink(p)).count() as f64 / px.len() as f64;
    assert!(inked > 0.05, "only {:.1}% of the page is drawn on", 100.0 * inked);
    // The detail charts fill the page from ~300 px down; each 300-px band
    // of it must hold some colored data (a chart without data has only gray
    // axes and text).
    let mut blank_bands = Vec::new();
    for band in 1..7 {
        let rows = band * 300..(band + 1) * 300;
        let n = rows
            .clone()
            .flat_map(|y| (0..w).map(move |x| y * w + x))
            .filter(|&i| colored(&px[i]))
            .count();
        if (n as f64) < 0.002 * (300 * w) as f64 {
            blank_bands.push(rows);
        }
    }
    assert!(blank_bands.is_empty(), "no chart data drawn in rows {blank_bands:?}");
    // Each chart has its own color: utilization and idle fraction blue,
    // capacity and training delay green, idle cost orange, default and loss
    // red. Every hue must be there in quantity.
    let hue = |p: &[u8; 3]| {
        let [r, g, b] = p.map(|c| c as f64 / 255.0);
        let (max, min) = (r.max(g).max(b), r.min(g).min(b));
        let d = max - min;
        let h = if max == r {
            60.0 * ((g - b) / d).rem_euclid(6.0)
        } else if max == g {
            60.0 * ((b - r) / d + 2.0)
        } else {
            60.0 * ((r - g) / d + 4.0)
        };
        h.rem_euclid(360.0)
    };
    let mut counts = [("red", 0usize), ("orange", 0), ("green", 0), ("blue", 0)];
    for p in px.iter().filter(|p| colored(p)) {
        let h = hue(p);
        let k = match h {
            h if !(15.0..345.0).contains(&h) => 0,
            h if (15.0..45.0).contains(&h) => 1,
            h if (90.0..170.0).contains(&h) => 2,
            h if (180.0..240.0).contains(&h) => 3,
            _ => continue,
        };
        counts[k].1 += 1;
    }
    eprintln!(
        "{:.1}% of the page drawn on; saturated pixels by hue: {counts:?}",
        100.0 * inked
    );
    for (name, n) in counts {
        assert!(
            n > 2000,
            "only {n} {name} pixels: a chart is missing or blank ({counts:?})"
        );
    }
    if let Some(keep) = std::env::var_os("REPORT_SCREENSHOT") {
        fs::copy(&png, keep).unwrap();
    }
}
