//! Escalation: tiers as a directed acyclic graph, and the rules that move tickets up it.
//!
//! Each **tier** (L1, L2 experts, L3 product and engineering, supervisors, ...) owns a
//! queue. Edges say where a tier escalates to; the graph is checked acyclic when the config
//! loads (petgraph's topological sort), so escalation always terminates. A ticket's tier is
//! the tier owning its queue; "next" is the first edge out of that tier, in config order.
//!
//! A **rule** names a trigger and where to go (a tier, or the next one), and may add
//! priority points. Rules are tried in config order; the first that applies fires, at most
//! once per ticket per tier (a rule that fired in L1 may fire again once the ticket is in
//! L2). Escalating moves the ticket to the target tier's queue with its age kept (an agent
//! holding it gives it up), adds the rule's points to its score, and records the trigger.

use crate::id::QueueId;
use crate::sla::ClockKind;
use crate::ticket::Emotion;
use serde::{Deserialize, Serialize};

/// What makes a rule fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// An SLA clock warned (optionally only a given clock).
    SlaWarning,
    /// An SLA clock breached (optionally only a given clock).
    SlaBreach,
    /// The customer's emotion reached a level.
    Emotion,
    /// The customer is VIP.
    Vip,
    /// The ticket was reopened a number of times.
    Reopen,
    /// The same customer (or category) contacted us a number of times within a window.
    RepeatContact,
    /// A person asked for it.
    Manual,
}

impl Trigger {
    /// Every trigger, in index order.
    pub const ALL: [Trigger; 7] = [
        Trigger::SlaWarning,
        Trigger::SlaBreach,
        Trigger::Emotion,
        Trigger::Vip,
        Trigger::Reopen,
        Trigger::RepeatContact,
        Trigger::Manual,
    ];

    /// Position in per-trigger tables.
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// Whose contacts a repeat-contact rule counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepeatBy {
    /// The same customer.
    #[default]
    Customer,
    /// The same category, across customers (a spike: also raised as an alert).
    Category,
}

/// A tier as written in a config.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierSpec {
    /// Unique name.
    pub name: String,
    /// The queue its tickets wait in.
    pub queue: String,
}

/// A rule as written in a config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// What fires it.
    pub trigger: Trigger,
    /// For SLA triggers: only this clock (absent: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockKind>,
    /// For the emotion trigger: the level that fires it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emotion_at_least: Option<Emotion>,
    /// For the reopen trigger: reopens that fire it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopens_at_least: Option<u16>,
    /// For the repeat-contact trigger: contacts within the window that fire it (>= 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts_at_least: Option<u16>,
    /// For the repeat-contact trigger: the window, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_s: Option<f64>,
    /// For the repeat-contact trigger: count per customer (default) or per category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<RepeatBy>,
    /// Target tier (absent: the next tier from the ticket's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Priority points added to the ticket when it fires.
    #[serde(default)]
    pub boost: i64,
}

/// The escalation section of a config.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationSpec {
    /// Tiers.
    pub tiers: Vec<TierSpec>,
    /// Edges `[from, to]` between tier names, in preference order.
    #[serde(default)]
    pub edges: Vec<[String; 2]>,
    /// Rules, in the order they are tried.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

/// A compiled rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// What fires it.
    pub trigger: Trigger,
    /// SLA triggers: only this clock.
    pub clock: Option<ClockKind>,
    /// Emotion trigger: the level.
    pub emotion_at_least: Emotion,
    /// Reopen trigger: the count.
    pub reopens_at_least: u16,
    /// Repeat-contact trigger: the count.
    pub contacts_at_least: u16,
    /// Repeat-contact trigger: the window.
    pub window_ms: i64,
    /// Repeat-contact trigger: whose contacts.
    pub by: RepeatBy,
    /// Target tier, or `None` for the next one.
    pub to: Option<usize>,
    /// Priority points added.
    pub boost: i64,
}

/// A compiled tier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tier {
    /// Its name.
    pub name: String,
    /// Its queue.
    pub queue: QueueId,
}

/// The compiled escalation graph and rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Escalation {
    /// Tiers.
    pub tiers: Vec<Tier>,
    /// For each tier, the tiers it escalates to, in preference order.
    pub out: Vec<Vec<usize>>,
    /// Rules, in order.
    pub rules: Vec<Rule>,
}

impl Escalation {
    /// The tier owning `queue`, if any.
    pub fn tier_of(&self, queue: QueueId) -> Option<usize> {
        self.tiers.iter().position(|t| t.queue == queue)
    }

    /// Where rule `r` sends a ticket waiting in `queue`: the rule's tier, or the first tier
    /// the ticket's own escalates to. `None` if there is nowhere to go (or it is there).
    pub fn target(&self, r: &Rule, queue: QueueId) -> Option<usize> {
        let target = match r.to {
            Some(t) => t,
            None => *self.out.get(self.tier_of(queue)?)?.first()?,
        };
        (self.tiers[target].queue != queue).then_some(target)
    }

    /// The longest repeat-contact window any rule uses, ms (0 if none).
    pub fn repeat_window_ms(&self, by: RepeatBy) -> i64 {
        self.rules
            .iter()
            .filter(|r| r.trigger == Trigger::RepeatContact && r.by == by)
            .map(|r| r.window_ms)
            .max()
            .unwrap_or(0)
    }
}
