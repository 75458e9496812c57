//! Result files: tidy CSVs for notebooks and a JSON manifest, written
//! atomically.
//!
//! Files go to a hidden temporary folder beside the destination, which is
//! renamed into place only when every file is written, so an interrupted or
//! failed run never leaves a folder that looks complete. Columns are stable
//! and documented in README.md ("Output files").

use crate::config::Scenario;
use crate::engine::Span;
use crate::finance;
use crate::metrics::STEP_METRICS;
use crate::metrics::{ID_COLUMNS, ReplicaOutcome, Waits};
use crate::montecarlo::{Precision, PrecisionOutcome};
use crate::stats::{Summary, Z95};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use std::fs;
use std::io::Write;
use std::path::Path;

pub mod report;

/// The CSV files of a results folder (besides `manifest.json`), in the
/// order they are written. Their bytes depend only on the config and seed.
pub const CSV_FILES: [&str; 6] = [
    "points.csv",
    "replicas.csv",
    "summary.csv",
    "timeseries.csv",
    "risk.csv",
    "training_runs.csv",
];

use crate::folder::io_error as io;
pub use crate::folder::{FolderError as OutputError, check_destination};

/// Quantile levels reported in `summary.csv`.
pub const QUANTILES: [f64; 7] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];

/// Quantile levels (bands) reported in `timeseries.csv`.
pub const BANDS: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// One grid point's results.
pub struct PointResults<'a> {
    /// Point id.
    pub id: u64,
    /// (dotted key, value) of every swept key; empty for a plain run.
    pub params: &'a [(String, String)],
    /// The point's scenario.
    pub scenario: &'a Scenario,
    /// Replica outcomes in replica order.
    pub outcomes: &'a [ReplicaOutcome],
    /// The point's wait histograms pooled over its replicas.
    pub waits: &'a Waits,
}

/// Pairs grid points with their outcomes and pooled waits (same order).
pub fn point_results<'a>(
    points: &'a [crate::sweep::GridPoint],
    outcomes: &'a [Vec<ReplicaOutcome>],
    waits: &'a [Waits],
) -> Vec<PointResults<'a>> {
    points
        .iter()
        .zip(outcomes.iter().zip(waits))
        .map(|(p, (outcomes, waits))| PointResults {
            id: p.id,
            params: &p.params,
            scenario: &p.scenario,
            outcomes,
            waits,
        })
        .collect()
}

/// Everything a results folder records about one run or sweep.
pub struct RunRecord<'a> {
    /// Where the scenario or experiment came from.
    pub source: &'a str,
    /// The grid points (one for a plain run).
    pub points: Vec<PointResults<'a>>,
    /// The command line, for the manifest.
    pub command: &'a str,
    /// Rayon threads used.
    pub threads: usize,
    /// Wall time of the simulation, seconds.
    pub wall_seconds: f64,
    /// How a `--target-ci` precision target ended, if one was given.
    pub precision: Option<(Precision, PrecisionOutcome)>,
}

/// Writes `points.csv`, `replicas.csv`, `summary.csv`, `timeseries.csv`,
/// `risk.csv`, `training_runs.csv` and `manifest.json` into `dir`, atomically.
pub fn write_results(dir: &Path, force: bool, record: &RunRecord) -> Result<(), OutputError> {
    crate::folder::write_atomically(dir, force, |tmp| write_files(tmp, record))
}

fn write_files(dir: &Path, record: &RunRecord) -> Result<(), OutputError> {
    let put = |file: &str, text: String| {
        let path = dir.join(file);
        fs::File::create(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(io(&path))
    };
    put("points.csv", points_csv(&record.points))?;
    write_streamed(&dir.join("replicas.csv"), |w| write_replicas(w, &record.points))?;
    put("summary.csv", summary_csv(&record.points))?;
    put("timeseries.csv", timeseries_csv(&record.points))?;
    put("risk.csv", risk_csv(&record.points))?;
    write_streamed(&dir.join("training_runs.csv"), |w| {
        write_training_runs(w, &record.points)
    })?;
    put("manifest.json", manifest(record))
}

/// Writes a file through a buffer, row by row: `replicas.csv` and
/// `training_runs.csv` have a row per replica (per run), so they are
/// streamed rather than built in memory.
fn write_streamed(
    path: &Path,
    rows: impl FnOnce(&mut std::io::BufWriter<fs::File>) -> std::io::Result<()>,
) -> Result<(), OutputError> {
    let mut w = std::io::BufWriter::new(fs::File::create(path).map_err(io(path))?);
    rows(&mut w).and_then(|()| w.flush()).map_err(io(path))
}

fn write_training_runs(w: &mut impl Write, points: &[PointResults]) -> std::io::Result<()> {
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    w.write_all(
        b"point,replica,run,chips,generation,ready_month,start_month,planned_finish_month,finish_month,\
          interruptions,outcome\n",
    )?;
    for p in points {
        for o in p.outcomes {
            for r in &o.training_runs {
                writeln!(
                    w,
                    "{},{},{},{},{},{},{},{},{},{},{}",
                    p.id,
                    o.row.replica,
                    r.run,
                    r.chips,
                    cell(&r.generation),
                    r.ready_month,
                    opt(r.start_month),
                    r.planned_finish_month,
                    opt(r.finish_month),
                    r.interruptions,
                    r.outcome.as_str()
                )?;
            }
        }
    }
    Ok(())
}

/// Quotes a CSV cell when it needs it (values of swept tables contain commas
/// and quotes).
fn cell(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn points_csv(points: &[PointResults]) -> String {
    let mut out = String::from("point,scenario");
    if let Some(first) = points.first() {
        first
            .params
            .iter()
            .for_each(|(k, _)| out.push_str(&format!(",{}", cell(k))));
    }
    out.push('\n');
    for p in points {
        out.push_str(&format!("{},{}", p.id, cell(&p.scenario.name)));
        p.params
            .iter()
            .for_each(|(_, v)| out.push_str(&format!(",{}", cell(v))));
        out.push('\n');
    }
    out
}

fn write_replicas(w: &mut impl Write, points: &[PointResults]) -> std::io::Result<()> {
    for (i, (id, outcome)) in points
        .iter()
        .flat_map(|p| p.outcomes.iter().map(move |o| (p.id, o)))
        .enumerate()
    {
        let cells = outcome.row.cells();
        if i == 0 {
            w.write_all(b"point")?;
            for (k, _) in &cells {
                write!(w, ",{k}")?;
            }
            writeln!(w)?;
        }
        write!(w, "{id}")?;
        for (_, v) in &cells {
            write!(w, ",{v}")?;
        }
        writeln!(w)?;
    }
    Ok(())
}

fn summary_csv(points: &[PointResults]) -> String {
    let q_names: Vec<String> = QUANTILES.iter().map(|q| format!("p{}", (q * 100.0).round())).collect();
    let mut out = format!(
        "point,metric,n,mean,stderr,ci95_low,ci95_high,{},min,max\n",
        q_names.join(",")
    );
    for p in points {
        // One column of numbers per metric, filled a row at a time (holding
        // every row's cells as strings would take ~5 kB per replica).
        let Some(names) = p.outcomes.first().map(|o| o.row.cells()) else {
            continue;
        };
        let mut columns: Vec<Vec<f64>> = vec![Vec::with_capacity(p.outcomes.len()); names.len()];
        for o in p.outcomes {
            for (column, (_, cell)) in columns.iter_mut().zip(o.row.cells()) {
                column.extend(cell.parse::<f64>().ok());
            }
        }
        for ((name, _), values) in names.iter().zip(&columns) {
            if ID_COLUMNS.contains(&name.as_str()) {
                continue;
            }
            if let Some(s) = Summary::of(values, &QUANTILES) {
                out.push_str(&stats_line(p.id, name, &s));
            }
        }
        for (name, hist) in [
            ("research_wait_hours_pooled", &p.waits.research),
            ("training_wait_hours_pooled", &p.waits.training),
        ] {
            if let Some(s) = histogram_stats(hist) {
                out.push_str(&stats_line(p.id, name, &s));
            }
        }
    }
    out
}

fn stats_line(point: u64, metric: &str, s: &Summary) -> String {
    let h = s.ci95_half_width();
    let qs: Vec<String> = s.quantiles.iter().map(|q| q.to_string()).collect();
    format!(
        "{point},{metric},{},{},{},{},{},{},{},{}\n",
        s.n,
        s.mean,
        s.stderr,
        s.mean - h,
        s.mean + h,
        qs.join(","),
        s.min,
        s.max
    )
}

/// Statistics of a pooled wait histogram (seconds) in hours: n jobs, mean,
/// stderr of the mean, quantiles (to the histogram's 3 significant figures).
fn histogram_stats(h: &Histogram<u64>) -> Option<Summary> {
    if h.is_empty() {
        return None;
    }
    let hours = |s: f64| s / 3600.0;
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

fn timeseries_csv(points: &[PointResults]) -> String {
    let bands: Vec<String> = BANDS.iter().map(|q| format!("p{}", (q * 100.0).round())).collect();
    let mut out = format!("point,month,metric,mean,{}\n", bands.join(","));
    for p in points {
        let Some(first) = p.outcomes.first() else { continue };
        for step in 0..first.series.len() {
            let month = first.series[step].time.in_units(Span::MONTH);
            for (m, (metric, _)) in STEP_METRICS.iter().enumerate() {
                let values: Vec<f64> = p.outcomes.iter().map(|o| o.series[step].values[m]).collect();
                let s = Summary::of(&values, &BANDS).expect("at least one replica");
                let qs: Vec<String> = s.quantiles.iter().map(|q| q.to_string()).collect();
                out.push_str(&format!("{},{month:.4},{metric},{},{}\n", p.id, s.mean, qs.join(",")));
            }
        }
    }
    out
}

fn risk_csv(points: &[PointResults]) -> String {
    let mut out = String::from("point,figure,value,stderr,ci95_low,ci95_high,n\n");
    for p in points {
        let rows: Vec<_> = p.outcomes.iter().map(|o| &o.row).collect();
        let term_years = p.scenario.contract.term.in_units(Span::YEAR);
        for f in crate::metrics::risk::risk_figures(&rows, term_years, p.scenario.utilization_threshold) {
            let (se, lo, hi) = match f.stderr {
                Some(se) => {
                    let h = Z95 * se;
                    (se.to_string(), (f.value - h).to_string(), (f.value + h).to_string())
                }
                None => Default::default(),
            };
            out.push_str(&format!("{},{},{},{se},{lo},{hi},{}\n", p.id, f.name, f.value, f.n));
        }
    }
    out
}

fn manifest(record: &RunRecord) -> String {
    let first = record.points.first().expect("at least one point");
    let seeds: Vec<u64> = first.outcomes.iter().map(|o| o.row.seed).collect();
    let f = finance::contract_figures(&first.scenario.contract);
    let points: Vec<Value> = record
        .points
        .iter()
        .map(|p| {
            json!({
                "point": p.id,
                "params": p.params.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
                "resolved_config": p.scenario.raw,
            })
        })
        .collect();
    let precision = record.precision.as_ref().map(|(target, outcome)| {
        json!({
            "metric": target.metric,
            "target_half_width": target.half_width,
            "max_replicas": target.max_replicas,
            "reached": outcome.reached,
            "replicas": outcome.replicas,
            "worst_half_width": outcome.worst_half_width,
        })
    });
    let value = json!({
        "tool": "mortgage-sim",
        "version": env!("CARGO_PKG_VERSION"),
        "git_commit": Some(env!("MORTGAGE_SIM_GIT_COMMIT")).filter(|c| !c.is_empty()),
        "command": record.command,
        "source": record.source,
        "master_seed": first.scenario.seed,
        "replicas_per_point": first.outcomes.len(),
        "replica_seeds": seeds,
        "threads": record.threads,
        "wall_time_seconds": record.wall_seconds,
        "precision_target": precision,
        "contract_point_0": {
            "term_years": f.term_years,
            "committed_usd": f.committed_usd,
            "planned_chip_hours": f.planned_chip_hours,
            "price_per_chip_hour_usd": f.price_per_chip_hour_usd,
            "price_derived": f.price_derived,
        },
        "points": points,
        "files": CSV_FILES.iter().chain(["manifest.json"].iter()).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&value).expect("manifest serializes") + "\n"
}

/// The `--stats` summary: events by kind (totals over all replicas, with
/// their share), events per second and replicas per second of the run.
pub fn stats_report(results: &[Vec<ReplicaOutcome>], wall_seconds: f64, threads: usize) -> String {
    let kinds = crate::model::Event::KINDS;
    let mut by_kind = vec![0u64; kinds.len()];
    for o in results.iter().flatten() {
        for (total, n) in by_kind.iter_mut().zip(&o.events_by_kind) {
            *total += n;
        }
    }
    let events: u64 = by_kind.iter().sum();
    let replicas: usize = results.iter().map(Vec::len).sum();
    let wall = wall_seconds.max(1e-9);
    let mut out = format!(
        "stats: {replicas} replicas, {events} events in {wall_seconds:.2} s on {threads} thread(s): \
         {:.2}M events/s, {:.3} replicas/s, {:.0} events per replica\n",
        events as f64 / wall / 1e6,
        replicas as f64 / wall,
        events as f64 / replicas.max(1) as f64
    );
    for (name, n) in kinds.iter().zip(&by_kind).filter(|(_, n)| **n > 0) {
        out += &format!(
            "  {name:<20} {n:>14} {:>6.2}%\n",
            100.0 * *n as f64 / events.max(1) as f64
        );
    }
    out
}

/// What `mortgage-sim check` prints for a valid scenario: its derived
/// figures (computed by `model::derived`), for people.
pub fn check_report(scenario: &Scenario, source: &str) -> String {
    let s = scenario;
    let d = crate::model::derived::derive(s);
    let f = &d.contract;
    let mut out = format!("{source}: OK — scenario `{}`\n", s.name);
    if !s.description.is_empty() {
        out += &format!("  {}\n", s.description);
    }
    out += &format!("\nContract\n  term                        {:.2} years\n", f.term_years);
    out += &format!("  committed                   ${:.3}B\n", f.committed_usd / 1e9);
    out += &format!(
        "  planned chip-hours          {:.4e} (tranche schedule, no delays)\n",
        f.planned_chip_hours
    );
    out += &format!(
        "  price per chip-hour         ${:.4} ({})\n",
        f.price_per_chip_hour_usd,
        if f.price_derived {
            "derived: committed / planned chip-hours"
        } else {
            "given"
        }
    );
    let (months, first, last) = d.payments;
    out += &format!(
        "  payments ({:?})      {months} months, first ${:.3}B, last ${:.3}B\n",
        s.contract.payment_schedule,
        first / 1e9,
        last / 1e9
    );
    out += &format!(
        "  late capacity               {}\n",
        if s.contract.waive_undelivered { "waived" } else { "owed" }
    );
    if let Some(b) = &d.buyer {
        out += &format!(
            "\nBuyer\n  initial funding             ${:.3}B\n",
            b.initial_funding_usd / 1e9
        );
        out += &format!("  credit line                 ${:.3}B\n", b.credit_line_usd / 1e9);
        out += &format!(
            "  breakeven inference demand  {:.0} chips served (average payment + costs at ${:.2}/chip-hour)\n",
            b.breakeven_chips, b.revenue_per_served_chip_hour_usd
        );
        out += &format!(
            "  runway with no revenue      {:.1} months of payments and costs\n",
            b.runway_months
        );
    } else {
        out += "  buyer                       not modelled: always pays\n";
    }
    out += &format!("\nCluster\n  peak planned chips          {}\n", d.peak_planned_chips);
    out += &format!("  failure unit                {} chips\n", s.cluster.unit_chips);
    out += &format!(
        "  unit failures per day       {:.1} (at the peak)\n",
        d.unit_failures_per_day
    );
    out += &format!("  mean repair time            {:.1} hours\n", d.mean_repair_hours);
    out += &format!("  policy                      {:?}\n", d.policy);
    if let Some(t) = &d.training {
        out += &format!("\nTraining ({} runs on the roadmap within the term)\n", t.runs);
        if t.too_big > 0 {
            out += &format!(
                "  WARNING                     {} run(s) need more than the largest generation's {} chips \
                 and will never start\n",
                t.too_big, t.largest_generation_chips
            );
        }
        if let Some(big) = &t.largest_run {
            out += &format!("  largest run                 {} chips\n", big.chips);
            out += &format!("  its MTBF                    {:.1} minutes\n", big.mtbf_minutes);
            out += &format!(
                "  checkpoint interval         {:.1} min (Young's optimum for it: {:.1} min)\n",
                big.interval_minutes, big.young_minutes
            );
            out += &format!(
                "  Daly efficiency             {:.1}% (failure-free time / expected wall time)\n",
                100.0 * big.daly_efficiency
            );
        }
    }
    if let Some((base, end)) = d.inference {
        out += &format!("\nInference\n  base demand                 {base:.0} chips (baseline equivalents)\n");
        out += &format!(
            "  mean demand at term end     {end:.0} chips (e^(drift x term), before seasonality and failure)\n"
        );
    }
    if let Some(r) = &d.research {
        out += &format!(
            "\nResearch\n  arrivals                    {:.2} per hour at the start\n",
            r.arrivals_per_hour
        );
        out += &format!(
            "  mean job                    {:.0} chips x {:.1} hours\n",
            r.mean_job_chips, r.mean_job_hours
        );
        out += &format!(
            "  offered load                {:.0} chips at the start ({:.1}% of the peak)\n",
            r.offered_load_chips,
            100.0 * r.offered_load_chips / d.peak_planned_chips as f64
        );
    }
    out
}
