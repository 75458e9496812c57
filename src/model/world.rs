//! The per-replica world: one contract term simulated event by event.
//!
//! [`World`] owns the event queue, the cluster, each workload's state, the
//! random streams and the books. Each [`Event`] has one handler. Capacity
//! moves between classes only through a few primitives (`take`,
//! `preempt_youngest_research`, `release`), and after every release or
//! arrival `World::dispatch` hands free capacity out in policy order:
//! training runs waiting for replacement units, queued training runs,
//! inference shortfall, then the research queue.

use super::cluster::{Cluster, UnitState};
use super::event::Event;
use super::inference::DemandPath;
use super::policy::{self, Limit, Policy};
use super::research::Research;
use super::training::{Checkpointing, Phase, Run, SegmentSplit};
use crate::config::Scenario;
use crate::engine::{EventQueue, SimTime, derive_seed, seconds_from_f64};
use crate::finance::Ledger;
use crate::metrics::ChipSeconds;
use crate::metrics::{
    self, Integrator, Levels, ReplicaOutcome, ReplicaRow, RunOutcome, Snapshot, Step, TrainingRunRecord, ratio,
};
use hdrhistogram::Histogram;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp1};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::VecDeque;

/// One independent random stream per stochastic component, so changing one
/// component's parameters leaves the others' draws untouched (common random
/// numbers across grid points).
#[derive(Debug, Clone)]
pub struct Streams {
    /// Delivery delays.
    pub deliveries: Xoshiro256PlusPlus,
    /// Failure times, the unit each lands on, and repair times.
    pub failures: Xoshiro256PlusPlus,
    /// Training cancellations.
    pub training: Xoshiro256PlusPlus,
    /// Inference demand path.
    pub inference: Xoshiro256PlusPlus,
    /// Research arrival times.
    pub research: Xoshiro256PlusPlus,
    /// Research job sizes and durations, drawn when a job reaches the head
    /// of the queue (see `model::research`).
    pub research_jobs: Xoshiro256PlusPlus,
    /// Which research job a failure hits. Kept apart from `failures`, whose
    /// draws must not depend on the workload (so that failure times and
    /// repairs are common random numbers across grid points).
    pub victims: Xoshiro256PlusPlus,
}

impl Streams {
    /// The streams of the replica with seed `replica_seed`.
    pub fn new(replica_seed: u64) -> Streams {
        let stream = |component: u64| Xoshiro256PlusPlus::seed_from_u64(derive_seed(replica_seed, component));
        Streams {
            deliveries: stream(1),
            failures: stream(2),
            training: stream(3),
            inference: stream(4),
            research: stream(5),
            victims: stream(6),
            research_jobs: stream(7),
        }
    }
}

/// Event counters that end up in the replica row.
#[derive(Debug, Clone, Default)]
struct Counters {
    events: u64,
    by_kind: [u64; Event::KINDS.len()],
    unit_failures: u64,
    training_interruptions: u64,
    training_cancelled: u32,
    training_infeasible: u32,
    research_arrived: u64,
    research_completed: u64,
    research_preemptions: u64,
}

/// One replica's world.
pub struct World<'s> {
    scenario: &'s Scenario,
    queue: EventQueue<Event>,
    cluster: Cluster,
    policy: Box<dyn Policy>,
    streams: Streams,
    books: Integrator,
    counters: Counters,
    series: Vec<Step>,
    /// Totals at the start of the current time-series step.
    step_start: Snapshot,
    // Capacity
    undelivered_units: u64,
    failure_epoch: u32,
    // Training
    checkpointing: Checkpointing,
    runs: Vec<Run>,
    training_queue: VecDeque<usize>,
    waiting_runs: Vec<usize>,
    training_waits: Histogram<u64>,
    // Inference
    demand_path: Option<DemandPath>,
    demand: f64,
    // Research
    research: Research,
    research_waits: Histogram<u64>,
    // Money
    ledger: Ledger,
    /// When the buyer defaulted, if it did.
    defaulted_at: Option<u64>,
    /// (time, books, inference served) at the end of the last closed month.
    month_mark: (u64, ChipSeconds, f64),
    /// Books at the end of the last whole contract year.
    year_mark: ChipSeconds,
    months_elapsed: u32,
    min_year_utilization: Option<f64>,
    seed: u64,
    replica: u32,
}

impl<'s> World<'s> {
    /// Sets up replica `replica` with seed `seed`: draws delivery delays and
    /// schedules the first event of every process.
    pub fn new(scenario: &'s Scenario, replica: u32, seed: u64) -> World<'s> {
        let cl = &scenario.cluster;
        let mut streams = Streams::new(seed);
        let term = scenario.contract.term;
        let mut queue = EventQueue::new();
        for (i, t) in cl.tranches.iter().enumerate() {
            let delay = seconds_from_f64(t.delay_months.sample(&mut streams.deliveries) * SimTime::MONTH as f64);
            queue.schedule(SimTime(t.planned), Event::TranchePlanned { tranche: i });
            let arrival = t.planned.saturating_add(delay);
            if arrival < term {
                queue.schedule(SimTime(arrival), Event::TrancheArrives { tranche: i });
            }
        }
        let runs: Vec<Run> = scenario
            .training
            .iter()
            .flat_map(|t| &t.runs)
            .map(|r| Run::planned(r.units, r.baseline_work, r.ready))
            .collect();
        for (i, r) in runs.iter().enumerate() {
            queue.schedule(SimTime(r.ready), Event::TrainingArrives { run: i });
        }
        let demand_path = scenario
            .inference
            .as_ref()
            .map(|spec| DemandPath::new(spec, term, &mut streams.inference));
        if demand_path.is_some() {
            queue.schedule(SimTime::ZERO, Event::InferenceStep);
        }
        let step = scenario.timeseries_step;
        for k in 1..term.div_ceil(step) {
            queue.schedule(SimTime(k * step), Event::Sample);
        }
        for k in 1..=term.div_ceil(SimTime::MONTH) {
            queue.schedule(SimTime((k * SimTime::MONTH).min(term)), Event::MonthEnd);
        }
        queue.schedule(SimTime(term), Event::EndOfTerm);
        let checkpointing = scenario
            .training
            .as_ref()
            .map(|t| Checkpointing {
                interval: t.checkpoint_interval,
                cost: t.checkpoint_cost,
                restart: t.restart_overhead,
            })
            .unwrap_or(Checkpointing {
                interval: 1,
                cost: 0,
                restart: 0,
            });
        let mut world = World {
            scenario,
            queue,
            cluster: Cluster::new(cl.generations.iter().map(|g| g.speed).collect(), cl.unit_chips),
            policy: policy::build(scenario.policy),
            streams,
            books: Integrator::default(),
            counters: Counters::default(),
            // One step per Sample event plus the last, ending with the term.
            series: Vec::with_capacity(term.div_ceil(scenario.timeseries_step) as usize),
            step_start: Snapshot::default(),
            undelivered_units: 0,
            failure_epoch: 0,
            checkpointing,
            runs,
            training_queue: VecDeque::new(),
            waiting_runs: Vec::new(),
            training_waits: metrics::wait_histogram(),
            demand_path,
            demand: 0.0,
            research: Research::new(cl.generations.len()),
            research_waits: metrics::wait_histogram(),
            ledger: match &scenario.buyer {
                Some(b) => Ledger::new(
                    scenario.contract.payments.clone(),
                    b.initial_funding_usd,
                    b.credit_line_usd,
                ),
                // No buyer model: funded with exactly the commitment, it always pays.
                None => Ledger::new(scenario.contract.payments.clone(), scenario.contract.committed_usd, 0.0),
            },
            defaulted_at: None,
            month_mark: (0, ChipSeconds::default(), 0.0),
            year_mark: ChipSeconds::default(),
            months_elapsed: 0,
            min_year_utilization: None,
            seed,
            replica,
        };
        world.schedule_research_arrival();
        world
    }

    /// Schedules an extra event, e.g. a [`Event::ForcedFailure`] at a known
    /// time or a [`Event::ResearchArrives`]; for tests and what-if studies.
    pub fn inject(&mut self, time: SimTime, event: Event) {
        self.queue.schedule(time, event);
    }

    /// Runs the replica to the end of the term and reports.
    pub fn run(mut self) -> ReplicaOutcome {
        while let Some((time, event)) = self.queue.pop() {
            let now = time.secs();
            self.books.advance(now, &self.levels());
            self.counters.events += 1;
            self.counters.by_kind[event.kind()] += 1;
            if self.handle(now, event) {
                break;
            }
        }
        self.finish()
    }

    /// Handles one event; returns true at the end of the term.
    fn handle(&mut self, now: u64, event: Event) -> bool {
        match event {
            Event::TranchePlanned { tranche } => {
                self.undelivered_units += self.scenario.cluster.tranches[tranche].units;
            }
            Event::TrancheArrives { tranche } => self.tranche_arrives(now, tranche),
            Event::TrancheRetires { tranche } => self.tranche_retires(now, tranche),
            Event::FailureCandidate { epoch } => {
                if epoch == self.failure_epoch {
                    self.failure_candidate(now);
                }
            }
            Event::ForcedFailure => self.forced_failure(now),
            Event::UnitRepaired { generation } => {
                let pool = &mut self.cluster.pools[generation];
                if pool.retired_while_down > 0 {
                    pool.retired_while_down -= 1;
                } else {
                    pool.down -= 1;
                    pool.idle += 1;
                    self.dispatch(now);
                }
            }
            Event::TrainingArrives { run } if self.defaulted_at.is_some() => {
                self.runs[run].phase = Phase::Abandoned;
            }
            Event::TrainingArrives { run } if !self.could_ever_start(self.runs[run].units) => {
                self.runs[run].phase = Phase::Infeasible;
                self.counters.training_infeasible += 1;
            }
            Event::TrainingArrives { run } => {
                let p = self
                    .scenario
                    .training
                    .as_ref()
                    .map_or(0.0, |t| t.runs[run].cancel_probability);
                if self.streams.training.random::<f64>() < p {
                    self.runs[run].phase = Phase::Cancelled;
                    self.counters.training_cancelled += 1;
                } else {
                    self.runs[run].phase = Phase::Queued;
                    self.training_queue.push_back(run);
                    self.dispatch(now);
                }
            }
            Event::TrainingPhaseEnds { run, token } => {
                if self.runs[run].token == token {
                    match self.runs[run].phase {
                        Phase::Restarting => self.begin_computing(now, run),
                        Phase::Computing => self.complete_run(now, run),
                        other => unreachable!("phase end in phase {other:?}"),
                    }
                }
            }
            Event::InferenceStep => self.inference_step(now),
            Event::ResearchArrives if self.defaulted_at.is_some() => {}
            Event::ResearchArrives => self.research_arrives(now),
            Event::ResearchFinishes { slot, token } => {
                if self.research.is_current(slot, token) {
                    let (g, job) = self.research.finish(slot);
                    self.books.totals.research_useful += self.chips(job.units) as u128 * (now - job.started) as u128;
                    self.counters.research_completed += 1;
                    self.release_research(g, job.units);
                    self.dispatch(now);
                }
            }
            Event::MonthEnd => self.month_end(now),
            Event::Sample => self.snapshot(now),
            Event::EndOfTerm => return true,
        }
        false
    }

    fn chips(&self, units: u64) -> u64 {
        units * self.cluster.unit_chips
    }

    /// Chips by state now, the integrands of the allocation book.
    fn levels(&self) -> Levels {
        let mut l = Levels {
            undelivered: self.chips(self.undelivered_units),
            demand: self.demand,
            ..Levels::default()
        };
        let mut capacity = 0.0;
        for (g, p) in self.cluster.pools.iter().enumerate() {
            l.delivered += p.delivered;
            l.down += p.down;
            l.idle += p.idle;
            l.training += p.training;
            l.inference += p.inference;
            l.research += p.research;
            l.remarketed += p.remarketed;
            capacity += self.chips(p.inference) as f64 * self.cluster.speeds[g];
        }
        let c = self.cluster.unit_chips;
        for x in [
            &mut l.delivered,
            &mut l.down,
            &mut l.idle,
            &mut l.training,
            &mut l.inference,
            &mut l.research,
            &mut l.remarketed,
        ] {
            *x *= c;
        }
        l.served = capacity.min(self.demand);
        l
    }

    /// Ends a time-series step at `now`.
    fn snapshot(&mut self, now: u64) {
        let snapshot = Snapshot {
            time: now,
            totals: self.books.totals,
            demand: self.books.demand,
            served: self.books.served,
        };
        self.series.push(Step::between(&self.step_start, &snapshot));
        self.step_start = snapshot;
    }

    // ---- capacity -------------------------------------------------------

    fn tranche_arrives(&mut self, now: u64, i: usize) {
        // Its TranchePlanned event came first (scheduled earlier, at the
        // same or an earlier time), so its units are counted as undelivered.
        let t = &self.scenario.cluster.tranches[i];
        self.undelivered_units -= t.units;
        let pool = &mut self.cluster.pools[t.generation];
        pool.delivered += t.units;
        pool.idle += t.units;
        if let Some(life) = self.scenario.cluster.generations[t.generation].service_life {
            let end = now.saturating_add(life);
            if end < self.scenario.contract.term {
                self.queue.schedule(SimTime(end), Event::TrancheRetires { tranche: i });
            }
        }
        self.restart_failure_clock();
        self.dispatch(now);
    }

    fn tranche_retires(&mut self, now: u64, i: usize) {
        let t = &self.scenario.cluster.tranches[i];
        let (g, mut left) = (t.generation, t.units);
        let from_idle = left.min(self.cluster.pools[g].idle);
        self.cluster.pools[g].idle -= from_idle;
        left -= from_idle;
        while left > 0 && self.cluster.pools[g].research > 0 {
            self.preempt_youngest_research(now, g);
            let k = left.min(self.cluster.pools[g].idle);
            self.cluster.pools[g].idle -= k;
            left -= k;
        }
        let pool = &mut self.cluster.pools[g];
        let from_inference = left.min(pool.inference);
        pool.inference -= from_inference;
        left -= from_inference;
        let from_remarketed = left.min(pool.remarketed);
        pool.remarketed -= from_remarketed;
        left -= from_remarketed;
        let from_down = left.min(pool.down);
        pool.down -= from_down;
        pool.retired_while_down += from_down;
        left -= from_down;
        while left > 0 {
            let run = (0..self.runs.len())
                .find(|&r| self.runs[r].generation == Some(g) && self.runs[r].held > 0)
                .expect("retiring units must be held by some training run");
            left -= self.migrate_run(now, run, left);
        }
        self.cluster.pools[g].delivered -= t.units;
        debug_assert!(self.cluster.pools[g].is_consistent());
        self.restart_failure_clock();
        self.dispatch(now);
    }

    /// Failures are one superposed Poisson process over all delivered units,
    /// thinned: candidates come at rate (delivered units × unit failure
    /// rate) and one landing on a unit already down does nothing. The rate
    /// bound changes only with deliveries and retirements, which redraw the
    /// clock (exact, as exponential gaps are memoryless).
    fn restart_failure_clock(&mut self) {
        self.failure_epoch = self.failure_epoch.wrapping_add(1);
        self.schedule_failure_candidate();
    }

    fn schedule_failure_candidate(&mut self) {
        let rate = self.cluster.delivered() as f64 * self.scenario.cluster.unit_failure_rate;
        if rate > 0.0 {
            let gap: f64 = Exp1.sample(&mut self.streams.failures);
            let epoch = self.failure_epoch;
            self.queue
                .schedule_in(seconds_from_f64(gap / rate), Event::FailureCandidate { epoch });
        }
    }

    fn failure_candidate(&mut self, now: u64) {
        self.schedule_failure_candidate();
        let index = self.streams.failures.random_range(0..self.cluster.delivered());
        self.fail_unit(now, index);
    }

    /// A failure on a uniformly chosen up unit at a fixed time.
    fn forced_failure(&mut self, now: u64) {
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
                self.fail_unit(now, offset + p.down + index);
                return;
            }
            index -= p.up();
            offset += p.delivered;
        }
    }

    /// The unit at `index` (see [`Cluster::locate`]) fails, unless it is
    /// already down.
    fn fail_unit(&mut self, now: u64, index: u64) {
        let (g, state) = self.cluster.locate(index);
        match state {
            UnitState::Down => return,
            UnitState::Idle => {
                self.cluster.pools[g].idle -= 1;
                self.cluster.pools[g].down += 1;
            }
            UnitState::Inference => {
                self.cluster.pools[g].inference -= 1;
                self.cluster.pools[g].down += 1;
            }
            UnitState::Remarketed => {
                self.cluster.pools[g].remarketed -= 1;
                self.cluster.pools[g].down += 1;
            }
            UnitState::Training { mut offset } => {
                let run = (0..self.runs.len())
                    .find(|&r| {
                        let run = &self.runs[r];
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
                self.counters.training_interruptions += 1;
                self.interrupt_run(now, run);
            }
            UnitState::Research => {
                let slot = self.research_victim(g);
                let units = self.research.job(slot).units;
                self.preempt_research(now, slot);
                let pool = &mut self.cluster.pools[g];
                pool.idle -= 1;
                pool.down += 1;
                debug_assert!(units >= 1);
            }
        }
        self.counters.unit_failures += 1;
        let repair = self.scenario.cluster.repair_hours.sample(&mut self.streams.failures);
        self.queue.schedule_in(
            seconds_from_f64(repair * SimTime::HOUR as f64),
            Event::UnitRepaired { generation: g },
        );
        self.dispatch(now);
    }

    /// A research job on generation `g` chosen with probability proportional
    /// to its units (rejection sampling: uniform job, accepted with
    /// probability units / max units), i.e. the owner of a uniform unit.
    fn research_victim(&mut self, g: usize) -> u32 {
        let max_units = self.scenario.research.as_ref().map_or(1, |r| r.max_units).max(1);
        let n = self.research.running(g);
        loop {
            let slot = self.research.running_at(g, self.streams.victims.random_range(0..n));
            let units = self.research.job(slot).units;
            if units >= max_units || self.streams.victims.random_range(0..max_units) < units {
                return slot;
            }
        }
    }

    // ---- moving capacity ------------------------------------------------

    /// Units `limit` lets a class take in generation `g` on top of `held`.
    fn claimable(&self, g: usize, limit: Limit, held_by_class: u64) -> u64 {
        policy::reachable(&self.cluster.pools[g], limit, held_by_class) - held_by_class
    }

    /// Frees `n` units from other classes as `limit` allows (idle first,
    /// then the youngest research jobs, then inference) and returns how many
    /// are now idle for the caller, at most `n`.
    fn free_up(&mut self, now: u64, g: usize, n: u64, limit: Limit) -> u64 {
        while self.cluster.pools[g].idle < n && limit.preempt_research && self.cluster.pools[g].research > 0 {
            self.preempt_youngest_research(now, g);
        }
        let pool = &mut self.cluster.pools[g];
        if pool.idle < n && limit.shrink_inference {
            let k = (n - pool.idle).min(pool.inference);
            pool.inference -= k;
            pool.idle += k;
        }
        n.min(pool.idle)
    }

    fn preempt_youngest_research(&mut self, now: u64, g: usize) {
        let slot = self.research.youngest(g).expect("pool has research units");
        self.preempt_research(now, slot);
    }

    /// Preempts a running research job: its units go idle, its work since
    /// start is lost, and it returns to the head of the queue.
    fn preempt_research(&mut self, now: u64, slot: u32) {
        let (g, units, elapsed) = self.research.preempt(slot, now);
        // Work up to the last completed checkpoint is kept; the rest is lost.
        let interval = self
            .scenario
            .research
            .as_ref()
            .and_then(|r| r.checkpoint_interval)
            .unwrap_or(u64::MAX);
        let saved = elapsed / interval * interval;
        let chips = self.chips(units) as u128;
        self.books.totals.research_useful += chips * saved as u128;
        self.books.totals.research_lost += chips * (elapsed - saved) as u128;
        if saved > 0 {
            let done = (saved as f64 * self.cluster.speeds[g]).floor() as u64;
            self.research.keep_progress(slot, done);
        }
        self.counters.research_preemptions += 1;
        self.release_research(g, units);
    }

    fn release_research(&mut self, g: usize, units: u64) {
        let pool = &mut self.cluster.pools[g];
        pool.research -= units;
        pool.idle += units;
    }

    // ---- scheduling -----------------------------------------------------

    /// Hands free capacity out in policy order after any change.
    fn dispatch(&mut self, now: u64) {
        if self.defaulted_at.is_some() {
            self.remarket_idle();
            return;
        }
        self.resume_waiting_runs(now);
        self.start_queued_runs(now);
        self.fill_inference_from_idle();
        self.start_research(now);
        debug_assert!(self.cluster.pools.iter().all(|p| p.is_consistent()));
    }

    fn resume_waiting_runs(&mut self, now: u64) {
        let mut i = 0;
        while i < self.waiting_runs.len() {
            let r = self.waiting_runs[i];
            let g = self.runs[r].generation.expect("waiting run has a generation");
            let missing = self.runs[r].missing();
            let limit = self.policy.training(&self.cluster.pools[g]);
            if self.claimable(g, limit, self.cluster.pools[g].training) >= missing {
                self.waiting_runs.remove(i);
                self.close_phase(now, r, false);
                self.give_training_units(now, g, r, missing, limit);
                self.begin_restart(now, r);
            } else {
                i += 1;
            }
        }
    }

    fn give_training_units(&mut self, now: u64, g: usize, r: usize, n: u64, limit: Limit) {
        let got = self.free_up(now, g, n, limit);
        debug_assert_eq!(got, n);
        let pool = &mut self.cluster.pools[g];
        pool.idle -= got;
        pool.training += got;
        self.runs[r].held += got;
    }

    /// Whether a gang of `units` could start on some generation if every
    /// tranche of it were delivered, up and idle (under the policy's limit).
    /// A run that never could is set aside instead of blocking the queue.
    fn could_ever_start(&self, units: u64) -> bool {
        let cl = &self.scenario.cluster;
        (0..cl.generations.len()).any(|g| {
            let total: u64 = cl.tranches.iter().filter(|t| t.generation == g).map(|t| t.units).sum();
            let pool = super::cluster::Pool {
                delivered: total,
                idle: total,
                ..Default::default()
            };
            policy::reachable(&pool, self.policy.training(&pool), 0) >= units
        })
    }

    /// Starts queued runs in FIFO order, each on the fastest generation
    /// whose policy limit has room for the whole gang.
    fn start_queued_runs(&mut self, now: u64) {
        while let Some(&r) = self.training_queue.front() {
            let units = self.runs[r].units;
            let fits = self.cluster.fastest_first.iter().copied().find(|&g| {
                let limit = self.policy.training(&self.cluster.pools[g]);
                self.claimable(g, limit, self.cluster.pools[g].training) >= units
            });
            let Some(g) = fits else { break };
            self.training_queue.pop_front();
            let limit = self.policy.training(&self.cluster.pools[g]);
            self.give_training_units(now, g, r, units, limit);
            let run = &mut self.runs[r];
            run.generation = Some(g);
            run.last_generation = Some(g);
            run.work = ((run.baseline_work as f64 / self.cluster.speeds[g]).ceil() as u64).max(1);
            if run.started.is_none() {
                run.started = Some(now);
                metrics::record_wait(&mut self.training_waits, now - run.ready);
            }
            self.begin_computing(now, r);
        }
    }

    fn begin_restart(&mut self, now: u64, r: usize) {
        let run = &mut self.runs[r];
        run.phase = Phase::Restarting;
        run.phase_start = now;
        let token = run.token;
        self.queue
            .schedule_in(self.checkpointing.restart, Event::TrainingPhaseEnds { run: r, token });
    }

    fn begin_computing(&mut self, now: u64, r: usize) {
        self.close_phase(now, r, false);
        let run = &mut self.runs[r];
        run.phase = Phase::Computing;
        run.phase_start = now;
        let length = self.checkpointing.segment_length(run.work - run.saved);
        let token = run.token;
        self.queue
            .schedule_in(length, Event::TrainingPhaseEnds { run: r, token });
    }

    /// Adds the run's current phase, up to `now`, to the class book.
    /// `interrupted` says whether a compute segment ends by failure (its
    /// unsaved work is rework) or otherwise (the term ends: work counts).
    fn close_phase(&mut self, now: u64, r: usize, interrupted: bool) {
        let cp = self.checkpointing;
        let chips = self.chips(self.runs[r].held) as u128;
        let run = &mut self.runs[r];
        let elapsed = now - run.phase_start;
        let split = match run.phase {
            Phase::Computing if interrupted => cp.interrupted(run.work - run.saved, elapsed),
            Phase::Computing => cp.truncated(run.work - run.saved, elapsed),
            Phase::Restarting | Phase::WaitingForUnits => SegmentSplit {
                overhead: elapsed,
                ..SegmentSplit::default()
            },
            _ => SegmentSplit::default(),
        };
        if interrupted {
            run.saved += split.useful;
        }
        run.phase_start = now;
        let t = &mut self.books.totals;
        t.training_useful += chips * split.useful as u128;
        t.training_rework += chips * split.rework as u128;
        t.training_overhead += chips * split.overhead as u128;
    }

    /// A unit of run `r` fails: the run rolls back to its last checkpoint
    /// and restarts on a replacement unit, or waits for one holding the rest.
    fn interrupt_run(&mut self, now: u64, r: usize) {
        self.close_phase(now, r, true);
        let g = self.runs[r].generation.expect("running run has a generation");
        let pool = &mut self.cluster.pools[g];
        pool.training -= 1;
        pool.down += 1;
        let run = &mut self.runs[r];
        run.held -= 1;
        run.token = run.token.wrapping_add(1);
        run.interruptions += 1;
        let missing = run.missing();
        let limit = self.policy.training(&self.cluster.pools[g]);
        if run.phase != Phase::WaitingForUnits && self.claimable(g, limit, self.cluster.pools[g].training) >= missing {
            self.give_training_units(now, g, r, missing, limit);
            self.begin_restart(now, r);
        } else if self.runs[r].phase != Phase::WaitingForUnits {
            self.runs[r].phase = Phase::WaitingForUnits;
            self.waiting_runs.push(r);
        }
    }

    /// Run `r`'s generation retires under it: up to `retiring` of its units
    /// leave the cluster, the rest go idle, and the run — rolled back to its
    /// last checkpoint — returns to the head of the training queue to start
    /// again on whichever generation has room, keeping its checkpointed
    /// progress (converted to baseline work). Returns the units retired.
    fn migrate_run(&mut self, now: u64, r: usize, retiring: u64) -> u64 {
        self.close_phase(now, r, true);
        let g = self.runs[r].generation.expect("running run has a generation");
        let speed = self.cluster.speeds[g];
        let run = &mut self.runs[r];
        let retired = retiring.min(run.held);
        let pool = &mut self.cluster.pools[g];
        pool.training -= run.held;
        pool.idle += run.held - retired;
        run.held = 0;
        run.compute_done += run.saved;
        run.baseline_work = ((run.work - run.saved) as f64 * speed).ceil() as u64;
        run.work = 0;
        run.saved = 0;
        run.generation = None;
        run.phase = Phase::Queued;
        run.token = run.token.wrapping_add(1);
        self.waiting_runs.retain(|&w| w != r);
        self.training_queue.push_front(r);
        retired
    }

    fn complete_run(&mut self, now: u64, r: usize) {
        let cp = self.checkpointing;
        let chips = self.chips(self.runs[r].held) as u128;
        let run = &mut self.runs[r];
        let split = cp.completed(run.work - run.saved);
        debug_assert_eq!(now - run.phase_start, cp.segment_length(run.work - run.saved));
        run.saved = run.work;
        run.compute_done += run.work;
        run.phase = Phase::Done;
        run.finished = Some(now);
        let (g, held) = (run.generation.expect("running run"), run.held);
        run.held = 0;
        let t = &mut self.books.totals;
        t.training_useful += chips * split.useful as u128;
        t.training_overhead += chips * split.overhead as u128;
        let pool = &mut self.cluster.pools[g];
        pool.training -= held;
        pool.idle += held;
        self.dispatch(now);
    }

    // ---- inference ------------------------------------------------------

    fn inference_step(&mut self, now: u64) {
        let Some(path) = self.demand_path.as_mut() else {
            return;
        };
        if self.defaulted_at.is_some() {
            return;
        }
        self.demand = path.advance(now, &mut self.streams.inference);
        // Re-grant from scratch: hand everything back, then claim fastest
        // generations first, idle units before preempting research.
        for p in &mut self.cluster.pools {
            p.idle += p.inference;
            p.inference = 0;
        }
        let mut remaining = self.demand;
        for preempt in [false, true] {
            for i in 0..self.cluster.fastest_first.len() {
                if remaining <= 0.0 {
                    break;
                }
                let g = self.cluster.fastest_first[i];
                remaining -= self.grant_inference(now, g, remaining, preempt);
            }
        }
        let step = self.scenario.inference.as_ref().map_or(SimTime::HOUR, |s| s.step);
        self.queue.schedule_in(step, Event::InferenceStep);
        self.dispatch(now);
    }

    /// Grants generation `g` units towards `demand` baseline chips; returns
    /// the baseline chips granted.
    fn grant_inference(&mut self, now: u64, g: usize, demand: f64, preempt: bool) -> f64 {
        let per_unit = self.chips(1) as f64 * self.cluster.speeds[g];
        let want = (demand / per_unit).ceil() as u64;
        let mut limit = self.policy.inference(&self.cluster.pools[g]);
        limit.preempt_research &= preempt;
        let held = self.cluster.pools[g].inference;
        let k = want.min(self.claimable(g, limit, held));
        let got = self.free_up(now, g, k, limit);
        let pool = &mut self.cluster.pools[g];
        pool.idle -= got;
        pool.inference += got;
        got as f64 * per_unit
    }

    /// Between demand steps, inference takes idle units (no preemption)
    /// towards unmet demand, e.g. to replace a failed unit.
    fn fill_inference_from_idle(&mut self) {
        if self.demand_path.is_none() {
            return;
        }
        let served: f64 = (0..self.cluster.pools.len())
            .map(|g| self.chips(self.cluster.pools[g].inference) as f64 * self.cluster.speeds[g])
            .sum();
        let mut remaining = self.demand - served;
        for i in 0..self.cluster.fastest_first.len() {
            if remaining <= 0.0 {
                break;
            }
            let g = self.cluster.fastest_first[i];
            let per_unit = self.chips(1) as f64 * self.cluster.speeds[g];
            let limit = self.policy.inference(&self.cluster.pools[g]);
            let pool = &self.cluster.pools[g];
            let room = limit.max_units.saturating_sub(pool.inference);
            let k = ((remaining / per_unit).ceil() as u64).min(pool.idle).min(room);
            let pool = &mut self.cluster.pools[g];
            pool.idle -= k;
            pool.inference += k;
            remaining -= k as f64 * per_unit;
        }
    }

    // ---- research -------------------------------------------------------

    /// Draws the next arrival of the non-homogeneous Poisson process with
    /// rate λ(t) = λ₀·e^{gt} by inverting its integrated rate.
    fn schedule_research_arrival(&mut self) {
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
        if next < self.scenario.contract.term as f64 {
            self.queue
                .schedule(SimTime(seconds_from_f64(next)), Event::ResearchArrives);
        }
    }

    fn research_arrives(&mut self, now: u64) {
        assert!(
            self.scenario.research.is_some(),
            "research arrivals need a research spec"
        );
        self.research.arrive(now);
        self.counters.research_arrived += 1;
        self.schedule_research_arrival();
        self.dispatch(now);
    }

    /// Starts queued research jobs in FIFO order on idle units, fastest
    /// generation first; the head job blocks the queue until it fits.
    fn start_research(&mut self, now: u64) {
        let Some(spec) = self.scenario.research.as_ref() else {
            return;
        };
        let (stream, unit_chips) = (&mut self.streams.research_jobs, self.cluster.unit_chips as f64);
        let mut draw_job = || {
            let chips = spec.chips.sample(stream);
            let units = ((chips / unit_chips).ceil() as u64).clamp(spec.min_units, spec.max_units);
            let hours = spec.duration_hours.sample(stream);
            (units, seconds_from_f64(hours * SimTime::HOUR as f64).max(1))
        };
        while let Some(slot) = self.research.head(&mut draw_job) {
            let units = self.research.job(slot).units;
            let Some(g) = self
                .cluster
                .fastest_first
                .iter()
                .copied()
                .find(|&g| self.cluster.pools[g].idle >= units)
            else {
                break;
            };
            self.research.pop_head();
            let first = self.research.job(slot).first_start.is_none();
            if first {
                let arrived = self.research.job(slot).arrived;
                metrics::record_wait(&mut self.research_waits, now - arrived);
            }
            self.research.start(slot, g, now);
            let pool = &mut self.cluster.pools[g];
            pool.idle -= units;
            pool.research += units;
            let work = self.research.job(slot).baseline_work;
            let duration = ((work as f64 / self.cluster.speeds[g]).ceil() as u64).max(1);
            let token = self.research.token(slot);
            self.queue
                .schedule_in(duration, Event::ResearchFinishes { slot, token });
        }
    }

    // ---- money ----------------------------------------------------------

    /// Closes a contract month in the buyer's ledger: revenue from the
    /// inference served in the month, other costs pro rata to the month's
    /// length, and the month's payment (less late capacity if waived).
    fn month_end(&mut self, now: u64) {
        let (start, marked, served) = self.month_mark;
        let hour = SimTime::HOUR as f64;
        let (revenue, costs) = match &self.scenario.buyer {
            Some(b) => (
                (self.books.served - served) / hour * b.revenue_per_served_chip_hour_usd,
                b.other_costs_per_month_usd * (now - start) as f64 / SimTime::MONTH as f64,
            ),
            None => (0.0, 0.0),
        };
        let contract = &self.scenario.contract;
        let waiver = if contract.waive_undelivered {
            metrics::hours(self.books.totals.undelivered - marked.undelivered) * contract.price_per_chip_hour_usd
        } else {
            0.0
        };
        if self.ledger.close_month(revenue, costs, waiver) {
            self.buyer_defaults(now);
        }
        self.month_mark = (now, self.books.totals, self.books.served);
        self.months_elapsed += 1;
        if self.months_elapsed.is_multiple_of(12) {
            let year = self.books.totals.since(&self.year_mark);
            let utilization = ratio(year.busy() as f64, year.delivered as f64);
            self.min_year_utilization = Some(self.min_year_utilization.map_or(utilization, |m| m.min(utilization)));
            self.year_mark = self.books.totals;
        }
    }

    /// The buyer stops paying: its workloads stop at once (training work
    /// since the last checkpoint is lost, research jobs are dropped, demand
    /// is no longer served) and the provider re-markets part of the capacity.
    fn buyer_defaults(&mut self, now: u64) {
        self.defaulted_at = Some(now);
        for r in 0..self.runs.len() {
            if self.runs[r].is_running() {
                self.close_phase(now, r, true);
                let (g, held) = (self.runs[r].generation.expect("running run"), self.runs[r].held);
                let pool = &mut self.cluster.pools[g];
                pool.training -= held;
                pool.idle += held;
                self.runs[r].held = 0;
            }
            let run = &mut self.runs[r];
            if matches!(
                run.phase,
                Phase::Queued | Phase::Restarting | Phase::Computing | Phase::WaitingForUnits
            ) {
                run.phase = Phase::Abandoned;
                run.token = run.token.wrapping_add(1);
            }
        }
        self.training_queue.clear();
        self.waiting_runs.clear();
        let running: Vec<u32> = self.research.all_running().collect();
        for slot in running {
            self.preempt_research(now, slot);
        }
        self.research.drop_waiting();
        self.demand = 0.0;
        for p in &mut self.cluster.pools {
            p.idle += p.inference;
            p.inference = 0;
        }
        self.remarket_idle();
    }

    /// After a default, keeps `remarket_fraction` of each generation's up
    /// units re-marketed, taking idle units (e.g. repaired ones).
    fn remarket_idle(&mut self) {
        let fraction = self.scenario.provider.remarket_fraction;
        for p in &mut self.cluster.pools {
            let target = (fraction * p.up() as f64).floor() as u64;
            let k = target.saturating_sub(p.remarketed).min(p.idle);
            p.idle -= k;
            p.remarketed += k;
        }
    }

    // ---- end of term ----------------------------------------------------

    fn finish(mut self) -> ReplicaOutcome {
        let now = self.scenario.contract.term;
        for r in 0..self.runs.len() {
            if self.runs[r].is_running() {
                self.close_phase(now, r, false);
            }
        }
        let running: Vec<u32> = self.research.all_running().collect();
        for slot in running {
            let job = self.research.job(slot);
            self.books.totals.research_useful += self.chips(job.units) as u128 * (now - job.started) as u128;
        }
        self.snapshot(now);
        let row = self.row();
        let training_runs = self.run_records();
        ReplicaOutcome {
            row,
            series: self.series,
            waits: Some(metrics::Waits {
                research: self.research_waits,
                training: self.training_waits,
            }),
            chip_seconds: self.books.totals,
            ledger: self.ledger,
            events_by_kind: self.counters.by_kind.to_vec(),
            training_runs,
        }
    }

    /// One record per training run, at the end of the term.
    fn run_records(&self) -> Vec<TrainingRunRecord> {
        let month = |s: u64| s as f64 / SimTime::MONTH as f64;
        self.runs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                // Failure-free compute: what earlier generations did (and,
                // once done, the last), plus what is left — on its current
                // generation, or at baseline speed while it is not on one.
                let failure_free = match (r.phase, r.generation) {
                    (Phase::Done, _) => r.compute_done,
                    (_, Some(_)) => r.compute_done + r.work,
                    (_, None) => r.compute_done + r.baseline_work,
                };
                let outcome = match r.phase {
                    Phase::Done => RunOutcome::Completed,
                    Phase::Restarting | Phase::Computing | Phase::WaitingForUnits => RunOutcome::RunningAtTermEnd,
                    // Ready times lie within the term, so a planned run has
                    // arrived; `Planned` cannot last to the end.
                    Phase::Queued | Phase::Planned => RunOutcome::QueuedAtTermEnd,
                    Phase::Cancelled => RunOutcome::Cancelled,
                    Phase::Infeasible => RunOutcome::Infeasible,
                    Phase::Abandoned => RunOutcome::AbandonedAtDefault,
                };
                TrainingRunRecord {
                    run: i as u32,
                    chips: self.chips(r.units),
                    generation: r
                        .last_generation
                        .map(|g| self.scenario.cluster.generations[g].name.clone())
                        .unwrap_or_default(),
                    ready_month: month(r.ready),
                    start_month: r.started.map(month),
                    planned_finish_month: month(r.ready.saturating_add(failure_free)),
                    finish_month: r.finished.map(month),
                    interruptions: r.interruptions,
                    outcome,
                }
            })
            .collect()
    }

    fn row(&self) -> ReplicaRow {
        let t = &self.books.totals;
        let h = metrics::hours;
        let delivered = h(t.delivered);
        let completed: Vec<&Run> = self.runs.iter().filter(|r| r.finished.is_some()).collect();
        let exposure = self.ledger.exposure_at_default();
        let recovery = h(t.remarketed) * self.scenario.provider.spot_price_per_chip_hour_usd;
        let mean_delay_days = (!completed.is_empty()).then(|| {
            completed
                .iter()
                .map(|r| r.finished.unwrap_or(r.ready).saturating_sub(r.ready) as f64 - r.compute_done as f64)
                .sum::<f64>()
                / SimTime::DAY as f64
                / completed.len() as f64
        });
        let demand = self.books.demand / SimTime::HOUR as f64;
        let served = self.books.served / SimTime::HOUR as f64;
        let w = &self.research_waits;
        let wait_hours = |q: f64| {
            if w.is_empty() {
                0.0
            } else {
                w.value_at_quantile(q) as f64 / SimTime::HOUR as f64
            }
        };
        ReplicaRow {
            replica: self.replica,
            seed: self.seed,
            events: self.counters.events,
            delivered_chip_hours: delivered,
            undelivered_chip_hours: h(t.undelivered),
            busy_chip_hours: h(t.busy()),
            down_chip_hours: h(t.down),
            idle_chip_hours: h(t.idle),
            training_useful_chip_hours: h(t.training_useful),
            training_rework_chip_hours: h(t.training_rework),
            training_overhead_chip_hours: h(t.training_overhead),
            inference_chip_hours: h(t.inference),
            research_useful_chip_hours: h(t.research_useful),
            research_lost_chip_hours: h(t.research_lost),
            utilization: ratio(h(t.busy()), delivered),
            useful_utilization: ratio(h(t.useful()), delivered),
            idle_fraction: ratio(h(t.idle), delivered),
            idle_cost_usd: h(t.idle) * self.scenario.contract.price_per_chip_hour_usd,
            remarketed_chip_hours: h(t.remarketed),
            min_year_utilization: self.min_year_utilization,
            unit_failures: self.counters.unit_failures,
            training_runs_planned: self.runs.len() as u32,
            training_runs_cancelled: self.counters.training_cancelled,
            training_runs_infeasible: self.counters.training_infeasible,
            training_runs_started: self.runs.iter().filter(|r| r.started.is_some()).count() as u32,
            training_runs_completed: completed.len() as u32,
            training_interruptions: self.counters.training_interruptions,
            training_mean_delay_days: mean_delay_days,
            training_goodput: ratio(t.training_useful as f64, t.training_held as f64),
            inference_demand_chip_hours: demand,
            inference_served_chip_hours: served,
            inference_unserved_chip_hours: (demand - served).max(0.0),
            inference_served_fraction: if demand > 0.0 { served / demand } else { 1.0 },
            commercial_failure_month: self
                .demand_path
                .as_ref()
                .and_then(|p| p.failed_at())
                .map(|s| s as f64 / SimTime::MONTH as f64),
            research_jobs_arrived: self.counters.research_arrived,
            research_jobs_completed: self.counters.research_completed,
            research_preemptions: self.counters.research_preemptions,
            research_wait_mean_hours: if w.is_empty() {
                0.0
            } else {
                w.mean() / SimTime::HOUR as f64
            },
            research_wait_p50_hours: wait_hours(0.5),
            research_wait_p99_hours: wait_hours(0.99),
            payments_usd: self.ledger.payments,
            payments_waived_usd: self.ledger.waived,
            revenue_usd: self.ledger.revenue,
            other_costs_usd: self.ledger.costs,
            credit_drawn_usd: self.ledger.credit_drawn,
            ending_cash_usd: self.ledger.cash,
            default_month: self.ledger.default_month,
            exposure_at_default_usd: exposure,
            recovery_usd: recovery,
            loss_usd: exposure - recovery,
        }
    }
}
