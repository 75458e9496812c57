//! The HTML page: a [`Section`] per chart with its caption, the headline
//! figures, the sweep's table of points, and the charts' SVGs inlined so the
//! page needs no other file.

use super::detail::Detail;
use super::folder::Folder;
use super::sweep::short_value;
use super::units::Unit;
use crate::output::numbers::{human, usd};
use serde_json::Value;

/// A section of the report: a chart and its caption.
pub(super) struct Section {
    pub(super) id: &'static str,
    pub(super) file: &'static str,
    pub(super) heading: String,
    /// The chart; `None` when the section is only a note.
    pub(super) svg: Option<String>,
    /// HTML: what the chart shows and how to read it.
    pub(super) caption: String,
}

pub(super) fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Strips the XML prolog, if any, so an SVG can be inlined in HTML.
fn inline_svg(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

pub(super) fn page(folder: &Folder, detail: &Detail, metric: &str, sections: &[Section]) -> String {
    // A run is named after its scenario; a sweep after its experiment, which
    // is the results folder's name unless --out said otherwise.
    let folder_name = folder
        .dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| detail.scenario().to_string());
    let name = if folder.keys.is_empty() {
        detail.scenario()
    } else {
        &folder_name
    };
    let mut h = String::new();
    h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    h += &format!("<title>mortgage-sim report: {}</title>\n", html_escape(name));
    h += "<style>\n\
        body { font-family: sans-serif; margin: 16px auto; max-width: 1220px; color: #222; line-height: 1.35; }\n\
        h1 { font-size: 24px; margin: 0 0 4px 0; } h2 { font-size: 19px; margin: 14px 0 2px 0; }\n\
        .meta { color: #555; font-size: 13px; margin: 2px 0; }\n\
        table { border-collapse: collapse; font-size: 14px; margin: 8px 0; }\n\
        td, th { border-bottom: 1px solid #ddd; padding: 3px 12px 3px 0; text-align: left; vertical-align: top; }\n\
        .figures { columns: 2; column-gap: 40px; font-size: 14px; margin: 8px 0; }\n\
        .figures div { break-inside: avoid; padding: 1px 0; } .figures b { display: inline-block; min-width: 240px; font-weight: 600; }\n\
        figure { margin: 0; } figure svg { max-width: 100%; height: auto; display: block; }\n\
        figcaption { font-size: 13px; color: #444; margin: 2px 0 6px 0; }\n\
        code { font-size: 12px; background: #f3f3f3; padding: 0 3px; }\n\
        </style>\n</head>\n<body>\n";
    h += &format!("<h1>mortgage-sim report: {}</h1>\n", html_escape(name));
    let mut meta = vec![format!(
        "results folder <code>{}</code>",
        html_escape(&folder.dir.display().to_string())
    )];
    if !folder.keys.is_empty() {
        meta.push(format!("base scenario {}", html_escape(detail.scenario())));
    }
    if let Some(source) = folder.manifest_str("source") {
        meta.push(format!("source <code>{}</code>", html_escape(&source)));
    }
    if let Some(v) = folder.manifest_str("version") {
        meta.push(format!("mortgage-sim {}", html_escape(&v)));
    }
    if let Some(seed) = folder.manifest_str("master_seed") {
        meta.push(format!("master seed {}", html_escape(&seed)));
    }
    h += &format!("<p class=\"meta\">{}</p>\n", meta.join(" · "));
    if let Some(cmd) = folder.manifest_str("command") {
        h += &format!("<p class=\"meta\">command: <code>{}</code></p>\n", html_escape(&cmd));
    }
    if let Some(m) = &folder.manifest {
        let f = |p: &str| m.pointer(p).and_then(Value::as_f64);
        if let (Some(years), Some(usd_), Some(price)) = (
            f("/contract_point_0/term_years"),
            f("/contract_point_0/committed_usd"),
            f("/contract_point_0/price_per_chip_hour_usd"),
        ) {
            h += &format!(
                "<p class=\"meta\">contract (point 0): {} committed over {} years at ${:.2} per chip-hour</p>\n",
                usd(usd_),
                human(years),
                price
            );
        }
    }
    if folder.points.len() > 1 {
        h += &format!(
            "<p class=\"meta\">This sweep has {} grid points; the charts of replicas below show point {} \
             (choose another with <code>--point N</code>); the sweep charts are at the end.</p>\n",
            folder.points.len(),
            detail.point
        );
    }
    h += &format!(
        "<h2>Point {}: headline figures</h2>\n<div class=\"figures\">\n",
        detail.point
    );
    for (label, value) in detail.figures() {
        h += &format!("<div><b>{}</b> {}</div>\n", html_escape(&label), html_escape(&value));
    }
    h += "</div>\n";
    for s in sections {
        h += &format!(
            "<section id=\"{}\">\n<h2>{}</h2>\n<figure>\n",
            s.id,
            html_escape(&s.heading)
        );
        if let Some(svg) = &s.svg {
            h += inline_svg(svg);
            h += "\n";
        }
        h += &format!("<figcaption>{}</figcaption>\n</figure>\n</section>\n", s.caption);
        if s.id == "sweep" {
            h += &points_table(folder, metric);
        }
    }
    h += "<p class=\"meta\">Every chart is also in <code>charts/</code> as an SVG file. Columns are \
          documented in the README (\"Output files\").</p>\n</body>\n</html>\n";
    h
}

fn points_table(folder: &Folder, metric: &str) -> String {
    let unit = Unit::of(metric);
    let mut t = String::from("<table>\n<tr><th>point</th>");
    for k in &folder.keys {
        t += &format!("<th>{}</th>", html_escape(k));
    }
    t += &format!("<th>{} (mean, 95% CI)</th><th>n</th></tr>\n", html_escape(metric));
    for p in &folder.points {
        t += &format!("<tr><td>{}</td>", p.id);
        for v in &p.values {
            t += &format!("<td>{}</td>", html_escape(&short_value(v)));
        }
        match folder.summary_of(p.id, metric) {
            Some(r) => {
                t += &format!(
                    "<td>{} ({} – {})</td><td>{}</td>",
                    html_escape(&unit.format(r.mean)),
                    html_escape(&unit.format(r.ci95_low)),
                    html_escape(&unit.format(r.ci95_high)),
                    human(r.n)
                )
            }
            None => t += "<td>no value</td><td>0</td>",
        }
        t += "</tr>\n";
    }
    t + "</table>\n"
}
