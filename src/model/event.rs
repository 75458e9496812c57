//! The typed events of one replica. Never strings: a new kind of event is a
//! new variant, and the compiler finds every handler that must learn it.

use crate::config::scenario::{Gen, RunId};

/// Something that happens at an instant of simulated time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A tranche's planned delivery month passes (it is now late if not here).
    TranchePlanned {
        /// Index into the scenario's tranches.
        tranche: u32,
    },
    /// A tranche is delivered and its units come up idle.
    TrancheArrives {
        /// Index into the scenario's tranches.
        tranche: u32,
    },
    /// A tranche reaches the end of its service life.
    TrancheRetires {
        /// Index into the scenario's tranches.
        tranche: u32,
    },
    /// A candidate of the superposed failure process (thinned: it may land
    /// on a unit that is already down and then does nothing). Stale when its
    /// epoch is not the current one (the delivered capacity changed since).
    FailureCandidate {
        /// Failure-clock epoch when it was drawn.
        epoch: u32,
    },
    /// A failure at a fixed time on a uniformly chosen up unit (injected by
    /// tests and what-if studies; the natural process uses `FailureCandidate`).
    ForcedFailure,
    /// A failed unit of a generation is back.
    UnitRepaired {
        /// Its generation.
        generation: Gen,
    },
    /// A candidate failure of one of the cluster's domains of a kind
    /// (`[[cluster.failure_domains]]`): the domains of the kind fail as one
    /// Poisson process of rate (domains × rate of one). Stale when its epoch
    /// is not the current one (the delivered capacity changed since).
    DomainFails {
        /// Index of the kind of domain in the scenario.
        domain: u32,
        /// Failure-clock epoch when it was drawn.
        epoch: u32,
    },
    /// The units a domain failure took down are back, all at once.
    DomainRepaired {
        /// Their generation.
        generation: Gen,
        /// How many units.
        units: u32,
    },
    /// A failure of one hazard over age (`[[cluster.hazards]]`) in one
    /// delivery's cohort; stale if the delivery retired since.
    AgeFailure {
        /// Index into the scenario's tranches (deliveries).
        tranche: u32,
        /// Index of the hazard term.
        hazard: u32,
    },
    /// A failure of a lemon unit (`[cluster.lemons]`). Stale when its
    /// epoch is not the current one (the lemon count changed since).
    LemonFailure {
        /// Lemon-clock epoch when it was drawn.
        epoch: u32,
    },
    /// A planned maintenance window starts (`[[cluster.maintenance]]`).
    MaintenanceStarts {
        /// Index of the kind of window in the scenario.
        entry: u32,
    },
    /// The units a maintenance window took down are back, all at once.
    MaintenanceEnds {
        /// Their generation.
        generation: Gen,
        /// How many units.
        units: u32,
    },
    /// A frontier training run is ready to start.
    TrainingArrives {
        /// The run.
        run: RunId,
    },
    /// A training run's restart ends or its compute segment completes.
    /// Stale when the run's token moved on (it was interrupted meanwhile).
    TrainingPhaseEnds {
        /// The run.
        run: RunId,
        /// The run's token when scheduled.
        token: u32,
    },
    /// Inference demand is re-evaluated and capacity re-granted.
    InferenceStep,
    /// A research job arrives.
    ResearchArrives,
    /// A research job completes; stale if the job was preempted meanwhile.
    ResearchFinishes {
        /// Slot of the job.
        slot: u32,
        /// The job's token when scheduled.
        token: u32,
    },
    /// A research job at the head of the queue reaches the end of its
    /// patience; stale if it started (or left) meanwhile.
    ResearchPatience {
        /// Slot of the job.
        slot: u32,
        /// The job's token when scheduled.
        token: u32,
    },
    /// A contract month ends: the buyer's ledger closes it (revenue, costs,
    /// the month's payment) and may default.
    MonthEnd,
    /// Record one time-series step.
    Sample,
    /// The contract term ends; the replica stops.
    EndOfTerm,
}

impl Event {
    /// Names of the event kinds, indexed by [`Event::kind`] (for `--stats`).
    pub const KINDS: [&'static str; 21] = [
        "tranche_planned",
        "tranche_arrives",
        "tranche_retires",
        "failure_candidate",
        "forced_failure",
        "unit_repaired",
        "training_arrives",
        "training_phase_ends",
        "inference_step",
        "research_arrives",
        "research_finishes",
        "month_end",
        "sample",
        "end_of_term",
        "research_patience",
        "domain_fails",
        "domain_repaired",
        "age_failure",
        "lemon_failure",
        "maintenance_starts",
        "maintenance_ends",
    ];

    /// Index of this event's kind in [`Event::KINDS`].
    pub fn kind(&self) -> usize {
        match self {
            Event::TranchePlanned { .. } => 0,
            Event::TrancheArrives { .. } => 1,
            Event::TrancheRetires { .. } => 2,
            Event::FailureCandidate { .. } => 3,
            Event::ForcedFailure => 4,
            Event::UnitRepaired { .. } => 5,
            Event::TrainingArrives { .. } => 6,
            Event::TrainingPhaseEnds { .. } => 7,
            Event::InferenceStep => 8,
            Event::ResearchArrives => 9,
            Event::ResearchFinishes { .. } => 10,
            Event::MonthEnd => 11,
            Event::Sample => 12,
            Event::EndOfTerm => 13,
            Event::ResearchPatience { .. } => 14,
            Event::DomainFails { .. } => 15,
            Event::DomainRepaired { .. } => 16,
            Event::AgeFailure { .. } => 17,
            Event::LemonFailure { .. } => 18,
            Event::MaintenanceStarts { .. } => 19,
            Event::MaintenanceEnds { .. } => 20,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Event;

    #[test]
    fn an_event_with_its_time_fills_16_bytes() {
        // The queue moves an event with its 4-byte time as one block; ids
        // are 32-bit so that the block stays 16 bytes (see engine.rs).
        assert_eq!(std::mem::size_of::<Event>(), 12);
    }
}
