//! Sharded sweeps: the (point × replica) work of an experiment split
//! deterministically across N independent processes (the tasks of an array
//! job), and the partial results merged back exactly.
//!
//! Work unit `u = point × replicas + replica` belongs to shard `u mod N`, so
//! shards are balanced and every unit has exactly one owner. A shard folder
//! holds `shard.json` (the experiment's resolved points, their hash, the
//! shard's index and its units), `outcomes.jsonl` (one replica outcome per
//! line: its row and time-series steps) and `waits.json` (per point, the
//! wait histograms pooled over the shard's replicas; pooling is exact and
//! order-free, so shards add up to the whole). A replica's
//! result depends only on its scenario and seed, and aggregation only on the
//! rows in replica order, so merged files are byte-identical to a
//! single-machine sweep's.

use crate::config::{self, Scenario};
use crate::folder::{self, FolderError, io_error};
use crate::metrics::{ReplicaOutcome, Waits};
use crate::montecarlo::{self, Progress};
use crate::sweep::GridPoint;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
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

    /// Whether work unit (`point`, `replica`) belongs to this shard.
    pub fn owns(&self, point: usize, replica: u32, replicas: u32) -> bool {
        (point as u64 * replicas as u64 + replica as u64) % self.count as u64 == self.index as u64
    }
}

/// One grid point as a shard records it: enough to rebuild it exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointRecord {
    /// Point id.
    pub id: u64,
    /// Swept (key, value) pairs.
    pub params: Vec<(String, String)>,
    /// The point's resolved scenario as TOML.
    pub resolved_toml: String,
}

/// Format of shard folders written by this build. 2: each replica's time
/// series is per-step values (`metrics::Step`), not cumulative snapshots.
/// 3: chip-second integrals are kept by `metrics::Class`.
pub const SHARD_FORMAT: u32 = 3;

/// `shard.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardMeta {
    /// Format version of shard folders.
    pub format: u32,
    /// mortgage-sim version that wrote it.
    pub version: String,
    /// The experiment's name.
    pub experiment: String,
    /// Where the experiment came from.
    pub source: String,
    /// SHA-256 over the points and replicas: shards merge only if equal.
    pub experiment_hash: String,
    /// Replicas per point.
    pub replicas: u32,
    /// This shard.
    pub shard: Shard,
    /// Every point of the experiment.
    pub points: Vec<PointRecord>,
}

/// The records of an experiment's points and their hash.
pub fn describe(points: &[GridPoint], replicas: u32) -> (Vec<PointRecord>, String) {
    let records: Vec<PointRecord> = points
        .iter()
        .map(|p| PointRecord {
            id: p.id,
            params: p.params.clone(),
            resolved_toml: toml::to_string(&p.scenario.raw).expect("a resolved scenario serializes"),
        })
        .collect();
    let mut hasher = Sha256::new();
    hasher.update(replicas.to_le_bytes());
    hasher.update(serde_json::to_vec(&records).expect("records serialize"));
    let hash = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    (records, hash)
}

/// A line of `outcomes.jsonl` as read.
#[derive(Deserialize)]
struct Line {
    point: usize,
    replica: u32,
    outcome: ReplicaOutcome,
}

/// A line of `outcomes.jsonl` as written (borrowing the outcome).
#[derive(Serialize)]
struct LineRef<'a> {
    point: usize,
    replica: u32,
    outcome: &'a ReplicaOutcome,
}

fn read_err(path: &Path, problem: impl ToString) -> ShardError {
    ShardError::Read {
        path: path.to_path_buf(),
        problem: problem.to_string(),
    }
}

/// One shard's work, done: what its folder holds.
pub struct ShardRun {
    /// `shard.json`.
    pub meta: ShardMeta,
    /// Each work unit's (point, replica) and outcome, in unit order.
    pub outcomes: Vec<(usize, u32, ReplicaOutcome)>,
    /// Per point, the wait histograms pooled over the shard's replicas.
    pub waits: Vec<Waits>,
}

/// Runs the work units of `points` × `replicas` that `shard` owns, in
/// parallel on the current rayon pool.
pub fn run(
    experiment: &str,
    source: &str,
    points: &[GridPoint],
    replicas: u32,
    shard: Shard,
    progress: &dyn Progress,
) -> ShardRun {
    let units: Vec<(usize, u32)> = (0..points.len())
        .flat_map(|p| (0..replicas).map(move |r| (p, r)))
        .filter(|&(p, r)| shard.owns(p, r, replicas))
        .collect();
    let scenarios: Vec<&Scenario> = points.iter().map(|p| &p.scenario).collect();
    let (outcomes, waits) = montecarlo::run_units(&scenarios, units.len() as u64, |i| units[i as usize], progress);
    let (records, hash) = describe(points, replicas);
    ShardRun {
        meta: ShardMeta {
            format: SHARD_FORMAT,
            version: env!("CARGO_PKG_VERSION").into(),
            experiment: experiment.into(),
            source: source.into(),
            experiment_hash: hash,
            replicas,
            shard,
            points: records,
        },
        outcomes: units.iter().zip(outcomes).map(|(&(p, r), o)| (p, r, o)).collect(),
        waits,
    }
}

/// Writes a shard folder atomically (temporary name, renamed at the end).
pub fn write(dir: &Path, force: bool, run: &ShardRun) -> Result<(), FolderError> {
    folder::write_atomically(dir, force, |tmp| {
        let meta_path = tmp.join("shard.json");
        fs::write(
            &meta_path,
            serde_json::to_string_pretty(&run.meta).expect("meta serializes") + "\n",
        )
        .map_err(io_error(&meta_path))?;
        let lines_path = tmp.join("outcomes.jsonl");
        let mut file = std::io::BufWriter::new(fs::File::create(&lines_path).map_err(io_error(&lines_path))?);
        for (point, replica, outcome) in &run.outcomes {
            let line = LineRef {
                point: *point,
                replica: *replica,
                outcome,
            };
            serde_json::to_writer(&mut file, &line)
                .map_err(std::io::Error::from)
                .and_then(|()| file.write_all(b"\n"))
                .map_err(io_error(&lines_path))?;
        }
        file.flush().map_err(io_error(&lines_path))?;
        drop(file);
        let waits_path = tmp.join("waits.json");
        fs::write(&waits_path, serde_json::to_string(&run.waits).expect("waits serialize"))
            .map_err(io_error(&waits_path))
    })
}

/// Merged shards: the experiment's points (rebuilt and re-validated from
/// their resolved configs) and each point's outcomes in replica order.
pub struct Merged {
    /// The first shard's metadata.
    pub meta: ShardMeta,
    /// Grid points.
    pub points: Vec<GridPoint>,
    /// Outcomes per point, in replica order.
    pub outcomes: Vec<Vec<ReplicaOutcome>>,
    /// Wait histograms per point, pooled over all shards.
    pub waits: Vec<Waits>,
}

/// Reads shard folders, checks they come from one experiment and cover
/// every (point, replica) exactly once, and merges them.
pub fn merge(dirs: &[PathBuf]) -> Result<Merged, ShardError> {
    let Some(first_dir) = dirs.first() else {
        return Err(ShardError::Coverage("merge needs at least one shard folder".into()));
    };
    let read_meta = |dir: &Path| -> Result<ShardMeta, ShardError> {
        let path = dir.join("shard.json");
        let text = fs::read_to_string(&path).map_err(|e| read_err(&path, e))?;
        let meta: ShardMeta =
            serde_json::from_str(&text).map_err(|e| read_err(&path, format!("not a shard description: {e}")))?;
        if meta.format != SHARD_FORMAT {
            return Err(read_err(
                &path,
                format!(
                    "shard format {} (written by mortgage-sim {}); this build reads format {SHARD_FORMAT}: \
                     rerun the shard with this build",
                    meta.format, meta.version
                ),
            ));
        }
        Ok(meta)
    };
    let meta = read_meta(first_dir)?;
    let count = meta.shard.count;
    let mut seen: BTreeMap<u32, &PathBuf> = BTreeMap::new();
    let mut slots: Vec<Vec<Option<ReplicaOutcome>>> = vec![vec![None; meta.replicas as usize]; meta.points.len()];
    let mut waits: Vec<Waits> = meta.points.iter().map(|_| Waits::default()).collect();
    for dir in dirs {
        let m = read_meta(dir)?;
        if m.experiment_hash != meta.experiment_hash || m.shard.count != count {
            return Err(ShardError::Mismatch {
                path: dir.clone(),
                found: format!("{} ({} shards)", m.experiment_hash, m.shard.count),
                expected: format!("{} ({count} shards)", meta.experiment_hash),
                first: first_dir.clone(),
            });
        }
        if let Some(other) = seen.insert(m.shard.index, dir) {
            return Err(ShardError::Coverage(format!(
                "shard {}/{count} given twice: {} and {}",
                m.shard.index,
                other.display(),
                dir.display()
            )));
        }
        let waits_path = dir.join("waits.json");
        let text = fs::read_to_string(&waits_path).map_err(|e| read_err(&waits_path, e))?;
        let shard_waits: Vec<Waits> =
            serde_json::from_str(&text).map_err(|e| read_err(&waits_path, format!("not wait histograms: {e}")))?;
        if shard_waits.len() != waits.len() {
            return Err(read_err(
                &waits_path,
                format!("{} points, expected {}", shard_waits.len(), waits.len()),
            ));
        }
        for (total, w) in waits.iter_mut().zip(&shard_waits) {
            total.add(w);
        }
        let path = dir.join("outcomes.jsonl");
        let text = fs::read_to_string(&path).map_err(|e| read_err(&path, e))?;
        for (n, line) in text.lines().enumerate() {
            let l: Line = serde_json::from_str(line).map_err(|e| read_err(&path, format!("line {}: {e}", n + 1)))?;
            let owned =
                l.point < slots.len() && l.replica < meta.replicas && m.shard.owns(l.point, l.replica, meta.replicas);
            if !owned {
                return Err(read_err(
                    &path,
                    format!("line {}: unit ({}, {}) is not this shard's", n + 1, l.point, l.replica),
                ));
            }
            slots[l.point][l.replica as usize] = Some(l.outcome);
        }
    }
    let missing: Vec<String> = (0..count)
        .filter(|i| !seen.contains_key(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(ShardError::Coverage(format!(
            "missing shard(s): {}",
            missing.join(", ")
        )));
    }
    let mut outcomes = Vec::with_capacity(slots.len());
    for (p, replicas) in slots.into_iter().enumerate() {
        let mut point = Vec::with_capacity(replicas.len());
        for (r, o) in replicas.into_iter().enumerate() {
            let shard = (p as u64 * meta.replicas as u64 + r as u64) % count as u64;
            point.push(o.ok_or_else(|| {
                ShardError::Coverage(format!(
                    "shard {shard}/{count} lacks point {p} replica {r} (incomplete shard?)"
                ))
            })?);
        }
        outcomes.push(point);
    }
    let points = meta
        .points
        .iter()
        .map(|rec| {
            let label = format!("{} (point {})", first_dir.join("shard.json").display(), rec.id);
            let scenario: Scenario = config::load_str(&rec.resolved_toml, &label, &[])
                .map_err(|e| read_err(&first_dir.join("shard.json"), e))?;
            Ok(GridPoint {
                id: rec.id,
                params: rec.params.clone(),
                scenario,
            })
        })
        .collect::<Result<Vec<_>, ShardError>>()?;
    Ok(Merged {
        meta,
        points,
        outcomes,
        waits,
    })
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
        let shards: Vec<Shard> = (0..3).map(|index| Shard { index, count: 3 }).collect();
        for p in 0..4 {
            for r in 0..5 {
                assert_eq!(shards.iter().filter(|s| s.owns(p, r, 5)).count(), 1);
            }
        }
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
