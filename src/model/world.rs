//! The per-replica world: one contract term simulated event by event.
//!
//! [`World`] owns the event queue, the cluster, each workload's state, the
//! random streams and the books. Each [`Event`] has one handler; the
//! handlers live in `world/` by concern (capacity, training, inference,
//! research, money, and the tally at the end of the term). Units move
//! between classes only through `Pool::transfer` (and enter and leave
//! through `Pool::deliver` and `Pool::retire`); `World::free_up` frees units
//! for a class as its policy limit allows (idle first, then the youngest
//! research jobs, then inference). After every release or arrival
//! `World::dispatch` hands free capacity out in policy order: training runs
//! waiting for replacement units, queued training runs, inference
//! shortfall, then the research queue.

use super::cluster::{Class, Cluster, Pool};
use super::event::Event;
use super::inference::DemandPath;
use super::policy::{self, Limit, Policy};
use super::research::{Drawn, Research};
use super::training::{Checkpointing, Phase, Run, SegmentSplit};
use crate::config::Scenario;
use crate::config::scenario::{Gen, RunId};
use crate::engine::{EventQueue, SimTime, Span, derive_seed, seconds_from_f64};
use crate::finance::{Buyer, MonthInputs};
use crate::metrics::{
    self, ChipSeconds, Counts, EventKind, Integrator, Levels, MonthFlows, ReplicaEvent, ReplicaTally, RunOutcome,
    RunTally, Snapshot, Step, chip_seconds, ratio,
};
use hdrhistogram::Histogram;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp1};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::VecDeque;

mod capacity;
mod domains;
mod failures;
mod hazards;
mod inference;
mod maintenance;
mod money;
mod research;
mod tally;
mod training;

/// One independent random stream per stochastic component, so changing one
/// component's parameters leaves the others' draws untouched (common random
/// numbers across grid points).
#[derive(Debug, Clone)]
pub struct Streams {
    /// Delivery delays.
    pub deliveries: Xoshiro256PlusPlus,
    /// Failure times, the unit each lands on, its kind and repair time.
    pub failures: Xoshiro256PlusPlus,
    /// Failure times of domains, the domain each lands on, and their
    /// repair times (apart from `failures`, so that adding domains leaves
    /// the unit failures' draws untouched).
    pub domains: Xoshiro256PlusPlus,
    /// Failure times of the hazards over age and the unit each lands on
    /// (apart from `failures`, so that adding hazards leaves the constant
    /// process's draws untouched).
    pub hazards: Xoshiro256PlusPlus,
    /// Lemons per delivery, the lemons' failure times, which lemon fails
    /// and the unit it lands on.
    pub lemons: Xoshiro256PlusPlus,
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
    /// The buyer's rounds and restructuring (`finance::Buyer` draws the
    /// same numbers every month).
    pub buyer: Xoshiro256PlusPlus,
    /// The noise of demand's step-ups when training runs complete.
    pub demand_jumps: Xoshiro256PlusPlus,
    /// What planned maintenance windows hit beyond the training runs (the
    /// schedule itself draws nothing).
    pub maintenance: Xoshiro256PlusPlus,
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
            domains: stream(8),
            hazards: stream(9),
            lemons: stream(10),
            maintenance: stream(11),
            // Numbered apart from the workload streams, which may grow.
            buyer: stream(101),
            demand_jumps: stream(102),
        }
    }
}

/// Event counters that end up in the replica row.
#[derive(Debug, Clone, Default)]
struct Counters {
    events: u64,
    by_kind: [u64; Event::KINDS.len()],
    counts: Counts,
    /// Unit failures by kind (`[[cluster.failure_kinds]]`, in file order).
    failures_by_kind: Vec<u64>,
}

/// The price of a re-marketed chip-hour of each generation at `at`, when
/// the AI-demand factor is `demand`: the market's, or the spot price.
pub(crate) fn market_prices(scenario: &Scenario, at: SimTime, demand: f64) -> Vec<f64> {
    match &scenario.market {
        Some(m) => scenario
            .contract
            .prices
            .iter()
            .map(|&p| m.price(p, at.in_units(Span::YEAR), demand))
            .collect(),
        None => vec![scenario.provider.spot_price_per_chip_hour_usd; scenario.contract.prices.len()],
    }
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
    /// Per generation, units of tranches whose planned month has passed but
    /// which are not delivered yet.
    undelivered_units: Vec<u64>,
    /// Bumped when the delivered capacity changes; older failure candidates
    /// are stale.
    failure_epoch: u32,
    /// Hazards over age and lemon units.
    age: hazards::AgeFailures,
    training: Training,
    inference: Inference,
    research: Research,
    research_waits: Histogram<u64>,
    money: Money<'s>,
    /// What happened, for `events.csv` (the buyer keeps its own).
    story: Vec<ReplicaEvent>,
    seed: u64,
    replica: u32,
}

/// The frontier training runs of a replica; `training[r]` is run `r`.
struct Training {
    /// Time to bring a replacement unit from the pool into a run.
    replacement: Span,
    runs: Vec<Run>,
    /// Ready runs waiting to start, in order.
    queue: VecDeque<RunId>,
    /// Running runs that lost units and wait for replacements.
    waiting: Vec<RunId>,
    /// Running runs short of hot spares.
    short_of_spares: Vec<RunId>,
    /// Ready to first start.
    waits: Histogram<u64>,
}

impl std::ops::Index<RunId> for Training {
    type Output = Run;
    fn index(&self, r: RunId) -> &Run {
        &self.runs[r.index()]
    }
}

impl std::ops::IndexMut<RunId> for Training {
    fn index_mut(&mut self, r: RunId) -> &mut Run {
        &mut self.runs[r.index()]
    }
}

/// Inference demand and its path.
struct Inference {
    path: Option<DemandPath>,
    /// Demand now, baseline-chip equivalents.
    demand: f64,
    /// Capacity it is granted now, baseline-chip equivalents: the demand,
    /// or with `[inference.headroom]` the cycle's peak plus the margin.
    granted: f64,
}

/// The buyer's money and the month and year marks it closes against.
struct Money<'s> {
    buyer: Buyer<'s>,
    /// When the buyer defaulted, if it did.
    defaulted_at: Option<SimTime>,
    /// The books at the end of the last closed month.
    month_mark: Snapshot,
    /// Books at the end of the last whole contract year.
    year_mark: ChipSeconds,
    /// The books when the buyer defaulted: its time ends there, and the
    /// capacity is the provider's from then on.
    at_default: Option<Snapshot>,
    /// Each closed month's flows.
    months: Vec<MonthFlows>,
    /// This month's price of a re-marketed chip-hour, by generation: the
    /// market's, or the provider's spot price.
    market_prices: Vec<f64>,
    /// Whole months since the default (for the re-marketing ramp).
    months_since_default: u32,
    /// The provider's capex on this month's deliveries, USD.
    capex_this_month: f64,
    /// Book value at the term's end of the chips delivered so far that
    /// are still in service then, USD.
    residual_usd: f64,
    months_elapsed: u32,
    min_year_utilization: Option<f64>,
}

impl<'s> World<'s> {
    /// Sets up replica `replica` with seed `seed`: draws delivery delays and
    /// schedules the first event of every process.
    pub fn new(scenario: &'s Scenario, replica: u32, seed: u64) -> World<'s> {
        let cl = &scenario.cluster;
        let mut streams = Streams::new(seed);
        let term = scenario.contract.term;
        let mut queue = EventQueue::new();
        let end = SimTime::at(term);
        let arrivals = super::deliveries::arrivals(cl, &mut streams.deliveries);
        for ((i, t), arrival) in (0u32..).zip(&cl.tranches).zip(arrivals) {
            queue.schedule(t.planned, Event::TranchePlanned { tranche: i });
            if arrival < end {
                queue.schedule(arrival, Event::TrancheArrives { tranche: i });
            }
        }
        let runs: Vec<Run> = scenario
            .training
            .iter()
            .flat_map(|t| t.runs.iter().map(move |r| (t, r)))
            .map(|(t, r)| {
                let checkpointing = Checkpointing {
                    interval: t.checkpoint_interval,
                    cost: r.checkpoint_cost,
                    restart: r.restart_overhead,
                };
                Run::planned(r.units, t.spares_for(r.units), r.baseline_work, r.ready, checkpointing)
            })
            .collect();
        for (i, r) in (0u32..).zip(&runs) {
            queue.schedule(r.ready, Event::TrainingArrives { run: RunId(i) });
        }
        let demand_path = scenario
            .inference
            .as_ref()
            .map(|spec| DemandPath::new(spec, term, &mut streams.inference));
        if demand_path.is_some() {
            queue.schedule(SimTime::ZERO, Event::InferenceStep);
        }
        let step = scenario.timeseries_step;
        for k in 1..term.steps_of(step) {
            queue.schedule(SimTime::at(step * k), Event::Sample);
        }
        for k in 1..=term.steps_of(Span::MONTH) {
            queue.schedule(SimTime::at((Span::MONTH * k).min(term)), Event::MonthEnd);
        }
        queue.schedule(end, Event::EndOfTerm);
        let mut world = World {
            scenario,
            queue,
            cluster: Cluster::new(cl.generations.iter().map(|g| g.speed).collect(), cl.unit_chips),
            policy: policy::build(scenario.policy),
            streams,
            books: Integrator::default(),
            counters: Counters {
                failures_by_kind: vec![0; cl.kinds.len()],
                ..Counters::default()
            },
            // One step per Sample event plus the last, ending with the term.
            series: Vec::with_capacity(term.steps_of(scenario.timeseries_step) as usize),
            step_start: Snapshot::default(),
            undelivered_units: vec![0; cl.generations.len()],
            failure_epoch: 0,
            age: hazards::AgeFailures::new(scenario),
            training: Training {
                replacement: scenario.training.as_ref().map_or(Span::ZERO, |t| t.replacement),
                runs,
                queue: VecDeque::new(),
                waiting: Vec::new(),
                short_of_spares: Vec::new(),
                waits: metrics::wait_histogram(),
            },
            inference: Inference {
                path: demand_path,
                demand: 0.0,
                granted: 0.0,
            },
            research: Research::new(
                cl.generations.len(),
                scenario
                    .research
                    .as_ref()
                    .and_then(|r| r.elastic.as_ref())
                    .is_some_and(|e| e.never_empty),
            ),
            research_waits: metrics::wait_histogram(),
            story: Vec::new(),
            money: Money {
                buyer: Buyer::new(
                    scenario.buyer.as_ref(),
                    scenario.contract.payments.clone(),
                    scenario.contract.committed_usd,
                ),
                defaulted_at: None,
                month_mark: Snapshot::default(),
                year_mark: ChipSeconds::default(),
                at_default: None,
                months: Vec::with_capacity(term.steps_of(Span::MONTH) as usize),
                market_prices: market_prices(scenario, SimTime::ZERO, 1.0),
                months_since_default: 0,
                capex_this_month: 0.0,
                residual_usd: 0.0,
                months_elapsed: 0,
                min_year_utilization: None,
            },
            seed,
            replica,
        };
        world.schedule_research_arrival();
        world.schedule_first_windows();
        world
    }

    /// Schedules an extra event, e.g. a [`Event::ForcedFailure`] at a known
    /// time or a [`Event::ResearchArrives`]; for tests and what-if studies.
    pub fn inject(&mut self, time: SimTime, event: Event) {
        self.queue.schedule(time, event);
    }

    /// Runs the replica to the end of the term and returns its tally.
    pub fn run(mut self) -> ReplicaTally {
        while let Some((now, event)) = self.queue.pop() {
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
    fn handle(&mut self, now: SimTime, event: Event) -> bool {
        match event {
            Event::TranchePlanned { tranche } => {
                let t = &self.scenario.cluster.tranches[tranche as usize];
                self.undelivered_units[t.generation.index()] += t.units;
            }
            Event::TrancheArrives { tranche } => self.tranche_arrives(now, tranche),
            Event::TrancheRetires { tranche } => self.tranche_retires(now, tranche),
            Event::FailureCandidate { epoch } => {
                if epoch == self.failure_epoch {
                    self.failure_candidate(now);
                }
            }
            Event::ForcedFailure => self.forced_failure(now),
            Event::UnitRepaired { generation } => self.units_repaired(now, generation, 1),
            Event::DomainFails { domain, epoch } => {
                if epoch == self.failure_epoch {
                    self.domain_fails(now, domain);
                }
            }
            Event::DomainRepaired { generation, units } => self.units_repaired(now, generation, units.into()),
            Event::AgeFailure { tranche, hazard } => self.age_failure(now, tranche, hazard),
            Event::LemonFailure { epoch } => self.lemon_failure(now, epoch),
            Event::MaintenanceStarts { entry } => self.maintenance_starts(now, entry),
            Event::MaintenanceEnds { generation, units } => self.units_repaired(now, generation, units.into()),
            Event::TrainingArrives { run } if self.money.defaulted_at.is_some() => {
                self.training[run].phase = Phase::Abandoned;
            }
            Event::TrainingArrives { run } if !self.could_ever_start(self.training[run].units) => {
                self.training[run].phase = Phase::Infeasible;
                self.counters.counts.training_infeasible += 1;
            }
            Event::TrainingArrives { run } => {
                let p = self
                    .scenario
                    .training
                    .as_ref()
                    .map_or(0.0, |t| t.runs[run.index()].cancel_probability);
                if self.streams.training.random::<f64>() < p {
                    self.training[run].phase = Phase::Cancelled;
                    self.counters.counts.training_cancelled += 1;
                } else {
                    self.training[run].phase = Phase::Queued;
                    self.training.queue.push_back(run);
                    self.dispatch(now);
                }
            }
            Event::TrainingPhaseEnds { run, token } => {
                if self.training[run].token == token {
                    match self.training[run].phase {
                        Phase::Restarting => self.begin_computing(now, run),
                        Phase::Computing => self.complete_run(now, run),
                        other => unreachable!("phase end in phase {other:?}"),
                    }
                }
            }
            Event::InferenceStep => self.inference_step(now),
            Event::ResearchArrives if self.money.defaulted_at.is_some() => {}
            Event::ResearchArrives => self.research_arrives(now),
            Event::ResearchFinishes { slot, token } => {
                if self.research.is_current(slot, token) {
                    let (g, job) = self.research.finish(slot);
                    self.books.totals.research_useful += chip_seconds(self.chips(job.units), now - job.started);
                    self.counters.counts.research_completed += 1;
                    self.release_research(g, job.units);
                    self.dispatch(now);
                }
            }
            Event::ResearchPatience { slot, token } => self.research_patience_ends(now, slot, token),
            Event::MonthEnd => self.month_end(now),
            Event::Sample => self.snapshot(now),
            Event::EndOfTerm => return true,
        }
        false
    }

    fn chips(&self, units: u64) -> u64 {
        self.cluster.chips(units)
    }

    /// Every training run, in ready order.
    fn run_ids(&self) -> impl Iterator<Item = RunId> + use<> {
        (0..self.training.runs.len() as u32).map(RunId)
    }

    /// Chips by state now, the integrands of the allocation book.
    fn levels(&self) -> Levels {
        let mut l = Levels {
            undelivered: self.chips(self.undelivered_units.iter().sum()),
            demand: self.inference.demand,
            ..Levels::default()
        };
        let mut capacity = 0.0;
        let prices = &self.scenario.contract.prices;
        for (g, p) in self.cluster.generations() {
            l.delivered += self.chips(p.delivered);
            for class in Class::ALL {
                l.held[class as usize] += self.chips(p[class]);
            }
            capacity += self.chips(p[Class::Inference]) as f64 * self.cluster.speed(g);
            // Contract value per second of what sits idle or is late.
            let per_second = prices[g.index()] / Span::HOUR.secs() as f64;
            l.idle_value += self.chips(p[Class::Idle]) as f64 * per_second;
            l.undelivered_value += self.chips(self.undelivered_units[g.index()]) as f64 * per_second;
            l.remarketed_value += self.chips(p[Class::Remarketed]) as f64 * self.money.market_prices[g.index()]
                / Span::HOUR.secs() as f64;
        }
        l.served = capacity.min(self.inference.demand);
        l.inference_capacity = capacity;
        l
    }

    /// Ends a time-series step at `now`.
    fn snapshot(&mut self, now: SimTime) {
        let snapshot = self.books.snapshot(now);
        self.series.push(Step::between(&self.step_start, &snapshot));
        self.step_start = snapshot;
    }

    /// Hands free capacity out in policy order after any change.
    fn dispatch(&mut self, now: SimTime) {
        if self.money.defaulted_at.is_some() {
            self.remarket_idle();
            return;
        }
        self.resume_waiting_runs(now);
        self.start_queued_runs(now);
        self.top_up_spares(now);
        self.fill_inference_from_idle();
        self.start_research(now);
        debug_assert!(self.cluster.pools.iter().all(|p| p.is_consistent()));
    }
}
