//! Frontier training, checked: checkpointing and restarts (with costs that
//! may grow with a run's size), hot spares, and the roadmap of runs
//! (explicit runs and the generator).

use super::cluster::ClusterSpec;
use super::raw::{RawSizeScaling, RawTraining};
use super::rules;
use super::scenario::{KeyError, hours, limits, months, non_negative, positive, probability, require};
use crate::engine::{SimTime, Span, seconds_from_f64};

/// Frontier training roadmap.
#[derive(Debug, Clone)]
pub struct TrainingSpec {
    /// Compute between checkpoints τ (≥ 1 s).
    pub checkpoint_interval: Span,
    /// Checkpoint cost δ.
    pub checkpoint_cost: Span,
    /// Restart overhead R (of a run of `size_scaling`'s reference size,
    /// if costs scale).
    pub restart_overhead: Span,
    /// Spare units per unit of a run's gang (0: none).
    pub hot_spare_fraction: f64,
    /// Time to bring a replacement unit from the pool into a run, on top of
    /// the restart.
    pub replacement: Span,
    /// Every run, explicit and generated, in start order, with its own
    /// checkpoint and restart costs.
    pub runs: Vec<RunSpec>,
}

impl TrainingSpec {
    /// The hot spares a run of `units` holds: ⌈fraction × units⌉.
    pub fn spares_for(&self, units: u64) -> u64 {
        (self.hot_spare_fraction * units as f64).ceil() as u64
    }
}

/// One frontier training run.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// When the run is ready to start.
    pub ready: SimTime,
    /// Units needed (gang).
    pub units: u64,
    /// Failure-free compute on baseline chips.
    pub baseline_work: Span,
    /// Chance of cancellation before start.
    pub cancel_probability: f64,
    /// Its checkpoint cost δ (scaled to its size).
    pub checkpoint_cost: Span,
    /// Its restart overhead R (scaled to its size).
    pub restart_overhead: Span,
}

pub(super) fn training(raw: &RawTraining, cluster: &ClusterSpec, term: Span) -> Result<TrainingSpec, KeyError> {
    let tau = hours(positive(
        raw.checkpoint_interval_hours,
        "training.checkpoint_interval_hours",
    )?)
    .max(Span(1));
    let delta = hours(non_negative(
        raw.checkpoint_cost_hours,
        "training.checkpoint_cost_hours",
    )?);
    let restart = hours(non_negative(
        raw.restart_overhead_hours,
        "training.restart_overhead_hours",
    )?);
    let units_of = |chips: u64, key: String| -> Result<u64, KeyError> {
        require(chips > 0, &key, "is 0; allowed: at least one failure unit of chips")?;
        Ok(chips.div_ceil(cluster.unit_chips))
    };
    let mut runs = Vec::new();
    for (i, r) in raw.runs.iter().enumerate() {
        let key = format!("training.runs[{i}]");
        let start = non_negative(r.start_month, &format!("{key}.start_month"))?;
        runs.push(RunSpec {
            ready: SimTime::at(months(start)),
            units: units_of(r.chips, format!("{key}.chips"))?,
            baseline_work: Span::of(positive(r.duration_days, &format!("{key}.duration_days"))?, Span::DAY),
            cancel_probability: probability(r.cancel_probability, &format!("{key}.cancel_probability"))?,
            checkpoint_cost: delta,
            restart_overhead: restart,
        });
    }
    if let Some(g) = &raw.generator {
        let key = "training.generator";
        let first = non_negative(g.first_start_month, &format!("{key}.first_start_month"))?;
        let interval = positive(g.interval_months, &format!("{key}.interval_months"))?;
        let growth = positive(g.chip_growth_per_run, &format!("{key}.chip_growth_per_run"))?;
        let work = Span::of(positive(g.duration_days, &format!("{key}.duration_days"))?, Span::DAY);
        let cancel = probability(g.cancel_probability, &format!("{key}.cancel_probability"))?;
        units_of(g.initial_chips, format!("{key}.initial_chips"))?;
        require(
            g.max_chips >= g.initial_chips,
            format!("{key}.max_chips"),
            format!(
                "is {}; allowed: at least initial_chips ({})",
                g.max_chips, g.initial_chips
            ),
        )?;
        // Count the runs before making them: a tiny interval must be an
        // error, not a loop that never ends.
        let term_months = term.in_units(Span::MONTH);
        let count = ((term_months - first) / interval).ceil().max(0.0);
        require(
            count <= limits::MAX_TRAINING_RUNS as f64,
            format!("{key}.interval_months"),
            format!(
                "is {}: the generator would plan about {} runs in the term; allowed: an interval that plans at most {} runs",
                rules::show(interval),
                rules::approx(count),
                limits::MAX_TRAINING_RUNS
            ),
        )?;
        let mut k = 0u32;
        loop {
            let ready = months(first + interval * k as f64);
            if ready >= term {
                break;
            }
            let ready = SimTime::at(ready);
            let chips = (g.initial_chips as f64 * growth.powi(k as i32))
                .round()
                .min(g.max_chips as f64) as u64;
            runs.push(RunSpec {
                ready,
                units: chips.max(1).div_ceil(cluster.unit_chips),
                baseline_work: work,
                cancel_probability: cancel,
                checkpoint_cost: delta,
                restart_overhead: restart,
            });
            k += 1;
        }
    }
    runs.sort_by_key(|r| r.ready);
    if let Some(scaling) = &raw.size_scaling {
        scale_costs(scaling, &mut runs, cluster.unit_chips, term)?;
    }
    let hot_spare_fraction = raw
        .hot_spare_fraction
        .map(|f| probability(f, "training.hot_spare_fraction"))
        .transpose()?
        .unwrap_or(0.0);
    let replacement = raw
        .replacement_hours
        .map(|h| non_negative(h, "training.replacement_hours").map(hours))
        .transpose()?
        .unwrap_or(Span::ZERO);
    Ok(TrainingSpec {
        checkpoint_interval: tau,
        checkpoint_cost: delta,
        restart_overhead: restart,
        hot_spare_fraction,
        replacement,
        runs,
    })
}

/// Scales each run's checkpoint and restart costs to its size:
/// cost × (chips / reference_chips)^exponent.
fn scale_costs(s: &RawSizeScaling, runs: &mut [RunSpec], unit_chips: u64, term: Span) -> Result<(), KeyError> {
    let key = "training.size_scaling";
    require(
        s.reference_chips >= 1,
        format!("{key}.reference_chips"),
        "is 0; allowed: at least 1",
    )?;
    for (name, e) in [
        ("restart_exponent", s.restart_exponent),
        ("checkpoint_exponent", s.checkpoint_exponent),
    ] {
        require(
            e.is_finite() && (0.0..=3.0).contains(&e),
            format!("{key}.{name}"),
            format!("is {}; allowed: 0 ≤ exponent ≤ 3", rules::show(e)),
        )?;
    }
    for r in runs.iter_mut() {
        let ratio = (r.units * unit_chips) as f64 / s.reference_chips as f64;
        let scale = |span: Span, e: f64| Span(seconds_from_f64(span.secs() as f64 * ratio.powf(e)));
        r.restart_overhead = scale(r.restart_overhead, s.restart_exponent);
        r.checkpoint_cost = scale(r.checkpoint_cost, s.checkpoint_exponent);
        // A cost longer than the term is a mistake, not a scenario.
        for (name, cost) in [
            ("restart_exponent", r.restart_overhead),
            ("checkpoint_exponent", r.checkpoint_cost),
        ] {
            require(
                cost <= term,
                format!("{key}.{name}"),
                format!(
                    "makes a run of {} chips pay {} hours, longer than the term; allowed: an exponent that keeps \
                     every run's costs within the term",
                    r.units * unit_chips,
                    rules::approx(cost.hours())
                ),
            )?;
        }
    }
    Ok(())
}
