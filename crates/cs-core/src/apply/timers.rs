//! The timer set: a ticket's timers set and moved, and the due times of its next step
//! and its expiry.

use super::{Fold, unknown_ticket};
use crate::config::Config;
use crate::id::TicketId;
use crate::state::{State, Timer};
use crate::ticket::Ticket;
use crate::time::Timestamp;

/// Sets one of a ticket's timers (its due time is a ticket field), keeping the timer set
/// in step.
pub(super) fn set_timer(state: &mut State, cfg: &Fold<'_>, id: TicketId, timer: Timer, due: Option<Timestamp>) {
    set_timers(state, cfg, id, &[(timer, due)]);
}

/// Sets several of a ticket's timers with one lookup of the ticket.
pub(super) fn set_timers(state: &mut State, cfg: &Fold<'_>, id: TicketId, changes: &[(Timer, Option<Timestamp>)]) {
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
        if cfg.keep_index {
            let removed = retime(&mut state.timers, timer, old, due);
            debug_assert!(removed, "{timer:?} due {old:?} missing");
        }
    }
}

/// Moves `timer` in the timer set from due `old` to due `new` (either may be none).
/// Whether the old entry was there (or there was none to remove).
pub(super) fn retime(
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

/// When the ticket's next relaxation step is due, if one is left; a step whose time has
/// passed already (a re-queued ticket keeps its time in the queue) is due at `now`.
pub(super) fn step_due(cfg: &Config, t: &Ticket, now: Timestamp) -> Option<Timestamp> {
    let next = cfg.queue(t.queue).steps.get(usize::from(t.step) + 1)?;
    Some(t.queue_entered_at.plus_ms(next.after_ms).max(now))
}

/// When a waiting ticket expires: the earlier of its own time-to-live (from creation) and
/// its queue's (from entering the queue), but never before `now`.
pub(super) fn expiry(cfg: &Config, t: &Ticket, now: Timestamp) -> Option<Timestamp> {
    let own = t.ttl_ms.map(|ms| t.created_at.plus_ms(ms));
    let queue = cfg.queue(t.queue).ticket_ttl_ms.map(|ms| t.queue_entered_at.plus_ms(ms));
    own.into_iter().chain(queue).min().map(|due| due.max(now))
}
