//! Live elastic staffing: from the last hour's arrivals and handle times per queue, the
//! agents needed now and in the next intervals, so that a supervisor sees a surge coming
//! and calls in help.
//!
//! [`staffing`] is a pure function of numbers; [`observe`] reads those numbers from an
//! engine state's metrics (the last hour's four 15-minute intervals per queue: arrivals
//! offered and the handle time of what was handled), so a CLI or a service can call
//! both on a live or replayed state.
//!
//! The rate ahead is the last hour's level plus its trend: a least-squares line through
//! the four quarter-hour counts, extrapolated per interval and never below zero, so a
//! rising surge raises the next intervals' needs before it peaks. Each interval's rate is
//! staffed with Erlang A when a patience is given, C otherwise, plus the reserve.

use cs_core::metrics::{INTERVAL_MS, Metrics};
use cs_core::{QueueId, State, Timestamp};
use cs_sim::erlang::{ErlangError, StaffingGoal, Traffic, staff};
use serde::Serialize;

/// What was observed of one queue over the last hour.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Observed {
    /// Queue name.
    pub queue: String,
    /// Arrivals per 15-minute interval, oldest first (the last hour: four values; the
    /// last may be an interval still running, scaled by [`Observed::last_share`]).
    pub arrivals: Vec<u64>,
    /// Share of the last interval elapsed, in (0, 1] (its count is scaled up by it).
    pub last_share: f64,
    /// Mean handle time of what was handled, seconds (`None`: nothing handled).
    pub aht_s: Option<f64>,
    /// Mean patience, seconds, if known (Erlang A).
    pub patience_s: Option<f64>,
}

/// One interval's need.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Need {
    /// Intervals ahead: 0 is now.
    pub ahead: usize,
    /// Projected arrivals per hour.
    pub arrivals_per_hour: f64,
    /// Agents on the phones meeting the goal.
    pub agents: u32,
    /// With the reserve.
    pub with_reserve: u32,
}

/// One queue's staffing now and ahead.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueNeed {
    /// Queue name.
    pub queue: String,
    /// The handle time used, seconds (`None`: none observed, no staffing computed).
    pub aht_s: Option<f64>,
    /// Now, then each interval ahead.
    pub needs: Vec<Need>,
}

/// What to staff for, as `cs replay --staffing` and `GET /v1/staffing` take it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Request {
    /// Service-level threshold, seconds.
    pub target_s: f64,
    /// Share to answer within it, in (0, 1).
    pub service_level: f64,
    /// Elastic reserve over the requirement (0.2 is 20 %).
    pub reserve: f64,
    /// Intervals ahead to project, 0 to [`AHEAD_MAX`].
    pub ahead: usize,
    /// Customers' mean patience, seconds (Erlang A); `None`: Erlang C.
    pub patience_s: Option<f64>,
}

/// Most intervals ahead a [`Request`] may ask for: a day.
pub const AHEAD_MAX: usize = 96;

/// Elastic staffing of a state as of an instant: what was observed and what is needed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Service-level threshold, seconds.
    pub target_s: f64,
    /// Share to answer within it.
    pub service_level: f64,
    /// The reserve.
    pub reserve: f64,
    /// What the last hour says per queue.
    pub observed: Vec<Observed>,
    /// The agents needed per queue, now and ahead.
    pub queues: Vec<QueueNeed>,
}

/// [`observe`] then [`staffing`]: the report a supervisor reads as of `at`.
///
/// # Errors
/// [`ErlangError`] naming the input out of range (the goal, the reserve, the patience, or
/// `ahead` over [`AHEAD_MAX`]).
pub fn report(state: &State, metrics: &Metrics, at: Timestamp, r: &Request) -> Result<Report, ErlangError> {
    if r.ahead > AHEAD_MAX {
        return Err(ErlangError::InvalidInput { name: "ahead", value: r.ahead as f64, reason: "must be from 0 to 96" });
    }
    if let Some(p) = r.patience_s {
        Traffic::new(1.0, 1.0, Some(p))?;
    }
    let goal = StaffingGoal::new(r.target_s, r.service_level)?;
    let observed = observe(state, metrics, at, r.patience_s);
    let queues = staffing(&observed, &goal, r.reserve, r.ahead)?;
    Ok(Report { target_s: r.target_s, service_level: r.service_level, reserve: r.reserve, observed, queues })
}

/// The agents needed now and for `ahead` more intervals, per queue.
///
/// # Errors
/// [`ErlangError`] for a bad goal or traffic (a handle time or patience out of range), or
/// a reserve outside 0 to 10 (0.2 is 20 %).
pub fn staffing(
    observed: &[Observed],
    goal: &StaffingGoal,
    reserve: f64,
    ahead: usize,
) -> Result<Vec<QueueNeed>, ErlangError> {
    goal.validate()?;
    if !(reserve.is_finite() && (0.0..=10.0).contains(&reserve)) {
        return Err(ErlangError::InvalidInput {
            name: "reserve",
            value: reserve,
            reason: "must be from 0 to 10 (0.2 is 20 %)",
        });
    }
    observed
        .iter()
        .map(|o| {
            let counts: Vec<f64> = o
                .arrivals
                .iter()
                .enumerate()
                .map(|(i, &c)| {
                    let share = if i + 1 == o.arrivals.len() { o.last_share.clamp(1e-3, 1.0) } else { 1.0 };
                    c as f64 / share
                })
                .collect();
            let (level, slope) = line(&counts);
            let per_hour_per_interval = 3_600_000.0 / INTERVAL_MS as f64;
            let needs = match o.aht_s {
                None => Vec::new(),
                Some(aht) => (0..=ahead)
                    .map(|h| {
                        // The line at the last interval, then one step per interval ahead.
                        let per_interval = (level + slope * h as f64).max(0.0);
                        let per_hour = per_interval * per_hour_per_interval;
                        let agents = if per_hour < 1e-3 {
                            0
                        } else {
                            staff(
                                &Traffic::new(per_hour, aht, o.patience_s)?,
                                &StaffingGoal { shrinkage: 0.0, ..*goal },
                            )?
                            .agents
                        };
                        let x = f64::from(agents) * (1.0 + reserve);
                        let with_reserve = if (x - x.round()).abs() < 1e-9 { x.round() } else { x.ceil() } as u32;
                        Ok(Need { ahead: h, arrivals_per_hour: per_hour, agents, with_reserve })
                    })
                    .collect::<Result<Vec<Need>, ErlangError>>()?,
            };
            Ok(QueueNeed { queue: o.queue.clone(), aht_s: o.aht_s, needs })
        })
        .collect()
}

/// Least-squares line through `y` at x = 0, 1, ...: its value at the last x and its slope.
fn line(y: &[f64]) -> (f64, f64) {
    let n = y.len() as f64;
    if y.is_empty() {
        return (0.0, 0.0);
    }
    if y.len() == 1 {
        return (y[0], 0.0);
    }
    let mx = (n - 1.0) / 2.0;
    let my = y.iter().sum::<f64>() / n;
    let sxy: f64 = y.iter().enumerate().map(|(i, v)| (i as f64 - mx) * (v - my)).sum();
    let sxx: f64 = (0..y.len()).map(|i| (i as f64 - mx).powi(2)).sum();
    let slope = sxy / sxx;
    (my + slope * (n - 1.0 - mx), slope)
}

/// What the metrics folded beside `state` say of every queue over the hour before `at`: arrivals
/// offered in each of the four 15-minute intervals ending with the one holding `at` (or,
/// when that one is less than a third done, ending just before it), and
/// the mean handle time of what was handled in that hour. `patience_s` is taken as given
/// (the metrics do not estimate it).
#[must_use]
pub fn observe(state: &State, metrics: &Metrics, at: Timestamp, patience_s: Option<f64>) -> Vec<Observed> {
    let mut current = cs_core::metrics::interval_start(at);
    let mut elapsed = at.since(current) as f64 / INTERVAL_MS as f64;
    // A running interval less than a third done says too little to scale up: the four
    // complete intervals before it instead.
    if elapsed < 1.0 / 3.0 {
        current = current.plus_ms(-INTERVAL_MS);
        elapsed = 1.0;
    }
    let first = current.plus_ms(-3 * INTERVAL_MS);
    let Some(config) = state.config_opt() else { return Vec::new() };
    config
        .queues()
        .iter()
        .enumerate()
        .map(|(qi, q)| {
            let id = QueueId(qi as u16);
            let counts_in = |from: Timestamp| -> Option<cs_core::metrics::Counts> {
                metrics.intervals.iter().find(|i| i.start == from).map(|i| i.queue(id).cloned().unwrap_or_default())
            };
            let mut arrivals = Vec::with_capacity(4);
            let (mut handled, mut handle_ms) = (0u64, 0u64);
            for k in 0..4 {
                let c = counts_in(first.plus_ms(k * INTERVAL_MS)).unwrap_or_default();
                arrivals.push(c.offered);
                handled += c.handled;
                handle_ms += c.handle_ms;
            }
            Observed {
                queue: q.name.clone(),
                arrivals,
                last_share: elapsed,
                aht_s: (handled > 0).then(|| handle_ms as f64 / handled as f64 / 1000.0),
                patience_s,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goal() -> StaffingGoal {
        StaffingGoal::new(20.0, 0.8).unwrap()
    }

    #[test]
    fn a_steady_hour_staffs_as_erlang_c_at_its_rate() {
        let o = Observed {
            queue: "chat".into(),
            arrivals: vec![25, 25, 25, 25],
            last_share: 1.0,
            aht_s: Some(240.0),
            patience_s: None,
        };
        let r = staffing(&[o], &goal(), 0.2, 3).unwrap();
        let expect = staff(&Traffic::new(100.0, 240.0, None).unwrap(), &goal()).unwrap().agents;
        assert_eq!(r[0].needs.len(), 4);
        for n in &r[0].needs {
            assert!((n.arrivals_per_hour - 100.0).abs() < 1e-9);
            assert_eq!(n.agents, expect);
            assert_eq!(n.with_reserve, (f64::from(expect) * 1.2).ceil() as u32);
        }
    }

    #[test]
    fn a_rising_hour_needs_more_agents_ahead() {
        let o = Observed {
            queue: "chat".into(),
            arrivals: vec![10, 20, 30, 20],
            last_share: 0.5,
            aht_s: Some(300.0),
            patience_s: Some(120.0),
        };
        let r = staffing(&[o], &goal(), 0.0, 4).unwrap();
        let n = &r[0].needs;
        // 10, 20, 30, 40 per quarter hour: 160 an hour now, rising by 40 each interval.
        assert!((n[0].arrivals_per_hour - 160.0).abs() < 1e-9, "{}", n[0].arrivals_per_hour);
        assert!((n[4].arrivals_per_hour - 320.0).abs() < 1e-9);
        assert!(n.windows(2).all(|w| w[0].agents <= w[1].agents) && n[4].agents > n[0].agents);
    }

    #[test]
    fn a_bad_reserve_is_refused_by_name() {
        let o =
            Observed { queue: "a".into(), arrivals: vec![1; 4], last_share: 1.0, aht_s: Some(60.0), patience_s: None };
        let e = staffing(&[o], &goal(), -0.1, 1).unwrap_err();
        assert!(e.to_string().starts_with("reserve = -0.1"), "{e}");
    }

    #[test]
    fn nothing_handled_gives_no_staffing_and_a_falling_rate_stops_at_zero() {
        let none =
            Observed { queue: "a".into(), arrivals: vec![1, 0, 0, 0], last_share: 1.0, aht_s: None, patience_s: None };
        assert!(staffing(&[none], &goal(), 0.2, 2).unwrap()[0].needs.is_empty());
        let falling = Observed {
            queue: "b".into(),
            arrivals: vec![30, 20, 10, 0],
            last_share: 1.0,
            aht_s: Some(60.0),
            patience_s: None,
        };
        let r = staffing(&[falling], &goal(), 0.2, 2).unwrap();
        assert!(r[0].needs.iter().all(|n| n.arrivals_per_hour == 0.0 && n.agents == 0));
    }
}
