//! The training run charts of one grid point: runs per replica by outcome,
//! the delay of completed runs, and the median replica's run timelines
//! (planned vs actual) from `training_runs.csv`. The median replica is the
//! page's ([`super::Median`]), marked in orange as in the other charts.

use super::{Detail, distribution_words};
use crate::output::numbers::human;
use crate::output::report::ReportError;
use crate::output::report::draw::distribution::{Distribution, distribution};
use crate::output::report::draw::legend::{Entry, Sample};
use crate::output::report::draw::{
    Area, C_ACCENT, C_GRAY, C_GREEN, C_MAIN, C_RED, Categories, DETAIL, DrawResult, FONT, Tips, category_label,
    count_tick, placeholder, svg, two_panels,
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
        .filter_map(|(label, col)| Some((label, self.column(col)?)))
        .filter(|(_, v)| v.iter().any(Option::is_some))
        .map(|(label, v)| (label, v.into_iter().map(|x| x.unwrap_or(0.0)).collect()))
        .collect();
        let median = self.median;
        let delay = self
            .by_replica("training_mean_delay_days")
            .map(|d| d.0)
            .unwrap_or_default();
        let planned_any = outcomes
            .iter()
            .find(|(l, _)| *l == "planned")
            .is_some_and(|(_, v)| v.iter().any(|x| *x > 0.0));
        let svg = two_panels(file, |left, right, tips| {
            if outcomes.is_empty() || !planned_any {
                placeholder(
                    left,
                    "Training runs by outcome",
                    "No training run was on the roadmap within the term at this point.",
                )?;
            } else {
                run_outcomes(left, tips, &outcomes, median.map(|m| (m.row, m.replica)))?;
            }
            if delay.is_empty() {
                placeholder(
                    right,
                    "Training delay",
                    "No replica completed a training run, so there is no delay to show.",
                )
            } else {
                distribution(
                    right,
                    tips,
                    &Distribution {
                        title: "Mean delay of completed runs",
                        values: delay.clone(),
                        unit: Unit::Days,
                        x_desc: "finish − ready − failure-free time (days)",
                        color: C_GREEN,
                        split: None,
                        marked: median.map(|m| m.replica),
                        reference: None,
                    },
                )
            }
        })?;
        let median_text = match median {
            Some(m) => {
                let get = |c: &str| {
                    self.column(c)
                        .and_then(|v| v[m.row])
                        .map(human)
                        .unwrap_or_else(|| "n/a".into())
                };
                format!(
                    "Orange: {} — {} planned, {} cancelled, {} started, {} completed, mean delay {} days.",
                    self.median_words(),
                    get("training_runs_planned"),
                    get("training_runs_cancelled"),
                    get("training_runs_started"),
                    get("training_runs_completed"),
                    get("training_mean_delay_days"),
                )
            }
            None => String::new(),
        };
        Ok(Section::chart(
            "training",
            file,
            "Frontier training runs",
            svg,
            format!(
                "Left: training runs per replica by outcome — bar = median across the {} replicas, \
                 whisker = p5–p95. {median_text} Right: {} of each replica's mean delay over its completed \
                 runs (queueing, failures and checkpoint overhead beyond the failure-free time). The next \
                 chart shows each run of the same replica.",
                self.n(),
                distribution_words(delay.len()).to_lowercase()
            ),
        ))
    }

    pub(in crate::output::report) fn timeline_chart(&self) -> Result<Section, ReportError> {
        let file = "training_timeline.svg";
        let title = "Training run timelines, median replica";
        let term = self.term_months;
        let median = self.median;
        let runs: Option<Vec<&RunRow>> = self.folder.runs.as_ref().map(|all| {
            let mut r: Vec<&RunRow> = match median {
                Some(m) => all
                    .iter()
                    .filter(|r| r.point == self.point && r.replica == m.replica)
                    .collect(),
                None => Vec::new(),
            };
            r.sort_by(|a, b| a.run.total_cmp(&b.run));
            r
        });
        let default_month = median.and_then(|m| self.column("default_month").and_then(|d| d[m.row]));
        const MAX_RUNS: usize = 60;
        let shown = runs.as_ref().map_or(0, |r| r.len().min(MAX_RUNS));
        let height = (190 + 30 * shown as u32).max(400);
        let svg = svg(file, 1200, height, |root, tips| match (&runs, median) {
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
            (Some(r), Some(_)) => timeline(root, tips, &r[..shown], term, default_month),
        })?;
        let which = self.median_words();
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
        Ok(Section::chart(
            "timeline",
            file,
            "Training run timelines (planned vs actual)",
            svg,
            format!(
                "Each training run of {which} (<code>training_runs.csv</code>), one row per run: the bar \
                 runs from its first start to its finish — blue if it completed, orange if it was still \
                 unfinished at the term's end (or, red, when the buyer defaulted); the thin gray line \
                 from its ready time is the wait to start; the black cross is its planned finish (ready \
                 + failure-free compute time), so a bar ending right of its cross finished late. Runs \
                 that never started show only their ready time, planned finish and outcome. Hover over a \
                 run for its times.{counts}{more}"
            ),
        ))
    }
}

/// Training runs per replica by outcome: median bar, p5–p95 whisker, and the
/// median replica's count (`median` = its row among the point's replicas,
/// and its index).
fn run_outcomes(area: &Area, tips: &Tips, outcomes: &[(&str, Vec<f64>)], median: Option<(usize, f64)>) -> DrawResult {
    let top = outcomes
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(1.0_f64, f64::max);
    let k = outcomes.len();
    let mut legend = vec![
        Entry::new("median across replicas", Sample::Fill(C_MAIN.mix(0.6))),
        Entry::new("p5–p95", Sample::Whisker(BLACK.to_rgba())),
    ];
    if let Some((_, replica)) = median {
        legend.push(Entry::new(
            format!("median replica ({})", human(replica)),
            Sample::Dot(C_ACCENT.to_rgba()),
        ));
    }
    let plot = DETAIL.frame(area, "Training runs by outcome, per replica", &legend)?;
    let mut chart = DETAIL
        .chart(&plot, (DETAIL.x_label_area(1), 78))
        .build_cartesian_2d(Categories::new(k), 0f64..top * 1.1)?;
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
    chart.draw_series(
        stats
            .iter()
            .enumerate()
            .map(|(i, s)| Rectangle::new([(i as f64 - 0.3, 0.0), (i as f64 + 0.3, s.1)], C_MAIN.mix(0.6).filled())),
    )?;
    chart.draw_series(stats.iter().enumerate().flat_map(|(i, s)| {
        let x = i as f64;
        [
            PathElement::new(vec![(x, s.0), (x, s.2)], BLACK.stroke_width(2)),
            PathElement::new(vec![(x - 0.08, s.0), (x + 0.08, s.0)], BLACK.stroke_width(2)),
            PathElement::new(vec![(x - 0.08, s.2), (x + 0.08, s.2)], BLACK.stroke_width(2)),
        ]
    }))?;
    let marked = |v: &Vec<f64>| median.and_then(|(row, _)| v.get(row).copied());
    if median.is_some() {
        chart.draw_series(
            outcomes
                .iter()
                .enumerate()
                .filter_map(|(i, (_, v))| marked(v).map(|y| Circle::new((i as f64, y), 6, C_ACCENT.filled()))),
        )?;
    }
    for (i, ((label, v), s)) in outcomes.iter().zip(&stats).enumerate() {
        let of_median = marked(v).map_or(String::new(), |y| format!("; the median replica {}", human(y)));
        tips.span(
            &chart,
            (i as f64 - 0.35, 0.0),
            (i as f64 + 0.35, s.1.max(s.2)),
            format!(
                "{label}: median {} runs per replica, p5–p95 {} – {}{of_median}",
                human(s.1),
                human(s.0),
                human(s.2)
            ),
        );
    }
    Ok(())
}

/// One replica's training runs, one row each (the first at the top): wait
/// from ready to start, a bar from start to finish (or the term's end, or
/// the default), the planned finish, and the outcome of runs that never ran.
fn timeline(area: &Area, tips: &Tips, runs: &[&RunRow], term: f64, default_month: Option<f64>) -> DrawResult {
    let n = runs.len();
    let end = runs
        .iter()
        .flat_map(|r| [r.planned, r.finish.unwrap_or(0.0)])
        .fold(term.max(1.0), f64::max);
    // Row i (run order) sits at y = n − 1 − i, so the first run is on top.
    let y = |i: usize| (n - 1 - i) as f64;
    let name = |r: &RunRow| {
        let generation = if r.generation.is_empty() {
            String::new()
        } else {
            format!(" on {}", r.generation)
        };
        format!("run {} · {} chips{generation}", human(r.run), human(r.chips))
    };
    let labels: Vec<String> = (0..n).rev().map(|i| name(runs[i])).collect();
    let widest = labels
        .iter()
        .map(|l| super::super::draw::text_width(l, DETAIL.ticks))
        .max()
        .unwrap_or(0);
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
    let kinds = [
        ("completed", C_MAIN),
        ("unfinished at the term's end", C_ACCENT),
        ("stopped by the default", C_RED),
    ];
    let mut legend = Vec::new();
    if let Some(d) = default_month {
        legend.push(Entry::dashed(
            format!("buyer defaults (month {})", human(d)),
            C_RED,
            2,
            (6, 4),
        ));
    }
    legend.push(Entry::line("waiting since ready", C_GRAY, 1));
    legend.push(Entry::new("ready", Sample::Dot(C_GRAY.to_rgba())));
    for (label, pick) in kinds {
        if runs.iter().any(|r| r.start.is_some() && color(r) == pick) {
            legend.push(Entry::new(format!("running: {label}"), Sample::Fill(pick.mix(0.75))));
        }
    }
    legend.push(Entry::new("planned finish", Sample::Cross(BLACK.to_rgba())));
    let plot = DETAIL.frame(area, "Training run timelines, median replica", &legend)?;
    let mut chart = DETAIL
        .chart(&plot, (DETAIL.x_label_area(1), (widest + 60) as u32))
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
        chart.draw_series(DashedLineSeries::new(
            vec![(d, -0.5), (d, n as f64 - 0.5)],
            6,
            4,
            C_RED.stroke_width(2),
        ))?;
    }
    // Waits: ready to start.
    chart.draw_series(runs.iter().enumerate().filter_map(|(i, r)| {
        let to = r.start?;
        Some(PathElement::new(
            vec![(r.ready, y(i)), (to, y(i))],
            C_GRAY.stroke_width(1),
        ))
    }))?;
    chart.draw_series(
        runs.iter()
            .enumerate()
            .map(|(i, r)| Circle::new((r.ready, y(i)), 4, C_GRAY.filled())),
    )?;
    for (_, pick) in kinds {
        let bars: Vec<_> = runs
            .iter()
            .enumerate()
            .filter(|(_, r)| r.start.is_some() && color(r) == pick)
            .map(|(i, r)| {
                let (a, b) = (r.start.unwrap_or(r.ready), bar_end(r));
                Rectangle::new([(a, y(i) - 0.3), (b.max(a), y(i) + 0.3)], pick.mix(0.75).filled())
            })
            .collect();
        chart.draw_series(bars)?;
    }
    chart.draw_series(
        runs.iter()
            .enumerate()
            .map(|(i, r)| Cross::new((r.planned, y(i)), 6, BLACK.stroke_width(2))),
    )?;
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
                    (FONT, DETAIL.ticks)
                        .into_font()
                        .color(&C_GRAY)
                        .pos(Pos::new(anchor, VPos::Center)),
                )
            }),
    )?;
    let month = |m: Option<f64>| m.map_or("—".to_string(), |m| format!("month {}", human(m)));
    for (i, r) in runs.iter().enumerate() {
        tips.span(
            &chart,
            (0.0, y(i) - 0.4),
            (end, y(i) + 0.4),
            format!(
                "{}: ready {}, started {}, finished {} (planned {}), {} interruptions, {}",
                name(r),
                month(Some(r.ready)),
                month(r.start),
                month(r.finish),
                month(Some(r.planned)),
                human(r.interruptions),
                r.outcome.replace('_', " ")
            ),
        );
    }
    Ok(())
}
