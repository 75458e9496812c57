//! The provider's credit loss of one replica from the buyer's ledger and
//! the months' flows: exposure at default, recovery (re-marketing as it
//! earns and the bankruptcy claim on what it leaves, paid after a delay),
//! the opex the provider no longer spends, and the loss, nominal and in
//! present value. One formula for the full model's rows and for its
//! low-fidelity twin (`model::lowfi`).

use super::provider::opex_by_month;
use super::{MonthFlows, Valuation};
use crate::finance::{Ledger, claim_recovery, discount_factor, present_value};

/// A replica's credit loss and its parts, USD.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CreditLoss {
    /// Payments still due at default, the missed one included (0 without).
    pub exposure_usd: f64,
    /// What the re-marketed capacity earned.
    pub remarketing_usd: f64,
    /// The claim's recovery: a fraction of exposure − re-marketing.
    pub claim_usd: f64,
    /// max(0, exposure − re-marketing − claim − opex saved): the loss on
    /// the default alone (loss given default's numerator).
    pub credit_loss_usd: f64,
    /// What a step-down restructuring forgave.
    pub haircut_usd: f64,
    /// The credit loss plus the haircut.
    pub loss_usd: f64,
    /// Present value of the exposure (payments as they would have fallen due).
    pub pv_exposure_usd: f64,
    /// Present value of the recovery.
    pub pv_recovery_usd: f64,
    /// max(0, PV exposure − PV recovery − PV opex saved) + PV haircut.
    pub pv_loss_usd: f64,
}

impl CreditLoss {
    /// The credit loss of a replica whose buyer's ledger is `ledger` and
    /// whose months' flows are `months` (index 0 = month 1).
    pub fn of(ledger: &Ledger, months: &[MonthFlows], v: Valuation) -> CreditLoss {
        let rate = v.discount_rate_per_year;
        let exposure = ledger.exposure_at_default();
        let remarketing: f64 = months.iter().map(|m| m.remarketing_usd).sum();
        let claim = claim_recovery(exposure, remarketing, v.claim_recovery_fraction);
        let pv_exposure = ledger.default_month.map_or(0.0, |d| {
            let from = d as usize - 1;
            present_value(ledger.due[from..].iter().copied(), d as usize, rate)
        });
        let pv_claim = ledger
            .default_month
            .map_or(0.0, |d| claim * discount_factor(rate, d as f64 + v.claim_delay_months));
        let pv_recovery = present_value(months.iter().map(|m| m.remarketing_usd), 1, rate) + pv_claim;
        // The credit loss is net of the opex the provider no longer spends.
        let saved = v.provider.map(|costs| opex_by_month(ledger, months, costs).1);
        let (saved, pv_saved) = saved.map_or((0.0, 0.0), |s| (s.iter().sum(), present_value(s, 1, rate)));
        let credit_loss = (exposure - (remarketing + claim) - saved).max(0.0);
        let haircut = ledger.forgiven_total();
        let pv_haircut = present_value(ledger.forgiven.iter().copied(), 1, rate);
        CreditLoss {
            exposure_usd: exposure,
            remarketing_usd: remarketing,
            claim_usd: claim,
            credit_loss_usd: credit_loss,
            haircut_usd: haircut,
            loss_usd: credit_loss + haircut,
            pv_exposure_usd: pv_exposure,
            pv_recovery_usd: pv_recovery,
            pv_loss_usd: (pv_exposure - pv_recovery - pv_saved).max(0.0) + pv_haircut,
        }
    }
}
