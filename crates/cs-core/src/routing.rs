//! The routing index and the two questions routing asks of it.
//!
//! Waiting tickets live in **buckets**: one per (queue, relaxation step, requirement
//! class), where a requirement class is the ticket's skills with minimums, language and
//! channel. A bucket is a `BTreeSet` ordered by [`WaitKey`], so its best ticket is its
//! first element and nothing is re-sorted as tickets age.
//!
//! Agents live in **pools**: one per routing profile (team, skill levels, languages,
//! capacity). A pool keeps, per channel, the agents who are available with room on that
//! channel, ordered by each strategy's key (longest idle, least occupied, round robin).
//!
//! Which pools may serve which buckets is computed once, when a bucket or a pool is
//! created, and kept on both sides: a bucket lists the pools it admits, and a pool lists
//! the admitting buckets that hold waiting tickets (its active lists). A decision therefore
//! looks only at the heads of non-empty buckets and of pools with members: no scan over
//! waiting tickets or empty buckets, no string hashing, no allocation unless several
//! tickets are picked at once.
//!
//! The index shrinks as well as grows: a pool whose last member leaves its profile is
//! dropped, and empty buckets are kept only while their classes are in use (see
//! [`IDLE_BUCKETS_KEPT`]) before their slots are recycled, so an
//! engine that runs for months holds the classes and profiles in use, not all ever seen.
//! `limits.requirement_classes_max` bounds the classes with waiting tickets.
//!
//! Architecture Invariant: an agent is in a pool's free set for channel `c` exactly when
//! it is available and [`capacity::check`] admits one more ticket on `c`.

use crate::agent::{Agent, Capacity, LanguageSet, Load, Presence};
use crate::capacity;
use crate::channel::{CHANNELS_N, Channel};
use crate::config::{Config, Strategy};
use crate::eligibility::{Admission, Place, Profile, Rules, qualify};
use crate::id::{AgentId, LanguageId, QueueId, TeamId, TicketId};
use crate::ordset::OrdSet;
use crate::priority::{Rank, WaitKey};
use crate::rankset::RankSet;
use crate::skill::{SkillLevels, SkillNeeds};
use crate::state::State;
use crate::time::Timestamp;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Index of a bucket in [`RoutingIndex::buckets`].
pub(crate) type BucketId = u32;
/// Index of a pool in [`RoutingIndex::pools`].
pub(crate) type PoolId = u32;

/// A ticket's bucket in the routing index, kept on the ticket to save a lookup.
///
/// Positions depend on the order the index was built in, not on the facts: a replay that
/// builds the index once at the end numbers buckets differently from a state that grew
/// event by event. So a slot has no equality: [`crate::Ticket`]'s equality, written out
/// field by field, leaves it out, as it leaves out nothing else.
#[derive(Clone, Copy, Debug)]
pub struct Slot(pub(crate) u32);

impl Slot {
    pub(crate) const NONE: Slot = Slot(u32::MAX);

    /// [`Slot::NONE`], for serde defaults.
    pub(crate) fn none() -> Slot {
        Slot::NONE
    }

    pub(crate) fn get(self) -> Option<u32> {
        (self.0 != u32::MAX).then_some(self.0)
    }
}

/// The index's lookup tables (never iterated to make a decision) hash with rustc's FxHash.
pub(crate) type FxMap<K, V> = rustc_hash::FxHashMap<K, V>;
/// Pools with their proficiency sum on a bucket's needs.
pub(crate) type PoolFits = Vec<(PoolId, u32)>;

/// What a ticket needs of an agent, before relaxation steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ReqKey {
    pub needs: SkillNeeds,
    pub language: Option<LanguageId>,
    pub channel: Channel,
}

/// Waiting tickets of one queue, step and requirement class.
///
/// A bucket with no waiting ticket is in no pool's active lists, so routing never looks
/// at it; it is kept a while (see [`IDLE_BUCKETS_KEPT`]) so that the next ticket of its
/// class finds its pools without working them out, then its slot is recycled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bucket {
    pub queue: QueueId,
    pub step: u8,
    pub req: ReqKey,
    /// The needs with the step's proficiency override applied.
    pub eff: SkillNeeds,
    pub waiting: BTreeSet<WaitKey>,
    /// Pools (with members) admitted by the step's teams, with their proficiency sum on
    /// `req.needs`.
    pub pools: PoolFits,
    /// Pools (with members) admitted only while the queue's overflow is open.
    pub overflow_pools: PoolFits,
    /// The slot holds a bucket (false: free, waiting to be recycled).
    pub live: bool,
    /// The bucket is in [`RoutingIndex::idle`].
    pub idle_queued: bool,
    /// When its class was last seen: a ticket put in it, an arrival of its class taken at
    /// once, its last ticket gone.
    pub seen: Timestamp,
    /// When it was last put at the back of [`RoutingIndex::idle`].
    pub queued_at: Timestamp,
    /// Its place in its queue's list of buckets holding waiting tickets
    /// ([`RoutingIndex::queue_active`]), while it holds some.
    pub queue_slot: u32,
}

impl Bucket {
    fn free() -> Bucket {
        Bucket {
            queue: QueueId(0),
            step: 0,
            req: ReqKey { needs: SkillNeeds::default(), language: None, channel: Channel::Chat },
            eff: SkillNeeds::default(),
            waiting: BTreeSet::new(),
            pools: Vec::new(),
            overflow_pools: Vec::new(),
            live: false,
            idle_queued: false,
            seen: Timestamp(0),
            queued_at: Timestamp(0),
            queue_slot: 0,
        }
    }
}

/// How many empty buckets are kept for their class's next ticket at least (more while
/// more buckets have waiting tickets: as many empty ones as non-empty ones). Past that an
/// empty bucket is dropped, and its slot recycled, once its class has not been seen (a
/// ticket put in it, an arrival of its class taken at once, its last ticket gone) for
/// [`IDLE_BUCKET_KEEP_MS`], or when more than [`IDLE_BUCKETS_MAX`] are empty: so the index
/// follows the classes in use, not every class ever seen, and a class in use keeps its
/// bucket between its tickets.
pub(crate) const IDLE_BUCKETS_KEPT: usize = 64;

/// How long an empty bucket is kept past [`IDLE_BUCKETS_KEPT`] after its class was last
/// seen: an hour.
pub(crate) const IDLE_BUCKET_KEEP_MS: i64 = 3_600_000;

/// At most this many empty buckets are kept, however recently their classes were seen.
pub(crate) const IDLE_BUCKETS_MAX: usize = 10_000;

/// The routing profile shared by the agents of a pool.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct PoolKey {
    pub team: TeamId,
    pub levels: SkillLevels,
    pub languages: LanguageSet,
    pub capacity: Capacity,
}

impl PoolKey {
    pub(crate) fn of(a: &Agent) -> PoolKey {
        PoolKey { team: a.team, levels: a.levels, languages: a.languages, capacity: a.capacity }
    }
}

/// Available agents with room on one channel, in each strategy's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FreeSet {
    /// `(idle_since, agent)`: longest idle and best proficiency.
    pub idle: OrdSet<(Timestamp, AgentId)>,
    /// `(load, idle_since, agent)`: least occupied. The load is [`Occupancy::held`], the
    /// numerator of the exact load fraction: every member of a pool has the same capacity,
    /// so the same denominator, and numerators order exactly as the fractions do.
    pub occupancy: OrdSet<(u64, Timestamp, AgentId)>,
    /// `(last assignment sequence, agent)`: round robin.
    pub rotation: OrdSet<(u64, AgentId)>,
}

/// Agents sharing a routing profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pool {
    pub key: PoolKey,
    /// How its members' loads are counted, over one denominator (least occupied).
    pub load: LoadScale,
    /// Members: the agents of this profile who are logged in (any presence but offline).
    /// An agent joins its pool when it logs in and leaves when it logs out, so the pools
    /// follow the profiles in use, not every agent ever registered.
    pub members: u32,
    pub free: [FreeSet; CHANNELS_N],
    /// The buckets with waiting tickets this pool's step teams admit, in no order: what
    /// [`State::pick_tickets`] walks. A bucket is added when its first ticket arrives and
    /// removed when its last leaves.
    pub active: Vec<BucketId>,
    /// The same for buckets this pool helps only while their queue's overflow is open.
    pub overflow_active: Vec<BucketId>,
    /// The slot holds a pool (false: free, its last member left its profile).
    pub live: bool,
}

impl Pool {
    fn free() -> Pool {
        Pool {
            key: PoolKey {
                team: TeamId(0),
                levels: SkillLevels::default(),
                languages: LanguageSet::default(),
                capacity: Capacity::default(),
            },
            load: LoadScale { of: 1, per_ticket: [0; CHANNELS_N], units: false },
            members: 0,
            free: Default::default(),
            active: Vec::new(),
            overflow_active: Vec::new(),
            live: false,
        }
    }

    /// Whether some member is available with room on `channel` (whichever orders the
    /// strategies in use keep).
    pub(crate) fn has_free(&self, channel: Channel) -> bool {
        let f = &self.free[channel.index()];
        f.idle.len() + f.occupancy.len() + f.rotation.len() > 0
    }
}

/// Which orderings the configured strategies need maintained.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Orders {
    pub idle: bool,
    pub occupancy: bool,
    pub rotation: bool,
}

impl Orders {
    pub(crate) fn of(cfg: &Config) -> Orders {
        let mut o = Orders::default();
        for q in cfg.queues() {
            match q.strategy {
                Strategy::LongestIdle | Strategy::BestProficiency => o.idle = true,
                Strategy::LeastOccupied => o.occupancy = true,
                Strategy::RoundRobin => o.rotation = true,
            }
        }
        o
    }
}

/// Buckets, pools and the relation between them.
///
/// Architecture Invariant: a pool's active lists hold exactly the buckets with waiting
/// tickets that admit it, and a bucket's pool lists exactly the pools with members that it
/// admits; a pool with no member is dropped. So a decision walks non-empty buckets and
/// pools with members only.
#[derive(Clone, Debug, Default)]
pub(crate) struct RoutingIndex {
    /// Buckets by id; a free slot has `live == false` and is listed in `free_buckets`.
    pub buckets: Vec<Bucket>,
    pub free_buckets: Vec<BucketId>,
    /// Empty live buckets, longest empty first (each once, flagged `idle_queued`).
    pub idle: VecDeque<BucketId>,
    /// Live buckets holding waiting tickets.
    pub active_n: usize,
    pub bucket_ids: FxMap<(QueueId, u8, ReqKey), BucketId>,
    /// The bucket [`RoutingIndex::bucket`] last returned: arrivals mostly repeat a few
    /// requirement classes, and comparing one key is cheaper than hashing it.
    pub last_bucket: Option<((QueueId, u8, ReqKey), BucketId)>,
    /// Requirement classes with waiting tickets, with how many buckets hold them: what
    /// `limits.requirement_classes_max` bounds.
    pub classes: FxMap<ReqKey, u32>,
    /// Pools by id; a free slot has `live == false` and is listed in `free_pools`.
    pub pools: Vec<Pool>,
    pub free_pools: Vec<PoolId>,
    pub pool_ids: FxMap<PoolKey, PoolId>,
    /// Per agent (by id), its pool while logged in (`PoolId::MAX` while offline).
    pub pool_of: Vec<PoolId>,
    pub orders: Orders,
    /// Waiting tickets reserved by sticky routing, per agent.
    pub pinned: FxMap<AgentId, BTreeSet<WaitKey>>,
    /// Per queue (by id), the keys of its tickets in buckets (all its waiting tickets but
    /// the reserved ones), for queue positions in O(log n).
    pub ranks: Vec<RankSet>,
    /// Per queue (by id), its buckets holding waiting tickets, each at its `queue_slot`:
    /// the buckets whose helpers an opening overflow routes from, found without walking
    /// every bucket.
    pub queue_active: Vec<Vec<BucketId>>,
    /// Per agent (by id), the channels whose free set in its pool holds it, a bit per
    /// channel index: what `agent_in` last found, so that `agent_out` need not work it
    /// out again. Derived, so not compared.
    pub free_in: Vec<u8>,
}

/// Two indexes are equal when they hold the same waiting tickets under the same bucket
/// coordinates and the same agents under the same profiles, however they are numbered.
impl PartialEq for RoutingIndex {
    fn eq(&self, other: &RoutingIndex) -> bool {
        fn waiting(ix: &RoutingIndex) -> BTreeMap<(QueueId, u8, ReqKey), &BTreeSet<WaitKey>> {
            ix.buckets
                .iter()
                .filter(|b| !b.waiting.is_empty())
                .map(|b| ((b.queue, b.step, b.req), &b.waiting))
                .collect()
        }
        fn pools(ix: &RoutingIndex) -> BTreeMap<&PoolKey, (u32, &[FreeSet; CHANNELS_N])> {
            ix.pools.iter().filter(|p| p.live).map(|p| (&p.key, (p.members, &p.free))).collect()
        }
        fn ranks(ix: &RoutingIndex) -> Vec<&RankSet> {
            let held = ix.ranks.iter().rposition(|r| r.len() > 0).map_or(0, |i| i + 1);
            ix.ranks[..held].iter().collect()
        }
        fn pinned(ix: &RoutingIndex) -> BTreeMap<AgentId, &BTreeSet<WaitKey>> {
            ix.pinned.iter().filter(|(_, s)| !s.is_empty()).map(|(&a, s)| (a, s)).collect()
        }
        self.orders == other.orders
            && waiting(self) == waiting(other)
            && pools(self) == pools(other)
            && pinned(self) == pinned(other)
            && ranks(self) == ranks(other)
    }
}

impl Eq for RoutingIndex {}

/// How a pool relates to a bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fit {
    No,
    Base(u32),
    Overflow(u32),
}

/// Whether agents of profile `pool` may serve tickets of `req` at `step` of `queue`: the
/// profile part of the one eligibility rule ([`crate::eligibility::qualify`]), with the
/// proficiency the best-proficiency strategy ranks by.
pub(crate) fn fit(cfg: &Config, pool: &PoolKey, queue: QueueId, step: u8, req: &ReqKey, eff: &SkillNeeds) -> Fit {
    let profile =
        Profile { team: pool.team, levels: &pool.levels, languages: pool.languages, capacity: &pool.capacity };
    let place = Place { queue, step, req, eff, pinned_to: None, avoid: &[] };
    match qualify(cfg, profile, &place, Rules::ROUTE) {
        Ok(Admission::Base) => Fit::Base(req.needs.proficiency_sum(&pool.levels)),
        Ok(Admission::Overflow) => Fit::Overflow(req.needs.proficiency_sum(&pool.levels)),
        Err(_) => Fit::No,
    }
}

/// The needs in force at `step` of `queue`.
pub(crate) fn effective_needs(cfg: &Config, queue: QueueId, step: u8, needs: &SkillNeeds) -> SkillNeeds {
    match cfg.queue(queue).steps[usize::from(step)].proficiency_min {
        Some(min) => needs.with_min(min),
        None => *needs,
    }
}

impl RoutingIndex {
    pub(crate) fn new(cfg: &Config) -> RoutingIndex {
        RoutingIndex {
            orders: Orders::of(cfg),
            ranks: vec![RankSet::default(); cfg.queues().len()],
            queue_active: vec![Vec::new(); cfg.queues().len()],
            ..RoutingIndex::default()
        }
    }

    /// The bucket for these coordinates, created (with its pool relations) if new.
    /// `now`: the time its class is seen (see [`IDLE_BUCKETS_KEPT`]).
    pub(crate) fn bucket(&mut self, cfg: &Config, queue: QueueId, step: u8, req: ReqKey, now: Timestamp) -> BucketId {
        if let Some(b) = self.last_bucket_if(queue, step, &req) {
            self.buckets[b as usize].seen = now;
            return b;
        }
        if let Some(&b) = self.bucket_ids.get(&(queue, step, req)) {
            self.last_bucket = Some(((queue, step, req), b));
            self.buckets[b as usize].seen = now;
            return b;
        }
        let eff = effective_needs(cfg, queue, step, &req.needs);
        let (pools, overflow_pools) = self.fitting_pools(cfg, queue, step, &req, &eff);
        let bucket = Bucket {
            queue,
            step,
            req,
            eff,
            waiting: BTreeSet::new(),
            pools,
            overflow_pools,
            live: true,
            idle_queued: false,
            seen: now,
            queued_at: now,
            queue_slot: 0,
        };
        let id = match self.free_buckets.pop() {
            Some(id) => {
                self.buckets[id as usize] = bucket;
                id
            }
            None => {
                self.buckets.push(bucket);
                (self.buckets.len() - 1) as BucketId
            }
        };
        self.bucket_ids.insert((queue, step, req), id);
        // Empty until its first ticket: idle from the start (a bucket made only to remember
        // its pools for arrivals taken at once may never hold one).
        self.went_idle(id, now);
        self.last_bucket = Some(((queue, step, req), id));
        id
    }

    /// The bucket for these coordinates, if it exists.
    #[inline]
    pub(crate) fn find_bucket(&self, queue: QueueId, step: u8, req: &ReqKey) -> Option<BucketId> {
        self.last_bucket_if(queue, step, req).or_else(|| self.bucket_ids.get(&(queue, step, *req)).copied())
    }

    /// The last bucket returned, if it has these coordinates.
    #[inline]
    fn last_bucket_if(&self, queue: QueueId, step: u8, req: &ReqKey) -> Option<BucketId> {
        match &self.last_bucket {
            Some(((q, s, r), b)) if (*q, *s) == (queue, step) && r == req => Some(*b),
            _ => None,
        }
    }

    /// Pools that fit a (possibly not yet existing) bucket: admitted ones and overflow ones.
    pub(crate) fn fitting_pools(
        &self,
        cfg: &Config,
        queue: QueueId,
        step: u8,
        req: &ReqKey,
        eff: &SkillNeeds,
    ) -> (PoolFits, PoolFits) {
        let mut base = Vec::new();
        let mut over = Vec::new();
        for (i, p) in self.pools.iter().enumerate().filter(|(_, p)| p.live) {
            match fit(cfg, &p.key, queue, step, req, eff) {
                Fit::Base(prof) => base.push((i as PoolId, prof)),
                Fit::Overflow(prof) => over.push((i as PoolId, prof)),
                Fit::No => {}
            }
        }
        (base, over)
    }

    /// Adds waiting ticket `wk` to bucket `b`; a bucket that was empty joins the active
    /// lists of its pools. Fails loudly if the ticket is there already.
    pub(crate) fn insert_waiting(&mut self, b: BucketId, wk: WaitKey) {
        let bucket = &mut self.buckets[b as usize];
        assert!(bucket.live, "bucket {b} is free");
        let inserted = bucket.waiting.insert(wk);
        assert!(inserted, "ticket {} queued twice", wk.ticket);
        if bucket.waiting.len() > 1 {
            return;
        }
        self.active_n += 1;
        *self.classes.entry(bucket.req).or_insert(0) += 1;
        let list = &mut self.queue_active[bucket.queue.index()];
        bucket.queue_slot = list.len() as u32;
        list.push(b);
        for &(p, _) in &bucket.pools {
            self.pools[p as usize].active.push(b);
        }
        for &(p, _) in &bucket.overflow_pools {
            self.pools[p as usize].overflow_active.push(b);
        }
    }

    /// Takes waiting ticket `wk` out of bucket `b`; a bucket left empty leaves the active
    /// lists of its pools and becomes idle. Fails loudly if the ticket is not there: the
    /// key was worked out again from the ticket, and a key that changed unseen would
    /// otherwise leave a stale entry behind.
    /// `now`: the time of the removal.
    pub(crate) fn remove_waiting(&mut self, b: BucketId, wk: &WaitKey, now: Timestamp) {
        let bucket = &mut self.buckets[b as usize];
        let removed = bucket.waiting.remove(wk);
        assert!(removed, "ticket {} missing from its bucket", wk.ticket);
        if !bucket.waiting.is_empty() {
            return;
        }
        self.active_n -= 1;
        match self.classes.get_mut(&bucket.req) {
            Some(n) if *n > 1 => *n -= 1,
            _ => {
                self.classes.remove(&bucket.req);
            }
        }
        let (queue, slot) = (bucket.queue, bucket.queue_slot as usize);
        let list = &mut self.queue_active[queue.index()];
        assert_eq!(list.get(slot), Some(&b), "bucket {b} is not at its place in its queue's active list");
        list.swap_remove(slot);
        if let Some(&moved) = list.get(slot) {
            self.buckets[moved as usize].queue_slot = slot as u32;
        }
        let bucket = &self.buckets[b as usize];
        let unlist = |list: &mut Vec<BucketId>| {
            let i = list.iter().position(|&x| x == b).expect("a non-empty bucket is in its pools' active lists");
            list.swap_remove(i);
        };
        for &(p, _) in &bucket.pools {
            unlist(&mut self.pools[p as usize].active);
        }
        for &(p, _) in &bucket.overflow_pools {
            unlist(&mut self.pools[p as usize].overflow_active);
        }
        self.went_idle(b, now);
    }

    /// Queues empty bucket `b` as idle at `now`, and drops the idle buckets past what is
    /// kept (see [`IDLE_BUCKETS_KEPT`]), from the front of the queue: one whose class was
    /// not seen for [`IDLE_BUCKET_KEEP_MS`] (or any, while more than [`IDLE_BUCKETS_MAX`]
    /// are queued) is dropped; one seen more recently but after it was queued goes to the
    /// back (a second chance); the first seen recently and not since it was queued ends
    /// the pass (those behind it were mostly queued later: a bucket may stay a little
    /// longer than the hour, never past the maximum).
    fn went_idle(&mut self, b: BucketId, now: Timestamp) {
        let bucket = &mut self.buckets[b as usize];
        bucket.seen = now;
        if !bucket.idle_queued {
            bucket.idle_queued = true;
            bucket.queued_at = now;
            self.idle.push_back(b);
        }
        let kept = IDLE_BUCKETS_KEPT.max(self.active_n);
        while self.idle.len() > kept {
            let old = *self.idle.front().expect("more idle than kept");
            let bucket = &mut self.buckets[old as usize];
            if !bucket.waiting.is_empty() {
                // In use again: no longer idle.
                self.idle.pop_front();
                bucket.idle_queued = false;
                continue;
            }
            if now.since(bucket.seen) < IDLE_BUCKET_KEEP_MS && self.idle.len() <= IDLE_BUCKETS_MAX {
                if bucket.seen == bucket.queued_at {
                    break;
                }
                // Seen since it was queued: to the back, as if queued then.
                self.idle.pop_front();
                bucket.queued_at = bucket.seen;
                self.idle.push_back(old);
                continue;
            }
            self.idle.pop_front();
            bucket.idle_queued = false;
            self.drop_bucket(old);
        }
    }

    /// Frees an empty bucket's slot (it is in no active list: it is empty).
    fn drop_bucket(&mut self, b: BucketId) {
        let bucket = std::mem::replace(&mut self.buckets[b as usize], Bucket::free());
        debug_assert!(bucket.live && bucket.waiting.is_empty());
        self.bucket_ids.remove(&(bucket.queue, bucket.step, bucket.req));
        if self.last_bucket.is_some_and(|(_, x)| x == b) {
            self.last_bucket = None;
        }
        self.free_buckets.push(b);
    }

    /// Puts agent `a`, logged in, in the pool of its profile (created, with its bucket
    /// relations, if new), counting it as a member.
    pub(crate) fn join(&mut self, cfg: &Config, a: &Agent) {
        debug_assert!(a.presence != Presence::Offline, "an agent offline is in no pool");
        let p = self.pool(cfg, PoolKey::of(a));
        self.pools[p as usize].members += 1;
        let i = a.id.index();
        if self.pool_of.len() <= i {
            self.pool_of.resize(i + 1, PoolId::MAX);
        }
        self.pool_of[i] = p;
    }

    /// Takes agent `a` (out of the free sets already) from its pool's members.
    pub(crate) fn leave(&mut self, a: AgentId) {
        let p = std::mem::replace(&mut self.pool_of[a.index()], PoolId::MAX);
        self.release(p);
    }

    /// Counts one member less in pool `p`, dropping the pool if it was the last.
    pub(crate) fn release(&mut self, p: PoolId) {
        let pool = &mut self.pools[p as usize];
        pool.members -= 1;
        if pool.members == 0 {
            self.drop_pool(p);
        }
    }

    /// The non-empty buckets that admit an agent of profile `key`, base and overflow: its
    /// pool's active lists, worked out for a profile with no pool (no agent of it logged in).
    fn active_fits(&self, cfg: &Config, key: &PoolKey) -> (Vec<BucketId>, Vec<BucketId>) {
        let mut base = Vec::new();
        let mut over = Vec::new();
        for (i, b) in self.buckets.iter().enumerate().filter(|(_, b)| b.live && !b.waiting.is_empty()) {
            match fit(cfg, key, b.queue, b.step, &b.req, &b.eff) {
                Fit::Base(_) => base.push(i as BucketId),
                Fit::Overflow(_) => over.push(i as BucketId),
                Fit::No => {}
            }
        }
        (base, over)
    }

    /// Frees a memberless pool's slot and takes it out of every bucket's pool lists.
    fn drop_pool(&mut self, p: PoolId) {
        let pool = std::mem::replace(&mut self.pools[p as usize], Pool::free());
        debug_assert!(pool.free.iter().all(|f| f.idle.len() + f.occupancy.len() + f.rotation.len() == 0));
        for b in self.buckets.iter_mut().filter(|b| b.live) {
            b.pools.retain(|&(x, _)| x != p);
            b.overflow_pools.retain(|&(x, _)| x != p);
        }
        self.pool_ids.remove(&pool.key);
        self.free_pools.push(p);
    }

    /// The pool for this profile, created (with its bucket relations) if new.
    fn pool(&mut self, cfg: &Config, key: PoolKey) -> PoolId {
        if let Some(&p) = self.pool_ids.get(&key) {
            return p;
        }
        let id = self.free_pools.last().copied().unwrap_or(self.pools.len() as PoolId);
        let mut active = Vec::new();
        let mut overflow_active = Vec::new();
        for (i, b) in self.buckets.iter_mut().enumerate().filter(|(_, b)| b.live) {
            match fit(cfg, &key, b.queue, b.step, &b.req, &b.eff) {
                Fit::Base(prof) => {
                    b.pools.push((id, prof));
                    if !b.waiting.is_empty() {
                        active.push(i as BucketId);
                    }
                }
                Fit::Overflow(prof) => {
                    b.overflow_pools.push((id, prof));
                    if !b.waiting.is_empty() {
                        overflow_active.push(i as BucketId);
                    }
                }
                Fit::No => {}
            }
        }
        let pool = Pool {
            load: LoadScale::of(&key.capacity),
            key: key.clone(),
            members: 0,
            free: Default::default(),
            active,
            overflow_active,
            live: true,
        };
        match self.free_pools.pop() {
            Some(id) => self.pools[id as usize] = pool,
            None => self.pools.push(pool),
        }
        self.pool_ids.insert(key, id);
        id
    }

    /// Removes `a` from its pool's free sets: those [`RoutingIndex::agent_in`] last put it
    /// in, under the keys its fields give (unchanged since). Call before changing any field
    /// that keys the sets or decides them (presence, load, idle_since, sequence, pool).
    pub(crate) fn agent_out(&mut self, a: &Agent) {
        let Some(m) = self.free_in.get_mut(a.id.index()) else { return };
        let mask = std::mem::take(m);
        if mask == 0 {
            return;
        }
        let orders = self.orders;
        let pool = &mut self.pools[self.pool_of[a.id.index()] as usize];
        let occupancy = if orders.occupancy { pool.load.held(&a.load) } else { 0 };
        for c in Channel::ALL {
            if mask & (1 << c.index()) == 0 {
                continue;
            }
            let set = &mut pool.free[c.index()];
            if orders.idle {
                set.idle.remove(&(a.idle_since, a.id));
            }
            if orders.occupancy {
                set.occupancy.remove(&(occupancy, a.idle_since, a.id));
            }
            if orders.rotation {
                set.rotation.remove(&(a.last_assigned_seq, a.id));
            }
        }
    }

    /// Adds `a` to its pool's free sets per its current fields: on each channel it could
    /// take one more ticket on now, if it is available.
    pub(crate) fn agent_in(&mut self, a: &Agent, cfg: &Config) {
        let i = a.id.index();
        if self.free_in.len() <= i {
            self.free_in.resize(i + 1, 0);
        }
        if a.presence != Presence::Available {
            self.free_in[i] = 0;
            return;
        }
        let orders = self.orders;
        let pool = &mut self.pools[self.pool_of[i] as usize];
        let occupancy = if orders.occupancy { pool.load.held(&a.load) } else { 0 };
        let mut mask = 0u8;
        for c in Channel::ALL {
            if a.capacity.per_channel.get(c) == 0
                || capacity::check(&a.capacity, &a.load, c, &cfg.capacity, cfg.limits.agent_tickets_max).is_err()
            {
                continue;
            }
            mask |= 1 << c.index();
            let set = &mut pool.free[c.index()];
            if orders.idle {
                set.idle.insert((a.idle_since, a.id));
            }
            if orders.occupancy {
                set.occupancy.insert((occupancy, a.idle_since, a.id));
            }
            if orders.rotation {
                set.rotation.insert((a.last_assigned_seq, a.id));
            }
        }
        self.free_in[i] = mask;
    }
}

/// An agent's load relative to its capacity, exactly: the fraction `held / of`.
///
/// Under the per-channel model it is the sum over the channels the agent is routed of
/// held ÷ capacity, over the least common multiple of those capacities; under the unit
/// model, units used ÷ unit budget. Capacities are at most 255 per channel on five
/// channels, so `of` stays below 255^5 and `held` below 2^51: both fit in `u64`, and
/// products of the two in `u128`. Nothing is rounded, so two agents whose loads are equal
/// (2/3 of the chats and 1/3 of the e-mails is 1, as is 1 of 1) tie, and the strategy's
/// next key decides.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Occupancy {
    /// The numerator.
    pub held: u64,
    /// The denominator, above 0.
    pub of: u64,
}

impl Occupancy {
    /// The load of an agent holding `load` with capacity `cap`.
    pub fn of(load: &Load, cap: &Capacity) -> Occupancy {
        let scale = LoadScale::of(cap);
        Occupancy { held: scale.held(load), of: scale.of }
    }
}

/// How loads are counted for one capacity: [`Occupancy`]'s denominator, and what one
/// ticket held on each channel (or one unit, under the unit model) adds to the numerator.
/// Worked out once per pool, so that ranking its members costs no division.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LoadScale {
    pub of: u64,
    per_ticket: [u64; CHANNELS_N],
    units: bool,
}

impl LoadScale {
    pub(crate) fn of(cap: &Capacity) -> LoadScale {
        if let Some(units) = cap.units.filter(|&u| u > 0) {
            return LoadScale { of: u64::from(units), per_ticket: [0; CHANNELS_N], units: true };
        }
        let of = cap.per_channel.0.iter().filter(|&&c| c > 0).fold(1, |of, &c| lcm(of, u64::from(c)));
        let per_ticket = cap.per_channel.0.map(|c| if c > 0 { of / u64::from(c) } else { 0 });
        LoadScale { of, per_ticket, units: false }
    }

    /// The numerator of the load of an agent holding `load`.
    #[inline]
    pub(crate) fn held(&self, load: &Load) -> u64 {
        if self.units {
            return u64::from(load.units);
        }
        (0..CHANNELS_N).map(|c| u64::from(load.per_channel.0[c]) * self.per_ticket[c]).sum()
    }
}

impl Ord for Occupancy {
    #[inline]
    fn cmp(&self, other: &Occupancy) -> std::cmp::Ordering {
        // One denominator (agents of one capacity): the numerators order as the fractions.
        if self.of == other.of {
            return self.held.cmp(&other.held);
        }
        (u128::from(self.held) * u128::from(other.of)).cmp(&(u128::from(other.held) * u128::from(self.of)))
    }
}

impl PartialOrd for Occupancy {
    fn partial_cmp(&self, other: &Occupancy) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Equal loads are equal fractions, however they are written (1/2 = 3/6).
impl PartialEq for Occupancy {
    fn eq(&self, other: &Occupancy) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Occupancy {}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn lcm(a: u64, b: u64) -> u64 {
    a / gcd(a, b) * b
}

/// An agent's place in a strategy's order; smaller is better.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct AgentRank {
    /// Primary key: idle-since ms (longest idle), the load's numerator (least occupied),
    /// sequence (round robin), or negated proficiency sum (best proficiency).
    pub primary: i64,
    /// What the primary key is counted out of: the load's denominator under least
    /// occupied (the primary key is the fraction `primary / primary_of`, compared exactly),
    /// 1 for every other strategy.
    pub primary_of: i64,
    /// Secondary key: idle-since ms where the strategy has one, else 0.
    pub secondary: i64,
    /// The agent id, the last tie-break.
    pub agent: AgentId,
}

impl AgentRank {
    /// The rank of agent `a` under `strategy`, given its proficiency sum on the ticket.
    pub fn of(strategy: Strategy, a: &Agent, prof: u32) -> AgentRank {
        let idle = a.idle_since.ms();
        let rank = |primary: i64, secondary: i64| AgentRank { primary, primary_of: 1, secondary, agent: a.id };
        match strategy {
            Strategy::LongestIdle => rank(idle, 0),
            Strategy::LeastOccupied => {
                let load = Occupancy::of(&a.load, &a.capacity);
                // Both below 2^51 (see `Occupancy`), so they fit in i64.
                AgentRank { primary: load.held as i64, primary_of: load.of as i64, secondary: idle, agent: a.id }
            }
            Strategy::RoundRobin => rank(a.last_assigned_seq as i64, 0),
            Strategy::BestProficiency => rank(-i64::from(prof), idle),
        }
    }

    /// Compares the primary keys alone, as fractions.
    #[inline]
    pub fn primary_cmp(&self, other: &AgentRank) -> std::cmp::Ordering {
        // Every strategy but least occupied, and agents of one capacity under it, share the
        // denominator: the numerators then order exactly as the fractions do.
        if self.primary_of == other.primary_of {
            return self.primary.cmp(&other.primary);
        }
        (i128::from(self.primary) * i128::from(other.primary_of))
            .cmp(&(i128::from(other.primary) * i128::from(self.primary_of)))
    }
}

impl Ord for AgentRank {
    #[inline]
    fn cmp(&self, other: &AgentRank) -> std::cmp::Ordering {
        self.primary_cmp(other)
            .then_with(|| self.secondary.cmp(&other.secondary))
            .then_with(|| self.agent.cmp(&other.agent))
    }
}

impl PartialOrd for AgentRank {
    fn partial_cmp(&self, other: &AgentRank) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for AgentRank {
    fn eq(&self, other: &AgentRank) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for AgentRank {}

/// The agent routing chose for a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AgentPick {
    pub agent: AgentId,
    pub overflow: bool,
}

/// A ticket routing chose for an agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TicketPick {
    pub ticket: TicketId,
    pub overflow: bool,
    /// Reserved for this agent by sticky routing.
    pub sticky: bool,
}

impl State {
    /// The best available agent for a ticket of `queue` and `channel` among `pools` (and
    /// `overflow_pools`, when the queue's overflow is open), skipping agents for which
    /// `skip` says so. Read-only.
    pub(crate) fn pick_agent(
        &self,
        queue: QueueId,
        channel: Channel,
        pools: &[(PoolId, u32)],
        overflow_pools: &[(PoolId, u32)],
        skip: impl Fn(AgentId) -> bool,
    ) -> Option<AgentPick> {
        let overflow_open = self.queues[queue.index()].overflow_open;
        let groups: [(&[(PoolId, u32)], bool); 2] =
            [(pools, false), (if overflow_open { overflow_pools } else { &[] }, true)];
        let c = channel.index();
        // Each pool's free set for the strategy is keyed by the fields of the strategy's
        // rank (`AgentRank::of`), so the first agent not skipped in it carries its rank, in
        // the same order: the heads are compared by that key, one loop per strategy.
        match self.config().queue(queue).strategy {
            Strategy::LongestIdle => self.best_head(groups, |pool, _| {
                pool.free[c].idle.iter().find(|&&(_, a)| !skip(a)).map(|&(idle, a)| ((idle, a), a))
            }),
            Strategy::BestProficiency => self.best_head(groups, |pool, prof| {
                pool.free[c].idle.iter().find(|&&(_, a)| !skip(a)).map(|&(idle, a)| ((-i64::from(prof), idle, a), a))
            }),
            Strategy::LeastOccupied => self.best_head(groups, |pool, _| {
                let of = pool.load.of;
                pool.free[c]
                    .occupancy
                    .iter()
                    .find(|&&(_, _, a)| !skip(a))
                    .map(|&(held, idle, a)| ((Occupancy { held, of }, idle, a), a))
            }),
            Strategy::RoundRobin => self.best_head(groups, |pool, _| {
                pool.free[c].rotation.iter().find(|&&(_, a)| !skip(a)).map(|&(seq, a)| ((seq, a), a))
            }),
        }
    }

    /// The agent with the smallest key among the pools' heads (`head` gives a pool's, from
    /// the pool and its proficiency sum on the ticket's needs).
    #[inline]
    fn best_head<K: Ord>(
        &self,
        groups: [(&[(PoolId, u32)], bool); 2],
        head: impl Fn(&Pool, u32) -> Option<(K, AgentId)>,
    ) -> Option<AgentPick> {
        let mut best: Option<(K, AgentPick)> = None;
        for (list, overflow) in groups {
            for &(p, prof) in list {
                let Some((key, agent)) = head(&self.index.pools[p as usize], prof) else { continue };
                if best.as_ref().is_none_or(|(k, _)| key < *k) {
                    best = Some((key, AgentPick { agent, overflow }));
                }
            }
        }
        best.map(|(_, pick)| pick)
    }

    /// Up to `max` waiting tickets for agent `a` if it had `load` and were available, best
    /// first, never one in `skip`, never one that must avoid this agent. Read-only.
    pub(crate) fn pick_tickets(
        &self,
        a: &Agent,
        mut load: Load,
        skip: &[TicketId],
        max: usize,
        now: Timestamp,
    ) -> Vec<TicketPick> {
        let cfg = self.config();
        // An agent logging in has no pool yet (this reads the state before its login): it
        // would join its profile's pool if some agent of it is logged in, else one made for it.
        let own: (Vec<BucketId>, Vec<BucketId>);
        let (active, overflow_active): (&[BucketId], &[BucketId]) =
            match self.index.pool_of.get(a.id.index()).filter(|&&p| p != PoolId::MAX) {
                Some(&p) => (&self.index.pools[p as usize].active, &self.index.pools[p as usize].overflow_active),
                None => match self.index.pool_ids.get(&PoolKey::of(a)) {
                    Some(&p) => (&self.index.pools[p as usize].active, &self.index.pools[p as usize].overflow_active),
                    None => {
                        own = self.index.active_fits(cfg, &PoolKey::of(a));
                        (&own.0, &own.1)
                    }
                },
            };
        let mut picks: Vec<TicketPick> = Vec::new();
        let pinned_here = || if self.index.pinned.is_empty() { None } else { self.index.pinned.get(&a.id) };
        // Most agents free up with nothing waiting for them: say so before any capacity check.
        if active.is_empty() && overflow_active.is_empty() && pinned_here().is_none_or(|s| s.is_empty()) {
            return picks;
        }
        while picks.len() < max {
            // Capacity per channel once per pick, not once per bucket.
            let fits = Channel::ALL
                .map(|c| capacity::check(&a.capacity, &load, c, &cfg.capacity, cfg.limits.agent_tickets_max).is_ok());
            if !fits.contains(&true) {
                break;
            }
            let taken = |wk: &&WaitKey| {
                skip.contains(&wk.ticket)
                    || picks.iter().any(|p| p.ticket == wk.ticket)
                    || (wk.avoids && self.tickets.get(wk.ticket).is_some_and(|t| t.avoid_agents.contains(&a.id)))
            };
            // Tickets reserved for this agent by sticky routing come first.
            let pinned = pinned_here().and_then(|set| {
                set.iter()
                    .filter(|wk| !taken(wk))
                    .find(|wk| self.tickets.get(wk.ticket).is_some_and(|t| fits[t.channel.index()]))
            });
            if let Some(wk) = pinned {
                let channel = self.tickets.get(wk.ticket).expect("pinned ticket exists").channel;
                capacity::add(&mut load, channel, &cfg.capacity);
                picks.push(TicketPick { ticket: wk.ticket, overflow: false, sticky: true });
                continue;
            }
            let mut best: Option<(Rank, BucketId, bool)> = None;
            // Only buckets with waiting tickets are listed: the walk is over those.
            let groups: [(&[BucketId], bool); 2] = [(active, false), (overflow_active, true)];
            for (list, overflow) in groups {
                for &b in list {
                    let bucket = &self.index.buckets[b as usize];
                    debug_assert!(!bucket.waiting.is_empty(), "empty bucket {b} listed as active");
                    if !fits[bucket.req.channel.index()]
                        || (overflow && !self.queues[bucket.queue.index()].overflow_open)
                    {
                        continue;
                    }
                    let Some(wk) = bucket.waiting.iter().find(|wk| !taken(wk)) else { continue };
                    let rank = Rank::of(wk, cfg.queue(bucket.queue).weights.rate(), now);
                    if best.is_none_or(|(r, _, _)| rank < r) {
                        best = Some((rank, b, overflow));
                    }
                }
            }
            let Some((rank, b, overflow)) = best else { break };
            capacity::add(&mut load, self.index.buckets[b as usize].req.channel, &cfg.capacity);
            picks.push(TicketPick { ticket: rank.ticket, overflow, sticky: false });
        }
        picks
    }
}

impl State {
    /// What the routing index holds: for tests and the soak benchmark, which check that it
    /// follows the classes and profiles in use.
    #[doc(hidden)]
    pub fn index_counts(&self) -> crate::state::IndexCounts {
        let ix = &self.index;
        crate::state::IndexCounts {
            buckets: ix.buckets.iter().filter(|b| b.live).count(),
            empty_buckets: ix.buckets.iter().filter(|b| b.live && b.waiting.is_empty()).count(),
            bucket_slots: ix.buckets.len(),
            pools: ix.pools.iter().filter(|p| p.live).count(),
            memberless_pools: ix.pools.iter().filter(|p| p.live && p.members == 0).count(),
            pool_slots: ix.pools.len(),
            classes: ix.classes.len(),
        }
    }

    /// Checks the routing index's relations against its buckets and pools: each pool's
    /// active lists are exactly the non-empty buckets that admit it, each bucket's pool
    /// lists exactly the pools that fit it, no pool is memberless, the class counts match
    /// the non-empty buckets, no more empty buckets are kept than the bound, and each
    /// pool's free sets hold exactly its available members with room on the channel. For
    /// tests.
    #[doc(hidden)]
    pub fn check_index(&self) -> Result<(), String> {
        let Some(cfg) = self.config.as_deref() else { return Ok(()) };
        let ix = &self.index;
        let mut classes: BTreeMap<ReqKey, u32> = BTreeMap::new();
        for (i, b) in ix.buckets.iter().enumerate().filter(|(_, b)| b.live) {
            let i = i as BucketId;
            if ix.bucket_ids.get(&(b.queue, b.step, b.req)) != Some(&i) {
                return Err(format!("bucket {i} is not found by its coordinates"));
            }
            if !b.waiting.is_empty() {
                *classes.entry(b.req).or_default() += 1;
            }
            let (base, over) = ix.fitting_pools(cfg, b.queue, b.step, &b.req, &b.eff);
            let sorted = |v: &PoolFits| {
                let mut v = v.clone();
                v.sort_unstable();
                v
            };
            if sorted(&b.pools) != base || sorted(&b.overflow_pools) != over {
                return Err(format!(
                    "bucket {i} lists pools {:?}/{:?}, fitting are {base:?}/{over:?}",
                    b.pools, b.overflow_pools
                ));
            }
        }
        for (p, pool) in ix.pools.iter().enumerate().filter(|(_, p)| p.live) {
            let p = p as PoolId;
            if pool.members == 0 {
                return Err(format!("pool {p} has no member"));
            }
            if ix.pool_ids.get(&pool.key) != Some(&p) {
                return Err(format!("pool {p} is not found by its profile"));
            }
            let expect = |overflow: bool| {
                let mut v: Vec<BucketId> = ix
                    .buckets
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.live && !b.waiting.is_empty())
                    .filter(|(_, b)| if overflow { &b.overflow_pools } else { &b.pools }.iter().any(|&(x, _)| x == p))
                    .map(|(i, _)| i as BucketId)
                    .collect();
                v.sort_unstable();
                v
            };
            for (list, overflow) in [(&pool.active, false), (&pool.overflow_active, true)] {
                let mut got = list.clone();
                got.sort_unstable();
                if got != expect(overflow) {
                    return Err(format!("pool {p} lists active buckets {got:?}, expected {:?}", expect(overflow)));
                }
            }
        }
        for (q, list) in ix.queue_active.iter().enumerate() {
            let mut got = list.clone();
            got.sort_unstable();
            let want: Vec<BucketId> = (ix.buckets.iter().enumerate())
                .filter(|(_, b)| b.live && !b.waiting.is_empty() && b.queue.index() == q)
                .map(|(i, _)| i as BucketId)
                .collect();
            if got != want {
                return Err(format!("queue {q} lists active buckets {got:?}, expected {want:?}"));
            }
            if let Some((i, &b)) =
                list.iter().enumerate().find(|&(i, &b)| ix.buckets[b as usize].queue_slot as usize != i)
            {
                return Err(format!(
                    "bucket {b} is at place {i} of its queue's list, marked {}",
                    ix.buckets[b as usize].queue_slot
                ));
            }
        }
        let held: BTreeMap<ReqKey, u32> = ix.classes.iter().map(|(&k, &n)| (k, n)).collect();
        if held != classes {
            return Err(format!("{} classes counted, {} held by non-empty buckets", held.len(), classes.len()));
        }
        let active = ix.buckets.iter().filter(|b| b.live && !b.waiting.is_empty()).count();
        let empty = ix.buckets.iter().filter(|b| b.live && b.waiting.is_empty()).count();
        if active != ix.active_n || empty > IDLE_BUCKETS_KEPT.max(active) {
            return Err(format!("{active} non-empty buckets (counted {}), {empty} empty ones kept", ix.active_n));
        }
        // Free sets: an agent is in its pool's free set for a channel exactly when it is
        // available and `capacity::check` admits one more ticket on that channel (in every
        // order the strategies in use keep).
        let mut expected: BTreeMap<(PoolId, Channel), BTreeSet<AgentId>> = BTreeMap::new();
        for a in self.agents.iter().filter(|a| a.presence != Presence::Offline) {
            let p = ix.pool_of.get(a.id.index()).copied().unwrap_or(PoolId::MAX);
            if !ix.pools.get(p as usize).is_some_and(|pool| pool.live) {
                return Err(format!("agent {} is logged in but in no pool", a.id));
            }
            for c in Channel::ALL {
                let admits =
                    capacity::check(&a.capacity, &a.load, c, &cfg.capacity, cfg.limits.agent_tickets_max).is_ok();
                if a.presence == Presence::Available && admits {
                    expected.entry((p, c)).or_default().insert(a.id);
                }
            }
        }
        for (p, pool) in ix.pools.iter().enumerate().filter(|(_, p)| p.live) {
            let p = p as PoolId;
            for c in Channel::ALL {
                let want = expected.remove(&(p, c)).unwrap_or_default();
                let f = &pool.free[c.index()];
                let orders: [(bool, BTreeSet<AgentId>); 3] = [
                    (ix.orders.idle, f.idle.iter().map(|&(_, a)| a).collect()),
                    (ix.orders.occupancy, f.occupancy.iter().map(|&(_, _, a)| a).collect()),
                    (ix.orders.rotation, f.rotation.iter().map(|&(_, a)| a).collect()),
                ];
                for (kept, got) in orders {
                    if kept && got != want {
                        return Err(format!("pool {p}'s free set on {c:?} holds {got:?}, expected {want:?}"));
                    }
                }
            }
        }
        Ok(())
    }
}
