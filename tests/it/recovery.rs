//! Training recovery (issue 18), checked by hand on tiny scenarios: hot
//! spares, the time to bring a replacement from the pool, restart and
//! checkpoint costs that grow with a run's size, and each run's effective
//! training time ratio (ETTR).

use super::model::{HOUR, tiny};
use mortgage_sim::engine::SimTime;
use mortgage_sim::model::{self, Event, World};

/// A 16-chip run (one unit) of 10 h with τ = 1 h, δ = 0.1 h, R = 0.5 h, and
/// `extra` training keys.
fn ten_hour_run(extra: &str) -> String {
    format!(
        r#"
[training]
checkpoint_interval_hours = 1.0
checkpoint_cost_hours = 0.1
restart_overhead_hours = 0.5
{extra}
[[training.runs]]
start_month = 0
chips = 16
duration_days = 0.4166666666666667
"#
    )
}

/// Runs `s` with one failure of a uniformly chosen up unit at 2.5 h and
/// returns the outcome of the first replica seed (1, 2, ...) in which the
/// failure `hits_the_run` (interrupts it) or not: the unit it lands on is
/// drawn, so the seed picks the case under test.
fn one_failure_at_2_5_hours(
    s: &mortgage_sim::config::Scenario,
    hits_the_run: bool,
) -> mortgage_sim::metrics::ReplicaOutcome {
    (1..=64)
        .map(|seed| {
            let mut world = World::new(s, 0, seed);
            world.inject(SimTime(5 * HOUR / 2), Event::ForcedFailure);
            model::outcome(s, world.run())
        })
        .find(|o| (o.row.training_interruptions == 1) == hits_the_run)
        .expect("a uniform pick of one of two units lands on each within 64 seeds")
}

fn delay_hours(o: &mortgage_sim::metrics::ReplicaOutcome) -> f64 {
    o.row.training_mean_delay_days.expect("a completed run") * 24.0
}

#[test]
fn a_replacement_from_the_pool_adds_its_time_to_the_restart() {
    // Two units; the run's unit fails at 2.5 h (the other is idle). As in
    // tests/it/model.rs, 0.3 h of compute is lost and the restart is 0.5 h,
    // plus 2 h to bring the idle unit in: finish at 2.5 + 0.5 + 2 + 8.8 =
    // 13.8 h, 3.8 h late.
    let s = tiny(32, 16, &ten_hour_run("replacement_hours = 2"));
    let o = one_failure_at_2_5_hours(&s, true);
    assert!((delay_hours(&o) - 3.8).abs() < 1e-9, "{}", delay_hours(&o));
    assert_eq!(o.chip_seconds.conservation_error(), 0);
    // ETTR: 10 h of compute kept over 13.8 h since the start.
    let ettr = o.training_runs[0].ettr.expect("started");
    assert!((ettr - 10.0 / 13.8).abs() < 1e-12, "{ettr}");
    assert_eq!(o.row.training_ettr, Some(ettr));
}

#[test]
fn a_hot_spare_takes_the_failed_units_place_at_once() {
    // The same run holding one hot spare (fraction 1 of its one unit): the
    // cluster's two units are the run's. A failure of its working unit at
    // 2.5 h swaps the spare in: the restart is 0.5 h with no replacement
    // time, finish at 11.8 h. The failed unit is repaired at once and
    // becomes the new spare. The spare's chip-time is overhead, so the
    // books still balance.
    let s = tiny(32, 16, &ten_hour_run("replacement_hours = 2\nhot_spare_fraction = 1"));
    let o = one_failure_at_2_5_hours(&s, true);
    assert!((delay_hours(&o) - 1.8).abs() < 1e-9, "{}", delay_hours(&o));
    assert_eq!(o.chip_seconds.conservation_error(), 0);
    // Both units are the run's from t = 0 to 11.8 h: 2 × 11.8 h held, of
    // which 10 h useful and 0.3 h rework on the working unit.
    let cs = o.chip_seconds;
    assert_eq!(
        cs[mortgage_sim::metrics::Class::Training],
        2 * 16 * 118 * HOUR as u128 / 10
    );
    assert_eq!(cs.training_useful, 16 * 10 * HOUR as u128);
    assert_eq!(cs.training_rework, 16 * 3 * HOUR as u128 / 10);
}

#[test]
fn a_failed_hot_spare_does_not_interrupt_the_run() {
    // The failure lands on the spare: no interruption, the run
    // finishes on time (10 h + 10 checkpoints of 0.1 h = 11 h, no delay
    // beyond the checkpoints: the delay counts them, 1.0 h).
    let s = tiny(32, 16, &ten_hour_run("hot_spare_fraction = 1"));
    let o = one_failure_at_2_5_hours(&s, false);
    assert_eq!((o.row.unit_failures, o.row.training_interruptions), (1, 0));
    assert!((delay_hours(&o) - 1.0).abs() < 1e-9, "{}", delay_hours(&o));
    assert_eq!(o.chip_seconds.conservation_error(), 0);
    let ettr = o.training_runs[0].ettr.expect("started");
    assert!((ettr - 10.0 / 11.0).abs() < 1e-12, "{ettr}");
}

#[test]
fn restart_and_checkpoint_costs_grow_with_the_run_size() {
    // Costs given for a 16-chip run, growing with exponents 1 (restart) and
    // 0.5 (checkpoint): a 64-chip run pays 4 × 0.5 h = 2 h per restart and
    // √4 × 0.1 h = 0.2 h per checkpoint; the 16-chip run pays the given costs.
    let text = r#"
[training]
checkpoint_interval_hours = 1.0
checkpoint_cost_hours = 0.1
restart_overhead_hours = 0.5
[training.size_scaling]
reference_chips = 16
restart_exponent = 1
checkpoint_exponent = 0.5
[[training.runs]]
start_month = 0
chips = 16
duration_days = 1
[[training.runs]]
start_month = 0
chips = 64
duration_days = 1
"#;
    let s = tiny(128, 16, text);
    let t = s.training.as_ref().expect("training");
    let costs: Vec<(f64, f64)> = t
        .runs
        .iter()
        .map(|r| (r.restart_overhead.hours(), r.checkpoint_cost.hours()))
        .collect();
    assert_eq!(costs, vec![(0.5, 0.1), (2.0, 0.2)]);
    // Failure-free, the 64-chip run of 24 h writes 24 checkpoints of 0.2 h:
    // 4.8 h of delay; the 16-chip run 2.4 h; mean 3.6 h.
    let o = model::outcome(&s, World::new(&s, 0, 1).run());
    assert!((delay_hours(&o) - 3.6).abs() < 1e-9, "{}", delay_hours(&o));
}
