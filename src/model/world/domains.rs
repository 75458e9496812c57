//! Correlated failure domains (`[[cluster.failure_domains]]`): racks,
//! power or cooling rows, network switches, datacenters. A domain failure
//! takes all the units of one domain down at once, until the domain's
//! repair brings them back together. The same blocks, and the same
//! taking-down, serve planned maintenance windows (`maintenance.rs`).
//!
//! Placement, by counts only (no per-unit or per-domain state): a pool of
//! `delivered` units is cut into D = ⌈delivered / units⌉ domains of
//! consecutive units. With `placement = "packed"` (the default) the
//! training runs on the generation are packed at its start, back to back in
//! run order, each as its working units then its hot spares; the rest of the
//! pool (idle, inference, research, re-marketed and down units) is mixed, so
//! the part of a failed domain beyond the runs is a uniform draw from it
//! (multivariate hypergeometric over its classes). A run of n units packed
//! so spans ⌈n / units⌉ domains when it starts on a domain's edge (the first
//! run does), one more at most otherwise, so its interruptions come at
//! n × (unit rate) + (domains spanned) × (domain rate). With
//! `placement = "spread"` the runs' units, in the same order, are dealt out
//! over the D domains in turn, so a run of n working units spans min(D, n)
//! of them and is interrupted at n × (unit rate) + min(D, n) × (domain
//! rate): every domain failure hits a run of n ≥ D units. The layout is
//! drawn afresh at each event: between events, which unit is where is not
//! remembered. Cost per event: the runs on the generation and the research
//! jobs the domain hits.

use super::*;
use crate::config::failures::Placement;
use rand_distr::Hypergeometric;

/// Units of one run a domain failure takes.
struct RunHit {
    run: RunId,
    working: u64,
    spares: u64,
}

/// Units in both `[a0, a1)` and `[b0, b1)`.
fn overlap(a0: u64, a1: u64, b0: u64, b1: u64) -> u64 {
    a1.min(b1).saturating_sub(a0.max(b0))
}

/// At most this many items, the hypergeometric count is drawn item by item.
const ITEM_BY_ITEM_MAX: u64 = 64;

/// How many of `sample` items drawn without replacement from `population`
/// items fall among its `marked` ones. When the smaller of `marked` and
/// `sample` is small (a rack's few units), the count is drawn exactly item by
/// item over it (the law is symmetric in them): rand_distr's sampler would
/// spend time proportional to the population there (its inverse-transform
/// start is a product over it), and it refuses some large populations with
/// a small expected count (that product underflows), where the item-by-item
/// draw is short again.
fn hypergeometric(population: u64, marked: u64, sample: u64, rng: &mut Xoshiro256PlusPlus) -> u64 {
    if marked.min(sample) <= ITEM_BY_ITEM_MAX {
        return hypergeometric_by_items(population, marked, sample, rng);
    }
    match Hypergeometric::new(population, marked, sample) {
        Ok(h) => h.sample(rng),
        Err(_) => hypergeometric_by_items(population, marked, sample, rng),
    }
}

/// The exact item-by-item draw of [`hypergeometric`].
fn hypergeometric_by_items(population: u64, marked: u64, sample: u64, rng: &mut Xoshiro256PlusPlus) -> u64 {
    let (items, slots) = (marked.min(sample), marked.max(sample));
    let (mut slots_left, mut count) = (slots, 0);
    for i in 0..items {
        // Item i is among the `slots` chosen with chance (slots left) /
        // (population not yet looked at).
        if rng.random_range(0..population - i) < slots_left {
            slots_left -= 1;
            count += 1;
        }
    }
    count
}

/// A block of consecutive units of one generation's pool (a domain, or a
/// maintenance window's block) and how runs sit in such blocks.
pub(super) struct Block {
    pub(super) generation: Gen,
    /// Its index among the pool's blocks of its size.
    pub(super) index: u64,
    /// Blocks of its size in the pool.
    pub(super) of: u64,
    /// Its units `[start, end)` in the pool's layout.
    pub(super) start: u64,
    pub(super) end: u64,
    pub(super) placement: Placement,
}

/// What takes a block down, and so what a run hit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outage {
    /// A domain failure: runs roll back to their last checkpoint.
    Failure,
    /// A maintenance window: runs warned of it save a checkpoint first
    /// when `checkpointed`.
    Maintenance { checkpointed: bool },
}

impl Streams {
    /// The stream that draws what `outage` hits beyond the runs (which
    /// units of each class, which research jobs): the victims stream for
    /// a failure, the maintenance stream for a window, so that adding
    /// maintenance leaves the failures' draws untouched.
    pub(super) fn victims_of(&mut self, outage: Outage) -> &mut Xoshiro256PlusPlus {
        match outage {
            Outage::Failure => &mut self.victims,
            Outage::Maintenance { .. } => &mut self.maintenance,
        }
    }
}

/// How many x in `[lo, hi)` have x mod `m` = `j`.
fn congruent(lo: u64, hi: u64, j: u64, m: u64) -> u64 {
    let below = |x: u64| x / m + u64::from(x % m > j);
    below(hi) - below(lo)
}

impl World<'_> {
    /// Blocks of `units` units over the whole cluster (each pool's last
    /// one may be partly filled).
    pub(super) fn blocks_of(&self, units: u64) -> u64 {
        self.cluster.pools.iter().map(|p| p.delivered.div_ceil(units)).sum()
    }

    /// Block `index` (counted over the pools in generation order, <
    /// [`World::blocks_of`]) of `units` units.
    pub(super) fn block_at(&self, units: u64, placement: Placement, mut index: u64) -> Block {
        for (g, p) in self.cluster.generations() {
            let of = p.delivered.div_ceil(units);
            if index < of {
                let start = index * units;
                return Block {
                    generation: g,
                    index,
                    of,
                    start,
                    end: (start + units).min(p.delivered),
                    placement,
                };
            }
            index -= of;
        }
        unreachable!("block index beyond the cluster's blocks")
    }

    /// The domains of kind `d` fail as one Poisson process of rate
    /// (domains × rate of one); the count changes only with deliveries and
    /// retirements, which restart the clock.
    pub(super) fn schedule_domain_failure(&mut self, d: u32) {
        let domain = &self.scenario.cluster.domains[d as usize];
        let rate = self.blocks_of(domain.units) as f64 * domain.rate;
        if rate > 0.0 {
            let gap: f64 = Exp1.sample(&mut self.streams.domains);
            let epoch = self.failure_epoch;
            self.queue.schedule_in(
                Span(seconds_from_f64(gap / rate)),
                Event::DomainFails { domain: d, epoch },
            );
        }
    }

    /// A uniformly chosen domain of kind `d` fails: its up units go down
    /// (interrupting the runs and preempting the research jobs on them)
    /// until one repair, drawn from the domain's distribution, brings them
    /// back.
    pub(super) fn domain_fails(&mut self, now: SimTime, d: u32) {
        self.schedule_domain_failure(d);
        let scenario = self.scenario;
        let domain = &scenario.cluster.domains[d as usize];
        // The domain and its repair are drawn whatever it hits, so that
        // they are common random numbers across workloads.
        let index = self.streams.domains.random_range(0..self.blocks_of(domain.units));
        let repair = domain.repair.sample(&mut self.streams.domains);
        let block = self.block_at(domain.units, domain.placement, index);
        let g = block.generation;
        let down = self.take_block_down(now, &block, Outage::Failure);
        self.counters.counts.domain_failures += 1;
        self.counters.counts.domain_units_failed += down;
        if down > 0 {
            let units = u32::try_from(down).expect("a domain has at most u32::MAX units (checked at load)");
            self.queue
                .schedule_in(repair, Event::DomainRepaired { generation: g, units });
        }
        self.dispatch(now);
    }

    /// The up units of `block` go down: the runs on it are interrupted as
    /// `outage` says (their hot spares there lost), the research jobs on
    /// it preempted, its idle, inference and re-marketed units simply go
    /// down. Returns how many units went down (those already down are not
    /// counted). Cost: the runs on the generation and the jobs hit.
    pub(super) fn take_block_down(&mut self, now: SimTime, block: &Block, outage: Outage) -> u64 {
        let g = block.generation;
        let hits = self.runs_in(block);
        let pool = &self.cluster[g];
        let mixed = match block.placement {
            Placement::Packed => block.end.saturating_sub(block.start.max(pool[Class::Training])),
            Placement::Spread => {
                let trained: u64 = hits.iter().map(|h| h.working + h.spares).sum();
                // A pool's last, partly filled domain may be dealt more run
                // units than it has: what it holds beyond the runs is capped.
                (block.end - block.start)
                    .saturating_sub(trained)
                    .min(pool.delivered - pool[Class::Training])
            }
        };
        let drawn = self.draw_mixed(g, mixed, outage);
        let mut down = 0;
        for class in [Class::Idle, Class::Inference, Class::Remarketed] {
            self.cluster[g].transfer(class, Class::Down, drawn[class as usize]);
            down += drawn[class as usize];
        }
        let research = drawn[Class::Research as usize];
        if research > 0 {
            self.fail_research_units(now, g, research, outage);
            down += research;
        }
        for hit in hits {
            if hit.spares > 0 {
                self.lose_spares(now, hit.run, hit.spares);
            }
            if hit.working > 0 {
                match outage {
                    Outage::Failure => {
                        self.counters.counts.training_interruptions += 1;
                        self.interrupt_run(now, hit.run, hit.working);
                    }
                    Outage::Maintenance { checkpointed } => {
                        self.counters.counts.maintenance_interruptions += 1;
                        self.stop_run_for_maintenance(now, hit.run, hit.working, checkpointed);
                    }
                }
            }
            down += hit.working + hit.spares;
        }
        down
    }

    /// The runs on `block`'s generation with units in it, and how many of
    /// their working units and spares. Packed: the runs lie back to back
    /// from the pool's start, each its working units then its spares.
    /// Spread: the runs' units, taken in the same order, are dealt out over
    /// the pool's blocks in turn, unit x to block x mod (blocks).
    fn runs_in(&self, block: &Block) -> Vec<RunHit> {
        let (start, end) = (block.start, block.end);
        let mut hits = Vec::new();
        let mut offset = 0;
        for r in self.run_ids() {
            let run = &self.training[r];
            if run.generation != Some(block.generation) || run.held == 0 {
                continue;
            }
            let spares_from = offset + run.working();
            let hit = match block.placement {
                Placement::Packed => {
                    if offset >= end {
                        break;
                    }
                    RunHit {
                        run: r,
                        working: overlap(start, end, offset, spares_from),
                        spares: overlap(start, end, spares_from, offset + run.held),
                    }
                }
                Placement::Spread => RunHit {
                    run: r,
                    working: congruent(offset, spares_from, block.index, block.of),
                    spares: congruent(spares_from, offset + run.held, block.index, block.of),
                },
            };
            if hit.working + hit.spares > 0 {
                hits.push(hit);
            }
            offset += run.held;
        }
        hits
    }

    /// How many of `n` units drawn uniformly from generation `g`'s units
    /// outside training fall in each class (multivariate hypergeometric,
    /// class by class), indexed by `Class as usize`. Drawn from `outage`'s
    /// victims stream ([`Streams::victims_of`]): what a domain hits depends
    /// on the workload.
    fn draw_mixed(&mut self, g: Gen, n: u64, outage: Outage) -> [u64; Class::COUNT] {
        let mut drawn = [0; Class::COUNT];
        let pool = &self.cluster[g];
        let mut population = pool.delivered - pool[Class::Training];
        let mut left = n;
        for class in Class::ALL {
            if class == Class::Training || left == 0 {
                continue;
            }
            let k = if pool[class] == population {
                left
            } else {
                hypergeometric(population, pool[class], left, self.streams.victims_of(outage))
            };
            drawn[class as usize] = k;
            population -= pool[class];
            left -= k;
        }
        debug_assert_eq!(left, 0);
        drawn
    }

    /// `n` research units of generation `g` go down: the jobs holding them
    /// (drawn as a unit failure draws its victim) are preempted until `n`
    /// units are free, and `n` of those go down.
    fn fail_research_units(&mut self, now: SimTime, g: Gen, n: u64, outage: Outage) {
        let mut freed = 0;
        while freed < n {
            let slot = self.research_victim(g, outage);
            freed += self.research.job(slot).units;
            self.preempt_research(now, slot);
        }
        self.cluster[g].transfer(Class::Idle, Class::Down, n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_dealt_out_in_turn_are_counted_per_block() {
        // x in [3, 13) with x mod 4 = 1: 5, 9.
        assert_eq!(congruent(3, 13, 1, 4), 2);
        assert_eq!(congruent(3, 13, 3, 4), 3);
        assert_eq!(congruent(0, 0, 0, 4), 0);
        assert_eq!(congruent(7, 8, 0, 1), 1);
        for (lo, hi, m) in [(0u64, 17u64, 5u64), (4, 9, 3), (10, 100, 7)] {
            let total: u64 = (0..m).map(|j| congruent(lo, hi, j, m)).sum();
            assert_eq!(total, hi - lo);
        }
    }

    #[test]
    fn the_item_by_item_draw_has_the_hypergeometric_law() {
        // N = 20, K = 5, n = 8: P(X = 0) = C(15, 8) / C(20, 8) = 6435 /
        // 125970, mean nK/N = 2; 200,000 draws, each checked at 4 SE.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let draws = 200_000;
        let (mut zeros, mut sum) = (0u64, 0u64);
        for _ in 0..draws {
            let x = hypergeometric_by_items(20, 5, 8, &mut rng);
            zeros += u64::from(x == 0);
            sum += x;
        }
        let p0 = 6435.0 / 125_970.0;
        let se = (p0 * (1.0 - p0) / draws as f64).sqrt();
        assert!((zeros as f64 / draws as f64 - p0).abs() < 4.0 * se, "{zeros}");
        // Var = n (K/N)(1 − K/N)(N − n)/(N − 1) = 8 × 0.25 × 0.75 × 12/19.
        let var = 8.0 * 0.25 * 0.75 * 12.0 / 19.0;
        let mean_se = (var / draws as f64).sqrt();
        assert!((sum as f64 / draws as f64 - 2.0).abs() < 4.0 * mean_se, "{sum}");
        // Symmetric in K and n, and exact at the edges.
        assert_eq!(hypergeometric_by_items(10, 10, 3, &mut rng), 3);
        assert_eq!(hypergeometric_by_items(10, 0, 3, &mut rng), 0);
    }
}
