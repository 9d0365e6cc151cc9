//! The routing index and the queues' age indexes kept in step event by event (a ticket
//! in or out of line, overflow opening and closing), and rebuilt from the tables.

use super::Fold;
use super::timers::{expiry, retime, set_timers, step_due};
use super::{ticket_mut, ticket_ref};
use crate::agent::Presence;
use crate::config::Config;
use crate::id::{QueueId, TicketId};
use crate::routing::{ReqKey, RoutingIndex, Slot};
use crate::state::{State, Timer};
use crate::ticket::TicketStatus;
use crate::time::Timestamp;

/// Builds the routing index, the queues' age indexes and the timers from the tables.
pub(super) fn rebuild_index(state: &mut State) {
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
    let fold = Fold { cfg: &config, keep_index: true, at: now };
    for id in waiting {
        index_waiting(state, &fold, id);
    }
    for q in 0..state.queues.len() {
        refresh_overflow(state, &fold, QueueId(q as u16), now);
    }
}

impl State {
    /// Checks the timer set against the tables: rebuilt from the tickets' due fields
    /// (steps, reservations, offers, replies, time-to-live, follow-ups, the SLA clocks'
    /// next instants), the agents' after-contact work and the queues' overflow rules, it
    /// must equal the one kept incrementally, kind by kind. For tests.
    #[doc(hidden)]
    pub fn check_timers(&self) -> Result<(), String> {
        if self.config.is_none() {
            return Ok(());
        }
        let mut rebuilt = self.clone();
        rebuild_index(&mut rebuilt);
        if rebuilt.timers == self.timers {
            return Ok(());
        }
        let kept: Vec<_> = self.timers.difference(&rebuilt.timers).collect();
        let missing: Vec<_> = rebuilt.timers.difference(&self.timers).collect();
        Err(format!("timers kept but not derived from the tables: {kept:?}; derived but not kept: {missing:?}"))
    }
}

/// Marks a ticket as waiting from `now` on: its step and expiry deadlines, and (unless
/// the fold keeps no index, see `Fold`) its place in the routing index and age index.
pub(super) fn enqueue(state: &mut State, cfg: &Fold<'_>, id: TicketId, now: Timestamp) {
    let t = ticket_ref(state, id);
    debug_assert_eq!(t.status, TicketStatus::Queued);
    let (step, exp) = (step_due(cfg, t, now), expiry(cfg, t, now));
    set_timers(state, cfg, id, &[(Timer::Step(id), step), (Timer::Expiry(id), exp)]);
    index_waiting(state, cfg, id);
    let queue = ticket_ref(state, id).queue;
    refresh_overflow(state, cfg, queue, now);
}

/// Takes a ticket out of waiting: routing index, age index, and its waiting timers.
pub(super) fn dequeue(state: &mut State, cfg: &Fold<'_>, id: TicketId, now: Timestamp) {
    let t = ticket_mut(state, id);
    if std::mem::take(&mut t.unindexed) {
        return;
    }
    unindex_waiting(state, cfg, id);
    set_timers(state, cfg, id, &[(Timer::Step(id), None), (Timer::Expiry(id), None), (Timer::Pin(id), None)]);
    let t = ticket_mut(state, id);
    t.pinned_to = None;
    let queue = t.queue;
    refresh_overflow(state, cfg, queue, now);
}

/// Puts a waiting ticket into its bucket (or its agent's pinned set) and its queue's age
/// index. Nothing in a fold of the tables only (see `Fold`).
pub(super) fn index_waiting(state: &mut State, cfg: &Fold<'_>, id: TicketId) {
    if !cfg.keep_index {
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
    let b = state.index.bucket(cfg, queue, step, req, cfg.at);
    state.index.insert_waiting(b, wk);
    let ranked = state.index.ranks[queue.index()].insert(wk);
    assert!(ranked, "ticket {id} ranked twice");
    ticket_mut(state, id).bucket = Slot(b);
}

/// Takes a waiting ticket out of its bucket (or pinned set) and age index.
pub(super) fn unindex_waiting(state: &mut State, cfg: &Fold<'_>, id: TicketId) {
    if !cfg.keep_index {
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
        state.index.remove_waiting(b, &wk, cfg.at);
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
pub(super) fn refresh_overflow(state: &mut State, cfg: &Fold<'_>, queue: QueueId, now: Timestamp) {
    if !cfg.keep_index {
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
