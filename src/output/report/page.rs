//! The HTML page: a [`Section`] per chart or table with its caption, the
//! headline figures and parameter values of the point shown, and the
//! charts' SVGs inlined so the page needs no other file.

use super::detail::Detail;
use super::folder::Folder;
use crate::output::numbers::{human, usd};
use serde_json::Value;

/// A section of the report: a chart or a table, and its caption.
pub(super) struct Section {
    pub(super) id: &'static str,
    /// The chart's file in `charts/`; `None` for a section without one.
    pub(super) file: Option<&'static str>,
    pub(super) heading: String,
    /// The chart.
    pub(super) svg: Option<String>,
    /// HTML: what the chart shows and how to read it.
    pub(super) caption: String,
    /// HTML after the caption (a table), or empty.
    pub(super) body: String,
}

impl Section {
    /// A chart with its caption.
    pub(super) fn chart(
        id: &'static str,
        file: &'static str,
        heading: impl Into<String>,
        svg: String,
        caption: String,
    ) -> Section {
        Section {
            id,
            file: Some(file),
            heading: heading.into(),
            svg: Some(svg),
            caption,
            body: String::new(),
        }
    }

    /// A section that is only a note (what is missing, and why).
    pub(super) fn note(id: &'static str, heading: impl Into<String>, caption: impl Into<String>) -> Section {
        Section {
            id,
            file: None,
            heading: heading.into(),
            svg: None,
            caption: caption.into(),
            body: String::new(),
        }
    }

    /// A table (HTML `body`) under its caption.
    pub(super) fn table(id: &'static str, heading: impl Into<String>, caption: String, body: String) -> Section {
        Section {
            body,
            ..Section::note(id, heading, caption)
        }
    }
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

const STYLE: &str = "<style>\n\
    body { font-family: sans-serif; margin: 16px auto; max-width: 1220px; color: #222; line-height: 1.4; font-size: 16px; }\n\
    h1 { font-size: 27px; margin: 0 0 4px 0; } h2 { font-size: 22px; margin: 18px 0 4px 0; }\n\
    .meta { color: #555; font-size: 14px; margin: 2px 0; }\n\
    table { border-collapse: collapse; font-size: 15px; margin: 8px 0; }\n\
    td, th { border-bottom: 1px solid #ddd; padding: 4px 14px 4px 0; text-align: left; vertical-align: top; }\n\
    td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }\n\
    table.risk tr.group th { padding-top: 12px; border-bottom: 2px solid #bbb; font-size: 15px; }\n\
    .how { color: #666; font-size: 13px; } .warn { color: #b00; font-size: 13px; }\n\
    .figures { columns: 2; column-gap: 40px; font-size: 15px; margin: 8px 0; }\n\
    .figures div { break-inside: avoid; padding: 1px 0; } .figures b { display: inline-block; min-width: 260px; font-weight: 600; }\n\
    .params { font-size: 15px; margin: 6px 0 10px 0; } .params code { font-size: 13px; }\n\
    figure { margin: 0; } figure svg { max-width: 100%; height: auto; display: block; }\n\
    figcaption { font-size: 15px; color: #444; margin: 4px 0 8px 0; }\n\
    code { font-size: 13px; background: #f3f3f3; padding: 0 3px; }\n\
    </style>\n";

pub(super) fn page(folder: &Folder, detail: &Detail, sections: &[Section]) -> String {
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
    h += STYLE;
    h += "</head>\n<body>\n";
    h += &format!("<h1>mortgage-sim report: {}</h1>\n", html_escape(name));
    h += &meta(folder, detail);
    h += &format!(
        "<h2>Point {}: headline figures</h2>\n{}<div class=\"figures\">\n",
        detail.point,
        parameters(detail)
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
        h += &format!(
            "<figcaption>{}</figcaption>\n</figure>\n{}</section>\n",
            s.caption, s.body
        );
    }
    h += "<p class=\"meta\">Every chart is also in <code>charts/</code> as an SVG file; hover over its marks \
          for their values. Columns are documented in the README (\"Output files\").</p>\n</body>\n</html>\n";
    h
}

/// The lines under the title: the folder, source, version, seed, command
/// and contract.
fn meta(folder: &Folder, detail: &Detail) -> String {
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
    let mut h = format!("<p class=\"meta\">{}</p>\n", meta.join(" · "));
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
            "<p class=\"meta\">This sweep has {} grid points; the risk table and the charts of replicas below \
             show point {} (choose another with <code>--point N</code>); the sweep charts are at the end.</p>\n",
            folder.points.len(),
            detail.point
        );
    }
    h
}

/// The point's values of the swept keys, under its headline heading.
fn parameters(detail: &Detail) -> String {
    let params = detail.parameters();
    if params.is_empty() {
        return String::new();
    }
    let items: Vec<String> = params
        .iter()
        .map(|(readable, key, value)| {
            format!(
                "<span title=\"{}\">{}</span> = <b>{}</b>",
                html_escape(key),
                html_escape(readable),
                html_escape(value)
            )
        })
        .collect();
    format!(
        "<p class=\"params\">Parameters of point {}: {}</p>\n",
        detail.point,
        items.join(" · ")
    )
}
