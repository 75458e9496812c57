//! What one replica reports: its result row, time series, waits and books
//! ([`ReplicaOutcome`]), and one record per training run.

use super::{ChipSeconds, ReplicaRow, Step, Waits};
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
