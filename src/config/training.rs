//! Frontier training, checked: checkpointing and restarts, and the
//! roadmap of runs (explicit runs and the generator).

use super::cluster::ClusterSpec;
use super::raw::RawTraining;
use super::rules;
use super::scenario::{KeyError, hours, limits, months, non_negative, positive, probability, require};
use crate::engine::{SimTime, Span};

/// Frontier training roadmap.
#[derive(Debug, Clone)]
pub struct TrainingSpec {
    /// Compute between checkpoints τ (≥ 1 s).
    pub checkpoint_interval: Span,
    /// Checkpoint cost δ.
    pub checkpoint_cost: Span,
    /// Restart overhead R.
    pub restart_overhead: Span,
    /// Every run, explicit and generated, in start order.
    pub runs: Vec<RunSpec>,
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
            });
            k += 1;
        }
    }
    runs.sort_by_key(|r| r.ready);
    Ok(TrainingSpec {
        checkpoint_interval: tau,
        checkpoint_cost: delta,
        restart_overhead: restart,
        runs,
    })
}
