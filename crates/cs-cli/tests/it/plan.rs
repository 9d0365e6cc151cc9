//! `cs plan`: the example under `examples/plans/` (history generated with a known shape,
//! forecast, planned, verified by simulation) meets its target in at least 95 % of
//! intervals with the reserve and shows which intervals miss without it; the scenario it
//! writes runs with `cs simulate`; bad configs are refused.

use crate::forecast::{csv, generate};
use crate::{cs, scratch};
use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The example's history: three weeks of the generator, seed 5.
const EXAMPLE_DAYS: usize = 21;
const EXAMPLE_SEED: u64 = 5;

fn example(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/plans").join(file)
}

/// The committed history is the generator's; `UPDATE_EXAMPLES=1` rewrites it.
#[test]
fn the_example_history_is_the_generators() {
    let want = csv(&generate(EXAMPLE_DAYS, EXAMPLE_SEED));
    let path = example("history.csv");
    if std::env::var_os("UPDATE_EXAMPLES").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "{} differs from the generator's; rerun with UPDATE_EXAMPLES=1", path.display());
}

/// The example's forecast, as `cs forecast --json` writes it.
fn example_forecast() -> PathBuf {
    let r = cs([
        OsStr::new("forecast"),
        example("history.csv").as_os_str(),
        "--horizon".as_ref(),
        "48h".as_ref(),
        "--json".as_ref(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let path = scratch("plan-forecast.json");
    std::fs::write(&path, &r.stdout).unwrap();
    path
}

fn plan(forecast: &Path, extra: &[&str]) -> Value {
    let config = example("plan.toml");
    let mut args: Vec<&OsStr> =
        vec!["plan".as_ref(), forecast.as_os_str(), "--config".as_ref(), config.as_os_str(), "--json".as_ref()];
    args.extend(extra.iter().map(OsStr::new));
    let r = cs(args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()
}

fn num(j: &Value, key: &str) -> f64 {
    j[key].as_f64().unwrap_or_else(|| panic!("{key}: {} is not a number", j[key]))
}

#[test]
fn the_example_meets_its_target_with_the_reserve_and_shows_the_misses_without_it() {
    let forecast = example_forecast();
    let with = plan(&forecast, &["--verify", "--threads", "2"]);
    assert_eq!(num(&with, "intervals"), 192.0);
    assert_eq!(num(&with, "reserve"), 0.2);
    let met = num(&with, "intervals_met");
    eprintln!("with reserve: {met} of 192, {} agent-hours, missed {}", with["agent_hours"], with["missed"]);
    assert!(met >= 0.95 * 192.0, "with the reserve {met} of 192 intervals meet the target");

    let without = plan(&forecast, &["--verify", "--reserve", "0", "--threads", "2"]);
    assert_eq!(num(&without, "reserve"), 0.0);
    let met0 = num(&without, "intervals_met");
    let missed = without["missed"].as_array().unwrap();
    eprintln!("without: {met0} of 192, {} agent-hours, missed {}", without["agent_hours"], missed.len());
    assert!(met0 < met, "without the reserve fewer intervals meet the target: {met0} vs {met}");
    assert_eq!(missed.len() as f64, 192.0 - met0, "every miss is named");
    assert!(num(&without, "agent_hours") < num(&with, "agent_hours"));

    // Every interval is covered: scheduled at least what the reserve asks, and the
    // agent-hours are the shifts'.
    for q in with["plan"]["queues"].as_array().unwrap() {
        let sched: Vec<u64> = q["scheduled"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        let need: Vec<u64> = q["with_reserve"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        assert!(sched.iter().zip(&need).all(|(s, n)| s >= n), "{}", q["name"]);
        let hours: f64 = q["shifts"].as_array().unwrap().iter().map(|s| num(s, "length_h") * num(s, "agents")).sum();
        assert!((hours - num(q, "agent_hours")).abs() < 1e-9);
    }
    // Threads change nothing but the time.
    let one = plan(&forecast, &["--verify", "--threads", "1"]);
    assert_eq!(one, with, "the same figures on one thread");
}

#[test]
fn the_plans_scenario_runs_with_cs_simulate() {
    let forecast = example_forecast();
    let scenario = scratch("plan-scenario.toml");
    let svg = scratch("plan.svg");
    let r = cs([
        OsStr::new("plan"),
        forecast.as_os_str(),
        "--config".as_ref(),
        example("plan.toml").as_os_str(),
        "--scenario-out".as_ref(),
        scenario.as_os_str(),
        "--svg".as_ref(),
        svg.as_os_str(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("paid agent-hours"), "{}", r.stdout);
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
    let r =
        cs([OsStr::new("simulate"), scenario.as_os_str(), "--json".as_ref(), "--replications".as_ref(), "1".as_ref()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    // Two days of the forecast's volume, about what it says.
    let f: Value = serde_json::from_str(&std::fs::read_to_string(&forecast).unwrap()).unwrap();
    let expected: f64 = f["queues"].as_array().unwrap().iter().map(|q| num(q, "total")).sum();
    let tickets = num(&j, "tickets");
    assert!((tickets - expected).abs() < 4.0 * expected.sqrt(), "{tickets} simulated, {expected} forecast");
    assert!(num(&j, "service_level") > 0.8, "{}", j["service_level"]);
}

#[test]
fn bad_plan_configs_are_refused_with_the_field() {
    let forecast = example_forecast();
    for (text, says) in [
        (
            "service_level = 1.5\ntarget_s = 20\n[shifts]\nlengths_h = [8]\n[[queues]]\nname = \"chat\"\naht_s = 240\n",
            "service_level",
        ),
        (
            "service_level = 0.8\ntarget_s = 20\n[shifts]\nlengths_h = [7.1]\n[[queues]]\nname = \"chat\"\naht_s = 240\n",
            "shifts.lengths_h[0]",
        ),
        (
            "service_level = 0.8\ntarget_s = 20\n[shifts]\nlengths_h = [8]\n[[queues]]\nname = \"email\"\naht_s = 240\n",
            "queue email is not in the forecast",
        ),
        (
            "service_level = 0.8\ntarget_s = 20\n[shifts]\nlengths_h = [8]\n[[queues]]\nname = \"chat\"\naht_s = -1\n",
            "aht_s",
        ),
        (
            "service_level = 0.8\ntarget_s = 20\nwhatever = 1\n[shifts]\nlengths_h = [8]\n[[queues]]\nname = \"chat\"\naht_s = 1\n",
            "whatever",
        ),
        (
            "service_level = 0.8\ntarget_s = 20\n[shifts]\nlengths_h = [8]\nstarts = [\"25:00\"]\n[[queues]]\nname = \"chat\"\naht_s = 1\n",
            "shifts.starts[0]",
        ),
    ] {
        let config = scratch("plan-bad.toml");
        std::fs::write(&config, text).unwrap();
        let r = cs([OsStr::new("plan"), forecast.as_os_str(), "--config".as_ref(), config.as_os_str()]);
        assert_ne!(r.code, 0, "{text}");
        assert!(r.stderr.contains(says), "{says}: {}", r.stderr);
    }
    let not_forecast = scratch("plan-not-forecast.json");
    std::fs::write(&not_forecast, "{\"queues\": 3}").unwrap();
    let r = cs([OsStr::new("plan"), not_forecast.as_os_str(), "--config".as_ref(), example("plan.toml").as_os_str()]);
    assert!(r.stderr.contains("not a forecast"), "{}", r.stderr);
}

#[test]
fn a_plan_is_verified_against_what_really_arrived() {
    let forecast = example_forecast();
    let scenario = scratch("plan-real.toml");
    let r = cs([
        OsStr::new("plan"),
        forecast.as_os_str(),
        "--config".as_ref(),
        example("plan.toml").as_os_str(),
        "--scenario-out".as_ref(),
        scenario.as_os_str(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // "What really arrived": a day run of the plan's own scenario, recorded.
    let log = scratch("plan-real.jsonl");
    let r = cs([
        OsStr::new("simulate"),
        scenario.as_os_str(),
        "--replications".as_ref(),
        "1".as_ref(),
        "--seed".as_ref(),
        "99".as_ref(),
        "--events".as_ref(),
        log.as_os_str(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = plan(&forecast, &["--verify", "--arrivals-from", log.to_str().unwrap(), "--replications", "3"]);
    assert_eq!(j["verification"]["recorded_arrivals"], true);
    assert_eq!(j["verification"]["replications"], 3);
    // One day's arrivals, not a pooled expectation: noisier, still mostly met.
    let met = num(&j, "intervals_met");
    assert!(met >= 0.85 * 192.0, "{met}");
    let offered: f64 = j["verification"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["queues"].as_array().unwrap().iter().map(|q| num(q, "offered")))
        .sum();
    let recorded = std::fs::read_to_string(&log).unwrap().matches("\"TicketCreated\"").count() as f64;
    assert!(
        (offered - recorded).abs() < 1e-6,
        "every recorded arrival is offered once per replication: {offered} vs {recorded}"
    );

    let r = cs([
        OsStr::new("plan"),
        forecast.as_os_str(),
        "--config".as_ref(),
        example("plan.toml").as_os_str(),
        "--arrivals-from".as_ref(),
        log.as_os_str(),
    ]);
    assert_ne!(r.code, 0, "--arrivals-from needs --verify");
}

#[test]
fn a_forecast_csv_plans_as_its_json_does() {
    let forecast = example_forecast();
    let csv = scratch("plan-forecast.csv");
    let r = cs([
        OsStr::new("forecast"),
        example("history.csv").as_os_str(),
        "--horizon".as_ref(),
        "48h".as_ref(),
        "--csv".as_ref(),
        csv.as_os_str(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let from_json = plan(&forecast, &[]);
    let from_csv = plan(&csv, &[]);
    for k in 0..2 {
        let (a, b) = (&from_json["plan"]["queues"][k], &from_csv["plan"]["queues"][k]);
        assert_eq!(a["name"], b["name"]);
        assert_eq!(a["required"], b["required"], "the same requirement from the CSV's arrivals");
        assert_eq!(a["shifts"], b["shifts"]);
    }
    assert_eq!(from_json["agent_hours"], from_csv["agent_hours"]);
}

#[test]
fn without_a_config_a_plan_takes_handle_times_and_patience_from_the_logs_history() {
    let scenario = scratch("plan-log-history.toml");
    std::fs::write(
        &scenario,
        r#"
name = "plan-log-history"
seed = 4
duration_s = 259200
[[queues]]
name = "chat"
channel = "chat"
skills = ["chat"]
arrivals = { kind = "profile", per_hour = [4, 4, 4, 4, 4, 6, 10, 20, 40, 55, 60, 60, 55, 55, 55, 50, 45, 40, 30, 20, 15, 10, 6, 4] }
handle_time = { kind = "exponential", mean_s = 240 }
patience = { kind = "exponential", mean_s = 120 }
[[teams]]
name = "desk"
agents = 6
skills = { chat = 1 }
capacity = { chat = 1 }
"#,
    )
    .unwrap();
    let log = scratch("plan-log-history.jsonl");
    let r = cs([OsStr::new("simulate"), scenario.as_os_str(), "--events".as_ref(), log.as_os_str()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = cs([OsStr::new("forecast"), log.as_os_str(), "--horizon".as_ref(), "24h".as_ref(), "--json".as_ref()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let f = r.json();
    let q = &f["queues"][0];
    // The log's handle time and the patience estimated from its waits and abandonments.
    let aht = num(q, "aht_s");
    assert!((aht - 240.0).abs() < 0.1 * 240.0, "{aht}");
    let patience = num(q, "patience_s");
    assert!((patience - 120.0).abs() < 0.25 * 120.0, "{patience}");
    let path = scratch("plan-log-forecast.json");
    std::fs::write(&path, r.stdout).unwrap();

    let r = cs([OsStr::new("plan"), path.as_os_str(), "--verify".as_ref(), "--json".as_ref()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(num(&j, "intervals"), 96.0);
    assert_eq!(num(&j, "reserve"), 0.2);
    assert_eq!(j["plan"]["queues"][0]["model"], "erlang_a");
    assert_eq!(j["plan"]["target_s"], 20.0);
    let met = num(&j, "intervals_met");
    assert!(met >= 0.9 * 96.0, "{met} of 96");

    // A CSV history has no handle times: a config is needed, and the error says so.
    let csv = scratch("plan-log-forecast.csv");
    std::fs::write(&csv, "interval,queue,arrivals\n2026-01-05T00:00:00Z,chat,3\n").unwrap();
    let r = cs([OsStr::new("plan"), csv.as_os_str()]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("no handle time") && r.stderr.contains("--config"), "{}", r.stderr);
}

#[test]
fn a_queue_with_nothing_forecast_is_planned_with_nobody_and_verified_as_met() {
    let csv = scratch("plan-zero.csv");
    std::fs::write(
        &csv,
        "interval,queue,channel,arrivals\n2026-01-05T00:00:00Z,chat,chat,10\n2026-01-05T00:15:00Z,chat,chat,12\n\
         2026-01-05T00:00:00Z,mail,email,0\n2026-01-05T00:15:00Z,mail,email,0\n",
    )
    .unwrap();
    let config = scratch("plan-zero.toml");
    std::fs::write(
        &config,
        "service_level = 0.8\ntarget_s = 20\n[shifts]\nlengths_h = [0.5]\n[[queues]]\nname = \"chat\"\naht_s = 120\n\
         [[queues]]\nname = \"mail\"\naht_s = 300\n",
    )
    .unwrap();
    let r = cs([
        OsStr::new("plan"),
        csv.as_os_str(),
        "--config".as_ref(),
        config.as_os_str(),
        "--verify".as_ref(),
        "--json".as_ref(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    let mail = &j["plan"]["queues"][1];
    assert_eq!(mail["name"], "mail");
    assert_eq!(mail["shifts"], serde_json::json!([]));
    assert_eq!(mail["agent_hours"], 0.0);
    assert_eq!(num(&j, "intervals"), 2.0);
    for c in j["verification"]["checks"].as_array().unwrap() {
        assert_eq!(c["queues"][1]["offered"], 0.0);
        assert_eq!(c["queues"][1]["met"], true);
        assert!(num(&c["queues"][0], "offered") > 0.0, "chat is simulated: {c}");
    }
}
