//! The fold: `apply(&mut State, &Event)`. Infallible; the only way state changes.
//!
//! `decide` validated every event before it was produced, so `apply` asserts instead of
//! checking: an event that does not fit the state is a programmer error (or a corrupt
//! log), not an operating condition.
//!
//! State has two layers. The tables (tickets, agents, customers, queue flags) are the
//! facts. The routing index, the queues' age indexes and the timer set are derived from
//! them; `apply` keeps them in step event by event, and [`replay`] builds them once at the
//! end instead.

use crate::agent::{Agent, Load, Presence};
use crate::capacity;
use crate::config::Config;
use crate::event::{Event, RequeueReason};
use crate::id::TicketId;
use crate::projection::Projection;
use crate::skill::SkillLevels;
use crate::sla::ClockKind;
use crate::state::{QueueState, State, Timer};
use crate::ticket::{Ticket, TicketStatus};
use crate::time::Timestamp;
use std::sync::Arc;

mod agent;
mod customer;
mod index;
mod sla;
mod ticket;
mod timers;

use agent::{change_profile, retime_wrap_up, with_agent, wrap_up_due};
use customer::forget_customers;
pub(crate) use index::overflow_transition;
use index::{dequeue, enqueue, index_waiting, rebuild_index, refresh_overflow, unindex_waiting};
use sla::{sla_rematch, sla_start, with_clocks};
pub(crate) use ticket::merged_needs;
use ticket::{avoid, close, created, release, score_of, start_wait, start_work, take, withdraw_answer};
use timers::{expiry, set_timer, step_due};

/// Folds one event into the state.
pub fn apply(state: &mut State, event: &Event) {
    fold_one(state, event, &mut (), true);
}

/// What a fold reads besides the state and its event: the config, and whether it keeps the
/// derived layer (the routing index, the queues' age indexes and the timer set) in step.
/// `apply` keeps it event by event; [`replay`] folds the tables only and builds it once at
/// the end. A parameter of the fold, never a field of the state, so that what `apply` does
/// depends on its state and event alone. Reads as the config it carries.
pub(super) struct Fold<'a> {
    cfg: &'a Config,
    pub(super) keep_index: bool,
    /// The event's time (the routing index notes when it last saw a requirement class).
    pub(super) at: Timestamp,
}

impl std::ops::Deref for Fold<'_> {
    type Target = Config;
    #[inline]
    fn deref(&self) -> &Config {
        self.cfg
    }
}

/// Folds one event; `taken_at_once`: it is a `TicketCreated` whose ticket the next event
/// hands to an agent (see [`apply_all`]), so it is never indexed as waiting; `keep_index`:
/// see [`Fold`].
fn apply_one(state: &mut State, event: &Event, taken_at_once: bool, keep_index: bool) {
    let at = event.at();
    debug_assert!(at >= state.last_at, "event at {at} applied after one at {}", state.last_at);
    if let Event::Configured { config, .. } = event {
        configure(state, config, at, keep_index);
    } else {
        let cfg = state.config.clone().expect("first event configures the engine");
        state.tickets.retire_due(at, cfg.limits.closed_ticket_retention_ms, &mut state.ticket_keys);
        forget_customers(state, at, cfg.limits.customer_memory_ms);
        apply_configured(state, &Fold { cfg: &cfg, keep_index, at }, event, at, taken_at_once);
    }
    state.last_at = state.last_at.max(at);
    state.events_applied += 1;
}

/// Folds events in order, equal to applying them one by one. One shortcut: a ticket
/// created and taken by an agent at once (`TicketCreated` directly followed by its
/// `TicketAssigned` or `TicketOffered`) is never put into the waiting indexes only to be
/// taken out again.
pub fn apply_all(state: &mut State, events: &[Event]) {
    fold_all(state, events, &mut ());
}

/// Whether `e` is a `TicketCreated` whose ticket `next` hands to an agent at once.
#[inline]
fn taken_at_once(e: &Event, next: Option<&Event>) -> bool {
    match (e, next) {
        (
            Event::TicketCreated { ticket, spec, .. },
            Some(Event::TicketAssigned { ticket: next, .. } | Event::TicketOffered { ticket: next, .. }),
        ) => ticket == next && !spec.bot,
        _ => false,
    }
}

/// Folds one event into the state and `projection` beside it (see [`Projection`]).
pub fn apply_projected(state: &mut State, event: &Event, projection: &mut dyn Projection) {
    fold_one(state, event, projection, true);
}

/// [`apply_all`], folding `projection` beside the state: it sees each event just before
/// and just after it is folded.
pub fn apply_all_projected(state: &mut State, events: &[Event], projection: &mut dyn Projection) {
    projection.fold_all(state, events);
}

/// [`apply_all_projected`] for a projection of a known type (see [`Projection::fold_all`]).
#[inline]
pub(crate) fn fold_all<P: Projection + ?Sized>(state: &mut State, events: &[Event], projection: &mut P) {
    for (i, e) in events.iter().enumerate() {
        projection.before(state, e);
        apply_one(state, e, taken_at_once(e, events.get(i + 1)), true);
        projection.after(state, e);
    }
}

/// [`replay`], folding `projection` beside the state (a projection reads the tables,
/// never the derived indexes that a replay builds at the end).
pub fn replay_projected<'a>(events: impl IntoIterator<Item = &'a Event>, projection: &mut dyn Projection) -> State {
    replay_with(events, projection)
}

/// Folds events in order into a fresh state.
///
/// Equal to applying them one by one, but faster: the tables are folded first and the
/// routing index, age indexes and timers, which are derived from them, are built once at
/// the end.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> State {
    replay_with(events, &mut ())
}

/// [`replay_projected`] for a projection of a known type (none: `()`).
fn replay_with<'a, P: Projection + ?Sized>(events: impl IntoIterator<Item = &'a Event>, projection: &mut P) -> State {
    let mut state = State::new();
    for e in events {
        fold_one(&mut state, e, projection, false);
    }
    end_replay(&mut state);
    state
}

/// Folds one event and `projection` beside it: the tables, and the derived indexes too if
/// `keep_index` (see [`Fold`]).
#[inline]
pub(crate) fn fold_one<P: Projection + ?Sized>(state: &mut State, event: &Event, projection: &mut P, keep_index: bool) {
    projection.before(state, event);
    apply_one(state, event, false, keep_index);
    projection.after(state, event);
}

/// Builds the routing index, age indexes and timers that folds of the tables only
/// ([`fold_one`] without `keep_index`) left behind.
pub(crate) fn end_replay(state: &mut State) {
    if state.config.is_some() {
        rebuild_index(state);
    }
}

/// Folds one event into a configured state: the frequent events of a ticket's life here,
/// the rest in [`apply_other`].
fn apply_configured(state: &mut State, cfg: &Fold<'_>, event: &Event, at: Timestamp, taken_at_once: bool) {
    match event {
        Event::TicketCreated { ticket, spec, .. } => created(state, cfg, *ticket, spec, at, taken_at_once),
        Event::TicketAssigned { ticket, agent, .. } => {
            take(state, cfg, *ticket, *agent, TicketStatus::Assigned, at);
            start_work(state, cfg, *ticket, at);
        }
        Event::TicketOffered { ticket, agent, expires_at, .. } => {
            take(state, cfg, *ticket, *agent, TicketStatus::Offered, at);
            set_timer(state, cfg, *ticket, Timer::Offer(*ticket), Some(*expires_at));
        }
        Event::OfferAccepted { ticket, agent, .. } => {
            let t = ticket_mut(state, *ticket);
            assert_eq!((t.status, t.agent), (TicketStatus::Offered, Some(*agent)), "accepting {ticket}");
            t.status = TicketStatus::Assigned;
            set_timer(state, cfg, *ticket, Timer::Offer(*ticket), None);
            start_work(state, cfg, *ticket, at);
            state.agents[agent.index()].missed_offers = 0;
        }
        Event::AgentReplied { ticket, .. } => {
            ticket_mut(state, *ticket).first_response_at.get_or_insert(at);
            set_timer(state, cfg, *ticket, Timer::Reply(*ticket), None);
            with_clocks(state, cfg, *ticket, at, |sla, policy, cal| {
                for k in [ClockKind::FirstResponse, ClockKind::NextResponse, ClockKind::Update] {
                    sla.clocks[k.index()].stop(cal, at);
                }
                if policy.targets[ClockKind::Update.index()].is_some() {
                    sla.clocks[ClockKind::Update.index()].start(policy, ClockKind::Update, cal, at);
                }
            });
        }
        Event::TicketResolved { ticket, .. } | Event::BotResolved { ticket, .. } => {
            close(state, cfg, *ticket, TicketStatus::Resolved, at);
        }
        Event::WrapUpEnded { agent, ticket, .. } => {
            let wrap_due = wrap_up_due(state, *agent);
            with_agent(state, cfg, *agent, |a| {
                let i = a.wrap_ups.iter().position(|w| w.2 == *ticket).expect("agent wraps up the ticket");
                let (_, channel, _) = a.wrap_ups.remove(i);
                capacity::remove(&mut a.load, channel, &cfg.capacity);
            });
            retime_wrap_up(state, cfg, *agent, wrap_due);
        }
        Event::TicketAbandoned { ticket, .. } => close(state, cfg, *ticket, TicketStatus::Abandoned, at),
        _ => apply_other(state, cfg, event, at),
    }
}

/// Every event but the frequent ones `apply_configured` folds itself: kept out of line, so
/// that the code folding the frequent ones stays small and close together.
#[inline(never)]
fn apply_other(state: &mut State, cfg: &Fold<'_>, event: &Event, at: Timestamp) {
    match event {
        Event::TicketCreated { .. }
        | Event::TicketAssigned { .. }
        | Event::TicketOffered { .. }
        | Event::OfferAccepted { .. }
        | Event::AgentReplied { .. }
        | Event::TicketResolved { .. }
        | Event::BotResolved { .. }
        | Event::WrapUpEnded { .. }
        | Event::TicketAbandoned { .. } => unreachable!("folded by `apply_configured`"),
        Event::Configured { .. } => unreachable!("handled by apply"),
        Event::AgentRegistered { agent, key, team, tier, skills, languages, capacity, .. } => {
            assert_eq!(agent.index(), state.agents.len(), "agents are registered in id order");
            let a = Agent {
                id: *agent,
                key: key.as_str().into(),
                team: *team,
                tier: *tier,
                skills: skills.clone(),
                levels: SkillLevels::new(skills.iter().copied()),
                languages: *languages,
                capacity: *capacity,
                presence: Presence::Offline,
                load: Load::default(),
                idle_since: at,
                last_assigned_seq: 0,
                missed_offers: 0,
                held: Vec::new(),
                wrap_ups: Vec::new(),
            };
            state.agent_keys.insert(a.key.clone(), a.id);
            state.agents.push(a);
        }
        Event::AgentPresenceChanged { agent, presence, .. } => {
            with_agent(state, cfg, *agent, |a| {
                if *presence == Presence::Available && a.presence != Presence::Available {
                    a.idle_since = at;
                }
                if *presence == Presence::Available {
                    a.missed_offers = 0;
                }
                a.presence = *presence;
            });
        }
        Event::AgentSkillsChanged { agent, skills, .. } => {
            change_profile(state, cfg, *agent, |a| {
                a.skills = skills.clone();
                a.levels = SkillLevels::new(skills.iter().copied());
            });
        }
        Event::AgentCapacityChanged { agent, capacity, .. } => {
            change_profile(state, cfg, *agent, |a| a.capacity = *capacity);
        }
        Event::TicketUpdated { ticket, tier, urgency, emotion, .. } => {
            let waiting = ticket_ref(state, *ticket).status == TicketStatus::Queued;
            if waiting {
                unindex_waiting(state, cfg, *ticket);
            }
            let t = ticket_mut(state, *ticket);
            t.tier = *tier;
            t.urgency = *urgency;
            t.emotion = *emotion;
            t.score = score_of(cfg, t);
            sla_rematch(state, cfg, *ticket, at);
            if waiting {
                index_waiting(state, cfg, *ticket);
            }
        }
        Event::CustomerReplied { ticket, .. } => {
            let t = ticket_ref(state, *ticket);
            debug_assert!(!t.status.is_closed());
            if t.first_response_at.is_some() {
                // A message after an agent's reply starts the next-response clock; one that
                // follows another unanswered message (breached or not) is part of the same
                // wait, which counts from the oldest unanswered message: a customer chasing
                // after a breach never turns the breach into a met reply.
                with_clocks(state, cfg, *ticket, at, |sla, policy, cal| {
                    let kind = ClockKind::NextResponse;
                    let next = &mut sla.clocks[kind.index()];
                    if !next.is_open() && policy.targets[kind.index()].is_some() {
                        next.start(policy, kind, cal, at);
                    }
                });
            }
        }
        Event::TicketPending { ticket, .. } | Event::TicketOnHold { ticket, .. } => {
            release(state, cfg, *ticket, at, true);
            let pending = matches!(event, Event::TicketPending { .. });
            ticket_mut(state, *ticket).status =
                if pending { TicketStatus::WaitingOnCustomer } else { TicketStatus::OnHold };
            with_clocks(state, cfg, *ticket, at, |_, _, _| {});
        }
        Event::TicketReactivated { ticket, .. } => {
            let t = ticket_mut(state, *ticket);
            assert!(
                matches!(t.status, TicketStatus::WaitingOnCustomer | TicketStatus::OnHold),
                "ticket {ticket} reactivated while {:?}",
                t.status
            );
            start_wait(t, at);
            with_clocks(state, cfg, *ticket, at, |_, _, _| {});
            enqueue(state, cfg, *ticket, at);
        }
        Event::TicketTransferred { ticket, queue, .. } => {
            if let Err(other) = leave_line_or_agent(state, cfg, *ticket, at) {
                assert!(
                    matches!(other, TicketStatus::WaitingOnCustomer | TicketStatus::OnHold),
                    "closed ticket {ticket} transferred while {other:?}"
                );
            }
            let q = cfg.queue(*queue);
            let t = ticket_mut(state, *ticket);
            t.queue = *queue;
            t.needs = merged_needs(&t.own_skills, &q.needs);
            t.status = TicketStatus::Queued;
            t.queue_entered_at = at;
            t.step = 0;
            t.transfer_count = t.transfer_count.saturating_add(1);
            t.score = score_of(cfg, t);
            sla_rematch(state, cfg, *ticket, at);
            // A transferred pending or held ticket waits for an agent again: its paused
            // clocks run.
            with_clocks(state, cfg, *ticket, at, |_, _, _| {});
            enqueue(state, cfg, *ticket, at);
        }
        Event::TicketRequeued { ticket, reason, .. } => {
            let from = ticket_ref(state, *ticket).agent.expect("requeued ticket was held");
            if *reason == RequeueReason::NoReply {
                withdraw_answer(state, *ticket);
            }
            release(state, cfg, *ticket, at, false);
            if matches!(reason, RequeueReason::OfferDeclined | RequeueReason::OfferExpired | RequeueReason::NoReply) {
                avoid(ticket_mut(state, *ticket), from);
            }
            if *reason == RequeueReason::OfferExpired {
                let a = &mut state.agents[from.index()];
                a.missed_offers = a.missed_offers.saturating_add(1);
            }
            ticket_mut(state, *ticket).status = TicketStatus::Queued;
            enqueue(state, cfg, *ticket, at);
        }
        Event::BotHandedOff { ticket, reason, transcript, .. } => {
            let t = ticket_mut(state, *ticket);
            assert_eq!(t.status, TicketStatus::Bot, "ticket {ticket} handed off by a bot it was not with");
            t.handoff =
                Some(Box::new(crate::ticket::Handoff { at, reason: reason.clone(), transcript: transcript.clone() }));
            t.episode_start = at;
            t.episode_queue = t.queue;
            start_wait(t, at);
            enqueue(state, cfg, *ticket, at);
        }
        Event::TicketExpired { ticket, .. } => close(state, cfg, *ticket, TicketStatus::Expired, at),
        Event::TicketReopened { ticket, .. } => {
            let t = ticket_mut(state, *ticket);
            assert!(t.status.is_closed(), "reopened ticket {} was {:?}", t.id, t.status);
            t.reopen_count = t.reopen_count.saturating_add(1);
            t.no_reply_requeues = 0;
            t.closed_at = None;
            t.answered_at = None;
            t.first_response_at = None;
            let follow_up = t.follow_up_due;
            t.episode_start = at;
            t.episode_queue = t.queue;
            start_wait(t, at);
            state.open_tickets += 1;
            if follow_up.is_some() {
                set_timer(state, cfg, *ticket, Timer::FollowUp(*ticket), None);
            }
            // First reply happens once per ticket: a reopen is a customer message waiting
            // for the next reply, and a new resolution.
            sla_start(state, cfg, *ticket, at, at, &[ClockKind::NextResponse, ClockKind::Resolution]);
            enqueue(state, cfg, *ticket, at);
        }
        Event::TicketStepReached { ticket, step, .. } => {
            unindex_waiting(state, cfg, *ticket);
            let t = ticket_mut(state, *ticket);
            t.step = *step;
            let due = step_due(cfg, t, at);
            set_timer(state, cfg, *ticket, Timer::Step(*ticket), due);
            index_waiting(state, cfg, *ticket);
        }
        Event::TicketPinned { ticket, agent, until, .. } => {
            unindex_waiting(state, cfg, *ticket);
            ticket_mut(state, *ticket).pinned_to = Some(*agent);
            set_timer(state, cfg, *ticket, Timer::Pin(*ticket), Some(*until));
            index_waiting(state, cfg, *ticket);
        }
        Event::TicketUnpinned { ticket, .. } => {
            unindex_waiting(state, cfg, *ticket);
            ticket_mut(state, *ticket).pinned_to = None;
            set_timer(state, cfg, *ticket, Timer::Pin(*ticket), None);
            index_waiting(state, cfg, *ticket);
        }
        Event::SlaWarning { ticket, clock, .. } => {
            with_clocks(state, cfg, *ticket, at, |sla, _, _| sla.clocks[clock.index()].warned = true);
        }
        Event::SlaBreached { ticket, clock, .. } => {
            with_clocks(state, cfg, *ticket, at, |sla, policy, cal| {
                let c = &mut sla.clocks[clock.index()];
                c.breached = true;
                c.plan(policy, *clock, cal);
            });
        }
        // Counted by the metrics projection only.
        Event::SlaMet { .. } | Event::RecurringIssueDetected { .. } => {}
        Event::SlaReminder { ticket, clock, .. } => {
            with_clocks(state, cfg, *ticket, at, |sla, policy, cal| {
                let c = &mut sla.clocks[clock.index()];
                c.reminders = c.reminders.saturating_add(1);
                c.plan(policy, *clock, cal);
            });
        }
        Event::FollowUpDue { ticket, .. } => {
            set_timer(state, cfg, *ticket, Timer::FollowUp(*ticket), None);
        }
        Event::TicketEscalated { ticket, tier, queue, trigger, rule, boost, .. } => {
            let from_tier = cfg.escalation.tier_of(ticket_ref(state, *ticket).queue);
            if let Err(other) = leave_line_or_agent(state, cfg, *ticket, at) {
                panic!("ticket {ticket} escalated while {other:?}");
            }
            let q = cfg.queue(*queue);
            let t = ticket_mut(state, *ticket);
            let bit = rule.map_or(0, |r| 1u32 << r);
            t.rules_fired = if from_tier == Some(usize::from(*tier)) { t.rules_fired | bit } else { bit };
            t.queue = *queue;
            t.needs = merged_needs(&t.own_skills, &q.needs);
            t.status = TicketStatus::Queued;
            t.queue_entered_at = at;
            t.step = 0;
            t.boost = t.boost.saturating_add(*boost);
            if t.escalation_history.len() == crate::ticket::ESCALATIONS_KEPT {
                t.escalation_history.remove(0);
            }
            t.escalation_history.push(crate::ticket::EscalationStep {
                at,
                tier: *tier,
                queue: *queue,
                trigger: *trigger,
            });
            t.escalations = t.escalations.saturating_add(1);
            t.score = score_of(cfg, t);
            sla_rematch(state, cfg, *ticket, at);
            enqueue(state, cfg, *ticket, at);
        }
        Event::OverflowOpened { queue, .. } | Event::OverflowClosed { queue, .. } => {
            state.queues[queue.index()].overflow_open = matches!(event, Event::OverflowOpened { .. });
            refresh_overflow(state, cfg, *queue, at);
        }
    }
}

/// Takes a ticket that moves to another queue out of where it is: out of line if it waits,
/// or from its agent (who it then avoids) if it is held or offered. Its status otherwise.
fn leave_line_or_agent(state: &mut State, cfg: &Fold<'_>, ticket: TicketId, at: Timestamp) -> Result<(), TicketStatus> {
    let t = ticket_ref(state, ticket);
    match t.status {
        TicketStatus::Queued => dequeue(state, cfg, ticket, at),
        TicketStatus::Assigned | TicketStatus::Offered => {
            let from = t.agent.expect("held ticket has an agent");
            release(state, cfg, ticket, at, false);
            avoid(ticket_mut(state, ticket), from);
        }
        other => return Err(other),
    }
    Ok(())
}

fn configure(state: &mut State, config: &Arc<Config>, at: Timestamp, keep_index: bool) {
    state.config = Some(config.clone());
    state.queues.resize_with(config.queues().len(), QueueState::default);
    // Scores, merged needs and deadlines depend on the rules: recompute them for every
    // waiting ticket, then rebuild what is derived.
    let waiting: Vec<TicketId> =
        state.tickets.iter().filter(|t| t.status == TicketStatus::Queued).map(|t| t.id).collect();
    for id in waiting {
        let t = state.tickets.get_mut(id).expect("listed ticket exists");
        let q = config.queue(t.queue);
        t.needs = merged_needs(&t.own_skills, &q.needs);
        t.score = score_of(config, t);
        t.step = t.step.min((q.steps.len() - 1) as u8);
        t.step_due = step_due(config, t, at);
        t.expires_at = expiry(config, t, at);
    }
    if keep_index {
        rebuild_index(state);
    }
}

#[inline]
fn ticket_ref(state: &State, id: TicketId) -> &Ticket {
    state.tickets.get(id).unwrap_or_else(|| unknown_ticket(id))
}

#[inline]
fn ticket_mut(state: &mut State, id: TicketId) -> &mut Ticket {
    state.tickets.get_mut(id).unwrap_or_else(|| unknown_ticket(id))
}

#[cold]
#[inline(never)]
fn unknown_ticket(id: TicketId) -> ! {
    panic!("event names unknown ticket {id}")
}
