//! Property tests of the routing strategies and of aging, each against an oracle written
//! from `docs/ROUTING.md` rather than from the routing index:
//! - every strategy picks, among the free agents who may take an arriving ticket, the one
//!   its documented order puts first (longest idle; least occupied, so never a busier agent
//!   while a less busy one is free; round robin by the order of earlier assignments, kept
//!   here from the events; best proficiency), in pools from two agents to well over the 64
//!   where a pool's free set switches to its B-tree form;
//! - with aging on, no ticket starves: while agents keep freeing, every ticket is assigned
//!   within a bound derived from the priority weights, the aging rate and the handle time.

use crate::fixture::t;
use cs_core::{
    AgentId, Capacity, Channel, Command, ConfigSpec, CustomerId, CustomerTier, Emotion, Engine, Event, LanguageSet,
    Presence, SkillId, State, Strategy as Routing, TeamId, TicketId, TicketSpec, Urgency,
};
use proptest::prelude::*;
use std::cmp::Ordering;
use std::collections::BTreeMap;

fn one_queue(strategy: Routing, priority: &str) -> ConfigSpec {
    let text = format!(
        "skills = [\"s\"]\nteams = [{{ name = \"t\" }}]\n[limits]\nagent_tickets_max = 8\n{priority}\n\
         [[queues]]\nname = \"q\"\nchannels = [\"chat\"]\nstrategy = \"{}\"\nskills = {{ s = 1 }}\n",
        strategy.name()
    );
    toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn register(e: &mut Engine, at: i64, i: usize, level: u8, chats: u8) {
    e.execute(&Command::RegisterAgent {
        at: t(at),
        key: format!("a{i}"),
        team: TeamId(0),
        tier: None,
        skills: vec![(SkillId(0), level)],
        languages: LanguageSet::default(),
        capacity: Capacity::only(Channel::Chat, chats),
    })
    .unwrap();
}

/// The agent the documented order of `strategy` puts first among the free agents who may
/// take a chat needing skill `s` at 1, or `None` when nobody may. `last_assignment` is the
/// index of each agent's last assignment among all assignments so far (absent: never).
fn oracle(s: &State, strategy: Routing, last_assignment: &BTreeMap<AgentId, usize>) -> Option<AgentId> {
    let cfg = s.config();
    let free = s.agents().iter().filter(|a| {
        a.presence == Presence::Available
            && a.levels.level(SkillId(0)) >= 1
            && cs_core::capacity::check(
                &a.capacity,
                &a.load,
                Channel::Chat,
                &cfg.capacity,
                cfg.limits.agent_tickets_max,
            )
            .is_ok()
    });
    // Only chat is routed: the load relative to capacity is held chats over chat slots,
    // compared exactly as fractions.
    let occupancy = |a: &cs_core::Agent, b: &cs_core::Agent| {
        let (ha, ca) =
            (u32::from(a.load.per_channel.get(Channel::Chat)), u32::from(a.capacity.per_channel.get(Channel::Chat)));
        let (hb, cb) =
            (u32::from(b.load.per_channel.get(Channel::Chat)), u32::from(b.capacity.per_channel.get(Channel::Chat)));
        (ha * cb).cmp(&(hb * ca))
    };
    let order = |a: &&cs_core::Agent, b: &&cs_core::Agent| -> Ordering {
        let idle = a.idle_since.cmp(&b.idle_since);
        let id = a.id.cmp(&b.id);
        match strategy {
            Routing::LongestIdle => idle.then(id),
            Routing::LeastOccupied => occupancy(a, b).then(idle).then(id),
            // Never assigned comes first, then the oldest last assignment.
            Routing::RoundRobin => {
                let last = |x: &cs_core::Agent| last_assignment.get(&x.id).map_or((0, 0), |&i| (1, i));
                last(a).cmp(&last(b)).then(id)
            }
            Routing::BestProficiency => b.levels.level(SkillId(0)).cmp(&a.levels.level(SkillId(0))).then(idle).then(id),
        }
    };
    free.min_by(order).map(|a| a.id)
}

#[derive(Clone, Debug)]
enum Step {
    /// A chat arrives.
    Arrive,
    /// The agent holding the `n`-th open ticket resolves it.
    Resolve(usize),
    /// An agent goes away, or comes back.
    Toggle(usize),
}

fn step() -> impl Strategy<Value = (Step, i64)> {
    (
        prop_oneof![
            5 => Just(Step::Arrive),
            4 => any::<usize>().prop_map(Step::Resolve),
            1 => any::<usize>().prop_map(Step::Toggle),
        ],
        0i64..20,
    )
}

/// Agents' profiles (proficiency, chat slots), dealt round the agents in turn: with many
/// agents and few profiles a pool holds more than 64 agents.
fn profiles() -> impl Strategy<Value = Vec<(u8, u8)>> {
    prop::collection::vec((1u8..=5, 1u8..=3), 1..4)
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn every_strategy_picks_the_agent_its_documented_order_puts_first(
        strategy in 0usize..4,
        agents in prop_oneof![2usize..8, 65usize..200],
        profiles in profiles(),
        steps in prop::collection::vec(step(), 20..160),
    ) {
        let strategy = Routing::ALL[strategy];
        let mut e = Engine::new();
        e.execute(&Command::Configure { at: t(0), config: Box::new(one_queue(strategy, "")) }).unwrap();
        for i in 0..agents {
            let (level, chats) = profiles[i % profiles.len()];
            register(&mut e, 0, i, level, chats);
        }
        // Logging in at different times gives different idle times.
        for i in 0..agents {
            e.execute(&Command::Login { at: t(i as i64 / 10), agent: AgentId(i as u32) }).unwrap();
        }
        let mut now = agents as i64 / 10;
        let mut last_assignment: BTreeMap<AgentId, usize> = BTreeMap::new();
        let mut assignments = 0usize;
        let mut customer = 0;
        for (step, dt) in steps {
            now += dt;
            let s = e.state();
            let cmd = match step {
                Step::Arrive => {
                    customer += 1;
                    Command::CreateTicket { at: t(now), spec: TicketSpec::new(CustomerId(customer), Channel::Chat) }
                }
                Step::Resolve(n) => {
                    let held: Vec<TicketId> = s.agents().iter().flat_map(|a| a.held.iter().copied()).collect();
                    if held.is_empty() {
                        continue;
                    }
                    Command::Resolve { at: t(now), ticket: held[n % held.len()] }
                }
                Step::Toggle(n) => {
                    let a = &s.agents()[n % agents];
                    let presence = if a.presence == Presence::Available { Presence::Away } else { Presence::Available };
                    Command::SetPresence { at: t(now), agent: a.id, presence }
                }
            };
            let expected = matches!(cmd, Command::CreateTicket { .. }).then(|| oracle(s, strategy, &last_assignment));
            let before = e.events().len();
            e.execute(&cmd).unwrap();
            let new = &e.events()[before..];
            if let Some(expected) = expected {
                let created = new.iter().find_map(|ev| match ev {
                    Event::TicketCreated { ticket, .. } => Some(*ticket),
                    _ => None,
                });
                let got = new.iter().find_map(|ev| match ev {
                    Event::TicketAssigned { ticket, agent, .. } if Some(*ticket) == created => Some(*agent),
                    _ => None,
                });
                prop_assert_eq!(got, expected, "{:?} at {}s: {:?}", strategy, now, new);
            }
            for ev in new {
                if let Event::TicketAssigned { agent, .. } = ev {
                    last_assignment.insert(*agent, assignments);
                    assignments += 1;
                }
            }
        }
    }
}

/// Points of the best and of the worst possible ticket under the default weights, on
/// chat (`docs/ROUTING.md`, Priority): tier 0..40, urgency 0..60, emotion 0..30.
const SCORE_SPREAD_POINTS: i64 = 40 + 60 + 30;

proptest! {
    #![proptest_config(ProptestConfig::default())]

    /// Agents keep freeing (each holds one chat and resolves it `handle_s` after it took
    /// it) while more chats arrive than they can take, urgent ones among them. With aging
    /// at `k` points a minute a ticket can be passed only by tickets that arrived at most
    /// `D = spread / k` minutes after it (a later one has aged too little to catch up), so
    /// it is assigned within `D + handle_s × (ceil(M / c) + 1)`, `M` being the tickets not
    /// yet assigned when it arrived or arriving up to `D` after it, and `c` the agents.
    #[test]
    fn with_aging_no_ticket_waits_past_the_bound_its_config_gives(
        aging_points_per_minute in 20i64..60,
        agents in 1usize..4,
        handle_s in 30i64..90,
        arrivals in prop::collection::vec((0i64..40, 0usize..4, 0usize..4, 0usize..4), 40..140),
    ) {
        let config = one_queue(Routing::LongestIdle, &format!("[priority]\naging_points_per_minute = {aging_points_per_minute}"));
        let mut e = Engine::new();
        e.execute(&Command::Configure { at: t(0), config: Box::new(config) }).unwrap();
        for i in 0..agents {
            register(&mut e, 0, i, 1, 1);
            e.execute(&Command::Login { at: t(0), agent: AgentId(i as u32) }).unwrap();
        }
        // Arrivals a little faster than the agents serve, so a queue builds up.
        let gap_ms = |g: i64| g * handle_s * 1000 / (20 * agents as i64);
        let mut arrive_at = Vec::new();
        let mut at = 0i64;
        for (g, ..) in &arrivals {
            at += gap_ms(*g);
            arrive_at.push(at);
        }
        let mut resolves: std::collections::BTreeSet<(i64, TicketId)> = Default::default();
        let mut created: BTreeMap<TicketId, i64> = BTreeMap::new();
        let mut assigned: BTreeMap<TicketId, i64> = BTreeMap::new();
        let mut next = 0;
        while next < arrivals.len() || !resolves.is_empty() {
            let arrival = arrive_at.get(next).copied();
            let resolve = resolves.first().copied();
            let cmd = match (arrival, resolve) {
                (Some(a), Some((r, _))) if a < r => None,
                (Some(_), None) => None,
                (_, Some((r, ticket))) => {
                    resolves.pop_first();
                    Some(Command::Resolve { at: t(0).plus_ms(r), ticket })
                }
                (None, None) => unreachable!(),
            };
            let cmd = cmd.unwrap_or_else(|| {
                let (_, tier, urgency, emotion) = arrivals[next];
                let at = t(0).plus_ms(arrive_at[next]);
                next += 1;
                let spec = TicketSpec {
                    tier: CustomerTier::ALL[tier],
                    urgency: Urgency::ALL[urgency],
                    emotion: Emotion::ALL[emotion],
                    ..TicketSpec::new(CustomerId(next as u64), Channel::Chat)
                };
                Command::CreateTicket { at, spec }
            });
            let before = e.events().len();
            e.execute(&cmd).unwrap();
            for ev in &e.events()[before..] {
                let ms = ev.at().ms() - t(0).ms();
                match ev {
                    Event::TicketCreated { ticket, .. } => {
                        created.insert(*ticket, ms);
                    }
                    Event::TicketAssigned { ticket, .. } => {
                        assigned.insert(*ticket, ms);
                        resolves.insert((ms + handle_s * 1000, *ticket));
                    }
                    _ => {}
                }
            }
        }
        prop_assert_eq!(assigned.len(), created.len(), "every ticket is served in the end");
        // Minutes to catch up the whole spread, in ms, rounded up.
        let d_ms = (SCORE_SPREAD_POINTS * 60_000 + aging_points_per_minute - 1) / aging_points_per_minute;
        for (&ticket, &c0) in &created {
            let m = created
                .iter()
                .filter(|&(o, &c)| c <= c0 + d_ms && (*o == ticket || assigned[o] >= c0 || c > c0))
                .count() as i64;
            let bound = d_ms + handle_s * 1000 * ((m + agents as i64 - 1) / agents as i64 + 1);
            let wait = assigned[&ticket] - c0;
            prop_assert!(wait <= bound, "ticket {} waited {} ms, bound {} ms (M = {})", ticket, wait, bound, m);
        }
    }
}
