//! Sharded sweeps: the (point × replica) work of an experiment split
//! deterministically across N independent processes (the tasks of an array
//! job), and the partial results read back for an exact merge.
//!
//! Work unit `u = point × replicas + replica`; shard `i` of `N` owns the
//! contiguous block `[⌊iU/N⌋, ⌊(i+1)U/N⌋)` of the `U` units, so shards are
//! balanced to one unit, every unit has exactly one owner, and a shard
//! touches only the points of its block — a 10^5-point grid split 1,000
//! ways gives each shard ~100 points to hold. A shard folder holds
//! `shard.json` (the experiment's plan, its hash, the shard and its block),
//! `outcomes.jsonl` (one replica outcome per line, in unit order) and
//! `waits.jsonl` (one line per point of the block: its wait histograms
//! pooled over the shard's replicas; pooling is exact and order-free, so
//! shards add up to the whole). Both are written as the work is done and
//! read back line by line, so neither a shard nor a merge holds more than a
//! point's replicas. A replica's result depends only on its scenario and
//! seed, and aggregation only on the rows in replica order, so merged files
//! are byte-identical to a single-machine sweep's.
//!
//! A merge trusts nothing in a shard folder: the plan's hash is recomputed,
//! every field is checked, and every line must be the next unit of its
//! shard's block (a duplicated, missing, foreign or garbled line is named).

use crate::config::ConfigError;
use crate::folder::{FolderError, io_error};
use crate::metrics::{ReplicaOutcome, Waits};
use crate::sweep::{Plan, PlanRecord};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Lines, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Environment variables that carry an array job's task index, in the
/// order they are looked up: Slurm, Kubernetes Indexed Jobs, AWS Batch.
pub const INDEX_VARIABLES: [&str; 3] = [
    "SLURM_ARRAY_TASK_ID",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
];

/// Which shard this process runs: `index` of `count` (0 ≤ index < count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, from 0.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

/// Why sharding or merging failed. All are bad input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// `--shard` is not `I/N` with 0 ≤ I < N.
    #[error("--shard {0}: expected I/N with 0 ≤ I < N, e.g. --shard 2/8")]
    Spec(String),
    /// No index was given and none of the array-job variables is set.
    #[error(
        "--shard-count {0} needs the shard index from the environment, but none of SLURM_ARRAY_TASK_ID, \
         JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX is set; give --shard I/{0} instead"
    )]
    NoIndex(u32),
    /// An array-job variable is set but is not a valid index.
    #[error("{var}={value}: not a shard index below {count}")]
    BadIndex {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// The shard count.
        count: u32,
    },
    /// A shard folder could not be read or is malformed.
    #[error("{path}: {problem}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Shards from different experiments (or versions of one) were given.
    #[error("{path}: from another experiment (hash {found}, expected {expected} as in {first})")]
    Mismatch {
        /// The odd shard.
        path: PathBuf,
        /// Its experiment hash.
        found: String,
        /// The first shard's hash.
        expected: String,
        /// The first shard.
        first: PathBuf,
    },
    /// The shards do not cover every unit exactly once.
    #[error("{0}")]
    Coverage(String),
    /// More shards than work units.
    #[error("{count} shards for {units} work units (points × replicas); allowed: at most one shard per unit")]
    TooManyShards {
        /// Shards asked for.
        count: u32,
        /// Work units of the experiment.
        units: u64,
    },
    /// The plan recorded in a shard is not a valid experiment.
    #[error("{path}: the recorded experiment is not valid: {source}")]
    Plan {
        /// The shard.json.
        path: PathBuf,
        /// Why.
        source: ConfigError,
    },
    /// The shard folder could not be written.
    #[error(transparent)]
    Folder(#[from] FolderError),
}

impl ShardError {
    /// The process exit code: 1 when the shard folder could not be
    /// written, 2 for bad input (everything else).
    pub fn exit_code(&self) -> u8 {
        match self {
            ShardError::Folder(e) => e.exit_code(),
            _ => 2,
        }
    }
}

impl std::str::FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let err = || ShardError::Spec(s.to_string());
        let (i, n) = s.split_once('/').ok_or_else(err)?;
        let (index, count): (u32, u32) = (
            i.trim().parse().map_err(|_| err())?,
            n.trim().parse().map_err(|_| err())?,
        );
        if count == 0 || index >= count {
            return Err(err());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Shard `?/count` with the index from the array-job environment
    /// (`lookup` is `std::env::var` in the CLI; a parameter for tests).
    pub fn from_env(count: u32, lookup: impl Fn(&str) -> Option<String>) -> Result<Shard, ShardError> {
        for var in INDEX_VARIABLES {
            if let Some(value) = lookup(var) {
                let index: u32 =
                    value
                        .trim()
                        .parse()
                        .ok()
                        .filter(|&i| i < count)
                        .ok_or_else(|| ShardError::BadIndex {
                            var,
                            value: value.clone(),
                            count,
                        })?;
                return Ok(Shard { index, count });
            }
        }
        Err(ShardError::NoIndex(count))
    }

    /// This shard's block of the `total` work units: `[⌊iU/N⌋, ⌊(i+1)U/N⌋)`.
    pub fn units(&self, total: u64) -> Range<u64> {
        let at = |i: u32| (total as u128 * i as u128 / self.count as u128) as u64;
        at(self.index)..at(self.index + 1)
    }

    /// Checks that there are no more shards than `total` units.
    pub fn check(&self, total: u64) -> Result<(), ShardError> {
        if self.count as u64 > total {
            return Err(ShardError::TooManyShards {
                count: self.count,
                units: total,
            });
        }
        Ok(())
    }
}

/// Format of shard folders written by this build. 2: each replica's time
/// series is per-step values (`metrics::Step`), not cumulative snapshots.
/// 3: chip-second integrals are kept by `metrics::Class`. 4: contiguous
/// blocks of units, the plan instead of every resolved point, per-point
/// waits as lines (`waits.jsonl`).
pub const SHARD_FORMAT: u32 = 4;

/// `shard.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardMeta {
    /// Format version of shard folders.
    pub format: u32,
    /// mortgage-sim version that wrote it.
    pub version: String,
    /// The experiment, with the command line's overrides applied.
    pub plan: PlanRecord,
    /// SHA-256 of the plan: shards merge only if equal, and a merge
    /// recomputes it (an edited plan is refused).
    pub plan_hash: String,
    /// This shard.
    pub shard: Shard,
    /// Its block of work units.
    pub units: Range<u64>,
}

impl ShardMeta {
    /// The description of shard `shard` of `plan`.
    pub fn new(plan: &Plan, shard: Shard) -> ShardMeta {
        let record = plan.record();
        let total = plan.len() * plan.replicas() as u64;
        ShardMeta {
            format: SHARD_FORMAT,
            version: env!("CARGO_PKG_VERSION").into(),
            plan_hash: plan_hash(&record),
            plan: record,
            shard,
            units: shard.units(total),
        }
    }
}

/// SHA-256 of a plan, as hex.
pub fn plan_hash(record: &PlanRecord) -> String {
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(record).expect("a plan serializes"));
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// What every outcome of a point must look like (from its scenario), so a
/// damaged line is an error, not a panic while aggregating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Time-series steps.
    pub steps: usize,
    /// Event kinds counted.
    pub event_kinds: usize,
    /// Training runs on the roadmap.
    pub runs: usize,
}

/// A line of `outcomes.jsonl` as read.
#[derive(Deserialize)]
struct Line {
    point: u64,
    replica: u32,
    outcome: ReplicaOutcome,
}

/// A line of `outcomes.jsonl` as written (borrowing the outcome).
#[derive(Serialize)]
struct LineRef<'a> {
    point: u64,
    replica: u32,
    outcome: &'a ReplicaOutcome,
}

/// A line of `waits.jsonl`.
#[derive(Serialize, Deserialize)]
struct WaitsLine {
    point: u64,
    waits: Waits,
}

fn read_err(path: &Path, problem: impl ToString) -> ShardError {
    ShardError::Read {
        path: path.to_path_buf(),
        problem: problem.to_string(),
    }
}

/// Writes a shard folder's files as its work is done (inside
/// `folder::write_atomically`, on the temporary folder).
pub struct ShardWriter {
    outcomes: BufWriter<File>,
    outcomes_path: PathBuf,
    waits: BufWriter<File>,
    waits_path: PathBuf,
}

impl ShardWriter {
    /// Writes `shard.json` into `dir` and opens the line files.
    pub fn create(dir: &Path, meta: &ShardMeta) -> Result<ShardWriter, FolderError> {
        let meta_path = dir.join("shard.json");
        fs::write(
            &meta_path,
            serde_json::to_string_pretty(meta).expect("meta serializes") + "\n",
        )
        .map_err(io_error(&meta_path))?;
        let open = |name: &str| {
            let path = dir.join(name);
            File::create(&path)
                .map(|f| (BufWriter::new(f), path.clone()))
                .map_err(io_error(&path))
        };
        let (outcomes, outcomes_path) = open("outcomes.jsonl")?;
        let (waits, waits_path) = open("waits.jsonl")?;
        Ok(ShardWriter {
            outcomes,
            outcomes_path,
            waits,
            waits_path,
        })
    }

    /// The outcome of unit (`point`, `replica`), the next of the block.
    pub fn outcome(&mut self, point: u64, replica: u32, outcome: &ReplicaOutcome) -> Result<(), FolderError> {
        let line = LineRef {
            point,
            replica,
            outcome,
        };
        serde_json::to_writer(&mut self.outcomes, &line)
            .map_err(std::io::Error::from)
            .and_then(|()| self.outcomes.write_all(b"\n"))
            .map_err(io_error(&self.outcomes_path))
    }

    /// The pooled waits of `point` over this shard's replicas of it.
    pub fn waits(&mut self, point: u64, waits: &Waits) -> Result<(), FolderError> {
        let line = WaitsLine {
            point,
            waits: waits.clone(),
        };
        serde_json::to_writer(&mut self.waits, &line)
            .map_err(std::io::Error::from)
            .and_then(|()| self.waits.write_all(b"\n"))
            .map_err(io_error(&self.waits_path))
    }

    /// Flushes the line files.
    pub fn finish(mut self) -> Result<(), FolderError> {
        self.outcomes.flush().map_err(io_error(&self.outcomes_path))?;
        self.waits.flush().map_err(io_error(&self.waits_path))
    }
}

/// A shard folder open for a merge: its checked description and its line
/// files, read one line at a time.
pub struct ShardReader {
    /// The folder.
    pub dir: PathBuf,
    /// Its `shard.json`, checked.
    pub meta: ShardMeta,
    outcomes: Lines<BufReader<File>>,
    outcomes_path: PathBuf,
    outcomes_line: u64,
    waits: Lines<BufReader<File>>,
    waits_path: PathBuf,
    waits_line: u64,
}

impl ShardReader {
    /// Opens a shard folder and checks its description on its own: the
    /// format, the shard, and that the plan hashes to the recorded hash.
    fn open(dir: &Path) -> Result<(ShardReader, Plan), ShardError> {
        let path = dir.join("shard.json");
        let text = fs::read_to_string(&path).map_err(|e| read_err(&path, e))?;
        let format = serde_json::from_str::<serde_json::Value>(&text)
            .map_err(|e| read_err(&path, format!("not a shard description: {e}")))?
            .get("format")
            .and_then(serde_json::Value::as_u64);
        if format != Some(SHARD_FORMAT as u64) {
            return Err(read_err(
                &path,
                format!(
                    "shard format {}; this build reads format {SHARD_FORMAT}: rerun the shard with this build",
                    format.map_or("missing".into(), |f| f.to_string())
                ),
            ));
        }
        let meta: ShardMeta =
            serde_json::from_str(&text).map_err(|e| read_err(&path, format!("not a shard description: {e}")))?;
        if meta.shard.count == 0 || meta.shard.index >= meta.shard.count {
            return Err(read_err(
                &path,
                format!(
                    "field `shard` is {}/{}; allowed: index < count, count ≥ 1",
                    meta.shard.index, meta.shard.count
                ),
            ));
        }
        if plan_hash(&meta.plan) != meta.plan_hash {
            return Err(read_err(
                &path,
                "field `plan` does not hash to `plan_hash`: the file was edited or damaged",
            ));
        }
        let plan = Plan::from_record(&meta.plan, &path.display().to_string()).map_err(|source| ShardError::Plan {
            path: path.clone(),
            source,
        })?;
        if plan.replicas() == 0 {
            return Err(read_err(&path, "field `plan.replicas` is 0; allowed: at least 1"));
        }
        let total = plan
            .len()
            .checked_mul(plan.replicas() as u64)
            .ok_or_else(|| read_err(&path, "field `plan`: points × replicas overflows"))?;
        meta.shard.check(total)?;
        if meta.units != meta.shard.units(total) {
            return Err(read_err(
                &path,
                format!(
                    "field `units` is {:?}; shard {}/{} of {total} units owns {:?}",
                    meta.units,
                    meta.shard.index,
                    meta.shard.count,
                    meta.shard.units(total)
                ),
            ));
        }
        let lines = |name: &str| {
            let path = dir.join(name);
            File::open(&path)
                .map(|f| (BufReader::new(f).lines(), path.clone()))
                .map_err(|e| read_err(&path, e))
        };
        let (outcomes, outcomes_path) = lines("outcomes.jsonl")?;
        let (waits, waits_path) = lines("waits.jsonl")?;
        let reader = ShardReader {
            dir: dir.to_path_buf(),
            meta,
            outcomes,
            outcomes_path,
            outcomes_line: 0,
            waits,
            waits_path,
            waits_line: 0,
        };
        Ok((reader, plan))
    }

    /// The next outcome, which must be unit (`point`, `replica`) and have
    /// the point's `shape`.
    pub fn next_outcome(&mut self, point: u64, replica: u32, shape: &Shape) -> Result<ReplicaOutcome, ShardError> {
        self.outcomes_line += 1;
        let n = self.outcomes_line;
        let path = &self.outcomes_path;
        let text = self
            .outcomes
            .next()
            .ok_or_else(|| {
                read_err(
                    path,
                    format!("ends at line {n}, before point {point} replica {replica}: an incomplete shard"),
                )
            })?
            .map_err(|e| read_err(path, format!("line {n}: {e}")))?;
        let line: Line = serde_json::from_str(&text).map_err(|e| read_err(path, format!("line {n}: {e}")))?;
        if (line.point, line.replica) != (point, replica) {
            return Err(read_err(
                path,
                format!(
                    "line {n} is point {} replica {}; expected point {point} replica {replica} (lines must be the \
                     shard's units in order, each once)",
                    line.point, line.replica
                ),
            ));
        }
        let o = &line.outcome;
        let found = Shape {
            steps: o.series.len(),
            event_kinds: o.events_by_kind.len(),
            runs: o.training_runs.len(),
        };
        if found != *shape {
            return Err(read_err(
                path,
                format!("line {n}: the outcome has {found:?}; the point's scenario gives {shape:?}"),
            ));
        }
        Ok(line.outcome)
    }

    /// The next pooled waits, which must be `point`'s.
    pub fn next_waits(&mut self, point: u64) -> Result<Waits, ShardError> {
        self.waits_line += 1;
        let n = self.waits_line;
        let path = &self.waits_path;
        let text = self
            .waits
            .next()
            .ok_or_else(|| read_err(path, format!("ends at line {n}, before point {point}")))?
            .map_err(|e| read_err(path, format!("line {n}: {e}")))?;
        let line: WaitsLine = serde_json::from_str(&text).map_err(|e| read_err(path, format!("line {n}: {e}")))?;
        if line.point != point {
            return Err(read_err(
                path,
                format!("line {n} is point {}; expected point {point}", line.point),
            ));
        }
        Ok(line.waits)
    }

    /// Checks that nothing follows the last unit.
    pub fn finish(mut self) -> Result<(), ShardError> {
        for (lines, path, n) in [
            (&mut self.outcomes, &self.outcomes_path, self.outcomes_line),
            (&mut self.waits, &self.waits_path, self.waits_line),
        ] {
            if lines.next().is_some() {
                return Err(read_err(
                    path,
                    format!("has lines after line {n}, the shard's last unit"),
                ));
            }
        }
        Ok(())
    }
}

/// Opens shard folders for a merge and checks them as a set: one plan (the
/// same hash), the same shard count, every index exactly once. Returns the
/// plan and the readers in shard order, whose blocks then cover every unit
/// once, in order.
pub fn open_all(dirs: &[PathBuf]) -> Result<(Plan, Vec<ShardReader>), ShardError> {
    let Some(first_dir) = dirs.first() else {
        return Err(ShardError::Coverage("merge needs at least one shard folder".into()));
    };
    let (first, plan) = ShardReader::open(first_dir)?;
    let (hash, count, first_path) = (first.meta.plan_hash.clone(), first.meta.shard.count, first.dir.clone());
    let mut readers = vec![first];
    for dir in &dirs[1..] {
        let reader = ShardReader::open(dir)?.0;
        let m = &reader.meta;
        if m.plan_hash != hash || m.shard.count != count {
            return Err(ShardError::Mismatch {
                path: reader.dir.clone(),
                found: format!("{} ({} shards)", m.plan_hash, m.shard.count),
                expected: format!("{hash} ({count} shards)"),
                first: first_path.clone(),
            });
        }
        readers.push(reader);
    }
    readers.sort_by_key(|r| r.meta.shard.index);
    if let Some(pair) = readers
        .windows(2)
        .find(|w| w[0].meta.shard.index == w[1].meta.shard.index)
    {
        return Err(ShardError::Coverage(format!(
            "shard {}/{count} given twice: {} and {}",
            pair[0].meta.shard.index,
            pair[0].dir.display(),
            pair[1].dir.display()
        )));
    }
    if readers.len() as u64 != count as u64 {
        let given: Vec<u32> = readers.iter().map(|r| r.meta.shard.index).collect();
        let shown: Vec<String> = (0..count)
            .filter(|i| given.binary_search(i).is_err())
            .take(10)
            .map(|i| format!("{i}/{count}"))
            .collect();
        let more = (count as u64 - readers.len() as u64).saturating_sub(shown.len() as u64);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        return Err(ShardError::Coverage(format!(
            "missing shard(s): {}{more}",
            shown.join(", ")
        )));
    }
    Ok((plan, readers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_specs_parse_and_partition_the_units() {
        assert_eq!("2/8".parse::<Shard>().unwrap(), Shard { index: 2, count: 8 });
        for bad in ["8/8", "1", "a/2", "0/0", "-1/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        // 20 units in 3 blocks, in order, each unit once, sizes within one.
        let blocks: Vec<Range<u64>> = (0..3).map(|index| Shard { index, count: 3 }.units(20)).collect();
        assert_eq!(blocks, [0..6, 6..13, 13..20]);
        let huge = Shard { index: 4, count: 5 }.units(u64::MAX);
        assert_eq!(huge.end, u64::MAX);
        assert!(
            Shard {
                index: 0,
                count: 4_294_967_295
            }
            .check(16)
            .is_err()
        );
    }

    #[test]
    fn the_index_comes_from_the_array_job_environment() {
        let env = |var: &'static str, value: &'static str| move |v: &str| (v == var).then(|| value.to_string());
        assert_eq!(Shard::from_env(4, env("SLURM_ARRAY_TASK_ID", "3")).unwrap().index, 3);
        assert_eq!(Shard::from_env(4, env("JOB_COMPLETION_INDEX", "1")).unwrap().index, 1);
        assert_eq!(
            Shard::from_env(4, env("AWS_BATCH_JOB_ARRAY_INDEX", "0")).unwrap().index,
            0
        );
        assert!(matches!(
            Shard::from_env(4, env("SLURM_ARRAY_TASK_ID", "4")),
            Err(ShardError::BadIndex { .. })
        ));
        assert!(matches!(Shard::from_env(4, |_| None), Err(ShardError::NoIndex(4))));
    }
}
