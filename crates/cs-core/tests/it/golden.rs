//! Golden event logs: logs written by earlier versions must keep loading.
//!
//! `tests/golden/v1-desk.jsonl` was written by schema version 1 and is never regenerated:
//! it is decoded and replayed, and the resulting state is compared with
//! `v1-desk.expected.txt`. When the event schema grows, this test proves old logs still
//! load (through upcasting where needed). `UPDATE_GOLDEN=1` writes the files only if they
//! do not exist yet.

use crate::fixture::*;
use cs_core::{
    AgentId, Channel, Command, Emotion, Envelope, Event, QueueId, State, TicketId, TicketSpec, Urgency, replay,
};
use std::fmt::Write as _;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// A desk's morning touching every v1 event type.
fn scenario() -> Vec<Command> {
    let email = |c: u64| TicketSpec { channel: Channel::Email, ..chat_spec(c) };
    let mut cmds = vec![
        configure(),
        register(0, "ann", TIER1, &[(BILLING, 3), (TECH_SKILL, 3)], chats(2)),
        register(0, "bob", TIER1, &[(BILLING, 2)], chats(1)),
        register(0, "eve", EXPERTS, &[(BILLING, 1), (TECH_SKILL, 5)], cs_core::Capacity::only(Channel::Email, 3)),
        login(1, 0),
        login(2, 1),
    ];
    for c in 0..5 {
        cmds.push(chat(10 + c as i64, c));
    }
    cmds.extend([
        Command::CreateTicket { at: t(20), spec: TicketSpec { queue: Some(TECH), ..email(9) } },
        Command::UpdateTicket {
            at: t(21),
            ticket: TicketId(4),
            tier: None,
            urgency: Some(Urgency::High),
            emotion: Some(Emotion::Angry),
        },
        Command::AgentReply { at: t(30), ticket: TicketId(0) },
        Command::SetPending { at: t(31), ticket: TicketId(0) },
        Command::Resolve { at: t(40), ticket: TicketId(1) },
        Command::CustomerMessage { at: t(50), ticket: TicketId(0) },
        Command::Tick { at: t(85) },
        Command::Login { at: t(86), agent: AgentId(2) },
        Command::Transfer { at: t(90), ticket: TicketId(2), queue: QueueId(1) },
        Command::SetPresence { at: t(95), agent: AgentId(1), presence: cs_core::Presence::Away },
        Command::Abandon { at: t(96), ticket: TicketId(3) },
        Command::SetAgentSkills { at: t(97), agent: AgentId(1), skills: vec![(BILLING, 4)] },
        Command::SetAgentCapacity { at: t(98), agent: AgentId(0), capacity: chats(3) },
        Command::Resolve { at: t(100), ticket: TicketId(4) },
        Command::Reopen { at: t(110), ticket: TicketId(4) },
        Command::Logout { at: t(120), agent: AgentId(0) },
        Command::SetPresence { at: t(121), agent: AgentId(1), presence: cs_core::Presence::Available },
        Command::AssignTicket { at: t(122), ticket: TicketId(2), agent: AgentId(2), force: false },
        Command::Abandon { at: t(130), ticket: TicketId(0) },
    ]);
    cmds
}

fn summary(s: &State) -> String {
    let mut out = String::new();
    for t in s.tickets() {
        let _ = writeln!(
            out,
            "{} {} queue={} step={} agent={:?} since={} reopened={} transfers={} position={:?}",
            t.id,
            t.status.name(),
            t.queue,
            t.step,
            t.agent,
            t.queued_since,
            t.reopen_count,
            t.transfer_count,
            s.queue_position(t.id)
        );
    }
    for a in s.agents() {
        let _ =
            writeln!(out, "{} {} {} load={:?} held={:?}", a.id, a.key, a.presence.name(), a.load.per_channel.0, a.held);
    }
    let _ =
        writeln!(out, "events={} open={} next_deadline={:?}", s.events_applied(), s.open_tickets(), s.next_deadline());
    out
}

#[test]
fn v1_log_still_loads_and_replays_to_the_same_state() {
    let log_path = dir().join("v1-desk.jsonl");
    let expected_path = dir().join("v1-desk.expected.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() && !log_path.exists() {
        let mut e = cs_core::Engine::new();
        for c in scenario() {
            // Some commands are refused on purpose (a refusal writes nothing).
            let _ = e.execute(&c);
        }
        let lines: String =
            e.events().iter().map(|ev| serde_json::to_string(&Envelope::new(ev.clone())).unwrap() + "\n").collect();
        std::fs::write(&log_path, lines).unwrap();
        std::fs::write(&expected_path, summary(e.state())).unwrap();
    }
    let text = std::fs::read_to_string(&log_path).expect("golden log exists (UPDATE_GOLDEN=1 creates it once)");
    let events: Vec<Event> = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let env: Envelope = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
            assert_eq!(env.v, 1, "line {} was written by schema version 1", i + 1);
            env.event
        })
        .collect();
    let names: std::collections::BTreeSet<&str> = events.iter().map(Event::name).collect();
    assert_eq!(names.len(), 18, "the golden log covers every v1 event type: {names:?}");
    let expected = std::fs::read_to_string(&expected_path).unwrap();
    assert_eq!(summary(&replay(&events)), expected);
    // The checked replay, which decides every command again, takes the old log too: the
    // engine still writes exactly these events for it.
    assert_eq!(cs_core::try_replay(&events).map(|s| summary(&s)), Ok(expected));
}
