//! The simulated world: cluster capacity, workloads and scheduling policies,
//! and the per-replica event handling that ties them together.
//!
//! The entry point is [`simulate`]: one scenario, one replica seed, one
//! [`ReplicaOutcome`]. Nothing here knows about files or threads.

pub mod cluster;
pub mod derived;
pub mod event;
pub mod inference;
pub mod policy;
pub mod research;
pub mod training;
pub mod world;

pub use event::Event;
pub use world::{Streams, World};

use crate::config::Scenario;
use crate::metrics::ReplicaOutcome;

/// Simulates replica `replica` of `scenario` over the whole term with the
/// replica's own seed.
pub fn simulate(scenario: &Scenario, replica: u32, seed: u64) -> ReplicaOutcome {
    World::new(scenario, replica, seed).run()
}
