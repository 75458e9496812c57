//! A replica's story for `events.csv`: what happened to the buyer (rounds,
//! cost cuts, restructurings, default) and to its business (training runs
//! completed, the commercial failure), in time order. Tens of rows a
//! replica, so a notebook or the report can tell why a replica defaulted.

use crate::engine::{SimTime, Span};
use crate::finance::{BuyerEvent, BuyerEventKind};
use serde::{Deserialize, Serialize};

/// What kind of thing happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Equity came in.
    FundingRound,
    /// A round was tried and failed.
    FailedRound,
    /// A cost cut was decided.
    CostCut,
    /// A restructuring was agreed.
    Restructuring,
    /// A restructuring was sought and refused.
    FailedRestructuring,
    /// The buyer stopped paying.
    Default,
    /// A training run finished its work.
    TrainingRunCompleted,
    /// The product failed commercially: demand decays from here.
    CommercialFailure,
}

impl EventKind {
    /// The name written in `events.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::FundingRound => "funding_round",
            EventKind::FailedRound => "failed_round",
            EventKind::CostCut => "cost_cut",
            EventKind::Restructuring => "restructuring",
            EventKind::FailedRestructuring => "failed_restructuring",
            EventKind::Default => "default",
            EventKind::TrainingRunCompleted => "training_run_completed",
            EventKind::CommercialFailure => "commercial_failure",
        }
    }
}

impl From<BuyerEventKind> for EventKind {
    fn from(k: BuyerEventKind) -> EventKind {
        match k {
            BuyerEventKind::FundingRound => EventKind::FundingRound,
            BuyerEventKind::FailedRound => EventKind::FailedRound,
            BuyerEventKind::CostCut => EventKind::CostCut,
            BuyerEventKind::Restructuring => EventKind::Restructuring,
            BuyerEventKind::FailedRestructuring => EventKind::FailedRestructuring,
            BuyerEventKind::Default => EventKind::Default,
        }
    }
}

/// One row of `events.csv` (without its point and replica).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplicaEvent {
    /// Months since the start of the term (a contract month's end for the
    /// buyer's events: month k is `k`).
    pub month: f64,
    /// What happened.
    pub kind: EventKind,
    /// The money involved, if any.
    pub amount_usd: Option<f64>,
    /// A sentence for people.
    pub detail: String,
}

impl ReplicaEvent {
    /// An event at instant `at`.
    pub fn at(at: SimTime, kind: EventKind, amount_usd: Option<f64>, detail: String) -> ReplicaEvent {
        ReplicaEvent {
            month: at.in_units(Span::MONTH),
            kind,
            amount_usd,
            detail,
        }
    }
}

impl From<BuyerEvent> for ReplicaEvent {
    fn from(e: BuyerEvent) -> ReplicaEvent {
        ReplicaEvent {
            month: e.month as f64,
            kind: e.kind.into(),
            amount_usd: Some(e.amount_usd),
            detail: e.detail,
        }
    }
}

/// The story of a replica in time order: the model's events and the
/// buyer's, merged (at equal months, the model's first: a run completes
/// before the month it completed in is closed).
pub fn story(model: Vec<ReplicaEvent>, buyer: Vec<BuyerEvent>) -> Vec<ReplicaEvent> {
    let mut all = model;
    all.extend(buyer.into_iter().map(ReplicaEvent::from));
    all.sort_by(|a, b| a.month.total_cmp(&b.month));
    all
}
