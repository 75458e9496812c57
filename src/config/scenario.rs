//! The checked scenario: every value validated and converted to simulation
//! units (seconds, per-second rates, whole failure units) exactly once.
//!
//! [`Scenario::try_from`] turns a [`RawScenario`] into a [`Scenario`] or a
//! [`KeyError`] naming the offending key and what is allowed.

use super::dist::{Dist, DistSpec, TimeDist};
use super::raw::*;
use super::rules;
use crate::engine::Span;

/// A validation failure: the dotted key and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyError {
    /// Dotted path of the key, e.g. `cluster.tranches[1].chips`.
    pub key: String,
    /// What is wrong and what is allowed.
    pub problem: String,
}

pub(super) fn bad(key: impl Into<String>, problem: impl Into<String>) -> KeyError {
    KeyError {
        key: key.into(),
        problem: problem.into(),
    }
}

pub(super) fn require(ok: bool, key: impl Into<String>, problem: impl Into<String>) -> Result<(), KeyError> {
    if ok { Ok(()) } else { Err(bad(key, problem)) }
}

pub(super) fn positive(x: f64, key: &str) -> Result<f64, KeyError> {
    rules::positive(x).map_err(|problem| bad(key, problem))
}

pub(super) fn non_negative(x: f64, key: &str) -> Result<f64, KeyError> {
    rules::non_negative(x).map_err(|problem| bad(key, problem))
}

pub(super) fn probability(x: f64, key: &str) -> Result<f64, KeyError> {
    rules::probability(x).map_err(|problem| bad(key, problem))
}

pub(super) fn dist(spec: &DistSpec, key: &str) -> Result<Dist, KeyError> {
    Dist::try_from(spec).map_err(|e| bad(format!("{key}.{}", e.param), e.problem))
}

pub(super) fn time_dist(spec: &DistSpec, unit: Span, key: &str) -> Result<TimeDist, KeyError> {
    TimeDist::new(spec, unit).map_err(|e| bad(format!("{key}.{}", e.param), e.problem))
}

pub(super) fn hours(h: f64) -> Span {
    Span::of(h, Span::HOUR)
}

pub(super) fn months(m: f64) -> Span {
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
pub use super::cluster::{ClusterSpec, Generation, Tranche};
pub use super::contract::ContractSpec;
pub use super::inference::{DemandTilt, InferenceSpec};
pub use super::money::{MarketSpec, ProviderEconomics, ProviderSpec};
pub use super::research::ResearchSpec;
pub use super::training::{RunSpec, TrainingSpec};

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
        let cluster = super::cluster::cluster(&raw.cluster, term)?;
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
        let training = raw
            .training
            .as_ref()
            .map(|t| super::training::training(t, &cluster, term))
            .transpose()?;
        let inference = raw.inference.as_ref().map(super::inference::inference).transpose()?;
        let research = raw
            .research
            .as_ref()
            .map(|r| super::research::research(r, &cluster, term))
            .transpose()?;

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
