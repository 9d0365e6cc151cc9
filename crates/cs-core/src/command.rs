//! Commands: requests in the imperative. `decide` turns one into events or a rejection.
//!
//! Every command carries its time `at`; the core never reads a clock.

use crate::agent::{Capacity, LanguageSet, Presence, SupportTier};
use crate::config::ConfigSpec;
use crate::id::{AgentId, QueueId, SkillId, TeamId, TicketId};
use crate::ticket::{CustomerTier, Emotion, TicketSpec, Urgency};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A request to the engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Command {
    /// Set the configuration (first command of every engine), or change it: a new config
    /// may only append skills, languages, categories, teams and queues.
    Configure {
        /// When.
        at: Timestamp,
        /// The configuration (boxed: it is much larger than every other command).
        config: Box<ConfigSpec>,
    },
    /// Register an agent; they start offline.
    RegisterAgent {
        /// When.
        at: Timestamp,
        /// Unique key (login).
        key: String,
        /// Team.
        team: TeamId,
        /// Support tier; defaults to the team's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tier: Option<SupportTier>,
        /// Skills with proficiency 1..=5.
        skills: Vec<(SkillId, u8)>,
        /// Languages spoken.
        #[serde(default)]
        languages: LanguageSet,
        /// Capacity.
        capacity: Capacity,
    },
    /// Log in: the agent becomes available.
    Login {
        /// When.
        at: Timestamp,
        /// Who.
        agent: AgentId,
    },
    /// Log out: the agent's tickets go back to waiting, keeping their age.
    Logout {
        /// When.
        at: Timestamp,
        /// Who.
        agent: AgentId,
    },
    /// Change presence (available, busy, wrap-up, away; offline is [`Command::Logout`]).
    SetPresence {
        /// When.
        at: Timestamp,
        /// Who.
        agent: AgentId,
        /// The new presence.
        presence: Presence,
    },
    /// Replace an agent's skills.
    SetAgentSkills {
        /// When.
        at: Timestamp,
        /// Who.
        agent: AgentId,
        /// Skills with proficiency 1..=5.
        skills: Vec<(SkillId, u8)>,
    },
    /// Replace an agent's capacity.
    SetAgentCapacity {
        /// When.
        at: Timestamp,
        /// Who.
        agent: AgentId,
        /// The new capacity.
        capacity: Capacity,
    },
    /// Create a ticket; it is routed at once if an agent can take it.
    CreateTicket {
        /// When.
        at: Timestamp,
        /// Attributes.
        spec: TicketSpec,
    },
    /// Change a ticket's tier, urgency or emotion (absent fields stay).
    UpdateTicket {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
        /// New tier.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tier: Option<CustomerTier>,
        /// New urgency.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        urgency: Option<Urgency>,
        /// New emotion.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        emotion: Option<Emotion>,
    },
    /// A supervisor assigns a waiting ticket to an agent.
    AssignTicket {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
        /// To whom.
        agent: AgentId,
        /// Exceed channel capacity on purpose (never `limits.agent_tickets_max`).
        #[serde(default)]
        force: bool,
    },
    /// The agent accepts the ticket offered to them.
    AcceptOffer {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
    },
    /// The agent declines the ticket offered to them; it goes back to waiting, keeping its
    /// place, and will not be offered to them again.
    DeclineOffer {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
    },
    /// The bot resolved the conversation itself.
    BotResolve {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
    },
    /// The bot hands the conversation to a human.
    BotHandoff {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
        /// Why the bot could not finish.
        reason: String,
        /// Where the transcript is kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transcript: Option<String>,
    },
    /// Escalate a ticket by hand: to a tier (index into the config's escalation tiers), or
    /// to the next tier from the ticket's own.
    Escalate {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
        /// Target tier; absent: the next one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tier: Option<u16>,
        /// Why, in words.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The agent replied to the customer: while holding the ticket, or (a reminder, an
    /// update) while it waits on the customer or on hold.
    AgentReply {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
    },
    /// The customer wrote again.
    CustomerMessage {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
    },
    /// The agent waits on the customer: the ticket stops taking capacity.
    SetPending {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
    },
    /// The agent waits on a third party (a carrier, the bank): the ticket stops taking
    /// capacity, and the policy's on-hold clocks pause.
    SetOnHold {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
    },
    /// The third party answered: a held ticket goes back to waiting for its agent (sticky).
    ReleaseHold {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
    },
    /// Move a ticket to another queue.
    Transfer {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
        /// The queue.
        queue: QueueId,
    },
    /// Resolve a ticket.
    Resolve {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
    },
    /// Reopen a resolved ticket while it is kept (`limits.closed_ticket_retention_s` after it
    /// closed); after that it is archived ([`crate::Rejection::TicketArchived`]).
    Reopen {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
    },
    /// The customer left while waiting.
    Abandon {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
    },
    /// Time passed: fire every timer due at or before `at`.
    Tick {
        /// Now.
        at: Timestamp,
    },
}

impl Command {
    /// When the command was issued.
    pub fn at(&self) -> Timestamp {
        match self {
            Command::Configure { at, .. }
            | Command::RegisterAgent { at, .. }
            | Command::Login { at, .. }
            | Command::Logout { at, .. }
            | Command::SetPresence { at, .. }
            | Command::SetAgentSkills { at, .. }
            | Command::SetAgentCapacity { at, .. }
            | Command::CreateTicket { at, .. }
            | Command::UpdateTicket { at, .. }
            | Command::AssignTicket { at, .. }
            | Command::AcceptOffer { at, .. }
            | Command::BotResolve { at, .. }
            | Command::BotHandoff { at, .. }
            | Command::Escalate { at, .. }
            | Command::DeclineOffer { at, .. }
            | Command::AgentReply { at, .. }
            | Command::CustomerMessage { at, .. }
            | Command::SetPending { at, .. }
            | Command::SetOnHold { at, .. }
            | Command::ReleaseHold { at, .. }
            | Command::Transfer { at, .. }
            | Command::Resolve { at, .. }
            | Command::Reopen { at, .. }
            | Command::Abandon { at, .. }
            | Command::Tick { at } => *at,
        }
    }
}
