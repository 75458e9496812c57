//! Whole replicas: the baseline (5-year term, 1.5M chips), a 15-year term,
//! a research-only queueing scenario, and scaling in chip count with job
//! counts scaled to match. Each reports time per replica; events per
//! second are printed once per scenario (from the replica's event count);
//! the chip-count scaling cases run replicas for 20 s each and print time
//! per event.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use mortgage_sim::config::{self, Scenario};
use mortgage_sim::{model, montecarlo};
use std::time::Instant;

fn scenario(file: Option<&str>, overrides: &[String]) -> Scenario {
    match file {
        None => config::load_baseline(overrides),
        Some(f) => config::load_file(std::path::Path::new(f), overrides),
    }
    .expect("bench scenario is valid")
}

fn report_rate(name: &str, s: &Scenario) {
    let start = Instant::now();
    let out = model::simulate(s, 0, 1);
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{name}: {} events in {secs:.3} s = {:.2}M events/s",
        out.row.events,
        out.row.events as f64 / secs / 1e6
    );
}

fn replicas(c: &mut Criterion) {
    let mut group = c.benchmark_group("replica");
    group.sample_size(10);
    let cases: Vec<(String, Scenario)> = vec![
        ("baseline".into(), scenario(None, &[])),
        ("fifteen_year".into(), scenario(Some("configs/fifteen_year.toml"), &[])),
        (
            "queueing_64_chips_rho_0.8".into(),
            scenario(Some("benches/queueing.toml"), &[]),
        ),
    ];
    for (name, s) in &cases {
        report_rate(name, s);
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| model::simulate(s, 0, 1))
        });
    }
    group.finish();

    // Chip-count scaling: the baseline with every chip figure multiplied by
    // k and the job arrival rate too, so events per chip stay the same
    // order; time per event should stay flat. Each case runs replicas 0, 1,
    // 2, … until at least 20 s have passed (so the 15k-chip case, ~10 ms a
    // replica, is timed over a thousand replicas, and the 15M-chip case
    // over one), and reports time per event over all of them.
    for k in [0.01, 0.1, 1.0, 10.0] {
        let chips = |x: f64| format!("{}", ((x * k / 16.0).round() as u64).max(1) * 16);
        let s = scenario(
            None,
            &[
                format!("cluster.tranches.0.chips={}", chips(1_000_000.0)),
                format!("cluster.tranches.1.chips={}", chips(500_000.0)),
                format!("training.generator.initial_chips={}", chips(100_000.0)),
                format!("training.generator.max_chips={}", chips(300_000.0)),
                format!("inference.base_demand_chips={}", 250_000.0 * k),
                format!("research.arrivals_per_hour={}", 40.0 * k),
            ],
        );
        let (mut events, mut replicas) = (0u64, 0u64);
        let start = Instant::now();
        while start.elapsed().as_secs_f64() < 20.0 {
            let r = replicas as u32;
            events += model::simulate(&s, r, montecarlo::replica_seed(s.seed, r)).row.events;
            replicas += 1;
        }
        let secs = start.elapsed().as_secs_f64();
        eprintln!(
            "{}_chips: {replicas} replicas, {:.0} events each, {:.1} ns per event = {:.2}M events/s",
            (1.5e6 * k) as u64,
            events as f64 / replicas as f64,
            secs * 1e9 / events as f64,
            events as f64 / secs / 1e6
        );
    }
}

criterion_group!(benches, replicas);
criterion_main!(benches);
