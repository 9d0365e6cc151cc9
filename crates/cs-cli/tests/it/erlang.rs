//! `cs staff` and `cs erlang` against published values, and their refusals.

use crate::{close, cs};

const PYWORKFORCE: [&str; 8] =
    ["--arrivals-per-hour", "200", "--aht-s", "180", "--target-s", "19.8", "--service-level", "80"];

/// pyworkforce 0.5.1: 100 calls per 30 minutes, AHT 3 minutes, 80 % within 0.33 minutes:
/// 14 agents, service level 0.888, occupancy 0.714.
#[test]
fn staff_matches_pyworkforce() {
    let mut args = vec!["staff"];
    args.extend(PYWORKFORCE);
    args.push("--json");
    let r = cs(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["agents"], 14);
    assert_eq!(j["scheduled_agents"], 14);
    assert_eq!(j["model"], "erlang_c");
    assert_eq!(format!("{:.3}", j["service_level"].as_f64().unwrap()), "0.888");
    assert_eq!(format!("{:.3}", j["occupancy"].as_f64().unwrap()), "0.714");
    assert_eq!(format!("{:.3}", j["p_wait"].as_f64().unwrap()), "0.174");
    assert_eq!(j["p_abandon"], 0.0);
    assert!(j["asa_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn service_level_as_fraction_percentage_or_percent_sign_agree() {
    let mut outputs = Vec::new();
    for p in ["0.8", "80", "80%"] {
        let mut args = vec!["staff"];
        args.extend(&PYWORKFORCE[..6]);
        args.extend(["--service-level", p, "--json"]);
        let r = cs(&args);
        assert_eq!(r.code, 0, "{p}: {}", r.stderr);
        outputs.push(r.stdout);
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[1], outputs[2]);
}

#[test]
fn staff_with_shrinkage_and_patience() {
    let mut args = vec!["staff"];
    args.extend(PYWORKFORCE);
    args.extend(["--shrinkage", "30%", "--patience-s", "120", "--abandon-max", "0.05", "--json"]);
    let j = cs(&args).json();
    assert_eq!(j["model"], "erlang_a");
    let agents = j["agents"].as_u64().unwrap();
    assert_eq!(j["scheduled_agents"].as_u64().unwrap(), (agents as f64 / 0.7).ceil() as u64);
    assert!(j["service_level"].as_f64().unwrap() >= 0.8);
    assert!(j["p_abandon"].as_f64().unwrap() <= 0.05);
}

#[test]
fn staff_table_names_the_figures() {
    let mut args = vec!["staff"];
    args.extend(PYWORKFORCE);
    let r = cs(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("agents            14 on the phones"), "{}", r.stdout);
    assert!(r.stdout.contains("88.8 %"), "{}", r.stdout);
}

/// CC Excel forum: 57 calls per hour, AHT 1110 s, 21 agents: 80.7 % within 180 s.
#[test]
fn erlang_matches_the_forum_example() {
    let r =
        cs(["erlang", "--arrivals-per-hour", "57", "--aht-s", "1110", "--agents", "21", "--target-s", "180", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["agents"], 21);
    assert_eq!(format!("{:.1}", 100.0 * j["service_level"].as_f64().unwrap()), "80.7");
    close(j["occupancy"].as_f64().unwrap(), 57.0 * 1110.0 / 3600.0 / 21.0, "occupancy");
    for field in ["p_wait", "asa_s", "p_abandon"] {
        assert!(j[field].is_number(), "{field} in {j}");
    }
}

#[test]
fn erlang_with_patience_reports_abandonment() {
    let r = cs([
        "erlang",
        "--arrivals-per-hour",
        "57",
        "--aht-s",
        "1110",
        "--agents",
        "17",
        "--target-s",
        "180",
        "--patience-s",
        "300",
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["model"], "erlang_a");
    assert!(j["p_abandon"].as_f64().unwrap() > 0.0);
}

#[test]
fn unstable_erlang_c_is_a_clear_error() {
    let r = cs(["erlang", "--arrivals-per-hour", "57", "--aht-s", "1110", "--agents", "17", "--target-s", "180"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty());
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert!(r.stderr.contains("--agents 18") && r.stderr.contains("--patience-s"), "{}", r.stderr);
}

#[test]
fn nonsense_values_are_usage_errors_naming_the_flag() {
    let cases: [(&[&str], &str); 7] = [
        (&["--service-level", "150"], "--service-level"),
        (&["--service-level", "1"], "ambiguous"),
        (&["--service-level", "100%"], "--service-level"),
        // A negative number is a bad value of its flag, not an unknown flag `-3`.
        (&["--aht-s", "-3"], "'-3' for '--aht-s <Y>': -3 must be above 0"),
        (&["--arrivals-per-hour", "-540"], "'-540' for '--arrivals-per-hour <X>'"),
        (&["--shrinkage", "100"], "--shrinkage"),
        // An abandonment cap means nothing without patience (Erlang C has no abandonment).
        (&["--abandon-max", "5%"], "--patience-s"),
    ];
    for (bad, expect) in cases {
        let mut args: Vec<&str> = vec!["staff"];
        let mut good = PYWORKFORCE.to_vec();
        // Replace the flag's value, or add the flag.
        match good.iter().position(|a| *a == bad[0]) {
            Some(i) => good[i + 1] = bad[1],
            None => good.extend(bad),
        }
        args.extend(good);
        let r = cs(&args);
        assert_eq!(r.code, 2, "{bad:?}: {}", r.stderr);
        assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
        assert!(r.stderr.contains(expect), "{bad:?}: {}", r.stderr);
    }
    let r = cs(["erlang", "--arrivals-per-hour", "57", "--aht-s", "1110", "--agents", "0", "--target-s", "180"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--agents"), "{}", r.stderr);
    let r = cs(["staff", "--arrivals-per-hour", "57"]);
    assert_eq!(r.code, 2, "missing flags are usage errors");
}

/// An enormous patience is refused by name instead of panicking (it used to trip a clamp
/// with a NaN bound), an enormous handle time is blamed on `--aht-s` (not on the
/// arrivals), and neither message spells the number out in 309 digits.
#[test]
fn enormous_durations_are_refused_by_their_flag_in_short_numbers() {
    let r = cs([
        "erlang",
        "--arrivals-per-hour",
        "200",
        "--aht-s",
        "180",
        "--agents",
        "12",
        "--target-s",
        "20",
        "--patience-s",
        "1.7e308",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.starts_with("error: --patience-s 1.7e308: is more than ten years"), "{}", r.stderr);
    let r =
        cs(["staff", "--arrivals-per-hour", "200", "--aht-s", "1e308", "--target-s", "20", "--service-level", "80"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.starts_with("error: --aht-s 1e308: is more than ten years"), "{}", r.stderr);
    assert!(r.stderr.len() < 200, "{}", r.stderr);
}

/// Erlang B against the published loss tables: 10 erlangs on 10 lines block 21.46 %, on
/// 15 lines 3.65 %; 5 erlangs on 10 lines 1.84 %.
#[test]
fn erlang_prints_erlang_b_blocking() {
    for (per_hour, agents, blocked) in [("120", "10", "0.2146"), ("120", "15", "0.0365"), ("60", "10", "0.0184")] {
        let r = cs([
            "erlang",
            "--arrivals-per-hour",
            per_hour,
            "--aht-s",
            "300",
            "--agents",
            agents,
            "--target-s",
            "20",
            // Patience keeps Erlang A stable at full load; Erlang B does not depend on it.
            "--patience-s",
            "60",
            "--json",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(format!("{:.4}", r.json()["p_block"].as_f64().unwrap()), blocked, "{per_hour}/h on {agents}");
    }
    let r = cs(["erlang", "--arrivals-per-hour", "120", "--aht-s", "300", "--agents", "15", "--target-s", "20"]);
    assert!(r.stdout.contains("Erlang B"), "{}", r.stdout);
}
