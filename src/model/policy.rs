//! Scheduling policies: who may take capacity from whom.
//!
//! A [`Policy`] answers, for one generation's pool, how many units training
//! and inference may hold and from which other classes they may take units.
//! The world carries out the moves (idle first, then preempting research,
//! then shrinking inference) and calls the policy at every state change, so
//! a policy stays a few lines of arithmetic. Research always backfills
//! whatever is idle and is preemptible under every policy.
//!
//! Adding a policy, in four places: a new file in `policy/` implementing
//! [`Policy`] (with its tests beside it); a variant of `RawPolicy` in
//! `config/raw.rs` (its name in scenario files); a [`PolicyKind`] arm in
//! `config/scenario.rs` with its parameters checked where `RawPolicy` is
//! converted; and an arm in [`build`].

mod inference_first;
mod partitioned;
mod priority;

pub use inference_first::InferenceFirst;
pub use partitioned::Partitioned;
pub use priority::Priority;

use super::cluster::{Class, Pool};
use crate::config::PolicyKind;

/// What a class may claim in a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// The most units the class may hold in the pool, in total.
    pub max_units: u64,
    /// May it preempt research jobs to get units?
    pub preempt_research: bool,
    /// May it shrink inference's allocation to get units?
    pub shrink_inference: bool,
}

/// A scheduling policy. Implementations are stateless parameter objects.
pub trait Policy: Send + Sync {
    /// Limit for frontier training in `pool`.
    fn training(&self, pool: &Pool) -> Limit;
    /// Limit for inference in `pool`.
    fn inference(&self, pool: &Pool) -> Limit;
}

/// The policy a scenario names.
pub fn build(kind: PolicyKind) -> Box<dyn Policy> {
    match kind {
        PolicyKind::Priority => Box::new(Priority),
        PolicyKind::InferenceFirst => Box::new(InferenceFirst),
        PolicyKind::Partitioned { training_fraction } => Box::new(Partitioned { training_fraction }),
    }
}

/// Units a class could hold in `pool` under `limit`, counting what it holds
/// now (`held`) plus what it may take.
pub fn reachable(pool: &Pool, limit: Limit, held: u64) -> u64 {
    let mut free = pool[Class::Idle];
    if limit.preempt_research {
        free += pool[Class::Research];
    }
    if limit.shrink_inference {
        free += pool[Class::Inference];
    }
    (held + free).min(limit.max_units.max(held))
}
