//! `cs staff`: the fewest agents meeting a service level, from `cs_sim::erlang::staff`.
//!
//! Erlang C without `--patience-s`, Erlang A (callers abandon, mean patience Z seconds)
//! with it. The service level is answered within `--target-s` over offered. Shares
//! (`--service-level`, `--shrinkage`, `--abandon-max`) are fractions (`0.8`) or
//! percentages (`80`, `80%`); see `cs_cli::flags`.

use cs_cli::flags;
use cs_cli::table::{pairs, percent, seconds};
use cs_sim::erlang::{Metrics, QueueModel, StaffingGoal, staff};
use serde::Serialize;

/// Flags of `cs staff`.
#[derive(clap::Args, Debug)]
// `--agents -3` is a bad value (reported as such), not an unknown flag `-3`.
#[command(allow_negative_numbers = true)]
pub struct Args {
    #[command(flatten)]
    pub traffic: super::TrafficArgs,
    /// Service-level target time: answered within this many seconds.
    #[arg(long, value_name = "T", value_parser = flags::non_negative)]
    pub target_s: f64,
    /// Service level to reach: a fraction (0.8) or a percentage (80 or 80%).
    #[arg(long, value_name = "P", value_parser = flags::service_level)]
    pub service_level: f64,
    /// Share of paid time off the phones (breaks, training): 0.3, 30 or 30%.
    #[arg(long, value_name = "S", value_parser = flags::shrinkage, default_value = "0")]
    pub shrinkage: f64,
    /// Also keep the average speed of answer at or below this many seconds.
    #[arg(long, value_name = "A", value_parser = flags::positive)]
    pub asa_max_s: Option<f64>,
    /// Also keep the abandonment rate at or below this share (with --patience-s).
    #[arg(long, value_name = "R", value_parser = flags::probability_max, requires = "patience_s")]
    pub abandon_max: Option<f64>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The JSON printed by `cs staff --json`: the inputs, the staffing, and the metrics with
/// `agents` on the phones (flattened: `p_wait`, `service_level`, `asa_s`, `occupancy`,
/// `p_abandon`, ...).
#[derive(Serialize, Debug)]
struct Output {
    #[serde(flatten)]
    traffic: super::TrafficArgs,
    service_level_goal: f64,
    shrinkage: f64,
    asa_max_s: Option<f64>,
    abandon_max: Option<f64>,
    scheduled_agents: u32,
    #[serde(flatten)]
    metrics: Metrics,
}

/// Runs `cs staff`.
pub fn run(a: Args) -> anyhow::Result<()> {
    let traffic = a.traffic.traffic()?;
    let goal = StaffingGoal {
        target_s: a.target_s,
        service_level: a.service_level,
        shrinkage: a.shrinkage,
        asa_s_max: a.asa_max_s,
        abandon_rate_max: a.abandon_max,
    };
    let s = staff(&traffic, &goal).map_err(super::erlang_error)?;
    let out = Output {
        traffic: a.traffic,
        service_level_goal: a.service_level,
        shrinkage: a.shrinkage,
        asa_max_s: a.asa_max_s,
        abandon_max: a.abandon_max,
        scheduled_agents: s.scheduled_agents,
        metrics: s.metrics,
    };
    if a.json {
        return super::print_json(&out);
    }
    let m = &s.metrics;
    let mut goal_text =
        format!("{} answered within {} s", percent(Some(a.service_level)), cs_sim::fmt_num(a.target_s));
    if let Some(v) = a.asa_max_s {
        goal_text += &format!(", ASA at most {} s", cs_sim::fmt_num(v));
    }
    if let Some(v) = a.abandon_max {
        goal_text += &format!(", abandonment at most {}", percent(Some(v)));
    }
    let mut rows = vec![
        ("model", describe_model(m.model, a.traffic.patience_s)),
        ("traffic", describe_traffic(a.traffic.arrivals_per_hour, a.traffic.aht_s, m.offered_load_erlangs)),
        ("goal", goal_text),
        ("agents", format!("{} on the phones", s.agents)),
        ("scheduled agents", format!("{} (shrinkage {})", s.scheduled_agents, percent(Some(a.shrinkage)))),
    ];
    rows.extend(metric_rows(m));
    super::print(&pairs(&rows))
}

/// "Erlang C" or "Erlang A (mean patience Z s)".
pub(crate) fn describe_model(model: QueueModel, patience_s: Option<f64>) -> String {
    match (model, patience_s) {
        (QueueModel::ErlangA, Some(p)) => format!("Erlang A (mean patience {} s)", cs_sim::fmt_num(p)),
        (QueueModel::ErlangA, None) => "Erlang A".to_owned(),
        (QueueModel::ErlangC, _) => "Erlang C (no abandonment)".to_owned(),
    }
}

/// "200 contacts/h, AHT 180 s: 10.00 erlangs offered".
pub(crate) fn describe_traffic(arrivals_per_hour: f64, aht_s: f64, load: f64) -> String {
    let (arrivals, aht) = (cs_sim::fmt_num(arrivals_per_hour), cs_sim::fmt_num(aht_s));
    format!("{arrivals} contacts/h, AHT {aht} s: {load:.2} erlangs offered")
}

/// The metric lines shared by `cs staff` and `cs erlang`.
pub(crate) fn metric_rows(m: &Metrics) -> Vec<(&'static str, String)> {
    vec![
        (
            "service level",
            format!(
                "{} answered within {} s (of offered)",
                percent(Some(m.service_level)),
                cs_sim::fmt_num(m.target_s)
            ),
        ),
        ("  of answered", percent(Some(m.service_level_of_answered))),
        ("P(wait)", percent(Some(m.p_wait))),
        ("ASA", seconds(Some(m.asa_s))),
        ("occupancy", percent(Some(m.occupancy))),
        ("P(abandon)", percent(Some(m.p_abandon))),
        ("queue length", format!("{:.2} waiting on average", m.avg_queue_length)),
    ]
}
