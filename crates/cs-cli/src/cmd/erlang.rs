//! `cs erlang`: steady-state metrics for a given number of agents, from
//! `cs_sim::erlang::metrics` (Erlang C, or Erlang A with `--patience-s`), and Erlang B's
//! blocking for the same agents and load.

use cs_cli::flags;
use cs_cli::table::pairs;
use cs_sim::erlang::{ErlangError, Metrics, erlang_b, metrics};
use serde::Serialize;

/// Flags of `cs erlang`.
#[derive(clap::Args, Debug)]
// `--agents -3` is a bad value (reported as such), not an unknown flag `-3`.
#[command(allow_negative_numbers = true)]
pub struct Args {
    #[command(flatten)]
    pub traffic: super::TrafficArgs,
    /// Agents on the phones.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub agents: u32,
    /// Service-level target time: answered within this many seconds.
    #[arg(long, value_name = "T", value_parser = flags::non_negative)]
    pub target_s: f64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The JSON printed by `cs erlang --json`: the inputs and the metrics (flattened:
/// `agents`, `p_wait`, `service_level`, `asa_s`, `occupancy`, `p_abandon`, ...).
#[derive(Serialize, Debug)]
struct Output {
    #[serde(flatten)]
    traffic: super::TrafficArgs,
    #[serde(flatten)]
    metrics: Metrics,
    /// Erlang B: the share of contacts blocked when nobody may wait (a loss system: lines
    /// or chat slots with no queue), for the same agents and offered load.
    p_block: f64,
}

/// Runs `cs erlang`.
pub fn run(a: Args) -> anyhow::Result<()> {
    let traffic = a.traffic.traffic()?;
    let m = metrics(&traffic, a.agents, a.target_s).map_err(|e| match e {
        ErlangError::Unstable { agents, load_erlangs } => anyhow::anyhow!(
            "{agents} agents cannot carry {load_erlangs:.2} erlangs offered without abandonment: the queue grows \
             without bound (Erlang C has no steady state); use --agents {} or more, or give --patience-s for Erlang A",
            load_erlangs.floor() as u64 + 1
        ),
        other => super::erlang_error(other),
    })?;
    let p_block = erlang_b(a.agents, m.offered_load_erlangs);
    if a.json {
        return super::print_json(&Output { traffic: a.traffic, metrics: m, p_block });
    }
    let mut rows = vec![
        ("model", super::staff::describe_model(m.model, a.traffic.patience_s)),
        ("traffic", super::staff::describe_traffic(a.traffic.arrivals_per_hour, a.traffic.aht_s, m.offered_load_erlangs)),
        ("agents", m.agents.to_string()),
    ];
    rows.extend(super::staff::metric_rows(&m));
    rows.push(("blocked, no queue (Erlang B)", cs_cli::table::percent(Some(p_block))));
    super::print(&pairs(&rows))
}
