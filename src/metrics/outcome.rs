//! What one replica reports. The model fills a [`ReplicaTally`] in its own
//! terms (integers, instants, spans); [`ReplicaOutcome::from_tally`] turns
//! it into the result row, one record per training run, and the books kept
//! for checks.

use super::{ChipSeconds, ReplicaEvent, ReplicaRow, Snapshot, Step, Waits};
use crate::engine::{SimTime, Span};
use crate::finance::{BuyerRecord, Ledger};
use serde::{Deserialize, Serialize};

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
    pub ledger: Ledger,
    /// Events handled, by kind (indexed like `model::Event::KINDS`), for `--stats`.
    pub events_by_kind: Vec<u64>,
    /// One record per training run on the roadmap, in run order, for
    /// `training_runs.csv`. Empty in shards written before it existed.
    #[serde(default)]
    pub training_runs: Vec<TrainingRunRecord>,
    /// What happened, in time order, for `events.csv`.
    #[serde(default)]
    pub events: Vec<ReplicaEvent>,
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
    /// Interruptions by failures and maintenance windows.
    pub interruptions: u32,
    /// How it ended.
    pub outcome: RunOutcome,
    /// Its effective training time ratio: wall time whose compute it kept
    /// over wall time since its first start; `None` if it never started.
    #[serde(default)]
    pub ettr: Option<f64>,
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

/// What the model counts in one replica, in its own terms: exact integers,
/// instants and spans. [`ReplicaOutcome::from_tally`] turns it into the
/// result row and records, converting units once, here.
#[derive(Debug, Clone)]
pub struct ReplicaTally {
    /// Replica index within the grid point.
    pub replica: u32,
    /// The replica's seed.
    pub seed: u64,
    /// Events handled, in all and by kind (indexed like `model::Event::KINDS`).
    pub events: u64,
    /// Events by kind.
    pub events_by_kind: Vec<u64>,
    /// The exact chip-second books.
    pub chip_seconds: ChipSeconds,
    /// The books over the buyer's time: to its default, or the whole term.
    pub buyer: Snapshot,
    /// Inference demand and served, baseline-chip-seconds.
    pub demand_chip_seconds: f64,
    /// Inference served, baseline-chip-seconds.
    pub served_chip_seconds: f64,
    /// Capacity held by inference, baseline-chip-seconds.
    pub inference_capacity_chip_seconds: f64,
    /// Counts of what happened.
    pub counts: Counts,
    /// Unit failures by kind, in `[[cluster.failure_kinds]]` order (empty
    /// without kinds).
    pub failures_by_kind: Vec<u64>,
    /// Failures of the hazards over age by month of the term (empty
    /// without `[[cluster.hazards]]`).
    pub hazard_failures_by_month: Vec<u64>,
    /// One entry per training run on the roadmap, in ready order.
    pub runs: Vec<RunTally>,
    /// Lowest utilization over the whole contract years (none for a term
    /// under a year).
    pub min_year_utilization: Option<f64>,
    /// When the product failed commercially, if it did.
    pub commercial_failure: Option<SimTime>,
    /// The replica's wait histograms.
    pub waits: Waits,
    /// The buyer's ledger at the end.
    pub ledger: Ledger,
    /// The buyer's rounds, cuts, restructuring and default.
    pub buyer_record: BuyerRecord,
    /// What happened, in time order.
    pub story: Vec<ReplicaEvent>,
    /// The time-series steps.
    pub series: Vec<Step>,
    /// Each contract month's flows (index 0 = month 1).
    pub months: Vec<MonthFlows>,
    /// Book value at the term's end of the chips then in service (0
    /// without the provider's economics), USD.
    pub residual_usd: f64,
}

/// Event counts of one replica.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Failure-unit failures.
    pub unit_failures: u64,
    /// Unit failures of a kind that left the unit up (work interrupted only).
    pub unit_failures_in_place: u64,
    /// Failures of whole domains.
    pub domain_failures: u64,
    /// Units that domain failures took down (those already down not counted).
    pub domain_units_failed: u64,
    /// Planned maintenance windows started.
    pub maintenance_windows: u64,
    /// Units maintenance windows took down (those already down not counted).
    pub maintenance_units: u64,
    /// Chip-seconds maintenance windows took down (to the term's end).
    pub maintenance_chip_seconds: u64,
    /// Training runs stopped by maintenance windows (one per run per window).
    pub maintenance_interruptions: u64,
    /// Unit failures of the hazards over age (also in `unit_failures`).
    pub hazard_failures: u64,
    /// Failures of lemon units' own process (also in `unit_failures`).
    pub lemon_failures: u64,
    /// Lemons found out and replaced.
    pub lemons_removed: u64,
    /// Failures that hit a running training run.
    pub training_interruptions: u64,
    /// Runs cancelled before starting.
    pub training_cancelled: u32,
    /// Runs no generation could ever hold.
    pub training_infeasible: u32,
    /// Research jobs arrived.
    pub research_arrived: u64,
    /// Research jobs completed.
    pub research_completed: u64,
    /// Research preemptions.
    pub research_preemptions: u64,
    /// Research jobs that gave up waiting.
    pub research_reneged: u64,
}

/// One training run at the end of the term, as the model saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunTally {
    /// Chips the gang needs.
    pub chips: u64,
    /// Name of the generation it last ran on; empty if it never started.
    pub generation: String,
    /// When it became ready.
    pub ready: SimTime,
    /// First start.
    pub started: Option<SimTime>,
    /// Completion.
    pub finished: Option<SimTime>,
    /// Failure-free compute done (for a finished run: all of it).
    pub compute_done: Span,
    /// Failure-free compute time of the whole run: done plus what is left.
    pub failure_free: Span,
    /// Interruptions by failures and maintenance windows.
    pub interruptions: u32,
    /// How it ended.
    pub outcome: RunOutcome,
    /// Wall time whose compute it kept (secured by checkpoints or
    /// completion, or computed by the end of the term).
    pub useful: Span,
    /// Wall time from its first start to its end (completion, the buyer's
    /// default or the end of the term); `None` if it never started.
    pub wall: Option<Span>,
}

impl RunTally {
    /// Its effective training time ratio, useful / wall, if it started
    /// (1 for a run that started at the very end of the term).
    pub fn ettr(&self) -> Option<f64> {
        self.wall.map(|w| {
            if w.secs() == 0 {
                1.0
            } else {
                self.useful.secs() as f64 / w.secs() as f64
            }
        })
    }
}

/// What a row needs to know of the scenario besides the tally to value it
/// (the contract's and the market's prices are already in the tally's
/// books): the discount rate and the bankruptcy claim's terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Valuation {
    /// Annual effective discount rate.
    pub discount_rate_per_year: f64,
    /// Fraction of the unsecured claim recovered in bankruptcy.
    pub claim_recovery_fraction: f64,
    /// Months from the default to the claim's recovery.
    pub claim_delay_months: f64,
    /// The provider's running costs and cost of capital, when its
    /// economics are modelled.
    pub provider: Option<ProviderCosts>,
}

/// What the provider's NPV needs besides the tally's capex and residual.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProviderCosts {
    /// Operating cost per delivered chip-hour, USD.
    pub opex_per_chip_hour_usd: f64,
    /// The provider's annual discount rate: the contract's plus its
    /// financing spread.
    pub discount_rate_per_year: f64,
}

/// What happened in one contract month, for present values and profiles.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MonthFlows {
    /// Idle capacity of the buyer's time at the contract's prices, USD (0
    /// from the month after its default).
    pub idle_usd: f64,
    /// Chip-hours re-marketed by the provider.
    pub remarketed_chip_hours: f64,
    /// What the re-marketed capacity earned, USD.
    pub remarketing_usd: f64,
    /// Chip-hours delivered (all classes, the buyer's or not).
    pub delivered_chip_hours: f64,
    /// The provider's capex on the month's deliveries (0 without its
    /// economics), USD.
    pub capex_usd: f64,
}

impl ReplicaOutcome {
    /// The outcome of a replica from the model's tally: the result row in
    /// output units, one record per training run, and the books kept for
    /// checks.
    pub fn from_tally(tally: ReplicaTally, valuation: Valuation) -> ReplicaOutcome {
        let row = ReplicaRow::from_tally(&tally, valuation);
        let month = |t: SimTime| t.in_units(Span::MONTH);
        let training_runs = (0u32..)
            .zip(&tally.runs)
            .map(|(i, r)| TrainingRunRecord {
                run: i,
                chips: r.chips,
                generation: r.generation.clone(),
                ready_month: month(r.ready),
                start_month: r.started.map(month),
                planned_finish_month: month(r.ready + r.failure_free),
                finish_month: r.finished.map(month),
                interruptions: r.interruptions,
                outcome: r.outcome,
                ettr: r.ettr(),
            })
            .collect();
        ReplicaOutcome {
            row,
            series: tally.series,
            waits: Some(tally.waits),
            chip_seconds: tally.chip_seconds,
            ledger: tally.ledger,
            events_by_kind: tally.events_by_kind,
            training_runs,
            events: tally.story,
        }
    }
}
