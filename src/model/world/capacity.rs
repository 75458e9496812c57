//! Capacity: tranches arriving and retiring, and the primitives that free
//! units for a class under its policy limit. The failure process is in
//! `failures.rs`.

use super::*;

impl World<'_> {
    pub(super) fn tranche_arrives(&mut self, now: SimTime, i: u32) {
        // Its TranchePlanned event came first (scheduled earlier, at the
        // same or an earlier time), so its units are counted as undelivered.
        let t = &self.scenario.cluster.tranches[i as usize];
        self.undelivered_units[t.generation.index()] -= t.units;
        self.cluster[t.generation].deliver(t.units);
        let term_end = SimTime::at(self.scenario.contract.term);
        let mut serves_to_term_end = true;
        if let Some(life) = self.scenario.cluster.generations[t.generation.index()].service_life {
            let end = now + life;
            if end < term_end {
                self.queue.schedule(end, Event::TrancheRetires { tranche: i });
                serves_to_term_end = false;
            }
        }
        // The provider pays for the chips as they arrive; those still in
        // service at the term's end keep their straight-line book value
        // (retired ones are written off).
        if let Some(e) = &self.scenario.provider.economics {
            let capex =
                (t.units * self.scenario.cluster.unit_chips) as f64 * e.capex_per_chip_usd[t.generation.index()];
            self.money.capex_this_month += capex;
            if serves_to_term_end {
                self.money.residual_usd += capex * e.book_value_fraction(term_end - now);
            }
        }
        self.restart_failure_clock();
        self.cohort_arrives(now, i);
        self.dispatch(now);
    }

    pub(super) fn tranche_retires(&mut self, now: SimTime, i: u32) {
        let t = &self.scenario.cluster.tranches[i as usize];
        let (g, mut left) = (t.generation, t.units);
        let retire = |pool: &mut Pool, class: Class, left: &mut u64| {
            let k = (*left).min(pool[class]);
            pool.retire(class, k);
            *left -= k;
            k
        };
        retire(&mut self.cluster[g], Class::Idle, &mut left);
        while left > 0 && self.cluster[g][Class::Research] > 0 {
            self.preempt_youngest_research(now, g);
            retire(&mut self.cluster[g], Class::Idle, &mut left);
        }
        let pool = &mut self.cluster[g];
        retire(pool, Class::Inference, &mut left);
        retire(pool, Class::Remarketed, &mut left);
        pool.retired_while_down += retire(pool, Class::Down, &mut left);
        while left > 0 {
            let run = self
                .run_ids()
                .find(|&r| self.training[r].generation == Some(g) && self.training[r].held > 0)
                .expect("retiring units must be held by some training run");
            left -= self.migrate_run(now, run, left);
        }
        debug_assert!(self.cluster[g].is_consistent());
        self.restart_failure_clock();
        self.cohort_retires(i);
        self.dispatch(now);
    }

    /// Units `limit` lets a class take in generation `g` on top of `held`.
    pub(super) fn claimable(&self, g: Gen, limit: Limit, held_by_class: u64) -> u64 {
        policy::reachable(&self.cluster[g], limit, held_by_class) - held_by_class
    }

    /// Frees `n` units from other classes as `limit` allows (idle first,
    /// then the youngest research jobs, then inference) and returns how many
    /// are now idle for the caller, at most `n`.
    pub(super) fn free_up(&mut self, now: SimTime, g: Gen, n: u64, limit: Limit) -> u64 {
        while self.cluster[g][Class::Idle] < n && limit.preempt_research && self.cluster[g][Class::Research] > 0 {
            self.preempt_youngest_research(now, g);
        }
        let pool = &mut self.cluster[g];
        if pool[Class::Idle] < n && limit.shrink_inference {
            let k = (n - pool[Class::Idle]).min(pool[Class::Inference]);
            pool.transfer(Class::Inference, Class::Idle, k);
        }
        n.min(pool[Class::Idle])
    }
}
