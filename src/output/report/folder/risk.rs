//! Reading `risk.csv` in either of its forms into tidy [`RiskRow`]s.
//!
//! The tidy form has a column per parameter —
//! `point,figure,year,quantile,threshold,value,stderr,ci95_low,ci95_high,n`,
//! perhaps with more columns after them (`interval`, `reliable`, …) — and
//! figure names without parameters (`p_default_by_year` with `year` 3).
//! Folders written before it put the parameter in the name
//! (`p_default_by_year_3`, `var95_loss_usd`, `default_month_p50`,
//! `p_year_utilization_below_0.5`). Both are read, columns are found by
//! their header, unknown columns are ignored, and old names are normalised
//! ([`normalise`]) so the rest of the report sees one form.

use super::Table;
use crate::output::report::ReportError;

/// One figure of `risk.csv`, in the tidy form.
#[derive(Debug, Clone, PartialEq)]
pub(in crate::output::report) struct RiskRow {
    pub(in crate::output::report) point: u64,
    /// The figure's name without its parameter, e.g. `var_loss_usd`.
    pub(in crate::output::report) figure: String,
    /// Contract year (`p_default_by_year`).
    pub(in crate::output::report) year: Option<f64>,
    /// Quantile level, e.g. 0.95 (`var_…`, `cvar_…`, `default_month`, …).
    pub(in crate::output::report) quantile: Option<f64>,
    /// Threshold (`p_year_utilization_below`).
    pub(in crate::output::report) threshold: Option<f64>,
    pub(in crate::output::report) value: Option<f64>,
    pub(in crate::output::report) stderr: Option<f64>,
    pub(in crate::output::report) ci95: Option<(f64, f64)>,
    pub(in crate::output::report) n: Option<f64>,
    /// How the interval was computed, when the file says (`interval`).
    pub(in crate::output::report) interval: Option<String>,
    /// `false` when the file flags the figure as unreliable (`reliable`).
    pub(in crate::output::report) reliable: Option<bool>,
}

/// A figure name of the older form split into its tidy name and parameter.
#[derive(Debug, Clone, PartialEq)]
pub(in crate::output::report) struct Normalised {
    pub(in crate::output::report) figure: String,
    pub(in crate::output::report) year: Option<f64>,
    pub(in crate::output::report) quantile: Option<f64>,
    pub(in crate::output::report) threshold: Option<f64>,
}

/// Splits an older figure name into its tidy name and its parameter:
/// `p_default_by_year_3` → `p_default_by_year`, year 3;
/// `var95_loss_usd`/`cvar99_idle_cost_usd` → `var_loss_usd`/
/// `cvar_idle_cost_usd`, quantile 0.95/0.99; `…_p50` → `…`, quantile 0.5;
/// `p_year_utilization_below_0.5` → `p_year_utilization_below`, threshold
/// 0.5. A name without a parameter (or already tidy) is returned as it is.
pub(in crate::output::report) fn normalise(name: &str) -> Normalised {
    let plain = |figure: &str| Normalised {
        figure: figure.to_string(),
        year: None,
        quantile: None,
        threshold: None,
    };
    let number = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite());
    if let Some(year) = name.strip_prefix("p_default_by_year_").and_then(number) {
        return Normalised {
            year: Some(year),
            ..plain("p_default_by_year")
        };
    }
    if let Some(t) = name.strip_prefix("p_year_utilization_below_").and_then(number) {
        return Normalised {
            threshold: Some(t),
            ..plain("p_year_utilization_below")
        };
    }
    // var95_loss_usd, cvar99_idle_cost_usd: the level is two digits.
    for prefix in ["cvar", "var"] {
        if let Some(rest) = name.strip_prefix(prefix)
            && let Some((level, figure)) = rest.split_once('_')
            && level.len() == 2
            && level.bytes().all(|b| b.is_ascii_digit())
        {
            let l: u32 = level.parse().expect("two digits");
            return Normalised {
                quantile: Some(f64::from(l) / 100.0),
                ..plain(&format!("{prefix}_{figure}"))
            };
        }
    }
    // default_month_p50, loss_given_default_p5, provider_npv_usd_p95.
    if let Some((figure, level)) = name.rsplit_once("_p")
        && !figure.is_empty()
        && (1..=2).contains(&level.len())
        && level.bytes().all(|b| b.is_ascii_digit())
    {
        let l: u32 = level.parse().expect("digits");
        return Normalised {
            quantile: Some(f64::from(l) / 100.0),
            ..plain(figure)
        };
    }
    plain(name)
}

/// The rows of `risk.csv`, tidy whichever form the file has.
pub(super) fn read_risk(t: &Table) -> Result<Vec<RiskRow>, ReportError> {
    let (cp, cf, cv) = (t.column("point")?, t.column("figure")?, t.column("value")?);
    let [cy, cq, ct, cs, cl, ch, cn, ci, cr] = [
        "year",
        "quantile",
        "threshold",
        "stderr",
        "ci95_low",
        "ci95_high",
        "n",
        "interval",
        "reliable",
    ]
    .map(|name| t.has(name));
    let number = |row: usize, col: Option<usize>| match col {
        Some(c) => t.number(row, c),
        None => Ok(None),
    };
    let text = |row: usize, col: Option<usize>| {
        col.and_then(|c| t.rows[row].get(c))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    let mut out = Vec::with_capacity(t.rows.len());
    for row in 0..t.rows.len() {
        let name = t.rows[row].get(cf).unwrap_or("").trim();
        let (year, quantile, threshold) = (number(row, cy)?, number(row, cq)?, number(row, ct)?);
        // A tidy file names its parameter in a column; only a name with no
        // parameter column filled in can be of the older form.
        let tidy = if year.is_none() && quantile.is_none() && threshold.is_none() {
            normalise(name)
        } else {
            Normalised {
                figure: name.to_string(),
                year,
                quantile,
                threshold,
            }
        };
        let ci95 = match (number(row, cl)?, number(row, ch)?) {
            (Some(lo), Some(hi)) => Some((lo, hi)),
            _ => None,
        };
        let reliable = match text(row, cr).as_deref() {
            None => None,
            Some("true" | "True" | "TRUE" | "1" | "yes") => Some(true),
            Some("false" | "False" | "FALSE" | "0" | "no") => Some(false),
            Some(other) => {
                return Err(ReportError::Garbled {
                    path: t.path.clone(),
                    message: format!(
                        "line {}, column `reliable`: `{other}` is not true or false",
                        t.line(row)
                    ),
                });
            }
        };
        out.push(RiskRow {
            point: t.id(row, cp)?,
            figure: tidy.figure,
            year: tidy.year,
            quantile: tidy.quantile,
            threshold: tidy.threshold,
            value: t.number(row, cv)?,
            stderr: number(row, cs)?,
            ci95,
            n: number(row, cn)?,
            interval: text(row, ci),
            reliable,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(figure: &str, year: Option<f64>, quantile: Option<f64>, threshold: Option<f64>) -> Normalised {
        Normalised {
            figure: figure.into(),
            year,
            quantile,
            threshold,
        }
    }

    #[test]
    fn older_names_split_into_name_and_parameter() {
        assert_eq!(
            normalise("p_default_by_year_3"),
            n("p_default_by_year", Some(3.0), None, None)
        );
        assert_eq!(normalise("var95_loss_usd"), n("var_loss_usd", None, Some(0.95), None));
        assert_eq!(
            normalise("var99_idle_cost_usd"),
            n("var_idle_cost_usd", None, Some(0.99), None)
        );
        assert_eq!(normalise("cvar95_loss_usd"), n("cvar_loss_usd", None, Some(0.95), None));
        assert_eq!(
            normalise("default_month_p5"),
            n("default_month", None, Some(0.05), None)
        );
        assert_eq!(
            normalise("default_month_p50"),
            n("default_month", None, Some(0.5), None)
        );
        assert_eq!(
            normalise("loss_given_default_p95"),
            n("loss_given_default", None, Some(0.95), None)
        );
        assert_eq!(
            normalise("provider_npv_usd_p5"),
            n("provider_npv_usd", None, Some(0.05), None)
        );
        assert_eq!(
            normalise("p_year_utilization_below_0.5"),
            n("p_year_utilization_below", None, None, Some(0.5))
        );
    }

    #[test]
    fn names_without_a_parameter_are_kept() {
        for name in [
            "expected_loss_usd",
            "expected_pv_loss_usd",
            "cva_usd",
            "recovery_rate",
            "mean_loss_given_default",
            "breakeven_default_probability",
            "p_default_by_year",
            "var_loss_usd",
            "default_month",
            // Not a level: three digits, letters, nothing before `_p`.
            "x_p100",
            "var9_loss_usd",
            "_p5",
        ] {
            assert_eq!(normalise(name), n(name, None, None, None), "{name}");
        }
    }
}
