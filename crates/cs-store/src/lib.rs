//! `cs-store`: where the events of the cs routing and SLA engine are kept.
//!
//! For now this is the JSON-lines event log ([`jsonl`]): one event per line, each line the
//! JSON of a [`cs_core::Envelope`] (the event tagged by `"type"` with the schema version
//! `"v"` next to it). Writers append whole lines; readers decode every line through an
//! upcasting hook, check that time never goes back, and report a line torn by a crash
//! distinctly, so nothing acknowledged is lost and torn bytes are never taken for an event.
//!
//! What this crate never does: decide anything. It holds no routing or SLA logic, never
//! calls `decide` or `apply`, never reads a clock and never changes an event it stores; it
//! only moves events between memory and bytes, and refuses bytes that are not a valid log.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codec;
pub mod jsonl;

pub use jsonl::{
    JsonlReader, JsonlWriter, LINE_BYTES_MAX, LogError, Recovered, Reopened, TornTail, UpcastError, line_of_event, read_all,
    read_all_tolerant, upcast, write_all,
};
