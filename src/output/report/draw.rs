//! Drawing machinery every chart shares: the colours and text sizes
//! ([`Look`]), a chart's frame (its title and its legend above the plot,
//! never on the data: [`Look::frame`]), axis ranges and categorical axes
//! with wrapped, untruncated labels, rendering a chart into an SVG string
//! with hover tooltips ([`svg`], [`two_panels`]), and the placeholder panel
//! that says what is missing. Legends are in [`legend`], tooltips in
//! [`tips`], the distribution of a figure across replicas (histogram, or
//! ECDF with few replicas) in [`distribution`].

pub(super) mod distribution;
pub(super) mod legend;
pub(super) mod tips;

use super::ReportError;
use legend::Entry;
use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
pub(super) use tips::Tips;

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
pub(super) const C_PURPLE: RGBColor = RGBColor(117, 80, 170);
pub(super) const C_GRAY: RGBColor = RGBColor(90, 90, 90);
pub(super) const C_LIGHT: RGBColor = RGBColor(225, 225, 225);

/// Width of a text in pixels at plotters font size `size`, estimated (an
/// SVG's text is measured by the browser, not here): plotters writes
/// `size / 1.24` pixels, and a sans-serif character averages 0.56 em.
pub(super) fn text_width(text: &str, size: i32) -> i32 {
    (text.chars().count() as f64 * f64::from(size) / 1.24 * 0.56).ceil() as i32
}

/// Height of a line of text at plotters font size `size`, with its leading.
pub(super) fn line_height(size: i32) -> i32 {
    (f64::from(size) / 1.24 * 1.3).ceil() as i32
}

/// Text sizes and margin of a family of charts, so that charts shown at the
/// same size read alike. Sizes are plotters' (a size s is written as
/// s / 1.24 pixels).
#[derive(Clone, Copy)]
pub(super) struct Look {
    pub(super) caption: i32,
    margin: i32,
    axis_desc: i32,
    pub(super) ticks: i32,
    pub(super) legend: i32,
}

/// The detail charts of one grid point, half or full page width.
pub(super) const DETAIL: Look = Look {
    caption: 25,
    margin: 12,
    axis_desc: 20,
    ticks: 18,
    legend: 18,
};

/// The sweep's small multiples, up to three panels a row.
pub(super) const PANEL: Look = Look {
    caption: 21,
    margin: 10,
    axis_desc: 18,
    ticks: 17,
    legend: 17,
};

/// The sweep heatmap and its colour bar.
pub(super) const HEATMAP: Look = Look {
    caption: 24,
    margin: 12,
    axis_desc: 19,
    ticks: 18,
    legend: 18,
};

impl Look {
    /// Draws `title` and the `legend` (wrapped into centred rows) at the top
    /// of `area` and returns the area below them, where the plot goes: a
    /// legend above the plot never hides data.
    pub(super) fn frame<'b>(
        self,
        area: &Area<'b>,
        title: &str,
        legend: &[Entry],
    ) -> Result<Area<'b>, Box<dyn std::error::Error>> {
        let (w, _) = area.dim_in_pixel();
        let title_h = line_height(self.caption) + 4;
        area.draw(&Text::new(
            title.to_string(),
            (w as i32 / 2, self.margin),
            (FONT, self.caption)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
        let legend_h = legend::draw_rows(area, legend, self.legend, self.margin + title_h, w as i32)?;
        let top = (self.margin + title_h + legend_h + 4) as u32;
        Ok(area.split_vertically(top).1)
    }

    /// A chart on `area` (below its [`Look::frame`]) with `label_areas` =
    /// (below, left) pixels for the tick labels and axis descriptions.
    pub(super) fn chart<'a, 'b>(
        self,
        area: &'a Area<'b>,
        label_areas: (u32, u32),
    ) -> ChartBuilder<'a, 'static, SVGBackend<'b>> {
        let mut builder = ChartBuilder::on(area);
        builder
            .margin_left(self.margin)
            .margin_right(self.margin + 8)
            .margin_bottom(self.margin)
            .margin_top(6)
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

    /// Pixels below a plot for `lines` lines of tick labels and the axis
    /// description.
    pub(super) fn x_label_area(self, lines: usize) -> u32 {
        self.x_label_area_for(lines, 1)
    }

    /// Pixels below a plot for `tick_lines` lines of tick labels and
    /// `desc_lines` of axis description.
    pub(super) fn x_label_area_for(self, tick_lines: usize, desc_lines: usize) -> u32 {
        (line_height(self.ticks) * tick_lines.max(1) as i32 + line_height(self.axis_desc) * desc_lines as i32 + 18)
            as u32
    }

    /// Writes `labels` under the categories of a [`Categories`] x axis,
    /// each wrapped to the width of its category so none is cut (the mesh
    /// must print blank tick labels). Returns nothing; draws on `area`, the
    /// area `chart` was built on.
    pub(super) fn category_ticks<Y: Ranged>(
        self,
        area: &Area,
        chart: &Chart<'_, '_, Categories, Y>,
        labels: &[Vec<String>],
    ) -> DrawResult {
        let base = area.get_base_pixel();
        let y_bottom = chart.plotting_area().get_pixel_range().1.end;
        for (i, lines) in labels.iter().enumerate() {
            let (x, _) = chart.backend_coord(&(i as f64, chart.y_range().start));
            for (k, line) in lines.iter().enumerate() {
                area.draw(&Text::new(
                    line.clone(),
                    (x - base.0, y_bottom - base.1 + 8 + k as i32 * line_height(self.ticks)),
                    (FONT, self.ticks)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Center, VPos::Top)),
                ))?;
            }
        }
        Ok(())
    }

    /// Writes an x axis description of several `lines` under a chart whose
    /// tick labels (see [`Look::category_ticks`]) take `tick_lines` lines.
    pub(super) fn x_desc_lines<X: Ranged, Y: Ranged>(
        self,
        area: &Area,
        chart: &Chart<'_, '_, X, Y>,
        lines: &[String],
        tick_lines: usize,
    ) -> DrawResult {
        let base = area.get_base_pixel();
        let (xs, ys) = chart.plotting_area().get_pixel_range();
        let top = ys.end - base.1 + 14 + line_height(self.ticks) * tick_lines as i32;
        for (k, line) in lines.iter().enumerate() {
            area.draw(&Text::new(
                line.clone(),
                (
                    (xs.start + xs.end) / 2 - base.0,
                    top + k as i32 * line_height(self.axis_desc),
                ),
                (FONT, self.axis_desc)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Center, VPos::Top)),
            ))?;
        }
        Ok(())
    }
}

/// Draws a chart of `w`×`h` pixels into an SVG string, with the hover
/// tooltips its drawing left in [`Tips`] on top.
pub(super) fn svg(
    chart: &str,
    w: u32,
    h: u32,
    draw: impl FnOnce(&Area, &Tips) -> DrawResult,
) -> Result<String, ReportError> {
    let mut out = String::new();
    let tips = Tips::default();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        let drawn = root
            .fill(&WHITE)
            .map_err(|e| e.into())
            .and_then(|_| draw(&root, &tips))
            .and_then(|_| root.present().map_err(|e| e.into()));
        drawn.map_err(|e: Box<dyn std::error::Error>| ReportError::Draw {
            chart: chart.to_string(),
            message: e.to_string(),
        })?;
    }
    Ok(tips.insert_into(out))
}

/// Draws a detail chart of two panels side by side, each half the page wide.
pub(super) fn two_panels(
    chart: &str,
    draw: impl FnOnce(&Area, &Area, &Tips) -> DrawResult,
) -> Result<String, ReportError> {
    svg(chart, 1200, 400, |root, tips| {
        let (left, right) = root.split_horizontally(600);
        draw(&left, &right, tips)
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
        (FONT, 24).into_font().style(FontStyle::Bold),
    ))?;
    let size = 20;
    let chars = ((w as i32 - 40) / text_width("x", size)).max(20) as usize;
    for (i, line) in wrap(message, chars).iter().enumerate() {
        area.draw(&Text::new(
            line.clone(),
            (20, h as i32 / 2 - 20 + line_height(size) * i as i32),
            (FONT, size).into_font().color(&C_GRAY),
        ))?;
    }
    Ok(())
}

/// `text` wrapped into lines of at most `width` characters, at spaces, and
/// inside a word longer than a line (so nothing is cut, only wrapped).
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(4);
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            let rest = word.split_off(width);
            let piece: String = word.iter().collect();
            push_word(&mut lines, &piece, width);
            word = rest;
        }
        push_word(&mut lines, &word.iter().collect::<String>(), width);
    }
    lines
}

fn push_word(lines: &mut Vec<String>, word: &str, width: usize) {
    let last = lines.last_mut().expect("one line");
    if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > width {
        lines.push(word.to_string());
    } else {
        if !last.is_empty() {
            last.push(' ');
        }
        last.push_str(word);
    }
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
    fn wrapping_keeps_every_character() {
        assert_eq!(
            wrap("lognormal median=12 sigma=0.5", 12),
            ["lognormal", "median=12", "sigma=0.5"]
        );
        let long = "inference.growth.drift_per_year";
        let lines = wrap(long, 10);
        assert_eq!(lines.concat(), long);
        assert!(lines.iter().all(|l| l.chars().count() <= 10), "{lines:?}");
    }
}
