//! # mortgage-sim
//!
//! A discrete-event simulator of how a pre-purchased AI accelerator cluster
//! (a "compute mortgage": a lab commits, say, $100B over five years for 1.5
//! million chips) gets used over its contract term, and of the counterparty
//! risk of the deal.
//!
//! ## A replica
//!
//! A *replica* is one simulated contract term. Capacity arrives in tranches
//! (late, by a random delay), failure units fail and are repaired, frontier
//! training runs hold their gangs, checkpoint and restart, inference demand
//! follows a growth path, research jobs queue for what is left, and at each
//! month's end the buyer pays — until it cannot. Time is integer seconds
//! ([`engine::SimTime`]); chip-seconds are integrated exactly, so
//! delivered = busy + re-marketed + down + idle holds to the chip-second.
//!
//! A replica's randomness comes from its seed alone, derived from the
//! master seed and the replica index ([`montecarlo::replica_seed`]), with one
//! stream per component: the same replica is the same on any machine and
//! thread count, and every point of a sweep sees the same draws (common
//! random numbers).
//!
//! ## Running replicas from code
//!
//! ```
//! use mortgage_sim::{config, model, montecarlo, stats};
//!
//! // The embedded baseline, scaled down to 15,000 chips so it runs fast.
//! let scenario = config::load_baseline(&[
//!     "cluster.tranches.0.chips=10000".into(),
//!     "cluster.tranches.1.chips=4992".into(),
//!     "training.generator.initial_chips=992".into(),
//!     "training.generator.max_chips=3008".into(),
//!     "inference.base_demand_chips=2500".into(),
//!     "research.arrivals_per_hour=0.4".into(),
//! ])?;
//!
//! // One replica: its row of replicas.csv, its books and its ledger.
//! let seed = montecarlo::replica_seed(scenario.seed, 0);
//! let one = model::simulate(&scenario, 0, seed);
//! assert_eq!(one.chip_seconds.conservation_error(), 0);
//! assert!((0.0..=1.0).contains(&one.row.utilization));
//!
//! // Several in parallel (rayon), in replica order, and their mean.
//! let outcomes = montecarlo::run_point(&scenario, 4, &montecarlo::Silent);
//! let utilization: Vec<f64> = outcomes.iter().map(|o| o.row.utilization).collect();
//! let summary = stats::Summary::of(&utilization, &[0.5]).expect("four replicas");
//! assert_eq!(outcomes[0].row, one.row); // replica 0 is replica 0, however run
//! println!("utilization {:.3} ± {:.3}", summary.mean, summary.ci95_half_width());
//! # Ok::<(), mortgage_sim::config::ConfigError>(())
//! ```
//!
//! ## Where things are
//!
//! Data flows one way — config → replicas → per-replica results →
//! aggregation → files — and so do the imports, with no cycle:
//! [`engine`] ← [`config`] ← [`finance`] ← [`metrics`] ← [`model`] ←
//! [`montecarlo`] ← {[`sweep`], [`shard`], [`output`]} ← [`jobs`] ← the
//! CLI, with [`stats`] and [`folder`] as leaves anyone may use.
//!
//! - [`engine`]: the clock and the event queue, nothing of the domain.
//! - [`config`]: scenario files → checked [`config::Scenario`], in
//!   simulation units.
//! - [`finance`]: the contract's figures and the buyer's monthly ledger.
//! - [`metrics`]: what a replica measures (chip-second books, the time
//!   series, the `replicas.csv` row and its column table, risk figures).
//! - [`model`]: the per-replica world that handles events; returns a tally.
//! - [`montecarlo`]: seeding, parallel replicas, precision targets.
//! - [`sweep`], [`shard`]: grids of scenarios; splitting and merging them.
//! - [`output`]: result files, `check`'s text and the HTML report.
//! - [`jobs`]: the CLI's commands as calls (run, run a shard, merge), each
//!   checked before it starts and streamed into its folder.
#![warn(missing_docs)]

pub mod config;
pub mod engine;
pub mod finance;
pub mod folder;
pub mod jobs;
pub mod metrics;
pub mod model;
pub mod montecarlo;
pub mod output;
pub mod sensitivity;
pub mod shard;
pub mod stats;
pub mod sweep;
