//! The metrics summary every `cs` command prints the same way.
//!
//! `cs replay --json` prints a [`Summary`] at the top level of its JSON object, and
//! `cs simulate --json` must print one too, built the same way, so that replaying a
//! simulated log gives exactly the figures the simulation printed. Every figure comes from
//! `cs-core`'s metrics ([`cs_core::metrics::Counts`] and its ratio methods); nothing here
//! computes a metric of its own.
//!
//! # JSON shape
//!
//! ```json
//! {
//!   "tickets": 120, "answered": 110, "abandoned": 8, "expired": 2,
//!   "service_level": 0.81, "service_level_of_answered": 0.88,
//!   "asa_s": 12.5, "aht_s": 240.0, "abandon_rate": 0.067, "occupancy": 0.74,
//!   "longest_wait_s": 95.0,
//!   "handled": 105, "resolved": 100, "transferred": 3,
//!   "first_contact_resolution": 0.9, "reopen_rate": 0.02, "reopened": 2, "follow_ups": 90,
//!   "sla_attainment": 0.93, "sla_breached": 7, "first_response_attainment": 0.95,
//!   "next_response_attainment": 0.88, "resolution_attainment": 0.97,
//!   "waiting": 2, "open_tickets": 12,
//!   "queues": [{ "name": "chat", "tickets": 80, ..., "waiting": 2, "oldest_wait_s": 14.2, "overflow_open": false }],
//!   "channels": [{ "name": "chat", "tickets": 80, ... }],
//!   "teams": [{ "name": "tier1", "handled": 60, "aht_s": 230.0, "occupancy": 0.77, ... }]
//! }
//! ```
//!
//! - `tickets` counts **episodes offered** to a queue: a ticket counts once when created
//!   and again each time it is reopened. `answered`, `abandoned` and `expired` are
//!   outcomes of those episodes, counted in the 15-minute interval the episode started in.
//! - `service_level` is answered within the queue's `service_level_s` over offered
//!   (abandoned and expired episodes count against it); `service_level_of_answered` is
//!   over answered. Ratios over nothing are `null`.
//! - `occupancy` is agent time, so it is `null` per queue and per channel; it is given
//!   overall and per team. `aht_s` is handle time of released tickets.
//! - `waiting`, `open_tickets` and the per-queue `waiting`, `oldest_wait_s`,
//!   `overflow_open` describe the state at the end (`now`); they are present when the
//!   summary was built from a state ([`Summary::of_state`]).
//! - `channels` lists only channels that saw traffic and is omitted when none did.

use crate::table::{Table, percent, seconds};
use cs_core::channel::Channel;
use cs_core::metrics::{Counts, Metrics, Report, WindowError, interval_start};
use cs_core::sla::ClockKind;
use cs_core::{Config, QueueId, State, Timestamp};
use serde::{Deserialize, Serialize};

/// Figures for one slice of the traffic: everything, a queue, a channel or a team.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Episodes offered to a queue (a reopened ticket counts again).
    pub tickets: u64,
    /// Episodes an agent took.
    pub answered: u64,
    /// Episodes the customer abandoned while waiting.
    pub abandoned: u64,
    /// Episodes whose time-to-live ran out while waiting.
    pub expired: u64,
    /// Answered within the service-level threshold ÷ offered.
    pub service_level: Option<f64>,
    /// Answered within the service-level threshold ÷ answered.
    pub service_level_of_answered: Option<f64>,
    /// Average speed of answer, seconds.
    pub asa_s: Option<f64>,
    /// Average handle time, seconds.
    pub aht_s: Option<f64>,
    /// Abandoned ÷ offered.
    pub abandon_rate: Option<f64>,
    /// Agent busy time (weighted by load) ÷ staffed time; agent-side slices only.
    pub occupancy: Option<f64>,
    /// Longest wait of an answered, abandoned or expired episode, seconds (0 if none).
    pub longest_wait_s: f64,
    /// Tickets released after being worked.
    pub handled: u64,
    /// Resolutions.
    pub resolved: u64,
    /// Transfers to another queue.
    pub transferred: u64,
    /// First-contact resolutions (not reopened since) ÷ resolutions.
    pub first_contact_resolution: Option<f64>,
    /// Reopens ÷ resolutions.
    pub reopen_rate: Option<f64>,
    /// SLA clocks met ÷ clocks met or breached.
    pub sla_attainment: Option<f64>,
    /// SLA deadlines passed.
    pub sla_breached: u64,
    /// First-response clocks met ÷ met or breached.
    pub first_response_attainment: Option<f64>,
    /// Next-response clocks (a reply to each later customer message) met ÷ met or breached.
    pub next_response_attainment: Option<f64>,
    /// Resolution clocks met ÷ met or breached.
    pub resolution_attainment: Option<f64>,
    /// Reopens.
    pub reopened: u64,
    /// Follow-ups that fell due after resolution (`FollowUpDue`).
    pub follow_ups: u64,
    /// Escalations.
    pub escalated: u64,
    /// Conversations started with a bot.
    pub bot_started: u64,
    /// Bot-resolved ÷ bot-started conversations.
    pub bot_deflection_rate: Option<f64>,
}

impl Figures {
    /// The figures of one slice's counters.
    pub fn from_counts(c: &Counts) -> Figures {
        Figures {
            tickets: c.offered,
            answered: c.answered,
            abandoned: c.abandoned,
            expired: c.expired,
            service_level: c.service_level(),
            service_level_of_answered: c.service_level_of_answered(),
            asa_s: c.asa_s(),
            aht_s: c.aht_s(),
            abandon_rate: c.abandon_rate(),
            occupancy: c.occupancy(),
            longest_wait_s: c.wait_ms_max as f64 / 1000.0,
            handled: c.handled,
            resolved: c.resolved,
            transferred: c.transferred,
            first_contact_resolution: c.first_contact_resolution(),
            reopen_rate: c.reopen_rate(),
            sla_attainment: c.sla_attainment(),
            sla_breached: c.sla_breached,
            first_response_attainment: c.sla_attainment_of(ClockKind::FirstResponse),
            next_response_attainment: c.sla_attainment_of(ClockKind::NextResponse),
            resolution_attainment: c.sla_attainment_of(ClockKind::Resolution),
            reopened: c.reopened,
            follow_ups: c.follow_ups,
            escalated: c.escalated,
            bot_started: c.bot_started,
            bot_deflection_rate: c.bot_deflection_rate(),
        }
    }
}

/// Figures of a named channel or team.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slice {
    /// The channel's or team's name.
    pub name: String,
    /// Its figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// Figures of a team: only what is counted per team, the agent side (tickets offered,
/// answered, waits and service levels belong to queues and channels, not to the team whose
/// agent happened to take a ticket).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamSummary {
    /// The team's name from the config.
    pub name: String,
    /// Tickets its agents released after working them.
    pub handled: u64,
    /// Their average handle time (with after-contact work), seconds.
    pub aht_s: Option<f64>,
    /// Its agents' busy time (weighted by load) ÷ staffed time.
    pub occupancy: Option<f64>,
}

impl TeamSummary {
    fn of(name: &str, c: &Counts) -> TeamSummary {
        TeamSummary { name: name.to_owned(), handled: c.handled, aht_s: c.aht_s(), occupancy: c.occupancy() }
    }
}

/// Figures of a queue, with its state at the end when known.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueSummary {
    /// The queue's name from the config.
    pub name: String,
    /// Its figures.
    #[serde(flatten)]
    pub figures: Figures,
    /// Tickets waiting at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<u64>,
    /// The longest current wait at the end, seconds (0 if none waits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_wait_s: Option<f64>,
    /// Whether overflow teams were helping at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overflow_open: Option<bool>,
}

/// The metrics of a run or a log: overall figures at the top level, then per queue,
/// channel and team.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Everything.
    #[serde(flatten)]
    pub total: Figures,
    /// Tickets waiting at the end, over all queues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<u64>,
    /// Open (not closed) tickets at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_tickets: Option<u64>,
    /// Per queue, in config order.
    pub queues: Vec<QueueSummary>,
    /// Per channel that saw traffic, in channel order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<Slice>,
    /// Per team, in config order (agent-side figures: handled, AHT, occupancy).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<TeamSummary>,
}

impl Summary {
    /// The summary of a metrics report, with queue and team names from `config`.
    pub fn from_report(report: &Report, config: &Config) -> Summary {
        let queues = config
            .queues()
            .iter()
            .enumerate()
            .map(|(i, q)| QueueSummary {
                name: q.name.clone(),
                figures: Figures::from_counts(report.queues.get(i).unwrap_or(&Counts::default())),
                waiting: None,
                oldest_wait_s: None,
                overflow_open: None,
            })
            .collect();
        let teams = config
            .teams()
            .iter()
            .enumerate()
            .map(|(i, t)| TeamSummary::of(&t.name, report.teams.get(i).unwrap_or(&Counts::default())))
            .collect();
        Summary {
            total: Figures::from_counts(&report.total),
            waiting: None,
            open_tickets: None,
            queues,
            channels: Vec::new(),
            teams,
        }
        .with_channels(&report.channels)
    }

    /// Sets the per-channel figures (channels without offered or handled tickets are left
    /// out).
    pub fn with_channels(mut self, channels: &[Counts]) -> Summary {
        self.channels = Channel::ALL
            .iter()
            .zip(channels)
            .filter(|(_, c)| c.offered > 0 || c.handled > 0)
            .map(|(ch, c)| Slice { name: ch.name().to_owned(), figures: Figures::from_counts(c) })
            .collect();
        self
    }

    /// The summary of everything the `metrics` folded beside a state have seen from `from`
    /// (the first event's time) up to `now`, with the queues' state at the end. This is what `cs replay` prints (with
    /// `now` = `--until`, or the last event's time); a simulation that prints it with the
    /// same `from` and `now = state.last_event_at()` agrees with a replay of its log.
    ///
    /// The window is [`cs_core::metrics::Metrics::report`] from the interval holding `from`
    /// on, with agents' current work counted up to `now`. From the first event it is the
    /// whole log, however long; from a later time, the core answers from its 15-minute
    /// intervals (the last 31 days) or its daily totals (ten years before that).
    ///
    /// # Errors
    /// The core's [`cs_core::metrics::WindowError`] when `from` falls inside a day kept
    /// only as a daily total, or before what is kept: never a silent zero.
    ///
    /// # Panics
    /// If the state has no configuration (no `Configured` event was applied).
    pub fn of_state(state: &State, metrics: &Metrics, from: Timestamp, now: Timestamp) -> Result<Summary, WindowError> {
        let config = state.config();
        let report = metrics.report(interval_start(from), Timestamp::MAX, now)?;
        let mut s = Summary::from_report(&report, config);
        let mut waiting = 0;
        for (i, q) in s.queues.iter_mut().enumerate() {
            let id = QueueId(i as u16);
            let n = state.waiting_in(id) as u64;
            waiting += n;
            q.waiting = Some(n);
            q.oldest_wait_s = Some(state.oldest_wait_ms(id, now) as f64 / 1000.0);
            q.overflow_open = Some(state.overflow_open(id));
        }
        s.waiting = Some(waiting);
        s.open_tickets = Some(state.open_tickets());
        Ok(s)
    }

    /// The figures as a text table: one row overall, then one per queue, channel and team.
    /// Team rows show only agent-side figures (handled, AHT, occupancy); the others are
    /// counted per queue and channel, and shown as `-`.
    pub fn to_table(&self) -> String {
        let mut t = Table::new(&[
            "slice",
            "tickets",
            "answered",
            "handled",
            "abandoned",
            "expired",
            "escalated",
            "SL",
            "SL answered",
            "ASA",
            "AHT",
            "abandon",
            "occupancy",
            "longest wait",
        ]);
        let mut add = |name: String, f: &Figures| {
            t.row(vec![
                name,
                f.tickets.to_string(),
                f.answered.to_string(),
                f.handled.to_string(),
                f.abandoned.to_string(),
                f.expired.to_string(),
                f.escalated.to_string(),
                percent(f.service_level),
                percent(f.service_level_of_answered),
                seconds(f.asa_s),
                seconds(f.aht_s),
                percent(f.abandon_rate),
                percent(f.occupancy),
                seconds(Some(f.longest_wait_s)),
            ]);
        };
        add("total".to_owned(), &self.total);
        for q in &self.queues {
            add(format!("queue {}", q.name), &q.figures);
        }
        for c in &self.channels {
            add(format!("channel {}", c.name), &c.figures);
        }
        for team in &self.teams {
            let dash = || "-".to_owned();
            let mut row = vec![format!("team {}", team.name), dash(), dash(), team.handled.to_string()];
            row.extend((0..6).map(|_| dash()));
            row.extend([seconds(team.aht_s), dash(), percent(team.occupancy), dash()]);
            t.row(row);
        }
        t.render() + "\n" + &self.outcomes_table()
    }

    /// Resolutions, reopens, transfers, follow-ups and SLA attainment per clock: one row
    /// overall, then one per queue and channel.
    fn outcomes_table(&self) -> String {
        let mut t = Table::new(&[
            "slice",
            "resolved",
            "FCR",
            "reopened",
            "reopen rate",
            "transferred",
            "follow-ups",
            "SLA met",
            "first response",
            "next response",
            "resolution",
        ]);
        let mut add = |name: String, f: &Figures| {
            t.row(vec![
                name,
                f.resolved.to_string(),
                percent(f.first_contact_resolution),
                f.reopened.to_string(),
                percent(f.reopen_rate),
                f.transferred.to_string(),
                f.follow_ups.to_string(),
                percent(f.sla_attainment),
                percent(f.first_response_attainment),
                percent(f.next_response_attainment),
                percent(f.resolution_attainment),
            ]);
        };
        add("total".to_owned(), &self.total);
        for q in &self.queues {
            add(format!("queue {}", q.name), &q.figures);
        }
        for c in &self.channels {
            add(format!("channel {}", c.name), &c.figures);
        }
        t.render()
    }
}
