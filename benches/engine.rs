//! The bare event queue: schedule + pop pairs per second at a steady queue
//! depth (the hold model: pop one event, schedule one at a random later
//! time), with events the size of the model's.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mortgage_sim::engine::{EventQueue, SimTime};
use mortgage_sim::model::Event;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_hold");
    for depth in [1_000u64, 10_000, 100_000] {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut q = EventQueue::with_capacity(depth as usize);
        for _ in 0..depth {
            q.schedule(SimTime(rng.random_range(0..1_000_000)), Event::Sample);
        }
        let batch = 10_000u64;
        group.throughput(Throughput::Elements(batch));
        group.bench_function(BenchmarkId::from_parameter(depth), |b| {
            b.iter(|| {
                for _ in 0..batch {
                    let (t, e) = q.pop().expect("the queue stays at depth");
                    black_box(e);
                    q.schedule(
                        t.after(rng.random_range(1..2_000_000)),
                        Event::ResearchFinishes { slot: 1, token: 2 },
                    );
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
