//! One row of `replicas.csv`.

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
    /// busy / delivered.
    pub utilization: f64,
    /// useful / delivered.
    pub useful_utilization: f64,
    /// idle / delivered.
    pub idle_fraction: f64,
    /// Idle chip-hours × contract price.
    pub idle_cost_usd: f64,
    /// Chip-hours re-marketed by the provider after a default.
    pub remarketed_chip_hours: f64,
    /// Lowest utilization over the whole contract years of the term (empty
    /// for a term shorter than a year).
    pub min_year_utilization: Option<f64>,
    /// Unit failures.
    pub unit_failures: u64,
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
    /// Inference demand, baseline-chip-hours.
    pub inference_demand_chip_hours: f64,
    /// Inference served, baseline-chip-hours.
    pub inference_served_chip_hours: f64,
    /// Inference unserved, baseline-chip-hours.
    pub inference_unserved_chip_hours: f64,
    /// served / demand.
    pub inference_served_fraction: f64,
    /// Month of the commercial failure, if any (empty otherwise).
    pub commercial_failure_month: Option<f64>,
    /// Research jobs arrived.
    pub research_jobs_arrived: u64,
    /// Research jobs completed.
    pub research_jobs_completed: u64,
    /// Research preemptions.
    pub research_preemptions: u64,
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
    /// Contract month (1-based) in which the buyer defaulted; empty if never.
    pub default_month: Option<u32>,
    /// Committed payments outstanding at default, the missed one included (0 without default).
    pub exposure_at_default_usd: f64,
    /// Re-marketed chip-hours × spot price.
    pub recovery_usd: f64,
    /// exposure − recovery.
    pub loss_usd: f64,
}

impl ReplicaRow {
    /// The row as (column, cell text) pairs in column order; an absent value
    /// is an empty cell. Integers keep their exact decimal form.
    pub fn cells(&self) -> Vec<(String, String)> {
        let serde_json::Value::Object(map) = serde_json::to_value(self).expect("a row serializes") else {
            unreachable!("a struct serializes to an object")
        };
        map.into_iter()
            .map(|(k, v)| {
                let cell = match v {
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k, cell)
            })
            .collect()
    }

    /// The value of metric column `name`, if it is one and has a value.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.cells()
            .into_iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse().ok())
    }

    /// Names of the metric columns (all but the identifiers).
    pub fn metric_names() -> Vec<String> {
        let probe = ReplicaRow::default();
        probe
            .cells()
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| !ID_COLUMNS.contains(&k.as_str()))
            .collect()
    }
}

/// Columns of `replicas.csv` that identify a row rather than measure it.
pub const ID_COLUMNS: [&str; 2] = ["replica", "seed"];
