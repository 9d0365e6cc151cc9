//! The engine's configuration: one typed, validated value, loaded from TOML or JSON.
//!
//! [`ConfigSpec`] is the serde form, with names ("billing", "tier1"); [`Config`] is the
//! compiled form, with dense ids and integer weights, built by [`Config::new`], which
//! checks everything and reports every problem with the field path and the value.
//! A `Config` serialises back to its spec, so a log that records it stays readable.

use crate::agent::SupportTier;
use crate::channel::{CHANNELS_N, Channel, PerChannel};
use crate::escalation::compile_escalation;
use crate::id::{CategoryId, LanguageId, QueueId, SkillId, TeamId};
use crate::skill::{PROFICIENCY_MAX, SKILLS_MAX, SkillNeed, SkillNeeds, TICKET_SKILLS_MAX};
use crate::sla::compile_sla;
use crate::ticket::{CustomerTier, Emotion, Urgency};
use crate::time::{DAY_MS, SECOND_MS};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// How a queue picks among the agents able to take a ticket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The agent idle the longest (earliest `idle_since`), then the lowest agent id.
    #[default]
    LongestIdle,
    /// The lowest load relative to capacity, then longest idle, then lowest id.
    LeastOccupied,
    /// The agent whose last assignment is oldest (never assigned first), then lowest id.
    RoundRobin,
    /// The highest summed proficiency over the ticket's skills, then longest idle, then id.
    BestProficiency,
}

impl Strategy {
    /// Every strategy.
    pub const ALL: [Strategy; 4] =
        [Strategy::LongestIdle, Strategy::LeastOccupied, Strategy::RoundRobin, Strategy::BestProficiency];

    /// The snake_case name used in configs.
    pub const fn name(self) -> &'static str {
        match self {
            Strategy::LongestIdle => "longest_idle",
            Strategy::LeastOccupied => "least_occupied",
            Strategy::RoundRobin => "round_robin",
            Strategy::BestProficiency => "best_proficiency",
        }
    }
}

// ---------------------------------------------------------------------------------------
// The serde form.
// ---------------------------------------------------------------------------------------

/// The configuration as written in a file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigSpec {
    /// Skill names; a skill's id is its position.
    pub skills: Vec<String>,
    /// Language names.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Ticket category names.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Teams.
    #[serde(default)]
    pub teams: Vec<TeamSpec>,
    /// Queues, in matching order.
    pub queues: Vec<QueueSpec>,
    /// Default priority weights for every queue.
    #[serde(default)]
    pub priority: PrioritySpec,
    /// Limits.
    #[serde(default)]
    pub limits: LimitsSpec,
    /// Capacity rules shared by all agents.
    #[serde(default)]
    pub capacity: CapacitySpec,
    /// Business-hours calendars for SLA targets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calendars: Vec<crate::calendar::CalendarSpec>,
    /// SLA policies, in matching order (first match wins).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sla_policies: Vec<crate::sla::SlaPolicySpec>,
    /// Escalation tiers and rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<crate::escalation::EscalationSpec>,
    /// Per category name: seconds after resolution at which a resolved ticket's follow-up
    /// is due (`FollowUpDue`); takes precedence over its queue's `follow_up_after_s`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub follow_up_after_s_by_category: BTreeMap<String, f64>,
}

/// A team of agents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamSpec {
    /// Unique name.
    pub name: String,
    /// Support tier of the team.
    #[serde(default)]
    pub tier: SupportTier,
    /// After-contact work for this team's agents, seconds (overrides the queue's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrap_up_s: Option<f64>,
}

/// Priority weights in points; absent fields fall back to the defaults (or, in a queue,
/// to the config-wide weights).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrioritySpec {
    /// Points per customer tier: `standard`, `silver`, `gold`, `vip`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<BTreeMap<String, i64>>,
    /// Points per urgency: `low`, `normal`, `high`, `critical`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<BTreeMap<String, i64>>,
    /// Points per emotion: `calm`, `neutral`, `frustrated`, `angry`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emotion: Option<BTreeMap<String, i64>>,
    /// Points per channel: `chat`, `email`, `phone`, `social`, `other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<BTreeMap<String, i64>>,
    /// Points gained per minute of waiting, so that nothing starves (0 to 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aging_points_per_minute: Option<f64>,
    /// Deadline-aware priority: points per minute closer to the ticket's nearest SLA
    /// deadline (first response or resolution); 0 (the default) leaves it out. A ticket
    /// without a deadline counts its wait start as its deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_points_per_minute: Option<f64>,
}

/// Limits; every one has a default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// Most tickets waiting in one queue (default 100,000); a queue may set its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_depth_max: Option<u32>,
    /// Most tickets one agent may hold across channels, even when forced (default 32).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_tickets_max: Option<u32>,
    /// Most open (not closed) tickets in the whole engine (default 5,000,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tickets_open_max: Option<u32>,
    /// Most agents (default 100,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents_max: Option<u32>,
    /// How long a closed ticket stays in memory and may be reopened (default 7 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_ticket_retention_s: Option<u32>,
    /// How long a customer's contact history (last agent, recent contacts) is kept after
    /// their last contact (default 30 days); bounds sticky windows and repeat counts. 0
    /// remembers nothing (no sticky routing, no per-customer repeat contacts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_memory_s: Option<u32>,
    /// Most requirement classes (skills with minimums, language and channel) with tickets
    /// waiting at once (default 10,000): bounds the routing index. A ticket that would
    /// start waiting in a new class past it is refused (`limit_reached`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement_classes_max: Option<u32>,
}

/// Capacity rules shared by all agents.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacitySpec {
    /// Units a ticket costs per channel under the unit model (defaults: chat 33,
    /// email 20, phone 100, social 25, other 25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<BTreeMap<String, u16>>,
    /// Channels whose tickets are only given to an agent holding nothing else, and whose
    /// holder gets nothing else (default: `["phone"]`; `[]` lets a call join chats).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusive: Option<Vec<Channel>>,
}

/// Which agents a step (or a queue) admits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TeamsSpec {
    /// `"any"`: every team.
    Any(String),
    /// These teams only.
    List(Vec<String>),
}

/// One timed relaxation step of a queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Seconds after the ticket entered the queue at which this step begins.
    pub after_s: f64,
    /// Minimum proficiency required in each of the ticket's skills from this step on
    /// (replaces the ticket's own minimums); absent = as the previous step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proficiency_min: Option<u8>,
    /// Teams admitted from this step on; absent = as the previous step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams: Option<TeamsSpec>,
    /// At this step the ticket moves to this queue (its age is kept); must be the last step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub move_to: Option<String>,
}

/// Overflow: other teams help a queue while it surges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverflowSpec {
    /// Teams that help (each still needs the skills).
    pub teams: Vec<String>,
    /// Opens when this many tickets wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_waiting: Option<u32>,
    /// Closes (with the wait condition) when at most this many wait; below `open_waiting`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_waiting: Option<u32>,
    /// Opens when the oldest ticket has waited this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_oldest_wait_s: Option<f64>,
    /// Closes (with the count condition) when the oldest wait is at most this; below the
    /// opening wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_oldest_wait_s: Option<f64>,
}

/// Offers: the agent must accept before the ticket is theirs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferSpec {
    /// Seconds before an unanswered offer expires.
    pub timeout_s: f64,
    /// Expired offers in a row after which the agent is set away (0 = never).
    #[serde(default)]
    pub away_after_missed: u16,
}

/// Sticky routing: a returning customer goes to the agent who served them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StickySpec {
    /// How long after the last contact the previous agent is preferred.
    pub window_s: f64,
    /// How long the ticket waits for that agent before normal routing.
    pub wait_s: f64,
}

/// How many times a ticket is taken back for no reply in one episode unless a queue says
/// otherwise (`reply_requeues_max`): three agents in turn. When no agent can reply within
/// the timeout, taking the ticket back again and again only keeps the customer waiting and
/// the agents churning; the fourth agent keeps it.
pub const REPLY_REQUEUES_MAX_DEFAULT: u8 = 3;

/// A queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    /// Unique name.
    pub name: String,
    /// Tickets of these channels land here when created without a queue.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// ...and of these categories (empty: any category).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Skills (with minimum proficiency) every ticket in this queue needs.
    #[serde(default)]
    pub skills: BTreeMap<String, u8>,
    /// Teams that serve this queue (absent or `"any"`: every team with the skills).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams: Option<TeamsSpec>,
    /// How an agent is chosen.
    #[serde(default)]
    pub strategy: Strategy,
    /// Most tickets waiting here (default: `limits.queue_depth_max`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_max: Option<u32>,
    /// Queue-specific priority weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<PrioritySpec>,
    /// "Answered within" threshold for this queue's service level, seconds (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level_s: Option<f64>,
    /// Timed relaxation steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepSpec>,
    /// Overflow to other teams on surge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overflow: Option<OverflowSpec>,
    /// Offer-and-accept instead of direct assignment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<OfferSpec>,
    /// Sticky routing to the previous agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sticky: Option<StickySpec>,
    /// After-contact work: an agent's slot stays taken this long after a ticket is released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrap_up_s: Option<f64>,
    /// Re-queue an assigned ticket whose agent has not replied within this many seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_timeout_s: Option<f64>,
    /// How many times a ticket is taken back for no reply in one episode (default
    /// [`REPLY_REQUEUES_MAX_DEFAULT`]); the agent who takes it after that keeps it
    /// untimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_requeues_max: Option<u8>,
    /// A waiting ticket expires after this many seconds in this queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_ttl_s: Option<f64>,
    /// When this queue is at its depth limit, new tickets go to this queue instead of being
    /// refused (it is refused only if that queue is full too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when_full: Option<String>,
    /// Seconds after a ticket is resolved in this queue at which its follow-up is due
    /// (`FollowUpDue`: a satisfaction survey, a callback); 72 hours is the classic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_after_s: Option<f64>,
}

// ---------------------------------------------------------------------------------------
// Errors.
// ---------------------------------------------------------------------------------------

/// One problem in a config: where it is and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Path to the offending field, e.g. `queues[1].skills.billing`.
    pub path: String,
    /// What is wrong, naming the value.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem found in a config.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The problems, in the order of the file.
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(f, "invalid config ({n} problem{}): ", if n == 1 { "" } else { "s" })?;
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

pub(crate) struct Problems(Vec<ConfigProblem>);

impl Problems {
    pub(crate) fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigProblem { path: path.into(), message: message.into() });
    }
}

// ---------------------------------------------------------------------------------------
// The compiled form.
// ---------------------------------------------------------------------------------------

/// Priority weights, compiled to integers.
///
/// A ticket's score is `tier + urgency + emotion + channel` points. Aging adds
/// `aging_milli_per_min / 1000` points per minute waited; see [`crate::priority`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weights {
    /// Points per [`CustomerTier`].
    pub tier: [i64; 4],
    /// Points per [`Urgency`].
    pub urgency: [i64; 4],
    /// Points per [`Emotion`].
    pub emotion: [i64; 4],
    /// Points per [`Channel`].
    pub channel: [i64; CHANNELS_N],
    /// Thousandths of a point gained per minute of waiting.
    pub aging_milli_per_min: i64,
    /// Thousandths of a point per minute closer to the nearest SLA deadline.
    pub deadline_milli_per_min: i64,
}

impl Weights {
    /// How fast every waiting ticket's priority grows, thousandths of a point per minute:
    /// aging plus the deadline weight (both grow with `now`).
    pub fn rate(&self) -> i64 {
        self.aging_milli_per_min + self.deadline_milli_per_min
    }
}

/// The most points one weight may carry.
pub const WEIGHT_MAX: i64 = 100_000;
/// The highest aging rate, points per minute.
pub const AGING_MAX: f64 = 1_000.0;

impl Default for Weights {
    fn default() -> Self {
        Weights {
            tier: [0, 10, 20, 40],
            urgency: [0, 10, 30, 60],
            emotion: [0, 0, 15, 30],
            // chat, email, phone, social, other
            channel: [20, 0, 30, 10, 0],
            aging_milli_per_min: 1_000,
            deadline_milli_per_min: 0,
        }
    }
}

/// Which teams are admitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Teams {
    /// Every team.
    Any,
    /// These teams (sorted, unique).
    Only(Vec<TeamId>),
}

impl Teams {
    /// Whether `t` is admitted.
    pub fn admits(&self, t: TeamId) -> bool {
        match self {
            Teams::Any => true,
            Teams::Only(v) => v.binary_search(&t).is_ok(),
        }
    }

    fn is_superset_of(&self, other: &Teams) -> bool {
        match (self, other) {
            (Teams::Any, _) => true,
            (Teams::Only(_), Teams::Any) => false,
            (Teams::Only(a), Teams::Only(b)) => b.iter().all(|t| a.binary_search(t).is_ok()),
        }
    }
}

/// A compiled relaxation step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Milliseconds after entering the queue at which the step begins.
    pub after_ms: i64,
    /// Proficiency required in every needed skill, replacing the ticket's own minimums.
    pub proficiency_min: Option<u8>,
    /// Teams admitted.
    pub teams: Teams,
    /// Queue the ticket moves to when it reaches this step.
    pub move_to: Option<QueueId>,
}

/// Compiled overflow rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overflow {
    /// Helping teams (sorted).
    pub teams: Vec<TeamId>,
    /// Opening count threshold.
    pub open_waiting: Option<u32>,
    /// Closing count floor.
    pub close_waiting: u32,
    /// Opening oldest-wait threshold.
    pub open_oldest_wait_ms: Option<i64>,
    /// Closing oldest-wait floor.
    pub close_oldest_wait_ms: i64,
}

/// Compiled offer rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    /// Expiry.
    pub timeout_ms: i64,
    /// Expiries in a row before the agent is set away (0 = never).
    pub away_after_missed: u16,
}

/// Compiled sticky rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sticky {
    /// Preference window after the last contact.
    pub window_ms: i64,
    /// Wait for the preferred agent.
    pub wait_ms: i64,
}

/// A compiled queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queue {
    /// Its id.
    pub id: QueueId,
    /// Its name.
    pub name: String,
    /// Channels it takes by default.
    pub channels: PerChannel<bool>,
    /// Categories it takes by default (empty: any).
    pub categories: Vec<CategoryId>,
    /// Skills every ticket here needs.
    pub needs: SkillNeeds,
    /// Strategy.
    pub strategy: Strategy,
    /// Depth limit.
    pub depth_max: u32,
    /// Priority weights.
    pub weights: Weights,
    /// Service-level threshold.
    pub service_level_ms: i64,
    /// Relaxation steps; `steps[0]` starts at 0 and holds the queue's base criteria.
    pub steps: Vec<Step>,
    /// Overflow.
    pub overflow: Option<Overflow>,
    /// Offers.
    pub offer: Option<Offer>,
    /// Sticky routing.
    pub sticky: Option<Sticky>,
    /// Wrap-up.
    pub wrap_up_ms: i64,
    /// Re-queue on no reply.
    pub reply_timeout_ms: Option<i64>,
    /// Re-queues for no reply per episode, after which a take is not timed.
    pub reply_requeues_max: u8,
    /// Time-to-live of a waiting ticket.
    pub ticket_ttl_ms: Option<i64>,
    /// Where new tickets go when this queue is full.
    pub when_full: Option<QueueId>,
    /// Follow-up delay after resolution, if the queue sets one.
    pub follow_up_after_ms: Option<i64>,
}

/// Compiled limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Default per-queue depth limit.
    pub queue_depth_max: u32,
    /// Tickets per agent, hard.
    pub agent_tickets_max: u32,
    /// Open tickets overall.
    pub tickets_open_max: u32,
    /// Agents overall.
    pub agents_max: u32,
    /// Retention of closed tickets (and the reopen window).
    pub closed_ticket_retention_ms: i64,
    /// How long customer history is kept.
    pub customer_memory_ms: i64,
    /// Requirement classes with waiting tickets.
    pub requirement_classes_max: u32,
}

/// Compiled capacity rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapacityRules {
    /// Units per ticket, per channel.
    pub unit_cost: PerChannel<u16>,
    /// Exclusive channels.
    pub exclusive: PerChannel<bool>,
}

/// A team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Team {
    /// Name.
    pub name: String,
    /// Support tier.
    pub tier: SupportTier,
    /// After-contact work of its agents, overriding the queue's.
    pub wrap_up_ms: Option<i64>,
}

/// The validated configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    spec: ConfigSpec,
    skills: Names<SkillId>,
    languages: Names<LanguageId>,
    categories: Names<CategoryId>,
    teams: Vec<Team>,
    team_ids: BTreeMap<String, TeamId>,
    queues: Vec<Queue>,
    queue_ids: BTreeMap<String, QueueId>,
    /// Limits.
    pub limits: Limits,
    /// Capacity rules.
    pub capacity: CapacityRules,
    /// Calendars and SLA policies.
    pub sla: crate::sla::SlaRules,
    /// Escalation graph and rules.
    pub escalation: crate::escalation::Escalation,
    /// Follow-up delay after resolution per category, if the category sets one.
    category_follow_up_ms: Vec<Option<i64>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Names<I> {
    names: Vec<String>,
    ids: BTreeMap<String, I>,
}

impl<I: Copy> Names<I> {
    fn build(list: &[String], field: &str, max: usize, make: impl Fn(usize) -> I, p: &mut Problems) -> Names<I> {
        let mut ids = BTreeMap::new();
        if list.len() > max {
            p.add(field, format!("{} entries; at most {max} are allowed", list.len()));
        }
        for (i, name) in list.iter().enumerate() {
            if let Some(why) = name_problem(name) {
                p.add(format!("{field}[{i}]"), why);
            } else if ids.insert(name.clone(), make(i.min(max.saturating_sub(1)))).is_some() {
                p.add(format!("{field}[{i}]"), format!("duplicate name {name:?}"));
            }
        }
        Names { names: list.to_vec(), ids }
    }
}

impl Config {
    /// Validates and compiles a spec, reporting every problem found.
    pub fn new(spec: ConfigSpec) -> Result<Config, ConfigError> {
        let mut p = Problems(Vec::new());
        let skills = Names::build(&spec.skills, "skills", SKILLS_MAX, |i| SkillId(i as u16), &mut p);
        let languages = Names::build(&spec.languages, "languages", 64, |i| LanguageId(i as u8), &mut p);
        let categories =
            Names::build(&spec.categories, "categories", u16::MAX as usize, |i| CategoryId(i as u16), &mut p);

        let mut teams = Vec::new();
        let mut team_ids = BTreeMap::new();
        for (i, t) in spec.teams.iter().enumerate() {
            if let Some(why) = name_problem(&t.name) {
                p.add(format!("teams[{i}].name"), why);
            } else if team_ids.insert(t.name.clone(), TeamId(i as u16)).is_some() {
                p.add(format!("teams[{i}].name"), format!("duplicate team {:?}", t.name));
            }
            let wrap_up_ms = t.wrap_up_s.map(|v| seconds_to_ms(v, &format!("teams[{i}].wrap_up_s"), &mut p));
            teams.push(Team { name: t.name.clone(), tier: t.tier, wrap_up_ms });
        }

        let mut queue_ids = BTreeMap::new();
        if spec.queues.is_empty() {
            p.add("queues", "at least one queue is required");
        }
        for (i, q) in spec.queues.iter().enumerate() {
            if let Some(why) = name_problem(&q.name) {
                p.add(format!("queues[{i}].name"), why);
            } else if queue_ids.insert(q.name.clone(), QueueId(i as u16)).is_some() {
                p.add(format!("queues[{i}].name"), format!("duplicate queue {:?}", q.name));
            }
        }

        let limits = compile_limits(&spec.limits, &mut p);
        let capacity = compile_capacity(&spec.capacity, &mut p);
        let default_weights = compile_weights(&spec.priority, &Weights::default(), "priority", &mut p);

        let ctx = Ctx { skills: &skills, categories: &categories, team_ids: &team_ids, queue_ids: &queue_ids };
        let queues: Vec<Queue> = spec
            .queues
            .iter()
            .enumerate()
            .map(|(i, q)| compile_queue(i, q, &ctx, &default_weights, &limits, &mut p))
            .collect();
        check_move_cycles(&spec, &queues, &mut p);

        let sla = compile_sla(&spec, &queue_ids, &mut p);
        let category_follow_up_ms = compile_follow_ups(&spec, &categories, &queues, &limits, &mut p);
        let escalation = compile_escalation(spec.escalation.as_ref(), &queue_ids, &mut p);
        for (i, r) in escalation.rules.iter().enumerate() {
            let by_customer = r.by == crate::escalation::RepeatBy::Customer;
            if r.trigger == crate::escalation::Trigger::RepeatContact
                && by_customer
                && r.window_ms > limits.customer_memory_ms
            {
                p.add(
                    format!("escalation.rules[{i}].window_s"),
                    format!(
                        "{} s is longer than limits.customer_memory_s ({} s), which bounds what is remembered",
                        r.window_ms / SECOND_MS,
                        limits.customer_memory_ms / SECOND_MS
                    ),
                );
            }
        }

        if !p.0.is_empty() {
            return Err(ConfigError { problems: p.0 });
        }
        Ok(Config {
            spec,
            skills,
            languages,
            categories,
            teams,
            team_ids,
            queues,
            queue_ids,
            limits,
            capacity,
            sla,
            escalation,
            category_follow_up_ms,
        })
    }

    /// The delay after resolution at which a ticket of `category` resolved in `queue` is
    /// followed up: the category's, else the queue's, else none.
    pub fn follow_up_ms(&self, queue: QueueId, category: Option<CategoryId>) -> Option<i64> {
        category
            .and_then(|c| self.category_follow_up_ms.get(c.index()).copied().flatten())
            .or(self.queue(queue).follow_up_after_ms)
    }

    /// The spec this config was compiled from.
    pub fn spec(&self) -> &ConfigSpec {
        &self.spec
    }

    /// Queues, indexed by [`QueueId`].
    pub fn queues(&self) -> &[Queue] {
        &self.queues
    }

    /// The queue `q`.
    #[inline]
    pub fn queue(&self, q: QueueId) -> &Queue {
        &self.queues[q.index()]
    }

    /// Teams, indexed by [`TeamId`].
    pub fn teams(&self) -> &[Team] {
        &self.teams
    }

    /// Skill names, indexed by [`SkillId`].
    pub fn skill_names(&self) -> &[String] {
        &self.skills.names
    }

    /// Language names, indexed by [`LanguageId`].
    pub fn language_names(&self) -> &[String] {
        &self.languages.names
    }

    /// Category names, indexed by [`CategoryId`].
    pub fn category_names(&self) -> &[String] {
        &self.categories.names
    }

    /// After-contact work when an agent of `team` releases a ticket of `queue`: the team's
    /// wrap-up if set, else the queue's.
    pub fn wrap_up_ms(&self, team: TeamId, queue: QueueId) -> i64 {
        self.teams.get(team.index()).and_then(|t| t.wrap_up_ms).unwrap_or(self.queue(queue).wrap_up_ms)
    }

    /// Looks up a skill by name.
    pub fn skill(&self, name: &str) -> Option<SkillId> {
        self.skills.ids.get(name).copied()
    }

    /// Looks up a language by name.
    pub fn language(&self, name: &str) -> Option<LanguageId> {
        self.languages.ids.get(name).copied()
    }

    /// Looks up a category by name.
    pub fn category(&self, name: &str) -> Option<CategoryId> {
        self.categories.ids.get(name).copied()
    }

    /// Looks up a team by name.
    pub fn team(&self, name: &str) -> Option<TeamId> {
        self.team_ids.get(name).copied()
    }

    /// Looks up a queue by name.
    pub fn queue_id(&self, name: &str) -> Option<QueueId> {
        self.queue_ids.get(name).copied()
    }

    /// The name of skill `s` (or its number if out of range).
    pub fn skill_name(&self, s: SkillId) -> String {
        self.skills.names.get(s.index()).cloned().unwrap_or_else(|| s.to_string())
    }

    /// The first queue that takes tickets of this channel and category by default.
    pub fn queue_for(&self, channel: Channel, category: Option<CategoryId>) -> Option<QueueId> {
        self.queues
            .iter()
            .find(|q| {
                q.channels.get(channel)
                    && (q.categories.is_empty() || category.is_some_and(|c| q.categories.contains(&c)))
            })
            .map(|q| q.id)
    }

    /// Whether this config can replace `older` in a running engine: every skill, language,
    /// category, team, queue and SLA policy keeps its position (ids are positions), new ones
    /// are appended.
    ///
    /// # Errors
    /// The first entry that moved or went, as an [`IncompatibleChange`].
    pub fn extends(&self, older: &Config) -> Result<(), IncompatibleChange> {
        fn prefix(list: &'static str, new: &[String], old: &[String]) -> Result<(), IncompatibleChange> {
            for (index, name) in old.iter().enumerate() {
                match new.get(index) {
                    Some(n) if n == name => {}
                    Some(n) => {
                        return Err(IncompatibleChange::Renamed { list, index, was: name.clone(), now: n.clone() });
                    }
                    None => return Err(IncompatibleChange::Removed { list, index, was: name.clone() }),
                }
            }
            Ok(())
        }
        prefix("skills", &self.skills.names, &older.skills.names)?;
        prefix("languages", &self.languages.names, &older.languages.names)?;
        prefix("categories", &self.categories.names, &older.categories.names)?;
        let names = |ts: &[Team]| ts.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
        prefix("teams", &names(&self.teams), &names(&older.teams))?;
        let qnames = |qs: &[Queue]| qs.iter().map(|q| q.name.clone()).collect::<Vec<_>>();
        prefix("queues", &qnames(&self.queues), &qnames(&older.queues))?;
        // Tickets keep the position of the SLA policy they run under.
        let pnames = |c: &Config| c.sla.policies.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
        prefix("sla_policies", &pnames(self), &pnames(older))
    }
}

/// Why a config cannot replace the one in force ([`Config::extends`]): ids are positions
/// in its lists, so entries may only be appended.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IncompatibleChange {
    /// The entry at `index` of `list` has another name now.
    #[error("{list}[{index}] was {was:?} and is now {now:?}; entries may only be appended")]
    Renamed {
        /// The list (`skills`, `languages`, `categories`, `teams`, `queues`, `sla_policies`).
        list: &'static str,
        /// The position.
        index: usize,
        /// Its name in the config in force.
        was: String,
        /// Its name in the new config.
        now: String,
    },
    /// The entry at `index` of `list` is gone.
    #[error("{list}[{index}] {was:?} was removed; entries may only be appended")]
    Removed {
        /// The list.
        list: &'static str,
        /// The position.
        index: usize,
        /// Its name in the config in force.
        was: String,
    },
}

impl Serialize for Config {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.spec.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Config {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Config::new(ConfigSpec::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

struct Ctx<'a> {
    skills: &'a Names<SkillId>,
    categories: &'a Names<CategoryId>,
    team_ids: &'a BTreeMap<String, TeamId>,
    queue_ids: &'a BTreeMap<String, QueueId>,
}

/// Why `name` cannot name anything, if it cannot: it is empty (or only white space), or it
/// holds a control character (a newline, a NUL, a terminal escape sequence) or a
/// bidirectional override. Names are printed in tables, log lines and charts, which such
/// characters would garble (an SVG chart holding one is not even valid XML), so they are
/// refused where names come in rather than escaped everywhere they go out.
pub fn name_problem(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        return Some("name is empty".to_owned());
    }
    control_char(name).map(|c| control_problem(name, c))
}

/// The first character of `text` that must not appear in a name, if any.
pub(crate) fn control_char(text: &str) -> Option<char> {
    text.chars().find(|&c| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
}

pub(crate) fn control_problem(name: &str, c: char) -> String {
    format!(
        "name {name:?} holds the control character U+{:04X}; names are printed in tables, logs and charts",
        u32::from(c)
    )
}

pub(crate) fn seconds_to_ms(v: f64, path: &str, p: &mut Problems) -> i64 {
    if !v.is_finite() || v < 0.0 {
        p.add(path, format!("{v} must be a finite number of seconds >= 0"));
        return 0;
    }
    if v > 10.0 * 365.0 * 86_400.0 {
        p.add(path, format!("{v} s is more than ten years"));
        return 0;
    }
    (v * SECOND_MS as f64).round() as i64
}

fn compile_limits(s: &LimitsSpec, p: &mut Problems) -> Limits {
    let positive = |v: Option<u32>, default: u32, path: &str, p: &mut Problems| match v {
        Some(0) => {
            p.add(format!("limits.{path}"), "0 must be at least 1");
            default
        }
        Some(v) => v,
        None => default,
    };
    Limits {
        queue_depth_max: positive(s.queue_depth_max, 100_000, "queue_depth_max", p),
        agent_tickets_max: positive(s.agent_tickets_max, 32, "agent_tickets_max", p).min(255),
        tickets_open_max: positive(s.tickets_open_max, 5_000_000, "tickets_open_max", p),
        agents_max: positive(s.agents_max, 100_000, "agents_max", p),
        closed_ticket_retention_ms: i64::from(s.closed_ticket_retention_s.unwrap_or(7 * 86_400)) * SECOND_MS,
        customer_memory_ms: i64::from(s.customer_memory_s.unwrap_or(30 * 86_400)) * SECOND_MS,
        requirement_classes_max: positive(s.requirement_classes_max, 10_000, "requirement_classes_max", p),
    }
}

fn compile_capacity(s: &CapacitySpec, p: &mut Problems) -> CapacityRules {
    let mut unit_cost = PerChannel([33, 20, 100, 25, 25]);
    if let Some(costs) = &s.unit_cost {
        for (name, &cost) in costs {
            match Channel::parse(name) {
                Some(c) if cost > 0 => unit_cost.set(c, cost),
                Some(_) => p.add(format!("capacity.unit_cost.{name}"), "0 must be at least 1"),
                None => p.add(format!("capacity.unit_cost.{name}"), format!("unknown channel {name:?}")),
            }
        }
    }
    let mut exclusive = PerChannel::splat(false);
    exclusive.set(Channel::Phone, true);
    if let Some(list) = &s.exclusive {
        exclusive = PerChannel::splat(false);
        for &c in list {
            exclusive.set(c, true);
        }
    }
    CapacityRules { unit_cost, exclusive }
}

fn compile_weights(s: &PrioritySpec, base: &Weights, path: &str, p: &mut Problems) -> Weights {
    fn table<const N: usize>(
        spec: &Option<BTreeMap<String, i64>>,
        names: [&str; N],
        base: [i64; N],
        path: &str,
        p: &mut Problems,
    ) -> [i64; N] {
        let mut out = base;
        let Some(spec) = spec else { return out };
        for (name, &v) in spec {
            let field = format!("{path}.{name}");
            match names.iter().position(|n| n == name) {
                None => p.add(field, format!("unknown key {name:?}; expected one of {}", names.join(", "))),
                Some(_) if v < 0 => p.add(field, format!("{v} is negative; weights must be >= 0")),
                Some(_) if v > WEIGHT_MAX => p.add(field, format!("{v} is above the maximum {WEIGHT_MAX}")),
                Some(i) => out[i] = v,
            }
        }
        out
    }
    let tier_names = [CustomerTier::Standard, CustomerTier::Silver, CustomerTier::Gold, CustomerTier::Vip];
    let urgency_names = [Urgency::Low, Urgency::Normal, Urgency::High, Urgency::Critical];
    let emotion_names = [Emotion::Calm, Emotion::Neutral, Emotion::Frustrated, Emotion::Angry];
    let aging_milli_per_min =
        rate_milli(s.aging_points_per_minute, base.aging_milli_per_min, &format!("{path}.aging_points_per_minute"), p);
    let deadline_milli_per_min = rate_milli(
        s.deadline_points_per_minute,
        base.deadline_milli_per_min,
        &format!("{path}.deadline_points_per_minute"),
        p,
    );
    if aging_milli_per_min + deadline_milli_per_min > (AGING_MAX * 1000.0) as i64 {
        p.add(path.to_string(), format!("aging and deadline points together exceed {AGING_MAX} per minute"));
    }
    Weights {
        deadline_milli_per_min,
        tier: table(&s.tier, tier_names.map(CustomerTier::name), base.tier, &format!("{path}.tier"), p),
        urgency: table(&s.urgency, urgency_names.map(Urgency::name), base.urgency, &format!("{path}.urgency"), p),
        emotion: table(&s.emotion, emotion_names.map(Emotion::name), base.emotion, &format!("{path}.emotion"), p),
        channel: table(&s.channel, Channel::ALL.map(Channel::name), base.channel, &format!("{path}.channel"), p),
        aging_milli_per_min,
    }
}

/// A rate in points per minute as kept: thousandths of a point per minute, rounded to the
/// nearest (`base` when absent). A rate above 0 that would round to 0 is refused rather
/// than silently turned off: a queue that asks for aging wants nothing to starve.
fn rate_milli(v: Option<f64>, base: i64, field: &str, p: &mut Problems) -> i64 {
    match v {
        None => base,
        Some(v) if v.is_finite() && (0.0..=AGING_MAX).contains(&v) => {
            let milli = (v * 1000.0).round() as i64;
            if v > 0.0 && milli == 0 {
                p.add(
                    field,
                    format!(
                        "{v} is below the precision of 0.001 points per minute and would round to 0, \
                         turning it off; give 0 for that, or at least 0.0005"
                    ),
                );
            }
            milli
        }
        Some(v) => {
            p.add(field, format!("{v} must be between 0 and {AGING_MAX}"));
            base
        }
    }
}

fn compile_teams(spec: &TeamsSpec, path: &str, ctx: &Ctx<'_>, p: &mut Problems) -> Teams {
    match spec {
        TeamsSpec::Any(s) if s == "any" => Teams::Any,
        TeamsSpec::Any(s) => {
            p.add(path, format!("{s:?} is neither \"any\" nor a list of team names"));
            Teams::Any
        }
        TeamsSpec::List(names) => {
            if names.is_empty() {
                p.add(path, "empty team list admits nobody; use \"any\" or name teams");
            }
            let mut ids = Vec::new();
            for (i, n) in names.iter().enumerate() {
                match ctx.team_ids.get(n) {
                    Some(&t) => ids.push(t),
                    None => p.add(format!("{path}[{i}]"), format!("unknown team {n:?}")),
                }
            }
            ids.sort_unstable();
            ids.dedup();
            Teams::Only(ids)
        }
    }
}

fn compile_queue(
    i: usize,
    q: &QueueSpec,
    ctx: &Ctx<'_>,
    default_weights: &Weights,
    limits: &Limits,
    p: &mut Problems,
) -> Queue {
    let path = format!("queues[{i}]");
    let mut channels = PerChannel::splat(false);
    for &c in &q.channels {
        channels.set(c, true);
    }
    let mut categories = Vec::new();
    for (j, name) in q.categories.iter().enumerate() {
        match ctx.categories.ids.get(name) {
            Some(&c) => categories.push(c),
            None => p.add(format!("{path}.categories[{j}]"), format!("unknown category {name:?}")),
        }
    }
    let mut needs = SkillNeeds::NONE;
    if q.skills.len() > TICKET_SKILLS_MAX {
        p.add(format!("{path}.skills"), format!("{} skills; at most {TICKET_SKILLS_MAX}", q.skills.len()));
    }
    for (name, &level) in &q.skills {
        let field = format!("{path}.skills.{name}");
        match ctx.skills.ids.get(name) {
            None => p.add(field, format!("unknown skill {name:?}")),
            Some(_) if level == 0 || level > PROFICIENCY_MAX => {
                p.add(field, format!("proficiency {level} is outside 1..={PROFICIENCY_MAX}"));
            }
            Some(&skill) => {
                let _ = needs.insert(SkillNeed { skill, min: level });
            }
        }
    }
    let base_teams = match &q.teams {
        None => Teams::Any,
        Some(t) => compile_teams(t, &format!("{path}.teams"), ctx, p),
    };
    let weights = match &q.priority {
        None => *default_weights,
        Some(s) => compile_weights(s, default_weights, &format!("{path}.priority"), p),
    };
    let depth_max = match q.depth_max {
        Some(0) => {
            p.add(format!("{path}.depth_max"), "0 must be at least 1");
            limits.queue_depth_max
        }
        Some(d) => d,
        None => limits.queue_depth_max,
    };
    let service_level_ms =
        q.service_level_s.map_or(20 * SECOND_MS, |v| seconds_to_ms(v, &format!("{path}.service_level_s"), p));
    let steps = compile_steps(&path, q, &needs, base_teams, ctx, p);

    let overflow = q.overflow.as_ref().map(|o| {
        let opath = format!("{path}.overflow");
        let mut teams = Vec::new();
        if o.teams.is_empty() {
            p.add(format!("{opath}.teams"), "names no team to overflow to");
        }
        for (j, n) in o.teams.iter().enumerate() {
            match ctx.team_ids.get(n) {
                Some(&t) => teams.push(t),
                None => p.add(format!("{opath}.teams[{j}]"), format!("unknown team {n:?}")),
            }
        }
        teams.sort_unstable();
        teams.dedup();
        if o.open_waiting.is_none() && o.open_oldest_wait_s.is_none() {
            p.add(opath.clone(), "needs open_waiting or open_oldest_wait_s");
        }
        let close_waiting = match (o.open_waiting, o.close_waiting) {
            (Some(open), Some(close)) if close >= open => {
                p.add(
                    format!("{opath}.close_waiting"),
                    format!("{close} is not below open_waiting {open}; the floor must be lower than the threshold"),
                );
                close
            }
            (Some(open), None) => open.saturating_sub(1),
            (None, Some(close)) => {
                p.add(format!("{opath}.close_waiting"), format!("{close} given without open_waiting"));
                close
            }
            (_, Some(close)) => close,
            (None, None) => u32::MAX,
        };
        let open_oldest_wait_ms =
            o.open_oldest_wait_s.map(|v| seconds_to_ms(v, &format!("{opath}.open_oldest_wait_s"), p));
        let close_oldest_wait_ms = match (open_oldest_wait_ms, o.close_oldest_wait_s) {
            (Some(open), Some(close_s)) => {
                let close = seconds_to_ms(close_s, &format!("{opath}.close_oldest_wait_s"), p);
                if close >= open {
                    p.add(
                        format!("{opath}.close_oldest_wait_s"),
                        format!(
                            "{close_s} is not below open_oldest_wait_s {}; the floor must be lower than the threshold",
                            open as f64 / 1000.0
                        ),
                    );
                }
                close
            }
            (Some(open), None) => open / 2,
            (None, Some(close_s)) => {
                p.add(format!("{opath}.close_oldest_wait_s"), format!("{close_s} given without open_oldest_wait_s"));
                0
            }
            (None, None) => i64::MAX,
        };
        Overflow { teams, open_waiting: o.open_waiting, close_waiting, open_oldest_wait_ms, close_oldest_wait_ms }
    });

    let offer = q.offer.as_ref().map(|o| {
        let timeout_ms = seconds_to_ms(o.timeout_s, &format!("{path}.offer.timeout_s"), p);
        if timeout_ms == 0 {
            p.add(format!("{path}.offer.timeout_s"), "must be above 0");
        }
        Offer { timeout_ms, away_after_missed: o.away_after_missed }
    });
    let sticky = q.sticky.as_ref().map(|s| {
        let window_ms = seconds_to_ms(s.window_s, &format!("{path}.sticky.window_s"), p);
        if window_ms > limits.customer_memory_ms {
            p.add(
                format!("{path}.sticky.window_s"),
                format!(
                    "{} s is longer than limits.customer_memory_s ({} s), which bounds what is remembered",
                    s.window_s,
                    limits.customer_memory_ms / SECOND_MS
                ),
            );
        }
        Sticky { window_ms, wait_ms: seconds_to_ms(s.wait_s, &format!("{path}.sticky.wait_s"), p) }
    });
    let wrap_up_ms = q.wrap_up_s.map_or(0, |v| seconds_to_ms(v, &format!("{path}.wrap_up_s"), p));
    let positive_ms = |v: Option<f64>, field: &str, p: &mut Problems| {
        v.map(|v| {
            let ms = seconds_to_ms(v, &format!("{path}.{field}"), p);
            if ms == 0 {
                p.add(format!("{path}.{field}"), format!("{v} must be above 0"));
            }
            ms.max(1)
        })
    };
    let reply_timeout_ms = positive_ms(q.reply_timeout_s, "reply_timeout_s", p);
    let ticket_ttl_ms = positive_ms(q.ticket_ttl_s, "ticket_ttl_s", p);
    if ticket_ttl_ms.is_some_and(|t| t > 30 * DAY_MS) {
        p.add(format!("{path}.ticket_ttl_s"), "is more than 30 days");
    }
    let when_full = q.when_full.as_ref().and_then(|name| other_queue(name, i, &format!("{path}.when_full"), ctx, p));

    Queue {
        id: QueueId(i as u16),
        name: q.name.clone(),
        channels,
        categories,
        needs,
        strategy: q.strategy,
        depth_max,
        weights,
        service_level_ms,
        steps,
        overflow,
        offer,
        sticky,
        wrap_up_ms,
        reply_timeout_ms,
        reply_requeues_max: q.reply_requeues_max.unwrap_or(REPLY_REQUEUES_MAX_DEFAULT),
        ticket_ttl_ms,
        when_full,
        follow_up_after_ms: positive_ms(q.follow_up_after_s, "follow_up_after_s", p),
    }
}

/// Refuses queues whose `move_to` steps lead back to themselves (`a` -> `b` -> `a`): a
/// ticket nobody takes would move around the loop forever. A queue moves to at most one
/// other (its last step), so following the moves from each queue finds every loop.
fn check_move_cycles(spec: &ConfigSpec, queues: &[Queue], p: &mut Problems) {
    let next =
        |i: usize| queues[i].steps.last().and_then(|s| s.move_to).map(QueueId::index).filter(|&n| n < queues.len());
    // 0: not seen, 1: on the walk under way, 2: done (its moves end, or its loop is reported).
    let mut seen = vec![0u8; queues.len()];
    for start in 0..queues.len() {
        let mut walk = Vec::new();
        let mut at = Some(start);
        while let Some(q) = at.filter(|&q| seen[q] == 0) {
            seen[q] = 1;
            walk.push(q);
            at = next(q);
        }
        // Stopped on a queue of this walk: the walk from there on is a loop.
        if let Some(q) = at.filter(|&q| seen[q] == 1) {
            let from = walk.iter().position(|&w| w == q).expect("on the walk");
            let cycle = &walk[from..];
            // Named from its first queue in the file.
            let first = cycle.iter().enumerate().min_by_key(|&(_, &c)| c).map_or(0, |(k, _)| k);
            let order: Vec<usize> = cycle[first..].iter().chain(&cycle[..first]).copied().collect();
            let names: Vec<&str> = order.iter().chain(order.first()).map(|&i| spec.queues[i].name.as_str()).collect();
            let head = order[0];
            let last = spec.queues[head].steps.len().saturating_sub(1);
            p.add(
                format!("queues[{head}].steps[{last}].move_to"),
                format!(
                    "the queues' move_to steps form a loop ({}): a ticket nobody takes would move around it forever",
                    names.join(" -> ")
                ),
            );
        }
        walk.iter().for_each(|&w| seen[w] = 2);
    }
}

/// The timed relaxation steps of queue `q` (whose own requirements are `needs`), each
/// compared with the one before by what it admits, for every ticket the queue can hold.
fn compile_steps(
    path: &str,
    q: &QueueSpec,
    needs: &SkillNeeds,
    base_teams: Teams,
    ctx: &Ctx<'_>,
    p: &mut Problems,
) -> Vec<Step> {
    // Before any step sets a minimum, a ticket needs each skill at its own minimum merged
    // with the queue's: at least the queue's level for the queue's skills, at least 1 for
    // any other skill a ticket may bring, and as much as the top level for any of them.
    let skills_n = ctx.skills.names.len();
    let own_min_lowest =
        if skills_n > 0 && needs.len() == skills_n { needs.iter().map(|n| n.min).min() } else { None }.unwrap_or(1);
    let mut steps = vec![Step { after_ms: 0, proficiency_min: None, teams: base_teams, move_to: None }];
    for (j, s) in q.steps.iter().enumerate() {
        let spath = format!("{path}.steps[{j}]");
        let after_ms = seconds_to_ms(s.after_s, &format!("{spath}.after_s"), p);
        let prev = steps.last().cloned().expect("steps start non-empty");
        if let Some(level) = s.proficiency_min
            && (level == 0 || level > PROFICIENCY_MAX)
        {
            p.add(format!("{spath}.proficiency_min"), format!("{level} is outside 1..={PROFICIENCY_MAX}"));
        }
        let teams = match &s.teams {
            Some(t) => compile_teams(t, &format!("{spath}.teams"), ctx, p),
            None => prev.teams.clone(),
        };
        let own = q_index(ctx, &q.name);
        let move_to = s.move_to.as_ref().and_then(|name| other_queue(name, own, &format!("{spath}.move_to"), ctx, p));
        if prev.move_to.is_some() {
            p.add(spath.clone(), "follows a move_to step; move_to must be the last step");
        }
        let step = Step { after_ms, proficiency_min: s.proficiency_min.or(prev.proficiency_min), teams, move_to };
        if j == 0 && after_ms == 0 {
            // A first step at 0 s replaces the queue's base criteria.
            steps[0] = step;
            continue;
        }
        if after_ms <= prev.after_ms {
            p.add(
                format!("{spath}.after_s"),
                format!("{} s is not after the previous step ({} s)", s.after_s, prev.after_ms as f64 / 1000.0),
            );
        }
        // What each step admits: a step's minimum replaces every ticket's own, so from the
        // tickets' own minimums (no step minimum yet) to `m` it lowers the minimum of a
        // ticket needing more than `m` and raises that of a ticket needing less.
        let (prof_looser, prof_tighter, raises_own) = match (step.proficiency_min, prev.proficiency_min) {
            _ if skills_n == 0 => (false, false, false),
            (Some(m), Some(was)) => (m < was, m > was, false),
            (Some(m), None) => (m < PROFICIENCY_MAX, false, m > own_min_lowest),
            (None, _) => (false, false, false),
        };
        let teams_looser = step.teams.is_superset_of(&prev.teams) && step.teams != prev.teams;
        let teams_tighter = !step.teams.is_superset_of(&prev.teams);
        if let (true, Some(m)) = (raises_own, step.proficiency_min) {
            p.add(
                spath.clone(),
                format!(
                    "proficiency_min = {m} raises the minimum of a ticket needing a skill at {own_min_lowest} (a \
                     step's proficiency_min replaces every ticket's own minimums), and steps may only loosen: set \
                     the starting minimum with a step at after_s = 0, or lower this one to {own_min_lowest}"
                ),
            );
        }
        if prof_tighter || teams_tighter {
            p.add(spath.clone(), "tightens the criteria of the previous step; steps may only loosen");
        } else if !raises_own && !prof_looser && !teams_looser && step.move_to.is_none() {
            p.add(
                spath.clone(),
                "loosens nothing relative to the previous step (same proficiency, same teams, no move_to)",
            );
        }
        steps.push(step);
    }
    steps
}

/// The follow-up delays per category, checking every delay (the queues' too) against the
/// closed-ticket retention: a ticket retired before its follow-up could not be followed up.
fn compile_follow_ups(
    spec: &ConfigSpec,
    categories: &Names<CategoryId>,
    queues: &[Queue],
    limits: &Limits,
    p: &mut Problems,
) -> Vec<Option<i64>> {
    let mut by_category = vec![None; categories.names.len()];
    let retention_ms = limits.closed_ticket_retention_ms;
    let check = |ms: i64, path: String, p: &mut Problems| {
        if ms >= retention_ms {
            p.add(
                path,
                format!(
                    "{} s is not shorter than limits.closed_ticket_retention_s ({} s): the ticket would be forgotten before its follow-up",
                    ms as f64 / 1000.0,
                    retention_ms / SECOND_MS
                ),
            );
        }
    };
    for (name, &v) in &spec.follow_up_after_s_by_category {
        let path = format!("follow_up_after_s_by_category.{name}");
        let ms = seconds_to_ms(v, &path, p);
        if ms == 0 {
            p.add(path.clone(), format!("{v} must be above 0"));
        }
        check(ms, path.clone(), p);
        match categories.ids.get(name) {
            Some(&c) => by_category[c.index()] = Some(ms.max(1)),
            None => p.add(path, format!("unknown category {name:?}")),
        }
    }
    for (i, q) in queues.iter().enumerate() {
        if let Some(ms) = q.follow_up_after_ms {
            check(ms, format!("queues[{i}].follow_up_after_s"), p);
        }
    }
    by_category
}

/// Resolves a queue named by a queue's field: it must exist and not be the queue itself.
fn other_queue(name: &str, own: usize, path: &str, ctx: &Ctx<'_>, p: &mut Problems) -> Option<QueueId> {
    match ctx.queue_ids.get(name) {
        Some(&id) if id.index() == own => {
            p.add(path, format!("{name:?} is this queue itself"));
            None
        }
        Some(&id) => Some(id),
        None => {
            p.add(path, format!("unknown queue {name:?}"));
            None
        }
    }
}

fn q_index(ctx: &Ctx<'_>, name: &str) -> usize {
    ctx.queue_ids.get(name).map_or(usize::MAX, |q| q.index())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(toml_text: &str) -> ConfigSpec {
        toml::from_str(toml_text).expect("spec parses")
    }

    const GOOD: &str = r#"
        skills = ["billing", "tech"]
        languages = ["en", "de"]
        categories = ["refund"]
        teams = [{ name = "tier1" }, { name = "experts", tier = "L2" }]
        [priority]
        tier = { vip = 50 }
        [[queues]]
        name = "chat"
        channels = ["chat"]
        skills = { billing = 2 }
        steps = [
            { after_s = 0, proficiency_min = 4, teams = ["experts"] },
            { after_s = 30, proficiency_min = 2 },
            { after_s = 60, teams = "any" },
            { after_s = 120, move_to = "email" },
        ]
        overflow = { teams = ["tier1"], open_waiting = 10, close_waiting = 4 }
        [[queues]]
        name = "email"
        channels = ["email"]
    "#;

    #[test]
    fn good_config_compiles() {
        let c = Config::new(spec(GOOD)).unwrap();
        assert_eq!(c.skill("tech"), Some(SkillId(1)));
        assert_eq!(c.team("experts"), Some(TeamId(1)));
        let q = c.queue(QueueId(0));
        assert_eq!(q.weights.tier, [0, 10, 20, 50]);
        assert_eq!(q.steps.len(), 4);
        assert_eq!(q.steps[0].proficiency_min, Some(4));
        assert_eq!(q.steps[1].teams, Teams::Only(vec![TeamId(1)]));
        assert_eq!(q.steps[2].teams, Teams::Any);
        assert_eq!(q.steps[3].move_to, Some(QueueId(1)));
        assert_eq!(c.queue_for(Channel::Email, None), Some(QueueId(1)));
        assert_eq!(c.queue_for(Channel::Phone, None), None);
    }

    #[test]
    fn config_round_trips_through_json() {
        let c = Config::new(spec(GOOD)).unwrap();
        let json = serde_json::to_string(&c).unwrap();
        let back: Config = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
    }

    fn problems(toml_text: &str) -> Vec<String> {
        Config::new(spec(toml_text)).unwrap_err().problems.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn bad_configs_name_field_and_value() {
        let p = problems(
            r#"
            skills = ["billing", "billing"]
            teams = [{ name = "a" }]
            [priority]
            urgency = { high = -3, extreme = 1 }
            [[queues]]
            name = "q"
            skills = { billing = 7, cooking = 1 }
            [[queues]]
            name = "q"
            "#,
        );
        let expect = [
            "skills[1]: duplicate name \"billing\"",
            "queues[1].name: duplicate queue \"q\"",
            "priority.urgency.extreme: unknown key \"extreme\"",
            "priority.urgency.high: -3 is negative",
            "queues[0].skills.billing: proficiency 7 is outside 1..=5",
            "queues[0].skills.cooking: unknown skill \"cooking\"",
        ];
        for e in expect {
            assert!(p.iter().any(|x| x.starts_with(e)), "missing {e:?} in {p:#?}");
        }
    }

    #[test]
    fn steps_must_loosen_and_overflow_needs_hysteresis() {
        let p = problems(
            r#"
            skills = ["s"]
            teams = [{ name = "a" }, { name = "b" }]
            [[queues]]
            name = "q"
            steps = [
                { after_s = 0, proficiency_min = 3 },
                { after_s = 10, proficiency_min = 3 },
                { after_s = 20, proficiency_min = 4 },
            ]
            overflow = { teams = ["nobody"], open_waiting = 5, close_waiting = 5 }
            "#,
        );
        let expect = [
            "queues[0].steps[1]: loosens nothing",
            "queues[0].steps[2]: tightens",
            "queues[0].overflow.teams[0]: unknown team \"nobody\"",
            "queues[0].overflow.close_waiting: 5 is not below open_waiting 5",
        ];
        for e in expect {
            assert!(p.iter().any(|x| x.starts_with(e)), "missing {e:?} in {p:#?}");
        }
    }

    /// Queues moving tickets to one another in a loop are refused, once per loop, at its
    /// first queue; a chain that ends is fine.
    #[test]
    fn move_to_loops_are_refused() {
        let queue = |name: &str, to: &str| {
            format!(
                "[[queues]]\nname = \"{name}\"\nsteps = [{{ after_s = 0 }}, {{ after_s = 60, move_to = \"{to}\" }}]\n"
            )
        };
        let head = "skills = [\"s\"]\nteams = [{ name = \"t\" }]\n";
        let text = format!("{head}{}{}{}{}", queue("a", "b"), queue("b", "c"), queue("c", "b"), queue("d", "a"));
        let p = problems(&text);
        let loops: Vec<&String> = p.iter().filter(|x| x.contains("form a loop")).collect();
        assert_eq!(loops.len(), 1, "{p:#?}");
        assert!(
            loops[0].starts_with("queues[1].steps[1].move_to: the queues' move_to steps form a loop (b -> c -> b)")
        );
        let chain = format!("{head}{}{}[[queues]]\nname = \"c\"\n", queue("a", "b"), queue("b", "c"));
        Config::new(spec(&chain)).unwrap_or_else(|e| panic!("a chain that ends: {e}"));
    }

    #[test]
    fn config_changes_may_only_append() {
        let old = Config::new(spec(GOOD)).unwrap();
        let mut s = spec(GOOD);
        s.skills.push("returns".into());
        assert!(Config::new(s.clone()).unwrap().extends(&old).is_ok());
        s.skills.swap(0, 1);
        let err = Config::new(s).unwrap().extends(&old).unwrap_err();
        assert!(
            matches!(&err, IncompatibleChange::Renamed { list: "skills", index: 0, was, .. } if was == "billing"),
            "{err:?}"
        );
        assert!(err.to_string().contains("skills[0] was \"billing\""), "{err}");
        // SLA policies are positions too: tickets keep the one they run under.
        let policy = |name: &str| -> crate::sla::SlaPolicySpec {
            toml::from_str(&format!("name = \"{name}\"\nfirst_response_s = 60")).unwrap()
        };
        let mut one = spec(GOOD);
        one.sla_policies = vec![policy("chat")];
        let with_one = Config::new(one.clone()).unwrap();
        one.sla_policies.push(policy("email"));
        assert!(Config::new(one.clone()).unwrap().extends(&with_one).is_ok());
        one.sla_policies.clear();
        let err = Config::new(one).unwrap().extends(&with_one).unwrap_err();
        assert_eq!(err, IncompatibleChange::Removed { list: "sla_policies", index: 0, was: "chat".into() });
        assert!(err.to_string().contains("sla_policies[0] \"chat\" was removed"), "{err}");
    }
}
