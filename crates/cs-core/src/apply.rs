//! The fold: `apply(&mut State, &Event)`. Infallible; the only way state changes.
//!
//! `decide` validated every event before it was produced, so `apply` asserts instead of
//! checking: an event that does not fit the state is a programmer error (or a corrupt
//! log), not an operating condition.

use crate::agent::{Agent, Load, Presence};
use crate::capacity;
use crate::config::Config;
use crate::event::{Event, RequeueReason};
use crate::id::{AgentId, TicketId};
use crate::priority;
use crate::routing::{PoolKey, ReqKey, RoutingIndex, Slot};
use crate::skill::{SkillLevels, SkillNeeds};
use crate::state::{QueueState, State, Timer};
use crate::ticket::{Ticket, TicketStatus};
use crate::time::Timestamp;
use std::sync::Arc;

/// Folds one event into the state.
pub fn apply(state: &mut State, event: &Event) {
    let at = event.at();
    debug_assert!(at >= state.last_at, "event at {at} applied after one at {}", state.last_at);
    if let Event::Configured { config, .. } = event {
        configure(state, config);
    } else {
        let cfg = state.config.clone().expect("first event configures the engine");
        state.tickets.retire_due(at, cfg.limits.closed_ticket_retention_ms, &mut state.ticket_keys);
        apply_configured(state, &cfg, event, at);
    }
    state.last_at = state.last_at.max(at);
    state.events_applied += 1;
}

/// Folds events in order into a fresh state.
///
/// Equal to applying them one by one, but faster: the tables are folded first and the
/// routing index, age indexes and timers, which are derived from them, are built once at
/// the end.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> State {
    let mut state = State::new();
    state.deferred_index = true;
    for e in events {
        apply(&mut state, e);
    }
    state.deferred_index = false;
    if state.config.is_some() {
        rebuild_index(&mut state);
    }
    state
}

fn apply_configured(state: &mut State, cfg: &Config, event: &Event, at: Timestamp) {
    match event {
        Event::Configured { .. } => unreachable!("handled by apply"),
        Event::AgentRegistered { agent, key, team, tier, skills, languages, capacity, .. } => {
            assert_eq!(agent.index(), state.agents.len(), "agents are registered in id order");
            let mut a = Agent {
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
                pool: Slot::NONE,
            };
            if !state.deferred_index {
                join_pool(&mut state.index, cfg, &mut a);
            }
            state.agent_keys.insert(a.key.clone(), a.id);
            state.agents.push(a);
        }
        Event::AgentPresenceChanged { agent, presence, .. } => {
            with_agent(state, cfg, *agent, |a| {
                if *presence == Presence::Available && a.presence != Presence::Available {
                    a.idle_since = at;
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
        Event::TicketCreated { ticket, spec, .. } => {
            let queue = spec.queue.expect("decide resolves the queue");
            let q = cfg.queue(queue);
            let t = Ticket {
                id: *ticket,
                key: spec.key.as_deref().map(Into::into),
                customer: spec.customer,
                channel: spec.channel,
                category: spec.category,
                queue,
                own_skills: spec.skills,
                needs: merged_needs(&spec.skills, &q.needs),
                language: spec.language,
                tier: spec.tier,
                urgency: spec.urgency,
                emotion: spec.emotion,
                created_at: at,
                status: TicketStatus::Queued,
                queued_since: at,
                queue_entered_at: at,
                step: 0,
                score: priority::score(&q.weights, spec.tier, spec.urgency, spec.emotion, spec.channel),
                agent: None,
                last_agent: None,
                answered_at: None,
                first_response_at: None,
                closed_at: None,
                reopen_count: 0,
                transfer_count: 0,
                avoid_agents: Vec::new(),
                bucket: Slot::NONE,
                step_due: None,
            };
            if let Some(k) = &t.key {
                state.ticket_keys.insert(k.clone(), t.id);
            }
            state.tickets.insert(t);
            state.open_tickets += 1;
            enqueue(state, cfg, *ticket, at);
        }
        Event::TicketUpdated { ticket, tier, urgency, emotion, .. } => {
            let waiting = ticket_ref(state, *ticket).status == TicketStatus::Queued;
            if waiting {
                dequeue(state, *ticket);
            }
            let t = ticket_mut(state, *ticket);
            t.tier = *tier;
            t.urgency = *urgency;
            t.emotion = *emotion;
            t.score = priority::score(&cfg.queue(t.queue).weights, t.tier, t.urgency, t.emotion, t.channel);
            if waiting {
                enqueue(state, cfg, *ticket, at);
            }
        }
        Event::TicketAssigned { ticket, agent, .. } => {
            let t = ticket_ref(state, *ticket);
            let (status, channel) = (t.status, t.channel);
            match status {
                TicketStatus::Queued => dequeue(state, *ticket),
                other => panic!("ticket {ticket} assigned while {other:?}"),
            }
            let t = ticket_mut(state, *ticket);
            t.status = TicketStatus::Assigned;
            t.agent = Some(*agent);
            t.answered_at.get_or_insert(at);
            state.assign_seq += 1;
            let seq = state.assign_seq;
            with_agent(state, cfg, *agent, |a| {
                capacity::add(&mut a.load, channel, &cfg.capacity);
                a.idle_since = at;
                a.last_assigned_seq = seq;
                a.held.push(*ticket);
            });
        }
        Event::AgentReplied { ticket, .. } => {
            ticket_mut(state, *ticket).first_response_at.get_or_insert(at);
        }
        Event::CustomerReplied { ticket, .. } => {
            debug_assert!(!ticket_ref(state, *ticket).status.is_closed());
        }
        Event::TicketPending { ticket, .. } => {
            release(state, cfg, *ticket, at);
            ticket_mut(state, *ticket).status = TicketStatus::WaitingOnCustomer;
        }
        Event::TicketReactivated { ticket, .. } => {
            let t = ticket_mut(state, *ticket);
            assert_eq!(t.status, TicketStatus::WaitingOnCustomer);
            start_wait(t, at);
            enqueue(state, cfg, *ticket, at);
        }
        Event::TicketTransferred { ticket, queue, .. } => {
            let t = ticket_ref(state, *ticket);
            match t.status {
                TicketStatus::Queued => dequeue(state, *ticket),
                TicketStatus::Assigned | TicketStatus::Offered => {
                    let from = t.agent.expect("held ticket has an agent");
                    release(state, cfg, *ticket, at);
                    let t = ticket_mut(state, *ticket);
                    if !t.avoid_agents.contains(&from) {
                        t.avoid_agents.push(from);
                    }
                }
                TicketStatus::WaitingOnCustomer => {}
                other => panic!("closed ticket {ticket} transferred while {other:?}"),
            }
            let q = cfg.queue(*queue);
            let t = ticket_mut(state, *ticket);
            t.queue = *queue;
            t.needs = merged_needs(&t.own_skills, &q.needs);
            t.score = priority::score(&q.weights, t.tier, t.urgency, t.emotion, t.channel);
            t.status = TicketStatus::Queued;
            t.queue_entered_at = at;
            t.step = 0;
            t.transfer_count = t.transfer_count.saturating_add(1);
            enqueue(state, cfg, *ticket, at);
        }
        Event::TicketRequeued { ticket, reason, .. } => {
            let from = ticket_ref(state, *ticket).agent.expect("requeued ticket was held");
            release(state, cfg, *ticket, at);
            let t = ticket_mut(state, *ticket);
            if matches!(reason, RequeueReason::OfferDeclined | RequeueReason::OfferExpired | RequeueReason::NoReply)
                && !t.avoid_agents.contains(&from)
            {
                t.avoid_agents.push(from);
            }
            t.status = TicketStatus::Queued;
            enqueue(state, cfg, *ticket, at);
        }
        Event::TicketResolved { ticket, .. } => close(state, cfg, *ticket, TicketStatus::Resolved, at),
        Event::TicketAbandoned { ticket, .. } => close(state, cfg, *ticket, TicketStatus::Abandoned, at),
        Event::TicketReopened { ticket, .. } => {
            let t = ticket_mut(state, *ticket);
            assert!(t.status.is_closed(), "reopened ticket {} was {:?}", t.id, t.status);
            t.reopen_count = t.reopen_count.saturating_add(1);
            t.closed_at = None;
            start_wait(t, at);
            state.open_tickets += 1;
            enqueue(state, cfg, *ticket, at);
        }
        Event::TicketStepReached { ticket, step, .. } => {
            dequeue(state, *ticket);
            ticket_mut(state, *ticket).step = *step;
            enqueue(state, cfg, *ticket, at);
        }
    }
}

/// The ticket's own needs merged with its queue's (decide guarantees it fits).
pub(crate) fn merged_needs(own: &SkillNeeds, queue: &SkillNeeds) -> SkillNeeds {
    let mut out = *own;
    for n in queue.iter() {
        out.insert(n).expect("decide checked the merged requirement fits");
    }
    out
}

/// Starts a new wait episode: customer waits again from now, at step 0.
fn start_wait(t: &mut Ticket, at: Timestamp) {
    t.status = TicketStatus::Queued;
    t.queued_since = at;
    t.queue_entered_at = at;
    t.step = 0;
}

fn configure(state: &mut State, config: &Arc<Config>) {
    let now = state.last_at;
    state.config = Some(config.clone());
    state.queues.resize_with(config.queues().len(), QueueState::default);
    // Scores, merged needs and step deadlines depend on the rules: recompute them for every
    // waiting ticket, then rebuild what is derived.
    let waiting: Vec<TicketId> =
        state.tickets.iter().filter(|t| t.status == TicketStatus::Queued).map(|t| t.id).collect();
    for id in waiting {
        let t = state.tickets.get_mut(id).expect("listed ticket exists");
        let q = config.queue(t.queue);
        t.needs = merged_needs(&t.own_skills, &q.needs);
        t.score = priority::score(&q.weights, t.tier, t.urgency, t.emotion, t.channel);
        t.step = t.step.min((q.steps.len() - 1) as u8);
        t.step_due = step_due(config, t, now);
    }
    if !state.deferred_index {
        rebuild_index(state);
    }
}

/// Builds the routing index, the queues' age indexes and the timers from the tables.
fn rebuild_index(state: &mut State) {
    let config = state.config.clone().expect("configured");
    state.index = RoutingIndex::new(&config);
    state.timers.clear();
    for q in &mut state.queues {
        q.by_age.clear();
    }
    for i in 0..state.agents.len() {
        join_pool(&mut state.index, &config, &mut state.agents[i]);
        state.index.agent_in(&state.agents[i], &config);
    }
    let waiting: Vec<TicketId> =
        state.tickets.iter().filter(|t| t.status == TicketStatus::Queued).map(|t| t.id).collect();
    for id in waiting {
        ticket_mut(state, id).bucket = Slot::NONE;
        index_waiting(state, &config, id);
    }
}

fn join_pool(index: &mut RoutingIndex, cfg: &Config, a: &mut Agent) {
    let pool = index.pool(cfg, PoolKey::of(a));
    index.pools[pool as usize].members += 1;
    a.pool = Slot(pool);
}

fn ticket_ref(state: &State, id: TicketId) -> &Ticket {
    state.tickets.get(id).unwrap_or_else(|| panic!("event names unknown ticket {id}"))
}

fn ticket_mut(state: &mut State, id: TicketId) -> &mut Ticket {
    state.tickets.get_mut(id).unwrap_or_else(|| panic!("event names unknown ticket {id}"))
}

/// Changes an agent's routing-relevant fields, keeping the pool free sets in step.
fn with_agent(state: &mut State, cfg: &Config, id: AgentId, f: impl FnOnce(&mut Agent)) {
    let a = state.agents.get_mut(id.index()).unwrap_or_else(|| panic!("event names unknown agent {id}"));
    if state.deferred_index {
        f(a);
        return;
    }
    state.index.agent_out(a, cfg);
    f(a);
    state.index.agent_in(a, cfg);
}

/// Changes an agent's profile (skills, capacity), moving it to the matching pool.
fn change_profile(state: &mut State, cfg: &Config, id: AgentId, f: impl FnOnce(&mut Agent)) {
    let a = state.agents.get_mut(id.index()).unwrap_or_else(|| panic!("event names unknown agent {id}"));
    if state.deferred_index {
        f(a);
        return;
    }
    state.index.agent_out(a, cfg);
    state.index.pools[a.pool.0 as usize].members -= 1;
    f(a);
    join_pool(&mut state.index, cfg, a);
    state.index.agent_in(a, cfg);
}

/// When the ticket's next relaxation step is due, if one is left; a step whose time has
/// passed already (a re-queued ticket keeps its time in the queue) is due at `now`.
fn step_due(cfg: &Config, t: &Ticket, now: Timestamp) -> Option<Timestamp> {
    let next = cfg.queue(t.queue).steps.get(usize::from(t.step) + 1)?;
    Some(t.queue_entered_at.plus_ms(next.after_ms).max(now))
}

/// Marks a ticket as waiting from `now` on: its step deadline, and (unless deferred) its
/// bucket, age index entry and timer.
fn enqueue(state: &mut State, cfg: &Config, id: TicketId, now: Timestamp) {
    let t = ticket_mut(state, id);
    debug_assert_eq!(t.status, TicketStatus::Queued);
    t.step_due = step_due(cfg, t, now);
    if !state.deferred_index {
        index_waiting(state, cfg, id);
    }
}

/// Puts a waiting ticket into its bucket, its queue's age index and the timers.
fn index_waiting(state: &mut State, cfg: &Config, id: TicketId) {
    let t = ticket_ref(state, id);
    debug_assert!(t.bucket.get().is_none(), "ticket {id} indexed twice");
    let wk = state.wait_key(t);
    let (queue, step, since, due) = (t.queue, t.step, t.queued_since, t.step_due);
    let req = ReqKey { needs: t.needs, language: t.language, channel: t.channel };
    let b = state.index.bucket(cfg, queue, step, req);
    let inserted = state.index.buckets[b as usize].waiting.insert(wk);
    debug_assert!(inserted, "ticket {id} queued twice");
    state.queues[queue.index()].by_age.insert((since, id));
    if let Some(due) = due {
        state.timers.insert((due, Timer::Step(id)));
    }
    ticket_mut(state, id).bucket = Slot(b);
}

/// Takes a waiting ticket out of its bucket, age index and timers.
fn dequeue(state: &mut State, id: TicketId) {
    if !state.deferred_index {
        let t = ticket_ref(state, id);
        let b = t.bucket.get().unwrap_or_else(|| panic!("ticket {id} is not in a bucket"));
        let wk = state.wait_key(t);
        let (queue, since, step_due) = (t.queue, t.queued_since, t.step_due);
        let removed = state.index.buckets[b as usize].waiting.remove(&wk);
        debug_assert!(removed, "ticket {id} missing from its bucket");
        state.queues[queue.index()].by_age.remove(&(since, id));
        if let Some(due) = step_due {
            let removed = state.timers.remove(&(due, Timer::Step(id)));
            debug_assert!(removed, "ticket {id} step timer missing");
        }
    }
    let t = ticket_mut(state, id);
    t.bucket = Slot::NONE;
    t.step_due = None;
}

/// Frees the agent holding `id` (assigned or offered); the ticket keeps `last_agent`.
fn release(state: &mut State, cfg: &Config, id: TicketId, at: Timestamp) {
    let t = ticket_mut(state, id);
    let agent = t.agent.take().unwrap_or_else(|| panic!("ticket {id} has no agent to release"));
    t.last_agent = Some(agent);
    let channel = t.channel;
    with_agent(state, cfg, agent, |a| {
        capacity::remove(&mut a.load, channel, &cfg.capacity);
        a.idle_since = at;
        let i = a.held.iter().position(|&h| h == id).expect("agent holds the released ticket");
        a.held.remove(i);
    });
}

fn close(state: &mut State, cfg: &Config, id: TicketId, status: TicketStatus, at: Timestamp) {
    match ticket_ref(state, id).status {
        TicketStatus::Queued => dequeue(state, id),
        TicketStatus::Assigned | TicketStatus::Offered => release(state, cfg, id, at),
        TicketStatus::WaitingOnCustomer | TicketStatus::Bot => {}
        closed => panic!("ticket {id} closed twice (was {closed:?})"),
    }
    let t = ticket_mut(state, id);
    t.status = status;
    t.closed_at = Some(at);
    state.open_tickets -= 1;
    state.tickets.schedule_retire(at.plus_ms(cfg.limits.closed_ticket_retention_ms), id);
}
