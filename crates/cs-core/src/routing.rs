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
//! created, and kept on both sides. A decision therefore looks only at bucket heads and
//! pool heads: no scan over waiting tickets, no string hashing, no allocation unless
//! several tickets are picked at once.
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
use std::collections::{BTreeMap, BTreeSet};

/// Index of a bucket in [`RoutingIndex::buckets`].
pub(crate) type BucketId = u32;
/// Index of a pool in [`RoutingIndex::pools`].
pub(crate) type PoolId = u32;

/// A position in the routing index, kept on a ticket or agent to save a lookup.
///
/// Positions depend on the order the index was built in, not on the facts: a replay that
/// builds the index once at the end numbers buckets and pools differently from a state
/// that grew event by event. So two slots always compare equal; state equality is about
/// facts.
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

impl PartialEq for Slot {
    fn eq(&self, _: &Slot) -> bool {
        true
    }
}

impl Eq for Slot {}

/// A small, fast, deterministic hasher for the index's lookup tables (never iterated to
/// make a decision), in the style of rustc's FxHash.
#[derive(Clone, Copy, Default)]
pub(crate) struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bucket {
    pub queue: QueueId,
    pub step: u8,
    pub req: ReqKey,
    /// The needs with the step's proficiency override applied.
    pub eff: SkillNeeds,
    pub waiting: BTreeSet<WaitKey>,
    /// Pools admitted by the step's teams, with their proficiency sum on `req.needs`.
    pub pools: PoolFits,
    /// Pools admitted only while the queue's overflow is open.
    pub overflow_pools: PoolFits,
}

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
    pub members: u32,
    /// Members logged in (any presence but offline).
    pub online: u32,
    pub free: [FreeSet; CHANNELS_N],
    pub buckets: Vec<BucketId>,
    pub overflow_buckets: Vec<BucketId>,
}

impl Pool {
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
#[derive(Clone, Debug, Default)]
pub(crate) struct RoutingIndex {
    pub buckets: Vec<Bucket>,
    pub bucket_ids: FxMap<(QueueId, u8, ReqKey), BucketId>,
    /// The bucket [`RoutingIndex::bucket`] last returned: arrivals mostly repeat a few
    /// requirement classes, and comparing one key is cheaper than hashing it.
    pub last_bucket: Option<((QueueId, u8, ReqKey), BucketId)>,
    pub pools: Vec<Pool>,
    pub pool_ids: FxMap<PoolKey, PoolId>,
    pub orders: Orders,
    /// Waiting tickets reserved by sticky routing, per agent.
    pub pinned: FxMap<AgentId, BTreeSet<WaitKey>>,
    /// Per queue (by id), the keys of its tickets in buckets (all its waiting tickets but
    /// the reserved ones), for queue positions in O(log n).
    pub ranks: Vec<RankSet>,
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
        fn pools(ix: &RoutingIndex) -> BTreeMap<&PoolKey, (u32, u32, &[FreeSet; CHANNELS_N])> {
            ix.pools.iter().filter(|p| p.members > 0).map(|p| (&p.key, (p.members, p.online, &p.free))).collect()
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
            ..RoutingIndex::default()
        }
    }

    /// The bucket for these coordinates, created (with its pool relations) if new.
    pub(crate) fn bucket(&mut self, cfg: &Config, queue: QueueId, step: u8, req: ReqKey) -> BucketId {
        if let Some(b) = self.last_bucket_if(queue, step, &req) {
            return b;
        }
        if let Some(&b) = self.bucket_ids.get(&(queue, step, req)) {
            self.last_bucket = Some(((queue, step, req), b));
            return b;
        }
        let id = self.buckets.len() as BucketId;
        let eff = effective_needs(cfg, queue, step, &req.needs);
        let (pools, overflow_pools) = self.fitting_pools(cfg, queue, step, &req, &eff);
        for &(p, _) in &pools {
            self.pools[p as usize].buckets.push(id);
        }
        for &(p, _) in &overflow_pools {
            self.pools[p as usize].overflow_buckets.push(id);
        }
        self.buckets.push(Bucket { queue, step, req, eff, waiting: BTreeSet::new(), pools, overflow_pools });
        self.bucket_ids.insert((queue, step, req), id);
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
        for (i, p) in self.pools.iter().enumerate() {
            match fit(cfg, &p.key, queue, step, req, eff) {
                Fit::Base(prof) => base.push((i as PoolId, prof)),
                Fit::Overflow(prof) => over.push((i as PoolId, prof)),
                Fit::No => {}
            }
        }
        (base, over)
    }

    /// The pool for this profile, created (with its bucket relations) if new.
    pub(crate) fn pool(&mut self, cfg: &Config, key: PoolKey) -> PoolId {
        if let Some(&p) = self.pool_ids.get(&key) {
            return p;
        }
        let id = self.pools.len() as PoolId;
        let mut buckets = Vec::new();
        let mut overflow_buckets = Vec::new();
        for (i, b) in self.buckets.iter_mut().enumerate() {
            match fit(cfg, &key, b.queue, b.step, &b.req, &b.eff) {
                Fit::Base(prof) => {
                    b.pools.push((id, prof));
                    buckets.push(i as BucketId);
                }
                Fit::Overflow(prof) => {
                    b.overflow_pools.push((id, prof));
                    overflow_buckets.push(i as BucketId);
                }
                Fit::No => {}
            }
        }
        self.pools.push(Pool {
            load: LoadScale::of(&key.capacity),
            key: key.clone(),
            members: 0,
            online: 0,
            free: Default::default(),
            buckets,
            overflow_buckets,
        });
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
        let pool = &mut self.pools[a.pool.0 as usize];
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
        let pool = &mut self.pools[a.pool.0 as usize];
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
        let pool = &self.index.pools[a.pool.0 as usize];
        let mut picks: Vec<TicketPick> = Vec::new();
        let pinned_here = || if self.index.pinned.is_empty() { None } else { self.index.pinned.get(&a.id) };
        // Most agents free up with nothing waiting for them: say so before any capacity check.
        let waiting = |b: &BucketId| !self.index.buckets[*b as usize].waiting.is_empty();
        if !pool.buckets.iter().chain(&pool.overflow_buckets).any(waiting) && pinned_here().is_none_or(|s| s.is_empty())
        {
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
            let groups: [(&[BucketId], bool); 2] = [(&pool.buckets, false), (&pool.overflow_buckets, true)];
            for (list, overflow) in groups {
                for &b in list {
                    let bucket = &self.index.buckets[b as usize];
                    if bucket.waiting.is_empty()
                        || !fits[bucket.req.channel.index()]
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
