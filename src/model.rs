//! The simulated world: cluster capacity, workloads and scheduling policies,
//! and the per-replica event handling that ties them together.
//!
//! The entry point is [`simulate`]: one scenario, one replica seed, one
//! [`ReplicaOutcome`]. [`World`] runs the replica and returns its tally in
//! the model's own terms; `metrics` turns that into rows. Nothing here
//! knows about files or threads.

pub mod budget;
pub(crate) mod cluster;
pub mod deliveries;
pub mod derived;
pub mod event;
pub mod inference;
pub mod lowfi;
pub(crate) mod policy;
pub(crate) mod research;
pub mod training;
pub mod world;

pub use event::Event;
pub use world::{Streams, World};

use crate::config::Scenario;
use crate::metrics::{ProviderCosts, ReplicaOutcome, Valuation};

/// Simulates replica `replica` of `scenario` over the whole term with the
/// replica's own seed.
pub fn simulate(scenario: &Scenario, replica: u32, seed: u64) -> ReplicaOutcome {
    outcome(scenario, World::new(scenario, replica, seed).run())
}

/// The outcome of a replica of `scenario` from its tally, at the
/// scenario's prices.
pub fn outcome(scenario: &Scenario, tally: crate::metrics::ReplicaTally) -> ReplicaOutcome {
    ReplicaOutcome::from_tally(tally, valuation(scenario))
}

/// What a replica's money is valued at: the contract's discount rate, the
/// bankruptcy claim's terms and the provider's costs.
pub fn valuation(scenario: &Scenario) -> Valuation {
    Valuation {
        discount_rate_per_year: scenario.contract.discount_rate_per_year,
        claim_recovery_fraction: scenario.provider.claim_recovery_fraction,
        claim_delay_months: scenario.provider.claim_delay_months,
        provider: scenario.provider.economics.as_ref().map(|e| ProviderCosts {
            opex_per_chip_hour_usd: e.opex_per_chip_hour_usd,
            discount_rate_per_year: scenario.contract.discount_rate_per_year + e.financing_spread_per_year,
        }),
    }
}
