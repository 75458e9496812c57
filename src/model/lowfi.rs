//! The low-fidelity twin of a replica: the money side of the full model
//! without its event-level cluster, for multi-fidelity Monte Carlo
//! (`montecarlo::multifidelity`).
//!
//! It draws from the **same random streams** as the full replica of the
//! same seed (common random numbers): the deliveries' arrival times, ramp
//! steps included, by the full model's `deliveries::arrivals` (stream
//! `deliveries`), the inference demand path step by
//! step with the full model's `DemandPath` (stream `inference`, so demand
//! is *identical* until a default), training cancellations in ready order
//! (stream `training`). What it reduces:
//!
//! - **Failures** in aggregate: each generation's up capacity is its
//!   delivered capacity × (1 − d), d = λr / (1 + λr) the long-run down
//!   fraction of a unit (failure rate λ, mean repair r), instead of the
//!   failure process. With `[[cluster.hazards]]`, λ of each delivery adds
//!   its hazards' rate averaged over its service in the term (chips per
//!   unit × H(service) / service). With planned maintenance, d is combined
//!   with its average down fraction (block × length / (cadence × the
//!   cluster's units), per kind of window). Failure domains, kinds' own
//!   repairs and lemons are left out: the multi-fidelity correction
//!   E[full − twin] absorbs what they change.
//! - **Training** gangs start in ready order on the fastest generation with
//!   room (as the full model's FIFO queue does) and hold their chips for
//!   their failure-free duration on that generation, without failures,
//!   checkpoints or restarts.
//! - **Inference** is served min(demand, granted, capacity) (granted: the
//!   demand, or its headroom's provision, `DemandPath::granted`), capacity the up
//!   units not held by training (priority) or outside the training share
//!   (partitioned), fractional rather than in whole units, constant over a
//!   demand step.
//! - **Research** is left out: it only takes idle capacity and never moves
//!   money.
//! - **Policies**: `inference_first` lets inference use every up unit and
//!   training start where units are free of training (the order of
//!   `scheduler.order` is not followed): it is approximated as `priority`
//!   is, inference taking what training leaves, except that training
//!   never shrinks inference's room.
//! - A completed gang steps demand up through
//!   `DemandPath::completed_run` (stream `demand_jumps`), in the twin's
//!   completion order.
//!
//! The money is the full model's, by the same calls: the buyer's month
//! (rounds, cost cuts, restructuring, partial payments, its `Ledger`)
//! through `finance::Buyer::close_month` on the buyer's own stream
//! (`buyer`), the market prices of `world::market_prices` with
//! the demand factor frozen at the default (as the full model stops the
//! demand path there), re-marketing by `provider.remarket_share` month by
//! month after the default, and the credit loss by
//! `metrics::CreditLoss::of`. So whatever the buyer and the contract learn
//! in `finance`, the twin follows. It costs one demand step (arithmetic
//! and two normal draws) per step instead of a whole event queue: about
//! 3 ms for five years of hourly steps whatever the chip count (measured
//! with `examples/twin_check.rs` on `tests/data/reduced.toml`, a shared
//! machine) against ~1–2 s for a full baseline replica. How closely it
//! tracks the full model is measured, not assumed: on the reduced
//! baseline, 64 of 64 replicas agree on whether the buyer defaults and
//! the losses correlate at ρ = 1.000 (4 digits).

use super::inference::{DemandPath, PathWeight};
use super::world::{Streams, market_prices};
use crate::config::{PolicyKind, Scenario};
use crate::engine::{SimTime, Span};
use crate::finance::{Buyer, MonthInputs};
use crate::metrics::{CreditLoss, MonthFlows};
use rand::Rng;
use std::collections::VecDeque;

/// What the low-fidelity twin of a replica reports: the figures its
/// multi-fidelity estimators need.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CheapOutcome {
    /// Contract month (1-based) of the default, if any.
    pub default_month: Option<u32>,
    /// The provider's credit loss, USD.
    pub loss_usd: f64,
    /// Its present value, USD.
    pub pv_loss_usd: f64,
    /// The demand path's likelihood ratio against the model's own
    /// measure, over the draws the twin made (ln 0 without a tilt;
    /// `montecarlo::importance`).
    pub weight: PathWeight,
}

/// One tranche's service window: delivered from `arrival` (never, past
/// the term) to `retires`.
#[derive(Debug, Clone, Copy)]
struct Window {
    generation: usize,
    chips: f64,
    planned: SimTime,
    arrival: SimTime,
    retires: SimTime,
    /// Long-run fraction of its units that are down.
    down_fraction: f64,
}

/// The hazards' failure rate of one unit delivered at `from` and serving
/// to `to`, averaged over that service: chips per unit × Σ H(service) /
/// service (0 without hazards or service).
fn hazard_rate(cl: &crate::config::scenario::ClusterSpec, from: SimTime, to: SimTime) -> f64 {
    let service = to.secs().saturating_sub(from.secs()) as f64;
    if cl.hazards.is_empty() || service <= 0.0 {
        return 0.0;
    }
    let per_chip: f64 = cl.hazards.iter().map(|h| h.cumulative(service)).sum::<f64>() / service;
    cl.unit_chips as f64 * per_chip
}

impl Window {
    /// Seconds of [from, to) this tranche is delivered.
    fn delivered_in(&self, from: SimTime, to: SimTime) -> f64 {
        overlap(self.arrival, self.retires, from, to)
    }

    /// Seconds of [from, to) this tranche is planned but not delivered.
    fn late_in(&self, from: SimTime, to: SimTime) -> f64 {
        overlap(self.planned, self.arrival, from, to)
    }
}

fn overlap(a: SimTime, b: SimTime, from: SimTime, to: SimTime) -> f64 {
    let (lo, hi) = (a.max(from), b.min(to));
    if hi > lo { (hi - lo).secs() as f64 } else { 0.0 }
}

/// A training run of the twin: ready, waiting or holding chips.
#[derive(Debug, Clone, Copy)]
struct Gang {
    generation: usize,
    units: f64,
    ends: SimTime,
}

/// Simulates the low-fidelity twin of the replica with seed `seed`.
pub fn simulate(scenario: &Scenario, seed: u64) -> CheapOutcome {
    Twin::new(scenario, seed).run()
}

/// The likelihood ratio of the demand path the full replica with seed
/// `seed` drew, replayed from its stream: the steps at 0, Δ, 2Δ, … up to
/// and including `stop` (callers pass one second before the end of its
/// default month, or of the term: the full model's last step is before
/// that end) — a stopping time at or after the last draw its outcome depends on, so
/// the ratio weighs it without bias (`montecarlo::importance`).
pub fn replay_weight(scenario: &Scenario, seed: u64, stop: SimTime) -> PathWeight {
    let Some(spec) = scenario.inference.as_ref() else {
        return PathWeight::default();
    };
    let mut streams = Streams::new(seed);
    let mut path = DemandPath::new(spec, scenario.contract.term, &mut streams.inference);
    let mut now = SimTime::ZERO;
    while now <= stop {
        path.advance(now, &mut streams.inference);
        now = now + spec.step;
    }
    path.weight()
}

struct Twin<'s> {
    scenario: &'s Scenario,
    streams: Streams,
    windows: Vec<Window>,
    buyer: Buyer<'s>,
    months: Vec<MonthFlows>,
}

impl<'s> Twin<'s> {
    fn new(scenario: &'s Scenario, seed: u64) -> Twin<'s> {
        let mut streams = Streams::new(seed);
        let term = SimTime::at(scenario.contract.term);
        let cl = &scenario.cluster;
        // The full model's draws (`World::new` calls the same function).
        let arrivals = super::deliveries::arrivals(cl, &mut streams.deliveries);
        let maintenance = maintenance_down_fraction(cl);
        let windows = cl
            .tranches
            .iter()
            .zip(arrivals)
            .map(|(t, arrival)| {
                let arrival = if arrival < term { arrival } else { SimTime(u64::MAX) };
                let life = cl.generations[t.generation.index()].service_life;
                let retires = life.map_or(SimTime(u64::MAX), |l| SimTime(arrival.0.saturating_add(l.secs())));
                let rate = cl.unit_failure_rate + hazard_rate(cl, arrival, retires.min(term));
                let down_time = rate * cl.repair.mean_in_units() * Span::HOUR.secs() as f64;
                let mut down_fraction = down_time / (1.0 + down_time);
                if maintenance > 0.0 {
                    // Maintenance and failures taken as independent.
                    down_fraction = 1.0 - (1.0 - down_fraction) * (1.0 - maintenance);
                }
                Window {
                    generation: t.generation.index(),
                    chips: (t.units * cl.unit_chips) as f64,
                    planned: t.planned,
                    arrival,
                    retires,
                    down_fraction,
                }
            })
            .collect();
        Twin {
            scenario,
            streams,
            windows,
            buyer: Buyer::new(
                scenario.buyer.as_ref(),
                scenario.contract.payments.clone(),
                scenario.contract.committed_usd,
            ),
            months: Vec::new(),
        }
    }

    /// Up chips of each generation at `t`.
    fn up_chips(&self, t: SimTime) -> Vec<f64> {
        let mut up = vec![0.0; self.scenario.cluster.generations.len()];
        for w in &self.windows {
            if w.arrival <= t && t < w.retires {
                up[w.generation] += w.chips * (1.0 - w.down_fraction);
            }
        }
        up
    }

    /// The first tranche arrival or retirement after `t`.
    fn next_change_after(&self, t: SimTime) -> SimTime {
        self.windows
            .iter()
            .flat_map(|w| [w.arrival, w.retires])
            .filter(|&x| x > t)
            .min()
            .unwrap_or(SimTime(u64::MAX))
    }

    fn run(mut self) -> CheapOutcome {
        let s = self.scenario;
        let term = SimTime::at(s.contract.term);
        let month_count = s.contract.term.steps_of(Span::MONTH);
        let month_end = |m: u64| SimTime::at((Span::MONTH * m).min(s.contract.term));
        let mut path = s
            .inference
            .as_ref()
            .map(|spec| DemandPath::new(spec, s.contract.term, &mut self.streams.inference));
        let step = s.inference.as_ref().map_or(s.contract.term, |i| i.step);
        let speeds: Vec<f64> = s.cluster.generations.iter().map(|g| g.speed).collect();
        let mut fastest_first: Vec<usize> = (0..speeds.len()).collect();
        fastest_first.sort_by(|&a, &b| speeds[b].total_cmp(&speeds[a]).then(a.cmp(&b)));
        let runs = s.training.as_ref().map_or(&[][..], |t| &t.runs[..]);
        let (mut next_run, mut queue, mut running) = (0, VecDeque::new(), Vec::<Gang>::new());
        let mut month = 1u64;
        let (mut served_seconds, mut from) = (0.0, SimTime::ZERO);
        let mut now = SimTime::ZERO;
        let mut defaulted = false;
        // Demand steps until the default (or the term): serve, then close
        // the months they reach.
        // Capacity changes only when a tranche arrives or retires.
        let (mut up, mut next_change) = (Vec::new(), SimTime::ZERO);
        while now < term && !defaulted {
            // Gangs that have ended free their chips and, in the order
            // they ended, step demand up.
            running.sort_by_key(|g| std::cmp::Reverse(g.ends));
            while running.last().is_some_and(|g| g.ends <= now) {
                running.pop();
                if let (Some(p), Some(spec)) = (path.as_mut(), s.inference.as_ref()) {
                    p.completed_run(spec, &mut self.streams.demand_jumps);
                }
            }
            if now >= next_change {
                up = self.up_chips(now);
                next_change = self.next_change_after(now);
            }
            while next_run < runs.len() && runs[next_run].ready <= now {
                let r = &runs[next_run];
                let units = (r.units * s.cluster.unit_chips) as f64;
                if self.could_ever_hold(units) && self.streams.training.random::<f64>() >= r.cancel_probability {
                    queue.push_back(next_run);
                }
                next_run += 1;
            }
            while let Some(&r) = queue.front() {
                let units = (runs[r].units * s.cluster.unit_chips) as f64;
                let fits = fastest_first
                    .iter()
                    .copied()
                    .find(|&g| self.training_room(g, &up, &running) >= units);
                let Some(g) = fits else { break };
                queue.pop_front();
                let work = (runs[r].baseline_work.secs() as f64 / speeds[g]).ceil() as u64;
                running.push(Gang {
                    generation: g,
                    units,
                    ends: now + Span(work.max(1)),
                });
            }
            let capacity: f64 = (0..up.len())
                .map(|g| self.inference_room(g, &up, &running) * speeds[g])
                .sum();
            let (demand, granted) = path.as_mut().map_or((0.0, 0.0), |p| {
                let d = p.advance(now, &mut self.streams.inference);
                (d, p.granted(d))
            });
            let served = demand.min(granted).min(capacity).max(0.0);
            let next = (now + step).min(term);
            let mut at = now;
            while month <= month_count && month_end(month) <= next {
                let end = month_end(month);
                served_seconds += served * (end - at).secs() as f64;
                let growth = path.as_ref().map_or(1.0, DemandPath::growth);
                defaulted = self.close_month(from, end, served_seconds / Span::HOUR.secs() as f64, growth);
                served_seconds = 0.0;
                (from, at) = (end, end);
                month += 1;
                if defaulted {
                    break;
                }
            }
            served_seconds += served * (next - at).secs() as f64;
            now = next;
        }
        // After a default (or without demand steps left): the months that
        // remain, with the demand factor frozen where the path stopped.
        let growth = path.as_ref().map_or(1.0, DemandPath::growth);
        while month <= month_count {
            let end = month_end(month);
            self.close_month(from, end, served_seconds / Span::HOUR.secs() as f64, growth);
            served_seconds = 0.0;
            from = end;
            month += 1;
        }
        let credit = CreditLoss::of(&self.buyer.ledger, &self.months, super::valuation(s));
        CheapOutcome {
            default_month: self.buyer.ledger.default_month,
            loss_usd: credit.loss_usd,
            pv_loss_usd: credit.pv_loss_usd,
            weight: path.as_ref().map(DemandPath::weight).unwrap_or_default(),
        }
    }

    /// Whether a gang of `chips` fits some generation's whole capacity
    /// under the policy (the full model's feasibility test, which draws no
    /// cancellation for an infeasible run).
    fn could_ever_hold(&self, chips: f64) -> bool {
        let cl = &self.scenario.cluster;
        (0..cl.generations.len()).any(|g| {
            let total: f64 = cl
                .tranches
                .iter()
                .filter(|t| t.generation.index() == g)
                .map(|t| (t.units * cl.unit_chips) as f64)
                .sum();
            match self.scenario.policy {
                PolicyKind::Priority | PolicyKind::InferenceFirst => total >= chips,
                PolicyKind::Partitioned { training_fraction } => training_fraction * total >= chips,
            }
        })
    }

    /// Chips of generation `g` a new gang could take.
    fn training_room(&self, g: usize, up: &[f64], running: &[Gang]) -> f64 {
        let held: f64 = running.iter().filter(|r| r.generation == g).map(|r| r.units).sum();
        match self.scenario.policy {
            PolicyKind::Priority | PolicyKind::InferenceFirst => up[g] - held,
            PolicyKind::Partitioned { training_fraction } => training_fraction * up[g] - held,
        }
    }

    /// Chips of generation `g` inference may hold.
    fn inference_room(&self, g: usize, up: &[f64], running: &[Gang]) -> f64 {
        let held: f64 = running.iter().filter(|r| r.generation == g).map(|r| r.units).sum();
        match self.scenario.policy {
            PolicyKind::Priority => (up[g] - held).max(0.0),
            PolicyKind::InferenceFirst => up[g],
            PolicyKind::Partitioned { training_fraction } => (1.0 - training_fraction) * up[g],
        }
    }

    /// Closes the contract month [from, end) with `served` baseline
    /// chip-hours of inference, the AI-demand growth `growth` at its end;
    /// returns true if the buyer defaults now.
    fn close_month(&mut self, from: SimTime, end: SimTime, served: f64, growth: f64) -> bool {
        let s = self.scenario;
        let hours = |secs: f64| secs / Span::HOUR.secs() as f64;
        let prices = &s.contract.prices;
        let late: f64 = self
            .windows
            .iter()
            .map(|w| w.chips * hours(w.late_in(from, end)) * prices[w.generation])
            .sum();
        let waiver = if s.contract.waive_undelivered { late } else { 0.0 };
        let was_paying = self.buyer.ledger.default_month.is_none();
        let inputs = MonthInputs {
            served_chip_hours: served,
            length_months: (end - from).in_units(Span::MONTH),
            mid_years: (from.in_units(Span::YEAR) + end.in_units(Span::YEAR)) / 2.0,
            waiver,
            late_usd: late,
        };
        let defaults = self.buyer.close_month(&inputs, &mut self.streams.buyer);
        let delivered: f64 = self
            .windows
            .iter()
            .map(|w| w.chips * hours(w.delivered_in(from, end)))
            .sum();
        let mut flows = MonthFlows {
            delivered_chip_hours: delivered,
            ..MonthFlows::default()
        };
        if !was_paying {
            // Month k after the default month re-markets share(k − 1) of
            // each generation's up capacity at the price set at the end of
            // the month before (see `world/money.rs`).
            let after = self.months.len() as u32 - self.buyer.ledger.default_month.expect("defaulted");
            let share = s.provider.remarket_share(after);
            let demand = s
                .inference
                .as_ref()
                .map_or(1.0, |i| growth / (i.drift_per_year * from.in_units(Span::YEAR)).exp());
            let market = market_prices(s, from, demand);
            for w in &self.windows {
                let up_hours = w.chips * (1.0 - w.down_fraction) * hours(w.delivered_in(from, end));
                let remarketed = share * up_hours;
                flows.remarketed_chip_hours += remarketed;
                flows.remarketing_usd += remarketed * market[w.generation];
            }
        }
        self.months.push(flows);
        defaults
    }
}
/// The average fraction of the cluster's units that planned maintenance
/// keeps down: Σ over kinds of window of (block units × window length) /
/// (cadence × all the units the tranches deliver), each at most 1.
fn maintenance_down_fraction(cl: &crate::config::cluster::ClusterSpec) -> f64 {
    let units: u64 = cl.tranches.iter().map(|t| t.units).sum();
    if units == 0 {
        return 0.0;
    }
    let kept_down = |m: &crate::config::maintenance::Maintenance| {
        (m.units.min(units) as f64 * m.length.secs() as f64 / (m.every.secs() as f64 * units as f64)).min(1.0)
    };
    cl.maintenance.iter().map(kept_down).sum::<f64>().min(1.0)
}
