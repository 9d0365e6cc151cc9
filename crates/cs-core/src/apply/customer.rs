//! Customer memory: a customer's record touched on each contact and forgotten after the
//! memory window.

use crate::id::CustomerId;
use crate::state::{Customer, State};
use crate::time::Timestamp;

/// The customer's record, created if new, marked as active now; `None` when customers are
/// not remembered (`limits.customer_memory_s = 0`).
///
/// A record has one entry in the expiry queue at a time, queued when it is created; when
/// the entry falls due, a customer active since is re-queued for another window instead
/// of forgotten. So a customer is forgotten between one and two memory windows after
/// their last activity, and each contact costs no queue entry.
#[inline]
pub(super) fn touch_customer(
    state: &mut State,
    id: CustomerId,
    at: Timestamp,
    memory_ms: i64,
) -> Option<&mut Customer> {
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
#[inline]
pub(super) fn forget_customers(state: &mut State, now: Timestamp, memory_ms: i64) {
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
