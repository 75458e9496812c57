//! The sweep heatmap: when exactly two axes vary, the mean of each metric
//! at every combination of their values, one heatmap per metric, each with
//! a colour bar that names the metric and its unit.

use super::{Axis, Sweep};
use crate::output::report::ReportError;
use crate::output::report::draw::{
    Area, C_GRAY, C_LIGHT, Categories, DrawResult, FONT, HEATMAP, Tips, line_height, placeholder, range, svg,
    text_width, wrap,
};
use crate::output::report::page::{Section, html_escape};
use crate::output::report::units::{Unit, metric_title};
use crate::stats::mean;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Characters a y tick label may take on a line before it wraps.
const Y_LABEL_CHARS: usize = 24;

pub(super) fn section(sweep: &Sweep) -> Result<Section, ReportError> {
    let file = "sweep_heatmap.svg";
    let varying: Vec<&Axis> = sweep.axes.iter().filter(|a| a.labels.len() > 1).collect();
    let heading = format!("Sweep: {} over two swept keys", sweep.metrics.join(", "));
    if varying.len() != 2 {
        return Ok(Section::note(
            "heatmap",
            heading,
            format!(
                "No heatmap: it needs exactly two swept axes with at least two values each; this sweep has {}.",
                varying.len()
            ),
        ));
    }
    let (ax, ay) = (varying[0], varying[1]);
    let ny = ay.labels.len();
    let each = (ny as u32 * 80 + 230).clamp(400, 1000);
    let svg = svg(file, 1200, each * sweep.metrics.len() as u32, |root, tips| {
        let rows = root.split_evenly((sweep.metrics.len(), 1));
        for (metric, row) in sweep.metrics.iter().zip(&rows) {
            one(sweep, row, tips, ax, ay, metric)?;
        }
        Ok(())
    })?;
    let names: Vec<String> = sweep
        .metrics
        .iter()
        .map(|m| format!("<code>{}</code>", html_escape(m)))
        .collect();
    Ok(Section::chart(
        "heatmap",
        file,
        heading,
        svg,
        format!(
            "Mean of {} at each grid point; columns and rows are the two swept axes, and the colour bar \
             beside each heatmap gives its scale. Common random numbers: every point sees the same random \
             draws, so neighbouring cells differ by the parameter, not by noise. Hover over a cell for its \
             interval.",
            names.join(", ")
        ),
    ))
}

/// One metric's heatmap and colour bar on `area`.
fn one(sweep: &Sweep, area: &Area, tips: &Tips, ax: &Axis, ay: &Axis, metric: &str) -> DrawResult {
    let values = sweep.values(metric);
    let (nx, ny) = (ax.labels.len(), ay.labels.len());
    let mut cells = vec![vec![Vec::new(); ny]; nx];
    for (i, v) in values.iter().enumerate() {
        if let Some(e) = v {
            cells[ax.of_point[i]][ay.of_point[i]].push(*e);
        }
    }
    let unit = Unit::of(metric);
    let all: Vec<f64> = cells.iter().flatten().flatten().map(|e| e.0).collect();
    let title = format!("{} by {} and {}", metric_title(metric), ax.title(), ay.title());
    if all.is_empty() {
        return placeholder(area, &title, &format!("summary.csv has no {metric} at any point."));
    }
    let span = (
        all.iter().copied().fold(f64::INFINITY, f64::min),
        all.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let plot = HEATMAP.frame(area, &title, &[])?;
    let (main, bar) = plot.split_horizontally(1030);
    let y_ticks: Vec<Vec<String>> = ay.labels.iter().map(|l| wrap(l, Y_LABEL_CHARS)).collect();
    let y_width = y_ticks
        .iter()
        .flatten()
        .map(|l| text_width(l, HEATMAP.ticks))
        .max()
        .unwrap_or(0);
    let plot_w = 1030 - y_width - 90;
    let x_chars = ((plot_w / nx.max(1) as i32) / text_width("x", HEATMAP.ticks)).max(6) as usize;
    let x_ticks: Vec<Vec<String>> = ax.labels.iter().map(|l| wrap(l, x_chars)).collect();
    let x_lines = x_ticks.iter().map(Vec::len).max().unwrap_or(1);
    let x_desc = wrap(&ax.title(), 90);
    let mut chart = HEATMAP
        .chart(
            &main,
            (HEATMAP.x_label_area_for(x_lines, x_desc.len()), (y_width + 60) as u32),
        )
        .build_cartesian_2d(Categories::new(nx), Categories::new(ny))?;
    HEATMAP
        .mesh(&mut chart)
        .disable_mesh()
        .y_desc(ay.title())
        .x_label_formatter(&|_| String::new())
        .y_label_formatter(&|_| String::new())
        .draw()?;
    let mut x_ticks = x_ticks;
    for l in &mut x_ticks {
        l.resize(x_lines, String::new());
    }
    HEATMAP.category_ticks(&main, &chart, &x_ticks)?;
    HEATMAP.x_desc_lines(&main, &chart, &x_desc, x_lines)?;
    y_labels(&main, &chart, &y_ticks)?;
    let mut rects = Vec::new();
    let mut texts = Vec::new();
    for (i, col) in cells.iter().enumerate() {
        for (j, cell) in col.iter().enumerate() {
            let (x, y) = (i as f64, j as f64);
            let corners = [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)];
            let centred = |size: i32, ink: &RGBColor| {
                (FONT, size)
                    .into_font()
                    .color(ink)
                    .pos(Pos::new(HPos::Center, VPos::Center))
            };
            if cell.is_empty() {
                rects.push(Rectangle::new(corners, C_LIGHT.filled()));
                texts.push(Text::new("no value".to_string(), (x, y), centred(17, &C_GRAY)));
                continue;
            }
            let m = mean(&cell.iter().map(|e| e.0).collect::<Vec<_>>());
            let t = scale(m, span);
            rects.push(Rectangle::new(corners, color_at(t).filled()));
            let ink = if t > 0.6 { BLACK } else { WHITE };
            texts.push(Text::new(unit.format(m), (x, y), centred(19, &ink)));
            let detail = match cell.as_slice() {
                [(_, lo, hi, n)] => format!(
                    " (95% CI {} – {}, n = {})",
                    unit.format(*lo),
                    unit.format(*hi),
                    crate::output::numbers::human(*n)
                ),
                more => format!(" (mean of {} points)", more.len()),
            };
            tips.span(
                &chart,
                corners[0],
                corners[1],
                format!(
                    "{} = {}, {} = {}: {metric} {}{detail}",
                    ax.title(),
                    ax.labels[i],
                    ay.title(),
                    ay.labels[j],
                    unit.format(m)
                ),
            );
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
    colorbar(&bar, span, unit, metric)
}

/// The wrapped labels of a categorical y axis, right-aligned left of it.
fn y_labels(
    area: &Area,
    chart: &crate::output::report::draw::Chart<'_, '_, Categories, Categories>,
    labels: &[Vec<String>],
) -> DrawResult {
    let base = area.get_base_pixel();
    let x_left = chart.plotting_area().get_pixel_range().0.start;
    let lh = line_height(HEATMAP.ticks);
    for (j, lines) in labels.iter().enumerate() {
        let (_, y) = chart.backend_coord(&(0.0, j as f64));
        let top = y - base.1 - lh * lines.len() as i32 / 2;
        for (k, line) in lines.iter().enumerate() {
            area.draw(&Text::new(
                line.clone(),
                (x_left - base.0 - 8, top + k as i32 * lh),
                (FONT, HEATMAP.ticks)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Right, VPos::Top)),
            ))?;
        }
    }
    Ok(())
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

/// The colour bar: the scale from the lowest to the highest mean, its axis
/// titled with the metric and its unit.
fn colorbar(area: &Area, span: (f64, f64), unit: Unit, metric: &str) -> DrawResult {
    let (lo, hi) = if span.1 > span.0 {
        span
    } else {
        range(span.0, span.1, 0.0)
    };
    let mut chart = ChartBuilder::on(area)
        .margin_top(10)
        .margin_bottom(60)
        .margin_right(6)
        .y_label_area_size(120)
        .build_cartesian_2d(0f64..1f64, lo..hi)?;
    let y_fmt = |v: &f64| unit.tick(*v);
    HEATMAP
        .mesh(&mut chart)
        .disable_mesh()
        .disable_x_axis()
        .y_desc(metric_title(metric))
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
