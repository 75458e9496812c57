//! Model tests on tiny scenarios whose outcome can be checked by hand.

use super::support::ScenarioToml;
use mortgage_sim::config;
use mortgage_sim::engine::{SimTime, Span};
use mortgage_sim::metrics::Class;
use mortgage_sim::model::{self, Event, World};

/// A one-month term, no natural failures (MTBF of 10^15 hours), one
/// generation and one tranche of `chips` delivered at t = 0 in units of
/// `unit` chips, followed by `rest` (workload sections).
pub(super) fn tiny(chips: u64, unit: u64, rest: &str) -> config::Scenario {
    ScenarioToml {
        term_years: 0.0833333333,
        failure_unit_chips: unit,
        tranches: &[(chips, "g")],
        sections: rest,
        ..ScenarioToml::default()
    }
    .load()
}

pub(super) const HOUR: u64 = Span::HOUR.secs();

/// A 16-chip run of 10 h with τ = 1 h, δ = 0.1 h and R = 0.5 h.
const ONE_TEN_HOUR_RUN: &str = r#"
[training]
checkpoint_interval_hours = 1.0
checkpoint_cost_hours = 0.1
restart_overhead_hours = 0.5
[[training.runs]]
start_month = 0
chips = 16
duration_days = 0.4166666666666667
"#;

#[test]
fn one_failure_costs_the_work_since_the_last_checkpoint_plus_the_restart() {
    // A 16-chip run (one unit) of 10 h, τ = 1 h, δ = 0.1 h, R = 0.5 h, on a
    // cluster of exactly one unit; the unit fails at 2.5 h and is repaired
    // at once. Two checkpoints are complete (2.2 h), 0.3 h of compute is
    // lost, the restart takes 0.5 h, and the remaining 8 h need 8 more
    // checkpoints: finish = 3.0 + 8.8 = 11.8 h instead of 11.0 h.
    let s = tiny(16, 16, ONE_TEN_HOUR_RUN);
    let mut world = World::new(&s, 0, 7);
    world.inject(SimTime(5 * HOUR / 2), Event::ForcedFailure);
    let out = model::outcome(&s, world.run());
    let r = &out.row;
    assert_eq!(r.training_runs_completed, 1);
    assert_eq!(r.training_interruptions, 1);
    assert_eq!(r.unit_failures, 1);
    let delay_hours = r.training_mean_delay_days.expect("a completed run") * 24.0;
    assert!(
        (delay_hours - 1.8).abs() < 1e-9,
        "delay {delay_hours} h, expected 11.8 - 10"
    );
    let cs = out.chip_seconds;
    assert_eq!(cs.training_useful, 16 * 10 * HOUR as u128);
    assert_eq!(cs.training_rework, 16 * 3 * HOUR as u128 / 10);
    // 2 completed checkpoints + 0.5 h restart + 8 checkpoints.
    assert_eq!(cs.training_overhead, 16 * 15 * HOUR as u128 / 10);
    assert_eq!(cs.conservation_error(), 0);
}

#[test]
fn a_failure_during_the_restart_restarts_it() {
    // As above, with a second failure 0.2 h into the restart: the restart
    // begins again, so the run finishes 0.2 h later (no compute is lost).
    let s = tiny(16, 16, ONE_TEN_HOUR_RUN);
    let mut world = World::new(&s, 0, 7);
    world.inject(SimTime(5 * HOUR / 2), Event::ForcedFailure);
    world.inject(SimTime(27 * HOUR / 10), Event::ForcedFailure);
    let out = model::outcome(&s, world.run());
    assert_eq!(out.row.training_interruptions, 2);
    let delay_hours = out.row.training_mean_delay_days.expect("a completed run") * 24.0;
    assert!(
        (delay_hours - 2.0).abs() < 1e-9,
        "delay {delay_hours} h, expected 12.0 - 10"
    );
    assert_eq!(out.chip_seconds.conservation_error(), 0);
}

/// Inference demand `base_demand_chips` × (1 + `diurnal_amplitude`
/// sin(2πt/24h)) chips, stepped hourly, with no noise, growth or failure.
fn deterministic_inference(base_demand_chips: u64, diurnal_amplitude: f64) -> String {
    format!(
        r#"
[inference]
base_demand_chips = {base_demand_chips}
step_hours = 1
noise_sigma = 0
[inference.growth]
drift_per_year = 0
volatility_per_sqrt_year = 0
commercial_failure_probability = 0
failure_decay_per_year = 0
[inference.seasonality]
diurnal_amplitude = {diurnal_amplitude:?}
weekly_amplitude = 0
"#
    )
}

/// Inference demand 2(1 + 0.5 sin(2πt/24h)) chips, stepped hourly, and a
/// research stream with no natural arrivals whose jobs take 2 chips for 3 h.
fn diurnal_inference_and_one_research_job() -> String {
    deterministic_inference(2, 0.5)
        + r#"
[research]
arrivals_per_hour = 0
arrival_growth_per_year = 0
chips = { dist = "fixed", value = 2 }
min_chips = 1
max_chips = 4
duration_hours = { dist = "fixed", value = 3 }
"#
}

#[test]
fn a_research_job_preempted_by_inference_is_requeued_and_finishes_later() {
    // Four 1-chip units. Inference demand is 2(1 + 0.5 sin(2πt/24h)):
    // 2 units at t = 0, 3 units from 1 h, back to 2 units from 13 h. A
    // 2-chip, 3-hour research job arriving at t = 0 starts on the two idle
    // units, is preempted at 1 h when inference grows, waits at the head of
    // the queue, restarts at 13 h and finishes at 16 h.
    let s = tiny(4, 1, &diurnal_inference_and_one_research_job());
    let mut world = World::new(&s, 0, 7);
    world.inject(SimTime::ZERO, Event::ResearchArrives);
    let out = model::outcome(&s, world.run());
    let r = &out.row;
    assert_eq!(
        (
            r.research_jobs_arrived,
            r.research_jobs_completed,
            r.research_preemptions
        ),
        (1, 1, 1)
    );
    // Lost: 2 chips × 1 h before the preemption; useful: 2 chips × 3 h.
    assert_eq!(out.chip_seconds.research_lost, 2 * HOUR as u128);
    assert_eq!(out.chip_seconds.research_useful, 6 * HOUR as u128);
    assert_eq!(out.chip_seconds.conservation_error(), 0);
}

#[test]
fn research_checkpoints_keep_work_across_preemption() {
    // The same job with hourly checkpoints: it is preempted at 1 h, just as
    // its first checkpoint completes, so that hour is kept and nothing is
    // lost; the remaining 2 h run after the restart at 13 h.
    let s = tiny(
        4,
        1,
        &format!(
            "{}checkpoint_interval_hours = 1\n",
            diurnal_inference_and_one_research_job()
        ),
    );
    let mut world = World::new(&s, 0, 7);
    world.inject(SimTime::ZERO, Event::ResearchArrives);
    let out = model::outcome(&s, world.run());
    assert_eq!(out.row.research_preemptions, 1);
    assert_eq!(out.chip_seconds.research_lost, 0);
    // 1 h kept + 2 h after the restart at 13 h.
    assert_eq!(out.chip_seconds.research_useful, 6 * HOUR as u128);
}

#[test]
fn a_late_tranche_counts_as_undelivered_until_it_arrives() {
    // 32 chips planned at month 0 but delivered 0.5 months late.
    let mut s = tiny(32, 16, "");
    let half_month = Span::MONTH.secs() / 2;
    s.cluster.tranches[0].delay = config::TimeDist::fixed(Span(half_month));
    let out = model::outcome(&s, World::new(&s, 0, 1).run());
    let term = s.contract.term.secs();
    assert_eq!(out.chip_seconds.undelivered, 32 * half_month as u128);
    assert_eq!(out.chip_seconds.delivered, 32 * (term - half_month) as u128);
    assert_eq!(out.chip_seconds[Class::Idle], out.chip_seconds.delivered);
}

/// Two generations of 32 chips each, delivered at t = 0: "old" (speed 2,
/// retiring after 3 months) and "new" (speed 1); one-year term, no natural
/// failures; `runs` are `[[training.runs]]` tables.
fn two_generations(runs: &str) -> config::Scenario {
    let training = format!(
        r#"
[training]
checkpoint_interval_hours = 1.0
checkpoint_cost_hours = 0
restart_overhead_hours = 0
{runs}
"#
    );
    ScenarioToml {
        name: "two",
        generations: &[("old", 2.0, Some(0.25)), ("new", 1.0, None)],
        tranches: &[(32, "old"), (32, "new")],
        sections: &training,
        ..ScenarioToml::default()
    }
    .load()
}

#[test]
fn a_run_whose_generation_retires_moves_on_keeping_its_checkpoints() {
    // 7,200 baseline hours (300 days) start on "old" (speed 2). It retires at
    // 2,191.5 h: 2,191 h of compute are checkpointed (= 4,382 baseline
    // hours), 0.5 h is lost, and the remaining 2,818 baseline hours run on
    // "new" at speed 1: finish at 5,009.5 h, 0.5 h later than failure-free.
    let s = two_generations("[[training.runs]]\nstart_month = 0\nchips = 32\nduration_days = 300\n");
    let out = model::outcome(&s, World::new(&s, 0, 3).run());
    let r = &out.row;
    assert_eq!((r.training_runs_started, r.training_runs_completed), (1, 1));
    let delay_hours = r.training_mean_delay_days.expect("completed") * 24.0;
    assert!((delay_hours - 0.5).abs() < 1e-9, "delay {delay_hours} h");
    assert_eq!(out.chip_seconds.training_rework, 32 * HOUR as u128 / 2);
    assert_eq!(out.chip_seconds.conservation_error(), 0);
    // Its training_runs.csv record: completed on "new", uninterrupted (a
    // retirement is no interruption), finishing 0.5 h after its planned
    // finish (failure-free time on both generations).
    assert_eq!(out.training_runs.len(), 1);
    let rec = &out.training_runs[0];
    assert_eq!(
        (
            rec.run,
            rec.chips,
            rec.generation.as_str(),
            rec.outcome.as_str(),
            rec.interruptions
        ),
        (0, 32, "new", "completed", 0)
    );
    let month_hours = Span::MONTH.secs() as f64 / HOUR as f64;
    assert_eq!((rec.ready_month, rec.start_month), (0.0, Some(0.0)));
    let late_hours = (rec.finish_month.expect("finished") - rec.planned_finish_month) * month_hours;
    assert!((late_hours - 0.5).abs() < 1e-6, "late by {late_hours} h");
}

#[test]
fn a_run_no_generation_could_ever_hold_does_not_block_the_queue() {
    // 64 chips cannot fit a 32-chip generation; the 16-chip run behind it
    // must still run.
    let s = two_generations(
        "[[training.runs]]\nstart_month = 0\nchips = 64\nduration_days = 1\n\
         [[training.runs]]\nstart_month = 0.1\nchips = 16\nduration_days = 1\n",
    );
    let out = model::outcome(&s, World::new(&s, 0, 3).run());
    let r = &out.row;
    assert_eq!(r.training_runs_infeasible, 1);
    assert_eq!(r.training_runs_completed, 1);
    let never = &out.training_runs[0];
    assert_eq!(never.outcome.as_str(), "infeasible");
    assert_eq!(
        (never.generation.as_str(), never.start_month, never.finish_month),
        ("", None, None)
    );
    // Planned at baseline speed: 1 day after ready.
    let day = Span::DAY.secs() as f64 / Span::MONTH.secs() as f64;
    assert!((never.planned_finish_month - never.ready_month - day).abs() < 1e-9);
    assert_eq!(out.training_runs[1].outcome.as_str(), "completed");
}

/// Inference wanting 3 of 4 chips all month, and one training run of 2
/// chips for a day, ready at hour 5.
fn inference_and_a_run(policy: &str) -> config::Scenario {
    let training = r#"
[training]
checkpoint_interval_hours = 1
checkpoint_cost_hours = 0
restart_overhead_hours = 0
[[training.runs]]
start_month = 0.00684
chips = 2
duration_days = 1
"#;
    let s = tiny(4, 1, &(deterministic_inference(3, 0.0) + training));
    config::load_str(
        &format!("{}\n", toml::to_string(&s.raw).unwrap()),
        "tiny",
        &[format!("scheduler.policy=\"{policy}\"")],
    )
    .expect("valid")
}

#[test]
fn inference_first_keeps_customers_chips_that_priority_gives_to_training() {
    // Under priority the run takes a chip from inference at hour 5 and
    // inference serves 2 of its 3 for the run's day; under inference_first
    // the run waits for idle chips, and with 1 idle of 4 it never starts.
    let priority = model::simulate(&inference_and_a_run("priority"), 0, 1);
    let first = model::simulate(&inference_and_a_run("inference_first"), 0, 1);
    assert_eq!(priority.row.training_runs_completed, 1);
    assert_eq!(first.row.training_runs_started, 0);
    let unserved = |o: &mortgage_sim::metrics::ReplicaOutcome| o.row.inference_unserved_chip_hours;
    assert!((unserved(&priority) - 24.0).abs() < 1.0, "{}", unserved(&priority));
    assert_eq!(unserved(&first), 0.0);
}
