//! Criterion benchmarks of the hot paths, each state built before timing.
//!
//! - `assign/surge_100k_waiting`: 100,000 tickets wait over 64 skills; 5,000 agents all
//!   busy; one agent resolves a ticket: decide picks and assigns the best waiting ticket
//!   it can serve (`decide`, pure), and the same with the events applied in place
//!   (`engine`, which also creates one ticket to keep 100,000 waiting).
//! - `assign/arrival_5k_agents`: a ticket arrives; 5,000 agents of whom 1,000 have room:
//!   decide picks the agent.
//! - `replay/1m_events`: fold one million recorded events into a fresh state.
//! - `decide/mixed`: the full decide + apply cycle on a realistic mix of commands.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use cs_core::{AgentId, Command, Engine, Event, TicketId, replay};
use std::hint::black_box;

/// The pure decision of `cmd`: its first step, which for a resolution or a new ticket is
/// the whole decision (nothing in it must see an earlier event of it applied).
fn decide(state: &cs_core::State, cmd: &Command) -> Result<Vec<Event>, cs_core::Rejection> {
    cs_core::Decision::new(cmd).step(state).map(Option::unwrap_or_default)
}

#[path = "common/surge.rs"]
#[allow(dead_code)]
mod surge;

use surge::{Gen, configure, register_agents, surge, t, ticket, ticket_n};

fn surge_group(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    skills_max: u64,
) {
    let (engine, mut g) = surge(skills_max);
    let now = engine.state().last_event_at().plus_ms(1_000);
    // Agents with a held ticket who free into a waiting ticket they can serve.
    let busy: Vec<(AgentId, TicketId)> = engine
        .state()
        .agents()
        .iter()
        .filter_map(|a| a.held.first().map(|&tk| (a.id, tk)))
        .filter(|&(_, tk)| {
            decide(engine.state(), &Command::Resolve { at: now, ticket: tk }).is_ok_and(|ev| ev.len() == 2)
        })
        .collect();
    assert!(!busy.is_empty());
    let resolves: Vec<Command> = busy.iter().map(|&(_, tk)| Command::Resolve { at: now, ticket: tk }).collect();
    let mut i = 0;
    group.bench_function(format!("{name}/decide"), |b| {
        b.iter(|| {
            i += 1;
            decide(black_box(engine.state()), &resolves[i % resolves.len()])
        })
    });

    // Pick and assign, applied in place: only the resolve is timed (its decision picks the
    // best waiting ticket for the freed agent and assigns it; both events are applied).
    // Outside the timed section one ticket arrives, so 100,000 keep waiting. The timer
    // itself adds ~25 ns per iteration.
    let mut e = engine.clone();
    let mut k = 0usize;
    let mut clock = now;
    group.bench_function(format!("{name}/engine"), |b| {
        b.iter_custom(|iters| {
            let mut total = std::time::Duration::ZERO;
            for _ in 0..iters {
                clock = clock.plus_ms(1);
                let agent = busy[k % busy.len()].0;
                k += 1;
                let _ = e.execute(&Command::CreateTicket { at: clock, spec: ticket_n(&mut g, 1, skills_max) });
                e.clear_events();
                if let Some(&held) = e.state().agent(agent).unwrap().held.first() {
                    let cmd = Command::Resolve { at: clock, ticket: held };
                    let start = std::time::Instant::now();
                    let _ = black_box(e.execute(&cmd));
                    total += start.elapsed();
                }
                e.clear_events();
            }
            total
        })
    });
    drop(e);

    // The full cycle in place: an agent resolves its ticket (and takes the best waiting
    // one) and one new ticket arrives, so 100,000 keep waiting.
    let mut e = engine.clone();
    let mut k = 0usize;
    let mut clock = now;
    group.bench_function(format!("{name}/engine_resolve_and_arrive"), |b| {
        b.iter(|| {
            clock = clock.plus_ms(1);
            let agent = busy[k % busy.len()].0;
            k += 1;
            if let Some(&held) = e.state().agent(agent).unwrap().held.first() {
                let _ = e.execute(&Command::Resolve { at: clock, ticket: held });
            }
            let _ = e.execute(&Command::CreateTicket { at: clock, spec: ticket_n(&mut g, 1, skills_max) });
            e.clear_events();
        })
    });
}

fn assign(c: &mut Criterion) {
    let mut group = c.benchmark_group("assign");
    surge_group(&mut group, "surge_100k_waiting", 1);
    surge_group(&mut group, "surge_100k_waiting_skill_pairs", 2);

    // Arrival: 5,000 agents, 1,000 of them with room, nobody waiting.
    let mut g2 = Gen(42);
    let mut a = Engine::new();
    a.execute(&configure()).unwrap();
    register_agents(&mut a, &mut g2, 5_000);
    for i in 0..5_000 {
        a.execute(&Command::Login { at: t(1), agent: AgentId(i) }).unwrap();
    }
    let mut s = 2;
    while a.state().agents().iter().filter(|x| x.load.is_empty()).count() > 1_000 {
        let _ = a.execute(&Command::CreateTicket { at: t(s), spec: ticket(&mut g2, 7) });
        // Tickets nobody free can take would pile up: drop them.
        let last = TicketId(a.state().next_ticket_id().0 - 1);
        if a.state().ticket(last).is_some_and(|tk| tk.agent.is_none()) {
            a.execute(&Command::Abandon { at: t(s), ticket: last }).unwrap();
        }
        s += 1;
    }
    let now = t(s + 1);
    let mut probe = Gen(7);
    let arrivals: Vec<Command> = (0..64)
        .map(|i| Command::CreateTicket { at: now, spec: ticket(&mut probe, 99 + i) })
        .filter(|cmd| decide(a.state(), cmd).map(|ev| ev.len() == 2).unwrap_or(false))
        .collect();
    assert!(!arrivals.is_empty());
    let mut i = 0;
    group.bench_function("arrival_5k_agents/decide", |b| {
        b.iter(|| {
            i += 1;
            decide(black_box(a.state()), &arrivals[i % arrivals.len()])
        })
    });
    group.finish();
}

/// A day of a contact centre as events: 500 agents, arrivals, assignments, replies,
/// abandonments, resolutions. Balanced like a staffed day: arrivals outpace resolutions
/// while fewer than ~600 tickets are open and fall behind them above that, so the open set
/// hovers around the agents' capacity plus a short queue, while closed tickets accumulate.
fn recorded_day(events_n: usize) -> Vec<Event> {
    recorded(events_n, 600)
}

/// The same with arrivals outpacing resolutions throughout: the queue grows to about
/// 100,000 waiting tickets by the end (an overloaded day).
fn recorded_overload(events_n: usize) -> Vec<Event> {
    recorded(events_n, usize::MAX)
}

fn recorded(events_n: usize, balance_at: usize) -> Vec<Event> {
    let mut g = Gen(0xdead_beef);
    let mut e = Engine::new();
    e.execute(&configure()).unwrap();
    register_agents(&mut e, &mut g, 500);
    for a in 0..500 {
        e.execute(&Command::Login { at: t(1), agent: AgentId(a) }).unwrap();
    }
    let mut log = e.take_events();
    let mut ms = 2_000i64;
    let mut open: std::collections::VecDeque<TicketId> = Default::default();
    while log.len() < events_n {
        ms += 1 + g.below(400) as i64;
        let at = t(0).plus_ms(ms);
        let create_share = if open.len() < balance_at { 5 } else { 3 };
        let roll = g.below(10);
        if roll < create_share {
            let c = g.below(50_000);
            let _ = e.execute(&Command::CreateTicket { at, spec: ticket(&mut g, c) });
            open.push_back(TicketId(e.state().next_ticket_id().0 - 1));
        } else if roll < create_share + 2 {
            let i = g.below(open.len().max(1) as u64) as usize;
            if let Some(&tk) = open.get(i)
                && e.state().ticket(tk).is_some_and(|x| x.agent.is_some())
            {
                let _ = e.execute(&Command::AgentReply { at, ticket: tk });
            } else if let Some(&tk) = open.get(i)
                && e.state().ticket(tk).is_some_and(|x| x.is_waiting())
                && g.below(4) == 0
            {
                let _ = e.execute(&Command::Abandon { at, ticket: tk });
                open.remove(i);
            }
        } else if !open.is_empty() {
            // Resolve a ticket someone holds, oldest first.
            if let Some(i) = open.iter().position(|&tk| e.state().ticket(tk).is_some_and(|x| x.agent.is_some())) {
                let tk = open.remove(i).expect("index in range");
                let _ = e.execute(&Command::Resolve { at, ticket: tk });
            }
        }
        log.extend(e.take_events());
    }
    log.truncate(events_n);
    log
}

fn replay_bench(c: &mut Criterion) {
    let log = recorded_day(1_000_000);
    let mut group = c.benchmark_group("replay");
    group.sample_size(10);
    group.throughput(Throughput::Elements(log.len() as u64));
    group.bench_function("1m_events", |b| b.iter(|| replay(black_box(&log))));
    let overload = recorded_overload(1_000_000);
    group.bench_function("1m_events_overloaded", |b| b.iter(|| replay(black_box(&overload))));
    for (name, l) in [("1m_events", &log), ("1m_events_overloaded", &overload)] {
        let s = replay(l);
        let created = l.iter().filter(|e| matches!(e, Event::TicketCreated { .. })).count();
        let waiting = s.tickets().filter(|t| t.is_waiting()).count();
        eprintln!("replay/{name}: {created} tickets created; {waiting} waiting at the end of the log");
    }
    group.finish();
}

fn decide_mixed(c: &mut Criterion) {
    // Commands recorded from the same kind of day, replayed through a fresh engine.
    let mut g = Gen(0xfeed);
    let mut base = Engine::new();
    base.execute(&configure()).unwrap();
    register_agents(&mut base, &mut g, 500);
    for a in 0..500 {
        base.execute(&Command::Login { at: t(1), agent: AgentId(a) }).unwrap();
    }
    base.clear_events();
    let mut cmds = Vec::new();
    let mut probe = base.clone();
    let mut ms = 2_000i64;
    let mut open: std::collections::VecDeque<TicketId> = Default::default();
    let mut events = 0usize;
    while cmds.len() < 20_000 {
        ms += 1 + g.below(400) as i64;
        let at = t(0).plus_ms(ms);
        let cmd = match g.below(10) {
            0..=3 => Command::CreateTicket {
                at,
                spec: {
                    let c = g.below(50_000);
                    ticket(&mut g, c)
                },
            },
            4..=5 => match open.front() {
                Some(&tk) if probe.state().ticket(tk).is_some_and(|x| x.agent.is_some()) => {
                    Command::AgentReply { at, ticket: tk }
                }
                _ => Command::Tick { at },
            },
            _ => match open.pop_front() {
                Some(tk) => Command::Resolve { at, ticket: tk },
                None => Command::Tick { at },
            },
        };
        if probe.execute(&cmd).is_ok() {
            if matches!(cmd, Command::CreateTicket { .. }) {
                open.push_back(TicketId(probe.state().next_ticket_id().0 - 1));
            }
            events += probe.events().len();
            probe.clear_events();
            cmds.push(cmd);
        }
    }
    let mut group = c.benchmark_group("decide");
    group.sample_size(20);
    group.throughput(Throughput::Elements(events as u64));
    group.bench_function("mixed", |b| {
        b.iter_batched(
            || base.clone(),
            |mut e| {
                for cmd in &cmds {
                    let _ = e.execute(cmd);
                    e.clear_events();
                }
                e
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// A waiting customer's place in line and estimated wait, as the service shows them, at
/// 100,000 waiting tickets in one queue (192 requirement classes): `queue_position` and
/// `estimated_wait_ms` of waiting tickets taken in turn.
fn position(c: &mut Criterion) {
    let (mut engine, mut g) = surge(1);
    // A handle-time history, so the estimate exists: one agent resolves its ticket.
    let now = engine.state().last_event_at().plus_ms(1_000);
    let held = engine.state().agent(AgentId(0)).unwrap().held[0];
    engine.execute(&Command::Resolve { at: now, ticket: held }).unwrap();
    let waiting: Vec<TicketId> =
        engine.state().tickets().filter(|t| t.agent.is_none()).map(|t| t.id).take(100_000).collect();
    let waiting: Vec<TicketId> = (0..1024).map(|_| waiting[g.below(waiting.len() as u64) as usize]).collect();
    assert!(engine.state().estimated_wait_ms(waiting[0]).is_some());
    let mut group = c.benchmark_group("position");
    let mut i = 0;
    group.bench_function("100k_waiting", |b| {
        b.iter(|| {
            i += 1;
            let s = black_box(engine.state());
            (s.queue_position(waiting[i % waiting.len()]), s.estimated_wait_ms(waiting[i % waiting.len()]))
        })
    });
    group.finish();
}

criterion_group!(benches, assign, replay_bench, decide_mixed, position);
criterion_main!(benches);
