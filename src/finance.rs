//! The contract's money: the price of a chip-hour and what idle capacity
//! costs the buyer. (Cash, default and loss build on this.)

use crate::config::scenario::ContractSpec;
use crate::engine::Span;

/// The value at the start of the term of one dollar paid `months` months
/// in (the end of month m is m months in), at an annual effective `rate`:
/// (1 + r)^(−months/12).
pub fn discount_factor(rate: f64, months: f64) -> f64 {
    (1.0 + rate).powf(-months / 12.0)
}

/// The recovery of the provider's unsecured claim in the buyer's
/// bankruptcy: `fraction` of what the exposure leaves after re-marketing.
pub fn claim_recovery(exposure: f64, remarketing: f64, fraction: f64) -> f64 {
    fraction * (exposure - remarketing).max(0.0)
}

/// The present value of monthly cash flows, `flows[i]` paid at the end of
/// month `first + i`.
pub fn present_value(flows: impl IntoIterator<Item = f64>, first: usize, rate: f64) -> f64 {
    flows
        .into_iter()
        .enumerate()
        .map(|(i, f)| f * discount_factor(rate, (first + i) as f64))
        .sum()
}

/// Derived contract figures, for `check` and the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractFigures {
    /// Term in years.
    pub term_years: f64,
    /// Committed dollars.
    pub committed_usd: f64,
    /// Planned chip-hours in the term (tranche schedule, no delays).
    pub planned_chip_hours: f64,
    /// Price per chip-hour (given or derived).
    pub price_per_chip_hour_usd: f64,
    /// Whether the price was derived from commitment ÷ planned chip-hours.
    pub price_derived: bool,
    /// Flat monthly payment: commitment ÷ months in the term.
    pub monthly_payment_usd: f64,
}

/// The derived figures of a contract.
pub fn contract_figures(c: &ContractSpec) -> ContractFigures {
    let months = c.term.in_units(Span::MONTH);
    ContractFigures {
        term_years: c.term.in_units(Span::YEAR),
        committed_usd: c.committed_usd,
        planned_chip_hours: c.planned_chip_hours,
        price_per_chip_hour_usd: c.price_per_chip_hour_usd,
        price_derived: c.price_derived,
        monthly_payment_usd: c.committed_usd / months,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_present_value_of_a_flat_annuity_is_its_closed_form() {
        // P paid at the end of each of n months at annual rate r: with the
        // monthly factor v = (1 + r)^(-1/12), PV = P v (1 - v^n) / (1 - v).
        let (p, n, r) = (1e9, 60, 0.08);
        let v = (1.0f64 + r).powf(-1.0 / 12.0);
        let closed = p * v * (1.0 - v.powi(n)) / (1.0 - v);
        let pv = present_value(std::iter::repeat_n(p, n as usize), 1, r);
        assert!((pv - closed).abs() < 1e-9 * closed, "{pv} vs {closed}");
        // At r = 0 a present value is the nominal sum.
        assert_eq!(present_value([1.0, 2.0, 3.0], 1, 0.0), 6.0);
        // A dollar a year out at 5% is worth 1/1.05 today.
        assert!((discount_factor(0.05, 12.0) - 1.0 / 1.05).abs() < 1e-15);
        assert_eq!(claim_recovery(10.0, 4.0, 0.5), 3.0);
        assert_eq!(claim_recovery(10.0, 12.0, 0.5), 0.0);
    }

    #[test]
    fn derived_price_is_commitment_over_planned_chip_hours() {
        // 1.5M chips for the whole 5-year term at $100B is the seed
        // article's ~$1.52 per chip-hour.
        let s = crate::config::load_baseline(&[
            "cluster.tranches.0.chips=1500000".into(),
            "cluster.tranches.1.chips=0".into(),
        ]);
        assert!(s.is_err(), "a zero-chip tranche is rejected");
        let mut doc = crate::config::parse_toml(crate::config::BASELINE_TOML, "baseline").unwrap();
        crate::config::apply_override(&mut doc, "cluster.tranches.0.chips=1500000").unwrap();
        doc["cluster"]["tranches"].as_array_mut().unwrap().truncate(1);
        let s = crate::config::from_table(doc, "baseline").unwrap();
        let f = contract_figures(&s.contract);
        assert!((f.planned_chip_hours - 1.5e6 * 5.0 * 8766.0).abs() < 1.0);
        assert!(
            (f.price_per_chip_hour_usd - 1.5207).abs() < 1e-3,
            "{}",
            f.price_per_chip_hour_usd
        );
        assert!((f.monthly_payment_usd - 100e9 / 60.0).abs() < 1e-3);
    }
}

/// The buyer's cash, month by month. Month `k` (1-based) closes at the end
/// of the month, in this order:
/// 1. the month's revenue comes in;
/// 2. its other costs go out, from cash and then from the credit line (cash
///    goes negative only once credit is exhausted: the buyer cannot meet
///    its costs and defaults);
/// 3. the month's payment is due (less any waiver for late capacity), from
///    cash and then credit. If cash plus the undrawn credit cannot meet it,
///    the buyer **defaults in month `k`** and pays nothing more.
///
/// So with zero revenue and costs, funding F, no credit and a flat payment
/// P, the last payment made is the `floor(F/P)`-th and the default month is
/// `floor(F/P) + 1` (= `ceil(F/P)` unless F/P is a whole number). A
/// shortfall smaller than a millionth of the amount is treated as rounding.
///
/// Every month is recorded, after a default too: what was due after
/// waivers (the exposure at default is what remains due from the default
/// month on) and what was paid.
///
/// Money is conserved exactly by construction and checked by
/// [`Ledger::balance_error`]: funding + revenue + credit drawn = payments +
/// costs + ending cash.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ledger {
    /// Payment due in each month (index 0 = month 1), before waivers.
    plan: Vec<f64>,
    funding: f64,
    credit_limit: f64,
    /// Cash now (negative only when credit is exhausted and costs unpaid).
    pub cash: f64,
    /// Credit drawn so far.
    pub credit_drawn: f64,
    /// Revenue received.
    pub revenue: f64,
    /// Costs paid.
    pub costs: f64,
    /// Payments made.
    pub payments: f64,
    /// Payments waived for capacity not delivered on time.
    pub waived: f64,
    /// Payments made for capacity not yet delivered (owed, not waived).
    pub paid_undelivered: f64,
    /// Months closed while the buyer was paying.
    pub months_closed: u32,
    /// Month of default (1-based), if the buyer defaulted.
    pub default_month: Option<u32>,
    /// Per month (index 0 = month 1): the payment due after waivers.
    pub due: Vec<f64>,
    /// Per month: the payment made (0 from the default on).
    pub paid: Vec<f64>,
}

impl Ledger {
    /// A ledger with `funding` cash, a credit line and a payment plan.
    pub fn new(plan: Vec<f64>, funding: f64, credit_limit: f64) -> Ledger {
        Ledger {
            due: Vec::with_capacity(plan.len()),
            paid: Vec::with_capacity(plan.len()),
            plan,
            funding,
            credit_limit,
            cash: funding,
            credit_drawn: 0.0,
            revenue: 0.0,
            costs: 0.0,
            payments: 0.0,
            waived: 0.0,
            paid_undelivered: 0.0,
            months_closed: 0,
            default_month: None,
        }
    }

    /// Closes the next month with its revenue, costs, the part of its
    /// payment that is waived and the value of the capacity it pays for
    /// that is not delivered (`undelivered`, counted as paid for when owed
    /// and paid). Returns true if the buyer defaults now. After a default
    /// (or past the plan) it only records what was due.
    pub fn close_month(&mut self, revenue: f64, costs: f64, waiver: f64, undelivered: f64) -> bool {
        let k = self.due.len();
        if k >= self.plan.len() {
            return false;
        }
        let waiver = waiver.clamp(0.0, self.plan[k]);
        let due = self.plan[k] - waiver;
        self.due.push(due);
        if self.default_month.is_some() {
            self.paid.push(0.0);
            return false;
        }
        self.months_closed += 1;
        self.revenue += revenue;
        self.costs += costs;
        if self.cash + revenue >= costs {
            self.cash += revenue - costs;
        } else {
            // Costs beyond cash are paid from the credit line while it lasts.
            let draw = (costs - self.cash - revenue).min(self.credit_limit - self.credit_drawn);
            self.credit_drawn += draw;
            self.cash += revenue + draw - costs;
        }
        let credit_left = self.credit_limit - self.credit_drawn;
        // A shortfall below a millionth of the amount is float rounding
        // (e.g. funding equal to the commitment vs the sum of the plan),
        // not a default.
        if self.cash + credit_left < due - 1e-6 * due.max(costs) {
            self.default_month = Some(self.months_closed);
            self.paid.push(0.0);
            return true;
        }
        self.waived += waiver;
        if waiver == 0.0 {
            self.paid_undelivered += undelivered.min(due);
        }
        let draw = (due - self.cash).max(0.0);
        self.credit_drawn += draw;
        self.cash += draw - due;
        self.payments += due;
        self.paid.push(due);
        false
    }

    /// Payments still due from the default month on (the missed one
    /// included), after waivers for capacity still late; 0 without a
    /// default. Months not yet closed count in full (the term's last months
    /// are closed when the term ends).
    pub fn exposure_at_default(&self) -> f64 {
        self.default_month.map_or(0.0, |m| {
            let from = (m - 1) as usize;
            let recorded: f64 = self.due[from..].iter().sum();
            recorded + self.plan[self.due.len().max(from)..].iter().sum::<f64>()
        })
    }

    /// |funding + revenue + credit drawn − (payments + costs + cash)|.
    pub fn balance_error(&self) -> f64 {
        (self.funding + self.revenue + self.credit_drawn - (self.payments + self.costs + self.cash)).abs()
    }
}

#[cfg(test)]
mod ledger_tests {
    use super::*;

    #[test]
    fn zero_revenue_defaults_in_month_floor_f_over_p_plus_one() {
        for (funding, expected) in [(25.0, 3), (20.0, 3), (9.99, 1), (0.0, 1)] {
            let mut l = Ledger::new(vec![10.0; 12], funding, 0.0);
            let month = (1..=12).find(|_| l.close_month(0.0, 0.0, 0.0, 0.0));
            assert_eq!(month, Some(expected), "funding {funding}");
            assert_eq!(l.default_month, Some(expected));
            assert_eq!(l.exposure_at_default(), 10.0 * (13 - expected) as f64);
            assert!(l.balance_error() < 1e-9);
        }
    }

    #[test]
    fn credit_line_and_waivers_delay_default_and_money_balances() {
        let mut l = Ledger::new(vec![10.0; 6], 15.0, 10.0);
        let defaults: Vec<bool> = (0..6)
            .map(|k| l.close_month(2.0, 1.0, if k == 0 { 4.0 } else { 0.0 }, 0.0))
            .collect();
        // Month 1: cash 16, due 6 → 10. Month 2: 11 → 1. Month 3: 2, draw 8 → 0.
        // Month 4: 1, 2 of credit left → default.
        assert_eq!(defaults, vec![false, false, false, true, false, false]);
        assert_eq!(l.default_month, Some(4));
        assert_eq!((l.waived, l.payments, l.credit_drawn), (4.0, 26.0, 8.0));
        assert!(l.balance_error() < 1e-9, "{l:?}");
    }

    #[test]
    fn costs_draw_on_credit_before_the_payment_so_cash_stays_non_negative() {
        // Cash 1, costs 5, credit 10, payment 20: the costs take 4 of
        // credit, the payment cannot be met. The old order left cash at -4
        // with the whole credit line undrawn.
        let mut l = Ledger::new(vec![20.0], 1.0, 10.0);
        assert!(l.close_month(0.0, 5.0, 0.0, 0.0));
        assert_eq!((l.cash, l.credit_drawn, l.costs), (0.0, 4.0, 5.0));
        assert!(l.balance_error() < 1e-12);
        // With credit exhausted by costs, cash goes negative and the buyer
        // defaults even when nothing is due.
        let mut l = Ledger::new(vec![0.0], 1.0, 2.0);
        assert!(l.close_month(0.0, 5.0, 0.0, 0.0));
        assert_eq!((l.cash, l.credit_drawn), (-2.0, 2.0));
    }

    #[test]
    fn exposure_at_default_counts_the_waivers_of_capacity_still_late() {
        // Payments of 10; the buyer pays month 1 and defaults in month 2;
        // months 3 and 4 would have waived 4 and 10 for late capacity.
        let mut l = Ledger::new(vec![10.0; 4], 15.0, 0.0);
        let defaults: Vec<bool> = [0.0, 0.0, 4.0, 10.0]
            .iter()
            .map(|&w| l.close_month(0.0, 0.0, w, 0.0))
            .collect();
        assert_eq!(defaults, [false, true, false, false]);
        assert_eq!(l.exposure_at_default(), 10.0 + 6.0 + 0.0);
        assert_eq!(l.due, [10.0, 10.0, 6.0, 0.0]);
        assert_eq!(l.paid, [10.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn payments_for_late_capacity_are_counted_when_owed_and_paid() {
        let mut l = Ledger::new(vec![10.0; 2], 100.0, 0.0);
        l.close_month(0.0, 0.0, 0.0, 3.0);
        l.close_month(0.0, 0.0, 2.0, 2.0);
        // Month 2's late capacity was waived, not paid for.
        assert_eq!(l.paid_undelivered, 3.0);
    }
}
