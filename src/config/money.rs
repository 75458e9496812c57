//! The provider's side of a scenario, checked: its recovery after a
//! default, its own economics, and the open market where re-marketed
//! capacity earns. (The buyer is in `config::buyer`.)

use super::raw::{RawMarket, RawProvider};
use super::rules;
use super::scenario::{ClusterSpec, KeyError};
use crate::engine::Span;

/// What the provider recovers after a default, and its own economics.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderSpec {
    /// Fraction of up capacity re-marketed.
    pub remarket_fraction: f64,
    /// Price per re-marketed chip-hour without a market.
    pub spot_price_per_chip_hour_usd: f64,
    /// Months over which the re-marketed share rises to its fraction.
    pub remarket_ramp_months: u32,
    /// Fraction of the unsecured claim recovered in bankruptcy.
    pub claim_recovery_fraction: f64,
    /// Months from the default to the claim's recovery.
    pub claim_delay_months: f64,
    /// The provider's costs and capital, when every generation has a capex.
    pub economics: Option<ProviderEconomics>,
}

impl ProviderSpec {
    /// The share of up capacity re-marketed `months` whole months after a
    /// default (0 = the month of the default).
    pub fn remarket_share(&self, months: u32) -> f64 {
        if self.remarket_ramp_months == 0 {
            self.remarket_fraction
        } else {
            self.remarket_fraction * (months as f64 / self.remarket_ramp_months as f64).min(1.0)
        }
    }
}

/// The provider's side of the deal: what the capacity costs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderEconomics {
    /// Capital cost per chip, by generation (paid at delivery).
    pub capex_per_chip_usd: Vec<f64>,
    /// Operating cost per delivered chip-hour.
    pub opex_per_chip_hour_usd: f64,
    /// Straight-line depreciation life (residual value at the term's end).
    pub depreciation: Span,
    /// The provider's discount rate: the contract's plus a financing spread.
    pub financing_spread_per_year: f64,
}

impl ProviderEconomics {
    /// A chip's straight-line book value, as a fraction of its capex, at
    /// `age` after delivery.
    pub fn book_value_fraction(&self, age: Span) -> f64 {
        (1.0 - age.secs() as f64 / self.depreciation.secs() as f64).max(0.0)
    }
}

/// The open market for re-marketed capacity.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketSpec {
    /// Market price at the start ÷ the contract's price.
    pub initial_price_ratio: f64,
    /// Years in which an old chip-hour's market price halves.
    pub halving_years: f64,
    /// Elasticity of the price to the AI-demand factor.
    pub demand_elasticity: f64,
}

impl MarketSpec {
    /// The market price of a chip-hour whose contract price is `contract`,
    /// `years` into the term, when the AI-demand factor (demand growth over
    /// its expectation) is `demand`:
    /// P = contract · ratio · 2^(−years/halving) · demand^elasticity.
    pub fn price(&self, contract: f64, years: f64, demand: f64) -> f64 {
        contract
            * self.initial_price_ratio
            * (-years / self.halving_years).exp2()
            * demand.max(0.0).powf(self.demand_elasticity)
    }
}

pub(super) fn bad(key: &str, problem: impl Into<String>) -> KeyError {
    KeyError {
        key: key.into(),
        problem: problem.into(),
    }
}

pub(super) fn non_negative(x: f64, key: &str) -> Result<f64, KeyError> {
    rules::non_negative(x).map_err(|p| bad(key, p))
}

pub(super) fn positive(x: f64, key: &str) -> Result<f64, KeyError> {
    rules::positive(x).map_err(|p| bad(key, p))
}

pub(super) fn probability(x: f64, key: &str) -> Result<f64, KeyError> {
    rules::probability(x).map_err(|p| bad(key, p))
}

/// Checks `[provider]` (absent: nothing is re-marketed) and the generations'
/// capex.
pub(crate) fn provider(p: Option<&RawProvider>, cluster: &ClusterSpec) -> Result<ProviderSpec, KeyError> {
    let capex: Vec<Option<f64>> = cluster.generations.iter().map(|g| g.capex_per_chip_usd).collect();
    let Some(p) = p else {
        if let Some(i) = capex.iter().position(Option::is_some) {
            return Err(bad(
                &format!("cluster.generations[{i}].capex_per_chip_usd"),
                "is given without a [provider] section; allowed: with [provider] (its opex, depreciation_years \
                 and financing)",
            ));
        }
        return Ok(ProviderSpec {
            remarket_fraction: 0.0,
            spot_price_per_chip_hour_usd: 0.0,
            remarket_ramp_months: 0,
            claim_recovery_fraction: 0.0,
            claim_delay_months: 0.0,
            economics: None,
        });
    };
    let economics = match capex.iter().position(Option::is_some) {
        None => {
            let given = [
                ("opex_per_chip_hour_usd", p.opex_per_chip_hour_usd != 0.0),
                ("depreciation_years", p.depreciation_years.is_some()),
                ("financing_spread_per_year", p.financing_spread_per_year != 0.0),
            ];
            if let Some((key, _)) = given.iter().find(|(_, is_given)| *is_given) {
                return Err(bad(
                    &format!("provider.{key}"),
                    "is given but no generation has capex_per_chip_usd; allowed: the provider's economics with a \
                     capex on every generation (cluster.generations[].capex_per_chip_usd), or none of them",
                ));
            }
            None
        }
        Some(_) => {
            let mut per_chip = Vec::with_capacity(capex.len());
            for (i, c) in capex.iter().enumerate() {
                let key = format!("cluster.generations[{i}].capex_per_chip_usd");
                let c = c.ok_or_else(|| {
                    bad(
                        &key,
                        "is missing while another generation has one; allowed: a capex on every generation, or none",
                    )
                })?;
                per_chip.push(non_negative(c, &key)?);
            }
            let life = p.depreciation_years.ok_or_else(|| {
                bad(
                    "provider.depreciation_years",
                    "is missing; required with capex_per_chip_usd: the straight-line life that values the chips at \
                     the term's end",
                )
            })?;
            Some(ProviderEconomics {
                capex_per_chip_usd: per_chip,
                opex_per_chip_hour_usd: non_negative(p.opex_per_chip_hour_usd, "provider.opex_per_chip_hour_usd")?,
                depreciation: Span::of(positive(life, "provider.depreciation_years")?, Span::YEAR),
                financing_spread_per_year: non_negative(
                    p.financing_spread_per_year,
                    "provider.financing_spread_per_year",
                )?,
            })
        }
    };
    Ok(ProviderSpec {
        remarket_fraction: probability(p.remarket_fraction, "provider.remarket_fraction")?,
        spot_price_per_chip_hour_usd: non_negative(
            p.spot_price_per_chip_hour_usd,
            "provider.spot_price_per_chip_hour_usd",
        )?,
        remarket_ramp_months: p.remarket_ramp_months,
        claim_recovery_fraction: probability(p.claim_recovery_fraction, "provider.claim_recovery_fraction")?,
        claim_delay_months: non_negative(p.claim_delay_months, "provider.claim_delay_months")?,
        economics,
    })
}

/// Checks `[market]`.
pub(crate) fn market(m: &RawMarket) -> Result<MarketSpec, KeyError> {
    let elasticity = m.demand_elasticity;
    if !(elasticity.is_finite() && (0.0..=5.0).contains(&elasticity)) {
        return Err(bad(
            "market.demand_elasticity",
            format!("is {}; allowed: 0 to 5", rules::show(elasticity)),
        ));
    }
    Ok(MarketSpec {
        initial_price_ratio: non_negative(m.initial_price_ratio, "market.initial_price_ratio")?,
        halving_years: positive(m.halving_years, "market.halving_years")?,
        demand_elasticity: elasticity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_market_price_halves_every_halving_and_moves_with_demand() {
        let m = MarketSpec {
            initial_price_ratio: 0.8,
            halving_years: 2.1,
            demand_elasticity: 0.5,
        };
        assert!((m.price(2.0, 0.0, 1.0) - 1.6).abs() < 1e-12);
        assert!((m.price(2.0, 2.1, 1.0) - 0.8).abs() < 1e-12);
        assert!(
            (m.price(2.0, 0.0, 0.25) - 0.8).abs() < 1e-12,
            "demand a quarter: price halves at 0.5"
        );
    }

    #[test]
    fn the_remarketed_share_ramps_in_monthly_steps() {
        let mut p = ProviderSpec {
            remarket_fraction: 0.6,
            spot_price_per_chip_hour_usd: 1.0,
            remarket_ramp_months: 3,
            claim_recovery_fraction: 0.0,
            claim_delay_months: 0.0,
            economics: None,
        };
        for (m, want) in [0.0, 0.2, 0.4, 0.6, 0.6].into_iter().enumerate() {
            assert!((p.remarket_share(m as u32) - want).abs() < 1e-15, "month {m}");
        }
        p.remarket_ramp_months = 0;
        assert_eq!(p.remarket_share(0), 0.6);
    }
}
