//! Frontier training runs in the world: queueing, gang starts on the
//! fastest generation with room, checkpointed compute segments, interruption
//! by failures (a hot spare takes the failed unit's place at once; without
//! one a replacement comes from the pool), migration off a retiring
//! generation and completion. The runs' own state and checkpoint arithmetic
//! live in `model::training`.

use super::*;

/// How a run's phase ends, for its book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PhaseEnd {
    /// By a failure: compute since the last checkpoint is lost.
    Interrupted,
    /// By planned maintenance the run was warned of: it saves a checkpoint
    /// just before and loses nothing.
    Checkpointed,
    /// It goes on (into another phase, or the term ends): compute counts.
    Continues,
}

impl World<'_> {
    pub(super) fn resume_waiting_runs(&mut self, now: SimTime) {
        let mut i = 0;
        while i < self.training.waiting.len() {
            let r = self.training.waiting[i];
            let g = self.training[r].generation.expect("waiting run has a generation");
            let missing = self.training[r].missing();
            let limit = self.policy.training(&self.cluster[g]);
            if self.claimable(g, limit, self.cluster[g][Class::Training]) >= missing {
                self.training.waiting.remove(i);
                self.close_phase(now, r, false);
                self.give_training_units(now, g, r, missing, limit);
                self.begin_restart(now, r, true);
            } else {
                i += 1;
            }
        }
    }

    pub(super) fn give_training_units(&mut self, now: SimTime, g: Gen, r: RunId, n: u64, limit: Limit) {
        let got = self.free_up(now, g, n, limit);
        debug_assert_eq!(got, n);
        self.cluster[g].transfer(Class::Idle, Class::Training, got);
        self.training[r].held += got;
    }

    /// Books the chip-time of run `r`'s hot spares up to `now` as overhead
    /// (call before their count changes).
    pub(super) fn settle_spares(&mut self, now: SimTime, r: RunId) {
        let chips = self.chips(self.training[r].spares_held);
        let run = &mut self.training[r];
        self.books.totals.training_overhead += chip_seconds(chips, now - run.spares_since);
        run.spares_since = now;
    }

    /// Runs short of hot spares take them as the policy allows (idle units
    /// first, as for their gang); a run that gets none stays on the list.
    pub(super) fn top_up_spares(&mut self, now: SimTime) {
        let mut i = 0;
        while i < self.training.short_of_spares.len() {
            let r = self.training.short_of_spares[i];
            let run = &self.training[r];
            let (Some(g), true) = (
                run.generation,
                matches!(run.phase, Phase::Computing | Phase::Restarting),
            ) else {
                // Not running (waiting for its gang, done, migrated): it
                // asks again when it restarts.
                self.training.short_of_spares.swap_remove(i);
                continue;
            };
            let limit = self.policy.training(&self.cluster[g]);
            let k = run
                .spares_missing()
                .min(self.claimable(g, limit, self.cluster[g][Class::Training]));
            if k > 0 {
                self.settle_spares(now, r);
                self.give_training_units(now, g, r, k, limit);
                self.training[r].spares_held += k;
            }
            if self.training[r].spares_missing() == 0 {
                self.training.short_of_spares.swap_remove(i);
            } else {
                i += 1;
            }
        }
    }

    /// Puts run `r` on the list of runs wanting spares, if it does.
    fn want_spares(&mut self, r: RunId) {
        if self.training[r].spares_missing() > 0 && !self.training.short_of_spares.contains(&r) {
            self.training.short_of_spares.push(r);
        }
    }

    /// Whether a gang of `units` could start on some generation if every
    /// tranche of it were delivered, up and idle (under the policy's limit).
    /// A run that never could is set aside instead of blocking the queue.
    pub(super) fn could_ever_start(&self, units: u64) -> bool {
        let cl = &self.scenario.cluster;
        Gen::all(cl.generations.len()).any(|g| {
            let pool = Pool::with([0, 0, 0, 0, 0, cl.generation_units(g)]);
            policy::reachable(&pool, self.policy.training(&pool), 0) >= units
        })
    }

    /// Starts queued runs in FIFO order, each on the fastest generation
    /// whose policy limit has room for the whole gang. Hot spares come with
    /// it when there is room for them too, else later.
    pub(super) fn start_queued_runs(&mut self, now: SimTime) {
        while let Some(&r) = self.training.queue.front() {
            let units = self.training[r].units;
            let fits = self.cluster.fastest_first.iter().copied().find(|&g| {
                let limit = self.policy.training(&self.cluster[g]);
                self.claimable(g, limit, self.cluster[g][Class::Training]) >= units
            });
            let Some(g) = fits else { break };
            self.training.queue.pop_front();
            let limit = self.policy.training(&self.cluster[g]);
            self.give_training_units(now, g, r, units, limit);
            let speed = self.cluster.speed(g);
            let training = &mut self.training;
            let run = &mut training.runs[r.index()];
            run.generation = Some(g);
            run.last_generation = Some(g);
            run.spares_since = now;
            run.work = Span(((run.baseline_work.secs() as f64 / speed).ceil() as u64).max(1));
            if run.started.is_none() {
                run.started = Some(now);
                metrics::record_wait(&mut training.waits, now - run.ready);
            }
            self.begin_computing(now, r);
            self.want_spares(r);
        }
    }

    /// Run `r` restarts: R, plus the time to bring a replacement unit in
    /// when one came `from_pool` (a hot spare needs none).
    pub(super) fn begin_restart(&mut self, now: SimTime, r: RunId, from_pool: bool) {
        let replacement = if from_pool {
            self.training.replacement
        } else {
            Span::ZERO
        };
        let run = &mut self.training[r];
        run.phase = Phase::Restarting;
        run.phase_start = now;
        let token = run.token;
        self.queue.schedule_in(
            run.checkpointing.restart + replacement,
            Event::TrainingPhaseEnds { run: r, token },
        );
    }

    pub(super) fn begin_computing(&mut self, now: SimTime, r: RunId) {
        self.close_phase(now, r, false);
        let run = &mut self.training[r];
        run.phase = Phase::Computing;
        run.phase_start = now;
        let length = run.checkpointing.segment_length(run.work - run.saved);
        let token = run.token;
        self.queue
            .schedule_in(length, Event::TrainingPhaseEnds { run: r, token });
    }

    /// Adds the run's current phase, up to `now`, to the class book (its
    /// working units' split, its spares' overhead). `interrupted` says
    /// whether a compute segment ends by failure (its unsaved work is
    /// rework) or otherwise (the term ends: work counts).
    pub(super) fn close_phase(&mut self, now: SimTime, r: RunId, interrupted: bool) {
        let end = if interrupted {
            PhaseEnd::Interrupted
        } else {
            PhaseEnd::Continues
        };
        self.end_phase(now, r, end);
    }

    /// [`World::close_phase`], for any way a phase ends.
    pub(super) fn end_phase(&mut self, now: SimTime, r: RunId, end: PhaseEnd) {
        self.settle_spares(now, r);
        let chips = self.chips(self.training[r].working());
        let run = &mut self.training[r];
        let cp = run.checkpointing;
        let elapsed = now - run.phase_start;
        let split = match run.phase {
            Phase::Computing => match end {
                PhaseEnd::Interrupted => cp.interrupted(run.work - run.saved, elapsed),
                PhaseEnd::Checkpointed => cp.checkpointed(run.work - run.saved, elapsed),
                PhaseEnd::Continues => cp.truncated(run.work - run.saved, elapsed),
            },
            Phase::Restarting | Phase::WaitingForUnits => SegmentSplit {
                overhead: elapsed,
                ..SegmentSplit::default()
            },
            _ => SegmentSplit::default(),
        };
        if end != PhaseEnd::Continues {
            run.saved = run.saved + split.useful;
        }
        run.useful_time = run.useful_time + split.useful;
        run.phase_start = now;
        let t = &mut self.books.totals;
        t.training_useful += chip_seconds(chips, split.useful);
        t.training_rework += chip_seconds(chips, split.rework);
        t.training_overhead += chip_seconds(chips, split.overhead);
    }

    /// `lost` working units of run `r` fail at once: the run rolls back to
    /// its last checkpoint; its hot spares take their places and it
    /// restarts at once, or replacements come from the pool (the restart
    /// then includes bringing them in), or it waits for them holding the
    /// rest.
    pub(super) fn interrupt_run(&mut self, now: SimTime, r: RunId, lost: u64) {
        self.close_phase(now, r, true);
        self.replace_lost_units(now, r, lost);
    }

    /// `lost` working units of run `r`, whose phase is closed, go down and
    /// it restarts (see [`World::interrupt_run`]).
    pub(super) fn replace_lost_units(&mut self, now: SimTime, r: RunId, lost: u64) {
        let g = self.training[r].generation.expect("running run has a generation");
        self.cluster[g].transfer(Class::Training, Class::Down, lost);
        let run = &mut self.training[r];
        run.held -= lost;
        let swapped = run.spares_held.min(lost);
        run.spares_held -= swapped;
        run.token = run.token.wrapping_add(1);
        run.interruptions += 1;
        let missing = run.missing();
        let limit = self.policy.training(&self.cluster[g]);
        if self.training[r].phase == Phase::WaitingForUnits {
            // Still waiting: nothing to restart.
        } else if missing == 0 {
            self.begin_restart(now, r, false);
        } else if self.claimable(g, limit, self.cluster[g][Class::Training]) >= missing {
            self.give_training_units(now, g, r, missing, limit);
            self.begin_restart(now, r, true);
        } else {
            self.training[r].phase = Phase::WaitingForUnits;
            self.training.waiting.push(r);
        }
        self.want_spares(r);
    }

    /// `n` hot spares of run `r` fail: the run goes on, `n` spares short.
    pub(super) fn lose_spares(&mut self, now: SimTime, r: RunId, n: u64) {
        self.settle_spares(now, r);
        let g = self.training[r].generation.expect("running run has a generation");
        self.cluster[g].transfer(Class::Training, Class::Down, n);
        let run = &mut self.training[r];
        run.held -= n;
        run.spares_held -= n;
        self.want_spares(r);
    }

    /// Run `r`'s generation retires under it: up to `retiring` of its units
    /// (spares included) leave the cluster, the rest go idle, and the run —
    /// rolled back to its last checkpoint — returns to the head of the
    /// training queue to start again on whichever generation has room,
    /// keeping its checkpointed progress (converted to baseline work).
    /// Returns the units retired.
    pub(super) fn migrate_run(&mut self, now: SimTime, r: RunId, retiring: u64) -> u64 {
        self.close_phase(now, r, true);
        let g = self.training[r].generation.expect("running run has a generation");
        let speed = self.cluster.speed(g);
        let run = &mut self.training[r];
        let retired = retiring.min(run.held);
        let pool = &mut self.cluster[g];
        pool.transfer(Class::Training, Class::Idle, run.held - retired);
        pool.retire(Class::Training, retired);
        run.held = 0;
        run.spares_held = 0;
        run.compute_done = run.compute_done + run.saved;
        run.baseline_work = Span(((run.work - run.saved).secs() as f64 * speed).ceil() as u64);
        run.work = Span::ZERO;
        run.saved = Span::ZERO;
        run.generation = None;
        run.phase = Phase::Queued;
        run.token = run.token.wrapping_add(1);
        self.training.waiting.retain(|&w| w != r);
        self.training.queue.push_front(r);
        retired
    }

    pub(super) fn complete_run(&mut self, now: SimTime, r: RunId) {
        self.settle_spares(now, r);
        let chips = self.chips(self.training[r].working());
        let run = &mut self.training[r];
        let cp = run.checkpointing;
        let split = cp.completed(run.work - run.saved);
        debug_assert_eq!(now - run.phase_start, cp.segment_length(run.work - run.saved));
        run.useful_time = run.useful_time + split.useful;
        run.saved = run.work;
        run.compute_done = run.compute_done + run.work;
        run.phase = Phase::Done;
        run.finished = Some(now);
        let (g, held) = (run.generation.expect("running run"), run.held);
        run.held = 0;
        run.spares_held = 0;
        let t = &mut self.books.totals;
        t.training_useful += chip_seconds(chips, split.useful);
        t.training_overhead += chip_seconds(chips, split.overhead);
        self.cluster[g].transfer(Class::Training, Class::Idle, held);
        let jump = self.demand_jump();
        let detail = match jump {
            Some(f) => format!("run {} ({chips} chips); demand x{f:.3}", r.index()),
            None => format!("run {} ({chips} chips)", r.index()),
        };
        self.story
            .push(ReplicaEvent::at(now, EventKind::TrainingRunCompleted, None, detail));
        self.dispatch(now);
    }

    /// When a run completes, demand steps up by (1 + jump) × lognormal
    /// noise of mean 1, if the scenario says so; returns the factor.
    fn demand_jump(&mut self) -> Option<f64> {
        let spec = self.scenario.inference.as_ref()?;
        let path = self.inference.path.as_mut()?;
        path.completed_run(spec, &mut self.streams.demand_jumps)
    }
}
