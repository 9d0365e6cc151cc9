//! Routing reactions: a ticket to its best free agent, a freed agent to its best waiting
//! tickets, the merged routing of an instant that opened overflows, and what routing
//! carries between tasks ([`Waiting`], [`Merged`], [`Released`]).

use super::{Decider, Task};
use crate::agent::Load;
use crate::agent::Presence;
use crate::apply::merged_needs;
use crate::capacity;
use crate::eligibility::{Place, Rules, eligibility, has_room};
use crate::event::{Assignment, Event};
use crate::id::{AgentId, QueueId, TicketId};
use crate::routing::{AgentPick, ReqKey, TicketPick, effective_needs};
use crate::state::State;
use crate::ticket::{Ticket, TicketStatus};
use crate::time::Timestamp;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

impl Decider<'_, '_> {
    /// The routing of an instant: `tickets` (put in line), every waiting ticket of the
    /// `overflowed` queues, and the best waiting ticket of each of the `agents` (freed at
    /// this instant), best first, each to its best free agent, as if all were sorted
    /// together. The queues' tickets are read from their ranks in order and only while
    /// some helper has a free agent; each freed agent's best ticket is kept in a heap and
    /// read again only once it went to someone or the agent's load changed. (No agent free
    /// before this instant could serve a ticket waiting before it; what it may now serve
    /// is among these.)
    pub(super) fn merged(
        &self,
        tickets: Vec<TicketId>,
        mut overflowed: Vec<QueueId>,
        mut agents: Vec<AgentId>,
        at: Timestamp,
    ) -> Task {
        let s = self.base();
        let mut explicit: Vec<(crate::priority::Rank, TicketId)> =
            tickets.into_iter().filter_map(|id| s.tickets.get(id)).map(|t| (s.rank_at(t, at), t.id)).collect();
        explicit.sort_unstable();
        explicit.dedup();
        // Taken from the end.
        explicit.reverse();
        overflowed.sort_unstable();
        overflowed.dedup();
        let streams = overflowed
            .into_iter()
            .map(|queue| {
                let mut helpers: Vec<_> = s.index.queue_active[queue.index()]
                    .iter()
                    .map(|&b| &s.index.buckets[b as usize])
                    .flat_map(|b| b.overflow_pools.iter().map(move |&(p, _)| (p, b.req.channel)))
                    .collect();
                helpers.sort_unstable();
                helpers.dedup();
                Stream { queue, after: None, helpers }
            })
            .collect();
        agents.sort_unstable();
        agents.dedup();
        // Read from the end: lowest id first (only the order of their sticky tickets,
        // which no other agent may take, depends on it).
        agents.reverse();
        Task::RouteMerged(Box::new(Merged { explicit, streams, fresh: agents, freed: BinaryHeap::new(), at }))
    }

    /// The next ticket of a merged routing, best first, if any is left that someone could
    /// take.
    pub(super) fn next_merged(&self, m: &mut Merged) -> Option<Next> {
        let s = self.base();
        let cfg = s.config();
        let at = m.at;
        // The best of the freed agents' best tickets. Those whose best ticket is not known
        // (new, or stale) are read first; a ticket reserved for one of them by sticky
        // routing goes to it at once. An entry whose ticket went to someone else or whose
        // agent took another ticket may be worse now, never better (tickets only leave,
        // loads only grow): it is read again and put back.
        loop {
            while let Some(agent) = m.fresh.pop() {
                match best_of_agent(s, agent, at) {
                    Some(AgentBest::Sticky(pick)) => {
                        m.fresh.push(agent);
                        return Some(Next::Sticky(agent, pick));
                    }
                    Some(AgentBest::Ticket(rank, load)) => m.freed.push(Reverse((rank, agent, load))),
                    None => {}
                }
            }
            let Some(&Reverse((rank, agent, load))) = m.freed.peek() else { break };
            let a = &s.agents[agent.index()];
            let current = a.presence == Presence::Available
                && a.load == load
                && s.tickets
                    .get(rank.ticket)
                    .is_some_and(|t| t.status == TicketStatus::Queued && t.pinned_to.is_none());
            if current {
                break;
            }
            m.freed.pop();
            m.fresh.push(agent);
        }
        // A queue whose helpers are all busy has no ticket anyone could take.
        m.streams.retain(|st| st.helpers.iter().any(|&(p, c)| s.index.pools[p as usize].has_free(c)));
        let mut best: Option<(crate::priority::Rank, Source)> = m.explicit.last().map(|&(r, _)| (r, Source::Explicit));
        if let Some(&Reverse((rank, agent, _))) = m.freed.peek()
            && best.is_none_or(|(b, _)| rank < b)
        {
            best = Some((rank, Source::Agent(agent)));
        }
        let mut heads: Vec<Option<crate::priority::WaitKey>> = Vec::with_capacity(m.streams.len());
        for (i, st) in m.streams.iter().enumerate() {
            let ranks = &s.index.ranks[st.queue.index()];
            let rate = cfg.queue(st.queue).weights.rate();
            let mut after = st.after;
            // Skip the tickets routed through `explicit` anyway (each goes once).
            let head = loop {
                let Some(k) = ranks.first_after(after.as_ref()) else { break None };
                let rank = crate::priority::Rank::of(&k, rate, at);
                if m.explicit.iter().any(|&(_, id)| id == k.ticket) {
                    after = Some(k);
                    continue;
                }
                if best.is_none_or(|(b, _)| rank < b) {
                    best = Some((rank, Source::Stream(i)));
                }
                break Some(k);
            };
            heads.push(head);
        }
        match best? {
            (_, Source::Explicit) => m.explicit.pop().map(|(_, id)| Next::Ticket(id, None)),
            (rank, Source::Agent(agent)) => Some(Next::Ticket(rank.ticket, Some(agent))),
            (_, Source::Stream(i)) => {
                let k = heads[i].expect("the best head exists");
                m.streams[i].after = Some(k);
                Some(Next::Ticket(k.ticket, None))
            }
        }
    }

    /// [`Task::RouteMerged`]: routes the next ticket of `m`; whether any is left.
    pub(super) fn route_merged(&mut self, m: &mut Merged) -> bool {
        match self.next_merged(m) {
            None => false,
            Some(Next::Sticky(agent, pick)) => {
                self.assign_picks(agent, &[pick], m.at);
                true
            }
            Some(Next::Ticket(ticket, from)) => {
                let before = self.out.len();
                self.route_ticket(ticket, m.at);
                if self.out.len() == before
                    && let Some(agent) = from
                {
                    // The agent's own best ticket went to nobody, not even to it: the
                    // agent may take nothing more (this cannot happen while routing and
                    // `pick_tickets` agree on who may take what; it ends the loop if they
                    // do not).
                    debug_assert!(false, "agent {agent}'s best ticket {ticket} went to nobody");
                    m.freed.pop();
                }
                true
            }
        }
    }

    // ----- routing reactions --------------------------------------------------------
    //
    // The functions that read `base()` answer questions the pending events of this
    // decision cannot change: they are told explicitly what those events changed (the
    // ticket's new place, the agent's lower load). The `_committed` ones apply the
    // pending events first.

    /// The best free agent for a ticket waiting as `w`, except `skip`. Read-only on the
    /// base state: the ticket itself need not be in a bucket yet.
    pub(super) fn pick_for(&self, w: &Waiting, skip: Option<AgentId>) -> Option<AgentPick> {
        let s = self.base();
        let cfg = s.config();
        let not = |a: AgentId| skip == Some(a) || w.avoid.contains(&a);
        match s.index.find_bucket(w.queue, w.step, &w.req) {
            Some(b) => {
                let b = &s.index.buckets[b as usize];
                s.pick_agent(w.queue, w.req.channel, &b.pools, &b.overflow_pools, not)
            }
            None => {
                let eff = effective_needs(cfg, w.queue, w.step, &w.req.needs);
                let (base, over) = s.index.fitting_pools(cfg, w.queue, w.step, &w.req, &eff);
                s.pick_agent(w.queue, w.req.channel, &base, &over, not)
            }
        }
    }

    /// Sticky routing for a ticket that starts waiting as `w`: the customer's previous
    /// agent, if served within the window, logged in, qualified and not avoided; at once if
    /// they have room, else a reservation for the queue's sticky wait.
    pub(super) fn sticky(&self, w: &Waiting, at: Timestamp) -> Option<(AgentId, Option<Timestamp>)> {
        let s = self.base();
        let cfg = s.config();
        let rule = cfg.queue(w.queue).sticky.as_ref()?;
        let c = s.customers.get(&w.customer)?;
        let agent = c.last_agent.filter(|_| c.last_served_at.plus_ms(rule.window_ms) >= at)?;
        let a = &s.agents[agent.index()];
        let eff = effective_needs(cfg, w.queue, w.step, &w.req.needs);
        let place = Place { queue: w.queue, step: w.step, req: &w.req, eff: &eff, pinned_to: None, avoid: &w.avoid };
        // Qualified (whatever the team: the customer's agent is the point); then presence
        // and room decide between now and a reservation.
        eligibility(cfg, a, &place, false, Rules::STICKY).ok()?;
        let free = a.presence == Presence::Available && has_room(cfg, a, w.req.channel).is_ok();
        if free {
            Some((agent, None))
        } else if rule.wait_ms > 0 {
            Some((agent, Some(at.plus_ms(rule.wait_ms))))
        } else {
            None
        }
    }

    /// Routes a ticket that the pending events put into waiting as `w`: sticky first when
    /// `sticky`, else (or failing that) to the best free agent.
    pub(super) fn route_waiting(&mut self, ticket: TicketId, w: &Waiting, at: Timestamp, sticky: bool) {
        if !sticky && let Some(r) = self.released.as_mut() {
            r.tickets.push(ticket);
            return;
        }
        if sticky && let Some((agent, wait_until)) = self.sticky(w, at) {
            match wait_until {
                None => self.assign(ticket, w.queue, agent, Assignment::Sticky, at),
                Some(until) => self.emit(Event::TicketPinned { at, ticket, agent, until }),
            }
            return;
        }
        if let Some(p) = self.pick_for(w, None) {
            let strategy = self.base().config().queue(w.queue).strategy;
            self.assign(ticket, w.queue, p.agent, Assignment::Routed { strategy, overflow: p.overflow }, at);
        }
    }

    /// Routes a waiting ticket (a task: every earlier event is applied).
    pub(super) fn route_ticket(&mut self, ticket: TicketId, at: Timestamp) {
        let s = self.base();
        let Some(t) = s.tickets.get(ticket).filter(|t| t.status == TicketStatus::Queued && t.pinned_to.is_none())
        else {
            return;
        };
        let w = Waiting::of(t);
        self.route_waiting(ticket, &w, at, false);
    }

    /// Lets an agent who just released a ticket on `channel` take waiting tickets (or,
    /// while timers fire, once every timer of the instant has). Read-only on the base
    /// state, where the agent still holds `released`.
    pub(super) fn route_freed_agent(
        &mut self,
        agent: AgentId,
        channel: crate::channel::Channel,
        released: TicketId,
        at: Timestamp,
    ) {
        if let Some(r) = self.released.as_mut() {
            r.agents.push(agent);
            return;
        }
        let s = self.base();
        let a = &s.agents[agent.index()];
        if a.presence != Presence::Available {
            return;
        }
        let mut load = a.load;
        capacity::remove(&mut load, channel, &s.config().capacity);
        let picks = s.pick_tickets(a, load, &[released], usize::MAX, at);
        self.assign_picks(agent, &picks, at);
    }

    /// Lets an agent take the best waiting tickets it may take (a task: every earlier event
    /// is applied). Only when it alone became free: no other free agent may take a ticket
    /// this one may, or it would have taken it already.
    pub(super) fn route_agent(&mut self, agent: AgentId, at: Timestamp) {
        let s = self.base();
        let a = &s.agents[agent.index()];
        if a.presence != Presence::Available {
            return;
        }
        let picks = s.pick_tickets(a, a.load, &[], usize::MAX, at);
        self.assign_picks(agent, &picks, at);
    }

    pub(super) fn assign_picks(&mut self, agent: AgentId, picks: &[crate::routing::TicketPick], at: Timestamp) {
        for p in picks {
            let queue = self.base().tickets.get(p.ticket).expect("picked ticket exists").queue;
            let how = if p.sticky {
                Assignment::Sticky
            } else {
                Assignment::Routed { strategy: self.base().config().queue(queue).strategy, overflow: p.overflow }
            };
            self.assign(p.ticket, queue, agent, how, at);
        }
    }

    /// Gives a ticket to an agent: an offer if the queue uses offers, else an assignment.
    pub(super) fn assign(&mut self, ticket: TicketId, queue: QueueId, agent: AgentId, how: Assignment, at: Timestamp) {
        match &self.base().config().queue(queue).offer {
            Some(offer) => {
                let expires_at = at.plus_ms(offer.timeout_ms);
                self.emit(Event::TicketOffered { at, ticket, agent, how, expires_at });
            }
            None => self.emit(Event::TicketAssigned { at, ticket, agent, how }),
        }
    }
}

/// What [`Task::RouteMerged`] has left: `explicit` tickets (best last), `streams`, the
/// freed agents whose best ticket is to be read (`fresh`, next last) and the others' best
/// tickets (`freed`, best first).
#[derive(Clone, Debug)]
pub(crate) struct Merged {
    pub(super) explicit: Vec<(crate::priority::Rank, TicketId)>,
    pub(super) streams: Vec<Stream>,
    pub(super) fresh: Vec<AgentId>,
    /// Each freed agent's best ticket, with the agent's load when it was read.
    pub(super) freed: BinaryHeap<Reverse<(crate::priority::Rank, AgentId, Load)>>,
    pub(super) at: Timestamp,
}

/// Where the best ticket of a merged routing's step comes from.
#[derive(Clone, Copy)]
enum Source {
    Explicit,
    Stream(usize),
    Agent(AgentId),
}

/// A merged routing's next step.
pub(super) enum Next {
    /// Route the ticket to its best free agent (it is the best ticket of this freed agent).
    Ticket(TicketId, Option<AgentId>),
    /// Give the agent the ticket reserved for it.
    Sticky(AgentId, TicketPick),
}

/// A freed agent's best waiting ticket.
enum AgentBest {
    Sticky(TicketPick),
    Ticket(crate::priority::Rank, Load),
}

fn best_of_agent(s: &State, agent: AgentId, at: Timestamp) -> Option<AgentBest> {
    let a = &s.agents[agent.index()];
    if a.presence != Presence::Available {
        return None;
    }
    let pick = *s.pick_tickets(a, a.load, &[], 1, at).first()?;
    if pick.sticky {
        return Some(AgentBest::Sticky(pick));
    }
    let t = s.tickets.get(pick.ticket).expect("picked ticket exists");
    Some(AgentBest::Ticket(s.rank_at(t, at), a.load))
}

/// A queue whose overflow opened, read in best-first order by [`Task::RouteMerged`].
#[derive(Clone, Debug)]
pub(crate) struct Stream {
    pub(super) queue: QueueId,
    /// The last key taken from the queue's ranks.
    pub(super) after: Option<crate::priority::WaitKey>,
    /// The helpers' pools, with the channels they could serve the queue's tickets on: once
    /// none of them has a free agent, nobody can take another of the queue's tickets.
    pub(super) helpers: Vec<(crate::routing::PoolId, crate::channel::Channel)>,
}

/// What the timers firing at one instant changed for routing.
#[derive(Clone, Debug, Default)]
pub(crate) struct Released {
    /// Agents who freed up (a re-queue or escalation took a ticket from them, or their
    /// after-contact work ended).
    pub(super) agents: Vec<AgentId>,
    /// Tickets that started waiting, or that more agents may now take.
    pub(super) tickets: Vec<TicketId>,
    /// Queues whose overflow opened: all their waiting tickets may now go to helpers.
    pub(super) overflowed: Vec<QueueId>,
}

/// Tickets ordered best first by their priority at `at` (ties: score, wait start, id).
#[inline]
pub(super) fn best_first(s: &State, tickets: impl Iterator<Item = TicketId>, at: Timestamp) -> Vec<TicketId> {
    let mut ranked: Vec<(crate::priority::Rank, TicketId)> =
        tickets.filter_map(|id| s.tickets.get(id)).map(|t| (s.rank_at(t, at), t.id)).collect();
    ranked.sort_unstable();
    ranked.into_iter().map(|(_, id)| id).collect()
}

/// Where a ticket waits (or is about to), as routing needs to know it.
#[derive(Clone)]
pub(crate) struct Waiting {
    pub queue: QueueId,
    pub step: u8,
    pub req: ReqKey,
    pub avoid: Vec<AgentId>,
    pub customer: crate::id::CustomerId,
}

impl Waiting {
    pub(super) fn of(t: &Ticket) -> Waiting {
        Waiting {
            queue: t.queue,
            step: t.step,
            req: ReqKey { needs: t.needs, language: t.language, channel: t.channel },
            avoid: t.avoid_agents.clone(),
            customer: t.customer,
        }
    }

    pub(super) fn moved(s: &State, t: &Ticket, queue: QueueId) -> Waiting {
        let needs = merged_needs(&t.own_skills, &s.config().queue(queue).needs);
        Waiting { queue, step: 0, req: ReqKey { needs, ..Waiting::of(t).req }, ..Waiting::of(t) }
    }
}
