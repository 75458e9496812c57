//! Reading `exposure.csv`: the provider's exposure profile per point and
//! contract month (expected exposure, potential future exposure, default
//! probabilities). Columns are found by their header; only `point`,
//! `month` and `ee_usd` are required, so a file with fewer or more columns
//! still reads.

use super::CsvTable;
use crate::output::report::ReportError;

/// A row of `exposure.csv`.
#[derive(Debug, Clone, Copy)]
pub(in crate::output::report) struct ExposureRow {
    pub(in crate::output::report) point: u64,
    /// Contract month (1-based).
    pub(in crate::output::report) month: f64,
    /// Expected exposure.
    pub(in crate::output::report) ee: f64,
    pub(in crate::output::report) pfe95: Option<f64>,
    pub(in crate::output::report) pfe99: Option<f64>,
    /// Expected positive exposure (mean of EE up to the month).
    pub(in crate::output::report) epe: Option<f64>,
    pub(in crate::output::report) marginal_pd: Option<f64>,
    pub(in crate::output::report) cumulative_pd: Option<f64>,
}

/// The rows of `exposure.csv`, sorted by point and month.
pub(super) fn read_exposure(t: &CsvTable) -> Result<Vec<ExposureRow>, ReportError> {
    let (cp, cm, ce) = (t.column("point")?, t.column("month")?, t.column("ee_usd")?);
    let [c95, c99, cepe, cmpd, ccpd] =
        ["pfe95_usd", "pfe99_usd", "epe_usd", "marginal_pd", "cumulative_pd"].map(|name| t.has(name));
    let number = |row: usize, col: Option<usize>| match col {
        Some(c) => t.number(row, c),
        None => Ok(None),
    };
    let mut rows = Vec::with_capacity(t.rows.len());
    for row in 0..t.rows.len() {
        rows.push(ExposureRow {
            point: t.id(row, cp)?,
            month: t.value(row, cm)?,
            ee: t.value(row, ce)?,
            pfe95: number(row, c95)?,
            pfe99: number(row, c99)?,
            epe: number(row, cepe)?,
            marginal_pd: number(row, cmpd)?,
            cumulative_pd: number(row, ccpd)?,
        });
    }
    rows.sort_by(|a, b| a.point.cmp(&b.point).then(a.month.total_cmp(&b.month)));
    Ok(rows)
}
