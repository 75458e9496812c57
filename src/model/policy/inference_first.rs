//! `inference_first`: inference > training > research. Paying customers
//! keep their chips: training takes only idle units and research's, and
//! waits for inference to shrink on its own (demand falling); inference
//! takes idle units and research's but never a started training run's.

use super::{Limit, Policy};
use crate::model::cluster::{Class, Pool};

/// Inference before training.
#[derive(Debug, Clone, Copy)]
pub struct InferenceFirst;

impl Policy for InferenceFirst {
    fn training(&self, pool: &Pool) -> Limit {
        Limit {
            max_units: pool.up() - pool[Class::Inference].min(pool.up()),
            preempt_research: true,
            shrink_inference: false,
        }
    }

    fn inference(&self, pool: &Pool) -> Limit {
        Limit {
            max_units: pool.up() - pool[Class::Training].min(pool.up()),
            preempt_research: true,
            shrink_inference: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::policy::{Priority, reachable};

    #[test]
    fn training_does_not_reach_inferences_units() {
        // down, training, inference, research, remarketed, idle
        let pool = Pool::with([1, 2, 3, 2, 0, 2]);
        // Training holds 2 and may add idle (2) and research (2), not the
        // 3 of inference that priority would let it take.
        assert_eq!(reachable(&pool, InferenceFirst.training(&pool), 2), 6);
        assert_eq!(reachable(&pool, Priority.training(&pool), 2), 9);
        assert_eq!(reachable(&pool, InferenceFirst.inference(&pool), 3), 7);
    }
}
