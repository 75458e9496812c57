//! The failure process: unit failures (one superposed Poisson process over
//! the delivered units, thinned), their kinds, what a failure does to the
//! class it lands on, and repairs. Failures of whole domains are in
//! `domains.rs`.

use super::domains::Outage;
use super::*;

impl World<'_> {
    /// Failures are one superposed Poisson process over all delivered units,
    /// thinned: candidates come at rate (delivered units × unit failure
    /// rate) and one landing on a unit already down does nothing. The rate
    /// bound changes only with deliveries and retirements, which redraw the
    /// clock (exact, as exponential gaps are memoryless).
    /// Each kind of failure domain has its own clock on the same epoch.
    pub(super) fn restart_failure_clock(&mut self) {
        self.failure_epoch = self.failure_epoch.wrapping_add(1);
        self.schedule_failure_candidate();
        for d in 0..self.scenario.cluster.domains.len() as u32 {
            self.schedule_domain_failure(d);
        }
    }

    pub(super) fn schedule_failure_candidate(&mut self) {
        let rate = self.cluster.delivered() as f64 * self.scenario.cluster.unit_failure_rate;
        if rate > 0.0 {
            let gap: f64 = Exp1.sample(&mut self.streams.failures);
            let epoch = self.failure_epoch;
            self.queue
                .schedule_in(Span(seconds_from_f64(gap / rate)), Event::FailureCandidate { epoch });
        }
    }

    pub(super) fn failure_candidate(&mut self, now: SimTime) {
        self.schedule_failure_candidate();
        let index = self.streams.failures.random_range(0..self.cluster.delivered());
        self.fail_unit(now, index);
    }

    /// A failure on a uniformly chosen up unit at a fixed time.
    pub(super) fn forced_failure(&mut self, now: SimTime) {
        // Map a uniform index over up units to one over delivered units by
        // skipping each pool's down block.
        let up: u64 = self.cluster.pools.iter().map(|p| p.up()).sum();
        if up == 0 {
            return;
        }
        let mut index = self.streams.failures.random_range(0..up);
        let mut offset = 0;
        for p in &self.cluster.pools {
            if index < p.up() {
                self.fail_unit(now, offset + p[Class::Down] + index);
                return;
            }
            index -= p.up();
            offset += p.delivered;
        }
    }

    /// The unit at `index` (see [`Cluster::locate`]) fails, unless it is
    /// already down. With failure kinds, the kind is drawn first: a kind
    /// that does not replace its unit interrupts the work on it (a training
    /// run rolls back and restarts, a research job is preempted) and leaves
    /// the unit up.
    pub(super) fn fail_unit(&mut self, now: SimTime, index: u64) {
        let (g, class, mut offset) = self.cluster.locate(index);
        if class == Class::Down {
            return;
        }
        let scenario = self.scenario;
        let kind = self.draw_failure_kind().map(|k| &scenario.cluster.kinds[k]);
        let takes_down = kind.is_none_or(|k| k.replaces_unit);
        match class {
            Class::Down => unreachable!("returned above"),
            Class::Idle | Class::Inference | Class::Remarketed => {
                if takes_down {
                    self.cluster[g].transfer(class, Class::Down, 1);
                }
            }
            Class::Training => {
                // Each run's units are its working units, then its spares.
                let run = self
                    .run_ids()
                    .find(|&r| {
                        let run = &self.training[r];
                        if run.generation != Some(g) || run.held == 0 {
                            return false;
                        }
                        if offset < run.held {
                            return true;
                        }
                        offset -= run.held;
                        false
                    })
                    .expect("a training unit belongs to a run");
                if offset < self.training[run].working() {
                    self.counters.counts.training_interruptions += 1;
                    self.interrupt_run(now, run, u64::from(takes_down));
                } else if takes_down {
                    self.lose_spares(now, run, 1);
                }
            }
            Class::Research => {
                let slot = self.research_victim(g, Outage::Failure);
                self.preempt_research(now, slot);
                if takes_down {
                    self.cluster[g].transfer(Class::Idle, Class::Down, 1);
                }
            }
        }
        self.counters.counts.unit_failures += 1;
        if takes_down {
            let repair = kind.map_or(&scenario.cluster.repair, |k| &k.repair);
            let repair = repair.sample(&mut self.streams.failures);
            self.queue.schedule_in(repair, Event::UnitRepaired { generation: g });
        } else {
            self.counters.counts.unit_failures_in_place += 1;
        }
        self.dispatch(now);
    }

    /// The kind of a unit failure, drawn by its share (None without
    /// `[[cluster.failure_kinds]]`, and then nothing is drawn).
    fn draw_failure_kind(&mut self) -> Option<usize> {
        let kinds = &self.scenario.cluster.kinds;
        if kinds.is_empty() {
            return None;
        }
        // The shares may miss 1 by rounding (config allows 1e-3): scale.
        let total: f64 = kinds.iter().map(|k| k.share).sum();
        let mut u = self.streams.failures.random::<f64>() * total;
        let k = kinds
            .iter()
            .position(|k| {
                u -= k.share;
                u < 0.0
            })
            .unwrap_or(kinds.len() - 1);
        self.counters.failures_by_kind[k] += 1;
        Some(k)
    }

    /// `n` units of generation `g` that were down are back (one unit's
    /// repair, or a domain's). Units retired while down stay gone.
    pub(super) fn units_repaired(&mut self, now: SimTime, g: Gen, n: u64) {
        let pool = &mut self.cluster[g];
        let gone = pool.retired_while_down.min(n);
        pool.retired_while_down -= gone;
        if n > gone {
            pool.transfer(Class::Down, Class::Idle, n - gone);
            self.dispatch(now);
        }
    }
}
