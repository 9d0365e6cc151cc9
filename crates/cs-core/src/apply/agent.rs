//! Agents: profile and presence changes kept in step with the routing index, and an
//! agent freed by a released ticket (after-contact work, its timer).

use super::Fold;
use super::customer::touch_customer;
use super::ticket::Held;
use super::timers::{retime, set_timers};
use crate::agent::{Agent, Presence};
use crate::capacity;
use crate::id::{AgentId, TicketId};
use crate::state::{State, Timer};
use crate::time::Timestamp;

/// Changes an agent's working state (presence, load, keys), keeping the pool free sets
/// in step.
#[inline]
pub(super) fn with_agent(state: &mut State, cfg: &Fold<'_>, id: AgentId, f: impl FnOnce(&mut Agent)) {
    let a = state.agents.get_mut(id.index()).unwrap_or_else(|| panic!("event names unknown agent {id}"));
    if !cfg.keep_index {
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
pub(super) fn change_profile(state: &mut State, cfg: &Fold<'_>, id: AgentId, f: impl FnOnce(&mut Agent)) {
    let a = state.agents.get_mut(id.index()).unwrap_or_else(|| panic!("event names unknown agent {id}"));
    if !cfg.keep_index {
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

/// The agent side of [`release`], after [`unhold`]: clears the offer and reply timers (if
/// `timers`, some is set), frees the agent's slot or starts its after-contact work, and
/// keeps the queue's recent handle time and the customer's last agent.
pub(super) fn free_agent(state: &mut State, cfg: &Fold<'_>, id: TicketId, held: Held, timers: bool, at: Timestamp) {
    if timers {
        set_timers(state, cfg, id, &[(Timer::Offer(id), None), (Timer::Reply(id), None)]);
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
    retime_wrap_up(state, cfg, agent, wrap_due);
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
pub(super) fn wrap_up_due(state: &State, agent: AgentId) -> Option<Timestamp> {
    state.agents[agent.index()].wrap_ups.first().map(|w| w.0)
}

/// Moves an agent's wrap-up timer from `old` (its due before the change) to its earliest
/// after-contact work now, if any.
pub(super) fn retime_wrap_up(state: &mut State, cfg: &Fold<'_>, agent: AgentId, old: Option<Timestamp>) {
    let new = wrap_up_due(state, agent);
    if cfg.keep_index {
        retime(&mut state.timers, Timer::WrapUp(agent), old, new);
    }
}
