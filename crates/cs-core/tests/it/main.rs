//! cs-core integration tests: one binary, one module per area.

// A global allocator is unsafe by nature; the one in `alloc` only counts and forwards to
// the system allocator. The library itself forbids unsafe code.
#![allow(unsafe_code)]

mod alloc;
mod fixture;
mod gwt;

mod audit;
mod commands;
mod config_files;
mod cut_logs;
mod explain_agreement;
mod fairness;
mod golden;
mod index;
mod invariants;
mod metrics;
mod properties;
mod rejections;
mod routing;
mod routing_rules;
mod sla;
mod sla_clocks;
mod sla_props;
