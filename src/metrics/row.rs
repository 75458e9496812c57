//! One row of `replicas.csv` ([`ReplicaRow`], built from a replica's
//! tally) and its columns ([`COLUMNS`]: name, unit, getter), the one table
//! that CSV headers, summaries, `--target-ci` and the report read.

use super::loss::CreditLoss;
use super::provider::ProviderBooks;
use super::{Class, ReplicaTally, RunTally, Valuation, hours, ratio};
use crate::config::raw::RawRestructuringKind;
use crate::engine::Span;
use crate::finance::present_value;
use serde::{Deserialize, Serialize};

/// One row of `replicas.csv`. Field names are the column names; README.md
/// documents each. Chip-hours are of physical chips unless said otherwise.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ReplicaRow {
    /// Replica index within the grid point.
    pub replica: u32,
    /// The replica's seed (derived from master seed, point, replica).
    pub seed: u64,
    /// Events handled.
    pub events: u64,
    /// Delivered chip-hours.
    pub delivered_chip_hours: f64,
    /// Planned but not yet delivered chip-hours.
    pub undelivered_chip_hours: f64,
    /// Busy chip-hours (training + inference + research held).
    pub busy_chip_hours: f64,
    /// Down chip-hours.
    pub down_chip_hours: f64,
    /// Idle chip-hours.
    pub idle_chip_hours: f64,
    /// Training useful chip-hours.
    pub training_useful_chip_hours: f64,
    /// Training rework chip-hours.
    pub training_rework_chip_hours: f64,
    /// Training overhead chip-hours.
    pub training_overhead_chip_hours: f64,
    /// Inference chip-hours.
    pub inference_chip_hours: f64,
    /// Research useful chip-hours.
    pub research_useful_chip_hours: f64,
    /// Research lost chip-hours.
    pub research_lost_chip_hours: f64,
    /// busy / delivered, over the buyer's time (to its default, or the term).
    pub utilization: f64,
    /// useful / delivered, over the buyer's time.
    pub useful_utilization: f64,
    /// idle / delivered, over the buyer's time.
    pub idle_fraction: f64,
    /// Idle chip-hours of the buyer's time × their generation's contract price.
    pub idle_cost_usd: f64,
    /// Payments made for capacity that was late (owed, not waived).
    pub paid_undelivered_usd: f64,
    /// Committed money not turned into work: idle cost + paid for late capacity.
    pub unused_commitment_usd: f64,
    /// Delivered chip-hours over the buyer's time.
    pub buyer_delivered_chip_hours: f64,
    /// Idle chip-hours over the buyer's time.
    pub buyer_idle_chip_hours: f64,
    /// Chip-hours re-marketed by the provider after a default.
    pub remarketed_chip_hours: f64,
    /// Lowest utilization over the whole contract years of the term (empty
    /// for a term shorter than a year).
    pub min_year_utilization: Option<f64>,
    /// Unit failures.
    pub unit_failures: u64,
    /// Unit failures that left their unit up (kinds with `replaces_unit = false`).
    #[serde(default)]
    pub unit_failures_in_place: u64,
    /// Failures of whole domains (`[[cluster.failure_domains]]`).
    #[serde(default)]
    pub domain_failures: u64,
    /// Units that domain failures took down.
    #[serde(default)]
    pub domain_units_failed: u64,
    /// Planned maintenance windows started (`[[cluster.maintenance]]`).
    #[serde(default)]
    pub maintenance_windows: u64,
    /// Units maintenance windows took down.
    #[serde(default)]
    pub maintenance_units: u64,
    /// Chip-hours maintenance windows took down (to the term's end).
    #[serde(default)]
    pub maintenance_chip_hours: f64,
    /// Training runs stopped by maintenance windows (one per run per window).
    #[serde(default)]
    pub maintenance_interruptions: u64,
    /// Unit failures of the hazards over age (`[[cluster.hazards]]`).
    #[serde(default)]
    pub hazard_failures: u64,
    /// Failures of lemon units' own process (`[cluster.lemons]`).
    #[serde(default)]
    pub lemon_failures: u64,
    /// Lemons found out and replaced.
    #[serde(default)]
    pub lemons_removed: u64,
    /// Training runs on the roadmap within the term.
    pub training_runs_planned: u32,
    /// Cancelled runs.
    pub training_runs_cancelled: u32,
    /// Runs larger than any generation could ever hold (never started).
    pub training_runs_infeasible: u32,
    /// Started runs.
    pub training_runs_started: u32,
    /// Completed runs.
    pub training_runs_completed: u32,
    /// Interruptions of training runs.
    pub training_interruptions: u64,
    /// Mean over completed runs of (finish − ready − failure-free duration),
    /// days; empty when no run completed.
    pub training_mean_delay_days: Option<f64>,
    /// Training useful / training held.
    pub training_goodput: f64,
    /// Effective training time ratio over the runs that started: wall time
    /// whose compute they kept / their wall time since first start; empty
    /// when no run started.
    pub training_ettr: Option<f64>,
    /// Inference demand, baseline-chip-hours.
    pub inference_demand_chip_hours: f64,
    /// Inference served, baseline-chip-hours.
    pub inference_served_chip_hours: f64,
    /// Inference unserved, baseline-chip-hours.
    pub inference_unserved_chip_hours: f64,
    /// served / demand.
    pub inference_served_fraction: f64,
    /// Capacity inference held beyond what it served, baseline-chip-hours:
    /// its headroom.
    pub inference_headroom_chip_hours: f64,
    /// Month of the commercial failure, if any (empty otherwise).
    pub commercial_failure_month: Option<f64>,
    /// Research jobs arrived.
    pub research_jobs_arrived: u64,
    /// Research jobs completed.
    pub research_jobs_completed: u64,
    /// Research preemptions.
    pub research_preemptions: u64,
    /// Research jobs that gave up waiting before they started.
    pub research_jobs_reneged: u64,
    /// Mean research wait, hours.
    pub research_wait_mean_hours: f64,
    /// Median research wait, hours.
    pub research_wait_p50_hours: f64,
    /// 99th percentile research wait, hours.
    pub research_wait_p99_hours: f64,
    /// Payments the buyer made.
    pub payments_usd: f64,
    /// Payments waived for late capacity.
    pub payments_waived_usd: f64,
    /// The buyer's revenue from served inference.
    pub revenue_usd: f64,
    /// The buyer's other costs.
    pub other_costs_usd: f64,
    /// Credit drawn.
    pub credit_drawn_usd: f64,
    /// The buyer's cash at the end (or at default).
    pub ending_cash_usd: f64,
    /// Equity raised in rounds during the term.
    pub equity_raised_usd: f64,
    /// Successful funding rounds.
    pub funding_rounds: u32,
    /// Failed funding rounds.
    pub failed_rounds: u32,
    /// Month the cost cut was decided; empty if none.
    pub cost_cut_month: Option<u32>,
    /// Month of the agreed restructuring; empty if none.
    pub restructure_month: Option<u32>,
    /// `deferral` or `step_down`; empty if none.
    pub restructure_kind: Option<RawRestructuringKind>,
    /// Installments forgiven by a step-down (part of the provider's loss).
    pub haircut_usd: f64,
    /// Share of the defaulted installment paid (partial payments); empty
    /// otherwise.
    pub paid_fraction_at_default: Option<f64>,
    /// Contract month (1-based) in which the buyer defaulted; empty if never.
    pub default_month: Option<u32>,
    /// Committed payments outstanding at default, the missed one included (0 without default).
    pub exposure_at_default_usd: f64,
    /// Re-marketing + claim recovery.
    pub recovery_usd: f64,
    /// What the re-marketed capacity earned (at the market's or spot price).
    pub remarketing_recovery_usd: f64,
    /// The bankruptcy claim's recovery: a fraction of exposure − re-marketing.
    pub claim_recovery_usd: f64,
    /// max(0, exposure − recovery − opex saved) + haircut: the credit
    /// loss is never negative, and a step-down's haircut is a loss too.
    pub loss_usd: f64,
    /// Credit loss / exposure at default (the haircut not included);
    /// empty without a default.
    pub loss_given_default: Option<f64>,
    /// Present value at the start of the term of the payments made.
    pub pv_payments_usd: f64,
    /// Present value of the exposure at default (payments as they would
    /// have fallen due).
    pub pv_exposure_at_default_usd: f64,
    /// Present value of the recovery (re-marketing as it earns).
    pub pv_recovery_usd: f64,
    /// max(0, PV exposure − PV recovery).
    pub pv_loss_usd: f64,
    /// Present value of the idle cost (each month's idle capacity).
    pub pv_idle_cost_usd: f64,
    /// The provider's capex on the chips delivered (empty without
    /// `[provider]` economics).
    pub provider_capex_usd: Option<f64>,
    /// The provider's opex on delivered chip-hours (after a default, on
    /// re-marketed ones).
    pub provider_opex_usd: Option<f64>,
    /// Opex saved after a default on capacity powered down (it offsets
    /// the credit loss).
    pub provider_opex_saved_usd: Option<f64>,
    /// Book value at the term's end of the chips then in service.
    pub provider_residual_usd: Option<f64>,
    /// The provider's NPV of the deal at its cost of capital.
    pub provider_npv_usd: Option<f64>,
}

/// What a `replicas.csv` column measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Identifies the row (replica index, seed); not a measurement.
    Id,
    /// A count of things (events, runs, jobs).
    Count,
    /// Physical chip-hours.
    ChipHours,
    /// Chip-hours in baseline-chip equivalents (inference demand).
    BaselineChipHours,
    /// A fraction from 0 to 1.
    Fraction,
    /// US dollars.
    Usd,
    /// A month of the term (1-based for contract months).
    Month,
    /// Days.
    Days,
    /// Hours.
    Hours,
    /// A name from a fixed set (e.g. `deferral`); not a measurement.
    Label,
}

/// One cell of a result row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    /// A whole number, written exactly.
    Int(u64),
    /// A number; written in the shortest form that reads back exactly.
    Num(f64),
    /// A name from a fixed set.
    Text(&'static str),
    /// No value (an empty cell).
    Empty,
}

impl Cell {
    /// An optional number.
    pub fn opt(x: Option<f64>) -> Cell {
        x.map_or(Cell::Empty, Cell::Num)
    }

    /// An optional whole number.
    pub fn opt_int(x: Option<u32>) -> Cell {
        x.map_or(Cell::Empty, |n| Cell::Int(n.into()))
    }

    /// An optional name.
    pub fn opt_text(x: Option<&'static str>) -> Cell {
        x.map_or(Cell::Empty, Cell::Text)
    }

    /// The value as a number, if it has one (a non-finite number has none).
    pub fn value(self) -> Option<f64> {
        match self {
            Cell::Int(n) => Some(n as f64),
            Cell::Num(x) if x.is_finite() => Some(x),
            _ => None,
        }
    }

    /// The cell's text: integers in decimal, numbers by the shortest
    /// round-trip representation (`0.1`, `6.14e10` as `61400000000.0`),
    /// no value (or a non-finite number) as an empty cell.
    pub fn text(self, buf: &mut ryu::Buffer) -> std::borrow::Cow<'_, str> {
        match self {
            Cell::Int(n) => n.to_string().into(),
            Cell::Num(x) if x.is_finite() => buf.format_finite(x).into(),
            Cell::Text(t) => t.into(),
            _ => "".into(),
        }
    }
}

/// One column of `replicas.csv`.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The header.
    pub name: &'static str,
    /// What it measures.
    pub unit: Unit,
    /// Its value in a row.
    pub get: fn(&ReplicaRow) -> Cell,
}

impl Column {
    /// Whether the column measures something (not an identifier or a
    /// name).
    pub fn is_metric(&self) -> bool {
        !matches!(self.unit, Unit::Id | Unit::Label)
    }
}

const fn col(name: &'static str, unit: Unit, get: fn(&ReplicaRow) -> Cell) -> Column {
    Column { name, unit, get }
}

/// The column called `name`, if there is one.
pub fn column(name: &str) -> Option<&'static Column> {
    COLUMNS.iter().find(|c| c.name == name)
}

/// The columns of `replicas.csv`, in order: name, unit and how to read it
/// from a row. The one list behind the CSV header, `summary.csv`,
/// `--target-ci` and the report's axes (a test checks it against the
/// struct's fields).
pub const COLUMNS: [Column; 88] = [
    col("replica", Unit::Id, |r| Cell::Int(r.replica.into())),
    col("seed", Unit::Id, |r| Cell::Int(r.seed)),
    col("events", Unit::Count, |r| Cell::Int(r.events)),
    col("delivered_chip_hours", Unit::ChipHours, |r| {
        Cell::Num(r.delivered_chip_hours)
    }),
    col("undelivered_chip_hours", Unit::ChipHours, |r| {
        Cell::Num(r.undelivered_chip_hours)
    }),
    col("busy_chip_hours", Unit::ChipHours, |r| Cell::Num(r.busy_chip_hours)),
    col("down_chip_hours", Unit::ChipHours, |r| Cell::Num(r.down_chip_hours)),
    col("idle_chip_hours", Unit::ChipHours, |r| Cell::Num(r.idle_chip_hours)),
    col("training_useful_chip_hours", Unit::ChipHours, |r| {
        Cell::Num(r.training_useful_chip_hours)
    }),
    col("training_rework_chip_hours", Unit::ChipHours, |r| {
        Cell::Num(r.training_rework_chip_hours)
    }),
    col("training_overhead_chip_hours", Unit::ChipHours, |r| {
        Cell::Num(r.training_overhead_chip_hours)
    }),
    col("inference_chip_hours", Unit::ChipHours, |r| {
        Cell::Num(r.inference_chip_hours)
    }),
    col("research_useful_chip_hours", Unit::ChipHours, |r| {
        Cell::Num(r.research_useful_chip_hours)
    }),
    col("research_lost_chip_hours", Unit::ChipHours, |r| {
        Cell::Num(r.research_lost_chip_hours)
    }),
    col("utilization", Unit::Fraction, |r| Cell::Num(r.utilization)),
    col("useful_utilization", Unit::Fraction, |r| {
        Cell::Num(r.useful_utilization)
    }),
    col("idle_fraction", Unit::Fraction, |r| Cell::Num(r.idle_fraction)),
    col("idle_cost_usd", Unit::Usd, |r| Cell::Num(r.idle_cost_usd)),
    col("paid_undelivered_usd", Unit::Usd, |r| Cell::Num(r.paid_undelivered_usd)),
    col("unused_commitment_usd", Unit::Usd, |r| {
        Cell::Num(r.unused_commitment_usd)
    }),
    col("buyer_delivered_chip_hours", Unit::ChipHours, |r| {
        Cell::Num(r.buyer_delivered_chip_hours)
    }),
    col("buyer_idle_chip_hours", Unit::ChipHours, |r| {
        Cell::Num(r.buyer_idle_chip_hours)
    }),
    col("remarketed_chip_hours", Unit::ChipHours, |r| {
        Cell::Num(r.remarketed_chip_hours)
    }),
    col("min_year_utilization", Unit::Fraction, |r| {
        Cell::opt(r.min_year_utilization)
    }),
    col("unit_failures", Unit::Count, |r| Cell::Int(r.unit_failures)),
    col("unit_failures_in_place", Unit::Count, |r| {
        Cell::Int(r.unit_failures_in_place)
    }),
    col("domain_failures", Unit::Count, |r| Cell::Int(r.domain_failures)),
    col("domain_units_failed", Unit::Count, |r| Cell::Int(r.domain_units_failed)),
    col("maintenance_windows", Unit::Count, |r| Cell::Int(r.maintenance_windows)),
    col("maintenance_units", Unit::Count, |r| Cell::Int(r.maintenance_units)),
    col("maintenance_chip_hours", Unit::ChipHours, |r| {
        Cell::Num(r.maintenance_chip_hours)
    }),
    col("maintenance_interruptions", Unit::Count, |r| {
        Cell::Int(r.maintenance_interruptions)
    }),
    col("hazard_failures", Unit::Count, |r| Cell::Int(r.hazard_failures)),
    col("lemon_failures", Unit::Count, |r| Cell::Int(r.lemon_failures)),
    col("lemons_removed", Unit::Count, |r| Cell::Int(r.lemons_removed)),
    col("training_runs_planned", Unit::Count, |r| {
        Cell::Int(r.training_runs_planned.into())
    }),
    col("training_runs_cancelled", Unit::Count, |r| {
        Cell::Int(r.training_runs_cancelled.into())
    }),
    col("training_runs_infeasible", Unit::Count, |r| {
        Cell::Int(r.training_runs_infeasible.into())
    }),
    col("training_runs_started", Unit::Count, |r| {
        Cell::Int(r.training_runs_started.into())
    }),
    col("training_runs_completed", Unit::Count, |r| {
        Cell::Int(r.training_runs_completed.into())
    }),
    col("training_interruptions", Unit::Count, |r| {
        Cell::Int(r.training_interruptions)
    }),
    col("training_mean_delay_days", Unit::Days, |r| {
        Cell::opt(r.training_mean_delay_days)
    }),
    col("training_goodput", Unit::Fraction, |r| Cell::Num(r.training_goodput)),
    col("training_ettr", Unit::Fraction, |r| Cell::opt(r.training_ettr)),
    col("inference_demand_chip_hours", Unit::BaselineChipHours, |r| {
        Cell::Num(r.inference_demand_chip_hours)
    }),
    col("inference_served_chip_hours", Unit::BaselineChipHours, |r| {
        Cell::Num(r.inference_served_chip_hours)
    }),
    col("inference_unserved_chip_hours", Unit::BaselineChipHours, |r| {
        Cell::Num(r.inference_unserved_chip_hours)
    }),
    col("inference_served_fraction", Unit::Fraction, |r| {
        Cell::Num(r.inference_served_fraction)
    }),
    col("inference_headroom_chip_hours", Unit::BaselineChipHours, |r| {
        Cell::Num(r.inference_headroom_chip_hours)
    }),
    col("commercial_failure_month", Unit::Month, |r| {
        Cell::opt(r.commercial_failure_month)
    }),
    col("research_jobs_arrived", Unit::Count, |r| {
        Cell::Int(r.research_jobs_arrived)
    }),
    col("research_jobs_completed", Unit::Count, |r| {
        Cell::Int(r.research_jobs_completed)
    }),
    col("research_preemptions", Unit::Count, |r| {
        Cell::Int(r.research_preemptions)
    }),
    col("research_jobs_reneged", Unit::Count, |r| {
        Cell::Int(r.research_jobs_reneged)
    }),
    col("research_wait_mean_hours", Unit::Hours, |r| {
        Cell::Num(r.research_wait_mean_hours)
    }),
    col("research_wait_p50_hours", Unit::Hours, |r| {
        Cell::Num(r.research_wait_p50_hours)
    }),
    col("research_wait_p99_hours", Unit::Hours, |r| {
        Cell::Num(r.research_wait_p99_hours)
    }),
    col("payments_usd", Unit::Usd, |r| Cell::Num(r.payments_usd)),
    col("payments_waived_usd", Unit::Usd, |r| Cell::Num(r.payments_waived_usd)),
    col("revenue_usd", Unit::Usd, |r| Cell::Num(r.revenue_usd)),
    col("other_costs_usd", Unit::Usd, |r| Cell::Num(r.other_costs_usd)),
    col("credit_drawn_usd", Unit::Usd, |r| Cell::Num(r.credit_drawn_usd)),
    col("ending_cash_usd", Unit::Usd, |r| Cell::Num(r.ending_cash_usd)),
    col("equity_raised_usd", Unit::Usd, |r| Cell::Num(r.equity_raised_usd)),
    col("funding_rounds", Unit::Count, |r| Cell::Int(r.funding_rounds.into())),
    col("failed_rounds", Unit::Count, |r| Cell::Int(r.failed_rounds.into())),
    col("cost_cut_month", Unit::Month, |r| Cell::opt_int(r.cost_cut_month)),
    col("restructure_month", Unit::Month, |r| Cell::opt_int(r.restructure_month)),
    col("restructure_kind", Unit::Label, |r| {
        Cell::opt_text(r.restructure_kind.map(RawRestructuringKind::as_str))
    }),
    col("haircut_usd", Unit::Usd, |r| Cell::Num(r.haircut_usd)),
    col("paid_fraction_at_default", Unit::Fraction, |r| {
        Cell::opt(r.paid_fraction_at_default)
    }),
    col("default_month", Unit::Month, |r| Cell::opt_int(r.default_month)),
    col("exposure_at_default_usd", Unit::Usd, |r| {
        Cell::Num(r.exposure_at_default_usd)
    }),
    col("recovery_usd", Unit::Usd, |r| Cell::Num(r.recovery_usd)),
    col("remarketing_recovery_usd", Unit::Usd, |r| {
        Cell::Num(r.remarketing_recovery_usd)
    }),
    col("claim_recovery_usd", Unit::Usd, |r| Cell::Num(r.claim_recovery_usd)),
    col("loss_usd", Unit::Usd, |r| Cell::Num(r.loss_usd)),
    col("loss_given_default", Unit::Fraction, |r| {
        Cell::opt(r.loss_given_default)
    }),
    col("pv_payments_usd", Unit::Usd, |r| Cell::Num(r.pv_payments_usd)),
    col("pv_exposure_at_default_usd", Unit::Usd, |r| {
        Cell::Num(r.pv_exposure_at_default_usd)
    }),
    col("pv_recovery_usd", Unit::Usd, |r| Cell::Num(r.pv_recovery_usd)),
    col("pv_loss_usd", Unit::Usd, |r| Cell::Num(r.pv_loss_usd)),
    col("pv_idle_cost_usd", Unit::Usd, |r| Cell::Num(r.pv_idle_cost_usd)),
    col("provider_capex_usd", Unit::Usd, |r| Cell::opt(r.provider_capex_usd)),
    col("provider_opex_usd", Unit::Usd, |r| Cell::opt(r.provider_opex_usd)),
    col("provider_opex_saved_usd", Unit::Usd, |r| {
        Cell::opt(r.provider_opex_saved_usd)
    }),
    col("provider_residual_usd", Unit::Usd, |r| {
        Cell::opt(r.provider_residual_usd)
    }),
    col("provider_npv_usd", Unit::Usd, |r| Cell::opt(r.provider_npv_usd)),
];

impl ReplicaRow {
    /// The row of a replica's tally: chip-seconds to chip-hours, seconds
    /// to months, days and hours, chip-hours to dollars at `prices`.
    pub fn from_tally(t: &ReplicaTally, valuation: Valuation) -> ReplicaRow {
        let cs = &t.chip_seconds;
        // Utilization and idle cost count the buyer's time only.
        let b = &t.buyer.totals;
        let h = hours;
        let delivered = h(cs.delivered);
        let buyer_delivered = h(b.delivered);
        let completed: Vec<&RunTally> = t.runs.iter().filter(|r| r.finished.is_some()).collect();
        let v = valuation;
        let credit = CreditLoss::of(&t.ledger, &t.months, v);
        let provider = v
            .provider
            .map(|costs| ProviderBooks::of(t, costs, credit.claim_usd, v.claim_delay_months));
        let rate = v.discount_rate_per_year;
        let mean_delay_days = (!completed.is_empty()).then(|| {
            completed
                .iter()
                .map(|r| (r.finished.unwrap_or(r.ready) - r.ready).secs() as f64 - r.compute_done.secs() as f64)
                .sum::<f64>()
                / Span::DAY.secs() as f64
                / completed.len() as f64
        });
        let per_hour = |seconds: f64| seconds / Span::HOUR.secs() as f64;
        let (demand, served) = (per_hour(t.demand_chip_seconds), per_hour(t.served_chip_seconds));
        let w = &t.waits.research;
        let wait_hours = |q: f64| {
            if w.is_empty() {
                0.0
            } else {
                per_hour(w.value_at_quantile(q) as f64)
            }
        };
        let c = &t.counts;
        let l = &t.ledger;
        ReplicaRow {
            replica: t.replica,
            seed: t.seed,
            events: t.events,
            delivered_chip_hours: delivered,
            undelivered_chip_hours: h(cs.undelivered),
            busy_chip_hours: h(cs.busy()),
            down_chip_hours: h(cs[Class::Down]),
            idle_chip_hours: h(cs[Class::Idle]),
            training_useful_chip_hours: h(cs.training_useful),
            training_rework_chip_hours: h(cs.training_rework),
            training_overhead_chip_hours: h(cs.training_overhead),
            inference_chip_hours: h(cs[Class::Inference]),
            research_useful_chip_hours: h(cs.research_useful),
            research_lost_chip_hours: h(cs.research_lost),
            utilization: ratio(h(b.busy()), buyer_delivered),
            useful_utilization: ratio(h(b.useful()), buyer_delivered),
            idle_fraction: ratio(h(b[Class::Idle]), buyer_delivered),
            idle_cost_usd: t.buyer.idle_usd,
            paid_undelivered_usd: t.ledger.paid_undelivered,
            unused_commitment_usd: t.buyer.idle_usd + t.ledger.paid_undelivered,
            buyer_delivered_chip_hours: buyer_delivered,
            buyer_idle_chip_hours: h(b[Class::Idle]),
            remarketed_chip_hours: h(cs[Class::Remarketed]),
            min_year_utilization: t.min_year_utilization,
            unit_failures: c.unit_failures,
            unit_failures_in_place: c.unit_failures_in_place,
            domain_failures: c.domain_failures,
            domain_units_failed: c.domain_units_failed,
            maintenance_windows: c.maintenance_windows,
            maintenance_units: c.maintenance_units,
            maintenance_chip_hours: c.maintenance_chip_seconds as f64 / Span::HOUR.secs() as f64,
            maintenance_interruptions: c.maintenance_interruptions,
            hazard_failures: c.hazard_failures,
            lemon_failures: c.lemon_failures,
            lemons_removed: c.lemons_removed,
            training_runs_planned: t.runs.len() as u32,
            training_runs_cancelled: c.training_cancelled,
            training_runs_infeasible: c.training_infeasible,
            training_runs_started: t.runs.iter().filter(|r| r.started.is_some()).count() as u32,
            training_runs_completed: completed.len() as u32,
            training_interruptions: c.training_interruptions,
            training_mean_delay_days: mean_delay_days,
            training_goodput: ratio(cs.training_useful as f64, cs[Class::Training] as f64),
            training_ettr: {
                let started = t.runs.iter().filter_map(|r| Some((r.useful, r.wall?)));
                let (useful, wall) = started.fold((0u64, 0u64), |(u, w), (du, dw)| (u + du.secs(), w + dw.secs()));
                t.runs
                    .iter()
                    .any(|r| r.wall.is_some())
                    .then(|| if wall == 0 { 1.0 } else { useful as f64 / wall as f64 })
            },
            inference_demand_chip_hours: demand,
            inference_served_chip_hours: served,
            inference_unserved_chip_hours: (demand - served).max(0.0),
            inference_served_fraction: if demand > 0.0 { served / demand } else { 1.0 },
            inference_headroom_chip_hours: (per_hour(t.inference_capacity_chip_seconds) - served).max(0.0),
            commercial_failure_month: t.commercial_failure.map(|f| f.in_units(Span::MONTH)),
            research_jobs_arrived: c.research_arrived,
            research_jobs_completed: c.research_completed,
            research_preemptions: c.research_preemptions,
            research_jobs_reneged: c.research_reneged,
            research_wait_mean_hours: if w.is_empty() { 0.0 } else { per_hour(w.mean()) },
            research_wait_p50_hours: wait_hours(0.5),
            research_wait_p99_hours: wait_hours(0.99),
            payments_usd: l.payments,
            payments_waived_usd: l.waived,
            revenue_usd: l.revenue,
            other_costs_usd: l.costs,
            credit_drawn_usd: l.credit_drawn,
            ending_cash_usd: l.cash,
            equity_raised_usd: l.equity,
            funding_rounds: t.buyer_record.funding_rounds,
            failed_rounds: t.buyer_record.failed_rounds,
            cost_cut_month: t.buyer_record.cost_cut_month,
            restructure_month: t.buyer_record.restructure_month,
            restructure_kind: t.buyer_record.restructure_kind,
            haircut_usd: credit.haircut_usd,
            paid_fraction_at_default: t.buyer_record.paid_fraction_at_default,
            default_month: l.default_month,
            exposure_at_default_usd: credit.exposure_usd,
            recovery_usd: credit.remarketing_usd + credit.claim_usd,
            remarketing_recovery_usd: credit.remarketing_usd,
            claim_recovery_usd: credit.claim_usd,
            loss_usd: credit.loss_usd,
            loss_given_default: (credit.exposure_usd > 0.0).then(|| credit.credit_loss_usd / credit.exposure_usd),
            pv_payments_usd: present_value(t.ledger.paid.iter().copied(), 1, rate),
            pv_exposure_at_default_usd: credit.pv_exposure_usd,
            pv_recovery_usd: credit.pv_recovery_usd,
            pv_loss_usd: credit.pv_loss_usd,
            pv_idle_cost_usd: present_value(t.months.iter().map(|m| m.idle_usd), 1, rate),
            provider_capex_usd: provider.map(|p| p.capex_usd),
            provider_opex_usd: provider.map(|p| p.opex_usd),
            provider_opex_saved_usd: provider.map(|p| p.opex_saved_usd),
            provider_residual_usd: provider.map(|p| p.residual_usd),
            provider_npv_usd: provider.map(|p| p.npv_usd),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field set to a different value, so a getter that reads the
    /// wrong field shows.
    fn distinct_row() -> ReplicaRow {
        let serde_json::Value::Object(mut map) = serde_json::to_value(ReplicaRow::default()).unwrap() else {
            unreachable!()
        };
        for (i, (_, v)) in map.iter_mut().enumerate() {
            *v = serde_json::json!(i as u32 + 1);
        }
        // Names take one of their values.
        map.insert("restructure_kind".into(), serde_json::json!("step_down"));
        serde_json::from_value(serde_json::Value::Object(map)).unwrap()
    }

    #[test]
    fn the_column_table_matches_the_row_field_by_field() {
        let row = distinct_row();
        let serde_json::Value::Object(map) = serde_json::to_value(&row).unwrap() else {
            unreachable!()
        };
        let names: Vec<&str> = map.keys().map(String::as_str).collect();
        let table: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
        assert_eq!(table, names, "COLUMNS must list the row's fields in order");
        let mut buf = ryu::Buffer::new();
        for (c, (name, json)) in COLUMNS.iter().zip(&map) {
            let want = json.as_str().map_or_else(|| json.to_string(), String::from);
            assert_eq!((c.get)(&row).text(&mut buf), want, "column {name}");
        }
    }

    #[test]
    fn cells_are_written_as_notebooks_read_them() {
        let mut buf = ryu::Buffer::new();
        assert_eq!(Cell::Num(0.1).text(&mut buf), "0.1");
        assert_eq!(Cell::Num(6.14e10).text(&mut buf), "61400000000.0");
        assert_eq!(Cell::Num(f64::NAN).text(&mut buf), "");
        assert_eq!(Cell::Int(u64::MAX).text(&mut buf), "18446744073709551615");
        assert_eq!(Cell::opt(None).text(&mut buf), "");
        assert_eq!(Cell::Num(f64::INFINITY).value(), None);
    }
}
