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

mod books;
mod events;
pub mod exposure;
mod loss;
mod outcome;
mod provider;
pub mod risk;
mod row;
mod waits;

pub use books::{ChipSeconds, Class, STEP_METRICS, Snapshot, Step, StepMetric};
pub(crate) use books::{Integrator, Levels, chip_seconds, hours, ratio};
pub use events::{EventKind, ReplicaEvent, story};
pub use loss::CreditLoss;
pub use outcome::{
    Counts, MonthFlows, ProviderCosts, ReplicaOutcome, ReplicaTally, RunOutcome, RunTally, TrainingRunRecord, Valuation,
};
pub use row::{COLUMNS, Cell, Column, ReplicaRow, Unit, column};
pub use waits::{Waits, record_wait, wait_histogram};
