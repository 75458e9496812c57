//! Bad input is rejected before anything runs: exit code 2 and one line on
//! stderr naming the file, the key, the problem and what is allowed; never a
//! panic, and no results folder.
//!
//! Every file in `tests/bad_configs/` is a small scenario with exactly one
//! defect (its first line says which). [`EXPECTED`] says what its error must
//! mention; a file without an entry fails the test, so a new case cannot be
//! added without saying what its message should be.

use super::support::{self, run_in, stderr};
use std::fs;
use std::path::PathBuf;
use std::process::Output;

/// File name → (key the message must name, part of the problem it must state).
const EXPECTED: &[(&str, &str, &str)] = &[
    ("variant_key_outside_set.toml", "`contract`", "under [set]"),
    ("variant_bad_value.toml", "`contract.term_years`", "is -1"),
    ("unparsable_toml.toml", "chip_mtbf_hours", "line 18, column 19"),
    ("missing_required_key.toml", "`cluster.chip_mtbf_hours`", "is missing"),
    (
        "unknown_key_typo.toml",
        "`cluster.generations[0].service_life_yeras`",
        "`service_life_years`",
    ),
    (
        "negative_tranche_chips.toml",
        "`cluster.tranches[0].chips`",
        "a whole number ≥ 0",
    ),
    ("lognormal_negative_sigma.toml", "`cluster.repair_hours.sigma`", "≥ 0"),
    ("tranche_after_term.toml", "`cluster.tranches[0].planned_month`", "< 12"),
    (
        "empirical_zero_weights.toml",
        "`research.chips.weights`",
        "positive sum",
    ),
    ("unknown_policy.toml", "`scheduler.policy`", "`inference_first`"),
    (
        "scheduler_order_research_first.toml",
        "`scheduler.order`",
        "research backfills, so it comes last",
    ),
    ("negative_commitment.toml", "`contract.committed_usd`", "≥ 0"),
    ("zero_term.toml", "`contract.term_years`", "> 0"),
    (
        "unknown_payment_schedule.toml",
        "`contract.payment_schedule`",
        "`flat_monthly`",
    ),
    (
        "unknown_generation.toml",
        "`cluster.tranches[0].generation`",
        "\"trn2\"",
    ),
    (
        "unknown_dist_kind.toml",
        "`cluster.repair_hours.dist`",
        "lognormal {median, sigma}",
    ),
    ("wrong_value_type.toml", "`cluster.chip_mtbf_hours`", "a number"),
    (
        "dist_missing_parameter.toml",
        "`cluster.repair_hours.sigma`",
        "is missing",
    ),
    (
        "dist_foreign_parameter.toml",
        "`cluster.repair_hours.mean`",
        "`median`, `sigma`",
    ),
    (
        "dist_not_a_table.toml",
        "`cluster.repair_hours`",
        "a distribution table",
    ),
    (
        "priority_with_training_fraction.toml",
        "`scheduler.training_fraction`",
        "partitioned",
    ),
    (
        "partitioned_without_fraction.toml",
        "`scheduler.training_fraction`",
        "is missing",
    ),
    ("misspelled_table.toml", "`schedular`", "`scheduler`"),
    (
        "escalation_overflows.toml",
        "`contract.price_escalation_per_year`",
        "is 1e300",
    ),
    (
        "domain_chips_not_whole_units.toml",
        "`cluster.failure_domains[0].chips`",
        "a positive multiple of cluster.failure_unit_chips (16)",
    ),
    (
        "maintenance_unknown_domain.toml",
        "`cluster.maintenance[0].domain`",
        "is \"rak\"; allowed: one of the [[cluster.failure_domains]] names: \"rack\"",
    ),
    (
        "maintenance_domain_and_chips.toml",
        "`cluster.maintenance[0]`",
        "allowed: exactly one of them",
    ),
    ("domain_placement_unknown.toml", "placement", "`spread`"),
    (
        "hazard_shape_out_of_range.toml",
        "`cluster.hazards[0].shape`",
        "allowed: 0.05 to 20",
    ),
    (
        "hazard_scale_below_resolution.toml",
        "`cluster.hazards[0].scale_hours`",
        "allowed: at least",
    ),
    (
        "lemons_detect_after_zero.toml",
        "`cluster.lemons.detect_after_failures`",
        "allowed: 1 to 100",
    ),
    (
        "lemons_fraction_above_one.toml",
        "`cluster.lemons.fraction`",
        "0 ≤ fraction ≤ 1",
    ),
    (
        "failure_kind_shares_not_one.toml",
        "`cluster.failure_kinds`",
        "shares summing to 1",
    ),
    (
        "mtbf_below_resolution.toml",
        "`cluster.chip_mtbf_hours`",
        "below the simulator's resolution",
    ),
    (
        "inference_step_too_fine.toml",
        "`inference.step_hours`",
        "at least 0.0166667 (one minute)",
    ),
    (
        "chips_overflow.toml",
        "`cluster.tranches[0].chips`",
        "at most 1000000000000 chips",
    ),
    (
        "research_arrivals_too_fast.toml",
        "`research.arrivals_per_hour`",
        "at most 1800",
    ),
    (
        "research_growth_explodes.toml",
        "`research.arrival_growth_per_year`",
        "at most 1800 per hour",
    ),
    (
        "research_without_arrivals.toml",
        "`research.arrivals_per_hour`",
        "unless [research.elastic] is given",
    ),
    (
        "elastic_cap_below_largest_job.toml",
        "`research.elastic.chips_per_researcher`",
        "at least one largest job",
    ),
    (
        "generator_interval_tiny.toml",
        "`training.generator.interval_months`",
        "at most 100000 runs",
    ),
    (
        "ramp_past_term.toml",
        "`cluster.tranches[0].ramp.interval_months`",
        "planned_month + (steps − 1) × interval_months < 12.0",
    ),
    (
        "ramp_more_steps_than_units.toml",
        "`cluster.tranches[0].ramp.steps`",
        "at most one step per unit",
    ),
    (
        "ramp_jitter_negative.toml",
        "`cluster.tranches[0].ramp.step_jitter_months.low`",
        "≥ 0",
    ),
    (
        "headroom_margin_too_large.toml",
        "`inference.headroom.latency_margin`",
        "allowed: 0 to 10",
    ),
];

/// The problems with a rejection, or none: exit code 2, exactly one line on
/// stderr that contains each of `wanted`, no panic, nothing on stdout.
fn rejection_problems(o: &Output, wanted: &[&str]) -> Vec<String> {
    let err = stderr(o);
    let mut problems = Vec::new();
    if o.status.code() != Some(2) {
        problems.push(format!("exit code {:?}, want 2", o.status.code()));
    }
    if err.trim().lines().count() != 1 {
        problems.push("stderr is not exactly one line".into());
    }
    for w in wanted {
        if !err.contains(w) {
            problems.push(format!("stderr lacks {w:?}"));
        }
    }
    if err.contains("panicked") || err.contains("RUST_BACKTRACE") {
        problems.push("the binary panicked".into());
    }
    if !o.stdout.is_empty() {
        problems.push(format!("stdout not empty: {:?}", String::from_utf8_lossy(&o.stdout)));
    }
    problems
        .into_iter()
        .map(|p| format!("{p}; stderr was: {}", err.trim()))
        .collect()
}

fn bad_config_files() -> Vec<PathBuf> {
    let dir = support::repo().join("tests/bad_configs");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_bad_config_is_rejected_by_check_and_run_naming_file_and_key() {
    let files = bad_config_files();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut failures = Vec::new();
    for (name, _, _) in EXPECTED {
        if !names.iter().any(|n| n == name) {
            failures.push(format!("{name}: listed in EXPECTED but not in tests/bad_configs/"));
        }
    }
    for (file, name) in files.iter().zip(&names) {
        let Some(&(_, key, problem)) = EXPECTED.iter().find(|(n, _, _)| n == name) else {
            failures.push(format!("{name}: no entry in EXPECTED; add the key its error must name"));
            continue;
        };
        let text = fs::read_to_string(file).unwrap();
        if !text.starts_with("# ") {
            failures.push(format!("{name}: the first line must be a comment saying what is wrong"));
        }
        let path = file.to_str().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("x");
        let out_arg = out.to_str().unwrap();
        let runs = [
            ("check", vec!["check", path]),
            ("run", vec!["run", path, "--replicas", "1", "--quiet", "--out", out_arg]),
        ];
        for (command, args) in runs {
            let o = run_in(tmp.path(), &args);
            for p in rejection_problems(&o, &[name, key, problem]) {
                failures.push(format!("{name} ({command}): {p}"));
            }
            if out.exists() || tmp.path().join("results").exists() {
                failures.push(format!("{name} ({command}): an output folder was created"));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    assert!(files.len() >= 10, "expected the bad configs, found {}", files.len());
}

#[test]
fn bad_overrides_are_rejected_naming_the_key() {
    let cases: [(&str, &[&str]); 6] = [
        ("nosuch.table.x=1", &["nosuch.table.x", "no table `nosuch`"]),
        // Found by the fuzz test: a chip 4.6e18 times faster hung `run`.
        (
            "cluster.generations.1.speed=4611686018427387904",
            &["`cluster.generations[1].speed`", "allowed: 0.001 to 1000"],
        ),
        (
            "cluster.chip_mtbf_hours=-5",
            &["`cluster.chip_mtbf_hours`", "is -5", "> 0", "command line"],
        ),
        (
            "cluster.tranches.0.chips=-16",
            &["`cluster.tranches[0].chips`", "a whole number ≥ 0"],
        ),
        (
            "cluster.chip_mtbf_hourz=1",
            &["`cluster.chip_mtbf_hourz`", "`chip_mtbf_hours`"],
        ),
        ("no_equals_sign", &["no_equals_sign", "KEY=VALUE"]),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("x");
    let mut failures = Vec::new();
    for (set, wanted) in cases {
        for args in [
            vec!["check", "--set", set],
            vec![
                "run",
                "--set",
                set,
                "--replicas",
                "1",
                "--quiet",
                "--out",
                out.to_str().unwrap(),
            ],
        ] {
            let o = run_in(tmp.path(), &args);
            for p in rejection_problems(&o, wanted) {
                failures.push(format!("{args:?}: {p}"));
            }
            if out.exists() || tmp.path().join("results").exists() {
                failures.push(format!("{args:?}: an output folder was created"));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn a_missing_config_file_is_rejected_naming_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no_such_scenario.toml");
    let missing = missing.to_str().unwrap();
    let out = tmp.path().join("x");
    for args in [
        vec!["check", missing],
        vec!["run", missing, "--quiet", "--out", out.to_str().unwrap()],
    ] {
        let o = run_in(tmp.path(), &args);
        let problems = rejection_problems(&o, &[missing, "cannot read"]);
        assert!(problems.is_empty(), "{args:?}: {problems:?}");
        assert!(!out.exists(), "{args:?}: an output folder was created");
    }
}

#[test]
fn run_refuses_an_existing_out_folder_without_force_and_leaves_it_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("taken");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("keep.txt"), "someone's results\n").unwrap();
    let golden = support::repo().join("tests/data/golden.toml");
    let out_arg = out.to_str().unwrap();
    let o = run_in(
        tmp.path(),
        &[
            "run",
            golden.to_str().unwrap(),
            "--replicas",
            "1",
            "--quiet",
            "--out",
            out_arg,
        ],
    );
    let problems = rejection_problems(&o, &[out_arg]);
    assert!(problems.is_empty(), "{problems:?}");
    let entries: Vec<_> = fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(entries, ["keep.txt"], "the folder's contents changed");
    assert_eq!(fs::read_to_string(out.join("keep.txt")).unwrap(), "someone's results\n");
}
