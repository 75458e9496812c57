//! The distribution of one figure across a point's replicas: a histogram
//! when there are enough replicas for its bins to mean something, else an
//! ECDF with every replica a dot (a five-bin histogram of three replicas
//! shows bins, not data). Both mark the mean (dashed, and dashed in the
//! legend too), the median replica when asked, and optionally split the
//! replicas into two groups (e.g. those whose buyer defaulted).

use super::legend::{Entry, Sample};
use super::{Area, C_ACCENT, C_GRAY, DETAIL, DrawResult, Tips, count_tick, range};
use crate::output::report::units::Unit;
use crate::stats::mean;
use plotters::prelude::*;

/// Fewer replicas than this get an ECDF instead of a histogram: the
/// square-root rule would give them five bins or fewer.
pub(in crate::output::report) const FEW_REPLICAS: usize = 30;

/// Replicas drawn in a second colour, e.g. those that defaulted.
pub(in crate::output::report) struct Split<'a> {
    /// Whether each value (in the order of [`Distribution::values`]) is in
    /// the group.
    pub(in crate::output::report) flags: Vec<bool>,
    pub(in crate::output::report) label_in: &'a str,
    pub(in crate::output::report) label_out: &'a str,
    pub(in crate::output::report) color_in: RGBColor,
}

/// A figure's values across a point's replicas, and how to draw them.
pub(in crate::output::report) struct Distribution<'a> {
    pub(in crate::output::report) title: &'a str,
    /// (replica index, value) of each replica that has a value.
    pub(in crate::output::report) values: Vec<(f64, f64)>,
    pub(in crate::output::report) unit: Unit,
    pub(in crate::output::report) x_desc: &'a str,
    pub(in crate::output::report) color: RGBColor,
    pub(in crate::output::report) split: Option<Split<'a>>,
    /// The replica to mark (the page's median replica).
    pub(in crate::output::report) marked: Option<f64>,
    /// A reference value drawn as a solid line when in range, e.g. zero.
    pub(in crate::output::report) reference: Option<(f64, &'a str)>,
}

impl Distribution<'_> {
    fn in_group(&self, i: usize) -> bool {
        self.split
            .as_ref()
            .is_some_and(|s| s.flags.get(i).copied().unwrap_or(false))
    }

    fn color_of(&self, i: usize) -> RGBColor {
        match &self.split {
            Some(s) if self.in_group(i) => s.color_in,
            _ => self.color,
        }
    }

    fn marked_value(&self) -> Option<(f64, f64)> {
        let r = self.marked?;
        self.values.iter().copied().find(|(replica, _)| *replica == r)
    }

    /// The legend: the groups, the mean (dashed as drawn), the marked replica.
    fn legend(&self, mean: f64, ecdf: bool) -> Vec<Entry> {
        let mut out = Vec::new();
        let n = self.values.len();
        if let Some(s) = &self.split {
            let k = (0..n).filter(|&i| self.in_group(i)).count();
            let sample = |c: RGBColor| {
                if ecdf {
                    Sample::Dot(c.to_rgba())
                } else {
                    Sample::Fill(c.mix(0.75))
                }
            };
            out.push(Entry::new(format!("{} ({})", s.label_out, n - k), sample(self.color)));
            out.push(Entry::new(format!("{} ({k})", s.label_in), sample(s.color_in)));
        }
        out.push(Entry::dashed(
            format!("mean {} (n = {n})", self.unit.format(mean)),
            C_GRAY,
            2,
            (6, 4),
        ));
        if let Some((r, v)) = self.marked_value() {
            let sample = if ecdf {
                Sample::Ring(C_ACCENT.to_rgba())
            } else {
                Sample::Dot(C_ACCENT.to_rgba())
            };
            out.push(Entry::new(
                format!("median replica ({}): {}", r, self.unit.format(v)),
                sample,
            ));
        }
        if let Some((x, label)) = self.reference {
            let (lo, hi) = x_range(self);
            if (lo..=hi).contains(&x) {
                out.push(Entry::line(label, BLACK, 1));
            } else {
                let side = if x < lo { "above" } else { "below" };
                out.push(Entry::new(
                    format!("{label} is off the axis: every replica is {side} it"),
                    Sample::None,
                ));
            }
        }
        out
    }
}

/// Draws `d` on `area`: an ECDF below [`FEW_REPLICAS`], else a histogram.
pub(in crate::output::report) fn distribution(area: &Area, tips: &Tips, d: &Distribution) -> DrawResult {
    let xs: Vec<f64> = d.values.iter().map(|v| v.1).collect();
    let m = mean(&xs);
    let ecdf = xs.len() < FEW_REPLICAS;
    let plot = DETAIL.frame(area, d.title, &d.legend(m, ecdf))?;
    if ecdf {
        draw_ecdf(&plot, tips, d, m)
    } else {
        draw_histogram(&plot, tips, d, m)
    }
}

fn x_range(d: &Distribution) -> (f64, f64) {
    let lo = d.values.iter().map(|v| v.1).fold(f64::INFINITY, f64::min);
    let hi = d.values.iter().map(|v| v.1).fold(f64::NEG_INFINITY, f64::max);
    (lo, hi)
}

fn draw_histogram(area: &Area, tips: &Tips, d: &Distribution, m: f64) -> DrawResult {
    let (min, max) = x_range(d);
    let n = d.values.len();
    let bins = if max > min {
        ((n as f64).sqrt().ceil() as usize).clamp(5, 40)
    } else {
        1
    };
    let (lo, hi) = if max > min { (min, max) } else { range(min, max, 0.0) };
    let width = (hi - lo) / bins as f64;
    // (replicas out of the group, in it) per bin.
    let mut counts = vec![(0usize, 0usize); bins];
    for (i, (_, v)) in d.values.iter().enumerate() {
        let b = (((v - lo) / width).floor() as usize).min(bins - 1);
        if d.in_group(i) {
            counts[b].1 += 1;
        } else {
            counts[b].0 += 1;
        }
    }
    let top = counts.iter().map(|c| c.0 + c.1).max().unwrap_or(1) as f64;
    let (x0, x1) = (lo - 0.5 * width, hi + 0.5 * width);
    let mut chart = DETAIL
        .chart(area, (DETAIL.x_label_area(1), 78))
        .build_cartesian_2d(x0..x1, 0f64..top * 1.15)?;
    let x_fmt = |v: &f64| d.unit.tick(*v);
    DETAIL
        .mesh(&mut chart)
        .disable_x_mesh()
        .x_desc(d.x_desc)
        .y_desc("replicas (count)")
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&count_tick)
        .draw()?;
    let in_color = d.split.as_ref().map_or(d.color, |s| s.color_in);
    // White outlines over the fills keep neighbouring bars apart.
    let bar = |i: usize, from: usize, to: usize, style: ShapeStyle| {
        let a = lo + width * i as f64;
        Rectangle::new([(a, from as f64), (a + width, to as f64)], style)
    };
    let mut fills = Vec::new();
    let mut outlines = Vec::new();
    for (i, &(out, inside)) in counts.iter().enumerate() {
        if out > 0 {
            fills.push(bar(i, 0, out, d.color.mix(0.75).filled()));
            outlines.push(bar(i, 0, out, WHITE.stroke_width(1)));
        }
        if inside > 0 {
            fills.push(bar(i, out, out + inside, in_color.mix(0.75).filled()));
            outlines.push(bar(i, out, out + inside, WHITE.stroke_width(1)));
        }
    }
    chart.draw_series(fills)?;
    chart.draw_series(outlines)?;
    for (i, &(out, inside)) in counts.iter().enumerate() {
        let a = lo + width * i as f64;
        let split = match &d.split {
            Some(s) => format!(" ({inside} {})", s.label_in),
            None => String::new(),
        };
        tips.span(
            &chart,
            (a, 0.0),
            (a + width, (out + inside) as f64),
            format!(
                "{} to {}: {} replicas{split}",
                d.unit.format(a),
                d.unit.format(a + width),
                out + inside
            ),
        );
    }
    draw_marks(&mut chart, tips, d, m, top * 1.1)
}

/// The mean, the marked replica and the reference line, up to `y_top`.
fn draw_marks(
    chart: &mut super::Chart<'_, '_, plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    tips: &Tips,
    d: &Distribution,
    m: f64,
    y_top: f64,
) -> DrawResult {
    let (lo, hi) = x_range(d);
    if let Some((x, label)) = d.reference.filter(|(x, _)| (lo..=hi).contains(x)) {
        chart.draw_series(LineSeries::new(vec![(x, 0.0), (x, y_top)], BLACK.stroke_width(1)))?;
        tips.dot(chart, (x, y_top), 7, format!("{label}: {}", d.unit.format(x)));
    }
    chart.draw_series(DashedLineSeries::new(
        vec![(m, 0.0), (m, y_top)],
        6,
        4,
        C_GRAY.stroke_width(2),
    ))?;
    tips.dot(
        chart,
        (m, y_top),
        8,
        format!("mean: {} (n = {})", d.unit.format(m), d.values.len()),
    );
    if let Some((r, v)) = d.marked_value()
        && d.values.len() >= FEW_REPLICAS
    {
        chart.draw_series(LineSeries::new(vec![(v, 0.0), (v, y_top)], C_ACCENT.stroke_width(2)))?;
        chart.draw_series(std::iter::once(Circle::new((v, y_top), 6, C_ACCENT.filled())))?;
        tips.dot(
            chart,
            (v, y_top),
            8,
            format!("median replica ({r}): {}", d.unit.format(v)),
        );
    }
    Ok(())
}

fn draw_ecdf(area: &Area, tips: &Tips, d: &Distribution, m: f64) -> DrawResult {
    let (min, max) = x_range(d);
    let (x0, x1) = range(min, max, 0.08);
    let mut order: Vec<usize> = (0..d.values.len()).collect();
    order.sort_by(|&a, &b| d.values[a].1.total_cmp(&d.values[b].1).then(a.cmp(&b)));
    let n = order.len() as f64;
    let mut chart = DETAIL
        .chart(area, (DETAIL.x_label_area(1), 78))
        .build_cartesian_2d(x0..x1, 0f64..1.1)?;
    let x_fmt = |v: &f64| d.unit.tick(*v);
    let y_fmt = |v: &f64| {
        if *v <= 1.0 {
            Unit::Percent.tick(*v)
        } else {
            String::new()
        }
    };
    DETAIL
        .mesh(&mut chart)
        .disable_x_mesh()
        .x_desc(d.x_desc)
        .y_desc("replicas at or below (%)")
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .draw()?;
    let mut steps = vec![(x0, 0.0)];
    for (k, &i) in order.iter().enumerate() {
        let v = d.values[i].1;
        steps.push((v, k as f64 / n));
        steps.push((v, (k + 1) as f64 / n));
    }
    steps.push((x1, 1.0));
    // Split replicas have two colours; the curve through them is neutral.
    let line = if d.split.is_some() { C_GRAY } else { d.color };
    chart.draw_series(LineSeries::new(steps, line.mix(0.6).stroke_width(2)))?;
    draw_marks(&mut chart, tips, d, m, 1.05)?;
    let marked = d.marked_value().map(|(r, _)| r);
    for (k, &i) in order.iter().enumerate() {
        let (replica, v) = d.values[i];
        let y = (k + 1) as f64 / n;
        chart.draw_series(std::iter::once(Circle::new((v, y), 7, d.color_of(i).filled())))?;
        if marked == Some(replica) {
            chart.draw_series(std::iter::once(Circle::new((v, y), 11, C_ACCENT.stroke_width(3))))?;
        }
        let group = match &d.split {
            Some(s) if d.in_group(i) => format!(" ({})", s.label_in),
            Some(s) => format!(" ({})", s.label_out),
            None => String::new(),
        };
        tips.dot(
            &chart,
            (v, y),
            9,
            format!(
                "replica {replica}{group}: {}; {} of {} replicas at or below",
                d.unit.format(v),
                k + 1,
                order.len()
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::svg;
    use super::*;
    use crate::output::report::draw::C_MAIN;

    fn of(values: &[f64]) -> Distribution<'static> {
        Distribution {
            title: "t",
            values: values.iter().enumerate().map(|(i, v)| (i as f64, *v)).collect(),
            unit: Unit::Usd,
            x_desc: "x (USD)",
            color: C_MAIN,
            split: None,
            marked: Some(1.0),
            reference: None,
        }
    }

    #[test]
    fn few_replicas_get_an_ecdf_with_a_tooltip_per_replica() {
        let s = svg("t.svg", 600, 380, |root, tips| {
            distribution(root, tips, &of(&[3.0, 1.0, 2.0]))
        })
        .unwrap();
        assert_eq!(s.matches("<title>replica ").count(), 3, "{s}");
        assert!(s.contains("replica 0: $3; 3 of 3 replicas at or below"), "{s}");
        assert!(s.contains("replicas at or below (%)"));
        assert!(s.contains("median replica (1): $1"));
    }

    #[test]
    fn many_replicas_get_a_histogram_whose_bars_count_them() {
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let s = svg("t.svg", 600, 380, |root, tips| distribution(root, tips, &of(&values))).unwrap();
        assert!(s.contains("replicas (count)"));
        // Ten bins of ten replicas each; their tooltips say so.
        assert_eq!(s.matches(": 10 replicas</title>").count(), 10, "{s}");
    }

    #[test]
    fn one_value_draws() {
        let s = svg("t.svg", 600, 380, |root, tips| distribution(root, tips, &of(&[3.0]))).unwrap();
        assert!(s.contains("<circle"), "{s}");
    }
}
