//! Frontier training runs: gang-scheduled jobs with periodic checkpoints.
//!
//! Semantics (the Young/Daly model): a compute segment runs cycles of τ
//! seconds of compute followed by a δ-second checkpoint (the last cycle's
//! compute may be shorter and still ends with a checkpoint). An interruption
//! loses the compute since the last *completed* checkpoint, then the run
//! pays a restart of R seconds, holding its chips, during which it can fail
//! again. Checkpoints are not events: [`Checkpointing::interrupted`] derives
//! the last completed one from the segment's start.
//!
//! Each run has its own checkpoint and restart costs (they may grow with its
//! size) and may hold hot spares: units beyond its gang that take a failed
//! unit's place at once. Its effective training time ratio (ETTR) is the
//! wall time whose compute it kept over its wall time since it first started.

use crate::config::scenario::Gen;
use crate::engine::{SimTime, Span};

/// Checkpoint parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpointing {
    /// Compute between checkpoints τ (≥ 1 s).
    pub interval: Span,
    /// Checkpoint cost δ.
    pub cost: Span,
    /// Restart overhead R.
    pub restart: Span,
}

/// How the wall time of a segment splits. `useful + rework + overhead` is
/// the segment's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SegmentSplit {
    /// Compute secured by the segment (saved by checkpoints, or done).
    pub useful: Span,
    /// Compute lost to the interruption.
    pub rework: Span,
    /// Checkpoint writing time.
    pub overhead: Span,
}

impl Checkpointing {
    fn chunks(&self, remaining: Span) -> u64 {
        remaining.steps_of(self.interval)
    }

    /// Wall time to finish `remaining` compute with no interruption.
    pub fn segment_length(&self, remaining: Span) -> Span {
        remaining + self.cost * self.chunks(remaining)
    }

    /// Split of a segment that started with `remaining` compute left and was
    /// interrupted after `elapsed` (< its full length).
    pub fn interrupted(&self, remaining: Span, elapsed: Span) -> SegmentSplit {
        let (done, compute_in_cycle, partial) = self.position(remaining, elapsed);
        let rework = partial.min(compute_in_cycle);
        SegmentSplit {
            useful: self.interval * done,
            rework,
            overhead: self.cost * done + (partial - rework),
        }
    }

    /// Split of a segment cut by the end of the term: compute done so far
    /// counts as useful (it is not lost, just unfinished).
    pub fn truncated(&self, remaining: Span, elapsed: Span) -> SegmentSplit {
        let (done, compute_in_cycle, partial) = self.position(remaining, elapsed);
        let compute = partial.min(compute_in_cycle);
        SegmentSplit {
            useful: self.interval * done + compute,
            rework: Span::ZERO,
            overhead: self.cost * done + (partial - compute),
        }
    }

    /// Split of a segment stopped after `elapsed` by a planned outage the
    /// run was warned of: it writes a checkpoint just before, in the last δ
    /// of the compute since its last checkpoint (all of it when shorter),
    /// so nothing is lost. A checkpoint already under way is finished.
    pub fn checkpointed(&self, remaining: Span, elapsed: Span) -> SegmentSplit {
        let (done, compute_in_cycle, partial) = self.position(remaining, elapsed);
        let compute = partial.min(compute_in_cycle);
        let saving = if partial <= compute_in_cycle {
            compute.min(self.cost)
        } else {
            Span::ZERO
        };
        SegmentSplit {
            useful: self.interval * done + compute - saving,
            rework: Span::ZERO,
            overhead: self.cost * done + (partial - compute) + saving,
        }
    }

    /// Split of a segment that completed all `remaining` compute.
    pub fn completed(&self, remaining: Span) -> SegmentSplit {
        SegmentSplit {
            useful: remaining,
            rework: Span::ZERO,
            overhead: self.cost * self.chunks(remaining),
        }
    }

    /// (completed cycles, compute length of the current cycle, time into it).
    fn position(&self, remaining: Span, elapsed: Span) -> (u64, Span, Span) {
        let cycle = self.interval + self.cost;
        let done = (elapsed / cycle).min(self.chunks(remaining).saturating_sub(1));
        let partial = elapsed - cycle * done;
        let compute_in_cycle = (remaining - self.interval * done).min(self.interval);
        (done, compute_in_cycle, partial)
    }
}

/// Daly's (2006) expected wall time of a job with solve time `solve`,
/// checkpoint interval `tau`, checkpoint cost `delta`, restart time `restart`
/// and exponential failures with mean `mtbf` (all in the same unit):
/// T = M·e^{R/M}·(e^{(τ+δ)/M} − 1)·T_s/τ. Exact for this module's semantics
/// when T_s is a multiple of τ and replacements are always available.
pub fn daly_expected_wall_time(solve: f64, tau: f64, delta: f64, restart: f64, mtbf: f64) -> f64 {
    mtbf * (restart / mtbf).exp() * (((tau + delta) / mtbf).exp() - 1.0) * solve / tau
}

/// Young's (1974) optimal checkpoint interval √(2δM).
pub fn young_interval(delta: f64, mtbf: f64) -> f64 {
    (2.0 * delta * mtbf).sqrt()
}

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Not yet ready (its arrival event is pending).
    Planned,
    /// Cancelled before it started.
    Cancelled,
    /// Larger than any generation could ever hold under the policy; never starts.
    Infeasible,
    /// Ready, waiting for a generation with room for the whole gang.
    Queued,
    /// Holding its units, restarting after an interruption.
    Restarting,
    /// Holding its units, computing and checkpointing.
    Computing,
    /// Lost units to failures and waits for replacements, holding the rest.
    WaitingForUnits,
    /// All work done; units released.
    Done,
    /// Stopped because the buyer defaulted; units released.
    Abandoned,
}

/// One frontier training run's state. Amounts of compute are spans of
/// failure-free compute time on the chips named.
#[derive(Debug, Clone)]
pub struct Run {
    /// Units the gang needs.
    pub units: u64,
    /// Compute still to do on baseline chips (all of it until the run
    /// migrates between generations).
    pub baseline_work: Span,
    /// When it became ready.
    pub ready: SimTime,
    /// Generation it runs on, once started.
    pub generation: Option<Gen>,
    /// Generation it ran on last (kept when it migrates back to the queue).
    pub last_generation: Option<Gen>,
    /// Compute to do on its generation (baseline work / speed).
    pub work: Span,
    /// Compute secured by completed checkpoints.
    pub saved: Span,
    /// Compute done on earlier generations (the run migrated when its
    /// generation retired) plus, once done, on the last.
    pub compute_done: Span,
    /// Units currently held: the gang's working units and the hot spares.
    pub held: u64,
    /// Of `held`, the hot spares (idle, standing by).
    pub spares_held: u64,
    /// Hot spares the run keeps when it can.
    pub spares: u64,
    /// Since when `spares_held` has been unchanged (their chip-time is
    /// overhead, booked whenever the count changes).
    pub spares_since: SimTime,
    /// Its checkpoint interval and costs.
    pub checkpointing: Checkpointing,
    /// Wall time of compute it kept (secured by checkpoints or completion,
    /// or computed by the end of the term): the numerator of its ETTR.
    pub useful_time: Span,
    /// Current phase.
    pub phase: Phase,
    /// Start of the current phase.
    pub phase_start: SimTime,
    /// Bumped on every interruption; events carrying an old token are stale.
    pub token: u32,
    /// Interruptions suffered.
    pub interruptions: u32,
    /// First start.
    pub started: Option<SimTime>,
    /// Completion.
    pub finished: Option<SimTime>,
}

impl Run {
    /// A run not yet ready, of `units` with `spares` hot spares.
    pub fn planned(units: u64, spares: u64, baseline_work: Span, ready: SimTime, checkpointing: Checkpointing) -> Run {
        Run {
            units,
            baseline_work,
            ready,
            generation: None,
            last_generation: None,
            work: Span::ZERO,
            saved: Span::ZERO,
            compute_done: Span::ZERO,
            held: 0,
            spares_held: 0,
            spares,
            spares_since: ready,
            checkpointing,
            useful_time: Span::ZERO,
            phase: Phase::Planned,
            phase_start: ready,
            token: 0,
            interruptions: 0,
            started: None,
            finished: None,
        }
    }

    /// Working units of its gang it holds.
    pub fn working(&self) -> u64 {
        self.held - self.spares_held
    }

    /// Units it lacks to resume.
    pub fn missing(&self) -> u64 {
        self.units - self.working()
    }

    /// Hot spares it lacks.
    pub fn spares_missing(&self) -> u64 {
        self.spares - self.spares_held
    }

    /// Whether it holds units now.
    pub fn is_running(&self) -> bool {
        matches!(
            self.phase,
            Phase::Restarting | Phase::Computing | Phase::WaitingForUnits
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CP: Checkpointing = Checkpointing {
        interval: Span(100),
        cost: Span(10),
        restart: Span(30),
    };

    fn split(useful: u64, rework: u64, overhead: u64) -> SegmentSplit {
        SegmentSplit {
            useful: Span(useful),
            rework: Span(rework),
            overhead: Span(overhead),
        }
    }

    #[test]
    fn segment_length_counts_a_checkpoint_per_chunk() {
        assert_eq!(CP.segment_length(Span(250)), Span(250 + 3 * 10));
        assert_eq!(CP.segment_length(Span(200)), Span(200 + 2 * 10));
        assert_eq!(CP.completed(Span(250)), split(250, 0, 30));
    }

    #[test]
    fn interruption_loses_work_since_last_completed_checkpoint() {
        // Two full cycles done (220 s), then 40 s into the third compute.
        assert_eq!(CP.interrupted(Span(1000), Span(260)), split(200, 40, 20));
        // Interrupted mid-checkpoint: the whole chunk is lost, the partial
        // checkpoint time is overhead.
        assert_eq!(CP.interrupted(Span(1000), Span(105)), split(0, 100, 5));
        // The short last chunk.
        assert_eq!(CP.interrupted(Span(250), Span(240)), split(200, 20, 20));
        assert_eq!(CP.interrupted(Span(250), Span(275)), split(200, 50, 25));
    }

    #[test]
    fn a_warned_run_saves_its_compute_less_the_checkpoint_it_writes() {
        // 40 s into the third compute: 30 s kept, the last 10 s wrote the
        // checkpoint; nothing lost.
        assert_eq!(CP.checkpointed(Span(1000), Span(260)), split(230, 0, 30));
        // 4 s in: the checkpoint takes all of it.
        assert_eq!(CP.checkpointed(Span(1000), Span(224)), split(200, 0, 24));
        // Mid-checkpoint: it is finished, the chunk kept.
        assert_eq!(CP.checkpointed(Span(1000), Span(105)), split(100, 0, 5));
    }

    #[test]
    fn splits_always_add_up_to_elapsed() {
        for remaining in [1, 99, 100, 101, 250, 1000].map(Span) {
            for elapsed in (0..CP.segment_length(remaining).secs()).map(Span) {
                for s in [
                    CP.interrupted(remaining, elapsed),
                    CP.truncated(remaining, elapsed),
                    CP.checkpointed(remaining, elapsed),
                ] {
                    assert_eq!(s.useful + s.rework + s.overhead, elapsed, "{remaining:?} {elapsed:?}");
                    assert!(s.useful <= remaining);
                }
            }
        }
    }
}
