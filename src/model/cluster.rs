//! Capacity: per-generation pools of failure units and what holds them.
//!
//! A pool never tracks individual chips or units, only counts by state, so
//! memory and cost per event do not depend on the chip count. Every
//! allocation is in whole failure units (nodes).

pub use crate::config::scenario::Gen;
pub use crate::metrics::Class;

/// Unit counts of one generation by [`Class`]. `delivered` is kept apart
/// from the per-class counts (not derived), so [`Pool::is_consistent`] is a
/// real bookkeeping check. Units change class only through
/// [`Pool::transfer`], and enter and leave through [`Pool::deliver`] and
/// [`Pool::retire`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pool {
    /// Units delivered and not retired.
    pub delivered: u64,
    units: [u64; Class::COUNT],
    /// Units retired while down: their repair must not bring them back.
    pub retired_while_down: u64,
}

impl std::ops::Index<Class> for Pool {
    type Output = u64;
    fn index(&self, class: Class) -> &u64 {
        &self.units[class as usize]
    }
}

impl Pool {
    /// A pool with `units` of each class (in [`Class::ALL`] order).
    pub fn with(units: [u64; Class::COUNT]) -> Pool {
        Pool {
            delivered: units.iter().sum(),
            units,
            retired_while_down: 0,
        }
    }

    /// Units up (delivered and not down).
    pub fn up(&self) -> u64 {
        self.delivered - self[Class::Down]
    }

    /// Moves `n` units from class `from` to class `to`.
    pub fn transfer(&mut self, from: Class, to: Class, n: u64) {
        debug_assert!(self[from] >= n, "transfer of {n} {from:?} units from {}", self[from]);
        self.units[from as usize] -= n;
        self.units[to as usize] += n;
    }

    /// `n` units are delivered and come up idle.
    pub fn deliver(&mut self, n: u64) {
        self.delivered += n;
        self.units[Class::Idle as usize] += n;
    }

    /// `n` units of class `from` leave the cluster (retirement).
    pub fn retire(&mut self, from: Class, n: u64) {
        debug_assert!(self[from] >= n);
        self.units[from as usize] -= n;
        self.delivered -= n;
    }

    /// Whether the classes add up to the delivered units.
    pub fn is_consistent(&self) -> bool {
        self.units.iter().sum::<u64>() == self.delivered
    }
}

/// All generations' pools; `cluster[g]` is generation `g`'s pool.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// One pool per generation, in scenario order.
    pub pools: Vec<Pool>,
    /// Relative speed per generation.
    speeds: Vec<f64>,
    /// Chips per unit.
    pub unit_chips: u64,
    /// Generations, fastest first (ties: scenario order).
    pub fastest_first: Vec<Gen>,
}

impl std::ops::Index<Gen> for Cluster {
    type Output = Pool;
    fn index(&self, g: Gen) -> &Pool {
        &self.pools[g.index()]
    }
}

impl std::ops::IndexMut<Gen> for Cluster {
    fn index_mut(&mut self, g: Gen) -> &mut Pool {
        &mut self.pools[g.index()]
    }
}

impl Cluster {
    /// An empty cluster (nothing delivered yet).
    pub fn new(speeds: Vec<f64>, unit_chips: u64) -> Cluster {
        let mut fastest_first: Vec<Gen> = Gen::all(speeds.len()).collect();
        fastest_first.sort_by(|&a, &b| speeds[b.index()].total_cmp(&speeds[a.index()]).then(a.cmp(&b)));
        Cluster {
            pools: vec![Pool::default(); speeds.len()],
            speeds,
            unit_chips,
            fastest_first,
        }
    }

    /// Work per chip-second of generation `g` relative to the baseline chip.
    pub fn speed(&self, g: Gen) -> f64 {
        self.speeds[g.index()]
    }

    /// Every generation with its pool, in scenario order.
    pub fn generations(&self) -> impl Iterator<Item = (Gen, &Pool)> {
        Gen::all(self.pools.len()).zip(&self.pools)
    }

    /// Chips in `units` failure units.
    pub fn chips(&self, units: u64) -> u64 {
        units * self.unit_chips
    }

    /// Total delivered units over all generations.
    pub fn delivered(&self) -> u64 {
        self.pools.iter().map(|p| p.delivered).sum()
    }

    /// Maps `index` in `[0, delivered())` to a generation, a class and the
    /// offset among that pool's units of the class, with pools laid out in
    /// order and each pool's classes in [`Class::ALL`] order. A uniform index
    /// thus picks a uniform unit.
    pub fn locate(&self, mut index: u64) -> (Gen, Class, u64) {
        for (g, p) in self.generations() {
            if index >= p.delivered {
                index -= p.delivered;
                continue;
            }
            for class in Class::ALL {
                if index < p[class] {
                    return (g, class, index);
                }
                index -= p[class];
            }
            unreachable!("a consistent pool's classes cover its delivered units");
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
        c.pools[0] = Pool::with([1, 1, 1, 1, 0, 1]);
        c.pools[1] = Pool::with([0, 0, 0, 0, 0, 2]);
        let states: Vec<_> = (0..7).map(|i| c.locate(i)).collect();
        assert_eq!(
            states,
            vec![
                (Gen(0), Class::Down, 0),
                (Gen(0), Class::Training, 0),
                (Gen(0), Class::Inference, 0),
                (Gen(0), Class::Research, 0),
                (Gen(0), Class::Idle, 0),
                (Gen(1), Class::Idle, 0),
                (Gen(1), Class::Idle, 1),
            ]
        );
        assert_eq!(c.fastest_first, vec![Gen(1), Gen(0)]);
    }
}
