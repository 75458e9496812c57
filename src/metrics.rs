//! Measurements of one replica: exact chip-second integrals by state and
//! class, a time series on the configured step, wait-time histograms, and
//! the per-replica result row.
//!
//! Integrals are integers (chip-seconds in `u128`), converted to hours only
//! on output, so conservation — delivered = busy + down + idle — holds
//! exactly. Two independent books are kept: the *allocation* book integrates
//! the cluster's unit counts over time, and the *class* book adds up each
//! job's segments (useful work, rework, checkpoint/restart overhead, lost
//! research work) when they close. [`ChipSeconds::conservation_error`]
//! compares them.

pub mod risk;

use crate::engine::{SimTime, Span};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// What a delivered chip is doing at an instant. The model's pools count
/// units by class and the books integrate chips by class, so the list of
/// states is written once, here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// Failed, awaiting repair.
    Down,
    /// Held by a frontier training run.
    Training,
    /// Serving inference.
    Inference,
    /// Held by a research job.
    Research,
    /// Re-marketed by the provider after the buyer's default.
    Remarketed,
    /// Up and unallocated.
    Idle,
}

impl Class {
    /// Number of classes.
    pub const COUNT: usize = 6;
    /// Every class, in the order a pool lays its units out (see
    /// `model::cluster::Cluster::locate`).
    pub const ALL: [Class; Class::COUNT] = [
        Class::Down,
        Class::Training,
        Class::Inference,
        Class::Research,
        Class::Remarketed,
        Class::Idle,
    ];
    /// The classes that hold the buyer's workloads: "busy".
    pub const BUSY: [Class; 3] = [Class::Training, Class::Inference, Class::Research];
}

/// Chip-second integrals of one replica (or one time step).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChipSeconds {
    /// Delivered, not retired.
    pub delivered: u128,
    /// Planned but not yet delivered (late tranches).
    pub undelivered: u128,
    /// By [`Class`] (the allocation book), indexed by `Class as usize`.
    pub held: [u128; Class::COUNT],
    /// Training compute secured by checkpoints or completion (class book).
    pub training_useful: u128,
    /// Training compute lost to interruptions (class book).
    pub training_rework: u128,
    /// Checkpoint writing, restarts and waiting for replacement units (class book).
    pub training_overhead: u128,
    /// Research work of completed (or still running at term end) jobs (class book).
    pub research_useful: u128,
    /// Research work lost to preemption (class book).
    pub research_lost: u128,
}

impl std::ops::Index<Class> for ChipSeconds {
    type Output = u128;
    fn index(&self, class: Class) -> &u128 {
        &self.held[class as usize]
    }
}

impl ChipSeconds {
    /// Busy chip-seconds: everything allocated to a workload.
    pub fn busy(&self) -> u128 {
        Class::BUSY.iter().map(|&c| self[c]).sum()
    }

    /// Useful work: training useful + inference + research useful.
    pub fn useful(&self) -> u128 {
        self.training_useful + self[Class::Inference] + self.research_useful
    }

    /// Largest absolute mismatch between the books, in chip-seconds:
    /// delivered vs the sum over classes, and each class split vs what the
    /// class held. Zero when the bookkeeping is right.
    pub fn conservation_error(&self) -> u128 {
        let d = |a: u128, b: u128| a.abs_diff(b);
        d(self.delivered, self.held.iter().sum())
            .max(d(
                self[Class::Training],
                self.training_useful + self.training_rework + self.training_overhead,
            ))
            .max(d(self[Class::Research], self.research_useful + self.research_lost))
    }

    /// Field-wise difference `self - earlier` (for per-step figures).
    pub fn since(&self, earlier: &ChipSeconds) -> ChipSeconds {
        ChipSeconds {
            delivered: self.delivered - earlier.delivered,
            undelivered: self.undelivered - earlier.undelivered,
            held: std::array::from_fn(|c| self.held[c] - earlier.held[c]),
            training_useful: self.training_useful - earlier.training_useful,
            training_rework: self.training_rework - earlier.training_rework,
            training_overhead: self.training_overhead - earlier.training_overhead,
            research_useful: self.research_useful - earlier.research_useful,
            research_lost: self.research_lost - earlier.research_lost,
        }
    }
}

/// Chips in each allocation state at an instant (the integrands).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Levels {
    /// Delivered chips (counted apart from the classes, so that the books
    /// check one against the other).
    pub delivered: u64,
    /// Late (planned, undelivered) chips.
    pub undelivered: u64,
    /// Chips by [`Class`], indexed by `Class as usize`.
    pub held: [u64; Class::COUNT],
    /// Inference demand, baseline-chip equivalents.
    pub demand: f64,
    /// Inference served, baseline-chip equivalents.
    pub served: f64,
}

/// Integrates [`Levels`] over time, exactly for chips.
#[derive(Debug, Clone, Default)]
pub struct Integrator {
    /// Chip-second totals so far.
    pub totals: ChipSeconds,
    /// Inference demand, baseline-chip-seconds.
    pub demand: f64,
    /// Inference served, baseline-chip-seconds.
    pub served: f64,
    last: SimTime,
}

impl Integrator {
    /// Adds `levels × (now − last)` to the allocation book.
    pub fn advance(&mut self, now: SimTime, levels: &Levels) {
        let dt = (now - self.last).secs();
        if dt == 0 {
            return;
        }
        let dtu = dt as u128;
        let t = &mut self.totals;
        t.delivered += levels.delivered as u128 * dtu;
        t.undelivered += levels.undelivered as u128 * dtu;
        for (total, &chips) in t.held.iter_mut().zip(&levels.held) {
            *total += chips as u128 * dtu;
        }
        self.demand += levels.demand * dt as f64;
        self.served += levels.served * dt as f64;
        self.last = now;
    }
}

/// Cumulative totals at an instant (the start of the term, or the end of a
/// time-series step).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The instant.
    pub time: SimTime,
    /// Chip-second totals up to `time`.
    pub totals: ChipSeconds,
    /// Inference demand up to `time`, baseline-chip-seconds.
    pub demand: f64,
    /// Inference served up to `time`, baseline-chip-seconds.
    pub served: f64,
}

/// The time-series metrics of `timeseries.csv`, in column order, with how
/// each is computed from the snapshots at a step's start and end.
pub const STEP_METRICS: [(&str, StepMetric); 11] = [
    ("delivered_chips", |a, b| {
        avg(b.totals.delivered - a.totals.delivered, a, b)
    }),
    ("undelivered_chips", |a, b| {
        avg(b.totals.undelivered - a.totals.undelivered, a, b)
    }),
    ("busy_chips", |a, b| avg(b.totals.busy() - a.totals.busy(), a, b)),
    ("idle_chips", |a, b| class_avg(Class::Idle, a, b)),
    ("down_chips", |a, b| class_avg(Class::Down, a, b)),
    ("training_chips", |a, b| class_avg(Class::Training, a, b)),
    ("inference_chips", |a, b| class_avg(Class::Inference, a, b)),
    ("research_chips", |a, b| class_avg(Class::Research, a, b)),
    ("utilization", |a, b| {
        let d = b.totals.delivered - a.totals.delivered;
        if d == 0 {
            0.0
        } else {
            (b.totals.busy() - a.totals.busy()) as f64 / d as f64
        }
    }),
    ("inference_demand_chips", |a, b| (b.demand - a.demand) / dt(a, b)),
    ("inference_served_chips", |a, b| (b.served - a.served) / dt(a, b)),
];

/// A per-step metric computed from the snapshots at a step's start and end.
pub type StepMetric = fn(&Snapshot, &Snapshot) -> f64;

fn dt(a: &Snapshot, b: &Snapshot) -> f64 {
    (b.time - a.time).secs().max(1) as f64
}

fn avg(chip_seconds: u128, a: &Snapshot, b: &Snapshot) -> f64 {
    chip_seconds as f64 / dt(a, b)
}

fn class_avg(class: Class, a: &Snapshot, b: &Snapshot) -> f64 {
    avg(b.totals[class] - a.totals[class], a, b)
}

/// One time-series step of one replica: the [`STEP_METRICS`] over the step.
/// A replica keeps these (96 bytes a step) rather than its cumulative
/// snapshots (240 bytes), since thousands of replicas are held until the
/// files are written.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// End of the step.
    pub time: SimTime,
    /// Values of [`STEP_METRICS`], in order.
    pub values: [f64; STEP_METRICS.len()],
}

impl Step {
    /// The step from snapshot `a` to snapshot `b`.
    pub fn between(a: &Snapshot, b: &Snapshot) -> Step {
        Step {
            time: b.time,
            values: STEP_METRICS.map(|(_, f)| f(a, b)),
        }
    }
}

/// Chip-seconds of `chips` held for `span`, exactly.
pub fn chip_seconds(chips: u64, span: Span) -> u128 {
    chips as u128 * span.secs() as u128
}

/// Chip-seconds to chip-hours, for output.
pub fn hours(chip_seconds: u128) -> f64 {
    chip_seconds as f64 / 3600.0
}

/// A wait-time histogram in seconds (3 significant figures, up to ~100 years).
pub fn wait_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, (Span::YEAR * 100).secs(), 3).expect("static histogram bounds are valid")
}

/// Records a wait. A zero wait is recorded as 0 (the
/// histogram's first bucket holds it exactly), so means are not biased up by
/// jobs that never waited.
pub fn record_wait(h: &mut Histogram<u64>, wait: Span) {
    h.saturating_record(wait.secs());
}

/// Queue-wait histograms (seconds). They serialize (for shard files) as
/// their recorded (value, count) pairs, which rebuild them exactly, and add
/// exactly, so pooling them is independent of order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Waits {
    /// Research jobs: arrival to first start.
    #[serde(with = "histogram_pairs")]
    pub research: Histogram<u64>,
    /// Training runs: ready to first start.
    #[serde(with = "histogram_pairs")]
    pub training: Histogram<u64>,
}

impl Default for Waits {
    fn default() -> Self {
        Waits {
            research: wait_histogram(),
            training: wait_histogram(),
        }
    }
}

impl Waits {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Waits) {
        self.research
            .add(&other.research)
            .expect("wait histograms share bounds");
        self.training
            .add(&other.training)
            .expect("wait histograms share bounds");
    }
}

/// Everything one replica reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplicaOutcome {
    /// The row for `replicas.csv`.
    pub row: ReplicaRow,
    /// The time-series steps, for `timeseries.csv`.
    pub series: Vec<Step>,
    /// The replica's wait histograms, as the model returns them. A
    /// histogram takes ~180 kB, so the Monte Carlo runner moves them into
    /// one pooled set per grid point as replicas finish (leaving `None`);
    /// memory then does not grow with them over thousands of replicas.
    pub waits: Option<Waits>,
    /// The exact integrals (for conservation checks).
    pub chip_seconds: ChipSeconds,
    /// The buyer's ledger at the end (for money checks).
    pub ledger: crate::finance::Ledger,
    /// Events handled, by kind (indexed like `model::Event::KINDS`), for `--stats`.
    pub events_by_kind: Vec<u64>,
    /// One record per training run on the roadmap, in run order, for
    /// `training_runs.csv`. Empty in shards written before it existed.
    #[serde(default)]
    pub training_runs: Vec<TrainingRunRecord>,
}

/// One training run of one replica, a row of `training_runs.csv`. Months
/// are of the term (seconds / 30.4375 days); README.md documents each field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingRunRecord {
    /// Index of the run on the roadmap (0-based, in ready order).
    pub run: u32,
    /// Chips the gang needs.
    pub chips: u64,
    /// Name of the generation it last ran on; empty if it never started.
    pub generation: String,
    /// When it became ready.
    pub ready_month: f64,
    /// First start; `None` if it never started.
    pub start_month: Option<f64>,
    /// ready + failure-free compute time (on the generations it ran on, or
    /// at baseline speed if it never started), as `training_mean_delay_days`
    /// counts it.
    pub planned_finish_month: f64,
    /// Completion; `None` if unfinished.
    pub finish_month: Option<f64>,
    /// Interruptions by unit failures.
    pub interruptions: u32,
    /// How it ended.
    pub outcome: RunOutcome,
}

/// How a training run ended, as written in `training_runs.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Finished all its work within the term.
    Completed,
    /// Holding chips (computing, restarting or waiting for units) at the end.
    RunningAtTermEnd,
    /// Ready but never started, or back in the queue, at the end.
    QueuedAtTermEnd,
    /// Cancelled before it started.
    Cancelled,
    /// Larger than any generation could ever hold.
    Infeasible,
    /// Stopped by the buyer's default.
    AbandonedAtDefault,
}

impl RunOutcome {
    /// The CSV spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Completed => "completed",
            RunOutcome::RunningAtTermEnd => "running_at_term_end",
            RunOutcome::QueuedAtTermEnd => "queued_at_term_end",
            RunOutcome::Cancelled => "cancelled",
            RunOutcome::Infeasible => "infeasible",
            RunOutcome::AbandonedAtDefault => "abandoned_at_default",
        }
    }
}

/// One row of `replicas.csv`. Field names are the column names; README.md
/// documents each. Chip-hours are of physical chips unless said otherwise.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ReplicaRow {
    /// Replica index within the grid point.
    pub replica: u32,
    /// The replica's seed (derived from master seed, point, replica).
    pub seed: u64,
    /// Events handled.
    pub events: u64,
    /// Delivered chip-hours.
    pub delivered_chip_hours: f64,
    /// Planned but not yet delivered chip-hours.
    pub undelivered_chip_hours: f64,
    /// Busy chip-hours (training + inference + research held).
    pub busy_chip_hours: f64,
    /// Down chip-hours.
    pub down_chip_hours: f64,
    /// Idle chip-hours.
    pub idle_chip_hours: f64,
    /// Training useful chip-hours.
    pub training_useful_chip_hours: f64,
    /// Training rework chip-hours.
    pub training_rework_chip_hours: f64,
    /// Training overhead chip-hours.
    pub training_overhead_chip_hours: f64,
    /// Inference chip-hours.
    pub inference_chip_hours: f64,
    /// Research useful chip-hours.
    pub research_useful_chip_hours: f64,
    /// Research lost chip-hours.
    pub research_lost_chip_hours: f64,
    /// busy / delivered.
    pub utilization: f64,
    /// useful / delivered.
    pub useful_utilization: f64,
    /// idle / delivered.
    pub idle_fraction: f64,
    /// Idle chip-hours × contract price.
    pub idle_cost_usd: f64,
    /// Chip-hours re-marketed by the provider after a default.
    pub remarketed_chip_hours: f64,
    /// Lowest utilization over the whole contract years of the term (empty
    /// for a term shorter than a year).
    pub min_year_utilization: Option<f64>,
    /// Unit failures.
    pub unit_failures: u64,
    /// Training runs on the roadmap within the term.
    pub training_runs_planned: u32,
    /// Cancelled runs.
    pub training_runs_cancelled: u32,
    /// Runs larger than any generation could ever hold (never started).
    pub training_runs_infeasible: u32,
    /// Started runs.
    pub training_runs_started: u32,
    /// Completed runs.
    pub training_runs_completed: u32,
    /// Interruptions of training runs.
    pub training_interruptions: u64,
    /// Mean over completed runs of (finish − ready − failure-free duration),
    /// days; empty when no run completed.
    pub training_mean_delay_days: Option<f64>,
    /// Training useful / training held.
    pub training_goodput: f64,
    /// Inference demand, baseline-chip-hours.
    pub inference_demand_chip_hours: f64,
    /// Inference served, baseline-chip-hours.
    pub inference_served_chip_hours: f64,
    /// Inference unserved, baseline-chip-hours.
    pub inference_unserved_chip_hours: f64,
    /// served / demand.
    pub inference_served_fraction: f64,
    /// Month of the commercial failure, if any (empty otherwise).
    pub commercial_failure_month: Option<f64>,
    /// Research jobs arrived.
    pub research_jobs_arrived: u64,
    /// Research jobs completed.
    pub research_jobs_completed: u64,
    /// Research preemptions.
    pub research_preemptions: u64,
    /// Mean research wait, hours.
    pub research_wait_mean_hours: f64,
    /// Median research wait, hours.
    pub research_wait_p50_hours: f64,
    /// 99th percentile research wait, hours.
    pub research_wait_p99_hours: f64,
    /// Payments the buyer made.
    pub payments_usd: f64,
    /// Payments waived for late capacity.
    pub payments_waived_usd: f64,
    /// The buyer's revenue from served inference.
    pub revenue_usd: f64,
    /// The buyer's other costs.
    pub other_costs_usd: f64,
    /// Credit drawn.
    pub credit_drawn_usd: f64,
    /// The buyer's cash at the end (or at default).
    pub ending_cash_usd: f64,
    /// Contract month (1-based) in which the buyer defaulted; empty if never.
    pub default_month: Option<u32>,
    /// Committed payments outstanding at default, the missed one included (0 without default).
    pub exposure_at_default_usd: f64,
    /// Re-marketed chip-hours × spot price.
    pub recovery_usd: f64,
    /// exposure − recovery.
    pub loss_usd: f64,
}

impl ReplicaRow {
    /// The row as (column, cell text) pairs in column order; an absent value
    /// is an empty cell. Integers keep their exact decimal form.
    pub fn cells(&self) -> Vec<(String, String)> {
        let serde_json::Value::Object(map) = serde_json::to_value(self).expect("a row serializes") else {
            unreachable!("a struct serializes to an object")
        };
        map.into_iter()
            .map(|(k, v)| {
                let cell = match v {
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k, cell)
            })
            .collect()
    }

    /// The value of metric column `name`, if it is one and has a value.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.cells()
            .into_iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse().ok())
    }

    /// Names of the metric columns (all but the identifiers).
    pub fn metric_names() -> Vec<String> {
        let probe = ReplicaRow::default();
        probe
            .cells()
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| !ID_COLUMNS.contains(&k.as_str()))
            .collect()
    }
}

/// Columns of `replicas.csv` that identify a row rather than measure it.
pub const ID_COLUMNS: [&str; 2] = ["replica", "seed"];

/// Serde for a wait histogram as a list of (value, count) pairs.
mod histogram_pairs {
    use hdrhistogram::Histogram;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(h: &Histogram<u64>, s: S) -> Result<S::Ok, S::Error> {
        let pairs: Vec<(u64, u64)> = h
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect();
        pairs.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Histogram<u64>, D::Error> {
        let pairs = Vec::<(u64, u64)>::deserialize(d)?;
        let mut h = super::wait_histogram();
        for (value, count) in pairs {
            h.record_n(value, count).map_err(serde::de::Error::custom)?;
        }
        Ok(h)
    }
}

/// Safe ratio: 0 when the denominator is 0.
pub fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_waits_count_as_zero() {
        let mut h = wait_histogram();
        record_wait(&mut h, Span::ZERO);
        record_wait(&mut h, Span::ZERO);
        record_wait(&mut h, Span(7200));
        assert_eq!(h.len(), 3);
        assert_eq!(h.min(), 0);
        assert!((h.mean() - 2400.0).abs() < 2400.0 * 1e-3, "{}", h.mean());
    }

    #[test]
    fn integrator_is_exact_and_books_balance() {
        let mut i = Integrator::default();
        let l = Levels {
            delivered: 10,
            held: [1, 3, 1, 1, 0, 4],
            ..Levels::default()
        };
        i.advance(SimTime(7), &l);
        i.advance(SimTime(7), &l);
        i.advance(SimTime(10), &l);
        let mut t = i.totals;
        assert_eq!(t.delivered, 100);
        t.training_useful = 20;
        t.training_rework = 5;
        t.training_overhead = 5;
        t.research_useful = 10;
        assert_eq!(t.conservation_error(), 0);
        t.research_lost = 1;
        assert_eq!(t.conservation_error(), 1);
    }
}
