//! `cs-fuzz`: what each fuzz target does with its bytes. The cargo-fuzz targets under
//! `fuzz/` call these functions, and `tests/corpus.rs` replays every input of their corpora
//! (and every input that ever crashed, kept under `fuzz/regressions/`) on stable Rust, so
//! CI checks them without a nightly toolchain.
//!
//! Each function must return normally for any input: a panic is a bug found. Where an input
//! decodes, it also checks what must then hold (a decoded event encodes and decodes to
//! itself, a replayed state survives its snapshot, every decided state passes
//! `cs_core::audit`).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use cs_core::{Command, Engine, Event, State};
use std::sync::OnceLock;

/// A target's body.
pub type Target = fn(&[u8]);

/// The targets, by name, as the corpus folders are named.
pub const TARGETS: &[(&str, Target)] = &[
    ("event_record", event_record),
    ("jsonl_log", jsonl_log),
    ("config_text", config_text),
    ("scenario_text", scenario_text),
    ("sqlite_file", sqlite_file),
    ("http_body", http_body),
    ("commands", commands),
];

/// One JSON-lines record: decoded, it encodes and decodes back to the same event.
pub fn event_record(data: &[u8]) {
    if let Ok(e) = cs_store::codec::decode_record(data) {
        let json = cs_store::codec::encode_event(&e);
        let again = cs_store::codec::decode_event(cs_core::event::EVENT_SCHEMA_VERSION, &json)
            .unwrap_or_else(|err| panic!("a decoded event does not decode again: {err}: {json}"));
        assert_eq!(again, e, "decode -> encode -> decode changed the event");
    }
}

/// A whole log as `cs replay` and `cs import` read it: decoded, replayed with every event
/// checked; a state that replays survives its snapshot.
pub fn jsonl_log(data: &[u8]) {
    let Ok(recovered) = cs_store::JsonlReader::new(data).read_tolerant() else { return };
    if recovered.events.len() > 10_000 {
        return;
    }
    if let Ok(state) = cs_core::try_replay(&recovered.events) {
        snapshot_round_trip(&state);
    }
}

fn snapshot_round_trip(state: &State) {
    let json = serde_json::to_string(state).expect("a state serialises");
    let back: State =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("a state's snapshot does not read back: {e}"));
    assert!(&back == state, "a state read back from its snapshot differs");
}

/// An engine config in TOML and in JSON: parsed and compiled (every problem an error).
pub fn config_text(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(spec) = toml::from_str::<cs_core::ConfigSpec>(&text) {
        let _ = cs_core::Config::new(spec);
    }
    if let Ok(spec) = serde_json::from_slice::<cs_core::ConfigSpec>(data) {
        let _ = cs_core::Config::new(spec);
    }
}

/// A simulation scenario in TOML: parsed and checked.
pub fn scenario_text(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = cs_sim::Scenario::from_toml_str(&text, "fuzz.toml");
}

/// Arbitrary bytes as a store's SQLite file: opened (refused or not) and, if opened, read.
pub fn sqlite_file(data: &[u8]) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("events.db");
    std::fs::write(&path, data).expect("write the file");
    let options = cs_store::SqliteOptions { check_at_open: true, ..Default::default() };
    let Ok(store) = cs_store::SqliteStore::open(&path, options) else { return };
    use cs_store::EventStore;
    if let Ok(partitions) = store.partitions() {
        for p in partitions.iter().take(8) {
            let _ = store.head(p);
            let _ = store.read(p, cs_store::Range::from(1, 1000));
            let _ = store.load_snapshot(p);
        }
    }
}

/// A desk with a config, two agents and a few tickets, the state HTTP bodies are decoded
/// against.
fn desk() -> &'static Engine {
    static DESK: OnceLock<Engine> = OnceLock::new();
    DESK.get_or_init(|| {
        let spec: cs_core::ConfigSpec = toml::from_str(
            r#"
skills = ["general", "billing"]
languages = ["en"]
categories = ["refund"]
teams = [{ name = "support" }]
[[queues]]
name = "general"
channels = ["chat", "email", "phone", "social", "other"]
skills = { general = 1 }
[[sla_policies]]
name = "chat"
channels = ["chat"]
first_response_s = 30
"#,
        )
        .expect("the desk's config");
        let mut e = Engine::new();
        let at = cs_core::Timestamp(1_800_000_000_000);
        e.execute(&Command::Configure { at, config: Box::new(spec) }).expect("configured");
        for (i, key) in ["ann", "bob"].iter().enumerate() {
            let agent = cs_http::api::NewAgent {
                id: (*key).to_owned(),
                team: "support".to_owned(),
                skills: [("general".to_owned(), 3)].into_iter().collect(),
                capacity: [("chat".to_owned(), 1)].into_iter().collect(),
                units: None,
                languages: vec![],
                tier: None,
            };
            let cmd = cs_http::api::register_agent(e.state(), at, agent).expect("an agent");
            e.execute(&cmd).expect("registered");
            e.execute(&Command::Login { at, agent: cs_core::AgentId(i as u32) }).expect("logged in");
        }
        for n in 0..3 {
            let mut spec = cs_core::TicketSpec::new(cs_core::CustomerId(n), cs_core::Channel::Chat);
            spec.key = Some(format!("T-{n}"));
            e.execute(&Command::CreateTicket { at, spec }).expect("a ticket");
        }
        e
    })
}

/// A request body as the API decodes it, translated into a command against the desk and
/// decided; the state after passes the audit.
pub fn http_body(data: &[u8]) {
    use cs_http::api;
    let desk = desk();
    let s = desk.state();
    let at = s.last_event_at().plus_ms(1000);
    let mut commands: Vec<Command> = Vec::new();
    if let Ok(b) = cs_http::routes::decode::<api::NewTicket>(data) {
        commands.extend(api::create_ticket(s, at, b).ok());
    }
    if let Ok(b) = cs_http::routes::decode::<api::NewAgent>(data) {
        commands.extend(api::register_agent(s, at, b).ok());
    }
    if let Ok(b) = cs_http::routes::decode::<api::Action>(data) {
        commands.extend(api::action(s, at, "T-1", b).ok());
    }
    if let Ok(b) = cs_http::routes::decode::<api::TicketPatch>(data) {
        commands.extend(api::patch(s, at, "T-2", b).ok());
    }
    if let Ok(b) = cs_http::routes::decode::<api::PresenceBody>(data) {
        commands.extend(api::presence(s, at, "bob", b).ok());
    }
    if let Ok(spec) = cs_http::routes::decode::<cs_core::ConfigSpec>(data) {
        commands.push(Command::Configure { at, config: Box::new(spec) });
    }
    for c in commands {
        let mut e = desk.clone();
        if e.execute(&c).is_ok() {
            cs_core::audit(e.state()).unwrap_or_else(|why| panic!("after {c:?}: {why}"));
        }
    }
}

/// Bytes as a sequence of commands on a desk: every command decided, the state audited
/// after each, and the log replaying to the same state at the end.
pub fn commands(data: &[u8]) {
    let mut e = desk().clone();
    let mut log: Vec<Event> = Vec::new();
    let base = e.state().last_event_at();
    let mut t = 0i64;
    for chunk in data.chunks(4).take(256) {
        let [op, a, b, dt] =
            [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0), *chunk.get(3).unwrap_or(&0)];
        t += i64::from(dt) * 500;
        let at = base.plus_ms(t);
        let ticket = cs_core::TicketId(u64::from(a % 16));
        let agent = cs_core::AgentId(u32::from(a % 4));
        let cmd = match op % 16 {
            0 | 1 => {
                let mut spec = cs_core::TicketSpec::new(
                    cs_core::CustomerId(u64::from(b % 8)),
                    cs_core::Channel::ALL[usize::from(b % 5)],
                );
                spec.urgency = if b & 0x80 != 0 { cs_core::Urgency::High } else { cs_core::Urgency::Normal };
                Command::CreateTicket { at, spec }
            }
            2 => Command::Login { at, agent },
            3 => Command::Logout { at, agent },
            4 => Command::AgentReply { at, ticket },
            5 => Command::CustomerMessage { at, ticket },
            6 => Command::Resolve { at, ticket },
            7 => Command::Reopen { at, ticket },
            8 => Command::SetPending { at, ticket },
            9 => Command::Abandon { at, ticket },
            10 => Command::AssignTicket { at, ticket, agent, force: b & 1 == 1 },
            11 => Command::SetPresence {
                at,
                agent,
                presence: if b & 1 == 0 { cs_core::Presence::Away } else { cs_core::Presence::Available },
            },
            12 => Command::SetAgentCapacity {
                at,
                agent,
                capacity: cs_core::Capacity::only(cs_core::Channel::Chat, b % 4),
            },
            13 => Command::Transfer { at, ticket, queue: cs_core::QueueId(u16::from(b % 2)) },
            14 => Command::UpdateTicket {
                at,
                ticket,
                tier: None,
                urgency: Some(cs_core::Urgency::Critical),
                emotion: None,
            },
            _ => Command::Tick { at },
        };
        let before = e.events().len();
        let _ = e.execute(&cmd);
        log.extend_from_slice(&e.events()[before..]);
        cs_core::audit(e.state()).unwrap_or_else(|why| panic!("after {cmd:?}: {why}"));
    }
    let mut full: Vec<Event> = desk().events().to_vec();
    full.extend(log);
    assert!(cs_core::replay(&full) == *e.state(), "the log does not replay to the state");
}
