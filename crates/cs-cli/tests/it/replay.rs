//! `cs replay` of logs produced by the engine and written by `cs-store`: the printed
//! figures are the state's own metrics; `--until` cuts the log; torn and malformed logs.

use crate::desk::{self, t};
use crate::{close, cs, same};
use cs_cli::summary::Summary;
use cs_core::metrics::{Counts, interval_start};
use cs_core::{Event, QueueId, Timestamp, replay};
use serde_json::Value;

/// Checks the JSON figures of one slice against the core's counters.
fn check_figures(j: &Value, c: &Counts, what: &str) {
    assert_eq!(j["tickets"], c.offered, "{what} tickets");
    assert_eq!(j["answered"], c.answered, "{what} answered");
    assert_eq!(j["abandoned"], c.abandoned, "{what} abandoned");
    assert_eq!(j["expired"], c.expired, "{what} expired");
    same(&j["service_level"], c.service_level(), &format!("{what} service_level"));
    same(&j["service_level_of_answered"], c.service_level_of_answered(), &format!("{what} sl of answered"));
    same(&j["asa_s"], c.asa_s(), &format!("{what} asa_s"));
    same(&j["aht_s"], c.aht_s(), &format!("{what} aht_s"));
    same(&j["abandon_rate"], c.abandon_rate(), &format!("{what} abandon_rate"));
    close(j["longest_wait_s"].as_f64().unwrap(), c.wait_ms_max as f64 / 1000.0, &format!("{what} longest wait"));
}

#[test]
fn replay_prints_the_states_own_metrics() {
    let (path, events) = desk::log("desk.jsonl");
    let r = cs([std::ffi::OsStr::new("replay"), path.as_os_str(), "--json".as_ref()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let j = r.json();

    let state = replay(&events);
    let m = state.metrics();
    assert!(m.total.offered > 50 && m.total.abandoned > 0 && m.total.answered > 0, "a busy morning: {:?}", m.total);
    assert!(m.total.service_level().unwrap() < 1.0, "some waits miss the target");

    assert_eq!(j["events"], events.len());
    assert_eq!(j["as_of_ms"], state.last_event_at().ms());
    assert_eq!(j["more_after_until"], false);
    assert!(j["torn_tail"].is_null());
    // Everything fits in the kept intervals, so the report over the whole log counts what
    // the running totals count.
    check_figures(&j, &m.total, "total");
    let report = m.report(interval_start(events[0].at()), Timestamp::MAX, state.last_event_at());
    same(&j["occupancy"], report.total.occupancy(), "occupancy");
    assert!(j["occupancy"].as_f64().unwrap() > 0.5, "agents were busy");

    let queues = j["queues"].as_array().unwrap();
    let names: Vec<&str> = queues.iter().map(|q| q["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["chat", "email"]);
    for (i, q) in queues.iter().enumerate() {
        check_figures(q, &m.queues[i], names[i]);
        assert_eq!(q["waiting"], state.waiting_in(QueueId(i as u16)));
        let oldest = state.oldest_wait_ms(QueueId(i as u16), state.last_event_at()) as f64 / 1000.0;
        close(q["oldest_wait_s"].as_f64().unwrap(), oldest, "oldest wait");
        assert_eq!(q["overflow_open"], false);
    }
    let channels = j["channels"].as_array().unwrap();
    assert_eq!(channels.iter().map(|c| c["name"].as_str().unwrap()).collect::<Vec<_>>(), ["chat", "email"]);
    check_figures(&channels[0], &m.channels[cs_core::Channel::Chat.index()], "channel chat");

    assert_eq!(j["open_tickets"], state.open_tickets());
    let agents = j["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 3);
    for (a, s) in agents.iter().zip(state.agents()) {
        assert_eq!(a["key"], &*s.key);
        assert_eq!(a["presence"], s.presence.name());
        assert_eq!(a["load"], s.load.total());
        assert_eq!(a["held"].as_array().unwrap().len(), s.held.len());
    }

    // The whole summary is the reusable type, built the same way.
    let parsed: Summary = serde_json::from_value(j.clone()).unwrap();
    let direct = Summary::of_state(&state, events[0].at(), state.last_event_at());
    assert_eq!(parsed.queues.len(), direct.queues.len());
    assert_eq!(
        (parsed.total.tickets, parsed.waiting, parsed.open_tickets),
        (direct.total.tickets, direct.waiting, direct.open_tickets)
    );
    let teams = j["teams"].as_array().unwrap();
    assert_eq!(teams.len(), direct.teams.len());
    for (tj, td) in teams.iter().zip(&direct.teams) {
        assert_eq!(tj["name"], td.name.as_str());
        assert_eq!(tj["handled"], td.handled);
        same(&tj["aht_s"], td.aht_s, "team aht_s");
        same(&tj["occupancy"], td.occupancy, "team occupancy");
        // Only what is counted per team: no customer-side figures shown as zeros.
        let mut keys: Vec<&str> = tj.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["aht_s", "handled", "name", "occupancy"], "{tj}");
    }
}

#[test]
fn replay_table_shows_queues_agents_and_metrics() {
    let (path, _) = desk::log("desk-table.jsonl");
    let r = cs([std::ffi::OsStr::new("replay"), path.as_os_str()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for needle in
        ["queue  waiting", "chat", "email", "ann", "eve", "open tickets:", "metrics from", "total", "queue chat"]
    {
        assert!(r.stdout.contains(needle), "{needle:?} missing from\n{}", r.stdout);
    }
}

#[test]
fn until_cuts_the_log() {
    let (path, events) = desk::log("desk-until.jsonl");
    let until = t(15 * 60 + 30);
    let before: Vec<Event> = events.iter().filter(|e| e.at() <= until).cloned().collect();
    assert!(before.len() < events.len());
    for flag in [until.to_string(), until.ms().to_string()] {
        let r = cs([
            std::ffi::OsStr::new("replay"),
            path.as_os_str(),
            "--until".as_ref(),
            flag.as_ref(),
            "--json".as_ref(),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let j = r.json();
        let state = replay(&before);
        assert_eq!(j["events"], before.len());
        assert_eq!(j["as_of_ms"], until.ms());
        assert_eq!(j["more_after_until"], true);
        check_figures(&j, &state.metrics().total, "total until");
        assert_eq!(j["open_tickets"], state.open_tickets());
        let report = state.metrics().report(interval_start(events[0].at()), Timestamp::MAX, until);
        same(&j["occupancy"], report.total.occupancy(), "occupancy until");
    }
    // Before the first event there is nothing to replay.
    let r = cs([std::ffi::OsStr::new("replay"), path.as_os_str(), "--until".as_ref(), "2020-01-01T00:00:00Z".as_ref()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("before the first event"), "{}", r.stderr);
    // A time that is not a time is a usage error.
    let r = cs([std::ffi::OsStr::new("replay"), path.as_os_str(), "--until".as_ref(), "yesterday".as_ref()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--until") && r.stderr.contains("RFC 3339"), "{}", r.stderr);
    // So is a time no log can hold (milliseconds past the year 9999).
    let r = cs([std::ffi::OsStr::new("replay"), path.as_os_str(), "--until".as_ref(), "9223372036854775807".as_ref()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("the times an event log can hold"), "{}", r.stderr);
    // A log can hold it, but a view that long after the last event is refused...
    let r = cs([std::ffi::OsStr::new("replay"), path.as_os_str(), "--until".as_ref(), "253402300799999".as_ref()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("more than a year after the log's last event"), "{}", r.stderr);
    // ...while one a year later is answered, agents' time counted up to it in one span.
    let year_on = events.last().unwrap().at().plus_ms(365 * 86_400_000).ms().to_string();
    let r = cs([std::ffi::OsStr::new("replay"), path.as_os_str(), "--until".as_ref(), year_on.as_ref()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn torn_tail_is_replayed_without_it_and_warned_about() {
    let (path, events) = desk::log("desk-torn.jsonl");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 25]).unwrap();
    let r = cs([std::ffi::OsStr::new("replay"), path.as_os_str(), "--json".as_ref()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.starts_with("warning: ") && r.stderr.contains("torn"), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("desk-torn.jsonl:{}:", events.len())), "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["events"], events.len() - 1);
    assert_eq!(j["torn_tail"]["line"], events.len());
    let state = replay(&events[..events.len() - 1]);
    check_figures(&j, &state.metrics().total, "total before the torn line");
}

/// Replaces line `n` (1-based) of a file.
fn damage(path: &std::path::Path, n: usize, line: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[n - 1] = line;
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn malformed_log_is_one_clear_error_naming_the_line() {
    let cases = [
        ("desk-bad-json.jsonl", "{\"v\":1,\"type\":\"TicketCreated\",", "not valid JSON"),
        ("desk-future.jsonl", r#"{"v":99,"type":"TicketCreated","at":1795424400000}"#, "v=99"),
        ("desk-unknown.jsonl", r#"{"v":1,"type":"TicketTeleported","at":1795424400000}"#, "unknown event type"),
    ];
    for (name, line, expect) in cases {
        let (path, _) = desk::log(name);
        damage(&path, 5, line);
        let r = cs([std::ffi::OsStr::new("replay"), path.as_os_str()]);
        assert_eq!(r.code, 1, "{name}");
        assert!(r.stdout.is_empty(), "{}", r.stdout);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
        assert!(r.stderr.contains(&format!("{name}:5:")) && r.stderr.contains(expect), "{}", r.stderr);
    }
    // Time going back.
    let (path, events) = desk::log("desk-back.jsonl");
    let last = serde_json::to_string(&cs_core::Envelope::new(events[events.len() - 1].clone())).unwrap();
    damage(&path, 3, &last);
    let r = cs([std::ffi::OsStr::new("replay"), path.as_os_str()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("desk-back.jsonl:4:") && r.stderr.contains("goes back in time"), "{}", r.stderr);
}

#[test]
fn a_log_must_start_with_its_configuration() {
    let (path, _) = desk::log("desk-headless.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let rest: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, rest).unwrap();
    let r = cs([std::ffi::OsStr::new("replay"), path.as_os_str()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("not Configured"), "{}", r.stderr);
    let r = cs(["replay", "/nonexistent/events.jsonl"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("/nonexistent/events.jsonl"), "{}", r.stderr);
    assert_eq!(r.stderr.matches("No such file").count(), 1, "said once: {}", r.stderr);
}

#[test]
fn an_inconsistent_log_is_one_error_line_not_a_crash() {
    let (path, events) = desk::log("desk-inconsistent.jsonl");
    // Drop the first ticket's creation: later events name a ticket that never existed.
    let created = events.iter().position(|e| matches!(e, Event::TicketCreated { .. })).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let kept: String = text.lines().enumerate().filter(|&(i, _)| i != created).map(|(_, l)| format!("{l}\n")).collect();
    std::fs::write(&path, kept).unwrap();
    let r = cs([std::ffi::OsStr::new("replay"), path.as_os_str()]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    // The first event naming the ticket, by its line (the file's line `created + 1` is gone).
    let naming =
        events.iter().skip(created + 1).position(|e| e.ticket() == events[created].ticket()).unwrap() + created;
    let at = format!("desk-inconsistent.jsonl:{}: ", naming + 1);
    assert!(r.stderr.starts_with("error: ") && r.stderr.contains(&at), "{}", r.stderr);
    assert!(r.stderr.contains("does not exist") && r.stderr.contains("cannot be replayed"), "{}", r.stderr);
}
