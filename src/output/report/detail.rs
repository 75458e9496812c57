//! The detail charts: one grid point's replicas ([`Detail`]), its headline
//! figures and parameter values, the median replica every chart marks,
//! utilization and capacity over the term, and idle capacity. The
//! counterparty-risk charts are in [`credit`], the training run charts in
//! [`training`].

mod credit;
mod training;

use super::ReportError;
use super::draw::distribution::{Distribution, distribution};
use super::draw::legend::{Entry, Sample};
use super::draw::{
    Area, C_ACCENT, C_GRAY, C_GREEN, C_MAIN, Chart, DETAIL, DrawResult, Tips, placeholder, svg, two_panels,
};
use super::folder::{Band, Folder};
use super::page::Section;
use super::sweep::short_value;
use super::units::{Unit, readable_key};
use crate::output::numbers::{human, percent, usd};
use crate::stats::{mean, quantile_sorted, sorted, wilson};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use serde_json::Value;

/// The replica whose utilization is the median of the point's (the lower
/// middle one for an even count). Every chart that marks a replica marks
/// this one, so adjacent charts tell one replica's story.
#[derive(Clone, Copy)]
pub(super) struct Median {
    /// Row among the point's replicas.
    row: usize,
    /// Its replica index.
    pub(super) replica: f64,
    pub(super) utilization: f64,
}

/// A column's (replica index, value) pairs over the point's replicas that
/// have a value, and whether each of those replicas defaulted.
type ByReplica = (Vec<(f64, f64)>, Vec<bool>);

/// One grid point's replicas, which every detail chart draws from.
pub(super) struct Detail<'a> {
    folder: &'a Folder,
    pub(super) point: u64,
    /// Indices of the point's replicas.csv rows.
    rows: Vec<usize>,
    /// Length of the term, months.
    term_months: f64,
    pub(super) median: Option<Median>,
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
            .filter(|m| (0.0..=crate::output::csv_table::MAX_MONTHS).contains(m))
            .unwrap_or(0.0);
        let mut d = Detail {
            folder,
            point,
            rows,
            term_months: 0.0,
            median: None,
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
        d.median = d.median_utilization_replica();
        d
    }

    /// The point's values of a replicas.csv column (`None` per empty cell);
    /// `None` if the folder has no such column.
    fn column(&self, name: &str) -> Option<Vec<Option<f64>>> {
        let c = self.folder.columns.get(name)?;
        Some(self.rows.iter().map(|&i| c[i]).collect())
    }

    /// The point's non-empty values of a column.
    pub(super) fn present(&self, name: &str) -> Option<Vec<f64>> {
        Some(self.column(name)?.into_iter().flatten().collect())
    }

    /// (replica index, value) of the point's replicas with a value in the
    /// column, and whether each of them defaulted.
    fn by_replica(&self, name: &str) -> Option<ByReplica> {
        let values = self.column(name)?;
        let defaulted = self.column("default_month");
        let mut out = (Vec::new(), Vec::new());
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                out.0.push((self.folder.replica_index[self.rows[i]], *v));
                out.1.push(defaulted.as_ref().is_some_and(|d| d[i].is_some()));
            }
        }
        Some(out)
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

    /// (readable key, dotted key, value) of the point's swept keys.
    pub(super) fn parameters(&self) -> Vec<(String, String, String)> {
        let Some(p) = self.folder.points.iter().find(|p| p.id == self.point) else {
            return Vec::new();
        };
        self.folder
            .keys
            .iter()
            .zip(&p.values)
            .map(|(k, v)| (readable_key(k), k.clone(), short_value(v)))
            .collect()
    }

    fn median_utilization_replica(&self) -> Option<Median> {
        let util = self.column("utilization")?;
        let mut order: Vec<(usize, f64)> = util.iter().enumerate().filter_map(|(i, u)| Some((i, (*u)?))).collect();
        order.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let (row, u) = *order.get(order.len().checked_sub(1)? / 2)?;
        Some(Median {
            row,
            replica: self.folder.replica_index[self.rows[row]],
            utilization: u,
        })
    }

    /// How captions name the median replica.
    pub(super) fn median_words(&self) -> String {
        match self.median {
            Some(m) if self.n() == 1 => format!("the only replica, replica {}", human(m.replica)),
            Some(m) => format!(
                "replica {}, whose utilization ({}) is the median of the {} replicas'",
                human(m.replica),
                percent(m.utilization),
                self.n()
            ),
            None => "no replica (replicas.csv has no utilization values)".into(),
        }
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
        let svg = svg(file, 1200, 780, |root, tips| {
            let (top, bottom) = root.split_vertically(400);
            match util {
                Some(b) => fan(&top, tips, b, term),
                None => placeholder(
                    &top,
                    "Utilization over the term",
                    "timeseries.csv has no `utilization` rows for this point.",
                ),
            }?;
            match delivered {
                Some(d) => capacity(&bottom, tips, d, undelivered.map(Vec::as_slice), term),
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
        Ok(Section::chart(
            "utilization",
            file,
            "Utilization and capacity over the term",
            svg,
            format!(
                "Top: utilization (busy / delivered chip-hours in each of the {steps} steps) across the {} \
                 replicas: the median, the p25–p75 band and the p5–p95 band (<code>timeseries.csv</code>). \
                 Bottom, on the same time axis: delivered chips (median and p5–p95) and planned capacity, \
                 the mean of delivered + undelivered chips — the gap between them is capacity paid for but \
                 not yet there. Points are plotted at the end of each step; hover over a month for its \
                 values.{one}",
                self.n()
            ),
        ))
    }

    pub(super) fn idle_chart(&self) -> Result<Section, ReportError> {
        let file = "idle.svg";
        let fraction = self.by_replica("idle_fraction").filter(|v| !v.0.is_empty());
        let cost = self.by_replica("idle_cost_usd").filter(|v| !v.0.is_empty());
        let marked = self.median.map(|m| m.replica);
        let svg = two_panels(file, |left, right, tips| {
            match &fraction {
                Some((v, _)) => distribution(
                    left,
                    tips,
                    &Distribution {
                        title: "Idle fraction across replicas",
                        values: v.clone(),
                        unit: Unit::Percent,
                        x_desc: "idle / delivered chip-hours (%)",
                        color: C_MAIN,
                        split: None,
                        marked,
                        reference: None,
                    },
                ),
                None => placeholder(left, "Idle fraction", "replicas.csv has no idle_fraction column."),
            }?;
            match &cost {
                Some((v, _)) => distribution(
                    right,
                    tips,
                    &Distribution {
                        title: "Committed cost of idle capacity",
                        values: v.clone(),
                        unit: Unit::Usd,
                        x_desc: "idle chip-hours × contract price (USD)",
                        color: C_ACCENT,
                        split: None,
                        marked,
                        reference: None,
                    },
                ),
                None => placeholder(right, "Idle cost", "replicas.csv has no idle_cost_usd column."),
            }
        })?;
        Ok(Section::chart(
            "idle",
            file,
            "Idle capacity",
            svg,
            format!(
                "{} over the {} replicas (<code>replicas.csv</code>) of the share of delivered chip-hours that \
                 sat up and unallocated, and of what those idle chip-hours cost at the contract's price per \
                 chip-hour. Dashed: the mean; orange: {}.",
                distribution_words(self.n()),
                self.n(),
                self.median_words()
            ),
        ))
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
        if let Some(m) = self.median {
            out.push((
                "Median replica (marked in orange)".into(),
                format!("replica {} (utilization {})", human(m.replica), percent(m.utilization)),
            ));
        }
        out
    }
}

/// How a caption names the kind of distribution chart drawn for `n` replicas.
pub(super) fn distribution_words(n: usize) -> &'static str {
    if n < super::draw::distribution::FEW_REPLICAS {
        "Empirical distributions (ECDF: each dot a replica, at the share of replicas at or below its value)"
    } else {
        "Histograms"
    }
}

/// Draws the axes of a chart over the term (x: month of the term), one time
/// axis for the fan, capacity, exposure and default charts so they read
/// together.
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

/// Label areas of a full-width chart over the term (left and right, where
/// the exposure profile has its second axis), so that their month axes
/// line up on the page.
pub(super) const TERM_LABEL_AREAS: (u32, u32) = (90, 90);

/// The builder of a full-width chart over the term.
fn term_chart<'a, 'b>(area: &'a Area<'b>) -> ChartBuilder<'a, 'static, SVGBackend<'b>> {
    let mut builder = DETAIL.chart(area, (DETAIL.x_label_area(1), TERM_LABEL_AREAS.0));
    builder.right_y_label_area_size(TERM_LABEL_AREAS.1);
    builder
}

/// Hover strips over a chart along the term: one per month of `texts`,
/// as wide as halfway to its neighbours and as tall as the plot.
fn month_tips(chart: &Chart<'_, '_, RangedCoordf64, RangedCoordf64>, tips: &Tips, texts: &[(f64, String)]) {
    let (y0, y1) = (chart.y_range().start, chart.y_range().end);
    for (i, (month, text)) in texts.iter().enumerate() {
        let before = if i > 0 { texts[i - 1].0 } else { month - 1.0 };
        let after = texts.get(i + 1).map_or(month + 1.0, |t| t.0);
        tips.span(
            chart,
            ((before + month) / 2.0, y0),
            ((month + after) / 2.0, y1),
            text.clone(),
        );
    }
}

/// A band between two curves over the term, as a polygon's points.
fn band_points(b: &[Band], lo: fn(&Band) -> f64, hi: fn(&Band) -> f64) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = b.iter().map(|x| (x.month, hi(x))).collect();
    pts.extend(b.iter().rev().map(|x| (x.month, lo(x))));
    pts
}

/// The fan chart of utilization over the term.
fn fan(area: &Area, tips: &Tips, b: &[Band], term: f64) -> DrawResult {
    let top = b.iter().map(|x| x.p95).fold(1.0_f64, f64::max).min(1.5);
    let legend = [
        Entry::new("p5–p95 of replicas", Sample::Fill(C_MAIN.mix(0.18))),
        Entry::new("p25–p75", Sample::Fill(C_MAIN.mix(0.4))),
        Entry::line("median", C_MAIN, 3),
        Entry::dashed("mean", C_GRAY, 2, (5, 4)),
    ];
    let plot = DETAIL.frame(area, "Utilization over the term", &legend)?;
    let mut chart = term_chart(&plot).build_cartesian_2d(0f64..term.max(1.0), 0f64..top * 1.02)?;
    draw_term_axes(&mut chart, "utilization (%)", &|v| Unit::Percent.tick(*v))?;
    chart.draw_series(std::iter::once(Polygon::new(
        band_points(b, |x| x.p5, |x| x.p95),
        C_MAIN.mix(0.18),
    )))?;
    chart.draw_series(std::iter::once(Polygon::new(
        band_points(b, |x| x.p25, |x| x.p75),
        C_MAIN.mix(0.4),
    )))?;
    chart.draw_series(LineSeries::new(
        b.iter().map(|x| (x.month, x.p50)),
        C_MAIN.stroke_width(3),
    ))?;
    chart.draw_series(DashedLineSeries::new(
        b.iter().map(|x| (x.month, x.mean)),
        5,
        4,
        C_GRAY.stroke_width(2),
    ))?;
    if b.len() == 1 {
        let x = b[0];
        chart.draw_series(std::iter::once(Circle::new((x.month, x.p50), 5, C_MAIN.filled())))?;
    }
    let p = |x: f64| Unit::Percent.format(x);
    let texts: Vec<(f64, String)> = b
        .iter()
        .map(|x| {
            (
                x.month,
                format!(
                    "month {}: utilization median {}, p25–p75 {} – {}, p5–p95 {} – {}, mean {}",
                    human(x.month),
                    p(x.p50),
                    p(x.p25),
                    p(x.p75),
                    p(x.p5),
                    p(x.p95),
                    p(x.mean)
                ),
            )
        })
        .collect();
    month_tips(&chart, tips, &texts);
    Ok(())
}

/// Delivered capacity (median, p5–p95) and planned capacity over the term.
fn capacity(area: &Area, tips: &Tips, delivered: &[Band], undelivered: Option<&[Band]>, term: f64) -> DrawResult {
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
    let top = if peak > 0.0 { peak * 1.08 } else { 1.0 };
    let mut legend = vec![
        Entry::new("delivered, p5–p95", Sample::Fill(C_GREEN.mix(0.2))),
        Entry::line("delivered, median", C_GREEN, 3),
    ];
    if !planned.is_empty() {
        legend.push(Entry::dashed(
            "planned (mean delivered + undelivered)",
            BLACK,
            2,
            (8, 5),
        ));
    }
    let plot = DETAIL.frame(area, "Delivered and planned capacity", &legend)?;
    let mut chart = term_chart(&plot).build_cartesian_2d(0f64..term.max(1.0), 0f64..top)?;
    draw_term_axes(&mut chart, "chips", &|v| human(*v))?;
    chart.draw_series(std::iter::once(Polygon::new(
        band_points(delivered, |x| x.p5, |x| x.p95),
        C_GREEN.mix(0.2),
    )))?;
    chart.draw_series(LineSeries::new(
        delivered.iter().map(|x| (x.month, x.p50)),
        C_GREEN.stroke_width(3),
    ))?;
    if !planned.is_empty() {
        chart.draw_series(DashedLineSeries::new(planned.clone(), 8, 5, BLACK.stroke_width(2)))?;
    }
    let texts: Vec<(f64, String)> = delivered
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let plan = planned
                .get(i)
                .map_or(String::new(), |p| format!(", planned {}", human(p.1)));
            (
                x.month,
                format!(
                    "month {}: delivered chips median {}, p5–p95 {} – {}{plan}",
                    human(x.month),
                    human(x.p50),
                    human(x.p5),
                    human(x.p95)
                ),
            )
        })
        .collect();
    month_tips(&chart, tips, &texts);
    Ok(())
}
