//! `cs forecast`: a generated history with a known daily and weekly shape and Poisson
//! noise; the backtest's figures checked against what the generator's true rates give,
//! the forecast against the true rates, CSV, event logs and surges, and bad input.

use crate::{cs, scratch};
use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The history's first interval: Monday 2026-01-05 00:00 UTC.
pub const START_MS: i64 = 1_767_571_200_000;
const INTERVAL_MS: i64 = 900_000;

/// A queue of the generator: its name, channel and peak arrivals per 15 minutes.
pub const QUEUES: [(&str, &str, f64); 2] = [("chat", "chat", 60.0), ("phone", "phone", 30.0)];

/// The daily shape, per hour (a share of the peak): quiet nights, a late-morning peak
/// and a smaller afternoon one.
const DAY: [f64; 24] = [
    0.04, 0.03, 0.02, 0.02, 0.03, 0.05, 0.12, 0.30, 0.60, 0.85, 0.97, 1.00, 0.90, 0.85, 0.88, 0.92, 0.85, 0.72, 0.60,
    0.50, 0.42, 0.30, 0.16, 0.08,
];
/// The weekly shape, Monday first.
const WEEK: [f64; 7] = [1.15, 1.05, 1.0, 1.0, 0.95, 0.60, 0.45];

/// The true rate (expected arrivals) of queue `peak` in interval `i` from the start:
/// hourly shape interpolated linearly within the hour, times the weekday's factor.
pub fn true_rate(peak: f64, i: usize) -> f64 {
    let day = (i / 96) % 7;
    let h = (i % 96) as f64 / 4.0;
    let (a, b) = (DAY[h as usize], DAY[(h as usize + 1) % 24]);
    peak * WEEK[day] * (a + (b - a) * h.fract())
}

/// SplitMix64: the generator's own random numbers, independent of the program's.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A Poisson draw by inversion (rates here stay below 100).
    fn poisson(&mut self, rate: f64) -> u64 {
        let u = self.uniform();
        let (mut k, mut p) = (0u64, (-rate).exp());
        let mut cdf = p;
        while u > cdf && k < 10_000 {
            k += 1;
            p *= rate / k as f64;
            cdf += p;
        }
        k
    }
}

/// `days` of Poisson counts per queue per interval: `counts[queue][interval]`.
pub fn generate(days: usize, seed: u64) -> Vec<Vec<u64>> {
    let mut rng = Rng(seed);
    QUEUES.iter().map(|&(_, _, peak)| (0..days * 96).map(|i| rng.poisson(true_rate(peak, i))).collect()).collect()
}

/// The counts as the CSV `cs forecast` reads.
pub fn csv(counts: &[Vec<u64>]) -> String {
    let mut out = String::from("interval,queue,channel,arrivals\n");
    for (q, &(name, channel, _)) in QUEUES.iter().enumerate() {
        for (i, c) in counts[q].iter().enumerate() {
            out.push_str(&format!("{},{name},{channel},{c}\n", START_MS + i as i64 * INTERVAL_MS));
        }
    }
    out
}

fn write(name: &str, text: &str) -> PathBuf {
    let path = scratch(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn forecast_json(history: &Path, extra: &[&str]) -> Value {
    let mut args: Vec<&OsStr> = vec!["forecast".as_ref(), history.as_os_str(), "--json".as_ref()];
    args.extend(extra.iter().map(OsStr::new));
    let r = cs(args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()
}

fn num(j: &Value, key: &str) -> f64 {
    j[key].as_f64().unwrap_or_else(|| panic!("{key}: {} is not a number in {j}", j[key]))
}

#[test]
fn the_backtest_beats_seasonal_naive_as_the_true_rates_say_it_should() {
    let days = 42;
    let counts = generate(days, 7);
    let path = write("forecast-history.csv", &csv(&counts));
    let j = forecast_json(&path, &["--backtest", "--days", "7"]);
    let queues = j["queues"].as_array().unwrap();
    assert_eq!(queues.len(), 2);
    let held = (days - 7) * 96..days * 96;
    for (q, &(name, _, peak)) in QUEUES.iter().enumerate() {
        let got = &queues[q];
        assert_eq!(got["name"], name);
        let actual: Vec<f64> = counts[q][held.clone()].iter().map(|&c| c as f64).collect();
        let total: f64 = actual.iter().sum();
        // The best any forecast can do: the true rates themselves.
        let oracle: f64 = held.clone().zip(&actual).map(|(i, a)| (true_rate(peak, i) - a).abs()).sum::<f64>() / total;
        // Seasonal naive as the generator computes it: last week's counts.
        let naive: f64 =
            held.clone().zip(&actual).map(|(i, a)| (counts[q][i - 7 * 96] as f64 - a).abs()).sum::<f64>() / total;
        let (wape, baseline) = (num(got, "wape"), num(got, "baseline_wape"));
        eprintln!("{name}: wape {wape:.4} naive {baseline:.4} true rates {oracle:.4}");
        assert!((baseline - naive).abs() < 1e-9, "{name}: the baseline is last week's counts: {baseline} vs {naive}");
        assert!(wape < baseline, "{name}: MSTL/ETS {wape} beats seasonal naive {baseline}");
        assert!(wape >= oracle * 0.97, "{name}: {wape} cannot beat the true rates' {oracle} by more than noise");
        assert!(wape <= oracle * 1.15, "{name}: {wape} is within 15 % of the true rates' {oracle}");
        // Naive carries two weeks' noise (about sqrt 2 times one week's).
        assert!(baseline > oracle * 1.25, "{name}: naive {baseline} vs true rates {oracle}");
        assert!(num(got, "bias").abs() < 0.05, "{name}: bias {}", got["bias"]);
        assert_eq!(num(got, "actual"), total);
    }
}

#[test]
fn the_forecast_follows_the_true_rates_and_known_surges() {
    let days = 28;
    let counts = generate(days, 11);
    let path = write("forecast-28.csv", &csv(&counts));
    let (csv_out, svg_out) = (scratch("forecast-out.csv"), scratch("forecast-out.svg"));
    let j = forecast_json(
        &path,
        &["--horizon", "48h", "--csv", csv_out.to_str().unwrap(), "--svg", svg_out.to_str().unwrap()],
    );
    assert_eq!(num(&j, "horizon_intervals"), 192.0);
    assert_eq!(num(&j, "start_ms"), (START_MS + days as i64 * 96 * INTERVAL_MS) as f64);
    assert_eq!(j["seasons"], serde_json::json!([96, 672]));
    for (q, &(name, channel, peak)) in QUEUES.iter().enumerate() {
        let f = &j["queues"][q];
        assert_eq!(f["name"], name);
        assert_eq!(f["channel"], channel);
        assert_eq!(f["method"], "mstl_ets");
        let points = f["intervals"].as_array().unwrap();
        let truth: Vec<f64> = (days * 96..(days + 2) * 96).map(|i| true_rate(peak, i)).collect();
        let err: f64 = points.iter().zip(&truth).map(|(p, t)| (num(p, "arrivals") - t).abs()).sum::<f64>();
        let total: f64 = truth.iter().sum();
        // Against the true rates, not the noisy counts: the estimate keeps some of the
        // history's noise (each weekly interval is seen four times), but much less than
        // last week's counts (seasonal naive) carry.
        let naive: f64 = (days * 96..(days + 2) * 96)
            .zip(&truth)
            .map(|(i, t)| (counts[q][i - 7 * 96] as f64 - t).abs())
            .sum::<f64>();
        eprintln!("{name}: off the true rates by {:.4}, naive by {:.4}", err / total, naive / total);
        assert!(err < 0.7 * naive, "{name}: {:.3} of the true volume off, naive {:.3}", err / total, naive / total);
        assert!(err / total < 0.12, "{name}: {:.3} of the true volume off", err / total);
        for p in points {
            assert!(num(p, "lower") <= num(p, "arrivals") && num(p, "arrivals") <= num(p, "upper"), "{p}");
            assert!(num(p, "lower") >= 0.0);
        }
    }
    let text = std::fs::read_to_string(&csv_out).unwrap();
    assert_eq!(text.lines().count(), 1 + 2 * 192);
    assert!(std::fs::read_to_string(&svg_out).unwrap().starts_with("<svg"));

    // A promotion tripling chat from 10:00 to 12:00 on the first day, nothing else.
    let day0 = START_MS + days as i64 * 96 * INTERVAL_MS;
    let surge =
        format!("{},{},3,chat", cs_core::Timestamp(day0 + 10 * 3_600_000), cs_core::Timestamp(day0 + 12 * 3_600_000));
    let s = forecast_json(&path, &["--surge", &surge]);
    for q in 0..2 {
        for i in 0..192 {
            let (a, b) =
                (num(&j["queues"][q]["intervals"][i], "arrivals"), num(&s["queues"][q]["intervals"][i], "arrivals"));
            let m = if q == 0 && (40..48).contains(&i) { 3.0 } else { 1.0 };
            assert!((b - a * m).abs() < 1e-9, "queue {q} interval {i}: {b} vs {a} x {m}");
        }
    }
}

#[test]
fn a_simulated_event_log_is_a_history_too() {
    // Two days of a chat desk with a daily profile, simulated, then forecast from its log.
    let scenario = write(
        "forecast-scenario.toml",
        r#"
name = "log-history"
seed = 3
duration_s = 259200
[[queues]]
name = "chat"
channel = "chat"
skills = ["chat"]
arrivals = { kind = "profile", per_hour = [4, 4, 4, 4, 4, 8, 16, 40, 80, 120, 140, 140, 120, 120, 120, 110, 100, 80, 60, 40, 30, 20, 10, 6] }
handle_time = { kind = "exponential", mean_s = 60 }
[[teams]]
name = "desk"
agents = 10
skills = { chat = 1 }
capacity = { chat = 1 }
"#,
    );
    let log = scratch("forecast-history.jsonl");
    let r = cs([OsStr::new("simulate"), scenario.as_os_str(), "--events".as_ref(), log.as_os_str()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = forecast_json(&log, &["--horizon", "24h"]);
    assert_eq!(j["seasons"], serde_json::json!([96]), "three days: the daily season only");
    let f = &j["queues"][0];
    assert_eq!(f["name"], "chat");
    assert_eq!(f["channel"], "chat");
    // About 1,530 a day in the profile.
    let total = num(f, "total");
    assert!((1300.0..1800.0).contains(&total), "{total}");

    // The same log in a store gives the same forecast.
    let store = scratch("forecast-store");
    let _ = std::fs::remove_dir_all(&store);
    let r = cs([
        OsStr::new("import"),
        log.as_os_str(),
        "--store".as_ref(),
        store.as_os_str(),
        "--partition".as_ref(),
        "desk".as_ref(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = cs([
        OsStr::new("forecast"),
        "--store".as_ref(),
        store.as_os_str(),
        "--partition".as_ref(),
        "desk".as_ref(),
        "--horizon".as_ref(),
        "24h".as_ref(),
        "--json".as_ref(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json(), j, "from the store as from the file");

    // A log with an assignment taken out is not one the engine wrote: refused, by line.
    let text = std::fs::read_to_string(&log).unwrap();
    let cut = text.lines().position(|l| l.contains("\"TicketAssigned\"")).unwrap();
    let damaged: String = text.lines().enumerate().filter(|&(i, _)| i != cut).map(|(_, l)| format!("{l}\n")).collect();
    let bad = write("forecast-damaged.jsonl", &damaged);
    let r = cs([OsStr::new("forecast"), bad.as_os_str()]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("forecast-damaged.jsonl:") && r.stderr.contains("cannot be replayed"), "{}", r.stderr);
}

#[test]
fn bad_histories_and_flags_are_refused_with_the_reason() {
    let short = write("forecast-short.csv", &csv(&generate(1, 1)));
    let r = cs([OsStr::new("forecast"), short.as_os_str()]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("at least two days"), "{}", r.stderr);

    let bad = write("forecast-bad.csv", "interval,queue,arrivals\n2026-01-05T00:07:00Z,chat,3\n");
    let r = cs([OsStr::new("forecast"), bad.as_os_str()]);
    assert!(r.stderr.contains("line 2") && r.stderr.contains("15-minute boundary"), "{}", r.stderr);

    let neg = write("forecast-neg.csv", "interval,queue,arrivals\n2026-01-05T00:00:00Z,chat,-3\n");
    let r = cs([OsStr::new("forecast"), neg.as_os_str()]);
    assert!(r.stderr.contains("line 2") && r.stderr.contains("arrivals"), "{}", r.stderr);

    let header = write("forecast-header.csv", "when,queue,count\n");
    let r = cs([OsStr::new("forecast"), header.as_os_str()]);
    assert!(r.stderr.contains("interval, queue and arrivals"), "{}", r.stderr);

    let ok = write("forecast-ok.csv", &csv(&generate(3, 1)));
    for (flag, value, says) in [
        ("--horizon", "10m", "15 minutes"),
        ("--horizon", "5w", "unit"),
        ("--surge", "2026-01-05T00:00:00Z,2026-01-04T00:00:00Z,2", "after FROM"),
        ("--surge", "2026-01-08T00:00:00Z,2026-01-09T00:00:00Z,2,email", "queue email"),
    ] {
        let r = cs([OsStr::new("forecast"), ok.as_os_str(), flag.as_ref(), value.as_ref()]);
        assert_ne!(r.code, 0, "{flag} {value}");
        assert!(r.stderr.contains(says), "{flag} {value}: {}", r.stderr);
    }
    let r = cs([OsStr::new("forecast"), ok.as_os_str(), "--backtest".as_ref(), "--days".as_ref(), "3".as_ref()]);
    assert!(r.stderr.contains("cannot hold out 3 day(s)"), "{}", r.stderr);
    // Without --days, a three-day history holds out one day and fits on two.
    let j = forecast_json(&ok, &["--backtest"]);
    assert_eq!(j["holdout_days"], 1);
    assert_eq!(j["train_intervals"], 2 * 96);
    assert!(j["queues"][0]["wape"].is_number() && j["queues"][0]["baseline_wape"].is_number(), "{j}");
}
