//! SLA clocks: started, re-matched to a policy, paused and resumed with their timers.

use super::Fold;
use super::timers::retime;
use super::{ticket_mut, ticket_ref};
use crate::id::TicketId;
use crate::sla::{ClockKind, Sla};
use crate::state::{State, Timer};
use crate::time::Timestamp;

/// Changes a ticket's SLA clocks at `at`, keeping their timers in step, then pauses or
/// resumes each clock as the policy says for the ticket's status. Nothing if no policy
/// applies.
#[inline]
pub(super) fn with_clocks(
    state: &mut State,
    cfg: &Fold<'_>,
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
    if !cfg.keep_index {
        return;
    }
    for k in ClockKind::ALL {
        retime(&mut state.timers, Timer::Sla(id, k), old[k.index()], new[k.index()]);
    }
}

/// Starts a ticket's SLA for a new episode: the policy matching it now, with its `kinds`
/// of clock (first response and resolution at first contact; next response and resolution
/// at a reopen) counting from `origin`.
pub(super) fn sla_start(
    state: &mut State,
    cfg: &Fold<'_>,
    id: TicketId,
    origin: Timestamp,
    at: Timestamp,
    kinds: &[ClockKind],
) {
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
pub(super) fn sla_rematch(state: &mut State, cfg: &Fold<'_>, id: TicketId, at: Timestamp) {
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
