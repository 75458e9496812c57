//! The named-scenario summary: when a sweep's `points.csv` has a
//! `description` column (as `experiments/stress_scenarios.toml` names its
//! stresses), one table with a row per point — its description, P(default
//! by year 5) and expected loss from `risk.csv`, and mean idle cost from
//! `summary.csv` — each with its 95% interval, so the stresses read side by
//! side. A sweep without that column gets no section.

use super::folder::{Folder, RiskRow};
use super::intervals::t975;
use super::page::{Section, html_escape};
use crate::output::numbers::{percent, usd};
use crate::stats::wilson;

/// The year of the default probability shown (a committee's horizon).
const YEAR: f64 = 5.0;

/// The text of a `description` cell: points.csv writes swept values as TOML
/// text, so a string arrives quoted (`"funding winter"`).
fn unquote(text: &str) -> String {
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => text.to_string(),
    }
}

/// How a figure's interval is found, as in the risk table: the file's when
/// it names its method, else Wilson's for a proportion and Student's t for
/// a mean, else the file's bare interval.
#[derive(Clone, Copy)]
enum Kind {
    Proportion,
    Mean,
}

/// "value (low – high)" of a risk figure, written by `fmt`.
fn with_interval(r: &RiskRow, kind: Kind, fmt: fn(f64) -> String) -> String {
    let Some(v) = r.value else { return "–".into() };
    let computed = match (kind, r.n) {
        _ if r.interval.is_some() => None,
        (Kind::Proportion, Some(n)) if n >= 1.0 && (0.0..=1.0).contains(&v) => {
            Some(wilson((v * n).round() as usize, n as usize))
        }
        (Kind::Mean, Some(n)) if n >= 2.0 => r.stderr.map(|se| (v - t975(n - 1.0) * se, v + t975(n - 1.0) * se)),
        _ => None,
    };
    match computed.or(r.ci95) {
        Some((lo, hi)) => format!("{} ({} – {})", fmt(v), fmt(lo), fmt(hi)),
        None => fmt(v),
    }
}

/// The default probability by year 5, or by the last year the point's
/// term has when it is shorter (the cell then names that year).
fn p_default(rows: &[&RiskRow]) -> String {
    let by_year = rows
        .iter()
        .filter(|r| r.figure == "p_default_by_year" && r.year.is_some_and(|y| y <= YEAR))
        .max_by(|a, b| a.year.unwrap_or(0.0).total_cmp(&b.year.unwrap_or(0.0)));
    match by_year {
        Some(r) if r.year == Some(YEAR) => with_interval(r, Kind::Proportion, percent),
        Some(r) => format!(
            "{} (by year {})",
            with_interval(r, Kind::Proportion, percent),
            r.year.unwrap_or(0.0)
        ),
        None => "–".into(),
    }
}

/// The section, or `None` when points.csv has no `description` column.
pub(super) fn stress_section(folder: &Folder) -> Option<Section> {
    let col = folder.keys.iter().position(|k| k == "description")?;
    let mut body = String::from(
        "<table class=\"stress\">\n<tr><th>point</th><th>scenario</th><th>P(default by year 5)</th>\
         <th>expected loss</th><th>mean idle cost</th></tr>\n",
    );
    for p in &folder.points {
        let risk = folder.risk_of(p.id).unwrap_or_default();
        let loss = risk
            .iter()
            .find(|r| r.figure == "expected_loss_usd")
            .map_or("–".into(), |r| with_interval(r, Kind::Mean, usd));
        let idle = folder.summary_of(p.id, "idle_cost_usd").map_or("–".into(), |s| {
            format!("{} ({} – {})", usd(s.mean), usd(s.ci95_low), usd(s.ci95_high))
        });
        body += &format!(
            "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{loss}</td>\
             <td class=\"num\">{idle}</td></tr>\n",
            p.id,
            html_escape(&unquote(p.values.get(col).map_or("", String::as_str))),
            p_default(&risk),
        );
    }
    body += "</table>\n";
    Some(Section::table(
        "stress",
        "Named scenarios side by side",
        "One row per point of the sweep, named by its <code>description</code> (points.csv): the \
         probability that the buyer defaults by the end of year 5 and the provider's expected loss \
         (<code>risk.csv</code>), and the mean idle cost over the replicas (<code>summary.csv</code>), \
         each with its 95% interval in brackets (Wilson's for the probability and Student's t for \
         the means, unless <code>risk.csv</code> names its own method). A point whose term is shorter than five years shows \
         the default probability by its last year, named in the cell."
            .to_string(),
        body,
    ))
}
