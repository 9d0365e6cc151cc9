//! The state: a fold of events. Only [`crate::apply`] changes it.

use crate::agent::Agent;
use crate::config::Config;
use crate::id::{AgentId, QueueId, TicketId};
use crate::priority::WaitKey;
use crate::routing::RoutingIndex;
use crate::ticket::{Ticket, TicketStatus};
use crate::time::Timestamp;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

/// Something due at a time; fired by `Tick` or any later command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// A waiting ticket reaches its next relaxation step.
    Step(TicketId),
}

/// Per-queue live figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct QueueState {
    /// Waiting tickets by the start of their wait.
    pub by_age: BTreeSet<(Timestamp, TicketId)>,
    /// Whether overflow teams currently help.
    pub overflow_open: bool,
}

/// Tickets per storage chunk. Chunks never move once allocated, so the table grows
/// without copying tickets (and without a peak of twice its size while it grows).
const CHUNK: usize = 1024;

/// Tickets by id: a window over ids from the oldest retained ticket, pointing into
/// chunked slots.
///
/// Ids are handed out in order and closed tickets are retired after the retention window,
/// so memory follows the open tickets and the recent closed ones, not all tickets ever.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TicketTable {
    /// Id of `index[0]`.
    base: u64,
    /// Slot + 1 per id from `base`; 0 = retired.
    index: VecDeque<u32>,
    chunks: Vec<Vec<Option<Ticket>>>,
    free: Vec<u32>,
    used: usize,
    /// Closed tickets with their retirement time, in closing order.
    retire: VecDeque<(Timestamp, TicketId)>,
}

impl TicketTable {
    /// The id the next ticket gets.
    pub(crate) fn next_id(&self) -> TicketId {
        TicketId(self.base + self.index.len() as u64)
    }

    #[inline]
    fn slot(&self, id: TicketId) -> Option<usize> {
        let off = id.0.checked_sub(self.base)?;
        let s = *self.index.get(usize::try_from(off).ok()?)?;
        (s != 0).then(|| (s - 1) as usize)
    }

    #[inline]
    fn at(&self, slot: usize) -> &Option<Ticket> {
        &self.chunks[slot / CHUNK][slot % CHUNK]
    }

    #[inline]
    fn at_mut(&mut self, slot: usize) -> &mut Option<Ticket> {
        &mut self.chunks[slot / CHUNK][slot % CHUNK]
    }

    #[inline]
    pub(crate) fn get(&self, id: TicketId) -> Option<&Ticket> {
        self.at(self.slot(id)?).as_ref()
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, id: TicketId) -> Option<&mut Ticket> {
        let s = self.slot(id)?;
        self.at_mut(s).as_mut()
    }

    pub(crate) fn insert(&mut self, t: Ticket) {
        assert_eq!(t.id, self.next_id(), "tickets are created in id order");
        let slot = match self.free.pop() {
            Some(s) => {
                *self.at_mut(s as usize) = Some(t);
                s
            }
            None => {
                if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
                    self.chunks.push(Vec::with_capacity(CHUNK));
                }
                let slot = (self.chunks.len() - 1) * CHUNK + self.chunks.last().map_or(0, Vec::len);
                self.chunks.last_mut().expect("pushed above").push(Some(t));
                slot as u32
            }
        };
        self.used += 1;
        self.index.push_back(slot + 1);
    }

    pub(crate) fn schedule_retire(&mut self, due: Timestamp, id: TicketId) {
        self.retire.push_back((due, id));
    }

    /// Retires closed tickets whose retention ended at or before `now`, forgetting their keys.
    pub(crate) fn retire_due(&mut self, now: Timestamp, retention_ms: i64, keys: &mut BTreeMap<Box<str>, TicketId>) {
        while let Some(&(due, id)) = self.retire.front() {
            if due > now {
                break;
            }
            self.retire.pop_front();
            // A reopened (or re-closed) ticket has a later entry or none: skip stale ones.
            let Some(s) = self.slot(id) else { continue };
            let t = self.at(s).as_ref().expect("indexed slot is occupied");
            if !t.status.is_closed() || t.closed_at.map(|c| c.plus_ms(retention_ms)) != Some(due) {
                continue;
            }
            if let Some(k) = &t.key {
                keys.remove(k);
            }
            *self.at_mut(s) = None;
            self.free.push(s as u32);
            self.used -= 1;
            let off = (id.0 - self.base) as usize;
            self.index[off] = 0;
            while self.index.front() == Some(&0) {
                self.index.pop_front();
                self.base += 1;
            }
        }
    }

    /// Tickets held, in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Ticket> + '_ {
        self.index.iter().filter(|&&s| s != 0).filter_map(|&s| self.at((s - 1) as usize).as_ref())
    }

    /// Number of tickets held (open or within retention).
    pub(crate) fn len(&self) -> usize {
        self.used
    }
}

/// Everything the engine knows, as of its last event.
///
/// Built only by folding events with [`crate::apply`]; read through its methods.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    pub(crate) config: Option<Arc<Config>>,
    pub(crate) last_at: Timestamp,
    pub(crate) events_applied: u64,
    pub(crate) tickets: TicketTable,
    pub(crate) ticket_keys: BTreeMap<Box<str>, TicketId>,
    pub(crate) open_tickets: u64,
    pub(crate) agents: Vec<Agent>,
    pub(crate) agent_keys: BTreeMap<Box<str>, AgentId>,
    pub(crate) assign_seq: u64,
    pub(crate) queues: Vec<QueueState>,
    pub(crate) index: RoutingIndex,
    pub(crate) timers: BTreeSet<(Timestamp, Timer)>,
    /// While true (during [`crate::replay`]), `apply` folds the tables only and leaves the
    /// routing index, queue age indexes and timers to one rebuild at the end.
    pub(crate) deferred_index: bool,
}

impl State {
    /// An empty, unconfigured state.
    pub fn new() -> State {
        State::default()
    }

    /// The configuration in force.
    ///
    /// # Panics
    /// Before the first `Configured` event; `decide` refuses every command but `Configure`
    /// until then, so a state built by the engine never panics here.
    pub fn config(&self) -> &Config {
        self.config.as_deref().expect("state is configured")
    }

    /// The configuration in force, if any.
    pub fn config_opt(&self) -> Option<&Arc<Config>> {
        self.config.as_ref()
    }

    /// Time of the last event applied.
    pub fn last_event_at(&self) -> Timestamp {
        self.last_at
    }

    /// Number of events applied.
    pub fn events_applied(&self) -> u64 {
        self.events_applied
    }

    /// A ticket by id (open ones and closed ones within the retention window).
    pub fn ticket(&self, id: TicketId) -> Option<&Ticket> {
        self.tickets.get(id)
    }

    /// A ticket by the caller's key.
    pub fn ticket_by_key(&self, key: &str) -> Option<&Ticket> {
        self.ticket_keys.get(key).and_then(|&id| self.tickets.get(id))
    }

    /// Tickets held in memory, in id order.
    pub fn tickets(&self) -> impl Iterator<Item = &Ticket> + '_ {
        self.tickets.iter()
    }

    /// Number of tickets held in memory (open, or closed within the retention window).
    pub fn tickets_held(&self) -> usize {
        self.tickets.len()
    }

    /// Number of open (not closed) tickets.
    pub fn open_tickets(&self) -> u64 {
        self.open_tickets
    }

    /// The id the next created ticket will get.
    pub fn next_ticket_id(&self) -> TicketId {
        self.tickets.next_id()
    }

    /// An agent by id.
    pub fn agent(&self, id: AgentId) -> Option<&Agent> {
        self.agents.get(id.index())
    }

    /// An agent by key.
    pub fn agent_by_key(&self, key: &str) -> Option<&Agent> {
        self.agent_keys.get(key).map(|&id| &self.agents[id.index()])
    }

    /// All agents, in id order.
    pub fn agents(&self) -> &[Agent] {
        &self.agents
    }

    /// Number of tickets waiting in `queue`.
    pub fn waiting_in(&self, queue: QueueId) -> usize {
        self.queues.get(queue.index()).map_or(0, |q| q.by_age.len())
    }

    /// The longest current wait in `queue` at `now`, in ms (0 if none waits).
    pub fn oldest_wait_ms(&self, queue: QueueId, now: Timestamp) -> i64 {
        self.queues.get(queue.index()).and_then(|q| q.by_age.first()).map_or(0, |&(since, _)| now.since(since).max(0))
    }

    /// Whether `queue`'s overflow to other teams is open.
    pub fn overflow_open(&self, queue: QueueId) -> bool {
        self.queues.get(queue.index()).is_some_and(|q| q.overflow_open)
    }

    /// The next time a timer is due, so a service can sleep until then.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.timers.first().map(|&(t, _)| t)
    }

    /// Timers pending, in due order.
    pub fn timers(&self) -> impl Iterator<Item = (Timestamp, Timer)> + '_ {
        self.timers.iter().copied()
    }

    /// A waiting ticket's position in its queue: 1 + the number of tickets of the same
    /// queue with a higher priority (in any step or requirement class).
    /// `None` if the ticket is not waiting.
    ///
    /// Every ticket of a queue ages at the same rate, so the answer does not depend on the
    /// time it is asked; it changes only as tickets arrive, leave or are re-prioritised.
    pub fn queue_position(&self, ticket: TicketId) -> Option<usize> {
        let t = self.tickets.get(ticket)?;
        let bucket = t.bucket.get()?;
        if t.status != TicketStatus::Queued {
            return None;
        }
        let mine = self.wait_key(t);
        let ahead: usize =
            self.index.buckets.iter().filter(|b| b.queue == t.queue).map(|b| b.waiting.range(..mine).count()).sum();
        debug_assert!(self.index.buckets[bucket as usize].waiting.contains(&mine));
        Some(ahead + 1)
    }

    /// The key `t` has (or would have) in its bucket.
    pub(crate) fn wait_key(&self, t: &Ticket) -> WaitKey {
        let aging = self.config().queue(t.queue).weights.aging_milli_per_min;
        WaitKey {
            key: crate::priority::key(t.score, aging, t.queued_since),
            score: t.score,
            since: t.queued_since,
            ticket: t.id,
            avoids: !t.avoid_agents.is_empty(),
        }
    }

    /// Whether `id` was issued but its ticket has been retired, or is due to retire by `now`.
    pub(crate) fn archived(&self, id: TicketId, now: Timestamp) -> bool {
        match self.tickets.get(id) {
            None => id < self.tickets.next_id(),
            Some(t) => {
                let retention = self.config.as_ref().map_or(i64::MAX, |c| c.limits.closed_ticket_retention_ms);
                t.status.is_closed() && t.closed_at.is_some_and(|c| c.plus_ms(retention) <= now)
            }
        }
    }
}
