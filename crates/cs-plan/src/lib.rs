//! `cs-plan`: planning a contact centre ahead of the day, and elastically during it.
//!
//! - [`History`]: arrivals per queue per 15-minute interval, counted from an event log
//!   ([`History::from_events`]) or read from a CSV of interval counts
//!   ([`History::from_csv`]).
//! - [`forecast`](mod@forecast): the next intervals' arrivals per queue with an MSTL
//!   decomposition (daily and weekly seasonality) and an AutoETS trend, from the `augurs`
//!   crates, beside a seasonal-naive baseline; known surges as multipliers over windows;
//!   [`forecast::backtest`] holds out the last days and scores both (WAPE, bias).
//! - [`plan`](mod@plan): agents per interval per queue to meet a service-level target
//!   (Erlang A with a patience, C without, through `cs_sim::erlang`), an elastic
//!   reserve, shrinkage, a greedy shift cover ([`cover`]) and the scenario that runs the
//!   plan; [`verify`](mod@verify) simulates it with the real engine in the loop
//!   (`cs_sim`, replications in parallel) and checks every interval against the target.
//! - [`elastic`]: a pure function from the last hour's arrivals and handle times per queue
//!   to the agents needed now and in the next intervals.
//!
//! What this crate never does: decide anything about routing, SLAs or metrics (those are
//! `cs-core`'s; every simulated figure is the core's metrics report), read a clock, or do
//! I/O. Its inputs are events, text and numbers handed in by the caller; its randomness
//! is the simulator's, from seeds.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cover;
pub mod elastic;
pub mod forecast;
mod history;
pub mod plan;
pub mod verify;

pub use history::{History, INTERVALS_PER_DAY, INTERVALS_PER_WEEK, Series};

/// Why planning could not go on: every variant names what is wrong.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// The history (a log or a CSV) is unusable.
    #[error("history: {0}")]
    History(String),
    /// A forecast could not be made or read.
    #[error("forecast: {0}")]
    Forecast(String),
    /// The plan's configuration is invalid.
    #[error("plan config: {0}")]
    Config(String),
    /// Staffing could not be computed.
    #[error("staffing: {0}")]
    Staffing(String),
    /// The plan's simulation failed.
    #[error("simulation: {0}")]
    Simulation(String),
}
