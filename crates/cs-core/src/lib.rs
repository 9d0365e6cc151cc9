//! `cs-core`: the deterministic heart of an event-sourced routing and SLA engine for
//! customer service.
//!
//! Commands are decided against state and produce events; state is a fold of events.
//!
//! ```text
//! Command --Decision::step(&State)--> Vec<Event> --apply_all(&mut State)--> State' --step--> ...
//! ```
//!
//! This crate never does I/O, never reads a clock and never draws a random number: time
//! enters as the `at` of every command, so replaying a log reproduces every routing
//! decision exactly. It holds no async code and no global state; the configuration is
//! itself an event (`Configured`), so a log carries the rules it was decided under.
//!
//! Start with [`Engine`] (decide and apply in place) or the pure pair [`Decision`] and
//! [`apply_all`] (decide a step against a state you own, apply it, decide the next). A log read back from outside (a file that may have been edited or spliced)
//! goes through [`try_replay`], which checks each event against the state before folding it
//! and names the first that does not fit, where [`replay`] would trip an assertion.

#![forbid(unsafe_code)]

pub mod agent;
mod apply;
pub mod audit;
pub mod calendar;
pub mod capacity;
pub mod channel;
pub mod command;
pub mod config;
mod decide;
mod eligibility;
mod engine;
pub mod escalation;
pub mod event;
pub mod explain;
pub mod id;
pub mod metrics;
mod ordset;
pub mod priority;
pub mod projection;
mod rankset;
pub mod rejection;
mod routing;
pub mod skill;
pub mod sla;
pub mod snapshot;
pub mod state;
pub mod ticket;
pub mod time;
mod verify;

pub use agent::{Agent, Capacity, LanguageSet, Load, Presence, SupportTier};
pub use apply::{apply, apply_all, apply_all_projected, apply_projected, replay, replay_projected};
pub use audit::audit;
pub use channel::Channel;
pub use command::Command;
pub use config::{Config, ConfigError, ConfigSpec, IncompatibleChange, Strategy};
pub use decide::Decision;
pub use engine::Engine;
pub use event::{Envelope, Event};
pub use explain::{Explanation, explain, explain_agent, explain_assignment};
pub use id::{AgentId, CategoryId, CustomerId, LanguageId, QueueId, SkillId, TeamId, TicketId};
pub use projection::Projection;
pub use rejection::Rejection;
pub use routing::{AgentRank, Occupancy};
pub use skill::{SkillNeed, SkillNeeds};
pub use state::State;
pub use ticket::{CustomerTier, Emotion, Ticket, TicketSpec, TicketStatus, Urgency};
pub use time::Timestamp;
pub use verify::{
    CheckError, ReplayError, Replayed, Replayer, check, try_replay, try_replay_projected, try_replay_report,
};
