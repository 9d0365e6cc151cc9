//! `cs-sim`: discrete-event simulation and queueing analytics for contact-centre
//! capacity planning.
//!
//! - [`Scenario`]: demand (queues with arrival, handle-time, patience and customer-mix
//!   models, bots) and supply (teams, skills, capacity, shifts), read from TOML and
//!   checked with every problem reported (`docs/SCENARIOS.md`). The engine's routing
//!   rules pass through to `cs_core::ConfigSpec` untouched.
//! - [`run`] simulates a scenario once; [`replicate`] runs independent replications and
//!   estimates each figure with a confidence interval ([`replicate_after`] when
//!   replication 0 has been run already; [`replicate_logged`] to write replication 0's
//!   event log while the others run), on [`RunOptions::threads`] threads (rayon, one
//!   engine per replication, figures independent of the thread count); [`arrivals_from_events`] lifts the
//!   arrivals out of a recorded log for a what-if run against another scenario.
//! - [`erlang`]: Erlang B, C and A (M/M/c+M) metrics and a staffing solver.
//!
//! What this crate never does: decide anything about routing, priority, SLAs or
//! escalation. The simulator plays the world (customers arriving, waiting, giving up,
//! agents working through their tickets and shifts, bots) and drives an unmodified
//! `cs_core::Engine` through its public commands in simulated time; every decision comes
//! from the engine, so a simulated log replays with `cs_core::replay` to the same metrics.
//! It reads no clock and draws randomness only from seeded ChaCha8 streams with
//! platform-independent maths (`libm`), so a scenario and a seed give a byte-identical
//! event log on every machine. It does no I/O beyond [`Scenario::load`] reading the
//! scenario file.
//!
//! ```no_run
//! use cs_sim::{RunOptions, Scenario, run};
//! let scenario = Scenario::load("examples/scenarios/mmc-check.toml".as_ref())?;
//! let result = run(&scenario, &RunOptions::default(), &mut |_event| {}, &mut |_done| {})?;
//! println!("service level {:?}", result.figures().service_level);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod arrivals;
mod dist;
pub mod erlang;
mod run;
mod scenario;
mod stats;

pub use arrivals::{Arrival, arrivals_from_events};
pub use run::{
    HANDOFF_REASON, QueueEstimates, RecordedUse, Replications, Run, RunOptions, RunSummary, Sample, SimError,
    replicate, replicate_after, replicate_logged, replication_seed, run,
};
pub use scenario::{
    AGENTS_MAX, DEFAULT_CLOSED_TICKET_RETENTION_S, DEFAULT_CUSTOMER_MEMORY_S, DEFAULT_CUSTOMER_POOL,
    DEFAULT_SERVICE_LEVEL_TARGET_S, DEFAULT_START, DURATION_S_MAX, FILE_BYTES_MAX, REPLICATIONS_MAX, ReadError,
    Scenario, ScenarioError, ScenarioProblem, fmt_num, read_text,
};
pub use stats::{Estimate, Estimates, Figures, Histogram, normal_quantile, student_t_two_sided};
