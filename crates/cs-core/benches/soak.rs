//! Soak: 30 simulated days in which new requirement classes appear every day and old ones
//! stop, agents change skills to serve them, and agents join and leave. Reports, per day,
//! the live heap (counted by a counting global allocator, as `benches/memory.rs` does),
//! what the routing index holds, and the mean time of a ticket's creation with its routing
//! decision. The index follows the classes and profiles in use, so the heap at day 30 must
//! be within 10 % of day 3 (checked: the run fails otherwise; bytes are deterministic, so
//! this is no timed assertion) and the decision time flat (reported: times are noisy).
//! Run with `cargo bench -p cs-core --bench soak`.

// A global allocator is unsafe by nature; the shared one (common/alloc.rs) only counts and
// forwards to the system allocator. The library itself forbids unsafe code.
#![allow(unsafe_code)]

use cs_core::{
    AgentId, Capacity, Channel, Command, ConfigSpec, CustomerId, Engine, LanguageSet, SkillId, SkillNeed, SkillNeeds,
    TeamId, TicketId, TicketSpec, TicketStatus, Timestamp,
};
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[path = "common/alloc.rs"]
mod alloc;

use alloc::LIVE;

const DAY_S: i64 = 86_400;
const DAYS: i64 = 30;
/// New requirement classes a day; each is used on its day and the next, then stops.
const CLASSES_PER_DAY: usize = 20;
/// Agents logged in at any time; each day 2 per new class change their skills to it.
const ROSTER: usize = 120;
/// Agents who leave (log out for good) and join (register, log in) each day.
const TURNOVER: usize = 2;
const HANDLE_S: i64 = 8 * 60;
const PATIENCE_S: i64 = 20 * 60;

fn t(s: i64) -> Timestamp {
    Timestamp::from_secs(1_795_392_000 + s)
}

/// Class `n` (the n-th ever): a distinct pair of skills for every n below 4,032.
fn class(n: usize) -> [u16; 2] {
    let a = n % 64;
    let b = (a + 1 + n / 64) % 64;
    [a as u16, b as u16]
}

fn main() {
    let skills: Vec<String> = (0..64).map(|i| format!("skill{i}")).collect();
    let text = format!(
        "skills = {skills:?}\nteams = [{{ name = \"t\" }}]\n[limits]\nclosed_ticket_retention_s = 3600\ncustomer_memory_s = 3600\n\
         [[queues]]\nname = \"chat\"\nchannels = [\"chat\"]\n"
    );
    let spec: ConfigSpec = toml::from_str(&text).expect("config");
    let mut e = Engine::new();
    e.execute(&Command::Configure { at: t(0), config: Box::new(spec) }).unwrap();
    e.clear_events();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut rand = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let mut next_agent = 0u32;
    let mut register = |e: &mut Engine, at: i64, skills: [u16; 2]| {
        let id = AgentId(next_agent);
        next_agent += 1;
        e.execute(&Command::RegisterAgent {
            at: t(at),
            key: format!("agent{}", id.0),
            team: TeamId(0),
            tier: None,
            skills: skills.iter().map(|&s| (SkillId(s), 3)).collect(),
            languages: LanguageSet::default(),
            capacity: Capacity::only(Channel::Chat, 2),
        })
        .unwrap();
        e.execute(&Command::Login { at: t(at), agent: id }).unwrap();
        e.clear_events();
        id
    };
    let mut roster: VecDeque<AgentId> = (0..ROSTER).map(|i| register(&mut e, 0, class(i % CLASSES_PER_DAY))).collect();
    let mut open: VecDeque<(TicketId, i64)> = VecDeque::new();
    let mut heap = Vec::new();
    let mut ns = Vec::new();
    println!("soak/30_days_new_classes_daily");
    println!("  day  live_heap  state_clone  buckets(empty)  pools  classes  waiting  create_ns");
    for day in 0..DAYS {
        let start = day * DAY_S;
        let today = |k: usize| class(day as usize * CLASSES_PER_DAY + k);
        let yesterday = |k: usize| class((day as usize).saturating_sub(1) * CLASSES_PER_DAY + k);
        // Leavers log out for good; joiners register and log in.
        for _ in 0..TURNOVER {
            let gone = roster.pop_front().unwrap();
            e.execute(&Command::Logout { at: t(start), agent: gone }).unwrap();
            let k = rand(CLASSES_PER_DAY as u64) as usize;
            roster.push_back(register(&mut e, start, today(k)));
        }
        // Two agents per new class take it up (leaving the profiles they had).
        for k in 0..2 * CLASSES_PER_DAY {
            let agent = roster[(day as usize * 2 * CLASSES_PER_DAY + k) % roster.len()];
            let skills = today(k % CLASSES_PER_DAY).iter().map(|&s| (SkillId(s), 3)).collect();
            e.execute(&Command::SetAgentSkills { at: t(start), agent, skills }).unwrap();
        }
        e.clear_events();
        let mut spent = Duration::ZERO;
        let mut created = 0u32;
        for minute in 0..1440 {
            let now = start + minute * 60;
            // Customers give up after their patience; agents resolve after the handle time.
            let mut i = 0;
            while i < open.len() {
                let (id, since) = open[i];
                let cmd = match e.state().ticket(id).map(|t| (t.status, t.held_since)) {
                    Some((TicketStatus::Queued, _)) if since + PATIENCE_S <= now => {
                        Some(Command::Abandon { at: t(now), ticket: id })
                    }
                    Some((TicketStatus::Assigned, Some(held))) if held.plus_ms(HANDLE_S * 1000) <= t(now) => {
                        Some(Command::Resolve { at: t(now), ticket: id })
                    }
                    Some((TicketStatus::Queued | TicketStatus::Assigned, _)) => None,
                    _ => {
                        open.remove(i);
                        continue;
                    }
                };
                if let Some(cmd) = cmd {
                    e.execute(&cmd).unwrap();
                }
                i += 1;
            }
            for _ in 0..rand(25) {
                let k = rand(CLASSES_PER_DAY as u64) as usize;
                let pair = if rand(3) == 0 { yesterday(k) } else { today(k) };
                let needs = SkillNeeds::new(pair.map(|s| SkillNeed { skill: SkillId(s), min: 2 })).unwrap();
                let spec = TicketSpec { skills: needs, ..TicketSpec::new(CustomerId(rand(1_000_000)), Channel::Chat) };
                let id = e.state().next_ticket_id();
                let cmd = Command::CreateTicket { at: t(now), spec };
                let begin = Instant::now();
                e.execute(&cmd).unwrap();
                spent += begin.elapsed();
                created += 1;
                open.push_back((id, now));
            }
            e.execute(&Command::Tick { at: t(now + 59) }).unwrap();
            e.clear_events();
        }
        let live = LIVE.load(Ordering::Relaxed);
        // A clone allocates what a value holds, without the spare capacity of its vectors.
        // (The metrics are a projection beside the state, not folded by this engine.)
        let before = LIVE.load(Ordering::Relaxed);
        let state = e.state().clone();
        let state_bytes = LIVE.load(Ordering::Relaxed) - before;
        drop(state);
        let c = e.state().index_counts();
        let waiting = e.state().waiting_in(cs_core::QueueId(0));
        let per = spent.as_nanos() as u64 / u64::from(created.max(1));
        println!(
            "  {:>3}  {live:>9}  {state_bytes:>11}  {:>9}({:>4})  {:>5}  {:>7}  {waiting:>7}  {per:>9}",
            day + 1,
            c.buckets,
            c.empty_buckets,
            c.pools,
            c.classes
        );
        assert_eq!(c.memberless_pools, 0);
        heap.push(state_bytes);
        ns.push(per);
    }
    let (d3, d30) = (heap[2] as f64, heap[29] as f64);
    println!(
        "  state, day 30 / day 3: {:.3}; create with routing, day 30 / day 3: {:.2}",
        d30 / d3,
        ns[29] as f64 / ns[2] as f64
    );
    assert!(d30 <= d3 * 1.10, "heap grew {:.1} % from day 3 to day 30", (d30 / d3 - 1.0) * 100.0);
}
