//! Snapshots: the state's tables as serde data, so a store can keep the state as of a
//! sequence number and start from it instead of folding every event since the first.
//!
//! A snapshot holds the facts only: the configuration, the ticket, agent, customer and
//! queue tables. What is derived from them (the routing index,
//! the queues' age indexes, the timer set, agents' skill level sets) is left out and
//! rebuilt when the snapshot is read, exactly as [`replay`](crate::replay()) builds it once
//! at the end. So a state read back from a snapshot equals the state it was written from,
//! and equals a replay of the same events.
//!
//! The encoding is serde's: the store picks the format (JSON in `cs-store`). Its layout
//! has a version, [`SNAPSHOT_FORMAT`]; a store keeps the version beside the bytes and
//! refuses (and rebuilds from the events) a snapshot of another version rather than
//! guessing. Change the number whenever a table's serde shape changes.

use crate::agent::Agent;
use crate::apply::end_replay;
use crate::config::Config;
use crate::id::{AgentId, CategoryId, CustomerId, TicketId};
use crate::routing::FxMap;
use crate::skill::SkillLevels;
use crate::state::{Customer, QueueState, State, TicketTable};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// The layout version of the state's tables in a snapshot.
pub const SNAPSHOT_FORMAT: u16 = 3;

/// The tables of a state, borrowed for writing.
#[derive(Serialize)]
struct TablesRef<'a> {
    config: &'a Option<Arc<Config>>,
    last_at: Timestamp,
    events_applied: u64,
    tickets: &'a TicketTable,
    ticket_keys: &'a BTreeMap<Box<str>, TicketId>,
    open_tickets: u64,
    agents: &'a [Agent],
    agent_keys: &'a BTreeMap<Box<str>, AgentId>,
    assign_seq: u64,
    queues: &'a [QueueState],
    /// Sorted by customer, so equal states write equal bytes.
    customers: Vec<(&'a CustomerId, &'a Customer)>,
    category_contacts: Vec<(&'a CategoryId, &'a VecDeque<Timestamp>)>,
    customer_expiry: &'a VecDeque<(Timestamp, CustomerId)>,
}

/// The tables of a state, read back.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Tables {
    config: Option<Arc<Config>>,
    last_at: Timestamp,
    events_applied: u64,
    tickets: TicketTable,
    ticket_keys: BTreeMap<Box<str>, TicketId>,
    open_tickets: u64,
    agents: Vec<Agent>,
    agent_keys: BTreeMap<Box<str>, AgentId>,
    assign_seq: u64,
    queues: Vec<QueueState>,
    customers: Vec<(CustomerId, Customer)>,
    category_contacts: Vec<(CategoryId, VecDeque<Timestamp>)>,
    customer_expiry: VecDeque<(Timestamp, CustomerId)>,
}

impl Serialize for State {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut customers: Vec<_> = self.customers.iter().collect();
        customers.sort_unstable_by_key(|(id, _)| **id);
        let mut category_contacts: Vec<_> = self.category_contacts.iter().collect();
        category_contacts.sort_unstable_by_key(|(id, _)| **id);
        TablesRef {
            config: &self.config,
            last_at: self.last_at,
            events_applied: self.events_applied,
            tickets: &self.tickets,
            ticket_keys: &self.ticket_keys,
            open_tickets: self.open_tickets,
            agents: &self.agents,
            agent_keys: &self.agent_keys,
            assign_seq: self.assign_seq,
            queues: &self.queues,
            customers,
            category_contacts,
            customer_expiry: &self.customer_expiry,
        }
        .serialize(s)
    }
}

/// Reads a state written by its `Serialize`, checks that its tables hang together (so that
/// rebuilding the derived indexes cannot trip an assertion) and rebuilds those indexes.
impl<'de> Deserialize<'de> for State {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = Tables::deserialize(d)?;
        let mut state = State {
            config: t.config,
            last_at: t.last_at,
            events_applied: t.events_applied,
            tickets: t.tickets,
            ticket_keys: t.ticket_keys,
            open_tickets: t.open_tickets,
            agents: t.agents,
            agent_keys: t.agent_keys,
            assign_seq: t.assign_seq,
            queues: t.queues,
            customers: t.customers.into_iter().collect::<FxMap<_, _>>(),
            category_contacts: t.category_contacts.into_iter().collect::<FxMap<_, _>>(),
            customer_expiry: t.customer_expiry,
            ..State::default()
        };
        consistent(&state).map_err(serde::de::Error::custom)?;
        for a in &mut state.agents {
            a.levels = SkillLevels::new(a.skills.iter().copied());
        }
        end_replay(&mut state);
        Ok(state)
    }
}

/// Whether a state's tables refer only to what exists: every id within the configuration's
/// ranges and every key to a record that holds it. A snapshot is checksummed by its store,
/// so this guards against a store's bug or a hand-made file, not against random damage.
fn consistent(s: &State) -> Result<(), String> {
    let Some(cfg) = s.config.as_deref() else {
        let empty = s.tickets.len() == 0 && s.agents.is_empty() && s.queues.is_empty();
        return if empty { Ok(()) } else { Err("tables without a configuration".to_owned()) };
    };
    if s.queues.len() != cfg.queues().len() {
        return Err(format!("{} queue records for {} configured queues", s.queues.len(), cfg.queues().len()));
    }
    for (i, a) in s.agents.iter().enumerate() {
        if a.id.0 as usize != i {
            return Err(format!("agent {} stored at the place of agent {i}", a.id));
        }
        if usize::from(a.team.0) >= cfg.teams().len() {
            return Err(format!(
                "agent {} is in team {}, beyond the {} configured",
                a.key,
                a.team.0,
                cfg.teams().len()
            ));
        }
        if let Some(&(s, _)) =
            a.skills.iter().find(|(s, p)| usize::from(s.0) >= cfg.skill_names().len() || !(1..=5).contains(p))
        {
            return Err(format!("agent {} has skill {} out of range", a.key, s.0));
        }
        for &t in &a.held {
            if s.tickets.get(t).is_none_or(|t| t.agent != Some(a.id)) {
                return Err(format!("agent {} holds ticket {t}, which is not held by them", a.key));
            }
        }
    }
    for (key, &id) in &s.agent_keys {
        if s.agents.get(id.0 as usize).is_none_or(|a| a.key != *key) {
            return Err(format!("agent key {key:?} names agent {id}, which has another key"));
        }
    }
    for t in s.tickets.iter() {
        if usize::from(t.queue.0) >= cfg.queues().len() || usize::from(t.episode_queue.0) >= cfg.queues().len() {
            return Err(format!("ticket {} is in a queue beyond the {} configured", t.id, cfg.queues().len()));
        }
        if let Some(a) = t.agent
            && s.agents.get(a.0 as usize).is_none_or(|a| !a.held.contains(&t.id))
        {
            return Err(format!("ticket {} is held by agent {a}, who does not hold it", t.id));
        }
        if let Some(sla) = &t.sla
            && usize::from(sla.policy) >= cfg.sla.policies.len()
        {
            return Err(format!("ticket {} runs under SLA policy {}, beyond those configured", t.id, sla.policy));
        }
    }
    for (key, &id) in &s.ticket_keys {
        if s.tickets.get(id).is_none_or(|t| t.key.as_deref() != Some(&**key)) {
            return Err(format!("ticket key {key:?} names ticket {id}, which has another key"));
        }
    }
    // Counting a category's contacts in a window is a binary search over them.
    for (category, contacts) in &s.category_contacts {
        if contacts.iter().zip(contacts.iter().skip(1)).any(|(a, b)| a > b) {
            return Err(format!("category {}'s contacts are not in time order", category.0));
        }
    }
    Ok(())
}
