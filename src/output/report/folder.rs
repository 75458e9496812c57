//! Reading a results folder: its CSV files and `manifest.json`, checked
//! and turned into typed rows ([`Folder`]) that the charts and the page read.
//! Only the files are read, so folders written by older versions still
//! report; a missing, unreadable or garbled file is a [`ReportError`] that
//! names it. Files are read whole by [`CsvTable`]; `risk.csv` (in either of
//! its forms) by the output module's one reader of it
//! ([`crate::output::risk_rows`]), and `exposure.csv` by [`exposure`].

mod exposure;

pub(super) use crate::output::csv_table::CsvTable;
pub(super) use crate::output::risk_rows::RiskRow;
pub(super) use exposure::ExposureRow;

use super::ReportError;
use crate::output::risk_rows;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Reads `dir/file`, a file every results folder has.
pub(super) fn required(dir: &Path, file: &str) -> Result<CsvTable, ReportError> {
    CsvTable::read(dir, file)?.ok_or_else(|| ReportError::MissingFile(dir.join(file)))
}

/// A grid point of `points.csv`.
pub(super) struct Point {
    pub(super) id: u64,
    pub(super) scenario: String,
    /// Values of the swept keys, as TOML text, in key order.
    pub(super) values: Vec<String>,
}

/// A row of `summary.csv`.
pub(super) struct SummaryRow {
    point: u64,
    metric: String,
    pub(super) n: f64,
    pub(super) mean: f64,
    pub(super) ci95_low: f64,
    pub(super) ci95_high: f64,
}

/// A row of `timeseries.csv`.
#[derive(Clone, Copy)]
pub(super) struct Band {
    pub(super) month: f64,
    pub(super) mean: f64,
    pub(super) p5: f64,
    pub(super) p25: f64,
    pub(super) p50: f64,
    pub(super) p75: f64,
    pub(super) p95: f64,
}

/// A row of `training_runs.csv` (months of the term).
pub(super) struct RunRow {
    pub(super) point: u64,
    pub(super) replica: f64,
    pub(super) run: f64,
    pub(super) chips: f64,
    pub(super) generation: String,
    pub(super) ready: f64,
    pub(super) start: Option<f64>,
    pub(super) planned: f64,
    pub(super) finish: Option<f64>,
    pub(super) interruptions: f64,
    pub(super) outcome: String,
}

/// The replicas.csv columns the report reads (others are ignored, so a
/// folder with more or fewer columns still reports).
const REPLICA_COLUMNS: [&str; 17] = [
    "replica",
    "utilization",
    "useful_utilization",
    "idle_fraction",
    "idle_cost_usd",
    "delivered_chip_hours",
    "inference_served_fraction",
    "training_runs_planned",
    "training_runs_cancelled",
    "training_runs_infeasible",
    "training_runs_started",
    "training_runs_completed",
    "training_mean_delay_days",
    "default_month",
    "loss_usd",
    "loss_given_default",
    "provider_npv_usd",
];

/// Everything the report reads from a results folder.
pub(super) struct Folder {
    pub(super) dir: PathBuf,
    points_path: PathBuf,
    summary_path: PathBuf,
    pub(super) keys: Vec<String>,
    pub(super) points: Vec<Point>,
    /// `point` of each replicas.csv row.
    pub(super) replica_point: Vec<u64>,
    /// `replica` of each replicas.csv row.
    pub(super) replica_index: Vec<f64>,
    /// The replicas.csv columns of [`REPLICA_COLUMNS`] the folder has.
    pub(super) columns: BTreeMap<String, Vec<Option<f64>>>,
    summary: Vec<SummaryRow>,
    pub(super) series: BTreeMap<(u64, String), Vec<Band>>,
    /// `training_runs.csv`; `None` for folders written before it existed.
    pub(super) runs: Option<Vec<RunRow>>,
    /// `risk.csv`, tidy; `None` for folders without it.
    pub(super) risk: Option<Vec<RiskRow>>,
    /// `exposure.csv`; `None` for folders written before it existed.
    pub(super) exposure: Option<Vec<ExposureRow>>,
    pub(super) manifest: Option<Value>,
}

impl Folder {
    pub(super) fn load(dir: &Path) -> Result<Folder, ReportError> {
        if dir.is_file() {
            return Err(ReportError::NotAFolder(dir.to_path_buf()));
        }
        if !dir.is_dir() {
            return Err(ReportError::NoFolder(dir.to_path_buf()));
        }
        refuse_shards(dir)?;
        let points_t = required(dir, "points.csv")?;
        let replicas_t = required(dir, "replicas.csv")?;
        let summary_t = required(dir, "summary.csv")?;
        let series_t = required(dir, "timeseries.csv")?;

        let (pc, sc) = (points_t.column("point")?, points_t.column("scenario")?);
        let keys: Vec<String> = points_t.headers.iter().skip(sc + 1).cloned().collect();
        let mut points = Vec::new();
        for row in 0..points_t.rows.len() {
            let r = &points_t.rows[row];
            points.push(Point {
                id: points_t.id(row, pc)?,
                scenario: r.get(sc).unwrap_or("").to_string(),
                values: (sc + 1..points_t.headers.len())
                    .map(|c| r.get(c).unwrap_or("").to_string())
                    .collect(),
            });
        }
        if points.is_empty() {
            return Err(ReportError::Garbled {
                path: points_t.path,
                message: "no grid points (only a header line)".into(),
            });
        }

        let rp = replicas_t.column("point")?;
        let mut replica_point = Vec::with_capacity(replicas_t.rows.len());
        for row in 0..replicas_t.rows.len() {
            let id = replicas_t.id(row, rp)?;
            if !points.iter().any(|p| p.id == id) {
                return Err(ReportError::Garbled {
                    path: replicas_t.path.clone(),
                    message: format!("line {}: point {id} is not in points.csv", replicas_t.line(row)),
                });
            }
            replica_point.push(id);
        }
        if replica_point.is_empty() {
            return Err(ReportError::Garbled {
                path: replicas_t.path,
                message: "no replica rows (only a header line)".into(),
            });
        }
        let mut columns = BTreeMap::new();
        for (c, name) in replicas_t.headers.iter().enumerate() {
            if !REPLICA_COLUMNS.contains(&name.as_str()) {
                continue;
            }
            let values = (0..replicas_t.rows.len())
                .map(|row| replicas_t.number(row, c))
                .collect::<Result<Vec<_>, _>>()?;
            columns.insert(name.clone(), values);
        }
        let replica_index = match columns.remove("replica") {
            Some(v) => v.iter().enumerate().map(|(i, r)| r.unwrap_or(i as f64)).collect(),
            None => (0..replica_point.len()).map(|i| i as f64).collect(),
        };

        let s = &summary_t;
        let cols = [
            s.column("point")?,
            s.column("metric")?,
            s.column("n")?,
            s.column("mean")?,
            s.column("ci95_low")?,
            s.column("ci95_high")?,
        ];
        let mut summary = Vec::with_capacity(s.rows.len());
        for row in 0..s.rows.len() {
            summary.push(SummaryRow {
                point: s.id(row, cols[0])?,
                metric: s.rows[row].get(cols[1]).unwrap_or("").to_string(),
                n: s.value(row, cols[2])?,
                mean: s.value(row, cols[3])?,
                ci95_low: s.value(row, cols[4])?,
                ci95_high: s.value(row, cols[5])?,
            });
        }

        let t = &series_t;
        let names = ["month", "mean", "p5", "p25", "p50", "p75", "p95"];
        let (tp, tm) = (t.column("point")?, t.column("metric")?);
        let nc = names.iter().map(|n| t.column(n)).collect::<Result<Vec<_>, _>>()?;
        let mut series: BTreeMap<(u64, String), Vec<Band>> = BTreeMap::new();
        for row in 0..t.rows.len() {
            let v = nc.iter().map(|&c| t.value(row, c)).collect::<Result<Vec<_>, _>>()?;
            let key = (t.id(row, tp)?, t.rows[row].get(tm).unwrap_or("").to_string());
            series.entry(key).or_default().push(Band {
                month: v[0],
                mean: v[1],
                p5: v[2],
                p25: v[3],
                p50: v[4],
                p75: v[5],
                p95: v[6],
            });
        }
        for bands in series.values_mut() {
            bands.sort_by(|a, b| a.month.total_cmp(&b.month));
        }

        let runs = match CsvTable::read(dir, "training_runs.csv")? {
            Some(t) => Some(read_runs(&t)?),
            None => None,
        };

        let risk = risk_rows::read(dir)?;
        let exposure = match CsvTable::read(dir, "exposure.csv")? {
            Some(t) => Some(exposure::read_exposure(&t)?),
            None => None,
        };

        let manifest_path = dir.join("manifest.json");
        let manifest = if manifest_path.exists() {
            let text = fs::read_to_string(&manifest_path).map_err(|e| ReportError::Garbled {
                path: manifest_path.clone(),
                message: e.to_string(),
            })?;
            Some(serde_json::from_str(&text).map_err(|e| ReportError::Garbled {
                path: manifest_path.clone(),
                message: format!("not JSON: {e}"),
            })?)
        } else {
            None
        };

        Ok(Folder {
            dir: dir.to_path_buf(),
            points_path: points_t.path,
            summary_path: summary_t.path,
            keys,
            points,
            replica_point,
            replica_index,
            columns,
            summary,
            series,
            runs,
            risk,
            exposure,
            manifest,
        })
    }

    pub(super) fn choose_point(&self, asked: Option<u64>) -> Result<u64, ReportError> {
        match asked {
            None => Ok(self.points[0].id),
            Some(p) if self.points.iter().any(|q| q.id == p) => Ok(p),
            Some(p) => Err(ReportError::UnknownPoint {
                point: p,
                path: self.points_path.clone(),
                allowed: list(self.points.iter().map(|q| q.id.to_string())),
            }),
        }
    }

    fn metrics(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for r in &self.summary {
            if !seen.contains(&r.metric.as_str()) {
                seen.push(&r.metric);
            }
        }
        seen
    }

    pub(super) fn check_metric(&self, metric: &str) -> Result<(), ReportError> {
        let metrics = self.metrics();
        if metrics.contains(&metric) {
            Ok(())
        } else {
            Err(ReportError::UnknownMetric {
                metric: metric.to_string(),
                path: self.summary_path.clone(),
                allowed: list(metrics.into_iter().map(String::from)),
            })
        }
    }

    pub(super) fn summary_of(&self, point: u64, metric: &str) -> Option<&SummaryRow> {
        self.summary.iter().find(|r| r.point == point && r.metric == metric)
    }

    /// The committed dollars of `point`'s contract, from the manifest (the
    /// point's resolved config, or the contract figures of point 0).
    pub(super) fn committed_usd(&self, point: u64) -> Option<f64> {
        let m = self.manifest.as_ref()?;
        let resolved = m
            .get("points")
            .and_then(Value::as_array)
            .and_then(|ps| {
                ps.iter()
                    .find(|p| p.get("point").and_then(Value::as_u64) == Some(point))
            })
            .and_then(|p| p.pointer("/resolved_config/contract/committed_usd"))
            .and_then(Value::as_f64);
        let point_0 = || {
            (point == 0)
                .then(|| m.pointer("/contract_point_0/committed_usd").and_then(Value::as_f64))
                .flatten()
        };
        resolved.or_else(point_0).filter(|c| c.is_finite() && *c > 0.0)
    }

    /// The rows of `risk.csv` for `point`, if the folder has the file.
    pub(super) fn risk_of(&self, point: u64) -> Option<Vec<&RiskRow>> {
        Some(self.risk.as_ref()?.iter().filter(|r| r.point == point).collect())
    }

    /// The rows of `exposure.csv` for `point` (by month), if the folder has
    /// the file.
    pub(super) fn exposure_of(&self, point: u64) -> Option<Vec<ExposureRow>> {
        Some(
            self.exposure
                .as_ref()?
                .iter()
                .filter(|r| r.point == point)
                .copied()
                .collect(),
        )
    }

    pub(super) fn manifest_str(&self, key: &str) -> Option<String> {
        match self.manifest.as_ref()?.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }
}

/// The rows of `training_runs.csv`.
fn read_runs(t: &CsvTable) -> Result<Vec<RunRow>, ReportError> {
    let names = [
        "point",
        "replica",
        "run",
        "chips",
        "generation",
        "ready_month",
        "start_month",
        "planned_finish_month",
        "finish_month",
        "interruptions",
        "outcome",
    ];
    let c = names.iter().map(|n| t.column(n)).collect::<Result<Vec<_>, _>>()?;
    let text = |row: usize, col: usize| t.rows[row].get(col).unwrap_or("").trim().to_string();
    (0..t.rows.len())
        .map(|row| {
            Ok(RunRow {
                point: t.id(row, c[0])?,
                replica: t.value(row, c[1])?,
                run: t.value(row, c[2])?,
                chips: t.value(row, c[3])?,
                generation: text(row, c[4]),
                ready: t.value(row, c[5])?,
                start: t.number(row, c[6])?,
                planned: t.value(row, c[7])?,
                finish: t.number(row, c[8])?,
                interruptions: t.value(row, c[9])?,
                outcome: text(row, c[10]),
            })
        })
        .collect()
}

fn list(items: impl Iterator<Item = String>) -> String {
    let all: Vec<String> = items.collect();
    if all.len() > 40 {
        format!("{}, … ({} in all)", all[..40].join(", "), all.len())
    } else {
        all.join(", ")
    }
}

/// Refuses a shard folder, or a folder of shard folders (as `slurm-sweep`
/// leaves them), naming the `merge` command that makes a results folder.
fn refuse_shards(dir: &Path) -> Result<(), ReportError> {
    const SHARD_FILE: &str = "shard.json";
    let shards: Vec<PathBuf> = if dir.join(SHARD_FILE).is_file() {
        vec![dir.to_path_buf()]
    } else {
        let mut inside: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
            .unwrap_or_default();
        inside.retain(|d| d.join(SHARD_FILE).is_file());
        inside.sort();
        inside
    };
    let Some(first) = shards.first() else {
        return Ok(());
    };
    // The sweep's name, for the suggested destination.
    let name = std::fs::read_to_string(first.join(SHARD_FILE))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|meta| meta["plan"]["name"].as_str().map(String::from))
        .unwrap_or_else(|| "merged".into());
    let mut listed: Vec<String> = shards.iter().map(|d| d.display().to_string()).collect();
    if shards.len() == 1 {
        listed.push("...".into());
    }
    Err(ReportError::Shards {
        dir: dir.to_path_buf(),
        shards: listed,
        out: format!("results/{name}"),
    })
}
