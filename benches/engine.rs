//! The bare event queue: schedule + pop pairs per second at a steady queue
//! depth (the hold model: pop one event, schedule one at a random later
//! time), with events the size of the model's.
//!
//! Each timed batch starts from a fresh queue, filled to the depth and then
//! run through at least 100,000 hold operations (untimed), so it is in its
//! steady state: its buffers have grown to the sizes the depth needs, as in
//! a long simulation, and the timed batch measures queue work, not their
//! first allocation. Fresh queues keep the clock far below the queue's
//! 136-year horizon: a queue run for billions of operations would pile its
//! events at the horizon and time nothing useful.

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mortgage_sim::engine::{EventQueue, SimTime, Span};
use mortgage_sim::model::Event;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;

/// Delays are uniform on 1 s – 23 days, the span of the model's research
/// jobs and repairs.
const MAX_DELAY: u64 = 2_000_000;

/// Untimed hold operations before each timed batch (at least the depth).
const WARM_UP_PAIRS: u64 = 100_000;

fn hold(q: &mut EventQueue<Event>, rng: &mut Xoshiro256PlusPlus, pairs: u64) {
    for _ in 0..pairs {
        let (t, e) = q.pop().expect("the queue stays at depth");
        black_box(e);
        q.schedule(
            t.after(Span(rng.random_range(1..MAX_DELAY))),
            Event::ResearchFinishes { slot: 1, token: 2 },
        );
    }
}

fn steady_queue(depth: u64, seed: u64) -> (EventQueue<Event>, Xoshiro256PlusPlus) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut q = EventQueue::new();
    for _ in 0..depth {
        q.schedule(SimTime(rng.random_range(0..MAX_DELAY)), Event::Sample);
    }
    hold(&mut q, &mut rng, depth.max(WARM_UP_PAIRS));
    (q, rng)
}

fn engine_hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_hold");
    let batch = 100_000u64;
    group.throughput(Throughput::Elements(batch));
    for depth in [1_000u64, 10_000, 100_000] {
        let mut seed = 0;
        group.bench_function(BenchmarkId::from_parameter(depth), |b| {
            b.iter_batched(
                || {
                    seed += 1;
                    steady_queue(depth, seed)
                },
                |(mut q, mut rng)| {
                    hold(&mut q, &mut rng, batch);
                    q
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, engine_hold);
criterion_main!(benches);
