//! Events: facts in the past tense. State is a fold of these and nothing else.
//!
//! Every event records its time `at`. Events serialise with serde as an object tagged
//! by `"type"` (the variant name, stable forever); a log line wraps one in an
//! [`Envelope`] that adds the schema version `"v"`, so logs written today can be
//! upcast and read after the schema grows.

use crate::agent::{Capacity, LanguageSet, Presence, SupportTier};
use crate::config::{Config, Strategy};
use crate::id::{AgentId, QueueId, SkillId, TeamId, TicketId};
use crate::ticket::{CustomerTier, Emotion, TicketSpec, Urgency};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The version of the event schema this build writes.
///
/// - v1: the first schema.
/// - v2: `SlaBreached` carries the `deadline` it missed (always its `at` so far: a breach
///   fires at its deadline; the field says so explicitly and lets a later schema fire
///   breaches late without losing it). v1 logs are upcast by setting it to `at`.
pub const EVENT_SCHEMA_VERSION: u16 = 2;

/// The type name (`"type"`) of every event of the current schema version, in declaration
/// order: what [`Event::name`] returns. A reader checks a record's tag against it, so an
/// event type this build does not know is told from a known one with bad fields without
/// reading the decoder's message.
pub const EVENT_TYPES: &[&str] = &[
    "Configured",
    "AgentRegistered",
    "AgentPresenceChanged",
    "AgentSkillsChanged",
    "AgentCapacityChanged",
    "TicketCreated",
    "TicketUpdated",
    "TicketAssigned",
    "AgentReplied",
    "CustomerReplied",
    "TicketPending",
    "TicketOnHold",
    "TicketReactivated",
    "TicketTransferred",
    "TicketRequeued",
    "TicketResolved",
    "TicketReopened",
    "TicketAbandoned",
    "TicketOffered",
    "OfferAccepted",
    "TicketPinned",
    "TicketUnpinned",
    "TicketExpired",
    "OverflowOpened",
    "OverflowClosed",
    "BotResolved",
    "BotHandedOff",
    "WrapUpEnded",
    "SlaWarning",
    "SlaBreached",
    "SlaMet",
    "SlaReminder",
    "FollowUpDue",
    "TicketEscalated",
    "RecurringIssueDetected",
    "TicketStepReached",
];

/// How a ticket came to an agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Assignment {
    /// Chosen by routing with the queue's strategy.
    Routed {
        /// The strategy that chose.
        strategy: Strategy,
        /// Whether the agent came from an overflow team.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        overflow: bool,
    },
    /// Given to the customer's previous agent by sticky routing.
    Sticky,
    /// Assigned by a supervisor.
    Manual {
        /// Whether capacity was exceeded on purpose.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        forced: bool,
    },
}

/// Why a ticket went back to waiting while keeping its age.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequeueReason {
    /// Its agent went offline.
    AgentOffline,
    /// Its agent did not reply in time.
    NoReply,
    /// Its agent declined the offer.
    OfferDeclined,
    /// The offer expired.
    OfferExpired,
    /// A supervisor took it back.
    Unassigned,
}

/// Why a ticket moved to another queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferReason {
    /// An agent or supervisor asked for it.
    Requested,
    /// A relaxation step of its queue moves tickets on.
    Step,
}

/// Why a sticky reservation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnpinReason {
    /// The preferred agent did not free up within the sticky wait.
    Timeout,
    /// The preferred agent went offline.
    AgentOffline,
}

/// Why an agent's presence changed, when the system changed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceReason {
    /// The agent (or a supervisor) asked for it.
    Requested,
    /// Too many offers expired unanswered.
    MissedOffers,
}

/// A fact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    /// The engine was given (or changed) its configuration.
    Configured {
        /// When.
        at: Timestamp,
        /// The validated configuration.
        config: Arc<Config>,
    },
    /// An agent was registered (offline until they log in).
    AgentRegistered {
        /// When.
        at: Timestamp,
        /// The new id.
        agent: AgentId,
        /// The caller's key (login).
        key: String,
        /// Team.
        team: TeamId,
        /// Support tier.
        tier: SupportTier,
        /// Skills with proficiency, sorted.
        skills: Vec<(SkillId, u8)>,
        /// Languages.
        languages: LanguageSet,
        /// Capacity.
        capacity: Capacity,
    },
    /// An agent's presence changed (login = available, logout = offline).
    AgentPresenceChanged {
        /// When.
        at: Timestamp,
        /// Who.
        agent: AgentId,
        /// The new presence.
        presence: Presence,
        /// Why.
        reason: PresenceReason,
    },
    /// An agent's skills were replaced.
    AgentSkillsChanged {
        /// When.
        at: Timestamp,
        /// Who.
        agent: AgentId,
        /// The new skills, sorted.
        skills: Vec<(SkillId, u8)>,
    },
    /// An agent's capacity was replaced.
    AgentCapacityChanged {
        /// When.
        at: Timestamp,
        /// Who.
        agent: AgentId,
        /// The new capacity.
        capacity: Capacity,
    },
    /// A ticket was created and queued.
    TicketCreated {
        /// When.
        at: Timestamp,
        /// The new id.
        ticket: TicketId,
        /// Its attributes, with `queue` resolved and `skills` merged with the queue's.
        spec: TicketSpec,
    },
    /// A ticket's tier, urgency or emotion changed; it is re-prioritised.
    TicketUpdated {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
        /// New tier.
        tier: CustomerTier,
        /// New urgency.
        urgency: Urgency,
        /// New emotion.
        emotion: Emotion,
    },
    /// A ticket was given to an agent.
    TicketAssigned {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
        /// To whom.
        agent: AgentId,
        /// How.
        how: Assignment,
    },
    /// An agent replied to the customer.
    AgentReplied {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
        /// Who replied.
        agent: AgentId,
    },
    /// The customer wrote again.
    CustomerReplied {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
    },
    /// The agent is waiting on the customer; the ticket no longer takes agent capacity.
    TicketPending {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
    },
    /// The agent is waiting on a third party (a carrier, the bank); the ticket no longer
    /// takes agent capacity and the policy's on-hold clocks pause.
    TicketOnHold {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
    },
    /// The ticket returned to waiting: the customer replied to a pending or held ticket, or
    /// the agent took it off hold.
    TicketReactivated {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
    },
    /// A ticket moved to another queue (from an agent or from waiting).
    TicketTransferred {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
        /// The queue it now waits in.
        queue: QueueId,
        /// Why.
        reason: TransferReason,
    },
    /// A held ticket went back to waiting, keeping its age.
    TicketRequeued {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
        /// Why.
        reason: RequeueReason,
    },
    /// A ticket was resolved.
    TicketResolved {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
    },
    /// A resolved ticket was reopened and waits again.
    TicketReopened {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
    },
    /// The customer left before an agent took the ticket.
    TicketAbandoned {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
    },
    /// A ticket was offered to an agent, who must accept before it expires.
    TicketOffered {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
        /// To whom.
        agent: AgentId,
        /// How the agent was chosen.
        how: Assignment,
        /// When the offer expires.
        expires_at: Timestamp,
    },
    /// The agent accepted the offer; the ticket is theirs.
    OfferAccepted {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
        /// Who.
        agent: AgentId,
    },
    /// Sticky routing reserved a waiting ticket for the customer's previous agent.
    TicketPinned {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
        /// The agent it waits for.
        agent: AgentId,
        /// When the reservation ends.
        until: Timestamp,
    },
    /// A sticky reservation ended; the ticket is routed normally.
    TicketUnpinned {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
        /// Why.
        reason: UnpinReason,
    },
    /// A waiting ticket's time-to-live ran out.
    TicketExpired {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
    },
    /// A queue's overflow opened: its helper teams take its tickets too.
    OverflowOpened {
        /// When.
        at: Timestamp,
        /// Which queue.
        queue: QueueId,
        /// Tickets waiting at that moment.
        waiting: u32,
        /// The oldest wait at that moment.
        oldest_wait_ms: i64,
    },
    /// A queue's overflow closed.
    OverflowClosed {
        /// When.
        at: Timestamp,
        /// Which queue.
        queue: QueueId,
        /// Tickets waiting at that moment.
        waiting: u32,
        /// The oldest wait at that moment.
        oldest_wait_ms: i64,
    },
    /// A bot resolved the conversation without a human (deflection).
    BotResolved {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
    },
    /// A bot handed the conversation to a human; the ticket now waits in its queue.
    BotHandedOff {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
        /// Why.
        reason: String,
        /// Where the transcript is kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transcript: Option<String>,
    },
    /// An agent's after-contact work on a ticket ended; the slot is free.
    WrapUpEnded {
        /// When.
        at: Timestamp,
        /// Who.
        agent: AgentId,
        /// The ticket worked.
        ticket: TicketId,
    },
    /// An SLA clock reached its warning threshold.
    SlaWarning {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
        /// Its policy.
        policy: crate::sla::PolicyId,
        /// Which clock.
        clock: crate::sla::ClockKind,
        /// The deadline ahead.
        deadline: Timestamp,
    },
    /// An SLA clock passed its deadline.
    SlaBreached {
        /// When (the deadline).
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
        /// Its policy.
        policy: crate::sla::PolicyId,
        /// Which clock.
        clock: crate::sla::ClockKind,
        /// The deadline it missed (since schema v2).
        deadline: Timestamp,
    },
    /// An SLA clock stopped before its deadline.
    SlaMet {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
        /// Its policy.
        policy: crate::sla::PolicyId,
        /// Which clock.
        clock: crate::sla::ClockKind,
        /// The deadline it beat.
        deadline: Timestamp,
    },
    /// A breached SLA clock still runs: a reminder for the supervisors, every
    /// `remind_every_s` of business time after the breach.
    SlaReminder {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
        /// Its policy.
        policy: crate::sla::PolicyId,
        /// Which clock.
        clock: crate::sla::ClockKind,
        /// The deadline it breached.
        deadline: Timestamp,
        /// Which reminder this is, from 1.
        reminder: u32,
    },
    /// A resolved ticket's follow-up is due (a satisfaction survey, a callback), at the
    /// queue's or category's `follow_up_after_s` after it was resolved.
    FollowUpDue {
        /// When.
        at: Timestamp,
        /// Which ticket.
        ticket: TicketId,
    },
    /// A ticket was escalated to another tier's queue.
    TicketEscalated {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
        /// The tier (index into the config's escalation tiers).
        tier: u16,
        /// Its queue.
        queue: QueueId,
        /// What fired.
        trigger: crate::escalation::Trigger,
        /// The rule (index), if a rule fired.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<u16>,
        /// Priority points added.
        #[serde(default)]
        boost: i64,
        /// Why, in words (manual escalations).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The same customer, or the same category, contacted us repeatedly in a short window.
    RecurringIssueDetected {
        /// When.
        at: Timestamp,
        /// Counted per customer or per category.
        by: crate::escalation::RepeatBy,
        /// The customer, when by customer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customer: Option<crate::id::CustomerId>,
        /// The category, when by category.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<crate::id::CategoryId>,
        /// Contacts counted in the window.
        contacts: u32,
        /// The window.
        window_ms: i64,
    },
    /// A waiting ticket reached the next relaxation step of its queue.
    TicketStepReached {
        /// When.
        at: Timestamp,
        /// Which.
        ticket: TicketId,
        /// The step now in force.
        step: u8,
    },
}

impl Event {
    /// When the event happened.
    pub fn at(&self) -> Timestamp {
        match self {
            Event::Configured { at, .. }
            | Event::AgentRegistered { at, .. }
            | Event::AgentPresenceChanged { at, .. }
            | Event::AgentSkillsChanged { at, .. }
            | Event::AgentCapacityChanged { at, .. }
            | Event::TicketCreated { at, .. }
            | Event::TicketUpdated { at, .. }
            | Event::TicketAssigned { at, .. }
            | Event::AgentReplied { at, .. }
            | Event::CustomerReplied { at, .. }
            | Event::TicketPending { at, .. }
            | Event::TicketOnHold { at, .. }
            | Event::TicketReactivated { at, .. }
            | Event::TicketTransferred { at, .. }
            | Event::TicketRequeued { at, .. }
            | Event::TicketResolved { at, .. }
            | Event::TicketReopened { at, .. }
            | Event::TicketAbandoned { at, .. }
            | Event::TicketStepReached { at, .. }
            | Event::TicketOffered { at, .. }
            | Event::OfferAccepted { at, .. }
            | Event::TicketPinned { at, .. }
            | Event::TicketUnpinned { at, .. }
            | Event::TicketExpired { at, .. }
            | Event::OverflowOpened { at, .. }
            | Event::OverflowClosed { at, .. }
            | Event::BotResolved { at, .. }
            | Event::BotHandedOff { at, .. }
            | Event::WrapUpEnded { at, .. }
            | Event::SlaWarning { at, .. }
            | Event::SlaBreached { at, .. }
            | Event::SlaMet { at, .. }
            | Event::SlaReminder { at, .. }
            | Event::FollowUpDue { at, .. }
            | Event::TicketEscalated { at, .. }
            | Event::RecurringIssueDetected { at, .. } => *at,
        }
    }

    /// Whether `name` is the type of an event of the current schema version
    /// ([`EVENT_TYPES`]).
    pub fn is_type_name(name: &str) -> bool {
        EVENT_TYPES.contains(&name)
    }

    /// The stable type name written in logs.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Configured { .. } => "Configured",
            Event::AgentRegistered { .. } => "AgentRegistered",
            Event::AgentPresenceChanged { .. } => "AgentPresenceChanged",
            Event::AgentSkillsChanged { .. } => "AgentSkillsChanged",
            Event::AgentCapacityChanged { .. } => "AgentCapacityChanged",
            Event::TicketCreated { .. } => "TicketCreated",
            Event::TicketUpdated { .. } => "TicketUpdated",
            Event::TicketAssigned { .. } => "TicketAssigned",
            Event::AgentReplied { .. } => "AgentReplied",
            Event::CustomerReplied { .. } => "CustomerReplied",
            Event::TicketPending { .. } => "TicketPending",
            Event::TicketOnHold { .. } => "TicketOnHold",
            Event::TicketReactivated { .. } => "TicketReactivated",
            Event::TicketTransferred { .. } => "TicketTransferred",
            Event::TicketRequeued { .. } => "TicketRequeued",
            Event::TicketResolved { .. } => "TicketResolved",
            Event::TicketReopened { .. } => "TicketReopened",
            Event::TicketAbandoned { .. } => "TicketAbandoned",
            Event::TicketStepReached { .. } => "TicketStepReached",
            Event::TicketOffered { .. } => "TicketOffered",
            Event::OfferAccepted { .. } => "OfferAccepted",
            Event::TicketPinned { .. } => "TicketPinned",
            Event::TicketUnpinned { .. } => "TicketUnpinned",
            Event::TicketExpired { .. } => "TicketExpired",
            Event::OverflowOpened { .. } => "OverflowOpened",
            Event::OverflowClosed { .. } => "OverflowClosed",
            Event::BotResolved { .. } => "BotResolved",
            Event::BotHandedOff { .. } => "BotHandedOff",
            Event::WrapUpEnded { .. } => "WrapUpEnded",
            Event::SlaWarning { .. } => "SlaWarning",
            Event::SlaBreached { .. } => "SlaBreached",
            Event::SlaMet { .. } => "SlaMet",
            Event::SlaReminder { .. } => "SlaReminder",
            Event::FollowUpDue { .. } => "FollowUpDue",
            Event::TicketEscalated { .. } => "TicketEscalated",
            Event::RecurringIssueDetected { .. } => "RecurringIssueDetected",
        }
    }

    /// The ticket this event is about, if any.
    pub fn ticket(&self) -> Option<TicketId> {
        match self {
            Event::TicketCreated { ticket, .. }
            | Event::TicketUpdated { ticket, .. }
            | Event::TicketAssigned { ticket, .. }
            | Event::AgentReplied { ticket, .. }
            | Event::CustomerReplied { ticket, .. }
            | Event::TicketPending { ticket, .. }
            | Event::TicketOnHold { ticket, .. }
            | Event::TicketReactivated { ticket, .. }
            | Event::TicketTransferred { ticket, .. }
            | Event::TicketRequeued { ticket, .. }
            | Event::TicketResolved { ticket, .. }
            | Event::TicketReopened { ticket, .. }
            | Event::TicketAbandoned { ticket, .. }
            | Event::TicketStepReached { ticket, .. }
            | Event::TicketOffered { ticket, .. }
            | Event::OfferAccepted { ticket, .. }
            | Event::TicketPinned { ticket, .. }
            | Event::TicketUnpinned { ticket, .. }
            | Event::TicketExpired { ticket, .. }
            | Event::BotResolved { ticket, .. }
            | Event::BotHandedOff { ticket, .. }
            | Event::WrapUpEnded { ticket, .. }
            | Event::SlaWarning { ticket, .. }
            | Event::SlaBreached { ticket, .. }
            | Event::SlaMet { ticket, .. }
            | Event::SlaReminder { ticket, .. }
            | Event::FollowUpDue { ticket, .. }
            | Event::TicketEscalated { ticket, .. } => Some(*ticket),
            _ => None,
        }
    }
}

/// One event as written to a log: the schema version next to the tagged event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Schema version the event was written with.
    pub v: u16,
    /// The event.
    #[serde(flatten)]
    pub event: Event,
}

impl Envelope {
    /// Wraps an event with the current schema version.
    pub fn new(event: Event) -> Envelope {
        Envelope { v: EVENT_SCHEMA_VERSION, event }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The list is serde's own: an unknown tag's error names every variant the derived
    /// decoder accepts, and it must be exactly [`EVENT_TYPES`], in order.
    #[test]
    fn event_types_are_the_decoders_variants() {
        let err = serde_json::from_str::<Event>(r#"{"type":"NoSuchEvent","at":0}"#).unwrap_err().to_string();
        let (_, expected) = err.split_once("expected one of ").expect("serde lists the variants");
        let expected = expected.split(" at line").next().unwrap_or(expected);
        let variants: Vec<&str> = expected.split(", ").map(|v| v.trim_matches('`')).collect();
        assert_eq!(variants, EVENT_TYPES);
        assert!(Event::is_type_name("TicketCreated"));
        assert!(!Event::is_type_name("TicketFaxed"));
    }
}
