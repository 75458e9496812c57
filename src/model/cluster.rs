//! Capacity: per-generation pools of failure units and what holds them.
//!
//! A pool never tracks individual chips or units, only counts by state, so
//! memory and cost per event do not depend on the chip count. Every
//! allocation is in whole failure units (nodes).

/// Unit counts of one generation by state. `idle` is kept explicitly (not
/// derived), so [`Pool::is_consistent`] is a real bookkeeping check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pool {
    /// Units delivered and not retired.
    pub delivered: u64,
    /// Units failed and awaiting repair.
    pub down: u64,
    /// Units held by training runs.
    pub training: u64,
    /// Units serving inference.
    pub inference: u64,
    /// Units held by research jobs.
    pub research: u64,
    /// Units re-marketed by the provider after the buyer's default.
    pub remarketed: u64,
    /// Units up and unallocated.
    pub idle: u64,
    /// Units retired while down: their repair must not bring them back.
    pub retired_while_down: u64,
}

impl Pool {
    /// Units up (delivered and not down).
    pub fn up(&self) -> u64 {
        self.delivered - self.down
    }

    /// Whether the states add up to the delivered units.
    pub fn is_consistent(&self) -> bool {
        self.down + self.training + self.inference + self.research + self.remarketed + self.idle == self.delivered
    }
}

/// Where a uniformly chosen delivered unit sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitState {
    /// Already down (a thinned failure candidate: nothing happens).
    Down,
    /// The `offset`-th training unit of the pool.
    Training {
        /// Offset among the pool's training units.
        offset: u64,
    },
    /// An inference unit.
    Inference,
    /// A research unit.
    Research,
    /// A unit re-marketed after a default.
    Remarketed,
    /// An idle unit.
    Idle,
}

/// All generations' pools.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// One pool per generation, in scenario order.
    pub pools: Vec<Pool>,
    /// Relative speed per generation.
    pub speeds: Vec<f64>,
    /// Chips per unit.
    pub unit_chips: u64,
    /// Generation indices, fastest first (ties: scenario order).
    pub fastest_first: Vec<usize>,
}

impl Cluster {
    /// An empty cluster (nothing delivered yet).
    pub fn new(speeds: Vec<f64>, unit_chips: u64) -> Cluster {
        let mut fastest_first: Vec<usize> = (0..speeds.len()).collect();
        fastest_first.sort_by(|&a, &b| speeds[b].total_cmp(&speeds[a]).then(a.cmp(&b)));
        Cluster {
            pools: vec![Pool::default(); speeds.len()],
            speeds,
            unit_chips,
            fastest_first,
        }
    }

    /// Total delivered units over all generations.
    pub fn delivered(&self) -> u64 {
        self.pools.iter().map(|p| p.delivered).sum()
    }

    /// Maps `index` in `[0, delivered())` to a generation and a state, with
    /// pools laid out in order and each pool as [down | training | inference
    /// | research | remarketed | idle]. A uniform index thus picks a uniform
    /// unit.
    pub fn locate(&self, mut index: u64) -> (usize, UnitState) {
        for (g, p) in self.pools.iter().enumerate() {
            if index >= p.delivered {
                index -= p.delivered;
                continue;
            }
            let state = if index < p.down {
                UnitState::Down
            } else if index < p.down + p.training {
                UnitState::Training { offset: index - p.down }
            } else if index < p.down + p.training + p.inference {
                UnitState::Inference
            } else if index < p.down + p.training + p.inference + p.research {
                UnitState::Research
            } else if index < p.down + p.training + p.inference + p.research + p.remarketed {
                UnitState::Remarketed
            } else {
                UnitState::Idle
            };
            return (g, state);
        }
        panic!("unit index out of range: caller must draw below delivered()")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_covers_every_state_in_order() {
        let mut c = Cluster::new(vec![1.0, 2.0], 16);
        c.pools[0] = Pool {
            delivered: 5,
            down: 1,
            training: 1,
            inference: 1,
            research: 1,
            idle: 1,
            ..Pool::default()
        };
        c.pools[1] = Pool {
            delivered: 2,
            idle: 2,
            ..Pool::default()
        };
        let states: Vec<_> = (0..7).map(|i| c.locate(i)).collect();
        assert_eq!(
            states,
            vec![
                (0, UnitState::Down),
                (0, UnitState::Training { offset: 0 }),
                (0, UnitState::Inference),
                (0, UnitState::Research),
                (0, UnitState::Idle),
                (1, UnitState::Idle),
                (1, UnitState::Idle),
            ]
        );
        assert_eq!(c.fastest_first, vec![1, 0]);
    }
}
