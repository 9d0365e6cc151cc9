//! Random streams and the distributions a scenario draws from.
//!
//! Every draw comes from a [`Stream`]: a ChaCha8 generator keyed by the run's seed and
//! numbered by what it is for (arrivals, handle times, patience, customer mix, bot) and
//! which queue. Streams are independent, so adding a queue or changing one queue's handle
//! times leaves every other queue's draws as they were. Transcendental functions go
//! through `libm`, whose results do not depend on the platform's maths library, so a
//! seed gives the same numbers on every machine.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use std::sync::LazyLock;

/// What a stream is for. With a queue index it names one ChaCha stream of the seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Arrival times of one queue.
    Arrivals = 1,
    /// Handle times of one queue.
    Service = 2,
    /// Patience of one queue's customers.
    Patience = 3,
    /// Customer attributes (tier, urgency, emotion, category, language, repeat customer).
    Mix = 4,
    /// Bot time and outcome.
    Bot = 5,
    /// When agents first reply.
    Reply = 6,
    /// Back-and-forth: who writes again, when, and how soon agents answer.
    Conversation = 7,
    /// Reopens: who reopens, and when.
    Reopen = 8,
    /// Transfers: which tickets agents transfer.
    Transfer = 9,
}

/// SplitMix64: expands a 64-bit seed into well-mixed words (Steele, Lea and Flood 2014).
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One independent random stream.
#[derive(Clone, Debug)]
pub(crate) struct Stream(ChaCha8Rng);

/// 2^-53: the spacing of the 53-bit uniform grid.
const UNIT: f64 = 1.0 / (1u64 << 53) as f64;

impl Stream {
    /// The stream for `purpose` and `index` (a queue) under `seed`.
    ///
    /// The 256-bit ChaCha key is the seed expanded with SplitMix64; the 64-bit ChaCha
    /// stream number is `purpose << 32 | index`.
    pub(crate) fn new(seed: u64, purpose: Purpose, index: u32) -> Stream {
        let mut s = seed;
        let mut key = [0u8; 32];
        for chunk in key.chunks_exact_mut(8) {
            chunk.copy_from_slice(&splitmix64(&mut s).to_le_bytes());
        }
        let mut rng = ChaCha8Rng::from_seed(key);
        rng.set_stream(((purpose as u64) << 32) | u64::from(index));
        Stream(rng)
    }

    /// Uniform on `[0, 1)`, 53 bits.
    #[inline]
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * UNIT
    }

    /// Uniform on `(0, 1]`, 53 bits (safe to take the logarithm of).
    #[inline]
    pub(crate) fn uniform_open0(&mut self) -> f64 {
        ((self.0.next_u64() >> 11) + 1) as f64 * UNIT
    }

    /// Exponential with mean 1, by the ziggurat method (see [`ExpZiggurat`]): one 64-bit
    /// draw and a multiplication for 98.9 % of the values, no logarithm.
    #[inline]
    pub(crate) fn exp1(&mut self) -> f64 {
        let z = &*EXP_ZIGGURAT;
        loop {
            let bits = self.0.next_u64();
            // The low 8 bits pick the layer; the top 53, independent of them, the point.
            let i = (bits & 0xff) as usize;
            let x = (bits >> 11) as f64 * UNIT * z.x[i];
            if x < z.x[i + 1] {
                return x; // inside the layer's part that lies wholly under the density
            }
            if i == 0 {
                // The base layer's overhang is the tail beyond R: by memorylessness,
                // R plus an exponential, drawn by inversion.
                return ZIG_EXP_R - libm::log(self.uniform_open0());
            }
            // The wedge between the layer's inner and outer edges: accept under e^-x.
            if z.f[i] + (z.f[i + 1] - z.f[i]) * self.uniform() < libm::exp(-x) {
                return x;
            }
        }
    }

    /// Standard normal, by the Box-Muller transform (one of the pair is used).
    pub(crate) fn normal(&mut self) -> f64 {
        let r = libm::sqrt(-2.0 * libm::log(self.uniform_open0()));
        r * libm::cos(std::f64::consts::TAU * self.uniform())
    }

    /// An index below `n` (`n >= 1`), by Lemire's multiply-shift. The bias is below
    /// `n / 2^64`, far under anything a simulation could detect.
    #[inline]
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.0.next_u64()) * n as u128) >> 64) as usize
    }
}

/// Where the exponential ziggurat's base layer ends and its tail begins (Marsaglia and
/// Tsang 2000, 256 layers).
const ZIG_EXP_R: f64 = 7.697_117_470_131_05;
/// The area of each of the exponential ziggurat's layers (the same paper).
const ZIG_EXP_V: f64 = 0.003_949_659_822_581_572;

/// Marsaglia and Tsang's ziggurat for the exponential density `e^-x` ("The ziggurat method
/// for generating random variables", 2000): 256 horizontal layers of equal area `V`.
/// Layer `i` spans `[0, x[i]]` across and `[f[i], f[i + 1]]` up, with `f = e^-x`; `x`
/// falls from `x[0] = V / e^-R` (the base layer, which also stands for the tail beyond
/// `R`) through `x[1] = R` to `x[256] = 0`.
///
/// Built once, with `libm`, so every machine gets the same tables and the same draws.
struct ExpZiggurat {
    x: [f64; 257],
    f: [f64; 257],
}

static EXP_ZIGGURAT: LazyLock<ExpZiggurat> = LazyLock::new(ExpZiggurat::new);

impl ExpZiggurat {
    fn new() -> ExpZiggurat {
        let mut x = [0.0; 257];
        x[0] = ZIG_EXP_V / libm::exp(-ZIG_EXP_R);
        x[1] = ZIG_EXP_R;
        // Each layer has area V: x[i] * (e^-x[i+1] - e^-x[i]) = V.
        for i in 1..256 {
            x[i + 1] = -libm::log(ZIG_EXP_V / x[i] + libm::exp(-x[i]));
        }
        x[256] = 0.0; // the recurrence lands within rounding of it (checked in the tests)
        let mut f = [0.0; 257];
        for (f, x) in f.iter_mut().zip(&x) {
            *f = libm::exp(-x);
        }
        ExpZiggurat { x, f }
    }
}

/// A distribution of durations, in seconds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Dist {
    /// Exponential with this mean.
    Exponential {
        /// Mean, seconds.
        mean_s: f64,
    },
    /// Log-normal with this mean and standard deviation (of the duration itself).
    LogNormal {
        /// Mean, seconds.
        mean_s: f64,
        /// Standard deviation, seconds.
        sd_s: f64,
        /// Location of the underlying normal.
        mu: f64,
        /// Scale of the underlying normal.
        sigma: f64,
    },
    /// Always this long.
    Fixed {
        /// Seconds.
        s: f64,
    },
    /// One of these values, each equally likely.
    Empirical {
        /// Seconds.
        values_s: Vec<f64>,
    },
}

impl Dist {
    /// A log-normal with the given mean and standard deviation of the duration:
    /// `sigma^2 = ln(1 + sd^2 / mean^2)`, `mu = ln(mean) - sigma^2 / 2`.
    pub(crate) fn lognormal(mean_s: f64, sd_s: f64) -> Dist {
        let s2 = libm::log1p((sd_s / mean_s) * (sd_s / mean_s));
        Dist::LogNormal { mean_s, sd_s, mu: libm::log(mean_s) - s2 / 2.0, sigma: libm::sqrt(s2) }
    }

    /// The mean, seconds.
    pub(crate) fn mean_s(&self) -> f64 {
        match self {
            Dist::Exponential { mean_s } | Dist::LogNormal { mean_s, .. } => *mean_s,
            Dist::Fixed { s } => *s,
            Dist::Empirical { values_s } => values_s.iter().sum::<f64>() / values_s.len() as f64,
        }
    }

    /// One draw, seconds.
    #[inline]
    pub(crate) fn sample_s(&self, rng: &mut Stream) -> f64 {
        match self {
            Dist::Exponential { mean_s } => mean_s * rng.exp1(),
            Dist::LogNormal { mu, sigma, .. } => libm::exp(mu + sigma * rng.normal()),
            Dist::Fixed { s } => *s,
            Dist::Empirical { values_s } => values_s[rng.below(values_s.len())],
        }
    }

    /// One draw rounded to whole milliseconds (the core's time unit).
    #[inline]
    pub(crate) fn sample_ms(&self, rng: &mut Stream) -> i64 {
        to_ms(self.sample_s(rng))
    }
}

/// Seconds to whole milliseconds, rounding half away from zero, saturating (NaN gives 0).
///
/// Rounds in integers, which costs a few instructions where a call to `round` costs
/// twenty: `x as i64` truncates toward zero, and the fraction `x - trunc(x)` is exact (by
/// Sterbenz's lemma for `|x| >= 1`, trivially below; above 2^52 every float is whole), so
/// comparing it with one half decides exactly as `round` would.
#[inline]
pub(crate) fn to_ms(s: f64) -> i64 {
    let x = s * 1000.0;
    if x >= i64::MAX as f64 {
        return i64::MAX;
    }
    let t = x as i64;
    let frac = x - t as f64;
    if frac >= 0.5 {
        t + 1
    } else if frac <= -0.5 {
        t.saturating_sub(1)
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(d: &Dist, n: usize) -> (f64, f64) {
        let mut rng = Stream::new(42, Purpose::Service, 0);
        let xs: Vec<f64> = (0..n).map(|_| d.sample_s(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
        (mean, var.sqrt())
    }

    #[test]
    fn streams_are_reproducible_and_independent() {
        let mut a = Stream::new(7, Purpose::Arrivals, 0);
        let mut b = Stream::new(7, Purpose::Arrivals, 0);
        let mut c = Stream::new(7, Purpose::Arrivals, 1);
        let mut d = Stream::new(8, Purpose::Arrivals, 0);
        let xa: Vec<f64> = (0..4).map(|_| a.uniform()).collect();
        let xb: Vec<f64> = (0..4).map(|_| b.uniform()).collect();
        let xc: Vec<f64> = (0..4).map(|_| c.uniform()).collect();
        let xd: Vec<f64> = (0..4).map(|_| d.uniform()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
        assert_ne!(xa, xd);
    }

    #[test]
    fn distributions_have_their_moments() {
        let n = 200_000;
        // Standard errors: sd / sqrt(n); 5 of them is a generous but honest bound.
        let (m, s) = moments(&Dist::Exponential { mean_s: 300.0 }, n);
        assert!((m - 300.0).abs() < 5.0 * 300.0 / (n as f64).sqrt(), "exponential mean {m}");
        assert!((s - 300.0).abs() < 0.02 * 300.0, "exponential sd {s}");
        let (m, s) = moments(&Dist::lognormal(240.0, 120.0), n);
        assert!((m - 240.0).abs() < 5.0 * 120.0 / (n as f64).sqrt(), "lognormal mean {m}");
        assert!((s - 120.0).abs() < 0.03 * 120.0, "lognormal sd {s}");
        let (m, s) = moments(&Dist::Fixed { s: 12.5 }, 10);
        assert_eq!((m, s), (12.5, 0.0));
        let e = Dist::Empirical { values_s: vec![10.0, 20.0, 60.0] };
        let (m, _) = moments(&e, n);
        assert!((m - 30.0).abs() < 5.0 * 21.6 / (n as f64).sqrt(), "empirical mean {m}");
        assert_eq!(e.mean_s(), 30.0);
    }

    #[test]
    fn the_exponential_ziggurat_closes_at_zero() {
        // With Marsaglia and Tsang's R and V the layers' recurrence ends at the top of the
        // density: the last computed edge is zero to rounding, so fixing it at zero
        // changes no layer's area measurably.
        let mut x = ZIG_EXP_R;
        for _ in 1..256 {
            x = -libm::log(ZIG_EXP_V / x + libm::exp(-x));
        }
        assert!(x.abs() < 1e-9, "last edge {x}");
        let z = ExpZiggurat::new();
        assert!(z.x.windows(2).all(|w| w[0] > w[1]), "edges fall");
        assert!((z.x[0] - (ZIG_EXP_R + 1.0)).abs() < 1e-9, "base layer covers [0, R] and the tail");
        assert_eq!((z.f[256], z.x[256]), (1.0, 0.0));
    }

    #[test]
    fn exp1_follows_the_exponential_into_its_tail() {
        // Chi-square over bins of equal probability plus finer bins far out, where the
        // wedges and the tail beyond R are sampled (the tail holds e^-R = 4.5e-4 of the mass).
        let mut edges: Vec<f64> = (1..40).map(|k| -libm::log(1.0 - f64::from(k) / 40.0)).collect();
        edges.extend([4.5, 5.5, 6.5, ZIG_EXP_R, 9.0]);
        edges.sort_by(f64::total_cmp);
        let cdf = |x: f64| 1.0 - libm::exp(-x);
        let n = 1_000_000;
        let mut counts = vec![0u64; edges.len() + 1];
        let mut rng = Stream::new(3, Purpose::Service, 0);
        for _ in 0..n {
            let x = rng.exp1();
            assert!(x >= 0.0 && x.is_finite());
            counts[edges.partition_point(|&e| e <= x)] += 1;
        }
        let mut chi2 = 0.0;
        for (b, &c) in counts.iter().enumerate() {
            let lo = if b == 0 { 0.0 } else { cdf(edges[b - 1]) };
            let hi = if b == edges.len() { 1.0 } else { cdf(edges[b]) };
            let expected = (hi - lo) * f64::from(n);
            chi2 += (c as f64 - expected).powi(2) / expected;
        }
        // 44 degrees of freedom: the 99.9th percentile of chi-square is 78.7.
        assert!(chi2 < 78.7, "chi-square {chi2:.1} over {} bins: {counts:?}", counts.len());
        assert!(counts[edges.len()] > 0, "draws beyond R reach the tail");
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = Stream::new(1, Purpose::Mix, 3);
        let mut seen = [0u32; 3];
        for _ in 0..3000 {
            seen[r.below(3)] += 1;
        }
        assert!(seen.iter().all(|&n| n > 850), "{seen:?}");
    }

    #[test]
    fn rounding_to_ms() {
        assert_eq!(to_ms(1.0006), 1001);
        assert_eq!(to_ms(0.0004), 0);
        assert_eq!(to_ms(0.0), 0);
        assert_eq!(to_ms(0.0005), 1);
        assert_eq!(to_ms(-0.0005), -1);
        assert_eq!(to_ms(f64::INFINITY), i64::MAX);
        assert_eq!(to_ms(f64::NEG_INFINITY), i64::MIN);
        assert_eq!(to_ms(f64::NAN), 0);
    }

    /// What `to_ms` must equal: `round` (half away from zero), then a saturating cast.
    fn to_ms_by_round(s: f64) -> i64 {
        let ms = libm::round(s * 1000.0);
        if ms >= i64::MAX as f64 { i64::MAX } else { ms as i64 }
    }

    proptest::proptest! {
        #[test]
        fn to_ms_rounds_as_round_does(bits in proptest::num::u64::ANY, ms in -1.0e7f64..1.0e7, half in -1_000_000i64..1_000_000) {
            // Any float at all, ordinary durations, and values a hair either side of a half.
            let exact_half = (half as f64 + 0.5) / 1000.0;
            for s in [f64::from_bits(bits), ms / 1000.0, exact_half, exact_half.next_up(), exact_half.next_down()] {
                proptest::prop_assert_eq!(to_ms(s), to_ms_by_round(s), "{}", s);
            }
        }
    }
}
