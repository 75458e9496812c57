//! Research jobs, checked: the arrival stream, job sizes and durations,
//! and checkpoints.

use super::cluster::ClusterSpec;
use super::dist::{Dist, TimeDist};
use super::raw::RawResearch;
use super::rules;
use super::scenario::{KeyError, dist, hours, limits, non_negative, positive, require, time_dist};
use crate::engine::Span;

/// Research job stream.
#[derive(Debug, Clone)]
pub struct ResearchSpec {
    /// Arrival rate at t = 0, per second.
    pub arrival_rate: f64,
    /// Continuous growth rate of arrivals, per second (ln(1+g)/year).
    pub arrival_log_growth: f64,
    /// Chips per job before rounding to units.
    pub chips: Dist,
    /// Smallest job in units.
    pub min_units: u64,
    /// Largest job in units.
    pub max_units: u64,
    /// Run time on baseline chips.
    pub duration: TimeDist,
    /// Checkpoint interval in run time, if jobs checkpoint.
    pub checkpoint_interval: Option<Span>,
}

pub(super) fn research(raw: &RawResearch, cluster: &ClusterSpec, term: Span) -> Result<ResearchSpec, KeyError> {
    let rate = non_negative(raw.arrivals_per_hour, "research.arrivals_per_hour")?;
    let growth = raw.arrival_growth_per_year;
    require(
        growth.is_finite() && growth > -1.0,
        "research.arrival_growth_per_year",
        format!("is {}; allowed: a number > -1", rules::show(growth)),
    )?;
    // Arrivals must be rarer than the clock's resolution (see
    // limits::MIN_MEAN_GAP), at the start and at the end of the term.
    let max_per_hour = Span::HOUR.secs() as f64 / limits::MIN_MEAN_GAP.secs() as f64;
    require(
        rate <= max_per_hour,
        "research.arrivals_per_hour",
        format!(
            "is {}, more than one arrival every {} s, the simulator's resolution; allowed: at most {max_per_hour}",
            rules::show(rate),
            limits::MIN_MEAN_GAP.secs()
        ),
    )?;
    let peak = rate * (1.0 + growth).max(1.0).powf(term.in_units(Span::YEAR));
    require(
        peak <= max_per_hour,
        "research.arrival_growth_per_year",
        format!(
            "is {}: arrivals would reach {} per hour by the end of the term, more than one every {} s, the \
             simulator's resolution; allowed: growth that keeps them at most {max_per_hour} per hour",
            rules::show(growth),
            rules::approx(peak),
            limits::MIN_MEAN_GAP.secs()
        ),
    )?;
    require(raw.min_chips >= 1, "research.min_chips", "is 0; allowed: at least 1")?;
    require(
        raw.max_chips >= raw.min_chips,
        "research.max_chips",
        format!(
            "is {}; allowed: at least research.min_chips ({})",
            raw.max_chips, raw.min_chips
        ),
    )?;
    Ok(ResearchSpec {
        arrival_rate: rate / Span::HOUR.secs() as f64,
        arrival_log_growth: (1.0 + growth).ln() / Span::YEAR.secs() as f64,
        chips: dist(&raw.chips, "research.chips")?,
        min_units: raw.min_chips.div_ceil(cluster.unit_chips),
        max_units: raw.max_chips.div_ceil(cluster.unit_chips),
        duration: time_dist(&raw.duration_hours, Span::HOUR, "research.duration_hours")?,
        checkpoint_interval: raw
            .checkpoint_interval_hours
            .map(|h| positive(h, "research.checkpoint_interval_hours").map(|h| hours(h).max(Span(1))))
            .transpose()?,
    })
}
