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

use crate::agent::{Agent, Presence};
use crate::apply::overflow_transition;
use crate::apply::{apply_all, merged_needs};
use crate::capacity::{self, CapacityBlock};
use crate::command::Command;
use crate::config::{Config, ConfigSpec};
use crate::eligibility::{Place, Rules, eligibility, has_room};
use crate::escalation::{RepeatBy, Trigger};
use crate::event::{Assignment, Event, PresenceReason, RequeueReason, TransferReason, UnpinReason};
use crate::explain::Exclusion;
use crate::id::{AgentId, CategoryId, CustomerId, QueueId, SkillId, TicketId};
use crate::rejection::Rejection;
use crate::routing::{AgentPick, ReqKey, effective_needs};
use crate::skill::{PROFICIENCY_MAX, SkillNeeds, TICKET_SKILLS_MAX};
use crate::sla::ClockKind;
use crate::state::{State, TicketLookup, Timer};
use crate::ticket::{CustomerTier, Emotion};
use crate::ticket::{Ticket, TicketSpec, TicketStatus};
use crate::time::Timestamp;
use std::sync::Arc;

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
    /// An agent takes the best waiting tickets it may take. `contested` when other agents
    /// became free at the same instant: then each ticket it picks goes to the free agent
    /// the ticket's own strategy puts first (perhaps another), one ticket per step.
    RouteAgent { agent: AgentId, at: Timestamp, contested: bool },
    /// Tickets go, best first, each to its best free agent.
    RouteBestFirst { tickets: Vec<TicketId>, at: Timestamp },
    /// Tickets go, best first, each to its best free agent, merged in that order with the
    /// waiting tickets of queues whose overflow just opened, taken from each queue's ranks
    /// while its helpers have free agents.
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

/// What [`Task::RouteMerged`] has left: `explicit` tickets (best last) and `streams`.
#[derive(Clone, Debug)]
pub(crate) struct Merged {
    explicit: Vec<(crate::priority::Rank, TicketId)>,
    streams: Vec<Stream>,
    at: Timestamp,
}

/// A queue whose overflow opened, read in best-first order by [`Task::RouteMerged`].
#[derive(Clone, Debug)]
pub(crate) struct Stream {
    queue: QueueId,
    /// The last key taken from the queue's ranks.
    after: Option<crate::priority::WaitKey>,
    /// The helpers' pools, with the channels they could serve the queue's tickets on: once
    /// none of them has a free agent, nobody can take another of the queue's tickets.
    helpers: Vec<(crate::routing::PoolId, crate::channel::Channel)>,
}

/// What the timers firing at one instant changed for routing.
#[derive(Clone, Debug, Default)]
pub(crate) struct Released {
    /// Agents who freed up (a re-queue or escalation took a ticket from them, or their
    /// after-contact work ended).
    agents: Vec<AgentId>,
    /// Tickets that started waiting, or that more agents may now take.
    tickets: Vec<TicketId>,
    /// Queues whose overflow opened: all their waiting tickets may now go to helpers.
    overflowed: Vec<QueueId>,
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
    /// and the command itself on the agenda.
    fn start(&mut self, cmd: &Command) -> Result<(), Rejection> {
        self.check(cmd)?;
        self.agenda.push(Task::Command);
        if self.base().config.is_some() {
            self.agenda.push(Task::Timers { now: cmd.at() });
        }
        Ok(())
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
            Task::RouteAgent { agent, at, contested } => self.route_agent(agent, at, contested),
            Task::RouteBestFirst { tickets, at } => {
                let mut order = best_first(self.base(), tickets.into_iter(), at);
                order.dedup();
                self.agenda.extend(order.into_iter().rev().map(|ticket| Task::RouteTicket { ticket, at }));
            }
            Task::RouteTicket { ticket, at } => self.route_ticket(ticket, at),
            Task::RouteMerged(mut m) => {
                if let Some(ticket) = self.next_merged(&mut m.explicit, &mut m.streams, m.at) {
                    self.route_ticket(ticket, m.at);
                    self.agenda.push(Task::RouteMerged(m));
                }
            }
        }
        Ok(())
    }

    /// [`Task::Timers`]: fires the instants due at or before `now`, one after the other
    /// while they leave nothing to route (in place; a pure step pauses after each firing).
    fn timers(&mut self, now: Timestamp) {
        while let Some(&(due, _)) = self.base().timers.first()
            && due <= now
        {
            *self.released = Some(Released::default());
            if !(self.instant(due, now) && self.instant_done(due, now)) {
                return;
            }
        }
    }

    /// [`Task::Instant`]: fires the timers due at `due` (in place, applying each one's
    /// events before the next; a pure step fires one and leaves the rest on the agenda).
    /// Whether all of them fired.
    fn instant(&mut self, due: Timestamp, now: Timestamp) -> bool {
        while let Some(&(at, timer)) = self.base().timers.first()
            && at == due
        {
            debug_assert!(self.released.is_some(), "an instant collects what it released");
            // Every firing emits an event that moves or removes its timer. One that
            // emitted nothing would fire forever: a bug, reported rather than hung on.
            let before = self.out.len();
            self.fire(due, timer);
            assert!(self.out.len() > before, "timer {timer:?} due {due} fired without effect");
            if let Work::Borrowed(_) = self.work {
                self.agenda.push(Task::Instant { due, now });
                return false;
            }
            self.commit();
        }
        true
    }

    /// Once every timer of the instant `due` fired: puts what they released on the agenda
    /// to route, before the timers due next. Whether the caller may go on to them at once
    /// (in place, nothing to route: the events are applied here).
    fn instant_done(&mut self, due: Timestamp, now: Timestamp) -> bool {
        let Released { mut agents, tickets, overflowed } = self.released.take().expect("set for this instant");
        if overflowed.is_empty() && tickets.is_empty() && agents.is_empty() && matches!(self.work, Work::InPlace(..)) {
            self.commit();
            return true;
        }
        self.agenda.push(Task::Timers { now });
        // The agenda is taken from the end: the tickets put in line go first, then the
        // freed agents.
        agents.sort_unstable();
        agents.dedup();
        let contested = agents.len() > 1;
        self.agenda.extend(agents.into_iter().rev().map(|agent| Task::RouteAgent { agent, at: due, contested }));
        if !overflowed.is_empty() {
            let merged = self.merged(tickets, overflowed, due);
            self.agenda.push(merged);
        } else if !tickets.is_empty() {
            self.agenda.push(Task::RouteBestFirst { tickets, at: due });
        }
        false
    }

    /// The routing of an instant that opened overflows: `tickets` and every waiting ticket
    /// of the `overflowed` queues, best first, each to its best free agent, as if all were
    /// sorted together, but reading the queues' tickets from their ranks in order and only
    /// while some helper has a free agent. (The queue's own free agents could serve none
    /// of its waiting tickets before this instant, and the agents freed at it take their
    /// best tickets next.)
    fn merged(&self, tickets: Vec<TicketId>, mut overflowed: Vec<QueueId>, at: Timestamp) -> Task {
        let s = self.base();
        let mut explicit: Vec<(crate::priority::Rank, TicketId)> =
            tickets.into_iter().filter_map(|id| s.tickets.get(id)).map(|t| (s.rank_at(t, at), t.id)).collect();
        explicit.sort_unstable();
        explicit.dedup();
        // Taken from the end.
        explicit.reverse();
        overflowed.sort_unstable();
        overflowed.dedup();
        let streams = overflowed
            .into_iter()
            .map(|queue| {
                let mut helpers: Vec<_> = s
                    .index
                    .buckets
                    .iter()
                    .filter(|b| b.queue == queue && !b.waiting.is_empty())
                    .flat_map(|b| b.overflow_pools.iter().map(move |&(p, _)| (p, b.req.channel)))
                    .collect();
                helpers.sort_unstable();
                helpers.dedup();
                Stream { queue, after: None, helpers }
            })
            .collect();
        Task::RouteMerged(Box::new(Merged { explicit, streams, at }))
    }

    /// The next ticket of a merged routing, best first, if any is left that someone could
    /// take.
    fn next_merged(
        &self,
        explicit: &mut Vec<(crate::priority::Rank, TicketId)>,
        streams: &mut Vec<Stream>,
        at: Timestamp,
    ) -> Option<TicketId> {
        let s = self.base();
        let cfg = s.config();
        // A queue whose helpers are all busy has no ticket anyone could take.
        streams.retain(|st| st.helpers.iter().any(|&(p, c)| s.index.pools[p as usize].has_free(c)));
        let mut best: Option<(crate::priority::Rank, Option<usize>)> = explicit.last().map(|&(r, _)| (r, None));
        let mut heads: Vec<Option<crate::priority::WaitKey>> = Vec::with_capacity(streams.len());
        for (i, st) in streams.iter().enumerate() {
            let ranks = &s.index.ranks[st.queue.index()];
            let rate = cfg.queue(st.queue).weights.rate();
            let mut after = st.after;
            // Skip the tickets routed through `explicit` anyway (each goes once).
            let head = loop {
                let Some(k) = ranks.first_after(after.as_ref()) else { break None };
                let rank = crate::priority::Rank::of(&k, rate, at);
                if explicit.iter().any(|&(_, id)| id == k.ticket) {
                    after = Some(k);
                    continue;
                }
                if best.is_none_or(|(b, _)| rank < b) {
                    best = Some((rank, Some(i)));
                }
                break Some(k);
            };
            heads.push(head);
        }
        match best? {
            (_, None) => explicit.pop().map(|(_, id)| id),
            (_, Some(i)) => {
                let k = heads[i].expect("the best head exists");
                streams[i].after = Some(k);
                Some(k.ticket)
            }
        }
    }

    fn fire(&mut self, due: Timestamp, timer: Timer) {
        let s = self.base();
        let cfg = s.config();
        match timer {
            Timer::Step(id) => {
                let t = s.tickets.get(id).expect("timer names a live ticket");
                let next = t.step + 1;
                let step = &cfg.queue(t.queue).steps[usize::from(next)];
                if let Some(target) = step.move_to {
                    let moved = Waiting::moved(s, t, target);
                    self.emit(Event::TicketTransferred {
                        at: due,
                        ticket: id,
                        queue: target,
                        reason: TransferReason::Step,
                    });
                    self.route_waiting(id, &moved, due, false);
                } else {
                    let w = Waiting { step: next, ..Waiting::of(t) };
                    let pinned = t.pinned_to.is_some();
                    self.emit(Event::TicketStepReached { at: due, ticket: id, step: next });
                    if !pinned {
                        self.route_waiting(id, &w, due, false);
                    }
                }
            }
            Timer::Pin(id) => {
                let w = Waiting::of(s.tickets.get(id).expect("timer names a live ticket"));
                self.emit(Event::TicketUnpinned { at: due, ticket: id, reason: UnpinReason::Timeout });
                self.route_waiting(id, &w, due, false);
            }
            Timer::Offer(id) => {
                let t = s.tickets.get(id).expect("timer names a live ticket");
                let agent = t.agent.expect("offered ticket has an agent");
                let a = &s.agents[agent.index()];
                let away_after = cfg.queue(t.queue).offer.as_ref().map_or(0, |o| o.away_after_missed);
                let set_away = away_after > 0 && a.missed_offers + 1 >= away_after && a.presence == Presence::Available;
                self.emit(Event::TicketRequeued { at: due, ticket: id, reason: RequeueReason::OfferExpired });
                if set_away {
                    self.emit(Event::AgentPresenceChanged {
                        at: due,
                        agent,
                        presence: Presence::Away,
                        reason: PresenceReason::MissedOffers,
                    });
                }
                self.requeued_then_route(id, agent, due, !set_away);
            }
            Timer::Reply(id) => {
                let agent = s.tickets.get(id).and_then(|t| t.agent).expect("assigned ticket has an agent");
                self.emit(Event::TicketRequeued { at: due, ticket: id, reason: RequeueReason::NoReply });
                self.requeued_then_route(id, agent, due, true);
            }
            Timer::Expiry(id) => self.emit(Event::TicketExpired { at: due, ticket: id }),
            Timer::FollowUp(id) => self.emit(Event::FollowUpDue { at: due, ticket: id }),
            Timer::Sla(id, kind) => {
                let t = s.tickets.get(id).expect("timer names a live ticket");
                let sla = t.sla.as_deref().expect("an SLA timer belongs to a ticket with a policy");
                let clock = &sla.clocks[kind.index()];
                let (policy, deadline) = (sla.policy, clock.deadline);
                if clock.breached {
                    // Reminders are for people; they escalate nothing.
                    let reminder = clock.reminders.saturating_add(1);
                    self.emit(Event::SlaReminder { at: due, ticket: id, policy, clock: kind, deadline, reminder });
                    return;
                }
                let warning = !clock.warned && clock.warn_at == Some(due);
                let esc = Escalatable::of(t);
                if warning {
                    self.emit(Event::SlaWarning { at: due, ticket: id, policy, clock: kind, deadline });
                } else {
                    self.emit(Event::SlaBreached { at: due, ticket: id, policy, clock: kind, deadline });
                }
                let trigger = if warning { Trigger::SlaWarning } else { Trigger::SlaBreach };
                self.escalate_on(esc, Cause::Sla(trigger, kind), due);
            }
            Timer::WrapUp(agent) => {
                let &(_, channel, ticket) = s.agents[agent.index()].wrap_ups.first().expect("timer names a wrap-up");
                self.emit(Event::WrapUpEnded { at: due, agent, ticket });
                self.route_freed_agent(agent, channel, ticket, due);
            }
            Timer::Overflow(queue) => {
                let open =
                    overflow_transition(s, cfg, queue, due).expect("an overflow timer fires when the rule changes");
                let waiting = s.waiting_in(queue) as u32;
                let oldest_wait_ms = s.oldest_wait_ms(queue, due);
                if open {
                    self.emit(Event::OverflowOpened { at: due, queue, waiting, oldest_wait_ms });
                    // Helper teams' free agents start on this queue's tickets, the most
                    // urgent ticket first, each to its best agent.
                    // (`OverflowOpened` changes no queue's waiting tickets: the base state's are
                    // the ones after it.)
                    let r = self.released.as_mut().expect("timers fire one instant at a time");
                    r.overflowed.push(queue);
                } else {
                    self.emit(Event::OverflowClosed { at: due, queue, waiting, oldest_wait_ms });
                }
            }
        }
    }

    /// After `ticket` went back to waiting from `agent` (declined, expired, no reply): the
    /// ticket goes to someone else, and the agent (if still routable) takes other work.
    /// Read-only on the base state, where the agent still holds the ticket.
    fn requeued_then_route(&mut self, ticket: TicketId, agent: AgentId, at: Timestamp, agent_routable: bool) {
        let t = self.base().tickets.get(ticket).expect("requeued ticket exists");
        let channel = t.channel;
        let mut w = Waiting::of(t);
        w.avoid.push(agent);
        self.route_waiting(ticket, &w, at, false);
        if agent_routable {
            self.route_freed_agent(agent, channel, ticket, at);
        }
    }

    /// Decides one command: the frequent ones of a ticket's life here, the rest in
    /// [`Decider::command_other`].
    pub(crate) fn command(&mut self, cmd: &Command) -> Result<(), Rejection> {
        match cmd {
            Command::CreateTicket { at, spec } => self.create_ticket(*at, spec),
            Command::Resolve { at, ticket } => {
                let t = open_ticket(self.base(), *ticket, *at)?;
                let held = t.agent.filter(|_| matches!(t.status, TicketStatus::Assigned | TicketStatus::Offered));
                let held = held.filter(|&a| !(t.status == TicketStatus::Assigned && self.wraps_up(a, t)));
                let (channel, has_sla) = (t.channel, t.sla.is_some());
                if has_sla {
                    self.emit_clocks_met(*ticket, &ClockKind::ALL, *at);
                }
                self.emit(Event::TicketResolved { at: *at, ticket: *ticket });
                if let Some(agent) = held {
                    self.route_freed_agent(agent, channel, *ticket, *at);
                }
                Ok(())
            }
            Command::Abandon { at, ticket } => {
                let t = open_ticket(self.base(), *ticket, *at)?;
                if !matches!(t.status, TicketStatus::Queued | TicketStatus::Offered | TicketStatus::Bot) {
                    return Err(invalid(t, "abandon"));
                }
                let offered_to = t.agent.filter(|_| t.status == TicketStatus::Offered);
                let channel = t.channel;
                self.emit(Event::TicketAbandoned { at: *at, ticket: *ticket });
                if let Some(agent) = offered_to {
                    self.route_freed_agent(agent, channel, *ticket, *at);
                }
                Ok(())
            }
            Command::AgentReply { at, ticket } => {
                let t = open_ticket(self.base(), *ticket, *at)?;
                // While the ticket waits on the customer or on hold nobody holds it: the
                // reply (a reminder, an update) is its last agent's.
                let agent = match (t.status, t.last_agent) {
                    (TicketStatus::WaitingOnCustomer | TicketStatus::OnHold, Some(agent)) => agent,
                    _ => holder(self.base(), *ticket, *at, TicketStatus::Assigned, "reply to")?,
                };
                self.emit_clocks_met(
                    *ticket,
                    &[ClockKind::FirstResponse, ClockKind::NextResponse, ClockKind::Update],
                    *at,
                );
                self.emit(Event::AgentReplied { at: *at, ticket: *ticket, agent });
                Ok(())
            }
            Command::AcceptOffer { at, ticket } => {
                let agent = holder(self.base(), *ticket, *at, TicketStatus::Offered, "accept the offer of")?;
                self.emit(Event::OfferAccepted { at: *at, ticket: *ticket, agent });
                Ok(())
            }
            Command::Tick { .. } => Ok(()),
            _ => self.command_other(cmd),
        }
    }

    /// Every command but the frequent ones `command` decides itself: kept out of line, so
    /// that the code deciding the frequent ones stays small and close together.
    #[inline(never)]
    fn command_other(&mut self, cmd: &Command) -> Result<(), Rejection> {
        match cmd {
            Command::Configure { at, config } => self.configure(*at, config),
            Command::RegisterAgent { at, key, team, tier, skills, languages, capacity } => {
                let s = self.base();
                let cfg = s.config();
                check_key(key)?;
                if s.agent_keys.contains_key(key.as_str()) {
                    return Err(Rejection::DuplicateAgentKey { key: key.clone() });
                }
                let team_cfg = cfg.teams().get(team.index()).ok_or(Rejection::UnknownTeam { team: *team })?;
                let skills = validate_skills(cfg, skills)?;
                if let Some(l) =
                    (0..64u8).find(|&l| languages.0 & (1 << l) != 0 && usize::from(l) >= cfg.language_names().len())
                {
                    return Err(Rejection::UnknownLanguage { language: crate::id::LanguageId(l) });
                }
                if s.agents.len() as u64 >= u64::from(cfg.limits.agents_max) {
                    return Err(Rejection::LimitReached { limit: "agents_max", max: u64::from(cfg.limits.agents_max) });
                }
                self.emit(Event::AgentRegistered {
                    at: *at,
                    agent: AgentId(s.agents.len() as u32),
                    key: key.clone(),
                    team: *team,
                    tier: tier.unwrap_or(team_cfg.tier),
                    skills,
                    languages: *languages,
                    capacity: *capacity,
                });
                Ok(())
            }
            Command::Login { at, agent } => self.set_presence(*at, *agent, Presence::Available),
            Command::SetPresence { at, agent, presence } => {
                if *presence == Presence::Offline {
                    return Err(Rejection::PresenceNotSettable { presence: *presence });
                }
                self.set_presence(*at, *agent, *presence)
            }
            Command::Logout { at, agent } => self.logout(*at, *agent),
            Command::SetAgentSkills { at, agent, skills } => {
                let s = self.base();
                agent_ref(s, *agent)?;
                let skills = validate_skills(s.config(), skills)?;
                self.emit(Event::AgentSkillsChanged { at: *at, agent: *agent, skills });
                self.agenda.push(Task::RouteAgent { agent: *agent, at: *at, contested: false });
                Ok(())
            }
            Command::SetAgentCapacity { at, agent, capacity } => {
                agent_ref(self.base(), *agent)?;
                self.emit(Event::AgentCapacityChanged { at: *at, agent: *agent, capacity: *capacity });
                self.agenda.push(Task::RouteAgent { agent: *agent, at: *at, contested: false });
                Ok(())
            }
            Command::UpdateTicket { at, ticket, tier, urgency, emotion } => {
                let t = open_ticket(self.base(), *ticket, *at)?;
                let (tier, urgency, emotion) =
                    (tier.unwrap_or(t.tier), urgency.unwrap_or(t.urgency), emotion.unwrap_or(t.emotion));
                if (tier, urgency, emotion) != (t.tier, t.urgency, t.emotion) {
                    let before = Escalatable::of(t);
                    let after = Escalatable { tier, emotion, ..before.clone() };
                    self.emit(Event::TicketUpdated { at: *at, ticket: *ticket, tier, urgency, emotion });
                    if after.tier == CustomerTier::Vip && before.tier != CustomerTier::Vip {
                        self.escalate_on(after.clone(), Cause::Vip, *at);
                    } else if after.emotion > before.emotion {
                        self.escalate_on(after, Cause::Emotion(before.emotion), *at);
                    }
                }
                Ok(())
            }
            Command::AssignTicket { at, ticket, agent, force } => self.assign_manually(*at, *ticket, *agent, *force),
            Command::DeclineOffer { at, ticket } => {
                let agent = holder(self.base(), *ticket, *at, TicketStatus::Offered, "decline the offer of")?;
                self.emit(Event::TicketRequeued { at: *at, ticket: *ticket, reason: RequeueReason::OfferDeclined });
                self.requeued_then_route(*ticket, agent, *at, true);
                Ok(())
            }
            Command::BotResolve { at, ticket } => {
                let t = open_ticket(self.base(), *ticket, *at)?;
                if t.status != TicketStatus::Bot {
                    return Err(invalid(t, "resolve as the bot"));
                }
                self.emit_clocks_met(*ticket, &ClockKind::ALL, *at);
                self.emit(Event::BotResolved { at: *at, ticket: *ticket });
                Ok(())
            }
            Command::BotHandoff { at, ticket, reason, transcript } => {
                let s = self.base();
                let t = open_ticket(s, *ticket, *at)?;
                if t.status != TicketStatus::Bot {
                    return Err(invalid(t, "hand off from the bot"));
                }
                if reason.trim().is_empty() {
                    return Err(Rejection::Empty { field: "reason" });
                }
                check_depth(s, t.queue)?;
                let view = Escalatable { status: TicketStatus::Queued, ..Escalatable::of(t) };
                let w = Waiting { step: 0, ..view.waiting.clone() };
                let (customer, category, created) = (t.customer, t.category, t.created_at);
                self.emit(Event::BotHandedOff {
                    at: *at,
                    ticket: *ticket,
                    reason: reason.clone(),
                    transcript: transcript.clone(),
                });
                // Handed to people, the ticket meets the rules a ticket created for people
                // meets on arrival.
                if !self.escalate_on_arrival(view, customer, category, Some(created), *at) {
                    self.route_waiting(*ticket, &w, *at, true);
                }
                Ok(())
            }
            Command::Escalate { at, ticket, tier, note } => {
                let s = self.base();
                let t = open_ticket(s, *ticket, *at)?;
                let esc = &s.config().escalation;
                if !matches!(t.status, TicketStatus::Queued | TicketStatus::Offered | TicketStatus::Assigned) {
                    return Err(invalid(t, "escalate"));
                }
                let target = match tier {
                    Some(tier) if usize::from(*tier) < esc.tiers.len() => usize::from(*tier),
                    Some(_) => return Err(Rejection::NoEscalation { ticket: *ticket, reason: "no such tier" }),
                    None => esc
                        .tier_of(t.queue)
                        .and_then(|from| esc.out[from].first().copied())
                        .ok_or(Rejection::NoEscalation { ticket: *ticket, reason: "its queue has no tier above it" })?,
                };
                if esc.tiers[target].queue == t.queue {
                    return Err(Rejection::NoEscalation { ticket: *ticket, reason: "it is already in that tier" });
                }
                let view = Escalatable::of(t);
                self.escalate(view, target, Trigger::Manual, None, 0, note.clone(), *at);
                Ok(())
            }
            Command::CustomerMessage { at, ticket } => {
                let t = open_ticket(self.base(), *ticket, *at)?;
                // A customer writing to a held ticket reopens the conversation too, as help
                // desks do: it goes back to its agent.
                let pending = matches!(t.status, TicketStatus::WaitingOnCustomer | TicketStatus::OnHold);
                let w = Waiting { step: 0, ..Waiting::of(t) };
                self.emit(Event::CustomerReplied { at: *at, ticket: *ticket });
                if pending {
                    self.emit(Event::TicketReactivated { at: *at, ticket: *ticket });
                    self.route_waiting(*ticket, &w, *at, true);
                }
                Ok(())
            }
            Command::SetPending { at, ticket } | Command::SetOnHold { at, ticket } => {
                let pending = matches!(cmd, Command::SetPending { .. });
                let t = open_ticket(self.base(), *ticket, *at)?;
                if t.status != TicketStatus::Assigned {
                    return Err(invalid(t, if pending { "set pending" } else { "put on hold" }));
                }
                let (agent, channel) = (t.agent.expect("assigned"), t.channel);
                let frees = !self.wraps_up(agent, t);
                self.emit(if pending {
                    Event::TicketPending { at: *at, ticket: *ticket }
                } else {
                    Event::TicketOnHold { at: *at, ticket: *ticket }
                });
                if frees {
                    self.route_freed_agent(agent, channel, *ticket, *at);
                }
                Ok(())
            }
            Command::ReleaseHold { at, ticket } => {
                let t = open_ticket(self.base(), *ticket, *at)?;
                if t.status != TicketStatus::OnHold {
                    return Err(invalid(t, "take off hold"));
                }
                let w = Waiting { step: 0, ..Waiting::of(t) };
                self.emit(Event::TicketReactivated { at: *at, ticket: *ticket });
                self.route_waiting(*ticket, &w, *at, true);
                Ok(())
            }
            Command::Transfer { at, ticket, queue } => self.transfer(*at, *ticket, *queue),
            Command::Reopen { at, ticket } => {
                let s = self.base();
                let t = known_ticket(s, *ticket, *at)?;
                if t.status != TicketStatus::Resolved {
                    return Err(invalid(t, "reopen"));
                }
                // The reopen window is the closed-ticket retention: past it, `known_ticket`
                // has already refused the ticket as archived.
                check_open_limit(s)?;
                check_depth(s, t.queue)?;
                let w = Waiting { step: 0, ..Waiting::of(t) };
                let view = Escalatable {
                    status: TicketStatus::Queued,
                    agent: None,
                    reopen_count: t.reopen_count + 1,
                    rules_fired: t.rules_fired,
                    ..Escalatable::of(t)
                };
                self.emit(Event::TicketReopened { at: *at, ticket: *ticket });
                if !self.escalate_on(view, Cause::Reopen, *at) {
                    self.route_waiting(*ticket, &w, *at, true);
                }
                Ok(())
            }
            Command::CreateTicket { .. }
            | Command::Resolve { .. }
            | Command::Abandon { .. }
            | Command::AcceptOffer { .. }
            | Command::AgentReply { .. }
            | Command::Tick { .. } => unreachable!("decided by `command`"),
        }
    }

    fn configure(&mut self, at: Timestamp, spec: &ConfigSpec) -> Result<(), Rejection> {
        let config = Config::new(spec.clone()).map_err(Rejection::InvalidConfig)?;
        let s = self.base();
        let reconfigure = s.config.is_some();
        if let Some(old) = &s.config {
            config.extends(old).map_err(|change| Rejection::IncompatibleConfig { reason: change.to_string() })?;
            for t in s.tickets.iter().filter(|t| !t.status.is_closed()) {
                let mut needs = t.own_skills;
                for n in config.queue(t.queue).needs.iter() {
                    needs.insert(n).map_err(|_| Rejection::IncompatibleConfig {
                        reason: format!(
                            "open ticket {} would need more than {TICKET_SKILLS_MAX} skills in queue {:?}",
                            t.id,
                            config.queue(t.queue).name
                        ),
                    })?;
                }
            }
        }
        self.emit(Event::Configured { at, config: Arc::new(config) });
        if reconfigure {
            // New rules may match waiting tickets to free agents: let every available
            // agent take what it now can.
            // (`Configured` registers no agent: the base state has them all.)
            let n = self.base().agents.len() as u32;
            let contested = n > 1;
            self.agenda.extend((0..n).rev().map(|i| Task::RouteAgent { agent: AgentId(i), at, contested }));
        }
        Ok(())
    }

    fn set_presence(&mut self, at: Timestamp, agent: AgentId, presence: Presence) -> Result<(), Rejection> {
        let a = agent_ref(self.base(), agent)?;
        if a.presence == presence {
            return Ok(());
        }
        if a.presence == Presence::Offline && presence != Presence::Available {
            return Err(Rejection::AgentNotAvailable { agent, presence: a.presence });
        }
        self.emit(Event::AgentPresenceChanged { at, agent, presence, reason: PresenceReason::Requested });
        if presence == Presence::Available {
            let a = agent_ref(self.base(), agent)?;
            let picks = self.base().pick_tickets(a, a.load, &[], usize::MAX, at);
            self.assign_picks(agent, &picks, at);
        }
        Ok(())
    }

    fn logout(&mut self, at: Timestamp, agent: AgentId) -> Result<(), Rejection> {
        let a = agent_ref(self.base(), agent)?;
        if a.presence == Presence::Offline {
            return Ok(());
        }
        let s = self.base();
        // After-contact work ends with the shift. Held tickets go back to waiting with
        // their age, and tickets waiting for this agent by sticky routing stop waiting for
        // them. Both are re-routed best first, so that where agents are short the most
        // urgent gets the first free agent.
        let wrapping: Vec<TicketId> = a.wrap_ups.iter().map(|w| w.2).collect();
        let held = best_first(s, a.held.iter().copied(), at);
        let pinned = best_first(s, s.index.pinned.get(&agent).into_iter().flatten().map(|wk| wk.ticket), at);
        for ticket in wrapping {
            self.emit(Event::WrapUpEnded { at, agent, ticket });
        }
        for &ticket in &held {
            self.emit(Event::TicketRequeued { at, ticket, reason: RequeueReason::AgentOffline });
        }
        for &ticket in &pinned {
            self.emit(Event::TicketUnpinned { at, ticket, reason: UnpinReason::AgentOffline });
        }
        self.emit(Event::AgentPresenceChanged {
            at,
            agent,
            presence: Presence::Offline,
            reason: PresenceReason::Requested,
        });
        let mut all = held;
        all.extend(pinned);
        if !all.is_empty() {
            self.agenda.push(Task::RouteBestFirst { tickets: all, at });
        }
        Ok(())
    }

    fn create_ticket(&mut self, at: Timestamp, spec: &TicketSpec) -> Result<(), Rejection> {
        let s = self.base();
        let cfg = s.config();
        if let Some(c) = spec.category
            && c.index() >= cfg.category_names().len()
        {
            return Err(Rejection::UnknownCategory { category: c });
        }
        let queue = match spec.queue {
            Some(q) if q.index() < cfg.queues().len() => q,
            Some(q) => return Err(Rejection::UnknownQueue { queue: q }),
            None => cfg
                .queue_for(spec.channel, spec.category)
                .ok_or(Rejection::NoQueueFor { channel: spec.channel, category: spec.category })?,
        };
        // A full queue may hand new tickets to its `when_full` queue.
        let queue = match (check_depth(s, queue), cfg.queue(queue).when_full) {
            (Ok(()), _) => queue,
            (Err(full), Some(other)) => {
                check_depth(s, other).map_err(|_| full)?;
                other
            }
            (Err(full), None) => return Err(full),
        };
        if let Some(n) = spec.skills.iter().find(|n| n.skill.index() >= cfg.skill_names().len()) {
            return Err(Rejection::UnknownSkill { skill: n.skill });
        }
        let needs = merge_checked(&spec.skills, &cfg.queue(queue).needs)?;
        if let Some(l) = spec.language
            && usize::from(l.0) >= cfg.language_names().len()
        {
            return Err(Rejection::UnknownLanguage { language: l });
        }
        if spec.ttl_s == Some(0) {
            return Err(Rejection::Invalid { field: "ttl_s", reason: "must be above 0 seconds".into() });
        }
        if let Some(k) = &spec.key {
            check_key(k)?;
            if s.ticket_keys.contains_key(k.as_str()) {
                return Err(Rejection::DuplicateTicketKey { key: k.clone() });
            }
        }
        check_open_limit(s)?;
        let req = ReqKey { needs, language: spec.language, channel: spec.channel };
        if !spec.bot {
            check_class_limit(s, &req)?;
        }
        let ticket = s.tickets.next_id();
        let w = Waiting { queue, step: 0, req, avoid: Vec::new(), customer: spec.customer };
        let mut spec = spec.clone();
        spec.queue = Some(queue);
        let bot = spec.bot;
        // What the arrival escalation rules look at, if a ticket for people meets any.
        let view = (!bot && !cfg.escalation.rules.is_empty()).then(|| Escalatable {
            ticket,
            queue,
            status: TicketStatus::Queued,
            agent: None,
            channel: spec.channel,
            tier: spec.tier,
            emotion: spec.emotion,
            reopen_count: 0,
            rules_fired: 0,
            own_skills: spec.skills,
            waiting: w.clone(),
        });
        let (customer, category) = (spec.customer, spec.category);
        let rules = !cfg.escalation.rules.is_empty();
        self.emit(Event::TicketCreated { at, ticket, spec });
        if rules {
            self.emit_recurring_alerts(customer, category, at);
        }
        if bot {
            return Ok(());
        }
        let escalated = view.is_some_and(|v| self.escalate_on_arrival(v, customer, category, None, at));
        if !escalated {
            self.route_waiting(ticket, &w, at, true);
        }
        Ok(())
    }

    /// The rules a ticket meets as it starts waiting for people (created without a bot,
    /// or handed off by one): a VIP customer, an emotion, repeat contacts. `recorded` is
    /// when the state recorded the ticket's own contact, if it has. Whether one fired (and
    /// moved the ticket).
    fn escalate_on_arrival(
        &mut self,
        view: Escalatable,
        customer: CustomerId,
        category: Option<CategoryId>,
        recorded: Option<Timestamp>,
        at: Timestamp,
    ) -> bool {
        !self.base().config().escalation.rules.is_empty()
            && ((view.tier == CustomerTier::Vip && self.escalate_on(view.clone(), Cause::Vip, at))
                || self.escalate_on(view.clone(), Cause::Emotion(Emotion::Calm), at)
                || self.escalate_on(view, Cause::Repeat { customer, category, recorded }, at))
    }

    fn assign_manually(
        &mut self,
        at: Timestamp,
        ticket: TicketId,
        agent: AgentId,
        force: bool,
    ) -> Result<(), Rejection> {
        let s = self.base();
        let cfg = s.config();
        let t = open_ticket(s, ticket, at)?;
        if t.status != TicketStatus::Queued {
            return Err(invalid(t, "assign"));
        }
        let a = agent_ref(s, agent)?;
        let eff = effective_needs(cfg, t.queue, t.step, &t.needs);
        let req = ReqKey { needs: t.needs, language: t.language, channel: t.channel };
        let place = Place::of(t, &req, &eff);
        let forced = match eligibility(cfg, a, &place, false, Rules::manual(force)) {
            Ok(_) => false,
            Err(Exclusion::Offline | Exclusion::NotAvailable { .. }) => {
                return Err(Rejection::AgentNotAvailable { agent, presence: a.presence });
            }
            Err(Exclusion::Language { language }) => return Err(Rejection::AgentLacksLanguage { agent, language }),
            Err(Exclusion::Skill { skill, required, has }) => {
                return Err(Rejection::AgentLacksSkill { agent, skill, required, has });
            }
            Err(Exclusion::Capacity { limit: CapacityBlock::TicketsMax }) => {
                return Err(Rejection::AgentTicketsMax { agent, max: cfg.limits.agent_tickets_max });
            }
            Err(Exclusion::Capacity { .. }) if force => true,
            Err(Exclusion::Capacity { .. }) => return Err(Rejection::CapacityExhausted { agent, channel: t.channel }),
            Err(
                x @ (Exclusion::ReservedForOther { .. }
                | Exclusion::Avoided
                | Exclusion::NoChannel
                | Exclusion::Team { .. }),
            ) => unreachable!("manual assignment does not check {x:?}"),
        };
        self.emit(Event::TicketAssigned { at, ticket, agent, how: Assignment::Manual { forced } });
        Ok(())
    }

    fn transfer(&mut self, at: Timestamp, ticket: TicketId, queue: QueueId) -> Result<(), Rejection> {
        let s = self.base();
        let cfg = s.config();
        let t = open_ticket(s, ticket, at)?;
        if queue.index() >= cfg.queues().len() {
            return Err(Rejection::UnknownQueue { queue });
        }
        if t.status == TicketStatus::Bot {
            return Err(invalid(t, "transfer"));
        }
        let needs = merge_checked(&t.own_skills, &cfg.queue(queue).needs)?;
        if !(t.status == TicketStatus::Queued && t.queue == queue) {
            check_depth(s, queue)?;
        }
        check_class_limit(s, &ReqKey { needs, language: t.language, channel: t.channel })?;
        let held = t.agent.filter(|_| matches!(t.status, TicketStatus::Assigned | TicketStatus::Offered));
        let mut avoid = t.avoid_agents.clone();
        avoid.extend(held);
        let w = Waiting {
            queue,
            step: 0,
            req: ReqKey { needs, language: t.language, channel: t.channel },
            avoid,
            customer: t.customer,
        };
        let channel = t.channel;
        self.emit(Event::TicketTransferred { at, ticket, queue, reason: TransferReason::Requested });
        self.route_waiting(ticket, &w, at, false);
        if let Some(agent) = held {
            self.route_freed_agent(agent, channel, ticket, at);
        }
        Ok(())
    }

    /// Emits `SlaMet` for each of the ticket's `kinds` of clock that is live (counting and not
    /// breached) and so is stopped in time by what happens at `at`. Emitted just before the
    /// event that stops them, so each is true of the state it is applied to.
    fn emit_clocks_met(&mut self, ticket: TicketId, kinds: &[ClockKind], at: Timestamp) {
        let Some(sla) = state_of(&self.work).tickets.get(ticket).and_then(|t| t.sla.as_deref()) else { return };
        for &clock in kinds.iter().filter(|k| sla.clocks[k.index()].is_live()) {
            let deadline = sla.clocks[clock.index()].deadline;
            self.out.push(Event::SlaMet { at, ticket, policy: sla.policy, clock, deadline });
        }
    }

    /// Emits the recurring-issue alerts a new contact raises: the customer's (or the
    /// category's) contacts in a repeat-contact rule's window reach its threshold exactly.
    /// Its caller skips it when there are no escalation rules.
    fn emit_recurring_alerts(
        &mut self,
        customer: crate::id::CustomerId,
        category: Option<crate::id::CategoryId>,
        at: Timestamp,
    ) {
        let s = state_of(&self.work);
        let first = self.out.len();
        for r in s.config().escalation.rules.iter().filter(|r| r.trigger == Trigger::RepeatContact) {
            let since = at.plus_ms(-r.window_ms);
            let (contacts, customer, category) = match r.by {
                RepeatBy::Customer => (s.contacts_since(customer, None, since) + 1, Some(customer), None),
                RepeatBy::Category => match category {
                    Some(c) => (s.category_contacts_since(c, since) + 1, None, Some(c)),
                    None => continue,
                },
            };
            let seen =
                self.out[first..].iter().any(|e| matches!(e, Event::RecurringIssueDetected { by, .. } if *by == r.by));
            if contacts == usize::from(r.contacts_at_least) && !seen {
                self.out.push(Event::RecurringIssueDetected {
                    at,
                    by: r.by,
                    customer,
                    category,
                    contacts: contacts as u32,
                    window_ms: r.window_ms,
                });
            }
        }
    }

    /// Tries the escalation rules for `cause`, in order; the first that applies (not yet
    /// fired in the ticket's tier, with a tier to go to) escalates. Returns whether one did.
    fn escalate_on(&mut self, t: Escalatable, cause: Cause, at: Timestamp) -> bool {
        if !matches!(t.status, TicketStatus::Queued | TicketStatus::Offered | TicketStatus::Assigned) {
            return false;
        }
        let s = self.base();
        let esc = &s.config().escalation;
        let hit = esc.rules.iter().enumerate().find_map(|(i, r)| {
            if t.rules_fired & (1 << i) != 0 || !cause.fires(r, &t, s, at) {
                return None;
            }
            esc.target(r, t.queue).map(|tier| (i, tier, r.trigger, r.boost))
        });
        let Some((rule, tier, trigger, boost)) = hit else { return false };
        self.escalate(t, tier, trigger, Some(rule as u16), boost, None, at);
        true
    }

    /// Moves ticket `t` to `tier`'s queue and routes it there; an agent holding it is freed
    /// (and takes other work).
    #[allow(clippy::too_many_arguments)]
    fn escalate(
        &mut self,
        t: Escalatable,
        tier: usize,
        trigger: Trigger,
        rule: Option<u16>,
        boost: i64,
        note: Option<String>,
        at: Timestamp,
    ) {
        let queue = self.base().config().escalation.tiers[tier].queue;
        let mut w = t.waiting.clone();
        // Like a transfer, an escalation takes the ticket away from the agent holding it.
        w.avoid.extend(t.agent);
        w.queue = queue;
        w.step = 0;
        w.req.needs = merged_needs(&t.own_skills, &self.base().config().queue(queue).needs);
        self.emit(Event::TicketEscalated {
            at,
            ticket: t.ticket,
            tier: tier as u16,
            queue,
            trigger,
            rule,
            boost,
            note,
        });
        self.route_waiting(t.ticket, &w, at, false);
        if let Some(agent) = t.agent {
            self.route_freed_agent(agent, t.channel, t.ticket, at);
        }
    }

    /// Whether releasing worked ticket `t` leaves `agent` in after-contact work (the slot
    /// stays taken, so nothing new is routed to it yet).
    #[inline]
    fn wraps_up(&self, agent: AgentId, t: &Ticket) -> bool {
        let s = self.base();
        s.config().wrap_up_ms(s.agents[agent.index()].team, t.queue) > 0
    }

    // ----- routing reactions --------------------------------------------------------
    //
    // The functions that read `base()` answer questions the pending events of this
    // decision cannot change: they are told explicitly what those events changed (the
    // ticket's new place, the agent's lower load). The `_committed` ones apply the
    // pending events first.

    /// The best free agent for a ticket waiting as `w`, except `skip`. Read-only on the
    /// base state: the ticket itself need not be in a bucket yet.
    fn pick_for(&self, w: &Waiting, skip: Option<AgentId>) -> Option<AgentPick> {
        let s = self.base();
        let cfg = s.config();
        let not = |a: AgentId| skip == Some(a) || w.avoid.contains(&a);
        match s.index.find_bucket(w.queue, w.step, &w.req) {
            Some(b) => {
                let b = &s.index.buckets[b as usize];
                s.pick_agent(w.queue, w.req.channel, &b.pools, &b.overflow_pools, not)
            }
            None => {
                let eff = effective_needs(cfg, w.queue, w.step, &w.req.needs);
                let (base, over) = s.index.fitting_pools(cfg, w.queue, w.step, &w.req, &eff);
                s.pick_agent(w.queue, w.req.channel, &base, &over, not)
            }
        }
    }

    /// Sticky routing for a ticket that starts waiting as `w`: the customer's previous
    /// agent, if served within the window, logged in, qualified and not avoided; at once if
    /// they have room, else a reservation for the queue's sticky wait.
    fn sticky(&self, w: &Waiting, at: Timestamp) -> Option<(AgentId, Option<Timestamp>)> {
        let s = self.base();
        let cfg = s.config();
        let rule = cfg.queue(w.queue).sticky.as_ref()?;
        let c = s.customers.get(&w.customer)?;
        let agent = c.last_agent.filter(|_| c.last_served_at.plus_ms(rule.window_ms) >= at)?;
        let a = &s.agents[agent.index()];
        let eff = effective_needs(cfg, w.queue, w.step, &w.req.needs);
        let place = Place { queue: w.queue, step: w.step, req: &w.req, eff: &eff, pinned_to: None, avoid: &w.avoid };
        // Qualified (whatever the team: the customer's agent is the point); then presence
        // and room decide between now and a reservation.
        eligibility(cfg, a, &place, false, Rules::STICKY).ok()?;
        let free = a.presence == Presence::Available && has_room(cfg, a, w.req.channel).is_ok();
        if free {
            Some((agent, None))
        } else if rule.wait_ms > 0 {
            Some((agent, Some(at.plus_ms(rule.wait_ms))))
        } else {
            None
        }
    }

    /// Routes a ticket that the pending events put into waiting as `w`: sticky first when
    /// `sticky`, else (or failing that) to the best free agent.
    fn route_waiting(&mut self, ticket: TicketId, w: &Waiting, at: Timestamp, sticky: bool) {
        if !sticky && let Some(r) = self.released.as_mut() {
            r.tickets.push(ticket);
            return;
        }
        if sticky && let Some((agent, wait_until)) = self.sticky(w, at) {
            match wait_until {
                None => self.assign(ticket, w.queue, agent, Assignment::Sticky, at),
                Some(until) => self.emit(Event::TicketPinned { at, ticket, agent, until }),
            }
            return;
        }
        if let Some(p) = self.pick_for(w, None) {
            let strategy = self.base().config().queue(w.queue).strategy;
            self.assign(ticket, w.queue, p.agent, Assignment::Routed { strategy, overflow: p.overflow }, at);
        }
    }

    /// Routes a waiting ticket (a task: every earlier event is applied).
    fn route_ticket(&mut self, ticket: TicketId, at: Timestamp) {
        let s = self.base();
        let Some(t) = s.tickets.get(ticket).filter(|t| t.status == TicketStatus::Queued && t.pinned_to.is_none())
        else {
            return;
        };
        let w = Waiting::of(t);
        self.route_waiting(ticket, &w, at, false);
    }

    /// Lets an agent who just released a ticket on `channel` take waiting tickets (or,
    /// while timers fire, once every timer of the instant has). Read-only on the base
    /// state, where the agent still holds `released`.
    fn route_freed_agent(
        &mut self,
        agent: AgentId,
        channel: crate::channel::Channel,
        released: TicketId,
        at: Timestamp,
    ) {
        if let Some(r) = self.released.as_mut() {
            r.agents.push(agent);
            return;
        }
        let s = self.base();
        let a = &s.agents[agent.index()];
        if a.presence != Presence::Available {
            return;
        }
        let mut load = a.load;
        capacity::remove(&mut load, channel, &s.config().capacity);
        let picks = s.pick_tickets(a, load, &[released], usize::MAX, at);
        self.assign_picks(agent, &picks, at);
    }

    /// Lets an agent take waiting tickets (a task: every earlier event is applied).
    ///
    /// Contested (other agents became free at the same instant): the agent's best ticket
    /// goes to the free agent that ticket's strategy puts first, which may be another, and
    /// the agent tries again in the next step; so each ticket goes where `explain` says,
    /// whatever the agents' ids. (Uncontested, no other free agent may take a ticket this
    /// one may: it would have taken it already.)
    fn route_agent(&mut self, agent: AgentId, at: Timestamp, contested: bool) {
        let s = self.base();
        let a = &s.agents[agent.index()];
        if a.presence != Presence::Available {
            return;
        }
        if !contested {
            let picks = s.pick_tickets(a, a.load, &[], usize::MAX, at);
            self.assign_picks(agent, &picks, at);
            return;
        }
        let picks = s.pick_tickets(a, a.load, &[], 1, at);
        let Some(&p) = picks.first() else { return };
        let t = s.tickets.get(p.ticket).expect("picked ticket exists");
        let best = if p.sticky { None } else { self.pick_for(&Waiting::of(t), None) };
        match best {
            Some(b) if b.agent != agent => {
                let queue = t.queue;
                let how = Assignment::Routed { strategy: s.config().queue(queue).strategy, overflow: b.overflow };
                self.assign(p.ticket, queue, b.agent, how, at);
            }
            _ => self.assign_picks(agent, &picks, at),
        }
        self.agenda.push(Task::RouteAgent { agent, at, contested });
    }

    fn assign_picks(&mut self, agent: AgentId, picks: &[crate::routing::TicketPick], at: Timestamp) {
        for p in picks {
            let queue = self.base().tickets.get(p.ticket).expect("picked ticket exists").queue;
            let how = if p.sticky {
                Assignment::Sticky
            } else {
                Assignment::Routed { strategy: self.base().config().queue(queue).strategy, overflow: p.overflow }
            };
            self.assign(p.ticket, queue, agent, how, at);
        }
    }

    /// Gives a ticket to an agent: an offer if the queue uses offers, else an assignment.
    fn assign(&mut self, ticket: TicketId, queue: QueueId, agent: AgentId, how: Assignment, at: Timestamp) {
        match &self.base().config().queue(queue).offer {
            Some(offer) => {
                let expires_at = at.plus_ms(offer.timeout_ms);
                self.emit(Event::TicketOffered { at, ticket, agent, how, expires_at });
            }
            None => self.emit(Event::TicketAssigned { at, ticket, agent, how }),
        }
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

/// What escalation looks at in a ticket (which may not be in the state yet).
#[derive(Clone)]
struct Escalatable {
    ticket: TicketId,
    queue: QueueId,
    status: TicketStatus,
    agent: Option<AgentId>,
    channel: crate::channel::Channel,
    tier: CustomerTier,
    emotion: Emotion,
    reopen_count: u16,
    rules_fired: u32,
    own_skills: SkillNeeds,
    waiting: Waiting,
}

impl Escalatable {
    fn of(t: &Ticket) -> Escalatable {
        Escalatable {
            ticket: t.id,
            queue: t.queue,
            status: t.status,
            agent: t.agent.filter(|_| matches!(t.status, TicketStatus::Assigned | TicketStatus::Offered)),
            channel: t.channel,
            tier: t.tier,
            emotion: t.emotion,
            reopen_count: t.reopen_count,
            rules_fired: t.rules_fired,
            own_skills: t.own_skills,
            waiting: Waiting::of(t),
        }
    }
}

/// What happened that may escalate a ticket.
enum Cause {
    Sla(Trigger, ClockKind),
    Vip,
    /// The emotion rose from this level.
    Emotion(Emotion),
    Reopen,
    Repeat {
        customer: crate::id::CustomerId,
        category: Option<crate::id::CategoryId>,
        /// When the ticket's own contact was recorded (`None`: it is being created and the
        /// state does not count it yet).
        recorded: Option<Timestamp>,
    },
}

impl Cause {
    /// Whether rule `r` fires for this cause on ticket `t` (a new contact not yet counted in
    /// the state counts as one more).
    fn fires(&self, r: &crate::escalation::Rule, t: &Escalatable, s: &State, at: Timestamp) -> bool {
        match (self, r.trigger) {
            (Cause::Sla(trigger, kind), rt) => rt == *trigger && r.clock.is_none_or(|c| c == *kind),
            (Cause::Vip, Trigger::Vip) => t.tier == CustomerTier::Vip,
            (Cause::Emotion(before), Trigger::Emotion) => {
                *before < r.emotion_at_least && t.emotion >= r.emotion_at_least
            }
            (Cause::Reopen, Trigger::Reopen) => t.reopen_count >= r.reopens_at_least,
            (Cause::Repeat { customer, category, recorded }, Trigger::RepeatContact) => {
                let since = at.plus_ms(-r.window_ms);
                // The ticket's own contact counts once, whether or not the state has it.
                let own = usize::from(recorded.is_none_or(|c| c < since));
                let n = match (r.by, category) {
                    (RepeatBy::Customer, _) => s.contacts_since(*customer, None, since),
                    (RepeatBy::Category, Some(c)) => s.category_contacts_since(*c, since),
                    (RepeatBy::Category, None) => return false,
                };
                n + own >= usize::from(r.contacts_at_least)
            }
            _ => false,
        }
    }
}

/// Tickets ordered best first by their priority at `at` (ties: score, wait start, id).
fn best_first(s: &State, tickets: impl Iterator<Item = TicketId>, at: Timestamp) -> Vec<TicketId> {
    let mut ranked: Vec<(crate::priority::Rank, TicketId)> =
        tickets.filter_map(|id| s.tickets.get(id)).map(|t| (s.rank_at(t, at), t.id)).collect();
    ranked.sort_unstable();
    ranked.into_iter().map(|(_, id)| id).collect()
}

/// Where a ticket waits (or is about to), as routing needs to know it.
#[derive(Clone)]
pub(crate) struct Waiting {
    pub queue: QueueId,
    pub step: u8,
    pub req: ReqKey,
    pub avoid: Vec<AgentId>,
    pub customer: crate::id::CustomerId,
}

impl Waiting {
    fn of(t: &Ticket) -> Waiting {
        Waiting {
            queue: t.queue,
            step: t.step,
            req: ReqKey { needs: t.needs, language: t.language, channel: t.channel },
            avoid: t.avoid_agents.clone(),
            customer: t.customer,
        }
    }

    fn moved(s: &State, t: &Ticket, queue: QueueId) -> Waiting {
        let needs = merged_needs(&t.own_skills, &s.config().queue(queue).needs);
        Waiting { queue, step: 0, req: ReqKey { needs, ..Waiting::of(t).req }, ..Waiting::of(t) }
    }
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
