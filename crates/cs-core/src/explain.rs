//! Explaining routing decisions: pure queries over a state, never used to decide.
//!
//! [`explain`] answers, for a waiting ticket at an instant: which agents were candidates,
//! with their strategy rank; why every other agent was excluded (presence, reservation,
//! skill, proficiency, language, team at the current step, capacity); which candidate
//! wins and which key of the tie-break order decided it; and how the ticket's priority is
//! made up. [`explain_agent`] answers the other question: which waiting tickets an agent
//! could take, best first. [`explain_assignment`] replays a log up to an assignment and
//! explains it from both sides.
//!
//! These walk every agent or every waiting ticket: they are for people and audits, not
//! the hot path. They share no code with routing's index on purpose, so a test can check
//! that routing chose what the explanation says it should; they share with routing the
//! one eligibility rule ([`crate::eligibility`]), so the two cannot disagree on who may
//! take a ticket.

use crate::capacity::CapacityBlock;
use crate::config::Strategy;
use crate::eligibility::{Admission, Place, Rules, eligibility};
use crate::event::Event;
use crate::id::{AgentId, LanguageId, QueueId, SkillId, TicketId};
use crate::priority::{POINT_UNITS, Rank};
use crate::routing::{AgentRank, ReqKey, effective_needs};
use crate::state::State;
use crate::ticket::TicketStatus;
use crate::time::Timestamp;
use serde::Serialize;

/// Why an agent could not take the ticket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Exclusion {
    /// Logged out.
    Offline,
    /// Logged in but not taking tickets.
    NotAvailable {
        /// Their presence.
        presence: crate::agent::Presence,
    },
    /// The ticket is reserved for another agent by sticky routing.
    ReservedForOther {
        /// The agent it waits for.
        agent: AgentId,
    },
    /// The ticket must avoid this agent (declined, let an offer expire, did not reply,
    /// transferred it away).
    Avoided,
    /// The agent is not routed this channel.
    NoChannel,
    /// The agent does not speak the ticket's language.
    Language {
        /// The language.
        language: LanguageId,
    },
    /// A skill is missing or below the level required at the current step.
    Skill {
        /// The skill.
        skill: SkillId,
        /// Level required.
        required: u8,
        /// Level held (0 = none).
        has: u8,
    },
    /// The agent's team is not admitted at the current step (nor as overflow help).
    Team {
        /// The step in force.
        step: u8,
    },
    /// No room: per-channel limit, unit budget, exclusive channel or hard limit.
    Capacity {
        /// Which limit (serialized as `channel`, `channel_full`, `units`,
        /// `exclusive_channel` or `agent_tickets_max`).
        limit: CapacityBlock,
    },
}

/// An agent able to take the ticket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// The agent.
    pub agent: AgentId,
    /// Its place in the strategy's order (smaller is better).
    pub rank: AgentRank,
    /// Summed proficiency on the ticket's skills.
    pub proficiency_sum: u32,
    /// Admitted as overflow help.
    pub overflow: bool,
}

/// Which key of the order separated the winner from the runner-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TieBreak {
    /// Only one candidate.
    Alone,
    /// The strategy's primary key (idle time, occupancy, rotation, proficiency).
    Primary,
    /// The secondary key (idle time).
    Secondary,
    /// Everything equal: the lower agent id.
    AgentId,
}

/// How a ticket's priority is made up, in points.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PriorityBreakdown {
    /// Customer tier points.
    pub tier: i64,
    /// Urgency points.
    pub urgency: i64,
    /// Emotion points.
    pub emotion: i64,
    /// Channel points.
    pub channel: i64,
    /// Points gained by waiting.
    pub aging: f64,
    /// The total.
    pub total: f64,
}

/// Why a waiting ticket would go to whom.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    /// The ticket.
    pub ticket: TicketId,
    /// The instant explained.
    pub at: Timestamp,
    /// Its queue.
    pub queue: QueueId,
    /// Its relaxation step.
    pub step: u8,
    /// The queue's strategy.
    pub strategy: Strategy,
    /// Its priority.
    pub priority: PriorityBreakdown,
    /// Agents able to take it, best first.
    pub candidates: Vec<Candidate>,
    /// Every other agent and why not.
    pub excluded: Vec<(AgentId, Exclusion)>,
    /// The agent routing gives it to (the first candidate), if any.
    pub chosen: Option<AgentId>,
    /// What decided between the first two candidates.
    pub tie_break: Option<TieBreak>,
}

/// Explains where waiting ticket `ticket` would go at `at`. `None` if it does not wait.
pub fn explain(state: &State, ticket: TicketId, at: Timestamp) -> Option<Explanation> {
    let cfg = state.config_opt()?;
    let t = state.ticket(ticket)?;
    if t.status != TicketStatus::Queued {
        return None;
    }
    let q = cfg.queue(t.queue);
    let eff = effective_needs(cfg, t.queue, t.step, &t.needs);
    let req = ReqKey { needs: t.needs, language: t.language, channel: t.channel };
    let place = Place::of(t, &req, &eff);
    let open = state.overflow_open(t.queue);
    let mut candidates = Vec::new();
    let mut excluded = Vec::new();
    for a in state.agents() {
        match eligibility(cfg, a, &place, open, Rules::ROUTE) {
            Err(x) => excluded.push((a.id, x)),
            Ok(admission) => {
                let proficiency_sum = t.needs.proficiency_sum(&a.levels);
                candidates.push(Candidate {
                    agent: a.id,
                    rank: AgentRank::of(q.strategy, a, proficiency_sum),
                    proficiency_sum,
                    overflow: admission == Admission::Overflow,
                });
            }
        }
    }
    candidates.sort_by_key(|c| c.rank);
    let tie_break = match candidates.as_slice() {
        [] => None,
        [_] => Some(TieBreak::Alone),
        [a, b, ..] if a.rank.primary_cmp(&b.rank).is_ne() => Some(TieBreak::Primary),
        [a, b, ..] if a.rank.secondary != b.rank.secondary => Some(TieBreak::Secondary),
        _ => Some(TieBreak::AgentId),
    };
    let w = &q.weights;
    let aging = w.aging_milli_per_min as f64 * at.since(t.queued_since).max(0) as f64 / POINT_UNITS as f64;
    let (tier, urgency, emotion, channel) = (
        w.tier[t.tier.index()],
        w.urgency[t.urgency.index()],
        w.emotion[t.emotion.index()],
        w.channel[t.channel.index()],
    );
    Some(Explanation {
        ticket,
        at,
        queue: t.queue,
        step: t.step,
        strategy: q.strategy,
        priority: PriorityBreakdown { tier, urgency, emotion, channel, aging, total: t.score as f64 + aging },
        chosen: candidates.first().map(|c| c.agent),
        candidates,
        excluded,
        tie_break,
    })
}

/// A waiting ticket an agent could take, with its priority at the instant asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TicketChoice {
    /// The ticket.
    pub ticket: TicketId,
    /// Its priority in points at that instant (rounded down).
    pub priority_points: i64,
    /// Reserved for this agent by sticky routing (taken before any other).
    pub reserved: bool,
}

/// The waiting tickets agent `agent` could take at `at`, in the order routing would give
/// them (reserved ones first, then by priority). At most `limit`.
pub fn explain_agent(state: &State, agent: AgentId, at: Timestamp, limit: usize) -> Vec<TicketChoice> {
    let Some(a) = state.agent(agent) else { return Vec::new() };
    let mut out: Vec<(bool, Rank, TicketChoice)> = state
        .tickets()
        .filter(|t| t.is_waiting())
        .filter_map(|t| {
            let e = explain(state, t.id, at)?;
            e.candidates.iter().any(|c| c.agent == a.id).then(|| {
                let rank = state.rank_at(t, at);
                let reserved = t.pinned_to == Some(agent);
                (!reserved, rank, TicketChoice { ticket: t.id, priority_points: rank.points(), reserved })
            })
        })
        .collect();
    out.sort_by_key(|x| (x.0, x.1));
    out.into_iter().take(limit).map(|(_, _, c)| c).collect()
}

/// Both sides of the assignment recorded at `events[index]` (a `TicketAssigned` or
/// `TicketOffered`), explained over the state just before it: where the ticket could go,
/// and what the agent could take.
pub fn explain_assignment(events: &[Event], index: usize) -> Option<(Explanation, Vec<TicketChoice>)> {
    let (at, ticket, agent) = match events.get(index)? {
        Event::TicketAssigned { at, ticket, agent, .. } | Event::TicketOffered { at, ticket, agent, .. } => {
            (*at, *ticket, *agent)
        }
        _ => return None,
    };
    let state = crate::replay(&events[..index]);
    Some((explain(&state, ticket, at)?, explain_agent(&state, agent, at, 10)))
}
