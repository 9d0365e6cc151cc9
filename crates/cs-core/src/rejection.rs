//! Domain refusals: why `decide` turned a command down. A rejection changes no state.

use crate::agent::Presence;
use crate::channel::Channel;
use crate::config::ConfigError;
use crate::id::{AgentId, CategoryId, LanguageId, QueueId, SkillId, TeamId, TicketId};
use crate::ticket::TicketStatus;
use crate::time::Timestamp;

/// Why a command was refused, with the facts a caller needs to act on it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Nothing works before the first `Configure`.
    #[error("the engine has no configuration yet; send Configure first")]
    NotConfigured,
    /// The command's time is before the last event.
    #[error("command at {at} is earlier than the last event at {last}")]
    InThePast {
        /// The command's time.
        at: Timestamp,
        /// The last event's time.
        last: Timestamp,
    },
    /// The command's time is after the last millisecond of the year 9999, beyond what an
    /// event log or a report can write.
    #[error("command at {at} is after {latest}, the latest time the engine takes")]
    TimeOutOfRange {
        /// The command's time.
        at: Timestamp,
        /// [`Timestamp::LATEST`].
        latest: Timestamp,
    },
    /// The configuration is invalid.
    #[error("{0}")]
    InvalidConfig(ConfigError),
    /// The new configuration cannot replace the running one.
    #[error("config change refused: {reason}")]
    IncompatibleConfig {
        /// What would break.
        reason: String,
    },
    /// No such ticket was ever created.
    #[error("unknown ticket {ticket}")]
    UnknownTicket {
        /// The id given.
        ticket: TicketId,
    },
    /// The ticket was closed longer ago than the retention window and is archived.
    #[error("ticket {ticket} is archived (closed longer ago than the retention window)")]
    TicketArchived {
        /// The id given.
        ticket: TicketId,
    },
    /// No such agent.
    #[error("unknown agent {agent}")]
    UnknownAgent {
        /// The id given.
        agent: AgentId,
    },
    /// No such queue.
    #[error("unknown queue {queue}")]
    UnknownQueue {
        /// The id given.
        queue: QueueId,
    },
    /// No such team.
    #[error("unknown team {team}")]
    UnknownTeam {
        /// The id given.
        team: TeamId,
    },
    /// No such skill.
    #[error("unknown skill {skill}")]
    UnknownSkill {
        /// The id given.
        skill: SkillId,
    },
    /// No such language.
    #[error("unknown language {language}")]
    UnknownLanguage {
        /// The id given.
        language: LanguageId,
    },
    /// No such category.
    #[error("unknown category {category}")]
    UnknownCategory {
        /// The id given.
        category: CategoryId,
    },
    /// A skill level outside 1..=5.
    #[error("proficiency {level} for skill {skill} is outside 1..=5")]
    InvalidProficiency {
        /// The skill.
        skill: SkillId,
        /// The level given.
        level: u8,
    },
    /// A field's value is out of range.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A field that may not be empty was.
    #[error("{field} must not be empty")]
    Empty {
        /// The field.
        field: &'static str,
    },
    /// An agent with this key already exists.
    #[error("an agent with key {key:?} already exists")]
    DuplicateAgentKey {
        /// The key.
        key: String,
    },
    /// A ticket with this key already exists.
    #[error("a ticket with key {key:?} already exists")]
    DuplicateTicketKey {
        /// The key.
        key: String,
    },
    /// No queue takes tickets of this channel and category.
    #[error("no queue takes {channel} tickets of category {category:?}; name a queue")]
    NoQueueFor {
        /// The channel.
        channel: Channel,
        /// The category.
        category: Option<CategoryId>,
    },
    /// The ticket's skills plus its queue's exceed the per-ticket limit.
    #[error("a ticket may require at most {max} skills")]
    TooManySkills {
        /// The limit.
        max: usize,
    },
    /// The queue is at its depth limit.
    #[error("queue {queue} is full ({depth_max} tickets waiting)")]
    QueueFull {
        /// The queue.
        queue: QueueId,
        /// Its limit.
        depth_max: u32,
    },
    /// A global limit was reached.
    #[error("limit {limit} reached ({max})")]
    LimitReached {
        /// Which limit.
        limit: &'static str,
        /// Its value.
        max: u64,
    },
    /// The agent does not hold a needed skill at the needed level.
    #[error("agent {agent} has skill {skill} at level {has}, ticket needs {required}")]
    AgentLacksSkill {
        /// The agent.
        agent: AgentId,
        /// The skill.
        skill: SkillId,
        /// Level needed.
        required: u8,
        /// Level held (0 = none).
        has: u8,
    },
    /// The agent does not speak the ticket's language.
    #[error("agent {agent} does not speak language {language}")]
    AgentLacksLanguage {
        /// The agent.
        agent: AgentId,
        /// The language.
        language: LanguageId,
    },
    /// The agent has no free capacity on this channel.
    #[error("agent {agent} has no free {channel} capacity (assign with force to exceed it)")]
    CapacityExhausted {
        /// The agent.
        agent: AgentId,
        /// The channel.
        channel: Channel,
    },
    /// The agent holds `limits.agent_tickets_max` tickets already.
    #[error("agent {agent} already holds {max} tickets, the hard limit")]
    AgentTicketsMax {
        /// The agent.
        agent: AgentId,
        /// The limit.
        max: u32,
    },
    /// The agent is not in a presence that allows this.
    #[error("agent {agent} is {presence:?}")]
    AgentNotAvailable {
        /// The agent.
        agent: AgentId,
        /// Their presence.
        presence: Presence,
    },
    /// Presence cannot be set this way.
    #[error("presence {presence:?} cannot be set with SetPresence (use Login/Logout)")]
    PresenceNotSettable {
        /// The presence asked for.
        presence: Presence,
    },
    /// The ticket is closed.
    #[error("ticket {ticket} is already {status:?}")]
    TicketClosed {
        /// The ticket.
        ticket: TicketId,
        /// Its status.
        status: TicketStatus,
    },
    /// The ticket's status does not allow this.
    #[error("cannot {action} ticket {ticket}: it is {status:?}")]
    InvalidTransition {
        /// The ticket.
        ticket: TicketId,
        /// Its status.
        status: TicketStatus,
        /// What was attempted.
        action: &'static str,
    },
    /// There is no tier to escalate the ticket to.
    #[error("ticket {ticket} cannot be escalated: {reason}")]
    NoEscalation {
        /// The ticket.
        ticket: TicketId,
        /// Why.
        reason: &'static str,
    },
}

impl Rejection {
    /// A stable snake_case code for APIs.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::NotConfigured => "not_configured",
            Rejection::InThePast { .. } => "in_the_past",
            Rejection::TimeOutOfRange { .. } => "time_out_of_range",
            Rejection::InvalidConfig(_) => "invalid_config",
            Rejection::IncompatibleConfig { .. } => "incompatible_config",
            Rejection::UnknownTicket { .. } => "unknown_ticket",
            Rejection::TicketArchived { .. } => "ticket_archived",
            Rejection::UnknownAgent { .. } => "unknown_agent",
            Rejection::UnknownQueue { .. } => "unknown_queue",
            Rejection::UnknownTeam { .. } => "unknown_team",
            Rejection::UnknownSkill { .. } => "unknown_skill",
            Rejection::UnknownLanguage { .. } => "unknown_language",
            Rejection::UnknownCategory { .. } => "unknown_category",
            Rejection::InvalidProficiency { .. } => "invalid_proficiency",
            Rejection::Empty { .. } => "empty",
            Rejection::Invalid { .. } => "invalid",
            Rejection::DuplicateAgentKey { .. } => "duplicate_agent_key",
            Rejection::DuplicateTicketKey { .. } => "duplicate_ticket_key",
            Rejection::NoQueueFor { .. } => "no_queue",
            Rejection::TooManySkills { .. } => "too_many_skills",
            Rejection::QueueFull { .. } => "queue_full",
            Rejection::LimitReached { .. } => "limit_reached",
            Rejection::AgentLacksSkill { .. } => "agent_lacks_skill",
            Rejection::AgentLacksLanguage { .. } => "agent_lacks_language",
            Rejection::CapacityExhausted { .. } => "capacity_exhausted",
            Rejection::AgentTicketsMax { .. } => "agent_tickets_max",
            Rejection::AgentNotAvailable { .. } => "agent_not_available",
            Rejection::PresenceNotSettable { .. } => "presence_not_settable",
            Rejection::TicketClosed { .. } => "ticket_closed",
            Rejection::InvalidTransition { .. } => "invalid_transition",
            Rejection::NoEscalation { .. } => "no_escalation",
        }
    }
}
