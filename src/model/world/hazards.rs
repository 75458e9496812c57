//! Failures that depend on a unit's age or on the unit: Weibull hazards
//! over the age since delivery (`[[cluster.hazards]]`) and lemon units
//! (`[cluster.lemons]`), both on top of the constant-rate process of
//! `failures.rs`, both by counts (cost independent of the chip count).
//!
//! **Hazards.** Each delivery (a tranche, or one step of a ramp) is a
//! cohort of n chips that arrived at t₀. Under minimal repair (a repaired
//! unit is as old as before), a cohort's failures of a hazard term are a
//! non-homogeneous Poisson process of rate n·h(t − t₀), sampled exactly by
//! inverting the cumulative hazard: from the per-chip cumulative hazard H
//! reached at the last failure, the next comes at the age a' with
//! H(a') = H + Exp(1)/n, i.e. a' = η (H + E/n)^(1/k). One clock per cohort
//! and term; a cohort retires whole, so its clocks simply stop.
//!
//! **Lemons.** Each delivery brings Binomial(units, fraction) lemon units,
//! counted per cohort by how many lemon failures each has had so far
//! (buckets 0..k). Lemons fail at (multiple − 1) × the constant unit rate on
//! top of the constant process (which does not know lemons, so a lemon's
//! total rate is multiple × the base rate): one superposed clock of rate
//! lemons × (multiple − 1) × λ, redrawn whenever the lemon count changes.
//! A lemon at its k-th failure of this process is found out and replaced
//! by a good unit (its failure's repair is the replacement).
//!
//! **Where a failure lands.** Pools do not track cohorts or lemons: units
//! of different cohorts of a generation are mixed, so a hazard or lemon
//! failure lands on a uniform unit of its cohort's generation pool (through
//! `fail_unit`). One landing on a unit already down does nothing and is not
//! counted (as the constant process is thinned), so a lemon that is down
//! does not fail.

use super::*;
use rand_distr::Binomial;

/// The state of the age and lemon processes of one replica.
#[derive(Debug, Clone, Default)]
pub(super) struct AgeFailures {
    /// Per delivery, when it arrived (None: not yet, or retired).
    arrived: Vec<Option<SimTime>>,
    /// Per delivery and hazard term (delivery-major), the per-chip
    /// cumulative hazard its clock has reached.
    reached: Vec<f64>,
    /// Per delivery, its lemons by lemon failures so far (k buckets,
    /// delivery-major).
    lemons: Vec<u64>,
    /// Lemons in service over all deliveries.
    lemons_total: u64,
    /// Bumped when the lemon count changes; older lemon clocks are stale.
    lemon_epoch: u32,
    /// Hazard failures that landed, by month of the term (for checks).
    pub(super) by_month: Vec<u64>,
}

impl AgeFailures {
    /// Empty state for the deliveries of `scenario` (nothing delivered).
    pub(super) fn new(scenario: &Scenario) -> AgeFailures {
        let cl = &scenario.cluster;
        let n = cl.tranches.len();
        let buckets = cl.lemons.as_ref().map_or(0, |l| l.detect_after_failures as usize);
        AgeFailures {
            arrived: vec![None; n],
            reached: vec![0.0; n * cl.hazards.len()],
            lemons: vec![0; n * buckets],
            by_month: if cl.hazards.is_empty() {
                Vec::new()
            } else {
                vec![0; scenario.contract.term.steps_of(Span::MONTH) as usize]
            },
            ..AgeFailures::default()
        }
    }
}

/// A uniform unit of generation `g`'s pool as an index over the whole
/// cluster (see [`Cluster::locate`]), or None if it is down: the failure is
/// thinned away.
fn up_unit(cluster: &Cluster, g: Gen, rng: &mut Xoshiro256PlusPlus) -> Option<u64> {
    let delivered = cluster[g].delivered;
    if delivered == 0 {
        return None;
    }
    let before: u64 = cluster.pools[..g.index()].iter().map(|p| p.delivered).sum();
    let index = before + rng.random_range(0..delivered);
    (cluster.locate(index).1 != Class::Down).then_some(index)
}

impl World<'_> {
    /// Delivery `i` arrived: its hazard clocks start at age 0 and its
    /// lemons are drawn. Draws nothing without hazards or lemons.
    pub(super) fn cohort_arrives(&mut self, now: SimTime, i: u32) {
        let cl = &self.scenario.cluster;
        if cl.hazards.is_empty() && cl.lemons.is_none() {
            return;
        }
        self.age.arrived[i as usize] = Some(now);
        for term in 0..cl.hazards.len() as u32 {
            self.schedule_age_failure(i, term);
        }
        if let Some(l) = &cl.lemons {
            let units = cl.tranches[i as usize].units;
            let drawn = Binomial::new(units, l.fraction)
                .expect("fraction checked in 0..=1 at load")
                .sample(&mut self.streams.lemons);
            let k = l.detect_after_failures as usize;
            self.age.lemons[i as usize * k] = drawn;
            self.age.lemons_total += drawn;
            self.restart_lemon_clock();
        }
    }

    /// Delivery `i` retired: its clocks stop and its lemons leave with it.
    pub(super) fn cohort_retires(&mut self, i: u32) {
        let cl = &self.scenario.cluster;
        self.age.arrived[i as usize] = None;
        if let Some(l) = &cl.lemons {
            let k = l.detect_after_failures as usize;
            let gone: u64 = self.age.lemons[i as usize * k..(i as usize + 1) * k].iter().sum();
            self.age.lemons[i as usize * k..(i as usize + 1) * k].fill(0);
            self.age.lemons_total -= gone;
            self.restart_lemon_clock();
        }
    }

    /// The next failure of hazard `term` in delivery `i`, by inversion of
    /// the cohort's cumulative hazard (nothing if it falls after the term).
    fn schedule_age_failure(&mut self, i: u32, term: u32) {
        let Some(arrived) = self.age.arrived[i as usize] else {
            return;
        };
        let cl = &self.scenario.cluster;
        let hazard = &cl.hazards[term as usize];
        let chips = (cl.tranches[i as usize].units * cl.unit_chips) as f64;
        let slot = i as usize * cl.hazards.len() + term as usize;
        let gap: f64 = Exp1.sample(&mut self.streams.hazards);
        let next = self.age.reached[slot] + gap / chips;
        self.age.reached[slot] = next;
        let at = arrived.after(Span(seconds_from_f64(hazard.age_at(next))));
        if at < SimTime::at(self.scenario.contract.term) {
            self.queue.schedule(
                at,
                Event::AgeFailure {
                    tranche: i,
                    hazard: term,
                },
            );
        }
    }

    /// A failure of hazard `term` in delivery `i` (stale if it retired).
    pub(super) fn age_failure(&mut self, now: SimTime, i: u32, term: u32) {
        if self.age.arrived[i as usize].is_none() {
            return;
        }
        self.schedule_age_failure(i, term);
        let g = self.scenario.cluster.tranches[i as usize].generation;
        if let Some(index) = up_unit(&self.cluster, g, &mut self.streams.hazards) {
            self.counters.counts.hazard_failures += 1;
            let month = (now.secs() / Span::MONTH.secs()) as usize;
            if let Some(bin) = self.age.by_month.get_mut(month) {
                *bin += 1;
            }
            self.fail_unit(now, index);
        }
    }

    /// Redraws the lemons' superposed clock (exact: exponential gaps are
    /// memoryless).
    fn restart_lemon_clock(&mut self) {
        self.age.lemon_epoch = self.age.lemon_epoch.wrapping_add(1);
        let Some(l) = &self.scenario.cluster.lemons else {
            return;
        };
        let rate = self.age.lemons_total as f64 * (l.rate_multiple - 1.0) * self.scenario.cluster.unit_failure_rate;
        if rate > 0.0 {
            let gap: f64 = Exp1.sample(&mut self.streams.lemons);
            let epoch = self.age.lemon_epoch;
            self.queue
                .schedule_in(Span(seconds_from_f64(gap / rate)), Event::LemonFailure { epoch });
        }
    }

    /// A uniform lemon fails (stale if the lemon count changed since the
    /// clock was drawn); at its k-th failure it is replaced by a good unit.
    pub(super) fn lemon_failure(&mut self, now: SimTime, epoch: u32) {
        if epoch != self.age.lemon_epoch {
            return;
        }
        let k = self
            .scenario
            .cluster
            .lemons
            .as_ref()
            .map_or(1, |l| l.detect_after_failures as usize);
        let mut pick = self.streams.lemons.random_range(0..self.age.lemons_total);
        let slot = self
            .age
            .lemons
            .iter()
            .position(|&n| {
                if pick < n {
                    return true;
                }
                pick -= n;
                false
            })
            .expect("the pick is below the lemon total");
        let g = self.scenario.cluster.tranches[slot / k].generation;
        let Some(index) = up_unit(&self.cluster, g, &mut self.streams.lemons) else {
            // The lemon is down: it does not fail. Same rate, new gap.
            self.restart_lemon_clock();
            return;
        };
        self.age.lemons[slot] -= 1;
        self.counters.counts.lemon_failures += 1;
        if slot % k + 1 == k {
            self.age.lemons_total -= 1;
            self.counters.counts.lemons_removed += 1;
        } else {
            self.age.lemons[slot + 1] += 1;
        }
        self.restart_lemon_clock();
        self.fail_unit(now, index);
    }
}
