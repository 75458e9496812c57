//! The [`Unit`] of a metric (from the column table, or its name) and its
//! compact formatting ("94.1%", "$12.3B", "1.5M chips") for captions,
//! tables and axis ticks.

use crate::output::numbers::{human, percent, trim, usd};

/// The unit of a metric, inferred from its column name (keys carry their
/// unit: `_usd`, `_chip_hours`, `_days`, …).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Unit {
    /// A fraction shown as a percentage.
    Percent,
    /// US dollars.
    Usd,
    /// Chips.
    Chips,
    /// Chip-hours.
    ChipHours,
    /// Days.
    Days,
    /// Hours.
    Hours,
    /// Months.
    Months,
    /// A plain number (counts, ratios).
    Plain,
}

impl Unit {
    /// The unit of metric `name`: from the `replicas.csv` column table
    /// when it is a column there, else (pooled waits, time-series and risk
    /// figures) from its name's suffix.
    pub(super) fn of(name: &str) -> Unit {
        use crate::metrics::Unit as Measured;
        if let Some(column) = crate::metrics::column(name) {
            return match column.unit {
                Measured::Usd => Unit::Usd,
                Measured::Fraction => Unit::Percent,
                Measured::ChipHours | Measured::BaselineChipHours => Unit::ChipHours,
                Measured::Days => Unit::Days,
                Measured::Hours => Unit::Hours,
                Measured::Month => Unit::Months,
                Measured::Count | Measured::Id | Measured::Label => Unit::Plain,
            };
        }
        let n = name;
        if n.ends_with("_usd") {
            Unit::Usd
        } else if n.contains("utilization") || n.ends_with("fraction") || n.starts_with("p_") {
            Unit::Percent
        } else if n.ends_with("_chips") {
            Unit::Chips
        } else if n.ends_with("_hours_pooled") {
            Unit::Hours
        } else if n.ends_with("_months") {
            Unit::Months
        } else {
            Unit::Plain
        }
    }

    /// How an axis names the unit, e.g. "%" or "USD".
    pub(super) fn axis(self) -> &'static str {
        match self {
            Unit::Percent => "%",
            Unit::Usd => "USD",
            Unit::Chips => "chips",
            Unit::ChipHours => "chip-hours",
            Unit::Days => "days",
            Unit::Hours => "hours",
            Unit::Months => "months",
            Unit::Plain => "count",
        }
    }

    /// A value in full, for text: "94.1%", "$12.3B", "1.5M chips".
    pub(super) fn format(self, x: f64) -> String {
        match self {
            Unit::Percent => percent(x),
            Unit::Usd => usd(x),
            Unit::Chips => format!("{} chips", human(x)),
            Unit::ChipHours => format!("{} chip-hours", human(x)),
            Unit::Days => format!("{} days", human(x)),
            Unit::Hours => format!("{} hours", human(x)),
            Unit::Months => format!("month {}", human(x)),
            Unit::Plain => human(x),
        }
    }

    /// A value on an axis tick: "94%", "$12.3B", "1.5M".
    pub(super) fn tick(self, x: f64) -> String {
        match self {
            Unit::Percent => trim(format!("{:.1}", x * 100.0)) + "%",
            Unit::Usd => usd(x),
            _ => human(x),
        }
    }
}

/// Unit suffixes of config keys and column names, and how a title says them.
const SUFFIXES: [(&str, &str); 7] = [
    ("_usd", "USD"),
    ("_chip_hours", "chip-hours"),
    ("_months", "months"),
    ("_hours", "hours"),
    ("_days", "days"),
    ("_years", "years"),
    ("_chips", "chips"),
];

/// A snake_case name in words, and its unit suffix if it has one:
/// `capex_per_chip_usd` → ("capex per chip", Some("USD")).
fn words(name: &str) -> (String, Option<&'static str>) {
    for (suffix, unit) in SUFFIXES {
        if let Some(stem) = name.strip_suffix(suffix).filter(|s| !s.is_empty()) {
            return (stem.replace('_', " "), Some(unit));
        }
    }
    (name.replace('_', " "), None)
}

/// A dotted config key for people, its unit in parentheses:
/// `inference.growth.drift_per_year` → "inference growth: drift per year",
/// `cluster.generations.0.capex_per_chip_usd` → "cluster generations 0:
/// capex per chip (USD)".
pub(super) fn readable_key(key: &str) -> String {
    let parts: Vec<&str> = key.split('.').collect();
    let Some((field, context)) = parts.split_last() else {
        return key.to_string();
    };
    let (w, unit) = words(field);
    let mut out = if context.is_empty() {
        w
    } else {
        format!("{}: {w}", context.join(" ").replace('_', " "))
    };
    if let Some(u) = unit {
        out += &format!(" ({u})");
    }
    out
}

/// The axis title of a metric: its name in words and its unit,
/// `idle_cost_usd` → "idle cost (USD)", `utilization` → "utilization (%)".
pub(super) fn metric_title(metric: &str) -> String {
    format!("{} ({})", words(metric).0, Unit::of(metric).axis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_metrics_read_as_words() {
        assert_eq!(
            readable_key("inference.growth.drift_per_year"),
            "inference growth: drift per year"
        );
        assert_eq!(readable_key("research.chips"), "research: chips");
        assert_eq!(
            readable_key("cluster.generations.0.capex_per_chip_usd"),
            "cluster generations 0: capex per chip (USD)"
        );
        assert_eq!(readable_key("contract.term_years"), "contract: term (years)");
        assert_eq!(metric_title("idle_cost_usd"), "idle cost (USD)");
        assert_eq!(metric_title("utilization"), "utilization (%)");
        assert_eq!(metric_title("training_mean_delay_days"), "training mean delay (days)");
    }

    #[test]
    fn units_format_with_their_names() {
        assert_eq!(Unit::Percent.tick(0.25), "25%");
        assert_eq!(Unit::Chips.format(1.5e6), "1.5M chips");
    }

    #[test]
    fn units_follow_column_names() {
        assert_eq!(Unit::of("idle_cost_usd"), Unit::Usd);
        assert_eq!(Unit::of("utilization"), Unit::Percent);
        assert_eq!(Unit::of("idle_fraction"), Unit::Percent);
        assert_eq!(Unit::of("delivered_chip_hours"), Unit::ChipHours);
        assert_eq!(Unit::of("training_mean_delay_days"), Unit::Days);
        assert_eq!(Unit::of("default_month"), Unit::Months);
        assert_eq!(Unit::of("unit_failures"), Unit::Plain);
    }
}
