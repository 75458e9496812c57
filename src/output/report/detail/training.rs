//! The training run charts of one grid point: runs per replica by outcome,
//! the delay of completed runs, and the median replica's run timelines
//! (planned vs actual) from `training_runs.csv`.

use super::Detail;
use crate::output::numbers::{human, percent};
use crate::output::report::ReportError;
use crate::output::report::draw::{
    Area, C_ACCENT, C_GRAY, C_GREEN, C_MAIN, C_RED, Categories, DETAIL, DrawResult, FONT, category_label, clip,
    count_tick, draw_legend, histogram, legend_box, legend_line, placeholder, svg, two_panels,
};
use crate::output::report::folder::RunRow;
use crate::output::report::page::Section;
use crate::output::report::units::Unit;
use crate::stats::{mean, quantile_sorted, sorted};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

impl Detail<'_> {
    pub(in crate::output::report) fn training_chart(&self) -> Result<Section, ReportError> {
        let file = "training.svg";
        let outcomes: Vec<(&str, Vec<f64>)> = [
            ("planned", "training_runs_planned"),
            ("cancelled", "training_runs_cancelled"),
            ("infeasible", "training_runs_infeasible"),
            ("started", "training_runs_started"),
            ("completed", "training_runs_completed"),
        ]
        .into_iter()
        .filter_map(|(label, col)| Some((label, self.present(col)?)))
        .filter(|(_, v)| !v.is_empty())
        .collect();
        let median = self.median_training_replica();
        let delay = self.present("training_mean_delay_days").unwrap_or_default();
        let planned_any = outcomes
            .iter()
            .find(|(l, _)| *l == "planned")
            .is_some_and(|(_, v)| v.iter().any(|x| *x > 0.0));
        let svg = two_panels(file, |left, right| {
            if outcomes.is_empty() || !planned_any {
                placeholder(
                    left,
                    "Training runs by outcome",
                    "No training run was on the roadmap within the term at this point.",
                )?;
            } else {
                run_outcomes(left, &outcomes, median.map(|(i, _)| i))?;
            }
            if delay.is_empty() {
                placeholder(
                    right,
                    "Training delay",
                    "No replica completed a training run, so there is no delay to show.",
                )
            } else {
                histogram(
                    right,
                    "Mean delay of completed runs",
                    &delay,
                    Unit::Days,
                    "finish − ready − failure-free time (days)",
                    C_GREEN,
                )
            }
        })?;
        let median_text = match median {
            Some((i, replica)) => {
                let get = |c: &str| {
                    self.column(c)
                        .and_then(|v| v[i])
                        .map(human)
                        .unwrap_or_else(|| "n/a".into())
                };
                format!(
                    "The median replica by completed runs is replica {} (orange marks): {} planned, {} \
                     cancelled, {} started, {} completed, mean delay {} days.",
                    human(replica),
                    get("training_runs_planned"),
                    get("training_runs_cancelled"),
                    get("training_runs_started"),
                    get("training_runs_completed"),
                    get("training_mean_delay_days"),
                )
            }
            None => String::new(),
        };
        Ok(Section {
            id: "training",
            file,
            heading: "Frontier training runs".into(),
            svg: Some(svg),
            caption: format!(
                "Left: training runs per replica by outcome — bar = median across the {} replicas, \
                 whisker = p5–p95. {median_text} Right: each replica's mean delay over its completed \
                 runs (queueing, failures and checkpoint overhead beyond the failure-free time). \
                 The next chart shows each run of one replica.",
                self.n()
            ),
        })
    }

    /// The replica whose utilization is the median of the point's (the
    /// lower middle one for an even count): (row among the point's, replica
    /// index, utilization).
    fn median_utilization_replica(&self) -> Option<(usize, f64, f64)> {
        let util = self.column("utilization")?;
        let values: Vec<(usize, f64)> = util.iter().enumerate().filter_map(|(i, u)| Some((i, (*u)?))).collect();
        let mut order = values.clone();
        order.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let (row, u) = *order.get(order.len().checked_sub(1)? / 2)?;
        Some((row, self.folder.replica_index[self.rows[row]], u))
    }

    pub(in crate::output::report) fn timeline_chart(&self) -> Result<Section, ReportError> {
        let file = "training_timeline.svg";
        let title = "Training run timelines, median replica";
        let term = self.term_months;
        let median = self.median_utilization_replica();
        let runs: Option<Vec<&RunRow>> = self.folder.runs.as_ref().map(|all| {
            let mut r: Vec<&RunRow> = match median {
                Some((_, replica, _)) => all
                    .iter()
                    .filter(|r| r.point == self.point && r.replica == replica)
                    .collect(),
                None => Vec::new(),
            };
            r.sort_by(|a, b| a.run.total_cmp(&b.run));
            r
        });
        let default_month = median.and_then(|(row, _, _)| self.column("default_month").and_then(|d| d[row]));
        const MAX_RUNS: usize = 60;
        let shown = runs.as_ref().map_or(0, |r| r.len().min(MAX_RUNS));
        let height = (110 + 26 * shown as u32).max(330);
        let svg = svg(file, 1200, height, |root| match (&runs, median) {
            (None, _) => placeholder(
                root,
                title,
                "This folder has no training_runs.csv: it was written before per-run records existed. \
                 Re-run the scenario to get them.",
            ),
            (Some(_), None) => placeholder(
                root,
                title,
                "replicas.csv has no utilization values, so there is no median replica to show.",
            ),
            (Some(r), Some(_)) if r.is_empty() => placeholder(
                root,
                title,
                "No training run was on the roadmap within the term for the median replica.",
            ),
            (Some(r), Some(_)) => timeline(root, &r[..shown], term, default_month),
        })?;
        let which = match median {
            Some((_, replica, u)) if self.n() == 1 => {
                format!(
                    "the only replica, replica {} (utilization {})",
                    human(replica),
                    percent(u)
                )
            }
            Some((_, replica, u)) => format!(
                "replica {}, whose utilization ({}) is the median of the {} replicas'",
                human(replica),
                percent(u),
                self.n()
            ),
            None => "no replica (no utilization values)".into(),
        };
        let more = match &runs {
            Some(r) if r.len() > MAX_RUNS => format!(" Only its first {MAX_RUNS} of {} runs are drawn.", r.len()),
            _ => String::new(),
        };
        let counts = match &runs {
            Some(r) if !r.is_empty() => {
                let n = |o: &str| r.iter().filter(|x| x.outcome == o).count();
                let late: Vec<f64> = r
                    .iter()
                    .filter_map(|x| Some(x.finish? - x.planned))
                    .map(|m| m * 30.4375)
                    .collect();
                let late_text = if late.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", finishing on average {} days after their planned finish",
                        human(mean(&late))
                    )
                };
                let interruptions: f64 = r.iter().map(|x| x.interruptions).sum();
                format!(
                    " Of its {} runs, {} completed{late_text}; {} were still running and {} still queued at \
                     the term's end; {} cancelled, {} infeasible, {} abandoned at the buyer's default; {} \
                     interruptions in all.",
                    r.len(),
                    n("completed"),
                    n("running_at_term_end"),
                    n("queued_at_term_end"),
                    n("cancelled"),
                    n("infeasible"),
                    n("abandoned_at_default"),
                    human(interruptions)
                )
            }
            _ => String::new(),
        };
        Ok(Section {
            id: "timeline",
            file,
            heading: "Training run timelines (planned vs actual)".into(),
            svg: Some(svg),
            caption: format!(
                "Each training run of {which} (<code>training_runs.csv</code>), one row per run: the bar \
                 runs from its first start to its finish — blue if it completed, orange if it was still \
                 unfinished at the term's end (or, red, when the buyer defaulted); the thin gray line \
                 from its ready time is the wait to start; the black cross is its planned finish (ready \
                 + failure-free compute time), so a bar ending right of its cross finished late. Runs \
                 that never started show only their ready time, planned finish and outcome.{counts}{more}"
            ),
        })
    }

    /// The replica whose completed-run count is the median (ties: the delay
    /// closest to the median delay): (row among the point's, replica index).
    fn median_training_replica(&self) -> Option<(usize, f64)> {
        let completed = self.column("training_runs_completed")?;
        let delay = self.column("training_mean_delay_days").unwrap_or_default();
        let mut c: Vec<f64> = completed.iter().flatten().copied().collect();
        if c.is_empty() {
            return None;
        }
        c.sort_by(f64::total_cmp);
        let target = c[(c.len() - 1) / 2];
        let d: Vec<f64> = delay.iter().flatten().copied().collect();
        let d_med = if d.is_empty() {
            0.0
        } else {
            quantile_sorted(&sorted(&d), 0.5)
        };
        let best = (0..completed.len())
            .filter(|&i| completed[i] == Some(target))
            .min_by(|&a, &b| {
                let da = delay.get(a).copied().flatten().map_or(f64::MAX, |x| (x - d_med).abs());
                let db = delay.get(b).copied().flatten().map_or(f64::MAX, |x| (x - d_med).abs());
                da.total_cmp(&db)
            })?;
        Some((best, self.folder.replica_index[self.rows[best]]))
    }
}

/// Training runs per replica by outcome: median bar, p5–p95 whisker, and the
/// median replica's count.
fn run_outcomes(area: &Area, outcomes: &[(&str, Vec<f64>)], median_row: Option<usize>) -> DrawResult {
    let top = outcomes
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(1.0_f64, f64::max);
    let k = outcomes.len();
    let mut chart = DETAIL
        .chart(area, "Training runs by outcome, per replica", (48, 60))
        .build_cartesian_2d(Categories::new(k), 0f64..top * 1.55)?;
    let labels: Vec<&str> = outcomes.iter().map(|(l, _)| *l).collect();
    let x_fmt = |v: &f64| category_label(&labels, *v).unwrap_or_default().to_string();
    DETAIL
        .mesh(&mut chart)
        .disable_x_mesh()
        .x_desc("outcome")
        .y_desc("training runs (count)")
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&count_tick)
        .draw()?;
    let stats: Vec<(f64, f64, f64)> = outcomes
        .iter()
        .map(|(_, v)| {
            let s = sorted(v);
            (
                quantile_sorted(&s, 0.05),
                quantile_sorted(&s, 0.5),
                quantile_sorted(&s, 0.95),
            )
        })
        .collect();
    chart
        .draw_series(
            stats
                .iter()
                .enumerate()
                .map(|(i, s)| Rectangle::new([(i as f64 - 0.3, 0.0), (i as f64 + 0.3, s.1)], C_MAIN.mix(0.6).filled())),
        )?
        .label("median across replicas")
        .legend(legend_box(C_MAIN.mix(0.6)));
    chart
        .draw_series(stats.iter().enumerate().flat_map(|(i, s)| {
            let x = i as f64;
            [
                PathElement::new(vec![(x, s.0), (x, s.2)], BLACK.stroke_width(2)),
                PathElement::new(vec![(x - 0.08, s.0), (x + 0.08, s.0)], BLACK.stroke_width(2)),
                PathElement::new(vec![(x - 0.08, s.2), (x + 0.08, s.2)], BLACK.stroke_width(2)),
            ]
        }))?
        .label("p5–p95")
        .legend(|(x, y)| PathElement::new(vec![(x + 9, y - 7), (x + 9, y + 7)], BLACK.stroke_width(2)));
    if let Some(row) = median_row {
        chart
            .draw_series(
                outcomes
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (_, v))| v.get(row).map(|y| Circle::new((i as f64, *y), 6, C_ACCENT.filled()))),
            )?
            .label("median replica")
            .legend(|(x, y)| Circle::new((x + 9, y), 5, C_ACCENT.filled()));
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// One replica's training runs, one row each (the first at the top): wait
/// from ready to start, a bar from start to finish (or the term's end, or
/// the default), the planned finish, and the outcome of runs that never ran.
fn timeline(area: &Area, runs: &[&RunRow], term: f64, default_month: Option<f64>) -> DrawResult {
    let n = runs.len();
    let end = runs
        .iter()
        .flat_map(|r| [r.planned, r.finish.unwrap_or(0.0)])
        .fold(term.max(1.0), f64::max);
    // Row i (run order) sits at y = n − 1 − i, so the first run is on top.
    let y = |i: usize| (n - 1 - i) as f64;
    let labels: Vec<String> = (0..n)
        .rev()
        .map(|i| {
            let r = runs[i];
            let generation = if r.generation.is_empty() {
                String::new()
            } else {
                format!(" on {}", clip(&r.generation, 10))
            };
            format!("run {} · {} chips{generation}", human(r.run), human(r.chips))
        })
        .collect();
    let mut chart = DETAIL
        .chart(area, "Training run timelines, median replica", (44, 190))
        .build_cartesian_2d(0f64..end, Categories::new(n))?;
    let y_fmt = |v: &f64| category_label(&labels, *v).unwrap_or_default().to_string();
    DETAIL
        .mesh(&mut chart)
        .disable_y_mesh()
        .x_desc("month of the term")
        .y_desc("training run")
        .x_label_formatter(&|v| human(*v))
        .y_label_formatter(&y_fmt)
        .y_labels(n.max(1))
        .draw()?;
    if end > term {
        chart.draw_series(DashedLineSeries::new(
            vec![(term, -0.5), (term, n as f64 - 0.5)],
            4,
            4,
            C_GRAY.stroke_width(1),
        ))?;
    }
    if let Some(d) = default_month {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(d, -0.5), (d, n as f64 - 0.5)],
                6,
                4,
                C_RED.stroke_width(2),
            ))?
            .label(format!("buyer defaults (month {})", human(d)))
            .legend(legend_line(C_RED.stroke_width(2)));
    }
    // Waits: ready to start (or to the end of the bar-less run's life).
    chart
        .draw_series(runs.iter().enumerate().filter_map(|(i, r)| {
            let to = r.start?;
            Some(PathElement::new(
                vec![(r.ready, y(i)), (to, y(i))],
                C_GRAY.stroke_width(1),
            ))
        }))?
        .label("waiting since ready")
        .legend(legend_line(C_GRAY.stroke_width(1)));
    chart
        .draw_series(
            runs.iter()
                .enumerate()
                .map(|(i, r)| Circle::new((r.ready, y(i)), 4, C_GRAY.filled())),
        )?
        .label("ready")
        .legend(|(x, y)| Circle::new((x + 9, y), 4, C_GRAY.filled()));
    let bar_end = |r: &RunRow| match (r.finish, r.outcome.as_str(), default_month) {
        (Some(f), _, _) => f,
        (None, "abandoned_at_default", Some(d)) => d,
        (None, _, _) => term,
    };
    let color = |r: &RunRow| match (r.finish, r.outcome.as_str()) {
        (Some(_), _) => C_MAIN,
        (None, "abandoned_at_default") => C_RED,
        _ => C_ACCENT,
    };
    for (label, pick) in [
        ("completed", C_MAIN),
        ("unfinished at the term's end", C_ACCENT),
        ("stopped by the default", C_RED),
    ] {
        let bars: Vec<_> = runs
            .iter()
            .enumerate()
            .filter(|(_, r)| r.start.is_some() && color(r) == pick)
            .map(|(i, r)| {
                let (a, b) = (r.start.unwrap_or(r.ready), bar_end(r));
                Rectangle::new([(a, y(i) - 0.3), (b.max(a), y(i) + 0.3)], pick.mix(0.75).filled())
            })
            .collect();
        if !bars.is_empty() {
            chart
                .draw_series(bars)?
                .label(format!("running: {label}"))
                .legend(legend_box(pick.mix(0.75)));
        }
    }
    chart
        .draw_series(
            runs.iter()
                .enumerate()
                .map(|(i, r)| Cross::new((r.planned, y(i)), 6, BLACK.stroke_width(2))),
        )?
        .label("planned finish")
        .legend(|(x, y)| Cross::new((x + 9, y), 5, BLACK.stroke_width(2)));
    // Runs that never started: their outcome in words, right of the cross
    // in the first half of the term, left of the ready dot in the second.
    let gap = 0.012 * end;
    chart.draw_series(
        runs.iter()
            .enumerate()
            .filter(|(_, r)| r.start.is_none())
            .map(|(i, r)| {
                let (x, anchor) = if r.ready < 0.5 * end {
                    (r.planned.max(r.ready) + gap, HPos::Left)
                } else {
                    (r.ready - gap, HPos::Right)
                };
                Text::new(
                    format!("never started: {}", r.outcome.replace('_', " ")),
                    (x, y(i)),
                    (FONT, 13)
                        .into_font()
                        .color(&C_GRAY)
                        .pos(Pos::new(anchor, VPos::Center)),
                )
            }),
    )?;
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}
