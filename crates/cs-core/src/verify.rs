//! Checking events from outside before they are folded: [`check`] and [`try_replay`].
//!
//! [`apply`](crate::apply()) trusts its events (`decide` checked each one before it was
//! produced) and asserts instead of checking. A log read back from a file is another
//! matter: it may have been edited, spliced from two runs or cut and pasted. [`check`]
//! says whether one event fits the state it is about to be folded into, naming what does
//! not fit, so that a log is refused with a reason instead of a crash; [`try_replay`]
//! checks every event of a log before folding it.

use crate::apply::{apply, begin_replay, end_replay};
use crate::config::Config;
use crate::event::Event;
use crate::id::{AgentId, QueueId, SkillId, TicketId};
use crate::skill::PROFICIENCY_MAX;
use crate::state::State;
use crate::ticket::{Ticket, TicketStatus};
use crate::time::Timestamp;

/// An event of a log that does not fit the state the events before it built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayError {
    /// Its position in the log, from 0.
    pub index: usize,
    /// Its time.
    pub at: Timestamp,
    /// Its type (`TicketAssigned`).
    pub event: &'static str,
    /// What does not fit.
    pub reason: String,
}

impl std::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "event {} ({} at {}): {}", self.index + 1, self.event, self.at, self.reason)
    }
}

impl std::error::Error for ReplayError {}

/// Folds events in order into a fresh state, as [`replay`](crate::replay()) does, after
/// checking each against the state before it; the first that does not fit is the error.
pub fn try_replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Result<State, ReplayError> {
    let mut r = Replayer::new();
    for e in events {
        r.push(e)?;
    }
    Ok(r.finish())
}

/// A checked replay fed one event at a time: what [`try_replay`] does, for a log read in
/// pages (from a database) or continued from a state restored from a snapshot.
///
/// Like [`replay`](crate::replay()), it folds the tables only and builds the derived
/// indexes once, in [`Replayer::finish`].
#[derive(Debug)]
pub struct Replayer {
    state: State,
    pushed: usize,
}

impl Default for Replayer {
    fn default() -> Replayer {
        Replayer::new()
    }
}

impl Replayer {
    /// A replay from the empty state.
    pub fn new() -> Replayer {
        Replayer::from_state(State::new())
    }

    /// A replay continuing from `state` (for example one read back from a snapshot).
    pub fn from_state(mut state: State) -> Replayer {
        begin_replay(&mut state);
        Replayer { state, pushed: 0 }
    }

    /// Checks the next event against the state and folds it.
    ///
    /// # Errors
    /// The event does not fit; [`ReplayError::index`] counts from the first event pushed.
    /// Nothing is folded, and the replayer may still be finished with the events before.
    pub fn push(&mut self, e: &Event) -> Result<(), ReplayError> {
        if let Err(reason) = check(&self.state, e) {
            return Err(ReplayError { index: self.pushed, at: e.at(), event: e.name(), reason });
        }
        apply(&mut self.state, e);
        self.pushed += 1;
        Ok(())
    }

    /// Events folded so far.
    pub fn pushed(&self) -> usize {
        self.pushed
    }

    /// The state as of the last event folded, with its derived indexes built.
    pub fn finish(mut self) -> State {
        end_replay(&mut self.state);
        self.state
    }
}

/// Whether `event` can be folded into `state`: `Ok` if it fits, else what does not (a
/// ticket or agent that does not exist, a ticket in the wrong status for the event, an id
/// out of the configuration's range, time going backwards).
pub fn check(state: &State, event: &Event) -> Result<(), String> {
    let at = event.at();
    let last = state.last_event_at();
    if at < last {
        return Err(if state.events_applied == 0 {
            format!("before {last}, where the engine's clock starts")
        } else {
            format!("time goes backwards: the event before was at {last}")
        });
    }
    let cfg = match (event, state.config.as_deref()) {
        (Event::Configured { config, .. }, Some(old)) => {
            config.extends(old)?;
            // Waiting tickets take their queue's new needs on top of their own.
            for t in state.tickets.iter().filter(|t| t.status == TicketStatus::Queued) {
                fits(t, config, t.queue)?;
            }
            return Ok(());
        }
        (Event::Configured { .. }, None) => return Ok(()),
        (_, None) => return Err("the engine is not configured yet (a log starts with Configured)".to_owned()),
        (_, Some(cfg)) => cfg,
    };
    let c = Ctx { state, cfg, at };
    use TicketStatus::{Assigned, Bot, Offered, OnHold, Queued, Resolved, WaitingOnCustomer};
    match event {
        Event::Configured { .. } => unreachable!("checked above"),
        Event::AgentRegistered { agent, key, team, skills, .. } => {
            let next = state.agents.len();
            if agent.index() != next {
                return Err(format!("agent {agent} registered, but the next agent id is {}", AgentId(next as u32)));
            }
            if state.agent_keys.contains_key(key.as_str()) {
                return Err(format!("agent key {key:?} is already registered"));
            }
            if team.index() >= cfg.teams().len() {
                return Err(format!("team {team} is not configured ({} teams)", cfg.teams().len()));
            }
            c.skills(skills)
        }
        Event::AgentPresenceChanged { agent, .. } | Event::AgentCapacityChanged { agent, .. } => {
            c.agent(*agent).map(drop)
        }
        Event::AgentSkillsChanged { agent, skills, .. } => {
            c.agent(*agent)?;
            c.skills(skills)
        }
        Event::TicketCreated { ticket, spec, .. } => {
            let next = state.next_ticket_id();
            if *ticket != next {
                return Err(format!("ticket {ticket} created, but the next ticket id is {next}"));
            }
            if let Some(k) = &spec.key
                && let Some(held) = state.ticket_keys.get(k.as_str())
            {
                return Err(format!("ticket key {k:?} is already ticket {held}'s"));
            }
            let queue = spec.queue.ok_or("the ticket has no queue")?;
            c.queue(queue)?;
            if let Some(k) = spec.category
                && k.index() >= cfg.category_names().len()
            {
                return Err(format!("category {k} is not configured"));
            }
            if let Some(l) = spec.language
                && l.index() >= cfg.language_names().len()
            {
                return Err(format!("language {l} is not configured"));
            }
            for n in spec.skills.iter() {
                c.skill(n.skill, n.min)?;
            }
            spec.skills
                .merged(&cfg.queue(queue).needs)
                .map(drop)
                .map_err(|_| format!("the ticket's skills and queue {queue}'s need too many skills together"))
        }
        Event::TicketAssigned { ticket, agent, .. } | Event::TicketOffered { ticket, agent, .. } => {
            c.ticket_in(*ticket, &[Queued])?;
            c.agent(*agent).map(drop)
        }
        Event::OfferAccepted { ticket, agent, .. } => {
            let t = c.ticket_in(*ticket, &[Offered])?;
            match t.agent {
                Some(a) if a == *agent => Ok(()),
                _ => Err(format!("ticket {ticket} is offered to {}, not {agent}", fmt_agent(t.agent))),
            }
        }
        Event::AgentReplied { ticket, .. } | Event::TicketUpdated { ticket, .. } => c.ticket(*ticket).map(drop),
        Event::RecurringIssueDetected { .. } => Ok(()),
        Event::CustomerReplied { ticket, .. } => {
            c.ticket_in(*ticket, &[Queued, Assigned, Offered, WaitingOnCustomer, OnHold, Bot]).map(drop)
        }
        Event::TicketOnHold { ticket, .. } => c.ticket_in(*ticket, &[Assigned]).map(drop),
        Event::TicketPending { ticket, .. } | Event::TicketRequeued { ticket, .. } => {
            c.ticket_in(*ticket, &[Assigned, Offered]).map(drop)
        }
        Event::TicketReactivated { ticket, .. } => c.ticket_in(*ticket, &[WaitingOnCustomer, OnHold]).map(drop),
        Event::TicketTransferred { ticket, queue, .. } => {
            let t = c.ticket_in(*ticket, &[Queued, Assigned, Offered, WaitingOnCustomer, OnHold])?;
            c.queue(*queue)?;
            fits(t, cfg, *queue)
        }
        Event::TicketResolved { ticket, .. }
        | Event::BotResolved { ticket, .. }
        | Event::TicketAbandoned { ticket, .. }
        | Event::TicketExpired { ticket, .. } => {
            c.ticket_in(*ticket, &[Queued, Assigned, Offered, WaitingOnCustomer, OnHold, Bot]).map(drop)
        }
        Event::FollowUpDue { ticket, .. } => {
            let t = c.ticket_in(*ticket, &[Resolved])?;
            match t.follow_up_due {
                Some(due) if due == event.at() => Ok(()),
                Some(due) => Err(format!("ticket {ticket}'s follow-up is due at {due}, not at {}", event.at())),
                None => Err(format!("ticket {ticket} has no follow-up pending")),
            }
        }
        Event::TicketReopened { ticket, .. } => {
            let t = c.ticket(*ticket)?;
            if t.status.is_closed() { Ok(()) } else { Err(format!("ticket {ticket} is {:?}, not closed", t.status)) }
        }
        Event::BotHandedOff { ticket, .. } => c.ticket_in(*ticket, &[Bot]).map(drop),
        Event::TicketStepReached { ticket, step, .. } => {
            let t = c.ticket_in(*ticket, &[Queued])?;
            let steps = cfg.queue(t.queue).steps.len();
            if usize::from(*step) >= steps {
                return Err(format!("step {step} of queue {} is not configured ({steps} steps)", t.queue));
            }
            Ok(())
        }
        Event::TicketPinned { ticket, agent, .. } => {
            c.ticket_in(*ticket, &[Queued])?;
            c.agent(*agent).map(drop)
        }
        Event::TicketUnpinned { ticket, .. } => c.ticket_in(*ticket, &[Queued]).map(drop),
        Event::SlaWarning { ticket, policy, .. }
        | Event::SlaBreached { ticket, policy, .. }
        | Event::SlaReminder { ticket, policy, .. }
        | Event::SlaMet { ticket, policy, .. } => {
            c.ticket(*ticket)?;
            let n = cfg.sla.policies.len();
            if usize::from(*policy) >= n {
                return Err(format!("SLA policy {policy} is not configured ({n} policies)"));
            }
            Ok(())
        }
        Event::TicketEscalated { ticket, queue, rule, .. } => {
            let t = c.ticket_in(*ticket, &[Queued, Assigned, Offered])?;
            if let Some(r) = rule
                && *r >= 32
            {
                return Err(format!("escalation rule {r} is out of range (at most 32 rules)"));
            }
            c.queue(*queue)?;
            fits(t, cfg, *queue)
        }
        Event::OverflowOpened { queue, .. } | Event::OverflowClosed { queue, .. } => c.queue(*queue),
        Event::WrapUpEnded { agent, ticket, .. } => {
            let a = c.agent(*agent)?;
            if a.wrap_ups.iter().any(|w| w.2 == *ticket) {
                Ok(())
            } else {
                Err(format!("agent {agent} is not wrapping up ticket {ticket}"))
            }
        }
    }
}

/// Whether ticket `t`'s own skills and `queue`'s needs fit together in one requirement.
fn fits(t: &Ticket, cfg: &Config, queue: QueueId) -> Result<(), String> {
    t.own_skills
        .merged(&cfg.queue(queue).needs)
        .map(drop)
        .map_err(|_| format!("ticket {}'s own skills and queue {queue}'s needs are too many skills together", t.id))
}

/// The state, its configuration and the event's time, for the checks.
struct Ctx<'a> {
    state: &'a State,
    cfg: &'a Config,
    at: Timestamp,
}

impl<'a> Ctx<'a> {
    /// A ticket the state holds when the event is folded: `apply` first retires the closed
    /// tickets whose retention ends by the event's time.
    fn ticket(&self, id: TicketId) -> Result<&'a Ticket, String> {
        let retention = self.cfg.limits.closed_ticket_retention_ms;
        let kept = self
            .state
            .ticket(id)
            .filter(|t| !(t.status.is_closed() && t.closed_at.is_some_and(|c| c.plus_ms(retention) <= self.at)));
        kept.ok_or_else(|| {
            if id < self.state.next_ticket_id() {
                format!("ticket {id} is no longer kept (closed and past its retention)")
            } else {
                format!("ticket {id} does not exist (not created before)")
            }
        })
    }

    fn ticket_in(&self, id: TicketId, statuses: &[TicketStatus]) -> Result<&'a Ticket, String> {
        let t = self.ticket(id)?;
        if statuses.contains(&t.status) {
            Ok(t)
        } else {
            let names: Vec<&str> = statuses.iter().map(|s| s.name()).collect();
            Err(format!("ticket {id} is {}, not {}", t.status.name(), names.join(" or ")))
        }
    }

    fn agent(&self, id: AgentId) -> Result<&'a crate::agent::Agent, String> {
        self.state.agent(id).ok_or_else(|| format!("agent {id} is not registered"))
    }

    fn queue(&self, q: QueueId) -> Result<(), String> {
        let n = self.cfg.queues().len();
        if q.index() < n { Ok(()) } else { Err(format!("queue {q} is not configured ({n} queues)")) }
    }

    fn skill(&self, s: SkillId, level: u8) -> Result<(), String> {
        let n = self.cfg.skill_names().len();
        if s.index() >= n {
            return Err(format!("skill {s} is not configured ({n} skills)"));
        }
        if !(1..=PROFICIENCY_MAX).contains(&level) {
            return Err(format!("proficiency {level} in skill {s} is not in 1..={PROFICIENCY_MAX}"));
        }
        Ok(())
    }

    fn skills(&self, skills: &[(SkillId, u8)]) -> Result<(), String> {
        skills.iter().try_for_each(|&(s, level)| self.skill(s, level))
    }
}

fn fmt_agent(a: Option<AgentId>) -> String {
    a.map_or_else(|| "nobody".to_owned(), |a| a.to_string())
}
