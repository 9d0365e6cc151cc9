//! `cs-durable`: the engine of `cs-core` made durable on a store of `cs-store`.
//!
//! [`DurableEngine`] is the shell every adapter uses (the HTTP service, an embedding
//! program): it decides each command with `cs_core::Engine`, appends the events to the
//! store, and answers only once they are durable. [`Follower`] keeps a read-only replica of
//! a partition that another process writes, and takes over when that writer goes away.
//!
//! ```no_run
//! use cs_durable::DurableEngine;
//! # fn main() -> Result<(), cs_durable::DurableError> {
//! let mut desk = DurableEngine::open("desk.db")?;   // an SQLite file, created if missing
//! # let at = cs_core::Timestamp(0);
//! let receipt = desk.execute(&cs_core::Command::Tick { at })?; // durable when this returns
//! # Ok(()) }
//! ```
//!
//! The rules it keeps:
//! - **Nothing acknowledged is lost.** `execute` returns only after the store said the
//!   events are durable. A command whose append fails changes no state: the engine goes back
//!   to what the store holds, and the error says so.
//! - **A retry adds nothing.** A command may carry a client key; the key is stored with the
//!   command's events in the same transaction, and a retry with the same key returns the
//!   first outcome (and the reply kept with it) without deciding anything again.
//! - **One writer per partition.** Opening takes the store's writer lock; a second writer is
//!   refused (or waits, by option). Followers read without it.
//! - **Start-up folds only the tail.** Every `snapshot_every` events the state is written
//!   beside the events; opening reads the newest snapshot that matches its events and
//!   replays what came after, checking every event. A snapshot that does not match
//!   (another history, damaged bytes, an older format) is set aside and the state rebuilt
//!   from the events.
//!
//! This crate holds no routing, SLA or metrics rule: every decision is `cs-core`'s.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod engine;
mod follower;
mod restore;

pub use engine::{Batch, DurableEngine, DurableOptions, Receipt, Request};
pub use follower::{Follower, NotPromoted};
pub use restore::Opened;

use cs_core::{Rejection, ReplayError};
use cs_store::StoreError;

/// The partition [`DurableEngine::open`] uses when none is named.
pub const DEFAULT_PARTITION: &str = "default";

/// What can go wrong in the durable shell.
#[derive(Debug, thiserror::Error)]
pub enum DurableError {
    /// The engine refused the command; nothing of its own was stored. (Timers that were due
    /// before it fired and were stored: they would have fired anyway.)
    #[error("refused: {0}")]
    Rejected(Rejection),
    /// The store failed. For an `execute`, nothing of the command was stored and the
    /// engine's state is what the store holds.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A stored event does not fit the state the events before it built: the log was
    /// changed behind the engine's back.
    #[error("{store}: partition {partition:?}, event {seq}: {error}")]
    BadLog {
        /// The store.
        store: String,
        /// The partition.
        partition: String,
        /// The event's sequence number.
        seq: u64,
        /// What does not fit.
        error: ReplayError,
    },
    /// An append failed and the state could not be read back from the store either: this
    /// engine no longer knows what is durable. Open it again.
    #[error("the engine for partition {partition:?} lost its state after a store failure ({reason}); open it again")]
    Lost {
        /// The partition.
        partition: String,
        /// What failed.
        reason: String,
    },
}
