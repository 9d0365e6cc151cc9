//! The JSON-lines log: round trips, the golden v1 log, and every way a log can be bad.

use crate::desk;
use cs_core::Event;
use cs_store::{JsonlReader, JsonlWriter, LogError, read_all, read_all_tolerant, write_all};
use std::path::PathBuf;

/// A fresh path under cargo's scratch directory for integration tests.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cs-store-it");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn encode(events: &[Event]) -> Vec<u8> {
    let mut w = JsonlWriter::new(Vec::new());
    w.append_all(events).unwrap();
    w.flush().unwrap();
    w.into_inner()
}

fn read_bytes(bytes: &[u8]) -> Result<Vec<Event>, LogError> {
    JsonlReader::new(bytes).with_file("mem.jsonl").collect()
}

/// Replaces line `n` (1-based) of a log.
fn with_line(bytes: &[u8], n: usize, line: &str) -> Vec<u8> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[n - 1] = line.to_owned();
    (lines.join("\n") + "\n").into_bytes()
}

#[test]
fn engine_log_round_trips_through_a_file() {
    let events = desk::events();
    assert!(events.len() > 20, "the desk produces a real log");
    let path = scratch("round-trip.jsonl");
    write_all(&path, &events).unwrap();
    assert_eq!(read_all(&path).unwrap(), events);
    // And through any writer, with the same bytes.
    assert_eq!(encode(&events), std::fs::read(&path).unwrap());
    // Replaying the decoded log gives the engine's state.
    let decoded = read_all(&path).unwrap();
    assert_eq!(cs_core::replay(&decoded).open_tickets(), cs_core::replay(&events).open_tickets());
}

#[test]
fn lines_are_versioned_envelopes() {
    let bytes = encode(&desk::events());
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.ends_with('\n'));
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["v"], cs_core::event::EVENT_SCHEMA_VERSION, "{line}");
        assert!(v["type"].is_string(), "{line}");
    }
    assert!(
        text.starts_with(&format!("{{\"v\":{},\"type\":\"Configured\"", cs_core::event::EVENT_SCHEMA_VERSION)),
        "{}",
        &text[..40]
    );
}

#[test]
fn golden_v1_log_reads_back_fully() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../cs-core/tests/golden/v1-desk.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let events = read_all(&path).unwrap();
    assert_eq!(events.len(), text.lines().count());
    let direct: Vec<Event> =
        text.lines().map(|l| serde_json::from_str::<cs_core::Envelope>(l).unwrap().event).collect();
    assert_eq!(events, direct);
    assert!(matches!(events[0], Event::Configured { .. }));
    // Written again by this build, it reads back to the same events.
    assert_eq!(read_bytes(&encode(&events)).unwrap(), events);
}

#[test]
fn torn_tail_is_reported_and_the_complete_part_recovered() {
    let events = desk::events();
    let bytes = encode(&events);
    let last_start = bytes[..bytes.len() - 1].iter().rposition(|&b| b == b'\n').unwrap() + 1;
    // A crash in the middle of the last write: half a line, no newline.
    let cut = last_start + (bytes.len() - last_start) / 2;
    let path = scratch("torn.jsonl");
    std::fs::write(&path, &bytes[..cut]).unwrap();

    let err = read_all(&path).unwrap_err();
    match &err {
        LogError::TornTail { line, offset, bytes: torn, file } => {
            assert_eq!(*line, events.len() as u64);
            assert_eq!(*offset, last_start as u64);
            assert_eq!(*torn, (cut - last_start) as u64);
            assert_eq!(file.as_deref(), Some(path.as_path()));
        }
        other => panic!("expected a torn tail, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&format!("torn.jsonl:{}:", events.len())) && msg.contains("torn"), "{msg}");

    let recovered = read_all_tolerant(&path).unwrap();
    assert_eq!(recovered.events, events[..events.len() - 1]);
    let torn = recovered.torn_tail.expect("the tail is reported torn");
    assert_eq!((torn.line, torn.offset), (events.len() as u64, last_start as u64));

    // A whole log reads tolerantly with no torn tail.
    let whole = scratch("whole.jsonl");
    write_all(&whole, &events).unwrap();
    assert_eq!(read_all_tolerant(&whole).unwrap().torn_tail, None);
}

#[test]
fn complete_last_line_without_newline_is_accepted() {
    let events = desk::events();
    let bytes = encode(&events);
    assert_eq!(read_bytes(&bytes[..bytes.len() - 1]).unwrap(), events);
}

#[test]
fn a_damaged_middle_line_is_corruption_not_a_torn_tail() {
    let events = desk::events();
    let bytes = encode(&events);
    let text = String::from_utf8(bytes.clone()).unwrap();
    let third = text.lines().nth(2).unwrap();
    let damaged = with_line(&bytes, 3, &third[..third.len() / 2]);
    let err = read_bytes(&damaged).unwrap_err();
    assert!(matches!(err, LogError::BadJson { line: 3, .. }), "{err:?}");
    // Tolerant reading refuses it too: only the last line may be torn.
    assert!(JsonlReader::new(&damaged[..]).read_tolerant().is_err());
}

#[test]
fn bad_json_line_names_file_and_line() {
    let bytes = with_line(&encode(&desk::events()), 4, "{\"v\":1,\"type\":");
    let err = read_bytes(&bytes).unwrap_err();
    assert!(matches!(err, LogError::BadJson { line: 4, .. }), "{err:?}");
    assert!(err.to_string().starts_with("mem.jsonl:4: not valid JSON"), "{err}");
}

#[test]
fn time_going_back_is_refused_naming_the_line() {
    let events = desk::events();
    let bytes = encode(&events);
    let text = String::from_utf8(bytes.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Move the last line (the latest event) to just after the configuration.
    let mut reordered = vec![lines[0], lines[lines.len() - 1]];
    reordered.extend(&lines[1..lines.len() - 1]);
    let err = read_bytes((reordered.join("\n") + "\n").as_bytes()).unwrap_err();
    assert!(matches!(err, LogError::TimeWentBack { line: 3, .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with("mem.jsonl:3:") && msg.contains("goes back in time"), "{msg}");

    // The writer refuses it before writing anything.
    let mut w = JsonlWriter::new(Vec::new());
    w.append(&events[events.len() - 1]).unwrap();
    let err = w.append(&events[0]).unwrap_err();
    assert!(matches!(err, LogError::TimeWentBack { line: 2, .. }), "{err:?}");
    assert_eq!(w.lines(), 1);
    assert_eq!(w.get_ref().iter().filter(|&&b| b == b'\n').count(), 1);
}

#[test]
fn unknown_event_type_is_named() {
    let bytes = with_line(&encode(&desk::events()), 2, r#"{"v":1,"type":"TicketTeleported","at":1795424400000}"#);
    let err = read_bytes(&bytes).unwrap_err();
    assert!(
        matches!(&err, LogError::UnknownType { line: 2, type_name, .. } if type_name == "TicketTeleported"),
        "{err:?}"
    );
    assert!(err.to_string().contains("unknown event type \"TicketTeleported\""), "{err}");
    // A known type with an unknown value inside is a bad event of that type, not an
    // unknown type.
    let text = String::from_utf8(encode(&desk::events())).unwrap();
    let created = text.lines().position(|l| l.contains("\"TicketCreated\"")).unwrap();
    let fax = text.lines().nth(created).unwrap().replacen("\"channel\":\"chat\"", "\"channel\":\"fax\"", 1);
    assert!(fax.contains("fax"), "{fax}");
    let err = read_bytes(&with_line(text.as_bytes(), created + 1, &fax)).unwrap_err();
    assert!(matches!(&err, LogError::BadEvent { type_name, .. } if type_name == "TicketCreated"), "{err:?}");
    assert!(err.to_string().contains("fax"), "{err}");
}

#[test]
fn future_schema_version_is_refused_naming_the_version() {
    let bytes = encode(&desk::events());
    let text = String::from_utf8(bytes.clone()).unwrap();
    let v = cs_core::event::EVENT_SCHEMA_VERSION;
    let second = text.lines().nth(1).unwrap().replacen(&format!("\"v\":{v}"), "\"v\":99", 1);
    let err = read_bytes(&with_line(&bytes, 2, &second)).unwrap_err();
    assert!(matches!(err, LogError::UnsupportedVersion { line: 2, v: 99, supported, .. } if supported == v), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with("mem.jsonl:2:") && msg.contains("v=99"), "{msg}");
}

#[test]
fn records_without_version_or_type_and_bad_fields_are_refused() {
    let bytes = encode(&desk::events());
    let cases = [
        (r#"{"type":"TicketResolved","at":1795424400000,"ticket":0}"#, "no schema version"),
        (r#"{"v":"one","type":"TicketResolved","at":1795424400000,"ticket":0}"#, "not a whole number"),
        (r#"{"v":1,"at":1795424400000,"ticket":0}"#, "no event \"type\""),
        (r#"[1,2,3]"#, "expected a JSON object"),
        (r#"{"v":0,"type":"TicketResolved","at":1795424400000,"ticket":0}"#, "never existed"),
        (r#"{"v":1,"type":"TicketResolved","at":1795424400000}"#, "bad TicketResolved event: missing field `ticket`"),
    ];
    for (line, expect) in cases {
        let err = read_bytes(&with_line(&bytes, 2, line)).unwrap_err();
        assert_eq!(err.line(), Some(2), "{err:?}");
        assert!(err.to_string().contains(expect), "{line}: {err}");
    }
}

#[test]
fn the_reader_stops_at_the_first_error() {
    let bytes = with_line(&encode(&desk::events()), 2, "not json");
    let items: Vec<_> = JsonlReader::new(&bytes[..]).collect();
    assert_eq!(items.len(), 2, "one event, then the error, then nothing");
    assert!(items[1].is_err());
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let path = scratch("does-not-exist.jsonl");
    let err = read_all(&path).unwrap_err();
    assert!(matches!(err, LogError::Io { .. }));
    assert!(err.to_string().contains("does-not-exist.jsonl"), "{err}");
}

#[test]
fn a_log_reopens_for_appending_after_cutting_a_torn_tail() {
    let events = desk::events();
    let (first, rest) = events.split_at(events.len() / 2);
    let path = scratch("reopen.jsonl");
    let _ = std::fs::remove_file(&path);
    // A log that does not exist yet is created.
    let (mut w, found) = JsonlWriter::open_append(&path).unwrap();
    assert_eq!((found.events, found.torn_tail), (0, None));
    w.append_all(first).unwrap();
    w.sync().unwrap();
    drop(w);
    // A crash in the middle of the next write leaves half a line.
    let mut bytes = std::fs::read(&path).unwrap();
    let complete = bytes.len() as u64;
    let next = serde_json::to_string(&cs_core::Envelope::new(rest[0].clone())).unwrap();
    bytes.extend_from_slice(&next.as_bytes()[..next.len() / 2]);
    std::fs::write(&path, &bytes).unwrap();

    let (mut w, found) = JsonlWriter::open_append(&path).unwrap();
    assert_eq!(found.events, first.len() as u64);
    assert_eq!(found.last_at, Some(first.last().unwrap().at()));
    assert_eq!(found.torn_tail.map(|t| t.offset), Some(complete));
    // The writer refuses to go back in time from the last event already there.
    let early = Event::TicketResolved { at: cs_core::Timestamp(0), ticket: cs_core::TicketId(0) };
    assert!(matches!(w.append(&early), Err(LogError::TimeWentBack { .. })));
    w.append_all(rest).unwrap();
    w.sync().unwrap();
    assert_eq!(read_all(&path).unwrap(), events);
}

#[test]
fn a_damaged_log_is_not_reopened_and_is_left_alone() {
    let path = scratch("reopen-damaged.jsonl");
    let bytes = with_line(&encode(&desk::events()), 3, "{\"v\":1,\"type\":\"Nonsense\",\"at\":1}");
    std::fs::write(&path, &bytes).unwrap();
    let err = JsonlWriter::open_append(&path).unwrap_err();
    assert!(err.to_string().contains("reopen-damaged.jsonl:3:"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

/// `tests/golden/v1-sla.jsonl` was written by event schema v1 (before `SlaBreached` named
/// its deadline) and is never regenerated: it must load, every breach upcast with the
/// deadline it missed, and replay to the state the same desk reaches today.
#[test]
fn a_v1_log_is_upcast_to_the_current_schema() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v1-sla.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.lines().all(|l| l.starts_with("{\"v\":1,")), "the golden log is v1");
    assert!(!text.lines().any(|l| l.contains("SlaBreached") && l.contains("deadline")), "v1 breaches name no deadline");
    let events = read_all(&path).unwrap();
    let breaches: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::SlaBreached { at, deadline, .. } => Some((*at, *deadline)),
            _ => None,
        })
        .collect();
    assert_eq!(breaches.len(), 6, "the log has breaches of every clock kind");
    assert!(breaches.iter().all(|(at, deadline)| at == deadline), "{breaches:?}");
    // Written again, the log is v2 and reads back the same.
    let mut w = JsonlWriter::new(Vec::new());
    w.append_all(&events).unwrap();
    let v2 = String::from_utf8(w.into_inner()).unwrap();
    assert!(v2.lines().all(|l| l.starts_with(&format!("{{\"v\":{},", cs_core::event::EVENT_SCHEMA_VERSION))));
    assert_eq!(read_bytes(v2.as_bytes()).unwrap(), events);
    // The upcast log replays (each event checked) to a state with the breaches counted.
    let (_, metrics) = cs_core::try_replay_projected::<cs_core::metrics::Metrics>(&events).unwrap();
    assert_eq!(metrics.total.sla_breached, 6);
}

/// A log saved with a byte-order mark (as some editors write UTF-8) reads as the same log,
/// as a TOML file with one does; it used to fail at line 1, column 1. A mark anywhere
/// else is still an error.
#[test]
fn a_byte_order_mark_at_the_start_is_skipped() {
    let events = desk::events();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(encode(&events));
    assert_eq!(read_bytes(&bytes).unwrap(), events);
    let path = scratch("bom.jsonl");
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(read_all(&path).unwrap(), events);
    let text = String::from_utf8(encode(&events)).unwrap();
    let second = text.lines().nth(1).unwrap();
    let bad = with_line(text.as_bytes(), 2, &format!("\u{feff}{second}"));
    assert!(matches!(read_bytes(&bad), Err(LogError::BadJson { line: 2, .. })));
}
