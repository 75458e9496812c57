//! The sweep charts, across grid points: one small-multiples panel per
//! swept axis ([`Axis`]) and, when exactly two axes vary, a heatmap with its
//! colour bar.

use super::ReportError;
use super::draw::{
    Area, C_ACCENT, C_GRAY, C_LIGHT, C_MAIN, Categories, DrawResult, FONT, HEATMAP, PANEL, category_label, clip,
    placeholder, range, svg,
};
use super::folder::Folder;
use super::page::{Section, html_escape};
use super::units::Unit;
use crate::stats::mean;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A sweep axis: swept keys that vary together (a `[grid]` key, or the
/// keys of one `[[zip]]` group), with its distinct values in point order.
struct Axis {
    keys: Vec<String>,
    /// Label of each distinct value (the keys' values joined by " / ").
    labels: Vec<String>,
    /// Index into `labels` of each point, in points.csv order.
    of_point: Vec<usize>,
}

/// The sweep charts of a results folder with swept keys, for one metric.
pub(super) struct Sweep<'a> {
    folder: &'a Folder,
    metric: &'a str,
    axes: Vec<Axis>,
}

impl<'a> Sweep<'a> {
    pub(super) fn new(folder: &'a Folder, metric: &'a str) -> Sweep<'a> {
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
        Sweep { folder, metric, axes }
    }

    /// (mean, ci95_low, ci95_high) of the metric at each point, in points.csv
    /// order; `None` where summary.csv has no row (e.g. no values).
    fn values(&self) -> Vec<Option<(f64, f64, f64)>> {
        self.folder
            .points
            .iter()
            .map(|p| {
                self.folder
                    .summary_of(p.id, self.metric)
                    .map(|r| (r.mean, r.ci95_low, r.ci95_high))
            })
            .collect()
    }

    pub(super) fn small_multiples(&self) -> Result<Section, ReportError> {
        let file = "sweep_small_multiples.svg";
        let unit = Unit::of(self.metric);
        let values = self.values();
        let cols = self.axes.len().clamp(1, 3);
        let rows = self.axes.len().div_ceil(cols).max(1);
        let (w, h) = (1200u32, 340 * rows as u32);
        let svg = svg(file, w, h, |root| {
            let panels = root.split_evenly((rows, cols));
            for (axis, panel) in self.axes.iter().zip(panels.iter()) {
                self.panel(panel, axis, &values, unit, (w as usize / cols) / 9)?;
            }
            Ok(())
        })?;
        let n_points = self.folder.points.len();
        Ok(Section {
            id: "sweep",
            file,
            heading: format!("Sweep: {} by swept key", self.metric),
            svg: Some(svg),
            caption: format!(
                "One panel per swept axis (keys of a <code>[[zip]]</code> group vary together and share a \
                 panel). Dots: each of the {n_points} grid points' mean of <code>{}</code> with its 95% \
                 confidence interval (<code>summary.csv</code>); line: the average over the other swept \
                 keys. Choose another metric with <code>mortgage-sim report DIR --metric NAME</code>.",
                html_escape(self.metric)
            ),
        })
    }

    fn panel(
        &self,
        area: &Area,
        axis: &Axis,
        values: &[Option<(f64, f64, f64)>],
        unit: Unit,
        label_chars: usize,
    ) -> DrawResult {
        let k = axis.labels.len();
        let present: Vec<(usize, (f64, f64, f64))> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (axis.of_point[i], v)))
            .collect();
        let title = clip(&axis.keys.join(" + "), label_chars + 6);
        if present.is_empty() {
            return placeholder(
                area,
                &title,
                &format!("summary.csv has no {} at any point.", self.metric),
            );
        }
        let lo = present.iter().map(|p| p.1.1.min(p.1.0)).fold(f64::INFINITY, f64::min);
        let hi = present
            .iter()
            .map(|p| p.1.2.max(p.1.0))
            .fold(f64::NEG_INFINITY, f64::max);
        let (y0, y1) = range(lo, hi, 0.1);
        let mut chart = PANEL
            .chart(area, &title, (44, 64))
            .build_cartesian_2d(Categories::new(k), y0..y1)?;
        let per_label = (label_chars / k.max(1)).clamp(6, 40);
        let x_fmt = |v: &f64| {
            category_label(&axis.labels, *v)
                .map(|s| clip(s, per_label))
                .unwrap_or_default()
        };
        let y_fmt = |v: &f64| unit.tick(*v);
        let y_desc = format!("{} ({})", clip(self.metric, 28), unit.axis());
        PANEL
            .mesh(&mut chart)
            .disable_x_mesh()
            .x_desc("swept value")
            .y_desc(y_desc)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .draw()?;
        let marginal: Vec<(f64, f64)> = (0..k)
            .filter_map(|c| {
                let at: Vec<f64> = present.iter().filter(|p| p.0 == c).map(|p| p.1.0).collect();
                (!at.is_empty()).then(|| (c as f64, mean(&at)))
            })
            .collect();
        chart.draw_series(LineSeries::new(marginal, C_MAIN.stroke_width(3)))?;
        // Spread the dots of one value sideways so their intervals stay visible.
        let mut nth = vec![0usize; k];
        let per_value = (0..k)
            .map(|c| present.iter().filter(|p| p.0 == c).count())
            .collect::<Vec<_>>();
        let xs: Vec<f64> = present
            .iter()
            .map(|(c, _)| {
                let j = nth[*c];
                nth[*c] += 1;
                let spread = if per_value[*c] > 1 {
                    -0.2 + 0.4 * j as f64 / (per_value[*c] - 1) as f64
                } else {
                    0.0
                };
                *c as f64 + spread
            })
            .collect();
        let mut shapes = Vec::new();
        for (&x, (_, (m, l, h))) in xs.iter().zip(&present) {
            shapes.push(PathElement::new(vec![(x, *l), (x, *h)], C_GRAY.stroke_width(1)));
            shapes.push(PathElement::new(
                vec![(x - 0.02, *m), (x + 0.02, *m)],
                C_GRAY.stroke_width(1),
            ));
        }
        chart.draw_series(shapes)?;
        chart.draw_series(
            xs.iter()
                .zip(&present)
                .map(|(&x, (_, (m, _, _)))| Circle::new((x, *m), 4, C_ACCENT.filled())),
        )?;
        Ok(())
    }

    pub(super) fn heatmap(&self) -> Result<Section, ReportError> {
        let file = "sweep_heatmap.svg";
        let varying: Vec<&Axis> = self.axes.iter().filter(|a| a.labels.len() > 1).collect();
        let heading = format!("Sweep: {} over two swept keys", self.metric);
        if varying.len() != 2 {
            return Ok(Section {
                id: "heatmap",
                file,
                heading,
                svg: None,
                caption: format!(
                    "No heatmap: it needs exactly two swept axes with at least two values each; this \
                     sweep has {}.",
                    varying.len()
                ),
            });
        }
        let (ax, ay) = (varying[0], varying[1]);
        let values = self.values();
        let (nx, ny) = (ax.labels.len(), ay.labels.len());
        let mut cells = vec![vec![Vec::new(); ny]; nx];
        for (i, v) in values.iter().enumerate() {
            if let Some((m, _, _)) = v {
                cells[ax.of_point[i]][ay.of_point[i]].push(*m);
            }
        }
        let grid: Vec<Vec<Option<f64>>> = cells
            .iter()
            .map(|col| col.iter().map(|c| (!c.is_empty()).then(|| mean(c))).collect())
            .collect();
        let all: Vec<f64> = grid.iter().flatten().flatten().copied().collect();
        let unit = Unit::of(self.metric);
        let metric = self.metric;
        let h = (ny as u32 * 70 + 170).clamp(360, 900);
        let svg = svg(file, 1200, h, |root| {
            if all.is_empty() {
                return placeholder(root, "Heatmap", &format!("summary.csv has no {metric} at any point."));
            }
            let (lo, hi) = (
                all.iter().copied().fold(f64::INFINITY, f64::min),
                all.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            );
            let (main, bar) = root.split_horizontally(1060);
            heat(&main, ax, ay, &grid, (lo, hi), unit, metric)?;
            colorbar(&bar, (lo, hi), unit)
        })?;
        Ok(Section {
            id: "heatmap",
            file,
            heading,
            svg: Some(svg),
            caption: format!(
                "Mean of <code>{}</code> at each grid point; rows and columns are the two swept axes. \
                 Common random numbers: every point sees the same random draws, so neighbouring cells \
                 differ by the parameter, not by noise.",
                html_escape(metric)
            ),
        })
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

/// Viridis-like color for t in [0, 1].
fn color_at(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 5] = [
        (68, 1, 84),
        (59, 82, 139),
        (33, 145, 140),
        (94, 201, 98),
        (253, 231, 37),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.5 };
    let x = t * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn scale(v: f64, (lo, hi): (f64, f64)) -> f64 {
    if hi > lo { (v - lo) / (hi - lo) } else { 0.5 }
}

fn heat(
    area: &Area,
    ax: &Axis,
    ay: &Axis,
    grid: &[Vec<Option<f64>>],
    span: (f64, f64),
    unit: Unit,
    metric: &str,
) -> DrawResult {
    let (nx, ny) = (ax.labels.len(), ay.labels.len());
    let ylabel_chars = 22;
    let mut chart = HEATMAP
        .chart(
            area,
            &format!("{metric} by swept value"),
            (60, ylabel_chars as u32 * 8 + 30),
        )
        .build_cartesian_2d(Categories::new(nx), Categories::new(ny))?;
    let per_x = (110 / nx.max(1)).clamp(6, 40);
    let label =
        |labels: &[String], v: f64, max: usize| category_label(labels, v).map(|s| clip(s, max)).unwrap_or_default();
    let x_fmt = |v: &f64| label(&ax.labels, *v, per_x);
    let y_fmt = |v: &f64| label(&ay.labels, *v, ylabel_chars);
    HEATMAP
        .mesh(&mut chart)
        .disable_mesh()
        .x_desc(clip(&ax.keys.join(" + "), 100))
        .y_desc(clip(&ay.keys.join(" + "), 50))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .draw()?;
    let mut rects = Vec::new();
    let mut texts = Vec::new();
    for (i, col) in grid.iter().enumerate() {
        for (j, cell) in col.iter().enumerate() {
            let (x, y) = (i as f64, j as f64);
            let corners = [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)];
            match cell {
                Some(v) => {
                    let t = scale(*v, span);
                    rects.push(Rectangle::new(corners, color_at(t).filled()));
                    let ink = if t > 0.6 { BLACK } else { WHITE };
                    texts.push(Text::new(
                        unit.format(*v),
                        (x, y),
                        (FONT, 14)
                            .into_font()
                            .color(&ink)
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    ));
                }
                None => {
                    rects.push(Rectangle::new(corners, C_LIGHT.filled()));
                    texts.push(Text::new(
                        "no value".to_string(),
                        (x, y),
                        (FONT, 13)
                            .into_font()
                            .color(&C_GRAY)
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    ));
                }
            }
        }
    }
    chart.draw_series(rects)?;
    chart.draw_series(
        (0..=nx)
            .map(|i| PathElement::new(vec![(i as f64 - 0.5, -0.5), (i as f64 - 0.5, ny as f64 - 0.5)], WHITE))
            .chain(
                (0..=ny)
                    .map(|j| PathElement::new(vec![(-0.5, j as f64 - 0.5), (nx as f64 - 0.5, j as f64 - 0.5)], WHITE)),
            ),
    )?;
    chart.draw_series(texts)?;
    Ok(())
}

fn colorbar(area: &Area, span: (f64, f64), unit: Unit) -> DrawResult {
    let (lo, hi) = range(span.0, span.1, 0.0);
    let (lo, hi) = if span.1 > span.0 { span } else { (lo, hi) };
    let mut chart = ChartBuilder::on(area)
        .margin_top(50)
        .margin_bottom(70)
        .margin_right(10)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..1f64, lo..hi)?;
    let y_fmt = |v: &f64| unit.tick(*v);
    HEATMAP
        .mesh(&mut chart)
        .disable_mesh()
        .disable_x_axis()
        .y_label_formatter(&y_fmt)
        .draw()?;
    let steps = 60;
    chart.draw_series((0..steps).map(|s| {
        let a = lo + (hi - lo) * s as f64 / steps as f64;
        let b = lo + (hi - lo) * (s + 1) as f64 / steps as f64;
        Rectangle::new([(0.0, a), (1.0, b)], color_at(scale((a + b) / 2.0, (lo, hi))).filled())
    }))?;
    Ok(())
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
