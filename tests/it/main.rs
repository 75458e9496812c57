//! Integration tests, one binary (see STYLE.md): one module per topic.

mod architecture;
mod bad_configs;
mod buyer;
mod fidelity;
mod fleets;
mod fuzz;
mod golden;
mod headroom;
mod model;
mod money;
mod parquet;
mod point_files;
mod precision;
mod ramp;
mod recovery;
mod report;
mod research_elastic;
mod safety;
mod scenarios;
mod schema;
mod sensitivity;
mod shards;
mod support;
mod sweep;
mod validation;
