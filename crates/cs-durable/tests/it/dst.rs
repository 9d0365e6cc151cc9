//! Deterministic simulation of the durable engine with faults (in the manner of
//! TigerBeetle's VOPR): a seeded workload drives a `DurableEngine` on a real SQLite store
//! through a wrapper that injects faults, crashes and restarts it, and checks invariants
//! after every step. A run is a seed: a failure prints the seed and the command that
//! replays it.
//!
//! - Workload: arrivals on every channel (with surges), presence churn, skill and capacity
//!   changes, offers accepted, declined and left to expire, agents logging out, replies,
//!   customer messages, pending, reopens, transfers, escalations, abandons, config changes,
//!   ticks; every command carries a client key.
//! - Faults: an append refused before it writes; an append that lands but whose
//!   acknowledgement is lost (as a crash between append and apply looks to the client); a
//!   snapshot that fails; an append slow to reach the disk; a crash (the engine and the store dropped, both reopened from the
//!   file); duplicate and reordered client retries of earlier requests.
//! - Invariants after every step: `cs_core::audit` (no ticket held twice, capacity and
//!   skills respected, no available agent beside a ticket it could serve, no breach before
//!   its deadline); every acknowledged command is in the store with the events it was
//!   acknowledged with; a retry returns its first outcome and adds nothing; each SLA clock
//!   breaches at most once per deadline, at that deadline; after each restart the state
//!   equals a fresh replay of the store; tickets held stay bounded by the retention.
//!
//! 200 seeds by default; `CS_DST_SEEDS=N` runs more, `CS_DST_SECONDS=S` runs seeds for S
//! seconds, `CS_DST_SEED=S` runs one seed (to replay a failure).

use crate::faulty::{Fault, Faulty};
use cs_core::{
    AgentId, Capacity, Channel, Command, CustomerId, CustomerTier, Emotion, Event, QueueId, TeamId, TicketId,
    TicketSpec, Timestamp, Urgency, replay,
};
use cs_durable::{DurableEngine, DurableError, DurableOptions, Receipt, Request};
use cs_store::{EventStore, Range, SqliteOptions, SqliteStore, Synchronous, for_each};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const STEPS: usize = 160;

const CONFIG: &str = r#"
skills = ["general", "billing", "tech"]
languages = ["en", "de"]
categories = ["refund", "bug"]
teams = [{ name = "l1" }, { name = "l2", tier = "L2" }]
limits = { closed_ticket_retention_s = 600, customer_memory_s = 3600, agent_tickets_max = 6 }

[[queues]]
name = "chat"
channels = ["chat", "social"]
skills = { general = 1 }
teams = ["l1"]
offer = { timeout_s = 20, away_after_missed = 3 }
steps = [{ after_s = 60, teams = "any" }]

[[queues]]
name = "email"
channels = ["email", "other"]
sticky = { window_s = 600, wait_s = 30 }

[[queues]]
name = "phone"
channels = ["phone"]
reply_timeout_s = 90

[[queues]]
name = "experts"
channels = ["chat", "email", "phone", "social", "other"]
skills = { tech = 2 }
teams = ["l2"]

[escalation]
tiers = [{ name = "L1", queue = "chat" }, { name = "L2", queue = "experts" }]
edges = [["L1", "L2"]]

[[sla_policies]]
name = "chat"
channels = ["chat", "social"]
first_response_s = 45
next_response_s = 60
resolution_s = 900

[[sla_policies]]
name = "rest"
first_response_s = 300
resolution_s = 3600
"#;

/// A config change: the same with one more queue appended (ids keep their places).
const MORE: &str = r#"
[[queues]]
name = "vip"
channels = ["chat"]
skills = { billing = 3 }
"#;

/// xorshift64*: the whole run follows from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn t0() -> Timestamp {
    Timestamp::parse("2026-12-01T08:00:00Z").unwrap()
}

/// One seeded run; `Err` describes the first broken invariant.
fn run_seed(seed: u64) -> Result<Stats, String> {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("dst.db");
    let options = SqliteOptions { synchronous: Synchronous::Normal, ..SqliteOptions::default() };
    let open_store = || -> Arc<Faulty> { Arc::new(Faulty::new(Arc::new(SqliteStore::open(&path, options).unwrap()))) };
    let engine_options = DurableOptions { snapshot_every: 1 + rng.below(40), ..DurableOptions::default() };
    let mut store = open_store();
    let mut engine = DurableEngine::open_in(store.clone(), "dst", engine_options).map_err(|e| e.to_string())?;
    let mut stats = Stats::default();
    let mut now = t0();
    // What each acknowledged request got: key -> (request, receipt).
    let mut acked: BTreeMap<String, (Request, Receipt)> = BTreeMap::new();
    let mut keys = 0u64;
    let mut configured_more = false;

    let configure =
        Request::keyed(Command::Configure { at: now, config: Box::new(toml::from_str(CONFIG).unwrap()) }, "k-config");
    match engine.execute_request(configure.clone(), |_, _| Vec::new()) {
        Ok(r) => {
            acked.insert("k-config".to_owned(), (configure, r));
        }
        Err(e) => return Err(format!("the config is refused: {e}")),
    }

    for step in 0..STEPS {
        now = now.plus_ms(if rng.chance(10) { 60_000 + rng.below(120_000) as i64 } else { rng.below(15_000) as i64 });
        // Faults first: they decide how this step's request fares.
        let fault = match rng.below(100) {
            0..=3 => Some(Fault::FailAppend),
            4..=7 => Some(Fault::LoseAck),
            8..=9 => Some(Fault::FailSnapshot),
            10..=11 => Some(Fault::SlowAppend),
            _ => None,
        };
        if let Some(f) = fault {
            store.inject(f);
            stats.faults += 1;
        }
        // A duplicate or late retry of an earlier request: the first outcome, nothing new.
        if rng.chance(8) && !acked.is_empty() {
            let k = acked.keys().nth(rng.below(acked.len() as u64) as usize).cloned().unwrap();
            let (req, first) = acked[&k].clone();
            let head = store.head("dst").map_err(|e| e.to_string())?;
            match engine.execute_request(req, |_, _| Vec::new()) {
                Ok(r) => {
                    if !r.retried || (r.first, r.last, &r.events) != (first.first, first.last, &first.events) {
                        return Err(format!("step {step}: retry of {k} did not return its first outcome"));
                    }
                    if store.head("dst").map_err(|e| e.to_string())? != head {
                        return Err(format!("step {step}: retry of {k} stored something"));
                    }
                    stats.retries += 1;
                }
                Err(DurableError::Store(_)) => {}
                Err(e) => return Err(format!("step {step}: retry of {k}: {e}")),
            }
        }
        let command = workload(&mut rng, engine.state(), now, &mut configured_more);
        keys += 1;
        let request = Request::keyed(command, format!("k{keys}"));
        // A client whose request failed retries it with the same key until it is answered.
        let mut attempts = 0;
        loop {
            attempts += 1;
            match submit(&mut engine, request.clone(), &mut acked, &mut stats) {
                Ok(()) => break,
                Err(e) if e.starts_with("store:") && attempts < 5 => {
                    stats.store_errors += 1;
                    continue;
                }
                Err(e) => return Err(format!("step {step}: {e}")),
            }
        }
        now = now.max(engine.state().last_event_at());
        cs_core::audit(engine.state()).map_err(|e| format!("step {step}: {e}"))?;
        // A crash: everything in memory is gone; the store is reopened from its file.
        if rng.chance(4) {
            drop(engine);
            drop(store);
            store = open_store();
            engine = DurableEngine::open_in(store.clone(), "dst", engine_options)
                .map_err(|e| format!("step {step}: reopening: {e}"))?;
            stats.crashes += 1;
            let events = stored(&*store)?;
            if engine.state() != &replay(&events) {
                return Err(format!("step {step}: the reopened state is not a replay of the store"));
            }
            check_acked(&*store, &acked, &events).map_err(|e| format!("step {step}: after a crash: {e}"))?;
        }
        let held = engine.state().tickets_held() as u64;
        if held > 2 * STEPS as u64 {
            return Err(format!("step {step}: {held} tickets held; retention does not bound memory"));
        }
    }
    let events = stored(&*store)?;
    check_acked(&*store, &acked, &events)?;
    check_breaches(&events)?;
    if engine.state() != &replay(&events) {
        return Err("the final state is not a replay of the store".to_owned());
    }
    stats.events = events.len() as u64;
    stats.acked = acked.len() as u64;
    Ok(stats)
}

/// Sends one request; records its receipt when acknowledged. `Err("store: ...")` when the
/// store failed (the client will retry).
fn submit(
    engine: &mut DurableEngine,
    request: Request,
    acked: &mut BTreeMap<String, (Request, Receipt)>,
    stats: &mut Stats,
) -> Result<(), String> {
    let key = request.key.clone().unwrap_or_default();
    match engine.execute_request(request.clone(), |_, _| Vec::new()) {
        Ok(r) => {
            if let Some((_, first)) = acked.get(&key) {
                if (first.first, first.last) != (r.first, r.last) {
                    return Err(format!("{key} acknowledged twice with different events"));
                }
            } else {
                acked.insert(key, (request, r));
            }
            stats.steps += 1;
            Ok(())
        }
        Err(DurableError::Rejected(_)) => {
            stats.rejected += 1;
            Ok(())
        }
        Err(e @ DurableError::Store(_)) => Err(format!("store: {e}")),
        Err(e) => Err(e.to_string()),
    }
}

fn stored(store: &dyn EventStore) -> Result<Vec<Event>, String> {
    let mut out = Vec::new();
    for_each(store, "dst", Range::from(1, 4096), |s| {
        out.push(s.event);
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    Ok(out)
}

/// Every acknowledged request is in the store, with exactly the events it was answered
/// with; no event belongs to two requests.
fn check_acked(
    store: &dyn EventStore,
    acked: &BTreeMap<String, (Request, Receipt)>,
    events: &[Event],
) -> Result<(), String> {
    let mut owner: BTreeSet<u64> = BTreeSet::new();
    for (k, (_, r)) in acked {
        let rec =
            store.command("dst", k).map_err(|e| e.to_string())?.ok_or_else(|| format!("acknowledged {k} is gone"))?;
        if (rec.first, rec.last) != (r.first, r.last) {
            return Err(format!("{k} moved from {}..={} to {}..={}", r.first, r.last, rec.first, rec.last));
        }
        let got =
            events.get((r.first - 1) as usize..r.last as usize).ok_or_else(|| format!("{k}'s events are missing"))?;
        if got != r.events.as_slice() {
            return Err(format!("{k}'s events changed"));
        }
        for s in r.first..=r.last {
            if !owner.insert(s) {
                return Err(format!("event {s} belongs to two requests"));
            }
        }
    }
    Ok(())
}

/// Each clock breaches at most once per deadline, exactly at it.
fn check_breaches(events: &[Event]) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    for e in events {
        if let Event::SlaBreached { at, ticket, clock, deadline, .. } = e {
            if at != deadline {
                return Err(format!("{ticket} {clock:?} breached at {at}, not at its deadline {deadline}"));
            }
            if !seen.insert((*ticket, *clock, *deadline)) {
                return Err(format!("{ticket} {clock:?} breached twice for the deadline {deadline}"));
            }
        }
    }
    Ok(())
}

/// The next command of the desk's day, picked from what the state holds.
fn workload(rng: &mut Rng, s: &cs_core::State, at: Timestamp, configured_more: &mut bool) -> Command {
    let agents = s.agents().len() as u64;
    let tickets: Vec<TicketId> = s.tickets().map(|t| t.id).collect();
    let ticket = |rng: &mut Rng| tickets.get(rng.below(tickets.len() as u64) as usize).copied().unwrap_or(TicketId(0));
    let agent = |rng: &mut Rng| AgentId(rng.below(agents) as u32);
    let channel = |rng: &mut Rng| Channel::ALL[rng.below(Channel::ALL.len() as u64) as usize];
    match rng.below(100) {
        _ if agents < 3 => register(rng, at, agents),
        0..=2 if agents < 12 => register(rng, at, agents),
        0..=34 => {
            let mut spec = TicketSpec::new(CustomerId(rng.below(25)), channel(rng));
            spec.tier = [CustomerTier::Standard, CustomerTier::Gold, CustomerTier::Vip][rng.below(3) as usize];
            spec.urgency = [Urgency::Low, Urgency::Normal, Urgency::High][rng.below(3) as usize];
            spec.emotion = [Emotion::Calm, Emotion::Angry][rng.below(2) as usize];
            if rng.chance(20) {
                spec.language = Some(cs_core::LanguageId(rng.below(2) as u8));
            }
            Command::CreateTicket { at, spec }
        }
        35..=42 => Command::Login { at, agent: agent(rng) },
        43..=45 => Command::Logout { at, agent: agent(rng) },
        46..=48 => Command::SetPresence {
            at,
            agent: agent(rng),
            presence: [cs_core::Presence::Away, cs_core::Presence::Available, cs_core::Presence::Busy]
                [rng.below(3) as usize],
        },
        49..=50 => Command::SetAgentSkills {
            at,
            agent: agent(rng),
            skills: vec![(cs_core::SkillId(rng.below(3) as u16), 1 + rng.below(5) as u8)],
        },
        51..=52 => Command::SetAgentCapacity { at, agent: agent(rng), capacity: capacity(rng) },
        53..=60 => Command::AgentReply { at, ticket: ticket(rng) },
        61..=64 => Command::CustomerMessage { at, ticket: ticket(rng) },
        65..=67 => Command::SetPending { at, ticket: ticket(rng) },
        68..=75 => Command::Resolve { at, ticket: ticket(rng) },
        76..=78 => Command::Reopen { at, ticket: ticket(rng) },
        79..=80 => Command::Transfer { at, ticket: ticket(rng), queue: QueueId(rng.below(4) as u16) },
        81..=82 => Command::Escalate { at, ticket: ticket(rng), tier: None, note: None },
        83..=85 => Command::Abandon { at, ticket: ticket(rng) },
        86..=88 => Command::AcceptOffer { at, ticket: ticket(rng) },
        89..=90 => Command::DeclineOffer { at, ticket: ticket(rng) },
        91 if !*configured_more => {
            *configured_more = true;
            let text = format!("{CONFIG}\n{MORE}");
            Command::Configure { at, config: Box::new(toml::from_str(&text).unwrap()) }
        }
        92..=93 => Command::UpdateTicket {
            at,
            ticket: ticket(rng),
            tier: None,
            urgency: Some(Urgency::Critical),
            emotion: None,
        },
        _ => Command::Tick { at },
    }
}

fn register(rng: &mut Rng, at: Timestamp, n: u64) -> Command {
    let mut skills = Vec::new();
    for s in 0..3 {
        if rng.chance(70) {
            skills.push((cs_core::SkillId(s), 1 + rng.below(5) as u8));
        }
    }
    Command::RegisterAgent {
        at,
        key: format!("agent-{n}"),
        team: TeamId(rng.below(2) as u16),
        tier: None,
        skills,
        languages: cs_core::LanguageSet(rng.below(4)),
        capacity: capacity(rng),
    }
}

fn capacity(rng: &mut Rng) -> Capacity {
    let mut c = Capacity::default();
    for ch in Channel::ALL {
        c.per_channel.set(ch, rng.below(4) as u8);
    }
    c
}

#[derive(Debug, Default)]
struct Stats {
    steps: u64,
    rejected: u64,
    faults: u64,
    store_errors: u64,
    crashes: u64,
    retries: u64,
    events: u64,
    acked: u64,
}

#[test]
fn seeded_runs_with_faults_keep_every_invariant() {
    let one: Option<u64> = std::env::var("CS_DST_SEED").ok().map(|s| s.parse().expect("CS_DST_SEED=N"));
    let seeds: u64 = std::env::var("CS_DST_SEEDS").map_or(200, |s| s.parse().expect("CS_DST_SEEDS=N"));
    let seconds: Option<f64> = std::env::var("CS_DST_SECONDS").ok().map(|s| s.parse().expect("CS_DST_SECONDS=S"));
    let started = std::time::Instant::now();
    let mut total = Stats::default();
    let mut runs = 0u64;
    let mut seed = one.unwrap_or(1);
    loop {
        match run_seed(seed) {
            Ok(s) => {
                total.steps += s.steps;
                total.rejected += s.rejected;
                total.faults += s.faults;
                total.store_errors += s.store_errors;
                total.crashes += s.crashes;
                total.retries += s.retries;
                total.events += s.events;
                total.acked += s.acked;
            }
            Err(e) => panic!(
                "seed {seed} failed: {e}\nreplay it with: CS_DST_SEED={seed} cargo test -p cs-durable --test it dst -- --nocapture"
            ),
        }
        runs += 1;
        seed += 1;
        let done = match (one, seconds) {
            (Some(_), _) => true,
            (None, Some(s)) => started.elapsed().as_secs_f64() >= s,
            (None, None) => runs >= seeds,
        };
        if done {
            break;
        }
    }
    eprintln!("dst: {runs} seeds in {:.1?}: {total:?}", started.elapsed());
    assert!(
        total.crashes > 0 && total.retries > 0 && total.faults > 0 && total.rejected > 0,
        "every fault was exercised"
    );
}
