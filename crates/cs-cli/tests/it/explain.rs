//! `cs explain`: a waiting ticket's candidates and exclusions as of an instant, and a past
//! assignment explained over the state just before it, with names for ids.

use crate::cs;
use cs_core::Event;
use serde_json::Value;

/// Nine agents, one chat each, and a surge: at 03:00 chats wait and every skilled agent is
/// full; two trainees serve only the basic queue.
const DESK: &str = r#"
name = "explain-desk"
seed = 8
duration_s = 14400
[[queues]]
name = "chat"
channel = "chat"
skills = { chat = 2 }
arrivals = { kind = "poisson", per_hour = 120, surges = [{ start_s = 7200, duration_s = 7200, multiplier = 2 }] }
handle_time = { kind = "exponential", mean_s = 240 }
[[queues]]
name = "basic"
channel = "chat"
skills = { chat = 1 }
arrivals = { kind = "poisson", per_hour = 4 }
handle_time = { kind = "exponential", mean_s = 120 }
[[teams]]
name = "desk"
agents = 9
skills = { chat = 2 }
capacity = { chat = 1 }
[[teams]]
name = "trainees"
agents = 2
skills = { chat = 1 }
capacity = { chat = 1 }
"#;

fn log() -> std::path::PathBuf {
    let scenario = crate::scratch("explain-desk.toml");
    std::fs::write(&scenario, DESK).unwrap();
    let log = crate::scratch("explain-desk.jsonl");
    let r = cs([std::ffi::OsStr::new("simulate"), scenario.as_os_str(), "--events".as_ref(), log.as_os_str()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    log
}

fn explain(args: &[&str]) -> Value {
    let mut all = vec!["explain"];
    all.extend_from_slice(args);
    all.push("--json");
    let r = cs(&all);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()
}

#[test]
fn a_waiting_ticket_and_a_past_assignment_are_explained() {
    let log = log();
    let path = log.to_str().unwrap();
    let at = "2026-01-05T03:00:00Z";
    let r = cs(["replay", path, "--until", at, "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let waiting: Vec<Value> =
        r.json()["waiting_tickets"].as_array().unwrap().iter().filter(|w| w["queue"] == "chat").cloned().collect();
    assert!(!waiting.is_empty(), "the surge leaves chats waiting at {at}");
    let id = waiting[0]["id"].as_u64().unwrap();
    let j = explain(&[path, "--ticket", &format!("T{id}"), "--at", at]);
    assert_eq!(j["kind"], "waiting");
    let e = &j["explanation"];
    assert_eq!(e["queue"], "chat");
    assert!(e["chosen"].is_null(), "every agent is busy: {e}");
    let excluded = e["excluded"].as_array().unwrap();
    assert_eq!(excluded.len() + e["candidates"].as_array().unwrap().len(), 11, "every agent is listed once");
    // Trainees lack the level; the rest are full (or between shifts of work).
    for x in excluded {
        let agent = x["agent"].as_str().unwrap();
        let reason = x["why"]["reason"].as_str().unwrap();
        if agent.starts_with("trainees") {
            assert!(reason == "skill" || reason == "capacity", "{x}");
            if reason == "skill" {
                assert_eq!(x["why"]["skill"], "chat");
                assert_eq!(x["why"]["required"], 2);
                assert_eq!(x["why"]["has"], 1);
            }
        }
    }
    assert!(excluded.iter().any(|x| x["why"]["reason"] == "skill"), "some trainee is free but not skilled enough");

    // The log's first assignment, explained: who got it is who routing chose.
    let events = cs_store::read_all_tolerant(&log).unwrap().events;
    let (ticket, agent) = events
        .iter()
        .find_map(|e| match e {
            Event::TicketAssigned { ticket, agent, .. } => Some((*ticket, *agent)),
            _ => None,
        })
        .unwrap();
    let key = events
        .iter()
        .find_map(|e| match e {
            Event::AgentRegistered { agent: a, key, .. } if *a == agent => Some(key.to_string()),
            _ => None,
        })
        .unwrap();
    let j = explain(&[path, "--ticket", &ticket.0.to_string()]);
    assert_eq!(j["kind"], "assignment");
    assert_eq!(j["agent"], key.as_str());
    assert_eq!(j["explanation"]["chosen"], key.as_str(), "the explanation agrees with the routing");
    assert!(j["agent_could_take"].as_array().unwrap().iter().any(|c| c["ticket"] == format!("T{}", ticket.0)));

    let text = cs(["explain", path, "--ticket", &ticket.0.to_string()]);
    assert!(text.stdout.contains(&format!("was assigned to {key}")), "{}", text.stdout);

    let r = cs(["explain", path, "--ticket", "T999999"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("no ticket \"T999999\""), "{}", r.stderr);
}
