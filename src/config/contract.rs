//! The contract resolved from its section: the price of a chip-hour (given,
//! or derived from the commitment and the planned capacity) and the payment
//! due each month. Planned capacity — the tranche schedule with no delays —
//! is computed here once, for the price, the `planned_capacity` payment
//! schedule and `check`.

use super::raw::{RawContract, RawGoverns, RawPaymentSchedule, RawUndelivered};
use super::rules;
use super::scenario::{ClusterSpec, Gen, KeyError};
use crate::engine::{SimTime, Span};

/// The contract, with the price and the payments resolved.
#[derive(Debug, Clone)]
pub struct ContractSpec {
    /// Term length; the simulation ends here.
    pub term: Span,
    /// Committed dollars over the term.
    pub committed_usd: f64,
    /// Chip-hours the tranche schedule plans over the term (no delays).
    pub planned_chip_hours: f64,
    /// The average price per chip-hour: commitment ÷ planned chip-hours.
    pub price_per_chip_hour_usd: f64,
    /// Each generation's price per chip-hour (by `Gen` index): given, or the
    /// commitment split in proportion to planned capacity × speed.
    pub prices: Vec<f64>,
    /// True when the prices were derived rather than given.
    pub price_derived: bool,
    /// Annual effective discount rate: a cash flow at the end of month m is
    /// worth (1 + r)^(−m/12) at the start.
    pub discount_rate_per_year: f64,
    /// Payment due each month (index 0 = month 1; the last month may be
    /// partial), summing to the commitment.
    pub payments: Vec<f64>,
    /// The schedule the payments follow.
    pub payment_schedule: RawPaymentSchedule,
    /// Whether late capacity's payments are waived.
    pub waive_undelivered: bool,
}

fn bad(key: &str, problem: impl Into<String>) -> KeyError {
    KeyError {
        key: key.into(),
        problem: problem.into(),
    }
}

/// Resolves `[contract]` over a term of `term` seconds and the checked cluster.
pub fn resolve(c: &RawContract, cluster: &ClusterSpec, term: Span) -> Result<ContractSpec, KeyError> {
    let mut committed_usd = rules::non_negative(c.committed_usd).map_err(|p| bad("contract.committed_usd", p))?;
    let (start, end) = (SimTime::ZERO, SimTime::at(term));
    let planned_chip_hours = cluster.planned_chip_hours(start, end);
    let planned: Vec<f64> = Gen::all(cluster.generations.len())
        .map(|g| cluster.planned_chip_hours_of(g, start, end))
        .collect();
    let given = given_prices(c, cluster)?;
    let derived = given.is_none();
    let prices = match given {
        Some(prices) => {
            let implied: f64 = prices.iter().zip(&planned).map(|(p, h)| p * h).sum();
            let apart = (implied - committed_usd).abs() > 1e-6 * implied.max(committed_usd);
            match c.governs {
                _ if !apart => {}
                Some(RawGoverns::Commitment) => {}
                Some(RawGoverns::Price) => committed_usd = implied,
                None => {
                    return Err(bad(
                        "contract.governs",
                        format!(
                            "is missing, and the given prices value the planned {} chip-hours at ${}, not the \
                             committed ${}; allowed: \"price\" (payments follow the prices: the commitment becomes \
                             ${}) or \"commitment\" (payments total committed_usd; the prices value idle and late \
                             capacity), or give no price",
                            rules::approx(planned_chip_hours),
                            rules::approx(implied),
                            rules::approx(committed_usd),
                            rules::approx(implied)
                        ),
                    ));
                }
            }
            prices
        }
        None => {
            // The commitment split in proportion to capacity × speed: a
            // faster chip-hour is worth more (`speed` is work per chip-hour).
            let work: f64 = planned.iter().zip(&cluster.generations).map(|(h, g)| h * g.speed).sum();
            if work <= 0.0 || work.is_nan() {
                return Err(bad(
                    "contract.price_per_chip_hour_usd",
                    "is absent and cannot be derived: the tranches plan no chip-hours in the term; give a price",
                ));
            }
            cluster
                .generations
                .iter()
                .map(|g| committed_usd / work * g.speed)
                .collect()
        }
    };
    let price = if planned_chip_hours > 0.0 {
        committed_usd / planned_chip_hours
    } else {
        prices.iter().copied().fold(0.0, f64::max)
    };
    let escalation = c.price_escalation_per_year;
    if !(escalation.is_finite() && escalation > -1.0) {
        return Err(bad(
            "contract.price_escalation_per_year",
            format!("is {}; allowed: a number > -1", rules::show(escalation)),
        ));
    }
    let weights: Vec<f64> = (0..term.steps_of(Span::MONTH))
        .map(|k| {
            let start = SimTime::at(Span::MONTH * k);
            let end = SimTime::at((Span::MONTH * (k + 1)).min(term));
            match c.payment_schedule {
                RawPaymentSchedule::FlatMonthly => (end - start).secs() as f64,
                RawPaymentSchedule::PlannedCapacity => cluster.planned_chip_hours(start, end),
            }
        })
        .collect();
    if !(price.is_finite() && prices.iter().all(|p| p.is_finite())) {
        return Err(bad(
            "contract.committed_usd",
            format!(
                "is {}: over {} planned chip-hours it makes the price per chip-hour infinite; allowed: a commitment \
                 whose price per chip-hour is a finite number",
                rules::show(committed_usd),
                rules::approx(planned_chip_hours)
            ),
        ));
    }
    let payments = payment_plan(&weights, committed_usd, escalation);
    if payments.iter().any(|p| !p.is_finite()) {
        return Err(bad(
            "contract.price_escalation_per_year",
            format!(
                "is {}: over a {:.1}-year term it makes the installments overflow; allowed: an escalation whose \
                 factor over the term, (1 + e)^years, is a finite number",
                rules::show(escalation),
                term.in_units(Span::YEAR)
            ),
        ));
    }
    let discount_rate_per_year = c.discount_rate_per_year;
    if !(discount_rate_per_year.is_finite() && discount_rate_per_year > -1.0) {
        return Err(bad(
            "contract.discount_rate_per_year",
            format!(
                "is {}; allowed: a number > -1 (0.05 = 5% a year)",
                rules::show(discount_rate_per_year)
            ),
        ));
    }
    Ok(ContractSpec {
        term,
        committed_usd,
        planned_chip_hours,
        price_per_chip_hour_usd: price,
        prices,
        price_derived: derived,
        discount_rate_per_year,
        payments,
        payment_schedule: c.payment_schedule,
        waive_undelivered: c.undelivered_capacity == RawUndelivered::Waived,
    })
}

/// The prices the config gives, one per generation: the contract's one
/// price for all, or every generation's own; `None` when none is given.
fn given_prices(c: &RawContract, cluster: &ClusterSpec) -> Result<Option<Vec<f64>>, KeyError> {
    let own: Vec<Option<f64>> = cluster.generations.iter().map(|g| g.price_per_chip_hour_usd).collect();
    let key = |i: usize| format!("cluster.generations[{i}].price_per_chip_hour_usd");
    match (c.price_per_chip_hour_usd, own.iter().position(Option::is_some)) {
        (Some(_), Some(i)) => Err(bad(
            &key(i),
            "is given as well as contract.price_per_chip_hour_usd; allowed: one price for all generations, or a \
             price for each generation",
        )),
        (Some(p), None) => {
            let p = rules::non_negative(p).map_err(|e| bad("contract.price_per_chip_hour_usd", e))?;
            Ok(Some(vec![p; own.len()]))
        }
        (None, Some(_)) => own
            .iter()
            .enumerate()
            .map(|(i, p)| match p {
                Some(p) => rules::non_negative(*p).map_err(|e| bad(&key(i), e)),
                None => Err(bad(
                    &key(i),
                    "is missing while another generation has a price; allowed: a price for every generation, or none",
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        (None, None) => Ok(None),
    }
}

/// Scales `weights` (one per month) so that they sum to `committed`, after
/// applying an escalation of `escalation_per_year` (payment in month k
/// proportional to weight × (1 + e)^{(k−1)/12}).
pub fn payment_plan(weights: &[f64], committed: f64, escalation_per_year: f64) -> Vec<f64> {
    let raw: Vec<f64> = weights
        .iter()
        .enumerate()
        .map(|(k, w)| w * (1.0 + escalation_per_year).powf(k as f64 / 12.0))
        .collect();
    let total: f64 = raw.iter().sum();
    if total <= 0.0 {
        return vec![0.0; weights.len()];
    }
    raw.iter().map(|r| r / total * committed).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_plans_sum_to_the_commitment() {
        let p = payment_plan(&[1.0; 60], 100e9, 0.0);
        assert!((p[0] - 100e9 / 60.0).abs() < 1e-3);
        let e = payment_plan(&[1.0; 24], 1.0, 0.1);
        assert!((e.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((e[12] / e[0] - 1.1).abs() < 1e-12);
    }
}
