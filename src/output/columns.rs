//! The one typed table of every result file's columns: name and type, in
//! file order. The CSV headers come from it and the Parquet files take
//! their column types from it; `python/mortgage_sim/schema.py` declares the
//! same types for `load()` (the Python tests check a fresh run's CSV
//! headers and Parquet schema against it). The type names are schema.py's.
//!
//! `points` lists only its fixed columns: each swept key's column is typed
//! from its values (see `parquet`).

use ColumnType::*;

/// The type of a column, independent of the data: whole numbers stay whole
/// numbers, and an empty cell is allowed only in an optional (`?`) type
/// (or in a `Float` column, where a non-finite number is written empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// A whole number (signed 64-bit), never empty.
    Int,
    /// A whole number, empty when there is none.
    IntOpt,
    /// A 64-bit seed (unsigned; too large for a signed or a float column).
    Uint64,
    /// A number (64-bit float).
    Float,
    /// A number, empty when there is none.
    FloatOpt,
    /// Text.
    Str,
    /// Text, empty when there is none.
    StrOpt,
    /// `true` or `false`.
    Bool,
}

impl ColumnType {
    /// The name schema.py gives the type.
    pub fn name(self) -> &'static str {
        match self {
            Int => "int",
            IntOpt => "int?",
            Uint64 => "uint64",
            Float => "float",
            FloatOpt => "float?",
            Str => "str",
            StrOpt => "str?",
            Bool => "bool",
        }
    }
}

/// One column: its header and type.
pub type Column = (&'static str, ColumnType);

/// One result table: its name (the file is NAME.csv or NAME.parquet) and
/// columns.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// The file's stem.
    pub name: &'static str,
    /// The columns in file order.
    pub columns: &'static [Column],
}

impl Table {
    /// The column names, for a CSV header.
    pub fn header(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.columns.iter().map(|c| c.0)
    }
}

/// The columns of `points.csv`.
pub const POINTS: Table = Table {
    name: "points",
    columns: &[("point", Int), ("scenario", Str)],
};

/// The columns of `replicas.csv`.
pub const REPLICAS: Table = Table {
    name: "replicas",
    columns: &[
        ("point", Int),
        ("replica", Int),
        ("seed", Uint64),
        ("events", Int),
        ("delivered_chip_hours", Float),
        ("undelivered_chip_hours", Float),
        ("busy_chip_hours", Float),
        ("down_chip_hours", Float),
        ("idle_chip_hours", Float),
        ("training_useful_chip_hours", Float),
        ("training_rework_chip_hours", Float),
        ("training_overhead_chip_hours", Float),
        ("inference_chip_hours", Float),
        ("research_useful_chip_hours", Float),
        ("research_lost_chip_hours", Float),
        ("utilization", Float),
        ("useful_utilization", Float),
        ("idle_fraction", Float),
        ("idle_cost_usd", Float),
        ("paid_undelivered_usd", Float),
        ("unused_commitment_usd", Float),
        ("buyer_delivered_chip_hours", Float),
        ("buyer_idle_chip_hours", Float),
        ("remarketed_chip_hours", Float),
        ("min_year_utilization", FloatOpt),
        ("unit_failures", Int),
        ("unit_failures_in_place", Int),
        ("domain_failures", Int),
        ("domain_units_failed", Int),
        ("maintenance_windows", Int),
        ("maintenance_units", Int),
        ("maintenance_chip_hours", Float),
        ("maintenance_interruptions", Int),
        ("hazard_failures", Int),
        ("lemon_failures", Int),
        ("lemons_removed", Int),
        ("training_runs_planned", Int),
        ("training_runs_cancelled", Int),
        ("training_runs_infeasible", Int),
        ("training_runs_started", Int),
        ("training_runs_completed", Int),
        ("training_interruptions", Int),
        ("training_mean_delay_days", FloatOpt),
        ("training_goodput", Float),
        ("training_ettr", FloatOpt),
        ("inference_demand_chip_hours", Float),
        ("inference_served_chip_hours", Float),
        ("inference_unserved_chip_hours", Float),
        ("inference_served_fraction", Float),
        ("inference_headroom_chip_hours", Float),
        ("commercial_failure_month", FloatOpt),
        ("research_jobs_arrived", Int),
        ("research_jobs_completed", Int),
        ("research_preemptions", Int),
        ("research_jobs_reneged", Int),
        ("research_wait_mean_hours", Float),
        ("research_wait_p50_hours", Float),
        ("research_wait_p99_hours", Float),
        ("payments_usd", Float),
        ("payments_waived_usd", Float),
        ("revenue_usd", Float),
        ("other_costs_usd", Float),
        ("credit_drawn_usd", Float),
        ("ending_cash_usd", Float),
        ("equity_raised_usd", Float),
        ("funding_rounds", Int),
        ("failed_rounds", Int),
        ("cost_cut_month", IntOpt),
        ("restructure_month", IntOpt),
        ("restructure_kind", StrOpt),
        ("haircut_usd", Float),
        ("paid_fraction_at_default", FloatOpt),
        ("default_month", IntOpt),
        ("exposure_at_default_usd", Float),
        ("recovery_usd", Float),
        ("remarketing_recovery_usd", Float),
        ("claim_recovery_usd", Float),
        ("loss_usd", Float),
        ("loss_given_default", FloatOpt),
        ("pv_payments_usd", Float),
        ("pv_exposure_at_default_usd", Float),
        ("pv_recovery_usd", Float),
        ("pv_loss_usd", Float),
        ("pv_idle_cost_usd", Float),
        ("provider_capex_usd", FloatOpt),
        ("provider_opex_usd", FloatOpt),
        ("provider_opex_saved_usd", FloatOpt),
        ("provider_residual_usd", FloatOpt),
        ("provider_npv_usd", FloatOpt),
    ],
};

/// The columns of `summary.csv`.
pub const SUMMARY: Table = Table {
    name: "summary",
    columns: &[
        ("point", Int),
        ("metric", Str),
        ("n", Int),
        ("mean", Float),
        ("stderr", Float),
        ("ci95_low", Float),
        ("ci95_high", Float),
        ("p1", Float),
        ("p5", Float),
        ("p25", Float),
        ("p50", Float),
        ("p75", Float),
        ("p95", Float),
        ("p99", Float),
        ("min", Float),
        ("max", Float),
    ],
};

/// The columns of `timeseries.csv`.
pub const TIMESERIES: Table = Table {
    name: "timeseries",
    columns: &[
        ("point", Int),
        ("month", Float),
        ("metric", Str),
        ("mean", Float),
        ("p5", Float),
        ("p25", Float),
        ("p50", Float),
        ("p75", Float),
        ("p95", Float),
    ],
};

/// The columns of `risk.csv`.
pub const RISK: Table = Table {
    name: "risk",
    columns: &[
        ("point", Int),
        ("figure", Str),
        ("year", IntOpt),
        ("quantile", FloatOpt),
        ("threshold", FloatOpt),
        ("value", Float),
        ("stderr", FloatOpt),
        ("ci95_low", FloatOpt),
        ("ci95_high", FloatOpt),
        ("n", Int),
        ("interval", StrOpt),
        ("reliable", Bool),
        ("estimator", Str),
        ("effective_n", Float),
    ],
};

/// The columns of `exposure.csv`.
pub const EXPOSURE: Table = Table {
    name: "exposure",
    columns: &[
        ("point", Int),
        ("month", Int),
        ("ee_usd", Float),
        ("pfe95_usd", Float),
        ("pfe99_usd", Float),
        ("epe_usd", Float),
        ("marginal_pd", Float),
        ("cumulative_pd", Float),
    ],
};

/// The columns of `training_runs.csv`.
pub const TRAINING_RUNS: Table = Table {
    name: "training_runs",
    columns: &[
        ("point", Int),
        ("replica", Int),
        ("run", Int),
        ("chips", Int),
        ("generation", StrOpt),
        ("ready_month", Float),
        ("start_month", FloatOpt),
        ("planned_finish_month", Float),
        ("finish_month", FloatOpt),
        ("interruptions", Int),
        ("outcome", Str),
        ("ettr", FloatOpt),
    ],
};

/// The columns of `events.csv`.
pub const EVENTS: Table = Table {
    name: "events",
    columns: &[
        ("point", Int),
        ("replica", Int),
        ("month", Float),
        ("kind", Str),
        ("amount_usd", FloatOpt),
        ("detail", StrOpt),
    ],
};

/// Every table, in the order a results folder's files are written.
pub const TABLES: [Table; 8] = [
    POINTS,
    REPLICAS,
    SUMMARY,
    TIMESERIES,
    RISK,
    EXPOSURE,
    TRAINING_RUNS,
    EVENTS,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_lists_the_metric_columns_after_point() {
        let names: Vec<&str> = REPLICAS.header().collect();
        let want: Vec<&str> = std::iter::once("point")
            .chain(crate::metrics::COLUMNS.iter().map(|c| c.name))
            .collect();
        assert_eq!(names, want);
    }

    #[test]
    fn quantile_columns_match_the_levels() {
        let levels =
            |levels: &[f64]| -> Vec<String> { levels.iter().map(|q| format!("p{}", (q * 100.0).round())).collect() };
        let summary: Vec<&str> = SUMMARY.header().skip(7).take(7).collect();
        assert_eq!(summary, levels(&super::super::QUANTILES));
        let bands: Vec<&str> = TIMESERIES.header().skip(4).collect();
        assert_eq!(bands, levels(&super::super::BANDS));
    }
}
