//! A command's own events: configuring, presence, logout, a new ticket, manual
//! assignment, transfer and the rest of the commands.

use super::escalation::{Cause, Escalatable};
use super::routing::{Waiting, best_first};
use super::{
    Decider, Task, agent_ref, check_class_limit, check_depth, check_key, check_open_limit, holder, invalid,
    known_ticket, merge_checked, open_ticket, validate_skills,
};
use crate::agent::Presence;
use crate::capacity::CapacityBlock;
use crate::command::Command;
use crate::config::{Config, ConfigSpec};
use crate::eligibility::{Place, Rules, eligibility};
use crate::escalation::Trigger;
use crate::event::{Assignment, Event, PresenceReason, RequeueReason, TransferReason, UnpinReason};
use crate::explain::Exclusion;
use crate::id::{AgentId, QueueId, TicketId};
use crate::rejection::Rejection;
use crate::routing::{ReqKey, effective_needs};
use crate::skill::TICKET_SKILLS_MAX;
use crate::sla::ClockKind;
use crate::ticket::CustomerTier;
use crate::ticket::{Ticket, TicketSpec, TicketStatus};
use crate::time::Timestamp;
use std::sync::Arc;

impl Decider<'_, '_> {
    /// Decides one command: the frequent ones of a ticket's life here, the rest in
    /// [`Decider::command_other`].
    pub(crate) fn command(&mut self, cmd: &Command) -> Result<(), Rejection> {
        match cmd {
            Command::CreateTicket { at, spec } => self.create_ticket(*at, spec),
            Command::Resolve { at, ticket } => {
                let t = open_ticket(self.base(), *ticket, *at)?;
                let held = t.agent.filter(|_| matches!(t.status, TicketStatus::Assigned | TicketStatus::Offered));
                let held = held.filter(|&a| !(t.status == TicketStatus::Assigned && self.wraps_up(a, t)));
                let (channel, has_sla) = (t.channel, t.sla.is_some());
                if has_sla {
                    self.emit_clocks_met(*ticket, &ClockKind::ALL, *at);
                }
                self.emit(Event::TicketResolved { at: *at, ticket: *ticket });
                if let Some(agent) = held {
                    self.route_freed_agent(agent, channel, *ticket, *at);
                }
                Ok(())
            }
            Command::Abandon { at, ticket } => {
                let t = open_ticket(self.base(), *ticket, *at)?;
                if !matches!(t.status, TicketStatus::Queued | TicketStatus::Offered | TicketStatus::Bot) {
                    return Err(invalid(t, "abandon"));
                }
                let offered_to = t.agent.filter(|_| t.status == TicketStatus::Offered);
                let channel = t.channel;
                self.emit(Event::TicketAbandoned { at: *at, ticket: *ticket });
                if let Some(agent) = offered_to {
                    self.route_freed_agent(agent, channel, *ticket, *at);
                }
                Ok(())
            }
            Command::AgentReply { at, ticket } => {
                let t = open_ticket(self.base(), *ticket, *at)?;
                // While the ticket waits on the customer or on hold nobody holds it: the
                // reply (a reminder, an update) is its last agent's.
                let agent = match (t.status, t.last_agent) {
                    (TicketStatus::WaitingOnCustomer | TicketStatus::OnHold, Some(agent)) => agent,
                    _ => holder(self.base(), *ticket, *at, TicketStatus::Assigned, "reply to")?,
                };
                self.emit_clocks_met(
                    *ticket,
                    &[ClockKind::FirstResponse, ClockKind::NextResponse, ClockKind::Update],
                    *at,
                );
                self.emit(Event::AgentReplied { at: *at, ticket: *ticket, agent });
                Ok(())
            }
            Command::AcceptOffer { at, ticket } => {
                let agent = holder(self.base(), *ticket, *at, TicketStatus::Offered, "accept the offer of")?;
                self.emit(Event::OfferAccepted { at: *at, ticket: *ticket, agent });
                Ok(())
            }
            Command::Tick { .. } => Ok(()),
            _ => self.command_other(cmd),
        }
    }

    /// Every command but the frequent ones `command` decides itself: kept out of line, so
    /// that the code deciding the frequent ones stays small and close together.
    #[inline(never)]
    pub(super) fn command_other(&mut self, cmd: &Command) -> Result<(), Rejection> {
        match cmd {
            Command::Configure { at, config } => self.configure(*at, config),
            Command::RegisterAgent { at, key, team, tier, skills, languages, capacity } => {
                let s = self.base();
                let cfg = s.config();
                check_key(key)?;
                if s.agent_keys.contains_key(key.as_str()) {
                    return Err(Rejection::DuplicateAgentKey { key: key.clone() });
                }
                let team_cfg = cfg.teams().get(team.index()).ok_or(Rejection::UnknownTeam { team: *team })?;
                let skills = validate_skills(cfg, skills)?;
                if let Some(l) =
                    (0..64u8).find(|&l| languages.0 & (1 << l) != 0 && usize::from(l) >= cfg.language_names().len())
                {
                    return Err(Rejection::UnknownLanguage { language: crate::id::LanguageId(l) });
                }
                if s.agents.len() as u64 >= u64::from(cfg.limits.agents_max) {
                    return Err(Rejection::LimitReached { limit: "agents_max", max: u64::from(cfg.limits.agents_max) });
                }
                self.emit(Event::AgentRegistered {
                    at: *at,
                    agent: AgentId(s.agents.len() as u32),
                    key: key.clone(),
                    team: *team,
                    tier: tier.unwrap_or(team_cfg.tier),
                    skills,
                    languages: *languages,
                    capacity: *capacity,
                });
                Ok(())
            }
            Command::Login { at, agent } => self.set_presence(*at, *agent, Presence::Available),
            Command::SetPresence { at, agent, presence } => {
                if *presence == Presence::Offline {
                    return Err(Rejection::PresenceNotSettable { presence: *presence });
                }
                self.set_presence(*at, *agent, *presence)
            }
            Command::Logout { at, agent } => self.logout(*at, *agent),
            Command::SetAgentSkills { at, agent, skills } => {
                let s = self.base();
                agent_ref(s, *agent)?;
                let skills = validate_skills(s.config(), skills)?;
                self.emit(Event::AgentSkillsChanged { at: *at, agent: *agent, skills });
                self.agenda.push(Task::RouteAgent { agent: *agent, at: *at });
                Ok(())
            }
            Command::SetAgentCapacity { at, agent, capacity } => {
                agent_ref(self.base(), *agent)?;
                self.emit(Event::AgentCapacityChanged { at: *at, agent: *agent, capacity: *capacity });
                self.agenda.push(Task::RouteAgent { agent: *agent, at: *at });
                Ok(())
            }
            Command::UpdateTicket { at, ticket, tier, urgency, emotion } => {
                let t = open_ticket(self.base(), *ticket, *at)?;
                let (tier, urgency, emotion) =
                    (tier.unwrap_or(t.tier), urgency.unwrap_or(t.urgency), emotion.unwrap_or(t.emotion));
                if (tier, urgency, emotion) != (t.tier, t.urgency, t.emotion) {
                    let before = Escalatable::of(t);
                    let after = Escalatable { tier, emotion, ..before.clone() };
                    self.emit(Event::TicketUpdated { at: *at, ticket: *ticket, tier, urgency, emotion });
                    if after.tier == CustomerTier::Vip && before.tier != CustomerTier::Vip {
                        self.escalate_on(after.clone(), Cause::Vip, *at);
                    } else if after.emotion > before.emotion {
                        self.escalate_on(after, Cause::Emotion(before.emotion), *at);
                    }
                }
                Ok(())
            }
            Command::AssignTicket { at, ticket, agent, force } => self.assign_manually(*at, *ticket, *agent, *force),
            Command::DeclineOffer { at, ticket } => {
                let agent = holder(self.base(), *ticket, *at, TicketStatus::Offered, "decline the offer of")?;
                self.emit(Event::TicketRequeued { at: *at, ticket: *ticket, reason: RequeueReason::OfferDeclined });
                self.requeued_then_route(*ticket, agent, *at, true);
                Ok(())
            }
            Command::BotResolve { at, ticket } => {
                let t = open_ticket(self.base(), *ticket, *at)?;
                if t.status != TicketStatus::Bot {
                    return Err(invalid(t, "resolve as the bot"));
                }
                self.emit_clocks_met(*ticket, &ClockKind::ALL, *at);
                self.emit(Event::BotResolved { at: *at, ticket: *ticket });
                Ok(())
            }
            Command::BotHandoff { at, ticket, reason, transcript } => {
                let s = self.base();
                let t = open_ticket(s, *ticket, *at)?;
                if t.status != TicketStatus::Bot {
                    return Err(invalid(t, "hand off from the bot"));
                }
                if reason.trim().is_empty() {
                    return Err(Rejection::Empty { field: "reason" });
                }
                check_depth(s, t.queue)?;
                let view = Escalatable { status: TicketStatus::Queued, ..Escalatable::of(t) };
                let w = Waiting { step: 0, ..view.waiting.clone() };
                let (customer, category, created) = (t.customer, t.category, t.created_at);
                self.emit(Event::BotHandedOff {
                    at: *at,
                    ticket: *ticket,
                    reason: reason.clone(),
                    transcript: transcript.clone(),
                });
                // Handed to people, the ticket meets the rules a ticket created for people
                // meets on arrival.
                if !self.escalate_on_arrival(view, customer, category, Some(created), *at) {
                    self.route_waiting(*ticket, &w, *at, true);
                }
                Ok(())
            }
            Command::Escalate { at, ticket, tier, note } => {
                let s = self.base();
                let t = open_ticket(s, *ticket, *at)?;
                let esc = &s.config().escalation;
                if !matches!(t.status, TicketStatus::Queued | TicketStatus::Offered | TicketStatus::Assigned) {
                    return Err(invalid(t, "escalate"));
                }
                let target = match tier {
                    Some(tier) if usize::from(*tier) < esc.tiers.len() => usize::from(*tier),
                    Some(_) => return Err(Rejection::NoEscalation { ticket: *ticket, reason: "no such tier" }),
                    None => esc
                        .tier_of(t.queue)
                        .and_then(|from| esc.out[from].first().copied())
                        .ok_or(Rejection::NoEscalation { ticket: *ticket, reason: "its queue has no tier above it" })?,
                };
                if esc.tiers[target].queue == t.queue {
                    return Err(Rejection::NoEscalation { ticket: *ticket, reason: "it is already in that tier" });
                }
                let view = Escalatable::of(t);
                self.escalate(view, target, Trigger::Manual, None, 0, note.clone(), *at);
                Ok(())
            }
            Command::CustomerMessage { at, ticket } => {
                let t = open_ticket(self.base(), *ticket, *at)?;
                // A customer writing to a held ticket reopens the conversation too, as help
                // desks do: it goes back to its agent.
                let pending = matches!(t.status, TicketStatus::WaitingOnCustomer | TicketStatus::OnHold);
                let w = Waiting { step: 0, ..Waiting::of(t) };
                self.emit(Event::CustomerReplied { at: *at, ticket: *ticket });
                if pending {
                    self.emit(Event::TicketReactivated { at: *at, ticket: *ticket });
                    self.route_waiting(*ticket, &w, *at, true);
                }
                Ok(())
            }
            Command::SetPending { at, ticket } | Command::SetOnHold { at, ticket } => {
                let pending = matches!(cmd, Command::SetPending { .. });
                let t = open_ticket(self.base(), *ticket, *at)?;
                if t.status != TicketStatus::Assigned {
                    return Err(invalid(t, if pending { "set pending" } else { "put on hold" }));
                }
                let (agent, channel) = (t.agent.expect("assigned"), t.channel);
                let frees = !self.wraps_up(agent, t);
                self.emit(if pending {
                    Event::TicketPending { at: *at, ticket: *ticket }
                } else {
                    Event::TicketOnHold { at: *at, ticket: *ticket }
                });
                if frees {
                    self.route_freed_agent(agent, channel, *ticket, *at);
                }
                Ok(())
            }
            Command::ReleaseHold { at, ticket } => {
                let t = open_ticket(self.base(), *ticket, *at)?;
                if t.status != TicketStatus::OnHold {
                    return Err(invalid(t, "take off hold"));
                }
                let w = Waiting { step: 0, ..Waiting::of(t) };
                self.emit(Event::TicketReactivated { at: *at, ticket: *ticket });
                self.route_waiting(*ticket, &w, *at, true);
                Ok(())
            }
            Command::Transfer { at, ticket, queue } => self.transfer(*at, *ticket, *queue),
            Command::Reopen { at, ticket } => {
                let s = self.base();
                let t = known_ticket(s, *ticket, *at)?;
                if t.status != TicketStatus::Resolved {
                    return Err(invalid(t, "reopen"));
                }
                // The reopen window is the closed-ticket retention: past it, `known_ticket`
                // has already refused the ticket as archived.
                check_open_limit(s)?;
                check_depth(s, t.queue)?;
                let w = Waiting { step: 0, ..Waiting::of(t) };
                let view = Escalatable {
                    status: TicketStatus::Queued,
                    agent: None,
                    reopen_count: t.reopen_count + 1,
                    rules_fired: t.rules_fired,
                    ..Escalatable::of(t)
                };
                self.emit(Event::TicketReopened { at: *at, ticket: *ticket });
                if !self.escalate_on(view, Cause::Reopen, *at) {
                    self.route_waiting(*ticket, &w, *at, true);
                }
                Ok(())
            }
            Command::CreateTicket { .. }
            | Command::Resolve { .. }
            | Command::Abandon { .. }
            | Command::AcceptOffer { .. }
            | Command::AgentReply { .. }
            | Command::Tick { .. } => unreachable!("decided by `command`"),
        }
    }

    pub(super) fn configure(&mut self, at: Timestamp, spec: &ConfigSpec) -> Result<(), Rejection> {
        let config = Config::new(spec.clone()).map_err(Rejection::InvalidConfig)?;
        let s = self.base();
        let reconfigure = s.config.is_some();
        if let Some(old) = &s.config {
            config.extends(old).map_err(|change| Rejection::IncompatibleConfig { reason: change.to_string() })?;
            for t in s.tickets.iter().filter(|t| !t.status.is_closed()) {
                let mut needs = t.own_skills;
                for n in config.queue(t.queue).needs.iter() {
                    needs.insert(n).map_err(|_| Rejection::IncompatibleConfig {
                        reason: format!(
                            "open ticket {} would need more than {TICKET_SKILLS_MAX} skills in queue {:?}",
                            t.id,
                            config.queue(t.queue).name
                        ),
                    })?;
                }
            }
        }
        self.emit(Event::Configured { at, config: Arc::new(config) });
        if reconfigure {
            // New rules may match waiting tickets to free agents: let every available
            // agent take what it now can.
            // (`Configured` registers no agent: the base state has them all.)
            let s = self.base();
            let agents = s.agents.iter().filter(|a| a.presence == Presence::Available).map(|a| a.id).collect();
            let merged = self.merged(Vec::new(), Vec::new(), agents, at);
            self.agenda.push(merged);
        }
        Ok(())
    }

    pub(super) fn set_presence(&mut self, at: Timestamp, agent: AgentId, presence: Presence) -> Result<(), Rejection> {
        let a = agent_ref(self.base(), agent)?;
        if a.presence == presence {
            return Ok(());
        }
        if a.presence == Presence::Offline && presence != Presence::Available {
            return Err(Rejection::AgentNotAvailable { agent, presence: a.presence });
        }
        self.emit(Event::AgentPresenceChanged { at, agent, presence, reason: PresenceReason::Requested });
        if presence == Presence::Available {
            let a = agent_ref(self.base(), agent)?;
            let picks = self.base().pick_tickets(a, a.load, &[], usize::MAX, at);
            self.assign_picks(agent, &picks, at);
        }
        Ok(())
    }

    pub(super) fn logout(&mut self, at: Timestamp, agent: AgentId) -> Result<(), Rejection> {
        let a = agent_ref(self.base(), agent)?;
        if a.presence == Presence::Offline {
            return Ok(());
        }
        let s = self.base();
        // After-contact work ends with the shift. Held tickets go back to waiting with
        // their age, and tickets waiting for this agent by sticky routing stop waiting for
        // them. Both are re-routed best first, so that where agents are short the most
        // urgent gets the first free agent.
        let wrapping: Vec<TicketId> = a.wrap_ups.iter().map(|w| w.2).collect();
        let held = best_first(s, a.held.iter().copied(), at);
        let pinned = best_first(s, s.index.pinned.get(&agent).into_iter().flatten().map(|wk| wk.ticket), at);
        for ticket in wrapping {
            self.emit(Event::WrapUpEnded { at, agent, ticket });
        }
        for &ticket in &held {
            self.emit(Event::TicketRequeued { at, ticket, reason: RequeueReason::AgentOffline });
        }
        for &ticket in &pinned {
            self.emit(Event::TicketUnpinned { at, ticket, reason: UnpinReason::AgentOffline });
        }
        self.emit(Event::AgentPresenceChanged {
            at,
            agent,
            presence: Presence::Offline,
            reason: PresenceReason::Requested,
        });
        let mut all = held;
        all.extend(pinned);
        if !all.is_empty() {
            self.agenda.push(Task::RouteBestFirst { tickets: all, at });
        }
        Ok(())
    }

    pub(super) fn create_ticket(&mut self, at: Timestamp, spec: &TicketSpec) -> Result<(), Rejection> {
        let s = self.base();
        let cfg = s.config();
        if let Some(c) = spec.category
            && c.index() >= cfg.category_names().len()
        {
            return Err(Rejection::UnknownCategory { category: c });
        }
        let queue = match spec.queue {
            Some(q) if q.index() < cfg.queues().len() => q,
            Some(q) => return Err(Rejection::UnknownQueue { queue: q }),
            None => cfg
                .queue_for(spec.channel, spec.category)
                .ok_or(Rejection::NoQueueFor { channel: spec.channel, category: spec.category })?,
        };
        // A full queue may hand new tickets to its `when_full` queue.
        let queue = match (check_depth(s, queue), cfg.queue(queue).when_full) {
            (Ok(()), _) => queue,
            (Err(full), Some(other)) => {
                check_depth(s, other).map_err(|_| full)?;
                other
            }
            (Err(full), None) => return Err(full),
        };
        if let Some(n) = spec.skills.iter().find(|n| n.skill.index() >= cfg.skill_names().len()) {
            return Err(Rejection::UnknownSkill { skill: n.skill });
        }
        let needs = merge_checked(&spec.skills, &cfg.queue(queue).needs)?;
        if let Some(l) = spec.language
            && usize::from(l.0) >= cfg.language_names().len()
        {
            return Err(Rejection::UnknownLanguage { language: l });
        }
        if spec.ttl_s == Some(0) {
            return Err(Rejection::Invalid { field: "ttl_s", reason: "must be above 0 seconds".into() });
        }
        if let Some(k) = &spec.key {
            check_key(k)?;
            if s.ticket_keys.contains_key(k.as_str()) {
                return Err(Rejection::DuplicateTicketKey { key: k.clone() });
            }
        }
        check_open_limit(s)?;
        let req = ReqKey { needs, language: spec.language, channel: spec.channel };
        if !spec.bot {
            check_class_limit(s, &req)?;
        }
        let ticket = s.tickets.next_id();
        let w = Waiting { queue, step: 0, req, avoid: Vec::new(), customer: spec.customer };
        let mut spec = spec.clone();
        spec.queue = Some(queue);
        let bot = spec.bot;
        // What the arrival escalation rules look at, if a ticket for people meets any.
        let view = (!bot && !cfg.escalation.rules.is_empty()).then(|| Escalatable {
            ticket,
            queue,
            status: TicketStatus::Queued,
            agent: None,
            channel: spec.channel,
            tier: spec.tier,
            emotion: spec.emotion,
            reopen_count: 0,
            rules_fired: 0,
            own_skills: spec.skills,
            waiting: w.clone(),
        });
        let (customer, category) = (spec.customer, spec.category);
        let rules = !cfg.escalation.rules.is_empty();
        self.emit(Event::TicketCreated { at, ticket, spec });
        if rules {
            self.emit_recurring_alerts(customer, category, at);
        }
        if bot {
            return Ok(());
        }
        let escalated = view.is_some_and(|v| self.escalate_on_arrival(v, customer, category, None, at));
        if !escalated {
            self.route_waiting(ticket, &w, at, true);
        }
        Ok(())
    }

    pub(super) fn assign_manually(
        &mut self,
        at: Timestamp,
        ticket: TicketId,
        agent: AgentId,
        force: bool,
    ) -> Result<(), Rejection> {
        let s = self.base();
        let cfg = s.config();
        let t = open_ticket(s, ticket, at)?;
        if t.status != TicketStatus::Queued {
            return Err(invalid(t, "assign"));
        }
        let a = agent_ref(s, agent)?;
        let eff = effective_needs(cfg, t.queue, t.step, &t.needs);
        let req = ReqKey { needs: t.needs, language: t.language, channel: t.channel };
        let place = Place::of(t, &req, &eff);
        let forced = match eligibility(cfg, a, &place, false, Rules::manual(force)) {
            Ok(_) => false,
            Err(Exclusion::Offline | Exclusion::NotAvailable { .. }) => {
                return Err(Rejection::AgentNotAvailable { agent, presence: a.presence });
            }
            Err(Exclusion::Language { language }) => return Err(Rejection::AgentLacksLanguage { agent, language }),
            Err(Exclusion::Skill { skill, required, has }) => {
                return Err(Rejection::AgentLacksSkill { agent, skill, required, has });
            }
            Err(Exclusion::Capacity { limit: CapacityBlock::TicketsMax }) => {
                return Err(Rejection::AgentTicketsMax { agent, max: cfg.limits.agent_tickets_max });
            }
            Err(Exclusion::Capacity { .. }) if force => true,
            Err(Exclusion::Capacity { .. }) => return Err(Rejection::CapacityExhausted { agent, channel: t.channel }),
            Err(
                x @ (Exclusion::ReservedForOther { .. }
                | Exclusion::Avoided
                | Exclusion::NoChannel
                | Exclusion::Team { .. }),
            ) => unreachable!("manual assignment does not check {x:?}"),
        };
        self.emit(Event::TicketAssigned { at, ticket, agent, how: Assignment::Manual { forced } });
        Ok(())
    }

    pub(super) fn transfer(&mut self, at: Timestamp, ticket: TicketId, queue: QueueId) -> Result<(), Rejection> {
        let s = self.base();
        let cfg = s.config();
        let t = open_ticket(s, ticket, at)?;
        if queue.index() >= cfg.queues().len() {
            return Err(Rejection::UnknownQueue { queue });
        }
        if t.status == TicketStatus::Bot {
            return Err(invalid(t, "transfer"));
        }
        let needs = merge_checked(&t.own_skills, &cfg.queue(queue).needs)?;
        if !(t.status == TicketStatus::Queued && t.queue == queue) {
            check_depth(s, queue)?;
        }
        check_class_limit(s, &ReqKey { needs, language: t.language, channel: t.channel })?;
        let held = t.agent.filter(|_| matches!(t.status, TicketStatus::Assigned | TicketStatus::Offered));
        let mut avoid = t.avoid_agents.clone();
        avoid.extend(held);
        let w = Waiting {
            queue,
            step: 0,
            req: ReqKey { needs, language: t.language, channel: t.channel },
            avoid,
            customer: t.customer,
        };
        let channel = t.channel;
        self.emit(Event::TicketTransferred { at, ticket, queue, reason: TransferReason::Requested });
        self.route_waiting(ticket, &w, at, false);
        if let Some(agent) = held {
            self.route_freed_agent(agent, channel, ticket, at);
        }
        Ok(())
    }

    /// Whether releasing worked ticket `t` leaves `agent` in after-contact work (the slot
    /// stays taken, so nothing new is routed to it yet).
    #[inline]
    pub(super) fn wraps_up(&self, agent: AgentId, t: &Ticket) -> bool {
        let s = self.base();
        s.config().wrap_up_ms(s.agents[agent.index()].team, t.queue) > 0
    }
}
