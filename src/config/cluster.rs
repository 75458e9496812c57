//! The cluster, checked: chip generations, tranches of capacity and the
//! failure process (the per-chip MTBF and repairs; failure domains and
//! kinds are checked in `failures.rs`, hazards over age and lemons in
//! `hazards.rs`).

use super::dist::TimeDist;
use super::failures::{self, FailureDomain, FailureKind};
use super::hazards::{self, Hazard, Lemons};
use super::maintenance::{self, Maintenance};
use super::raw::RawCluster;
use super::rules;
use super::scenario::{Gen, KeyError, bad, limits, non_negative, positive, require, time_dist};
use crate::engine::{SimTime, Span};

/// The range of a generation's relative speed.
pub const MIN_SPEED: f64 = 1e-3;
/// See [`MIN_SPEED`].
pub const MAX_SPEED: f64 = 1e3;

/// Cluster capacity and failure process.
#[derive(Debug, Clone)]
pub struct ClusterSpec {
    /// Chips per failure unit; every allocation is whole units.
    pub unit_chips: u64,
    /// Failure rate of one up unit, per second.
    pub unit_failure_rate: f64,
    /// Per-chip MTBF in hours (for derived figures).
    pub chip_mtbf_hours: f64,
    /// Repair time distribution (of every unit failure without
    /// `kinds`).
    pub repair: TimeDist,
    /// Correlated failure domains (empty: failures hit single units only).
    pub domains: Vec<FailureDomain>,
    /// Kinds of unit failure (empty: every failure takes its unit down
    /// for `repair`).
    pub kinds: Vec<FailureKind>,
    /// Planned maintenance windows (empty: none).
    pub maintenance: Vec<Maintenance>,
    /// Weibull hazards over a chip's age, added to the constant rate
    /// (empty: none).
    pub hazards: Vec<Hazard>,
    /// Lemon units (None: none).
    pub lemons: Option<Lemons>,
    /// Generations, in file order.
    pub generations: Vec<Generation>,
    /// Deliveries in file order: one per `[[cluster.tranches]]`, or one per
    /// step of a ramped tranche (`config::tranche`), its steps consecutive.
    pub tranches: Vec<Tranche>,
}

/// One chip generation.
#[derive(Debug, Clone)]
pub struct Generation {
    /// Name as in the file.
    pub name: String,
    /// Relative speed (baseline chip = 1).
    pub speed: f64,
    /// Service life after delivery (None: serves to the end).
    pub service_life: Option<Span>,
    /// The price the config gives this generation's chip-hour, if any (the
    /// resolved prices are `ContractSpec::prices`).
    pub price_per_chip_hour_usd: Option<f64>,
    /// The provider's capital cost per chip, as given (checked in
    /// `ProviderSpec::economics`).
    pub capex_per_chip_usd: Option<f64>,
}

/// One delivery of capacity: a tranche, or one step of a ramped tranche.
#[derive(Debug, Clone)]
pub struct Tranche {
    /// Failure units delivered.
    pub units: u64,
    /// Its generation.
    pub generation: Gen,
    /// Planned delivery.
    pub planned: SimTime,
    /// Random delivery delay, shared by the steps of a ramped tranche
    /// (drawn once, at its step 0).
    pub delay: TimeDist,
    /// Which step of its tranche's ramp this is (0: the first or only one).
    pub step: u32,
    /// The step's own delay on top of the shared one (None: none).
    pub jitter: Option<TimeDist>,
}

impl ClusterSpec {
    /// When tranche `t` is in service per the plan (no delays): from its
    /// planned delivery to the end of its generation's service life.
    pub fn planned_service(&self, t: &Tranche) -> (SimTime, SimTime) {
        let life = self.generations[t.generation.index()]
            .service_life
            .unwrap_or(Span(u64::MAX));
        (t.planned, t.planned + life)
    }

    /// Chip-hours the tranche schedule plans within `[from, to)`.
    pub fn planned_chip_hours(&self, from: SimTime, to: SimTime) -> f64 {
        self.planned_chip_hours_where(from, to, |_| true)
    }

    /// Chip-hours of generation `g` the tranche schedule plans within
    /// `[from, to)`.
    pub fn planned_chip_hours_of(&self, g: Gen, from: SimTime, to: SimTime) -> f64 {
        self.planned_chip_hours_where(from, to, |t| t.generation == g)
    }

    fn planned_chip_hours_where(&self, from: SimTime, to: SimTime, keep: impl Fn(&Tranche) -> bool) -> f64 {
        self.tranches
            .iter()
            .filter(|t| keep(t))
            .map(|t| {
                let (start, end) = self.planned_service(t);
                let seconds = end.min(to) - start.max(from);
                (t.units * self.unit_chips) as f64 * seconds.hours()
            })
            .sum()
    }

    /// Chips in service per the plan at instant `at`.
    pub fn planned_chips_at(&self, at: SimTime) -> u64 {
        self.tranches
            .iter()
            .filter(|t| {
                let (start, end) = self.planned_service(t);
                start <= at && at < end
            })
            .map(|t| t.units * self.unit_chips)
            .sum()
    }

    /// The most chips the plan has in service at once.
    pub fn peak_planned_chips(&self) -> u64 {
        self.tranches
            .iter()
            .map(|t| self.planned_chips_at(t.planned))
            .max()
            .unwrap_or(0)
    }

    /// Units of every tranche of generation `g`: all it will ever hold.
    pub fn generation_units(&self, g: Gen) -> u64 {
        self.tranches
            .iter()
            .filter(|t| t.generation == g)
            .map(|t| t.units)
            .sum()
    }
}

pub(super) fn cluster(raw: &RawCluster, term: Span) -> Result<ClusterSpec, KeyError> {
    let unit_chips = raw.failure_unit_chips;
    require(
        unit_chips >= 1,
        "cluster.failure_unit_chips",
        "is 0; allowed: at least 1",
    )?;
    let mtbf = positive(raw.chip_mtbf_hours, "cluster.chip_mtbf_hours")?;
    let repair = time_dist(&raw.repair_hours, Span::HOUR, "cluster.repair_hours")?;
    require(
        !raw.generations.is_empty(),
        "cluster.generations",
        "is empty; allowed: at least one [[cluster.generations]]",
    )?;
    let mut generations = Vec::with_capacity(raw.generations.len());
    for (i, g) in raw.generations.iter().enumerate() {
        let key = format!("cluster.generations[{i}]");
        require(
            !raw.generations[..i].iter().any(|o| o.name == g.name),
            format!("{key}.name"),
            format!("{} is used twice; allowed: unique names", super::quote_value(&g.name)),
        )?;
        let speed = positive(g.speed, &format!("{key}.speed"))?;
        // A chip a thousand times faster or slower than the baseline's is
        // outside what the model describes, and far beyond it training runs
        // shrink to single events and the event count explodes.
        require(
            (MIN_SPEED..=MAX_SPEED).contains(&speed),
            format!("{key}.speed"),
            format!(
                "is {}; allowed: {MIN_SPEED} to {MAX_SPEED} (relative to the baseline chip)",
                rules::show(speed)
            ),
        )?;
        let service_life = g
            .service_life_years
            .map(|y| positive(y, &format!("{key}.service_life_years")))
            .transpose()?
            .map(|y| Span::of(y, Span::YEAR));
        generations.push(Generation {
            name: g.name.clone(),
            speed,
            service_life,
            price_per_chip_hour_usd: g.price_per_chip_hour_usd,
            capex_per_chip_usd: g.capex_per_chip_usd,
        });
    }
    require(
        !raw.tranches.is_empty(),
        "cluster.tranches",
        "is empty; allowed: at least one [[cluster.tranches]]",
    )?;
    let mut tranches = Vec::with_capacity(raw.tranches.len());
    let term_months = term.in_units(Span::MONTH);
    let mut total_chips: u64 = 0;
    for (i, t) in raw.tranches.iter().enumerate() {
        let key = format!("cluster.tranches[{i}]");
        require(
            t.chips > 0 && t.chips % unit_chips == 0,
            format!("{key}.chips"),
            format!(
                "is {}; allowed: a positive multiple of cluster.failure_unit_chips ({unit_chips})",
                t.chips
            ),
        )?;
        let generation = raw
            .generations
            .iter()
            .position(|g| g.name == t.generation)
            .map(|g| Gen(g as u32))
            .ok_or_else(|| {
                let names: Vec<_> = raw.generations.iter().map(|g| super::quote_value(&g.name)).collect();
                bad(
                    format!("{key}.generation"),
                    format!(
                        "is {}, which is no [[cluster.generations]] name; allowed: {}",
                        super::quote_value(&t.generation),
                        names.join(", ")
                    ),
                )
            })?;
        let planned_month = non_negative(t.planned_month, &format!("{key}.planned_month"))?;
        require(
            planned_month < term_months,
            format!("{key}.planned_month"),
            format!(
                "is {planned_month}, at or after the end of the {term_months:.1}-month term; allowed: 0 ≤ planned_month < {term_months:.1}"
            ),
        )?;
        total_chips = total_chips
            .checked_add(t.chips)
            .filter(|&c| c <= limits::MAX_CHIPS)
            .ok_or_else(|| {
                bad(
                    format!("{key}.chips"),
                    format!(
                        "is {}, which brings the tranches above {} chips in all; allowed: at most {} chips over all tranches",
                        t.chips,
                        limits::MAX_CHIPS,
                        limits::MAX_CHIPS
                    ),
                )
            })?;
        let delay = time_dist(
            &t.delivery_delay_months,
            Span::MONTH,
            &format!("{key}.delivery_delay_months"),
        )?;
        let units = t.chips / unit_chips;
        tranches.extend(super::tranche::steps(
            t.ramp.as_ref(),
            &key,
            units,
            generation,
            planned_month,
            delay,
            term_months,
        )?);
    }
    // Failures of the whole cluster must be rarer than the clock's
    // resolution: at a mean gap under 2 s most gaps round to 0 s and the
    // simulated time stops advancing.
    let min_mtbf = total_chips as f64 * limits::MIN_MEAN_GAP.secs() as f64 / Span::HOUR.secs() as f64;
    require(
        mtbf >= min_mtbf,
        "cluster.chip_mtbf_hours",
        format!(
            "is {}: with {total_chips} chips a failure would come every {:.3} s on average, below the simulator's \
             resolution of whole seconds; allowed: at least {} hours for this cluster",
            rules::show(mtbf),
            mtbf * Span::HOUR.secs() as f64 / total_chips as f64,
            rules::approx(min_mtbf)
        ),
    )?;
    let domains = failures::domains(&raw.failure_domains, unit_chips, total_chips, generations.len())?;
    let kinds = failures::kinds(&raw.failure_kinds, &repair)?;
    let maintenance = maintenance::maintenance(&raw.maintenance, &domains, unit_chips)?;
    let unit_failure_rate = unit_chips as f64 / (mtbf * Span::HOUR.secs() as f64);
    let hazards = hazards::hazards(&raw.hazards, total_chips, term)?;
    let lemons = hazards::lemons(raw.lemons.as_ref(), total_chips / unit_chips, unit_failure_rate, term)?;
    Ok(ClusterSpec {
        unit_chips,
        unit_failure_rate,
        chip_mtbf_hours: mtbf,
        repair,
        domains,
        kinds,
        maintenance,
        hazards,
        lemons,
        generations,
        tranches,
    })
}
