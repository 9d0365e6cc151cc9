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
use crate::channel::Channel;
use crate::config::Config;
use crate::event::{Event, RequeueReason};
use crate::id::{AgentId, CustomerId, QueueId, TicketId};
use crate::priority;
use crate::projection::Projection;
use crate::routing::{ReqKey, RoutingIndex, Slot};
use crate::skill::{SkillLevels, SkillNeeds};
use crate::sla::{ClockKind, Sla};
use crate::state::{Customer, QueueState, State, Timer};
use crate::ticket::{Ticket, TicketSpec, TicketStatus};
use crate::time::Timestamp;
use std::sync::Arc;

/// Folds one event into the state.
pub fn apply(state: &mut State, event: &Event) {
    apply_one(state, event, false);
}

/// Folds one event; `taken_at_once`: it is a `TicketCreated` whose ticket the next event
/// hands to an agent (see [`apply_all`]), so it is never indexed as waiting.
fn apply_one(state: &mut State, event: &Event, taken_at_once: bool) {
    let at = event.at();
    debug_assert!(at >= state.last_at, "event at {at} applied after one at {}", state.last_at);
    if let Event::Configured { config, .. } = event {
        configure(state, config, at);
    } else {
        let cfg = state.config.clone().expect("first event configures the engine");
        state.tickets.retire_due(at, cfg.limits.closed_ticket_retention_ms, &mut state.ticket_keys);
        forget_customers(state, at, cfg.limits.customer_memory_ms);
        apply_configured(state, &cfg, event, at, taken_at_once);
    }
    state.last_at = state.last_at.max(at);
    state.events_applied += 1;
}

/// Folds events in order, equal to applying them one by one. One shortcut: a ticket
/// created and taken by an agent at once (`TicketCreated` directly followed by its
/// `TicketAssigned` or `TicketOffered`) is never put into the waiting indexes only to be
/// taken out again.
pub fn apply_all(state: &mut State, events: &[Event]) {
    for (i, e) in events.iter().enumerate() {
        apply_one(state, e, taken_at_once(e, events.get(i + 1)));
    }
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
    projection.before(state, event);
    apply_one(state, event, false);
    projection.after(state, event);
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
        apply_one(state, e, taken_at_once(e, events.get(i + 1)));
        projection.after(state, e);
    }
}

/// [`replay`], folding `projection` beside the state (a projection reads the tables,
/// never the derived indexes that a replay builds at the end).
pub fn replay_projected<'a>(events: impl IntoIterator<Item = &'a Event>, projection: &mut dyn Projection) -> State {
    let mut state = State::new();
    begin_replay(&mut state);
    for e in events {
        apply_projected(&mut state, e, projection);
    }
    end_replay(&mut state);
    state
}

/// Folds events in order into a fresh state.
///
/// Equal to applying them one by one, but faster: the tables are folded first and the
/// routing index, age indexes and timers, which are derived from them, are built once at
/// the end.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> State {
    let mut state = State::new();
    begin_replay(&mut state);
    for e in events {
        apply(&mut state, e);
    }
    end_replay(&mut state);
    state
}

/// From here on, `apply` folds the tables only; [`end_replay`] builds what is derived.
pub(crate) fn begin_replay(state: &mut State) {
    state.deferred_index = true;
}

/// Builds the routing index, age indexes and timers the folds since [`begin_replay`] left
/// out, and goes back to keeping them event by event.
pub(crate) fn end_replay(state: &mut State) {
    state.deferred_index = false;
    if state.config.is_some() {
        rebuild_index(state);
    }
}

/// Folds one event into a configured state: the frequent events of a ticket's life here,
/// the rest in [`apply_other`].
fn apply_configured(state: &mut State, cfg: &Config, event: &Event, at: Timestamp, taken_at_once: bool) {
    match event {
        Event::TicketCreated { ticket, spec, .. } => created(state, cfg, *ticket, spec, at, taken_at_once),
        Event::TicketAssigned { ticket, agent, .. } => {
            take(state, cfg, *ticket, *agent, TicketStatus::Assigned, at);
            start_work(state, cfg, *ticket, at);
        }
        Event::TicketOffered { ticket, agent, expires_at, .. } => {
            take(state, cfg, *ticket, *agent, TicketStatus::Offered, at);
            set_timer(state, *ticket, Timer::Offer(*ticket), Some(*expires_at));
        }
        Event::OfferAccepted { ticket, agent, .. } => {
            let t = ticket_mut(state, *ticket);
            assert_eq!((t.status, t.agent), (TicketStatus::Offered, Some(*agent)), "accepting {ticket}");
            t.status = TicketStatus::Assigned;
            set_timer(state, *ticket, Timer::Offer(*ticket), None);
            start_work(state, cfg, *ticket, at);
            state.agents[agent.index()].missed_offers = 0;
        }
        Event::AgentReplied { ticket, .. } => {
            ticket_mut(state, *ticket).first_response_at.get_or_insert(at);
            set_timer(state, *ticket, Timer::Reply(*ticket), None);
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
            retime_wrap_up(state, *agent, wrap_due);
        }
        Event::TicketAbandoned { ticket, .. } => close(state, cfg, *ticket, TicketStatus::Abandoned, at),
        _ => apply_other(state, cfg, event, at),
    }
}

/// Every event but the frequent ones `apply_configured` folds itself: kept out of line, so
/// that the code folding the frequent ones stays small and close together.
#[inline(never)]
fn apply_other(state: &mut State, cfg: &Config, event: &Event, at: Timestamp) {
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
                unindex_waiting(state, *ticket);
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
            let t = ticket_ref(state, *ticket);
            match t.status {
                TicketStatus::Queued => dequeue(state, cfg, *ticket, at),
                TicketStatus::Assigned | TicketStatus::Offered => {
                    let from = t.agent.expect("held ticket has an agent");
                    release(state, cfg, *ticket, at, false);
                    avoid(ticket_mut(state, *ticket), from);
                }
                TicketStatus::WaitingOnCustomer | TicketStatus::OnHold => {}
                other => panic!("closed ticket {ticket} transferred while {other:?}"),
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
                set_timer(state, *ticket, Timer::FollowUp(*ticket), None);
            }
            // First reply happens once per ticket: a reopen is a customer message waiting
            // for the next reply, and a new resolution.
            sla_start(state, cfg, *ticket, at, at, &[ClockKind::NextResponse, ClockKind::Resolution]);
            enqueue(state, cfg, *ticket, at);
        }
        Event::TicketStepReached { ticket, step, .. } => {
            unindex_waiting(state, *ticket);
            let t = ticket_mut(state, *ticket);
            t.step = *step;
            let due = step_due(cfg, t, at);
            set_timer(state, *ticket, Timer::Step(*ticket), due);
            index_waiting(state, cfg, *ticket);
        }
        Event::TicketPinned { ticket, agent, until, .. } => {
            unindex_waiting(state, *ticket);
            ticket_mut(state, *ticket).pinned_to = Some(*agent);
            set_timer(state, *ticket, Timer::Pin(*ticket), Some(*until));
            index_waiting(state, cfg, *ticket);
        }
        Event::TicketUnpinned { ticket, .. } => {
            unindex_waiting(state, *ticket);
            ticket_mut(state, *ticket).pinned_to = None;
            set_timer(state, *ticket, Timer::Pin(*ticket), None);
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
            set_timer(state, *ticket, Timer::FollowUp(*ticket), None);
        }
        Event::TicketEscalated { ticket, tier, queue, trigger, rule, boost, .. } => {
            let t = ticket_ref(state, *ticket);
            let from_tier = cfg.escalation.tier_of(t.queue);
            match t.status {
                TicketStatus::Queued => dequeue(state, cfg, *ticket, at),
                TicketStatus::Assigned | TicketStatus::Offered => {
                    let from = t.agent.expect("held ticket has an agent");
                    release(state, cfg, *ticket, at, false);
                    avoid(ticket_mut(state, *ticket), from);
                }
                other => panic!("ticket {ticket} escalated while {other:?}"),
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

/// A new ticket: its record, the customer's contact, its SLA, and its place in waiting
/// (unless the next event hands it to an agent at once).
fn created(state: &mut State, cfg: &Config, ticket: TicketId, spec: &TicketSpec, at: Timestamp, taken_at_once: bool) {
    let queue = spec.queue.expect("decide resolves the queue");
    let q = cfg.queue(queue);
    // Taken by the next event: waits for no time, so is never indexed.
    let taken_at_once = taken_at_once && !spec.bot;
    let needs = merged_needs(&spec.skills, &q.needs);
    let t = state.tickets.insert_with(|| Ticket {
        id: ticket,
        key: spec.key.as_deref().map(Into::into),
        customer: spec.customer,
        channel: spec.channel,
        category: spec.category,
        queue,
        own_skills: spec.skills,
        needs,
        language: spec.language,
        tier: spec.tier,
        urgency: spec.urgency,
        emotion: spec.emotion,
        created_at: at,
        episode_start: at,
        episode_queue: queue,
        status: if spec.bot { TicketStatus::Bot } else { TicketStatus::Queued },
        queued_since: at,
        queue_entered_at: at,
        step: 0,
        score: priority::score(&q.weights, spec.tier, spec.urgency, spec.emotion, spec.channel),
        sla: None,
        boost: 0,
        escalations: 0,
        rules_fired: 0,
        prio_deadline: None,
        agent: None,
        last_agent: None,
        answered_at: None,
        first_response_at: None,
        closed_at: None,
        reopen_count: 0,
        transfer_count: 0,
        no_reply_requeues: 0,
        avoid_agents: Vec::new(),
        ttl_ms: spec.ttl_s.map(|s| i64::from(s) * 1000),
        pinned_to: None,
        held_since: None,
        step_due: None,
        pin_until: None,
        offer_expires: None,
        reply_due: None,
        expires_at: None,
        follow_up_due: None,
        handoff: None,
        customer_key: spec.customer_key.as_deref().map(Into::into),
        escalation_history: Vec::new(),
        bucket: Slot::NONE,
        unindexed: taken_at_once,
    });
    if let Some(k) = &t.key {
        state.ticket_keys.insert(k.clone(), t.id);
    }
    let req = ReqKey { needs, language: spec.language, channel: spec.channel };
    state.open_tickets += 1;
    if let Some(c) = touch_customer(state, spec.customer, at, cfg.limits.customer_memory_ms) {
        c.contacts.push(at, spec.category);
    }
    if let Some(cat) = spec.category {
        let window = cfg.escalation.repeat_window_ms(crate::escalation::RepeatBy::Category);
        if window > 0 {
            let v = state.category_contacts.entry(cat).or_default();
            v.push_back(at);
            while v.front().is_some_and(|&t| t.plus_ms(window) <= at) {
                v.pop_front();
            }
        }
    }
    if cfg.sla.policy_for(spec.channel, spec.tier, spec.urgency, queue).is_some() {
        sla_start(state, cfg, ticket, at, at, &[ClockKind::FirstResponse, ClockKind::Resolution]);
    }
    if !spec.bot {
        if taken_at_once {
            // Never indexed as waiting. Its bucket is made all the same (once per
            // requirement class), so that the next such arrival finds the pools that fit
            // it without working them out.
            if !state.deferred_index {
                state.index.bucket(cfg, queue, 0, req);
            }
        } else {
            enqueue(state, cfg, ticket, at);
        }
    }
}

/// A ticket's static score in its queue: weighted tier, urgency, emotion and channel, plus
/// the points its escalations added.
fn score_of(cfg: &Config, t: &Ticket) -> i64 {
    priority::score(&cfg.queue(t.queue).weights, t.tier, t.urgency, t.emotion, t.channel).saturating_add(t.boost)
}

/// Changes a ticket's SLA clocks at `at`, keeping their timers in step, then pauses or
/// resumes each clock as the policy says for the ticket's status. Nothing if no policy
/// applies.
fn with_clocks(
    state: &mut State,
    cfg: &Config,
    id: TicketId,
    at: Timestamp,
    f: impl FnOnce(&mut Sla, &crate::sla::SlaPolicy, &crate::calendar::Calendar),
) {
    let t = ticket_mut(state, id);
    let status = t.status;
    let Some(sla) = t.sla.as_deref_mut() else { return };
    let old = sla.clocks.map(|c| c.next_due());
    let policy = &cfg.sla.policies[usize::from(sla.policy)];
    let cal = cfg.sla.calendar(sla.policy);
    f(sla, policy, cal);
    sla.follow_status(policy, cal, status, at);
    let new = sla.clocks.map(|c| c.next_due());
    if state.deferred_index {
        return;
    }
    for k in ClockKind::ALL {
        retime(&mut state.timers, Timer::Sla(id, k), old[k.index()], new[k.index()]);
    }
}

/// Starts a ticket's SLA for a new episode: the policy matching it now, with its `kinds`
/// of clock (first response and resolution at first contact; next response and resolution
/// at a reopen) counting from `origin`.
fn sla_start(state: &mut State, cfg: &Config, id: TicketId, origin: Timestamp, at: Timestamp, kinds: &[ClockKind]) {
    let t = ticket_ref(state, id);
    let policy = cfg.sla.policy_for(t.channel, t.tier, t.urgency, t.queue);
    if policy.is_none() && t.sla.is_none() {
        return; // no clocks ran, none start
    }
    with_clocks(state, cfg, id, at, |sla, _, cal| {
        sla.clocks.iter_mut().for_each(|c| {
            c.stop(cal, at);
        })
    });
    ticket_mut(state, id).sla = policy.map(|policy| Box::new(Sla { policy, clocks: Default::default() }));
    with_clocks(state, cfg, id, at, |sla, policy, cal| {
        for &k in kinds {
            if policy.targets[k.index()].is_some() {
                let c = &mut sla.clocks[k.index()];
                c.start(policy, k, cal, origin);
                if origin < at {
                    c.checkpoint(cal, at);
                    c.plan(policy, k, cal);
                }
            }
        }
    });
}

/// Matches a ticket's policy again after its attributes or queue changed; running and
/// paused clocks keep their elapsed time and take the new policy's targets (and pause
/// rules).
fn sla_rematch(state: &mut State, cfg: &Config, id: TicketId, at: Timestamp) {
    let t = ticket_ref(state, id);
    let new = cfg.sla.policy_for(t.channel, t.tier, t.urgency, t.queue);
    let old = t.sla.as_ref().map(|s| s.policy);
    if new == old {
        return;
    }
    let (origin, replied, reopened) = (t.episode_start, t.first_response_at.is_some(), t.reopen_count > 0);
    match (old, new) {
        (_, None) => {
            with_clocks(state, cfg, id, at, |sla, _, cal| {
                sla.clocks.iter_mut().for_each(|c| {
                    c.stop(cal, at);
                })
            });
            ticket_mut(state, id).sla = None;
        }
        (None, Some(_)) => {
            // Clocks count from the start of the episode, as if the policy had applied: the
            // first response (or, in a reopened episode, the next response) unless an agent
            // has replied in it, and the resolution.
            let reply = if reopened { ClockKind::NextResponse } else { ClockKind::FirstResponse };
            let kinds: &[ClockKind] = if replied { &[ClockKind::Resolution] } else { &[reply, ClockKind::Resolution] };
            sla_start(state, cfg, id, origin, at, kinds);
        }
        (Some(_), Some(new)) => {
            // Fold the time so far on the old calendar, then continue on the new policy.
            with_clocks(state, cfg, id, at, |sla, _, cal| sla.clocks.iter_mut().for_each(|c| c.checkpoint(cal, at)));
            let policy = &cfg.sla.policies[usize::from(new)];
            let cal = cfg.sla.calendar(new);
            with_clocks(state, cfg, id, at, |sla, _, _| {
                sla.policy = new;
                for k in ClockKind::ALL {
                    sla.clocks[k.index()].retarget(policy, k, cal, at);
                }
            });
        }
    }
}

/// The ticket's own needs merged with its queue's (decide guarantees it fits).
pub(crate) fn merged_needs(own: &SkillNeeds, queue: &SkillNeeds) -> SkillNeeds {
    own.merged(queue).expect("decide checked the merged requirement fits")
}

/// Starts a new wait episode: customer waits again from now, at step 0.
fn start_wait(t: &mut Ticket, at: Timestamp) {
    t.status = TicketStatus::Queued;
    t.queued_since = at;
    t.queue_entered_at = at;
    t.step = 0;
}

fn avoid(t: &mut Ticket, agent: AgentId) {
    if !t.avoid_agents.contains(&agent) {
        t.avoid_agents.push(agent);
    }
}

fn configure(state: &mut State, config: &Arc<Config>, at: Timestamp) {
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
    if !state.deferred_index {
        rebuild_index(state);
    }
}

/// Builds the routing index, the queues' age indexes and the timers from the tables.
fn rebuild_index(state: &mut State) {
    let config = state.config.clone().expect("configured");
    let now = state.last_at;
    state.index = RoutingIndex::new(&config);
    state.timers.clear();
    for q in &mut state.queues {
        q.by_age.clear();
        q.overflow_due = None;
    }
    for a in state.agents.iter().filter(|a| a.presence != Presence::Offline) {
        state.index.join(&config, a);
        state.index.agent_in(a, &config);
    }
    for t in state.tickets.iter() {
        state.timers.extend(t.timers());
    }
    for a in &state.agents {
        if let Some(&(until, _, _)) = a.wrap_ups.first() {
            state.timers.insert((until, Timer::WrapUp(a.id)));
        }
    }
    // What a ticket remembers of the index is rebuilt with it: a state restored from a
    // snapshot had its waiting tickets indexed, and a ticket taken since (folded without
    // the index) would otherwise keep its old bucket and priority deadline.
    for t in state.tickets.records_mut() {
        t.bucket = Slot::NONE;
        t.prio_deadline = None;
    }
    let waiting: Vec<TicketId> = state.tickets.iter().filter(|t| t.is_waiting()).map(|t| t.id).collect();
    for id in waiting {
        index_waiting(state, &config, id);
    }
    for q in 0..state.queues.len() {
        refresh_overflow(state, &config, QueueId(q as u16), now);
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

/// Sets one of a ticket's timers (its due time is a ticket field), keeping the timer set
/// in step.
fn set_timer(state: &mut State, id: TicketId, timer: Timer, due: Option<Timestamp>) {
    set_timers(state, id, &[(timer, due)]);
}

/// Sets several of a ticket's timers with one lookup of the ticket.
fn set_timers(state: &mut State, id: TicketId, changes: &[(Timer, Option<Timestamp>)]) {
    let t = state.tickets.get_mut(id).unwrap_or_else(|| unknown_ticket(id));
    for &(timer, due) in changes {
        let field = match timer {
            Timer::Step(_) => &mut t.step_due,
            Timer::Pin(_) => &mut t.pin_until,
            Timer::Offer(_) => &mut t.offer_expires,
            Timer::Reply(_) => &mut t.reply_due,
            Timer::Expiry(_) => &mut t.expires_at,
            Timer::FollowUp(_) => &mut t.follow_up_due,
            Timer::Overflow(_) | Timer::WrapUp(_) | Timer::Sla(..) => unreachable!("not a ticket timer field"),
        };
        let old = std::mem::replace(field, due);
        if !state.deferred_index {
            let removed = retime(&mut state.timers, timer, old, due);
            debug_assert!(removed, "{timer:?} due {old:?} missing");
        }
    }
}

/// Moves `timer` in the timer set from due `old` to due `new` (either may be none).
/// Whether the old entry was there (or there was none to remove).
fn retime(
    timers: &mut std::collections::BTreeSet<(Timestamp, Timer)>,
    timer: Timer,
    old: Option<Timestamp>,
    new: Option<Timestamp>,
) -> bool {
    if old == new {
        return true;
    }
    let removed = old.is_none_or(|old| timers.remove(&(old, timer)));
    if let Some(new) = new {
        timers.insert((new, timer));
    }
    removed
}

/// Changes an agent's working state (presence, load, keys), keeping the pool free sets
/// in step.
fn with_agent(state: &mut State, cfg: &Config, id: AgentId, f: impl FnOnce(&mut Agent)) {
    let a = state.agents.get_mut(id.index()).unwrap_or_else(|| panic!("event names unknown agent {id}"));
    if state.deferred_index {
        f(a);
    } else {
        let was_online = a.presence != Presence::Offline;
        state.index.agent_out(a);
        f(a);
        // Pools hold the agents logged in: logging in joins one, logging out leaves it.
        match (was_online, a.presence != Presence::Offline) {
            (false, true) => state.index.join(cfg, a),
            (true, false) => state.index.leave(id),
            _ => {}
        }
        state.index.agent_in(a, cfg);
    }
}

/// Changes an agent's profile (skills, capacity), moving it to the matching pool.
fn change_profile(state: &mut State, cfg: &Config, id: AgentId, f: impl FnOnce(&mut Agent)) {
    let a = state.agents.get_mut(id.index()).unwrap_or_else(|| panic!("event names unknown agent {id}"));
    if state.deferred_index {
        f(a);
        return;
    }
    state.index.agent_out(a);
    f(a);
    if a.presence != Presence::Offline {
        // Leaves its old pool after joining the new one, so that a change that keeps the
        // profile does not drop and rebuild the pool it stays in.
        let old = state.index.pool_of[id.index()];
        state.index.join(cfg, a);
        state.index.release(old);
    }
    state.index.agent_in(a, cfg);
}

/// When the ticket's next relaxation step is due, if one is left; a step whose time has
/// passed already (a re-queued ticket keeps its time in the queue) is due at `now`.
fn step_due(cfg: &Config, t: &Ticket, now: Timestamp) -> Option<Timestamp> {
    let next = cfg.queue(t.queue).steps.get(usize::from(t.step) + 1)?;
    Some(t.queue_entered_at.plus_ms(next.after_ms).max(now))
}

/// When a waiting ticket expires: the earlier of its own time-to-live (from creation) and
/// its queue's (from entering the queue), but never before `now`.
fn expiry(cfg: &Config, t: &Ticket, now: Timestamp) -> Option<Timestamp> {
    let own = t.ttl_ms.map(|ms| t.created_at.plus_ms(ms));
    let queue = cfg.queue(t.queue).ticket_ttl_ms.map(|ms| t.queue_entered_at.plus_ms(ms));
    own.into_iter().chain(queue).min().map(|due| due.max(now))
}

/// Marks a ticket as waiting from `now` on: its step and expiry deadlines, and (unless
/// deferred) its place in the routing index and age index.
fn enqueue(state: &mut State, cfg: &Config, id: TicketId, now: Timestamp) {
    let t = ticket_ref(state, id);
    debug_assert_eq!(t.status, TicketStatus::Queued);
    let (step, exp) = (step_due(cfg, t, now), expiry(cfg, t, now));
    set_timers(state, id, &[(Timer::Step(id), step), (Timer::Expiry(id), exp)]);
    index_waiting(state, cfg, id);
    let queue = ticket_ref(state, id).queue;
    refresh_overflow(state, cfg, queue, now);
}

/// Takes a ticket out of waiting: routing index, age index, and its waiting timers.
fn dequeue(state: &mut State, cfg: &Config, id: TicketId, now: Timestamp) {
    let t = ticket_mut(state, id);
    if std::mem::take(&mut t.unindexed) {
        return;
    }
    unindex_waiting(state, id);
    set_timers(state, id, &[(Timer::Step(id), None), (Timer::Expiry(id), None), (Timer::Pin(id), None)]);
    let t = ticket_mut(state, id);
    t.pinned_to = None;
    let queue = t.queue;
    refresh_overflow(state, cfg, queue, now);
}

/// Puts a waiting ticket into its bucket (or its agent's pinned set) and its queue's age
/// index. Nothing while the index is deferred.
fn index_waiting(state: &mut State, cfg: &Config, id: TicketId) {
    if state.deferred_index {
        return;
    }
    let t = ticket_mut(state, id);
    debug_assert!(t.bucket.get().is_none(), "ticket {id} indexed twice");
    t.prio_deadline = t.nearest_deadline();
    let t = ticket_ref(state, id);
    let wk = state.wait_key(t);
    let (queue, step, since, pinned) = (t.queue, t.step, t.queued_since, t.pinned_to);
    let req = ReqKey { needs: t.needs, language: t.language, channel: t.channel };
    state.queues[queue.index()].by_age.insert((since, id));
    if let Some(agent) = pinned {
        let inserted = state.index.pinned.entry(agent).or_default().insert(wk);
        assert!(inserted, "ticket {id} pinned twice");
        return;
    }
    let b = state.index.bucket(cfg, queue, step, req);
    state.index.insert_waiting(b, wk);
    let ranked = state.index.ranks[queue.index()].insert(wk);
    assert!(ranked, "ticket {id} ranked twice");
    ticket_mut(state, id).bucket = Slot(b);
}

/// Takes a waiting ticket out of its bucket (or pinned set) and age index.
fn unindex_waiting(state: &mut State, id: TicketId) {
    if state.deferred_index {
        return;
    }
    let t = ticket_ref(state, id);
    let wk = state.wait_key(t);
    let (queue, since, pinned, bucket) = (t.queue, t.queued_since, t.pinned_to, t.bucket.get());
    state.queues[queue.index()].by_age.remove(&(since, id));
    if let Some(agent) = pinned {
        let removed = state.index.pinned.get_mut(&agent).is_some_and(|s| s.remove(&wk));
        assert!(removed, "ticket {id} missing from its pinned set");
    } else {
        let b = bucket.unwrap_or_else(|| panic!("ticket {id} is not in a bucket"));
        state.index.remove_waiting(b, &wk);
        let unranked = state.index.ranks[queue.index()].remove(&wk);
        assert!(unranked, "ticket {id} missing from its queue's ranks");
    }
    let t = ticket_mut(state, id);
    t.bucket = Slot::NONE;
    t.prio_deadline = None;
}

/// Whether `queue`'s overflow rule, applied at `at` to the current waiting tickets, says
/// to open (`Some(true)`) or close (`Some(false)`) it.
pub(crate) fn overflow_transition(state: &State, cfg: &Config, queue: QueueId, at: Timestamp) -> Option<bool> {
    let o = cfg.queue(queue).overflow.as_ref()?;
    let qs = &state.queues[queue.index()];
    let waiting = qs.by_age.len() as u64;
    let oldest = qs.by_age.first().map_or(0, |&(since, _)| at.since(since).max(0));
    if !qs.overflow_open {
        let by_count = o.open_waiting.is_some_and(|w| waiting >= u64::from(w));
        let by_wait = o.open_oldest_wait_ms.is_some_and(|w| waiting > 0 && oldest >= w);
        (by_count || by_wait).then_some(true)
    } else {
        (waiting <= u64::from(o.close_waiting) && oldest <= o.close_oldest_wait_ms).then_some(false)
    }
}

/// Re-times `queue`'s overflow check: now if the rule already says to change, else when
/// the oldest waiting ticket will reach the opening wait, else never (counts change only
/// with events, which re-time it).
fn refresh_overflow(state: &mut State, cfg: &Config, queue: QueueId, now: Timestamp) {
    if state.deferred_index {
        return;
    }
    let Some(o) = cfg.queue(queue).overflow.as_ref() else { return };
    let due = if overflow_transition(state, cfg, queue, now).is_some() {
        Some(now)
    } else {
        let qs = &state.queues[queue.index()];
        match (qs.overflow_open, o.open_oldest_wait_ms, qs.by_age.first()) {
            (false, Some(w), Some(&(since, _))) => Some(since.plus_ms(w).max(now)),
            _ => None,
        }
    };
    let qs = &mut state.queues[queue.index()];
    let old = std::mem::replace(&mut qs.overflow_due, due);
    retime(&mut state.timers, Timer::Overflow(queue), old, due);
}

/// An agent takes (`status` assigned) or is offered a waiting ticket.
fn take(state: &mut State, cfg: &Config, id: TicketId, agent: AgentId, status: TicketStatus, at: Timestamp) {
    let mut t = ticket_mut(state, id);
    assert_eq!(t.status, TicketStatus::Queued, "ticket {id} taken while {:?}", t.status);
    let channel = t.channel;
    if t.unindexed {
        t.unindexed = false; // never entered the waiting indexes
    } else {
        dequeue(state, cfg, id, at);
        t = ticket_mut(state, id);
    }
    t.status = status;
    t.agent = Some(agent);
    t.held_since = Some(at);
    state.assign_seq += 1;
    let seq = state.assign_seq;
    with_agent(state, cfg, agent, |a| {
        capacity::add(&mut a.load, channel, &cfg.capacity);
        a.idle_since = at;
        a.last_assigned_seq = seq;
        a.held.push(id);
    });
}

/// An agent starts working the ticket (assigned, or accepted an offer): marks the episode
/// answered the first time in it, and arms the reply timer if the queue has one and
/// nobody has replied yet.
fn start_work(state: &mut State, cfg: &Config, id: TicketId, at: Timestamp) {
    let t = state.tickets.get_mut(id).unwrap_or_else(|| unknown_ticket(id));
    let q = cfg.queue(t.queue);
    let reply_due = match q.reply_timeout_ms {
        // After `reply_requeues_max` takes back in this episode, the agent keeps it.
        Some(ms) if t.first_response_at.is_none() && t.no_reply_requeues < q.reply_requeues_max => Some(at.plus_ms(ms)),
        _ => None,
    };
    let rearm = reply_due != t.reply_due;
    if t.answered_at.is_none() {
        t.answered_at = Some(at);
    }
    if rearm {
        set_timer(state, id, Timer::Reply(id), reply_due);
    }
}

/// A ticket taken back because its agent did not reply in time: the take was no answer.
/// If the episode was answered during this hold, it is unanswered again (its wait goes on
/// from the same start; the metrics projection withdraws the answer it counted); the
/// no-reply count goes up.
fn withdraw_answer(state: &mut State, id: TicketId) {
    let t = ticket_mut(state, id);
    t.no_reply_requeues = t.no_reply_requeues.saturating_add(1);
    let (Some(answered), Some(held)) = (t.answered_at, t.held_since) else { return };
    if answered < held {
        return; // answered by an earlier hold (an agent who then went offline)
    }
    t.answered_at = None;
}

/// Frees the agent holding `id` (assigned or offered); the ticket keeps `last_agent`.
/// `served`: the agent handled it (resolved, or now waits on the customer), which counts
/// for the queue's handle time, makes the agent the customer's sticky agent, and starts
/// the agent's after-contact work, during which the slot stays taken.
fn release(state: &mut State, cfg: &Config, id: TicketId, at: Timestamp, served: bool) {
    let t = ticket_mut(state, id);
    let timers = t.offer_expires.is_some() || t.reply_due.is_some();
    let held = unhold(t, served, at);
    free_agent(state, cfg, id, held, timers, at);
}

/// What the agent releasing a ticket held, as [`unhold`] took it off the ticket.
struct Held {
    agent: AgentId,
    served: bool,
    held_ms: i64,
    channel: Channel,
    queue: QueueId,
    customer: CustomerId,
}

/// The ticket side of [`release`]: takes the agent off the ticket (keeping it as
/// `last_agent`).
fn unhold(t: &mut Ticket, served: bool, at: Timestamp) -> Held {
    let agent = t.agent.take().unwrap_or_else(|| panic!("ticket {} has no agent to release", t.id));
    t.last_agent = Some(agent);
    Held {
        agent,
        served: served && t.status == TicketStatus::Assigned,
        held_ms: t.held_since.take().map_or(0, |since| at.since(since)),
        channel: t.channel,
        queue: t.queue,
        customer: t.customer,
    }
}

/// The agent side of [`release`], after [`unhold`]: clears the offer and reply timers (if
/// `timers`, some is set), frees the agent's slot or starts its after-contact work, and
/// keeps the queue's recent handle time and the customer's last agent.
fn free_agent(state: &mut State, cfg: &Config, id: TicketId, held: Held, timers: bool, at: Timestamp) {
    if timers {
        set_timers(state, id, &[(Timer::Offer(id), None), (Timer::Reply(id), None)]);
    }
    let Held { agent, served, held_ms, channel, queue, customer } = held;
    let team = state.agents[agent.index()].team;
    let wrap_ms = if served { cfg.wrap_up_ms(team, queue) } else { 0 };
    let wrap_due = wrap_up_due(state, agent);
    with_agent(state, cfg, agent, |a| {
        if wrap_ms > 0 {
            let until = at.plus_ms(wrap_ms);
            let i = a.wrap_ups.partition_point(|w| (w.0, w.2) <= (until, id));
            a.wrap_ups.insert(i, (until, channel, id));
        } else {
            capacity::remove(&mut a.load, channel, &cfg.capacity);
        }
        a.idle_since = at;
        let i = a.held.iter().position(|&h| h == id).expect("agent holds the released ticket");
        a.held.remove(i);
    });
    retime_wrap_up(state, agent, wrap_due);
    if served {
        // Handle time includes the after-contact work that follows.
        let handle_ms = (held_ms + wrap_ms).max(0);
        let q = &mut state.queues[queue.index()];
        q.handle_ms_ewma =
            if q.handled == 0 { handle_ms } else { q.handle_ms_ewma + (handle_ms - q.handle_ms_ewma) / 16 };
        q.handled += 1;
        if let Some(c) = touch_customer(state, customer, at, cfg.limits.customer_memory_ms) {
            c.last_agent = Some(agent);
            c.last_served_at = at;
        }
    }
}

/// The earliest end of an agent's after-contact work, if any (its wrap-up timer's due).
fn wrap_up_due(state: &State, agent: AgentId) -> Option<Timestamp> {
    state.agents[agent.index()].wrap_ups.first().map(|w| w.0)
}

/// Moves an agent's wrap-up timer from `old` (its due before the change) to its earliest
/// after-contact work now, if any.
fn retime_wrap_up(state: &mut State, agent: AgentId, old: Option<Timestamp>) {
    let new = wrap_up_due(state, agent);
    if !state.deferred_index {
        retime(&mut state.timers, Timer::WrapUp(agent), old, new);
    }
}

fn close(state: &mut State, cfg: &Config, id: TicketId, status: TicketStatus, at: Timestamp) {
    let t = ticket_mut(state, id);
    let (was, has_sla) = (t.status, t.sla.is_some());
    let timers = t.offer_expires.is_some() || t.reply_due.is_some();
    let resolved = status == TicketStatus::Resolved;
    let held = match was {
        TicketStatus::Assigned | TicketStatus::Offered => Some(unhold(t, resolved, at)),
        TicketStatus::Queued | TicketStatus::WaitingOnCustomer | TicketStatus::OnHold | TicketStatus::Bot => None,
        closed => panic!("ticket {id} closed twice (was {closed:?})"),
    };
    t.status = status;
    t.closed_at = Some(at);
    match held {
        Some(held) => free_agent(state, cfg, id, held, timers, at),
        None if was == TicketStatus::Queued => dequeue(state, cfg, id, at),
        None => {}
    }
    if resolved && let Some(ms) = cfg.follow_up_ms(ticket_ref(state, id).queue, ticket_ref(state, id).category) {
        set_timer(state, id, Timer::FollowUp(id), Some(at.plus_ms(ms)));
    }
    if has_sla {
        with_clocks(state, cfg, id, at, |sla, _, cal| {
            sla.clocks.iter_mut().for_each(|c| {
                c.stop(cal, at);
            })
        });
    }
    state.open_tickets -= 1;
    state.tickets.schedule_retire(at.plus_ms(cfg.limits.closed_ticket_retention_ms), id);
}

/// The customer's record, created if new, marked as active now; `None` when customers are
/// not remembered (`limits.customer_memory_s = 0`).
///
/// A record has one entry in the expiry queue at a time, queued when it is created; when
/// the entry falls due, a customer active since is re-queued for another window instead
/// of forgotten. So a customer is forgotten between one and two memory windows after
/// their last activity, and each contact costs no queue entry.
fn touch_customer(state: &mut State, id: CustomerId, at: Timestamp, memory_ms: i64) -> Option<&mut Customer> {
    if memory_ms == 0 {
        return None;
    }
    let c = state.customers.entry(id).or_insert_with(|| {
        state.customer_expiry.push_back((at.plus_ms(memory_ms), id));
        Customer::default()
    });
    c.last_seen = at;
    Some(c)
}

/// Forgets customers inactive for the memory window.
fn forget_customers(state: &mut State, now: Timestamp, memory_ms: i64) {
    while let Some(&(due, id)) = state.customer_expiry.front() {
        if due > now {
            break;
        }
        state.customer_expiry.pop_front();
        let last_seen = state.customers.get(&id).map(|c| c.last_seen);
        match last_seen {
            Some(seen) if seen.plus_ms(memory_ms) <= now => {
                state.customers.remove(&id);
            }
            // Active within the window: check again one window from now.
            Some(_) => state.customer_expiry.push_back((now.plus_ms(memory_ms), id)),
            None => {}
        }
    }
}
