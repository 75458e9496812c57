//! Planned maintenance (issue 18), checked against its schedule
//! (verification, docs/VALIDATION.md): with failures off nothing is random,
//! so the windows, the chip-hours they take down and the training run's
//! stops equal the closed forms exactly; with failures on, the windows and
//! the run's stops still do (failures never move a packed run's units).

use super::support;
use super::validation::{check_exact, load, run};
use mortgage_sim::config::{self, Scenario};
use mortgage_sim::metrics::{ReplicaOutcome, ReplicaRow};

/// The schedule of maintenance.toml's one kind of window: (windows in the
/// term, how many stop a run packed over the first `spanned` racks of
/// `racks`, chip-hours down when every window takes a full rack).
fn schedule(s: &Scenario, spanned: u64, racks: u64) -> (u64, u64, f64) {
    let m = &s.cluster.maintenance[0];
    let term = s.contract.term;
    let windows = m.windows_in(term);
    // Window k takes rack k mod racks.
    let stops = (0..windows).filter(|k| k % racks < spanned).count() as u64;
    let chips = m.units * s.cluster.unit_chips;
    let hours: f64 = (0..windows)
        .map(|k| {
            let start = m.first_at + m.every * k;
            (term - start).min(m.length).hours()
        })
        .sum();
    (windows, stops, chips as f64 * hours)
}

/// The run's units (1,024) over the rack size (4 units).
const SPANNED: u64 = 1024 / 4;
/// 20,480 chips in racks of 64.
const RACKS: u64 = 20_480 / 64;

fn rows(s: &Scenario, replicas: u32) -> Vec<ReplicaOutcome> {
    let outs = run(s, replicas);
    for o in &outs {
        assert_eq!(o.row.training_runs_started, 1);
    }
    outs
}

/// Checks a replica's windows, chip-hours and the run's stops against
/// `(windows, stops, chip-hours)` of [`schedule`], exactly.
fn check_schedule(case: &str, params: &str, r: &ReplicaRow, (windows, stops, chip_hours): (u64, u64, f64)) {
    let exact = |what: &str, sim: f64, reference: f64, tol: f64| {
        check_exact(&format!("{case} {what}"), params, sim, reference, tol);
    };
    exact(
        "maintenance windows = schedule",
        r.maintenance_windows as f64,
        windows as f64,
        0.0,
    );
    exact(
        "maintenance chip-hours = Σ block chips × window length to the term",
        r.maintenance_chip_hours,
        chip_hours,
        1e-9 * chip_hours,
    );
    exact(
        "run stops = windows on the blocks it spans",
        r.maintenance_interruptions as f64,
        stops as f64,
        0.0,
    );
}

#[test]
fn windows_chip_hours_and_stops_follow_the_schedule_exactly() {
    let s = load("maintenance.toml", &[]);
    let (windows, stops, chip_hours) = schedule(&s, SPANNED, RACKS);
    // 540 windows at 0.05 + 0.1 k days < 54 days; 256 + 220 stop the run.
    assert_eq!((windows, stops), (540, 476));
    let params = format!("{windows} windows over {RACKS} racks, run spanning {SPANNED}, failures off");
    for o in rows(&s, 4) {
        let r = &o.row;
        check_schedule("M1", &params, r, (windows, stops, chip_hours));
        assert_eq!(r.training_interruptions, 0, "failures are off");
        // Warned, the run loses nothing: its time is useful or overhead.
        assert_eq!(r.training_rework_chip_hours, 0.0);
        let held = 16_384.0 * s.contract.term.hours();
        let split = r.training_useful_chip_hours + r.training_overhead_chip_hours;
        assert!((split - held).abs() < 1e-9 * held, "{split} vs {held}");
    }
}

#[test]
fn without_a_checkpoint_first_a_stopped_run_loses_work() {
    let warned = load("maintenance.toml", &[]);
    let unwarned = load(
        "maintenance.toml",
        &["cluster.maintenance.0.checkpointed=false".to_string()],
    );
    let (w, u) = (&rows(&warned, 2)[0].row, &rows(&unwarned, 2)[0].row);
    // Same schedule, same stops; only what a stop costs differs.
    assert_eq!(w.maintenance_interruptions, u.maintenance_interruptions);
    assert_eq!(w.training_rework_chip_hours, 0.0);
    // Each of the 476 stops rolls back to the last hourly checkpoint: on
    // average a good part of an hour of 16,384 chips.
    let per_stop = u.training_rework_chip_hours / u.maintenance_interruptions as f64 / 16_384.0;
    assert!(per_stop > 0.1 && per_stop < 1.0, "{per_stop} h lost per stop");
    assert!(u.training_useful_chip_hours < w.training_useful_chip_hours);
}

#[test]
fn failures_do_not_move_a_packed_run_so_its_stops_stay_exact() {
    // Unit failures at domains.toml's rate (about 420 in the term): the
    // failed units sit in the mixed part of the pool, never in the run's.
    let s = load("maintenance.toml", &["cluster.chip_mtbf_hours=50700".to_string()]);
    let (windows, stops, chip_hours) = schedule(&s, SPANNED, RACKS);
    for o in rows(&s, 8) {
        let r = &o.row;
        assert!(r.training_interruptions > 300, "{}", r.training_interruptions);
        assert_eq!(r.maintenance_windows, windows);
        assert_eq!(r.maintenance_interruptions, stops);
        // A window on a rack past the run skips its units already down.
        assert!(r.maintenance_chip_hours <= chip_hours && r.maintenance_chip_hours > 0.9 * chip_hours);
    }
}

#[test]
fn a_spread_run_is_stopped_by_every_window() {
    // Spread, the run's 1,024 units are dealt over all 320 racks.
    let s = load(
        "maintenance.toml",
        &["cluster.failure_domains.0.placement=\"spread\"".to_string()],
    );
    let (windows, _, chip_hours) = schedule(&s, SPANNED, RACKS);
    for o in rows(&s, 2) {
        assert_eq!(o.row.maintenance_interruptions, windows);
        assert!((o.row.maintenance_chip_hours - chip_hours).abs() < 1e-9 * chip_hours);
    }
}

#[test]
fn windows_of_a_block_of_chips_roll_through_the_cluster() {
    // Blocks of 4,096 chips (256 units; 5 blocks), 48 h every 5 days from
    // day 3: 11 windows, 9 of them on the 4 blocks the run spans, the last
    // (day 53) cut to 24 h by the term's end.
    let path = support::repo().join("tests/data/validation/maintenance.toml");
    let text = std::fs::read_to_string(&path).expect("maintenance.toml");
    let text = text
        .replace("domain = \"rack\"", "chips = 4096")
        .replace("every_days = 0.1", "every_days = 5")
        .replace("hours = 1\n", "hours = 48\n")
        .replace("first_at_days = 0.05", "first_at_days = 3");
    let s = config::load_str(&text, "maintenance.toml (blocks of chips)", &[]).unwrap_or_else(|e| panic!("{e}"));
    let (windows, stops, chip_hours) = schedule(&s, 4, 5);
    assert_eq!((windows, stops), (11, 9));
    assert_eq!(chip_hours, 4096.0 * (10.0 * 48.0 + 24.0));
    let params = format!("{windows} windows over 5 blocks of 4,096 chips, run spanning 4");
    for o in rows(&s, 2) {
        let r = &o.row;
        check_schedule("M2", &params, r, (windows, stops, chip_hours));
    }
}
