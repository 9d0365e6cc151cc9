//! Memory report: bytes held by the state at 100,000 waiting tickets and 5,000 agents.
//!
//! A counting global allocator measures live heap bytes before and after building the
//! state; the report divides the growth by the number of tickets (agents are small next to
//! tickets: their share is reported separately). Run with
//! `cargo bench -p cs-core --bench memory`.

// A global allocator is unsafe by nature; the shared one (common/alloc.rs) only counts and
// forwards to the system allocator. The library itself forbids unsafe code.
#![allow(unsafe_code)]

use cs_core::{
    AgentId, Capacity, Channel, Command, ConfigSpec, CustomerId, CustomerTier, Emotion, Engine, LanguageSet, SkillId,
    SkillNeed, SkillNeeds, TeamId, TicketSpec, Timestamp, Urgency,
};
use std::sync::atomic::Ordering;

#[path = "common/alloc.rs"]
mod alloc;

use alloc::LIVE;

fn t(s: i64) -> Timestamp {
    Timestamp::from_secs(1_795_424_400 + s)
}

fn main() {
    let skills: Vec<String> = (0..64).map(|i| format!("skill{i}")).collect();
    let teams: String = (0..250).map(|i| format!("{{ name = \"team{i}\" }},")).collect();
    let text = format!(
        "skills = {skills:?}\nteams = [{teams}]\n[limits]\nqueue_depth_max = 1000000\n[[queues]]\nname = \"chat\"\nchannels = [\"chat\"]\n"
    );
    let spec: ConfigSpec = toml::from_str(&text).expect("config");
    let mut e = Engine::new();
    e.execute(&Command::Configure { at: t(0), config: Box::new(spec) }).unwrap();
    e.clear_events();
    let before_agents = LIVE.load(Ordering::Relaxed);
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    for i in 0..5_000u32 {
        let skills = (0..8).map(|k| (SkillId(((i % 250) * 8 + k) as u16 % 64), 1 + (k % 5) as u8)).collect();
        e.execute(&Command::RegisterAgent {
            at: t(0),
            key: format!("agent{i}"),
            team: TeamId((i % 250) as u16),
            tier: None,
            skills,
            languages: LanguageSet::default(),
            capacity: Capacity::only(Channel::Chat, 1),
        })
        .unwrap();
        e.execute(&Command::Login { at: t(0), agent: AgentId(i) }).unwrap();
        e.clear_events();
    }
    let after_agents = LIVE.load(Ordering::Relaxed);
    // Fill every agent (so nothing is assigned later), then queue 100,000 tickets.
    for i in 0..5_000u32 {
        let s = e.state().agent(AgentId(i)).unwrap().skills[0].0;
        let spec = spec_with(SkillNeeds::new([SkillNeed { skill: s, min: 1 }]).unwrap(), u64::from(i));
        e.execute(&Command::CreateTicket { at: t(1), spec }).unwrap();
        e.clear_events();
    }
    let before_tickets = LIVE.load(Ordering::Relaxed);
    let mut waiting = 0u64;
    let mut s = 2;
    while waiting < 100_000 {
        let needs = SkillNeeds::new([SkillNeed { skill: SkillId(next(64) as u16), min: 1 + next(3) as u8 }]).unwrap();
        e.execute(&Command::CreateTicket { at: t(s), spec: spec_with(needs, next(1_000_000)) }).unwrap();
        e.clear_events();
        let last = cs_core::TicketId(e.state().next_ticket_id().0 - 1);
        waiting += u64::from(e.state().ticket(last).is_some_and(|t| t.is_waiting()));
        s += 1;
    }
    let after = LIVE.load(Ordering::Relaxed);
    let waiting_now = e.state().tickets().filter(|t| t.is_waiting()).count();
    let held = e.state().tickets_held();
    println!("memory/state_100k_waiting_5k_agents");
    println!(
        "  agents:  5,000 use {} bytes ({} bytes per agent)",
        after_agents - before_agents,
        (after_agents - before_agents) / 5_000
    );
    println!(
        "  tickets: {waiting_now} waiting of {held} held use {} bytes ({} bytes per waiting ticket, including the routing index, age index and customer memory)",
        after - before_tickets,
        (after - before_tickets) / waiting_now
    );
    println!(
        "  of which the ticket record itself: {} bytes (size_of::<Ticket>())",
        std::mem::size_of::<cs_core::Ticket>()
    );
    println!("  total live heap: {:.1} MiB", after as f64 / (1024.0 * 1024.0));
}

fn spec_with(skills: SkillNeeds, customer: u64) -> TicketSpec {
    TicketSpec {
        skills,
        tier: CustomerTier::ALL[(customer % 4) as usize],
        urgency: Urgency::ALL[(customer / 4 % 4) as usize],
        emotion: Emotion::ALL[(customer / 16 % 4) as usize],
        ..TicketSpec::new(CustomerId(customer), Channel::Chat)
    }
}
