//! The detail charts: one grid point's replicas ([`Detail`]), its headline
//! figures, utilization and capacity over the term, idle capacity and
//! counterparty risk. The training run charts are in [`training`].

mod training;

use super::ReportError;
use super::draw::{
    Area, C_ACCENT, C_GRAY, C_GREEN, C_MAIN, C_RED, Chart, DETAIL, DrawResult, draw_legend, histogram, legend_box,
    legend_line, placeholder, svg, two_panels,
};
use super::folder::{Band, Folder};
use super::page::Section;
use super::units::Unit;
use crate::output::numbers::{human, percent, usd};
use crate::stats::{mean, quantile_sorted, sorted, wilson};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use serde_json::Value;

/// One grid point's replicas, which every detail chart draws from.
pub(super) struct Detail<'a> {
    folder: &'a Folder,
    pub(super) point: u64,
    /// Indices of the point's replicas.csv rows.
    rows: Vec<usize>,
    /// Length of the term, months.
    term_months: f64,
}

impl<'a> Detail<'a> {
    pub(super) fn new(folder: &'a Folder, point: u64) -> Detail<'a> {
        let rows: Vec<usize> = (0..folder.replica_point.len())
            .filter(|&i| folder.replica_point[i] == point)
            .collect();
        let from_series = folder
            .series
            .iter()
            .filter(|((p, _), _)| *p == point)
            .flat_map(|(_, b)| b.iter().map(|b| b.month))
            .fold(0.0_f64, f64::max);
        let from_manifest = folder
            .manifest
            .as_ref()
            .and_then(|m| m.pointer("/contract_point_0/term_years"))
            .and_then(Value::as_f64)
            .map(|y| y * 12.0)
            .filter(|m| (0.0..=super::folder::MAX_MONTHS).contains(m))
            .unwrap_or(0.0);
        let mut d = Detail {
            folder,
            point,
            rows,
            term_months: 0.0,
        };
        let from_defaults = d
            .present("default_month")
            .unwrap_or_default()
            .into_iter()
            .fold(0.0, f64::max);
        d.term_months = [from_series, from_manifest, from_defaults]
            .into_iter()
            .find(|m| *m > 0.0)
            .unwrap_or(12.0)
            .max(from_defaults)
            .ceil();
        d
    }

    /// The point's values of a replicas.csv column (`None` per empty cell);
    /// `None` if the folder has no such column.
    fn column(&self, name: &str) -> Option<Vec<Option<f64>>> {
        let c = self.folder.columns.get(name)?;
        Some(self.rows.iter().map(|&i| c[i]).collect())
    }

    /// The point's non-empty values of a column.
    fn present(&self, name: &str) -> Option<Vec<f64>> {
        Some(self.column(name)?.into_iter().flatten().collect())
    }

    fn n(&self) -> usize {
        self.rows.len()
    }

    pub(super) fn scenario(&self) -> &str {
        self.folder
            .points
            .iter()
            .find(|p| p.id == self.point)
            .map(|p| p.scenario.as_str())
            .unwrap_or("")
    }

    fn bands(&self, metric: &str) -> Option<&Vec<Band>> {
        self.folder
            .series
            .get(&(self.point, metric.to_string()))
            .filter(|b| !b.is_empty())
    }

    pub(super) fn fan_chart(&self) -> Result<Section, ReportError> {
        let file = "utilization_fan.svg";
        let util = self.bands("utilization");
        let delivered = self.bands("delivered_chips");
        let undelivered = self.bands("undelivered_chips");
        let term = self.term_months;
        let svg = svg(file, 1200, 620, |root| {
            let (top, bottom) = root.split_vertically(340);
            match util {
                Some(b) => fan(&top, b, term),
                None => placeholder(
                    &top,
                    "Utilization over the term",
                    "timeseries.csv has no `utilization` rows for this point.",
                ),
            }?;
            match delivered {
                Some(d) => capacity(&bottom, d, undelivered.map(Vec::as_slice), term),
                None => placeholder(
                    &bottom,
                    "Delivered and planned capacity",
                    "timeseries.csv has no `delivered_chips` rows for this point.",
                ),
            }
        })?;
        let steps = util.map(Vec::len).unwrap_or(0);
        let one = if self.n() == 1 {
            " With a single replica the bands collapse onto the median."
        } else {
            ""
        };
        Ok(Section {
            id: "utilization",
            file,
            heading: "Utilization and capacity over the term".into(),
            svg: Some(svg),
            caption: format!(
                "Top: utilization (busy / delivered chip-hours in each of the {steps} steps) across the {} \
                 replicas: the median, the p25–p75 band and the p5–p95 band (<code>timeseries.csv</code>). \
                 Bottom, on the same time axis: delivered chips (median and p5–p95) and planned capacity, \
                 the mean of delivered + undelivered chips — the gap between them is capacity paid for but \
                 not yet there. Points are plotted at the end of each step.{one}",
                self.n()
            ),
        })
    }

    pub(super) fn idle_chart(&self) -> Result<Section, ReportError> {
        let file = "idle.svg";
        let fraction = self.present("idle_fraction").filter(|v| !v.is_empty());
        let cost = self.present("idle_cost_usd").filter(|v| !v.is_empty());
        let svg = two_panels(file, |left, right| {
            match &fraction {
                Some(v) => histogram(
                    left,
                    "Idle fraction across replicas",
                    v,
                    Unit::Percent,
                    "idle / delivered chip-hours (%)",
                    C_MAIN,
                ),
                None => placeholder(left, "Idle fraction", "replicas.csv has no idle_fraction column."),
            }?;
            match &cost {
                Some(v) => histogram(
                    right,
                    "Committed cost of idle capacity",
                    v,
                    Unit::Usd,
                    "idle chip-hours × contract price (USD)",
                    C_ACCENT,
                ),
                None => placeholder(right, "Idle cost", "replicas.csv has no idle_cost_usd column."),
            }
        })?;
        Ok(Section {
            id: "idle",
            file,
            heading: "Idle capacity".into(),
            svg: Some(svg),
            caption: format!(
                "Histograms over the {} replicas (<code>replicas.csv</code>) of the share of delivered \
                 chip-hours that sat up and unallocated, and of what those idle chip-hours cost at the \
                 contract's price per chip-hour. The dashed line is the mean.",
                self.n()
            ),
        })
    }

    pub(super) fn default_chart(&self) -> Result<Section, ReportError> {
        let file = "default_and_loss.svg";
        let n = self.n();
        let months = self.column("default_month");
        let loss = self.present("loss_usd");
        let term = self.term_months;
        let defaults = months.as_ref().map(|m| m.iter().flatten().count());
        let svg = two_panels(file, |left, right| {
            match &months {
                Some(m) => {
                    let m: Vec<f64> = m.iter().flatten().copied().collect();
                    default_curve(left, &m, n, term)
                }
                None => placeholder(
                    left,
                    "Cumulative probability of default",
                    "replicas.csv has no default_month column: this folder was written before the buyer \
                     and default model.",
                ),
            }?;
            match &loss {
                None => placeholder(
                    right,
                    "Loss at default",
                    "replicas.csv has no loss_usd column: this folder was written before the buyer \
                     and default model.",
                ),
                Some(l) if l.iter().all(|x| *x == 0.0) => placeholder(
                    right,
                    "Loss at default",
                    &format!(
                        "No loss: the provider's loss is $0 in all {} replicas (no replica defaulted, or \
                         recovery covered the exposure).",
                        l.len()
                    ),
                ),
                Some(l) => histogram(
                    right,
                    "Provider's loss across replicas",
                    l,
                    Unit::Usd,
                    "loss = exposure at default − recovery (USD)",
                    C_RED,
                ),
            }
        })?;
        let verdict = match defaults {
            Some(0) => format!("No replica defaulted (0 of {n})."),
            Some(k) => format!("{k} of {n} replicas defaulted within the term."),
            None => "This folder has no default columns.".into(),
        };
        Ok(Section {
            id: "default",
            file,
            heading: "Counterparty risk".into(),
            svg: Some(svg),
            caption: format!(
                "{verdict} Left: the share of replicas whose buyer has defaulted by each month \
                 (<code>default_month</code>; empty = never) with its 95% Wilson interval — with few \
                 replicas the band is wide, and zero defaults still leaves an upper bound. Right: the \
                 provider's loss per replica (<code>loss_usd</code>, $0 without default)."
            ),
        })
    }

    /// (label, formatted value) of the headline figures.
    pub(super) fn figures(&self) -> Vec<(String, String)> {
        let mut out = vec![("Replicas".to_string(), self.n().to_string())];
        let spread = |col: &str, label: &str| -> Option<(String, String)> {
            let v = self.present(col)?;
            if v.is_empty() {
                return None;
            }
            let u = Unit::of(col);
            let s = sorted(&v);
            // Quantiles without a repeated unit word: "59.7B chip-hours (p5 58.2B – p95 60.6B)".
            let q = |x: f64| match u {
                Unit::Percent | Unit::Usd => u.format(x),
                _ => human(x),
            };
            let text = if v.len() > 1 {
                format!(
                    "{} (p5 {} – p95 {})",
                    u.format(mean(&v)),
                    q(quantile_sorted(&s, 0.05)),
                    q(quantile_sorted(&s, 0.95))
                )
            } else {
                u.format(v[0])
            };
            Some((label.to_string(), text))
        };
        let rows = [
            ("utilization", "Utilization, mean"),
            ("useful_utilization", "Useful utilization, mean"),
            ("idle_fraction", "Idle fraction, mean"),
            ("idle_cost_usd", "Idle cost, mean"),
            ("delivered_chip_hours", "Delivered chip-hours, mean"),
            ("inference_served_fraction", "Inference demand served, mean"),
            ("training_runs_completed", "Training runs completed, mean"),
        ];
        out.extend(rows.iter().filter_map(|(c, l)| spread(c, l)));
        if let Some(m) = self.column("default_month") {
            let k = m.iter().flatten().count();
            let (lo, hi) = wilson(k, m.len());
            out.push((
                "Defaulted within the term".into(),
                format!(
                    "{k} of {} = {} (95% CI {} – {})",
                    m.len(),
                    percent(k as f64 / m.len().max(1) as f64),
                    percent(lo),
                    percent(hi)
                ),
            ));
        }
        if let Some(l) = self.present("loss_usd").filter(|l| !l.is_empty()) {
            out.push((
                "Provider's loss, mean (worst)".into(),
                format!("{} ({})", usd(mean(&l)), usd(sorted(&l)[l.len() - 1])),
            ));
        }
        out
    }
}

/// Draws the axes of a chart over the term (x: month of the term), one time
/// axis for the fan, capacity and default charts so they read together.
fn draw_term_axes(
    chart: &mut Chart<'_, '_, RangedCoordf64, RangedCoordf64>,
    y_desc: &str,
    y_ticks: &dyn Fn(&f64) -> String,
) -> DrawResult {
    DETAIL
        .mesh(chart)
        .x_desc("month of the term")
        .y_desc(y_desc)
        .x_label_formatter(&|v| human(*v))
        .y_label_formatter(y_ticks)
        .draw()?;
    Ok(())
}

/// The fan chart of utilization over the term.
fn fan(area: &Area, b: &[Band], term: f64) -> DrawResult {
    let top = b.iter().map(|x| x.p95).fold(1.0_f64, f64::max).min(1.5);
    let mut chart = DETAIL
        .chart(area, "Utilization over the term", (44, 64))
        .build_cartesian_2d(0f64..term.max(1.0), 0f64..top * 1.02)?;
    draw_term_axes(&mut chart, "utilization (%)", &|v| Unit::Percent.tick(*v))?;
    let band = |lo: fn(&Band) -> f64, hi: fn(&Band) -> f64| -> Vec<(f64, f64)> {
        let mut pts: Vec<(f64, f64)> = b.iter().map(|x| (x.month, hi(x))).collect();
        pts.extend(b.iter().rev().map(|x| (x.month, lo(x))));
        pts
    };
    chart
        .draw_series(std::iter::once(Polygon::new(
            band(|x| x.p5, |x| x.p95),
            C_MAIN.mix(0.18),
        )))?
        .label("p5–p95 of replicas")
        .legend(legend_box(C_MAIN.mix(0.18)));
    chart
        .draw_series(std::iter::once(Polygon::new(
            band(|x| x.p25, |x| x.p75),
            C_MAIN.mix(0.4),
        )))?
        .label("p25–p75")
        .legend(legend_box(C_MAIN.mix(0.4)));
    chart
        .draw_series(LineSeries::new(
            b.iter().map(|x| (x.month, x.p50)),
            C_MAIN.stroke_width(3),
        ))?
        .label("median")
        .legend(legend_line(C_MAIN.stroke_width(3)));
    chart
        .draw_series(DashedLineSeries::new(
            b.iter().map(|x| (x.month, x.mean)),
            5,
            4,
            C_GRAY.stroke_width(1),
        ))?
        .label("mean")
        .legend(legend_line(C_GRAY.stroke_width(1)));
    if b.len() == 1 {
        let x = b[0];
        chart.draw_series(std::iter::once(Circle::new((x.month, x.p50), 5, C_MAIN.filled())))?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
}

/// Delivered capacity (median, p5–p95) and planned capacity over the term.
fn capacity(area: &Area, delivered: &[Band], undelivered: Option<&[Band]>, term: f64) -> DrawResult {
    let planned: Vec<(f64, f64)> = match undelivered {
        Some(u) => delivered
            .iter()
            .map(|d| {
                let und = u
                    .iter()
                    .find(|x| (x.month - d.month).abs() < 1e-6)
                    .map_or(0.0, |x| x.mean);
                (d.month, d.mean + und)
            })
            .collect(),
        None => Vec::new(),
    };
    let peak = delivered
        .iter()
        .map(|x| x.p95)
        .chain(planned.iter().map(|p| p.1))
        .fold(0.0_f64, f64::max);
    let top = if peak > 0.0 { peak * 1.15 } else { 1.0 };
    let mut chart = DETAIL
        .chart(area, "Delivered and planned capacity", (44, 64))
        .build_cartesian_2d(0f64..term.max(1.0), 0f64..top)?;
    draw_term_axes(&mut chart, "chips", &|v| human(*v))?;
    let mut pts: Vec<(f64, f64)> = delivered.iter().map(|x| (x.month, x.p95)).collect();
    pts.extend(delivered.iter().rev().map(|x| (x.month, x.p5)));
    chart
        .draw_series(std::iter::once(Polygon::new(pts, C_GREEN.mix(0.2))))?
        .label("delivered, p5–p95")
        .legend(legend_box(C_GREEN.mix(0.2)));
    chart
        .draw_series(LineSeries::new(
            delivered.iter().map(|x| (x.month, x.p50)),
            C_GREEN.stroke_width(3),
        ))?
        .label("delivered, median")
        .legend(legend_line(C_GREEN.stroke_width(3)));
    if !planned.is_empty() {
        chart
            .draw_series(DashedLineSeries::new(planned, 8, 5, BLACK.stroke_width(2)))?
            .label("planned (mean delivered + undelivered)")
            .legend(legend_line(BLACK.stroke_width(2)));
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
}

/// P(default by month m) over the term, with a Wilson band.
fn default_curve(area: &Area, months: &[f64], n: usize, term: f64) -> DrawResult {
    let steps: Vec<(f64, f64, f64, f64)> = (0..=term as usize)
        .map(|m| {
            let k = months.iter().filter(|d| **d <= m as f64).count();
            let (lo, hi) = wilson(k, n);
            (m as f64, k as f64 / n.max(1) as f64, lo, hi)
        })
        .collect();
    let top = steps.iter().map(|s| s.3).fold(0.05_f64, f64::max).min(1.0) * 1.05;
    let mut chart = DETAIL
        .chart(area, "Cumulative probability of default", (48, 60))
        .build_cartesian_2d(0f64..term.max(1.0), 0f64..top)?;
    draw_term_axes(&mut chart, "P(default by month) (%)", &|v| Unit::Percent.tick(*v))?;
    // Step functions: the value at month m holds until m + 1.
    let stair = |f: fn(&(f64, f64, f64, f64)) -> f64| -> Vec<(f64, f64)> {
        let mut pts = Vec::new();
        for (i, s) in steps.iter().enumerate() {
            let end = steps.get(i + 1).map_or(term, |n| n.0);
            pts.push((s.0, f(s)));
            pts.push((end.min(term), f(s)));
        }
        pts
    };
    let mut band = stair(|s| s.3);
    band.extend(stair(|s| s.2).into_iter().rev());
    chart
        .draw_series(std::iter::once(Polygon::new(band, C_RED.mix(0.15))))?
        .label("95% interval (Wilson)")
        .legend(legend_box(C_RED.mix(0.15)));
    let k = months.len();
    // The legend goes where the curve is not: top left while defaults are
    // rare, bottom right once most replicas have defaulted.
    let corner = if 2 * k > n {
        SeriesLabelPosition::LowerRight
    } else {
        SeriesLabelPosition::UpperLeft
    };
    chart
        .draw_series(LineSeries::new(stair(|s| s.1), C_RED.stroke_width(3)))?
        .label(format!("defaulted: {k} of {n} replicas"))
        .legend(legend_line(C_RED.stroke_width(3)));
    draw_legend(&mut chart, corner)
}
