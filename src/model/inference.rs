//! Inference demand: D(t) = base × growth(t) × seasonality(t) × noise.
//!
//! growth(t) is geometric Brownian motion, simulated exactly on the demand
//! step: ln G(t+Δ) = ln G(t) + (μ − σ²/2)Δ + σ√Δ·Z, so E[G(t)] = e^{μt}.
//! With probability p the product fails commercially at a uniform time in
//! the term; from then on the drift is −decay. Seasonality is
//! (1 + a_d sin 2πt/day)(1 + a_w sin 2πt/week), which averages to 1 over a
//! week, and the noise is i.i.d. lognormal with mean 1.
//!
//! **Importance sampling** (`montecarlo::importance`): under the spec's
//! `tilt` the path draws the same random numbers but samples another
//! measure, and carries the likelihood ratio of what it drew
//! ([`PathWeight`]). The commercial failure happens when u < p′ instead of
//! u < p (ratio p/p′ or (1 − p)/(1 − p′)), at a fraction x of the term of
//! density b(1 − x)^(b − 1) instead of uniform (ratio 1/(b(1 − x)^(b − 1)),
//! from the same uniform by the inverse CDF); each growth increment's normal
//! Z is shifted by θ = Δμ√Δ/σ, which adds Δμ·Δ to the log growth (ratio
//! exp(−θz + θ²/2) for the shifted value z). The full model and its
//! low-fidelity twin both sample through this type, so a tilt acts
//! identically in both.
//! What inference is granted is the step's demand, or, provisioned like a
//! service (`[inference.headroom]`), the trend's demand at the cycle's peak
//! plus a latency margin: [`DemandPath::granted`].

use crate::config::scenario::{DemandTilt, InferenceSpec};
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
    weight: PathWeight,
}

/// The likelihood ratio of a path sampled under a [`DemandTilt`] against
/// the model's own measure, and what the cross-entropy update of the tilt
/// needs. Under no tilt the ratio is 1 (log 0).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PathWeight {
    /// ln of the likelihood ratio p(path) / q(path) of the draws so far.
    pub log_weight: f64,
    /// Σ √Δ·z over the growth steps drawn (z the shifted normal).
    pub drift_score: f64,
    /// Σ Δ over the same steps, years.
    pub drift_years: f64,
    /// When the commercial failure was drawn to happen, as a fraction of
    /// the term, if it was.
    pub commercial_failure: Option<f64>,
    /// ln growth at the last step.
    pub log_growth: f64,
}

impl DemandPath {
    /// Draws the commercial-failure time (if any) over a term of `term` seconds.
    pub fn new<R: Rng + ?Sized>(spec: &InferenceSpec, term: Span, rng: &mut R) -> DemandPath {
        let p = spec.commercial_failure_probability;
        let tilted = spec.tilt.failure_probability.unwrap_or(p);
        let fails = rng.random::<f64>() < tilted;
        let mut fraction = rng.random::<f64>();
        let mut log_weight = match (spec.tilt.failure_probability, fails) {
            (None, _) => 0.0,
            (Some(q), true) => (p / q).ln(),
            (Some(q), false) => ((1.0 - p) / (1.0 - q)).ln(),
        };
        if let (true, Some(b)) = (fails, spec.tilt.failure_time_shape) {
            // Inverse of the CDF 1 − (1 − x)^b, from the same uniform.
            fraction = 1.0 - (1.0 - fraction).powf(1.0 / b);
            log_weight -= b.ln() + (b - 1.0) * (1.0 - fraction).ln();
        }
        let at = fraction * term.secs() as f64;
        DemandPath {
            spec: spec.clone(),
            log_growth: 0.0,
            failure_at: fails.then_some(SimTime(at as u64)),
            last: SimTime::ZERO,
            weight: PathWeight {
                log_weight,
                commercial_failure: fails.then_some(fraction),
                ..PathWeight::default()
            },
        }
    }

    /// The likelihood ratio of the draws so far (see [`PathWeight`]).
    pub fn weight(&self) -> PathWeight {
        PathWeight {
            log_growth: self.log_growth,
            ..self.weight
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
        let mut z: f64 = StandardNormal.sample(rng);
        let shift = tilt_shift(&s.tilt, sigma, dt);
        if shift != 0.0 {
            z += shift;
            self.weight.log_weight += -shift * z + 0.5 * shift * shift;
        }
        self.weight.drift_score += dt.sqrt() * z;
        self.weight.drift_years += dt;
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

/// The mean shift θ = Δμ√Δ/σ of a growth step of `dt` years' normal
/// (0 without volatility: a drift shift could not be reweighted).
fn tilt_shift(tilt: &DemandTilt, sigma: f64, dt: f64) -> f64 {
    if sigma > 0.0 {
        tilt.drift_shift_per_year * dt.sqrt() / sigma
    } else {
        0.0
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
            tilt: DemandTilt::default(),
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
    fn a_tilted_path_weighted_by_its_likelihood_ratio_has_the_models_mean() {
        // Under a tilt (drift −0.5, failure 10% → 60% and earlier), over
        // 20,000 weekly-stepped two-year paths, E_q[w] = 1 and E_q[w · G(T)]
        // agrees with the mean of 20,000 untilted paths (another seed),
        // both within 4 standard errors; untilted paths weigh exactly 1.
        let mut s = spec();
        s.commercial_failure_probability = 0.1;
        s.failure_decay_per_year = 0.5;
        let term = Span::YEAR * 2;
        let horizon = SimTime::at(term);
        let finals = |s: &InferenceSpec, n: usize, seed: u64| -> Vec<(f64, f64)> {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            (0..n)
                .map(|_| {
                    let mut p = DemandPath::new(s, term, &mut rng);
                    let mut t = SimTime::ZERO;
                    while t < horizon {
                        t = (t + Span::DAY * 7).min(horizon);
                        p.advance(t, &mut rng);
                    }
                    (p.weight().log_weight.exp(), p.growth())
                })
                .collect()
        };
        let mean_se = |v: &[f64]| {
            let n = v.len() as f64;
            let m = v.iter().sum::<f64>() / n;
            let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
            (m, (var / n).sqrt())
        };
        let plain = finals(&s, 20_000, 1);
        assert!(plain.iter().all(|(w, _)| *w == 1.0));
        let (pm, pse) = mean_se(&plain.iter().map(|x| x.1).collect::<Vec<_>>());
        s.tilt = DemandTilt {
            drift_shift_per_year: -0.5,
            failure_probability: Some(0.6),
            failure_time_shape: Some(3.0),
        };
        let tilted = finals(&s, 20_000, 2);
        let (wm, wse) = mean_se(&tilted.iter().map(|x| x.0).collect::<Vec<_>>());
        assert!((wm - 1.0).abs() < 4.0 * wse, "E[w] = {wm} ± {wse}");
        let (tm, tse) = mean_se(&tilted.iter().map(|(w, g)| w * g).collect::<Vec<_>>());
        let z = (tm - pm) / (tse * tse + pse * pse).sqrt();
        assert!(z.abs() < 4.0, "weighted {tm} ± {tse} vs plain {pm} ± {pse}");
        // The tilt moved the paths: their unweighted mean growth is lower.
        let (um, _) = mean_se(&tilted.iter().map(|x| x.1).collect::<Vec<_>>());
        assert!(um < pm - 10.0 * pse, "{um} vs {pm}");
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
