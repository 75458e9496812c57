//! The buyer's ledger: its cash, credit and what it paid and owed, month by
//! month. [`Ledger::close_month`] is the plain month (revenue, costs, the
//! payment or a default); `finance::Buyer` composes the same steps with
//! equity rounds, restructurings and partial payments.

/// The buyer's cash, month by month. Month `k` (1-based) closes at the end
/// of the month, in this order:
/// 1. the month's revenue and any equity raised come in;
/// 2. its other costs go out, from cash and then from the credit line (cash
///    goes negative only once credit is exhausted: the buyer cannot meet
///    its costs and defaults);
/// 3. the month's payment is due (less any waiver for late capacity), from
///    cash and then credit. If cash plus the undrawn credit cannot meet it,
///    the buyer **defaults in month `k`** and pays nothing more (or, with
///    partial payments, what cash and credit allow of this installment).
///
/// So with zero revenue and costs, funding F, no credit and a flat payment
/// P, the last payment made is the `floor(F/P)`-th and the default month is
/// `floor(F/P) + 1` (= `ceil(F/P)` unless F/P is a whole number). A
/// shortfall smaller than a millionth of the amount is treated as rounding.
///
/// Every month is recorded, after a default too: what was due after
/// waivers (the exposure at default is what remains due from the default
/// month on, less what was paid of it) and what was paid.
///
/// Money is conserved exactly by construction and checked by
/// [`Ledger::balance_error`]: funding + equity + revenue + credit drawn =
/// payments + costs + ending cash.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ledger {
    /// Payment due in each month (index 0 = month 1), before waivers, as
    /// restructured.
    plan: Vec<f64>,
    funding: f64,
    credit_limit: f64,
    /// Cash now (negative only when credit is exhausted and costs unpaid).
    pub cash: f64,
    /// Credit drawn so far.
    pub credit_drawn: f64,
    /// Revenue received.
    pub revenue: f64,
    /// Equity raised after the initial funding.
    #[serde(default)]
    pub equity: f64,
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
    /// Per month: the payment made (0 after the default; with partial
    /// payments, part of the default month's).
    pub paid: Vec<f64>,
    /// Per month: the installment forgiven by a step-down restructuring.
    #[serde(default)]
    pub forgiven: Vec<f64>,
    /// The costs booked in the month being closed (the scale of the
    /// rounding tolerance).
    #[serde(skip)]
    month_costs: f64,
}

/// A shortfall below a millionth of the amount is float rounding (e.g.
/// funding equal to the commitment vs the sum of the plan), not a default.
fn covers(available: f64, amount: f64, scale: f64) -> bool {
    available >= amount - 1e-6 * scale
}

impl Ledger {
    /// A ledger with `funding` cash, a credit line and a payment plan.
    pub fn new(plan: Vec<f64>, funding: f64, credit_limit: f64) -> Ledger {
        Ledger {
            due: Vec::with_capacity(plan.len()),
            paid: Vec::with_capacity(plan.len()),
            forgiven: vec![0.0; plan.len()],
            plan,
            funding,
            credit_limit,
            cash: funding,
            credit_drawn: 0.0,
            revenue: 0.0,
            equity: 0.0,
            costs: 0.0,
            payments: 0.0,
            waived: 0.0,
            paid_undelivered: 0.0,
            months_closed: 0,
            default_month: None,
            month_costs: 0.0,
        }
    }

    /// Closes the next month with its revenue, costs, the part of its
    /// payment that is waived and the value of the capacity it pays for
    /// that is not delivered (`undelivered`, counted as paid for when owed
    /// and paid). Returns true if the buyer defaults now. After a default
    /// (or past the plan) it only records what was due.
    pub fn close_month(&mut self, revenue: f64, costs: f64, waiver: f64, undelivered: f64) -> bool {
        if !self.is_paying() {
            self.record_unpaid_month(waiver);
            return false;
        }
        self.book(revenue, 0.0, costs);
        if self.can_pay(waiver) {
            self.pay(waiver, undelivered);
            false
        } else {
            self.default_now(waiver, false);
            true
        }
    }

    /// Whether the buyer is still paying and the plan has months left.
    pub fn is_paying(&self) -> bool {
        self.default_month.is_none() && self.due.len() < self.plan.len()
    }

    /// Months in the plan.
    pub fn term_months(&self) -> usize {
        self.plan.len()
    }

    /// The month being closed, 1-based.
    pub fn month(&self) -> u32 {
        self.due.len() as u32 + 1
    }

    /// Records a month in which nothing is paid: after a default, its
    /// installment is still due (it is part of the exposure).
    pub fn record_unpaid_month(&mut self, waiver: f64) {
        if self.due.len() < self.plan.len() {
            let due = self.due_now(waiver);
            self.due.push(due);
            self.paid.push(0.0);
        }
    }

    /// This month's installment after the waiver.
    pub fn due_now(&self, waiver: f64) -> f64 {
        let planned = self.plan[self.due.len()];
        planned - self.waiver_now(waiver)
    }

    /// The part of this month's installment that `waiver` can waive.
    fn waiver_now(&self, waiver: f64) -> f64 {
        waiver.clamp(0.0, self.plan[self.due.len()])
    }

    /// Books the month's revenue and equity in and its costs out, drawing on
    /// the credit line for costs beyond cash.
    pub fn book(&mut self, revenue: f64, equity: f64, costs: f64) {
        self.revenue += revenue;
        self.equity += equity;
        self.costs += costs;
        self.month_costs = costs;
        let available = self.cash + revenue + equity;
        if available >= costs {
            self.cash = available - costs;
        } else {
            let draw = (costs - available).min(self.credit_limit - self.credit_drawn);
            self.credit_drawn += draw;
            self.cash = available + draw - costs;
        }
    }

    /// Cash plus undrawn credit.
    pub fn headroom(&self) -> f64 {
        self.cash + self.credit_limit - self.credit_drawn
    }

    /// Whether cash and credit meet this month's installment.
    pub fn can_pay(&self, waiver: f64) -> bool {
        let due = self.due_now(waiver);
        covers(self.headroom(), due, due.max(self.month_costs))
    }

    /// Pays this month's installment from cash, then credit.
    pub fn pay(&mut self, waiver: f64, undelivered: f64) {
        let due = self.due_now(waiver);
        let waiver = self.waiver_now(waiver);
        self.months_closed += 1;
        self.waived += waiver;
        if waiver == 0.0 {
            self.paid_undelivered += undelivered.min(due);
        }
        let draw = (due - self.cash).max(0.0);
        self.credit_drawn += draw;
        self.cash += draw - due;
        self.payments += due;
        self.due.push(due);
        self.paid.push(due);
    }

    /// The buyer defaults on this month's installment: it pays nothing of
    /// it, or with `partial` what cash and credit allow. Returns what it
    /// paid.
    pub fn default_now(&mut self, waiver: f64, partial: bool) -> f64 {
        let due = self.due_now(waiver);
        let paid = if partial { self.headroom().clamp(0.0, due) } else { 0.0 };
        self.months_closed += 1;
        self.default_month = Some(self.months_closed);
        let draw = (paid - self.cash.max(0.0)).max(0.0);
        self.credit_drawn += draw;
        self.cash += draw - paid;
        self.payments += paid;
        self.due.push(due);
        self.paid.push(paid);
        paid
    }

    /// Postpones `months` installments from this month on to the term's
    /// last month. Returns the amount postponed (0 when this is the last
    /// month: there is nowhere to postpone to).
    pub fn defer(&mut self, months: u32) -> f64 {
        let (k, last) = (self.due.len(), self.plan.len() - 1);
        let end = (k + months as usize).min(last);
        let moved: f64 = self.plan[k..end].iter().sum();
        self.plan[k..end].iter_mut().for_each(|p| *p = 0.0);
        self.plan[last] += moved;
        moved
    }

    /// Forgives `haircut` of every installment from this month on. Returns
    /// the amount forgiven.
    pub fn step_down(&mut self, haircut: f64) -> f64 {
        let k = self.due.len();
        let mut total = 0.0;
        for (p, f) in self.plan[k..].iter_mut().zip(&mut self.forgiven[k..]) {
            let cut = *p * haircut;
            *p -= cut;
            *f += cut;
            total += cut;
        }
        total
    }

    /// Payments still due from the default month on (the missed one
    /// included, less what was paid of it), after waivers for capacity
    /// still late; 0 without a default. Months not yet closed count in
    /// full (the term's last months are closed when the term ends).
    pub fn exposure_at_default(&self) -> f64 {
        self.default_month.map_or(0.0, |m| {
            let from = (m - 1) as usize;
            let recorded: f64 = self.due[from..]
                .iter()
                .zip(&self.paid[from..])
                .map(|(d, p)| d - p)
                .sum();
            recorded + self.plan[self.due.len().max(from)..].iter().sum::<f64>()
        })
    }

    /// Installments forgiven by a step-down.
    pub fn forgiven_total(&self) -> f64 {
        self.forgiven.iter().sum()
    }

    /// |funding + equity + revenue + credit drawn − (payments + costs + cash)|.
    pub fn balance_error(&self) -> f64 {
        (self.funding + self.equity + self.revenue + self.credit_drawn - (self.payments + self.costs + self.cash)).abs()
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

    #[test]
    fn a_partial_payment_pays_exactly_what_cash_and_credit_allow() {
        let mut l = Ledger::new(vec![10.0; 4], 14.0, 3.0);
        assert!(!l.close_month(0.0, 0.0, 0.0, 0.0));
        l.book(0.0, 0.0, 0.0);
        assert!(!l.can_pay(0.0));
        let paid = l.default_now(0.0, true);
        // Cash 4 and credit 3: 7 of the 10 due is paid.
        assert_eq!(
            (paid, l.cash, l.credit_drawn, l.default_month),
            (7.0, 0.0, 3.0, Some(2))
        );
        assert_eq!(l.exposure_at_default(), 3.0 + 20.0);
        assert!(l.balance_error() < 1e-12);
    }

    #[test]
    fn a_deferral_moves_installments_to_the_last_month_and_a_step_down_forgives() {
        let mut l = Ledger::new(vec![10.0; 6], 100.0, 0.0);
        l.close_month(0.0, 0.0, 0.0, 0.0);
        assert_eq!(l.defer(2), 20.0);
        assert_eq!(l.due_now(0.0), 0.0);
        for _ in 0..2 {
            l.close_month(0.0, 0.0, 0.0, 0.0);
        }
        assert_eq!(l.due_now(0.0), 10.0);
        assert_eq!(l.step_down(0.5), 5.0 + 5.0 + 15.0);
        for _ in 0..3 {
            l.close_month(0.0, 0.0, 0.0, 0.0);
        }
        assert_eq!(l.paid, [10.0, 0.0, 0.0, 5.0, 5.0, 15.0]);
        assert_eq!(l.forgiven_total(), 25.0);
        assert_eq!(l.payments + l.forgiven_total(), 60.0);
        assert!(l.balance_error() < 1e-12);
        // The last month cannot be deferred.
        let mut last = Ledger::new(vec![10.0], 0.0, 0.0);
        assert_eq!(last.defer(3), 0.0);
    }
}
