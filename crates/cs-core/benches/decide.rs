//! Criterion benchmarks of the pure decision against `Engine::execute`, on decisions that
//! must see their own earlier events (so the pure path once copied the whole state), at
//! 100,000 waiting tickets:
//!
//! - `pure/logout_100k_waiting`: an agent holding a chat logs out; its ticket goes back to
//!   waiting and is routed again (all 5,000 agents are busy, so it waits).
//! - `pure/sla_tick_100k_waiting`: a `Tick` 10 ms later than the last fires the SLA timers
//!   due in between (first-response reminders every 60 s on 100,000 breached clocks: about
//!   17 per tick, at distinct instants).
//!
//! `decide` times every step of the pure [`Decision`] (the caller's `apply_all` between
//! steps is not timed); `decide_first_step` times its first step alone; `engine` times
//! `Engine::execute`, which decides and applies in place. Between timed commands an
//! untimed login (or nothing, for ticks) keeps 100,000 tickets waiting.

use criterion::{Criterion, criterion_group, criterion_main};
use cs_core::{
    AgentId, Channel, Command, ConfigSpec, CustomerId, CustomerTier, Decision, Emotion, Engine, SkillId, SkillNeed,
    SkillNeeds, State, TicketId, TicketSpec, Urgency, apply_all,
};
use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "common/surge.rs"]
#[allow(dead_code)]
mod surge;

use surge::{Gen, PROFILES, SKILLS, register_agents, t};

const WAITING: u64 = 100_000;

/// One chat queue; an SLA policy on chat with a 60 s first response and reminders every
/// 60 s after a breach.
fn configure() -> Command {
    let skills: Vec<String> = (0..SKILLS).map(|i| format!("skill{i}")).collect();
    let teams: String = (0..PROFILES).map(|i| format!("{{ name = \"team{i}\" }},")).collect();
    let text = format!(
        "skills = {skills:?}\nteams = [{teams}]\n[limits]\nqueue_depth_max = 1000000\n\
         [[queues]]\nname = \"chat\"\nchannels = [\"chat\"]\n\
         [[sla_policies]]\nname = \"chat\"\nchannels = [\"chat\"]\nfirst_response_s = 60\nremind_every_s = 60\n"
    );
    let spec: ConfigSpec = toml::from_str(&text).expect("bench config");
    Command::Configure { at: t(0), config: Box::new(spec) }
}

fn ticket(g: &mut Gen, customer: u64) -> TicketSpec {
    let needs =
        SkillNeeds::new([SkillNeed { skill: SkillId(g.below(u64::from(SKILLS)) as u16), min: 1 + g.below(3) as u8 }])
            .expect("needs");
    TicketSpec {
        skills: needs,
        tier: CustomerTier::ALL[g.below(4) as usize],
        urgency: Urgency::ALL[g.below(4) as usize],
        emotion: Emotion::ALL[g.below(4) as usize],
        ..TicketSpec::new(CustomerId(customer), Channel::Chat)
    }
}

/// 5,000 agents in 250 teams, each holding one chat; 100,000 tickets waiting, every SLA
/// clock breached and reminding.
fn surge() -> Engine {
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    let mut e = Engine::new();
    e.execute(&configure()).unwrap();
    register_agents(&mut e, &mut g, 5_000);
    for i in 0..5_000u32 {
        e.execute(&Command::Login { at: t(1), agent: AgentId(i) }).unwrap();
    }
    for a in 0..5_000u32 {
        let skill = e.state().agent(AgentId(a)).unwrap().skills[0].0;
        let mut spec = ticket(&mut g, u64::from(a));
        spec.skills = SkillNeeds::new([SkillNeed { skill, min: 1 }]).unwrap();
        e.execute(&Command::CreateTicket { at: t(2), spec }).unwrap();
        let created = TicketId(e.state().next_ticket_id().0 - 1);
        if e.state().ticket(created).unwrap().agent.is_none() {
            e.execute(&Command::AssignTicket { at: t(2), ticket: created, agent: AgentId(a), force: true }).unwrap();
        }
    }
    let mut waiting = 0;
    let mut ms = 3_000;
    while waiting < WAITING {
        e.execute(&Command::CreateTicket { at: t(0).plus_ms(ms), spec: ticket(&mut g, 10_000 + waiting) }).unwrap();
        if e.state().ticket(TicketId(e.state().next_ticket_id().0 - 1)).unwrap().agent.is_none() {
            waiting += 1;
        }
        ms += 337;
        e.clear_events();
    }
    // Every clock breached; reminders from here on.
    e.execute(&Command::Tick { at: t(0).plus_ms(ms + 61_000) }).unwrap();
    e.clear_events();
    e
}

/// Decides `cmd` step by step, applying between steps: the time spent deciding.
fn pure_steps(state: &mut State, cmd: &Command) -> Duration {
    let mut d = Decision::new(cmd);
    let mut total = Duration::ZERO;
    loop {
        let start = Instant::now();
        let step = black_box(d.step(state));
        total += start.elapsed();
        match step {
            Ok(Some(events)) => apply_all(state, &events),
            _ => return total,
        }
    }
}

/// Runs `cmd` through the engine or the pure decision; the time spent deciding.
fn timed(engine: &mut Engine, state: &mut State, pure: bool, cmd: &Command) -> Duration {
    if pure {
        pure_steps(state, cmd)
    } else {
        let start = Instant::now();
        let _ = black_box(engine.execute(cmd));
        let took = start.elapsed();
        engine.clear_events();
        took
    }
}

/// Runs `cmd` untimed on whichever path is in use.
fn untimed(engine: &mut Engine, state: &mut State, pure: bool, cmd: &Command) {
    if pure {
        pure_steps(state, cmd);
    } else {
        let _ = engine.execute(cmd);
        engine.clear_events();
    }
}

fn pure(c: &mut Criterion) {
    let base = surge();
    let now = base.state().last_event_at();
    let busy: Vec<AgentId> =
        base.state().agents().iter().filter(|a| a.held.len() == 1 && a.wrap_ups.is_empty()).map(|a| a.id).collect();
    assert!(busy.len() > 1_000);
    let mut group = c.benchmark_group("pure");
    group.sample_size(20);

    // The first step of a logout alone, on a state left unchanged.
    let logout = Command::Logout { at: now.plus_ms(1), agent: busy[0] };
    group.bench_function("logout_100k_waiting/decide_first_step", |b| {
        b.iter(|| Decision::new(&logout).step(black_box(base.state())))
    });
    let tick = Command::Tick { at: now.plus_ms(30_000) };
    let fired = Decision::new(&tick).step(base.state()).unwrap().unwrap();
    assert!(fired.iter().any(|e| matches!(e, cs_core::Event::SlaReminder { .. })));
    group.bench_function("sla_tick_100k_waiting/decide_first_step", |b| {
        b.iter(|| Decision::new(&tick).step(black_box(base.state())))
    });

    for (path, pure) in [("decide", true), ("engine", false)] {
        let mut engine = base.clone();
        let mut state = if pure { base.state().clone() } else { State::new() };
        // One clock per path: the logouts' and the ticks' commands run on one engine (or
        // state) and must not go back in time.
        let mut clock = now;
        let mut k = 0usize;
        group.bench_function(format!("logout_100k_waiting/{path}"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    clock = clock.plus_ms(1);
                    let agent = busy[k % busy.len()];
                    k += 1;
                    total += timed(&mut engine, &mut state, pure, &Command::Logout { at: clock, agent });
                    // Back to work: the agent takes the best waiting ticket it may take.
                    untimed(&mut engine, &mut state, pure, &Command::Login { at: clock, agent });
                }
                total
            })
        });
        group.bench_function(format!("sla_tick_100k_waiting/{path}"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    clock = clock.plus_ms(10);
                    total += timed(&mut engine, &mut state, pure, &Command::Tick { at: clock });
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, pure);
criterion_main!(benches);
