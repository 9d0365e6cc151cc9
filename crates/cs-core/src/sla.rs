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
//! reaches the target; a warning is due when it reaches `warning_at` of the target. Clocks
//! pause while the ticket waits on the customer and resume when the customer replies, so
//! a pause only ever moves a deadline later. `SlaWarning` and `SlaBreached` events fire at
//! exactly those instants (from `Tick` or any later command); `SlaMet` is recorded when a
//! clock stops before its deadline. Each is emitted at most once per clock.
//!
//! When a ticket's tier, urgency or queue changes, the policy is matched again; running and
//! paused clocks take the new targets, counting the business time already elapsed.

use crate::calendar::Calendar;
use crate::channel::Channel;
use crate::id::QueueId;
use crate::ticket::{CustomerTier, Urgency};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// First response target, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_s: Option<f64>,
    /// Next response target, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_response_s: Option<f64>,
    /// Resolution target, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_s: Option<f64>,
    /// Periodic update target, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_s: Option<f64>,
    /// Fraction of a target at which a warning is raised (default 0.8; 1 = no warning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning_at: Option<f64>,
}

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
    /// Warning threshold in thousandths of the target (1000 = none).
    pub warning_permille: i64,
}

impl SlaPolicy {
    /// Whether a ticket with these attributes falls under this policy.
    pub fn admits(&self, channel: Channel, tier: CustomerTier, urgency: Urgency, queue: QueueId) -> bool {
        (self.channels.is_empty() || self.channels.contains(&channel))
            && (self.tiers.is_empty() || self.tiers.contains(&tier))
            && (self.urgencies.is_empty() || self.urgencies.contains(&urgency))
            && (self.queues.is_empty() || self.queues.contains(&queue))
    }

    /// The warning point of a target.
    pub fn warning_ms(&self, target_ms: i64) -> Option<i64> {
        (self.warning_permille < 1000).then(|| target_ms * self.warning_permille / 1000)
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
    /// Not counting: the ticket waits on the customer.
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
    /// When its business time reaches the target (meaningful while running).
    pub deadline: Timestamp,
    /// When the warning is due, while running and not yet warned.
    pub warn_at: Option<Timestamp>,
    /// The warning has fired.
    pub warned: bool,
    /// The deadline has passed while it ran.
    pub breached: bool,
}

impl Clock {
    /// The next instant this clock needs attention: its warning, else its deadline,
    /// while running and not yet breached.
    pub fn next_due(&self) -> Option<Timestamp> {
        if self.state != ClockState::Running || self.breached {
            return None;
        }
        match self.warn_at {
            Some(w) if !self.warned => Some(w),
            _ => Some(self.deadline),
        }
    }

    /// Business ms elapsed by `at`.
    pub fn elapsed_at(&self, cal: &Calendar, at: Timestamp) -> i64 {
        match self.state {
            ClockState::Running => self.elapsed_ms + cal.business_ms_between(self.since, at),
            _ => self.elapsed_ms,
        }
    }

    /// Starts (or restarts) the clock at `at` for `target_ms`.
    pub(crate) fn start(&mut self, policy: &SlaPolicy, cal: &Calendar, target_ms: i64, at: Timestamp) {
        *self = Clock { state: ClockState::Running, target_ms, started_at: at, since: at, ..Clock::default() };
        self.plan(policy, cal);
    }

    /// Recomputes the deadline and warning from `since` and `elapsed_ms`.
    pub(crate) fn plan(&mut self, policy: &SlaPolicy, cal: &Calendar) {
        self.deadline = cal.add_business_ms(self.since, self.target_ms - self.elapsed_ms);
        self.warn_at = match policy.warning_ms(self.target_ms) {
            Some(w) if !self.warned => Some(cal.add_business_ms(self.since, w - self.elapsed_ms)),
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
    pub(crate) fn resume(&mut self, policy: &SlaPolicy, cal: &Calendar, at: Timestamp) {
        if self.state == ClockState::Paused {
            self.state = ClockState::Running;
            self.since = at;
            self.plan(policy, cal);
        }
    }

    /// Gives a running or paused clock a new target (a new policy) at `at`; a clock that
    /// has no target under the new policy stops.
    pub(crate) fn retarget(&mut self, policy: &SlaPolicy, cal: &Calendar, target_ms: Option<i64>, at: Timestamp) {
        if !matches!(self.state, ClockState::Running | ClockState::Paused) {
            return;
        }
        let Some(target_ms) = target_ms else {
            self.state = ClockState::Stopped;
            return;
        };
        self.checkpoint(cal, at);
        self.target_ms = target_ms;
        if self.state == ClockState::Running {
            self.plan(policy, cal);
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
}

/// A ticket's SLA: its policy and clocks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sla {
    /// The policy in force.
    pub policy: PolicyId,
    /// One clock per [`ClockKind`].
    pub clocks: [Clock; 4],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{HOUR_MS, MINUTE_MS};

    fn policy() -> SlaPolicy {
        SlaPolicy {
            name: "p".into(),
            channels: vec![],
            tiers: vec![],
            urgencies: vec![],
            queues: vec![],
            calendar: None,
            targets: [Some(HOUR_MS), None, None, None],
            warning_permille: 800,
        }
    }

    #[test]
    fn a_pause_moves_the_deadline_by_its_length() {
        let p = policy();
        let cal = Calendar::always_open();
        let mut c = Clock::default();
        c.start(&p, &cal, HOUR_MS, Timestamp(0));
        assert_eq!((c.deadline, c.warn_at), (Timestamp(HOUR_MS), Some(Timestamp(48 * MINUTE_MS))));
        c.pause(&cal, Timestamp(10 * MINUTE_MS));
        assert_eq!(c.next_due(), None);
        c.resume(&p, &cal, Timestamp(40 * MINUTE_MS));
        assert_eq!(c.deadline, Timestamp(HOUR_MS + 30 * MINUTE_MS));
        assert!(c.stop(&cal, Timestamp(HOUR_MS)));
        assert_eq!(c.elapsed_ms, 30 * MINUTE_MS);
    }

    #[test]
    fn retarget_keeps_elapsed_time() {
        let p = policy();
        let cal = Calendar::always_open();
        let mut c = Clock::default();
        c.start(&p, &cal, HOUR_MS, Timestamp(0));
        c.retarget(&p, &cal, Some(20 * MINUTE_MS), Timestamp(30 * MINUTE_MS));
        // 30 min elapsed already exceed the new 20 min target: due at once.
        assert_eq!(c.deadline, Timestamp(30 * MINUTE_MS));
    }
}
