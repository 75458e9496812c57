//! The sensitivity section, for a folder written by `mortgage-sim
//! sensitivity` (it holds `sensitivity.csv`): one panel per metric of
//! `sensitivity.svg` — a tornado chart (method `tornado`: bars from the
//! base value to the metric's value with each input at its low and at its
//! high, inputs sorted by |swing|), a Sobol bar chart (method `sobol`:
//! first-order and total index per input with their bootstrap intervals) or
//! a Morris μ*–σ scatter (method `morris`) — and a table of each input's
//! headline statistic with its 95% interval. A folder without
//! `sensitivity.csv` gets no section.

use super::ReportError;
use super::draw::legend::{Entry, Sample};
use super::draw::{
    Area, C_ACCENT, C_GRAY, C_MAIN, Categories, Chart, DETAIL, DrawResult, FONT, Tips, category_label, range, svg,
    text_width,
};
use super::folder::{CsvTable, Folder};
use super::page::{Section, html_escape};
use crate::output::numbers::human;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

const FILE: &str = "sensitivity.svg";
const WIDTH: u32 = 1200;

/// A line of `sensitivity.csv`.
struct Stat {
    method: String,
    metric: String,
    input: String,
    statistic: String,
    value: f64,
    low: Option<f64>,
    high: Option<f64>,
}

/// The statistics of one metric under one method.
struct Study<'a> {
    method: &'a str,
    metric: &'a str,
    stats: Vec<&'a Stat>,
}

impl Study<'_> {
    fn get(&self, input: &str, statistic: &str) -> Option<&Stat> {
        self.stats
            .iter()
            .copied()
            .find(|s| s.input == input && s.statistic == statistic)
    }

    /// The statistic inputs are ranked by, for the method.
    fn headline(&self) -> Option<&'static str> {
        match self.method {
            "tornado" => Some("swing"),
            "sobol" => Some("total"),
            "morris" => Some("mu_star"),
            _ => None,
        }
    }

    /// The inputs, most important first (by |headline|).
    fn inputs(&self) -> Vec<&str> {
        let head = self.headline().unwrap_or("");
        let mut inputs: Vec<(&str, f64)> = Vec::new();
        for s in &self.stats {
            if !s.input.is_empty() && !inputs.iter().any(|(i, _)| *i == s.input) {
                let size = self.get(&s.input, head).map_or(0.0, |h| h.value.abs());
                inputs.push((s.input.as_str(), size));
            }
        }
        inputs.sort_by(|a, b| b.1.total_cmp(&a.1));
        inputs.into_iter().map(|(i, _)| i).collect()
    }

    fn title(&self) -> String {
        let kind = match self.method {
            "tornado" => "tornado",
            "sobol" => "Sobol indices",
            "morris" => "Morris screening",
            other => other,
        };
        format!("{}: {kind}", self.metric)
    }

    /// Pixel height of its panel.
    fn height(&self) -> u32 {
        match self.method {
            "morris" => 420,
            _ => 130 + 56 * self.inputs().len().max(1) as u32,
        }
    }
}

fn read(table: &CsvTable) -> Result<Vec<Stat>, ReportError> {
    let names = ["method", "metric", "input", "statistic"];
    let text = names.iter().map(|n| table.column(n)).collect::<Result<Vec<_>, _>>()?;
    let (v, lo, hi) = (
        table.column("value")?,
        table.column("ci95_low")?,
        table.column("ci95_high")?,
    );
    let cell = |row: usize, c: usize| table.rows[row].get(c).unwrap_or("").trim().to_string();
    (0..table.rows.len())
        .map(|row| {
            Ok(Stat {
                method: cell(row, text[0]),
                metric: cell(row, text[1]),
                input: cell(row, text[2]),
                statistic: cell(row, text[3]),
                value: table.value(row, v)?,
                low: table.number(row, lo)?,
                high: table.number(row, hi)?,
            })
        })
        .collect()
}

/// The section, or `None` when the folder has no `sensitivity.csv`.
pub(super) fn sensitivity_section(folder: &Folder) -> Result<Option<Section>, ReportError> {
    let Some(table) = CsvTable::read(&folder.dir, "sensitivity.csv")? else {
        return Ok(None);
    };
    let stats = read(&table)?;
    let mut studies: Vec<Study> = Vec::new();
    for s in &stats {
        match studies
            .iter_mut()
            .find(|g| g.method == s.method && g.metric == s.metric)
        {
            Some(g) => g.stats.push(s),
            None => studies.push(Study {
                method: &s.method,
                metric: &s.metric,
                stats: vec![s],
            }),
        }
    }
    let heading = "Which assumption matters? (sensitivity.csv)";
    if studies.is_empty() {
        return Ok(Some(Section::note(
            "sensitivity",
            heading,
            "<code>sensitivity.csv</code> has no statistics (only a header line).",
        )));
    }
    let height: u32 = studies.iter().map(Study::height).sum();
    let chart = svg(FILE, WIDTH, height, |root, tips| {
        let mut rest = root.clone();
        for study in &studies {
            let (panel, below) = rest.split_vertically(study.height());
            match study.method {
                "tornado" => tornado(&panel, tips, study)?,
                "sobol" => sobol(&panel, tips, study)?,
                "morris" => morris(&panel, tips, study)?,
                other => super::draw::placeholder(
                    &panel,
                    &study.title(),
                    &format!("method `{other}` has no chart (known: tornado, sobol, morris)"),
                )?,
            }
            rest = below;
        }
        Ok(())
    })?;
    let caption = "One panel per metric. <b>Tornado</b>: the metric with one input at its low (blue) and at \
        its high (orange) end and the others at base; the vertical line is the base value, inputs are \
        sorted by |swing| (high − low), whiskers are the 95% intervals of the two values where the \
        study has them. <b>Sobol</b>: first-order (blue) and total (orange) index per input with \
        bootstrap 95% intervals; total ≫ first-order means interactions, intervals crossing 0 mean \
        the sample is too small to tell. <b>Morris</b>: μ* (mean |elementary effect|, importance) \
        against σ (non-linearity or interaction) with μ*'s 95% interval. The table gives each \
        input's headline statistic (swing, total index or μ*) with its interval; common random \
        numbers across evaluations make the differences the inputs' effects, not noise."
        .to_string();
    Ok(Some(Section {
        body: headline_table(&studies),
        ..Section::chart("sensitivity", FILE, heading, chart, caption)
    }))
}

fn interval(s: &Stat) -> String {
    match (s.low, s.high) {
        (Some(l), Some(h)) => format!("{} – {}", human(l), human(h)),
        _ => "–".into(),
    }
}

fn headline_table(studies: &[Study]) -> String {
    let mut body = String::from(
        "<table class=\"sensitivity\">\n<tr><th>metric</th><th>method</th><th>input</th><th>statistic</th>\
         <th>value</th><th>95% interval</th></tr>\n",
    );
    for study in studies {
        let Some(head) = study.headline() else { continue };
        for input in study.inputs() {
            if let Some(s) = study.get(input, head) {
                body += &format!(
                    "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{head}</td><td class=\"num\">{}</td>\
                     <td class=\"num\">{}</td></tr>\n",
                    html_escape(study.metric),
                    html_escape(study.method),
                    html_escape(input),
                    human(s.value),
                    interval(s)
                );
            }
        }
    }
    body + "</table>\n"
}

/// An axis tick: [`human`], without a negative zero.
fn tick(v: &f64) -> String {
    if v.abs() < 1e-12 { "0".into() } else { human(*v) }
}

/// Left label area wide enough for the longest input name.
fn label_width(inputs: &[&str]) -> u32 {
    let widest = inputs.iter().map(|i| text_width(i, DETAIL.ticks)).max().unwrap_or(0);
    (widest + 24).clamp(80, 520) as u32
}

/// Horizontal whisker from `lo` to `hi` at height `y`.
fn whisker(lo: f64, hi: f64, y: f64) -> [PathElement<(f64, f64)>; 3] {
    [
        PathElement::new(vec![(lo, y), (hi, y)], BLACK.stroke_width(2)),
        PathElement::new(vec![(lo, y - 0.08), (lo, y + 0.08)], BLACK.stroke_width(2)),
        PathElement::new(vec![(hi, y - 0.08), (hi, y + 0.08)], BLACK.stroke_width(2)),
    ]
}

/// Row of `input` `i` of `n` on a [`Categories`] y axis: the first at the top.
fn row(i: usize, n: usize) -> f64 {
    (n - 1 - i) as f64
}

/// A chart of one row per input (the first at the top) over an x axis
/// spanning `xs`, padded by `pad` of its span, with its mesh drawn.
fn input_rows<'a, 'b>(
    plot: &'a Area<'b>,
    inputs: &[&str],
    xs: &[f64],
    pad: f64,
    x_desc: &str,
) -> Result<Chart<'a, 'b, RangedCoordf64, Categories>, Box<dyn std::error::Error>> {
    let n = inputs.len().max(1);
    let (x0, x1) = range(
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        pad,
    );
    let mut chart = DETAIL
        .chart(plot, (DETAIL.x_label_area(1), label_width(inputs)))
        .build_cartesian_2d(x0..x1, Categories::new(n))?;
    let labels: Vec<&str> = (0..n).map(|r| inputs.get(n - 1 - r).copied().unwrap_or("")).collect();
    let y_fmt = |v: &f64| category_label(&labels, *v).unwrap_or_default().to_string();
    DETAIL
        .mesh(&mut chart)
        .disable_y_mesh()
        .x_desc(x_desc)
        .x_label_formatter(&tick)
        .y_label_formatter(&y_fmt)
        .draw()?;
    Ok(chart)
}

fn tornado(area: &Area, tips: &Tips, study: &Study) -> DrawResult {
    let inputs = study.inputs();
    let n = inputs.len().max(1);
    let base = study.get("", "base_value").map(|s| s.value);
    let legend = [
        Entry::new("input at its low", Sample::Fill(C_MAIN.mix(0.7))),
        Entry::new("input at its high", Sample::Fill(C_ACCENT.mix(0.7))),
        Entry::new("95% interval", Sample::Whisker(BLACK.to_rgba())),
    ];
    let plot = DETAIL.frame(area, &study.title(), &legend)?;
    let ends: Vec<(Option<&Stat>, Option<&Stat>)> = inputs
        .iter()
        .map(|i| (study.get(i, "low_value"), study.get(i, "high_value")))
        .collect();
    let xs: Vec<f64> = ends
        .iter()
        .flat_map(|(l, h)| [*l, *h])
        .flatten()
        .flat_map(|s| [Some(s.value), s.low, s.high])
        .flatten()
        .chain(base)
        .collect();
    let mut chart = input_rows(&plot, &inputs, &xs, 0.05, study.metric)?;
    let (x0, x1) = (chart.x_range().start, chart.x_range().end);
    let from = base.unwrap_or(x0);
    for (i, (input, (lo, hi))) in inputs.iter().zip(&ends).enumerate() {
        let y = row(i, n);
        for (end, color, offset) in [(lo, C_MAIN, 0.17), (hi, C_ACCENT, -0.17)] {
            let Some(s) = end else { continue };
            chart.draw_series([Rectangle::new(
                [(from, y + offset - 0.15), (s.value, y + offset + 0.15)],
                color.mix(0.7).filled(),
            )])?;
            // The bar's end, so a value equal to the base still shows.
            chart.draw_series([PathElement::new(
                vec![(s.value, y + offset - 0.17), (s.value, y + offset + 0.17)],
                color.stroke_width(3),
            )])?;
            if let (Some(l), Some(h)) = (s.low, s.high) {
                chart.draw_series(whisker(l, h, y + offset))?;
            }
        }
        let swing = study.get(input, "swing");
        tips.span(
            &chart,
            (x0, y - 0.45),
            (x1, y + 0.45),
            format!(
                "{input}: at low {}, at high {}, base {}; swing {} (95% interval {})",
                lo.map_or("–".into(), |s| human(s.value)),
                hi.map_or("–".into(), |s| human(s.value)),
                base.map_or("–".into(), human),
                swing.map_or("–".into(), |s| human(s.value)),
                swing.map_or("–".into(), interval)
            ),
        );
    }
    if let Some(b) = base {
        chart.draw_series([PathElement::new(
            vec![(b, -0.5), (b, n as f64 - 0.5)],
            C_GRAY.stroke_width(2),
        )])?;
    }
    Ok(())
}

fn sobol(area: &Area, tips: &Tips, study: &Study) -> DrawResult {
    let inputs = study.inputs();
    let n = inputs.len().max(1);
    let legend = [
        Entry::new("first-order index", Sample::Fill(C_MAIN.mix(0.7))),
        Entry::new("total index", Sample::Fill(C_ACCENT.mix(0.7))),
        Entry::new("bootstrap 95% interval", Sample::Whisker(BLACK.to_rgba())),
    ];
    let plot = DETAIL.frame(area, &study.title(), &legend)?;
    let kinds = [("first_order", C_MAIN, 0.17), ("total", C_ACCENT, -0.17)];
    let xs: Vec<f64> = inputs
        .iter()
        .flat_map(|i| kinds.iter().filter_map(move |k| study.get(i, k.0)))
        .flat_map(|s| [Some(s.value), s.low, s.high])
        .flatten()
        .chain([0.0, 1.0])
        .collect();
    let mut chart = input_rows(
        &plot,
        &inputs,
        &xs,
        0.03,
        "Sobol index (share of the metric's variance)",
    )?;
    let (x0, x1) = (chart.x_range().start, chart.x_range().end);
    chart.draw_series([PathElement::new(
        vec![(0.0, -0.5), (0.0, n as f64 - 0.5)],
        C_GRAY.stroke_width(1),
    )])?;
    for (i, input) in inputs.iter().enumerate() {
        let y = row(i, n);
        let mut words = Vec::new();
        for (statistic, color, offset) in kinds {
            let Some(s) = study.get(input, statistic) else { continue };
            chart.draw_series([Rectangle::new(
                [(0.0, y + offset - 0.15), (s.value, y + offset + 0.15)],
                color.mix(0.7).filled(),
            )])?;
            if let (Some(l), Some(h)) = (s.low, s.high) {
                chart.draw_series(whisker(l, h, y + offset))?;
            }
            words.push(format!("{statistic} {} (95% interval {})", human(s.value), interval(s)));
        }
        tips.span(
            &chart,
            (x0, y - 0.45),
            (x1, y + 0.45),
            format!("{input}: {}", words.join("; ")),
        );
    }
    Ok(())
}

fn morris(area: &Area, tips: &Tips, study: &Study) -> DrawResult {
    let inputs = study.inputs();
    let legend = [
        Entry::new("input (μ*, σ)", Sample::Dot(C_MAIN.to_rgba())),
        Entry::new("μ* 95% interval", Sample::Whisker(BLACK.to_rgba())),
    ];
    let plot = DETAIL.frame(area, &study.title(), &legend)?;
    let points: Vec<(&str, &Stat, Option<&Stat>)> = inputs
        .iter()
        .filter_map(|i| study.get(i, "mu_star").map(|m| (*i, m, study.get(i, "sigma"))))
        .collect();
    let xs: Vec<f64> = points
        .iter()
        .flat_map(|(_, m, _)| [Some(m.value), m.low, m.high])
        .flatten()
        .chain([0.0])
        .collect();
    let ys: Vec<f64> = points
        .iter()
        .filter_map(|(_, _, s)| s.map(|s| s.value))
        .chain([0.0])
        .collect();
    let max = |v: &[f64]| v.iter().copied().fold(0.0_f64, f64::max);
    let (x0, x1) = range(0.0, max(&xs), 0.08);
    let (y0, y1) = range(0.0, max(&ys), 0.12);
    let mut chart = DETAIL
        .chart(&plot, (DETAIL.x_label_area(1), 90))
        .build_cartesian_2d(x0.min(0.0)..x1, y0.min(0.0)..y1)?;
    DETAIL
        .mesh(&mut chart)
        .x_desc("μ* (mean |elementary effect|)")
        .y_desc("σ of the effects")
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .draw()?;
    for (input, mu, sigma) in &points {
        let y = sigma.map_or(0.0, |s| s.value);
        if let (Some(l), Some(h)) = (mu.low, mu.high) {
            chart.draw_series([PathElement::new(vec![(l, y), (h, y)], BLACK.stroke_width(2))])?;
        }
        chart.draw_series([Circle::new((mu.value, y), 7, C_MAIN.filled())])?;
        // The name above and right of its dot, clear of the whisker.
        chart.draw_series([EmptyElement::at((mu.value, y))
            + Text::new(
                input.to_string(),
                (8, -24),
                (FONT, DETAIL.ticks).into_font().color(&BLACK),
            )])?;
        tips.dot(
            &chart,
            (mu.value, y),
            8,
            format!(
                "{input}: μ* {} (95% interval {}), σ {}",
                human(mu.value),
                interval(mu),
                sigma.map_or("–".into(), |s| human(s.value))
            ),
        );
    }
    Ok(())
}
