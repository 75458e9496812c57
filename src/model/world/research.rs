//! Research jobs in the world: Poisson arrivals (or an elastic backlog),
//! FIFO starts on idle units under the headcount cap, jobs giving up after
//! their patience, preemption (youngest first, or the victim of a failure)
//! and release. The jobs' own state lives in `model::research`.

use super::domains::Outage;
use super::*;

impl World<'_> {
    /// A research job on generation `g` chosen with probability proportional
    /// to its units (rejection sampling: uniform job, accepted with
    /// probability units / bound), i.e. the owner of a uniform unit. The
    /// bound is the largest job size allowed, but no more than the units the
    /// generation will ever have (no job on it can be larger): a huge
    /// `research.max_chips` must not make each draw take thousands of tries.
    /// Drawn from `outage`'s victims stream ([`Streams::victims_of`]).
    pub(super) fn research_victim(&mut self, g: Gen, outage: Outage) -> u32 {
        let max_units = self.scenario.research.as_ref().map_or(1, |r| r.max_units);
        let max_units = max_units.min(self.scenario.cluster.generation_units(g)).max(1);
        let n = self.research.running(g);
        loop {
            let slot = self
                .research
                .running_at(g, self.streams.victims_of(outage).random_range(0..n));
            let units = self.research.job(slot).units;
            if units >= max_units || self.streams.victims_of(outage).random_range(0..max_units) < units {
                return slot;
            }
        }
    }

    pub(super) fn preempt_youngest_research(&mut self, now: SimTime, g: Gen) {
        let slot = self.research.youngest(g).expect("pool has research units");
        self.preempt_research(now, slot);
    }

    /// Preempts a running research job: its units go idle, its work since
    /// start is lost, and it returns to the head of the queue.
    pub(super) fn preempt_research(&mut self, now: SimTime, slot: u32) {
        let (g, units, elapsed) = self.research.preempt(slot, now);
        // Work up to the last completed checkpoint is kept; the rest is lost.
        let interval = self
            .scenario
            .research
            .as_ref()
            .and_then(|r| r.checkpoint_interval)
            .unwrap_or(Span(u64::MAX));
        let saved = interval * (elapsed / interval);
        let chips = self.chips(units);
        self.books.totals.research_useful += chip_seconds(chips, saved);
        self.books.totals.research_lost += chip_seconds(chips, elapsed - saved);
        if saved > Span::ZERO {
            let done = (saved.secs() as f64 * self.cluster.speed(g)).floor() as u64;
            self.research.keep_progress(slot, Span(done));
        }
        self.counters.counts.research_preemptions += 1;
        self.release_research(g, units);
    }

    pub(super) fn release_research(&mut self, g: Gen, units: u64) {
        self.cluster[g].transfer(Class::Research, Class::Idle, units);
    }

    /// Draws the next arrival of the non-homogeneous Poisson process with
    /// rate λ(t) = λ₀·e^{gt} by inverting its integrated rate.
    pub(super) fn schedule_research_arrival(&mut self) {
        let Some(spec) = self.scenario.research.as_ref() else {
            return;
        };
        if spec.arrival_rate <= 0.0 {
            return;
        }
        let now = self.queue.now().secs() as f64;
        let e: f64 = Exp1.sample(&mut self.streams.research);
        let (l0, g) = (spec.arrival_rate, spec.arrival_log_growth);
        let next = if g.abs() < 1e-300 {
            now + e / l0
        } else {
            let arg = (g * now).exp() + g * e / l0;
            if arg <= 0.0 {
                return; // a decaying rate whose remaining mass is spent
            }
            arg.ln() / g
        };
        if next < self.scenario.contract.term.secs() as f64 {
            self.queue
                .schedule(SimTime(seconds_from_f64(next)), Event::ResearchArrives);
        }
    }

    pub(super) fn research_arrives(&mut self, now: SimTime) {
        assert!(
            self.scenario.research.is_some(),
            "research arrivals need a research spec"
        );
        self.research.arrive(now);
        self.counters.counts.research_arrived += 1;
        self.schedule_research_arrival();
        self.dispatch(now);
    }

    /// Starts queued research jobs in FIFO order on idle units, fastest
    /// generation first, while the research running stays within the
    /// elastic cap (if any); the head job blocks the queue until it fits.
    /// A job that never started and whose patience ran out leaves; a
    /// blocked head gets a timer for its deadline.
    pub(super) fn start_research(&mut self, now: SimTime) {
        let Some(spec) = self.scenario.research.as_ref() else {
            return;
        };
        let (stream, unit_chips) = (&mut self.streams.research_jobs, self.cluster.unit_chips as f64);
        let mut draw_job = || {
            let chips = spec.chips.sample(stream);
            let units = ((chips / unit_chips).ceil() as u64).clamp(spec.min_units, spec.max_units);
            let baseline_work = spec.duration.sample(stream).max(Span(1));
            // Drawn only with a patience, so that scenarios without one
            // draw exactly as before.
            let patience = spec.patience.as_ref().map(|p| p.sample(stream));
            Drawn {
                units,
                baseline_work,
                patience,
            }
        };
        let cap = spec.elastic.as_ref().map(|e| e.cap_units(now, self.cluster.unit_chips));
        let mut running: u64 = self.cluster.pools.iter().map(|p| p[Class::Research]).sum();
        while let Some(slot) = self.research.head(now, &mut draw_job) {
            if self.research.gave_up_by(slot, now) {
                self.research.give_up(slot);
                self.counters.counts.research_reneged += 1;
                continue;
            }
            let units = self.research.job(slot).units;
            let within_cap = cap.is_none_or(|c| running + units <= c);
            let fits = self
                .cluster
                .fastest_first
                .iter()
                .copied()
                .find(|&g| within_cap && self.cluster[g][Class::Idle] >= units);
            let Some(g) = fits else {
                if let Some(deadline) = self.research.arm_timer(slot) {
                    let token = self.research.token(slot);
                    self.queue
                        .schedule(deadline.max(now), Event::ResearchPatience { slot, token });
                }
                break;
            };
            self.research.pop_head();
            let first = self.research.job(slot).first_start.is_none();
            if first {
                let arrived = self.research.job(slot).arrived;
                metrics::record_wait(&mut self.research_waits, now - arrived);
            }
            self.research.start(slot, g, now);
            self.cluster[g].transfer(Class::Idle, Class::Research, units);
            running += units;
            let work = self.research.job(slot).baseline_work;
            let duration = Span(((work.secs() as f64 / self.cluster.speed(g)).ceil() as u64).max(1));
            let token = self.research.token(slot);
            self.queue
                .schedule_in(duration, Event::ResearchFinishes { slot, token });
        }
    }

    /// A blocked head's patience runs out: unless it started meanwhile, it
    /// gives up and the next job may start.
    pub(super) fn research_patience_ends(&mut self, now: SimTime, slot: u32, token: u32) {
        if self.research.is_waiting_unstarted(slot, token) {
            self.research.give_up(slot);
            self.counters.counts.research_reneged += 1;
            self.dispatch(now);
        }
    }
}
