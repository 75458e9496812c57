//! The counterparty-risk charts of one grid point: the cumulative
//! probability of default and the loss-exceedance curve with its VaR
//! markers; the exposure profile over the term (`exposure.csv`); the
//! distributions of loss given default and of the provider's NPV.

use super::{Detail, TERM_LABEL_AREAS, distribution_words, draw_term_axes, month_tips};
use crate::metrics::risk::var_cvar;
use crate::output::numbers::{human, percent};
use crate::output::report::ReportError;
use crate::output::report::draw::distribution::{Distribution, Split, distribution};
use crate::output::report::draw::legend::{Entry, Sample};
use crate::output::report::draw::{
    Area, C_GREEN, C_MAIN, C_PURPLE, C_RED, DETAIL, DrawResult, Tips, placeholder, svg, two_panels,
};
use crate::output::report::folder::ExposureRow;
use crate::output::report::page::Section;
use crate::output::report::units::Unit;
use crate::stats::wilson;
use plotters::prelude::*;

/// VaR levels marked on the loss-exceedance curve.
const VAR_LEVELS: [f64; 2] = [0.95, 0.99];

impl Detail<'_> {
    pub(in crate::output::report) fn default_chart(&self) -> Result<Section, ReportError> {
        let file = "default_and_loss.svg";
        let n = self.n();
        let months = self.column("default_month");
        let loss = self.by_replica("loss_usd");
        let term = self.term_months;
        let defaults = months.as_ref().map(|m| m.iter().flatten().count());
        let var = |q: f64| self.var_of("var_loss_usd", "loss_usd", q);
        let markers: Vec<(f64, f64)> = VAR_LEVELS.iter().filter_map(|&q| Some((q, var(q)?))).collect();
        let svg = two_panels(file, |left, right, tips| {
            match &months {
                Some(m) => {
                    let m: Vec<f64> = m.iter().flatten().copied().collect();
                    default_curve(left, tips, &m, n, term)
                }
                None => placeholder(
                    left,
                    "Cumulative probability of default",
                    "replicas.csv has no default_month column: this folder was written before the buyer \
                     and default model.",
                ),
            }?;
            match &loss {
                None => placeholder(
                    right,
                    "Loss exceedance",
                    "replicas.csv has no loss_usd column: this folder was written before the buyer \
                     and default model.",
                ),
                Some((l, _)) if l.iter().all(|x| x.1 == 0.0) => placeholder(
                    right,
                    "Loss exceedance",
                    &format!(
                        "No loss: the provider's loss is $0 in all {} replicas (no replica defaulted, or \
                         recovery covered the exposure).",
                        l.len()
                    ),
                ),
                Some((l, _)) => {
                    let values: Vec<f64> = l.iter().map(|x| x.1).collect();
                    loss_exceedance(right, tips, &values, &markers)
                }
            }
        })?;
        let verdict = match defaults {
            Some(0) => format!("No replica defaulted (0 of {n})."),
            Some(k) => format!("{k} of {n} replicas defaulted within the term."),
            None => "This folder has no default columns.".into(),
        };
        Ok(Section::chart(
            "default",
            file,
            "Counterparty risk",
            svg,
            format!(
                "{verdict} Left: the share of replicas whose buyer has defaulted by each month \
                 (<code>default_month</code>; empty = never) with its 95% Wilson interval — with few \
                 replicas the band is wide, and zero defaults still leaves an upper bound. Right: the \
                 provider's loss-exceedance curve, the share of replicas whose loss (<code>loss_usd</code>, \
                 after recovery) exceeds each amount, on a log scale, with its 95% Wilson band; the VaR \
                 markers are the losses exceeded in 5% and 1% of replicas (<code>risk.csv</code>)."
            ),
        ))
    }

    /// The VaR at level `q` of a replicas.csv column: `risk.csv`'s figure
    /// (tidy name `figure`) when the folder has it, else computed from the
    /// column as `risk.csv` computes it.
    pub(in crate::output::report) fn var_of(&self, figure: &str, column: &str, q: f64) -> Option<f64> {
        let from_risk = self.folder.risk_of(self.point).and_then(|rows| {
            rows.iter()
                .find(|r| r.figure == figure && r.quantile.is_some_and(|x| (x - q).abs() < 1e-9))
                .and_then(|r| r.value)
        });
        from_risk.or_else(|| {
            let v = self.present(column)?;
            (!v.is_empty()).then(|| var_cvar(&v, q).0)
        })
    }

    pub(in crate::output::report) fn exposure_chart(&self) -> Result<Section, ReportError> {
        let file = "exposure.svg";
        let title = "Exposure profile over the term";
        let rows = self.folder.exposure_of(self.point);
        let term = self.term_months;
        let svg = svg(file, 1200, 460, |root, tips| match &rows {
            None => placeholder(
                root,
                title,
                "This folder has no exposure.csv: it was written before exposure profiles existed. Re-run \
                 the scenario to get one.",
            ),
            Some(r) if r.is_empty() => placeholder(
                root,
                title,
                &format!("exposure.csv has no rows for point {}.", self.point),
            ),
            Some(r) => exposure(root, tips, r, term),
        })?;
        Ok(Section::chart(
            "exposure",
            file,
            title,
            svg,
            format!(
                "The provider's credit exposure in each contract month across the {} replicas \
                 (<code>exposure.csv</code>): what it would lose if the buyer defaulted then — the payments \
                 still due, valued at that month at the contract's discount rate. EE is the expected (mean) \
                 exposure, PFE95 and PFE99 the potential future exposure (95% and 99% quantiles across \
                 replicas), EPE the running mean of EE. Right axis: the cumulative probability of default. \
                 Hover over a month for its values.",
                self.n()
            ),
        ))
    }

    pub(in crate::output::report) fn credit_distributions(&self) -> Result<Section, ReportError> {
        let file = "lgd_and_npv.svg";
        let n = self.n();
        let lgd = self.by_replica("loss_given_default");
        let npv = self.by_replica("provider_npv_usd");
        let defaults = self.present("default_month").map(|d| d.len());
        let marked = self.median.map(|m| m.replica);
        let lgd_title = match &lgd {
            Some((v, _)) => format!("Loss given default ({} defaulting replicas of {n})", v.len()),
            None => "Loss given default".into(),
        };
        let svg = two_panels(file, |left, right, tips| {
            match (&lgd, defaults) {
                (None, _) => placeholder(
                    left,
                    &lgd_title,
                    "replicas.csv has no loss_given_default column: this folder was written before loss \
                     given default was recorded.",
                ),
                (Some((v, _)), _) if v.is_empty() => placeholder(
                    left,
                    &lgd_title,
                    &match defaults {
                        Some(0) => format!("No replica defaulted (0 of {n}), so there is no loss given default."),
                        _ => "No defaulting replica has a loss given default (zero exposure at default).".into(),
                    },
                ),
                (Some((v, _)), _) => distribution(
                    left,
                    tips,
                    &Distribution {
                        title: &lgd_title,
                        values: v.clone(),
                        unit: Unit::Percent,
                        x_desc: "loss / exposure at default (%)",
                        color: C_RED,
                        split: None,
                        marked,
                        reference: None,
                    },
                ),
            }?;
            match &npv {
                Some((v, flags)) if !v.is_empty() => distribution(
                    right,
                    tips,
                    &Distribution {
                        title: "The provider's NPV of the deal",
                        values: v.clone(),
                        unit: Unit::Usd,
                        x_desc: "NPV at the contract's rate + spread (USD)",
                        color: C_GREEN,
                        split: Some(Split {
                            flags: flags.clone(),
                            label_in: "buyer defaulted",
                            label_out: "paid to the end",
                            color_in: C_RED,
                        }),
                        marked,
                        reference: Some((0.0, "break-even (NPV = 0)")),
                    },
                ),
                Some(_) => placeholder(
                    right,
                    "The provider's NPV",
                    "No provider economics in this scenario: provider_npv_usd is empty (give the \
                     generations a capex_per_chip_usd, see [provider] in the README).",
                ),
                None => placeholder(
                    right,
                    "The provider's NPV",
                    "replicas.csv has no provider_npv_usd column: this folder was written before the \
                     provider's economics existed.",
                ),
            }
        })?;
        Ok(Section::chart(
            "credit",
            file,
            "Loss given default and the provider's NPV",
            svg,
            format!(
                "{} across replicas (<code>replicas.csv</code>). Left: loss given default \
                 (<code>loss_given_default</code> = loss ÷ exposure at default) over the replicas whose buyer \
                 defaulted only — re-marketing at the market price makes it a distribution, not a constant. \
                 Right: the provider's NPV of the deal (<code>provider_npv_usd</code>: payments, re-marketing, \
                 claim and residual value less capex and opex), red where the buyer defaulted; the black \
                 line is break-even. Orange: {}.",
                distribution_words(n),
                self.median_words()
            ),
        ))
    }
}

/// P(default by month m) over the term, with a Wilson band.
fn default_curve(area: &Area, tips: &Tips, months: &[f64], n: usize, term: f64) -> DrawResult {
    let steps: Vec<(f64, f64, f64, f64)> = (0..=term as usize)
        .map(|m| {
            let k = months.iter().filter(|d| **d <= m as f64).count();
            let (lo, hi) = wilson(k, n);
            (m as f64, k as f64 / n.max(1) as f64, lo, hi)
        })
        .collect();
    let top = steps.iter().map(|s| s.3).fold(0.05_f64, f64::max).min(1.0) * 1.05;
    let k = months.len();
    let legend = [
        Entry::line(format!("defaulted: {k} of {n} replicas"), C_RED, 3),
        Entry::new("95% interval (Wilson)", Sample::Fill(C_RED.mix(0.15))),
    ];
    let plot = DETAIL.frame(area, "Cumulative probability of default", &legend)?;
    let mut chart = DETAIL
        .chart(&plot, (DETAIL.x_label_area(1), 84))
        .build_cartesian_2d(0f64..term.max(1.0), 0f64..top)?;
    draw_term_axes(&mut chart, "P(default by month) (%)", &|v| Unit::Percent.tick(*v))?;
    // Step functions: the value at month m holds until m + 1.
    let stair = |f: fn(&(f64, f64, f64, f64)) -> f64| -> Vec<(f64, f64)> {
        let mut pts = Vec::new();
        for (i, s) in steps.iter().enumerate() {
            let end = steps.get(i + 1).map_or(term, |n| n.0);
            pts.push((s.0, f(s)));
            pts.push((end.min(term), f(s)));
        }
        pts
    };
    let mut band = stair(|s| s.3);
    band.extend(stair(|s| s.2).into_iter().rev());
    chart.draw_series(std::iter::once(Polygon::new(band, C_RED.mix(0.15))))?;
    chart.draw_series(LineSeries::new(stair(|s| s.1), C_RED.stroke_width(3)))?;
    let texts: Vec<(f64, String)> = steps
        .iter()
        .map(|s| {
            let k = (s.1 * n as f64).round();
            (
                s.0,
                format!(
                    "month {}: {} of {n} defaulted = {} (95% CI {} – {})",
                    human(s.0),
                    human(k),
                    percent(s.1),
                    percent(s.2),
                    percent(s.3)
                ),
            )
        })
        .collect();
    month_tips(&chart, tips, &texts);
    Ok(())
}

/// The loss-exceedance curve: the share of replicas whose loss exceeds x,
/// on a log scale, with its Wilson band and the VaR `markers` (level,
/// value).
fn loss_exceedance(area: &Area, tips: &Tips, losses: &[f64], markers: &[(f64, f64)]) -> DrawResult {
    let n = losses.len();
    let mut s = losses.to_vec();
    s.sort_by(f64::total_cmp);
    let max = s[n - 1];
    // The curve's steps: at each distinct loss x, the share above it.
    let mut xs: Vec<f64> = std::iter::once(0.0)
        .chain(s.iter().copied().filter(|x| *x > 0.0))
        .collect();
    xs.dedup();
    let above = |x: f64| s.iter().filter(|v| **v > x).count();
    // The axis reaches half the smallest share a replica can make (and at
    // least down to 1%, so a few replicas still get more than one tick).
    let floor = (0.5 / n as f64).min(0.01);
    let mut legend = vec![
        Entry::line("P(loss > x)", C_RED, 3),
        Entry::new("95% interval (Wilson)", Sample::Fill(C_RED.mix(0.15))),
    ];
    let dashes = [(8, 4), (3, 3)];
    for (i, (q, v)) in markers.iter().enumerate() {
        legend.push(Entry::dashed(
            format!("VaR{:.0} {}", q * 100.0, Unit::Usd.format(*v)),
            C_PURPLE,
            2,
            dashes[i % 2],
        ));
    }
    let plot = DETAIL.frame(area, "Loss exceedance", &legend)?;
    let mut chart = DETAIL
        .chart(&plot, (DETAIL.x_label_area(1), 84))
        .build_cartesian_2d(0f64..max * 1.05, (floor * 0.98..1.0f64).log_scale())?;
    DETAIL
        .mesh(&mut chart)
        .disable_x_mesh()
        .x_desc("provider's loss x (USD)")
        .y_desc("replicas with loss > x (%)")
        .x_labels(6)
        .x_label_formatter(&|v| Unit::Usd.tick(*v))
        .y_label_formatter(&|v| Unit::Percent.tick(*v))
        .draw()?;
    // Each step holds from its loss to the next; a share of 0 is off a log
    // axis, so the curve ends at the largest loss.
    let mut line = Vec::new();
    let mut band_hi = Vec::new();
    let mut band_lo = Vec::new();
    for (i, &x) in xs.iter().enumerate() {
        let end = xs.get(i + 1).copied().unwrap_or(max);
        let k = above(x);
        if k == 0 {
            break;
        }
        let p = k as f64 / n as f64;
        let (lo, hi) = wilson(k, n);
        line.extend([(x, p), (end, p)]);
        band_hi.extend([(x, hi), (end, hi)]);
        band_lo.extend([(x, lo.max(floor)), (end, lo.max(floor))]);
        tips.span(
            &chart,
            (x, floor),
            (end, 1.0),
            format!(
                "loss above {}: {k} of {n} replicas = {} (95% CI {} – {})",
                Unit::Usd.format(x),
                percent(p),
                percent(lo),
                percent(hi)
            ),
        );
    }
    if let Some(&(_, last)) = line.last() {
        line.push((max, floor));
        band_hi.push((max, last));
    }
    band_hi.extend(band_lo.into_iter().rev());
    chart.draw_series(std::iter::once(Polygon::new(band_hi, C_RED.mix(0.15))))?;
    chart.draw_series(LineSeries::new(line, C_RED.stroke_width(3)))?;
    for (i, (q, v)) in markers.iter().enumerate() {
        let level = 1.0 - q;
        let (dash, gap) = dashes[i % 2];
        chart.draw_series(DashedLineSeries::new(
            vec![(*v, floor), (*v, level.max(floor)), (0.0, level.max(floor))],
            dash,
            gap,
            C_PURPLE.stroke_width(2),
        ))?;
        tips.dot(
            &chart,
            (*v, level.max(floor)),
            9,
            format!(
                "VaR{:.0}: {} — the loss exceeded in {} of replicas",
                q * 100.0,
                Unit::Usd.format(*v),
                percent(level)
            ),
        );
    }
    Ok(())
}

/// Whether the potential future exposures equal the expected one in every
/// month (to rounding): the replicas' exposures do not vary.
fn pfe_is_ee(rows: &[ExposureRow]) -> bool {
    rows.iter().all(|r| {
        [r.pfe95, r.pfe99]
            .into_iter()
            .flatten()
            .all(|p| (p - r.ee).abs() <= 1e-6 * r.ee.abs().max(1.0))
    })
}

/// The exposure profile: EE, PFE95 and PFE99 (bands between them), EPE,
/// and the cumulative probability of default on a second axis.
fn exposure(area: &Area, tips: &Tips, rows: &[ExposureRow], term: f64) -> DrawResult {
    let pfe = |r: &ExposureRow, f: fn(&ExposureRow) -> Option<f64>| f(r).unwrap_or(r.ee);
    let top = rows
        .iter()
        .map(|r| r.ee.max(pfe(r, |r| r.pfe99)).max(pfe(r, |r| r.pfe95)))
        .fold(0.0_f64, f64::max);
    let top = if top > 0.0 { top * 1.05 } else { 1.0 };
    let pd: Vec<(f64, f64)> = rows.iter().filter_map(|r| Some((r.month, r.cumulative_pd?))).collect();
    let pd_top = pd.iter().map(|p| p.1).fold(0.05_f64, f64::max).min(1.0) * 1.05;
    let has = |f: fn(&ExposureRow) -> Option<f64>| rows.iter().any(|r| f(r).is_some());
    let mut legend = vec![Entry::line("EE (expected exposure)", C_MAIN, 3)];
    if pfe_is_ee(rows) {
        legend.push(Entry::new(
            "PFE95 = PFE99 = EE: every replica owes the same payments",
            Sample::None,
        ));
    } else {
        if has(|r| r.pfe95) {
            legend.push(Entry::new("EE to PFE95", Sample::Fill(C_MAIN.mix(0.3))));
            legend.push(Entry::dashed("PFE95", C_MAIN, 2, (8, 4)));
        }
        if has(|r| r.pfe99) {
            legend.push(Entry::new("PFE95 to PFE99", Sample::Fill(C_MAIN.mix(0.12))));
            legend.push(Entry::dashed("PFE99", C_MAIN, 1, (3, 3)));
        }
    }
    if has(|r| r.epe) {
        legend.push(Entry::line("EPE (mean EE to date)", C_GREEN, 2));
    }
    if !pd.is_empty() {
        legend.push(Entry::line("cumulative P(default), right axis", C_RED, 2));
    }
    let plot = DETAIL.frame(area, "Exposure profile over the term", &legend)?;
    let mut chart = DETAIL
        .chart(&plot, (DETAIL.x_label_area(1), TERM_LABEL_AREAS.0))
        .right_y_label_area_size(TERM_LABEL_AREAS.1)
        .build_cartesian_2d(0f64..term.max(1.0), 0f64..top)?
        .set_secondary_coord(0f64..term.max(1.0), 0f64..pd_top);
    draw_term_axes(&mut chart, "exposure (USD)", &|v| Unit::Usd.tick(*v))?;
    if !pd.is_empty() {
        chart
            .configure_secondary_axes()
            .axis_desc_style(("sans-serif", 20))
            .label_style(("sans-serif", 18))
            .y_desc("cumulative P(default) (%)")
            .y_label_formatter(&|v| Unit::Percent.tick(*v))
            .draw()?;
    }
    let band = |lo: fn(&ExposureRow) -> f64, hi: fn(&ExposureRow) -> f64, opacity: f64| {
        let mut pts: Vec<(f64, f64)> = rows.iter().map(|r| (r.month, hi(r))).collect();
        pts.extend(rows.iter().rev().map(|r| (r.month, lo(r))));
        Polygon::new(pts, C_MAIN.mix(opacity))
    };
    if has(|r| r.pfe95) {
        chart.draw_series(std::iter::once(band(|r| r.ee, |r| r.pfe95.unwrap_or(r.ee), 0.3)))?;
        chart.draw_series(DashedLineSeries::new(
            rows.iter().filter_map(|r| Some((r.month, r.pfe95?))),
            8,
            4,
            C_MAIN.stroke_width(2),
        ))?;
    }
    if has(|r| r.pfe99) {
        chart.draw_series(std::iter::once(band(
            |r| r.pfe95.unwrap_or(r.ee),
            |r| r.pfe99.unwrap_or(r.pfe95.unwrap_or(r.ee)),
            0.12,
        )))?;
        chart.draw_series(DashedLineSeries::new(
            rows.iter().filter_map(|r| Some((r.month, r.pfe99?))),
            3,
            3,
            C_MAIN.stroke_width(1),
        ))?;
    }
    chart.draw_series(LineSeries::new(
        rows.iter().map(|r| (r.month, r.ee)),
        C_MAIN.stroke_width(3),
    ))?;
    if has(|r| r.epe) {
        chart.draw_series(LineSeries::new(
            rows.iter().filter_map(|r| Some((r.month, r.epe?))),
            C_GREEN.stroke_width(2),
        ))?;
    }
    if !pd.is_empty() {
        // As the default curve: the share defaulted by month m holds from m
        // until the next month.
        let mut stair = vec![(0.0, 0.0)];
        for (i, &(m, p)) in pd.iter().enumerate() {
            let prev = if i > 0 { pd[i - 1].1 } else { 0.0 };
            stair.extend([(m, prev), (m, p)]);
        }
        if let Some(&(m, p)) = pd.last() {
            stair.push((m.max(term), p));
        }
        chart.draw_secondary_series(LineSeries::new(stair, C_RED.stroke_width(2)))?;
    }
    let usd = |v: Option<f64>| v.map_or("n/a".into(), |v| Unit::Usd.format(v));
    let pct = |v: Option<f64>| v.map_or("n/a".into(), percent);
    let texts: Vec<(f64, String)> = rows
        .iter()
        .map(|r| {
            (
                r.month,
                format!(
                    "month {}: EE {}, PFE95 {}, PFE99 {}, EPE {}; P(default in the month) {}, by its end {}",
                    human(r.month),
                    Unit::Usd.format(r.ee),
                    usd(r.pfe95),
                    usd(r.pfe99),
                    usd(r.epe),
                    pct(r.marginal_pd),
                    pct(r.cumulative_pd)
                ),
            )
        })
        .collect();
    month_tips(&chart, tips, &texts);
    Ok(())
}
