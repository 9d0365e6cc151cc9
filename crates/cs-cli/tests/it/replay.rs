//! `cs replay` of logs produced by the engine and written by `cs-store`: the printed
//! figures are the state's own metrics; `--until` cuts the log; torn and malformed logs.

use crate::desk::{self, t};
use crate::{close, cs, same};
use cs_cli::summary::Summary;
use cs_core::metrics::{Counts, Metrics, interval_start};
use cs_core::{Event, QueueId, Timestamp, replay_projected};
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

    let mut m = Metrics::default();
    let state = replay_projected(&events, &mut m);
    assert!(m.total.offered > 50 && m.total.abandoned > 0 && m.total.answered > 0, "a busy morning: {:?}", m.total);
    assert!(m.total.service_level().unwrap() < 1.0, "some waits miss the target");

    assert_eq!(j["events"], events.len());
    assert_eq!(j["as_of_ms"], state.last_event_at().ms());
    assert_eq!(j["more_after_until"], false);
    assert!(j["torn_tail"].is_null());
    // Everything fits in the kept intervals, so the report over the whole log counts what
    // the running totals count.
    check_figures(&j, &m.total, "total");
    let report = m.report(interval_start(events[0].at()), Timestamp::MAX, state.last_event_at()).unwrap();
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
    let direct = Summary::of_state(&state, &m, events[0].at(), state.last_event_at()).unwrap();
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
        let mut metrics = Metrics::default();
        let state = replay_projected(&before, &mut metrics);
        assert_eq!(j["events"], before.len());
        assert_eq!(j["as_of_ms"], until.ms());
        assert_eq!(j["more_after_until"], true);
        check_figures(&j, &metrics.total, "total until");
        assert_eq!(j["open_tickets"], state.open_tickets());
        let report = metrics.report(interval_start(events[0].at()), Timestamp::MAX, until).unwrap();
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
    check_figures(&j, &Metrics::of(&events[..events.len() - 1]).total, "total before the torn line");
}

/// A log that stops between a new ticket and its assignment (a crash between the two
/// lines): replayed as far as it goes, with one warning naming the line where the cut
/// decision starts.
#[test]
fn a_log_cut_inside_a_decision_is_replayed_and_warned_about() {
    let (_, events) = desk::log("desk-cut-whole.jsonl");
    let created = (1..events.len())
        .rev()
        .find(|&i| {
            matches!(events[i - 1], Event::TicketCreated { .. })
                && matches!(events[i], Event::TicketAssigned { .. } | Event::TicketOffered { .. })
                && events[i - 1].at() == events[i].at()
        })
        .map(|i| i - 1)
        .expect("a ticket assigned as it was created");
    let cut = &events[..=created];
    let path = crate::scratch("desk-cut.jsonl");
    cs_store::write_all(&path, cut).unwrap();
    let r = cs([std::ffi::OsStr::new("replay"), path.as_os_str(), "--json".as_ref()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.starts_with(&format!("warning: {}:{}: ", path.display(), created + 1)), "{}", r.stderr);
    assert!(r.stderr.contains("stops inside the decision starting with this event (TicketCreated"), "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["events"], cut.len());
    check_figures(&j, &Metrics::of(cut).total, "total of the cut log");
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

/// Runs `cs simulate` on a scenario text and returns the path of its event log.
fn simulated_log(name: &str, scenario: &str) -> std::path::PathBuf {
    let sc = crate::scratch(&format!("{name}.toml"));
    std::fs::write(&sc, scenario).unwrap();
    let log = crate::scratch(&format!("{name}.jsonl"));
    let r = cs([std::ffi::OsStr::new("simulate"), sc.as_os_str(), "--events".as_ref(), log.as_os_str()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    log
}

/// The issue's impossible history: a simulated log with every `WrapUpEnded` deleted used to
/// replay with exit 0 and an occupancy near three times the real one, agents in wrap-up
/// taking tickets. It is refused at the first event that departs from what the engine would
/// have written, naming its line and the wrap-up that should have ended before it.
#[test]
fn a_log_without_its_wrap_up_ends_is_refused() {
    let log = simulated_log(
        "wrap-up",
        r#"
        name = "wrap-up"
        duration_s = 7200
        [[queues]]
        name = "chat"
        channel = "chat"
        arrivals = { kind = "poisson", per_hour = 120 }
        handle_time = { kind = "exponential", mean_s = 120 }
        [[teams]]
        name = "t"
        agents = 6
        capacity = { chat = 1 }
        wrap_up_s = 60
        "#,
    );
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("\"WrapUpEnded\""));
    let kept: Vec<&str> = text.lines().filter(|l| !l.contains("\"WrapUpEnded\"")).collect();
    let first_gone = text.lines().position(|l| l.contains("\"WrapUpEnded\"")).unwrap();
    std::fs::write(&log, kept.join("\n") + "\n").unwrap();
    let r = cs([std::ffi::OsStr::new("replay"), log.as_os_str()]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("wrap-up.jsonl:{}: ", first_gone + 1)), "{}", r.stderr);
    assert!(r.stderr.contains("the engine would have written WrapUpEnded"), "{}", r.stderr);
}

/// Writes an engine's events as a log file.
fn engine_log(name: &str, engine: &cs_core::Engine) -> std::path::PathBuf {
    let path = crate::scratch(name);
    cs_store::write_all(&path, engine.events()).unwrap();
    path
}

/// One agent and one chat a day, taken at once and resolved five minutes later, for
/// `days` days `gap_ms` apart, from `start`.
fn daily(start: Timestamp, days: i64, gap_ms: i64) -> cs_core::Engine {
    use cs_core::{AgentId, Capacity, Channel, Command, CustomerId, SkillId, TeamId, TicketId, TicketSpec};
    let at = |ms: i64| start.plus_ms(ms);
    let mut e = cs_core::Engine::new();
    let setup = [
        Command::Configure { at: at(0), config: Box::new(toml::from_str(desk::CONFIG).unwrap()) },
        Command::RegisterAgent {
            at: at(0),
            key: "ann".into(),
            team: TeamId(0),
            tier: None,
            skills: vec![(SkillId(0), 3)],
            languages: Default::default(),
            capacity: Capacity::only(Channel::Chat, 1),
        },
        Command::Login { at: at(0), agent: AgentId(0) },
    ];
    for c in setup {
        e.execute(&c).unwrap();
    }
    for d in 0..days {
        let ten = d * gap_ms + 36_000_000;
        e.execute(&Command::CreateTicket { at: at(ten), spec: TicketSpec::new(CustomerId(d as u64), Channel::Chat) })
            .unwrap();
        e.execute(&Command::Resolve { at: at(ten + 300_000), ticket: TicketId(d as u64) }).unwrap();
    }
    e
}

/// A log of 40 days prints all 40 tickets (one of a little over 31 days used to print
/// `tickets 0`); `--from` a midnight of the days kept as daily totals counts from there,
/// and `--from` inside such a day is an error saying why, not a silent zero.
#[test]
fn a_log_longer_than_31_days_is_summarised_whole() {
    let start = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    let path = engine_log("forty-days.jsonl", &daily(start, 40, 86_400_000));
    let r = cs([std::ffi::OsStr::new("replay"), path.as_os_str(), "--json".as_ref()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!((j["tickets"].as_u64(), j["answered"].as_u64()), (Some(40), Some(40)), "{j}");
    let from = "2026-01-04T00:00:00Z";
    let r = cs([std::ffi::OsStr::new("replay"), path.as_os_str(), "--json".as_ref(), "--from".as_ref(), from.as_ref()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["tickets"].as_u64(), Some(37));
    let inside = "2026-01-04T09:00:00Z";
    let r = cs([std::ffi::OsStr::new("replay"), path.as_os_str(), "--from".as_ref(), inside.as_ref()]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr.contains("kept only as a daily total") && r.stderr.contains("2026-01-04T00:00:00.000Z"),
        "{}",
        r.stderr
    );
}

/// A log with a gap from 1970 to the year 9999 replays at once with exact figures (it used
/// to spin, its cost growing with the gap), and an event at `i64::MAX` ms is refused with
/// its time written out, instead of taken and printed as a raw number.
#[test]
fn long_gaps_replay_at_once_and_the_end_of_time_is_refused() {
    let start = Timestamp(0);
    let last = Timestamp::LATEST.plus_ms(-86_400_000).since(start);
    let path = engine_log("millennia.jsonl", &daily(start, 2, last - 36_000_000 - 300_000));
    let r = cs([std::ffi::OsStr::new("replay"), path.as_os_str(), "--json".as_ref()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["tickets"].as_u64(), Some(2), "{j}");
    // Staffed from 1970 to the last event: every second of it.
    close(j["occupancy"].as_f64().unwrap(), 600_000.0 / (last as f64), "occupancy over eight millennia");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let n = lines.len();
    let mut end: Value = serde_json::from_str(&lines[n - 1]).unwrap();
    end["at"] = serde_json::json!(i64::MAX);
    lines[n - 1] = end.to_string();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let r = cs([std::ffi::OsStr::new("replay"), path.as_os_str()]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr.contains(&format!("millennia.jsonl:{n}: "))
            && r.stderr.contains("9223372036854775807 ms since the epoch"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("9999-12-31T23:59:59.999Z"), "{}", r.stderr);
}

/// A chat desk running short in a surge, with an SLA policy: tickets wait, clocks run.
const SHORT_DESK: &str = r#"
name = "short-desk"
seed = 5
duration_s = 14400
[[queues]]
name = "chat"
channel = "chat"
skills = ["chat"]
arrivals = { kind = "poisson", per_hour = 120, surges = [{ start_s = 7200, duration_s = 7200, multiplier = 2 }] }
handle_time = { kind = "exponential", mean_s = 240 }
patience = { kind = "exponential", mean_s = 900 }
[[queues]]
name = "mail"
channel = "email"
skills = ["mail"]
arrivals = { kind = "poisson", per_hour = 20 }
handle_time = { kind = "exponential", mean_s = 300 }
[[teams]]
name = "desk"
agents = 9
skills = { chat = 1, mail = 1 }
capacity = { chat = 1, email = 1 }
[[engine.sla_policies]]
name = "chat"
channels = ["chat"]
first_response_s = 120
resolution_s = 1800
"#;

/// The short desk's log, simulated into files named for the test (tests run at once).
fn short_desk_log(name: &str) -> std::path::PathBuf {
    let scenario = crate::scratch(&format!("{name}.toml"));
    std::fs::write(&scenario, SHORT_DESK).unwrap();
    let log = crate::scratch(&format!("{name}.jsonl"));
    let r = cs([std::ffi::OsStr::new("simulate"), scenario.as_os_str(), "--events".as_ref(), log.as_os_str()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    log
}

fn replay_json(args: &[&str]) -> Value {
    let mut all = vec!["replay"];
    all.extend_from_slice(args);
    all.push("--json");
    let r = cs(&all);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()
}

#[test]
fn waiting_tickets_have_their_place_and_estimated_wait() {
    let log = short_desk_log("short-desk-waiting");
    let until = (1_767_571_200_000i64 + 3 * 3_600_000).to_string();
    let j = replay_json(&[log.to_str().unwrap(), "--until", &until]);
    let waiting = j["waiting_tickets"].as_array().unwrap();
    assert!(waiting.len() > 5, "the surge leaves tickets waiting: {}", waiting.len());
    assert_eq!(waiting.len() as u64, j["waiting"].as_u64().unwrap(), "every waiting ticket is listed");
    let chat: Vec<&Value> = waiting.iter().filter(|w| w["queue"] == "chat").collect();
    for (i, w) in chat.iter().enumerate() {
        assert_eq!(w["position"], i + 1, "positions count from 1 without gaps");
        assert!(w["waited_s"].as_f64().unwrap() >= 0.0);
    }
    // Served in order with the same handle time and agents: a later place never waits less.
    let ewt: Vec<f64> = chat.iter().map(|w| w["estimated_wait_s"].as_f64().expect("handle times are known")).collect();
    assert!(ewt.windows(2).all(|p| p[0] <= p[1]), "{ewt:?}");
    assert!(ewt[0] > 0.0);

    // One of them, with its SLA clocks.
    let last = chat.last().unwrap();
    let id = last["id"].as_u64().unwrap();
    let t = replay_json(&[log.to_str().unwrap(), "--until", &until, "--ticket", &format!("T{id}")]);
    let ticket = &t["ticket"];
    assert_eq!(ticket["id"], id);
    assert_eq!(ticket["status"], "queued");
    assert_eq!(ticket["position"], last["position"]);
    let clocks = ticket["sla"].as_array().unwrap();
    let first = clocks.iter().find(|c| c["kind"] == "first_response").expect("a first-response clock");
    assert_eq!(first["policy"], "chat");
    let (elapsed, left) = (first["elapsed_ms"].as_i64().unwrap(), first["remaining_ms"].as_i64().unwrap());
    assert_eq!(elapsed + left, 120_000, "elapsed and left add up to the target");
    assert_eq!(elapsed, (last["waited_s"].as_f64().unwrap() * 1000.0).round() as i64, "the clock runs from arrival");

    let r = cs(["replay", log.to_str().unwrap(), "--ticket", "nope"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("no ticket \"nope\""), "{}", r.stderr);
}

#[test]
fn staffing_as_of_a_time_follows_the_last_hour() {
    let log = short_desk_log("short-desk-staffing");
    // Forty minutes into the surge: the last hour rises; the running interval is two
    // thirds done, so it counts, scaled up.
    let at = 1_767_571_200_000i64 + 2 * 3_600_000 + 40 * 60_000;
    let j = replay_json(&[log.to_str().unwrap(), "--until", &at.to_string(), "--staffing", "--ahead", "2"]);
    let s = &j["staffing"];
    assert_eq!(s["reserve"], 0.2);
    let observed = &s["observed"][0];
    assert_eq!(observed["queue"], "chat");
    // The four intervals' arrivals are the log's tickets created in them.
    let events = cs_store::read_all_tolerant(&log).unwrap().events;
    let first = interval_start(Timestamp(at)).plus_ms(-3 * 900_000);
    let mut counts = [0u64; 4];
    for e in &events {
        if let Event::TicketCreated { spec, .. } = e
            && spec.channel == cs_core::Channel::Chat
            && e.at() >= first
            && e.at() <= Timestamp(at)
        {
            counts[(e.at().since(first) / 900_000) as usize] += 1;
        }
    }
    let got: Vec<u64> = observed["arrivals"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert_eq!(got, counts, "the last hour's arrivals per 15 minutes");
    assert!((observed["last_share"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);

    // On an interval's start, the four complete intervals before it.
    let on = 1_767_571_200_000i64 + 2 * 3_600_000 + 30 * 60_000;
    let k = replay_json(&[log.to_str().unwrap(), "--until", &on.to_string(), "--staffing"]);
    let o = &k["staffing"]["observed"][0];
    assert_eq!(o["last_share"], 1.0);
    assert_eq!(o["arrivals"][3], counts[2], "the interval before the view's is the last counted");
    let needs = s["queues"][0]["needs"].as_array().unwrap();
    assert_eq!(needs.len(), 3, "now and two intervals ahead");
    // Each projected rate staffed as `cs staff` staffs it.
    let aht = observed["aht_s"].as_f64().unwrap();
    for n in needs {
        let rate = n["arrivals_per_hour"].as_f64().unwrap();
        let r = cs([
            "staff",
            "--arrivals-per-hour",
            &rate.to_string(),
            "--aht-s",
            &aht.to_string(),
            "--target-s",
            "20",
            "--service-level",
            "0.8",
            "--json",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(n["agents"], r.json()["agents"], "{n}");
    }
    // The surge doubled arrivals: the rate now is well above the hour before it.
    assert!(needs[0]["arrivals_per_hour"].as_f64().unwrap() > 150.0, "{}", needs[0]);
    assert!(needs[2]["agents"].as_u64() >= needs[0]["agents"].as_u64(), "rising, not falling");
}
