//! A ticket's life in the tables: created, waiting, taken, worked, released, closed.

use super::Fold;
use super::agent::{free_agent, with_agent};
use super::customer::touch_customer;
use super::index::{dequeue, enqueue};
use super::sla::{sla_start, with_clocks};
use super::timers::set_timer;
use super::{ticket_mut, ticket_ref, unknown_ticket};
use crate::capacity;
use crate::channel::Channel;
use crate::config::Config;
use crate::id::{AgentId, CustomerId, QueueId, TicketId};
use crate::priority;
use crate::routing::{ReqKey, Slot};
use crate::skill::SkillNeeds;
use crate::sla::ClockKind;
use crate::state::{State, Timer};
use crate::ticket::{Ticket, TicketSpec, TicketStatus};
use crate::time::Timestamp;

/// A new ticket: its record, the customer's contact, its SLA, and its place in waiting
/// (unless the next event hands it to an agent at once).
pub(super) fn created(
    state: &mut State,
    cfg: &Fold<'_>,
    ticket: TicketId,
    spec: &TicketSpec,
    at: Timestamp,
    taken_at_once: bool,
) {
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
            if cfg.keep_index {
                state.index.bucket(cfg, queue, 0, req, cfg.at);
            }
        } else {
            enqueue(state, cfg, ticket, at);
        }
    }
}

/// A ticket's static score in its queue: weighted tier, urgency, emotion and channel, plus
/// the points its escalations added.
pub(super) fn score_of(cfg: &Config, t: &Ticket) -> i64 {
    priority::score(&cfg.queue(t.queue).weights, t.tier, t.urgency, t.emotion, t.channel).saturating_add(t.boost)
}

/// The ticket's own needs merged with its queue's (decide guarantees it fits).
pub(crate) fn merged_needs(own: &SkillNeeds, queue: &SkillNeeds) -> SkillNeeds {
    own.merged(queue).expect("decide checked the merged requirement fits")
}

/// Starts a new wait episode: customer waits again from now, at step 0.
pub(super) fn start_wait(t: &mut Ticket, at: Timestamp) {
    t.status = TicketStatus::Queued;
    t.queued_since = at;
    t.queue_entered_at = at;
    t.step = 0;
}

pub(super) fn avoid(t: &mut Ticket, agent: AgentId) {
    if !t.avoid_agents.contains(&agent) {
        t.avoid_agents.push(agent);
    }
}

/// An agent takes (`status` assigned) or is offered a waiting ticket.
pub(super) fn take(
    state: &mut State,
    cfg: &Fold<'_>,
    id: TicketId,
    agent: AgentId,
    status: TicketStatus,
    at: Timestamp,
) {
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
pub(super) fn start_work(state: &mut State, cfg: &Fold<'_>, id: TicketId, at: Timestamp) {
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
        set_timer(state, cfg, id, Timer::Reply(id), reply_due);
    }
}

/// A ticket taken back because its agent did not reply in time: the take was no answer.
/// If the episode was answered during this hold, it is unanswered again (its wait goes on
/// from the same start; the metrics projection withdraws the answer it counted); the
/// no-reply count goes up.
pub(super) fn withdraw_answer(state: &mut State, id: TicketId) {
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
pub(super) fn release(state: &mut State, cfg: &Fold<'_>, id: TicketId, at: Timestamp, served: bool) {
    let t = ticket_mut(state, id);
    let timers = t.offer_expires.is_some() || t.reply_due.is_some();
    let held = unhold(t, served, at);
    free_agent(state, cfg, id, held, timers, at);
}

/// What the agent releasing a ticket held, as [`unhold`] took it off the ticket.
pub(super) struct Held {
    pub(super) agent: AgentId,
    pub(super) served: bool,
    pub(super) held_ms: i64,
    pub(super) channel: Channel,
    pub(super) queue: QueueId,
    pub(super) customer: CustomerId,
}

/// The ticket side of [`release`]: takes the agent off the ticket (keeping it as
/// `last_agent`).
pub(super) fn unhold(t: &mut Ticket, served: bool, at: Timestamp) -> Held {
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

pub(super) fn close(state: &mut State, cfg: &Fold<'_>, id: TicketId, status: TicketStatus, at: Timestamp) {
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
        set_timer(state, cfg, id, Timer::FollowUp(id), Some(at.plus_ms(ms)));
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
