//! Reading a CSV file of a results folder whole, for the report and for
//! the readers of single files ([`super::risk_rows`]): cells are found by
//! their header (so columns may be reordered, added or missing), and a
//! cell that is not what its column needs is a [`Garbled`] error naming
//! the file, the line and the column.

use std::path::{Path, PathBuf};

/// A file that exists but cannot be read as expected: not CSV, a missing
/// column, a cell that is not a number.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub(crate) struct Garbled {
    /// The file.
    pub(crate) path: PathBuf,
    /// What is wrong, with the line when known.
    pub(crate) message: String,
}

/// The latest month a results folder may mention: twice the longest term
/// (100 years), since a run's planned finish may lie past the term.
pub(crate) const MAX_MONTHS: f64 = 2400.0;

/// One CSV file, read whole, with its header.
pub(crate) struct CsvTable {
    pub(crate) path: PathBuf,
    pub(crate) headers: Vec<String>,
    pub(crate) rows: Vec<csv::StringRecord>,
}

impl CsvTable {
    /// Reads `dir/file`; `None` if it does not exist.
    pub(crate) fn read(dir: &Path, file: &str) -> Result<Option<CsvTable>, Garbled> {
        let path = dir.join(file);
        if !path.exists() {
            return Ok(None);
        }
        let garbled = |e: csv::Error| Garbled {
            path: path.clone(),
            message: e.to_string(),
        };
        let mut reader = csv::ReaderBuilder::new().from_path(&path).map_err(garbled)?;
        let headers: Vec<String> = reader.headers().map_err(garbled)?.iter().map(String::from).collect();
        if headers.iter().all(|h| h.is_empty()) {
            return Err(Garbled {
                path,
                message: "empty file (no header line)".into(),
            });
        }
        let rows = reader.records().collect::<Result<Vec<_>, _>>().map_err(garbled)?;
        Ok(Some(CsvTable { path, headers, rows }))
    }

    /// The index of the column named `name`, if the file has one.
    pub(crate) fn has(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// The index of the column named `name`, which the file must have.
    pub(crate) fn column(&self, name: &str) -> Result<usize, Garbled> {
        self.has(name).ok_or_else(|| Garbled {
            path: self.path.clone(),
            message: format!("no column `{name}` in the header line"),
        })
    }

    /// The file's line number of `row` (the header is line 1).
    pub(crate) fn line(&self, row: usize) -> u64 {
        self.rows[row].position().map(|p| p.line()).unwrap_or(row as u64 + 2)
    }

    /// A numeric cell; an empty cell is `None`. A month of the term (a
    /// column named `…month`) must lie within [0, `MAX_MONTHS`], so a
    /// damaged file cannot size a chart's axis or buffers.
    pub(crate) fn number(&self, row: usize, col: usize) -> Result<Option<f64>, Garbled> {
        let text = self.rows[row].get(col).unwrap_or("").trim();
        if text.is_empty() {
            return Ok(None);
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() && self.headers[col].ends_with("month") && !(0.0..=MAX_MONTHS).contains(&v) => {
                Err(Garbled {
                    path: self.path.clone(),
                    message: format!(
                        "line {}, column `{}`: `{text}` is not a month of a contract term (0 to {MAX_MONTHS})",
                        self.line(row),
                        self.headers[col]
                    ),
                })
            }
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(Garbled {
                path: self.path.clone(),
                message: format!(
                    "line {}, column `{}`: `{text}` is not a finite number",
                    self.line(row),
                    self.headers[col]
                ),
            }),
        }
    }

    /// A numeric cell that must have a value.
    pub(crate) fn value(&self, row: usize, col: usize) -> Result<f64, Garbled> {
        self.number(row, col)?.ok_or_else(|| Garbled {
            path: self.path.clone(),
            message: format!("line {}, column `{}`: empty", self.line(row), self.headers[col]),
        })
    }

    /// A point id (a non-negative integer).
    pub(crate) fn id(&self, row: usize, col: usize) -> Result<u64, Garbled> {
        let text = self.rows[row].get(col).unwrap_or("").trim();
        text.parse().map_err(|_| Garbled {
            path: self.path.clone(),
            message: format!(
                "line {}, column `{}`: `{text}` is not a point id (a whole number)",
                self.line(row),
                self.headers[col]
            ),
        })
    }
}
