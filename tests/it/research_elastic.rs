//! Elastic research (issue 18): a lab's backlog capped by headcount, and
//! jobs that give up waiting. Verification against closed forms:
//!
//! - a backlog that never runs dry keeps every up unit busy that its cap
//!   allows, so utilization is 1 − down fraction (exactly, with one-unit
//!   jobs; within a bound set by head-of-line blocking with larger jobs);
//! - with a Poisson stream, the headcount cap as the servers and an
//!   exponential patience, the queue is Erlang A (M/M/c+M), and the fraction
//!   of jobs that give up and the busy servers match its stationary law.
//!
//! Tolerances follow tests/it/validation.rs: |sim − reference| ≤ 4·SE +
//! floor, the floor stated beside each check.

use super::support::ScenarioToml;
use super::validation::{check, check_exact, estimate, load, run};
use mortgage_sim::config;

/// Erlang A (M/M/c+M) from its birth-death chain: state k has birth rate λ
/// and death rate min(k, c)·μ + max(k − c, 0)·θ. Returns (P(give up),
/// E[busy servers]), P(give up) = θ·E[queue] / λ.
fn erlang_a(c: u32, lambda: f64, mu: f64, theta: f64) -> (f64, f64) {
    let (mut w, mut total, mut busy, mut queue) = (1.0_f64, 0.0, 0.0, 0.0);
    for k in 0..=c {
        if k > 0 {
            w *= lambda / (k as f64 * mu);
        }
        total += w;
        busy += k as f64 * w;
    }
    let mut j = 0u32;
    loop {
        j += 1;
        w *= lambda / (c as f64 * mu + j as f64 * theta);
        total += w;
        busy += c as f64 * w;
        queue += j as f64 * w;
        if w < 1e-18 * total {
            break;
        }
    }
    let (busy, queue) = (busy / total, queue / total);
    let p_abandon = theta * queue / lambda;
    // Flow balance: what does not give up is served, λ(1 − P) = μ·E[busy].
    assert!(
        (p_abandon - (1.0 - mu * busy / lambda)).abs() < 1e-9,
        "Erlang A bookkeeping: {p_abandon} vs {}",
        1.0 - mu * busy / lambda
    );
    (p_abandon, busy)
}

#[test]
fn erlang_a_reference_has_its_known_limits() {
    // θ → 0 is Erlang C's M/M/c (stable below a = c): nobody gives up and
    // the busy servers are a = λ/μ; a huge θ is Erlang B's loss system,
    // where the blocked fraction is B(c, a).
    let (p, busy) = erlang_a(32, 2.24, 0.1, 1e-9);
    assert!(p < 1e-6 && (busy - 22.4).abs() < 1e-4, "{p} {busy}");
    let (p, _) = erlang_a(4, 3.0, 1.0, 1e9);
    // Erlang B(4, 3) = (3^4/4!) / Σ_{k≤4} 3^k/k! = 3.375 / 16.375.
    assert!((p - 3.375 / 16.375).abs() < 1e-6, "{p}");
}

fn erlang_a_case(load_factor: f64, replicas: u32) {
    let (c, mu, theta) = (32u32, 1.0 / 10.0, 1.0 / 5.0);
    let lambda = load_factor * c as f64 * mu;
    let s = load("erlang_a.toml", &[format!("research.arrivals_per_hour={lambda}")]);
    let (p_abandon, busy) = erlang_a(c, lambda, mu, theta);
    let outs = run(&s, replicas);
    let gave_up = outs.iter().map(|o| {
        let started = o.waits.as_ref().expect("run_point keeps the waits").research.len() as f64;
        let reneged = o.row.research_jobs_reneged as f64;
        reneged / (reneged + started)
    });
    let params = format!("c = {c}, 1/μ = 10 h, 1/θ = 5 h, λ/(cμ) = {load_factor}, T = 10 y, {replicas} replicas");
    // Floor: the queue starts empty; it relaxes within a few 1/θ = 5 h of an
    // 87,660 h horizon, and the jobs still waiting at the end (λ/θ at most,
    // ~10 of ~28,000) are left out of the fraction: 1e-3 absolute.
    check(
        &format!("E1 Erlang A ρ={load_factor}: fraction of jobs that give up"),
        &params,
        estimate(gave_up),
        p_abandon,
        4.0,
        1e-3,
    );
    // The 64 chips are twice the cap, so utilization × 64 is the busy servers.
    check(
        &format!("E1 Erlang A ρ={load_factor}: busy servers"),
        &params,
        estimate(outs.iter().map(|o| o.row.utilization * 64.0)),
        busy,
        4.0,
        0.02,
    );
    for o in &outs {
        assert!(
            o.row.busy_chip_hours <= 32.0 * o.row.delivered_chip_hours / 64.0 + 1e-6,
            "the cap of 32 is never passed"
        );
    }
}

#[test]
fn elastic_research_with_patience_matches_erlang_a_below_capacity() {
    erlang_a_case(0.8, 24);
}

#[test]
fn elastic_research_with_patience_matches_erlang_a_at_and_above_capacity() {
    erlang_a_case(1.0, 24);
    erlang_a_case(1.5, 24);
}

/// A backlog that never runs dry on `chips` one-chip units, with failures,
/// jobs of `min`..`max` chips and a cap above capacity.
fn saturated(chips: u64, min: u64, max: u64) -> config::Scenario {
    let research = format!(
        r#"
[research]
chips = {{ dist = "uniform", low = {min}, high = {max} }}
min_chips = {min}
max_chips = {max}
duration_hours = {{ dist = "exp", mean = 6 }}
[research.elastic]
researchers = {researchers}
chips_per_researcher = {max}
"#,
        researchers = 2 * chips / max + 1,
    );
    ScenarioToml {
        name: "elastic_saturated",
        seed: 5012,
        replicas: 8,
        timeseries_step_months: 12,
        term_years: 2.0,
        committed_usd: 1e6,
        failure_unit_chips: 1,
        chip_mtbf_hours: 2000.0,
        repair_hours: r#"{ dist = "lognormal", median = 48, sigma = 1.0 }"#,
        tranches: &[(chips, "g")],
        sections: &research,
        ..ScenarioToml::default()
    }
    .load()
}

#[test]
fn a_backlog_that_never_runs_dry_keeps_every_up_unit_busy() {
    // One-unit jobs: a unit that comes up (repair, a job's end) is taken at
    // once, so nothing is ever idle and utilization is 1 − down / delivered
    // exactly.
    let s = saturated(256, 1, 1);
    let outs = run(&s, 8);
    let largest = |f: &dyn Fn(&mortgage_sim::metrics::ReplicaRow) -> f64| {
        outs.iter().map(|o| f(&o.row).abs()).fold(0.0, f64::max)
    };
    let params = "256 one-chip units, MTBF 2,000 h, lognormal repair (median 48 h), 2 y, 8 replicas (largest)";
    check_exact(
        "E2 elastic, one-chip jobs: idle chip-hours",
        params,
        largest(&|r| r.idle_chip_hours),
        0.0,
        0.0,
    );
    check_exact(
        "E2 elastic, one-chip jobs: utilization − (1 − down fraction)",
        params,
        largest(&|r| r.utilization - (1.0 - r.down_chip_hours / r.delivered_chip_hours)),
        0.0,
        1e-12,
    );
    for o in &outs {
        // The check is not empty: jobs ran and units were down.
        assert!(o.row.research_jobs_arrived > 50_000 && o.row.down_chip_hours > 0.0);
        assert!(o.row.research_jobs_completed <= o.row.research_jobs_arrived);
    }
    // Jobs of 1-8 units: the head of the queue may wait for up to 7 units
    // while they sit idle (FIFO), so at every instant idle ≤ 7 units, and
    // utilization ≥ 1 − down fraction − 7/256 (a bound, not an estimate).
    let s = saturated(256, 1, 8);
    let shortfalls: Vec<f64> = run(&s, 8)
        .iter()
        .map(|o| 1.0 - o.row.down_chip_hours / o.row.delivered_chip_hours - o.row.utilization)
        .collect();
    let worst = shortfalls.iter().copied().fold(f64::MIN, f64::max);
    let pass = shortfalls.iter().all(|x| (0.0..=7.0 / 256.0).contains(x));
    eprintln!(
        "VALIDATION | E2 elastic, 1-8 chip jobs: 1 − down − utilization | 256 units, 8 replicas (largest) | {worst:.5} | ≤ {:.5} | bound | {}",
        7.0 / 256.0,
        if pass { "pass" } else { "FAIL" }
    );
    assert!(pass, "{shortfalls:?}");
}
