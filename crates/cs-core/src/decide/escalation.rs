//! Escalation: the rules tried on a cause, and moving a ticket to a tier's queue.

use super::Decider;
use super::routing::Waiting;
use crate::apply::merged_needs;
use crate::escalation::{RepeatBy, Trigger};
use crate::event::Event;
use crate::id::{AgentId, CategoryId, CustomerId, QueueId, TicketId};
use crate::skill::SkillNeeds;
use crate::sla::ClockKind;
use crate::state::State;
use crate::ticket::{CustomerTier, Emotion};
use crate::ticket::{Ticket, TicketStatus};
use crate::time::Timestamp;

impl Decider<'_, '_> {
    /// The rules a ticket meets as it starts waiting for people (created without a bot,
    /// or handed off by one): a VIP customer, an emotion, repeat contacts. `recorded` is
    /// when the state recorded the ticket's own contact, if it has. Whether one fired (and
    /// moved the ticket).
    pub(super) fn escalate_on_arrival(
        &mut self,
        view: Escalatable,
        customer: CustomerId,
        category: Option<CategoryId>,
        recorded: Option<Timestamp>,
        at: Timestamp,
    ) -> bool {
        !self.base().config().escalation.rules.is_empty()
            && ((view.tier == CustomerTier::Vip && self.escalate_on(view.clone(), Cause::Vip, at))
                || self.escalate_on(view.clone(), Cause::Emotion(Emotion::Calm), at)
                || self.escalate_on(view, Cause::Repeat { customer, category, recorded }, at))
    }

    /// Tries the escalation rules for `cause`, in order; the first that applies (not yet
    /// fired in the ticket's tier, with a tier to go to) escalates. Returns whether one did.
    pub(super) fn escalate_on(&mut self, t: Escalatable, cause: Cause, at: Timestamp) -> bool {
        if !matches!(t.status, TicketStatus::Queued | TicketStatus::Offered | TicketStatus::Assigned) {
            return false;
        }
        let s = self.base();
        let esc = &s.config().escalation;
        let hit = esc.rules.iter().enumerate().find_map(|(i, r)| {
            if t.rules_fired & (1 << i) != 0 || !cause.fires(r, &t, s, at) {
                return None;
            }
            esc.target(r, t.queue).map(|tier| (i, tier, r.trigger, r.boost))
        });
        let Some((rule, tier, trigger, boost)) = hit else { return false };
        self.escalate(t, tier, trigger, Some(rule as u16), boost, None, at);
        true
    }

    /// Moves ticket `t` to `tier`'s queue and routes it there; an agent holding it is freed
    /// (and takes other work).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn escalate(
        &mut self,
        t: Escalatable,
        tier: usize,
        trigger: Trigger,
        rule: Option<u16>,
        boost: i64,
        note: Option<String>,
        at: Timestamp,
    ) {
        let queue = self.base().config().escalation.tiers[tier].queue;
        let mut w = t.waiting.clone();
        // Like a transfer, an escalation takes the ticket away from the agent holding it.
        w.avoid.extend(t.agent);
        w.queue = queue;
        w.step = 0;
        w.req.needs = merged_needs(&t.own_skills, &self.base().config().queue(queue).needs);
        self.emit(Event::TicketEscalated {
            at,
            ticket: t.ticket,
            tier: tier as u16,
            queue,
            trigger,
            rule,
            boost,
            note,
        });
        self.route_waiting(t.ticket, &w, at, false);
        if let Some(agent) = t.agent {
            self.route_freed_agent(agent, t.channel, t.ticket, at);
        }
    }
}

/// What escalation looks at in a ticket (which may not be in the state yet).
#[derive(Clone)]
pub(super) struct Escalatable {
    pub(super) ticket: TicketId,
    pub(super) queue: QueueId,
    pub(super) status: TicketStatus,
    pub(super) agent: Option<AgentId>,
    pub(super) channel: crate::channel::Channel,
    pub(super) tier: CustomerTier,
    pub(super) emotion: Emotion,
    pub(super) reopen_count: u16,
    pub(super) rules_fired: u32,
    pub(super) own_skills: SkillNeeds,
    pub(super) waiting: Waiting,
}

impl Escalatable {
    pub(super) fn of(t: &Ticket) -> Escalatable {
        Escalatable {
            ticket: t.id,
            queue: t.queue,
            status: t.status,
            agent: t.agent.filter(|_| matches!(t.status, TicketStatus::Assigned | TicketStatus::Offered)),
            channel: t.channel,
            tier: t.tier,
            emotion: t.emotion,
            reopen_count: t.reopen_count,
            rules_fired: t.rules_fired,
            own_skills: t.own_skills,
            waiting: Waiting::of(t),
        }
    }
}

/// What happened that may escalate a ticket.
pub(super) enum Cause {
    Sla(Trigger, ClockKind),
    Vip,
    /// The emotion rose from this level.
    Emotion(Emotion),
    Reopen,
    Repeat {
        customer: crate::id::CustomerId,
        category: Option<crate::id::CategoryId>,
        /// When the ticket's own contact was recorded (`None`: it is being created and the
        /// state does not count it yet).
        recorded: Option<Timestamp>,
    },
}

impl Cause {
    /// Whether rule `r` fires for this cause on ticket `t` (a new contact not yet counted in
    /// the state counts as one more).
    #[inline]
    pub(super) fn fires(&self, r: &crate::escalation::Rule, t: &Escalatable, s: &State, at: Timestamp) -> bool {
        match (self, r.trigger) {
            (Cause::Sla(trigger, kind), rt) => rt == *trigger && r.clock.is_none_or(|c| c == *kind),
            (Cause::Vip, Trigger::Vip) => t.tier == CustomerTier::Vip,
            (Cause::Emotion(before), Trigger::Emotion) => {
                *before < r.emotion_at_least && t.emotion >= r.emotion_at_least
            }
            (Cause::Reopen, Trigger::Reopen) => t.reopen_count >= r.reopens_at_least,
            (Cause::Repeat { customer, category, recorded }, Trigger::RepeatContact) => {
                let since = at.plus_ms(-r.window_ms);
                // The ticket's own contact counts once, whether or not the state has it.
                let own = usize::from(recorded.is_none_or(|c| c < since));
                let n = match (r.by, category) {
                    (RepeatBy::Customer, _) => s.contacts_since(*customer, None, since),
                    (RepeatBy::Category, Some(c)) => s.category_contacts_since(*c, since),
                    (RepeatBy::Category, None) => return false,
                };
                n + own >= usize::from(r.contacts_at_least)
            }
            _ => false,
        }
    }
}
