//! Inference demand, checked: the growth path, seasonality and noise, and
//! the headroom it is provisioned with.

use super::raw::RawInference;
use super::scenario::{KeyError, hours, non_negative, positive, probability, require};
use crate::engine::Span;

/// Inference demand model.
#[derive(Debug, Clone)]
pub struct InferenceSpec {
    /// Demand at t = 0 in baseline-chip equivalents.
    pub base_demand_chips: f64,
    /// Re-evaluation step.
    pub step: Span,
    /// GBM drift per year.
    pub drift_per_year: f64,
    /// GBM volatility per √year.
    pub volatility_per_sqrt_year: f64,
    /// Chance of a commercial failure in the term.
    pub commercial_failure_probability: f64,
    /// Decay rate per year after a commercial failure.
    pub failure_decay_per_year: f64,
    /// Diurnal amplitude.
    pub diurnal_amplitude: f64,
    /// Weekly amplitude.
    pub weekly_amplitude: f64,
    /// Lognormal noise σ per step.
    pub noise_sigma: f64,
    /// Demand step-up when a training run completes (0: none).
    pub completed_run_jump: f64,
    /// σ of the step-up's lognormal noise.
    pub completed_run_jump_sigma: f64,
    /// The measure the path is sampled under: none from a config; set by
    /// importance sampling (`montecarlo::importance`) on a copy.
    pub tilt: DemandTilt,
    /// Provisioning for the cycle's peak plus a latency margin (None: each
    /// step's demand is granted).
    pub headroom: Option<Headroom>,
}

/// An exponential tilt of the demand path's drivers of default, for
/// importance sampling. Not a config key: `montecarlo::importance` sets
/// it on a copy of the scenario, and `model::inference::DemandPath`
/// samples under it and carries the likelihood ratio. The default is no
/// tilt (the model's own measure, drawn bit for bit as without it).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DemandTilt {
    /// Added to the growth path's drift per year (a mean shift of its
    /// normal increments; negative pushes demand, and so the buyer, down).
    pub drift_shift_per_year: f64,
    /// The commercial failure's probability under the tilt (`None`: the
    /// scenario's own).
    pub failure_probability: Option<f64>,
    /// The failure's time under the tilt: a fraction x of the term with
    /// density b(1 − x)^(b − 1), b ≥ 1 (earlier failures); `None`: uniform,
    /// the scenario's own.
    pub failure_time_shape: Option<f64>,
}

impl DemandTilt {
    /// Whether this is the model's own measure.
    pub fn is_none(&self) -> bool {
        self.drift_shift_per_year == 0.0 && self.failure_probability.is_none() && self.failure_time_shape.is_none()
    }
}

/// Inference provisioned like a service (`[inference.headroom]`): at each
/// step it is granted base × growth(t) × `peak_to_mean` × (1 + `latency_margin`)
/// baseline chips, the trend's demand at the peak of the daily and weekly
/// cycles plus a margin for its latency target, and serves min(demand,
/// granted). The noise is not foreseen: the margin absorbs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Headroom {
    /// The cycles' peak over their mean, (1 + a_d)(1 + a_w): an upper bound
    /// on the seasonal factor, reached when the day's and the week's peaks
    /// coincide.
    pub peak_to_mean: f64,
    /// Capacity beyond the peak, as a fraction of it.
    pub latency_margin: f64,
}

impl Headroom {
    /// Baseline chips granted for a trend demand (base × growth) of `trend`.
    pub fn granted(&self, trend: f64) -> f64 {
        trend * self.peak_to_mean * (1.0 + self.latency_margin)
    }
}

/// The largest latency margin: a fleet ten times its peak demand is a typo.
pub const MAX_LATENCY_MARGIN: f64 = 10.0;

/// The finest demand step allowed: one minute. A finer one adds events,
/// not accuracy (demand drifts over months), and every step may preempt
/// research: with an elastic backlog the fuzz test found a 3.6-second step
/// making 800M events a replica (a run of hours; the events estimate,
/// which counts steps but not the preemptions they cause, said 178M).
pub const MIN_STEP_HOURS: f64 = 1.0 / 60.0;

fn step_hours(x: f64) -> Result<f64, KeyError> {
    let x = positive(x, "inference.step_hours")?;
    require(
        x >= MIN_STEP_HOURS,
        "inference.step_hours",
        format!(
            "is {}; allowed: at least {MIN_STEP_HOURS:.7} (one minute)",
            super::rules::show(x)
        ),
    )?;
    Ok(x)
}

pub(super) fn inference(raw: &RawInference) -> Result<InferenceSpec, KeyError> {
    let amplitude = |x: f64, key: &str| {
        require(
            (0.0..1.0).contains(&x),
            key,
            format!("is {x}; allowed: 0 ≤ amplitude < 1"),
        )?;
        Ok::<f64, KeyError>(x)
    };
    let g = &raw.growth;
    require(
        g.drift_per_year.is_finite(),
        "inference.growth.drift_per_year",
        "allowed: a finite number",
    )?;
    let diurnal_amplitude = amplitude(
        raw.seasonality.diurnal_amplitude,
        "inference.seasonality.diurnal_amplitude",
    )?;
    let weekly_amplitude = amplitude(
        raw.seasonality.weekly_amplitude,
        "inference.seasonality.weekly_amplitude",
    )?;
    let headroom = raw
        .headroom
        .as_ref()
        .map(|h| {
            let key = "inference.headroom.latency_margin";
            let m = non_negative(h.latency_margin, key)?;
            require(
                m <= MAX_LATENCY_MARGIN,
                key,
                format!("is {}; allowed: 0 to {MAX_LATENCY_MARGIN}", super::rules::show(m)),
            )?;
            Ok::<Headroom, KeyError>(Headroom {
                peak_to_mean: (1.0 + diurnal_amplitude) * (1.0 + weekly_amplitude),
                latency_margin: m,
            })
        })
        .transpose()?;
    Ok(InferenceSpec {
        base_demand_chips: non_negative(raw.base_demand_chips, "inference.base_demand_chips")?,
        step: hours(step_hours(raw.step_hours)?),
        drift_per_year: g.drift_per_year,
        volatility_per_sqrt_year: non_negative(
            g.volatility_per_sqrt_year,
            "inference.growth.volatility_per_sqrt_year",
        )?,
        commercial_failure_probability: probability(
            g.commercial_failure_probability,
            "inference.growth.commercial_failure_probability",
        )?,
        failure_decay_per_year: non_negative(g.failure_decay_per_year, "inference.growth.failure_decay_per_year")?,
        diurnal_amplitude,
        weekly_amplitude,
        noise_sigma: non_negative(raw.noise_sigma, "inference.noise_sigma")?,
        completed_run_jump: non_negative(g.completed_run_jump, "inference.growth.completed_run_jump")?,
        completed_run_jump_sigma: non_negative(
            g.completed_run_jump_sigma,
            "inference.growth.completed_run_jump_sigma",
        )?,
        tilt: DemandTilt::default(),
        headroom,
    })
}
