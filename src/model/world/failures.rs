//! The failure process: unit failures (one superposed Poisson process over
//! the delivered units, thinned), what a failure does to the class it lands
//! on, and repairs.

use super::*;

impl World<'_> {
    /// Failures are one superposed Poisson process over all delivered units,
    /// thinned: candidates come at rate (delivered units × unit failure
    /// rate) and one landing on a unit already down does nothing. The rate
    /// bound changes only with deliveries and retirements, which redraw the
    /// clock (exact, as exponential gaps are memoryless).
    pub(super) fn restart_failure_clock(&mut self) {
        self.failure_epoch = self.failure_epoch.wrapping_add(1);
        self.schedule_failure_candidate();
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
    /// already down.
    pub(super) fn fail_unit(&mut self, now: SimTime, index: u64) {
        let (g, class, mut offset) = self.cluster.locate(index);
        match class {
            Class::Down => return,
            Class::Idle | Class::Inference | Class::Remarketed => {
                self.cluster[g].transfer(class, Class::Down, 1);
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
                    self.interrupt_run(now, run, 1);
                } else {
                    self.lose_spare(now, run);
                }
            }
            Class::Research => {
                let slot = self.research_victim(g);
                self.preempt_research(now, slot);
                self.cluster[g].transfer(Class::Idle, Class::Down, 1);
            }
        }
        self.counters.counts.unit_failures += 1;
        let repair = self.scenario.cluster.repair.sample(&mut self.streams.failures);
        self.queue.schedule_in(repair, Event::UnitRepaired { generation: g });
        self.dispatch(now);
    }
}
