//! Importance sampling for rare defaults (issue 19's "Proof"), on the
//! reduced-scale baseline `tests/data/reduced.toml` with weekly demand
//! steps, where a twin costs tens of microseconds and brute force with
//! 10⁵ replicas is cheap. The brute force is plain Monte Carlo over the
//! low-fidelity twins (`model::lowfi`): the estimator under test is the
//! importance-sampling part of `--fidelity is`,
//! `montecarlo::importance::weighted_mean`, the same code path `risk.csv`
//! uses, and it estimates the twin's E[X]; the full level's correction
//! E[Y − X] is a plain mean (checked end to end below).

use super::brute_force::{Brute, twin_brute_force};
use super::support;
use mortgage_sim::config::{self, Scenario};
use mortgage_sim::metrics::risk::Estimator;
use mortgage_sim::model::lowfi::{self, CheapOutcome};
use mortgage_sim::montecarlo::importance::{self, Tilted};
use mortgage_sim::montecarlo::multifidelity::TwinFigure;
use mortgage_sim::montecarlo::{self, Silent, replica_seed};
use mortgage_sim::stats::Z95;
use std::fs;

/// The reduced baseline with weekly demand steps, master seed `seed` and
/// the buyer's funding `funding_usd`.
pub(super) fn reduced(seed: u64, funding_usd: f64) -> Scenario {
    let path = support::repo().join("tests/data/reduced.toml");
    let sets = [
        format!("simulation.seed={seed}"),
        "inference.step_hours=168".to_string(),
        format!("buyer.initial_funding_usd={funding_usd}"),
    ];
    config::load_file(&path, &sets).unwrap()
}

const IN_TERM: TwinFigure = TwinFigure::DefaultWithin(60);

/// An importance sample of `scenario` under its own cross-entropy tilt.
fn sample(s: &Scenario, twins: u32) -> Tilted {
    let (tilt, pilot_twins) = importance::choose_tilt(s);
    Tilted {
        tilt,
        pilot_twins,
        twins: importance::run_tilted(s, tilt, 1 << 16, 0..twins),
        pairs: Vec::new(),
    }
}

#[test]
fn importance_sampling_agrees_with_brute_force_and_its_intervals_cover_it() {
    // Brute force: 100,000 plain twins of seed 1 (P(default) ≈ 0.24 at the
    // reduced baseline's funding; standard error ≈ 0.0013).
    let truth = reduced(1, 0.512e9);
    let brute: Vec<(f64, f64)> = twin_brute_force(&truth, 0..100_000)[..2]
        .iter()
        .map(|b| (b.mean, b.stderr))
        .collect();
    // Agreement: the whole estimator (its own tilt and 2,000 tilted twins)
    // at four other master seeds, within 3 standard errors of the
    // difference (a 0.3% false alarm rate per comparison).
    for seed in 2..6 {
        let s = sample(&reduced(seed, 0.512e9), 2_000);
        assert!(s.tilt.drift_shift_per_year < 0.0, "{:?}", s.tilt);
        for (figure, &(b, sb)) in [IN_TERM, TwinFigure::Loss].iter().zip(&brute) {
            let w = importance::weighted_mean(*figure, &s).unwrap();
            let z = (w.value - b) / (w.stderr.powi(2) + sb * sb).sqrt();
            assert!(
                z.abs() < 3.0,
                "seed {seed} {figure:?}: IS {w:?}, brute {b} ± {sb}, z = {z}"
            );
        }
    }
    // Coverage: 100 independent importance samples of 1,000 twins under
    // one tilt (chosen at seed 2); their 95% intervals should cover the
    // brute-force value in about 95 (binomial sd 2.2; we accept 95 ± 3 sd,
    // i.e. at least 89; the brute force's own error, a tenth of an
    // interval's, lowers the expected count by about 0.5).
    let tilt = importance::choose_tilt(&reduced(2, 0.512e9)).0;
    let (b, _) = brute[0];
    let mut covered = 0;
    for seed in 100..200 {
        let s = reduced(seed, 0.512e9);
        let tilted = Tilted {
            tilt,
            pilot_twins: 0,
            twins: importance::run_tilted(&s, tilt, 1 << 16, 0..1_000),
            pairs: Vec::new(),
        };
        let w = importance::weighted_mean(IN_TERM, &tilted).unwrap();
        covered += ((w.value - b).abs() <= Z95 * w.stderr) as u32;
    }
    assert!((89..=100).contains(&covered), "covered {covered} of 100");
}

#[test]
fn a_rare_default_is_estimated_to_20_percent_and_agrees_with_brute_force() {
    // Funding $1.2B (2.3x the reduced baseline's): P(default in the term)
    // ≈ 7e-4. Brute force over 200,000 twins (about 140 defaults, a
    // relative standard error of ~8%); importance sampling over 10,000
    // twins under the cross-entropy tilt.
    let Brute { mean: b, stderr: sb } = twin_brute_force(&reduced(1, 1.2e9), 0..200_000)[0];
    assert!((3e-4..3e-3).contains(&b), "not a rare case: {b}");
    let s = sample(&reduced(2, 1.2e9), 10_000);
    let w = importance::weighted_mean(IN_TERM, &s).unwrap();
    let half = Z95 * w.stderr;
    assert!(half <= 0.2 * w.value, "IS {} ± {half}: wider than 20%", w.value);
    let z = (w.value - b) / (w.stderr.powi(2) + sb * sb).sqrt();
    assert!(z.abs() < 3.0, "IS {w:?}, brute {b} ± {sb}, z = {z}");
    // The tilted twins that default are many and evenly weighted enough.
    assert!(s.kish(IN_TERM) >= 10.0, "Kish size {}", s.kish(IN_TERM));
}

#[test]
fn the_tilt_acts_alike_in_the_full_model_and_its_twin() {
    // Under a strong tilt, full replicas and their twins (same seeds and
    // streams) default alike, and the likelihood ratio replayed from a
    // seed's demand stream is the twin's own.
    let s = importance::tilted(&reduced(3, 0.512e9), importance::choose_tilt(&reduced(3, 0.512e9)).0);
    let full = montecarlo::run_point(&s, 8, &Silent);
    let twins: Vec<CheapOutcome> = (0..8).map(|r| lowfi::simulate(&s, replica_seed(s.seed, r))).collect();
    let agree = full
        .iter()
        .zip(&twins)
        .filter(|(f, t)| f.row.default_month.is_some() == t.default_month.is_some())
        .count();
    assert!(agree >= 7, "{agree} of 8 agree on a default");
    assert!(twins.iter().any(|t| t.default_month.is_some()));
    let month = mortgage_sim::engine::Span::MONTH;
    for (r, t) in (0..8).zip(&twins) {
        assert_ne!(t.weight.log_weight, 0.0);
        // The twin draws demand at steps before the end of its default
        // month (or the term).
        let end = t
            .default_month
            .map_or(s.contract.term, |m| (month * m as u64).min(s.contract.term));
        let stop = mortgage_sim::engine::SimTime(mortgage_sim::engine::SimTime::at(end).0 - 1);
        let replayed = lowfi::replay_weight(&s, replica_seed(s.seed, r), stop);
        assert_eq!(replayed, t.weight, "replica {r}");
    }
}

#[test]
fn fidelity_is_writes_weighted_figures_the_same_for_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let reduced = support::repo().join("tests/data/reduced.toml");
    let run = |name: &str, threads: &str| {
        let out = tmp.path().join(name);
        let o = support::binary()
            .args(["run", reduced.to_str().unwrap(), "--quiet", "--out"])
            .arg(&out)
            .args(["--replicas", "12", "--fidelity", "is", "--threads", threads])
            .args(["--set", "inference.step_hours=168"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        out
    };
    let (one, two) = (run("one", "1"), run("two", "2"));
    for file in support::RESULT_FILES {
        assert_eq!(
            fs::read(one.join(file)).unwrap(),
            fs::read(two.join(file)).unwrap(),
            "{file}"
        );
    }
    let manifest: serde_json::Value = serde_json::from_slice(&fs::read(one.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["fidelity"], "is");
    let point = &manifest["importance_per_point"][0];
    assert!(point["drift_shift_per_year"].as_f64().unwrap() < 0.0, "{point}");
    assert!(point["tilted_twins"].as_u64().unwrap() > 12, "{point}");
    // The figures the twins estimate say so, with a normal interval that
    // holds the estimate and an effective size beyond the 12 replicas.
    let mut rdr = csv::Reader::from_path(one.join("risk.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let is = Estimator::ImportanceSampling.as_str();
    let p5 = rows
        .iter()
        .find(|r| &r[1] == "p_default_by_year" && &r[2] == "5")
        .unwrap();
    assert_eq!((&p5[10], &p5[12]), ("normal", is), "{p5:?}");
    let num = |i: usize| p5[i].parse::<f64>().unwrap();
    assert!(
        num(7) <= num(5) && num(5) <= num(8) && (0.0..=1.0).contains(&num(7)),
        "{p5:?}"
    );
    assert!(num(13) > 12.0, "{p5:?}");
    assert!(rows.iter().any(|r| &r[1] == "expected_loss_usd" && &r[12] == is));
    assert!(rows.iter().all(|r| &r[1] != "var_loss_usd" || &r[12] == "plain"));
}
