//! Research jobs, checked: the arrival stream, job sizes and durations,
//! checkpoints, patience (reneging) and the elastic mode, in which the
//! lab's researchers keep a backlog that soaks up idle capacity up to a
//! headcount cap.

use super::cluster::ClusterSpec;
use super::dist::{Dist, TimeDist};
use super::raw::{RawElasticResearch, RawResearch};
use super::rules;
use super::scenario::{KeyError, bad, dist, hours, limits, non_negative, positive, require, time_dist};
use crate::engine::{SimTime, Span};

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
    /// How long a job waits without starting before it gives up, if jobs
    /// renege.
    pub patience: Option<TimeDist>,
    /// The lab's headcount cap, in elastic mode.
    pub elastic: Option<ElasticResearch>,
}

/// Elastic research: a backlog of jobs that runs on idle capacity, at most
/// `researchers(t) × chips_per_researcher` chips at once.
#[derive(Debug, Clone, PartialEq)]
pub struct ElasticResearch {
    /// Researchers at the start of the term.
    pub researchers: f64,
    /// Research chips one researcher keeps busy at most.
    pub chips_per_researcher: f64,
    /// Continuous growth rate of the headcount, per second (ln(1+g)/year).
    pub headcount_log_growth: f64,
    /// True when no arrival stream is given: the backlog never runs dry,
    /// and a job is drawn whenever one could start.
    pub never_empty: bool,
}

impl ElasticResearch {
    /// Whole researchers at `at`: ⌊researchers × (1 + g)^years⌋.
    pub fn researchers_at(&self, at: SimTime) -> f64 {
        (self.researchers * (self.headcount_log_growth * at.secs() as f64).exp()).floor()
    }

    /// The cap in failure units of `unit_chips` at `at` (saturating: a cap
    /// beyond any cluster is as good as none).
    pub fn cap_units(&self, at: SimTime, unit_chips: u64) -> u64 {
        (self.researchers_at(at) * self.chips_per_researcher / unit_chips as f64).floor() as u64
    }
}

pub(super) fn research(raw: &RawResearch, cluster: &ClusterSpec, term: Span) -> Result<ResearchSpec, KeyError> {
    let (rate, growth) = match (raw.arrivals_per_hour, raw.arrival_growth_per_year, &raw.elastic) {
        (Some(rate), Some(growth), _) => (rate, growth),
        (Some(_), None, _) => {
            return Err(bad(
                "research.arrival_growth_per_year",
                "is missing; it is required with research.arrivals_per_hour (0 for a constant rate)",
            ));
        }
        (None, Some(_), _) => {
            return Err(bad(
                "research.arrival_growth_per_year",
                "is set without research.arrivals_per_hour; allowed: only with an arrival rate",
            ));
        }
        // Elastic without a stream: the backlog never runs dry.
        (None, None, Some(_)) => (0.0, 0.0),
        (None, None, None) => {
            return Err(bad(
                "research.arrivals_per_hour",
                "is missing; it is required unless [research.elastic] is given (then absent means the \
                 backlog never runs dry)",
            ));
        }
    };
    let rate = non_negative(rate, "research.arrivals_per_hour")?;
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
        patience: raw
            .patience_hours
            .as_ref()
            .map(|p| time_dist(p, Span::HOUR, "research.patience_hours"))
            .transpose()?,
        elastic: raw
            .elastic
            .as_ref()
            .map(|e| elastic(e, raw, cluster, raw.arrivals_per_hour.is_none()))
            .transpose()?,
    })
}

fn elastic(
    e: &RawElasticResearch,
    raw: &RawResearch,
    cluster: &ClusterSpec,
    never_empty: bool,
) -> Result<ElasticResearch, KeyError> {
    let key = "research.elastic";
    require(
        e.researchers >= 1,
        format!("{key}.researchers"),
        "is 0; allowed: at least 1",
    )?;
    require(
        e.chips_per_researcher >= 1,
        format!("{key}.chips_per_researcher"),
        "is 0; allowed: at least 1",
    )?;
    let g = e.headcount_growth_per_year;
    require(
        g.is_finite() && g >= 0.0,
        format!("{key}.headcount_growth_per_year"),
        format!(
            "is {}; allowed: a finite number ≥ 0 (a shrinking cap could strand a queued job)",
            rules::show(g)
        ),
    )?;
    let spec = ElasticResearch {
        researchers: e.researchers as f64,
        chips_per_researcher: e.chips_per_researcher as f64,
        headcount_log_growth: (1.0 + g).ln() / Span::YEAR.secs() as f64,
        never_empty,
    };
    // A job larger than the cap would block the queue for ever.
    let cap = spec.cap_units(SimTime::ZERO, cluster.unit_chips);
    let largest = raw.max_chips.div_ceil(cluster.unit_chips);
    require(
        cap >= largest,
        format!("{key}.chips_per_researcher"),
        format!(
            "is {}: the cap at the start, {} researchers × {} chips, holds {cap} failure units of {} chips, \
             fewer than the largest job (research.max_chips = {}, {largest} units); allowed: a cap that holds \
             at least one largest job",
            e.chips_per_researcher, e.researchers, e.chips_per_researcher, cluster.unit_chips, raw.max_chips
        ),
    )?;
    Ok(spec)
}
