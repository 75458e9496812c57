//! Legends drawn by the report itself, above a chart's plot (see
//! [`super::Look::frame`]): each [`Entry`] shows a sample drawn as its
//! series is — a dashed line's sample is dashed — and its label.

use super::{Area, FONT, line_height, text_width};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// What a legend entry's sample looks like.
#[derive(Clone, Copy)]
pub(in crate::output::report) enum Sample {
    /// A line of `width` pixels; dashed (`dash` pixels, `gap` pixels) when
    /// `dash` is given.
    Line {
        color: RGBAColor,
        width: u32,
        dash: Option<(u32, u32)>,
    },
    /// A filled box (a band or bars).
    Fill(RGBAColor),
    /// A filled dot.
    Dot(RGBAColor),
    /// A ring (a marked replica among dots).
    Ring(RGBAColor),
    /// A cross.
    Cross(RGBAColor),
    /// A vertical whisker (an interval).
    Whisker(RGBAColor),
    /// No sample: the entry is a heading for those after it.
    None,
}

/// One entry of a legend.
#[derive(Clone)]
pub(in crate::output::report) struct Entry {
    pub(in crate::output::report) sample: Sample,
    pub(in crate::output::report) label: String,
}

impl Entry {
    /// A solid line.
    pub(in crate::output::report) fn line(label: impl Into<String>, color: impl Color, width: u32) -> Entry {
        Entry {
            sample: Sample::Line {
                color: color.to_rgba(),
                width,
                dash: None,
            },
            label: label.into(),
        }
    }

    /// A dashed line, `dash` pixels on and `gap` off, as its series.
    pub(in crate::output::report) fn dashed(
        label: impl Into<String>,
        color: impl Color,
        width: u32,
        (dash, gap): (u32, u32),
    ) -> Entry {
        Entry {
            sample: Sample::Line {
                color: color.to_rgba(),
                width,
                dash: Some((dash, gap)),
            },
            label: label.into(),
        }
    }

    /// Any other sample.
    pub(in crate::output::report) fn new(label: impl Into<String>, sample: Sample) -> Entry {
        Entry {
            sample,
            label: label.into(),
        }
    }
}

/// Width of an entry's sample, pixels.
const SAMPLE: i32 = 30;

/// Draws `entries` in rows centred on `area`'s width `w`, from `top` down;
/// returns the height used (0 without entries).
pub(super) fn draw_rows(
    area: &Area,
    entries: &[Entry],
    size: i32,
    top: i32,
    w: i32,
) -> Result<i32, Box<dyn std::error::Error>> {
    if entries.is_empty() {
        return Ok(0);
    }
    let gap = 22;
    let widths: Vec<i32> = entries
        .iter()
        .map(|e| sample_width(e.sample) + text_width(&e.label, size))
        .collect();
    // Greedy rows within the width.
    let mut rows: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 0;
    for (i, width) in widths.iter().enumerate() {
        let row = rows.last_mut().expect("a row");
        if !row.is_empty() && used + gap + width > w - 24 {
            rows.push(vec![i]);
            used = *width;
        } else {
            used += if row.is_empty() { *width } else { gap + width };
            row.push(i);
        }
    }
    let row_h = line_height(size) + 4;
    for (r, row) in rows.iter().enumerate() {
        let total: i32 = row.iter().map(|&i| widths[i]).sum::<i32>() + gap * (row.len() as i32 - 1);
        let mut x = (w - total).max(0) / 2;
        let y = top + r as i32 * row_h + row_h / 2;
        for &i in row {
            draw_sample(area, entries[i].sample, x, y)?;
            area.draw(&Text::new(
                entries[i].label.clone(),
                (x + sample_width(entries[i].sample), y),
                (FONT, size)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += widths[i] + gap;
        }
    }
    Ok(rows.len() as i32 * row_h)
}

/// Width of a sample and the space after it.
fn sample_width(sample: Sample) -> i32 {
    match sample {
        Sample::None => 0,
        _ => SAMPLE + 7,
    }
}

/// Draws one sample with its left edge at `x`, centred on `y`.
fn draw_sample(area: &Area, sample: Sample, x: i32, y: i32) -> Result<(), Box<dyn std::error::Error>> {
    let mid = x + SAMPLE / 2;
    match sample {
        Sample::Line {
            color,
            width,
            dash: None,
        } => area.draw(&PathElement::new(
            vec![(x, y), (x + SAMPLE, y)],
            color.stroke_width(width),
        ))?,
        Sample::Line {
            color,
            width,
            dash: Some((on, off)),
        } => {
            let (on, off) = (on.max(1) as i32, off as i32);
            let mut a = x;
            while a < x + SAMPLE {
                let b = (a + on).min(x + SAMPLE);
                area.draw(&PathElement::new(vec![(a, y), (b, y)], color.stroke_width(width)))?;
                a = b + off;
            }
        }
        Sample::Fill(color) => area.draw(&Rectangle::new([(x, y - 7), (x + SAMPLE, y + 7)], color.filled()))?,
        Sample::Dot(color) => area.draw(&Circle::new((mid, y), 6, color.filled()))?,
        Sample::Ring(color) => area.draw(&Circle::new((mid, y), 8, color.stroke_width(3)))?,
        Sample::Cross(color) => area.draw(&Cross::new((mid, y), 6, color.stroke_width(2)))?,
        Sample::None => {}
        Sample::Whisker(color) => {
            area.draw(&PathElement::new(
                vec![(mid, y - 8), (mid, y + 8)],
                color.stroke_width(2),
            ))?;
            for end in [y - 8, y + 8] {
                area.draw(&PathElement::new(
                    vec![(mid - 5, end), (mid + 5, end)],
                    color.stroke_width(2),
                ))?;
            }
        }
    }
    Ok(())
}
