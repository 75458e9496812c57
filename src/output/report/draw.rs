//! Drawing machinery every chart shares: the colours and text sizes
//! ([`Look`]), axis ranges and categorical axes, legends, rendering a chart
//! into an SVG string ([`svg`], [`two_panels`]), the placeholder panel that
//! says what is missing, label wrapping and clipping, and the histogram
//! used by several detail charts.

use super::ReportError;
use super::units::Unit;
use crate::stats::{mean, sorted};
use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// A non-empty, finite axis range around `lo..hi`, padded by `pad` of its
/// span (a single value gets a range around it).
pub(super) fn range(lo: f64, hi: f64, pad: f64) -> (f64, f64) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo.min(hi), lo.max(hi))
    } else {
        (0.0, 1.0)
    };
    let span = hi - lo;
    if span > 1e-12 * lo.abs().max(hi.abs()).max(1e-300) {
        (lo - pad * span, hi + pad * span)
    } else {
        let half = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        (lo - half, hi + half)
    }
}

/// A categorical axis on f64 coordinates: categories sit at 0, 1, …, n − 1
/// (so dots can be spread around them) and only they get ticks.
pub(super) struct Categories {
    inner: RangedCoordf64,
    n: usize,
}

impl Categories {
    pub(super) fn new(n: usize) -> Categories {
        Categories {
            inner: (-0.5..n.max(1) as f64 - 0.5).into(),
            n: n.max(1),
        }
    }
}

impl Ranged for Categories {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            return Vec::new();
        }
        let every = self.n.div_ceil(hint.max_num_points().max(1)).max(1);
        (0..self.n).step_by(every).map(|i| i as f64).collect()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

/// The label of the category at `v` on a [`Categories`] axis; `None` (a
/// blank tick) unless `v` is, within rounding, the index of one of `labels`.
pub(super) fn category_label<S: AsRef<str>>(labels: &[S], v: f64) -> Option<&str> {
    let i = v.round();
    if (v - i).abs() < 1e-6 && i >= 0.0 {
        labels.get(i as usize).map(AsRef::as_ref)
    } else {
        None
    }
}

/// Tick label of a count axis: only whole numbers, as a fraction of a
/// replica or a run means nothing.
pub(super) fn count_tick(v: &f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        String::new()
    }
}

pub(super) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
pub(super) type Chart<'a, 'b, X, Y> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>;
pub(super) type DrawResult = Result<(), Box<dyn std::error::Error>>;

pub(super) const FONT: &str = "sans-serif";
pub(super) const C_MAIN: RGBColor = RGBColor(31, 119, 180);
pub(super) const C_ACCENT: RGBColor = RGBColor(230, 97, 1);
pub(super) const C_GREEN: RGBColor = RGBColor(26, 133, 80);
pub(super) const C_RED: RGBColor = RGBColor(200, 40, 40);
pub(super) const C_GRAY: RGBColor = RGBColor(90, 90, 90);
pub(super) const C_LIGHT: RGBColor = RGBColor(225, 225, 225);

/// Text sizes and margin of a family of charts, so that charts shown at the
/// same size read alike.
#[derive(Clone, Copy)]
pub(super) struct Look {
    caption: i32,
    margin: i32,
    axis_desc: i32,
    ticks: i32,
}

/// The detail charts of one grid point, half or full page width.
pub(super) const DETAIL: Look = Look {
    caption: 20,
    margin: 12,
    axis_desc: 15,
    ticks: 13,
};

/// The sweep's small multiples, up to three panels a row.
pub(super) const PANEL: Look = Look {
    caption: 16,
    margin: 10,
    axis_desc: 13,
    ticks: 12,
};

/// The sweep heatmap and its colour bar.
pub(super) const HEATMAP: Look = Look {
    caption: 20,
    margin: 12,
    axis_desc: 14,
    ticks: 12,
};

impl Look {
    /// A chart on `area` captioned `title`, with `label_areas` = (below,
    /// left) pixels for the tick labels and axis descriptions.
    pub(super) fn chart<'a, 'b>(
        self,
        area: &'a Area<'b>,
        title: &str,
        label_areas: (u32, u32),
    ) -> ChartBuilder<'a, 'static, SVGBackend<'b>> {
        let mut builder = ChartBuilder::on(area);
        builder
            .caption(title, (FONT, self.caption))
            .margin(self.margin)
            .x_label_area_size(label_areas.0)
            .y_label_area_size(label_areas.1);
        builder
    }

    /// The mesh of `chart` with the look's text and only the bold grid
    /// lines; the caller adds what differs per chart (axis descriptions,
    /// tick labels, which grid lines) and draws it.
    pub(super) fn mesh<'m, 'a, 'b, X, Y, XT, YT>(
        self,
        chart: &'m mut Chart<'a, 'b, X, Y>,
    ) -> MeshStyle<'a, 'm, X, Y, SVGBackend<'b>>
    where
        X: Ranged<ValueType = XT> + ValueFormatter<XT>,
        Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
    {
        let mut mesh = chart.configure_mesh();
        mesh.axis_desc_style((FONT, self.axis_desc))
            .label_style((FONT, self.ticks))
            .light_line_style(WHITE.mix(0.0));
        mesh
    }
}

/// Draws the legend of `chart`'s labelled series in `corner`, on a nearly
/// opaque box so it stays readable over the data.
pub(super) fn draw_legend<'a, 'b: 'a, X: Ranged, Y: Ranged>(
    chart: &mut Chart<'a, 'b, X, Y>,
    corner: SeriesLabelPosition,
) -> DrawResult {
    chart
        .configure_series_labels()
        .position(corner)
        .background_style(WHITE.mix(0.85))
        .border_style(C_LIGHT)
        .label_font((FONT, 13))
        .draw()?;
    Ok(())
}

/// A legend sample for a line series: a short stroke.
pub(super) fn legend_line(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style)
}

/// A legend sample for a band or bars: a filled box.
pub(super) fn legend_box(color: RGBAColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], color.filled())
}

/// Draws a chart of `w`×`h` pixels into an SVG string.
pub(super) fn svg(chart: &str, w: u32, h: u32, draw: impl FnOnce(&Area) -> DrawResult) -> Result<String, ReportError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        let drawn = root
            .fill(&WHITE)
            .map_err(|e| e.into())
            .and_then(|_| draw(&root))
            .and_then(|_| root.present().map_err(|e| e.into()));
        drawn.map_err(|e: Box<dyn std::error::Error>| ReportError::Draw {
            chart: chart.to_string(),
            message: e.to_string(),
        })?;
    }
    Ok(out)
}

/// Draws a detail chart of two panels side by side, each half the page wide.
pub(super) fn two_panels(chart: &str, draw: impl FnOnce(&Area, &Area) -> DrawResult) -> Result<String, ReportError> {
    svg(chart, 1200, 330, |root| {
        let (left, right) = root.split_horizontally(600);
        draw(&left, &right)
    })
}

/// A framed panel with a title and a message instead of a chart.
pub(super) fn placeholder(area: &Area, title: &str, message: &str) -> DrawResult {
    let area = area.margin(10, 10, 10, 10);
    let (w, h) = area.dim_in_pixel();
    area.draw(&Rectangle::new(
        [(0, 0), (w as i32 - 1, h as i32 - 1)],
        C_LIGHT.stroke_width(1),
    ))?;
    area.draw(&Text::new(
        title.to_string(),
        (10, 10),
        (FONT, 20).into_font().style(FontStyle::Bold),
    ))?;
    for (i, line) in wrap(message, (w as usize / 8).max(20)).iter().enumerate() {
        area.draw(&Text::new(
            line.clone(),
            (20, h as i32 / 2 - 10 + 20 * i as i32),
            (FONT, 16).into_font().color(&C_GRAY),
        ))?;
    }
    Ok(())
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("one line");
        if !last.is_empty() && last.len() + 1 + word.len() > width {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

/// Shortens a label to `max` characters with an ellipsis.
pub(super) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let keep: String = text.chars().take(max.saturating_sub(1)).collect();
        keep + "…"
    }
}

/// A histogram of `values` across replicas, with the mean marked.
pub(super) fn histogram(
    area: &Area,
    title: &str,
    values: &[f64],
    unit: Unit,
    x_desc: &str,
    color: RGBColor,
) -> DrawResult {
    let s = sorted(values);
    let (min, max) = (s[0], s[s.len() - 1]);
    let bins = if max > min {
        ((s.len() as f64).sqrt().ceil() as usize).clamp(5, 40)
    } else {
        1
    };
    let (lo, hi) = if max > min { (min, max) } else { range(min, max, 0.0) };
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for v in &s {
        let b = (((v - lo) / width).floor() as usize).min(bins - 1);
        counts[b] += 1;
    }
    let top = *counts.iter().max().unwrap_or(&1) as f64;
    let (x0, x1) = (lo - 0.5 * width, hi + 0.5 * width);
    let mut chart = DETAIL
        .chart(area, title, (48, 60))
        .build_cartesian_2d(x0..x1, 0f64..top * 1.2)?;
    let x_fmt = |v: &f64| unit.tick(*v);
    DETAIL
        .mesh(&mut chart)
        .disable_x_mesh()
        .x_desc(x_desc)
        .y_desc("replicas (count)")
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&count_tick)
        .draw()?;
    // White outlines over the fills keep neighbouring bars apart.
    let bars = |style: ShapeStyle| {
        counts.iter().enumerate().filter(|(_, c)| **c > 0).map(move |(i, c)| {
            let a = lo + width * i as f64;
            Rectangle::new([(a, 0.0), (a + width, *c as f64)], style)
        })
    };
    chart.draw_series(bars(color.mix(0.75).filled()))?;
    chart.draw_series(bars(WHITE.stroke_width(1)))?;
    let m = mean(values);
    chart
        .draw_series(DashedLineSeries::new(
            vec![(m, 0.0), (m, top * 1.08)],
            6,
            4,
            C_GRAY.stroke_width(2),
        ))?
        .label(format!("mean {} (n = {})", unit.format(m), values.len()))
        .legend(legend_line(C_GRAY.stroke_width(2)));
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_never_empty() {
        assert_eq!(range(0.0, 0.0, 0.1), (-1.0, 1.0));
        let (a, b) = range(5.0, 5.0, 0.1);
        assert!(a < 5.0 && b > 5.0);
        assert_eq!(range(f64::NAN, 1.0, 0.0), (0.0, 1.0));
    }

    #[test]
    fn long_labels_are_clipped_with_an_ellipsis() {
        assert_eq!(clip("abcdef", 4), "abc…");
    }

    #[test]
    fn a_histogram_of_one_value_draws() {
        let s = svg("t.svg", 600, 380, |root| {
            histogram(root, "one", &[3.0], Unit::Usd, "x (USD)", C_MAIN)
        })
        .unwrap();
        assert!(s.contains("<rect"), "{s}");
    }
}
