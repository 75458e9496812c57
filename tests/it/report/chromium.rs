//! Headless Chromium renders the report: the page is drawn on, and every
//! chart — each panel of the two-panel ones — holds data in its own colours
//! (a placeholder or an empty chart has only gray axes and text). Skipped
//! with a message when Chromium is not installed; CI sets
//! `REQUIRE_CHROMIUM=1` so that it cannot be skipped there.

use super::{ok, run_golden, support};
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

/// Renders `html` to a PNG of `width`×`height` pixels with headless Chromium.
fn screenshot(browser: &Path, html: &Path, png: &Path, (width, height): (u32, u32)) {
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
        .arg(format!("--window-size={width},{height}"))
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

/// A decoded screenshot.
struct Image {
    w: usize,
    h: usize,
    px: Vec<[u8; 3]>,
}

fn decode(png_path: &Path) -> Image {
    let file = std::io::BufReader::new(fs::File::open(png_path).unwrap());
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let px = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|p| match channels {
            1 | 2 => [p[0]; 3],
            _ => [p[0], p[1], p[2]],
        })
        .collect();
    Image {
        w: info.width as usize,
        h: info.height as usize,
        px,
    }
}

/// Hues of the report's data colours; text, axes and grid are gray.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Hue {
    Red,
    Orange,
    Green,
    Blue,
    Purple,
}

const HUES: [Hue; 5] = [Hue::Red, Hue::Orange, Hue::Green, Hue::Blue, Hue::Purple];

/// The hue of a saturated pixel (chart fills, lines and dots); `None` for
/// gray, white and black.
fn hue(p: &[u8; 3]) -> Option<Hue> {
    let (lo, hi) = (*p.iter().min().unwrap(), *p.iter().max().unwrap());
    if hi - lo <= 50 {
        return None;
    }
    let [r, g, b] = p.map(|c| c as f64 / 255.0);
    let d = f64::from(hi - lo) / 255.0;
    let max = f64::from(hi) / 255.0;
    let h = if max == r {
        60.0 * ((g - b) / d).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / d + 2.0)
    } else {
        60.0 * ((r - g) / d + 4.0)
    }
    .rem_euclid(360.0);
    match h {
        h if !(15.0..345.0).contains(&h) => Some(Hue::Red),
        h if (15.0..45.0).contains(&h) => Some(Hue::Orange),
        h if (90.0..170.0).contains(&h) => Some(Hue::Green),
        h if (180.0..240.0).contains(&h) => Some(Hue::Blue),
        h if (250.0..300.0).contains(&h) => Some(Hue::Purple),
        _ => None,
    }
}

/// Saturated pixels by hue (in the order of [`HUES`]) in a rectangle.
fn count(img: &Image, rows: Range<usize>, cols: Range<usize>) -> [usize; 5] {
    let mut n = [0; 5];
    for y in rows.start..rows.end.min(img.h) {
        for x in cols.clone() {
            if let Some(h) = hue(&img.px[y * img.w + x]) {
                n[HUES.iter().position(|k| *k == h).unwrap()] += 1;
            }
        }
    }
    n
}

/// Rows of a rectangle holding a pixel of each hue (in the order of
/// [`HUES`]): data spans many rows, a legend swatch at most one text line.
fn rows_with(img: &Image, rows: Range<usize>, cols: Range<usize>) -> [usize; 5] {
    let mut n = [0; 5];
    for y in rows.start..rows.end.min(img.h) {
        let line = count(img, y..y + 1, cols.clone());
        for (k, c) in n.iter_mut().zip(line) {
            *k += usize::from(c > 0);
        }
    }
    n
}

/// Where a requirement looks in a chart.
#[derive(Debug, Clone, Copy)]
enum Part {
    Left,
    Right,
    Whole,
}

/// A chart file and what must be drawn where in it: in each part, enough
/// pixels of one of the hues.
type Expected<'a> = (&'a str, &'a [(Part, &'a [Hue])]);

/// Pixels of a hue that count as data drawn (a dot of radius 6 is ~110).
const ENOUGH: usize = 300;

/// Rows those pixels must span, so that legend swatches (one text line, at
/// most ~25 rows even when two legend lines share a hue) cannot pass for data.
const TALL: usize = 40;

/// Renders `dir/charts/<name>` of each `(name, requirements)` stacked in one
/// page and checks each requirement: in that part of the chart, at least
/// [`ENOUGH`] pixels of one of the hues, over at least [`TALL`] rows.
fn check_charts(browser: &Path, dir: &Path, charts: &[Expected]) {
    let mut page = String::from("<html><body style=\"margin:0\">\n");
    let mut top = 0;
    let mut placed = Vec::new();
    for (name, _) in charts {
        let svg = fs::read_to_string(dir.join("charts").join(name)).unwrap();
        let height: usize = svg
            .split("height=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{name}: no height"));
        page += &format!(
            "<img src=\"charts/{name}\" width=\"1200\" height=\"{height}\" style=\"position:absolute; left:0; top:{top}px\">\n"
        );
        placed.push(top..top + height);
        top += height;
    }
    page += "</body></html>\n";
    let html = dir.join("chart_check.html");
    fs::write(&html, page).unwrap();
    let png = dir.join("chart_check.png");
    screenshot(browser, &html, &png, (1200, top as u32));
    let img = decode(&png);
    assert_eq!((img.w, img.h), (1200, top));
    let mut failures = Vec::new();
    for ((name, requirements), rows) in charts.iter().zip(placed) {
        for (part, hues) in *requirements {
            let cols = match part {
                Part::Left => 0..600,
                Part::Right => 600..1200,
                Part::Whole => 0..1200,
            };
            let n = count(&img, rows.clone(), cols.clone());
            let tall = rows_with(&img, rows.clone(), cols);
            let at = |h: &Hue| HUES.iter().position(|k| k == h).unwrap();
            eprintln!(
                "{name} {part:?}: saturated pixels (rows) by hue {:?}",
                HUES.iter().zip(n.iter().zip(tall)).collect::<Vec<_>>()
            );
            if !hues.iter().any(|h| n[at(h)] >= ENOUGH && tall[at(h)] >= TALL) {
                let seen: Vec<_> = hues.iter().map(|h| (h, n[at(h)], tall[at(h)])).collect();
                failures.push(format!("{name} {part:?}: too little (hue, pixels, rows): {seen:?}"));
            }
        }
    }
    if let Some(keep) = std::env::var_os("REPORT_CHARTS_SCREENSHOT") {
        fs::copy(&png, keep).unwrap();
    }
    assert!(failures.is_empty(), "charts without data: {failures:#?}");
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
    // The golden scenario with the provider's economics, so that every
    // chart has data: three replicas, all of which default.
    run_golden(
        &out,
        &[
            "--set",
            "cluster.generations.0.capex_per_chip_usd=3000",
            "--set",
            "cluster.generations.1.capex_per_chip_usd=4000",
            "--set",
            "provider.depreciation_years=5",
        ],
    );

    // The page itself: drawn on, in every colour of its charts.
    let png = tmp.path().join("report.png");
    screenshot(&browser, &out.join("report.html"), &png, (1280, 6000));
    let img = decode(&png);
    assert_eq!((img.w, img.h), (1280, 6000));
    let inked = img.px.iter().filter(|p| p.iter().any(|c| *c < 200)).count() as f64 / img.px.len() as f64;
    let n = count(&img, 0..img.h, 0..img.w);
    eprintln!(
        "{:.1}% of the page drawn on; saturated pixels by hue: {:?}",
        100.0 * inked,
        HUES.iter().zip(n).collect::<Vec<_>>()
    );
    assert!(inked > 0.04, "only {:.1}% of the page is drawn on", 100.0 * inked);
    // (Purple marks only the thin VaR lines: the chart check below counts it.)
    for (h, k) in HUES.iter().zip(n).filter(|(h, _)| **h != Hue::Purple) {
        assert!(
            k > 2000,
            "only {k} {h:?} pixels on the page: a chart is missing or blank"
        );
    }
    if let Some(keep) = std::env::var_os("REPORT_SCREENSHOT") {
        fs::copy(&png, keep).unwrap();
    }

    // Every chart, panel by panel, in its own colours.
    use Hue::*;
    use Part::*;
    check_charts(
        &browser,
        &out,
        &[
            (
                "default_and_loss.svg",
                &[(Left, &[Red]), (Right, &[Red]), (Right, &[Purple])],
            ),
            ("exposure.svg", &[(Whole, &[Blue]), (Whole, &[Red]), (Whole, &[Green])]),
            ("lgd_and_npv.svg", &[(Left, &[Red]), (Right, &[Red, Green])]),
            ("utilization_fan.svg", &[(Whole, &[Blue]), (Whole, &[Green])]),
            ("idle.svg", &[(Left, &[Blue]), (Right, &[Orange])]),
            ("training.svg", &[(Left, &[Blue]), (Right, &[Green])]),
            ("training_timeline.svg", &[(Whole, &[Blue, Orange])]),
        ],
    );

    // A sweep's small multiples colour their points by the other axis: two
    // groups, blue and orange, in each panel.
    let sweep = tmp.path().join("sweep");
    let exp = support::repo().join("tests/data/sweep_small.toml");
    ok(support::binary()
        .args(["sweep", exp.to_str().unwrap(), "--quiet", "--report", "--out"])
        .arg(&sweep)
        .output()
        .unwrap());
    check_charts(
        &browser,
        &sweep,
        &[(
            "sweep_small_multiples.svg",
            &[(Left, &[Blue]), (Left, &[Orange]), (Right, &[Blue]), (Right, &[Orange])],
        )],
    );

    // A tornado study's chart: bars at each input's low (blue) and high
    // (orange) in its panels. (`sensitivity --report` writes the report
    // before sensitivity.csv exists, so `report` runs after it.)
    let study = tmp.path().join("study");
    let file = support::repo().join("tests/data/study_small.toml");
    ok(support::binary()
        .args(["sensitivity", file.to_str().unwrap(), "--quiet", "--out"])
        .arg(&study)
        .output()
        .unwrap());
    ok(support::binary().arg("report").arg(&study).output().unwrap());
    check_charts(
        &browser,
        &study,
        &[("sensitivity.svg", &[(Whole, &[Blue]), (Whole, &[Orange])])],
    );
}
