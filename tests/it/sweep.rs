//! Sweeps and Monte Carlo statistics: thread-count determinism of a whole
//! sweep, common random numbers across grid points, and coverage of the
//! reported confidence intervals.

use super::support;
use mortgage_sim::config;
use mortgage_sim::montecarlo;
use mortgage_sim::stats::Summary;
use std::collections::HashMap;
use std::fs;
use std::path::Path;

fn sweep(out: &Path, threads: &str, extra: &[&str]) {
    let exp = support::repo().join("tests/data/sweep_small.toml");
    let o = support::quiet("sweep", &exp, out)
        .args(extra)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_sweep_is_byte_identical_for_one_and_two_threads() {
    let tmp = tempfile::tempdir().unwrap();
    sweep(&tmp.path().join("one"), "1", &[]);
    sweep(&tmp.path().join("two"), "2", &[]);
    for f in support::RESULT_FILES {
        let a = fs::read(tmp.path().join("one").join(f)).unwrap();
        let b = fs::read(tmp.path().join("two").join(f)).unwrap();
        assert!(a == b, "{f} differs between 1 and 2 threads");
    }
}

/// replicas.csv as (point, replica) → column → cell.
fn replicas(dir: &Path) -> HashMap<(String, String), HashMap<String, String>> {
    let mut rdr = csv::Reader::from_path(dir.join("replicas.csv")).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            let row: HashMap<String, String> = header.iter().cloned().zip(r.iter().map(String::from)).collect();
            ((row["point"].clone(), row["replica"].clone()), row)
        })
        .collect()
}

#[test]
fn points_differing_in_inference_share_failure_and_delivery_draws() {
    // Points 0 and 2 of sweep_small differ only in inference drift. The
    // buyer is funded so it never defaults (a default would stop research
    // arrivals at a time that depends on inference revenue).
    let tmp = tempfile::tempdir().unwrap();
    sweep(&tmp.path().join("s"), "2", &["--set", "buyer.initial_funding_usd=1e18"]);
    let rows = replicas(&tmp.path().join("s"));
    let mut demand_differs = 0;
    for r in 0..3 {
        let a = &rows[&("0".to_string(), r.to_string())];
        let b = &rows[&("2".to_string(), r.to_string())];
        for col in [
            "seed",
            "delivered_chip_hours",
            "undelivered_chip_hours",
            "down_chip_hours",
            "unit_failures",
            "research_jobs_arrived",
        ] {
            assert_eq!(a[col], b[col], "replica {r}, column {col}");
        }
        demand_differs += (a["inference_demand_chip_hours"] != b["inference_demand_chip_hours"]) as u32;
    }
    assert_eq!(demand_differs, 3, "the swept parameter must change inference demand");
}

#[test]
fn confidence_intervals_cover_a_known_mean_about_95_percent_of_the_time() {
    // Delivered chip-hours of one tranche whose delay is uniform on
    // [0, 2] months in a 12-month term have the exact mean
    // chips × (term − 1 month). 400 independent experiments of 30 replicas
    // each; the Student-t 95% interval should cover the mean in about 95%
    // of them (the normal one, 1.96 SE, covered ~94% at n = 30). The coverage's
    // standard error is √(0.95·0.05/400) ≈ 0.011; we accept ±3 SE.
    let text = config::BASELINE_TOML.to_string();
    let mut doc = config::parse_toml(&text, "baseline").unwrap();
    for arg in [
        "contract.term_years=1",
        "cluster.chip_mtbf_hours=1e15",
        "cluster.tranches.0.chips=16000",
        "cluster.tranches.0.delivery_delay_months={ dist = \"uniform\", low = 0, high = 2 }",
        "simulation.timeseries_step_months=12",
    ] {
        config::apply_override(&mut doc, arg).unwrap();
    }
    doc.remove("training");
    doc.remove("inference");
    doc.remove("research");
    doc["cluster"]["tranches"].as_array_mut().unwrap().truncate(1);
    let base = config::from_table(doc, "coverage").unwrap();
    let month_hours = mortgage_sim::engine::Span::MONTH.secs() as f64 / 3600.0;
    let exact = 16000.0 * 11.0 * month_hours;
    let experiments = 400;
    let mut covered = 0;
    for k in 0..experiments {
        let mut s = base.clone();
        s.seed = 1000 + k;
        let outs = montecarlo::run_point(&s, 30, &montecarlo::Silent);
        let v: Vec<f64> = outs.iter().map(|o| o.row.delivered_chip_hours).collect();
        let st = Summary::of(&v, &[]).unwrap();
        covered += ((st.mean - exact).abs() <= st.ci95_half_width()) as u32;
    }
    let coverage = covered as f64 / experiments as f64;
    let se = (0.95f64 * 0.05 / experiments as f64).sqrt();
    assert!(
        (coverage - 0.95).abs() <= 3.0 * se,
        "coverage {coverage} outside 0.95 ± {:.3}",
        3.0 * se
    );
}

/// Runs `sweep` on an experiment with `body` over the golden scenario;
/// returns (exit code, stderr). No results folder may be left on failure.
fn sweep_text(body: &str, extra: &[&str]) -> (Option<i32>, String) {
    let tmp = tempfile::tempdir().unwrap();
    let golden = support::repo().join("tests/data/golden.toml");
    let file = tmp.path().join("exp.toml");
    fs::write(
        &file,
        format!(
            "name = \"e\"\nbase = {:?}\nreplicas = 1\n{body}",
            golden.display().to_string()
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = support::quiet("sweep", &file, &out)
        .args(extra)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    if !o.status.success() {
        assert!(!out.exists(), "a results folder after a failed sweep: {err}");
    }
    (o.status.code(), err)
}

#[test]
fn a_key_swept_twice_or_inside_a_swept_table_is_refused() {
    let cases = [
        (
            "[grid]\n\"inference.noise_sigma\" = [0.1]\n[[zip]]\n\"inference.noise_sigma\" = [0.2]\n",
            "zip[0].\"inference.noise_sigma\"",
        ),
        (
            "[grid]\n\"inference.growth\" = [{ drift_per_year = 0.1, volatility_per_sqrt_year = 0.3, \
             commercial_failure_probability = 0, failure_decay_per_year = 0 }]\n\
             \"inference.growth.drift_per_year\" = [0.5]\n",
            "grid.\"inference.growth.drift_per_year\"",
        ),
    ];
    for (body, key) in cases {
        let (code, err) = sweep_text(body, &[]);
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains("exp.toml") && err.contains(key) && err.contains("also sets"),
            "{err}"
        );
    }
}

#[test]
fn replicas_and_seed_are_not_swept_and_set_values_are_not_silently_replaced() {
    for key in ["simulation.replicas", "simulation.seed", "simulation"] {
        let (code, err) = sweep_text(&format!("[grid]\n\"{key}\" = [1, 2]\n"), &[]);
        assert_eq!(code, Some(2), "{key}: {err}");
        assert!(err.contains("replicas") && err.contains("seed"), "{key}: {err}");
    }
    let body = "[grid]\n\"inference.noise_sigma\" = [0.1, 0.2]\n";
    let (code, err) = sweep_text(body, &["--set", "inference.noise_sigma=0.5"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--set inference.noise_sigma=0.5") && err.contains("sweeps"),
        "{err}"
    );
    // `run` takes no shard options at all.
    let o = support::binary()
        .args(["run", "--shard", "0/2", "--quiet"])
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--shard"));
}

#[test]
fn grid_errors_name_the_experiment_and_the_key() {
    let (code, err) = sweep_text("[grid]\n\"nosuch.key\" = [1]\n", &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("exp.toml") && err.contains("grid.\"nosuch.key\""), "{err}");
    assert!(!err.contains("--set"), "{err}");
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("lost.toml");
    fs::write(&file, "name = \"lost\"\nbase = \"nowhere.toml\"\nreplicas = 1\n").unwrap();
    let o = support::binary()
        .args(["sweep", file.to_str().unwrap(), "--quiet"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("lost.toml") && err.contains("key `base`") && err.contains("nowhere.toml"),
        "{err}"
    );
}
