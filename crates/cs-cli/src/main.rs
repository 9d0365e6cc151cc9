//! `cs`: the command line of the event-sourced routing and SLA engine for customer service.
//!
//! Subcommands (one module each under `src/cmd/`):
//!
//! - `cs simulate`: run a scenario through the engine in simulated time, print its metrics,
//!   optionally write the event log and SVG charts, or replay a log's arrivals (what-if);
//! - `cs staff`: agents needed for a service level (Erlang C, or Erlang A with patience);
//! - `cs erlang`: queue metrics for a given staffing;
//! - `cs replay`: rebuild state and metrics from a JSON-lines event log, up to a time;
//! - `cs validate`: check a config or scenario file and list every problem.
//!
//! Output is a human-readable table, or with `--json` one JSON object on stdout. Errors end in
//! one line on stderr, `error: ...` (after one line per problem when a file has several),
//! with exit status 1; usage errors (unknown flags, bad
//! values) are clap's, with status 2.
//!
//! What this binary never does: decide anything. It holds no routing, SLA or queueing
//! logic; it parses flags and files, calls `cs-core` (decide/apply/replay, metrics),
//! `cs-sim` (Erlang formulas, the simulator) and `cs-store` (event logs), and prints what they return.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cmd;

use clap::Parser;
use std::process::ExitCode;

/// Routing and SLA engine for customer service: staffing, metrics, replay, validation.
#[derive(Parser, Debug)]
#[command(name = "cs", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: cmd::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cmd::run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` joins the context chain with ": "; keep the error on one line.
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}
