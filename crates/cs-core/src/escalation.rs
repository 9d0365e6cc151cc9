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

use crate::config::{Problems, WEIGHT_MAX, control_char, control_problem, seconds_to_ms};
use crate::id::QueueId;
use crate::sla::ClockKind;
use crate::ticket::Emotion;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

pub(crate) fn compile_escalation(
    spec: Option<&crate::escalation::EscalationSpec>,
    queue_ids: &BTreeMap<String, QueueId>,
    p: &mut Problems,
) -> crate::escalation::Escalation {
    use crate::escalation::{Escalation, RepeatBy, Rule, Tier, Trigger};
    let Some(spec) = spec else { return Escalation::default() };
    let mut tiers = Vec::new();
    let mut by_name: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, t) in spec.tiers.iter().enumerate() {
        if let Some(c) = control_char(&t.name) {
            p.add(format!("escalation.tiers[{i}].name"), control_problem(&t.name, c));
        } else if by_name.insert(t.name.as_str(), i).is_some() {
            p.add(format!("escalation.tiers[{i}].name"), format!("duplicate tier {:?}", t.name));
        }
        let queue = match queue_ids.get(&t.queue) {
            Some(&q) => q,
            None => {
                p.add(format!("escalation.tiers[{i}].queue"), format!("unknown queue {:?}", t.queue));
                QueueId(0)
            }
        };
        // Compared by name among the tiers whose queue is known: an unknown queue stands
        // in as queue 0, which must not make a later tier of queue 0 look taken.
        if queue_ids.contains_key(&t.queue) && spec.tiers[..i].iter().any(|x| x.queue == t.queue) {
            p.add(
                format!("escalation.tiers[{i}].queue"),
                format!("queue {:?} already belongs to another tier", t.queue),
            );
        }
        tiers.push(Tier { name: t.name.clone(), queue });
    }
    let mut out = vec![Vec::new(); tiers.len()];
    let mut graph = petgraph::graph::DiGraph::<usize, ()>::new();
    let nodes: Vec<_> = (0..tiers.len()).map(|i| graph.add_node(i)).collect();
    for (i, [from, to]) in spec.edges.iter().enumerate() {
        let (Some(&a), Some(&b)) = (by_name.get(from.as_str()), by_name.get(to.as_str())) else {
            for name in [from, to] {
                if !by_name.contains_key(name.as_str()) {
                    p.add(format!("escalation.edges[{i}]"), format!("unknown tier {name:?}"));
                }
            }
            continue;
        };
        out[a].push(b);
        graph.add_edge(nodes[a], nodes[b], ());
    }
    if let Err(cycle) = petgraph::algo::toposort(&graph, None) {
        let tier = &tiers[graph[cycle.node_id()]].name;
        p.add("escalation.edges", format!("the tiers form a cycle through {tier:?}; escalation must only go up"));
    }
    let mut rules = Vec::new();
    for (i, r) in spec.rules.iter().enumerate() {
        let path = format!("escalation.rules[{i}]");
        let to = r.to.as_ref().and_then(|name| match by_name.get(name.as_str()) {
            Some(&t) => Some(t),
            None => {
                p.add(format!("{path}.to"), format!("unknown tier {name:?}"));
                None
            }
        });
        let needs = |field: &str, present: bool, p: &mut Problems| {
            if !present {
                p.add(format!("{path}.{field}"), format!("required by trigger {:?}", r.trigger));
            }
        };
        match r.trigger {
            Trigger::Emotion => needs("emotion_at_least", r.emotion_at_least.is_some(), p),
            Trigger::Reopen => needs("reopens_at_least", r.reopens_at_least.is_some_and(|n| n > 0), p),
            Trigger::RepeatContact => {
                needs("contacts_at_least", r.contacts_at_least.is_some_and(|n| n >= 2), p);
                needs("window_s", r.window_s.is_some_and(|w| w > 0.0), p);
                if r.contacts_at_least.is_some_and(|n| usize::from(n) > crate::state::RECENT_CONTACTS)
                    && r.by.unwrap_or_default() == RepeatBy::Customer
                {
                    p.add(
                        format!("{path}.contacts_at_least"),
                        format!("at most {} contacts per customer are remembered", crate::state::RECENT_CONTACTS),
                    );
                }
            }
            _ => {}
        }
        if r.clock.is_some() && !matches!(r.trigger, Trigger::SlaWarning | Trigger::SlaBreach) {
            p.add(format!("{path}.clock"), "only SLA triggers name a clock");
        }
        if r.boost < 0 || r.boost > WEIGHT_MAX {
            p.add(format!("{path}.boost"), format!("{} must be between 0 and {WEIGHT_MAX}", r.boost));
        }
        rules.push(Rule {
            trigger: r.trigger,
            clock: r.clock,
            emotion_at_least: r.emotion_at_least.unwrap_or(crate::ticket::Emotion::Angry),
            reopens_at_least: r.reopens_at_least.unwrap_or(1),
            contacts_at_least: r.contacts_at_least.unwrap_or(3),
            window_ms: r.window_s.map_or(0, |w| seconds_to_ms(w, &format!("{path}.window_s"), p)),
            by: r.by.unwrap_or_default(),
            to,
            boost: r.boost,
        });
    }
    if rules.len() > 32 {
        p.add("escalation.rules", format!("{} rules; at most 32", rules.len()));
    }
    Escalation { tiers, out, rules }
}
