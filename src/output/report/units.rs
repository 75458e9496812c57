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

#[cfg(test)]
mod tests {
    use super::*;

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
