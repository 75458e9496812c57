//! Inference in the world: demand re-evaluated each step and capacity
//! re-granted (fastest generations first, idle units before preempting
//! research), and idle units topping up a shortfall between steps. What is
//! granted is the demand, or with `[inference.headroom]` the cycle's peak
//! plus a latency margin (`DemandPath::granted`): the capacity beyond what
//! is served is inference's headroom, held (busy), not idle.

use super::*;

impl World<'_> {
    pub(super) fn inference_step(&mut self, now: SimTime) {
        let Some(path) = self.inference.path.as_mut() else {
            return;
        };
        if self.money.defaulted_at.is_some() {
            return;
        }
        self.inference.demand = path.advance(now, &mut self.streams.inference);
        self.inference.granted = path.granted(self.inference.demand);
        // Re-grant from scratch: hand everything back, then claim fastest
        // generations first, idle units before preempting research.
        for p in &mut self.cluster.pools {
            p.transfer(Class::Inference, Class::Idle, p[Class::Inference]);
        }
        let mut remaining = self.inference.granted;
        for preempt in [false, true] {
            for i in 0..self.cluster.fastest_first.len() {
                if remaining <= 0.0 {
                    break;
                }
                let g = self.cluster.fastest_first[i];
                remaining -= self.grant_inference(now, g, remaining, preempt);
            }
        }
        let step = self.scenario.inference.as_ref().map_or(Span::HOUR, |s| s.step);
        self.queue.schedule_in(step, Event::InferenceStep);
        self.dispatch(now);
    }

    /// Grants generation `g` units towards `demand` baseline chips; returns
    /// the baseline chips granted.
    pub(super) fn grant_inference(&mut self, now: SimTime, g: Gen, demand: f64, preempt: bool) -> f64 {
        let per_unit = self.chips(1) as f64 * self.cluster.speed(g);
        let want = (demand / per_unit).ceil() as u64;
        let mut limit = self.policy.inference(&self.cluster[g]);
        limit.preempt_research &= preempt;
        let held = self.cluster[g][Class::Inference];
        let k = want.min(self.claimable(g, limit, held));
        let got = self.free_up(now, g, k, limit);
        self.cluster[g].transfer(Class::Idle, Class::Inference, got);
        got as f64 * per_unit
    }

    /// Between demand steps, inference takes idle units (no preemption)
    /// towards what it is granted, e.g. to replace a failed unit.
    pub(super) fn fill_inference_from_idle(&mut self) {
        if self.inference.path.is_none() {
            return;
        }
        let held: f64 = self
            .cluster
            .generations()
            .map(|(g, p)| self.chips(p[Class::Inference]) as f64 * self.cluster.speed(g))
            .sum();
        let mut remaining = self.inference.granted - held;
        for i in 0..self.cluster.fastest_first.len() {
            if remaining <= 0.0 {
                break;
            }
            let g = self.cluster.fastest_first[i];
            let per_unit = self.chips(1) as f64 * self.cluster.speed(g);
            let limit = self.policy.inference(&self.cluster[g]);
            let pool = &self.cluster[g];
            let room = limit.max_units.saturating_sub(pool[Class::Inference]);
            let k = ((remaining / per_unit).ceil() as u64).min(pool[Class::Idle]).min(room);
            self.cluster[g].transfer(Class::Idle, Class::Inference, k);
            remaining -= k as f64 * per_unit;
        }
    }
}
