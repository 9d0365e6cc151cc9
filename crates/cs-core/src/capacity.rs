//! Whether an agent can take one more ticket on a channel, and load bookkeeping.
//!
//! Two models apply together: per-channel concurrent limits (3 chats, 5 e-mails, 1 call)
//! and, when the agent has a unit budget, per-channel unit costs (a chat 33 of 100, a call
//! 100). Exclusive channels (by default phone) go only to an agent holding nothing else,
//! and their holder gets nothing else. `limits.agent_tickets_max` caps the total.

use crate::agent::{Capacity, Load};
use crate::channel::{CHANNELS_N, Channel};
use crate::config::CapacityRules;

/// Why an agent cannot take a ticket on a channel, if they cannot. Serialized (in
/// explanations) by the names in parentheses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum CapacityBlock {
    /// The agent has no capacity configured on this channel (`channel`).
    #[serde(rename = "channel")]
    NoChannel,
    /// The per-channel limit is reached (`channel_full`).
    #[serde(rename = "channel_full")]
    ChannelFull,
    /// The unit budget would be exceeded (`units`).
    #[serde(rename = "units")]
    Units,
    /// Exclusivity: the channel is exclusive and the agent holds something, or the agent
    /// holds an exclusive-channel ticket (`exclusive_channel`).
    #[serde(rename = "exclusive_channel")]
    Exclusive,
    /// `limits.agent_tickets_max` (`agent_tickets_max`).
    #[serde(rename = "agent_tickets_max")]
    TicketsMax,
}

/// Checks one more ticket on `c` against capacity, units, exclusivity and the hard limit.
#[inline]
pub fn check(
    cap: &Capacity,
    load: &Load,
    c: Channel,
    rules: &CapacityRules,
    tickets_max: u32,
) -> Result<(), CapacityBlock> {
    let limit = cap.per_channel.get(c);
    if limit == 0 {
        return Err(CapacityBlock::NoChannel);
    }
    if load.total() >= tickets_max {
        return Err(CapacityBlock::TicketsMax);
    }
    if load.per_channel.get(c) >= limit {
        return Err(CapacityBlock::ChannelFull);
    }
    if let Some(units) = cap.units
        && load.units + rules.unit_cost.get(c) > units
    {
        return Err(CapacityBlock::Units);
    }
    if !load.is_empty() && (rules.exclusive.get(c) || holds_exclusive(load, rules)) {
        return Err(CapacityBlock::Exclusive);
    }
    Ok(())
}

/// Whether the static capacity admits the channel at all (per-channel limit above 0 and,
/// under the unit model, the cost fits the budget).
pub fn serves(cap: &Capacity, c: Channel, rules: &CapacityRules) -> bool {
    cap.per_channel.get(c) > 0 && cap.units.is_none_or(|u| rules.unit_cost.get(c) <= u)
}

fn holds_exclusive(load: &Load, rules: &CapacityRules) -> bool {
    (0..CHANNELS_N).any(|i| load.per_channel.0[i] > 0 && rules.exclusive.0[i])
}

/// Adds one ticket on `c` to `load`.
#[inline]
pub fn add(load: &mut Load, c: Channel, rules: &CapacityRules) {
    let n = load.per_channel.get(c);
    load.per_channel.set(c, n.saturating_add(1));
    load.units = load.units.saturating_add(rules.unit_cost.get(c));
}

/// Removes one ticket on `c` from `load`.
#[inline]
pub fn remove(load: &mut Load, c: Channel, rules: &CapacityRules) {
    let n = load.per_channel.get(c);
    debug_assert!(n > 0, "releasing a {c} ticket the agent does not hold");
    load.per_channel.set(c, n.saturating_sub(1));
    load.units = load.units.saturating_sub(rules.unit_cost.get(c));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::PerChannel;

    fn rules() -> CapacityRules {
        let mut exclusive = PerChannel::splat(false);
        exclusive.set(Channel::Phone, true);
        CapacityRules { unit_cost: PerChannel([33, 20, 100, 25, 25]), exclusive }
    }

    #[test]
    fn per_channel_limits() {
        let cap = Capacity::only(Channel::Chat, 2);
        let mut load = Load::default();
        let r = rules();
        assert_eq!(check(&cap, &load, Channel::Email, &r, 32), Err(CapacityBlock::NoChannel));
        add(&mut load, Channel::Chat, &r);
        assert_eq!(check(&cap, &load, Channel::Chat, &r, 32), Ok(()));
        assert_eq!(check(&cap, &load, Channel::Chat, &r, 1), Err(CapacityBlock::TicketsMax));
        add(&mut load, Channel::Chat, &r);
        assert_eq!(check(&cap, &load, Channel::Chat, &r, 32), Err(CapacityBlock::ChannelFull));
    }

    #[test]
    fn units_and_exclusive_calls() {
        let cap = Capacity { per_channel: PerChannel([3, 5, 1, 0, 0]), units: Some(100) };
        let r = rules();
        let mut load = Load::default();
        add(&mut load, Channel::Chat, &r);
        add(&mut load, Channel::Chat, &r);
        // 66 units used: a third chat fits (99), an e-mail (86) fits, a call does not.
        assert_eq!(check(&cap, &load, Channel::Chat, &r, 32), Ok(()));
        assert_eq!(check(&cap, &load, Channel::Phone, &r, 32), Err(CapacityBlock::Units));
        let mut r2 = r;
        r2.unit_cost.set(Channel::Phone, 10);
        assert_eq!(check(&cap, &load, Channel::Phone, &r2, 32), Err(CapacityBlock::Exclusive));
        r2.exclusive = PerChannel::splat(false);
        assert_eq!(check(&cap, &load, Channel::Phone, &r2, 32), Ok(()));
        // An agent on a call takes nothing else.
        let mut on_call = Load::default();
        add(&mut on_call, Channel::Phone, &r2);
        r2.exclusive.set(Channel::Phone, true);
        assert_eq!(check(&cap, &on_call, Channel::Email, &r2, 32), Err(CapacityBlock::Exclusive));
    }
}
