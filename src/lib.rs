//! mortgage-sim: a discrete-event simulator of how a pre-purchased AI
//! accelerator cluster (a "compute mortgage") gets used over its contract term.
#![warn(missing_docs)]

pub mod config;
pub mod engine;
pub mod finance;
pub mod folder;
pub mod metrics;
pub mod model;
pub mod montecarlo;
pub mod output;
pub mod shard;
pub mod stats;
pub mod sweep;
