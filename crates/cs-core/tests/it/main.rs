//! cs-core integration tests: one binary, one module per area.

mod fixture;
mod gwt;

mod audit;
mod commands;
mod config_files;
mod golden;
mod metrics;
mod properties;
mod routing;
mod routing_rules;
mod sla;
mod sla_clocks;
mod sla_props;
