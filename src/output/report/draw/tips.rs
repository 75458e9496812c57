//! Hover tooltips: the values behind a chart's marks as SVG `<title>`
//! elements. plotters writes no `<title>`, so a chart records where its
//! marks are ([`Tips`]) while it draws, and [`Tips::insert_into`] adds an
//! invisible shape with a `<title>` over each, on top of the drawing (a
//! browser shows the title when the pointer rests on the shape).

use super::Chart;
use plotters::coord::ranged1d::Ranged;
use std::cell::RefCell;
use std::fmt::Write;

/// A hover target, in pixels of the SVG.
enum Shape {
    Circle { x: i32, y: i32, r: i32 },
    Rect { x: i32, y: i32, w: i32, h: i32 },
}

/// The tooltips of one SVG, collected while its charts draw.
#[derive(Default)]
pub(in crate::output::report) struct Tips {
    tips: RefCell<Vec<(Shape, String)>>,
}

impl Tips {
    /// A tooltip over a disc of `radius` pixels around the data point `at`.
    pub(in crate::output::report) fn dot<X: Ranged, Y: Ranged>(
        &self,
        chart: &Chart<'_, '_, X, Y>,
        at: (X::ValueType, Y::ValueType),
        radius: i32,
        text: impl Into<String>,
    ) {
        let (x, y) = chart.backend_coord(&at);
        self.tips
            .borrow_mut()
            .push((Shape::Circle { x, y, r: radius }, text.into()));
    }

    /// A tooltip over the rectangle between the data points `a` and `b`,
    /// clipped to the plot.
    pub(in crate::output::report) fn span<X: Ranged, Y: Ranged>(
        &self,
        chart: &Chart<'_, '_, X, Y>,
        a: (X::ValueType, Y::ValueType),
        b: (X::ValueType, Y::ValueType),
        text: impl Into<String>,
    ) {
        let (pa, pb) = (chart.backend_coord(&a), chart.backend_coord(&b));
        let (xs, ys) = chart.plotting_area().get_pixel_range();
        let clip_x = |v: i32| v.clamp(xs.start, xs.end);
        let clip_y = |v: i32| v.clamp(ys.start, ys.end);
        let (x0, x1) = (clip_x(pa.0.min(pb.0)), clip_x(pa.0.max(pb.0)));
        let (y0, y1) = (clip_y(pa.1.min(pb.1)), clip_y(pa.1.max(pb.1)));
        // A zero-height bar still gets a target a few pixels high.
        let (y0, y1) = if y1 - y0 < 4 { (y0 - 2, y1 + 2) } else { (y0, y1) };
        if x1 > x0 {
            self.tips.borrow_mut().push((
                Shape::Rect {
                    x: x0,
                    y: y0,
                    w: x1 - x0,
                    h: y1 - y0,
                },
                text.into(),
            ));
        }
    }

    /// `svg` with the tooltips added just before its closing tag, as shapes
    /// with no visible paint (they still catch the pointer: their fill is
    /// set, only transparent).
    pub(in crate::output::report) fn insert_into(&self, svg: String) -> String {
        let tips = self.tips.borrow();
        if tips.is_empty() {
            return svg;
        }
        let Some(end) = svg.rfind("</svg>") else {
            return svg;
        };
        let mut g = String::from("<g class=\"tooltips\" fill=\"#000\" fill-opacity=\"0\">\n");
        for (shape, text) in tips.iter() {
            let title = xml_escape(text);
            let _ = match shape {
                Shape::Circle { x, y, r } => writeln!(
                    g,
                    "<circle cx=\"{x}\" cy=\"{y}\" r=\"{r}\"><title>{title}</title></circle>"
                ),
                Shape::Rect { x, y, w, h } => writeln!(
                    g,
                    "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\"><title>{title}</title></rect>"
                ),
            };
        }
        g.push_str("</g>\n");
        let mut out = svg;
        out.insert_str(end, &g);
        out
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::super::svg;
    use plotters::prelude::*;

    #[test]
    fn tooltips_land_over_their_marks_with_escaped_text() {
        let out = svg("t.svg", 200, 100, |root, tips| {
            let mut chart = ChartBuilder::on(root).build_cartesian_2d(0f64..10f64, 0f64..10f64)?;
            chart.draw_series(std::iter::once(Circle::new((5.0, 5.0), 3, BLACK.filled())))?;
            tips.dot(&chart, (5.0, 5.0), 6, "a < b & c");
            tips.span(&chart, (0.0, 0.0), (20.0, 5.0), "clipped");
            Ok(())
        })
        .unwrap();
        // The target sits on the mark (pixel 99 of 0..200), after it: on top.
        let mark = out.find("<circle cx=\"99\" cy=\"50\" r=\"3\"").unwrap();
        let tip = out
            .find("<circle cx=\"99\" cy=\"50\" r=\"6\"><title>a &lt; b &amp; c</title></circle>")
            .unwrap();
        assert!(tip > mark, "{out}");
        // The span is clipped to the plot: x from 0 to its right edge.
        assert!(
            out.contains("<rect x=\"0\" y=\"50\" width=\"200\" height=\"49\"><title>clipped</title>"),
            "{out}"
        );
        assert!(out.trim_end().ends_with("</g>\n</svg>"), "{out}");
    }
}
