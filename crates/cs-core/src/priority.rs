//! Priority: a weighted score plus aging, ordered without ever re-scoring a waiting ticket.
//!
//! A ticket's priority at time `now` is
//!
//! ```text
//! P(now) = score + aging * (now - queued_since) + deadline_weight * (now - deadline)
//! ```
//!
//! in points, with `aging` and `deadline_weight` in points per minute; `deadline` is the
//! ticket's nearest SLA deadline (its wait start when it has none), and the deadline term
//! is off (weight 0) unless a queue asks for deadline-aware priority. Within one queue every ticket ages at the
//! same rate, so comparing `P(now)` of two tickets is the same as comparing
//! `score - aging * queued_since - deadline_weight * deadline`: a number fixed when the
//! ticket is queued. That number
//! (scaled to integers, see [`WaitKey::key`]) orders each bucket's `BTreeSet` once and for
//! all; nothing is re-sorted as time passes. Across queues with different aging rates the
//! heads of the buckets are compared at `now` with [`priority_at`].
//!
//! Ties break on a fixed order: higher score, then earlier `queued_since`, then lower
//! ticket id.

use crate::channel::Channel;
use crate::config::Weights;
use crate::id::TicketId;
use crate::ticket::{CustomerTier, Emotion, Urgency};
use crate::time::Timestamp;
use std::cmp::Ordering;

/// Integer units per point in keys: aging is stored in thousandths of a point per minute
/// and time in milliseconds, so one point is `1000 * 60_000` units.
pub const POINT_UNITS: i64 = 1_000 * 60_000;

/// The static weighted score of a ticket, in points.
pub fn score(w: &Weights, tier: CustomerTier, urgency: Urgency, emotion: Emotion, channel: Channel) -> i64 {
    w.tier[tier.index()] + w.urgency[urgency.index()] + w.emotion[emotion.index()] + w.channel[channel.index()]
}

/// The time-invariant key of a ticket waiting since `since` whose nearest SLA deadline is
/// `deadline`: `score * POINT_UNITS - aging * since_ms - deadline_weight * deadline_ms`.
/// Larger is more urgent. Its priority at `now` is [`priority_at`] with [`Weights::rate`].
#[inline]
pub fn key(score: i64, w: &Weights, since: Timestamp, deadline: Timestamp) -> i64 {
    score
        .saturating_mul(POINT_UNITS)
        .saturating_sub(w.aging_milli_per_min.saturating_mul(since.ms()))
        .saturating_sub(w.deadline_milli_per_min.saturating_mul(deadline.ms()))
}

/// Priority at `now` in key units (`P(now) * POINT_UNITS`), comparable across queues;
/// `rate` is [`Weights::rate`] of the ticket's queue.
#[inline]
pub fn priority_at(key: i64, rate: i64, now: Timestamp) -> i64 {
    key.saturating_add(rate.saturating_mul(now.ms()))
}

/// A waiting ticket's place in its bucket. Orders best first: higher key, then higher
/// score, then earlier `since`, then lower id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WaitKey {
    /// The time-invariant key ([`key`]).
    pub key: i64,
    /// Static score, the first tie-break.
    pub score: i64,
    /// Start of the wait, the second tie-break.
    pub since: Timestamp,
    /// Ticket id, the last tie-break.
    pub ticket: TicketId,
    /// Whether the ticket must avoid some agents (declined, expired, transferred away), so
    /// routing looks the ticket up only then. Never decides the order: ids are unique.
    pub avoids: bool,
}

/// The one tie-break order: higher priority, then higher score, then earlier wait
/// start, then lower id come first.
fn best_first(a: (i64, i64, Timestamp, TicketId), b: (i64, i64, Timestamp, TicketId)) -> Ordering {
    b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3))
}

impl Ord for WaitKey {
    fn cmp(&self, other: &Self) -> Ordering {
        best_first((self.key, self.score, self.since, self.ticket), (other.key, other.score, other.since, other.ticket))
            .then(self.avoids.cmp(&other.avoids))
    }
}

impl PartialOrd for WaitKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A waiting ticket's priority at a given instant, comparable across queues. Orders best
/// first like [`WaitKey`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rank {
    /// `P(now)` in key units.
    pub at_now: i64,
    /// Static score.
    pub score: i64,
    /// Start of the wait.
    pub since: Timestamp,
    /// Ticket id.
    pub ticket: TicketId,
}

impl Rank {
    /// The rank of `wk` at `now` for a queue aging at `aging_milli_per_min`.
    #[inline]
    pub fn of(wk: &WaitKey, aging_milli_per_min: i64, now: Timestamp) -> Rank {
        Rank {
            at_now: priority_at(wk.key, aging_milli_per_min, now),
            score: wk.score,
            since: wk.since,
            ticket: wk.ticket,
        }
    }

    /// Priority in points (rounded down), for display.
    pub fn points(&self) -> i64 {
        self.at_now.div_euclid(POINT_UNITS)
    }
}

impl Ord for Rank {
    fn cmp(&self, other: &Self) -> Ordering {
        best_first(
            (self.at_now, self.score, self.since, self.ticket),
            (other.at_now, other.score, other.since, other.ticket),
        )
    }
}

impl PartialOrd for Rank {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::MINUTE_MS;

    #[test]
    fn aging_lets_an_old_low_ticket_overtake_a_new_high_one() {
        let w = Weights { aging_milli_per_min: 1_000, deadline_milli_per_min: 0, ..Weights::default() };
        let aging = w.rate(); // one point per minute
        let old = key(10, &w, Timestamp(0), Timestamp(0));
        let new = key(30, &w, Timestamp(25 * MINUTE_MS), Timestamp(0));
        // At 25 min: old has 10 + 25 = 35 points, new has 30.
        assert!(old > new);
        let now = Timestamp(25 * MINUTE_MS);
        assert_eq!(priority_at(old, aging, now) / POINT_UNITS, 35);
        assert_eq!(priority_at(new, aging, now) / POINT_UNITS, 30);
    }

    #[test]
    fn ties_break_on_score_then_time_then_id() {
        let a = WaitKey { key: 5, score: 2, since: Timestamp(10), ticket: TicketId(9), avoids: false };
        let b = WaitKey { key: 5, score: 3, since: Timestamp(20), ticket: TicketId(1), avoids: false };
        let c = WaitKey { key: 5, score: 3, since: Timestamp(5), ticket: TicketId(7), avoids: false };
        let d = WaitKey { key: 5, score: 3, since: Timestamp(5), ticket: TicketId(3), avoids: false };
        let mut v = vec![a, b, c, d];
        v.sort();
        assert_eq!(v, vec![d, c, b, a]);
    }
}
