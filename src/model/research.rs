//! Research jobs: many small preemptible jobs, Poisson arrivals, FIFO queue.
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

use std::collections::VecDeque;

/// One research job.
#[derive(Debug, Clone)]
pub struct Job {
    /// Units the job needs.
    pub units: u64,
    /// Run time left on baseline chips, seconds (less than the whole job
    /// once a preempted job kept checkpointed progress).
    pub baseline_work: u64,
    /// Arrival time.
    pub arrived: u64,
    /// First start (for the wait histogram).
    pub first_start: Option<u64>,
    /// Current start, while running.
    pub started: u64,
    /// Generation while running.
    pub generation: Option<usize>,
    /// Position in its generation's dense running list, while running.
    dense_pos: usize,
}

/// All research jobs of a replica.
#[derive(Debug, Clone, Default)]
pub struct Research {
    slots: Vec<Option<Job>>,
    /// Per-slot token, kept across slot reuse so that a stale event of a
    /// slot's previous job never matches its next one.
    tokens: Vec<u32>,
    free: Vec<u32>,
    /// Waiting jobs, FIFO (preempted jobs return to the front).
    pub queue: VecDeque<u32>,
    running_dense: Vec<Vec<u32>>,
    /// Per generation: (slot, token at start) in start order, with stale entries.
    running_by_start: Vec<Vec<(u32, u32)>>,
}

impl Research {
    /// Empty state for `generations` generations.
    pub fn new(generations: usize) -> Research {
        Research {
            running_dense: vec![Vec::new(); generations],
            running_by_start: vec![Vec::new(); generations],
            ..Research::default()
        }
    }

    /// Adds an arriving job to the back of the queue; returns its slot.
    pub fn arrive(&mut self, units: u64, baseline_work: u64, now: u64) -> u32 {
        let job = Job {
            units,
            baseline_work,
            arrived: now,
            first_start: None,
            started: now,
            generation: None,
            dense_pos: 0,
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(job);
                s
            }
            None => {
                self.slots.push(Some(job));
                self.tokens.push(0);
                (self.slots.len() - 1) as u32
            }
        };
        self.queue.push_back(slot);
        slot
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
    pub fn start(&mut self, slot: u32, generation: usize, now: u64) {
        let pos = self.running_dense[generation].len();
        let job = self.slots[slot as usize].as_mut().expect("live research slot");
        job.generation = Some(generation);
        job.started = now;
        job.first_start.get_or_insert(now);
        job.dense_pos = pos;
        self.running_dense[generation].push(slot);
        let token = self.tokens[slot as usize];
        let by_start = &mut self.running_by_start[generation];
        by_start.push((slot, token));
        // Amortised O(1): compact when stale entries outnumber live ones.
        if by_start.len() > 64 && by_start.len() > 2 * self.running_dense[generation].len() {
            let (slots, tokens) = (&self.slots, &self.tokens);
            by_start.retain(|&(s, t)| Self::live(slots, tokens, s, t));
        }
    }

    /// Takes a running job off its generation; returns (generation, start).
    fn stop(&mut self, slot: u32) -> (usize, u64) {
        let job = self.slots[slot as usize].as_mut().expect("live research slot");
        let g = job.generation.take().expect("running job");
        let pos = job.dense_pos;
        let started = job.started;
        let dense = &mut self.running_dense[g];
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
    pub fn finish(&mut self, slot: u32) -> (usize, Job) {
        let (g, _) = self.stop(slot);
        self.tokens[slot as usize] = self.tokens[slot as usize].wrapping_add(1);
        self.free.push(slot);
        (g, self.slots[slot as usize].take().expect("live research slot"))
    }

    /// A running job is preempted: back to the front of the queue.
    /// Returns (generation, units, seconds of work lost).
    pub fn preempt(&mut self, slot: u32, now: u64) -> (usize, u64, u64) {
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
    pub fn youngest(&mut self, generation: usize) -> Option<u32> {
        let by_start = &mut self.running_by_start[generation];
        while let Some(&(slot, token)) = by_start.last() {
            if Self::live(&self.slots, &self.tokens, slot, token) {
                return Some(slot);
            }
            by_start.pop();
        }
        None
    }

    /// Number of jobs running on `generation`.
    pub fn running(&self, generation: usize) -> usize {
        self.running_dense[generation].len()
    }

    /// A preempted job keeps `done` seconds of baseline work (from its
    /// last checkpoint); at least one second always remains.
    pub fn keep_progress(&mut self, slot: u32, done: u64) {
        let job = self.slots[slot as usize].as_mut().expect("live research slot");
        job.baseline_work = job.baseline_work.saturating_sub(done).max(1);
    }

    /// The `i`-th running job on `generation` (any fixed order).
    pub fn running_at(&self, generation: usize, i: usize) -> u32 {
        self.running_dense[generation][i]
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
        let mut r = Research::new(1);
        let a = r.arrive(1, 100, 0);
        let b = r.arrive(2, 100, 0);
        let c = r.arrive(1, 100, 5);
        for (s, t) in [(a, 1), (b, 2)] {
            assert_eq!(r.queue.pop_front(), Some(s));
            r.start(s, 0, t);
        }
        assert_eq!(r.youngest(0), Some(b));
        assert_eq!(r.preempt(b, 10), (0, 2, 8));
        assert_eq!(r.queue.iter().copied().collect::<Vec<_>>(), vec![b, c]);
        assert_eq!(r.token(b), 1);
        assert!(!r.is_current(b, 0));
        assert_eq!(r.running(0), 1);
        assert_eq!(r.finish(a).1.first_start, Some(1));
        assert_eq!(r.running(0), 0);
        // The freed slot is reused, with a fresh token.
        assert_eq!(r.arrive(1, 1, 20), a);
        assert_eq!(r.token(a), 1);
    }
}
