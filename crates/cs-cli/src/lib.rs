//! `cs-cli`: the reusable part of the `cs` command line.
//!
//! The `cs` binary (`src/main.rs`, one module per subcommand under `src/cmd/`) parses
//! flags, reads files, calls `cs-core`, `cs-sim` and `cs-store`, and prints. This library
//! holds what more than one subcommand (and the tests) must share so that their output
//! agrees field for field:
//!
//! - [`summary`]: the metrics summary ([`summary::Summary`]) that `cs replay --json` prints
//!   and `cs simulate --json` must print too, so that replaying a simulated log gives the
//!   same figures as the simulation printed;
//! - [`explain`]: a routing explanation with names for ids, as `cs explain` prints it;
//! - [`flags`]: value parsers for flags (fractions given as `0.8`, `80` or `80%`,
//!   positive seconds) with messages that name the rule;
//! - [`table`]: plain-text tables and number formatting for the human-readable output;
//! - [`plot`]: the SVG charts `cs simulate --plot` writes.
//!
//! What this crate never does: decide anything. It holds no routing, SLA or queueing
//! logic; every figure it prints was computed by `cs-core` (metrics, state) or `cs-sim`
//! (Erlang formulas). It only translates, formats and reports.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod explain;
pub mod flags;
pub mod plot;
pub mod summary;
pub mod table;
