//! A staffing plan from a forecast: agents per interval per queue to meet the target,
//! an elastic reserve, shrinkage, a shift cover, and the scenario that runs the plan.
//!
//! Per queue and interval, the forecast arrivals and the queue's handle time give the
//! fewest agents on the phones meeting the goal ([`cs_sim::erlang::staff`]: Erlang A when
//! the queue's patience is known, Erlang C otherwise). The reserve adds a share on top
//! (`ceil(agents * (1 + reserve))`): capacity for what the forecast misses, which a
//! supervisor can release when the day runs as forecast. The shift cover ([`crate::cover`])
//! then covers those agents with shifts of the allowed lengths and start times. Shrinkage
//! (breaks, training, absence) is time paid but off the phones: the cover is of agents on
//! the phones, and the paid figures (`paid`, `agent_hours`) divide by `1 - shrinkage`.

use crate::PlanError;
use crate::cover::{Pattern, cover};
use crate::forecast::Forecast;
use cs_core::Timestamp;
use cs_core::metrics::INTERVAL_MS;
use cs_sim::erlang::{StaffingGoal, Traffic, staff};
use serde::{Deserialize, Serialize};

/// The plan's configuration (`--config plan.toml`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanConfig {
    /// Share answered within `target_s` over offered, in (0, 1).
    pub service_level: f64,
    /// The service level's threshold, seconds.
    pub target_s: f64,
    /// Share of paid time off the phones, in [0, 1).
    #[serde(default)]
    pub shrinkage: f64,
    /// The elastic reserve over the requirement, in [0, 10] (0.2: 20 %).
    #[serde(default = "default_reserve")]
    pub reserve: f64,
    /// An optional cap on each interval's ASA, seconds.
    #[serde(default)]
    pub asa_s_max: Option<f64>,
    /// An optional cap on each interval's abandonment rate.
    #[serde(default)]
    pub abandon_rate_max: Option<f64>,
    /// Replications `--verify` runs.
    #[serde(default = "default_replications")]
    pub replications: u32,
    /// Base seed of the verifying simulation.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// The allowed shifts.
    pub shifts: ShiftRules,
    /// The queues planned (those of the forecast not listed are refused).
    pub queues: Vec<QueueRules>,
}

fn default_reserve() -> f64 {
    0.2
}
fn default_replications() -> u32 {
    10
}
fn default_seed() -> u64 {
    1
}

/// Allowed shifts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftRules {
    /// Allowed lengths, hours (multiples of 15 minutes, 0.25 to 24).
    pub lengths_h: Vec<f64>,
    /// Shifts may start every this many minutes from the plan's start (a multiple of 15).
    #[serde(default)]
    pub start_every_min: Option<u32>,
    /// Or only at these times of day (UTC, `HH:MM`, on a 15-minute boundary).
    #[serde(default)]
    pub starts: Option<Vec<String>>,
}

/// A queue's planning figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueRules {
    /// The queue's name, as in the forecast.
    pub name: String,
    /// Its channel, when the forecast does not say.
    #[serde(default)]
    pub channel: Option<String>,
    /// Average handle time, seconds.
    pub aht_s: f64,
    /// Mean patience, seconds (Erlang A); none: Erlang C.
    #[serde(default)]
    pub patience_s: Option<f64>,
}

impl PlanConfig {
    /// The config used without a file: 80 % within 20 s, no shrinkage, a 20 % reserve,
    /// shifts of 4, 6 or 8 hours starting on the half hour, 10 replications from seed 1,
    /// and every queue of the forecast with the handle time and patience its history
    /// gave (a log's; a CSV history has none, and then a config is needed).
    ///
    /// # Errors
    /// [`PlanError::Config`] naming a queue the forecast gives no handle time for.
    pub fn from_forecast(forecast: &Forecast) -> Result<PlanConfig, PlanError> {
        let queues = forecast
            .queues
            .iter()
            .map(|q| {
                let aht_s = q.aht_s.ok_or_else(|| {
                    PlanError::Config(format!(
                        "the forecast gives queue {} no handle time (its history was not an event log); give a plan \
                         config (--config) with queues.aht_s",
                        q.name
                    ))
                })?;
                Ok(QueueRules { name: q.name.clone(), channel: q.channel.clone(), aht_s, patience_s: q.patience_s })
            })
            .collect::<Result<Vec<_>, PlanError>>()?;
        let c = PlanConfig {
            service_level: 0.8,
            target_s: 20.0,
            shrinkage: 0.0,
            reserve: default_reserve(),
            asa_s_max: None,
            abandon_rate_max: None,
            replications: default_replications(),
            seed: default_seed(),
            shifts: ShiftRules { lengths_h: vec![4.0, 6.0, 8.0], start_every_min: Some(30), starts: None },
            queues,
        };
        c.check()?;
        Ok(c)
    }

    /// Parses and checks a plan config.
    ///
    /// # Errors
    /// [`PlanError::Config`] naming the field.
    pub fn from_toml_str(text: &str) -> Result<PlanConfig, PlanError> {
        let c: PlanConfig = toml::from_str(text).map_err(|e| PlanError::Config(e.to_string()))?;
        c.check()?;
        Ok(c)
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`PlanError::Config`] naming the first bad field.
    pub fn check(&self) -> Result<(), PlanError> {
        let bad = |field: &str, why: String| Err(PlanError::Config(format!("{field}: {why}")));
        if !(self.reserve.is_finite() && (0.0..=10.0).contains(&self.reserve)) {
            return bad("reserve", format!("{} must be from 0 to 10 (0.2 is 20 %)", self.reserve));
        }
        self.goal().map_err(|e| PlanError::Config(e.to_string()))?;
        if self.replications == 0 || self.replications > cs_sim::REPLICATIONS_MAX {
            return bad(
                "replications",
                format!("{} must be from 1 to {}", self.replications, cs_sim::REPLICATIONS_MAX),
            );
        }
        if self.seed > i64::MAX as u64 {
            return bad("seed", format!("{} must be at most {}", self.seed, i64::MAX));
        }
        if self.shifts.lengths_h.is_empty() {
            return bad("shifts.lengths_h", "is empty".into());
        }
        for (i, &h) in self.shifts.lengths_h.iter().enumerate() {
            if !(h.is_finite() && (0.25..=24.0).contains(&h) && (h * 4.0).fract() == 0.0) {
                return bad(
                    &format!("shifts.lengths_h[{i}]"),
                    format!("{h} must be a multiple of 0.25 from 0.25 to 24"),
                );
            }
        }
        match (&self.shifts.start_every_min, &self.shifts.starts) {
            (Some(_), Some(_)) => return bad("shifts", "give start_every_min or starts, not both".into()),
            (Some(m), None) if *m == 0 || m % 15 != 0 || *m > 1440 => {
                return bad("shifts.start_every_min", format!("{m} must be a multiple of 15 from 15 to 1440"));
            }
            (None, Some(list)) => {
                if list.is_empty() {
                    return bad("shifts.starts", "is empty".into());
                }
                for (i, s) in list.iter().enumerate() {
                    time_of_day_intervals(s).map_err(|why| PlanError::Config(format!("shifts.starts[{i}]: {why}")))?;
                }
            }
            _ => {}
        }
        if self.queues.is_empty() {
            return bad("queues", "is empty".into());
        }
        for (i, q) in self.queues.iter().enumerate() {
            if q.name.is_empty() || self.queues[..i].iter().any(|o| o.name == q.name) {
                return bad(&format!("queues[{i}].name"), format!("{:?} is empty or repeated", q.name));
            }
            if let Some(c) = &q.channel
                && cs_core::Channel::parse(c).is_none()
            {
                return bad(
                    &format!("queues[{i}].channel"),
                    format!("{c:?} is not chat, email, phone, social or other"),
                );
            }
            Traffic::new(1.0, q.aht_s, q.patience_s)
                .map_err(|e| PlanError::Config(format!("queues[{i}] ({}): {e}", q.name)))?;
        }
        Ok(())
    }

    /// The staffing goal (no shrinkage: the cover is of agents on the phones).
    ///
    /// # Errors
    /// As [`StaffingGoal::validate`].
    pub fn goal(&self) -> Result<StaffingGoal, cs_sim::erlang::ErlangError> {
        let g = StaffingGoal {
            target_s: self.target_s,
            service_level: self.service_level,
            shrinkage: self.shrinkage,
            asa_s_max: self.asa_s_max,
            abandon_rate_max: self.abandon_rate_max,
        };
        g.validate()?;
        Ok(StaffingGoal { shrinkage: 0.0, ..g })
    }
}

/// `HH:MM` as 15-minute intervals into the day.
fn time_of_day_intervals(s: &str) -> Result<usize, String> {
    let (h, m) = s.split_once(':').ok_or_else(|| format!("{s:?} is not HH:MM"))?;
    let (h, m): (usize, usize) =
        (h.parse().map_err(|_| format!("{s:?} is not HH:MM"))?, m.parse().map_err(|_| format!("{s:?} is not HH:MM"))?);
    if h > 23 || m > 59 || m % 15 != 0 {
        return Err(format!("{s:?} must be a time of day on a 15-minute boundary"));
    }
    Ok(h * 4 + m / 15)
}

/// One shift block of the cover.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Shift {
    /// Start (RFC 3339).
    pub start: String,
    /// Seconds from the plan's start.
    pub start_s: u64,
    /// Length, hours.
    pub length_h: f64,
    /// Agents on it (on the phones).
    pub agents: u32,
}

/// One queue's plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueuePlan {
    /// Queue name.
    pub name: String,
    /// Its channel.
    pub channel: String,
    /// Average handle time, seconds.
    pub aht_s: f64,
    /// Mean patience, seconds, if known.
    pub patience_s: Option<f64>,
    /// `erlang_a` or `erlang_c`.
    pub model: &'static str,
    /// Forecast arrivals per interval.
    pub forecast: Vec<f64>,
    /// Agents on the phones meeting the goal, per interval (no reserve).
    pub required: Vec<u32>,
    /// With the reserve.
    pub with_reserve: Vec<u32>,
    /// Covered by the shifts (on the phones), per interval.
    pub scheduled: Vec<u32>,
    /// Paid agents per interval: `ceil(scheduled / (1 - shrinkage))`.
    pub paid: Vec<u32>,
    /// The shifts.
    pub shifts: Vec<Shift>,
    /// Paid agent-hours of the shifts.
    pub agent_hours: f64,
}

/// A staffing plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    /// First interval's start (RFC 3339).
    pub start: String,
    /// The same, ms since the epoch.
    pub start_ms: i64,
    /// Intervals planned (15 minutes each).
    pub horizon_intervals: usize,
    /// The goal.
    pub service_level: f64,
    /// Its threshold, seconds.
    pub target_s: f64,
    /// Optional caps.
    pub asa_s_max: Option<f64>,
    /// Optional caps.
    pub abandon_rate_max: Option<f64>,
    /// Shrinkage.
    pub shrinkage: f64,
    /// Elastic reserve.
    pub reserve: f64,
    /// Paid agent-hours over all queues.
    pub agent_hours: f64,
    /// Per queue.
    pub queues: Vec<QueuePlan>,
}

impl Plan {
    /// The first interval's start.
    #[must_use]
    pub fn start(&self) -> Timestamp {
        Timestamp(self.start_ms)
    }

    /// Interval `i`'s start.
    #[must_use]
    pub fn interval(&self, i: usize) -> Timestamp {
        self.start().plus_ms(i as i64 * INTERVAL_MS)
    }
}

/// Plans the forecast's horizon for every queue of `config` (which must be in the
/// forecast), with `config.reserve`.
///
/// # Errors
/// [`PlanError::Config`] for a queue the forecast lacks or without a channel, a shift
/// rule no shift fits, [`PlanError::Staffing`] when Erlang finds no staffing.
pub fn plan(forecast: &Forecast, config: &PlanConfig) -> Result<Plan, PlanError> {
    forecast.check()?;
    config.check()?;
    let goal = config.goal().map_err(|e| PlanError::Config(e.to_string()))?;
    let n = forecast.horizon_intervals;
    let patterns = patterns(forecast.start(), n, &config.shifts)?;
    let mut queues = Vec::with_capacity(config.queues.len());
    for q in &config.queues {
        let Some(f) = forecast.queues.iter().find(|f| f.name == q.name) else {
            return Err(PlanError::Config(format!(
                "queue {} is not in the forecast (it has {})",
                q.name,
                forecast.queues.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
            )));
        };
        let channel = q.channel.clone().or_else(|| f.channel.clone()).ok_or_else(|| {
            PlanError::Config(format!("queue {}: the forecast gives no channel; set queues.channel", q.name))
        })?;
        if cs_core::Channel::parse(&channel).is_none() {
            return Err(PlanError::Config(format!("queue {}: channel {channel:?} is unknown", q.name)));
        }
        let arrivals: Vec<f64> = f.intervals.iter().map(|p| p.arrivals).collect();
        let required = arrivals
            .iter()
            .enumerate()
            .map(|(i, &a)| {
                let per_hour = a * 3_600_000.0 / INTERVAL_MS as f64;
                // Less than one arrival in a thousand hours: nobody is needed.
                if per_hour < 1e-3 {
                    return Ok(0);
                }
                let t = Traffic::new(per_hour, q.aht_s, q.patience_s)
                    .map_err(|e| PlanError::Staffing(format!("queue {} interval {i}: {e}", q.name)))?;
                staff(&t, &goal)
                    .map(|s| s.agents)
                    .map_err(|e| PlanError::Staffing(format!("queue {} interval {i}: {e}", q.name)))
            })
            .collect::<Result<Vec<u32>, PlanError>>()?;
        let with_reserve: Vec<u32> = required.iter().map(|&r| with_reserve(r, config.reserve)).collect();
        let chosen = cover(&with_reserve, &patterns).map_err(|t| {
            PlanError::Config(format!(
                "queue {} needs agents at {} but no allowed shift covers that interval",
                q.name,
                forecast.start().plus_ms(t as i64 * INTERVAL_MS)
            ))
        })?;
        let mut scheduled = vec![0u32; n];
        let mut shifts = Vec::new();
        let mut hours = 0.0;
        for (i, k) in chosen {
            let p = patterns[i];
            for s in &mut scheduled[p.start..(p.start + p.len).min(n)] {
                *s += k;
            }
            hours += f64::from(k) * p.len as f64 / 4.0;
            shifts.push(Shift {
                start: forecast.start().plus_ms(p.start as i64 * INTERVAL_MS).to_string(),
                start_s: p.start as u64 * 900,
                length_h: p.len as f64 / 4.0,
                agents: k,
            });
        }
        shifts.sort_by_key(|s| s.start_s);
        let paid = scheduled
            .iter()
            .map(|&s| {
                cs_sim::erlang::scheduled_agents(s, config.shrinkage).map_err(|e| PlanError::Config(e.to_string()))
            })
            .collect::<Result<Vec<u32>, PlanError>>()?;
        queues.push(QueuePlan {
            name: q.name.clone(),
            channel,
            aht_s: q.aht_s,
            patience_s: q.patience_s,
            model: if q.patience_s.is_some_and(f64::is_finite) { "erlang_a" } else { "erlang_c" },
            forecast: arrivals,
            required,
            with_reserve,
            scheduled,
            paid,
            shifts,
            agent_hours: hours / (1.0 - config.shrinkage),
        });
    }
    Ok(Plan {
        start: forecast.start.clone(),
        start_ms: forecast.start_ms,
        horizon_intervals: n,
        service_level: config.service_level,
        target_s: config.target_s,
        asa_s_max: config.asa_s_max,
        abandon_rate_max: config.abandon_rate_max,
        shrinkage: config.shrinkage,
        reserve: config.reserve,
        agent_hours: queues.iter().map(|q| q.agent_hours).sum(),
        queues,
    })
}

/// `ceil(agents * (1 + reserve))`, a product within 1e-9 of an integer taken as it.
fn with_reserve(agents: u32, reserve: f64) -> u32 {
    let x = f64::from(agents) * (1.0 + reserve);
    let r = x.round();
    (if (x - r).abs() <= 1e-9 * r.max(1.0) { r } else { x.ceil() }) as u32
}

/// The allowed shift patterns over `n` intervals from `start`.
fn patterns(start: Timestamp, n: usize, rules: &ShiftRules) -> Result<Vec<Pattern>, PlanError> {
    let lens: Vec<usize> = rules.lengths_h.iter().map(|h| (h * 4.0).round() as usize).collect();
    let starts: Vec<usize> = match &rules.starts {
        Some(list) => {
            let tods: Vec<usize> =
                list.iter().map(|s| time_of_day_intervals(s)).collect::<Result<_, _>>().map_err(PlanError::Config)?;
            // Intervals into the day of the plan's start.
            let first = (start.ms().rem_euclid(86_400_000) / INTERVAL_MS) as usize;
            (0..n).filter(|i| tods.contains(&((first + i) % 96))).collect()
        }
        None => {
            let every = rules.start_every_min.unwrap_or(30) as usize / 15;
            (0..n).step_by(every).collect()
        }
    };
    let mut out = Vec::new();
    for &s in &starts {
        for &len in &lens {
            out.push(Pattern { start: s, len });
        }
    }
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err(PlanError::Config("shifts: no allowed shift starts within the horizon".into()));
    }
    Ok(out)
}

/// The scenario that runs the plan (TOML, `docs/SCENARIOS.md`): one queue per planned
/// queue with the forecast as its arrival rate (a constant at the horizon's peak, scaled
/// per interval by surge windows), exponential handle times (and patience, when known) as
/// Erlang assumes, and one team per shift block, its agents logged in for the shift. A
/// queue without shifts (nothing forecast) is left out.
#[must_use]
pub fn scenario_toml(plan: &Plan, seed: u64, replications: u32) -> String {
    use std::fmt::Write as _;
    let num = cs_sim::fmt_num;
    let mut s = String::new();
    let _ = writeln!(s, "# The staffing plan from {} as a scenario: `cs simulate` runs it.", plan.start);
    let _ = writeln!(s, "name = \"plan\"");
    let _ = writeln!(s, "seed = {seed}");
    let _ = writeln!(s, "start = \"{}\"", plan.start);
    let _ = writeln!(s, "duration_s = {}", plan.horizon_intervals * 900);
    let _ = writeln!(s, "service_level_target_s = {}", num(plan.target_s));
    let _ = writeln!(s, "replications = {replications}");
    // A queue the plan staffs with nobody (no arrivals forecast) is left out: no team
    // could serve it, and nothing would arrive.
    for q in plan.queues.iter().filter(|q| !q.shifts.is_empty()) {
        let rates: Vec<f64> = q.forecast.iter().map(|a| a * 4.0).collect();
        let peak = rates.iter().copied().fold(0.0, f64::max);
        let _ = writeln!(
            s,
            "\n[[queues]]\nname = {}\nchannel = \"{}\"\nskills = [{}]",
            toml_str(&q.name),
            q.channel,
            toml_str(&q.name)
        );
        let _ = writeln!(s, "handle_time = {{ kind = \"exponential\", mean_s = {} }}", num(q.aht_s));
        if let Some(p) = q.patience_s.filter(|p| p.is_finite()) {
            let _ = writeln!(s, "patience = {{ kind = \"exponential\", mean_s = {} }}", num(p));
        }
        let _ = writeln!(s, "[queues.arrivals]\nkind = \"poisson\"\nper_hour = {peak:?}");
        if peak > 0.0 {
            let surges: Vec<String> = rates
                .iter()
                .enumerate()
                .filter(|&(_, r)| r / peak != 1.0)
                .map(|(i, r)| {
                    format!("    {{ start_s = {}, duration_s = 900, multiplier = {:?} }},", i * 900, r / peak)
                })
                .collect();
            if !surges.is_empty() {
                let _ = writeln!(
                    s,
                    "# The forecast per 15 minutes, as a share of the peak.\nsurges = [\n{}\n]",
                    surges.join("\n")
                );
            }
        }
    }
    for q in &plan.queues {
        for sh in &q.shifts {
            let end_s = sh.start_s + (sh.length_h * 3600.0) as u64;
            let _ = writeln!(
                s,
                "\n[[teams]]\nname = {}\nagents = {}\nskills = {{ {} = 1 }}\ncapacity = {{ {} = 1 }}\nshifts = [{{ start_s = {}, end_s = {}, daily = false }}]",
                toml_str(&format!("{}-{}-{}h", q.name, sh.start, num(sh.length_h))),
                sh.agents,
                toml_str(&q.name),
                q.channel,
                sh.start_s,
                end_s
            );
        }
    }
    s
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}
