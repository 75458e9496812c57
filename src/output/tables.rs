//! The CSV files of a results folder, written point by point through the
//! `csv` crate (which quotes a cell only when it must): `points.csv`,
//! `replicas.csv` (the columns of `metrics::COLUMNS`), `summary.csv`,
//! `timeseries.csv`, `risk.csv`, `exposure.csv`, `training_runs.csv` and
//! `events.csv`. Each point's rows
//! are written as the point is added, so a writer holds one point at a time.

use super::columns::{self, EVENTS, EXPOSURE, POINTS, REPLICAS, RISK, SUMMARY, TIMESERIES, TRAINING_RUNS};
use super::{BANDS, OutputError, PointResults, QUANTILES};
use crate::engine::Span;
use crate::folder::io_error;
use crate::metrics::risk::Param;
use crate::metrics::{COLUMNS, STEP_METRICS, exposure};
use crate::montecarlo;
use crate::stats::Summary;
use hdrhistogram::Histogram;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// One CSV file being written.
struct Table {
    path: PathBuf,
    csv: csv::Writer<BufWriter<File>>,
}

impl Table {
    fn create(dir: &Path, table: columns::Table) -> Result<Table, OutputError> {
        let path = dir.join(format!("{}.csv", table.name));
        let file = File::create(&path).map_err(io_error(&path))?;
        Ok(Table {
            csv: csv::Writer::from_writer(BufWriter::new(file)),
            path,
        })
    }

    fn row<I, T>(&mut self, cells: I) -> Result<(), OutputError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.csv.write_record(cells).map_err(|e| io_error(&self.path)(e.into()))
    }

    fn finish(mut self) -> Result<(), OutputError> {
        self.csv.flush().map_err(io_error(&self.path))
    }
}

/// The eight CSV files of a results folder, open for writing.
pub(super) struct Tables {
    points: Table,
    replicas: Table,
    summary: Table,
    timeseries: Table,
    risk: Table,
    exposure: Table,
    runs: Table,
    events: Table,
    /// Whether points.csv has its header (it names the first point's keys).
    points_started: bool,
}

impl Tables {
    /// Creates the files in `dir` and writes the headers that do not depend
    /// on the points.
    pub(super) fn create(dir: &Path) -> Result<Tables, OutputError> {
        let mut t = Tables {
            points: Table::create(dir, POINTS)?,
            replicas: Table::create(dir, REPLICAS)?,
            summary: Table::create(dir, SUMMARY)?,
            timeseries: Table::create(dir, TIMESERIES)?,
            risk: Table::create(dir, RISK)?,
            exposure: Table::create(dir, EXPOSURE)?,
            runs: Table::create(dir, TRAINING_RUNS)?,
            events: Table::create(dir, EVENTS)?,
            points_started: false,
        };
        for (table, columns) in [
            (&mut t.replicas, REPLICAS),
            (&mut t.summary, SUMMARY),
            (&mut t.timeseries, TIMESERIES),
            (&mut t.risk, RISK),
            (&mut t.exposure, EXPOSURE),
            (&mut t.runs, TRAINING_RUNS),
            (&mut t.events, EVENTS),
        ] {
            table.row(columns.header())?;
        }
        Ok(t)
    }

    /// Writes every file's rows for one grid point.
    pub(super) fn add(&mut self, p: &PointResults) -> Result<(), OutputError> {
        if !self.points_started {
            let keys = p.params.iter().map(|(k, _)| k.as_str());
            let fixed: Vec<&str> = POINTS.header().collect();
            self.points.row(fixed.into_iter().chain(keys))?;
            self.points_started = true;
        }
        let id = p.id.to_string();
        let values = p.params.iter().map(|(_, v)| v.as_str());
        self.points
            .row([id.as_str(), p.scenario.name.as_str()].into_iter().chain(values))?;
        self.add_replicas(&id, p)?;
        self.add_summary(&id, p)?;
        self.add_timeseries(&id, p)?;
        self.add_risk(&id, p)?;
        self.add_runs(&id, p)?;
        self.add_events(&id, p)
    }

    fn add_events(&mut self, id: &str, p: &PointResults) -> Result<(), OutputError> {
        let mut buf = ryu::Buffer::new();
        for o in p.outcomes {
            for e in &o.events {
                let amount = e.amount_usd.map(|a| buf.format(a).to_string()).unwrap_or_default();
                self.events.row([
                    id.to_string(),
                    o.row.replica.to_string(),
                    e.month.to_string(),
                    e.kind.as_str().to_string(),
                    amount,
                    e.detail.clone(),
                ])?;
            }
        }
        Ok(())
    }

    fn add_replicas(&mut self, id: &str, p: &PointResults) -> Result<(), OutputError> {
        let mut buf = ryu::Buffer::new();
        let mut cells: Vec<String> = Vec::with_capacity(COLUMNS.len() + 1);
        for o in p.outcomes {
            cells.clear();
            cells.push(id.to_string());
            cells.extend(COLUMNS.iter().map(|c| (c.get)(&o.row).text(&mut buf).into_owned()));
            self.replicas.row(&cells)?;
        }
        Ok(())
    }

    fn add_summary(&mut self, id: &str, p: &PointResults) -> Result<(), OutputError> {
        for column in COLUMNS.iter().filter(|c| c.is_metric()) {
            let values: Vec<f64> = p.outcomes.iter().filter_map(|o| (column.get)(&o.row).value()).collect();
            if let Some(s) = Summary::of(&values, &QUANTILES) {
                self.summary.row(summary_cells(id, column.name, &s))?;
            }
        }
        for (name, hist) in [
            ("research_wait_hours_pooled", &p.waits.research),
            ("training_wait_hours_pooled", &p.waits.training),
        ] {
            if let Some(s) = histogram_summary(hist) {
                self.summary.row(summary_cells(id, name, &s))?;
            }
        }
        Ok(())
    }

    fn add_timeseries(&mut self, id: &str, p: &PointResults) -> Result<(), OutputError> {
        let Some(first) = p.outcomes.first() else {
            return Ok(());
        };
        for (step, at) in first.series.iter().enumerate() {
            let month = format!("{:.4}", at.time.in_units(Span::MONTH));
            for (m, (metric, _)) in STEP_METRICS.iter().enumerate() {
                let values: Vec<f64> = p.outcomes.iter().map(|o| o.series[step].values[m]).collect();
                let s = Summary::of(&values, &BANDS).expect("at least one replica");
                let head = [id.to_string(), month.clone(), metric.to_string(), s.mean.to_string()];
                self.timeseries
                    .row(head.into_iter().chain(s.quantiles.iter().map(f64::to_string)))?;
            }
        }
        Ok(())
    }

    fn add_risk(&mut self, id: &str, p: &PointResults) -> Result<(), OutputError> {
        let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        for f in montecarlo::multifidelity::point_figures(p.outcomes, p.cheap, p.scenario) {
            let (year, quantile, threshold) = match f.param {
                Param::None => (None, None, None),
                Param::Year(y) => (Some(y.to_string()), None, None),
                Param::Quantile(q) => (None, Some(q.to_string()), None),
                Param::Threshold(t) => (None, None, Some(t.to_string())),
            };
            self.risk.row([
                id.to_string(),
                f.figure.to_string(),
                year.unwrap_or_default(),
                quantile.unwrap_or_default(),
                threshold.unwrap_or_default(),
                f.value.to_string(),
                opt(f.stderr),
                opt(f.ci95.0),
                opt(f.ci95.1),
                f.n.to_string(),
                f.interval.as_str().to_string(),
                f.reliable.to_string(),
                f.estimator.as_str().to_string(),
                f.effective_n.to_string(),
            ])?;
        }
        let profile = exposure::profile(p.outcomes, p.scenario.contract.discount_rate_per_year);
        for m in &profile {
            self.exposure.row([
                id.to_string(),
                m.month.to_string(),
                m.ee_usd.to_string(),
                m.pfe95_usd.to_string(),
                m.pfe99_usd.to_string(),
                m.epe_usd.to_string(),
                m.marginal_pd.to_string(),
                m.cumulative_pd.to_string(),
            ])?;
        }
        Ok(())
    }

    fn add_runs(&mut self, id: &str, p: &PointResults) -> Result<(), OutputError> {
        let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        for o in p.outcomes {
            for r in &o.training_runs {
                self.runs.row([
                    id.to_string(),
                    o.row.replica.to_string(),
                    r.run.to_string(),
                    r.chips.to_string(),
                    r.generation.clone(),
                    r.ready_month.to_string(),
                    opt(r.start_month),
                    r.planned_finish_month.to_string(),
                    opt(r.finish_month),
                    r.interruptions.to_string(),
                    r.outcome.as_str().to_string(),
                    opt(r.ettr),
                ])?;
            }
        }
        Ok(())
    }

    /// Flushes every file.
    pub(super) fn finish(self) -> Result<(), OutputError> {
        for t in [
            self.points,
            self.replicas,
            self.summary,
            self.timeseries,
            self.risk,
            self.exposure,
            self.runs,
            self.events,
        ] {
            t.finish()?;
        }
        Ok(())
    }
}

fn summary_cells(id: &str, metric: &str, s: &Summary) -> Vec<String> {
    let (lo, hi) = s.ci95();
    let mut cells = vec![
        id.to_string(),
        metric.to_string(),
        s.n.to_string(),
        s.mean.to_string(),
        s.stderr.to_string(),
        lo.to_string(),
        hi.to_string(),
    ];
    cells.extend(s.quantiles.iter().map(f64::to_string));
    cells.extend([s.min.to_string(), s.max.to_string()]);
    cells
}

/// Statistics of a pooled wait histogram (seconds) in hours: n jobs, mean,
/// stderr of the mean, quantiles (to the histogram's 3 significant figures).
fn histogram_summary(h: &Histogram<u64>) -> Option<Summary> {
    if h.is_empty() {
        return None;
    }
    let hours = |s: f64| s / Span::HOUR.secs() as f64;
    let n = h.len() as usize;
    Some(Summary {
        n,
        mean: hours(h.mean()),
        stderr: hours(h.stdev()) / (n as f64).sqrt(),
        quantiles: QUANTILES
            .iter()
            .map(|&q| hours(h.value_at_quantile(q) as f64))
            .collect(),
        min: hours(h.min() as f64),
        max: hours(h.max() as f64),
    })
}
