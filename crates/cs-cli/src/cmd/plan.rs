//! `cs plan`: a staffing plan per 15-minute interval from a forecast (`cs forecast
//! --json`, or its `--csv`), with an elastic reserve and a shift cover (`cs_plan::plan`);
//! `--verify` simulates the plan with the real engine in the loop (`cs_plan::verify`)
//! and flags every interval that misses the target.

use anyhow::{Context as _, bail};
use cs_cli::table::{Table, percent, seconds};
use cs_plan::forecast::Forecast;
use cs_plan::plan::{Plan, PlanConfig, plan, scenario_toml};
use cs_plan::verify::{Verification, VerifyOptions, verify};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Flags of `cs plan`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The forecast: the JSON `cs forecast --json` prints, or the CSV `cs forecast --csv`
    /// writes (any CSV of interval, queue, arrivals).
    #[arg(value_name = "FORECAST")]
    pub forecast: PathBuf,
    /// The plan's configuration (TOML): target, handle times, patience, allowed shifts
    /// (docs/PLANNING.md). Without it: 80 % within 20 s, shifts of 4, 6 or 8 hours on the
    /// half hour, and the handle times and patience of the forecast's history (an event
    /// log's).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The service level to reach, instead of the config's: 0.8, 80 or 80%.
    #[arg(long, value_name = "SHARE", value_parser = cs_cli::flags::service_level)]
    pub service_level: Option<f64>,
    /// The service level's threshold in seconds, instead of the config's.
    #[arg(long, value_name = "T", value_parser = cs_cli::flags::non_negative)]
    pub target_s: Option<f64>,
    /// The elastic reserve over the requirement, instead of the config's (default 20%):
    /// 0.2, 20 or 20%.
    #[arg(long, value_name = "SHARE", value_parser = cs_cli::flags::share)]
    pub reserve: Option<f64>,
    /// Shrinkage (paid time off the phones) instead of the config's: 0.3, 30 or 30%.
    #[arg(long, value_name = "SHARE", value_parser = cs_cli::flags::shrinkage)]
    pub shrinkage: Option<f64>,
    /// Simulate the plan with the engine and check every interval against the target.
    #[arg(long)]
    pub verify: bool,
    /// With --verify: replications instead of the config's.
    #[arg(long, value_name = "N", requires = "verify", value_parser = clap::value_parser!(u32).range(1..=i64::from(cs_sim::REPLICATIONS_MAX)))]
    pub replications: Option<u32>,
    /// With --verify: threads to run replications on (default: every core).
    #[arg(long, value_name = "N", requires = "verify", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    /// With --verify: replay the arrivals recorded in this event log (from the plan's
    /// start) instead of drawing them from the forecast.
    #[arg(long, value_name = "EVENTS", requires = "verify")]
    pub arrivals_from: Option<PathBuf>,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Write an SVG chart of required and scheduled agents per interval (and the misses
    /// with --verify).
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Write the scenario that runs the plan (`cs simulate` reads it).
    #[arg(long, value_name = "FILE")]
    pub scenario_out: Option<PathBuf>,
}

/// The JSON printed by `cs plan --json`.
#[derive(Serialize, Debug)]
struct Output<'a> {
    /// Intervals planned.
    intervals: usize,
    /// With --verify: intervals meeting the target in simulation.
    #[serde(skip_serializing_if = "Option::is_none")]
    intervals_met: Option<usize>,
    /// Paid agent-hours of the shifts.
    agent_hours: f64,
    /// The elastic reserve.
    reserve: f64,
    /// The plan in full.
    plan: &'a Plan,
    /// With --verify: the intervals missing the target (their starts).
    #[serde(skip_serializing_if = "Option::is_none")]
    missed: Option<Vec<&'a str>>,
    /// With --verify: every interval's simulated figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<&'a Verification>,
}

/// Reads a forecast from JSON or CSV.
fn read_forecast(path: &Path) -> anyhow::Result<Forecast> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("{name}: cannot read the forecast"))?;
    let f = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
        // A CSV of interval counts is a forecast as it stands: its rows are the arrivals.
        let h = cs_plan::History::from_csv(&text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        Forecast::from_counts(&h)
    } else {
        let mut de = serde_json::Deserializer::from_str(&text);
        serde_path_to_error::deserialize(&mut de)
            .map_err(|e| anyhow::anyhow!("{name}: not a forecast (cs forecast --json): {}: {}", e.path(), e.inner()))?
    };
    f.check().map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    Ok(f)
}

/// The arrivals recorded in a log, timed from the plan's start, of the plan's queues.
fn recorded(path: &Path, plan: &Plan) -> anyhow::Result<Vec<cs_sim::Arrival>> {
    let name = path.display().to_string();
    let read = super::replay::read(path, None)?;
    let events = read.events;
    let Some(cs_core::Event::Configured { .. }) = events.first() else {
        bail!("{name}: the first event is not Configured: this is not the start of an event log");
    };
    let config = events
        .iter()
        .rev()
        .find_map(|e| match e {
            cs_core::Event::Configured { config, .. } => Some(std::sync::Arc::clone(config)),
            _ => None,
        })
        .expect("the first event is Configured");
    let offset = events[0].at().since(plan.start());
    let horizon_ms = plan.horizon_intervals as i64 * cs_core::metrics::INTERVAL_MS;
    let mut out = Vec::new();
    let mut other = 0u64;
    for mut a in cs_sim::arrivals_from_events(events, &config) {
        a.at_ms += offset;
        if !(0..horizon_ms).contains(&a.at_ms) {
            continue;
        }
        if !plan.queues.iter().any(|q| q.name == a.queue && !q.shifts.is_empty()) {
            other += 1;
            continue;
        }
        // The plan's scenario has no categories or languages.
        a.category = None;
        a.language = None;
        out.push(a);
    }
    if other > 0 {
        eprintln!("warning: {name}: {other} arrivals in queues the plan does not staff were left out");
    }
    if out.is_empty() {
        bail!("{name}: no arrival of the plan's queues within the plan's horizon ({} on)", plan.start);
    }
    Ok(out)
}

/// Runs `cs plan`.
pub fn run(a: Args) -> anyhow::Result<()> {
    let forecast = read_forecast(&a.forecast)?;
    let (cname, mut config) = match &a.config {
        Some(path) => {
            let cname = path.display().to_string();
            let text = std::fs::read_to_string(path).with_context(|| format!("{cname}: cannot read"))?;
            let config = PlanConfig::from_toml_str(&text).map_err(|e| anyhow::anyhow!("{cname}: {e}"))?;
            (cname, config)
        }
        None => {
            let name = a.forecast.display().to_string();
            let config = PlanConfig::from_forecast(&forecast).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            (name, config)
        }
    };
    if let Some(v) = a.service_level {
        config.service_level = v;
    }
    if let Some(v) = a.target_s {
        config.target_s = v;
    }
    if let Some(r) = a.reserve {
        config.reserve = r;
    }
    if let Some(s) = a.shrinkage {
        config.shrinkage = s;
    }
    if let Some(n) = a.replications {
        config.replications = n;
    }
    let p = plan(&forecast, &config).map_err(|e| anyhow::anyhow!("{cname}: {e}"))?;
    if let Some(path) = &a.scenario_out {
        std::fs::write(path, scenario_toml(&p, config.seed, config.replications))
            .with_context(|| format!("{}: cannot write the scenario", path.display()))?;
    }
    let verification = if a.verify {
        let threads = match a.threads {
            Some(n) => n as usize,
            None => std::thread::available_parallelism().map_or(1, usize::from),
        };
        let arrivals = match &a.arrivals_from {
            Some(path) => Some(recorded(path, &p)?),
            None => None,
        };
        Some(
            verify(&p, &VerifyOptions { replications: config.replications, threads, seed: config.seed, arrivals })
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        )
    } else {
        None
    };
    if let Some(path) = &a.svg {
        cs_cli::plot::plan(path, &p, verification.as_ref()).with_context(|| format!("{}: writing the chart", path.display()))?;
    }
    if a.json {
        return super::print_json(&Output {
            intervals: p.horizon_intervals,
            intervals_met: verification.as_ref().map(|v| v.intervals_met),
            agent_hours: p.agent_hours,
            reserve: p.reserve,
            plan: &p,
            missed: verification.as_ref().map(|v| v.missed().map(|c| c.start.as_str()).collect()),
            verification: verification.as_ref(),
        });
    }
    let mut out = format!(
        "plan from {} for {} intervals: {:.0} % within {} s, reserve {:.0} %, shrinkage {:.0} %, {:.1} paid agent-hours\n\n",
        p.start,
        p.horizon_intervals,
        p.service_level * 100.0,
        cs_sim::fmt_num(p.target_s),
        p.reserve * 100.0,
        p.shrinkage * 100.0,
        p.agent_hours
    );
    let mut shifts = Table::new(&["queue", "model", "shift start", "hours", "agents"]).left(0).left(1).left(2);
    for q in &p.queues {
        for s in &q.shifts {
            shifts.row(vec![q.name.clone(), q.model.to_owned(), s.start.clone(), cs_sim::fmt_num(s.length_h), s.agents.to_string()]);
        }
    }
    out += &shifts.render();
    let mut header = vec!["interval".to_owned()];
    for q in &p.queues {
        for col in ["forecast", "required", "+reserve", "scheduled"] {
            header.push(format!("{} {col}", q.name));
        }
        if verification.is_some() {
            for col in ["SL", "ASA", "abandon"] {
                header.push(format!("{} {col}", q.name));
            }
        }
    }
    if verification.is_some() {
        header.push("met".to_owned());
    }
    let refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = Table::new(&refs).left(0);
    for i in 0..p.horizon_intervals {
        let mut row = vec![p.interval(i).to_string()];
        for (k, q) in p.queues.iter().enumerate() {
            row.push(format!("{:.1}", q.forecast[i]));
            row.push(q.required[i].to_string());
            row.push(q.with_reserve[i].to_string());
            row.push(q.scheduled[i].to_string());
            if let Some(v) = &verification {
                let c = &v.checks[i].queues[k];
                row.push(percent(c.service_level));
                row.push(seconds(c.asa_s));
                row.push(percent(c.abandon_rate));
            }
        }
        if let Some(v) = &verification {
            row.push(if v.checks[i].met { "yes" } else { "MISS" }.to_owned());
        }
        t.row(row);
    }
    out += "\n";
    out += &t.render();
    if let Some(v) = &verification {
        out += &format!(
            "\nverified by simulation ({} replications{}): {} of {} intervals meet the target ({:.1} %)\n",
            v.replications,
            if v.recorded_arrivals { ", recorded arrivals" } else { "" },
            v.intervals_met,
            v.intervals,
            v.met_share() * 100.0
        );
        let missed: Vec<&str> = v.missed().map(|c| c.start.as_str()).collect();
        if !missed.is_empty() {
            out += &format!("missed: {}\n", missed.join(", "));
        }
    }
    if let Some(path) = &a.scenario_out {
        out += &format!("scenario written to {}\n", path.display());
    }
    if let Some(path) = &a.svg {
        out += &format!("chart written to {}\n", path.display());
    }
    super::print(&out)
}
