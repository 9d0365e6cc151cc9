//! `cs-http`: the engine as a service. A help desk posts agents, tickets and their
//! actions as JSON with its own string ids; the service translates each request into a
//! command of the core, decides it durably on the tenant's `DurableEngine`, and answers
//! with the state; it wakes itself at the engine's next deadline so SLA warnings and
//! breaches fire on time, streams every event as server-sent events, serves a live
//! dashboard, Prometheus metrics and its OpenAPI document. Several processes can share a
//! PostgreSQL store: each tenant is written by one and followed by the others.
//!
//! What this crate never does: decide. It holds no routing, SLA or metrics logic; every
//! answer is built from the core's state and events (`docs/HTTP.md` shows every endpoint).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod client;
pub mod cluster;
pub mod config;
mod dashboard;
pub mod error;
mod openapi;
pub mod prom;
pub mod routes;
pub mod server;
mod sse;
pub mod tenant;
pub mod views;

pub use config::{ServiceConfig, TenantConfig, token_digest};
pub use error::ApiError;
pub use server::{Bound, ServeError, ServeOptions, bind, shutdown_signal};
