//! Customer memory: the recurring-issue alerts a new contact raises.

use super::{Decider, state_of};
use crate::escalation::{RepeatBy, Trigger};
use crate::event::Event;
use crate::time::Timestamp;

impl Decider<'_, '_> {
    /// Emits the recurring-issue alerts a new contact raises: the customer's (or the
    /// category's) contacts in a repeat-contact rule's window reach its threshold exactly.
    /// Its caller skips it when there are no escalation rules.
    pub(super) fn emit_recurring_alerts(
        &mut self,
        customer: crate::id::CustomerId,
        category: Option<crate::id::CategoryId>,
        at: Timestamp,
    ) {
        let s = state_of(&self.work);
        let first = self.out.len();
        for r in s.config().escalation.rules.iter().filter(|r| r.trigger == Trigger::RepeatContact) {
            let since = at.plus_ms(-r.window_ms);
            let (contacts, customer, category) = match r.by {
                RepeatBy::Customer => (s.contacts_since(customer, None, since) + 1, Some(customer), None),
                RepeatBy::Category => match category {
                    Some(c) => (s.category_contacts_since(c, since) + 1, None, Some(c)),
                    None => continue,
                },
            };
            let seen =
                self.out[first..].iter().any(|e| matches!(e, Event::RecurringIssueDetected { by, .. } if *by == r.by));
            if contacts == usize::from(r.contacts_at_least) && !seen {
                self.out.push(Event::RecurringIssueDetected {
                    at,
                    by: r.by,
                    customer,
                    category,
                    contacts: contacts as u32,
                    window_ms: r.window_ms,
                });
            }
        }
    }
}
