//! Inference demand: D(t) = base × growth(t) × seasonality(t) × noise.
//!
//! growth(t) is geometric Brownian motion, simulated exactly on the demand
//! step: ln G(t+Δ) = ln G(t) + (μ − σ²/2)Δ + σ√Δ·Z, so E[G(t)] = e^{μt}.
//! With probability p the product fails commercially at a uniform time in
//! the term; from then on the drift is −decay. Seasonality is
//! (1 + a_d sin 2πt/day)(1 + a_w sin 2πt/week), which averages to 1 over a
//! week, and the noise is i.i.d. lognormal with mean 1.
//!
//! What inference is granted is the step's demand, or, provisioned like a
//! service (`[inference.headroom]`), the trend's demand at the cycle's peak
//! plus a latency margin: [`DemandPath::granted`].

use crate::config::scenario::InferenceSpec;
use crate::engine::{SimTime, Span};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use std::f64::consts::TAU;

/// The demand path's state.
#[derive(Debug, Clone)]
pub struct DemandPath {
    spec: InferenceSpec,
    log_growth: f64,
    /// When the commercial failure hits, if it does.
    failure_at: Option<SimTime>,
    last: SimTime,
}

impl DemandPath {
    /// Draws the commercial-failure time (if any) over a term of `term` seconds.
    pub fn new<R: Rng + ?Sized>(spec: &InferenceSpec, term: Span, rng: &mut R) -> DemandPath {
        let fails = rng.random::<f64>() < spec.commercial_failure_probability;
        let at = rng.random::<f64>() * term.secs() as f64;
        DemandPath {
            spec: spec.clone(),
            log_growth: 0.0,
            failure_at: fails.then_some(SimTime(at as u64)),
            last: SimTime::ZERO,
        }
    }

    /// When the product failed commercially, if it has by `now`.
    pub fn failed_at(&self) -> Option<SimTime> {
        self.failure_at
    }

    /// Advances growth to `now` and returns demand at `now`, in
    /// baseline-chip equivalents.
    pub fn advance<R: Rng + ?Sized>(&mut self, now: SimTime, rng: &mut R) -> f64 {
        let s = &self.spec;
        let dt = (now - self.last).in_units(Span::YEAR);
        let drift = match self.failure_at {
            Some(f) if now > f => -s.failure_decay_per_year,
            _ => s.drift_per_year,
        };
        let sigma = s.volatility_per_sqrt_year;
        let z: f64 = StandardNormal.sample(rng);
        self.log_growth += (drift - 0.5 * sigma * sigma) * dt + sigma * dt.sqrt() * z;
        self.last = now;
        // Drawn whatever sigma is (σ = 0 gives exactly 1), so that the
        // growth path's draws are the same at every point of a sweep over
        // noise_sigma (common random numbers).
        let e: f64 = StandardNormal.sample(rng);
        let noise = (s.noise_sigma * e - 0.5 * s.noise_sigma * s.noise_sigma).exp();
        s.base_demand_chips * self.log_growth.exp() * seasonality(s, now) * noise
    }

    /// Steps growth up by the factor `factor` (a training run completed:
    /// the better model sells more).
    pub fn jump(&mut self, factor: f64) {
        self.log_growth += factor.ln();
    }

    /// A training run completed: growth steps up by (1 + jump) × lognormal
    /// noise of mean 1 (`completed_run_jump`, `_sigma` of `spec`), drawn
    /// from `rng`, if the scenario says so; returns the factor. The full
    /// model and its low-fidelity twin (`model::lowfi`) both call this.
    pub fn completed_run<R: Rng + ?Sized>(&mut self, spec: &InferenceSpec, rng: &mut R) -> Option<f64> {
        let (jump, sigma) = (spec.completed_run_jump, spec.completed_run_jump_sigma);
        if jump == 0.0 && sigma == 0.0 {
            return None;
        }
        let z: f64 = StandardNormal.sample(rng);
        let factor = (1.0 + jump) * (sigma * z - 0.5 * sigma * sigma).exp();
        self.jump(factor);
        Some(factor)
    }

    /// The growth factor G(t) at the last step.
    pub fn growth(&self) -> f64 {
        self.log_growth.exp()
    }

    /// Baseline chips inference is granted at the last step, whose demand
    /// was `demand`: the demand itself, or with `[inference.headroom]` the
    /// trend's demand at the cycle's peak plus the latency margin.
    pub fn granted(&self, demand: f64) -> f64 {
        match &self.spec.headroom {
            None => demand,
            Some(h) => h.granted(self.spec.base_demand_chips * self.growth()),
        }
    }
}

/// Seasonal factor at `t` seconds.
pub fn seasonality(spec: &InferenceSpec, t: SimTime) -> f64 {
    let (day, week) = (Span::DAY.secs(), 7 * Span::DAY.secs());
    let day = (t.secs() % day) as f64 / day as f64;
    let week = (t.secs() % week) as f64 / week as f64;
    (1.0 + spec.diurnal_amplitude * (TAU * day).sin()) * (1.0 + spec.weekly_amplitude * (TAU * week).sin())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn spec() -> InferenceSpec {
        InferenceSpec {
            base_demand_chips: 1000.0,
            step: Span::HOUR,
            drift_per_year: 0.3,
            volatility_per_sqrt_year: 0.4,
            commercial_failure_probability: 0.0,
            failure_decay_per_year: 0.0,
            diurnal_amplitude: 0.3,
            weekly_amplitude: 0.1,
            noise_sigma: 0.0,
            completed_run_jump: 0.0,
            completed_run_jump_sigma: 0.0,
            headroom: None,
        }
    }

    #[test]
    fn seasonality_averages_to_one_over_a_week() {
        let s = spec();
        let week = 7 * Span::DAY.secs();
        let mean = (0..week).step_by(60).map(|t| seasonality(&s, SimTime(t))).sum::<f64>() / (week / 60) as f64;
        assert!((mean - 1.0).abs() < 1e-9, "{mean}");
    }

    #[test]
    fn gbm_mean_matches_closed_form_within_4_stderr() {
        // E[G(t)] = e^{μt}; Var[G(t)] = e^{2μt}(e^{σ²t} − 1). Two years of
        // daily steps, 4,000 paths.
        let s = spec();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let horizon = SimTime::at(Span::YEAR * 2);
        let n = 4000;
        let finals: Vec<f64> = (0..n)
            .map(|_| {
                let mut p = DemandPath::new(&s, horizon - SimTime::ZERO, &mut rng);
                let mut t = SimTime::ZERO;
                while t < horizon {
                    t = (t + Span::DAY).min(horizon);
                    p.advance(t, &mut rng);
                }
                p.growth()
            })
            .collect();
        let mean = finals.iter().sum::<f64>() / n as f64;
        let (mu, sigma, years) = (0.3_f64, 0.4_f64, 2.0_f64);
        let expected = (mu * years).exp();
        let sd = (expected * expected * ((sigma * sigma * years).exp() - 1.0)).sqrt();
        let se = sd / (n as f64).sqrt();
        assert!((mean - expected).abs() < 4.0 * se, "mean {mean} vs {expected} ± {se}");
    }

    #[test]
    fn the_growth_path_does_not_depend_on_noise_sigma() {
        // Common random numbers on a noise_sigma axis: the same stream gives
        // the same growth path for σ = 0 and σ = 0.2, and leaves the stream
        // in the same place.
        let paths: Vec<(Vec<f64>, u64)> = [0.0, 0.2]
            .into_iter()
            .map(|sigma| {
                let mut s = spec();
                s.noise_sigma = sigma;
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
                let mut p = DemandPath::new(&s, Span::YEAR, &mut rng);
                let growth = (1..=500u64)
                    .map(|k| {
                        p.advance(SimTime(k * 3_600), &mut rng);
                        p.growth()
                    })
                    .collect();
                (growth, rng.random::<u64>())
            })
            .collect();
        assert_eq!(paths[0], paths[1]);
    }

    #[test]
    fn commercial_failure_turns_drift_to_decay() {
        let mut s = spec();
        s.volatility_per_sqrt_year = 0.0;
        s.commercial_failure_probability = 1.0;
        s.failure_decay_per_year = 1.0;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let term = Span::YEAR * 4;
        let mut p = DemandPath::new(&s, term, &mut rng);
        let f = p.failed_at().unwrap();
        p.advance(f, &mut rng);
        let at_failure = p.growth();
        p.advance(f + Span::YEAR, &mut rng);
        assert!((p.growth() / at_failure - (-1.0f64).exp()).abs() < 1e-9);
    }
}
