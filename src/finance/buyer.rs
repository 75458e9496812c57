//! The buyer as a business, month by month: revenue from the inference it
//! served (at a price that declines), fixed and variable costs, equity
//! rounds (at fixed months, or raised by rule when its runway runs short,
//! more likely when revenue grows), one cost cut, and one restructuring it
//! seeks before it stops paying. The rules are `config::buyer`'s; the
//! cash is a [`Ledger`]'s.
//!
//! A month closes in this order (each step documented where it happens):
//! 1. revenue, the month's fixed rounds and its costs are booked;
//! 2. the installment is paid if cash and credit meet it; if not, the buyer
//!    seeks its restructuring (once in the term), pays if that makes the
//!    installment affordable, and otherwise defaults (paying what it can of
//!    this installment with `partial_payments`);
//! 3. a buyer still paying looks at its runway — cash plus undrawn credit
//!    over its recent monthly burn — and may raise a round, then cut costs.
//!
//! Random draws come from the caller's stream, the same number every month
//! whatever happens (one uniform and one valuation multiple with a
//! fundraising rule, one uniform with a restructuring rule), so two grid
//! points that differ in a threshold see the same numbers month by month.

use super::Ledger;
use crate::config::buyer::{BuyerSpec, Restructuring};
use crate::config::raw::RawRestructuringKind;
use rand::Rng;

/// What the month brought that the buyer's books need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonthInputs {
    /// Inference served in the month, baseline-chip-hours.
    pub served_chip_hours: f64,
    /// The month's length in months (the term's last may be shorter).
    pub length_months: f64,
    /// Years from the start of the term to the month's middle.
    pub mid_years: f64,
    /// The installment waived for late capacity.
    pub waiver: f64,
    /// Late capacity at the contract's prices (counted as paid for when
    /// owed and paid).
    pub late_usd: f64,
}

/// What kind of thing happened to the buyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuyerEventKind {
    /// Equity came in (a fixed round or one raised by rule).
    FundingRound,
    /// A round was tried and failed.
    FailedRound,
    /// A cost cut was decided.
    CostCut,
    /// A restructuring was agreed.
    Restructuring,
    /// A restructuring was sought and refused.
    FailedRestructuring,
    /// The buyer stopped paying.
    Default,
}

/// One thing that happened to the buyer, at a month's end.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BuyerEvent {
    /// Contract month (1-based) at whose end it happened.
    pub month: u32,
    /// What happened.
    pub kind: BuyerEventKind,
    /// The money involved (raised, cut per month, postponed or forgiven,
    /// exposure at default), USD.
    pub amount_usd: f64,
    /// A sentence for people.
    pub detail: String,
}

/// The buyer's figures for `replicas.csv`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BuyerRecord {
    /// Successful rounds (fixed ones included).
    pub funding_rounds: u32,
    /// Failed rounds.
    pub failed_rounds: u32,
    /// Month the cost cut was decided.
    pub cost_cut_month: Option<u32>,
    /// Month of the restructuring, if one was agreed.
    pub restructure_month: Option<u32>,
    /// Its kind.
    pub restructure_kind: Option<RawRestructuringKind>,
    /// Share of the defaulted installment paid (with partial payments).
    pub paid_fraction_at_default: Option<f64>,
}

/// The buyer: its ledger and the state of its rules.
#[derive(Debug, Clone)]
pub struct Buyer<'s> {
    spec: Option<&'s BuyerSpec>,
    /// The cash.
    pub ledger: Ledger,
    /// Figures for the result row.
    pub record: BuyerRecord,
    /// What happened, in order.
    pub events: Vec<BuyerEvent>,
    /// Revenue of each closed month.
    revenue: Vec<f64>,
    /// Burn (costs + payment − revenue) of each closed month.
    burn: Vec<f64>,
    /// Month of the last fundraising attempt.
    last_attempt: Option<u32>,
    /// From this month on, fixed costs are cut by the rule's fraction.
    cut_from: Option<u32>,
    restructured: bool,
}

/// The logistic function.
fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl<'s> Buyer<'s> {
    /// A buyer with the plan of installments. Without a spec it is funded
    /// with exactly the commitment and always pays.
    pub fn new(spec: Option<&'s BuyerSpec>, plan: Vec<f64>, committed_usd: f64) -> Buyer<'s> {
        let ledger = match spec {
            Some(b) => Ledger::new(plan, b.initial_funding_usd, b.credit_line_usd),
            None => Ledger::new(plan, committed_usd, 0.0),
        };
        Buyer {
            spec,
            ledger,
            record: BuyerRecord::default(),
            events: Vec::new(),
            revenue: Vec::new(),
            burn: Vec::new(),
            last_attempt: None,
            cut_from: None,
            restructured: false,
        }
    }

    /// Closes the next month. Returns true if the buyer defaults now.
    pub fn close_month<R: Rng + ?Sized>(&mut self, m: &MonthInputs, rng: &mut R) -> bool {
        // The draws of the month, whatever happens (see the module doc).
        let round_draws = self
            .spec
            .and_then(|b| b.fundraising.as_ref())
            .map(|f| (rng.random::<f64>(), f.revenue_multiple.sample(rng)));
        let restructure_draw = self.spec.and_then(|b| b.restructuring).map(|_| rng.random::<f64>());
        if !self.ledger.is_paying() {
            self.ledger.record_unpaid_month(m.waiver);
            return false;
        }
        let month = self.ledger.month();
        let (revenue, costs, fixed_rounds) = self.flows(m, month);
        for &amount in &fixed_rounds {
            self.round_raised(month, amount, "fixed round".into());
        }
        self.ledger.book(revenue, fixed_rounds.iter().sum(), costs);
        let paid_before = self.ledger.payments;
        if !self.ledger.can_pay(m.waiver) && !self.restructure(month, m.waiver, restructure_draw) {
            self.default(month, m.waiver);
            return true;
        }
        self.ledger.pay(m.waiver, m.late_usd);
        self.revenue.push(revenue);
        self.burn.push(costs + (self.ledger.payments - paid_before) - revenue);
        if let Some((u, multiple)) = round_draws {
            self.maybe_raise(month, m.length_months, u, multiple);
        }
        self.maybe_cut_costs(month);
        false
    }

    /// The month's revenue, costs and fixed rounds.
    fn flows(&self, m: &MonthInputs, month: u32) -> (f64, f64, Vec<f64>) {
        let Some(b) = self.spec else {
            return (0.0, 0.0, Vec::new());
        };
        let price = b.revenue_per_served_chip_hour_usd * (1.0 - b.revenue_decline_per_year).powf(m.mid_years);
        let cut = match (self.cut_from, &b.cost_cuts) {
            (Some(from), Some(c)) if month >= from => 1.0 - c.fraction,
            _ => 1.0,
        };
        let costs = b.other_costs_per_month_usd * m.length_months * cut
            + b.serving_cost_per_served_chip_hour_usd * m.served_chip_hours;
        let rounds = (b.funding_rounds.iter())
            .filter(|r| r.0 == month)
            .map(|r| r.1)
            .collect();
        (m.served_chip_hours * price, costs, rounds)
    }

    fn round_raised(&mut self, month: u32, amount: f64, detail: String) {
        self.record.funding_rounds += 1;
        self.events.push(BuyerEvent {
            month,
            kind: BuyerEventKind::FundingRound,
            amount_usd: amount,
            detail,
        });
    }

    /// Seeks the restructuring when the installment cannot be met: true if
    /// one was agreed and the (new) installment can now be paid.
    fn restructure(&mut self, month: u32, waiver: f64, draw: Option<f64>) -> bool {
        let (Some(rule), Some(u)) = (self.spec.and_then(|b| b.restructuring), draw) else {
            return false;
        };
        if self.restructured {
            return false;
        }
        self.restructured = true;
        let name = rule.kind.kind().as_str();
        let (amount, detail) = if u < rule.success_probability {
            match rule.kind {
                Restructuring::Deferral { months } => {
                    let moved = self.ledger.defer(months);
                    let last = self.ledger.term_months();
                    (moved, format!("{months} installment(s) postponed to month {last}"))
                }
                Restructuring::StepDown { haircut } => {
                    let forgiven = self.ledger.step_down(haircut);
                    (
                        forgiven,
                        format!("{:.0}% of the remaining installments forgiven", haircut * 100.0),
                    )
                }
            }
        } else {
            (0.0, String::new())
        };
        if amount > 0.0 {
            self.record.restructure_month = Some(month);
            self.record.restructure_kind = Some(rule.kind.kind());
            self.events.push(BuyerEvent {
                month,
                kind: BuyerEventKind::Restructuring,
                amount_usd: amount,
                detail: format!("{name}: {detail}"),
            });
            self.ledger.can_pay(waiver)
        } else {
            self.events.push(BuyerEvent {
                month,
                kind: BuyerEventKind::FailedRestructuring,
                amount_usd: 0.0,
                detail: format!("{name} sought and refused"),
            });
            false
        }
    }

    fn default(&mut self, month: u32, waiver: f64) {
        let due = self.ledger.due_now(waiver);
        let partial = self.spec.is_some_and(|b| b.partial_payments);
        let paid = self.ledger.default_now(waiver, partial);
        if partial && due > 0.0 {
            self.record.paid_fraction_at_default = Some(paid / due);
        }
        let detail = if partial {
            format!(
                "paid {:.1}% of the installment",
                100.0 * paid / due.max(f64::MIN_POSITIVE)
            )
        } else {
            "stopped paying".into()
        };
        self.events.push(BuyerEvent {
            month,
            kind: BuyerEventKind::Default,
            amount_usd: self.ledger.exposure_at_default(),
            detail,
        });
    }

    /// Months of burn that cash and undrawn credit cover, from the mean of
    /// the last `window` months (infinite when the buyer is not burning).
    fn runway_months(&self, window: u32) -> f64 {
        let recent = &self.burn[self.burn.len().saturating_sub(window as usize)..];
        let burn = recent.iter().sum::<f64>() / recent.len().max(1) as f64;
        if burn > 0.0 {
            self.ledger.headroom() / burn
        } else {
            f64::INFINITY
        }
    }

    /// Annualised log growth of revenue: the last `w` months against the
    /// `w` before (0 without that much history; within ±3).
    fn revenue_growth(&self, w: u32) -> f64 {
        let w = w as usize;
        let n = self.revenue.len();
        if n < 2 * w {
            return 0.0;
        }
        let recent: f64 = self.revenue[n - w..].iter().sum();
        let prior: f64 = self.revenue[n - 2 * w..n - w].iter().sum();
        let g = match (recent > 0.0, prior > 0.0) {
            (true, true) => (recent / prior).ln() * 12.0 / w as f64,
            (true, false) => f64::INFINITY,
            (false, true) => f64::NEG_INFINITY,
            (false, false) => 0.0,
        };
        g.clamp(-3.0, 3.0)
    }

    /// Raises a round by rule when the runway is short: success with a
    /// probability that rises with revenue growth; size = dilution ×
    /// multiple × run-rate revenue (a buyer without revenue cannot raise).
    fn maybe_raise(&mut self, month: u32, length_months: f64, u: f64, multiple: f64) {
        let Some(f) = self.spec.and_then(|b| b.fundraising.as_ref()) else {
            return;
        };
        let runway = self.runway_months(f.burn_window_months);
        let due = self
            .last_attempt
            .is_none_or(|last| month - last >= f.min_months_between_rounds);
        if runway >= f.runway_threshold_months || !due {
            return;
        }
        self.last_attempt = Some(month);
        let growth = self.revenue_growth(f.growth_window_months);
        let p = match f.success_probability {
            p if p <= 0.0 || p >= 1.0 => p,
            p => logistic((p / (1.0 - p)).ln() + f.growth_sensitivity * growth),
        };
        let run_rate = self.revenue.last().copied().unwrap_or(0.0) * 12.0 / length_months.max(f64::MIN_POSITIVE);
        let size = f.dilution * multiple * run_rate;
        if u < p && size > 0.0 {
            self.ledger.book(0.0, size, 0.0);
            let detail = format!(
                "raised at {:.1}x run-rate revenue of ${:.3e} (runway {:.1} months, success chance {:.0}%)",
                multiple,
                run_rate,
                runway,
                100.0 * p
            );
            self.round_raised(month, size, detail);
        } else {
            self.record.failed_rounds += 1;
            self.events.push(BuyerEvent {
                month,
                kind: BuyerEventKind::FailedRound,
                amount_usd: 0.0,
                detail: format!("runway {runway:.1} months, success chance {:.0}%", 100.0 * p),
            });
        }
    }

    /// Decides the one cost cut when the runway (over the last three
    /// months' burn) is short.
    fn maybe_cut_costs(&mut self, month: u32) {
        let Some(b) = self.spec else { return };
        let Some(c) = &b.cost_cuts else { return };
        if self.cut_from.is_some() || self.runway_months(3) >= c.runway_threshold_months {
            return;
        }
        let from = month + c.lag_months + 1;
        self.cut_from = Some(from);
        self.record.cost_cut_month = Some(month);
        self.events.push(BuyerEvent {
            month,
            kind: BuyerEventKind::CostCut,
            amount_usd: c.fraction * b.other_costs_per_month_usd,
            detail: format!("{:.0}% of fixed costs cut from month {from}", c.fraction * 100.0),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::buyer::buyer as check_buyer;
    use crate::config::raw::RawBuyer;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// A buyer from `[buyer]` TOML with zero revenue and costs unless the
    /// text sets them, and a flat plan of `months` installments of 10.
    fn spec(text: &str, months: usize) -> BuyerSpec {
        let mut base = String::new();
        for key in ["revenue_per_served_chip_hour_usd", "other_costs_per_month_usd"] {
            if !text.contains(key) {
                base += &format!("{key} = 0\n");
            }
        }
        let raw: RawBuyer = toml::from_str(&format!("{base}{text}")).expect("valid [buyer]");
        check_buyer(&raw, months).expect("valid values")
    }

    fn month(served: f64) -> MonthInputs {
        MonthInputs {
            served_chip_hours: served,
            length_months: 1.0,
            mid_years: 0.0,
            waiver: 0.0,
            late_usd: 0.0,
        }
    }

    /// Closes months until a default (or the plan's end); the default month.
    fn run(b: &mut Buyer, months: usize, served: f64) -> Option<u32> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        (0..months).find_map(|_| {
            b.close_month(&month(served), &mut rng)
                .then(|| b.ledger.default_month.unwrap())
        })
    }

    #[test]
    fn a_fixed_round_moves_the_default_to_floor_of_f_plus_x_over_p_plus_one() {
        // F = 25, P = 10: default in month 3. A round of X = 32 at month 2
        // (before the money runs out): floor(57/10) + 1 = 6.
        let s = spec(
            "initial_funding_usd = 25\n[[funding_rounds]]\nmonth = 2\namount_usd = 32",
            12,
        );
        let mut b = Buyer::new(Some(&s), vec![10.0; 12], 120.0);
        assert_eq!(run(&mut b, 12, 0.0), Some(6));
        assert_eq!((b.ledger.equity, b.record.funding_rounds), (32.0, 1));
        assert!(b.ledger.balance_error() < 1e-12);
        let kinds: Vec<BuyerEventKind> = b.events.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [BuyerEventKind::FundingRound, BuyerEventKind::Default]);
    }

    #[test]
    fn a_deferral_of_d_installments_moves_the_default_by_d() {
        for d in [1u32, 3, 5] {
            let s = spec(
                &format!("initial_funding_usd = 25\n[restructuring]\nkind = \"deferral\"\ndeferral_months = {d}"),
                12,
            );
            let mut b = Buyer::new(Some(&s), vec![10.0; 12], 120.0);
            assert_eq!(run(&mut b, 12, 0.0), Some(3 + d), "deferral of {d}");
            assert_eq!(b.record.restructure_month, Some(3));
            assert_eq!(b.record.restructure_kind, Some(RawRestructuringKind::Deferral));
            // The postponed installments fall due in the last month: the
            // exposure still counts them.
            assert_eq!(b.ledger.exposure_at_default(), 120.0 - 20.0);
        }
    }

    #[test]
    fn a_partial_payment_pays_exactly_the_cash_on_hand() {
        let s = spec("initial_funding_usd = 25\npartial_payments = true", 12);
        let mut b = Buyer::new(Some(&s), vec![10.0; 12], 120.0);
        assert_eq!(run(&mut b, 12, 0.0), Some(3));
        assert_eq!(b.ledger.paid[2], 5.0);
        assert_eq!(b.record.paid_fraction_at_default, Some(0.5));
        assert_eq!(b.ledger.exposure_at_default(), 5.0 + 90.0);
        assert_eq!(b.ledger.cash, 0.0);
    }

    #[test]
    fn a_step_down_forgives_a_share_and_the_buyer_pays_on_if_it_can() {
        // F = 25; at month 3 the remaining 100 is cut by 60% to 4 a month:
        // 5 of cash pays month 3, and the buyer defaults in month 4.
        let s = spec(
            "initial_funding_usd = 25\n[restructuring]\nkind = \"step_down\"\nhaircut = 0.6",
            12,
        );
        let mut b = Buyer::new(Some(&s), vec![10.0; 12], 120.0);
        assert_eq!(run(&mut b, 12, 0.0), Some(4));
        assert!((b.ledger.forgiven_total() - 60.0).abs() < 1e-9);
        assert_eq!(b.record.restructure_kind, Some(RawRestructuringKind::StepDown));
        // Once used, a restructuring is not sought again.
        assert_eq!(b.events.last().map(|e| e.kind), Some(BuyerEventKind::Default));
        // A refused one is an event, and the buyer defaults at once.
        let refused = spec(
            "initial_funding_usd = 25\n[restructuring]\nkind = \"step_down\"\nhaircut = 0.6\nsuccess_probability = 0",
            12,
        );
        let mut b = Buyer::new(Some(&refused), vec![10.0; 12], 120.0);
        assert_eq!(run(&mut b, 12, 0.0), Some(3));
        assert_eq!(b.events[0].kind, BuyerEventKind::FailedRestructuring);
    }

    #[test]
    fn a_round_by_rule_is_sized_by_run_rate_revenue_and_spaced_by_its_interval() {
        // Revenue 4 a month (1 chip-hour served at $4), costs 12, payment
        // 10: burn 18 a month. Runway < 6 months from the start (cash 50).
        // A certain round at a fixed multiple 10 selling 10%: 0.1 × 10 × 48 = 48.
        let s = spec(
            "initial_funding_usd = 50\nrevenue_per_served_chip_hour_usd = 4\nother_costs_per_month_usd = 12\n\
             [fundraising]\nrunway_threshold_months = 6\nmin_months_between_rounds = 4\n\
             success_probability = 1\nrevenue_multiple = { dist = \"fixed\", value = 10 }\ndilution = 0.1",
            24,
        );
        let mut b = Buyer::new(Some(&s), vec![10.0; 24], 240.0);
        run(&mut b, 24, 1.0);
        let rounds: Vec<(u32, f64)> = (b.events.iter())
            .filter(|e| e.kind == BuyerEventKind::FundingRound)
            .map(|e| (e.month, e.amount_usd))
            .collect();
        assert!(rounds.len() >= 2, "{rounds:?}");
        assert!(rounds.iter().all(|r| (r.1 - 48.0).abs() < 1e-9), "{rounds:?}");
        assert!(rounds.windows(2).all(|w| w[1].0 - w[0].0 >= 4), "{rounds:?}");
        assert_eq!(b.ledger.equity, 48.0 * rounds.len() as f64);
        assert!(b.ledger.balance_error() < 1e-9);
        // Impossible rounds fail, at the same spacing.
        let never = spec(
            "initial_funding_usd = 50\nrevenue_per_served_chip_hour_usd = 4\nother_costs_per_month_usd = 12\n\
             [fundraising]\nrunway_threshold_months = 6\nmin_months_between_rounds = 4\n\
             success_probability = 0\nrevenue_multiple = { dist = \"fixed\", value = 10 }\ndilution = 0.1",
            24,
        );
        let mut b = Buyer::new(Some(&never), vec![10.0; 24], 240.0);
        // Month 1 ends with 32 of cash (runway 1.8 months): the round fails;
        // month 3 cannot pay (6 left) before the next attempt is allowed.
        let default = run(&mut b, 24, 1.0).expect("a buyer burning 18 a month on 50 defaults");
        assert_eq!(default, 3);
        assert_eq!((b.record.funding_rounds, b.record.failed_rounds), (0, 1));
        assert_eq!(b.events[0].kind, BuyerEventKind::FailedRound);
    }

    #[test]
    fn revenue_growth_raises_the_chance_of_a_round() {
        let mut b = Buyer::new(None, vec![0.0; 24], 0.0);
        b.revenue = vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0];
        // ln(6/3) × 12/3 = 2.77 a year.
        assert!((b.revenue_growth(3) - 2.0f64.ln() * 4.0).abs() < 1e-12);
        assert_eq!(b.revenue_growth(4), 0.0, "not enough history");
        assert!((logistic(0.0) - 0.5).abs() < 1e-15);
    }

    #[test]
    fn a_cost_cut_lowers_fixed_costs_after_its_lag() {
        // Costs 10 a month, no payments (plan of zeros), cash 40: runway 4
        // months at month 1 < 5: cut 50% decided in month 1, from month 3.
        let s = spec(
            "initial_funding_usd = 40\nother_costs_per_month_usd = 10\n\
             [cost_cuts]\nrunway_threshold_months = 5\nfraction = 0.5\nlag_months = 1",
            6,
        );
        let mut b = Buyer::new(Some(&s), vec![0.0; 6], 0.0);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let costs: Vec<f64> = (0..4)
            .map(|_| {
                let before = b.ledger.costs;
                b.close_month(&month(0.0), &mut rng);
                b.ledger.costs - before
            })
            .collect();
        assert_eq!(costs, [10.0, 10.0, 5.0, 5.0]);
        assert_eq!(b.record.cost_cut_month, Some(1));
    }

    #[test]
    fn revenue_declines_by_its_yearly_rate() {
        let s = spec(
            "initial_funding_usd = 1e9\nrevenue_per_served_chip_hour_usd = 4\nrevenue_decline_per_year = 0.3",
            24,
        );
        let mut b = Buyer::new(Some(&s), vec![0.0; 24], 0.0);
        let m = MonthInputs {
            mid_years: 2.0,
            ..month(100.0)
        };
        b.close_month(&m, &mut Xoshiro256PlusPlus::seed_from_u64(1));
        assert!((b.ledger.revenue - 400.0 * 0.49).abs() < 1e-9);
    }
}
