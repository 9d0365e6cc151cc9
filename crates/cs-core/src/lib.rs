//! `cs-core`: the deterministic heart of the routing and SLA engine.

pub mod calendar;
pub mod time;
