//! The CLI against files and flags as a hostile user writes them: empty, binary, nested
//! thousands deep, huge, full of NaN and infinities, control characters and odd unicode,
//! directories where files belong. Each run must end (no hang), with an error on stderr
//! that names what is wrong, and never a panic; a store that a bad import is aimed at keeps
//! what it held.

use crate::scratch;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a run of `cs` ended: its exit code (`None`: killed by a signal) and stderr.
fn run(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cs"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cs runs");
    let err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(err).unwrap_or_default());
    // A guard against hangs, not a speed check: each input takes well under a second.
    let guard = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > guard {
            let _ = child.kill();
            panic!("cs {args:?} hangs");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    (status.code(), reader.join().unwrap())
}

/// Asserts a run refused its input cleanly, naming `what`.
fn refused(args: &[&str], what: &str) {
    let (code, err) = run(args);
    assert!(matches!(code, Some(1 | 2)), "cs {args:?} exits with an error code, not {code:?}: {err}");
    assert!(!err.contains("panicked"), "cs {args:?} panicked: {err}");
    assert!(err.contains(what), "cs {args:?} names {what:?}: {err}");
}

fn write(name: &str, bytes: &[u8]) -> String {
    let p = scratch(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_owned()
}

/// Text files every reader gets: (name, contents).
fn hostile_texts() -> Vec<(&'static str, Vec<u8>)> {
    let mut garbage = Vec::new();
    let mut x: u32 = 0x9e37_79b9;
    for _ in 0..4096 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        garbage.push((x >> 24) as u8);
    }
    vec![
        ("empty", Vec::new()),
        ("garbage", garbage),
        ("nul", b"skills = [\"a\0b\"]\n\0\0\0".to_vec()),
        ("deep-array", format!("skills = {}{}\n", "[".repeat(20_000), "]".repeat(20_000)).into_bytes()),
        ("deep-table", format!("x = {}{}\n", "{ a = ".repeat(5_000), "}".repeat(5_000)).into_bytes()),
        ("deep-json", format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes()),
        ("long-line", format!("skills = [\"{}\"]\n", "x".repeat(1 << 20)).into_bytes()),
        ("many-keys", (0..20_000).map(|i| format!("k{i} = {i}\n")).collect::<String>().into_bytes()),
        ("nan", b"skills = [\"a\"]\n[[queues]]\nname = \"q\"\nservice_level_s = nan\n".to_vec()),
        ("inf", b"skills = [\"a\"]\n[[queues]]\nname = \"q\"\nservice_level_s = inf\n".to_vec()),
        ("huge", b"skills = [\"a\"]\n[[queues]]\nname = \"q\"\nservice_level_s = 1e308\n".to_vec()),
        ("negative", b"skills = [\"a\"]\n[[queues]]\nname = \"q\"\nservice_level_s = -20\n".to_vec()),
        ("int-overflow", b"[limits]\nqueue_depth_max = 99999999999999999999999\n".to_vec()),
        (
            "unicode",
            "skills = [\"\u{202e}billing\", \"\u{1F600}\", \"e\u{301}\", \"\u{FEFF}\"]\n[[queues]]\nname = \"\u{0}\"\n"
                .as_bytes()
                .to_vec(),
        ),
        ("bom-only", "\u{FEFF}".as_bytes().to_vec()),
        ("invalid-utf8", b"skills = [\"\xff\xfe\xc3\"]\n".to_vec()),
    ]
}

#[test]
fn hostile_configs_and_scenarios_are_refused_cleanly() {
    for (name, text) in hostile_texts() {
        let path = write(&format!("hostile-{name}.toml"), &text);
        refused(&["validate", &path], &path);
        refused(&["validate", "--kind", "scenario", &path], &path);
        refused(&["simulate", &path], &path);
    }
    let dir = scratch("hostile-a-folder");
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.to_str().unwrap();
    refused(&["validate", dir], dir);
    refused(&["simulate", dir], dir);
    refused(&["simulate", "/no/such/scenario.toml"], "/no/such/scenario.toml");
}

/// A scenario that is well formed but asks for the absurd: each is refused, naming the field.
#[test]
fn absurd_scenarios_are_refused_naming_the_field() {
    let base =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/scenarios/steady-chat.toml"))
            .unwrap();
    for (name, edit, field) in [
        ("replications", "replications = 1000000000", "replications"),
        ("seed", "seed = -1", "seed"),
        ("days", "duration_h = 1e300", "duration"),
    ] {
        let text = format!("{edit}\n{base}");
        let path = write(&format!("absurd-{name}.toml"), text.as_bytes());
        let (code, err) = run(&["simulate", &path]);
        assert!(matches!(code, Some(1 | 2)), "{name}: exits with an error, not {code:?}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(err.contains(field) || err.contains("unknown"), "{name}: names {field}: {err}");
    }
}

#[test]
fn hostile_event_logs_are_refused_and_a_store_keeps_what_it_held() {
    let store = scratch("hostile-store");
    let _ = std::fs::remove_dir_all(&store);
    let store = store.to_str().unwrap();
    // A store with a real log in it.
    let good = scratch("hostile-good.jsonl");
    let r = crate::cs([
        "simulate",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/scenarios/steady-chat.toml"),
        "--replications",
        "1",
        "--events",
        good.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = crate::cs(["import", "--store", store, good.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let before = crate::cs(["replay", "--store", store, "--json"]);
    assert_eq!(before.code, 0, "{}", before.stderr);
    let good_text = std::fs::read_to_string(&good).unwrap();
    let first = good_text.lines().next().unwrap();
    let mut logs = hostile_texts();
    logs.extend([
        ("future-version", format!("{}\n", first.replacen("\"v\":2", "\"v\":999", 1)).into_bytes()),
        ("unknown-type", b"{\"v\":2,\"type\":\"TicketTeleported\",\"at\":0}\n".to_vec()),
        ("time-max", format!("{}\n", first.replacen("\"at\":", "\"at\":9223372036854775807,\"x\":", 1)).into_bytes()),
        ("huge-ids", format!("{first}\n{{\"v\":2,\"type\":\"TicketCreated\",\"at\":1795424401000,\"ticket\":18446744073709551615,\"spec\":{{\"key\":\"T\",\"customer\":0,\"channel\":\"chat\",\"queue\":0,\"tier\":\"standard\",\"urgency\":\"normal\",\"emotion\":\"neutral\"}}}}\n").into_bytes()),
        ("not-a-config-first", good_text.lines().skip(1).take(20).collect::<Vec<_>>().join("\n").into_bytes()),
    ]);
    for (name, text) in logs {
        let path = write(&format!("hostile-{name}.jsonl"), &text);
        refused(&["replay", &path], &path);
        let (code, err) = run(&["import", "--store", store, "--partition", "default", &path]);
        assert!(matches!(code, Some(1 | 2)), "import {name}: exits with an error, not {code:?}: {err}");
        assert!(!err.contains("panicked"), "import {name}: {err}");
    }
    let after = crate::cs(["replay", "--store", store, "--json"]);
    assert_eq!(after.stdout, before.stdout, "the store holds what it held before the bad imports");
}

#[test]
fn hostile_numbers_in_flags_are_refused_naming_the_flag() {
    for (flag, value) in [
        ("--arrivals-per-hour", "nan"),
        ("--arrivals-per-hour", "-5"),
        ("--arrivals-per-hour", "inf"),
        ("--arrivals-per-hour", "1e309"),
        ("--aht-s", "0"),
        ("--aht-s", "-0"),
        ("--aht-s", "NaN"),
        ("--patience-s", "-1"),
        ("--patience-s", "1e308"),
        ("--target-s", "-20"),
        ("--agents", "-3"),
        ("--agents", "99999999999999999999999"),
        ("--aht-s", "\u{202e}180"),
    ] {
        let mut args =
            vec!["erlang", "--arrivals-per-hour", "100", "--aht-s", "180", "--agents", "5", "--target-s", "20"];
        let at = args.iter().position(|a| *a == flag);
        match at {
            Some(i) => args[i + 1] = value,
            None => args.extend([flag, value]),
        }
        refused(&args, flag);
    }
    refused(&["simulate", "--seed", "-1", "x.toml"], "--seed");
    refused(&["simulate", "--replications", "0", "x.toml"], "--replications");
    refused(&["replay", "--until", "yesterday-ish", "x.jsonl"], "--until");
}
