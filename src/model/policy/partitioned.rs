//! `partitioned`: a fixed fraction of each generation's up units is reserved
//! for training and the rest for inference; neither takes the other's share.
//! Research backfills whatever either leaves idle and is preempted by both.

use super::{Limit, Policy};
use crate::model::cluster::Pool;

/// Reserved shares.
#[derive(Debug, Clone, Copy)]
pub struct Partitioned {
    /// Fraction of up units reserved for training, in [0, 1].
    pub training_fraction: f64,
}

impl Partitioned {
    fn training_share(&self, pool: &Pool) -> u64 {
        (self.training_fraction * pool.up() as f64).floor() as u64
    }
}

impl Policy for Partitioned {
    fn training(&self, pool: &Pool) -> Limit {
        Limit {
            max_units: self.training_share(pool),
            preempt_research: true,
            shrink_inference: false,
        }
    }

    fn inference(&self, pool: &Pool) -> Limit {
        Limit {
            max_units: pool.up() - self.training_share(pool),
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
    fn shares_are_disjoint() {
        let p = Partitioned { training_fraction: 0.4 };
        let pool = Pool::with([0, 0, 0, 4, 0, 6]);
        assert_eq!(reachable(&pool, p.training(&pool), 0), 4);
        assert_eq!(reachable(&pool, p.inference(&pool), 0), 6);
    }
}
