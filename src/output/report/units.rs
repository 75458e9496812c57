//! Numbers for people: the [`Unit`] of a metric, inferred from its column
//! name, and compact formatting ("94.1%", "$12.3B", "1.5M chips") for
//! captions, tables and axis ticks.

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
                Measured::Count | Measured::Id => Unit::Plain,
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

/// Removes trailing zeros after a decimal point ("1.50" → "1.5", "2.0" → "2").
fn trim(s: String) -> String {
    let t = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if t == "-0" { "0".into() } else { t }
}

/// Three significant figures with a k/M/B/T suffix: 1.5M, 12.3B, 940, 0.0023.
pub(super) fn human(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    const SUFFIXES: [(f64, &str); 5] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"), (1.0, "")];
    let a = x.abs();
    let mut k = SUFFIXES.iter().position(|(s, _)| a >= *s).unwrap_or(4);
    loop {
        let (scale, suffix) = SUFFIXES[k];
        let v = x / scale;
        let text = sig3(v);
        // 999.7k rounds to "1000k": move up a suffix.
        if text.trim_start_matches('-').len() >= 4 && !text.contains('.') && k > 0 && v.abs() >= 999.5 {
            k -= 1;
            continue;
        }
        return text + suffix;
    }
}

fn sig3(v: f64) -> String {
    let a = v.abs();
    let decimals = if a == 0.0 || a >= 100.0 {
        0
    } else {
        (2 - a.log10().floor() as i32).clamp(0, 12) as usize
    };
    trim(format!("{v:.decimals$}"))
}

/// A fraction as a percentage with one decimal: 0.941 → "94.1%".
pub(super) fn percent(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", x * 100.0)
    } else {
        "n/a".into()
    }
}

/// Dollars, compact: 12.3e9 → "$12.3B".
pub(super) fn usd(x: f64) -> String {
    if x < 0.0 {
        format!("-${}", human(-x))
    } else {
        format!("${}", human(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_a_person_wrote_them() {
        assert_eq!(human(1.5e6), "1.5M");
        assert_eq!(human(1_000_000.0), "1M");
        assert_eq!(human(999_700.0), "1M");
        assert_eq!(human(940.0), "940");
        assert_eq!(human(0.0023), "0.0023");
        assert_eq!(human(0.0), "0");
        assert_eq!(human(-2.5e3), "-2.5k");
        assert_eq!(usd(12.3e9), "$12.3B");
        assert_eq!(usd(-4.0e6), "-$4M");
        assert_eq!(percent(0.941), "94.1%");
        assert_eq!(Unit::Percent.tick(0.25), "25%");
        assert_eq!(Unit::Chips.format(1.5e6), "1.5M chips");
        assert_eq!(human(f64::NAN), "n/a");
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
