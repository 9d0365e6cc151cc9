//! Statistics over runs: headline figures from the core's counts, a streaming wait-time
//! histogram, and means with Student-t confidence intervals across replications.

use cs_core::metrics::Counts;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// The headline figures of a slice of the core's metrics (everything, or one queue).
///
/// Ratios are `None` when their denominator is zero. Definitions are the core's
/// (`cs_core::metrics`): service level is answered within the threshold over offered.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Figures {
    /// Episodes offered (tickets that started waiting for a human).
    pub offered: u64,
    /// Answered by an agent.
    pub answered: u64,
    /// Abandoned while waiting.
    pub abandoned: u64,
    /// Expired (time-to-live) while waiting.
    pub expired: u64,
    /// Answered within the queue's threshold over offered.
    pub service_level: Option<f64>,
    /// Average speed of answer, seconds.
    pub asa_s: Option<f64>,
    /// Abandoned over offered.
    pub abandon_rate: Option<f64>,
    /// Agents' busy time over staffed time (only meaningful for everything or a team).
    pub occupancy: Option<f64>,
    /// Average handle time, seconds.
    pub aht_s: Option<f64>,
    /// Longest wait of an answered, abandoned or expired episode, seconds.
    pub wait_max_s: f64,
    /// Conversations the bot resolved over conversations it started.
    pub bot_deflection_rate: Option<f64>,
}

impl Figures {
    /// The figures of one slice of counts.
    pub fn of(c: &Counts) -> Figures {
        Figures {
            offered: c.offered,
            answered: c.answered,
            abandoned: c.abandoned,
            expired: c.expired,
            service_level: c.service_level(),
            asa_s: c.asa_s(),
            abandon_rate: c.abandon_rate(),
            occupancy: c.occupancy(),
            aht_s: c.aht_s(),
            wait_max_s: c.wait_ms_max as f64 / 1000.0,
            bot_deflection_rate: c.bot_deflection_rate(),
        }
    }
}

/// Waits of answered tickets, in fixed-width bins, in constant memory.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Histogram {
    /// Bin width, seconds; bin `i` counts waits in `[i * bin_s, (i + 1) * bin_s)`.
    pub bin_s: f64,
    /// Counts per bin.
    pub counts: Vec<u64>,
    /// Waits at or beyond the last bin's end.
    pub overflow: u64,
    /// Waits of exactly zero (answered on arrival); they are also in bin 0.
    pub zero: u64,
    /// Waits recorded.
    pub count: u64,
    /// Sum of the waits, milliseconds.
    pub sum_ms: u64,
    /// Longest wait, milliseconds.
    pub max_ms: u64,
    #[serde(skip)]
    bin_ms: u64,
}

impl Histogram {
    /// An empty histogram of `bins` bins of `bin_s` seconds (at least one millisecond).
    pub fn new(bin_s: f64, bins: usize) -> Histogram {
        let bin_ms = crate::dist::to_ms(bin_s).max(1) as u64;
        Histogram {
            bin_s: bin_ms as f64 / 1000.0,
            counts: vec![0; bins.max(1)],
            overflow: 0,
            zero: 0,
            count: 0,
            sum_ms: 0,
            max_ms: 0,
            bin_ms,
        }
    }

    /// Records one wait.
    #[inline]
    pub fn record_ms(&mut self, wait_ms: i64) {
        let w = wait_ms.max(0) as u64;
        match self.counts.get_mut((w / self.bin_ms) as usize) {
            Some(c) => *c += 1,
            None => self.overflow += 1,
        }
        self.zero += u64::from(w == 0);
        self.count += 1;
        self.sum_ms += w;
        self.max_ms = self.max_ms.max(w);
    }

    /// Takes back a wait [`Histogram::record_ms`] recorded (an answer the engine withdrew).
    /// The longest wait stays: the ticket's eventual wait is at least this one.
    pub fn remove_ms(&mut self, wait_ms: i64) {
        let w = wait_ms.max(0) as u64;
        match self.counts.get_mut((w / self.bin_ms) as usize) {
            Some(c) => *c = c.saturating_sub(1),
            None => self.overflow = self.overflow.saturating_sub(1),
        }
        self.zero -= u64::from(w == 0 && self.zero > 0);
        self.count = self.count.saturating_sub(1);
        self.sum_ms = self.sum_ms.saturating_sub(w);
    }

    /// Mean wait, seconds.
    pub fn mean_s(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum_ms as f64 / self.count as f64 / 1000.0)
    }

    /// The wait below which a fraction `p` of the waits fall, to the bin's upper edge
    /// (the longest wait if it falls in the overflow).
    pub fn quantile_s(&self, p: f64) -> Option<f64> {
        if self.count == 0 || !(0.0..=1.0).contains(&p) {
            return None;
        }
        let target = (p * self.count as f64).ceil().max(1.0) as u64;
        let mut acc = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            acc += c;
            if acc >= target {
                return Some(((i as u64 + 1) * self.bin_ms).min(self.max_ms.max(1)) as f64 / 1000.0);
            }
        }
        Some(self.max_ms as f64 / 1000.0)
    }

    /// The fraction of recorded waits shorter than `t_s` seconds, counting whole bins
    /// (exact when `t_s` is a multiple of the bin width).
    pub fn fraction_below_s(&self, t_s: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let bins = ((crate::dist::to_ms(t_s).max(0) as u64) / self.bin_ms) as usize;
        let n: u64 = self.counts.iter().take(bins).sum();
        Some(n as f64 / self.count as f64)
    }
}

/// A mean over replications with its Student-t confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// Replications that defined the figure.
    pub n: u32,
    /// Their mean.
    pub mean: f64,
    /// Their sample standard deviation (0 for one replication).
    pub sd: f64,
    /// Half-width of the confidence interval, `t(1 - (1 - confidence) / 2, n - 1) * sd /
    /// sqrt(n)`; `None` with a single replication.
    pub half_width: Option<f64>,
    /// The confidence level of the interval (0.95 unless asked otherwise).
    pub confidence: f64,
}

impl Estimate {
    /// The estimate of `values` at `confidence` (e.g. 0.95); `None` if empty.
    pub fn from_values(values: &[f64], confidence: f64) -> Option<Estimate> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 {
            libm::sqrt(values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64)
        } else {
            0.0
        };
        let half_width =
            (n > 1).then(|| student_t_two_sided(1.0 - confidence, (n - 1) as f64) * sd / libm::sqrt(n as f64));
        Some(Estimate { n: n as u32, mean, sd, half_width, confidence })
    }

    /// Lower end of the interval (the mean with one replication).
    pub fn low(&self) -> f64 {
        self.mean - self.half_width.unwrap_or(0.0)
    }

    /// Upper end of the interval (the mean with one replication).
    pub fn high(&self) -> f64 {
        self.mean + self.half_width.unwrap_or(0.0)
    }

    /// Whether `x` lies in the interval.
    pub fn contains(&self, x: f64) -> bool {
        self.low() <= x && x <= self.high()
    }
}

/// Estimates of the headline figures over replications (see [`Figures`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimates {
    /// Episodes offered.
    pub offered: Option<Estimate>,
    /// Answered.
    pub answered: Option<Estimate>,
    /// Abandoned.
    pub abandoned: Option<Estimate>,
    /// Service level (answered within threshold over offered).
    pub service_level: Option<Estimate>,
    /// Average speed of answer, seconds.
    pub asa_s: Option<Estimate>,
    /// Abandon rate.
    pub abandon_rate: Option<Estimate>,
    /// Occupancy.
    pub occupancy: Option<Estimate>,
    /// Average handle time, seconds.
    pub aht_s: Option<Estimate>,
    /// Longest wait, seconds.
    pub wait_max_s: Option<Estimate>,
    /// Bot deflection rate.
    pub bot_deflection_rate: Option<Estimate>,
}

impl Estimates {
    /// Estimates over the figures of several runs; a figure undefined in a run (no
    /// answers, say) is left out of that figure's estimate.
    pub fn of(runs: &[&Figures], confidence: f64) -> Estimates {
        let est = |f: &dyn Fn(&Figures) -> Option<f64>| {
            let v: Vec<f64> = runs.iter().filter_map(|r| f(r)).collect();
            Estimate::from_values(&v, confidence)
        };
        Estimates {
            offered: est(&|f| Some(f.offered as f64)),
            answered: est(&|f| Some(f.answered as f64)),
            abandoned: est(&|f| Some(f.abandoned as f64)),
            service_level: est(&|f| f.service_level),
            asa_s: est(&|f| f.asa_s),
            abandon_rate: est(&|f| f.abandon_rate),
            occupancy: est(&|f| f.occupancy),
            aht_s: est(&|f| f.aht_s),
            wait_max_s: est(&|f| Some(f.wait_max_s)),
            bot_deflection_rate: est(&|f| f.bot_deflection_rate),
        }
    }
}

/// The standard normal quantile: `x` with `P(Z <= x) = p`, for `0 < p < 1` (`-inf` at or
/// below 0, `+inf` at or above 1), from `statrs` (through the inverse complementary error
/// function, accurate to about 1e-15).
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() || p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    Normal::standard().inverse_cdf(p)
}

/// Student's t quantile for a two-sided tail probability: `t` with `P(|T| > t) = p` for
/// `df` degrees of freedom, from `statrs` (NaN unless `0 < p < 1` and `df >= 1`).
pub fn student_t_two_sided(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0 && df >= 1.0) {
        return f64::NAN;
    }
    match StudentsT::new(0.0, 1.0, df) {
        // The upper quantile of the one-sided tail `p / 2`, by symmetry the lower one's
        // negation: computed from the lower side, where `p / 2` loses no precision to a
        // subtraction from 1.
        Ok(t) => -t.inverse_cdf(0.5 * p),
        Err(_) => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written standard normal quantile this module used before `statrs`: `x` with `P(Z <= x) = p`, for `0 < p < 1`.
    ///
    /// Acklam's rational approximation refined by one Halley step on `erfc`, accurate to
    /// about 1e-15.
    fn hand_normal_quantile(p: f64) -> f64 {
        const A: [f64; 6] = [
            -3.969_683_028_665_376e1,
            2.209_460_984_245_205e2,
            -2.759_285_104_469_687e2,
            1.383_577_518_672_69e2,
            -3.066_479_806_614_716e1,
            2.506_628_277_459_239,
        ];
        const B: [f64; 5] = [
            -5.447_609_879_822_406e1,
            1.615_858_368_580_409e2,
            -1.556_989_798_598_866e2,
            6.680_131_188_771_972e1,
            -1.328_068_155_288_572e1,
        ];
        const C: [f64; 6] = [
            -7.784_894_002_430_293e-3,
            -3.223_964_580_411_365e-1,
            -2.400_758_277_161_838,
            -2.549_732_539_343_734,
            4.374_664_141_464_968,
            2.938_163_982_698_783,
        ];
        const D: [f64; 4] =
            [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
        if p.is_nan() || p <= 0.0 {
            return f64::NEG_INFINITY;
        }
        if p >= 1.0 {
            return f64::INFINITY;
        }
        let tail = |q: f64| {
            (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
                / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
        };
        let plow = 0.02425;
        let x = if p < plow {
            tail(libm::sqrt(-2.0 * libm::log(p)))
        } else if p <= 1.0 - plow {
            let q = p - 0.5;
            let r = q * q;
            (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
                / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
        } else {
            -tail(libm::sqrt(-2.0 * libm::log1p(-p)))
        };
        // One Halley step against the exact normal CDF.
        let e = 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2) - p;
        let u = e * libm::sqrt(2.0 * std::f64::consts::PI) * libm::exp(x * x / 2.0);
        x - u / (1.0 + x * u / 2.0)
    }

    /// The hand-written Student's t quantile this module used before `statrs`, for a two-sided tail probability: `t` with `P(|T| > t) = p` for
    /// `df` degrees of freedom (G. W. Hill, "Algorithm 396: Student's t-quantiles",
    /// CACM 13(10), 1970; relative error around 1e-6 or better).
    fn hand_student_t_two_sided(p: f64, df: f64) -> f64 {
        use std::f64::consts::PI;
        if !(p > 0.0 && p < 1.0 && df >= 1.0) {
            return f64::NAN;
        }
        let n = df;
        if n == 1.0 {
            return 1.0 / libm::tan(p * PI / 2.0);
        }
        if n == 2.0 {
            return libm::sqrt(2.0 / (p * (2.0 - p)) - 2.0);
        }
        let a = 1.0 / (n - 0.5);
        let b = 48.0 / (a * a);
        let mut c = ((20700.0 * a / b - 98.0) * a - 16.0) * a + 96.36;
        let d = ((94.5 / (b + c) - 3.0) / b + 1.0) * libm::sqrt(a * PI / 2.0) * n;
        let x = d * p;
        let mut y = libm::pow(x, 2.0 / n);
        if y > 0.05 + a {
            let x = hand_normal_quantile(0.5 * p);
            y = x * x;
            if n < 5.0 {
                c += 0.3 * (n - 4.5) * (x + 0.6);
            }
            c += (((0.05 * d * x - 5.0) * x - 7.0) * x - 2.0) * x + b;
            y = (((((0.4 * y + 6.3) * y + 36.0) * y + 94.5) / c - y - 3.0) / b + 1.0) * x;
            y = a * y * y;
            y = if y > 0.002 { libm::exp(y) - 1.0 } else { 0.5 * y * y + y };
        } else {
            y = ((1.0 / (((n + 6.0) / (n * y) - 0.089 * d - 0.822) * (n + 2.0) * 3.0) + 0.5 / (n + 4.0)) * y - 1.0)
                * (n + 1.0)
                / (n + 2.0)
                + 1.0 / y;
        }
        libm::sqrt(n * y)
    }

    /// `statrs` gives the quantiles the hand-written code gave, to within its stated
    /// accuracy: 1e-12 relative for the normal quantile (Acklam's approximation after a
    /// Halley step), 1e-5 relative for Student's t (Hill's algorithm, about 1e-6), over the
    /// confidence levels and replication counts the simulator takes; so the intervals it
    /// reports are the same to that tolerance.
    #[test]
    fn statrs_quantiles_match_the_hand_written_ones() {
        for i in 1..1000 {
            let p = f64::from(i) / 1000.0;
            let (got, want) = (normal_quantile(p), hand_normal_quantile(p));
            assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "z({p}) = {got}, hand-written {want}");
        }
        for p in [1e-10, 1e-6, 1.0 - 1e-9] {
            let (got, want) = (normal_quantile(p), hand_normal_quantile(p));
            assert!((got - want).abs() <= 1e-9 * want.abs(), "z({p}) = {got}, hand-written {want}");
        }
        for confidence in [0.5, 0.8, 0.9, 0.95, 0.99, 0.999] {
            let p = 1.0 - confidence;
            for n in (2..=40).chain([50, 100, 1000, 10_000]) {
                let df = f64::from(n - 1);
                let (got, want) = (student_t_two_sided(p, df), hand_student_t_two_sided(p, df));
                assert!((got - want).abs() <= 1e-5 * want, "t({p}, {df}) = {got}, hand-written {want}");
            }
        }
        // Out of range as before.
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
        assert!(student_t_two_sided(0.0, 5.0).is_nan() && student_t_two_sided(0.05, 0.5).is_nan());
        // An interval from five replications, both ways.
        let values = [10.0, 12.0, 9.5, 11.0, 13.5];
        let e = Estimate::from_values(&values, 0.95).unwrap();
        let hand = hand_student_t_two_sided(0.05, 4.0) * e.sd / libm::sqrt(5.0);
        assert!((e.half_width.unwrap() - hand).abs() <= 1e-5 * hand, "{e:?} vs {hand}");
    }

    #[test]
    fn t_quantiles_match_tables() {
        // Two-sided 5 % and 0.1 % points from standard tables.
        let table = [
            (0.05, 1.0, 12.7062),
            (0.05, 2.0, 4.3027),
            (0.05, 3.0, 3.1824),
            (0.05, 4.0, 2.7764),
            (0.05, 9.0, 2.2622),
            (0.05, 29.0, 2.0452),
            (0.05, 1000.0, 1.9623),
            (0.001, 9.0, 4.7809),
            (0.001, 19.0, 3.8834),
            (0.01, 5.0, 4.0321),
        ];
        for (p, df, want) in table {
            let got = student_t_two_sided(p, df);
            assert!((got - want).abs() < 2e-4, "t({p}, {df}) = {got}, table {want}");
        }
    }

    #[test]
    fn normal_quantiles() {
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
        assert!((normal_quantile(0.5)).abs() < 1e-15);
        assert!((normal_quantile(1e-10) + 6.361_340_902_404_056).abs() < 1e-9);
    }

    #[test]
    fn estimates_and_histograms() {
        let e = Estimate::from_values(&[1.0, 2.0, 3.0, 4.0], 0.95).unwrap();
        assert_eq!(e.mean, 2.5);
        assert!((e.sd - 1.290_994_448_735_805_6).abs() < 1e-12);
        assert!((e.half_width.unwrap() - 3.182_446 * e.sd / 2.0).abs() < 1e-4);
        assert!(e.contains(2.0) && !e.contains(10.0));
        assert_eq!(Estimate::from_values(&[5.0], 0.95).unwrap().half_width, None);

        let mut h = Histogram::new(1.0, 10);
        for ms in [0, 0, 500, 1500, 9_999, 12_000] {
            h.record_ms(ms);
        }
        assert_eq!(h.counts[0], 3);
        assert_eq!(h.counts[1], 1);
        assert_eq!(h.counts[9], 1);
        assert_eq!((h.overflow, h.zero, h.count, h.max_ms), (1, 2, 6, 12_000));
        assert_eq!(h.quantile_s(0.5), Some(1.0));
        assert_eq!(h.quantile_s(1.0), Some(12.0));
        assert_eq!(h.fraction_below_s(1.0), Some(0.5));
    }
}
