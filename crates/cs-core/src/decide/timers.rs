//! Timers firing: the instants due at or before a command, each timer of an instant in
//! turn, then routing for what they changed.

use super::escalation::{Cause, Escalatable};
use super::routing::{Released, Waiting};
use super::{Decider, Task, Work};
use crate::agent::Presence;
use crate::apply::overflow_transition;
use crate::escalation::Trigger;
use crate::event::{Event, PresenceReason, RequeueReason, TransferReason, UnpinReason};
use crate::id::{AgentId, TicketId};
use crate::state::Timer;
use crate::time::Timestamp;

impl Decider<'_, '_> {
    /// [`Task::Timers`]: fires the instants due at or before `now`, one after the other
    /// while they leave nothing to route (in place; a pure step pauses after each firing).
    #[inline]
    pub(super) fn timers(&mut self, now: Timestamp) {
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
    pub(super) fn instant(&mut self, due: Timestamp, now: Timestamp) -> bool {
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
    pub(super) fn instant_done(&mut self, due: Timestamp, now: Timestamp) -> bool {
        let Released { mut agents, tickets, overflowed } = self.released.take().expect("set for this instant");
        if overflowed.is_empty() && tickets.is_empty() && agents.is_empty() && matches!(self.work, Work::InPlace(..)) {
            self.commit();
            return true;
        }
        self.agenda.push(Task::Timers { now });
        agents.sort_unstable();
        agents.dedup();
        if overflowed.is_empty() && agents.is_empty() {
            self.agenda.push(Task::RouteBestFirst { tickets, at: due });
        } else if overflowed.is_empty() && tickets.is_empty() && agents.len() == 1 {
            self.agenda.push(Task::RouteAgent { agent: agents[0], at: due });
        } else {
            let merged = self.merged(tickets, overflowed, agents, due);
            self.agenda.push(merged);
        }
        false
    }

    pub(super) fn fire(&mut self, due: Timestamp, timer: Timer) {
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
    pub(super) fn requeued_then_route(
        &mut self,
        ticket: TicketId,
        agent: AgentId,
        at: Timestamp,
        agent_routable: bool,
    ) {
        let t = self.base().tickets.get(ticket).expect("requeued ticket exists");
        let channel = t.channel;
        let mut w = Waiting::of(t);
        w.avoid.push(agent);
        self.route_waiting(ticket, &w, at, false);
        if agent_routable {
            self.route_freed_agent(agent, channel, ticket, at);
        }
    }
}
