//! Arrival processes (Poisson with a piecewise-constant rate) and recorded arrivals for
//! what-if runs.
//!
//! A queue's arrival rate at simulated time `t` (seconds since the scenario start) is its
//! base rate (constant, or a daily profile repeating every 86,400 s) times the multiplier
//! of every surge window covering `t`. The rate is a step function, so the next arrival
//! is drawn exactly by inversion: draw `E ~ Exp(1)` and walk the steps until the
//! integrated rate reaches `E`. No thinning, no approximation.

use crate::dist::Stream;
use cs_core::{Channel, Config, CustomerTier, Emotion, Event, Urgency};
use serde::{Deserialize, Serialize};

/// Seconds in a day: the period of daily profiles and daily shifts.
pub(crate) const DAY_S: f64 = 86_400.0;

/// The base rate of a queue, per second.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum BaseRate {
    /// The same all the time.
    Constant(f64),
    /// One rate per hour of the day (24 values), repeating daily.
    Hourly([f64; 24]),
    /// Steps: from each `(at_s, rate)` (seconds into the day, sorted, first at or after
    /// 0 and all below 86,400) until the next; before the first point the last one's
    /// rate holds (it carries over from the previous day).
    Points(Vec<(f64, f64)>),
}

/// A window in which arrivals are multiplied.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Surge {
    /// Start, seconds since the scenario start.
    pub start_s: f64,
    /// End (exclusive), seconds since the scenario start.
    pub end_s: f64,
    /// Rate multiplier inside the window.
    pub multiplier: f64,
}

/// A queue's arrival rate over time.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RateModel {
    /// The base rate.
    pub base: BaseRate,
    /// Surge windows; overlapping windows multiply.
    pub surges: Vec<Surge>,
}

impl RateModel {
    /// The arrival rate at `t` (seconds since the start), per second.
    pub(crate) fn rate_per_s(&self, t: f64) -> f64 {
        let base = match &self.base {
            BaseRate::Constant(r) => *r,
            BaseRate::Hourly(rates) => rates[(libm::floor(t / 3600.0) as i64).rem_euclid(24) as usize],
            BaseRate::Points(points) => {
                let day = libm::floor(t / DAY_S);
                let tod = t - day * DAY_S;
                let i = points.partition_point(|&(at, _)| at <= tod);
                if i == 0 { points[points.len() - 1].1 } else { points[i - 1].1 }
            }
        };
        self.surges.iter().filter(|s| s.start_s <= t && t < s.end_s).fold(base, |r, s| r * s.multiplier)
    }

    /// An upper bound of the rate over all time, per second: the highest base rate times
    /// the highest product of the multipliers of surges covering one moment (exact unless
    /// the busiest surges miss the busiest hour). Infinite if the product overflows.
    pub(crate) fn peak_bound_per_s(&self) -> f64 {
        let base = match &self.base {
            BaseRate::Constant(r) => *r,
            BaseRate::Hourly(rates) => rates.iter().copied().fold(0.0, f64::max),
            BaseRate::Points(points) => points.iter().map(|p| p.1).fold(0.0, f64::max),
        };
        // The product of the surges covering `t` is constant from one edge to the next.
        let surge = self
            .surges
            .iter()
            .flat_map(|s| [s.start_s, s.end_s])
            .map(|t| self.surges.iter().filter(|s| s.start_s <= t && t < s.end_s).map(|s| s.multiplier).product())
            .fold(1.0, f64::max);
        base * surge
    }

    /// The first time after `t` at which the rate may change (infinite if never).
    fn next_change(&self, t: f64) -> f64 {
        let base = match &self.base {
            BaseRate::Constant(_) => f64::INFINITY,
            BaseRate::Hourly(_) => (libm::floor(t / 3600.0) + 1.0) * 3600.0,
            BaseRate::Points(points) => {
                let day = libm::floor(t / DAY_S);
                let tod = t - day * DAY_S;
                let i = points.partition_point(|&(at, _)| at <= tod);
                match points.get(i) {
                    Some(&(at, _)) => day * DAY_S + at,
                    None => (day + 1.0) * DAY_S + points[0].0,
                }
            }
        };
        let surge = self
            .surges
            .iter()
            .flat_map(|s| [s.start_s, s.end_s])
            .filter(|&edge| edge > t)
            .fold(f64::INFINITY, f64::min);
        // Guard against a rounding step that would not move forward.
        base.min(surge).max(t.next_up())
    }

    /// The next arrival after `t` and before `horizon` (seconds), or `None`.
    pub(crate) fn next_arrival(&self, t: f64, horizon: f64, rng: &mut Stream) -> Option<f64> {
        let mut need = rng.exp1();
        if let (BaseRate::Constant(rate), true) = (&self.base, self.surges.is_empty()) {
            // The common case, without walking steps: the same arithmetic as below.
            let at = t + need / rate;
            return (*rate > 0.0 && at < horizon).then_some(at);
        }
        let mut t = t;
        while t < horizon {
            let rate = self.rate_per_s(t);
            let change = self.next_change(t).min(horizon);
            if rate > 0.0 {
                let mass = rate * (change - t);
                if need <= mass {
                    let at = t + need / rate;
                    return (at < horizon).then_some(at);
                }
                need -= mass;
            }
            t = change;
        }
        None
    }

    /// The expected number of arrivals in `[from, to)` (seconds since the start).
    pub(crate) fn expected(&self, from: f64, to: f64) -> f64 {
        let mut t = from;
        let mut sum = 0.0;
        while t < to {
            let change = self.next_change(t).min(to);
            sum += self.rate_per_s(t) * (change - t);
            t = change;
        }
        sum
    }
}

/// One recorded arrival: a ticket's first contact as a log shows it, for replaying the
/// same demand against another scenario (`cs simulate --arrivals-from`).
///
/// Handle times, patience and bot outcomes are not part of it: the scenario it is
/// replayed against draws them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrival {
    /// Milliseconds after the start of the recording (its first event); the arrival is
    /// replayed this long after the scenario's `start`.
    pub at_ms: i64,
    /// The queue, by name (matched against the scenario's queues).
    pub queue: String,
    /// The channel.
    pub channel: Channel,
    /// Customer tier.
    pub tier: CustomerTier,
    /// Urgency.
    pub urgency: Urgency,
    /// Emotion.
    pub emotion: Emotion,
    /// Category, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Language, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The customer (the same id in two arrivals is the same customer, so sticky
    /// routing and repeat contacts replay too).
    pub customer: u64,
    /// Whether the conversation started with a bot. It is replayed with a bot only if
    /// the scenario's queue has one (which draws the bot time and outcome).
    #[serde(default)]
    pub bot: bool,
}

/// The arrivals recorded in an event log: one per `TicketCreated`, in log order, timed
/// from the log's first event. Names are looked up in `config` (the configuration the
/// log was written under, or a later one, which may only have appended names).
///
/// Reopens, customer replies and transfers are not new arrivals; the scenario the
/// arrivals are replayed against decides what happens to each ticket.
pub fn arrivals_from_events(events: impl IntoIterator<Item = Event>, config: &Config) -> Vec<Arrival> {
    let mut start = None;
    let mut out = Vec::new();
    for e in events {
        let at = e.at();
        let origin = *start.get_or_insert(at);
        if let Event::TicketCreated { spec, .. } = e {
            let queue = spec
                .queue
                .or_else(|| config.queue_for(spec.channel, spec.category))
                .and_then(|q| config.queues().get(q.index()))
                .map_or_else(String::new, |q| q.name.clone());
            out.push(Arrival {
                at_ms: at.since(origin),
                queue,
                channel: spec.channel,
                tier: spec.tier,
                urgency: spec.urgency,
                emotion: spec.emotion,
                category: spec.category.and_then(|c| config.category_names().get(c.index()).cloned()),
                language: spec.language.and_then(|l| config.language_names().get(usize::from(l.0)).cloned()),
                customer: spec.customer.0,
                bot: spec.bot,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Purpose;

    fn hourly() -> RateModel {
        let mut rates = [0.0; 24];
        for (h, r) in rates.iter_mut().enumerate() {
            *r = if (8..18).contains(&h) { 0.1 } else { 0.0 };
        }
        RateModel { base: BaseRate::Hourly(rates), surges: vec![] }
    }

    #[test]
    fn rates_follow_profiles_and_surges() {
        let m = RateModel {
            base: BaseRate::Points(vec![(3600.0, 1.0), (7200.0, 2.0)]),
            surges: vec![Surge { start_s: 5000.0, end_s: 6000.0, multiplier: 10.0 }],
        };
        assert_eq!(m.rate_per_s(0.0), 2.0); // carried over from the previous day
        assert_eq!(m.rate_per_s(3600.0), 1.0);
        assert_eq!(m.rate_per_s(5500.0), 10.0);
        assert_eq!(m.rate_per_s(6000.0), 1.0);
        assert_eq!(m.rate_per_s(DAY_S + 3700.0), 1.0);
        assert_eq!(m.expected(0.0, 7200.0), 3600.0 * 2.0 + 3600.0 * 1.0 + 1000.0 * 9.0);
        assert_eq!(hourly().rate_per_s(8.5 * 3600.0), 0.1);
        assert_eq!(hourly().rate_per_s(DAY_S + 7.5 * 3600.0), 0.0);
    }

    #[test]
    fn arrivals_only_when_the_rate_is_positive() {
        let m = hourly();
        let mut rng = Stream::new(3, Purpose::Arrivals, 0);
        let mut t = 0.0;
        let mut n = 0;
        while let Some(a) = m.next_arrival(t, 2.0 * DAY_S, &mut rng) {
            let tod = a % DAY_S;
            assert!((8.0 * 3600.0..18.0 * 3600.0).contains(&tod), "arrival at {tod}");
            t = a;
            n += 1;
        }
        // 2 days x 10 h x 360 per hour = 7,200 expected; 5 standard deviations.
        assert!((n as f64 - 7200.0).abs() < 5.0 * 7200f64.sqrt(), "{n}");
    }
}
