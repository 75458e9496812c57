//! Failures beyond single independent units (issue 18): correlated failure
//! domains and the taxonomy of failure kinds, checked against their closed
//! forms (verification, docs/VALIDATION.md): |sim − ref| ≤ 4·SE + floor.

use super::validation::{Estimate, check, estimate, load, run, term_hours};
use mortgage_sim::config::Scenario;
use mortgage_sim::config::failures::{FailureDomain, Placement};
use mortgage_sim::metrics::Class;
use mortgage_sim::model::World;
use mortgage_sim::montecarlo::replica_seed;
use rayon::prelude::*;

/// Domains of `domains` a run of `units` units spans: packed from a
/// domain's edge ⌈units / domain units⌉, spread min(domains, units).
fn spanned(units: u64, domain_units: u64, domains: u64, placement: Placement) -> u64 {
    match placement {
        Placement::Packed => units.div_ceil(domain_units),
        Placement::Spread => units.min(domains),
    }
}

/// Runs domains.toml with a run of `run_chips`, a cluster of
/// `cluster_chips` and every kind of domain placed as `placement`; checks
/// interruptions against T × (n λ_unit + Σ_k spanned_k λ_k) and domain
/// failures against T × Σ_k D_k λ_k.
fn domains_case(run_chips: u64, cluster_chips: u64, placement: Placement, replicas: u32) {
    let name = match placement {
        Placement::Packed => "packed",
        Placement::Spread => "spread",
    };
    let s: Scenario = load(
        "domains.toml",
        &[
            format!("training.runs.0.chips={run_chips}"),
            format!("cluster.tranches.0.chips={cluster_chips}"),
            format!("cluster.failure_domains.0.placement=\"{name}\""),
            format!("cluster.failure_domains.1.placement=\"{name}\""),
        ],
    );
    let cl = &s.cluster;
    let n = s.training.as_ref().expect("a run").runs[0].units;
    let delivered = cluster_chips / cl.unit_chips;
    let hours = term_hours(&s);
    let per_hour = |rate_per_second: f64| rate_per_second * 3600.0;
    let unit_part = n as f64 * per_hour(cl.unit_failure_rate) * hours;
    let span = |d: &FailureDomain| spanned(n, d.units, d.count(delivered), placement);
    let domain_part: f64 = cl
        .domains
        .iter()
        .map(|d| span(d) as f64 * per_hour(d.rate) * hours)
        .sum();
    let all_domains: f64 = cl
        .domains
        .iter()
        .map(|d| d.count(delivered) as f64 * per_hour(d.rate) * hours)
        .sum();
    let outs = run(&s, replicas);
    for o in &outs {
        assert_eq!(o.row.training_runs_started, 1);
    }
    let spans: Vec<String> = cl
        .domains
        .iter()
        .map(|d| format!("{} of {} {}s", span(d), d.count(delivered), d.name))
        .collect();
    let params = format!(
        "{name} run of {n} units spanning {}, {:.0} h, {replicas} replicas",
        spans.join(" and "),
        hours
    );
    // The run always holds its n units (the pool replaces a failed row at
    // once) and failures during restarts count: no known bias, floor 0.
    check(
        &format!("F1 domains ({name}): run interruptions = T·(n·λ_unit + Σ spanned·λ_domain)"),
        &params,
        estimate(outs.iter().map(|o| o.row.training_interruptions as f64)),
        unit_part + domain_part,
        4.0,
        0.0,
    );
    check(
        "F1 domains: domain failures = T·Σ domains·λ_domain",
        &params,
        estimate(outs.iter().map(|o| o.row.domain_failures as f64)),
        all_domains,
        4.0,
        0.0,
    );
}

#[test]
fn a_packed_run_is_interrupted_by_its_units_and_the_domains_it_spans() {
    // 1,024 units: 256 racks of 4 and 16 rows of 64, on the domains' edges.
    domains_case(16_384, 20_480, Placement::Packed, 400);
    // 1,000 units: ⌈1000/4⌉ = 250 racks and ⌈1000/64⌉ = 16 rows (the last
    // row shared with idle units).
    domains_case(16_000, 20_480, Placement::Packed, 400);
}

#[test]
fn a_spread_run_is_interrupted_by_every_domain_it_is_dealt_over() {
    // 1,024 units over all 320 racks and 20 rows: every domain failure
    // hits it (packed it spanned 256 racks and 16 rows).
    domains_case(16_384, 20_480, Placement::Spread, 400);
    // 100 units: one in each of 100 racks, and over all 20 rows (packed:
    // 25 racks and 2 rows).
    domains_case(1_600, 20_480, Placement::Spread, 400);
}

#[test]
fn without_domains_the_new_counters_stay_zero_and_unit_failures_are_unchanged() {
    // failures.toml has no domains and no kinds: the columns exist, are 0,
    // and the unit failures are those of the superposed process alone.
    let s = load("failures.toml", &[]);
    for o in run(&s, 4) {
        assert_eq!(o.row.domain_failures, 0);
        assert_eq!(o.row.domain_units_failed, 0);
        assert_eq!(o.row.unit_failures_in_place, 0);
        assert!(o.row.unit_failures > 0);
    }
}

/// Binomial check (normal approximation at tens of thousands of trials): a share's count over `total` trials has SE
/// √(p(1−p)/total); the fraction is checked at 4 SE.
fn share_check(case: &str, params: &str, count: u64, total: u64, share: f64) {
    let se = (share * (1.0 - share) / total as f64).sqrt();
    check(
        case,
        params,
        Estimate {
            mean: count as f64 / total as f64,
            se,
        },
        share,
        4.0,
        0.0,
    );
}

#[test]
fn failure_kinds_come_in_their_shares_and_down_time_follows_the_share_weighted_repair_mean() {
    let s = load("failure_kinds.toml", &[]);
    let replicas = s.replicas;
    let tallies: Vec<_> = (0..replicas)
        .into_par_iter()
        .map(|i| World::new(&s, i, replica_seed(s.seed, i)).run())
        .collect();
    let kinds = &s.cluster.kinds;
    let params = format!("1,000 units failing every 100 h, 1 year, {replicas} replicas");
    let total: u64 = tallies.iter().map(|t| t.counts.unit_failures).sum();
    for (k, kind) in kinds.iter().enumerate() {
        let count: u64 = tallies.iter().map(|t| t.failures_by_kind[k]).sum();
        share_check(
            &format!("F2 kinds: share of {} failures", kind.name),
            &params,
            count,
            total,
            kind.share,
        );
    }
    let in_place: u64 = tallies.iter().map(|t| t.counts.unit_failures_in_place).sum();
    let software = kinds.iter().position(|k| !k.replaces_unit).expect("software");
    assert_eq!(
        in_place,
        tallies.iter().map(|t| t.failures_by_kind[software]).sum::<u64>(),
        "exactly the software failures leave their unit up"
    );
    // Down fraction λS / (1 + λS), S = Σ share × mean repair over the kinds
    // that take the unit down (computed from the parameters written in the
    // file's header, not from the library's distributions).
    let lambda = 1.0 / 100.0;
    let s_hours = 0.4 * 10.0 + 0.2 * 20.0 + 0.1 * 2.0 + 0.1 * 24.0;
    let expected = lambda * s_hours / (1.0 + lambda * s_hours);
    let down = estimate(tallies.iter().map(|t| {
        let cs = &t.chip_seconds;
        cs[Class::Down] as f64 / cs.delivered as f64
    }));
    // Floor: the units start up, so the first repair times of the year sit
    // below the long-run fraction: at most about p × (mean down period) /
    // term = 0.096 × 13 h / 8,766 h ≈ 1.5e-4.
    check(
        "F2 kinds: down fraction = λS/(1+λS), S = Σ share·mean repair",
        &params,
        down,
        expected,
        4.0,
        1.5e-4,
    );
}
