//! SLA policies and clocks.
//!
//! A **policy** is matched to a ticket by channel, customer tier, urgency and queue: the
//! first policy in config order whose lists all admit the ticket wins (an empty list admits
//! everything). It sets up to four targets, measured in business time on its calendar:
//!
//! - **first response**: from first contact (creation, including time with a bot) to the
//!   first agent reply;
//! - **next response**: from a customer message that follows an agent reply to the next
//!   agent reply;
//! - **resolution**: from first contact (or a reopen) to resolution;
//! - **update**: from each agent reply to the next one, while the ticket stays open.
//!
//! Each target is a [`Clock`]. A running clock's deadline is the instant its business time
//! reaches the target; a warning is due when it reaches the policy's warning point (a
//! fraction of the target, `warning_at`, or a time before the deadline, `warn_before_s`),
//! exact to the millisecond. Which statuses pause which clock is the policy's choice
//! (waiting on the customer pauses every clock by default, on hold only resolution), so a
//! pause only ever moves a deadline later. `SlaWarning` and `SlaBreached` events fire at
//! exactly those instants (from `Tick` or any later command); `SlaMet` is recorded when a
//! clock stops before its deadline; `SlaReminder` repeats every `remind_every_s` of
//! business time while a breached clock runs. Warning, breach and met happen at most once
//! per clock, and a breached clock is never met: it keeps its deadline, and a customer
//! writing again while it runs starts no new clock.
//!
//! A clock cannot breach in the instant it starts: a zero target (`first_response_s = 0`)
//! is due at once and breaches one millisecond later unless met in the same instant.
//!
//! When a ticket's tier, urgency or queue changes, the policy is matched again; running and
//! paused clocks take the new targets, counting the business time already elapsed.

use crate::calendar::Calendar;
use crate::channel::Channel;
use crate::config::{ConfigSpec, Problems, control_char, control_problem, name_problem, seconds_to_ms};
use crate::id::QueueId;
use crate::ticket::{CustomerTier, TicketStatus, Urgency};
use crate::time::{SECOND_MS, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Index of a policy in the config's `sla_policies`.
pub type PolicyId = u16;

/// The four SLA clocks a ticket can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// First contact to first agent reply.
    FirstResponse,
    /// Customer message (after an agent reply) to the next agent reply.
    NextResponse,
    /// First contact (or reopen) to resolution.
    Resolution,
    /// Agent reply to the next agent reply, while open.
    Update,
}

impl ClockKind {
    /// All kinds, in index order.
    pub const ALL: [ClockKind; 4] =
        [ClockKind::FirstResponse, ClockKind::NextResponse, ClockKind::Resolution, ClockKind::Update];

    /// Position in per-kind tables.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The snake_case name.
    pub const fn name(self) -> &'static str {
        match self {
            ClockKind::FirstResponse => "first_response",
            ClockKind::NextResponse => "next_response",
            ClockKind::Resolution => "resolution",
            ClockKind::Update => "update",
        }
    }
}

/// An SLA policy as written in a config.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicySpec {
    /// Unique name.
    pub name: String,
    /// Channels it applies to (empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<Channel>,
    /// Customer tiers it applies to (empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<CustomerTier>,
    /// Urgencies it applies to (empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urgencies: Vec<Urgency>,
    /// Queues it applies to, by name (empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<String>,
    /// Calendar measuring its targets (absent: always open, 24/7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    /// First response target, seconds (0: due at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_s: Option<f64>,
    /// Next response target, seconds (0: due at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_response_s: Option<f64>,
    /// Resolution target, seconds (0: due at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_s: Option<f64>,
    /// Periodic update target, seconds (0: due at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_s: Option<f64>,
    /// Fraction of a target at which a warning is raised (default 0.8; 1 = no warning).
    /// Not together with `warn_before_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning_at: Option<f64>,
    /// Warn this many seconds of business time before each deadline instead of at a
    /// fraction of the target (a target not longer than this gets no warning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_before_s: Option<f64>,
    /// After a breach, remind every this many seconds of business time while the clock
    /// still runs (`SlaReminder` events); absent: no reminders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind_every_s: Option<f64>,
    /// The clocks that waiting on the customer (`SetPending`) pauses (default: all four).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_pauses: Option<Vec<ClockKind>>,
    /// The clocks that waiting on a third party (`SetOnHold`) pauses (default:
    /// `["resolution"]`: the customer still waits for replies and updates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_hold_pauses: Option<Vec<ClockKind>>,
}

/// The clocks on-hold pauses when a policy does not say.
pub const ON_HOLD_PAUSES_DEFAULT: [ClockKind; 1] = [ClockKind::Resolution];

/// A compiled SLA policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlaPolicy {
    /// Its name.
    pub name: String,
    /// Channels admitted (empty: all).
    pub channels: Vec<Channel>,
    /// Tiers admitted (empty: all).
    pub tiers: Vec<CustomerTier>,
    /// Urgencies admitted (empty: all).
    pub urgencies: Vec<Urgency>,
    /// Queues admitted (empty: all).
    pub queues: Vec<QueueId>,
    /// Index into the config's calendars; `None` is 24/7.
    pub calendar: Option<usize>,
    /// Target per [`ClockKind`], ms of business time.
    pub targets: [Option<i64>; 4],
    /// Warning point per [`ClockKind`], ms of business time after the clock starts: always
    /// above 0 and below the target (no warning otherwise).
    pub warn_ms: [Option<i64>; 4],
    /// Business ms between reminders after a breach, if the policy reminds.
    pub remind_every_ms: Option<i64>,
    /// Per [`ClockKind`]: whether waiting on the customer pauses it.
    pub pending_pauses: [bool; 4],
    /// Per [`ClockKind`]: whether waiting on a third party (on hold) pauses it.
    pub on_hold_pauses: [bool; 4],
}

impl SlaPolicy {
    /// Whether a ticket with these attributes falls under this policy.
    pub fn admits(&self, channel: Channel, tier: CustomerTier, urgency: Urgency, queue: QueueId) -> bool {
        (self.channels.is_empty() || self.channels.contains(&channel))
            && (self.tiers.is_empty() || self.tiers.contains(&tier))
            && (self.urgencies.is_empty() || self.urgencies.contains(&urgency))
            && (self.queues.is_empty() || self.queues.contains(&queue))
    }

    /// Whether a ticket in `status` has its `kind` clock paused under this policy.
    pub fn pauses(&self, kind: ClockKind, status: TicketStatus) -> bool {
        match status {
            TicketStatus::WaitingOnCustomer => self.pending_pauses[kind.index()],
            TicketStatus::OnHold => self.on_hold_pauses[kind.index()],
            _ => false,
        }
    }

    /// The warning point of a `target_ms` target at `fraction` of it, exact to the
    /// millisecond (rounded to the nearest); `None` when it falls at the start or at the
    /// deadline, where a warning would say nothing.
    pub fn warning_at_fraction(target_ms: i64, fraction: f64) -> Option<i64> {
        let w = (target_ms as f64 * fraction).round() as i64;
        (w > 0 && w < target_ms).then_some(w)
    }

    /// The warning point of a `target_ms` target `before_ms` before its deadline; `None`
    /// when the target is not longer than that.
    pub fn warning_before(target_ms: i64, before_ms: i64) -> Option<i64> {
        let w = target_ms - before_ms;
        (w > 0 && before_ms > 0).then_some(w)
    }
}

/// Calendars and policies, as compiled into the config.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlaRules {
    /// Calendars, in config order.
    pub calendars: Vec<Calendar>,
    /// Policies, in matching order.
    pub policies: Vec<SlaPolicy>,
    always: Option<Calendar>,
}

impl SlaRules {
    pub(crate) fn new(calendars: Vec<Calendar>, policies: Vec<SlaPolicy>) -> SlaRules {
        SlaRules { calendars, policies, always: Some(Calendar::always_open()) }
    }

    /// The first policy admitting the ticket's attributes.
    pub fn policy_for(
        &self,
        channel: Channel,
        tier: CustomerTier,
        urgency: Urgency,
        queue: QueueId,
    ) -> Option<PolicyId> {
        self.policies.iter().position(|p| p.admits(channel, tier, urgency, queue)).map(|i| i as PolicyId)
    }

    /// The calendar of policy `p`.
    pub fn calendar(&self, p: PolicyId) -> &Calendar {
        match self.policies[usize::from(p)].calendar {
            Some(c) => &self.calendars[c],
            None => self.always.as_ref().expect("rules are built with new"),
        }
    }
}

/// Where a clock stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Not started (or not part of the policy).
    #[default]
    Idle,
    /// Counting.
    Running,
    /// Not counting: the ticket's status pauses it (waiting on the customer, on hold).
    Paused,
    /// Done (stopped by a reply or resolution, or cancelled).
    Stopped,
}

/// One SLA clock of a ticket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    /// Where it stands.
    pub state: ClockState,
    /// Its target in business ms.
    pub target_ms: i64,
    /// When it started.
    pub started_at: Timestamp,
    /// Business ms counted before `since`.
    pub elapsed_ms: i64,
    /// When it last started or resumed (meaningful while running).
    pub since: Timestamp,
    /// When its business time reaches the target. Set while it runs unbreached; once
    /// breached it keeps the deadline it breached at, whatever pauses follow.
    pub deadline: Timestamp,
    /// When the warning is due, while running and not yet warned.
    pub warn_at: Option<Timestamp>,
    /// The warning has fired.
    pub warned: bool,
    /// The deadline has passed while it ran.
    pub breached: bool,
    /// When the next reminder is due, while running breached under a policy that reminds.
    pub remind_at: Option<Timestamp>,
    /// Reminders fired since the breach.
    pub reminders: u32,
}

impl Clock {
    /// The next instant this clock needs attention, while running: its warning, else its
    /// breach, else (breached) its next reminder.
    pub fn next_due(&self) -> Option<Timestamp> {
        if self.state != ClockState::Running {
            return None;
        }
        if self.breached {
            return self.remind_at;
        }
        match self.warn_at {
            Some(w) if !self.warned => Some(w),
            _ => Some(self.breach_at()),
        }
    }

    /// When the clock breaches if it is still running: its deadline, but never the instant
    /// it started (a zero target is met by a reply in that same instant, and breached one
    /// millisecond later).
    pub fn breach_at(&self) -> Timestamp {
        self.deadline.max(self.started_at.plus_ms(1))
    }

    /// Business ms elapsed by `at`.
    pub fn elapsed_at(&self, cal: &Calendar, at: Timestamp) -> i64 {
        match self.state {
            ClockState::Running => self.elapsed_ms + cal.business_ms_between(self.since, at),
            _ => self.elapsed_ms,
        }
    }

    /// Starts (or restarts: a new instance of the clock) at `at` for the policy's `kind`
    /// target.
    pub(crate) fn start(&mut self, policy: &SlaPolicy, kind: ClockKind, cal: &Calendar, at: Timestamp) {
        let target_ms = policy.targets[kind.index()].expect("only a clock the policy sets is started");
        *self = Clock { state: ClockState::Running, target_ms, started_at: at, since: at, ..Clock::default() };
        self.plan(policy, kind, cal);
    }

    /// Recomputes the deadline and warning from `since` and `elapsed_ms`; for a breached
    /// clock only the next reminder (its deadline is history).
    pub(crate) fn plan(&mut self, policy: &SlaPolicy, kind: ClockKind, cal: &Calendar) {
        if self.breached {
            self.remind_at = policy.remind_every_ms.map(|every| {
                let n = i64::from(self.reminders) + 1;
                let due = self.target_ms.saturating_add(every.saturating_mul(n));
                cal.add_business_ms(self.since, due - self.elapsed_ms)
            });
            return;
        }
        self.deadline = cal.add_business_ms(self.since, self.target_ms - self.elapsed_ms);
        self.warn_at = match policy.warn_ms[kind.index()] {
            Some(w) if !self.warned && w < self.target_ms => Some(cal.add_business_ms(self.since, w - self.elapsed_ms)),
            _ => None,
        };
    }

    /// Folds the running time up to `at` into `elapsed_ms`.
    pub(crate) fn checkpoint(&mut self, cal: &Calendar, at: Timestamp) {
        if self.state == ClockState::Running {
            self.elapsed_ms += cal.business_ms_between(self.since, at);
            self.since = at;
        }
    }

    /// Pauses a running clock.
    pub(crate) fn pause(&mut self, cal: &Calendar, at: Timestamp) {
        if self.state == ClockState::Running {
            self.checkpoint(cal, at);
            self.state = ClockState::Paused;
        }
    }

    /// Resumes a paused clock.
    pub(crate) fn resume(&mut self, policy: &SlaPolicy, kind: ClockKind, cal: &Calendar, at: Timestamp) {
        if self.state == ClockState::Paused {
            self.state = ClockState::Running;
            self.since = at;
            self.plan(policy, kind, cal);
        }
    }

    /// Gives a running or paused clock the new policy's target at `at`; a clock that has no
    /// target under the new policy stops.
    pub(crate) fn retarget(&mut self, policy: &SlaPolicy, kind: ClockKind, cal: &Calendar, at: Timestamp) {
        if !matches!(self.state, ClockState::Running | ClockState::Paused) {
            return;
        }
        let Some(target_ms) = policy.targets[kind.index()] else {
            self.state = ClockState::Stopped;
            return;
        };
        self.checkpoint(cal, at);
        self.target_ms = target_ms;
        if self.state == ClockState::Running {
            self.plan(policy, kind, cal);
        }
    }

    /// Stops the clock; returns whether it was met (running or paused, not breached).
    pub(crate) fn stop(&mut self, cal: &Calendar, at: Timestamp) -> bool {
        let live = matches!(self.state, ClockState::Running | ClockState::Paused);
        self.checkpoint(cal, at);
        if live {
            self.state = ClockState::Stopped;
        }
        live && !self.breached
    }

    /// Whether the clock counts (running or paused) and has not breached.
    pub fn is_live(&self) -> bool {
        matches!(self.state, ClockState::Running | ClockState::Paused) && !self.breached
    }

    /// Whether this instance of the clock is still open (running or paused), breached or
    /// not: a customer's further message is then part of the same wait.
    pub fn is_open(&self) -> bool {
        matches!(self.state, ClockState::Running | ClockState::Paused)
    }
}

/// A ticket's SLA: its policy and clocks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sla {
    /// The policy in force.
    pub policy: PolicyId,
    /// One clock per [`ClockKind`].
    pub clocks: [Clock; 4],
}

impl Sla {
    /// Pauses the clocks the policy pauses in `status` and resumes the others that are
    /// paused, at `at`: called after every change of status or policy, so that each
    /// clock's running or paused state always follows the ticket's status.
    pub(crate) fn follow_status(&mut self, policy: &SlaPolicy, cal: &Calendar, status: TicketStatus, at: Timestamp) {
        for kind in ClockKind::ALL {
            let want_paused = policy.pauses(kind, status);
            let c = &mut self.clocks[kind.index()];
            match c.state {
                ClockState::Running if want_paused => c.pause(cal, at),
                ClockState::Paused if !want_paused => c.resume(policy, kind, cal, at),
                _ => {}
            }
        }
    }
}

pub(crate) fn compile_sla(
    spec: &ConfigSpec,
    queue_ids: &BTreeMap<String, QueueId>,
    p: &mut Problems,
) -> crate::sla::SlaRules {
    use crate::calendar::Calendar;
    use crate::sla::{ClockKind, SlaPolicy, SlaRules};
    let mut calendars = Vec::new();
    // A calendar that does not compile is still a calendar by that name (`None`): its
    // problem is reported once, not again as an unknown calendar for each policy naming it.
    let mut names: BTreeMap<&str, Option<usize>> = BTreeMap::new();
    for (i, c) in spec.calendars.iter().enumerate() {
        let compiled = match control_char(&c.name) {
            Some(ch) => Err(control_problem(&c.name, ch)),
            None => Calendar::compile(c).map_err(|e| e.to_string()),
        };
        let index = compiled.as_ref().ok().map(|_| calendars.len());
        if names.insert(c.name.as_str(), index).is_some() {
            p.add(format!("calendars[{i}].name"), format!("duplicate calendar {:?}", c.name));
        }
        match compiled {
            Ok(cal) => calendars.push(cal),
            Err(e) => p.add(format!("calendars[{i}]"), e),
        }
    }
    let mut policies = Vec::new();
    let mut policy_names = std::collections::BTreeSet::new();
    for (i, s) in spec.sla_policies.iter().enumerate() {
        let path = format!("sla_policies[{i}]");
        if let Some(why) = name_problem(&s.name) {
            p.add(format!("{path}.name"), why);
        } else if !policy_names.insert(s.name.as_str()) {
            p.add(format!("{path}.name"), format!("duplicate policy {:?}", s.name));
        }
        let calendar = s.calendar.as_ref().and_then(|name| match names.get(name.as_str()) {
            Some(&c) => c,
            None => {
                p.add(format!("{path}.calendar"), format!("unknown calendar {name:?}"));
                None
            }
        });
        let mut queues = Vec::new();
        for (j, q) in s.queues.iter().enumerate() {
            match queue_ids.get(q) {
                Some(&id) => queues.push(id),
                None => p.add(format!("{path}.queues[{j}]"), format!("unknown queue {q:?}")),
            }
        }
        // A zero target is due at once (a VIP chat answered in the instant it arrives).
        let target =
            |v: Option<f64>, field: &str, p: &mut Problems| v.map(|v| seconds_to_ms(v, &format!("{path}.{field}"), p));
        let targets = [
            target(s.first_response_s, "first_response_s", p),
            target(s.next_response_s, "next_response_s", p),
            target(s.resolution_s, "resolution_s", p),
            target(s.update_s, "update_s", p),
        ];
        if targets.iter().all(Option::is_none) {
            p.add(path.clone(), "sets no target (first_response_s, next_response_s, resolution_s or update_s)");
        }
        let fraction = match s.warning_at {
            None => 0.8,
            Some(w) if w.is_finite() && w > 0.0 && w <= 1.0 => w,
            Some(w) => {
                p.add(format!("{path}.warning_at"), format!("{w} must be above 0 and at most 1"));
                0.8
            }
        };
        let before_ms = s.warn_before_s.map(|v| {
            let ms = seconds_to_ms(v, &format!("{path}.warn_before_s"), p);
            if ms == 0 {
                p.add(format!("{path}.warn_before_s"), format!("{v} must be above 0"));
            }
            if s.warning_at.is_some() {
                p.add(
                    format!("{path}.warn_before_s"),
                    "given together with warning_at; a policy warns either at a fraction of the target or a time before the deadline",
                );
            }
            ms
        });
        let warn_ms = targets.map(|t| {
            t.and_then(|t| match before_ms {
                Some(b) => SlaPolicy::warning_before(t, b),
                None => SlaPolicy::warning_at_fraction(t, fraction),
            })
        });
        let remind_every_ms = s.remind_every_s.map(|v| {
            let ms = seconds_to_ms(v, &format!("{path}.remind_every_s"), p);
            // A reminder a second is a flood, not a reminder; a minute is the least that a
            // supervisor's screen can usefully show.
            if ms < 60 * SECOND_MS {
                p.add(format!("{path}.remind_every_s"), format!("{v} must be at least 60 seconds"));
            }
            ms.max(60 * SECOND_MS)
        });
        let pauses = |list: &Option<Vec<ClockKind>>, default: &[ClockKind]| {
            let mut set = [false; 4];
            for k in list.as_deref().unwrap_or(default) {
                set[k.index()] = true;
            }
            set
        };
        let pending_pauses = pauses(&s.pending_pauses, &ClockKind::ALL);
        let on_hold_pauses = pauses(&s.on_hold_pauses, &crate::sla::ON_HOLD_PAUSES_DEFAULT);
        policies.push(SlaPolicy {
            name: s.name.clone(),
            channels: s.channels.clone(),
            tiers: s.tiers.clone(),
            urgencies: s.urgencies.clone(),
            queues,
            calendar,
            targets,
            warn_ms,
            remind_every_ms,
            pending_pauses,
            on_hold_pauses,
        });
    }
    SlaRules::new(calendars, policies)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{HOUR_MS, MINUTE_MS};

    fn policy(first_response_ms: i64) -> SlaPolicy {
        SlaPolicy {
            name: "p".into(),
            channels: vec![],
            tiers: vec![],
            urgencies: vec![],
            queues: vec![],
            calendar: None,
            targets: [Some(first_response_ms), None, None, None],
            warn_ms: [SlaPolicy::warning_at_fraction(first_response_ms, 0.8), None, None, None],
            remind_every_ms: Some(10 * MINUTE_MS),
            pending_pauses: [true; 4],
            on_hold_pauses: [false, false, true, false],
        }
    }

    const FIRST: ClockKind = ClockKind::FirstResponse;

    #[test]
    fn a_pause_moves_the_deadline_by_its_length() {
        let p = policy(HOUR_MS);
        let cal = Calendar::always_open();
        let mut c = Clock::default();
        c.start(&p, FIRST, &cal, Timestamp(0));
        assert_eq!((c.deadline, c.warn_at), (Timestamp(HOUR_MS), Some(Timestamp(48 * MINUTE_MS))));
        c.pause(&cal, Timestamp(10 * MINUTE_MS));
        assert_eq!(c.next_due(), None);
        c.resume(&p, FIRST, &cal, Timestamp(40 * MINUTE_MS));
        assert_eq!(c.deadline, Timestamp(HOUR_MS + 30 * MINUTE_MS));
        assert!(c.stop(&cal, Timestamp(HOUR_MS)));
        assert_eq!(c.elapsed_ms, 30 * MINUTE_MS);
    }

    #[test]
    fn retarget_keeps_elapsed_time() {
        let cal = Calendar::always_open();
        let mut c = Clock::default();
        c.start(&policy(HOUR_MS), FIRST, &cal, Timestamp(0));
        c.retarget(&policy(20 * MINUTE_MS), FIRST, &cal, Timestamp(30 * MINUTE_MS));
        // 30 min elapsed already exceed the new 20 min target: due at once.
        assert_eq!(c.deadline, Timestamp(30 * MINUTE_MS));
    }

    #[test]
    fn a_breached_clock_keeps_its_deadline_and_reminds_in_business_time() {
        let p = policy(HOUR_MS);
        let cal = Calendar::always_open();
        let mut c = Clock::default();
        c.start(&p, FIRST, &cal, Timestamp(0));
        c.breached = true;
        c.plan(&p, FIRST, &cal);
        assert_eq!(c.next_due(), Some(Timestamp(HOUR_MS + 10 * MINUTE_MS)));
        c.pause(&cal, Timestamp(HOUR_MS + 5 * MINUTE_MS));
        c.resume(&p, FIRST, &cal, Timestamp(2 * HOUR_MS));
        assert_eq!(c.deadline, Timestamp(HOUR_MS), "the deadline it breached at");
        // Five business minutes were left before the first reminder.
        assert_eq!(c.next_due(), Some(Timestamp(2 * HOUR_MS + 5 * MINUTE_MS)));
        assert!(!c.stop(&cal, Timestamp(3 * HOUR_MS)), "a breached clock is never met");
    }

    #[test]
    fn warning_points_are_exact_to_the_millisecond() {
        assert_eq!(SlaPolicy::warning_at_fraction(HOUR_MS, 0.9999), Some(3_599_640));
        assert_eq!(SlaPolicy::warning_at_fraction(1_000_000, 0.3333), Some(333_300));
        assert_eq!(SlaPolicy::warning_at_fraction(HOUR_MS, 1.0), None);
        assert_eq!(SlaPolicy::warning_at_fraction(0, 0.8), None, "a zero target has no warning");
        assert_eq!(SlaPolicy::warning_before(HOUR_MS, 15 * MINUTE_MS), Some(45 * MINUTE_MS));
        assert_eq!(SlaPolicy::warning_before(10 * MINUTE_MS, 15 * MINUTE_MS), None);
    }

    #[test]
    fn a_zero_target_breaches_one_millisecond_after_it_starts() {
        let p = policy(0);
        let cal = Calendar::always_open();
        let mut c = Clock::default();
        c.start(&p, FIRST, &cal, Timestamp(5_000));
        assert_eq!((c.deadline, c.warn_at), (Timestamp(5_000), None));
        assert_eq!(c.next_due(), Some(Timestamp(5_001)));
        assert!(c.stop(&cal, Timestamp(5_000)), "met in the instant it started");
    }
}
