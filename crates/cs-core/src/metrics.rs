//! Metrics: projections of events, per queue, channel and team, per 15-minute interval,
//! with totals. [`Metrics`] is a [`Projection`] folded beside the state, not inside it: the
//! fold of the routing state pays nothing for reporting, and a caller who wants metrics
//! folds them from the same events (an [`Engine`](crate::Engine) made with
//! [`Engine::with_projection`](crate::Engine::with_projection), [`crate::replay_projected`],
//! [`crate::try_replay_projected`], [`Metrics::of`]). Metrics kept incrementally equal
//! metrics recomputed from the whole log.
//!
//! Definitions (see `docs/METRICS.md` for the full text):
//! - An **episode** is one wait for a human: it starts when a ticket is created for a
//!   queue (or handed over by a bot) and again when it is reopened. Offered, answered,
//!   abandoned and expired tickets and their waits are counted once per episode, for the
//!   queue and the 15-minute interval the episode started in.
//! - **Answered**: an agent took (or accepted an offer of) the ticket; the wait is from
//!   the start of the episode's wait to then. **Within SL**: a wait at most the queue's
//!   `service_level_s`.
//! - **Service level** = answered within SL ÷ offered (abandoned tickets count against it);
//!   the variant over answered is [`Counts::service_level_of_answered`].
//! - **Handle time**: from an agent taking a ticket to releasing it after working it
//!   (resolved, or set waiting on the customer), counted when released.
//! - **Occupancy**: the time agents spent working (weighted by their load relative to
//!   capacity, at most 1) over the time they were staffed (available or in wrap-up, or
//!   holding work in any presence), split exactly at interval boundaries.

use crate::agent::{Agent, Presence};
use crate::channel::{CHANNELS_N, Channel};
use crate::config::Config;
use crate::event::{Event, RequeueReason};
use crate::id::{AgentId, QueueId, TeamId};
use crate::projection::Projection;
use crate::state::State;
use crate::ticket::{Ticket, TicketStatus};
use crate::time::{DAY_MS, MINUTE_MS, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Length of a reporting interval.
pub const INTERVAL_MS: i64 = 15 * MINUTE_MS;
/// How many 15-minute intervals are kept (31 days up to the newest); older ones are folded
/// into daily totals.
pub const INTERVALS_KEPT: usize = (31 * DAY_MS / INTERVAL_MS) as usize;
/// How many days of daily totals are kept before the 15-minute intervals (ten years,
/// counted from the newest interval's day); older counts stay in the totals only.
pub const DAYS_KEPT: usize = 3660;

/// Counters for one slice (a queue, a channel, a team, an interval, or everything).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Episodes started (tickets offered to the queue).
    pub offered: u64,
    /// Episodes answered by an agent.
    pub answered: u64,
    /// Of those, answered within the queue's service-level threshold.
    pub answered_within_sl: u64,
    /// Episodes the customer abandoned before an agent took them.
    pub abandoned: u64,
    /// Of those, abandoned within the service-level threshold (short abandons).
    pub abandoned_within_sl: u64,
    /// Episodes whose time-to-live ran out while waiting.
    pub expired: u64,
    /// Summed wait of answered episodes, ms.
    pub wait_ms_answered: u64,
    /// Summed wait of abandoned episodes, ms.
    pub wait_ms_abandoned: u64,
    /// Longest wait of any answered, abandoned or expired episode, ms.
    pub wait_ms_max: u64,
    /// Tickets released after being worked.
    pub handled: u64,
    /// Their summed handle time, ms.
    pub handle_ms: u64,
    /// Resolutions.
    pub resolved: u64,
    /// Resolutions with no transfer and no earlier reopen.
    pub resolved_first_contact: u64,
    /// Of those, later reopened (no longer first-contact resolutions).
    pub first_contact_reopened: u64,
    /// Reopens.
    pub reopened: u64,
    /// Transfers to another queue.
    pub transferred: u64,
    /// Agent working time weighted by load, in thousandths of an agent-ms.
    pub busy_milli_ms: u64,
    /// Agent staffed time, ms.
    pub staffed_ms: u64,
    /// Conversations that started with a bot.
    pub bot_started: u64,
    /// Of those, resolved by the bot (deflected).
    pub bot_deflected: u64,
    /// Of those, handed to a human.
    pub bot_handed_off: u64,
    /// Of those, left by the customer while with the bot.
    pub bot_abandoned: u64,
    /// SLA clocks that reached their warning threshold.
    pub sla_warned: u64,
    /// SLA clocks stopped before their deadline.
    pub sla_met: u64,
    /// SLA clocks that passed their deadline.
    pub sla_breached: u64,
    /// SLA clocks met, per clock kind (indexed by [`crate::sla::ClockKind::index`]).
    pub sla_met_by_clock: [u64; 4],
    /// SLA clocks breached, per clock kind.
    pub sla_breached_by_clock: [u64; 4],
    /// Follow-ups that fell due (`FollowUpDue`), counted when due.
    pub follow_ups: u64,
    /// Escalations.
    pub escalated: u64,
}

impl Counts {
    /// Adds another slice's counters.
    pub fn add(&mut self, o: &Counts) {
        self.offered += o.offered;
        self.answered += o.answered;
        self.answered_within_sl += o.answered_within_sl;
        self.abandoned += o.abandoned;
        self.abandoned_within_sl += o.abandoned_within_sl;
        self.expired += o.expired;
        self.wait_ms_answered += o.wait_ms_answered;
        self.wait_ms_abandoned += o.wait_ms_abandoned;
        self.wait_ms_max = self.wait_ms_max.max(o.wait_ms_max);
        self.handled += o.handled;
        self.handle_ms += o.handle_ms;
        self.resolved += o.resolved;
        self.resolved_first_contact += o.resolved_first_contact;
        self.first_contact_reopened += o.first_contact_reopened;
        self.reopened += o.reopened;
        self.transferred += o.transferred;
        self.busy_milli_ms += o.busy_milli_ms;
        self.staffed_ms += o.staffed_ms;
        self.bot_started += o.bot_started;
        self.bot_deflected += o.bot_deflected;
        self.bot_handed_off += o.bot_handed_off;
        self.bot_abandoned += o.bot_abandoned;
        self.sla_warned += o.sla_warned;
        self.sla_met += o.sla_met;
        self.sla_breached += o.sla_breached;
        for k in 0..4 {
            self.sla_met_by_clock[k] += o.sla_met_by_clock[k];
            self.sla_breached_by_clock[k] += o.sla_breached_by_clock[k];
        }
        self.follow_ups += o.follow_ups;
        self.escalated += o.escalated;
    }

    fn ratio(a: u64, b: u64) -> Option<f64> {
        (b > 0).then(|| a as f64 / b as f64)
    }

    /// Answered within SL ÷ offered (abandoned and expired count against it).
    pub fn service_level(&self) -> Option<f64> {
        Counts::ratio(self.answered_within_sl, self.offered)
    }

    /// Answered within SL ÷ answered.
    pub fn service_level_of_answered(&self) -> Option<f64> {
        Counts::ratio(self.answered_within_sl, self.answered)
    }

    /// Answered within SL ÷ (offered − short abandons).
    pub fn service_level_excluding_short_abandons(&self) -> Option<f64> {
        Counts::ratio(self.answered_within_sl, self.offered.saturating_sub(self.abandoned_within_sl))
    }

    /// Average speed of answer, seconds.
    pub fn asa_s(&self) -> Option<f64> {
        Counts::ratio(self.wait_ms_answered, self.answered).map(|ms| ms / 1000.0)
    }

    /// Average handle time, seconds.
    pub fn aht_s(&self) -> Option<f64> {
        Counts::ratio(self.handle_ms, self.handled).map(|ms| ms / 1000.0)
    }

    /// Abandoned ÷ offered.
    pub fn abandon_rate(&self) -> Option<f64> {
        Counts::ratio(self.abandoned, self.offered)
    }

    /// Busy time ÷ staffed time.
    pub fn occupancy(&self) -> Option<f64> {
        Counts::ratio(self.busy_milli_ms, self.staffed_ms.saturating_mul(1000))
    }

    /// First-contact resolutions (not reopened since) ÷ resolutions.
    pub fn first_contact_resolution(&self) -> Option<f64> {
        Counts::ratio(self.resolved_first_contact.saturating_sub(self.first_contact_reopened), self.resolved)
    }

    /// Conversations resolved by the bot ÷ conversations the bot started.
    pub fn bot_deflection_rate(&self) -> Option<f64> {
        Counts::ratio(self.bot_deflected, self.bot_started)
    }

    /// SLA clocks met ÷ clocks decided (met or breached).
    pub fn sla_attainment(&self) -> Option<f64> {
        Counts::ratio(self.sla_met, self.sla_met + self.sla_breached)
    }

    /// One kind of SLA clock met ÷ decided (met or breached): next-response attainment, say.
    pub fn sla_attainment_of(&self, kind: crate::sla::ClockKind) -> Option<f64> {
        let (met, breached) = (self.sla_met_by_clock[kind.index()], self.sla_breached_by_clock[kind.index()]);
        Counts::ratio(met, met + breached)
    }

    /// Reopens ÷ resolutions.
    pub fn reopen_rate(&self) -> Option<f64> {
        Counts::ratio(self.reopened, self.resolved)
    }
}

/// The counters of one bucket of time: a 15-minute interval, or a UTC day of the daily
/// totals kept for older times.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    /// Its start.
    pub start: Timestamp,
    /// Everything.
    pub total: Counts,
    /// Per queue.
    queues: PerId,
    /// Per team (agent-side figures: handled, handle time, occupancy).
    teams: PerId,
    /// Per channel (indexed by [`Channel::index`]).
    pub channels: [Counts; CHANNELS_N],
}

impl Interval {
    fn blank(start: Timestamp) -> Interval {
        Interval { start, ..Interval::default() }
    }

    /// A queue's counters here; `None` when nothing was counted for it.
    pub fn queue(&self, q: QueueId) -> Option<&Counts> {
        self.queues.get(q.index())
    }

    /// A team's counters here; `None` when nothing was counted for it.
    pub fn team(&self, t: TeamId) -> Option<&Counts> {
        self.teams.get(t.index())
    }

    /// Whether nothing at all was counted here.
    fn is_empty(&self) -> bool {
        self.total == Counts::default() && self.queues.is_empty() && self.teams.is_empty()
    }

    /// Adds another bucket's counters (an interval folded into its day).
    fn add(&mut self, o: &Interval) {
        self.total.add(&o.total);
        for (c, oc) in self.channels.iter_mut().zip(&o.channels) {
            c.add(oc);
        }
        o.queues.each(|q, c| self.queues.get_mut(q).add(c));
        o.teams.each(|t, c| self.teams.get_mut(t).add(c));
    }
}

/// Counters per queue or per team in one bucket. Dense (by index) in the newest interval,
/// where nearly every count goes; sparse (only the ids with counts, by id) once the
/// interval is closed and in the daily totals, so that 10,000 queues cost memory only for
/// those with traffic in each interval, not 10,000 counters per interval.
#[derive(Clone, Debug, Serialize, Deserialize)]
enum PerId {
    Dense(Vec<Counts>),
    Sparse(Vec<(u16, Counts)>),
}

/// [`PerId::get_mut`] of a closed interval or a day: out of line, as it is seldom needed.
#[inline(never)]
fn sparse_get_mut(v: &mut Vec<(u16, Counts)>, i: usize) -> &mut Counts {
    let key = i as u16;
    let at = match v.binary_search_by_key(&key, |e| e.0) {
        Ok(at) => at,
        Err(at) => {
            v.insert(at, (key, Counts::default()));
            at
        }
    };
    &mut v[at].1
}

impl Default for PerId {
    fn default() -> PerId {
        PerId::Sparse(Vec::new())
    }
}

/// Equal when the same ids have the same non-zero counters, however they are stored.
impl PartialEq for PerId {
    fn eq(&self, other: &PerId) -> bool {
        let mut a = Vec::new();
        let mut b = Vec::new();
        self.each(|i, c| a.push((i, c.clone())));
        other.each(|i, c| b.push((i, c.clone())));
        a == b
    }
}

impl Eq for PerId {}

impl PerId {
    /// The counters of id `i`, made if missing.
    #[inline(always)]
    fn get_mut(&mut self, i: usize) -> &mut Counts {
        match self {
            PerId::Dense(v) => &mut v[i],
            PerId::Sparse(v) => sparse_get_mut(v, i),
        }
    }

    fn get(&self, i: usize) -> Option<&Counts> {
        match self {
            PerId::Dense(v) => v.get(i).filter(|c| **c != Counts::default()),
            PerId::Sparse(v) => v.binary_search_by_key(&(i as u16), |e| e.0).ok().map(|at| &v[at].1),
        }
    }

    /// Calls `f` for every id with counters, in id order.
    fn each(&self, mut f: impl FnMut(usize, &Counts)) {
        match self {
            PerId::Dense(v) => {
                v.iter().enumerate().filter(|(_, c)| **c != Counts::default()).for_each(|(i, c)| f(i, c));
            }
            PerId::Sparse(v) => v.iter().for_each(|(i, c)| f(usize::from(*i), c)),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            PerId::Dense(v) => v.iter().all(|c| *c == Counts::default()),
            PerId::Sparse(v) => v.is_empty(),
        }
    }

    /// Makes dense counters sparse; gives back the dense vector, zeroed, for reuse.
    fn close(&mut self) -> Option<Vec<Counts>> {
        let PerId::Dense(v) = self else { return None };
        let mut dense = std::mem::take(v);
        let mut sparse = Vec::new();
        for (i, c) in dense.iter_mut().enumerate() {
            if *c != Counts::default() {
                sparse.push((i as u16, std::mem::take(c)));
            }
        }
        *self = PerId::Sparse(sparse);
        Some(dense)
    }

    fn resize(&mut self, n: usize) {
        if let PerId::Dense(v) = self {
            v.resize_with(n, Counts::default);
        }
    }
}

/// SLA outcomes of one policy's clocks of one kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaCounts {
    /// Warnings raised.
    pub warned: u64,
    /// Clocks stopped before the deadline.
    pub met: u64,
    /// Deadlines passed.
    pub breached: u64,
    /// Reminders after a breach.
    pub reminded: u64,
}

impl SlaCounts {
    /// Met ÷ (met + breached).
    pub fn attainment(&self) -> Option<f64> {
        Counts::ratio(self.met, self.met + self.breached)
    }
}

/// An agent's current contribution to occupancy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct AgentClock {
    busy_milli: u64,
    staffed: bool,
    team: TeamId,
}

/// Occupancy is integrated from running totals rather than agent by agent: the summed
/// busy rate (thousandths of an agent) and the number of staffed agents, overall and per
/// team, each unchanged since its `since`. An agent's change integrates the overall totals
/// and its team's up to the change, then adjusts them; other teams are left alone (their
/// time is integrated when they next change, and [`Metrics::report`] adds what is open),
/// so a change costs the same with 5 teams or 500.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Occupancy {
    all: Running,
    teams: Vec<Running>,
}

/// Summed busy rate and staffed agents, unchanged since `since`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Running {
    since: Timestamp,
    busy: u64,
    staffed: u64,
}

impl Running {
    /// Adds `ms` of this state to `c`, saturating at `u64::MAX` instead of overflowing (a
    /// span may be centuries long: a report's view far after the last change, or a gap in
    /// a log).
    fn add_to(&self, c: &mut Counts, ms: u64) {
        c.busy_milli_ms = c.busy_milli_ms.saturating_add(ms.saturating_mul(self.busy));
        c.staffed_ms = c.staffed_ms.saturating_add(ms.saturating_mul(self.staffed));
    }
}

/// Every metric, kept as events are folded: a [`Projection`] beside the state.
///
/// Occupancy time (`busy_milli_ms`, `staffed_ms`) in the public counters covers each
/// slice up to its last change: overall up to the last agent change, a team's up to the
/// last change of one of its agents. [`Metrics::report`] adds the time since, so read
/// occupancy through a report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrics {
    /// Everything since the log began.
    pub total: Counts,
    /// Per queue.
    pub queues: Vec<Counts>,
    /// Per channel.
    pub channels: [Counts; CHANNELS_N],
    /// Per team.
    pub teams: Vec<Counts>,
    /// The last [`INTERVALS_KEPT`] 15-minute intervals up to the newest, oldest first,
    /// without gaps.
    pub intervals: VecDeque<Interval>,
    /// Daily totals (UTC days) of the times before the 15-minute intervals, at most
    /// [`DAYS_KEPT`] days before the newest interval's day, oldest first; a day with
    /// nothing counted is left out. A day's counters cover its part before the first
    /// interval kept.
    pub days: VecDeque<Interval>,
    /// SLA outcomes per policy and clock kind.
    pub sla: Vec<[SlaCounts; 4]>,
    /// Escalations per trigger (indexed by [`crate::escalation::Trigger::index`]).
    pub escalations: [u64; 7],
    /// Recurring-issue alerts raised.
    pub recurring_alerts: u64,
    agents: Vec<AgentClock>,
    occupancy: Occupancy,
    /// The start of the first bucket ever made: nothing was counted before it.
    origin: Option<Timestamp>,
    /// Counts before this time went to the totals only (they fell before the horizon of
    /// the daily totals): a window reaching before it cannot be answered.
    dropped_before: Option<Timestamp>,
    /// The agent whose working state the event being folded changes (set before it is
    /// folded, read after): its occupancy is brought up to date once the event is in the
    /// state. Always `None` between events.
    #[serde(skip)]
    touched: Option<AgentId>,
}

/// A window of a report that the metrics kept cannot answer exactly.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// The window reaches back before what is kept: counts older than ten years of daily
    /// totals before the newest interval are in the totals only.
    #[error(
        "the window starts at {from}, but metrics before {kept_from} are no longer kept by interval or by day \
         (15-minute intervals for the last 31 days, daily totals for ten years before that); start at or after \
         {kept_from}"
    )]
    TooOld {
        /// The window's start.
        from: Timestamp,
        /// The earliest start that can be answered.
        kept_from: Timestamp,
    },
    /// A bound of the window falls inside a day kept only as a daily total.
    #[error(
        "{bound} falls inside the day of {day}, kept only as a daily total (15-minute intervals are kept for the \
         last 31 days, from {fine_from}); bound the window at a midnight (UTC) before that, or after it"
    )]
    InsideDay {
        /// The window's start or end.
        bound: Timestamp,
        /// The day's start.
        day: Timestamp,
        /// Where the 15-minute intervals begin.
        fine_from: Timestamp,
    },
}

/// Where a count goes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slice {
    pub at: Timestamp,
    pub queue: Option<QueueId>,
    pub channel: Option<Channel>,
    pub team: Option<TeamId>,
}

/// The start of the interval holding `t`.
pub fn interval_start(t: Timestamp) -> Timestamp {
    Timestamp(t.ms().div_euclid(INTERVAL_MS) * INTERVAL_MS)
}

/// The start of the UTC day holding `t`.
pub fn day_start(t: Timestamp) -> Timestamp {
    Timestamp(t.ms().div_euclid(DAY_MS) * DAY_MS)
}

impl Metrics {
    /// Makes room for `queues` queues and `teams` teams (a config may only grow).
    pub(crate) fn resize(&mut self, queues: usize, teams: usize, policies: usize) {
        self.sla.resize(policies, Default::default());
        self.occupancy.teams.resize(teams, Running::default());
        self.queues.resize_with(queues, Counts::default);
        self.teams.resize_with(teams, Counts::default);
        if let Some(i) = self.intervals.back_mut() {
            i.queues.resize(queues);
            i.teams.resize(teams);
        }
    }

    /// The bucket counting `at`: its 15-minute interval (created, with those before it, if
    /// newer than the newest), or for a time before the intervals kept its day; `None`
    /// before the daily totals' horizon (the count stays in the totals only).
    #[inline]
    fn interval_mut(&mut self, at: Timestamp) -> Option<&mut Interval> {
        // Nearly every count is for the newest interval: check it inline, without dividing.
        match self.intervals.back() {
            Some(i) if at >= i.start && at.since(i.start) < INTERVAL_MS => self.intervals.back_mut(),
            _ => self.interval_other(at),
        }
    }

    /// [`Metrics::interval_mut`] for any bucket but the newest interval.
    #[inline(never)]
    fn interval_other(&mut self, at: Timestamp) -> Option<&mut Interval> {
        let start = interval_start(at);
        if self.intervals.back().is_none_or(|i| start > i.start) {
            self.advance(start);
            return self.intervals.back_mut();
        }
        let first = self.intervals.front().expect("non-empty").start;
        if start >= first {
            let idx = (start.since(first) / INTERVAL_MS) as usize;
            return self.intervals.get_mut(idx);
        }
        self.day_mut(at)
    }

    /// The daily total holding `at` (before the 15-minute intervals), made if missing;
    /// `None`, with the loss noted, before the horizon.
    fn day_mut(&mut self, at: Timestamp) -> Option<&mut Interval> {
        let day = day_start(at);
        let horizon = self.horizon();
        if day < horizon {
            self.dropped(horizon);
            return None;
        }
        self.origin = Some(self.origin.map_or(day, |o| o.min(day)));
        let at = match self.days.binary_search_by_key(&day, |d| d.start) {
            Ok(at) => at,
            Err(at) => {
                self.days.insert(at, Interval::blank(day));
                at
            }
        };
        self.days.get_mut(at)
    }

    /// The start of the oldest day the daily totals may hold.
    fn horizon(&self) -> Timestamp {
        self.intervals.back().map_or(Timestamp::MIN, |i| horizon_of(i.start))
    }

    /// Notes that counts before `before` went to the totals only.
    fn dropped(&mut self, before: Timestamp) {
        self.dropped_before = Some(self.dropped_before.map_or(before, |d| d.max(before)));
    }

    /// Makes `start` the newest interval: the newest so far is closed (made sparse), the
    /// intervals falling out of the 31 days are folded into their days, days past the
    /// horizon are dropped, and blank intervals fill the gap up to `start`, so that
    /// whatever the gap the work is bounded by what is kept.
    fn advance(&mut self, start: Timestamp) {
        let keep_from = start.plus_ms(-((INTERVALS_KEPT as i64 - 1) * INTERVAL_MS));
        let horizon = horizon_of(start);
        let (queues, teams) = match self.intervals.back_mut() {
            Some(newest) => (newest.queues.close(), newest.teams.close()),
            None => (None, None),
        };
        while self.intervals.front().is_some_and(|i| i.start < keep_from) {
            let i = self.intervals.pop_front().expect("non-empty");
            if i.is_empty() {
                continue;
            }
            let day = day_start(i.start);
            if day < horizon {
                self.dropped(i.start.plus_ms(INTERVAL_MS));
                continue;
            }
            match self.days.back_mut() {
                Some(d) if d.start == day => d.add(&i),
                _ => {
                    let mut d = Interval::blank(day);
                    d.add(&i);
                    self.days.push_back(d);
                }
            }
        }
        while self.days.front().is_some_and(|d| d.start < horizon) {
            let d = self.days.pop_front().expect("non-empty");
            self.dropped(d.start.plus_ms(DAY_MS));
        }
        let mut next = self.intervals.back().map_or(keep_from, |i| i.start.plus_ms(INTERVAL_MS)).max(keep_from);
        if self.origin.is_none() {
            // The first count: nothing before it to keep blanks for.
            next = start;
            self.origin = Some(start);
        }
        while next < start {
            self.intervals.push_back(Interval::blank(next));
            next = next.plus_ms(INTERVAL_MS);
        }
        let zeroed = |v: Option<Vec<Counts>>, n: usize| {
            let mut v = v.unwrap_or_default();
            v.resize_with(n, Counts::default);
            PerId::Dense(v)
        };
        self.intervals.push_back(Interval {
            queues: zeroed(queues, self.queues.len()),
            teams: zeroed(teams, self.teams.len()),
            ..Interval::blank(start)
        });
    }

    /// Applies `f` to every slice the count belongs to.
    #[inline(always)]
    pub(crate) fn count(&mut self, s: Slice, f: impl Fn(&mut Counts)) {
        self.count_split(s, &f, &f);
    }

    /// Applies `f` to the overall, queue and channel slices the count belongs to, and
    /// `team` to its team slices: two counts that differ only in whether they go to the
    /// team, in one pass.
    #[inline(always)]
    pub(crate) fn count_split(&mut self, s: Slice, f: impl Fn(&mut Counts), team: impl Fn(&mut Counts)) {
        f(&mut self.total);
        if let Some(q) = s.queue {
            f(&mut self.queues[q.index()]);
        }
        if let Some(c) = s.channel {
            f(&mut self.channels[c.index()]);
        }
        if let Some(t) = s.team {
            team(&mut self.teams[t.index()]);
        }
        if let Some(i) = self.interval_mut(s.at) {
            f(&mut i.total);
            if let Some(q) = s.queue {
                f(i.queues.get_mut(q.index()));
            }
            if let Some(t) = s.team {
                team(i.teams.get_mut(t.index()));
            }
            if let Some(c) = s.channel {
                f(&mut i.channels[c.index()]);
            }
        }
    }

    /// Records the outcome of an episode's wait.
    pub(crate) fn wait_ended(&mut self, s: Slice, wait_ms: i64, sl_ms: i64, outcome: WaitOutcome) {
        let wait = wait_ms.max(0) as u64;
        let within = wait_ms <= sl_ms;
        // One fold per outcome, so that the outcome is not matched again in every slice.
        match outcome {
            WaitOutcome::Answered => self.count(s, |c| {
                c.wait_ms_max = c.wait_ms_max.max(wait);
                c.answered += 1;
                c.answered_within_sl += u64::from(within);
                c.wait_ms_answered += wait;
            }),
            WaitOutcome::Abandoned => self.count(s, |c| {
                c.wait_ms_max = c.wait_ms_max.max(wait);
                c.abandoned += 1;
                c.abandoned_within_sl += u64::from(within);
                c.wait_ms_abandoned += wait;
            }),
            WaitOutcome::Expired => self.count(s, |c| {
                c.wait_ms_max = c.wait_ms_max.max(wait);
                c.expired += 1;
            }),
        }
    }

    /// Takes back an answer [`Metrics::wait_ended`] counted (its take ended without a reply
    /// in time): the episode is unanswered again. The longest wait stays, as the episode's
    /// eventual wait is at least this one.
    pub(crate) fn answer_withdrawn(&mut self, s: Slice, wait_ms: i64, sl_ms: i64) {
        let wait = wait_ms.max(0) as u64;
        let within = u64::from(wait_ms <= sl_ms);
        self.count(s, |c| {
            c.answered = c.answered.saturating_sub(1);
            c.answered_within_sl = c.answered_within_sl.saturating_sub(within);
            c.wait_ms_answered = c.wait_ms_answered.saturating_sub(wait);
        });
    }

    /// Records that an agent's working state may have changed at `at`: integrates the
    /// occupancy totals up to `at`, then replaces the agent's contribution. Out of line, so
    /// that [`Projection::after`], called for every event, stays small.
    #[inline(never)]
    pub(crate) fn agent_changed(&mut self, a: &Agent, at: Timestamp) {
        if self.agents.len() <= a.id.index() {
            self.agents.resize(a.id.index() + 1, AgentClock::default());
        }
        let old = self.agents[a.id.index()];
        let new = AgentClock { busy_milli: busy_milli(a), staffed: staffed(a), team: a.team };
        if old == new {
            return;
        }
        self.integrate_with_team(old.team.index(), at);
        let all = &mut self.occupancy.all;
        all.busy = all.busy - old.busy_milli + new.busy_milli;
        all.staffed = all.staffed - u64::from(old.staffed) + u64::from(new.staffed);
        let t = &mut self.occupancy.teams[old.team.index()];
        (t.busy, t.staffed) = (t.busy - old.busy_milli, t.staffed - u64::from(old.staffed));
        if new.team != old.team {
            self.integrate(Some(new.team.index()), at);
        }
        let t = &mut self.occupancy.teams[new.team.index()];
        (t.busy, t.staffed) = (t.busy + new.busy_milli, t.staffed + u64::from(new.staffed));
        self.agents[a.id.index()] = new;
    }

    /// [`Metrics::integrate`] overall and for `team`, in one pass over the buckets when
    /// both were last integrated at the same time (always, with one team).
    fn integrate_with_team(&mut self, team: usize, until: Timestamp) {
        let (all, run) = (self.occupancy.all, self.occupancy.teams[team]);
        if all.since != run.since {
            self.integrate(None, until);
            self.integrate(Some(team), until);
            return;
        }
        let from = all.since;
        self.occupancy.all.since = until.max(from);
        self.occupancy.teams[team].since = until.max(from);
        if all.busy == 0 && all.staffed == 0 {
            return; // so is the team
        }
        if from >= until {
            return;
        }
        let ms = until.since(from) as u64;
        all.add_to(&mut self.total, ms);
        run.add_to(&mut self.teams[team], ms);
        // Mostly both ends lie in the newest interval: `spread` takes that case first.
        self.spread(from, until, |i, ms| {
            all.add_to(&mut i.total, ms);
            run.add_to(i.teams.get_mut(team), ms);
        });
    }

    /// Adds the time of the overall occupancy totals (`None`) or of one team's, from their
    /// `since` up to `until`, to the counters, split exactly at the buckets' boundaries.
    fn integrate(&mut self, team: Option<usize>, until: Timestamp) {
        let run = match team {
            None => &mut self.occupancy.all,
            Some(t) => &mut self.occupancy.teams[t],
        };
        let (from, r) = (run.since, *run);
        run.since = until.max(from);
        if (r.busy == 0 && r.staffed == 0) || from >= until {
            return;
        }
        let ms = until.since(from) as u64;
        match team {
            None => r.add_to(&mut self.total, ms),
            Some(t) => r.add_to(&mut self.teams[t], ms),
        }
        self.spread(from, until, |i, ms| match team {
            None => r.add_to(&mut i.total, ms),
            Some(t) => r.add_to(i.teams.get_mut(t), ms),
        });
    }

    /// Splits `[from, until)` at the buckets' boundaries and calls `add` with each bucket
    /// and the milliseconds of the span in it: 15-minute intervals from the first kept on,
    /// days before it, and before the daily totals' horizon nothing (the totals, which the
    /// callers count in one piece, hold it; the loss is noted). The work is bounded by the
    /// buckets kept, however long the span.
    fn spread(&mut self, from: Timestamp, until: Timestamp, mut add: impl FnMut(&mut Interval, u64)) {
        if from >= until {
            return;
        }
        // Mostly the span lies in the newest interval.
        if let Some(i) = self.intervals.back_mut()
            && from >= i.start
            && until.since(i.start) <= INTERVAL_MS
        {
            add(i, until.since(from) as u64);
            return;
        }
        // The first interval ever, or the newest the span reaches, first, so that the
        // tiers hold still below.
        if self.intervals.is_empty() {
            self.advance(interval_start(from));
        }
        let last = interval_start(until.plus_ms(-1));
        if self.intervals.back().is_some_and(|i| last > i.start) {
            self.advance(last);
        }
        let fine_from = self.intervals.front().expect("made above").start;
        let mut from = from;
        if from < fine_from {
            let horizon = self.horizon();
            if from < horizon {
                self.dropped(horizon.min(until));
                from = horizon;
            }
        }
        while from < until {
            let end = if from < fine_from {
                day_start(from).plus_ms(DAY_MS).min(fine_from).min(until)
            } else {
                interval_start(from).plus_ms(INTERVAL_MS).min(until)
            };
            let ms = end.since(from) as u64;
            if let Some(i) = self.interval_mut(from) {
                add(i, ms);
            }
            from = end;
        }
    }

    /// Counts over a window: the buckets starting in `[from, to)` (from the first
    /// 15-minute boundary at or after `from`), with agents' current segments counted up to
    /// `min(now, to)`: the report a dashboard or a simulation prints. A window that starts
    /// at or before the first count takes everything from the start.
    ///
    /// # Errors
    /// [`WindowError`] when the buckets kept cannot answer the window exactly: it reaches
    /// before the ten years of daily totals, or a bound falls inside a day kept only as a
    /// daily total. Never a silent zero.
    pub fn report(&self, from: Timestamp, to: Timestamp, now: Timestamp) -> Result<Report, WindowError> {
        let first = if interval_start(from) >= from { from } else { interval_start(from).plus_ms(INTERVAL_MS) };
        let lo = if self.origin.is_none_or(|o| first <= o) { Timestamp::MIN } else { first };
        let mut r = Report {
            from,
            to,
            total: Counts::default(),
            queues: vec![Counts::default(); self.queues.len()],
            teams: vec![Counts::default(); self.teams.len()],
            channels: Default::default(),
        };
        if lo == Timestamp::MIN && self.intervals.back().is_none_or(|i| to > i.start) {
            // Everything ever counted: the totals, however old the log.
            r.total = self.total.clone();
            r.queues.clone_from(&self.queues);
            r.teams.clone_from(&self.teams);
            r.channels.clone_from(&self.channels);
        } else {
            if let Some(dropped) = self.dropped_before
                && lo < dropped
            {
                return Err(WindowError::TooOld { from, kept_from: dropped });
            }
            let fine_from = self.intervals.front().map_or(Timestamp::MAX, |i| i.start);
            for d in &self.days {
                let end = d.start.plus_ms(DAY_MS).min(fine_from);
                for bound in [lo, to] {
                    if d.start < bound && bound < end {
                        return Err(WindowError::InsideDay { bound, day: d.start, fine_from });
                    }
                }
            }
            for i in self.days.iter().chain(&self.intervals).filter(|i| i.start >= lo && i.start < to) {
                r.total.add(&i.total);
                i.queues.each(|q, c| r.queues[q].add(c));
                i.teams.each(|t, c| r.teams[t].add(c));
                for (ch, c) in r.channels.iter_mut().zip(&i.channels) {
                    ch.add(c);
                }
            }
        }
        // What agents have been doing since the last change (overall, and per team since
        // the team's last change), up to `min(now, to)`.
        // The window's buckets are those starting at or after `first`: time from there on
        // counts, in one span (however far away `now` is).
        let end = now.min(to);
        let open = |run: &Running, c: &mut Counts| {
            if run.busy == 0 && run.staffed == 0 {
                return;
            }
            let start = run.since.max(first);
            if start < end {
                run.add_to(c, end.since(start) as u64);
            }
        };
        open(&self.occupancy.all, &mut r.total);
        for (c, run) in r.teams.iter_mut().zip(&self.occupancy.teams) {
            open(run, c);
        }
        Ok(r)
    }
}

/// The start of the oldest day kept as a daily total when `newest` is the newest interval.
fn horizon_of(newest: Timestamp) -> Timestamp {
    day_start(newest).plus_ms(-(DAYS_KEPT as i64) * DAY_MS)
}

/// How an episode's wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WaitOutcome {
    Answered,
    Abandoned,
    Expired,
}

/// Counts over a window of intervals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Start of the window.
    pub from: Timestamp,
    /// End of the window.
    pub to: Timestamp,
    /// Everything.
    pub total: Counts,
    /// Per queue.
    pub queues: Vec<Counts>,
    /// Per team.
    pub teams: Vec<Counts>,
    /// Per channel (indexed by [`Channel::index`]).
    pub channels: [Counts; CHANNELS_N],
}

/// An agent's load relative to capacity, in thousandths, at most 1000.
fn busy_milli(a: &Agent) -> u64 {
    if a.load.is_empty() {
        return 0;
    }
    u64::from(a.load.occupancy_milli(&a.capacity).clamp(1, 1000))
}

/// Whether an agent's time counts as staffed: available or in wrap-up, or holding work.
fn staffed(a: &Agent) -> bool {
    matches!(a.presence, Presence::Available | Presence::WrapUp) || !a.load.is_empty()
}

/// The metrics fold: every count is read from the event and the state just before it is
/// folded (what the event ends, such as a wait or a hold, is still there), and agents'
/// occupancy from the state just after (their new load and presence).
impl Projection for Metrics {
    #[inline]
    fn before(&mut self, state: &State, event: &Event) {
        self.touched = None;
        if let Event::Configured { config, .. } = event {
            self.resize(config.queues().len(), config.teams().len(), config.sla.policies.len());
            return;
        }
        // Events that count nothing and change no agent's work: no further look.
        if matches!(
            event,
            Event::TicketUpdated { .. }
                | Event::AgentReplied { .. }
                | Event::CustomerReplied { .. }
                | Event::TicketReactivated { .. }
                | Event::TicketStepReached { .. }
                | Event::TicketPinned { .. }
                | Event::TicketUnpinned { .. }
                | Event::OverflowOpened { .. }
                | Event::OverflowClosed { .. }
        ) {
            return;
        }
        let Some(cfg) = state.config.as_deref() else { return };
        self.count_event(state, cfg, event);
    }

    #[inline]
    fn after(&mut self, state: &State, event: &Event) {
        if let Some(a) = self.touched.take().and_then(|id| state.agents.get(id.index())) {
            self.agent_changed(a, event.at());
        }
    }
}

impl Metrics {
    /// The metrics of a log: its events folded from the empty state.
    pub fn of<'a>(events: impl IntoIterator<Item = &'a Event>) -> Metrics {
        let mut metrics = Metrics::default();
        crate::apply::replay_projected(events, &mut metrics);
        metrics
    }

    /// Counts what `event` ends or starts, on the state before it is folded. Inlined into
    /// the fold's loop ([`Projection::fold_all`]), so that an event costs no call.
    #[inline(always)]
    fn count_event(&mut self, state: &State, cfg: &Config, event: &Event) {
        let at = event.at();
        // The ticket named by an event is always in the state (`check` and `decide` make
        // sure); `apply` fails loudly on one that is not, so a miss here counts nothing.
        let ticket = |id| state.tickets.get(id);
        match event {
            Event::Configured { .. } => {}
            Event::TicketCreated { spec, .. } => {
                let Some(queue) = spec.queue else { return };
                let slice = Slice { at, queue: Some(queue), channel: Some(spec.channel), team: None };
                if spec.bot {
                    self.count(slice, |c| c.bot_started += 1);
                } else {
                    self.count(slice, |c| c.offered += 1);
                }
            }
            Event::AgentRegistered { agent, .. }
            | Event::AgentPresenceChanged { agent, .. }
            | Event::AgentSkillsChanged { agent, .. }
            | Event::AgentCapacityChanged { agent, .. }
            | Event::WrapUpEnded { agent, .. }
            | Event::TicketOffered { agent, .. } => self.touched = Some(*agent),
            Event::TicketAssigned { ticket: id, agent, .. } | Event::OfferAccepted { ticket: id, agent, .. } => {
                self.touched = Some(*agent);
                // The episode is answered the first time an agent starts work in it.
                if let Some(t) = ticket(*id)
                    && t.answered_at.is_none()
                {
                    let sl = cfg.queue(t.episode_queue).service_level_ms;
                    self.wait_ended(episode_of(t), at.since(t.queued_since), sl, WaitOutcome::Answered);
                }
            }
            Event::TicketResolved { ticket: id, .. } | Event::BotResolved { ticket: id, .. } => {
                self.closed(state, cfg, ticket(*id), TicketStatus::Resolved, at);
            }
            Event::TicketAbandoned { ticket: id, .. } => {
                self.closed(state, cfg, ticket(*id), TicketStatus::Abandoned, at)
            }
            Event::TicketExpired { ticket: id, .. } => self.closed(state, cfg, ticket(*id), TicketStatus::Expired, at),
            Event::TicketPending { ticket: id, .. } | Event::TicketOnHold { ticket: id, .. } => {
                if let Some(t) = ticket(*id) {
                    self.released(state, cfg, t, at, true, None);
                }
            }
            Event::TicketRequeued { ticket: id, reason, .. } => {
                let Some(t) = ticket(*id) else { return };
                if *reason == RequeueReason::NoReply
                    && let (Some(answered), Some(held)) = (t.answered_at, t.held_since)
                    && answered >= held
                {
                    // The take that answered the episode ended without a reply in time: the
                    // episode is unanswered again (not if an earlier hold answered it).
                    let sl = cfg.queue(t.episode_queue).service_level_ms;
                    self.answer_withdrawn(episode_of(t), answered.since(t.queued_since), sl);
                }
                self.released(state, cfg, t, at, false, None);
            }
            Event::TicketTransferred { ticket: id, .. } => {
                let Some(t) = ticket(*id) else { return };
                self.released(state, cfg, t, at, false, None);
                self.count(slice_of(t, at), |c| c.transferred += 1);
            }
            Event::TicketEscalated { ticket: id, trigger, .. } => {
                let Some(t) = ticket(*id) else { return };
                self.released(state, cfg, t, at, false, None);
                self.count(slice_of(t, at), |c| c.escalated += 1);
                self.escalations[trigger.index()] += 1;
            }
            Event::BotHandedOff { ticket: id, .. } => {
                let Some(t) = ticket(*id) else { return };
                // The human episode starts now; the bot conversation's outcome counts where
                // it started, with `bot_started` (so a window never has more outcomes than
                // starts).
                let slice = slice_of(t, at);
                self.count(slice, |c| c.offered += 1);
                self.count(Slice { at: t.created_at, ..slice }, |c| c.bot_handed_off += 1);
            }
            Event::TicketReopened { ticket: id, .. } => {
                let Some(t) = ticket(*id) else { return };
                let was_first_contact = t.transfer_count == 0 && t.reopen_count == 0;
                self.count(slice_of(t, at), |c| {
                    c.offered += 1;
                    c.reopened += 1;
                    c.first_contact_reopened += u64::from(was_first_contact);
                });
            }
            Event::SlaWarning { ticket: id, clock, policy, .. } => {
                self.sla[usize::from(*policy)][clock.index()].warned += 1;
                if let Some(t) = ticket(*id) {
                    self.count(slice_of(t, at), |c| c.sla_warned += 1);
                }
            }
            Event::SlaBreached { ticket: id, clock, policy, .. } => {
                self.sla[usize::from(*policy)][clock.index()].breached += 1;
                if let Some(t) = ticket(*id) {
                    let k = clock.index();
                    self.count(slice_of(t, at), |c| {
                        c.sla_breached += 1;
                        c.sla_breached_by_clock[k] += 1;
                    });
                }
            }
            Event::SlaMet { ticket: id, clock, policy, .. } => {
                self.sla[usize::from(*policy)][clock.index()].met += 1;
                if let Some(t) = ticket(*id) {
                    let k = clock.index();
                    self.count(slice_of(t, at), |c| {
                        c.sla_met += 1;
                        c.sla_met_by_clock[k] += 1;
                    });
                }
            }
            Event::SlaReminder { clock, policy, .. } => {
                self.sla[usize::from(*policy)][clock.index()].reminded += 1;
            }
            Event::FollowUpDue { ticket: id, .. } => {
                if let Some(t) = ticket(*id) {
                    self.count(slice_of(t, at), |c| c.follow_ups += 1);
                }
            }
            Event::RecurringIssueDetected { .. } => self.recurring_alerts += 1,
            Event::TicketUpdated { .. }
            | Event::AgentReplied { .. }
            | Event::CustomerReplied { .. }
            | Event::TicketReactivated { .. }
            | Event::TicketStepReached { .. }
            | Event::TicketPinned { .. }
            | Event::TicketUnpinned { .. }
            | Event::OverflowOpened { .. }
            | Event::OverflowClosed { .. } => {}
        }
    }

    /// A ticket closed with `status` (its outcome counted; a held ticket's agent released).
    fn closed(&mut self, state: &State, cfg: &Config, t: Option<&Ticket>, status: TicketStatus, at: Timestamp) {
        let Some(t) = t else { return };
        let unanswered = t.answered_at.is_none();
        let with_bot = t.status == TicketStatus::Bot;
        let (wait, sl) = (at.since(t.queued_since), cfg.queue(t.episode_queue).service_level_ms);
        let first_contact = t.transfer_count == 0 && t.reopen_count == 0;
        let here = slice_of(t, at);
        let bot = Slice { at: t.created_at, ..here };
        let held = matches!(t.status, TicketStatus::Assigned | TicketStatus::Offered);
        let served = held && status == TicketStatus::Resolved && t.status == TicketStatus::Assigned;
        match status {
            // A bot conversation's outcome counts where it started (see `BotHandedOff`).
            TicketStatus::Abandoned if with_bot => self.count(bot, |c| c.bot_abandoned += 1),
            TicketStatus::Resolved if with_bot => self.count(bot, |c| c.bot_deflected += 1),
            TicketStatus::Abandoned if unanswered => self.wait_ended(episode_of(t), wait, sl, WaitOutcome::Abandoned),
            TicketStatus::Expired if unanswered => self.wait_ended(episode_of(t), wait, sl, WaitOutcome::Expired),
            // Counted with the handling, below (same time, queue and channel).
            TicketStatus::Resolved if served => {}
            TicketStatus::Resolved => self.count(here, |c| {
                c.resolved += 1;
                c.resolved_first_contact += u64::from(first_contact);
            }),
            _ => {}
        }
        if held {
            let resolved = (status == TicketStatus::Resolved).then_some(first_contact);
            self.released(state, cfg, t, at, status == TicketStatus::Resolved, resolved);
        }
    }

    /// A held ticket's agent lets it go at `at`. `served`: the agent handled it (resolved,
    /// or set waiting on the customer), which counts its handle time (with the after-contact
    /// work that follows) if the ticket was assigned, not merely offered; `resolved`: the
    /// release resolves it, at first contact or not, counted with the handling in one pass
    /// (resolutions do not go to teams). The agent's occupancy follows after the event.
    fn released(
        &mut self,
        state: &State,
        cfg: &Config,
        t: &Ticket,
        at: Timestamp,
        served: bool,
        resolved: Option<bool>,
    ) {
        let Some(agent) = t.agent else { return };
        self.touched = Some(agent);
        if !(served && t.status == TicketStatus::Assigned) {
            return;
        }
        let Some(team) = state.agents.get(agent.index()).map(|a| a.team) else { return };
        let held_ms = t.held_since.map_or(0, |since| at.since(since));
        let handle_ms = (held_ms + cfg.wrap_up_ms(team, t.queue)).max(0) as u64;
        let slice = Slice { team: Some(team), ..slice_of(t, at) };
        let handled = |c: &mut Counts| {
            c.handled += 1;
            c.handle_ms += handle_ms;
        };
        match resolved {
            None => self.count(slice, handled),
            Some(first_contact) => self.count_split(
                slice,
                |c| {
                    handled(c);
                    c.resolved += 1;
                    c.resolved_first_contact += u64::from(first_contact);
                },
                handled,
            ),
        }
    }
}

/// Where a count about a ticket goes now: its queue and channel at `at`.
#[inline]
fn slice_of(t: &Ticket, at: Timestamp) -> Slice {
    Slice { at, queue: Some(t.queue), channel: Some(t.channel), team: None }
}

/// Where the outcome of a ticket's episode goes: the queue it was offered to, in the
/// interval it started in.
#[inline]
fn episode_of(t: &Ticket) -> Slice {
    Slice { at: t.episode_start, queue: Some(t.episode_queue), channel: Some(t.channel), team: None }
}
