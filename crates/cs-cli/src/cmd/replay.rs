//! `cs replay`: rebuild the state from a JSON-lines event log with `cs_core::try_replay` (each event checked first), up
//! to and including `--until`, and print queues, agents, pending timers and metrics as of
//! that time.
//!
//! The log is read only up to `--until`: later lines are not decoded. A torn last line (a
//! write cut short by a crash) is reported on stderr and the complete part replayed. The
//! metrics are [`cs_cli::summary::Summary::of_state`] from the first event (or `--from`)
//! to the time of the view, the same summary `cs simulate --json` prints: replaying a
//! simulated log with `--from` and `--until` set to the simulation's `window` gives the
//! simulation's figures.

use anyhow::bail;
use cs_cli::summary::Summary;
use cs_cli::table::{Table, seconds};
use cs_core::metrics::Metrics;
use cs_core::{Event, Timestamp};
use cs_store::{JsonlReader, LogError, TornTail};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Flags of `cs replay`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The JSON-lines event log (as `cs simulate --events` writes it).
    #[arg(value_name = "EVENTS", required_unless_present = "store", conflicts_with = "store")]
    pub events: Option<PathBuf>,
    /// Replay a store's partition instead of a file: a folder (the embedded SQLite store)
    /// or a `postgres://` URL.
    #[arg(long, value_name = "STORE")]
    pub store: Option<String>,
    /// The partition of `--store` to replay.
    #[arg(long, value_name = "P", default_value = cs_durable::DEFAULT_PARTITION, requires = "store")]
    pub partition: String,
    /// Replay the events at or before this time: RFC 3339 (2026-11-23T10:05:00Z) or
    /// milliseconds since the epoch. Default: the whole log.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub until: Option<Timestamp>,
    /// Count metrics from this time on (rounded down to its 15-minute interval), for
    /// example after a simulation's warm-up. Default: the first event.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub from: Option<Timestamp>,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Show one ticket as of the view: status, queue position, estimated wait and its SLA
    /// clocks. The ticket's key, or its id (`T12` or `12`).
    #[arg(long, value_name = "KEY")]
    pub ticket: Option<String>,
    /// Live elastic staffing as of the view: from the last hour's arrivals and handle
    /// times per queue, the agents needed now and in the next intervals (`cs_plan::elastic`).
    #[arg(long)]
    pub staffing: bool,
    /// With --staffing: the service-level threshold, seconds.
    #[arg(long, value_name = "T", default_value = "20", value_parser = cs_cli::flags::non_negative, requires = "staffing")]
    pub target_s: f64,
    /// With --staffing: the service level to reach: 0.8, 80 or 80%.
    #[arg(long, value_name = "SHARE", default_value = "0.8", value_parser = cs_cli::flags::service_level, requires = "staffing")]
    pub service_level: f64,
    /// With --staffing: the elastic reserve over the requirement: 0.2, 20 or 20%.
    #[arg(long, value_name = "SHARE", default_value = "20%", value_parser = cs_cli::flags::share, requires = "staffing")]
    pub reserve: f64,
    /// With --staffing: how many 15-minute intervals ahead to project (0 to 96).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(0..=96), requires = "staffing")]
    pub ahead: u32,
    /// With --staffing: customers' mean patience, seconds (Erlang A); none: Erlang C.
    #[arg(long, value_name = "Z", value_parser = cs_cli::flags::positive, requires = "staffing")]
    pub patience_s: Option<f64>,
}

/// How far after the log's last event a view may be: 366 days.
const VIEW_AFTER_LAST_MS: i64 = 366 * 86_400_000;

pub fn parse_time(s: &str) -> Result<Timestamp, String> {
    let t = Timestamp::parse(s).map_err(|e| e.to_string())?;
    // What an event log can hold: from the engine's epoch to the end of the year 9999.
    let (first, last) = (Timestamp(0), Timestamp::parse("9999-12-31T23:59:59.999Z").expect("a valid time"));
    if t < first || t > last {
        return Err(format!("{s} is outside {first} .. {last}, the times an event log can hold"));
    }
    Ok(t)
}

/// The JSON printed by `cs replay --json`: where and when, the metrics summary flattened
/// at the top level (with each queue's state at `as_of`), the agents and the timers.
#[derive(Serialize, Debug)]
struct Output<'a> {
    /// The log as named on the command line.
    file: String,
    /// The time of the view: `--until`, or the last event's time.
    as_of: String,
    /// The same in milliseconds since the epoch.
    as_of_ms: i64,
    /// Start of the metrics window: the 15-minute interval of the first event, or of
    /// `--from`.
    from: String,
    /// Events replayed.
    events: usize,
    /// Whether the log goes on after `--until` (those events were not replayed).
    more_after_until: bool,
    /// The torn last line, if the log ended with one (not replayed).
    torn_tail: Option<TornOut>,
    #[serde(flatten)]
    summary: &'a Summary,
    agents: Vec<AgentOut>,
    timers: TimersOut,
    /// Every ticket waiting for an agent at `as_of`, by queue then position.
    waiting_tickets: Vec<WaitingOut>,
    /// With --ticket: that ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    ticket: Option<TicketOut>,
    /// With --staffing: what the last hour says per queue, and the agents needed.
    #[serde(skip_serializing_if = "Option::is_none")]
    staffing: Option<cs_plan::elastic::Report>,
}

/// A waiting ticket, as a customer would be told.
#[derive(Serialize, Debug)]
struct WaitingOut {
    id: u64,
    key: Option<String>,
    queue: String,
    /// 1 for the next to be served.
    position: usize,
    /// Estimated wait still ahead, seconds (`None`: no handle-time history or no agent
    /// able to serve it logged in).
    estimated_wait_s: Option<f64>,
    /// Waited so far, seconds (from the start of this wait).
    waited_s: f64,
}

/// One ticket's state and SLA clocks.
#[derive(Serialize, Debug)]
struct TicketOut {
    id: u64,
    key: Option<String>,
    queue: String,
    channel: &'static str,
    status: &'static str,
    agent: Option<String>,
    created_at: String,
    position: Option<usize>,
    estimated_wait_s: Option<f64>,
    /// Its SLA clocks as of the view (business time elapsed and left, deadline, warned,
    /// breached).
    sla: Vec<cs_core::state::ClockView>,
}

#[derive(Serialize, Debug)]
struct TornOut {
    line: u64,
    offset: u64,
    bytes: u64,
}

#[derive(Serialize, Debug)]
struct AgentOut {
    key: String,
    team: String,
    presence: &'static str,
    /// Tickets held, over all channels.
    load: u32,
    /// Ids of the tickets held, in the order taken.
    held: Vec<u64>,
}

#[derive(Serialize, Debug)]
struct TimersOut {
    /// Timers pending (SLA steps, offers, reply timeouts, time-to-live, ...).
    pending: usize,
    /// Of those, due at or before `as_of`: no later event in the log fired them.
    overdue: usize,
    /// The earliest due time.
    next_deadline: Option<String>,
    /// Pending timers per kind (`step`, `pin`, `offer`, `reply`, `expiry`, `overflow`, ...).
    by_kind: BTreeMap<String, usize>,
}

/// What was read from the log.
pub(super) struct Read {
    pub(super) events: Vec<Event>,
    pub(super) torn_tail: Option<TornTail>,
    pub(super) more_after_until: bool,
}

pub(super) fn read(path: &std::path::Path, until: Option<Timestamp>) -> anyhow::Result<Read> {
    let mut events = Vec::new();
    let mut torn_tail = None;
    let mut more_after_until = false;
    for item in JsonlReader::open(path)? {
        match item {
            Ok(e) => {
                if let Some(u) = until
                    && e.at() > u
                {
                    if events.is_empty() {
                        bail!(
                            "--until {u} is before the first event of {} (at {}); nothing to replay",
                            path.display(),
                            e.at()
                        );
                    }
                    more_after_until = true;
                    break;
                }
                events.push(e);
            }
            Err(LogError::TornTail { line, offset, bytes, .. }) => {
                torn_tail = Some(TornTail { line, offset, bytes });
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Read { events, torn_tail, more_after_until })
}

/// `WrapUp(A3)` -> `wrap_up`.
fn timer_kind(debug: &str) -> String {
    let name = debug.split('(').next().unwrap_or(debug);
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads a store's partition up to `until`.
pub(super) fn read_store(store: &dyn cs_store::EventStore, partition: &str, until: Option<Timestamp>) -> anyhow::Result<Read> {
    let head = store.head(partition)?;
    if head == 0 {
        bail!("{}", super::no_such_partition(store, partition)?);
    }
    let mut events = Vec::new();
    let range = cs_store::Range { from: 1, limit: 4096, until };
    let last = cs_store::for_each(store, partition, range, |s| {
        events.push(s.event);
        Ok(())
    })?;
    if events.is_empty()
        && let Some(u) = until
    {
        let first = store.read(partition, cs_store::Range::from(1, 1))?;
        let at = first.first().map(|s| s.event.at().to_string()).unwrap_or_default();
        bail!("--until {u} is before the first event of partition {partition:?} (at {at}); nothing to replay");
    }
    Ok(Read { events, torn_tail: None, more_after_until: last < head })
}

/// Runs `cs replay`.
pub fn run(a: Args) -> anyhow::Result<()> {
    let (file, Read { events, torn_tail, more_after_until }, path) = match (&a.events, &a.store) {
        (Some(path), _) => (path.display().to_string(), read(path, a.until)?, Some(path)),
        (None, Some(location)) => {
            let store = super::open_existing_store(location)?;
            let label = format!("{} partition {}", store.describe(), a.partition);
            (label, read_store(&*store, &a.partition, a.until)?, None)
        }
        (None, None) => bail!("give an event log file or --store"),
    };
    if let Some(t) = &torn_tail {
        eprintln!(
            "warning: {file}:{}: torn last line ({} bytes at byte offset {}, no final newline): a write was cut \
             short; replaying the {} complete events before it",
            t.line,
            t.bytes,
            t.offset,
            events.len()
        );
    }
    let Some(first) = events.first() else {
        bail!("{file}: the log holds no complete event");
    };
    if !matches!(first, Event::Configured { .. }) {
        bail!("{file}: the first event is {}, not Configured: this is not the start of an event log", first.name());
    }
    // The metrics are a projection folded beside the state, from the same events.
    let (state, metrics) = match path {
        Some(path) => super::replay_log::<Metrics>(path, &events)?,
        None => {
            let r = cs_core::try_replay_report::<Metrics>(&events)
                .map_err(|e| anyhow::anyhow!("{file}: {e}; the log cannot be replayed past it"))?;
            if let Some(cut) = r.cut {
                eprintln!("warning: {file}: event {}: {}", cut + 1, super::cut_decision(&events, cut));
            }
            (r.state, r.projection)
        }
    };
    let as_of = a.until.unwrap_or_else(|| state.last_event_at());
    // Agents are taken to stay as the last event left them until the view: for a day or a
    // month, not for ages (nor beyond what the occupancy counters hold).
    if as_of > state.last_event_at().plus_ms(VIEW_AFTER_LAST_MS) {
        bail!(
            "{file}: --until {as_of} is more than a year after the log's last event ({}); the log says nothing about \
             that time",
            state.last_event_at()
        );
    }
    let metrics_from = a.from.unwrap_or_else(|| first.at());
    if metrics_from > as_of {
        bail!("{file}: --from {metrics_from} is after the time of the view ({as_of})");
    }
    let from = cs_core::metrics::interval_start(metrics_from);
    let summary = Summary::of_state(&state, &metrics, metrics_from, as_of).map_err(|e| anyhow::anyhow!("{file}: --from: {e}"))?;
    let config = state.config();

    let agents: Vec<AgentOut> = state
        .agents()
        .iter()
        .map(|ag| AgentOut {
            key: ag.key.to_string(),
            team: config.teams().get(ag.team.index()).map_or_else(|| ag.team.to_string(), |t| t.name.clone()),
            presence: ag.presence.name(),
            load: ag.load.total(),
            held: ag.held.iter().map(|t| t.0).collect(),
        })
        .collect();
    let mut by_kind = BTreeMap::new();
    let mut overdue = 0;
    let mut pending = 0;
    for (due, timer) in state.timers() {
        pending += 1;
        overdue += usize::from(due <= as_of);
        *by_kind.entry(timer_kind(&format!("{timer:?}"))).or_insert(0) += 1;
    }
    let timers = TimersOut { pending, overdue, next_deadline: state.next_deadline().map(|t| t.to_string()), by_kind };
    let queue_name = |q: cs_core::QueueId| config.queues().get(q.index()).map_or_else(|| q.to_string(), |q| q.name.clone());
    let mut waiting_tickets: Vec<WaitingOut> = state
        .tickets()
        .filter_map(|t| {
            let position = state.queue_position(t.id)?;
            Some(WaitingOut {
                id: t.id.0,
                key: t.key.as_deref().map(str::to_owned),
                queue: queue_name(t.queue),
                position,
                estimated_wait_s: state.estimated_wait_ms(t.id).map(|ms| ms as f64 / 1000.0),
                waited_s: as_of.since(t.queued_since).max(0) as f64 / 1000.0,
            })
        })
        .collect();
    waiting_tickets.sort_by(|a, b| (&a.queue, a.position, a.id).cmp(&(&b.queue, b.position, b.id)));
    let ticket = match &a.ticket {
        None => None,
        Some(k) => {
            let found = state.ticket_by_key(k).or_else(|| {
                k.strip_prefix('T').unwrap_or(k).parse::<u64>().ok().and_then(|id| state.ticket(cs_core::TicketId(id)))
            });
            let Some(t) = found else {
                bail!("{file}: no ticket {k:?} as of {as_of} (neither a key nor an id of a ticket the state holds)");
            };
            Some(TicketOut {
                id: t.id.0,
                key: t.key.as_deref().map(str::to_owned),
                queue: queue_name(t.queue),
                channel: t.channel.name(),
                status: t.status.name(),
                agent: t.agent.and_then(|ag| state.agent(ag)).map(|ag| ag.key.to_string()),
                created_at: t.created_at.to_string(),
                position: state.queue_position(t.id),
                estimated_wait_s: state.estimated_wait_ms(t.id).map(|ms| ms as f64 / 1000.0),
                sla: state.sla_view(t.id, as_of),
            })
        }
    };
    let staffing = if a.staffing {
        let request = cs_plan::elastic::Request {
            target_s: a.target_s,
            service_level: a.service_level,
            reserve: a.reserve,
            ahead: a.ahead as usize,
            patience_s: a.patience_s,
        };
        Some(cs_plan::elastic::report(&state, &metrics, as_of, &request).map_err(super::erlang_error)?)
    } else {
        None
    };

    if a.json {
        return super::print_json(&Output {
            file,
            as_of: as_of.to_string(),
            as_of_ms: as_of.ms(),
            from: from.to_string(),
            events: events.len(),
            more_after_until,
            torn_tail: torn_tail.map(|t| TornOut { line: t.line, offset: t.offset, bytes: t.bytes }),
            summary: &summary,
            agents,
            timers,
            waiting_tickets,
            ticket,
            staffing,
        });
    }

    let mut out = format!("{file}: {} events replayed, as of {as_of}", events.len());
    if more_after_until {
        out += " (later events not replayed)";
    }
    out += "\n\n";
    let mut queues = Table::new(&["queue", "waiting", "oldest wait", "overflow"]);
    for q in &summary.queues {
        queues.row(vec![
            q.name.clone(),
            q.waiting.unwrap_or_default().to_string(),
            seconds(q.oldest_wait_s),
            if q.overflow_open == Some(true) { "open" } else { "closed" }.to_owned(),
        ]);
    }
    out += &queues.render();
    out += "\n";
    let mut table = Table::new(&["agent", "team", "presence", "load", "held"]).left(1).left(2).left(4);
    for ag in &agents {
        let held = ag.held.iter().map(|t| format!("T{t}")).collect::<Vec<_>>().join(" ");
        table.row(vec![ag.key.clone(), ag.team.clone(), ag.presence.to_owned(), ag.load.to_string(), held]);
    }
    if table.is_empty() {
        out += "no agents registered\n";
    } else {
        out += &table.render();
    }
    out += &format!(
        "\nopen tickets: {}, waiting: {}\n",
        summary.open_tickets.unwrap_or_default(),
        summary.waiting.unwrap_or_default()
    );
    let kinds = timers.by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", ");
    match &timers.next_deadline {
        None => out += "timers: none pending\n",
        Some(next) => out += &format!("timers: {} pending ({kinds}), next due {next}\n", timers.pending),
    }
    if timers.overdue > 0 {
        out += &format!(
            "  {} of them were due by {as_of}, but no later event in the log fired them\n",
            timers.overdue
        );
    }
    if !waiting_tickets.is_empty() {
        let mut w = Table::new(&["waiting ticket", "queue", "position", "waited", "estimated wait"]).left(0).left(1);
        // The table shows the first ones; `--json` lists them all.
        const SHOWN: usize = 50;
        for t in waiting_tickets.iter().take(SHOWN) {
            w.row(vec![
                t.key.clone().unwrap_or_else(|| format!("T{}", t.id)),
                t.queue.clone(),
                t.position.to_string(),
                seconds(Some(t.waited_s)),
                seconds(t.estimated_wait_s),
            ]);
        }
        out += "\n";
        out += &w.render();
        if waiting_tickets.len() > SHOWN {
            out += &format!("... and {} more waiting (all of them with --json)\n", waiting_tickets.len() - SHOWN);
        }
    }
    if let Some(t) = &ticket {
        out += &format!(
            "\nticket {} (T{}): {} in {} on {}, created {}{}{}\n",
            t.key.as_deref().unwrap_or("-"),
            t.id,
            t.status,
            t.queue,
            t.channel,
            t.created_at,
            t.agent.as_ref().map(|ag| format!(", with {ag}")).unwrap_or_default(),
            t.position.map(|p| format!(", position {p}, estimated wait {}", seconds(t.estimated_wait_s))).unwrap_or_default(),
        );
        if t.sla.is_empty() {
            out += "  no SLA clock has started\n";
        } else {
            let mut c = Table::new(&["clock", "policy", "state", "deadline", "elapsed", "left", "warned", "breached"])
                .left(0)
                .left(1)
                .left(2)
                .left(3);
            for v in &t.sla {
                c.row(vec![
                    v.kind.name().to_owned(),
                    v.policy.clone(),
                    format!("{:?}", v.state).to_lowercase(),
                    v.deadline.map(|d| d.to_string()).unwrap_or_default(),
                    seconds(Some(v.elapsed_ms as f64 / 1000.0)),
                    seconds(Some(v.remaining_ms as f64 / 1000.0)),
                    v.warned.to_string(),
                    v.breached.to_string(),
                ]);
            }
            out += &c.render();
        }
    }
    if let Some(s) = &staffing {
        out += &format!(
            "\nelastic staffing as of {as_of}: {:.0} % within {} s, reserve {:.0} % (from the last hour per queue)\n",
            s.service_level * 100.0,
            cs_sim::fmt_num(s.target_s),
            s.reserve * 100.0
        );
        let mut header = vec!["queue".to_owned(), "last hour".to_owned(), "AHT".to_owned(), "now".to_owned()];
        header.extend((1..=a.ahead).map(|h| format!("+{}m", h * 15)));
        let refs: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut t = Table::new(&refs).left(0);
        for (o, q) in s.observed.iter().zip(&s.queues) {
            let mut row = vec![o.queue.clone(), o.arrivals.iter().sum::<u64>().to_string(), seconds(o.aht_s)];
            if q.needs.is_empty() {
                row.extend(std::iter::repeat_n("-".to_owned(), a.ahead as usize + 1));
            } else {
                row.extend(q.needs.iter().map(|n| format!("{} ({})", n.with_reserve, n.agents)));
            }
            t.row(row);
        }
        out += &t.render();
        out += "agents with the reserve (without it); - where nothing was handled in the hour\n";
    }
    out += &format!("\nmetrics from {from} to {as_of}\n");
    out += &summary.to_table();
    super::print(&out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn timer_kinds_are_snake_case() {
        assert_eq!(super::timer_kind("WrapUp(A3)"), "wrap_up");
        assert_eq!(super::timer_kind("Step(T1)"), "step");
    }
}
