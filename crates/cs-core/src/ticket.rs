//! Tickets: what the customer asked for, how urgent it is, and where it stands.

use crate::channel::Channel;
use crate::id::{AgentId, CategoryId, CustomerId, LanguageId, QueueId, TicketId};
use crate::skill::SkillNeeds;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

macro_rules! level_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every level, lowest first.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Position in weight tables.
            #[inline]
            pub const fn index(self) -> usize {
                self as usize
            }

            /// The lower-case name used in configs and JSON.
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }
    };
}

level_enum!(
    /// The customer's commercial tier.
    CustomerTier {
        /// Everyone else.
        #[default]
        Standard = "standard",
        /// Loyalty level one.
        Silver = "silver",
        /// Loyalty level two.
        Gold = "gold",
        /// The customers the business cannot afford to keep waiting.
        Vip = "vip",
    }
);

level_enum!(
    /// How urgent the matter is.
    Urgency {
        /// Can wait.
        Low = "low",
        /// The usual.
        #[default]
        Normal = "normal",
        /// Needs attention soon.
        High = "high",
        /// Money, safety or a service outage.
        Critical = "critical",
    }
);

level_enum!(
    /// The customer's mood, as detected by sentiment analysis or set by an agent.
    Emotion {
        /// Relaxed.
        Calm = "calm",
        /// No signal either way.
        #[default]
        Neutral = "neutral",
        /// Annoyed.
        Frustrated = "frustrated",
        /// Angry: a churn and escalation risk.
        Angry = "angry",
    }
);

/// Where a ticket is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Talking to a bot; not yet waiting for a human.
    Bot,
    /// Waiting in a queue for an agent.
    Queued,
    /// Offered to an agent who has not yet accepted.
    Offered,
    /// Held by an agent.
    Assigned,
    /// The agent asked the customer something; clocks paused, no agent capacity held.
    WaitingOnCustomer,
    /// Done. May be reopened within the reopen window.
    Resolved,
    /// The customer left before an agent took the ticket.
    Abandoned,
    /// Its time-to-live ran out while it waited.
    Expired,
    /// The agent waits on a third party (a carrier, the bank): no agent capacity held; the
    /// policy says which clocks pause (by default resolution only: the customer still
    /// waits for replies).
    OnHold,
}

impl TicketStatus {
    /// Whether the ticket is finished (resolved, abandoned or expired).
    pub const fn is_closed(self) -> bool {
        matches!(self, TicketStatus::Resolved | TicketStatus::Abandoned | TicketStatus::Expired)
    }

    /// The lower-case name used in JSON.
    pub const fn name(self) -> &'static str {
        match self {
            TicketStatus::Bot => "bot",
            TicketStatus::Queued => "queued",
            TicketStatus::Offered => "offered",
            TicketStatus::Assigned => "assigned",
            TicketStatus::WaitingOnCustomer => "waiting_on_customer",
            TicketStatus::Resolved => "resolved",
            TicketStatus::Abandoned => "abandoned",
            TicketStatus::Expired => "expired",
            TicketStatus::OnHold => "on_hold",
        }
    }
}

/// The attributes a ticket is created with; also what routing looks at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSpec {
    /// The caller's own reference (an order number, a conversation id), unique if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Who is asking.
    pub customer: CustomerId,
    /// The caller's own id for the customer (a help desk's string), kept with the ticket
    /// so views can name the customer; routing uses `customer` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_key: Option<String>,
    /// How they reached us.
    pub channel: Channel,
    /// What it is about, if classified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<CategoryId>,
    /// The queue to wait in; `None` lets the config's queue rules choose by channel and category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueId>,
    /// Skills needed beyond those the queue requires.
    #[serde(default, skip_serializing_if = "SkillNeeds::is_empty")]
    pub skills: SkillNeeds,
    /// The language the agent must speak, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<LanguageId>,
    /// The customer's tier.
    #[serde(default)]
    pub tier: CustomerTier,
    /// How urgent.
    #[serde(default)]
    pub urgency: Urgency,
    /// How the customer feels.
    #[serde(default)]
    pub emotion: Emotion,
    /// Time-to-live: the ticket expires if it still waits this many seconds after creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_s: Option<u32>,
    /// The conversation starts with a bot; the ticket waits for a human only once the bot
    /// hands it over.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bot: bool,
}

impl TicketSpec {
    /// A ticket from `customer` on `channel`, with every other attribute at its default
    /// (no key, no category, queue chosen by the config, no extra skills, no language,
    /// standard tier, normal urgency, neutral emotion, no time-to-live).
    pub fn new(customer: CustomerId, channel: Channel) -> TicketSpec {
        TicketSpec {
            key: None,
            customer,
            customer_key: None,
            channel,
            category: None,
            queue: None,
            skills: SkillNeeds::NONE,
            language: None,
            tier: CustomerTier::Standard,
            urgency: Urgency::Normal,
            emotion: Emotion::Neutral,
            ttl_s: None,
            bot: false,
        }
    }
}

/// How many escalations a ticket remembers (older ones are only counted in
/// [`Ticket::escalations`]).
pub const ESCALATIONS_KEPT: usize = 16;

/// One escalation of a ticket, as its history shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationStep {
    /// When.
    pub at: Timestamp,
    /// The tier it went to (index into the config's escalation tiers).
    pub tier: u16,
    /// The queue it went to.
    pub queue: QueueId,
    /// What triggered it.
    pub trigger: crate::escalation::Trigger,
}

/// What a bot hands to a human with a ticket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handoff {
    /// When.
    pub at: Timestamp,
    /// Why the bot could not finish (e.g. "asked for a human", "refund over limit").
    pub reason: String,
    /// Where the bot conversation's transcript is kept, if anywhere.
    pub transcript: Option<String>,
}

/// A ticket as the state holds it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Ticket {
    /// Its id.
    pub id: TicketId,
    /// The caller's reference, if given.
    pub key: Option<Box<str>>,
    /// Who is asking.
    pub customer: CustomerId,
    /// How they reached us.
    pub channel: Channel,
    /// What it is about.
    pub category: Option<CategoryId>,
    /// The queue it is in (or was in last).
    pub queue: QueueId,
    /// The skills the ticket itself asked for.
    pub own_skills: SkillNeeds,
    /// Every skill needed: the ticket's own merged with its queue's.
    pub needs: SkillNeeds,
    /// Required language.
    pub language: Option<LanguageId>,
    /// Customer tier.
    pub tier: CustomerTier,
    /// Urgency.
    pub urgency: Urgency,
    /// Emotion.
    pub emotion: Emotion,
    /// First contact.
    pub created_at: Timestamp,
    /// Start of the current episode (creation, or the last reopen): metrics count the
    /// episode's offer, answer or abandonment for this time's interval.
    pub episode_start: Timestamp,
    /// The queue the current episode was offered to.
    pub episode_queue: QueueId,
    /// Lifecycle state.
    pub status: TicketStatus,
    /// Start of the current wait for an agent; aging and wait metrics count from here.
    /// Re-queues after a decline, a timeout or an agent going offline keep it.
    pub queued_since: Timestamp,
    /// When the ticket entered its current queue (relaxation steps count from here).
    pub queue_entered_at: Timestamp,
    /// The relaxation step it is at in its queue (0 when the queue has no steps).
    pub step: u8,
    /// Static part of the priority: the weighted score of tier, urgency, emotion, channel.
    pub score: i64,
    /// The agent holding it (assigned) or offered it, if any.
    pub agent: Option<AgentId>,
    /// The agent who last held it, for sticky routing after the customer replies.
    pub last_agent: Option<AgentId>,
    /// When an agent first took it in its current episode.
    pub answered_at: Option<Timestamp>,
    /// When an agent first replied.
    pub first_response_at: Option<Timestamp>,
    /// When it was last closed.
    pub closed_at: Option<Timestamp>,
    /// How often it has been reopened.
    pub reopen_count: u16,
    /// How often it has been handed from one agent or queue to another.
    pub transfer_count: u16,
    /// How often it has been taken back for no reply in this episode (capped by its
    /// queue's `reply_requeues_max`, after which a take is not timed).
    pub no_reply_requeues: u8,
    /// Agents routing must not give it to again (declined or let an offer expire, did not
    /// reply in time, transferred it away).
    pub avoid_agents: Vec<AgentId>,
    /// Time-to-live from creation, from its spec.
    pub ttl_ms: Option<i64>,
    /// While waiting: reserved for this agent by sticky routing.
    pub pinned_to: Option<AgentId>,
    /// Since when the current agent has held it (assigned or offered).
    pub held_since: Option<Timestamp>,
    /// When its next relaxation step is due, if it waits and one is left.
    pub step_due: Option<Timestamp>,
    /// When the sticky reservation ends, if pinned.
    pub pin_until: Option<Timestamp>,
    /// When the offer expires, if offered.
    pub offer_expires: Option<Timestamp>,
    /// When it goes back to waiting unless the agent replies, if assigned and the queue
    /// has a reply timeout.
    pub reply_due: Option<Timestamp>,
    /// When it expires if still waiting (time-to-live of the ticket or of its queue).
    pub expires_at: Option<Timestamp>,
    /// When its follow-up is due, if resolved in a queue or category with
    /// `follow_up_after_s` (a reopen cancels it).
    pub follow_up_due: Option<Timestamp>,
    /// What the bot handed over, if a bot handled the conversation first.
    pub handoff: Option<Box<Handoff>>,
    /// The caller's id for the customer, if given at creation.
    pub customer_key: Option<Box<str>>,
    /// Its escalations, oldest first (the last [`ESCALATIONS_KEPT`]).
    pub escalation_history: Vec<EscalationStep>,
    /// Its SLA policy and clocks, if a policy applies.
    pub sla: Option<Box<crate::sla::Sla>>,
    /// Priority points added by escalations.
    pub boost: i64,
    /// How often it has been escalated.
    pub escalations: u16,
    /// Escalation rules fired since it entered its current tier (bit per rule).
    pub rules_fired: u32,
    /// The SLA deadline its priority key was built with, while it waits (deadline-aware
    /// priority); kept so the key can be found again whatever happens to the clocks.
    /// Derived: set when the ticket enters the waiting index.
    #[serde(skip)]
    pub(crate) prio_deadline: Option<Timestamp>,
    /// The routing bucket it waits in, if it waits unpinned.
    #[serde(skip, default = "crate::routing::Slot::none")]
    pub(crate) bucket: crate::routing::Slot,
    /// Created and taken at once by the same decision, so never indexed as waiting (true
    /// only between the two events of that decision).
    #[serde(skip)]
    pub(crate) unindexed: bool,
}

/// Two tickets are equal when every fact is: every field but `bucket`, the ticket's
/// position in the routing index, which depends on the order the index was built in (a
/// replay numbers buckets differently from a state that grew event by event). Written out
/// field by field, so that a new field cannot be left out by mistake (the pattern must
/// name it).
impl PartialEq for Ticket {
    fn eq(&self, o: &Ticket) -> bool {
        let Ticket {
            id,
            key,
            customer,
            channel,
            category,
            queue,
            own_skills,
            needs,
            language,
            tier,
            urgency,
            emotion,
            created_at,
            episode_start,
            episode_queue,
            status,
            queued_since,
            queue_entered_at,
            step,
            score,
            agent,
            last_agent,
            answered_at,
            first_response_at,
            closed_at,
            reopen_count,
            transfer_count,
            no_reply_requeues,
            avoid_agents,
            ttl_ms,
            pinned_to,
            held_since,
            step_due,
            pin_until,
            offer_expires,
            reply_due,
            expires_at,
            follow_up_due,
            handoff,
            customer_key,
            escalation_history,
            sla,
            boost,
            escalations,
            rules_fired,
            prio_deadline,
            unindexed,
            bucket: _,
        } = self;
        id == &o.id
            && key == &o.key
            && customer == &o.customer
            && channel == &o.channel
            && category == &o.category
            && queue == &o.queue
            && own_skills == &o.own_skills
            && needs == &o.needs
            && language == &o.language
            && tier == &o.tier
            && urgency == &o.urgency
            && emotion == &o.emotion
            && created_at == &o.created_at
            && episode_start == &o.episode_start
            && episode_queue == &o.episode_queue
            && status == &o.status
            && queued_since == &o.queued_since
            && queue_entered_at == &o.queue_entered_at
            && step == &o.step
            && score == &o.score
            && agent == &o.agent
            && last_agent == &o.last_agent
            && answered_at == &o.answered_at
            && first_response_at == &o.first_response_at
            && closed_at == &o.closed_at
            && reopen_count == &o.reopen_count
            && transfer_count == &o.transfer_count
            && no_reply_requeues == &o.no_reply_requeues
            && avoid_agents == &o.avoid_agents
            && ttl_ms == &o.ttl_ms
            && pinned_to == &o.pinned_to
            && held_since == &o.held_since
            && step_due == &o.step_due
            && pin_until == &o.pin_until
            && offer_expires == &o.offer_expires
            && reply_due == &o.reply_due
            && expires_at == &o.expires_at
            && follow_up_due == &o.follow_up_due
            && handoff == &o.handoff
            && customer_key == &o.customer_key
            && escalation_history == &o.escalation_history
            && sla == &o.sla
            && boost == &o.boost
            && escalations == &o.escalations
            && rules_fired == &o.rules_fired
            && prio_deadline == &o.prio_deadline
            && unindexed == &o.unindexed
    }
}

impl Eq for Ticket {}

impl Ticket {
    /// Whether the ticket waits for an agent (queued, not offered).
    pub fn is_waiting(&self) -> bool {
        self.status == TicketStatus::Queued
    }

    /// The nearest deadline of its running first-response and resolution clocks, used by
    /// deadline-aware priority.
    pub fn nearest_deadline(&self) -> Option<Timestamp> {
        use crate::sla::{ClockKind, ClockState};
        let sla = self.sla.as_ref()?;
        [ClockKind::FirstResponse, ClockKind::Resolution]
            .iter()
            .map(|k| &sla.clocks[k.index()])
            .filter(|c| c.state == ClockState::Running)
            .map(|c| c.deadline)
            .min()
    }

    /// Every timer the ticket has pending, as `(due, timer)`.
    pub fn timers(&self) -> impl Iterator<Item = (Timestamp, crate::state::Timer)> + '_ {
        use crate::state::Timer;
        [
            (self.step_due, Timer::Step(self.id)),
            (self.pin_until, Timer::Pin(self.id)),
            (self.offer_expires, Timer::Offer(self.id)),
            (self.reply_due, Timer::Reply(self.id)),
            (self.expires_at, Timer::Expiry(self.id)),
            (self.follow_up_due, Timer::FollowUp(self.id)),
        ]
        .into_iter()
        .filter_map(|(due, timer)| due.map(|d| (d, timer)))
        .chain(self.sla.iter().flat_map(move |sla| {
            crate::sla::ClockKind::ALL
                .into_iter()
                .filter_map(move |k| sla.clocks[k.index()].next_due().map(|d| (d, Timer::Sla(self.id, k))))
        }))
    }
}
