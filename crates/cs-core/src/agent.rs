//! Agents: skills, languages, team, support tier, capacity per channel, presence, load.

use crate::channel::{CHANNELS_N, Channel, PerChannel};
use crate::id::{AgentId, LanguageId, SkillId, TeamId};
use crate::skill::SkillLevels;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Support tier: who handles what in a three-tier organisation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SupportTier {
    /// First line: closes simple issues fast.
    #[default]
    L1,
    /// Experts.
    L2,
    /// Product and engineering.
    L3,
}

/// Whether an agent is at work and wants tickets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// Logged in and taking tickets up to capacity.
    Available,
    /// Logged in, keeps their tickets, takes no new ones (e.g. a meeting).
    Busy,
    /// Logged in, finishing after-contact work; takes no new tickets.
    WrapUp,
    /// On a break; keeps their tickets, takes no new ones.
    Away,
    /// Logged out; holds no tickets.
    Offline,
}

impl Presence {
    /// The lower-case name used in JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Presence::Available => "available",
            Presence::Busy => "busy",
            Presence::WrapUp => "wrap_up",
            Presence::Away => "away",
            Presence::Offline => "offline",
        }
    }
}

/// A set of languages, one bit per [`LanguageId`] (at most 64 languages).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LanguageSet(pub u64);

impl LanguageSet {
    /// Adds `l`.
    pub fn insert(&mut self, l: LanguageId) {
        self.0 |= 1 << l.0;
    }

    /// Whether `l` is spoken.
    #[inline]
    pub fn contains(&self, l: LanguageId) -> bool {
        self.0 & (1 << l.0) != 0
    }
}

/// How much work an agent can hold at once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Capacity {
    /// Concurrent tickets per channel (0 = never routed that channel).
    pub per_channel: PerChannel<u8>,
    /// Optional unit budget (e.g. 100): tickets also cost the config's per-channel units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<u16>,
}

impl Capacity {
    /// Capacity of `n` concurrent tickets on `channel` only.
    pub fn only(channel: Channel, n: u8) -> Capacity {
        let mut c = Capacity::default();
        c.per_channel.set(channel, n);
        c
    }
}

/// What an agent currently holds, per channel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Load {
    /// Tickets held (assigned or offered) per channel.
    pub per_channel: PerChannel<u8>,
    /// Units in use under the unit model.
    pub units: u16,
}

impl Load {
    /// Total tickets held.
    pub fn total(&self) -> u32 {
        self.per_channel.0.iter().map(|&n| u32::from(n)).sum()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.per_channel.0.iter().all(|&n| n == 0)
    }

    /// Load relative to capacity in thousandths: the sum over channels of held/capacity, or
    /// units used over the unit budget when the agent has one. Each channel's share is
    /// rounded down, which is fine for reporting; routing compares loads exactly
    /// ([`crate::Occupancy`]).
    pub fn occupancy_milli(&self, cap: &Capacity) -> u32 {
        if let Some(units) = cap.units.filter(|&u| u > 0) {
            return u32::from(self.units) * 1000 / u32::from(units);
        }
        (0..CHANNELS_N)
            .filter(|&c| cap.per_channel.0[c] > 0)
            .map(|c| u32::from(self.per_channel.0[c]) * 1000 / u32::from(cap.per_channel.0[c]))
            .sum()
    }
}

/// An agent as the state holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    /// Its id.
    pub id: AgentId,
    /// The login or HR number the outside world uses.
    pub key: Box<str>,
    /// Team.
    pub team: TeamId,
    /// Support tier.
    pub tier: SupportTier,
    /// Skills with proficiency, sorted by skill.
    pub skills: Vec<(SkillId, u8)>,
    /// The same skills as level sets, for fast requirement checks (derived from `skills`).
    #[serde(skip)]
    pub levels: SkillLevels,
    /// Languages spoken.
    pub languages: LanguageSet,
    /// Capacity.
    pub capacity: Capacity,
    /// Presence.
    pub presence: Presence,
    /// Current load.
    pub load: Load,
    /// Since when the agent has been idle in the longest-idle sense: the later of the last
    /// time work was released or taken and the last time the agent became available.
    pub idle_since: Timestamp,
    /// Global assignment sequence number of this agent's last assignment (0 = never), for
    /// round robin.
    pub last_assigned_seq: u64,
    /// Offers in a row not answered (declined offers do not count; expiries do).
    pub missed_offers: u16,
    /// Tickets held (assigned or offered), in the order taken.
    pub held: Vec<crate::id::TicketId>,
    /// Slots still taken by after-contact work: until when, on which channel, for which
    /// ticket; the earliest first.
    pub wrap_ups: Vec<(Timestamp, Channel, crate::id::TicketId)>,
}
