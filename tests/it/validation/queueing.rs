//! Validation case 1 (queueing): research jobs on one-chip units as an
//! M/M/c queue, against Erlang C (see `tests/data/validation/queueing.toml`).

use super::*;

/// Servers (one-chip units) in queueing.toml.
const SERVERS: u32 = 32;
/// Mean job duration 1/μ in queueing.toml, hours.
const MEAN_SERVICE_HOURS: f64 = 10.0;

/// Erlang C, P(wait) in M/M/c with offered load a = λ/μ, by the numerically
/// stable Erlang B recursion B_k = a·B_{k−1} / (k + a·B_{k−1}), then
/// C = c·B / (c − a(1 − B)).
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    c as f64 * b / (c as f64 - a * (1.0 - b))
}

/// Erlang C by the textbook sum (shared/reference/README.md), a cross-check
/// of [`erlang_c`]: [(cρ)^c/c!]/(1−ρ) ÷ (Σ_{k<c} (cρ)^k/k! + [(cρ)^c/c!]/(1−ρ)).
fn erlang_c_by_sum(c: u32, a: f64) -> f64 {
    let rho = a / c as f64;
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        sum += term;
        term *= a / (k + 1) as f64;
    }
    let tail = term / (1.0 - rho);
    tail / (sum + tail)
}

/// One replica's queueing figures.
struct QueueReplica {
    utilization: f64,
    /// Fraction of started jobs that waited more than a second.
    p_wait: f64,
    /// Mean wait W_q over started jobs, hours, zero waits counted as zero.
    wait_hours: f64,
    /// Arrivals per hour.
    arrival_rate: f64,
    /// Time-average chips in service (allocation integral).
    in_service: f64,
    /// Mean service time from the per-job book: research useful chip-hours
    /// per completed job (1-chip jobs, no preemption before the end).
    service_hours: f64,
}

fn queue_replica(o: &ReplicaOutcome, hours: f64) -> QueueReplica {
    let h = &o.waits.as_ref().expect("run_point keeps each replica's waits").research;
    let jobs = h.len() as f64;
    let (mut waited, mut total_wait) = (0u64, 0.0);
    for v in h.iter_recorded() {
        if v.value_iterated_to() > 1 {
            waited += v.count_at_value();
            total_wait += h.median_equivalent(v.value_iterated_to()) as f64 * v.count_at_value() as f64;
        }
    }
    let r = &o.row;
    QueueReplica {
        utilization: r.utilization,
        p_wait: waited as f64 / jobs,
        wait_hours: total_wait / jobs / Span::HOUR.secs() as f64,
        arrival_rate: r.research_jobs_arrived as f64 / hours,
        in_service: r.busy_chip_hours / hours,
        service_hours: r.research_useful_chip_hours / r.research_jobs_completed as f64,
    }
}

fn queueing_case(rho: f64, replicas: u32) {
    let mu = 1.0 / MEAN_SERVICE_HOURS;
    let lambda = rho * SERVERS as f64 * mu;
    let s = load("queueing.toml", &[format!("research.arrivals_per_hour={lambda}")]);
    let hours = term_hours(&s);
    let a = lambda / mu;
    let c_wait = erlang_c(SERVERS, a);
    assert!((c_wait - erlang_c_by_sum(SERVERS, a)).abs() < 1e-12);
    let wq = c_wait / (SERVERS as f64 * mu - lambda);
    let lq = c_wait * rho / (1.0 - rho);
    let l = a + lq;
    let reps: Vec<QueueReplica> = run(&s, replicas).iter().map(|o| queue_replica(o, hours)).collect();
    for o in &reps {
        assert!(o.p_wait.is_finite() && o.service_hours.is_finite());
    }
    let params = format!("c = {SERVERS}, 1/μ = {MEAN_SERVICE_HOURS} h, ρ = {rho}, T = 10 y, {replicas} replicas");
    let case = format!("1 queueing ρ={rho}");
    // Start-up bias (the queue starts empty, nothing is discarded): servers
    // fill within a few 1/μ = 10 h of an 87,660 h horizon, a bias below 1e-3
    // in utilization; queue-length averages relax over ~1/(cμ(1−√ρ)²), 490 h
    // at ρ = 0.95, i.e. ≲ 0.6% of W_q and L_q. Hence the floors: 1e-3 on
    // utilization, 1% of the reference (+ 1 s of clock granularity) on W_q,
    // 0.005 on P(wait).
    check(
        &format!("{case}: utilization"),
        &params,
        estimate(reps.iter().map(|r| r.utilization)),
        rho,
        4.0,
        1e-3,
    );
    check(
        &format!("{case}: P(wait) (Erlang C)"),
        &params,
        estimate(reps.iter().map(|r| r.p_wait)),
        c_wait,
        4.0,
        0.005,
    );
    check(
        &format!("{case}: W_q hours (Erlang C)"),
        &params,
        estimate(reps.iter().map(|r| r.wait_hours)),
        wq,
        4.0,
        0.01 * wq + 1.0 / 3600.0,
    );
    // Little's law on the servers, between independent books: chips in
    // service (allocation integral) against arrival rate (counter) × mean
    // time in service (per-job book: useful chip-hours, which include the
    // work in progress at the end, per completed job). With no preemption
    // the ratio is completed / arrived jobs, so it falls short of 1 by the
    // jobs still in the system at the end over all arrivals: in a
    // stationary M/M/c, L/(λT) (1.2e-4 at ρ = 0.7). The floor (1e-5) allows
    // for the ratio-of-means approximation.
    check(
        &format!("{case}: Little L_s / (λ̂·W_s) − 1"),
        &params,
        estimate(
            reps.iter()
                .map(|r| r.in_service / (r.arrival_rate * r.service_hours) - 1.0),
        ),
        -l / (lambda * hours),
        4.0,
        1e-5,
    );
    // Little's law for the whole system: λ̂·(Ŵ_q + Ŵ_s) against the M/M/c
    // mean number in system L = cρ + C·ρ/(1 − ρ); floor as for W_q.
    check(
        &format!("{case}: Little λ̂·(W_q + W_s) vs L"),
        &params,
        estimate(reps.iter().map(|r| r.arrival_rate * (r.wait_hours + r.service_hours))),
        l,
        4.0,
        0.01 * lq + 1e-3 * l,
    );
}

#[test]
fn queueing_moderate_load_matches_erlang_c() {
    queueing_case(0.7, 64);
}

#[test]
fn queueing_heavy_load_matches_erlang_c() {
    queueing_case(0.95, 64);
}
