//! What a replica will cost, estimated from its scenario before anything
//! runs: its events, the memory it simulates in, and the memory its result
//! takes while a point's replicas are held. `check` prints the estimate, and
//! `run`/`sweep`/`merge` refuse a scenario beyond the ceilings below (exit 2,
//! naming the key that drives the cost) unless `--allow-huge` is given. The
//! estimates are expected values of the model's processes (a few tens of
//! percent either way), which is all a ceiling needs.

use crate::config::Scenario;
use crate::engine::Span;

/// The most events a replica may be expected to handle (about 2 minutes of
/// one core at today's ~10 M events/s).
pub const MAX_EVENTS_PER_REPLICA: f64 = 1e9;

/// The most memory a replica may be expected to simulate in, and the most
/// that the results held at once (a point's replicas) may take: 4 GiB.
pub const MAX_BYTES: f64 = 4.0 * 1024.0 * 1024.0 * 1024.0;

/// One source of cost and the key that sets it.
#[derive(Debug, Clone, PartialEq)]
pub struct Driver {
    /// The scenario key (dotted) a user would change to reduce it.
    pub key: &'static str,
    /// What it is, in words.
    pub what: &'static str,
    /// Expected events per replica.
    pub events: f64,
    /// Expected bytes per replica while simulating.
    pub bytes: f64,
}

/// The estimated cost of one replica of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    /// Every source of cost.
    pub drivers: Vec<Driver>,
    /// Bytes a finished replica's result takes while held.
    pub result_bytes: f64,
}

/// Why a run would be too big, and what to change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{key}: {problem} (ceiling {ceiling}; change {key}, or pass --allow-huge to run it anyway)")]
pub struct TooBig {
    /// The key (or option) that drives the cost.
    pub key: String,
    /// What the estimate is.
    pub problem: String,
    /// The ceiling it passes.
    pub ceiling: String,
}

impl Budget {
    /// Expected events per replica.
    pub fn events(&self) -> f64 {
        self.drivers.iter().map(|d| d.events).sum()
    }

    /// Expected bytes per replica while simulating.
    pub fn bytes(&self) -> f64 {
        self.drivers.iter().map(|d| d.bytes).sum()
    }

    /// Checks the estimate against the ceilings, for `held` replicas'
    /// results in memory at once (`held_key` names the option that sets
    /// that number).
    pub fn check(&self, held: u64, held_key: &str) -> Result<(), TooBig> {
        let largest = |by: fn(&Driver) -> f64| {
            self.drivers
                .iter()
                .max_by(|a, b| by(a).total_cmp(&by(b)))
                .expect("a budget has drivers")
        };
        if !within(self.events(), MAX_EVENTS_PER_REPLICA) {
            let d = largest(|d| d.events);
            return Err(TooBig {
                key: d.key.into(),
                problem: format!(
                    "a replica would handle about {} events, {} of them {}",
                    approx(self.events()),
                    approx(d.events),
                    d.what
                ),
                ceiling: format!("{} events per replica", approx(MAX_EVENTS_PER_REPLICA)),
            });
        }
        if !within(self.bytes(), MAX_BYTES) {
            let d = largest(|d| d.bytes);
            return Err(TooBig {
                key: d.key.into(),
                problem: format!(
                    "a replica would need about {} of memory, {} of it for {}",
                    bytes(self.bytes()),
                    bytes(d.bytes),
                    d.what
                ),
                ceiling: bytes(MAX_BYTES),
            });
        }
        let held_bytes = held as f64 * self.result_bytes;
        if !within(held_bytes, MAX_BYTES) {
            return Err(TooBig {
                key: held_key.into(),
                problem: format!(
                    "{held} replicas' results held at once would need about {} of memory ({} each)",
                    bytes(held_bytes),
                    bytes(self.result_bytes)
                ),
                ceiling: bytes(MAX_BYTES),
            });
        }
        Ok(())
    }
}

/// `x ≤ ceiling`; a NaN estimate is not within any ceiling.
fn within(x: f64, ceiling: f64) -> bool {
    x <= ceiling
}

fn approx(x: f64) -> String {
    crate::config::rules::approx(x)
}

/// Bytes for people: "3.2 GB".
pub fn bytes(b: f64) -> String {
    let (value, unit) = [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")]
        .into_iter()
        .find(|&(scale, _)| b >= scale)
        .map_or((b, "B"), |(scale, unit)| (b / scale, unit));
    format!("{} {unit}", approx((value * 10.0).round() / 10.0))
}

/// The estimated cost of one replica of `s`.
pub fn estimate(s: &Scenario) -> Budget {
    let term = s.contract.term;
    let years = term.in_units(Span::YEAR);
    let secs = term.secs() as f64;
    let cl = &s.cluster;
    let total_units: u64 = cl.tranches.iter().map(|t| t.units).sum();
    // Failure candidates over every delivered unit while in service (the
    // plan's windows, cut at the term), each with a repair event.
    let unit_seconds: f64 = cl
        .tranches
        .iter()
        .map(|t| {
            let (start, end) = cl.planned_service(t);
            let end = end.min(crate::engine::SimTime::at(term));
            t.units as f64 * (end - start).secs() as f64
        })
        .sum();
    let failures = unit_seconds * cl.unit_failure_rate;
    // Hazard failures of each delivery over its planned service in the
    // term: chips × Σ H(service); lemons fail at most k times each.
    let (mut hazard_failures, mut lemon_failures) = (0.0, 0.0);
    for t in &cl.tranches {
        let (start, end) = cl.planned_service(t);
        let service = (end.min(crate::engine::SimTime::at(term)) - start).secs() as f64;
        let chips = (t.units * cl.unit_chips) as f64;
        hazard_failures += chips * cl.hazards.iter().map(|h| h.cumulative(service)).sum::<f64>();
        if let Some(l) = &cl.lemons {
            let each = ((l.rate_multiple - 1.0) * cl.unit_failure_rate * service).min(l.detect_after_failures.into());
            lemon_failures += t.units as f64 * l.fraction * each;
        }
    }
    let steps = term.steps_of(s.timeseries_step) as f64;
    let mut drivers = vec![
        Driver {
            key: "cluster.chip_mtbf_hours",
            what: "failures and repairs",
            events: 2.0 * failures,
            // A pending repair per down unit, at most every unit.
            bytes: 16.0 * (failures.min(total_units as f64)),
        },
        Driver {
            key: "simulation.timeseries_step_months",
            what: "time-series steps",
            events: steps,
            bytes: steps * STEP_BYTES,
        },
        Driver {
            key: "contract.term_years",
            what: "month ends and tranche events",
            events: term.steps_of(Span::MONTH) as f64 + 3.0 * cl.tranches.len() as f64,
            // Two wait histograms of ~190 kB and the books.
            bytes: 400e3,
        },
    ];
    if !cl.hazards.is_empty() || cl.lemons.is_some() {
        drivers.push(Driver {
            key: if cl.hazards.is_empty() {
                "cluster.lemons"
            } else {
                "cluster.hazards"
            },
            what: "hazard and lemon failures and repairs",
            events: 2.0 * (hazard_failures + lemon_failures),
            bytes: 0.0,
        });
    }
    if let Some(i) = &s.inference {
        drivers.push(Driver {
            key: "inference.step_hours",
            what: "inference demand steps",
            events: secs / i.step.secs() as f64,
            bytes: 0.0,
        });
    }
    if let Some(r) = &s.research {
        let g = r.arrival_log_growth;
        // ∫ λ₀ e^{gt} dt over the term.
        let arrivals = if g.abs() < 1e-300 {
            r.arrival_rate * secs
        } else {
            r.arrival_rate * (g * secs).exp_m1() / g
        };
        // A backlog that never runs dry keeps the units it may use busy:
        // about (units it may hold × term) / (units × run time) jobs.
        let backlog = match &r.elastic {
            Some(e) if e.never_empty => {
                let end = crate::engine::SimTime::at(term);
                let units = e.cap_units(end, cl.unit_chips).min(total_units) as f64;
                let job_units = (r.chips.mean() / cl.unit_chips as f64)
                    .ceil()
                    .clamp(r.min_units as f64, r.max_units as f64);
                let job_secs = (r.duration.mean_in_units() * Span::HOUR.secs() as f64).max(1.0);
                units * secs / (job_units * job_secs)
            }
            _ => 0.0,
        };
        drivers.push(Driver {
            key: if backlog > 0.0 {
                "research.duration_hours"
            } else {
                "research.arrivals_per_hour"
            },
            what: "research arrivals and completions",
            events: 2.0 * arrivals + backlog,
            // A waiting job is its 4-byte arrival time; running jobs are
            // bounded by the cluster's units.
            bytes: 4.0 * arrivals + 96.0 * (total_units / r.min_units.max(1)) as f64,
        });
    }
    if let Some(t) = &s.training {
        drivers.push(Driver {
            key: "training.generator.interval_months",
            what: "training runs",
            events: 4.0 * t.runs.len() as f64,
            bytes: 160.0 * t.runs.len() as f64,
        });
    }
    let runs = s.training.as_ref().map_or(0, |t| t.runs.len()) as f64;
    Budget {
        drivers,
        // The row, the time series, one record per run and the ledger's plan.
        result_bytes: 600.0 + steps * STEP_BYTES + 120.0 * runs + 8.0 * years * 12.0,
    }
}

/// Bytes of one time-series step of one replica (`metrics::Step`).
const STEP_BYTES: f64 = std::mem::size_of::<crate::metrics::Step>() as f64;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    #[test]
    fn the_baseline_fits_and_its_estimate_matches_its_event_count() {
        let s = config::load_baseline(&[]).unwrap();
        let b = estimate(&s);
        b.check(10_000, "--replicas").unwrap();
        // A baseline replica handles ~8.75 M events (BENCHMARKS.md, --stats).
        assert!((5e6..15e6).contains(&b.events()), "{}", b.events());
    }

    #[test]
    fn hazards_and_lemons_add_their_failures_to_the_estimate() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/realistic.toml");
        let s = config::load_file(&path, &[]).unwrap();
        let driver = estimate(&s)
            .drivers
            .into_iter()
            .find(|d| d.key == "cluster.hazards")
            .expect("realistic.toml has hazards");
        // A realistic replica has ~250k hazard failures and ~2.3k lemon
        // failures, each with its repair (--stats: 252k age_failure events
        // a replica); the plan's deliveries are on time, so a bit more.
        assert!((3.5e5..7e5).contains(&driver.events), "{}", driver.events);
        let baseline = config::load_baseline(&[]).unwrap();
        assert!(estimate(&baseline).drivers.iter().all(|d| d.key != "cluster.hazards"));
    }

    #[test]
    fn a_scenario_too_big_names_the_key_that_drives_it() {
        let tiny_steps = config::load_baseline(&["simulation.timeseries_step_months=1e-9".into()]).unwrap();
        let e = estimate(&tiny_steps).check(1, "--replicas").unwrap_err();
        assert_eq!(e.key, "simulation.timeseries_step_months");
        // The finest step allowed (one minute) stays within the ceilings:
        // 2.6e6 demand steps over the 5-year term.
        let fast_inference = config::load_baseline(&["inference.step_hours=0.0166667".into()]).unwrap();
        assert!(
            estimate(&fast_inference).check(1, "--replicas").is_ok(),
            "1-minute steps: 2.6e6 events"
        );
        let replicas = estimate(&config::load_baseline(&[]).unwrap())
            .check(4_294_967_295, "--replicas")
            .unwrap_err();
        assert_eq!(replicas.key, "--replicas");
        assert!(replicas.to_string().contains("--allow-huge"), "{replicas}");
    }

    #[test]
    fn bytes_read_for_people() {
        assert_eq!(bytes(4.0 * 1024.0 * 1024.0 * 1024.0), "4.3 GB");
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(1.5e6), "1.5 MB");
    }
}
