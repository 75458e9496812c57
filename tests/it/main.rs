//! Integration tests, one binary (see STYLE.md): one module per topic.

mod bad_configs;
mod fuzz;
mod golden;
mod model;
mod money;
mod report;
mod scenarios;
mod shards;
mod support;
mod sweep;
mod validation;
