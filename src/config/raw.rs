//! The scenario file exactly as written: serde types that mirror the TOML.
//!
//! Every table rejects unknown keys, so a typo is an error rather than a
//! silently ignored setting. Units are in the key names. Nothing here is
//! validated beyond types; see [`super::scenario`] for the checked form.
//!
//! The JSON Schema of scenario files (`mortgage-sim schema scenario`,
//! `schema/scenario.json`) is derived from these types: their doc comments
//! are its descriptions.

use super::dist::DistSpec;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Short name; results go to `results/<name>/`.
    pub name: String,
    /// One line saying what the scenario is for.
    #[serde(default)]
    pub description: String,
    /// Seed, replicas, output step.
    pub simulation: RawSimulation,
    /// The commitment.
    pub contract: RawContract,
    /// Capacity, generations, failures.
    pub cluster: RawCluster,
    /// Scheduling policy.
    pub scheduler: RawScheduler,
    /// Frontier training runs (optional).
    pub training: Option<RawTraining>,
    /// Inference demand (optional).
    pub inference: Option<RawInference>,
    /// Research jobs (optional).
    pub research: Option<RawResearch>,
    /// The buyer's cash (optional: absent, the buyer always pays).
    pub buyer: Option<RawBuyer>,
    /// Recovery after a default (optional: absent, nothing is re-marketed).
    pub provider: Option<RawProvider>,
    /// The open market for re-marketed capacity (optional: absent, the
    /// provider's spot price).
    pub market: Option<RawMarket>,
    /// Risk thresholds (optional).
    pub risk: Option<RawRisk>,
}

/// `[simulation]`
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    /// Master seed.
    pub seed: u64,
    /// Monte Carlo replicas per grid point.
    pub replicas: u32,
    /// Step of the time-series output, in months.
    pub timeseries_step_months: f64,
}

/// `[contract]`
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawContract {
    /// Contract term in years; the simulation ends with it.
    pub term_years: f64,
    /// Total committed dollars over the term.
    pub committed_usd: f64,
    /// Price per chip-hour; derived as commitment ÷ planned chip-hours when absent.
    pub price_per_chip_hour_usd: Option<f64>,
    /// How the commitment is spread over the months of the term (default: flat_monthly).
    #[serde(default)]
    pub payment_schedule: RawPaymentSchedule,
    /// Payments grow by this fraction per year (the total stays the commitment).
    #[serde(default)]
    pub price_escalation_per_year: f64,
    /// Whether payments for capacity that is planned but not yet delivered
    /// are still owed or waived (default: owed).
    #[serde(default)]
    pub undelivered_capacity: RawUndelivered,
    /// When prices are given and do not value the planned capacity at the
    /// commitment: which of the two the payments follow.
    pub governs: Option<RawGoverns>,
    /// Annual effective discount rate of present values (default 0).
    #[serde(default)]
    pub discount_rate_per_year: f64,
}

/// `contract.governs`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawGoverns {
    /// Payments total `committed_usd`; the prices value idle and late capacity.
    Commitment,
    /// Payments total the prices × planned chip-hours (the commitment follows).
    Price,
}

/// `contract.payment_schedule`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawPaymentSchedule {
    /// Equal monthly installments.
    #[default]
    FlatMonthly,
    /// Installments in proportion to the planned chip-hours of each month.
    PlannedCapacity,
}

/// `contract.undelivered_capacity`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawUndelivered {
    /// The buyer pays for late capacity as if it were delivered.
    #[default]
    Owed,
    /// Late capacity's chip-hours at the contract price are taken off the month's payment.
    Waived,
}

/// `[buyer]`: the buyer's finances. Absent: the buyer always pays.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBuyer {
    /// Cash at the start of the term.
    pub initial_funding_usd: f64,
    /// Revenue per baseline-chip-hour of inference served.
    pub revenue_per_served_chip_hour_usd: f64,
    /// How fast revenue per served chip-hour falls, per year (models get
    /// cheaper to serve): revenue is multiplied by (1 − d)^t.
    #[serde(default)]
    pub revenue_decline_per_year: f64,
    /// Fixed other costs (staff, other compute), per month.
    pub other_costs_per_month_usd: f64,
    /// Variable costs per baseline-chip-hour of inference served.
    #[serde(default)]
    pub serving_cost_per_served_chip_hour_usd: f64,
    /// Credit the buyer may draw to meet payments.
    #[serde(default)]
    pub credit_line_usd: f64,
    /// At default, the buyer pays what cash and credit allow of the missed
    /// installment (and defaults on the rest).
    #[serde(default)]
    pub partial_payments: bool,
    /// Equity rounds at fixed months.
    #[serde(default)]
    pub funding_rounds: Vec<RawFundingRound>,
    /// Rounds raised when the runway runs short (absent: none).
    pub fundraising: Option<RawFundraising>,
    /// A cost cut when the runway runs short (absent: none).
    pub cost_cuts: Option<RawCostCuts>,
    /// What the buyer asks for before it stops paying (absent: it defaults).
    pub restructuring: Option<RawRestructuring>,
}

/// `[[buyer.funding_rounds]]`: an equity round at a fixed month.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFundingRound {
    /// Contract month (1-based) at whose end the money arrives, before that
    /// month's payment.
    pub month: u32,
    /// Amount raised.
    pub amount_usd: f64,
}

/// `[buyer.fundraising]`: rounds raised by rule.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFundraising {
    /// The buyer tries to raise when cash plus undrawn credit covers fewer
    /// months than this of its recent burn.
    pub runway_threshold_months: f64,
    /// Months of burn averaged for the runway.
    #[serde(default = "default_burn_window")]
    pub burn_window_months: u32,
    /// Months of revenue compared for its growth (the last w against the w
    /// before).
    #[serde(default = "default_growth_window")]
    pub growth_window_months: u32,
    /// Fewest months from one attempt to the next.
    pub min_months_between_rounds: u32,
    /// Chance that a round succeeds when revenue is flat.
    pub success_probability: f64,
    /// Change of the success log-odds per unit of annualised log revenue
    /// growth.
    #[serde(default)]
    pub growth_sensitivity: f64,
    /// Valuation as a multiple of run-rate (annualised) revenue, drawn per
    /// round.
    pub revenue_multiple: DistSpec,
    /// Share of the valuation a round sells: its size.
    pub dilution: f64,
}

fn default_burn_window() -> u32 {
    3
}

fn default_growth_window() -> u32 {
    6
}

/// `[buyer.cost_cuts]`: one cut of the fixed costs when the runway runs
/// short.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCostCuts {
    /// The cut is decided when the runway falls below this many months.
    pub runway_threshold_months: f64,
    /// Share of the fixed costs cut.
    pub fraction: f64,
    /// Months from the decision to the lower costs.
    #[serde(default)]
    pub lag_months: u32,
}

/// `[buyer.restructuring]`: what the buyer seeks, once, when it cannot
/// meet a payment.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRestructuring {
    /// `"deferral"` or `"step_down"`.
    pub kind: RawRestructuringKind,
    /// Deferral: installments postponed to the term's last month.
    #[serde(default)]
    pub deferral_months: u32,
    /// Step-down: share of the remaining installments forgiven.
    #[serde(default)]
    pub haircut: f64,
    /// Chance that the provider agrees.
    #[serde(default = "certain")]
    pub success_probability: f64,
}

fn certain() -> f64 {
    1.0
}

/// The kinds of restructuring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawRestructuringKind {
    /// Installments postponed to the term's last month.
    Deferral,
    /// The remaining installments cut by a haircut.
    StepDown,
}

impl RawRestructuringKind {
    /// The name in config and result files.
    pub fn as_str(self) -> &'static str {
        match self {
            RawRestructuringKind::Deferral => "deferral",
            RawRestructuringKind::StepDown => "step_down",
        }
    }
}

/// `[provider]`: what the provider recovers after a default, and (with
/// capex per chip on every generation) its own economics of the deal.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProvider {
    /// Fraction of the up capacity re-marketed after a default.
    pub remarket_fraction: f64,
    /// Price earned per re-marketed chip-hour when there is no `[market]`.
    pub spot_price_per_chip_hour_usd: f64,
    /// The re-marketed share rises to `remarket_fraction` over this many
    /// months after a default (0: at once).
    #[serde(default)]
    pub remarket_ramp_months: u32,
    /// Fraction of the unsecured claim (exposure − re-marketing) recovered
    /// in the buyer's bankruptcy.
    #[serde(default)]
    pub claim_recovery_fraction: f64,
    /// Months after the default when the claim's recovery is paid.
    #[serde(default)]
    pub claim_delay_months: f64,
    /// Operating cost per delivered chip-hour (power, cooling, staff).
    #[serde(default)]
    pub opex_per_chip_hour_usd: f64,
    /// Straight-line depreciation life of a chip, for its residual value at
    /// the end of the term.
    pub depreciation_years: Option<f64>,
    /// The provider's cost of capital over the contract's discount rate.
    #[serde(default)]
    pub financing_spread_per_year: f64,
}

/// `[market]`: the rental price of a chip-hour of each generation on the
/// open market, at which re-marketed capacity earns.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMarket {
    /// Market price at the start ÷ the contract's price, per generation.
    pub initial_price_ratio: f64,
    /// Years in which an old chip-hour's market price halves as newer,
    /// cheaper-per-FLOP chips arrive.
    pub halving_years: f64,
    /// Elasticity of the market price to the AI-demand factor (the buyer's
    /// demand growth over its expectation): the wrong-way risk.
    pub demand_elasticity: f64,
}

/// `[risk]`: thresholds of the risk figures.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRisk {
    /// A contract year "below threshold" has utilization under this.
    pub utilization_threshold: f64,
}

/// `[cluster]`
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCluster {
    /// Chips per failure unit (a node); all allocations are whole units.
    pub failure_unit_chips: u64,
    /// Mean time between failures of one chip, in hours.
    pub chip_mtbf_hours: f64,
    /// Time to repair a failed unit.
    pub repair_hours: DistSpec,
    /// Chip generations.
    pub generations: Vec<RawGeneration>,
    /// Deliveries.
    pub tranches: Vec<RawTranche>,
    /// Correlated failure domains (racks, rows, switches, datacenters);
    /// absent: failures are of single units only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failure_domains: Vec<RawFailureDomain>,
    /// Kinds of unit failure with their shares and repairs; absent: every
    /// failure takes its unit down for `repair_hours`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failure_kinds: Vec<RawFailureKind>,
    /// Planned maintenance windows at a fixed cadence; absent: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maintenance: Vec<super::maintenance::RawMaintenance>,
    /// Weibull hazards over a chip's age since delivery, added to the
    /// constant rate; absent: the rate does not depend on age.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hazards: Vec<super::hazards::RawHazard>,
    /// Lemon units; absent: every unit fails at the same rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lemons: Option<super::hazards::RawLemons>,
}

/// `[[cluster.failure_domains]]`: a group of units that fail together.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFailureDomain {
    /// Name in messages and docs (unique).
    pub name: String,
    /// Chips per domain (a multiple of `failure_unit_chips`).
    pub chips: u64,
    /// Mean time between failures of one domain, hours.
    pub mtbf_hours: f64,
    /// Time until a failed domain's units are all back.
    pub repair_hours: DistSpec,
    /// Where training runs sit in these domains: `"packed"` (the default:
    /// each run on as few domains as it fills) or `"spread"` (a run's
    /// units dealt out over the domains in turn).
    #[serde(default, skip_serializing_if = "super::failures::Placement::is_packed")]
    pub placement: super::failures::Placement,
}

/// `[[cluster.failure_kinds]]`: one kind of unit failure.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFailureKind {
    /// Name in messages and docs (unique).
    pub name: String,
    /// Share of unit failures of this kind; the shares sum to 1.
    pub share: f64,
    /// Its repair time (absent: `cluster.repair_hours`).
    pub repair_hours: Option<DistSpec>,
    /// Whether the unit goes down for repair and a run needs a
    /// replacement (true, the default), or the work on it is only
    /// interrupted and the unit stays up (a software fault).
    #[serde(default = "yes")]
    pub replaces_unit: bool,
}

fn yes() -> bool {
    true
}

/// `[[cluster.generations]]`
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGeneration {
    /// Name tranches refer to.
    pub name: String,
    /// Work per chip-hour relative to the baseline chip (1.0).
    pub speed: f64,
    /// Years a tranche serves after delivery before it retires (absent: never).
    pub service_life_years: Option<f64>,
    /// The contract's price of this generation's chip-hour (absent: the
    /// commitment split over the generations in proportion to planned
    /// capacity × speed).
    pub price_per_chip_hour_usd: Option<f64>,
    /// The provider's capital cost per chip of this generation (its
    /// economics of the deal need it on every generation).
    pub capex_per_chip_usd: Option<f64>,
}

/// `[[cluster.tranches]]`
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTranche {
    /// Chips delivered (a multiple of `failure_unit_chips`).
    pub chips: u64,
    /// Name of a `[[cluster.generations]]` entry.
    pub generation: String,
    /// Planned delivery, months after the term starts.
    pub planned_month: f64,
    /// Random delay added to the planned month (shared by a ramp's steps).
    pub delivery_delay_months: DistSpec,
    /// Deliver the chips as a ramp of steps (absent: one step).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp: Option<RawRamp>,
}

/// `[cluster.tranches.ramp]`: a tranche delivered in steps over months.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRamp {
    /// Steps the tranche's chips arrive in, as equal as whole units allow.
    pub steps: u32,
    /// Months between the planned months of consecutive steps.
    pub interval_months: f64,
    /// Each step's own delay on top of the tranche's shared delay (absent:
    /// none, so the steps keep their spacing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_jitter_months: Option<DistSpec>,
}

/// `[scheduler]`
///
/// A plain table rather than an enum tagged by `policy`: serde's tagged form
/// would let `training_fraction` pass silently under `policy = "priority"`
/// and would lose the key of a mistyped value. The pairing of policy and
/// parameters is checked in [`super::scenario`].
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScheduler {
    /// Which policy runs.
    pub policy: RawPolicy,
    /// `partitioned` only: fraction of up capacity per generation reserved
    /// for training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_fraction: Option<f64>,
    /// `priority` only: the classes from first to last claim, e.g.
    /// `["inference", "training", "research"]` (= `inference_first`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Vec<RawClassName>>,
}

/// `scheduler.policy`
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawPolicy {
    /// training > inference > research; research preemptible.
    Priority,
    /// inference > training > research: paying customers keep their chips.
    InferenceFirst,
    /// A reserved training fraction; inference the rest; research backfills.
    Partitioned,
}

/// A workload class in `scheduler.order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawClassName {
    /// Frontier training runs.
    Training,
    /// Inference serving.
    Inference,
    /// Research jobs.
    Research,
}

/// `[training]`
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTraining {
    /// Compute time between checkpoints, in hours (τ).
    pub checkpoint_interval_hours: f64,
    /// Time to write one checkpoint, in hours (δ).
    pub checkpoint_cost_hours: f64,
    /// Time to restart after an interruption, in hours (R).
    pub restart_overhead_hours: f64,
    /// Spare units a run holds besides its gang, as a fraction of its units
    /// (rounded up): a failed unit is replaced at once by a spare (absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hot_spare_fraction: Option<f64>,
    /// Time to bring a replacement unit from the pool into a run after an
    /// interruption, on top of the restart (absent: 0; a hot spare needs none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement_hours: Option<f64>,
    /// Restart and checkpoint costs that grow with the run's size (absent:
    /// the same for every run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_scaling: Option<RawSizeScaling>,
    /// Explicitly listed runs.
    #[serde(default)]
    pub runs: Vec<RawRun>,
    /// A roadmap generating runs at a fixed interval.
    pub generator: Option<RawRunGenerator>,
}

/// `[training.size_scaling]`: a run of N chips pays
/// `restart_overhead_hours × (N / reference_chips)^restart_exponent` per
/// restart and `checkpoint_cost_hours × (N / reference_chips)^checkpoint_exponent`
/// per checkpoint.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSizeScaling {
    /// The run size at which the configured costs hold.
    pub reference_chips: u64,
    /// How the restart grows with size (0: not at all, 1: in proportion).
    #[serde(default)]
    pub restart_exponent: f64,
    /// How a checkpoint's cost grows with size.
    #[serde(default)]
    pub checkpoint_exponent: f64,
}

/// `[[training.runs]]`
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRun {
    /// Months after the term starts when the run is ready to start.
    pub start_month: f64,
    /// Chips the run needs, all at once (gang-scheduled).
    pub chips: u64,
    /// Failure-free duration on baseline-speed chips, in days.
    pub duration_days: f64,
    /// Chance the run is cancelled before it starts.
    #[serde(default)]
    pub cancel_probability: f64,
}

/// `[training.generator]`
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRunGenerator {
    /// Start month of the first run.
    pub first_start_month: f64,
    /// Months between run starts.
    pub interval_months: f64,
    /// Chips of the first run.
    pub initial_chips: u64,
    /// Multiplier on chips from one run to the next (1.0 = flat).
    pub chip_growth_per_run: f64,
    /// Failure-free duration of each run on baseline chips, in days.
    pub duration_days: f64,
    /// Chance each run is cancelled before it starts.
    pub cancel_probability: f64,
    /// Largest run in chips; growth stops there.
    pub max_chips: u64,
}

/// `[inference]`
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawInference {
    /// Demand at the start of the term, in baseline-chip equivalents.
    pub base_demand_chips: f64,
    /// How often demand is re-evaluated, in hours.
    pub step_hours: f64,
    /// Commercial-success path.
    pub growth: RawGrowth,
    /// Daily and weekly cycles.
    pub seasonality: RawSeasonality,
    /// Standard deviation of the i.i.d. lognormal noise per step (0 = none).
    pub noise_sigma: f64,
    /// Provision inference for the cycle's peak plus a latency margin
    /// (absent: grant each step's demand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headroom: Option<RawHeadroom>,
}

/// `[inference.headroom]`: inference provisioned like a service.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHeadroom {
    /// Capacity held beyond the peak demand, as a fraction of it, so that
    /// the serving fleet stays below the load its latency target allows.
    pub latency_margin: f64,
}

/// `[inference.growth]`
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGrowth {
    /// GBM drift μ per year: E[growth(t)] = e^{μt}.
    pub drift_per_year: f64,
    /// GBM volatility σ per √year.
    pub volatility_per_sqrt_year: f64,
    /// Chance that the product fails commercially at some time in the term.
    pub commercial_failure_probability: f64,
    /// After a commercial failure, demand decays at this rate per year.
    pub failure_decay_per_year: f64,
    /// Demand steps up by this fraction when a training run completes (a
    /// better model sells more): growth × (1 + jump) × noise.
    #[serde(default)]
    pub completed_run_jump: f64,
    /// σ of the jump's lognormal noise (mean 1).
    #[serde(default)]
    pub completed_run_jump_sigma: f64,
}

/// `[inference.seasonality]`
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSeasonality {
    /// Relative amplitude of the 24-hour cycle (0 ≤ a < 1).
    pub diurnal_amplitude: f64,
    /// Relative amplitude of the 7-day cycle (0 ≤ a < 1).
    pub weekly_amplitude: f64,
}

/// `[research]`
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawResearch {
    /// Poisson arrival rate at the start of the term, jobs per hour
    /// (required unless `[research.elastic]` is given; absent there, the
    /// lab's backlog never runs dry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrivals_per_hour: Option<f64>,
    /// Relative growth of the arrival rate per year (0.3 = +30 %/year);
    /// required with `arrivals_per_hour`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival_growth_per_year: Option<f64>,
    /// Chips per job (rounded up to whole failure units, clamped to the bounds).
    pub chips: DistSpec,
    /// Smallest job, in chips.
    pub min_chips: u64,
    /// Largest job, in chips.
    pub max_chips: u64,
    /// Run time on baseline-speed chips, in hours.
    pub duration_hours: DistSpec,
    /// Jobs checkpoint every this many hours of run time (absent: never, and
    /// a preempted job restarts from scratch).
    pub checkpoint_interval_hours: Option<f64>,
    /// A job that has waited this long without starting gives up (reneges;
    /// absent: jobs wait as long as it takes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patience_hours: Option<DistSpec>,
    /// Research as a lab's backlog, capped by its researchers (absent: the
    /// open Poisson stream alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elastic: Option<RawElasticResearch>,
}

/// `[research.elastic]`: research as a lab does it. The researchers keep
/// a backlog that soaks up idle capacity, up to a cap of
/// `researchers × chips_per_researcher` chips running at once.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawElasticResearch {
    /// Researchers at the start of the term.
    pub researchers: u64,
    /// Research chips one researcher keeps busy at most.
    pub chips_per_researcher: u64,
    /// Relative growth of the headcount per year (default 0).
    #[serde(default)]
    pub headcount_growth_per_year: f64,
}
