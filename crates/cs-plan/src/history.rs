//! Arrivals per queue per 15-minute interval: the history a forecast starts from.

use crate::PlanError;
use cs_core::metrics::{INTERVAL_MS, Metrics, interval_start};
use cs_core::{Event, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// 15-minute intervals in a day: the daily season.
pub const INTERVALS_PER_DAY: usize = 96;
/// 15-minute intervals in a week: the weekly season.
pub const INTERVALS_PER_WEEK: usize = 7 * INTERVALS_PER_DAY;
/// The longest history taken: a year of intervals (the models' cost grows with it).
const INTERVALS_MAX: usize = 366 * INTERVALS_PER_DAY;

/// One queue's arrivals per interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The queue's name.
    pub name: String,
    /// Its channel, when known (`chat`, `phone`, ...).
    pub channel: Option<String>,
    /// Arrivals in each interval, oldest first.
    pub counts: Vec<f64>,
    /// Mean handle time over the history, seconds, when known (a log's metrics).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aht_s: Option<f64>,
    /// Mean patience over the history, seconds, when customers abandoned in it: the
    /// exponential patience's estimate from waits censored by answers (all waiting time
    /// over abandonments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patience_s: Option<f64>,
}

/// Arrivals per queue per 15-minute interval from `start`, every queue over the same
/// intervals.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    /// The first interval's start (a 15-minute boundary).
    pub start: Timestamp,
    /// The queues, in the log's config order or the CSV's order of first appearance.
    pub queues: Vec<Series>,
}

impl History {
    /// Intervals covered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.queues.first().map_or(0, |q| q.counts.len())
    }

    /// Whether no interval is covered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The end of the last interval.
    #[must_use]
    pub fn end(&self) -> Timestamp {
        self.start.plus_ms(self.len() as i64 * INTERVAL_MS)
    }

    /// The first `n` intervals and the rest.
    #[must_use]
    pub fn split_at(&self, n: usize) -> (History, History) {
        let n = n.min(self.len());
        let head = self.queues.iter().map(|q| Series { counts: q.counts[..n].to_vec(), ..q.clone() }).collect();
        let tail = self.queues.iter().map(|q| Series { counts: q.counts[n..].to_vec(), ..q.clone() }).collect();
        (
            History { start: self.start, queues: head },
            History { start: self.start.plus_ms(n as i64 * INTERVAL_MS), queues: tail },
        )
    }

    /// Counts every `TicketCreated` of an event log per queue per interval, from the
    /// interval of the first event to the one of the last, and takes each queue's mean
    /// handle time and patience from the log's metrics. The log is checked as it is
    /// replayed (`cs_core::try_replay`: every event must be one the engine would write).
    ///
    /// # Errors
    /// [`PlanError::History`] for a log the engine could not have written (naming the
    /// event), and as [`History::from_log`].
    pub fn from_events(events: &[Event]) -> Result<History, PlanError> {
        if !matches!(events.first(), Some(Event::Configured { .. })) {
            return History::from_log(events, &Metrics::default());
        }
        let (_, metrics) =
            cs_core::try_replay_projected::<Metrics>(events).map_err(|e| PlanError::History(e.to_string()))?;
        History::from_log(events, &metrics)
    }

    /// As [`History::from_events`], with the log already replayed and its `metrics`
    /// folded (the caller checked it): counts from the events, handle times and patience
    /// from the metrics.
    ///
    /// # Errors
    /// [`PlanError::History`] for a log that does not start with its configuration, holds
    /// no ticket, or spans more than a year.
    pub fn from_log(events: &[Event], metrics: &Metrics) -> Result<History, PlanError> {
        let Some(Event::Configured { .. }) = events.first() else {
            return Err(PlanError::History(
                "the first event is not Configured: this is not the start of an event log".into(),
            ));
        };
        let first = interval_start(events[0].at());
        let last = events.last().map_or(first, Event::at);
        let n =
            usize::try_from(interval_start(last).since(first) / INTERVAL_MS).unwrap_or(usize::MAX).saturating_add(1);
        if n > INTERVALS_MAX {
            return Err(PlanError::History(format!(
                "the log spans {n} intervals, more than a year ({INTERVALS_MAX}); cut it first"
            )));
        }
        let mut config = None;
        let mut queues: Vec<Series> = Vec::new();
        let mut tickets = 0u64;
        for e in events {
            match e {
                Event::Configured { config: c, .. } => {
                    for (i, q) in c.queues().iter().enumerate() {
                        if i >= queues.len() {
                            let channel = cs_core::Channel::ALL.into_iter().find(|&ch| q.channels.get(ch));
                            queues.push(Series {
                                name: q.name.clone(),
                                channel: channel.map(|c| c.name().to_owned()),
                                counts: vec![0.0; n],
                                aht_s: None,
                                patience_s: None,
                            });
                        }
                    }
                    config = Some(c);
                }
                Event::TicketCreated { spec, .. } => {
                    let c = config.expect("the first event is Configured");
                    if let Some(q) = spec.queue.or_else(|| c.queue_for(spec.channel, spec.category)) {
                        let i = (interval_start(e.at()).since(first) / INTERVAL_MS) as usize;
                        queues[q.index()].counts[i] += 1.0;
                        tickets += 1;
                    }
                }
                _ => {}
            }
        }
        if tickets == 0 {
            return Err(PlanError::History("the log holds no ticket created for a queue".into()));
        }
        // Handle time and patience per queue from the core's own metrics of the log.
        for (q, series) in queues.iter_mut().enumerate() {
            if let Some(c) = metrics.queues.get(q) {
                series.aht_s = c.aht_s();
                series.patience_s = (c.abandoned > 0)
                    .then(|| (c.wait_ms_answered + c.wait_ms_abandoned) as f64 / c.abandoned as f64 / 1000.0)
                    .filter(|p| *p > 0.0);
            }
        }
        Ok(History { start: first, queues })
    }

    /// Reads a CSV of interval counts: a header naming the columns `interval` (an RFC 3339
    /// time or milliseconds since the epoch, on a 15-minute boundary), `queue` and
    /// `arrivals` (a count, >= 0), and optionally `channel`, in any order; then one row
    /// per queue and interval, in any order. Intervals between the first and the last that
    /// a queue has no row for count 0. Fields are plain (no quotes).
    ///
    /// # Errors
    /// [`PlanError::History`] naming the line and field of the first problem.
    pub fn from_csv(text: &str) -> Result<History, PlanError> {
        let err = |line: usize, why: String| PlanError::History(format!("line {line}: {why}"));
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.is_empty());
        let Some((hl, header)) = lines.next() else { return Err(PlanError::History("the CSV is empty".into())) };
        let cols: Vec<String> = header.split(',').map(|c| c.trim().to_ascii_lowercase()).collect();
        let col = |name: &str| cols.iter().position(|c| c == name);
        let (Some(ci), Some(cq), Some(ca)) = (col("interval"), col("queue"), col("arrivals")) else {
            return Err(err(
                hl,
                format!("the header must name the columns interval, queue and arrivals; it has {}", cols.join(",")),
            ));
        };
        let cc = col("channel");
        let mut rows: BTreeMap<(usize, i64), f64> = BTreeMap::new();
        let mut names: Vec<(String, Option<String>)> = Vec::new();
        for (ln, line) in lines {
            if line.contains('"') {
                return Err(err(ln, "quoted fields are not read; write plain fields".into()));
            }
            let f: Vec<&str> = line.split(',').map(str::trim).collect();
            if f.len() != cols.len() {
                return Err(err(ln, format!("{} fields, the header has {}", f.len(), cols.len())));
            }
            let at = match f[ci].parse::<i64>() {
                Ok(ms) => Timestamp(ms),
                Err(_) => Timestamp::parse(f[ci]).map_err(|e| {
                    err(ln, format!("interval {:?} is not an RFC 3339 time or milliseconds: {e}", f[ci]))
                })?,
            };
            if interval_start(at) != at {
                return Err(err(ln, format!("interval {} is not on a 15-minute boundary", f[ci])));
            }
            let name = f[cq];
            if name.is_empty() {
                return Err(err(ln, "the queue is empty".into()));
            }
            let arrivals: f64 = f[ca]
                .parse()
                .ok()
                .filter(|a: &f64| a.is_finite() && *a >= 0.0)
                .ok_or_else(|| err(ln, format!("arrivals {:?} is not a number >= 0", f[ca])))?;
            let channel = cc.map(|c| f[c].to_owned()).filter(|c| !c.is_empty());
            let q = match names.iter().position(|(n, _)| n == name) {
                Some(q) => q,
                None => {
                    names.push((name.to_owned(), channel.clone()));
                    names.len() - 1
                }
            };
            if let (Some(c), Some(had)) = (&channel, &names[q].1)
                && c != had
            {
                return Err(err(ln, format!("queue {name} has channel {c} here and {had} before")));
            }
            if rows.insert((q, at.ms()), arrivals).is_some() {
                return Err(err(ln, format!("a second row for queue {name} at {}", f[ci])));
            }
        }
        let (Some(from), Some(to)) = (rows.keys().map(|k| k.1).min(), rows.keys().map(|k| k.1).max()) else {
            return Err(PlanError::History("the CSV has a header but no row".into()));
        };
        let n = ((to - from) / INTERVAL_MS) as usize + 1;
        if n > INTERVALS_MAX {
            return Err(PlanError::History(format!("the rows span {n} intervals, more than a year ({INTERVALS_MAX})")));
        }
        let mut queues: Vec<Series> = names
            .into_iter()
            .map(|(name, channel)| Series { name, channel, counts: vec![0.0; n], aht_s: None, patience_s: None })
            .collect();
        for ((q, at), a) in rows {
            queues[q].counts[((at - from) / INTERVAL_MS) as usize] = a;
        }
        Ok(History { start: Timestamp(from), queues })
    }

    /// The history as CSV text ([`History::from_csv`] reads it back).
    #[must_use]
    pub fn to_csv(&self) -> String {
        let mut out = String::from("interval,queue,channel,arrivals\n");
        for q in &self.queues {
            for (i, c) in q.counts.iter().enumerate() {
                let at = self.start.plus_ms(i as i64 * INTERVAL_MS);
                out.push_str(&format!("{at},{},{},{c}\n", q.name, q.channel.as_deref().unwrap_or("")));
            }
        }
        out
    }
}
