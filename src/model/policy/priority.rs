//! `priority`: training > inference > research. Training may take units
//! from inference and research; inference from research; research only
//! gets what is idle. A started training run is never preempted.

use super::{Limit, Policy};
use crate::model::cluster::{Class, Pool};

/// Strict class priority.
#[derive(Debug, Clone, Copy)]
pub struct Priority;

impl Policy for Priority {
    fn training(&self, pool: &Pool) -> Limit {
        Limit {
            max_units: pool.up(),
            preempt_research: true,
            shrink_inference: true,
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
    use crate::model::policy::reachable;

    #[test]
    fn training_reaches_everything_but_down_units() {
        // down, training, inference, research, remarketed, idle
        let pool = Pool::with([1, 2, 3, 2, 0, 2]);
        assert_eq!(reachable(&pool, Priority.training(&pool), 2), 9);
        // Inference may take idle and research units, not training's.
        assert_eq!(reachable(&pool, Priority.inference(&pool), 3), 7);
    }
}
