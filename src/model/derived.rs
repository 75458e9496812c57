//! Figures derived from a scenario without simulating it, for `check`: the
//! contract's price and payments, the buyer's breakeven and runway, the
//! cluster's peak and failure rate, Young's and Daly's figures for the
//! largest training run, and the research load against capacity. Computed
//! here (where the model's formulas live); `output` only prints them.

use super::training::{daly_expected_wall_time, young_interval};
use crate::config::{PolicyKind, Scenario};
use crate::engine::Span;
use crate::finance::{ContractFigures, contract_figures};
use rand::SeedableRng;

/// Everything `check` prints about a valid scenario.
#[derive(Debug, Clone)]
pub struct Derived {
    /// The contract's figures.
    pub contract: ContractFigures,
    /// Installments: how many, the first and the last.
    pub payments: (usize, f64, f64),
    /// The buyer's figures, if a buyer is modelled.
    pub buyer: Option<BuyerFigures>,
    /// Most chips the plan has in service at once.
    pub peak_planned_chips: u64,
    /// Unit failures per day at that peak, of the constant rate.
    pub unit_failures_per_day: f64,
    /// Failures per day at that peak of the hazards over age, averaged
    /// over the term for chips delivered at its start (0 without hazards).
    pub hazard_failures_per_day: f64,
    /// Extra failures per day at that peak of the lemons before any is
    /// found out: an upper bound (0 without lemons).
    pub lemon_failures_per_day: f64,
    /// Mean repair time, hours.
    pub mean_repair_hours: f64,
    /// The policy.
    pub policy: PolicyKind,
    /// Training figures, if training runs.
    pub training: Option<TrainingFigures>,
    /// Inference demand at the start and (in mean) at the end of the term.
    pub inference: Option<(f64, f64)>,
    /// Research figures, if research runs.
    pub research: Option<ResearchFigures>,
    /// What the provider spends and recovers.
    pub provider: ProviderFigures,
}

/// The provider's side, as planned.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderFigures {
    /// Capex on the planned deliveries within the term, if its economics
    /// are modelled.
    pub planned_capex_usd: Option<f64>,
    /// The provider's discount rate (the contract's plus its spread), if
    /// its economics are modelled.
    pub discount_rate_per_year: Option<f64>,
    /// With a `[market]`: each generation's market price of a chip-hour at
    /// signing and at the term's end with demand as expected.
    pub market_prices: Option<(Vec<f64>, Vec<f64>)>,
}

/// The buyer's cash against the contract.
#[derive(Debug, Clone, PartialEq)]
pub struct BuyerFigures {
    /// Initial funding.
    pub initial_funding_usd: f64,
    /// Credit line.
    pub credit_line_usd: f64,
    /// Revenue per served chip-hour.
    pub revenue_per_served_chip_hour_usd: f64,
    /// Inference demand (baseline chips served) whose revenue meets the
    /// average payment plus other costs.
    pub breakeven_chips: f64,
    /// Months of payments and costs the funding covers with no revenue.
    pub runway_months: f64,
}

/// The roadmap against the cluster and the checkpoint model.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingFigures {
    /// Runs on the roadmap within the term.
    pub runs: usize,
    /// Runs larger than the largest generation (never start).
    pub too_big: usize,
    /// Chips of the largest generation (all its tranches).
    pub largest_generation_chips: u64,
    /// The largest run, if any: its chips, its MTBF in minutes, the
    /// checkpoint interval and Young's optimum for it in minutes, and
    /// Daly's efficiency (failure-free time / expected wall time).
    pub largest_run: Option<LargestRun>,
}

/// Checkpoint figures of the largest training run.
#[derive(Debug, Clone, PartialEq)]
pub struct LargestRun {
    /// Its chips.
    pub chips: u64,
    /// Its MTBF, minutes.
    pub mtbf_minutes: f64,
    /// The configured checkpoint interval, minutes.
    pub interval_minutes: f64,
    /// Young's optimal interval for it, minutes.
    pub young_minutes: f64,
    /// Daly's efficiency, 0 to 1.
    pub daly_efficiency: f64,
}

/// The research stream against capacity at the start.
#[derive(Debug, Clone, PartialEq)]
pub struct ResearchFigures {
    /// Arrivals per hour at the start.
    pub arrivals_per_hour: f64,
    /// Mean job size after rounding to units and clamping, chips.
    pub mean_job_chips: f64,
    /// Mean job duration on baseline chips, hours.
    pub mean_job_hours: f64,
    /// Offered load at the start, chips busy on average (0 for a backlog
    /// that never runs dry: it has no arrival stream).
    pub offered_load_chips: f64,
    /// Elastic research's headcount cap at the start, chips, if elastic.
    pub elastic_cap_chips: Option<f64>,
    /// Whether the elastic backlog never runs dry.
    pub never_empty: bool,
}

/// The derived figures of `s`.
pub fn derive(s: &Scenario) -> Derived {
    let contract = contract_figures(&s.contract);
    let cl = &s.cluster;
    let payments = &s.contract.payments;
    let peak = cl.peak_planned_chips();
    let buyer = s.buyer.as_ref().map(|b| {
        let month_hours = Span::MONTH.hours();
        let monthly = contract.monthly_payment_usd + b.other_costs_per_month_usd;
        BuyerFigures {
            initial_funding_usd: b.initial_funding_usd,
            credit_line_usd: b.credit_line_usd,
            revenue_per_served_chip_hour_usd: b.revenue_per_served_chip_hour_usd,
            breakeven_chips: monthly / (b.revenue_per_served_chip_hour_usd * month_hours).max(f64::MIN_POSITIVE),
            runway_months: b.initial_funding_usd / monthly,
        }
    });
    let training = s.training.as_ref().map(|t| {
        let largest_generation = (0..cl.generations.len() as u32)
            .map(|g| cl.generation_units(crate::config::scenario::Gen(g)))
            .max()
            .unwrap_or(0);
        let tau = t.checkpoint_interval.secs() as f64;
        TrainingFigures {
            runs: t.runs.len(),
            too_big: t.runs.iter().filter(|r| r.units > largest_generation).count(),
            largest_generation_chips: largest_generation * cl.unit_chips,
            largest_run: t.runs.iter().max_by_key(|r| r.units).map(|big| {
                let chips = big.units * cl.unit_chips;
                // Its own costs (they may grow with its size); without hot
                // spares a replacement comes from the pool.
                let delta = big.checkpoint_cost.secs() as f64;
                let replacement = if t.spares_for(big.units) == 0 {
                    t.replacement
                } else {
                    Span::ZERO
                };
                let restart = (big.restart_overhead + replacement).secs() as f64;
                let m = cl.chip_mtbf_hours * Span::HOUR.secs() as f64 / chips as f64;
                LargestRun {
                    chips,
                    mtbf_minutes: m / 60.0,
                    interval_minutes: tau / 60.0,
                    young_minutes: young_interval(delta, m) / 60.0,
                    daly_efficiency: 1.0 / daly_expected_wall_time(1.0, tau, delta, restart, m),
                }
            }),
        }
    });
    let inference = s.inference.as_ref().map(|i| {
        (
            i.base_demand_chips,
            i.base_demand_chips * (i.drift_per_year * contract.term_years).exp(),
        )
    });
    let research = s.research.as_ref().map(|r| {
        // The mean job size after rounding and clamping, by sampling with a
        // fixed seed (the closed form of a clamped, rounded lognormal is not
        // worth its complexity here).
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
        let n = 100_000;
        let mean_units = (0..n)
            .map(|_| ((r.chips.sample(&mut rng) / cl.unit_chips as f64).ceil() as u64).clamp(r.min_units, r.max_units))
            .sum::<u64>() as f64
            / n as f64;
        let per_hour = r.arrival_rate * Span::HOUR.secs() as f64;
        let hours = r.duration.mean_in_units();
        ResearchFigures {
            arrivals_per_hour: per_hour,
            mean_job_chips: mean_units * cl.unit_chips as f64,
            mean_job_hours: hours,
            offered_load_chips: per_hour * mean_units * cl.unit_chips as f64 * hours,
            elastic_cap_chips: r
                .elastic
                .as_ref()
                .map(|e| e.researchers_at(crate::engine::SimTime::ZERO) * e.chips_per_researcher),
            never_empty: r.elastic.as_ref().is_some_and(|e| e.never_empty),
        }
    });
    let provider = ProviderFigures {
        planned_capex_usd: s.provider.economics.as_ref().map(|e| {
            let term = crate::engine::SimTime::at(s.contract.term);
            cl.tranches
                .iter()
                .filter(|t| t.planned < term)
                .map(|t| (t.units * cl.unit_chips) as f64 * e.capex_per_chip_usd[t.generation.index()])
                .sum()
        }),
        discount_rate_per_year: s
            .provider
            .economics
            .as_ref()
            .map(|e| s.contract.discount_rate_per_year + e.financing_spread_per_year),
        market_prices: s.market.as_ref().map(|m| {
            let at = |years: f64| s.contract.prices.iter().map(|&p| m.price(p, years, 1.0)).collect();
            (at(0.0), at(contract.term_years))
        }),
    };
    Derived {
        provider,
        contract,
        payments: (
            payments.len(),
            payments.first().copied().unwrap_or(0.0),
            payments.last().copied().unwrap_or(0.0),
        ),
        buyer,
        peak_planned_chips: peak,
        unit_failures_per_day: (peak / cl.unit_chips) as f64 * cl.unit_failure_rate * Span::DAY.secs() as f64,
        hazard_failures_per_day: {
            let term = s.contract.term.secs() as f64;
            let per_chip: f64 = cl.hazards.iter().map(|h| h.cumulative(term)).sum::<f64>() / term.max(1.0);
            peak as f64 * per_chip * Span::DAY.secs() as f64
        },
        lemon_failures_per_day: cl.lemons.as_ref().map_or(0.0, |l| {
            (peak / cl.unit_chips) as f64
                * l.fraction
                * (l.rate_multiple - 1.0)
                * cl.unit_failure_rate
                * Span::DAY.secs() as f64
        }),
        mean_repair_hours: cl.repair.mean_in_units(),
        policy: s.policy,
        training,
        inference,
        research,
    }
}
