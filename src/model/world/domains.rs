//! Correlated failure domains (`[[cluster.failure_domains]]`): racks,
//! power or cooling rows, network switches, datacenters. A domain failure
//! takes all the units of one domain down at once, until the domain's
//! repair brings them back together.
//!
//! Placement, by counts only (no per-unit or per-domain state): a pool of
//! `delivered` units is cut into ⌈delivered / units⌉ domains of consecutive
//! units. The training runs on the generation are packed at its start, back
//! to back in run order, each as its working units then its hot spares; the
//! rest of the pool (idle, inference, research, re-marketed and down units)
//! is mixed, so the part of a failed domain beyond the runs is a uniform
//! draw from it (multivariate hypergeometric over its classes). A run of n
//! units packed so spans ⌈n / units⌉ domains when it starts on a domain's
//! edge (the first run does), one more at most otherwise, so its
//! interruptions come at n × (unit rate) + (domains spanned) × (domain rate):
//! fewer than n × (unit rate + domain rate / units) would give if its units
//! were scattered. The layout is drawn afresh at each event: between
//! events, which unit is where is not remembered. Cost per event: the runs
//! on the generation and the research jobs the domain hits.

use super::*;
use crate::config::failures::FailureDomain;
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

impl World<'_> {
    /// Domains of a kind over the whole cluster.
    fn domains_of(&self, domain: &FailureDomain) -> u64 {
        self.cluster.pools.iter().map(|p| domain.count(p.delivered)).sum()
    }

    /// The domains of kind `d` fail as one Poisson process of rate
    /// (domains × rate of one); the count changes only with deliveries and
    /// retirements, which restart the clock.
    pub(super) fn schedule_domain_failure(&mut self, d: u32) {
        let domain = &self.scenario.cluster.domains[d as usize];
        let rate = self.domains_of(domain) as f64 * domain.rate;
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
        let mut index = self.streams.domains.random_range(0..self.domains_of(domain));
        let repair = domain.repair.sample(&mut self.streams.domains);
        let mut g = Gen(0);
        for (this, p) in self.cluster.generations() {
            g = this;
            let n = domain.count(p.delivered);
            if index < n {
                break;
            }
            index -= n;
        }
        let pool = &self.cluster[g];
        let start = index * domain.units;
        let end = (start + domain.units).min(pool.delivered);
        let hits = self.runs_in(g, start, end);
        let mixed = end.saturating_sub(start.max(pool[Class::Training]));
        let drawn = self.draw_mixed(g, mixed);
        let mut down = 0;
        for class in [Class::Idle, Class::Inference, Class::Remarketed] {
            self.cluster[g].transfer(class, Class::Down, drawn[class as usize]);
            down += drawn[class as usize];
        }
        let research = drawn[Class::Research as usize];
        if research > 0 {
            self.fail_research_units(now, g, research);
            down += research;
        }
        for hit in hits {
            if hit.spares > 0 {
                self.lose_spares(now, hit.run, hit.spares);
            }
            if hit.working > 0 {
                self.counters.counts.training_interruptions += 1;
                self.interrupt_run(now, hit.run, hit.working);
            }
            down += hit.working + hit.spares;
        }
        self.counters.counts.domain_failures += 1;
        self.counters.counts.domain_units_failed += down;
        if down > 0 {
            let units = u32::try_from(down).expect("a domain has at most u32::MAX units (checked at load)");
            self.queue
                .schedule_in(repair, Event::DomainRepaired { generation: g, units });
        }
        self.dispatch(now);
    }

    /// The runs on generation `g` with units in `[start, end)` of the
    /// packed layout, and how many of their working units and spares.
    fn runs_in(&self, g: Gen, start: u64, end: u64) -> Vec<RunHit> {
        let mut hits = Vec::new();
        let mut offset = 0;
        for r in self.run_ids() {
            let run = &self.training[r];
            if run.generation != Some(g) || run.held == 0 {
                continue;
            }
            if offset >= end {
                break;
            }
            let spares_from = offset + run.working();
            let hit = RunHit {
                run: r,
                working: overlap(start, end, offset, spares_from),
                spares: overlap(start, end, spares_from, offset + run.held),
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
    /// class by class), indexed by `Class as usize`. Drawn from the victims
    /// stream: what a domain hits depends on the workload.
    fn draw_mixed(&mut self, g: Gen, n: u64) -> [u64; Class::COUNT] {
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
                hypergeometric(population, pool[class], left, &mut self.streams.victims)
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
    fn fail_research_units(&mut self, now: SimTime, g: Gen, n: u64) {
        let mut freed = 0;
        while freed < n {
            let slot = self.research_victim(g);
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
