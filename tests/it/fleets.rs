//! Checked against published fleets (issue 18): Kokolis et al., "Revisiting
//! Reliability in Large-Scale Machine Learning Research Clusters" (HPCA
//! 2025, arXiv 2410.21680), Meta's RSC-1 with 8-GPU nodes failing at
//! r_f = 6.50 per 1,000 node-days.
//!
//! Two kinds of check, kept apart (docs/VALIDATION.md):
//! - verification: the simulated job MTTF is 1/(nodes × r_f) and a run's
//!   completion time is Daly's, at the paper's parameters (|sim − ref| ≤
//!   4·SE + floor);
//! - comparison with the paper's own figures: its projected MTTFs (1.8 h at
//!   16,384 GPUs, 0.23 h at 131,072) and ETTRs (≈ 0.70 with hourly and ≈ 0.93
//!   with 5-minute checkpoints at 16,384 GPUs; 0.9 at 12,000 GPUs needs
//!   r_f ≈ 1 or a ≈ 10 s checkpoint write), within the 5% its analytic
//!   estimator has against its Monte Carlo. These are another model's
//!   outputs from the same fleet's failure rate, not independent data.

use super::validation::{Estimate, check, estimate, load, run};

/// RSC-1's failure rate, per node per day.
const RSC1_PER_NODE_DAY: f64 = 6.5e-3;
/// GPUs per node on RSC-1.
const NODE_GPUS: u64 = 8;

/// Per-chip MTBF in hours for a node failure rate `per_node_day`.
fn chip_mtbf_hours(per_node_day: f64) -> f64 {
    NODE_GPUS as f64 * 24.0 / per_node_day
}

/// Daly's expected wall time (written out here, not the library's).
fn daly(solve: f64, tau: f64, delta: f64, restart: f64, mtbf: f64) -> f64 {
    mtbf * (restart / mtbf).exp() * (((tau + delta) / mtbf).exp() - 1.0) * solve / tau
}

/// Prints a row and fails unless the simulated mean is within `relative`
/// of the paper's figure (their estimator's tolerance against their Monte
/// Carlo).
fn check_against_paper(case: &str, params: &str, sim: Estimate, paper: f64, relative: f64) {
    let diff = (sim.mean - paper).abs() / paper;
    let pass = diff <= relative;
    eprintln!(
        "VALIDATION | {case} | {params} | {:.4} ± {:.1e} | {paper} (paper) | {:.1}% (allowed {:.0}%) | {}",
        sim.mean,
        sim.se,
        100.0 * diff,
        100.0 * relative,
        if pass { "pass" } else { "FAIL" }
    );
    assert!(pass, "{case}: {} vs the paper's {paper}", sim.mean);
}

#[test]
fn job_mttf_is_one_over_nodes_times_the_node_failure_rate_from_8_to_131072_gpus() {
    // A run that never finishes on a cluster with spare nodes (repairs take
    // a day), counted over a term long enough for hundreds of interruptions.
    for (gpus, term_years, replicas) in [
        (8u64, 100.0, 8u32),
        (1024, 1.0, 8),
        (16_384, 0.1, 8),
        (131_072, 0.02, 8),
    ] {
        let nodes = gpus / NODE_GPUS;
        let cluster = gpus + NODE_GPUS * (8 + nodes / 32);
        let s = load(
            "kokolis.toml",
            &[
                format!("contract.term_years={term_years}"),
                format!("cluster.tranches.0.chips={cluster}"),
                format!("training.runs.0.chips={gpus}"),
                "training.runs.0.duration_days=1e6".into(),
            ],
        );
        let days = s.contract.term.in_units(mortgage_sim::engine::Span::DAY);
        let outs = run(&s, replicas);
        let params = format!("{gpus} GPUs ({nodes} nodes), {days:.1} days, {replicas} replicas");
        // Floor 0: the count is Poisson with mean nodes × r_f × days (the
        // run holds its nodes throughout: a replacement is always at hand).
        check(
            &format!("K1 RSC-1 job failures per day, {gpus} GPUs"),
            &params,
            estimate(outs.iter().map(|o| o.row.training_interruptions as f64 / days)),
            nodes as f64 * RSC1_PER_NODE_DAY,
            4.0,
            0.0,
        );
        let mttf_hours = estimate(
            outs.iter()
                .map(|o| 24.0 * days / o.row.training_interruptions.max(1) as f64),
        );
        // The paper projects 1.8 h at 16,384 GPUs and 0.23 h at 131,072,
        // both 1/(nodes × r_f) rounded to two figures (1.803 h, 0.2254 h);
        // its measured 47.7 days at 8 GPUs and 7.9 h at 1,024 are 3.1 and
        // 3.6 times shorter than that formula and are not tested (see
        // docs/VALIDATION.md).
        let paper = match gpus {
            16_384 => Some(1.8),
            131_072 => Some(0.23),
            _ => None,
        };
        if let Some(paper) = paper {
            check_against_paper(
                &format!("K1 RSC-1 job MTTF (h), {gpus} GPUs, against the paper's projection"),
                &params,
                mttf_hours,
                paper,
                0.05,
            );
        }
    }
}

/// A run of 30 days of compute (720 h) on `gpus` GPUs at `per_node_day`,
/// with interval `tau_hours`, write cost `delta_hours` and a 5-minute
/// restart: checks its mean completion time against Daly and returns its
/// ETTR estimate.
fn ettr_case(label: &str, gpus: u64, per_node_day: f64, tau_hours: f64, delta_hours: f64, replicas: u32) -> Estimate {
    let restart = 5.0 / 60.0;
    let nodes = gpus / NODE_GPUS;
    let s = load(
        "kokolis.toml",
        &[
            format!("cluster.chip_mtbf_hours={}", chip_mtbf_hours(per_node_day)),
            format!("cluster.tranches.0.chips={}", gpus + NODE_GPUS * 64),
            format!("training.runs.0.chips={gpus}"),
            format!("training.checkpoint_interval_hours={tau_hours}"),
            format!("training.checkpoint_cost_hours={delta_hours}"),
            format!("training.restart_overhead_hours={restart}"),
        ],
    );
    let t = s.training.as_ref().expect("training");
    let (tau, delta) = (t.checkpoint_interval.hours(), t.checkpoint_cost.hours());
    let solve = 720.0;
    let mtbf = 24.0 / (nodes as f64 * per_node_day);
    let expected = daly(solve, tau, delta, restart, mtbf);
    let outs = run(&s, replicas);
    for o in &outs {
        assert_eq!(o.row.training_runs_completed, 1, "the run completes within the term");
    }
    let params = format!(
        "{gpus} GPUs, r_f = {:.2}/1,000 node-days (MTTF {mtbf:.3} h), τ = {:.2} min, δ = {:.2} min, R = 5 min, T_s = 720 h, {replicas} replicas",
        per_node_day * 1e3,
        tau * 60.0,
        delta * 60.0
    );
    // Verification: Daly's formula is exact for these semantics when T_s
    // is a multiple of τ (it is, to the second) and a replacement is at
    // hand; floor 0.1% for whole-second rounding of τ and R.
    check(
        &format!("K2 {label}: completion time (h), Daly"),
        &params,
        estimate(
            outs.iter()
                .map(|o| solve + 24.0 * o.row.training_mean_delay_days.expect("completed")),
        ),
        expected,
        4.0,
        1e-3 * expected,
    );
    let ettr = estimate(outs.iter().map(|o| o.training_runs[0].ettr.expect("started")));
    // T_s / E[T_w] differs from E[T_s / T_w] by Jensen's inequality, by
    // about Var(T_w)/E[T_w]² (~1e-4 here): floor 0.002.
    check(
        &format!("K2 {label}: ETTR, T_s / Daly"),
        &params,
        ettr,
        solve / expected,
        4.0,
        0.002,
    );
    ettr
}

#[test]
fn a_16k_gpu_job_has_the_papers_ettr_with_hourly_and_5_minute_checkpoints() {
    let hourly = ettr_case(
        "16,384 GPUs, hourly checkpoints",
        16_384,
        RSC1_PER_NODE_DAY,
        1.0,
        0.0,
        200,
    );
    check_against_paper(
        "K2 16,384 GPUs, hourly checkpoints: ETTR against the paper",
        "R = 5 min, asynchronous (free) checkpoint write",
        hourly,
        0.70,
        0.05,
    );
    let five = ettr_case(
        "16,384 GPUs, 5-minute checkpoints",
        16_384,
        RSC1_PER_NODE_DAY,
        5.0 / 60.0,
        0.0,
        200,
    );
    check_against_paper(
        "K2 16,384 GPUs, 5-minute checkpoints: ETTR against the paper",
        "R = 5 min, asynchronous (free) checkpoint write",
        five,
        0.93,
        0.05,
    );
}

#[test]
fn reaching_ettr_0_9_at_12k_gpus_takes_a_lower_failure_rate_or_a_10_second_write() {
    // The paper: at 12,000 GPUs, ETTR 0.9 needs r_f down from 6.50 to about
    // 1 per 1,000 node-days (with its 5-minute write and restart), or the
    // write down to about 10 s (at 6.50). Both at Young's interval √(2δM).
    let young = |delta: f64, per_node_day: f64| (2.0 * delta * 24.0 / (1_500.0 * per_node_day)).sqrt();
    let (delta, rate) = (5.0 / 60.0, 1.0e-3);
    let low_rate = ettr_case(
        "12,000 GPUs, r_f = 1, 5-minute write, Young's τ",
        12_000,
        rate,
        young(delta, rate),
        delta,
        200,
    );
    check_against_paper(
        "K3 12,000 GPUs, r_f = 1/1,000 node-days: ETTR against the paper's 0.9",
        "δ = R = 5 min, τ = √(2δM)",
        low_rate,
        0.9,
        0.05,
    );
    let delta = 10.0 / 3600.0;
    let fast_write = ettr_case(
        "12,000 GPUs, r_f = 6.5, 10-second write, Young's τ",
        12_000,
        RSC1_PER_NODE_DAY,
        young(delta, RSC1_PER_NODE_DAY),
        delta,
        200,
    );
    check_against_paper(
        "K3 12,000 GPUs, 10-second write: ETTR against the paper's 0.9",
        "r_f = 6.5/1,000 node-days, R = 5 min, τ = √(2δM)",
        fast_write,
        0.9,
        0.05,
    );
}
