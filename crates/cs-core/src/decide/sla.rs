//! SLA clocks met by what a decision does.

use super::{Decider, state_of};
use crate::event::Event;
use crate::id::TicketId;
use crate::sla::ClockKind;
use crate::time::Timestamp;

impl Decider<'_, '_> {
    /// Emits `SlaMet` for each of the ticket's `kinds` of clock that is live (counting and not
    /// breached) and so is stopped in time by what happens at `at`. Emitted just before the
    /// event that stops them, so each is true of the state it is applied to.
    pub(super) fn emit_clocks_met(&mut self, ticket: TicketId, kinds: &[ClockKind], at: Timestamp) {
        let Some(sla) = state_of(&self.work).tickets.get(ticket).and_then(|t| t.sla.as_deref()) else { return };
        for &clock in kinds.iter().filter(|k| sla.clocks[k.index()].is_live()) {
            let deadline = sla.clocks[clock.index()].deadline;
            self.out.push(Event::SlaMet { at, ticket, policy: sla.policy, clock, deadline });
        }
    }
}
