//! Generic discrete-event machinery: simulation time and the event queue.
//!
//! This module knows nothing of clusters, jobs or files. It owns the clock
//! ([`SimTime`], integer seconds) and a priority queue ([`EventQueue`]) that
//! pops events in time order, and events scheduled for the same second in the
//! order they were scheduled — so the order never depends on float rounding,
//! hashing or thread timing.
//!
//! There is no cancellation: a model whose scheduled events can go stale
//! carries a token or epoch in the event payload and ignores stale ones when
//! they pop (see `model::Event`). Removing an arbitrary entry is what a radix
//! heap cannot do cheaply, and the model never needs it.

use std::fmt;

/// An instant of simulation time: whole seconds since the start of the
/// contract term. Durations are [`Span`]s; an instant plus a span is an
/// instant, and the difference of two instants is a span.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct SimTime(pub u64);

/// A duration of simulation time in whole seconds. Configs speak hours,
/// days, months and years; they become spans once, at config load, and
/// back into those units only for output (1 year = 365.25 days, 1 month =
/// 1/12 year).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Span(pub u64);

impl Span {
    /// No time.
    pub const ZERO: Span = Span(0);
    /// One hour.
    pub const HOUR: Span = Span(3_600);
    /// One day.
    pub const DAY: Span = Span(86_400);
    /// One year of 365.25 days (the convention used throughout).
    pub const YEAR: Span = Span(31_557_600);
    /// One month, defined as one twelfth of a year.
    pub const MONTH: Span = Span(Self::YEAR.0 / 12);

    /// Seconds.
    pub const fn secs(self) -> u64 {
        self.0
    }

    /// `amount` of `unit` (e.g. 1.5 hours), rounded to the nearest second;
    /// negative or NaN saturate to zero and overflow to the longest span.
    pub fn of(amount: f64, unit: Span) -> Span {
        Span(seconds_from_f64(amount * unit.0 as f64))
    }

    /// This span in `unit`s (e.g. hours), as a float (for output and
    /// rate formulas).
    pub fn in_units(self, unit: Span) -> f64 {
        self.0 as f64 / unit.0 as f64
    }

    /// Hours, as a float.
    pub fn hours(self) -> f64 {
        self.in_units(Span::HOUR)
    }

    /// Number of whole or partial `step`s in this span (≥ 1 for a non-empty
    /// span; `step` must be non-zero).
    pub fn steps_of(self, step: Span) -> u64 {
        self.0.div_ceil(step.0)
    }
}

impl std::ops::Add for Span {
    type Output = Span;
    fn add(self, other: Span) -> Span {
        Span(self.0.saturating_add(other.0))
    }
}

impl std::ops::Sub for Span {
    type Output = Span;
    /// `self − other`; `other` must not be longer.
    fn sub(self, other: Span) -> Span {
        Span(self.0 - other.0)
    }
}

impl std::ops::Div for Span {
    type Output = u64;
    /// How many whole `other`s fit in `self` (`other` non-zero).
    fn div(self, other: Span) -> u64 {
        self.0 / other.0
    }
}

impl std::ops::Mul<u64> for Span {
    type Output = Span;
    fn mul(self, k: u64) -> Span {
        Span(self.0.saturating_mul(k))
    }
}

impl SimTime {
    /// The start of the simulation.
    pub const ZERO: SimTime = SimTime(0);

    /// Seconds since the start.
    pub const fn secs(self) -> u64 {
        self.0
    }

    /// The instant `offset` after the start.
    pub fn at(offset: Span) -> SimTime {
        SimTime(offset.0)
    }

    /// Time since the start, in `unit`s (e.g. the month of the term).
    pub fn in_units(self, unit: Span) -> f64 {
        self.0 as f64 / unit.0 as f64
    }

    /// Hours since the start, as a float (for output only).
    pub fn as_hours(self) -> f64 {
        self.in_units(Span::HOUR)
    }

    /// `self + span`, saturating at the end of representable time.
    pub fn after(self, span: Span) -> SimTime {
        SimTime(self.0.saturating_add(span.0))
    }

    /// The span from `earlier` to `self` (zero if `earlier` is later).
    pub fn since(self, earlier: SimTime) -> Span {
        Span(self.0.saturating_sub(earlier.0))
    }
}

impl std::ops::Add<Span> for SimTime {
    type Output = SimTime;
    fn add(self, span: Span) -> SimTime {
        self.after(span)
    }
}

impl std::ops::Sub for SimTime {
    type Output = Span;
    /// Saturating: an earlier minus a later instant is zero.
    fn sub(self, earlier: SimTime) -> Span {
        self.since(earlier)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3} h", self.as_hours())
    }
}

/// Rounds a float number of seconds to the nearest whole second, saturating:
/// negative and NaN give 0, overflow gives `u64::MAX`.
pub fn seconds_from_f64(secs: f64) -> u64 {
    if secs.is_nan() || secs <= 0.0 {
        0
    } else if secs >= u64::MAX as f64 {
        u64::MAX
    } else {
        secs.round() as u64
    }
}

/// Derives an independent 64-bit seed from a parent seed and an index, by
/// the SplitMix64 finaliser applied twice (a fixed, portable mixing
/// function). Used for replica seeds (master seed → replica; the grid point
/// is deliberately not mixed in, see `montecarlo`) and for per-component
/// streams, so a seed never depends on thread identity.
pub fn derive_seed(parent: u64, index: u64) -> u64 {
    fn splitmix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    splitmix(splitmix(parent) ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03))
}

/// The radix bucket of an event at `time` when the clock reads `now`: one
/// more than the highest bit where they differ, 0 when equal.
fn bucket_index(time: u32, now: u32) -> usize {
    (u32::BITS - (time ^ now).leading_zeros()) as usize
}

/// The latest time the queue can hold: 2³² − 1 seconds, about 136 years —
/// beyond any contract term (config allows at most 100 years). Events
/// scheduled later are held at the horizon, i.e. after the end of any run.
pub const HORIZON: SimTime = SimTime(u32::MAX as u64);

/// A min-priority queue of events ordered by `(time, insertion order)`, plus
/// the simulation clock, which advances to each popped event's time.
///
/// It is a radix heap (Ahuja, Mehlhorn, Orlin & Tarjan 1990) on the 32-bit
/// time, which works because simulation time never goes backwards: bucket
/// `b` (1 ≤ b ≤ 32) holds the events whose time first differs from `now` at
/// bit `b − 1`, and bucket 0 those at `now`, first-in first-out. Scheduling
/// is O(1); when bucket 0 runs dry, the lowest non-empty bucket is spread
/// over the buckets below it, so an event moves at most 32 times in all,
/// however many are pending. Equal times always share a bucket and every
/// move keeps bucket order, so ties pop in the order scheduled.
///
/// For speed, events are `Copy` and move with their time as one block (the
/// model's events are 12 bytes, 16 with the time), each bucket keeps its
/// earliest time so spreading it is a single pass, and the buckets below the
/// one being spread are borrowed apart from it rather than taken out and put
/// back. BENCHMARKS.md has the figures that chose this layout.
#[derive(Debug)]
pub struct EventQueue<E> {
    /// `buckets[0]` holds the events at `now`, popped from `head` on (it is
    /// cleared once drained); bucket `b ≥ 1` the events whose time first
    /// differs from `now` at bit `b − 1`.
    buckets: [Vec<Filed<E>>; 33],
    /// Index of the next event to pop in `buckets[0]`.
    head: usize,
    /// For `b ≥ 1`, bit `b` is set when `buckets[b]` is non-empty (bit 0 is
    /// not maintained: bucket 0 is tracked by `head`).
    occupied: u64,
    /// For `b ≥ 1`, the earliest time in `buckets[b]` (`u32::MAX` if empty).
    mins: [u32; 33],
    now: u32,
    len: usize,
}

/// An event in a radix bucket with its time. Moved whole, never taken apart
/// and rebuilt, so the copy is a plain block move.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
struct Filed<E> {
    time: u32,
    event: E,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue with the clock at zero.
    pub fn new() -> Self {
        EventQueue {
            buckets: std::array::from_fn(|_| Vec::new()),
            head: 0,
            occupied: 0,
            mins: [u32::MAX; 33],
            now: 0,
            len: 0,
        }
    }

    /// The current simulation time: the time of the last popped event.
    pub fn now(&self) -> SimTime {
        SimTime(self.now.into())
    }

    /// Schedules `event` at `time`. A time in the past is clamped to now, so
    /// the clock never runs backwards; a time beyond [`HORIZON`] is held at
    /// the horizon.
    pub fn schedule(&mut self, time: SimTime, event: E) {
        let time = time.0.clamp(self.now.into(), HORIZON.0) as u32;
        self.len += 1;
        let b = bucket_index(time, self.now);
        self.buckets[b].push(Filed { time, event });
        self.occupied |= 1 << b;
        self.mins[b] = self.mins[b].min(time);
    }

    /// Schedules `event` `delay` from now.
    pub fn schedule_in(&mut self, delay: Span, event: E) {
        self.schedule(self.now().after(delay), event)
    }

    /// Removes and returns the next event, advancing the clock to its time.
    /// Returns `None` when no event is left.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if self.head == self.buckets[0].len() {
            self.buckets[0].clear();
            self.head = 0;
            let later = self.occupied & !1;
            if later == 0 {
                return None;
            }
            let b = later.trailing_zeros() as usize;
            let (lower, upper) = self.buckets.split_at_mut(b);
            let moving = &mut upper[0];
            self.now = self.mins[b];
            self.mins[b] = u32::MAX;
            let mut occupied = self.occupied & !(1 << b);
            for &filed in moving.iter() {
                let to = bucket_index(filed.time, self.now);
                lower[to].push(filed);
                occupied |= 1 << to;
                self.mins[to] = self.mins[to].min(filed.time);
            }
            moving.clear();
            self.occupied = occupied;
        }
        let filed = self.buckets[0][self.head];
        self.head += 1;
        self.len -= 1;
        Some((self.now(), filed.event))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, HashSet};

    #[test]
    fn pops_in_time_order_and_fifo_among_ties() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(10), "b");
        q.schedule(SimTime(5), "a");
        q.schedule(SimTime(10), "c");
        q.schedule(SimTime(10), "d");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![
                (SimTime(5), "a"),
                (SimTime(10), "b"),
                (SimTime(10), "c"),
                (SimTime(10), "d")
            ]
        );
    }

    #[test]
    fn clock_follows_popped_events_and_past_is_clamped() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(100), 1);
        assert_eq!(q.pop(), Some((SimTime(100), 1)));
        assert_eq!(q.now(), SimTime(100));
        q.schedule(SimTime(50), 2);
        assert_eq!(q.pop(), Some((SimTime(100), 2)));
        q.schedule_in(Span(7), 3);
        assert_eq!(q.pop(), Some((SimTime(107), 3)));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn times_beyond_the_horizon_are_held_there() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(u64::MAX), 'z');
        q.schedule(SimTime(HORIZON.0 - 1), 'y');
        assert_eq!(q.pop(), Some((SimTime(HORIZON.0 - 1), 'y')));
        assert_eq!(q.pop(), Some((HORIZON, 'z')));
    }

    #[test]
    fn derived_seeds_are_pinned_and_distinct() {
        // Value stability: these pin the mixing function; changing it changes
        // every replica's random numbers (and the golden files).
        assert_eq!(derive_seed(0, 0), 12_035_550_249_420_947_055);
        assert_eq!(derive_seed(42, 7), 956_014_191_956_182_556);
        assert_ne!(derive_seed(1, 0), derive_seed(0, 1));
        let seeds: HashSet<u64> = (0..10_000).map(|i| derive_seed(42, i)).collect();
        assert_eq!(seeds.len(), 10_000);
    }

    #[test]
    fn unit_conversions() {
        assert_eq!(Span::of(1.5, Span::HOUR), Span(5_400));
        assert_eq!(Span::MONTH * 12, Span::YEAR);
        assert_eq!(Span::YEAR.secs(), (365.25 * 86_400.0) as u64);
        assert_eq!(SimTime(7_200) - SimTime(9_000), Span::ZERO);
        assert_eq!((SimTime(5_400) + Span::HOUR).as_hours(), 2.5);
        assert_eq!(seconds_from_f64(-3.0), 0);
        assert_eq!(seconds_from_f64(f64::NAN), 0);
        assert_eq!(seconds_from_f64(f64::INFINITY), u64::MAX);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Schedule(u64),
        Pop,
    }

    fn op() -> impl Strategy<Value = Op> {
        // Short delays make ties; long ones exercise every radix bucket.
        prop_oneof![
            2 => (0u64..50).prop_map(Op::Schedule),
            1 => (0u64..1 << 33).prop_map(Op::Schedule),
            2 => Just(Op::Pop),
        ]
    }

    proptest! {
        /// The queue behaves exactly like a BTreeMap keyed by (time, insertion order).
        #[test]
        fn matches_btreemap_reference(ops in prop::collection::vec(op(), 0..1000)) {
            let mut q = EventQueue::new();
            let mut reference: BTreeMap<(SimTime, u64), u64> = BTreeMap::new();
            let mut payload = 0u64;
            for op in ops {
                match op {
                    Op::Schedule(delay) => {
                        let t = q.now().after(Span(delay)).min(HORIZON);
                        q.schedule(t, payload);
                        reference.insert((t, payload), payload);
                        payload += 1;
                    }
                    Op::Pop => {
                        let expected = reference.pop_first().map(|((t, _), p)| (t, p));
                        prop_assert_eq!(q.pop(), expected);
                    }
                }
            }
        }
    }
}
