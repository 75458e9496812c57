//! The one reader of `risk.csv`: its rows, typed ([`RiskRow`]), in
//! either of the file's forms. The report's risk table reads them, and so
//! do a sensitivity study's multi-fidelity estimates
//! (`sensitivity/estimates.rs`); the columns are [`super::columns::RISK`].
//!
//! The tidy form has a column per parameter —
//! `point,figure,year,quantile,threshold,value,stderr,ci95_low,ci95_high,n`,
//! perhaps with more columns after them (`interval`, `reliable`,
//! `estimator`, `effective_n`, …) — and figure names without parameters
//! (`p_default_by_year` with `year` 3). Folders written before it put the
//! parameter in the name (`p_default_by_year_3`, `var95_loss_usd`,
//! `default_month_p50`, `p_year_utilization_below_0.5`). Both are read,
//! columns are found by their header, unknown columns are ignored, and old
//! names are normalised ([`normalise`]) so readers see one form.

use super::csv_table::{CsvTable, Garbled};
use std::path::Path;

/// One figure of `risk.csv`, in the tidy form.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RiskRow {
    pub(crate) point: u64,
    /// The figure's name without its parameter, e.g. `var_loss_usd`.
    pub(crate) figure: String,
    /// Contract year (`p_default_by_year`).
    pub(crate) year: Option<f64>,
    /// Quantile level, e.g. 0.95 (`var_…`, `cvar_…`, `default_month`, …).
    pub(crate) quantile: Option<f64>,
    /// Threshold (`p_year_utilization_below`).
    pub(crate) threshold: Option<f64>,
    pub(crate) value: Option<f64>,
    pub(crate) stderr: Option<f64>,
    pub(crate) ci95: Option<(f64, f64)>,
    pub(crate) n: Option<f64>,
    /// How the interval was computed, when the file says (`interval`).
    pub(crate) interval: Option<String>,
    /// `false` when the file flags the figure as unreliable (`reliable`).
    pub(crate) reliable: Option<bool>,
    /// Which estimator gave the figure (`estimator`: `monte_carlo`,
    /// `multi_fidelity`, …), when the file says.
    pub(crate) estimator: Option<String>,
    /// The estimator's effective number of replicas (`effective_n`), when
    /// the file says.
    pub(crate) effective_n: Option<f64>,
}

/// The rows of `dir`'s `risk.csv`, tidy whichever form the file has;
/// `None` when the folder has no risk.csv (it was written before the
/// default model).
pub(crate) fn read(dir: &Path) -> Result<Option<Vec<RiskRow>>, Garbled> {
    match CsvTable::read(dir, "risk.csv")? {
        Some(t) => Ok(Some(read_rows(&t)?)),
        None => Ok(None),
    }
}

/// A figure name of the older form split into its tidy name and parameter.
#[derive(Debug, Clone, PartialEq)]
struct Normalised {
    figure: String,
    year: Option<f64>,
    quantile: Option<f64>,
    threshold: Option<f64>,
}

/// Splits an older figure name into its tidy name and its parameter:
/// `p_default_by_year_3` → `p_default_by_year`, year 3;
/// `var95_loss_usd`/`cvar99_idle_cost_usd` → `var_loss_usd`/
/// `cvar_idle_cost_usd`, quantile 0.95/0.99; `…_p50` → `…`, quantile 0.5;
/// `p_year_utilization_below_0.5` → `p_year_utilization_below`, threshold
/// 0.5. A name without a parameter (or already tidy) is returned as it is.
fn normalise(name: &str) -> Normalised {
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

/// The rows of the table `t` of risk.csv.
fn read_rows(t: &CsvTable) -> Result<Vec<RiskRow>, Garbled> {
    let (cp, cf, cv) = (t.column("point")?, t.column("figure")?, t.column("value")?);
    let [cy, cq, ct, cs, cl, ch, cn, ci, cr, ce, cen] = [
        "year",
        "quantile",
        "threshold",
        "stderr",
        "ci95_low",
        "ci95_high",
        "n",
        "interval",
        "reliable",
        "estimator",
        "effective_n",
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
                return Err(Garbled {
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
            estimator: text(row, ce),
            effective_n: number(row, cen)?,
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
    fn a_tidy_file_reads_into_typed_rows_by_header() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), None, "no risk.csv, no rows");
        // Columns out of order, an unknown one, an older name in a tidy file.
        std::fs::write(
            dir.path().join("risk.csv"),
            "figure,point,value,year,ci95_low,ci95_high,n,estimator,effective_n,other,reliable
             p_default_by_year,2,0.25,5,0.2,0.3,16,multi_fidelity,41.5,x,true
             var95_loss_usd,0,7,,,,16,monte_carlo,16,,false
",
        )
        .unwrap();
        let rows = read(dir.path()).unwrap().unwrap();
        assert_eq!(
            rows[0],
            RiskRow {
                point: 2,
                figure: "p_default_by_year".into(),
                year: Some(5.0),
                quantile: None,
                threshold: None,
                value: Some(0.25),
                stderr: None,
                ci95: Some((0.2, 0.3)),
                n: Some(16.0),
                interval: None,
                reliable: Some(true),
                estimator: Some("multi_fidelity".into()),
                effective_n: Some(41.5),
            }
        );
        assert_eq!(
            (rows[1].figure.as_str(), rows[1].quantile),
            ("var_loss_usd", Some(0.95))
        );
        assert_eq!((rows[1].ci95, rows[1].reliable), (None, Some(false)));
        std::fs::write(
            dir.path().join("risk.csv"),
            "point,figure,value
zero,cva_usd,1
",
        )
        .unwrap();
        let e = read(dir.path()).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("risk.csv: line 2, column `point`: `zero` is not a point id (a whole number)"),
            "{e}"
        );
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
