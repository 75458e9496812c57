//! Whole-scenario properties: conservation of chip-hours on every shipped
//! scenario, and byte-identical outputs for any thread count.

use super::support;
use mortgage_sim::config;
use mortgage_sim::model;
use mortgage_sim::montecarlo::replica_seed;
use std::fs;

fn shipped_configs() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = fs::read_dir(support::repo().join("configs"))
        .expect("configs/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn chip_hours_are_conserved_exactly_in_every_shipped_scenario() {
    let files = shipped_configs();
    assert!(files.iter().any(|f| f.ends_with("baseline.toml")));
    for file in files {
        let s = config::load_file(&file, &[]).expect("shipped configs are valid");
        let out = model::simulate(&s, 0, replica_seed(s.seed, 0));
        let cs = out.chip_seconds;
        // Exact: integer chip-seconds, two independent books.
        assert_eq!(cs.conservation_error(), 0, "{}: {cs:?}", file.display());
        assert!(cs.delivered > 0, "{}", file.display());
        // delivered = busy + re-marketed + down + idle, also in the hours of
        // the CSV row, to 1e-9 relative.
        let r = &out.row;
        let sum = r.busy_chip_hours + r.remarketed_chip_hours + r.down_chip_hours + r.idle_chip_hours;
        assert!(
            (sum - r.delivered_chip_hours).abs() <= 1e-9 * r.delivered_chip_hours,
            "{}",
            file.display()
        );
        let classes = r.training_useful_chip_hours
            + r.training_rework_chip_hours
            + r.training_overhead_chip_hours
            + r.inference_chip_hours
            + r.research_useful_chip_hours
            + r.research_lost_chip_hours;
        assert!(
            (classes - r.busy_chip_hours).abs() <= 1e-9 * r.busy_chip_hours,
            "{}",
            file.display()
        );
        // Money: funding + revenue + credit drawn = payments + costs + cash.
        let scale = s.contract.committed_usd + r.revenue_usd;
        assert!(
            out.ledger.balance_error() <= 1e-9 * scale,
            "{}: {:?}",
            file.display(),
            out.ledger
        );
    }
}

#[test]
fn the_embedded_baseline_is_configs_baseline_toml() {
    let on_disk = fs::read_to_string(support::repo().join("configs/baseline.toml")).unwrap();
    assert_eq!(on_disk, config::BASELINE_TOML);
}

#[test]
fn outputs_are_byte_identical_for_one_and_two_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |threads: &str, out: &str| {
        let o = support::binary()
            .args([
                "run",
                "--replicas",
                "4",
                "--quiet",
                "--set",
                "contract.term_years=2",
                "--out",
                out,
            ])
            .env("RAYON_NUM_THREADS", threads)
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    run("1", "one");
    run("2", "two");
    for file in support::RESULT_FILES {
        let a = fs::read(tmp.path().join("one").join(file)).unwrap();
        let b = fs::read(tmp.path().join("two").join(file)).unwrap();
        assert!(a == b, "{file} differs between 1 and 2 threads");
    }
    let manifest = |d: &str| -> serde_json::Value {
        let mut m: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(tmp.path().join(d).join("manifest.json")).unwrap()).unwrap();
        for k in ["wall_time_seconds", "threads", "command"] {
            m.as_object_mut().unwrap().remove(k);
        }
        m
    };
    assert_eq!(manifest("one"), manifest("two"));
}
