//! The sweep charts, across grid points, for each metric asked for: small
//! multiples — a row of panels per metric, a panel per swept axis
//! ([`Axis`]), its points coloured by the other axes' values — a heatmap
//! per metric when exactly two axes vary ([`heatmap`]), and the table of
//! points.

mod heatmap;

use super::ReportError;
use super::draw::legend::{Entry, Sample};
use super::draw::{
    Area, C_ACCENT, C_GREEN, C_MAIN, C_PURPLE, C_RED, Categories, DrawResult, PANEL, Tips, placeholder, range, svg,
    text_width, wrap,
};
use super::folder::Folder;
use super::page::{Section, html_escape};
use super::units::{Unit, metric_title, readable_key};
use crate::output::numbers::human;
use crate::stats::mean;
use plotters::prelude::*;

/// A sweep axis: swept keys that vary together (a `[grid]` key, or the
/// keys of one `[[zip]]` group), with its distinct values in point order.
struct Axis {
    keys: Vec<String>,
    /// Label of each distinct value (the keys' values joined by " / ").
    labels: Vec<String>,
    /// Index into `labels` of each point, in points.csv order.
    of_point: Vec<usize>,
}

impl Axis {
    /// The axis in words: its keys made readable, joined by " + ".
    fn title(&self) -> String {
        self.keys
            .iter()
            .map(|k| readable_key(k))
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// The sweep charts of a results folder with swept keys, for its metrics.
pub(super) struct Sweep<'a> {
    folder: &'a Folder,
    metrics: &'a [String],
    axes: Vec<Axis>,
}

/// Colours of the points' groups (by the other axes' values).
const HUES: [RGBColor; 8] = [
    C_MAIN,
    C_ACCENT,
    C_GREEN,
    C_RED,
    C_PURPLE,
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// (mean, ci95_low, ci95_high, n) of a metric at a point.
type Estimate = (f64, f64, f64, f64);

impl<'a> Sweep<'a> {
    pub(super) fn new(folder: &'a Folder, metrics: &'a [String]) -> Sweep<'a> {
        // Keys whose values partition the points the same way move together
        // (a zip group); points.csv does not say so, but the values do.
        let signature = |k: usize| -> Vec<usize> {
            let mut seen: Vec<&str> = Vec::new();
            folder
                .points
                .iter()
                .map(|p| {
                    let v = p.values.get(k).map(String::as_str).unwrap_or("");
                    seen.iter().position(|s| *s == v).unwrap_or_else(|| {
                        seen.push(v);
                        seen.len() - 1
                    })
                })
                .collect()
        };
        let mut groups: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
        for k in 0..folder.keys.len() {
            let sig = signature(k);
            match groups.iter_mut().find(|(s, _)| *s == sig) {
                Some((_, ks)) => ks.push(k),
                None => groups.push((sig, vec![k])),
            }
        }
        let axes = groups
            .into_iter()
            .map(|(sig, ks)| {
                let count = sig.iter().max().map_or(0, |m| m + 1);
                let labels = (0..count)
                    .map(|v| {
                        let p = sig.iter().position(|s| *s == v).expect("every label has a point");
                        ks.iter()
                            .map(|&k| short_value(folder.points[p].values.get(k).map(String::as_str).unwrap_or("")))
                            .collect::<Vec<_>>()
                            .join(" / ")
                    })
                    .collect();
                Axis {
                    keys: ks.iter().map(|&k| folder.keys[k].clone()).collect(),
                    labels,
                    of_point: sig,
                }
            })
            .collect();
        Sweep { folder, metrics, axes }
    }

    /// The metric's estimate at each point, in points.csv order; `None`
    /// where summary.csv has no row (e.g. no values).
    fn values(&self, metric: &str) -> Vec<Option<Estimate>> {
        self.folder
            .points
            .iter()
            .map(|p| {
                self.folder
                    .summary_of(p.id, metric)
                    .map(|r| (r.mean, r.ci95_low, r.ci95_high, r.n))
            })
            .collect()
    }

    /// The group of each point by the values of the axes other than
    /// `axis` (its colour), with the groups' labels.
    fn hue(&self, axis: usize) -> (Vec<usize>, Vec<String>, String) {
        let others: Vec<&Axis> = (0..self.axes.len())
            .filter(|&a| a != axis && self.axes[a].labels.len() > 1)
            .map(|a| &self.axes[a])
            .collect();
        let mut labels: Vec<String> = Vec::new();
        let groups = (0..self.folder.points.len())
            .map(|p| {
                let label = others
                    .iter()
                    .map(|a| a.labels[a.of_point[p]].clone())
                    .collect::<Vec<_>>()
                    .join(", ");
                labels.iter().position(|l| *l == label).unwrap_or_else(|| {
                    labels.push(label);
                    labels.len() - 1
                })
            })
            .collect();
        let title = others.iter().map(|a| a.title()).collect::<Vec<_>>().join(", ");
        (groups, labels, title)
    }

    pub(super) fn small_multiples(&self) -> Result<Section, ReportError> {
        let file = "sweep_small_multiples.svg";
        let cols = self.axes.len().clamp(1, 3);
        let rows_per_metric = self.axes.len().div_ceil(cols).max(1);
        let rows = rows_per_metric * self.metrics.len();
        let (w, h) = (1200u32, 470 * rows as u32);
        let svg = svg(file, w, h, |root, tips| {
            let panels = root.split_evenly((rows, cols));
            for (m, metric) in self.metrics.iter().enumerate() {
                let values = self.values(metric);
                for (a, axis) in self.axes.iter().enumerate() {
                    let panel = &panels[m * rows_per_metric * cols + a];
                    self.panel(panel, tips, a, axis, metric, &values)?;
                }
            }
            Ok(())
        })?;
        let n_points = self.folder.points.len();
        let names: Vec<String> = self
            .metrics
            .iter()
            .map(|m| format!("<code>{}</code>", html_escape(m)))
            .collect();
        Ok(Section {
            body: self.points_table(),
            ..Section::chart(
                "sweep",
                file,
                format!("Sweep: {} by swept key", self.metrics.join(", ")),
                svg,
                format!(
                    "A row of panels per metric ({}), a panel per swept axis (keys of a <code>[[zip]]</code> \
                     group vary together and share a panel). Dots: each of the {n_points} grid points' mean \
                     with its 95% confidence interval (<code>summary.csv</code>), coloured by the values of \
                     the other swept axes, with a line through the points that share them. Hover over a dot \
                     for its point and values. Choose the metrics with <code>mortgage-sim report DIR \
                     --metric NAME,NAME…</code>.",
                    names.join(", ")
                ),
            )
        })
    }

    fn panel(
        &self,
        area: &Area,
        tips: &Tips,
        a: usize,
        axis: &Axis,
        metric: &str,
        values: &[Option<Estimate>],
    ) -> DrawResult {
        let k = axis.labels.len();
        let unit = Unit::of(metric);
        let (hue_of, hue_labels, hue_title) = self.hue(a);
        let present: Vec<(usize, Estimate)> = values
            .iter()
            .enumerate()
            .filter_map(|(p, v)| Some((p, (*v)?)))
            .collect();
        let title = format!("{} by {}", metric_title(metric), axis.title());
        if present.is_empty() {
            return placeholder(area, &title, &format!("summary.csv has no {metric} at any point."));
        }
        let color = |g: usize| {
            if hue_labels.len() <= 1 {
                C_ACCENT
            } else {
                HUES[g % HUES.len()]
            }
        };
        let mut legend = Vec::new();
        if hue_labels.len() > 1 {
            legend.push(Entry::new(format!("colour: {hue_title} ="), Sample::None));
            for (g, label) in hue_labels.iter().enumerate() {
                legend.push(Entry::new(label.clone(), Sample::Dot(color(g).to_rgba())));
            }
        }
        legend.push(Entry::new(
            "mean, 95% CI",
            Sample::Whisker(RGBColor(90, 90, 90).to_rgba()),
        ));
        let (pw, _) = area.dim_in_pixel();
        let title_lines = wrap(&title, (pw as i32 / text_width("x", PANEL.caption)) as usize);
        let plot = PANEL.frame(area, &title_lines.join(" "), &legend)?;
        let lo = present.iter().map(|p| p.1.1.min(p.1.0)).fold(f64::INFINITY, f64::min);
        let hi = present
            .iter()
            .map(|p| p.1.2.max(p.1.0))
            .fold(f64::NEG_INFINITY, f64::max);
        let (y0, y1) = range(lo, hi, 0.1);
        // Tick labels wrap within their category's width; none is cut.
        let plot_w = pw as i32 - 110;
        let chars = ((plot_w / k.max(1) as i32) / text_width("x", PANEL.ticks)).max(6) as usize;
        let ticks: Vec<Vec<String>> = axis.labels.iter().map(|l| wrap(l, chars)).collect();
        let desc = wrap(&axis.title(), (plot_w / text_width("x", PANEL.ticks)).max(10) as usize);
        let tick_lines = ticks.iter().map(Vec::len).max().unwrap_or(1);
        let below = PANEL.x_label_area_for(tick_lines, desc.len());
        let mut chart = PANEL
            .chart(&plot, (below, 88))
            .build_cartesian_2d(Categories::new(k), y0..y1)?;
        let y_fmt = |v: &f64| unit.tick(*v);
        PANEL
            .mesh(&mut chart)
            .disable_x_mesh()
            .y_desc(metric_title(metric))
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&y_fmt)
            .draw()?;
        let mut labels = ticks.clone();
        // The axis title goes under the longest label's last line.
        for l in &mut labels {
            l.resize(tick_lines, String::new());
        }
        PANEL.category_ticks(&plot, &chart, &labels)?;
        PANEL.x_desc_lines(&plot, &chart, &desc, tick_lines)?;
        // Spread the groups sideways so their intervals stay apart.
        let groups = hue_labels.len().max(1);
        let offset = |g: usize| {
            if groups > 1 {
                -0.22 + 0.44 * g as f64 / (groups - 1) as f64
            } else {
                0.0
            }
        };
        for g in 0..groups {
            let mut line: Vec<(f64, f64)> = (0..k)
                .filter_map(|c| {
                    let at: Vec<f64> = present
                        .iter()
                        .filter(|(p, _)| axis.of_point[*p] == c && hue_of[*p] == g)
                        .map(|(_, e)| e.0)
                        .collect();
                    (!at.is_empty()).then(|| (c as f64 + offset(g), mean(&at)))
                })
                .collect();
            line.sort_by(|x, y| x.0.total_cmp(&y.0));
            chart.draw_series(LineSeries::new(line, color(g).mix(0.7).stroke_width(2)))?;
        }
        for &(p, (m, l, h, n)) in &present {
            let g = hue_of[p];
            let x = axis.of_point[p] as f64 + offset(g);
            let c = color(g);
            chart.draw_series([
                PathElement::new(vec![(x, l), (x, h)], c.stroke_width(2)),
                PathElement::new(vec![(x - 0.03, l), (x + 0.03, l)], c.stroke_width(2)),
                PathElement::new(vec![(x - 0.03, h), (x + 0.03, h)], c.stroke_width(2)),
            ])?;
            chart.draw_series(std::iter::once(Circle::new((x, m), 6, c.filled())))?;
            let point = &self.folder.points[p];
            let params: Vec<String> = self
                .folder
                .keys
                .iter()
                .zip(&point.values)
                .map(|(key, v)| format!("{} = {}", readable_key(key), short_value(v)))
                .collect();
            tips.dot(
                &chart,
                (x, m),
                9,
                format!(
                    "point {} ({}): {} {} (95% CI {} – {}, n = {})",
                    point.id,
                    params.join(", "),
                    metric,
                    unit.format(m),
                    unit.format(l),
                    unit.format(h),
                    human(n)
                ),
            );
        }
        Ok(())
    }

    pub(super) fn heatmap(&self) -> Result<Section, ReportError> {
        heatmap::section(self)
    }

    /// The table of points: swept values and each metric's mean and CI.
    fn points_table(&self) -> String {
        let mut t = String::from("<table>\n<tr><th>point</th>");
        for k in &self.folder.keys {
            t += &format!(
                "<th title=\"{}\">{}</th>",
                html_escape(k),
                html_escape(&readable_key(k))
            );
        }
        for m in self.metrics {
            t += &format!("<th>{} (mean, 95% CI)</th>", html_escape(m));
        }
        t += "<th>n</th></tr>\n";
        for p in &self.folder.points {
            t += &format!("<tr><td>{}</td>", p.id);
            for v in &p.values {
                t += &format!("<td>{}</td>", html_escape(&short_value(v)));
            }
            let mut n = 0.0_f64;
            for m in self.metrics {
                let unit = Unit::of(m);
                match self.folder.summary_of(p.id, m) {
                    Some(r) => {
                        n = n.max(r.n);
                        t += &format!(
                            "<td>{} ({} – {})</td>",
                            html_escape(&unit.format(r.mean)),
                            html_escape(&unit.format(r.ci95_low)),
                            html_escape(&unit.format(r.ci95_high)),
                        )
                    }
                    None => t += "<td>no value</td>",
                }
            }
            t += &format!("<td>{}</td></tr>\n", human(n));
        }
        t + "</table>\n"
    }
}

/// Shortens a swept value (TOML text) for a label: a distribution table
/// `{ dist = "lognormal", median = 12, sigma = 0.5 }` becomes
/// `lognormal median=12 sigma=0.5`.
pub(super) fn short_value(v: &str) -> String {
    let t = v.trim();
    if !t.starts_with('{') {
        return t.trim_matches('"').to_string();
    }
    t.trim_matches(|c| c == '{' || c == '}')
        .split(',')
        .map(|part| {
            let (k, val) = part.split_once('=').unwrap_or(("", part));
            let (k, val) = (k.trim(), val.trim().trim_matches('"'));
            if k == "dist" || k.is_empty() {
                val.to_string()
            } else {
                format!("{k}={val}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distribution_values_get_short_labels() {
        assert_eq!(
            short_value("{ dist = \"lognormal\", median = 12, sigma = 0.5 }"),
            "lognormal median=12 sigma=0.5"
        );
        assert_eq!(short_value("0.4"), "0.4");
    }
}
