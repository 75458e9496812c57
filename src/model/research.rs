//! Research jobs: many small preemptible jobs, Poisson arrivals (or, in
//! elastic mode, a backlog that never runs dry), FIFO queue, and jobs that
//! give up after waiting too long.
//!
//! Jobs live in a slab (a `Vec` of slots reused through a free list), so a
//! job is addressed by its slot and stale finish events are recognised by
//! a per-slot token. Per generation, running jobs are kept both in a dense
//! list (for picking a uniform victim of a failure) and in start order (for
//! preempting the youngest first, which loses the least work). Jobs start
//! in time order, so the start-order list is a stack that only grows at the
//! end; a stopped job's entry goes stale (its slot token moved on) and is
//! dropped when it reaches the end, or when stale entries outnumber live ones.
//! A preempted job loses its work since its start, or since its last
//! checkpoint when the scenario gives research jobs a checkpoint interval,
//! and goes back to the head of the queue.
//!
//! Jobs that have arrived but never reached the head of the queue are only
//! their arrival times (4 bytes each): the queue is strict FIFO, so nothing
//! looks at a job's size or duration before it is at the head, and they are
//! drawn then, in arrival order, from a stream of their own. The law of the
//! model is unchanged (sizes and durations are i.i.d. and independent of
//! arrivals) while a backlog of millions of jobs — demand that outgrows the
//! cluster — costs megabytes, not the ~80 bytes per job of a full record.
//! A lab's backlog that never runs dry (elastic research without an arrival
//! stream) has no arrival times at all: a job is drawn when the queue needs
//! a head, and its arrival is then.
//!
//! Reneging without an event per job: a job that never started gives up
//! once it has waited its patience. The queue is FIFO, so a job behind the
//! head cannot start before it is the head; whether it gave up meanwhile is
//! decided when it gets there (its deadline has passed: it gave up, at its
//! deadline). Only the head, when it blocks, needs a timer. The one job
//! that never started and has a record is always at the back of the record
//! queue (records are made only when that queue is empty, and preempted jobs
//! go to its front), so it leaves in O(1).

use crate::config::scenario::Gen;
use crate::engine::{SimTime, Span};
use std::collections::VecDeque;

/// One research job.
#[derive(Debug, Clone)]
pub struct Job {
    /// Units the job needs.
    pub units: u64,
    /// Run time left on baseline chips (less than the whole job once a
    /// preempted job kept checkpointed progress).
    pub baseline_work: Span,
    /// Arrival time.
    pub arrived: SimTime,
    /// First start (for the wait histogram).
    pub first_start: Option<SimTime>,
    /// Current start, while running.
    pub started: SimTime,
    /// Generation while running.
    pub generation: Option<Gen>,
    /// Position in its generation's dense running list, while running.
    dense_pos: usize,
    /// When it gives up if it has not started by then (jobs that never
    /// started, with a patience).
    pub deadline: Option<SimTime>,
    /// Whether a timer for its deadline is pending.
    timer_set: bool,
}

/// What is drawn for a job when it reaches the head of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drawn {
    /// Units the job needs.
    pub units: u64,
    /// Run time on baseline chips.
    pub baseline_work: Span,
    /// How long it waits before giving up, if it ever does.
    pub patience: Option<Span>,
}

/// All research jobs of a replica.
#[derive(Debug, Clone, Default)]
pub struct Research {
    slots: Vec<Option<Job>>,
    /// Per-slot token, kept across slot reuse so that a stale event of a
    /// slot's previous job never matches its next one.
    tokens: Vec<u32>,
    free: Vec<u32>,
    /// Waiting jobs with a record (the head, preempted jobs), in queue
    /// order, ahead of all of `unstarted`.
    queue: VecDeque<u32>,
    /// Arrival times (seconds) of the jobs behind them, in arrival order.
    unstarted: VecDeque<u32>,
    running_dense: Vec<Vec<u32>>,
    /// Per generation: (slot, token at start) in start order, with stale entries.
    running_by_start: Vec<Vec<(u32, u32)>>,
    /// True when the backlog never runs dry (elastic research without an
    /// arrival stream).
    never_empty: bool,
    /// Jobs drawn from a backlog that never runs dry (they have no arrival
    /// events to count them).
    backlog_draws: u64,
}

impl Research {
    /// Empty state for `generations` generations; with `never_empty`, the
    /// queue draws a new job whenever it has none waiting.
    pub fn new(generations: usize, never_empty: bool) -> Research {
        Research {
            running_dense: vec![Vec::new(); generations],
            running_by_start: vec![Vec::new(); generations],
            never_empty,
            ..Research::default()
        }
    }

    /// Jobs drawn from a backlog that never runs dry.
    pub fn backlog_draws(&self) -> u64 {
        self.backlog_draws
    }

    /// Adds a job arriving at `now` to the back of the queue.
    pub fn arrive(&mut self, now: SimTime) {
        let now = u32::try_from(now.secs()).expect("simulation time fits 32 bits (terms are at most 100 years)");
        self.unstarted.push_back(now);
    }

    /// The job at the head of the queue at `now`, if any. When the head is
    /// a job that has only an arrival time (or, with a backlog that never
    /// runs dry, no job is waiting), `draw` gives its size, work and
    /// patience and it gets a record and a slot.
    pub fn head(&mut self, now: SimTime, draw: impl FnOnce() -> Drawn) -> Option<u32> {
        if self.queue.is_empty() {
            let arrived = match self.unstarted.pop_front() {
                Some(at) => SimTime(at.into()),
                None if self.never_empty => {
                    self.backlog_draws += 1;
                    now
                }
                None => return None,
            };
            let d = draw();
            let slot = self.insert(Job {
                units: d.units,
                baseline_work: d.baseline_work,
                arrived,
                first_start: None,
                started: SimTime::ZERO,
                generation: None,
                dense_pos: 0,
                deadline: d.patience.map(|p| arrived + p),
                timer_set: false,
            });
            self.queue.push_back(slot);
        }
        self.queue.front().copied()
    }

    /// Whether `slot` holds a job that never started and is still waiting,
    /// as it was when `token` was current (for a patience timer).
    pub fn is_waiting_unstarted(&self, slot: u32, token: u32) -> bool {
        self.tokens.get(slot as usize) == Some(&token)
            && self.slots[slot as usize]
                .as_ref()
                .is_some_and(|j| j.generation.is_none() && j.first_start.is_none())
    }

    /// Whether the job in `slot` never started and its deadline is before `now`.
    pub fn gave_up_by(&self, slot: u32, now: SimTime) -> bool {
        let job = self.job(slot);
        job.first_start.is_none() && job.deadline.is_some_and(|d| d < now)
    }

    /// The deadline for a timer on the blocked head `slot`, once: `None`
    /// if it has no deadline or its timer is already set.
    pub fn arm_timer(&mut self, slot: u32) -> Option<SimTime> {
        let job = self.slots[slot as usize].as_mut().expect("live research slot");
        if job.first_start.is_some() || job.timer_set {
            return None;
        }
        job.timer_set = job.deadline.is_some();
        job.deadline
    }

    /// The job in `slot`, which never started, gives up and leaves the
    /// queue (it is the one record that never started: at the back).
    pub fn give_up(&mut self, slot: u32) {
        debug_assert_eq!(self.queue.back(), Some(&slot), "the unstarted record is at the back");
        self.queue.pop_back();
        self.slots[slot as usize] = None;
        self.tokens[slot as usize] = self.tokens[slot as usize].wrapping_add(1);
        self.free.push(slot);
    }

    /// Takes the head job (from [`Research::head`]) off the queue.
    pub fn pop_head(&mut self) {
        self.queue.pop_front();
    }

    /// Number of waiting jobs.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.queue.len() + self.unstarted.len()
    }

    /// Drops every waiting job (the buyer defaulted).
    pub fn drop_waiting(&mut self) {
        for slot in self.queue.drain(..) {
            self.slots[slot as usize] = None;
            self.tokens[slot as usize] = self.tokens[slot as usize].wrapping_add(1);
            self.free.push(slot);
        }
        self.unstarted.clear();
        self.never_empty = false;
    }

    fn insert(&mut self, job: Job) -> u32 {
        match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(job);
                s
            }
            None => {
                self.slots.push(Some(job));
                self.tokens.push(0);
                (self.slots.len() - 1) as u32
            }
        }
    }

    /// The job in `slot`.
    pub fn job(&self, slot: u32) -> &Job {
        self.slots[slot as usize].as_ref().expect("live research slot")
    }

    /// The slot's current token; finish events carry it.
    pub fn token(&self, slot: u32) -> u32 {
        self.tokens[slot as usize]
    }

    /// Whether a finish event for (`slot`, `token`) is still current.
    pub fn is_current(&self, slot: u32, token: u32) -> bool {
        self.tokens.get(slot as usize) == Some(&token)
            && self.slots[slot as usize]
                .as_ref()
                .is_some_and(|j| j.generation.is_some())
    }

    /// Marks the job in `slot` (already removed from the queue) as running
    /// on `generation` from `now`.
    pub fn start(&mut self, slot: u32, generation: Gen, now: SimTime) {
        let pos = self.running_dense[generation.index()].len();
        let job = self.slots[slot as usize].as_mut().expect("live research slot");
        job.generation = Some(generation);
        job.started = now;
        job.first_start.get_or_insert(now);
        job.dense_pos = pos;
        self.running_dense[generation.index()].push(slot);
        let token = self.tokens[slot as usize];
        let by_start = &mut self.running_by_start[generation.index()];
        by_start.push((slot, token));
        // Amortised O(1): compact when stale entries outnumber live ones.
        if by_start.len() > 64 && by_start.len() > 2 * self.running_dense[generation.index()].len() {
            let (slots, tokens) = (&self.slots, &self.tokens);
            by_start.retain(|&(s, t)| Self::live(slots, tokens, s, t));
        }
    }

    /// Takes a running job off its generation; returns (generation, start).
    fn stop(&mut self, slot: u32) -> (Gen, SimTime) {
        let job = self.slots[slot as usize].as_mut().expect("live research slot");
        let g = job.generation.take().expect("running job");
        let pos = job.dense_pos;
        let started = job.started;
        let dense = &mut self.running_dense[g.index()];
        dense.swap_remove(pos);
        if let Some(&moved) = dense.get(pos) {
            self.slots[moved as usize]
                .as_mut()
                .expect("live research slot")
                .dense_pos = pos;
        }
        (g, started)
    }

    /// A running job completes: frees its slot. Returns its generation and
    /// the job.
    pub fn finish(&mut self, slot: u32) -> (Gen, Job) {
        let (g, _) = self.stop(slot);
        self.tokens[slot as usize] = self.tokens[slot as usize].wrapping_add(1);
        self.free.push(slot);
        (g, self.slots[slot as usize].take().expect("live research slot"))
    }

    /// A running job is preempted: back to the front of the queue.
    /// Returns (generation, units, time it ran since its start).
    pub fn preempt(&mut self, slot: u32, now: SimTime) -> (Gen, u64, Span) {
        let (g, started) = self.stop(slot);
        self.tokens[slot as usize] = self.tokens[slot as usize].wrapping_add(1);
        self.queue.push_front(slot);
        (g, self.job(slot).units, now - started)
    }

    /// Whether a start-order entry (slot, token) is for a job still running.
    fn live(slots: &[Option<Job>], tokens: &[u32], slot: u32, token: u32) -> bool {
        tokens[slot as usize] == token && slots[slot as usize].as_ref().is_some_and(|j| j.generation.is_some())
    }

    /// The most recently started job on `generation`, if any.
    pub fn youngest(&mut self, generation: Gen) -> Option<u32> {
        let by_start = &mut self.running_by_start[generation.index()];
        while let Some(&(slot, token)) = by_start.last() {
            if Self::live(&self.slots, &self.tokens, slot, token) {
                return Some(slot);
            }
            by_start.pop();
        }
        None
    }

    /// Number of jobs running on `generation`.
    pub fn running(&self, generation: Gen) -> usize {
        self.running_dense[generation.index()].len()
    }

    /// A preempted job keeps `done` of baseline work (from its last
    /// checkpoint); at least one second always remains.
    pub fn keep_progress(&mut self, slot: u32, done: Span) {
        let job = self.slots[slot as usize].as_mut().expect("live research slot");
        job.baseline_work = Span(job.baseline_work.secs().saturating_sub(done.secs()).max(1));
    }

    /// The `i`-th running job on `generation` (any fixed order).
    pub fn running_at(&self, generation: Gen, i: usize) -> u32 {
        self.running_dense[generation.index()][i]
    }

    /// All running jobs, for closing the books at the end of the term.
    pub fn all_running(&self) -> impl Iterator<Item = u32> + '_ {
        self.running_dense.iter().flatten().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preempts_youngest_and_requeues_at_front() {
        let mut r = Research::new(1, false);
        for t in [0, 0, 5] {
            r.arrive(SimTime(t));
        }
        assert_eq!(r.waiting(), 3);
        let drawn = |units, secs| Drawn {
            units,
            baseline_work: Span(secs),
            patience: None,
        };
        let mut sizes = [drawn(1, 100), drawn(2, 100), drawn(1, 100)].into_iter();
        let mut started = Vec::new();
        for t in [1, 2] {
            let s = r.head(SimTime(t), || sizes.next().unwrap()).unwrap();
            r.pop_head();
            r.start(s, Gen(0), SimTime(t));
            started.push(s);
        }
        let (a, b) = (started[0], started[1]);
        assert_eq!(r.youngest(Gen(0)), Some(b));
        assert_eq!(r.preempt(b, SimTime(10)), (Gen(0), 2, Span(8)));
        // The preempted job is at the head, ahead of the one never drawn.
        assert_eq!(r.head(SimTime(10), || unreachable!("the head has a record")), Some(b));
        assert_eq!(r.waiting(), 2);
        assert_eq!(r.token(b), 1);
        assert!(!r.is_current(b, 0));
        assert_eq!(r.running(Gen(0)), 1);
        assert_eq!(r.finish(a).1.first_start, Some(SimTime(1)));
        assert_eq!(r.running(Gen(0)), 0);
        // The third job gets its record only once it is at the head; its
        // slot is the one job `a` freed, with a fresh token.
        r.pop_head();
        r.start(b, Gen(0), SimTime(11));
        let c = r.head(SimTime(11), || sizes.next().unwrap()).unwrap();
        assert_eq!((c, r.token(c), r.job(c).arrived, r.job(c).units), (a, 1, SimTime(5), 1));
        r.drop_waiting();
        assert_eq!(r.waiting(), 0);
    }

    #[test]
    fn a_backlog_that_never_runs_dry_draws_a_head_and_unstarted_jobs_give_up() {
        let mut r = Research::new(1, true);
        let job = |patience| Drawn {
            units: 2,
            baseline_work: Span(50),
            patience,
        };
        // No arrivals at all: the head is drawn when asked for, arriving now.
        let a = r.head(SimTime(7), || job(Some(Span(10)))).unwrap();
        assert_eq!((r.job(a).arrived, r.job(a).deadline), (SimTime(7), Some(SimTime(17))));
        assert_eq!(r.backlog_draws(), 1);
        // Asked again, the same head (nothing is drawn).
        assert_eq!(r.head(SimTime(9), || unreachable!("the head exists")), Some(a));
        assert!(!r.gave_up_by(a, SimTime(17)) && r.gave_up_by(a, SimTime(18)));
        // A blocked head gets one timer, for its deadline.
        assert_eq!(r.arm_timer(a), Some(SimTime(17)));
        assert_eq!(r.arm_timer(a), None);
        let token = r.token(a);
        assert!(r.is_waiting_unstarted(a, token));
        r.give_up(a);
        assert!(
            !r.is_waiting_unstarted(a, token),
            "the timer of a job that left is stale"
        );
        assert_eq!(r.waiting(), 0);
        // The next head is a fresh draw in the freed slot.
        let b = r.head(SimTime(20), || job(None)).unwrap();
        assert_eq!((b, r.job(b).deadline, r.backlog_draws()), (a, None, 2));
        assert_eq!(r.arm_timer(b), None, "no patience, no timer");
        // A started job is not waiting any more: its timer goes stale.
        r.pop_head();
        r.start(b, Gen(0), SimTime(20));
        assert!(!r.is_waiting_unstarted(b, r.token(b)));
        r.drop_waiting();
        assert_eq!(r.head(SimTime(30), || unreachable!("no draws after a default")), None);
    }
}
