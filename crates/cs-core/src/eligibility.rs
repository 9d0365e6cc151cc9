//! The one rule of who may take which ticket.
//!
//! "May this agent take this ticket" is answered here and nowhere else: by routing's
//! index for a pool of agents sharing a profile ([`qualify`], through `routing::fit`), by
//! routing's explanation ([`crate::explain`]), by sticky routing, by manual assignment
//! and by the audit ([`crate::audit::could_serve`]), each through [`eligibility`] with the
//! [`Rules`] that apply to it. So routing and its explanation cannot disagree by
//! construction. The answer is yes (and how: by the step's teams or as overflow help,
//! with the proficiency summed over the ticket's skills) or the first [`Exclusion`], in a
//! fixed order: presence, reservation, avoidance, channel, language, skills, team,
//! capacity.

use crate::agent::{Agent, Capacity, LanguageSet, Presence};
use crate::capacity;
use crate::config::Config;
use crate::explain::Exclusion;
use crate::id::{AgentId, QueueId, TeamId};
use crate::routing::ReqKey;
use crate::skill::{SkillLevels, SkillNeeds};
use crate::ticket::Ticket;

/// How an agent (or a profile) qualifies for a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Admitted by the step's teams (or without a team check: a reserved ticket, a manual
    /// assignment).
    Base,
    /// Admitted as overflow help (by the queue's overflow teams), whether or not the
    /// overflow is open: the routing index keeps both and checks openness when it picks.
    Overflow,
}

/// What an agent brings to a ticket apart from its moment-to-moment state: its routing
/// profile (all agents of a pool share it).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Profile<'a> {
    pub team: TeamId,
    pub levels: &'a SkillLevels,
    pub languages: LanguageSet,
    pub capacity: &'a Capacity,
}

impl<'a> Profile<'a> {
    pub(crate) fn of(a: &'a Agent) -> Profile<'a> {
        Profile { team: a.team, levels: &a.levels, languages: a.languages, capacity: &a.capacity }
    }
}

/// Where a ticket waits (or is about to), as eligibility needs to know it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Place<'a> {
    pub queue: QueueId,
    pub step: u8,
    pub req: &'a ReqKey,
    /// The needs in force at `step` ([`crate::routing::effective_needs`]).
    pub eff: &'a SkillNeeds,
    /// The agent the ticket is reserved for by sticky routing, if any.
    pub pinned_to: Option<AgentId>,
    /// Agents the ticket must avoid.
    pub avoid: &'a [AgentId],
}

impl<'a> Place<'a> {
    /// A ticket where it waits now.
    pub(crate) fn of(t: &'a Ticket, req: &'a ReqKey, eff: &'a SkillNeeds) -> Place<'a> {
        Place { queue: t.queue, step: t.step, req, eff, pinned_to: t.pinned_to, avoid: &t.avoid_agents }
    }
}

/// Which checks apply. Every use names its set below; the order of the checks is fixed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rules {
    /// Which presence the agent must have.
    pub presence: Needs,
    /// A ticket reserved for another agent is excluded.
    pub reservation: bool,
    /// An agent the ticket must avoid is excluded.
    pub avoidance: bool,
    /// An agent not routed the ticket's channel at all is excluded (else capacity says so).
    pub channel: bool,
    /// The step's teams (or, while open, the overflow teams) must admit the agent's team;
    /// never for the agent a ticket is reserved for.
    pub team: bool,
    /// The agent must have room for one more ticket on the channel.
    pub capacity: bool,
}

/// The presence a use of the rule requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Needs {
    /// Any, logged out included (whether the agent qualifies at all).
    Any,
    /// Logged in (available, away or busy).
    LoggedIn,
    /// Available.
    Available,
}

impl Rules {
    /// Routing a waiting ticket, and explaining that: every check.
    pub(crate) const ROUTE: Rules = Rules {
        presence: Needs::Available,
        reservation: true,
        avoidance: true,
        channel: true,
        team: true,
        capacity: true,
    };
    /// Sticky routing to the customer's previous agent: qualified and not avoided, whatever
    /// the team; presence and room decide between taking it now and a reservation.
    pub(crate) const STICKY: Rules = Rules {
        presence: Needs::LoggedIn,
        reservation: false,
        avoidance: true,
        channel: true,
        team: false,
        capacity: false,
    };
    /// Whether an agent qualifies at all, whatever its presence and load (the audit's
    /// `qualifies`): channel, language, skills and team.
    pub(crate) const QUALIFY: Rules = Rules {
        presence: Needs::Any,
        reservation: false,
        avoidance: false,
        channel: true,
        team: true,
        capacity: false,
    };
    /// A supervisor's assignment: skills, language and room, whatever the team,
    /// reservations and avoidance; `force` also takes an away or busy agent (and the
    /// caller overrides every capacity limit but the hard one). Logged-out agents never.
    pub(crate) const fn manual(force: bool) -> Rules {
        Rules {
            presence: if force { Needs::LoggedIn } else { Needs::Available },
            reservation: false,
            avoidance: false,
            channel: false,
            team: false,
            capacity: true,
        }
    }
}

/// Whether agents of `profile` qualify for a ticket at `place`: the channel routed at all
/// (if `rules.channel`), the language, the skills in force at the step, and (if
/// `rules.team`) the step's teams or the queue's overflow teams. Presence, reservations,
/// avoidance and room are the agent's, not the profile's (see [`eligibility`]).
pub(crate) fn qualify(
    cfg: &Config,
    profile: Profile<'_>,
    place: &Place<'_>,
    rules: Rules,
) -> Result<Admission, Exclusion> {
    let req = place.req;
    if rules.channel && !capacity::serves(profile.capacity, req.channel, &cfg.capacity) {
        return Err(Exclusion::NoChannel);
    }
    if let Some(language) = req.language
        && !profile.languages.contains(language)
    {
        return Err(Exclusion::Language { language });
    }
    if let Some(n) = place.eff.first_unmet(profile.levels) {
        return Err(Exclusion::Skill { skill: n.skill, required: n.min, has: profile.levels.level(n.skill) });
    }
    if !rules.team {
        return Ok(Admission::Base);
    }
    let q = cfg.queue(place.queue);
    if q.steps[usize::from(place.step)].teams.admits(profile.team) {
        Ok(Admission::Base)
    } else if q.overflow.as_ref().is_some_and(|o| o.teams.binary_search(&profile.team).is_ok()) {
        Ok(Admission::Overflow)
    } else {
        Err(Exclusion::Team { step: place.step })
    }
}

/// Whether agent `a` may take the ticket at `place` now, under `rules`: yes (and how), or
/// the first reason not. `overflow_open` says whether the ticket's queue takes overflow
/// help now.
pub(crate) fn eligibility(
    cfg: &Config,
    a: &Agent,
    place: &Place<'_>,
    overflow_open: bool,
    rules: Rules,
) -> Result<Admission, Exclusion> {
    if rules.presence != Needs::Any && a.presence == Presence::Offline {
        return Err(Exclusion::Offline);
    }
    if rules.presence == Needs::Available && a.presence != Presence::Available {
        return Err(Exclusion::NotAvailable { presence: a.presence });
    }
    if rules.reservation
        && let Some(agent) = place.pinned_to.filter(|&p| p != a.id)
    {
        return Err(Exclusion::ReservedForOther { agent });
    }
    if rules.avoidance && place.avoid.contains(&a.id) {
        return Err(Exclusion::Avoided);
    }
    let rules_here = Rules { team: rules.team && place.pinned_to != Some(a.id), ..rules };
    let admission = qualify(cfg, Profile::of(a), place, rules_here)?;
    if admission == Admission::Overflow && !overflow_open {
        return Err(Exclusion::Team { step: place.step });
    }
    if rules.capacity {
        has_room(cfg, a, place.req.channel)?;
    }
    Ok(admission)
}

/// Whether agent `a` has room for one more ticket on `channel` (the capacity rule of
/// [`eligibility`], for sticky routing to choose between now and a reservation).
pub(crate) fn has_room(cfg: &Config, a: &Agent, channel: crate::channel::Channel) -> Result<(), Exclusion> {
    capacity::check(&a.capacity, &a.load, channel, &cfg.capacity, cfg.limits.agent_tickets_max)
        .map_err(|limit| Exclusion::Capacity { limit })
}

#[cfg(test)]
mod tests {
    use crate::capacity::CapacityBlock;
    use crate::explain::Exclusion;

    #[test]
    fn capacity_exclusions_serialize_by_the_names_explanations_always_used() {
        let names = [
            (CapacityBlock::NoChannel, "channel"),
            (CapacityBlock::ChannelFull, "channel_full"),
            (CapacityBlock::Units, "units"),
            (CapacityBlock::Exclusive, "exclusive_channel"),
            (CapacityBlock::TicketsMax, "agent_tickets_max"),
        ];
        for (limit, name) in names {
            let json = serde_json::to_string(&Exclusion::Capacity { limit }).unwrap();
            assert_eq!(json, format!(r#"{{"reason":"capacity","limit":"{name}"}}"#));
        }
    }
}
