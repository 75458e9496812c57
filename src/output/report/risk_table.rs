//! The risk table: one grid point's figures of `risk.csv` (tidy, whichever
//! form the file has) in the order a credit reader asks for them — default
//! probabilities by year, the provider's loss and its tail, idle cost (also
//! as a share of the commitment), utilization, the provider's economics —
//! each with its 95% interval. Where the file gives no interval for a tail
//! figure (older folders), one is computed from `replicas.csv`
//! ([`super::intervals`]) and marked as such.

use super::detail::Detail;
use super::folder::{Folder, RiskRow};
use super::intervals::{cvar_interval, cvar_replicas_needed, quantile_interval, t975};
use super::page::{Section, html_escape};
use super::units::{Unit, readable_key};
use crate::output::numbers::{human, percent, trim, usd};
use crate::stats::{sorted, wilson};

/// What kind of estimate a figure is, which says how its interval is
/// found when the file gives none it names.
#[derive(Clone, Copy)]
enum Kind {
    /// A share of replicas: Wilson's interval from k of n.
    Proportion,
    /// A mean: Student's t from the standard error and n.
    Mean,
    /// A quantile of a replicas.csv column: order statistics.
    Quantile(&'static str),
    /// The mean beyond a quantile of a replicas.csv column (CVaR): bootstrap.
    TailMean(&'static str),
    /// Anything else: the file's interval, if any.
    Plain,
}

/// A figure the table knows: its tidy name, label (`{p}` stands for its
/// parameter), unit, kind and group.
struct Known {
    figure: &'static str,
    label: &'static str,
    unit: Unit,
    kind: Kind,
    group: &'static str,
}

const fn known(figure: &'static str, label: &'static str, unit: Unit, kind: Kind, group: &'static str) -> Known {
    Known {
        figure,
        label,
        unit,
        kind,
        group,
    }
}

const DEFAULT: &str = "Default";
const LOSS: &str = "The provider's loss";
const IDLE: &str = "Idle capacity (the buyer's committed cost not turned into work)";
const USE: &str = "Utilization";
const PROVIDER: &str = "The provider's economics";

use Kind::{Mean, Plain, Proportion, Quantile, TailMean};

/// The figures in the table's order.
const KNOWN: [Known; 17] = [
    known(
        "p_default_by_year",
        "P(default by the end of year {p})",
        Unit::Percent,
        Proportion,
        DEFAULT,
    ),
    known(
        "default_month",
        "Default month among defaults, p{p}",
        Unit::Months,
        Quantile("default_month"),
        DEFAULT,
    ),
    known("expected_loss_usd", "Expected loss (nominal)", Unit::Usd, Mean, LOSS),
    known(
        "expected_pv_loss_usd",
        "Expected loss, present value",
        Unit::Usd,
        Mean,
        LOSS,
    ),
    known(
        "cva_usd",
        "CVA (Σ discounted EE × PD × (1 − recovery))",
        Unit::Usd,
        Plain,
        LOSS,
    ),
    known("var_loss_usd", "VaR{p} of loss", Unit::Usd, Quantile("loss_usd"), LOSS),
    known(
        "cvar_loss_usd",
        "CVaR{p} of loss",
        Unit::Usd,
        TailMean("loss_usd"),
        LOSS,
    ),
    known(
        "mean_loss_given_default",
        "Loss given default, mean among defaults",
        Unit::Percent,
        Mean,
        LOSS,
    ),
    known(
        "loss_given_default",
        "Loss given default, p{p}",
        Unit::Percent,
        Quantile("loss_given_default"),
        LOSS,
    ),
    known(
        "recovery_rate",
        "Recovery rate (present values, over defaults)",
        Unit::Percent,
        Plain,
        LOSS,
    ),
    known("expected_idle_cost_usd", "Expected idle cost", Unit::Usd, Mean, IDLE),
    known(
        "var_idle_cost_usd",
        "VaR{p} of idle cost",
        Unit::Usd,
        Quantile("idle_cost_usd"),
        IDLE,
    ),
    known(
        "cvar_idle_cost_usd",
        "CVaR{p} of idle cost",
        Unit::Usd,
        TailMean("idle_cost_usd"),
        IDLE,
    ),
    known(
        "p_year_utilization_below",
        "P(some contract year below {p} utilization)",
        Unit::Percent,
        Proportion,
        USE,
    ),
    known(
        "expected_provider_npv_usd",
        "The provider's NPV, mean",
        Unit::Usd,
        Mean,
        PROVIDER,
    ),
    known(
        "provider_npv_usd",
        "The provider's NPV, p{p}",
        Unit::Usd,
        Quantile("provider_npv_usd"),
        PROVIDER,
    ),
    known(
        "breakeven_default_probability",
        "Break-even default probability",
        Unit::Percent,
        Plain,
        PROVIDER,
    ),
];

/// A quantile level as a percentile number: 0.95 → "95", 0.995 → "99.5".
fn level(q: f64) -> String {
    trim(format!("{:.2}", q * 100.0))
}

/// The parameter of a row as its label shows it.
fn parameter(r: &RiskRow) -> Option<String> {
    r.year
        .map(human)
        .or_else(|| r.quantile.map(level))
        .or_else(|| r.threshold.map(percent))
}

fn label_of(k: &Known, r: &RiskRow) -> String {
    match (parameter(r), k.label.contains("{p}")) {
        (Some(p), true) => k.label.replace("{p}", &p),
        // A quantile figure without its level is its mean; another
        // parametrised figure without its parameter says so.
        (None, true) => match k.label.strip_suffix(", p{p}") {
            Some(stem) => format!("{stem}, mean"),
            None => k.label.replace("{p}", "(not given)"),
        },
        (Some(p), false) => format!("{} ({p})", k.label),
        (None, false) => k.label.to_string(),
    }
}

/// The parameter's sort key within a figure.
fn order(r: &RiskRow) -> f64 {
    r.year.or(r.quantile).or(r.threshold).unwrap_or(-1.0)
}

/// How an interval was obtained, for the cell's footnote mark.
#[derive(Clone, Copy, PartialEq)]
enum Source {
    /// The file's interval.
    File,
    Wilson,
    Student,
    OrderStatistics,
    Bootstrap,
    None,
}

/// The marks and notes of the intervals computed here.
const COMPUTED: [(Source, &str, &str); 4] = [
    (
        Source::Wilson,
        "§",
        "A Wilson score interval from the file's estimate and n: the file does not name its interval, and \
         a normal one collapses to a point at 0% or 100%.",
    ),
    (
        Source::Student,
        "¶",
        "Student's t interval (n − 1 degrees of freedom) from the file's standard error: the file does not \
         name its interval, and a normal one is too narrow with few replicas.",
    ),
    (
        Source::OrderStatistics,
        "†",
        "The file gives no interval for this quantile, so the report computed a distribution-free one from \
         <code>replicas.csv</code> (order statistics; an open end means too few replicas lie beyond it to \
         bound it).",
    ),
    (
        Source::Bootstrap,
        "‡",
        "Likewise computed from <code>replicas.csv</code>: a bootstrap percentile interval (1,000 \
         resamples, fixed seed), approximate with few replicas in the tail.",
    ),
];

/// The risk section of `detail`'s point.
pub(super) fn risk_section(folder: &Folder, detail: &Detail) -> Section {
    let heading = format!("Point {}: risk figures", detail.point);
    let Some(rows) = folder.risk_of(detail.point).filter(|r| !r.is_empty()) else {
        let why = if folder.risk.is_some() {
            format!("risk.csv has no figures for point {}.", detail.point)
        } else {
            "This folder has no risk.csv (it was written before the default model).".into()
        };
        return Section::note("risk", heading, why);
    };
    let committed = folder.committed_usd(detail.point);
    // (group, label, unit, row, interval cell, how it was found), in order.
    let mut lines: Vec<(&str, String, Unit, &RiskRow, String, Source)> = Vec::new();
    let mut used = vec![false; rows.len()];
    for k in &KNOWN {
        let mut matching: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].figure == k.figure).collect();
        matching.sort_by(|&a, &b| order(rows[a]).total_cmp(&order(rows[b])));
        for i in matching {
            used[i] = true;
            let (cell, source) = interval(detail, k, rows[i]);
            lines.push((k.group, label_of(k, rows[i]), k.unit, rows[i], cell, source));
        }
    }
    for (i, r) in rows.iter().enumerate().filter(|(i, _)| !used[*i]) {
        let label = match parameter(r) {
            Some(p) => format!("{} ({p})", readable_key(&r.figure)),
            None => readable_key(&r.figure),
        };
        let unit = Unit::of(&r.figure);
        let cell = file_interval(r, unit).unwrap_or_else(|| "—".into());
        lines.push(("Other figures", label, unit, rows[i], cell, Source::File));
    }
    let mut body = String::from(
        "<table class=\"risk\">\n<tr><th>figure</th><th>estimate</th><th>95% interval</th>\
         <th>share of the commitment</th><th>n</th></tr>\n",
    );
    let mut group = "";
    for (g, label, unit, r, cell, source) in &lines {
        if *g != group {
            body += &format!("<tr class=\"group\"><th colspan=\"5\">{}</th></tr>\n", html_escape(g));
            group = g;
        }
        let value = r.value.map_or("—".to_string(), |v| unit.format(v));
        let share = match (unit, r.value, committed) {
            (Unit::Usd, Some(v), Some(c)) => percent(v / c),
            _ => String::new(),
        };
        let note = match (source, &r.interval) {
            (Source::File, Some(method)) => format!(" <span class=\"how\">({})</span>", html_escape(method)),
            _ => COMPUTED
                .iter()
                .find(|(s, _, _)| s == source)
                .map_or(String::new(), |(_, mark, _)| format!("<sup>{mark}</sup>")),
        };
        let warn = if r.reliable == Some(false) {
            " <span class=\"warn\">unreliable: too few replicas in the tail</span>"
        } else {
            ""
        };
        body += &format!(
            "<tr><td>{}{warn}</td><td class=\"num\">{}</td><td class=\"num\">{cell}{note}</td>\
             <td class=\"num\">{share}</td><td class=\"num\">{}</td></tr>\n",
            html_escape(label),
            html_escape(&value),
            r.n.map_or(String::new(), human)
        );
    }
    body += "</table>\n";
    let mut notes = vec![format!(
        "Point {}'s figures of <code>risk.csv</code>, with their 95% intervals: the file's where it gives \
         one it names or one that needs no correction, or, marked, one computed here.",
        detail.point
    )];
    for (source, mark, text) in COMPUTED {
        if lines.iter().any(|l| l.5 == source) {
            notes.push(format!("<sup>{mark}</sup> {text}"));
        }
    }
    match committed {
        Some(c) => notes.push(format!(
            "Shares are of the {} committed over the term (<code>manifest.json</code>).",
            usd(c)
        )),
        None => notes.push("manifest.json gives no committed dollars, so no share of the commitment.".into()),
    }
    Section::table("risk", heading, notes.join(" "), body)
}

fn file_interval(r: &RiskRow, unit: Unit) -> Option<String> {
    let (lo, hi) = r.ci95?;
    Some(html_escape(&format!("{} – {}", unit.format(lo), unit.format(hi))))
}

/// The interval cell of a known figure and how it was found: the file's
/// when it names its method; else, for a proportion, Wilson's, for a mean,
/// Student's t; else the file's; else, for a tail figure, one computed from
/// its replicas.csv column.
fn interval(detail: &Detail, k: &Known, r: &RiskRow) -> (String, Source) {
    let both = |lo: String, hi: String| html_escape(&format!("{lo} – {hi}"));
    let named = r.interval.is_some();
    match (k.kind, r.value, r.n) {
        (Proportion, Some(p), Some(n)) if !named && n >= 1.0 && (0.0..=1.0).contains(&p) => {
            let (lo, hi) = wilson((p * n).round() as usize, n as usize);
            return (both(percent(lo), percent(hi)), Source::Wilson);
        }
        (Mean, Some(m), Some(n)) if !named && n >= 2.0 && r.stderr.is_some() => {
            let half = t975(n - 1.0) * r.stderr.unwrap_or(0.0);
            return (both(k.unit.format(m - half), k.unit.format(m + half)), Source::Student);
        }
        _ => {}
    }
    if let Some(text) = file_interval(r, k.unit) {
        return (text, Source::File);
    }
    let values = |column: &str| detail.present(column).filter(|v| !v.is_empty());
    let f = |v: f64| k.unit.format(v);
    match (k.kind, r.quantile) {
        (TailMean(column), Some(q)) => match values(column).map(|v| cvar_interval(&v, q)) {
            Some(Some((lo, hi))) => (both(f(lo), f(hi)), Source::Bootstrap),
            Some(None) => (
                html_escape(&format!("needs {}+ replicas", human(cvar_replicas_needed(q) as f64))),
                Source::None,
            ),
            None => ("—".into(), Source::None),
        },
        (Quantile(column), Some(q)) => match values(column) {
            Some(v) => {
                let text = match quantile_interval(&sorted(&v), q) {
                    (Some(lo), Some(hi)) => format!("{} – {}", f(lo), f(hi)),
                    (Some(lo), None) => format!("{} – beyond the largest", f(lo)),
                    (None, Some(hi)) => format!("below the smallest – {}", f(hi)),
                    (None, None) => "unbounded with so few replicas".into(),
                };
                (html_escape(&text), Source::OrderStatistics)
            }
            None => ("—".into(), Source::None),
        },
        _ => ("—".into(), Source::None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(figure: &str, quantile: Option<f64>) -> RiskRow {
        RiskRow {
            point: 0,
            figure: figure.into(),
            year: None,
            quantile,
            threshold: None,
            value: Some(1.0),
            stderr: None,
            ci95: None,
            n: Some(10.0),
            interval: None,
            reliable: None,
            estimator: None,
            effective_n: None,
        }
    }

    #[test]
    fn labels_name_their_parameter() {
        let var = &KNOWN[5];
        assert_eq!(label_of(var, &row("var_loss_usd", Some(0.95))), "VaR95 of loss");
        assert_eq!(label_of(var, &row("var_loss_usd", Some(0.995))), "VaR99.5 of loss");
        let lgd = &KNOWN[8];
        assert_eq!(
            label_of(lgd, &row("loss_given_default", None)),
            "Loss given default, mean"
        );
        assert_eq!(
            label_of(&KNOWN[0], &row("p_default_by_year", None)),
            "P(default by the end of year (not given))"
        );
        let mut by_year = row("p_default_by_year", None);
        by_year.year = Some(3.0);
        assert_eq!(label_of(&KNOWN[0], &by_year), "P(default by the end of year 3)");
    }
}
