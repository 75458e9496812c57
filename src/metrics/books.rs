//! The books of one replica: what chips are doing ([`Class`]), their exact
//! chip-second integrals ([`ChipSeconds`], kept by an [`Integrator`]), and
//! the time series on the configured step ([`Step`], [`STEP_METRICS`]).

use crate::engine::{SimTime, Span};
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
    /// Capacity held by inference, baseline-chip equivalents.
    pub inference_capacity: f64,
    /// Idle capacity at the contract's prices, USD per second.
    pub idle_value: f64,
    /// Late capacity at the contract's prices, USD per second.
    pub undelivered_value: f64,
    /// Re-marketed capacity at the market's (or spot) price, USD per second.
    pub remarketed_value: f64,
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
    /// Capacity held by inference, baseline-chip-seconds.
    pub inference_capacity: f64,
    /// Idle capacity at the contract's prices, USD.
    pub idle_usd: f64,
    /// Late capacity at the contract's prices, USD.
    pub undelivered_usd: f64,
    /// Re-marketed capacity's earnings, USD.
    pub remarketed_usd: f64,
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
        self.inference_capacity += levels.inference_capacity * dt as f64;
        self.idle_usd += levels.idle_value * dt as f64;
        self.undelivered_usd += levels.undelivered_value * dt as f64;
        self.remarketed_usd += levels.remarketed_value * dt as f64;
        self.last = now;
    }

    /// Everything integrated so far, as of `now` (the last advance).
    pub fn snapshot(&self, now: SimTime) -> Snapshot {
        Snapshot {
            time: now,
            totals: self.totals,
            demand: self.demand,
            served: self.served,
            idle_usd: self.idle_usd,
            undelivered_usd: self.undelivered_usd,
            remarketed_usd: self.remarketed_usd,
        }
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
    /// Idle capacity up to `time` at the contract's prices, USD.
    pub idle_usd: f64,
    /// Late capacity up to `time` at the contract's prices, USD.
    pub undelivered_usd: f64,
    /// Re-marketed capacity's earnings up to `time`, USD.
    pub remarketed_usd: f64,
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
    chip_seconds as f64 / Span::HOUR.secs() as f64
}

/// Safe ratio: 0 when the denominator is 0.
pub fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

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
