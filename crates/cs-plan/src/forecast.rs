//! Forecasting arrivals per queue per 15-minute interval, and backtesting the forecast.
//!
//! The model is the `augurs` crates' MSTL (multiple seasonal-trend decomposition by
//! LOESS) with a daily season (96 intervals) and, given at least two weeks of history, a
//! weekly one (672), whose deseasonalised remainder is forecast by AutoETS (the best
//! exponential-smoothing model by AICc). Beside it, a seasonal-naive baseline repeats the
//! last week (or the last day, with less than a week of history). A forecast is never
//! below zero. Known surges (a promotion) multiply the forecast over their window: the
//! model cannot know them from history.

use crate::PlanError;
use crate::history::{History, INTERVALS_PER_DAY, INTERVALS_PER_WEEK};
use augurs_core::{Fit as _, Predict as _};
use cs_core::Timestamp;
use cs_core::metrics::INTERVAL_MS;
use serde::{Deserialize, Serialize};

/// A known surge: arrivals multiplied by `multiplier` from `from` (inclusive) to `to`
/// (exclusive), in one queue or all.
#[derive(Clone, Debug, PartialEq)]
pub struct Surge {
    /// Start of the window.
    pub from: Timestamp,
    /// End of the window (exclusive).
    pub to: Timestamp,
    /// Multiplier (>= 0).
    pub multiplier: f64,
    /// The queue it applies to; all when `None`.
    pub queue: Option<String>,
}

impl std::str::FromStr for Surge {
    type Err = String;

    /// `FROM,TO,MULTIPLIER[,QUEUE]`, times in RFC 3339:
    /// `2026-02-02T10:00:00Z,2026-02-02T12:00:00Z,3,chat`.
    fn from_str(s: &str) -> Result<Surge, String> {
        let f: Vec<&str> = s.split(',').map(str::trim).collect();
        if !(3..=4).contains(&f.len()) {
            return Err(format!("{s:?}: a surge is FROM,TO,MULTIPLIER[,QUEUE]"));
        }
        let from = Timestamp::parse(f[0]).map_err(|e| format!("{s:?}: FROM {:?}: {e}", f[0]))?;
        let to = Timestamp::parse(f[1]).map_err(|e| format!("{s:?}: TO {:?}: {e}", f[1]))?;
        if to <= from {
            return Err(format!("{s:?}: TO must be after FROM"));
        }
        let multiplier: f64 = f[2]
            .parse()
            .ok()
            .filter(|m: &f64| m.is_finite() && *m >= 0.0 && *m <= 1000.0)
            .ok_or_else(|| format!("{s:?}: MULTIPLIER {:?} must be a number from 0 to 1000", f[2]))?;
        let queue = f.get(3).filter(|q| !q.is_empty()).map(|q| (*q).to_owned());
        Ok(Surge { from, to, multiplier, queue })
    }
}

/// How to forecast.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Intervals to forecast (15 minutes each).
    pub horizon: usize,
    /// Level of the prediction interval, in (0, 1).
    pub level: f64,
    /// Known surges.
    pub surges: Vec<Surge>,
}

/// The longest horizon: four weeks of intervals.
pub const HORIZON_MAX: usize = 4 * INTERVALS_PER_WEEK;

/// One interval of a queue's forecast.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Interval start (RFC 3339).
    pub start: String,
    /// Forecast arrivals in the interval.
    pub arrivals: f64,
    /// Lower end of the prediction interval.
    pub lower: f64,
    /// Upper end of the prediction interval.
    pub upper: f64,
    /// The seasonal-naive baseline.
    pub baseline: f64,
}

/// One queue's forecast.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueForecast {
    /// Queue name.
    pub name: String,
    /// Its channel, when known.
    pub channel: Option<String>,
    /// The model used: `mstl_ets`, or `seasonal_naive` when the history is flat zero or
    /// the model could not be fitted.
    pub method: String,
    /// Forecast arrivals over the horizon.
    pub total: f64,
    /// The history's mean handle time, seconds, when known (from a log): what `cs plan`
    /// staffs with when its config does not say.
    #[serde(default)]
    pub aht_s: Option<f64>,
    /// The history's mean patience, seconds, when customers abandoned in it.
    #[serde(default)]
    pub patience_s: Option<f64>,
    /// Per interval.
    pub intervals: Vec<Point>,
}

/// A forecast: what `cs forecast --json` prints and `cs plan` reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// First interval's start (RFC 3339).
    pub start: String,
    /// The same, in ms since the epoch.
    pub start_ms: i64,
    /// Interval length, seconds (900).
    pub interval_s: u32,
    /// Intervals forecast.
    pub horizon_intervals: usize,
    /// Level of the prediction intervals.
    pub level: f64,
    /// The history it was made from: first interval and number of intervals.
    pub history_start: String,
    /// Intervals of history.
    pub history_intervals: usize,
    /// Seasons modelled, in intervals (96: daily; 672: weekly).
    pub seasons: Vec<usize>,
    /// Per queue.
    pub queues: Vec<QueueForecast>,
}

impl Forecast {
    /// The first interval's start.
    #[must_use]
    pub fn start(&self) -> Timestamp {
        Timestamp(self.start_ms)
    }

    /// Checks a forecast read from outside (a file): an interval of 900 s, every queue
    /// over the horizon, arrivals finite and >= 0, unique queue names.
    ///
    /// # Errors
    /// [`PlanError::Forecast`] naming the first problem.
    pub fn check(&self) -> Result<(), PlanError> {
        let bad = |why: String| Err(PlanError::Forecast(why));
        if i64::from(self.interval_s) * 1000 != INTERVAL_MS {
            return bad(format!("interval_s is {}, not 900 (15 minutes)", self.interval_s));
        }
        if self.start_ms % INTERVAL_MS != 0 {
            return bad(format!("start_ms {} is not on a 15-minute boundary", self.start_ms));
        }
        if self.horizon_intervals == 0 || self.horizon_intervals > HORIZON_MAX {
            return bad(format!("horizon_intervals {} must be from 1 to {HORIZON_MAX}", self.horizon_intervals));
        }
        if self.queues.is_empty() {
            return bad("no queue".into());
        }
        for (i, q) in self.queues.iter().enumerate() {
            if q.name.is_empty() || self.queues[..i].iter().any(|o| o.name == q.name) {
                return bad(format!("queues[{i}]: name {:?} is empty or repeated", q.name));
            }
            if q.intervals.len() != self.horizon_intervals {
                return bad(format!(
                    "queues[{i}] ({}): {} intervals, the horizon is {}",
                    q.name,
                    q.intervals.len(),
                    self.horizon_intervals
                ));
            }
            if let Some((j, p)) =
                q.intervals.iter().enumerate().find(|(_, p)| !(p.arrivals.is_finite() && p.arrivals >= 0.0))
            {
                return bad(format!(
                    "queues[{i}] ({}).intervals[{j}]: arrivals {} is not a number >= 0",
                    q.name, p.arrivals
                ));
            }
        }
        Ok(())
    }
}

/// The seasons a history of `n` intervals supports: daily from two days, weekly too from
/// two weeks (MSTL needs two full cycles of a season to estimate it).
fn seasons(n: usize) -> Vec<usize> {
    if n >= 2 * INTERVALS_PER_WEEK {
        vec![INTERVALS_PER_DAY, INTERVALS_PER_WEEK]
    } else if n >= 2 * INTERVALS_PER_DAY {
        vec![INTERVALS_PER_DAY]
    } else {
        Vec::new()
    }
}

/// The seasonal-naive forecast: each interval as the same interval a week before (a day
/// before with less than a week of history), repeating the last season for longer
/// horizons.
#[must_use]
pub fn seasonal_naive(counts: &[f64], horizon: usize) -> Vec<f64> {
    let season =
        if counts.len() >= INTERVALS_PER_WEEK { INTERVALS_PER_WEEK } else { INTERVALS_PER_DAY.min(counts.len()) };
    if season == 0 {
        return vec![0.0; horizon];
    }
    let last = &counts[counts.len() - season..];
    (0..horizon).map(|h| last[h % season]).collect()
}

/// Widths (in cycles, odd) of the seasonal smoothers: daily, weekly.
const SEASONAL_WINDOWS: [usize; 2] = [61, 15];

/// MSTL + AutoETS forecast of one series: (point, lower, upper), clamped at 0.
fn mstl_ets(counts: &[f64], seasons: &[usize], horizon: usize, level: f64) -> Result<[Vec<f64>; 3], String> {
    let trend = augurs_ets::AutoETS::non_seasonal().into_trend_model();
    // Seasonal smoothers wider than stlrs's defaults (11 and 15 cycles): a contact
    // centre's daily shape changes over weeks, not days, and the wider window averages
    // out more of each interval's Poisson noise (a backtest on generated history: WAPE
    // 15.7 % with the defaults, 15.0 % with these, 13.6 % for the true rates).
    let mut params = stlrs::MstlParams::new();
    params.seasonal_lengths(&SEASONAL_WINDOWS[..seasons.len()]);
    let model = augurs_mstl::MSTLModel::new(seasons.to_vec(), trend).mstl_params(params);
    let fit = model.fit(counts).map_err(|e| e.to_string())?;
    let f = fit.predict(horizon, level).map_err(|e| e.to_string())?;
    let clamp = |v: Vec<f64>| -> Result<Vec<f64>, String> {
        if v.len() != horizon || v.iter().any(|x| !x.is_finite()) {
            return Err("the model gave no finite forecast".into());
        }
        Ok(v.into_iter().map(|x| x.max(0.0)).collect())
    };
    let point = clamp(f.point)?;
    let (lower, upper) = match f.intervals {
        Some(i) => (clamp(i.lower)?, clamp(i.upper)?),
        None => (point.clone(), point.clone()),
    };
    Ok([point, lower, upper])
}

/// Forecasts every queue of `history` for `opts.horizon` intervals after its end.
///
/// # Errors
/// [`PlanError::Forecast`] for a history shorter than two days, a horizon of 0 or beyond
/// [`HORIZON_MAX`], a level outside (0, 1), or a surge naming an unknown queue.
pub fn forecast(history: &History, opts: &Options) -> Result<Forecast, PlanError> {
    let bad = |why: String| Err(PlanError::Forecast(why));
    if opts.horizon == 0 || opts.horizon > HORIZON_MAX {
        return bad(format!("the horizon of {} intervals must be from 1 to {HORIZON_MAX} (four weeks)", opts.horizon));
    }
    if !(opts.level > 0.0 && opts.level < 1.0) {
        return bad(format!("the prediction level {} must be between 0 and 1", opts.level));
    }
    let n = history.len();
    let seasons = seasons(n);
    if seasons.is_empty() {
        return bad(format!(
            "{n} intervals of history ({:.1} days); at least two days ({}) are needed for the daily season, two weeks \
             ({}) for the weekly one",
            n as f64 / INTERVALS_PER_DAY as f64,
            2 * INTERVALS_PER_DAY,
            2 * INTERVALS_PER_WEEK
        ));
    }
    for s in &opts.surges {
        if let Some(q) = &s.queue
            && !history.queues.iter().any(|x| &x.name == q)
        {
            return bad(format!("a surge names queue {q}, which the history does not have"));
        }
    }
    let start = history.end();
    let at = |h: usize| start.plus_ms(h as i64 * INTERVAL_MS);
    let mut queues = Vec::with_capacity(history.queues.len());
    for q in &history.queues {
        let baseline = seasonal_naive(&q.counts, opts.horizon);
        let flat = q.counts.iter().all(|&c| c == 0.0);
        let (method, [mut point, mut lower, mut upper]) =
            match (flat, mstl_ets(&q.counts, &seasons, opts.horizon, opts.level)) {
                (false, Ok(f)) => ("mstl_ets", f),
                // A queue that never had a ticket, or a series the model cannot fit: the
                // baseline, said so in `method`.
                _ => ("seasonal_naive", [baseline.clone(), baseline.clone(), baseline.clone()]),
            };
        for (h, ((p, l), u)) in point.iter_mut().zip(lower.iter_mut()).zip(upper.iter_mut()).enumerate() {
            let t = at(h);
            let m: f64 = opts
                .surges
                .iter()
                .filter(|s| s.queue.as_ref().is_none_or(|x| x == &q.name) && s.from <= t && t < s.to)
                .map(|s| s.multiplier)
                .product();
            *p *= m;
            *l *= m;
            *u *= m;
        }
        let intervals: Vec<Point> = (0..opts.horizon)
            .map(|h| Point {
                start: at(h).to_string(),
                arrivals: point[h],
                lower: lower[h],
                upper: upper[h],
                baseline: baseline[h],
            })
            .collect();
        queues.push(QueueForecast {
            name: q.name.clone(),
            channel: q.channel.clone(),
            method: method.to_owned(),
            total: point.iter().sum(),
            aht_s: q.aht_s,
            patience_s: q.patience_s,
            intervals,
        });
    }
    Ok(Forecast {
        start: start.to_string(),
        start_ms: start.ms(),
        interval_s: (INTERVAL_MS / 1000) as u32,
        horizon_intervals: opts.horizon,
        level: opts.level,
        history_start: history.start.to_string(),
        history_intervals: n,
        seasons,
        queues,
    })
}

/// Weighted absolute percentage error: `sum |forecast - actual| / sum actual` (`None`
/// when nothing arrived).
#[must_use]
pub fn wape(forecast: &[f64], actual: &[f64]) -> Option<f64> {
    let total: f64 = actual.iter().sum();
    (total > 0.0).then(|| forecast.iter().zip(actual).map(|(f, a)| (f - a).abs()).sum::<f64>() / total)
}

/// Bias: `sum (forecast - actual) / sum actual`, positive when the forecast is too high.
#[must_use]
pub fn bias(forecast: &[f64], actual: &[f64]) -> Option<f64> {
    let total: f64 = actual.iter().sum();
    (total > 0.0).then(|| forecast.iter().zip(actual).map(|(f, a)| f - a).sum::<f64>() / total)
}

/// One queue's backtest scores.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueScore {
    /// Queue name.
    pub name: String,
    /// The model used.
    pub method: String,
    /// Arrivals in the held-out days.
    pub actual: f64,
    /// The forecast's total over them.
    pub forecast: f64,
    /// WAPE of the forecast (`None` when nothing arrived).
    pub wape: Option<f64>,
    /// Bias of the forecast.
    pub bias: Option<f64>,
    /// WAPE of the seasonal-naive baseline.
    pub baseline_wape: Option<f64>,
    /// Bias of the baseline.
    pub baseline_bias: Option<f64>,
    /// Whether the forecast's WAPE is below the baseline's.
    pub beats_baseline: bool,
}

/// A backtest: the last days held out, forecast from the rest and scored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Backtest {
    /// Days held out.
    pub holdout_days: usize,
    /// The held-out window.
    pub from: String,
    /// Its end (exclusive).
    pub to: String,
    /// Intervals the models were fitted on.
    pub train_intervals: usize,
    /// Seasons modelled.
    pub seasons: Vec<usize>,
    /// Per queue.
    pub queues: Vec<QueueScore>,
}

/// Holds out the last `days` days of `history`, forecasts them from the rest with the
/// model and with the baseline, and scores both against what arrived.
///
/// # Errors
/// [`PlanError::Forecast`] when `days` is 0 or leaves less than two days to fit on, and
/// as [`forecast`].
pub fn backtest(history: &History, days: usize, level: f64) -> Result<Backtest, PlanError> {
    let holdout = days.saturating_mul(INTERVALS_PER_DAY);
    if days == 0 || holdout >= history.len() {
        return Err(PlanError::Forecast(format!(
            "cannot hold out {days} day(s) of a history of {:.1} days",
            history.len() as f64 / INTERVALS_PER_DAY as f64
        )));
    }
    let (train, test) = history.split_at(history.len() - holdout);
    let f = forecast(&train, &Options { horizon: holdout, level, surges: Vec::new() })?;
    let queues = f
        .queues
        .iter()
        .zip(&test.queues)
        .map(|(qf, actual)| {
            let point: Vec<f64> = qf.intervals.iter().map(|p| p.arrivals).collect();
            let base: Vec<f64> = qf.intervals.iter().map(|p| p.baseline).collect();
            let (w, bw) = (wape(&point, &actual.counts), wape(&base, &actual.counts));
            QueueScore {
                name: qf.name.clone(),
                method: qf.method.clone(),
                actual: actual.counts.iter().sum(),
                forecast: qf.total,
                wape: w,
                bias: bias(&point, &actual.counts),
                baseline_wape: bw,
                baseline_bias: bias(&base, &actual.counts),
                beats_baseline: matches!((w, bw), (Some(a), Some(b)) if a < b),
            }
        })
        .collect();
    Ok(Backtest {
        holdout_days: days,
        from: test.start.to_string(),
        to: test.end().to_string(),
        train_intervals: train.len(),
        seasons: f.seasons,
        queues,
    })
}

impl Forecast {
    /// A forecast that is given counts as they stand (a CSV of planned arrivals): each
    /// interval's arrivals as its point, lower and upper, and as its baseline.
    #[must_use]
    pub fn from_counts(counts: &History) -> Forecast {
        let n = counts.len();
        let at = |i: usize| counts.start.plus_ms(i as i64 * INTERVAL_MS).to_string();
        Forecast {
            start: counts.start.to_string(),
            start_ms: counts.start.ms(),
            interval_s: (INTERVAL_MS / 1000) as u32,
            horizon_intervals: n,
            level: 0.5,
            history_start: counts.start.to_string(),
            history_intervals: 0,
            seasons: Vec::new(),
            queues: counts
                .queues
                .iter()
                .map(|q| QueueForecast {
                    name: q.name.clone(),
                    channel: q.channel.clone(),
                    method: "given".into(),
                    total: q.counts.iter().sum(),
                    aht_s: q.aht_s,
                    patience_s: q.patience_s,
                    intervals: q
                        .counts
                        .iter()
                        .enumerate()
                        .map(|(i, &c)| Point { start: at(i), arrivals: c, lower: c, upper: c, baseline: c })
                        .collect(),
                })
                .collect(),
        }
    }
}
