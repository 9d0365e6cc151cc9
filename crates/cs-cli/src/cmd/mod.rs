//! The subcommands: one module each, with its `Args` (clap) and `run`.
//!
//! Adding a subcommand is one line in the `commands!` list below (its doc comment is the
//! one-line help) plus its module file `src/cmd/NAME.rs` exposing `Args` and
//! `run(Args) -> anyhow::Result<()>`.

use std::io::Write as _;

/// Declares the subcommand modules, the `Command` enum and its dispatch in one list.
macro_rules! commands {
    ($($(#[$doc:meta])* $variant:ident => $module:ident,)+) => {
        $(pub mod $module;)+

        /// A subcommand with its arguments.
        #[derive(clap::Subcommand, Debug)]
        pub enum Command {
            $($(#[$doc])* $variant($module::Args),)+
        }

        /// Runs a subcommand.
        pub fn run(command: Command) -> anyhow::Result<()> {
            match command {
                $(Command::$variant(args) => $module::run(args),)+
            }
        }
    };
}

commands! {
    /// Simulate a scenario through the engine and print its metrics.
    Simulate => simulate,
    /// Agents needed for a service level (Erlang C, or Erlang A with --patience-s).
    Staff => staff,
    /// Queue metrics for a given number of agents (Erlang C, or Erlang A with --patience-s).
    Erlang => erlang,
    /// Rebuild state and metrics from a JSON-lines event log, up to a time.
    Replay => replay,
    /// Check a config or scenario file and list every problem.
    Validate => validate,
    /// Load a JSON-lines event log into a store's partition.
    Import => import,
    /// Write a store's partition as a JSON-lines event log.
    Export => export,
    /// Run the HTTP service: JSON API, event stream, dashboard, metrics.
    Serve => serve,
    /// Forecast arrivals per queue per 15 minutes from history, or backtest the forecast.
    Forecast => forecast,
    /// Staffing plan per 15 minutes from a forecast: requirement, reserve, shifts, proof by simulation.
    Plan => plan,
    /// Why a ticket went (or would go) to whom, from an event log.
    Explain => explain,
}

/// Opens a store that must already exist: a folder or file path that is not there is an
/// error (reading commands never create a store), a `postgres://` URL is opened as it is.
pub fn open_existing_store(location: &str) -> anyhow::Result<std::sync::Arc<dyn cs_store::EventStore>> {
    if !cs_store::is_postgres_url(location) && !std::path::Path::new(location).exists() {
        anyhow::bail!("{location}: no such store (a folder or file made by cs serve or cs import)");
    }
    Ok(cs_store::open(location)?)
}

/// The message for a partition that holds no events: names the ones that do.
pub fn no_such_partition(store: &dyn cs_store::EventStore, partition: &str) -> anyhow::Result<String> {
    let names = store.partitions()?;
    const SHOWN: usize = 10;
    let listed = names.iter().take(SHOWN).map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ");
    let have = match names.len() {
        0 => "it holds no partition".to_owned(),
        n if n <= SHOWN => format!("it holds {listed}"),
        n => format!("it holds {n} partitions: {listed} and {} more", n - SHOWN),
    };
    Ok(format!("partition {partition:?} of {} holds no events; {have}", store.describe()))
}

/// Writes the command's output to stdout. A closed pipe (`cs replay log | head`) is not an
/// error: the reader has seen what it wanted.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

/// Prints a value as one JSON object on one line.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    print(&(serde_json::to_string(value)? + "\n"))
}

/// Turns an Erlang error into a message naming the `cs` flag (the library names its
/// parameters; the flags are the same words with dashes, except the two caps).
pub fn erlang_error(e: cs_sim::erlang::ErlangError) -> anyhow::Error {
    use cs_sim::erlang::ErlangError;
    match e {
        ErlangError::InvalidInput { name, value, reason } => {
            let flag = match name {
                "asa_s_max" => "asa-max-s".to_owned(),
                "abandon_rate_max" => "abandon-max".to_owned(),
                other => other.replace('_', "-"),
            };
            anyhow::anyhow!("--{flag} {}: {reason}", cs_sim::fmt_num(value))
        }
        other => anyhow::anyhow!(other),
    }
}

/// The traffic flags `cs staff` and `cs erlang` share, also the first fields of their JSON.
#[derive(clap::Args, serde::Serialize, Debug, Clone, Copy)]
pub struct TrafficArgs {
    /// Contacts arriving per hour (Poisson).
    #[arg(long, value_name = "X", value_parser = cs_cli::flags::positive)]
    pub arrivals_per_hour: f64,
    /// Average handle time, seconds.
    #[arg(long, value_name = "Y", value_parser = cs_cli::flags::positive)]
    pub aht_s: f64,
    /// Mean patience in seconds: use Erlang A (contacts abandon) instead of Erlang C.
    #[arg(long, value_name = "Z", value_parser = cs_cli::flags::positive)]
    pub patience_s: Option<f64>,
}

impl TrafficArgs {
    /// The traffic these flags describe, or an error naming the flag.
    pub fn traffic(&self) -> anyhow::Result<cs_sim::erlang::Traffic> {
        cs_sim::erlang::Traffic::new(self.arrivals_per_hour, self.aht_s, self.patience_s).map_err(erlang_error)
    }
}

/// Replays the events read from the log at `path`, checking each against what the engine
/// would have written ([`cs_core::try_replay`]): an event that does not follow from the
/// ones before it (the log was edited, spliced or cut) is an error naming the file, its
/// line and what does not fit. A projection `P` (the metrics, or none: `()`) is folded
/// beside the state. A log that stops inside a decision is replayed as far as it goes, with
/// a warning on standard error naming where that decision starts.
pub fn replay_log<P: cs_core::Projection + Default>(
    path: &std::path::Path,
    events: &[cs_core::Event],
) -> anyhow::Result<(cs_core::State, P)> {
    let at = |index: usize| match cs_store::line_of_event(path, index) {
        Some(line) => format!("{}:{line}", path.display()),
        None => path.display().to_string(),
    };
    let r = cs_core::try_replay_report::<P>(events)
        .map_err(|e| anyhow::anyhow!("{}: {e}; the log cannot be replayed past it", at(e.index)))?;
    if let Some(cut) = r.cut {
        eprintln!("warning: {}: {}", at(cut), cut_decision(events, cut));
    }
    Ok((r.state, r.projection))
}

/// What a warning says of a log that stops inside the decision starting at `events[cut]`.
pub fn cut_decision(events: &[cs_core::Event], cut: usize) -> String {
    let e = &events[cut];
    format!(
        "the log stops inside the decision starting with this event ({} at {}): the engine would have written \
         more events then (cut short by a crash, or by hand); the state is as the log leaves it",
        e.name(),
        e.at()
    )
}
