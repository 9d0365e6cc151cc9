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

/// Something due at a time; fired by `Tick` or any command at or after that time, in due
/// order, before the command (the timers of one instant together; see `decide`).
///
/// Every timer's due time is a field of a ticket or queue, so the timer set is derived
/// from the tables and rebuilt after a replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// A waiting ticket reaches its next relaxation step.
    Step(TicketId),
    /// A sticky reservation ends.
    Pin(TicketId),
    /// An offer expires.
    Offer(TicketId),
    /// An assigned ticket's agent has not replied in time.
    Reply(TicketId),
    /// A waiting ticket's time-to-live ends.
    Expiry(TicketId),
    /// A queue's overflow should open or close.
    Overflow(QueueId),
    /// An agent's earliest after-contact work ends.
    WrapUp(AgentId),
    /// An SLA clock's warning, deadline or reminder.
    Sla(TicketId, crate::sla::ClockKind),
    /// A resolved ticket's follow-up (a satisfaction survey, a callback).
    FollowUp(TicketId),
}

/// Per-queue live figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct QueueState {
    /// Waiting tickets by the start of their wait (derived).
    #[serde(skip)]
    pub by_age: BTreeSet<(Timestamp, TicketId)>,
    /// Whether overflow teams currently help.
    pub overflow_open: bool,
    /// When the overflow rule next changes state, if it will (derived).
    #[serde(skip)]
    pub overflow_due: Option<Timestamp>,
    /// Handle time of tickets released from this queue, exponentially weighted (1/16 per
    /// sample), in ms; 0 before the first sample.
    pub handle_ms_ewma: i64,
    /// Tickets whose handle time has been sampled.
    pub handled: u64,
}

/// How many recent contacts are remembered per customer: enough for any repeat-contact
/// rule ("3 or more within a window"), held inline so remembering allocates nothing.
pub const RECENT_CONTACTS: usize = 8;

/// A customer's last [`RECENT_CONTACTS`] contacts, oldest first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecentContacts {
    items: [(Timestamp, Option<crate::id::CategoryId>); RECENT_CONTACTS],
    len: u8,
}

impl RecentContacts {
    /// Records a contact, forgetting the oldest when full.
    pub fn push(&mut self, at: Timestamp, category: Option<crate::id::CategoryId>) {
        if usize::from(self.len) == RECENT_CONTACTS {
            self.items.copy_within(1.., 0);
            self.items[RECENT_CONTACTS - 1] = (at, category);
        } else {
            self.items[usize::from(self.len)] = (at, category);
            self.len += 1;
        }
    }

    /// The remembered contacts, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (Timestamp, Option<crate::id::CategoryId>)> + '_ {
        self.items[..usize::from(self.len)].iter().copied()
    }
}

/// One SLA clock of a ticket, as shown to people.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ClockView {
    /// Which clock.
    pub kind: crate::sla::ClockKind,
    /// The policy's name.
    pub policy: String,
    /// Running, paused or stopped.
    pub state: crate::sla::ClockState,
    /// When it started.
    pub started_at: Timestamp,
    /// Its deadline, while running.
    pub deadline: Option<Timestamp>,
    /// Business ms counted so far.
    pub elapsed_ms: i64,
    /// Business ms left before the target (negative: overdue).
    pub remaining_ms: i64,
    /// The warning fired.
    pub warned: bool,
    /// The deadline passed.
    pub breached: bool,
}

/// What the engine remembers of a customer, for sticky routing and repeat contacts.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Customer {
    /// The agent who last served them (released a ticket of theirs after handling it).
    pub last_agent: Option<AgentId>,
    /// When that agent released it.
    pub last_served_at: Timestamp,
    /// Their most recent contacts (ticket creations): time and category.
    pub contacts: RecentContacts,
    /// Their last activity; the record is forgotten between one and two
    /// `limits.customer_memory_s` after it.
    pub last_seen: Timestamp,
}

/// Tickets per storage chunk. Chunks never move once allocated, so the table grows
/// without copying tickets (and without a peak of twice its size while it grows).
const CHUNK: usize = 1024;

/// Tickets by id: a window over ids from the oldest retained ticket, pointing into
/// chunked slots.
///
/// Ids are handed out in order and closed tickets are retired after the retention window,
/// so memory follows the open tickets and the recent closed ones, not all tickets ever.
#[derive(Clone, Debug, Default)]
pub(crate) struct TicketTable {
    /// Id of `index[0]`.
    base: u64,
    /// Slot + 1 per id from `base`; 0 = retired.
    index: VecDeque<u32>,
    /// Records by slot; a free slot still holds its last, retired record.
    chunks: Vec<Vec<Ticket>>,
    /// Slots of retired tickets, free for new ones (still holding the retired record).
    free: Vec<u32>,
    used: usize,
    /// Closed tickets with their retirement time, in closing order.
    retire: VecDeque<(Timestamp, TicketId)>,
    /// The retirement time at the front of `retire`, or none (ms; `i64::MAX` when empty,
    /// 0 before the first check): one comparison per event instead of a look at the queue.
    retire_next: i64,
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
    fn at(&self, slot: usize) -> &Ticket {
        &self.chunks[slot / CHUNK][slot % CHUNK]
    }

    #[inline]
    fn at_mut(&mut self, slot: usize) -> &mut Ticket {
        &mut self.chunks[slot / CHUNK][slot % CHUNK]
    }

    #[inline]
    pub(crate) fn get(&self, id: TicketId) -> Option<&Ticket> {
        Some(self.at(self.slot(id)?))
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, id: TicketId) -> Option<&mut Ticket> {
        let s = self.slot(id)?;
        Some(self.at_mut(s))
    }

    /// Stores the next ticket, built by `make` straight into its slot (a ticket record is
    /// large: built elsewhere and moved in, it would be copied twice).
    #[inline]
    pub(crate) fn insert_with(&mut self, make: impl FnOnce() -> Ticket) -> &Ticket {
        let id = self.next_id();
        let slot = match self.free.pop() {
            Some(s) => s as usize,
            None => {
                if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
                    self.chunks.push(Vec::with_capacity(CHUNK));
                }
                (self.chunks.len() - 1) * CHUNK + self.chunks[self.chunks.len() - 1].len()
            }
        };
        self.used += 1;
        self.index.push_back(slot as u32 + 1);
        let chunk = &mut self.chunks[slot / CHUNK];
        let t = if slot % CHUNK < chunk.len() {
            let dst = &mut chunk[slot % CHUNK];
            *dst = make(); // over the retired record, dropping it in place
            &*dst
        } else {
            chunk.push(make());
            &chunk[slot % CHUNK]
        };
        assert_eq!(t.id, id, "tickets are created in id order");
        t
    }

    pub(crate) fn schedule_retire(&mut self, due: Timestamp, id: TicketId) {
        if self.retire.is_empty() {
            self.retire_next = due.ms();
        }
        self.retire.push_back((due, id));
    }

    /// Retires closed tickets whose retention ended at or before `now`, forgetting their keys.
    #[inline]
    pub(crate) fn retire_due(&mut self, now: Timestamp, retention_ms: i64, keys: &mut BTreeMap<Box<str>, TicketId>) {
        // Checked on every event; something is due on few of them.
        if self.retire_next <= now.ms() {
            self.retire_due_now(now, retention_ms, keys);
        }
    }

    #[inline(never)]
    fn retire_due_now(&mut self, now: Timestamp, retention_ms: i64, keys: &mut BTreeMap<Box<str>, TicketId>) {
        while let Some(&(due, id)) = self.retire.front() {
            if due > now {
                break;
            }
            self.retire.pop_front();
            // A reopened (or re-closed) ticket has a later entry or none: skip stale ones.
            let Some(s) = self.slot(id) else { continue };
            let t = self.at(s);
            if !t.status.is_closed() || t.closed_at.map(|c| c.plus_ms(retention_ms)) != Some(due) {
                continue;
            }
            if let Some(k) = &t.key {
                keys.remove(k);
            }
            // The record stays in its slot until a new ticket overwrites it there: cleared
            // now, it would be moved out (copied) to be dropped.
            self.free.push(s as u32);
            self.used -= 1;
            let off = (id.0 - self.base) as usize;
            self.index[off] = 0;
            while self.index.front() == Some(&0) {
                self.index.pop_front();
                self.base += 1;
            }
        }
        self.retire_next = self.retire.front().map_or(i64::MAX, |&(due, _)| due.ms());
    }

    /// Whether each id from `base` on is held or retired, in order.
    fn held_ids(&self) -> impl Iterator<Item = bool> + '_ {
        self.index.iter().map(|&s| s != 0)
    }

    /// Tickets held, in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Ticket> + '_ {
        self.index.iter().filter(|&&s| s != 0).map(|&s| self.at((s - 1) as usize))
    }

    /// Every ticket record, held or retired (a retired record stays in its slot until a new
    /// ticket is built over it, and nothing reads it), to change.
    pub(crate) fn records_mut(&mut self) -> impl Iterator<Item = &mut Ticket> + '_ {
        self.chunks.iter_mut().flatten()
    }

    /// Number of tickets held (open or within retention).
    pub(crate) fn len(&self) -> usize {
        self.used
    }
}

/// Equal when the same ids are held with equal records and the same are due to retire;
/// which slot holds a record, and what a free slot still holds, do not matter.
impl PartialEq for TicketTable {
    fn eq(&self, o: &TicketTable) -> bool {
        self.base == o.base
            && self.used == o.used
            && self.retire == o.retire
            && self.held_ids().eq(o.held_ids())
            && self.iter().eq(o.iter())
    }
}

impl Eq for TicketTable {}

/// A ticket table in a snapshot: the id window's start, every id from there (a retired id
/// as `null`), and the retirement queue. Slots are not kept: a restored table packs the
/// records afresh (slots never count in equality).
impl serde::Serialize for TicketTable {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Window<'a>(&'a TicketTable);
        impl serde::Serialize for Window<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let t = self.0;
                s.collect_seq(t.index.iter().map(|&slot| (slot != 0).then(|| t.at((slot - 1) as usize))))
            }
        }
        let mut st = s.serialize_struct("TicketTable", 3)?;
        st.serialize_field("base", &self.base)?;
        st.serialize_field("tickets", &Window(self))?;
        st.serialize_field("retire", &self.retire)?;
        st.end()
    }
}

impl<'de> serde::Deserialize<'de> for TicketTable {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Data {
            base: u64,
            tickets: Vec<Option<Ticket>>,
            retire: VecDeque<(Timestamp, TicketId)>,
        }
        let data = Data::deserialize(d)?;
        let mut table = TicketTable { base: data.base, ..TicketTable::default() };
        for (i, slot) in data.tickets.into_iter().enumerate() {
            let id = TicketId(data.base + i as u64);
            match slot {
                None => table.index.push_back(0),
                Some(t) if t.id != id => {
                    return Err(serde::de::Error::custom(format!(
                        "ticket {} stored at the place of ticket {id}",
                        t.id
                    )));
                }
                Some(t) => {
                    table.insert_with(|| t);
                }
            }
        }
        table.retire_next = data.retire.front().map_or(i64::MAX, |&(due, _)| due.ms());
        table.retire = data.retire;
        Ok(table)
    }
}

/// What the routing index holds ([`State::index_counts`]).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexCounts {
    /// Buckets (queue, step and requirement class) held.
    pub buckets: usize,
    /// Of which with no waiting ticket (kept a while for their class's next ticket).
    pub empty_buckets: usize,
    /// Bucket slots allocated, held or free for reuse.
    pub bucket_slots: usize,
    /// Pools (agent profiles) held.
    pub pools: usize,
    /// Of which with no member (always 0: such a pool is dropped).
    pub memberless_pools: usize,
    /// Pool slots allocated, held or free for reuse.
    pub pool_slots: usize,
    /// Requirement classes with waiting tickets.
    pub classes: usize,
}

/// What [`State::ticket_as_of`] found.
pub(crate) enum TicketLookup<'a> {
    Held(&'a Ticket),
    Archived,
    Unknown,
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
    pub(crate) customers: crate::routing::FxMap<crate::id::CustomerId, Customer>,
    /// Recent ticket creations per category, kept for category repeat-contact rules.
    pub(crate) category_contacts: crate::routing::FxMap<crate::id::CategoryId, VecDeque<Timestamp>>,
    /// When to check each customer record for forgetting, in time order (one entry each).
    pub(crate) customer_expiry: VecDeque<(Timestamp, crate::id::CustomerId)>,
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
    #[inline]
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
    #[inline]
    pub fn tickets_held(&self) -> usize {
        self.tickets.len()
    }

    /// Number of open (not closed) tickets.
    pub fn open_tickets(&self) -> u64 {
        self.open_tickets
    }

    /// The id the next created ticket will get.
    #[inline]
    pub fn next_ticket_id(&self) -> TicketId {
        self.tickets.next_id()
    }

    /// An agent by id.
    #[inline]
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
    #[inline]
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.timers.first().map(|&(t, _)| t)
    }

    /// What is remembered of a customer.
    pub fn customer(&self, id: crate::id::CustomerId) -> Option<&Customer> {
        self.customers.get(&id)
    }

    /// How many tickets the customer opened since `since`, in `category` if given (counting
    /// at most the last [`RECENT_CONTACTS`] contacts, within the memory window).
    pub fn contacts_since(
        &self,
        customer: crate::id::CustomerId,
        category: Option<crate::id::CategoryId>,
        since: Timestamp,
    ) -> usize {
        self.customers.get(&customer).map_or(0, |c| {
            c.contacts.iter().filter(|&(t, cat)| t >= since && (category.is_none() || cat == category)).count()
        })
    }

    /// How many tickets of `category` were created since `since` (kept only as long as a
    /// category repeat-contact rule looks back).
    ///
    /// The contacts are recorded in time order (events are), so this is a binary search,
    /// O(log contacts in the window), not a scan of the window.
    pub fn category_contacts_since(&self, category: crate::id::CategoryId, since: Timestamp) -> usize {
        self.category_contacts.get(&category).map_or(0, |v| {
            debug_assert!(v.iter().zip(v.iter().skip(1)).all(|(a, b)| a <= b), "contacts in time order");
            v.len() - v.partition_point(|&t| t < since)
        })
    }

    /// Recent handle time of tickets in `queue` (exponentially weighted), if any was seen.
    pub fn handle_ms_recent(&self, queue: QueueId) -> Option<i64> {
        self.queues.get(queue.index()).filter(|q| q.handled > 0).map(|q| q.handle_ms_ewma)
    }

    /// Timers pending, in due order.
    pub fn timers(&self) -> impl Iterator<Item = (Timestamp, Timer)> + '_ {
        self.timers.iter().copied()
    }

    /// A waiting ticket's position in its queue: 1 + the number of tickets of the same
    /// queue with a higher priority (in any step or requirement class); for a ticket
    /// reserved by sticky routing, its place among the tickets reserved for that agent.
    /// `None` if the ticket is not waiting.
    ///
    /// Every ticket of a queue ages at the same rate, so the answer does not depend on the
    /// time it is asked; it changes only as tickets arrive, leave or are re-prioritised.
    pub fn queue_position(&self, ticket: TicketId) -> Option<usize> {
        let t = self.tickets.get(ticket)?;
        if t.status != TicketStatus::Queued {
            return None;
        }
        let mine = self.wait_key(t);
        if let Some(agent) = t.pinned_to {
            // Reserved for one agent by sticky routing: its place among that agent's.
            let set = self.index.pinned.get(&agent)?;
            return Some(set.range(..mine).count() + 1);
        }
        let bucket = t.bucket.get()?;
        // The tickets of the queue ahead in its ranks (every bucket of the queue at once):
        // O(log n), where summing each bucket's count would be O(waiting).
        let ranks = &self.index.ranks[t.queue.index()];
        debug_assert!(self.index.buckets[bucket as usize].waiting.contains(&mine));
        debug_assert!(ranks.contains(&mine));
        Some(ranks.rank(&mine) + 1)
    }

    /// Every SLA clock of a ticket that has started, as of `now`: its state, deadline,
    /// business time elapsed and left (negative when overdue), and whether it warned or
    /// breached. Empty if no policy applies.
    pub fn sla_view(&self, ticket: TicketId, now: Timestamp) -> Vec<ClockView> {
        let Some(sla) = self.tickets.get(ticket).and_then(|t| t.sla.as_deref()) else { return Vec::new() };
        let cfg = self.config();
        let cal = cfg.sla.calendar(sla.policy);
        let policy = &cfg.sla.policies[usize::from(sla.policy)].name;
        crate::sla::ClockKind::ALL
            .into_iter()
            .map(|k| (k, &sla.clocks[k.index()]))
            .filter(|(_, c)| c.state != crate::sla::ClockState::Idle)
            .map(|(kind, c)| {
                let elapsed_ms = c.elapsed_at(cal, now);
                ClockView {
                    kind,
                    policy: policy.clone(),
                    state: c.state,
                    started_at: c.started_at,
                    deadline: matches!(c.state, crate::sla::ClockState::Running).then_some(c.deadline),
                    elapsed_ms,
                    remaining_ms: c.target_ms - elapsed_ms,
                    warned: c.warned,
                    breached: c.breached,
                }
            })
            .collect()
    }

    /// Estimated wait still ahead of a waiting ticket, in ms, or `None` if it does not wait,
    /// its queue has no handle-time history yet, or no logged-in agent can serve it.
    ///
    /// `EWT = position × recent handle time ÷ serving slots`, where position is
    /// [`State::queue_position`], recent handle time is the queue's exponentially weighted
    /// handle time ([`State::handle_ms_recent`]), and serving slots count, over the agents
    /// logged in who qualify for the ticket at its current step (plus overflow help while
    /// open), their concurrent capacity on its channel. A reserved ticket counts only its
    /// agent's slots. With every slot busy and handle times exponential, the next slot frees
    /// after `handle ÷ slots` on average, so the formula is the expected wait of a ticket
    /// served in priority order behind `position - 1` others (first in, first out within
    /// equal priority).
    pub fn estimated_wait_ms(&self, ticket: TicketId) -> Option<i64> {
        let t = self.tickets.get(ticket)?;
        let position = self.queue_position(ticket)? as i64;
        let handle = self.handle_ms_recent(t.queue)?;
        let channel = t.channel;
        let slots: u64 = match t.pinned_to {
            Some(a) => {
                let a = &self.agents[a.index()];
                u64::from(a.capacity.per_channel.get(channel))
                    * u64::from(a.presence != crate::agent::Presence::Offline)
            }
            None => {
                let b = &self.index.buckets[t.bucket.get()? as usize];
                let open = self.queues[t.queue.index()].overflow_open;
                b.pools
                    .iter()
                    .chain(if open { b.overflow_pools.iter() } else { [].iter() })
                    .map(|&(p, _)| {
                        let p = &self.index.pools[p as usize];
                        u64::from(p.members) * u64::from(p.key.capacity.per_channel.get(channel))
                    })
                    .sum()
            }
        };
        if slots == 0 {
            return None;
        }
        Some((position * handle + slots as i64 - 1) / slots as i64)
    }

    /// A ticket's place in priority order at `now`, comparable across queues.
    pub fn rank_at(&self, t: &Ticket, now: Timestamp) -> crate::priority::Rank {
        crate::priority::Rank::of(&self.wait_key(t), self.config().queue(t.queue).weights.rate(), now)
    }

    /// The key `t` has (or would have) in its bucket.
    pub(crate) fn wait_key(&self, t: &Ticket) -> WaitKey {
        let w = &self.config().queue(t.queue).weights;
        let deadline = if w.deadline_milli_per_min == 0 {
            t.queued_since
        } else {
            t.prio_deadline.or_else(|| t.nearest_deadline()).unwrap_or(t.queued_since)
        };
        WaitKey {
            key: crate::priority::key(t.score, w, t.queued_since, deadline),
            score: t.score,
            since: t.queued_since,
            ticket: t.id,
            avoids: !t.avoid_agents.is_empty(),
        }
    }

    /// The ticket `id` as of `now`: held, archived (issued but retired, or due to retire by
    /// `now`), or never issued.
    pub(crate) fn ticket_as_of(&self, id: TicketId, now: Timestamp) -> TicketLookup<'_> {
        match self.tickets.get(id) {
            None if id < self.tickets.next_id() => TicketLookup::Archived,
            None => TicketLookup::Unknown,
            Some(t) => {
                let retention = self.config.as_ref().map_or(i64::MAX, |c| c.limits.closed_ticket_retention_ms);
                if t.status.is_closed() && t.closed_at.is_some_and(|c| c.plus_ms(retention) <= now) {
                    TicketLookup::Archived
                } else {
                    TicketLookup::Held(t)
                }
            }
        }
    }
}
