//! Deciding a command: the events it produces, or why it is refused. Pure: no I/O, no
//! clock, no randomness; the same state and command always give the same events.
//!
//! A command is validated completely before any event of its own is produced, so a
//! rejection adds nothing of its own. Timers due at or before the command's time fire
//! first, in due order, each with its own time, so a later command sees exactly what a
//! `Tick` at each deadline would have produced. The timers due at one instant fire
//! together: their own events first, then routing for everything they changed.
//!
//! Routing reacts inside the same decision: a new or re-queued ticket goes to the best
//! free agent at once, and an agent who frees up takes the best waiting tickets at once.
//! Where one step of a decision must see the effects of an earlier one (the next timer
//! after one fired, routing after a logout's re-queues, a changed agent's new pools), the
//! rest of the decision is a [`Task`] on an agenda, run on the state with every earlier
//! event applied. [`crate::Engine`] applies in place between tasks; the pure
//! [`Decision`] hands the events decided so far to its caller, who applies them and asks
//! for the next step. Neither ever copies the state.

use crate::agent::Agent;
use crate::apply::apply_all;
use crate::command::Command;
use crate::config::Config;
use crate::event::Event;
use crate::id::{AgentId, QueueId, SkillId, TicketId};
use crate::rejection::Rejection;
use crate::routing::ReqKey;
use crate::skill::{PROFICIENCY_MAX, SkillNeeds, TICKET_SKILLS_MAX};
use crate::state::{State, TicketLookup};
use crate::ticket::{Ticket, TicketStatus};
use crate::time::Timestamp;

mod command;
mod customer;
mod escalation;
mod routing;
mod sla;
mod timers;

pub(crate) use routing::Released;
use routing::{Merged, best_first};

/// A command decided step by step against a state the caller owns, without copying it.
///
/// Each [`Decision::step`] returns the events decided since the last step; the caller
/// applies them (with [`crate::apply_all`]) and calls `step` again with the state after
/// them, until it returns `Ok(None)`. Most commands (a new ticket, a resolution, a reply)
/// take one step; a logout, a skill or capacity change, a new config and timers firing
/// take one more per part of the decision that must see the earlier events applied.
///
/// ```
/// # use cs_core::{Command, Decision, State, Timestamp, apply_all};
/// # fn run(state: &mut State, cmd: &Command) -> Result<(), cs_core::Rejection> {
/// let mut decision = Decision::new(cmd);
/// while let Some(events) = decision.step(state)? {
///     apply_all(state, &events);
///     // persist or publish `events` here
/// }
/// # Ok(()) }
/// ```
///
/// A rejection ends the decision. It comes in the first step, except after timers that
/// were due before the command: their events, already returned and applied, stand (they
/// would have happened anyway, as in [`crate::Engine::execute`]), and the command adds
/// nothing of its own.
#[derive(Debug)]
pub struct Decision<'c> {
    cmd: &'c Command,
    agenda: Vec<Task>,
    /// What the timers of the instant under way released, between steps.
    released: Option<Released>,
    phase: Phase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No step taken yet.
    Start,
    /// Steps taken; the caller must have applied this many events in all.
    Running { applied: u64 },
    /// Decided (or rejected).
    Done,
}

impl<'c> Decision<'c> {
    /// A decision of `cmd`, not started.
    pub fn new(cmd: &'c Command) -> Decision<'c> {
        Decision { cmd, agenda: Vec::new(), released: None, phase: Phase::Start }
    }

    /// The next events of the decision, decided against `state` (which must be the state
    /// the previous step was decided against with that step's events applied), or
    /// `Ok(None)` once the decision is complete.
    ///
    /// # Panics
    /// If `state` is not the state after the previous step's events: deciding on a state
    /// that misses them would produce events that do not fit it.
    pub fn step(&mut self, state: &State) -> Result<Option<Vec<Event>>, Rejection> {
        let mut out = Vec::new();
        Ok(self.step_into(state, &mut out)?.then_some(out))
    }

    /// [`Decision::step`] appending to `out`: whether the decision was still running (and
    /// so appended the step's events, possibly none when nothing was left to do).
    pub fn step_into(&mut self, state: &State, out: &mut Vec<Event>) -> Result<bool, Rejection> {
        match self.phase {
            Phase::Done => return Ok(false),
            Phase::Running { applied } => assert_eq!(
                state.events_applied, applied,
                "a decision's next step needs the state with the previous step's events applied"
            ),
            Phase::Start => {}
        }
        let first = out.len();
        let mut d = Decider::new(Work::Borrowed(state), out, &mut self.agenda, &mut self.released);
        let result = match self.phase {
            Phase::Start => d.start(self.cmd),
            _ => Ok(()),
        };
        let result = result.and_then(|()| d.drain(Some(self.cmd)));
        let n = (out.len() - first) as u64;
        match result {
            Err(r) => {
                self.phase = Phase::Done;
                self.agenda.clear();
                self.released = None;
                out.truncate(first);
                Err(r)
            }
            // A step pauses only with events to apply, so nothing decided means nothing
            // left to decide.
            Ok(()) if n == 0 => {
                debug_assert!(self.agenda.is_empty(), "a step paused without events");
                self.phase = Phase::Done;
                Ok(false)
            }
            Ok(()) => {
                self.phase = Phase::Running { applied: state.events_applied + n };
                Ok(true)
            }
        }
    }
}

/// Work left in a decision, each run on the state with every event before it applied.
#[derive(Clone, Debug)]
pub(crate) enum Task {
    /// The decision's own command, after the timers due before it (pure decisions only;
    /// the engine decides its command directly).
    Command,
    /// Fire the timers due at or before `now`, one instant at a time.
    Timers { now: Timestamp },
    /// Fire the next timer due at `due`, collecting what the timers of that instant
    /// changed for routing (in [`Decider::released`]); once none is left, route that.
    Instant { due: Timestamp, now: Timestamp },
    /// An agent, the only one freed, takes the best waiting tickets it may take.
    RouteAgent { agent: AgentId, at: Timestamp },
    /// Tickets go, best first, each to its best free agent.
    RouteBestFirst { tickets: Vec<TicketId>, at: Timestamp },
    /// Tickets go, best first, each to its best free agent, merged in that order with the
    /// waiting tickets of queues whose overflow just opened, taken from each queue's ranks
    /// while its helpers have free agents, and with the best tickets of the agents freed.
    /// (Boxed: rare, and the agenda moves tasks often.)
    RouteMerged(Box<Merged>),
    /// A waiting ticket goes to its best free agent.
    RouteTicket { ticket: TicketId, at: Timestamp },
}

/// The state a decision reads: the caller's (read-only, for a pure step) or the engine's
/// own (in place, with the projection the engine folds beside it, if any).
pub(crate) enum Work<'a> {
    Borrowed(&'a State),
    InPlace(&'a mut State, Option<&'a mut dyn crate::projection::Projection>),
}

/// The state a decision reads, without applying pending events.
#[inline]
fn state_of<'w>(work: &'w Work<'_>) -> &'w State {
    match work {
        Work::Borrowed(s) => s,
        Work::InPlace(s, _) => s,
    }
}

/// Runs one decision, appending events to `out`. `out[..applied]` have been applied to
/// the working state. Everything it holds is borrowed (from the [`Decision`] or the
/// engine, which keep it between calls), so that making and dropping one costs nothing.
pub(crate) struct Decider<'a, 'o> {
    work: Work<'a>,
    out: &'o mut Vec<Event>,
    pub(crate) applied: usize,
    /// While the timers of one instant fire: what they changed, routed once all of them
    /// have fired (kept across the steps of a pure decision by [`Decision`]).
    released: &'o mut Option<Released>,
    /// What is left to do, the next task last.
    agenda: &'o mut Vec<Task>,
}

impl<'a, 'o> Decider<'a, 'o> {
    /// A decision appending to `out`, whose events so far are all applied to `work`, with
    /// `agenda` left to do.
    #[inline]
    pub(crate) fn new(
        work: Work<'a>,
        out: &'o mut Vec<Event>,
        agenda: &'o mut Vec<Task>,
        released: &'o mut Option<Released>,
    ) -> Decider<'a, 'o> {
        let applied = out.len();
        Decider { work, out, applied, released, agenda }
    }

    /// The working state without applying pending events. Use only for questions the
    /// pending events cannot change the answer to; every task starts with none pending.
    #[inline]
    fn base(&self) -> &State {
        state_of(&self.work)
    }

    /// Applies pending events to the engine's state. A pure step never applies: it pauses
    /// first (see [`Decider::drain`]).
    pub(crate) fn commit(&mut self) {
        if self.applied == self.out.len() {
            return;
        }
        match &mut self.work {
            Work::InPlace(state, None) => apply_all(state, &self.out[self.applied..]),
            Work::InPlace(state, Some(projection)) => projection.fold_all(state, &self.out[self.applied..]),
            Work::Borrowed(_) => unreachable!("a pure step hands its events to the caller to apply"),
        }
        self.applied = self.out.len();
    }

    fn emit(&mut self, e: Event) {
        self.out.push(e);
    }

    /// Refuses a command whose time is before the last event or past the latest time, or
    /// any command but `Configure` before the first config.
    fn check(&self, cmd: &Command) -> Result<(), Rejection> {
        check_command(self.base(), cmd)
    }

    /// Starts a pure decision: checks the command, then puts the timers due at its time
    /// and the command itself on the agenda; with no timer due, decides the command at once
    /// (most commands: no agenda to allocate).
    fn start(&mut self, cmd: &Command) -> Result<(), Rejection> {
        self.check(cmd)?;
        let s = self.base();
        if s.config.is_some() && s.timers.first().is_some_and(|&(due, _)| due <= cmd.at()) {
            self.agenda.push(Task::Command);
            self.agenda.push(Task::Timers { now: cmd.at() });
            return Ok(());
        }
        self.command(cmd)
    }

    /// Runs the agenda until it is empty or, in a pure step, until the next task would
    /// need the events decided so far applied.
    pub(crate) fn drain(&mut self, cmd: Option<&Command>) -> Result<(), Rejection> {
        while let Some(task) = self.agenda.pop() {
            if self.applied < self.out.len() {
                if let Work::Borrowed(_) = self.work {
                    self.agenda.push(task);
                    return Ok(());
                }
                self.commit();
            }
            self.run_task(task, cmd)?;
        }
        Ok(())
    }

    /// Runs one task on the state with every earlier event applied.
    ///
    /// Timers fire one instant at a time, so that what routing does at an instant does
    /// not depend on which timer happens to sort first. Each emits its own events (in the
    /// timer set's order: kind, then ticket or agent id) without routing; then the tickets they
    /// put in line (a step reached, a reservation ended, a re-queue, an escalation, an
    /// overflow opening) go, best first, each to the best free agent (the agents freed at
    /// this instant among them), as a logout's re-queued tickets do; then the agents they
    /// freed, lowest id first, take the best waiting tickets they may take, as an agent
    /// freeing up always does, each ticket to the free agent its strategy puts first when
    /// several were freed. So when two tickets reach a step at the same millisecond and
    /// one agent becomes eligible, the agent gets the better ticket, whatever their ids,
    /// and every routed ticket goes to the agent `explain` names. Routing may make timers due at the same
    /// instant again (an overflow that its helpers drained closes); they fire next, the
    /// same way.
    fn run_task(&mut self, task: Task, cmd: Option<&Command>) -> Result<(), Rejection> {
        match task {
            Task::Command => return self.command(cmd.expect("a pure decision carries its command")),
            Task::Timers { now } => self.timers(now),
            Task::Instant { due, now } => {
                if self.instant(due, now) && self.instant_done(due, now) {
                    self.timers(now);
                }
            }
            Task::RouteAgent { agent, at } => self.route_agent(agent, at),
            Task::RouteBestFirst { tickets, at } => {
                let mut order = best_first(self.base(), tickets.into_iter(), at);
                order.dedup();
                self.agenda.extend(order.into_iter().rev().map(|ticket| Task::RouteTicket { ticket, at }));
            }
            Task::RouteTicket { ticket, at } => self.route_ticket(ticket, at),
            Task::RouteMerged(mut m) => {
                if self.route_merged(&mut m) {
                    self.agenda.push(Task::RouteMerged(m));
                }
            }
        }
        Ok(())
    }
}

/// Refuses a command whose time is before the last event or past the latest time, or any
/// command but `Configure` before the first config.
pub(crate) fn check_command(s: &State, cmd: &Command) -> Result<(), Rejection> {
    let at = cmd.at();
    if at < s.last_at {
        return Err(Rejection::InThePast { at, last: s.last_at });
    }
    if at > Timestamp::LATEST {
        return Err(Rejection::TimeOutOfRange { at, latest: Timestamp::LATEST });
    }
    if s.config.is_none() && !matches!(cmd, Command::Configure { .. }) {
        return Err(Rejection::NotConfigured);
    }
    Ok(())
}

fn agent_ref(s: &State, agent: AgentId) -> Result<&Agent, Rejection> {
    s.agents.get(agent.index()).ok_or(Rejection::UnknownAgent { agent })
}

/// A ticket that exists and is not archived (it may be closed).
fn known_ticket(s: &State, id: TicketId, at: Timestamp) -> Result<&Ticket, Rejection> {
    match s.ticket_as_of(id, at) {
        TicketLookup::Held(t) => Ok(t),
        TicketLookup::Archived => Err(Rejection::TicketArchived { ticket: id }),
        TicketLookup::Unknown => Err(Rejection::UnknownTicket { ticket: id }),
    }
}

/// A ticket that exists and is open.
fn open_ticket(s: &State, id: TicketId, at: Timestamp) -> Result<&Ticket, Rejection> {
    let t = known_ticket(s, id, at)?;
    if t.status.is_closed() {
        return Err(Rejection::TicketClosed { ticket: id, status: t.status });
    }
    Ok(t)
}

/// The agent holding an open ticket that must be in `status` for `action`.
fn holder(
    s: &State,
    id: TicketId,
    at: Timestamp,
    status: TicketStatus,
    action: &'static str,
) -> Result<AgentId, Rejection> {
    let t = open_ticket(s, id, at)?;
    if t.status != status {
        return Err(invalid(t, action));
    }
    Ok(t.agent.expect("an assigned or offered ticket has an agent"))
}

/// An agent's or a ticket's key must name it: not empty, and free of the characters
/// names may not hold (see [`crate::config::name_problem`]).
fn check_key(key: &str) -> Result<(), Rejection> {
    match crate::config::name_problem(key) {
        None => Ok(()),
        Some(_) if key.trim().is_empty() => Err(Rejection::Empty { field: "key" }),
        Some(reason) => Err(Rejection::Invalid { field: "key", reason }),
    }
}

fn invalid(t: &Ticket, action: &'static str) -> Rejection {
    Rejection::InvalidTransition { ticket: t.id, status: t.status, action }
}

fn check_open_limit(s: &State) -> Result<(), Rejection> {
    let max = u64::from(s.config().limits.tickets_open_max);
    if s.open_tickets >= max {
        return Err(Rejection::LimitReached { limit: "tickets_open_max", max });
    }
    Ok(())
}

/// Refuses a ticket that would start waiting in a requirement class no ticket waits in
/// while `limits.requirement_classes_max` classes have waiting tickets: the routing index
/// holds buckets per class, and this bounds them.
fn check_class_limit(s: &State, req: &ReqKey) -> Result<(), Rejection> {
    let max = s.config().limits.requirement_classes_max;
    let classes = &s.index.classes;
    if classes.len() >= max as usize && !classes.contains_key(req) {
        return Err(Rejection::LimitReached { limit: "requirement_classes_max", max: u64::from(max) });
    }
    Ok(())
}

fn check_depth(s: &State, queue: QueueId) -> Result<(), Rejection> {
    let depth_max = s.config().queue(queue).depth_max;
    if s.waiting_in(queue) >= depth_max as usize {
        return Err(Rejection::QueueFull { queue, depth_max });
    }
    Ok(())
}

fn merge_checked(own: &SkillNeeds, queue: &SkillNeeds) -> Result<SkillNeeds, Rejection> {
    own.merged(queue).map_err(|_| Rejection::TooManySkills { max: TICKET_SKILLS_MAX })
}

/// Checks skill ids and levels; returns them sorted, a skill named twice keeping its
/// higher level.
fn validate_skills(cfg: &Config, skills: &[(SkillId, u8)]) -> Result<Vec<(SkillId, u8)>, Rejection> {
    let mut out: Vec<(SkillId, u8)> = Vec::with_capacity(skills.len());
    for &(skill, level) in skills {
        if skill.index() >= cfg.skill_names().len() {
            return Err(Rejection::UnknownSkill { skill });
        }
        if level == 0 || level > PROFICIENCY_MAX {
            return Err(Rejection::InvalidProficiency { skill, level });
        }
        out.push((skill, level));
    }
    out.sort_unstable();
    out.dedup_by(|b, a| {
        if a.0 == b.0 {
            a.1 = a.1.max(b.1);
            true
        } else {
            false
        }
    });
    Ok(out)
}
