//! The checked scenario: every value validated and converted to simulation
//! units (seconds, per-second rates, whole failure units) exactly once.
//!
//! [`Scenario::try_from`] turns a [`RawScenario`] into a [`Scenario`] or a
//! [`KeyError`] naming the offending key and what is allowed.

use super::dist::{Dist, DistSpec, TimeDist};
use super::raw::*;
use super::rules;
use crate::engine::{SimTime, Span};

/// A validation failure: the dotted key and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyError {
    /// Dotted path of the key, e.g. `cluster.tranches[1].chips`.
    pub key: String,
    /// What is wrong and what is allowed.
    pub problem: String,
}

fn bad(key: impl Into<String>, problem: impl Into<String>) -> KeyError {
    KeyError {
        key: key.into(),
        problem: problem.into(),
    }
}

fn require(ok: bool, key: impl Into<String>, problem: impl Into<String>) -> Result<(), KeyError> {
    if ok { Ok(()) } else { Err(bad(key, problem)) }
}

fn positive(x: f64, key: &str) -> Result<f64, KeyError> {
    rules::positive(x).map_err(|problem| bad(key, problem))
}

fn non_negative(x: f64, key: &str) -> Result<f64, KeyError> {
    rules::non_negative(x).map_err(|problem| bad(key, problem))
}

fn probability(x: f64, key: &str) -> Result<f64, KeyError> {
    rules::probability(x).map_err(|problem| bad(key, problem))
}

fn dist(spec: &DistSpec, key: &str) -> Result<Dist, KeyError> {
    Dist::try_from(spec).map_err(|e| bad(format!("{key}.{}", e.param), e.problem))
}

fn time_dist(spec: &DistSpec, unit: Span, key: &str) -> Result<TimeDist, KeyError> {
    TimeDist::new(spec, unit).map_err(|e| bad(format!("{key}.{}", e.param), e.problem))
}

fn hours(h: f64) -> Span {
    Span::of(h, Span::HOUR)
}

fn months(m: f64) -> Span {
    Span::of(m, Span::MONTH)
}

/// Index of a chip generation in [`ClusterSpec::generations`] (file order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gen(pub u32);

impl Gen {
    /// As an index into per-generation vectors.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// Every generation of a cluster of `count`, in file order.
    pub fn all(count: usize) -> impl Iterator<Item = Gen> {
        (0..count as u32).map(Gen)
    }
}

/// Index of a frontier training run in [`TrainingSpec::runs`] (ready order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(pub u32);

impl RunId {
    /// As an index into per-run vectors.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Checks a name that becomes a folder name (`results/<name>/`): letters,
/// digits, `-`, `_` and `.`, not starting with `.`, at most 100 characters —
/// so no name can be empty, absolute, `.`/`..` or climb out of its folder.
/// Returns the problem in the words of a key error.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "is {}; allowed: 1 to 100 letters, digits, '-', '_' and '.', not starting with '.' (it names the results folder)",
            crate::config::quote_value(name)
        ))
    }
}

/// What a scenario may ask of the simulator at all (beyond these, a run
/// could not be represented, not merely take long; the resource ceilings
/// that `--allow-huge` lifts are in `model::budget`).
pub mod limits {
    use crate::engine::Span;

    /// Chips over all tranches.
    pub const MAX_CHIPS: u64 = 1_000_000_000_000;
    /// Frontier training runs a generator may plan in the term.
    pub const MAX_TRAINING_RUNS: u64 = 100_000;
    /// The shortest mean gap between failures, or between research
    /// arrivals: time is whole seconds, and at a mean gap under 2 s most
    /// gaps round to 0 and the clock stops advancing.
    pub const MIN_MEAN_GAP: Span = Span(2);
}

/// A validated scenario in simulation units.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Short name; results go to `results/<name>/`.
    pub name: String,
    /// One line describing the scenario.
    pub description: String,
    /// Master seed.
    pub seed: u64,
    /// Replicas per grid point.
    pub replicas: u32,
    /// Time-series step.
    pub timeseries_step: Span,
    /// Contract terms.
    pub contract: ContractSpec,
    /// Capacity and failures.
    pub cluster: ClusterSpec,
    /// Scheduling policy.
    pub policy: PolicyKind,
    /// Frontier training, if any.
    pub training: Option<TrainingSpec>,
    /// Inference demand, if any.
    pub inference: Option<InferenceSpec>,
    /// Research jobs, if any.
    pub research: Option<ResearchSpec>,
    /// The buyer's finances; `None`: the buyer always pays.
    pub buyer: Option<BuyerSpec>,
    /// Recovery after a default, and the provider's economics.
    pub provider: ProviderSpec,
    /// The open market for re-marketed capacity, if modelled.
    pub market: Option<MarketSpec>,
    /// Utilization threshold of the "year below threshold" risk figure.
    pub utilization_threshold: f64,
    /// The scenario as resolved (after overrides), for the manifest.
    pub raw: RawScenario,
}

pub use super::buyer::BuyerSpec;
pub use super::contract::ContractSpec;
pub use super::money::{MarketSpec, ProviderEconomics, ProviderSpec};

/// Cluster capacity and failure process.
#[derive(Debug, Clone)]
pub struct ClusterSpec {
    /// Chips per failure unit; every allocation is whole units.
    pub unit_chips: u64,
    /// Failure rate of one up unit, per second.
    pub unit_failure_rate: f64,
    /// Per-chip MTBF in hours (for derived figures).
    pub chip_mtbf_hours: f64,
    /// Repair time distribution.
    pub repair: TimeDist,
    /// Generations, in file order.
    pub generations: Vec<Generation>,
    /// Deliveries.
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

/// One delivery of capacity.
#[derive(Debug, Clone)]
pub struct Tranche {
    /// Failure units delivered.
    pub units: u64,
    /// Its generation.
    pub generation: Gen,
    /// Planned delivery.
    pub planned: SimTime,
    /// Random delivery delay.
    pub delay: TimeDist,
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

/// Which scheduling policy runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PolicyKind {
    /// training > inference > research.
    Priority,
    /// inference > training > research: training may not shrink inference.
    InferenceFirst,
    /// Reserved training fraction; research backfills.
    Partitioned {
        /// Fraction of each generation's up units reserved for training.
        training_fraction: f64,
    },
}

/// Frontier training roadmap.
#[derive(Debug, Clone)]
pub struct TrainingSpec {
    /// Compute between checkpoints τ (≥ 1 s).
    pub checkpoint_interval: Span,
    /// Checkpoint cost δ.
    pub checkpoint_cost: Span,
    /// Restart overhead R.
    pub restart_overhead: Span,
    /// Every run, explicit and generated, in start order.
    pub runs: Vec<RunSpec>,
}

/// One frontier training run.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// When the run is ready to start.
    pub ready: SimTime,
    /// Units needed (gang).
    pub units: u64,
    /// Failure-free compute on baseline chips.
    pub baseline_work: Span,
    /// Chance of cancellation before start.
    pub cancel_probability: f64,
}

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
}

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

impl TryFrom<RawScenario> for Scenario {
    type Error = KeyError;

    fn try_from(raw: RawScenario) -> Result<Self, KeyError> {
        check_name(&raw.name).map_err(|problem| bad("name", problem))?;
        let sim = &raw.simulation;
        require(sim.replicas >= 1, "simulation.replicas", "is 0; allowed: at least 1")?;
        let step_months = positive(sim.timeseries_step_months, "simulation.timeseries_step_months")?;

        let c = &raw.contract;
        let term_years = positive(c.term_years, "contract.term_years")?;
        require(
            term_years <= 100.0,
            "contract.term_years",
            format!("is {term_years}; allowed: 0 < term_years ≤ 100"),
        )?;
        let term = Span::of(term_years, Span::YEAR);
        let cluster = cluster(&raw.cluster, term)?;
        let contract = super::contract::resolve(c, &cluster, term)?;
        let buyer = (raw.buyer.as_ref())
            .map(|b| super::buyer::buyer(b, contract.payments.len()))
            .transpose()?;
        let provider = super::money::provider(raw.provider.as_ref(), &cluster)?;
        let market = raw.market.as_ref().map(super::money::market).transpose()?;
        let utilization_threshold = match &raw.risk {
            Some(r) => probability(r.utilization_threshold, "risk.utilization_threshold")?,
            None => 0.5,
        };

        let policy = policy(&raw.scheduler)?;
        let training = raw.training.as_ref().map(|t| training(t, &cluster, term)).transpose()?;
        let inference = raw.inference.as_ref().map(inference).transpose()?;
        let research = raw.research.as_ref().map(|r| research(r, &cluster, term)).transpose()?;

        Ok(Scenario {
            name: raw.name.clone(),
            description: raw.description.clone(),
            seed: sim.seed,
            replicas: sim.replicas,
            timeseries_step: months(step_months).max(Span(1)),
            contract,
            cluster,
            policy,
            training,
            inference,
            research,
            buyer,
            provider,
            market,
            utilization_threshold,
            raw,
        })
    }
}

fn cluster(raw: &RawCluster, term: Span) -> Result<ClusterSpec, KeyError> {
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
        tranches.push(Tranche {
            units: t.chips / unit_chips,
            generation,
            planned: SimTime::at(months(planned_month)),
            delay: time_dist(
                &t.delivery_delay_months,
                Span::MONTH,
                &format!("{key}.delivery_delay_months"),
            )?,
        });
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
    Ok(ClusterSpec {
        unit_chips,
        unit_failure_rate: unit_chips as f64 / (mtbf * Span::HOUR.secs() as f64),
        chip_mtbf_hours: mtbf,
        repair,
        generations,
        tranches,
    })
}

fn training(raw: &RawTraining, cluster: &ClusterSpec, term: Span) -> Result<TrainingSpec, KeyError> {
    let tau = hours(positive(
        raw.checkpoint_interval_hours,
        "training.checkpoint_interval_hours",
    )?)
    .max(Span(1));
    let delta = hours(non_negative(
        raw.checkpoint_cost_hours,
        "training.checkpoint_cost_hours",
    )?);
    let restart = hours(non_negative(
        raw.restart_overhead_hours,
        "training.restart_overhead_hours",
    )?);
    let units_of = |chips: u64, key: String| -> Result<u64, KeyError> {
        require(chips > 0, &key, "is 0; allowed: at least one failure unit of chips")?;
        Ok(chips.div_ceil(cluster.unit_chips))
    };
    let mut runs = Vec::new();
    for (i, r) in raw.runs.iter().enumerate() {
        let key = format!("training.runs[{i}]");
        let start = non_negative(r.start_month, &format!("{key}.start_month"))?;
        runs.push(RunSpec {
            ready: SimTime::at(months(start)),
            units: units_of(r.chips, format!("{key}.chips"))?,
            baseline_work: Span::of(positive(r.duration_days, &format!("{key}.duration_days"))?, Span::DAY),
            cancel_probability: probability(r.cancel_probability, &format!("{key}.cancel_probability"))?,
        });
    }
    if let Some(g) = &raw.generator {
        let key = "training.generator";
        let first = non_negative(g.first_start_month, &format!("{key}.first_start_month"))?;
        let interval = positive(g.interval_months, &format!("{key}.interval_months"))?;
        let growth = positive(g.chip_growth_per_run, &format!("{key}.chip_growth_per_run"))?;
        let work = Span::of(positive(g.duration_days, &format!("{key}.duration_days"))?, Span::DAY);
        let cancel = probability(g.cancel_probability, &format!("{key}.cancel_probability"))?;
        units_of(g.initial_chips, format!("{key}.initial_chips"))?;
        require(
            g.max_chips >= g.initial_chips,
            format!("{key}.max_chips"),
            format!(
                "is {}; allowed: at least initial_chips ({})",
                g.max_chips, g.initial_chips
            ),
        )?;
        // Count the runs before making them: a tiny interval must be an
        // error, not a loop that never ends.
        let term_months = term.in_units(Span::MONTH);
        let count = ((term_months - first) / interval).ceil().max(0.0);
        require(
            count <= limits::MAX_TRAINING_RUNS as f64,
            format!("{key}.interval_months"),
            format!(
                "is {}: the generator would plan about {} runs in the term; allowed: an interval that plans at most {} runs",
                rules::show(interval),
                rules::approx(count),
                limits::MAX_TRAINING_RUNS
            ),
        )?;
        let mut k = 0u32;
        loop {
            let ready = months(first + interval * k as f64);
            if ready >= term {
                break;
            }
            let ready = SimTime::at(ready);
            let chips = (g.initial_chips as f64 * growth.powi(k as i32))
                .round()
                .min(g.max_chips as f64) as u64;
            runs.push(RunSpec {
                ready,
                units: chips.max(1).div_ceil(cluster.unit_chips),
                baseline_work: work,
                cancel_probability: cancel,
            });
            k += 1;
        }
    }
    runs.sort_by_key(|r| r.ready);
    Ok(TrainingSpec {
        checkpoint_interval: tau,
        checkpoint_cost: delta,
        restart_overhead: restart,
        runs,
    })
}

/// The policy `[scheduler]` names. `order` (priority only) says whether
/// training or inference claims first; research is always last, as it
/// backfills and is preemptible under every policy.
fn policy(s: &RawScheduler) -> Result<PolicyKind, KeyError> {
    use RawClassName::{Inference, Research, Training};
    let kind = match (s.policy, s.training_fraction) {
        (RawPolicy::Priority | RawPolicy::InferenceFirst, Some(_)) => {
            return Err(bad(
                "scheduler.training_fraction",
                "is set but policy is not \"partitioned\"; allowed: only with policy = \"partitioned\" (remove it or change the policy)",
            ));
        }
        (RawPolicy::Priority, None) => PolicyKind::Priority,
        (RawPolicy::InferenceFirst, None) => PolicyKind::InferenceFirst,
        (RawPolicy::Partitioned, Some(f)) => PolicyKind::Partitioned {
            training_fraction: probability(f, "scheduler.training_fraction")?,
        },
        (RawPolicy::Partitioned, None) => {
            return Err(bad(
                "scheduler.training_fraction",
                "is missing; required with policy = \"partitioned\": a probability from 0 to 1",
            ));
        }
    };
    let Some(order) = &s.order else {
        return Ok(kind);
    };
    let allowed = "allowed: with policy = \"priority\", [\"training\", \"inference\", \"research\"] or \
                   [\"inference\", \"training\", \"research\"] (research backfills, so it comes last)";
    match (kind, order.as_slice()) {
        (PolicyKind::Priority, [Training, Inference, Research]) => Ok(PolicyKind::Priority),
        (PolicyKind::Priority, [Inference, Training, Research]) => Ok(PolicyKind::InferenceFirst),
        _ => {
            let names: Vec<&str> = order
                .iter()
                .map(|c| match c {
                    Training => "training",
                    Inference => "inference",
                    Research => "research",
                })
                .collect();
            Err(bad("scheduler.order", format!("is {names:?}; {allowed}")))
        }
    }
}

fn inference(raw: &RawInference) -> Result<InferenceSpec, KeyError> {
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
    Ok(InferenceSpec {
        base_demand_chips: non_negative(raw.base_demand_chips, "inference.base_demand_chips")?,
        step: hours(positive(raw.step_hours, "inference.step_hours")?).max(Span(1)),
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
        diurnal_amplitude: amplitude(
            raw.seasonality.diurnal_amplitude,
            "inference.seasonality.diurnal_amplitude",
        )?,
        weekly_amplitude: amplitude(
            raw.seasonality.weekly_amplitude,
            "inference.seasonality.weekly_amplitude",
        )?,
        noise_sigma: non_negative(raw.noise_sigma, "inference.noise_sigma")?,
        completed_run_jump: non_negative(g.completed_run_jump, "inference.growth.completed_run_jump")?,
        completed_run_jump_sigma: non_negative(
            g.completed_run_jump_sigma,
            "inference.growth.completed_run_jump_sigma",
        )?,
    })
}

fn research(raw: &RawResearch, cluster: &ClusterSpec, term: Span) -> Result<ResearchSpec, KeyError> {
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
