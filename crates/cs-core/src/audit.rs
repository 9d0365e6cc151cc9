//! [`audit`]: the state's invariants, checked from its public tables only, for tests,
//! fuzzing and the deterministic simulation of the durable engine to call after every step.
//!
//! It never looks at the routing index: every rule is checked against the tables the way
//! the docs state it, so a bug in the index shows up as a broken invariant here.

use crate::agent::{Load, Presence};
use crate::capacity;
use crate::eligibility::{Place, Rules, eligibility};
use crate::routing::{ReqKey, effective_needs};
use crate::state::State;
use crate::ticket::TicketStatus;
use std::collections::BTreeMap;

/// Checks, on a configured state:
/// - no ticket is held by two agents, and a ticket's `agent` and the agent's `held` agree;
/// - an agent's load is what its held tickets and after-contact work take, never over the
///   per-agent limit; an offline agent holds nothing;
/// - a ticket reserved by sticky routing waits, for an agent who is logged in;
/// - no available agent and waiting ticket it could serve coexist (skills at the ticket's
///   step, language, team or overflow, capacity, tickets it must avoid, reservations);
/// - every SLA clock that breached had a deadline no later than the state's time.
///
/// Costs O(agents × tickets): for tests, not the hot path.
///
/// # Errors
/// The first invariant found broken, in words.
pub fn audit(s: &State) -> Result<(), String> {
    let Some(cfg) = s.config_opt() else { return Ok(()) };
    let mut holder = BTreeMap::new();
    for a in s.agents() {
        let mut load = Load::default();
        for &tk in &a.held {
            if let Some(other) = holder.insert(tk, a.id) {
                return Err(format!("ticket {tk} is held by agents {other} and {}", a.id));
            }
            let t = s.ticket(tk).ok_or_else(|| format!("agent {} holds unknown ticket {tk}", a.id))?;
            if t.agent != Some(a.id) {
                return Err(format!("agent {} holds ticket {tk}, whose agent is {:?}", a.id, t.agent));
            }
            capacity::add(&mut load, t.channel, &cfg.capacity);
        }
        for &(_, channel, _) in &a.wrap_ups {
            capacity::add(&mut load, channel, &cfg.capacity);
        }
        if load != a.load {
            return Err(format!("agent {}'s load {:?} is not what it holds ({load:?})", a.id, a.load));
        }
        if a.load.total() > cfg.limits.agent_tickets_max {
            return Err(format!(
                "agent {} holds {} tickets, over the limit {}",
                a.id,
                a.load.total(),
                cfg.limits.agent_tickets_max
            ));
        }
        if a.presence == Presence::Offline && !a.held.is_empty() {
            return Err(format!("offline agent {} holds tickets", a.id));
        }
    }
    for t in s.tickets() {
        let held = matches!(t.status, TicketStatus::Assigned | TicketStatus::Offered);
        if held != t.agent.is_some() {
            return Err(format!("ticket {} is {:?} with agent {:?}", t.id, t.status, t.agent));
        }
        if held && holder.get(&t.id) != t.agent.as_ref() {
            return Err(format!("ticket {} names agent {:?}, who does not hold it", t.id, t.agent));
        }
        if let Some(p) = t.pinned_to {
            if t.status != TicketStatus::Queued {
                return Err(format!("ticket {} is reserved for {p} while {:?}", t.id, t.status));
            }
            if s.agent(p).is_none_or(|a| a.presence == Presence::Offline) {
                return Err(format!("ticket {} waits for offline agent {p}", t.id));
            }
        }
        if let Some(sla) = &t.sla {
            for c in &sla.clocks {
                if c.breached && c.deadline > s.last_event_at() {
                    return Err(format!("ticket {}: a clock breached before its deadline {}", t.id, c.deadline));
                }
            }
        }
    }
    for a in s.agents().iter().filter(|a| a.presence == Presence::Available) {
        for t in s.tickets().filter(|t| t.status == TicketStatus::Queued) {
            if could_serve(s, a, t) {
                return Err(format!("available agent {} could serve waiting ticket {}", a.id, t.id));
            }
        }
    }
    Ok(())
}

/// Whether an agent may take a ticket now, by the rules as documented: available, the
/// ticket waiting and not reserved for another or to be avoided by this agent, room on its
/// channel, and [`qualifies`]. This is the one eligibility rule routing and its
/// explanation use; the audit's independence from routing lies in checking it over the
/// tables (every agent against every ticket), never through the routing index.
pub fn could_serve(s: &State, a: &crate::Agent, t: &crate::Ticket) -> bool {
    t.status == TicketStatus::Queued && eligible(s, a, t, Rules::ROUTE)
}

/// Whether an agent qualifies for a ticket whatever its presence and load: skills at the
/// ticket's step (the step's `proficiency_min` replaces the ticket's own minimums),
/// language, the step's teams (or overflow teams while overflow is open; a ticket reserved
/// for the agent needs no team), and a channel the agent is routed at all.
pub fn qualifies(s: &State, a: &crate::Agent, t: &crate::Ticket) -> bool {
    eligible(s, a, t, Rules::QUALIFY)
}

fn eligible(s: &State, a: &crate::Agent, t: &crate::Ticket, rules: Rules) -> bool {
    let cfg = s.config();
    let eff = effective_needs(cfg, t.queue, t.step, &t.needs);
    let req = ReqKey { needs: t.needs, language: t.language, channel: t.channel };
    eligibility(cfg, a, &Place::of(t, &req, &eff), s.overflow_open(t.queue), rules).is_ok()
}
