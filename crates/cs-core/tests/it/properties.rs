//! Property tests over random command sequences.
//!
//! Checked after every command, against an oracle that knows nothing of the routing index:
//! - incremental apply equals replay from scratch, and the engine (in place) agrees with
//!   the pure decide/apply pair event for event;
//! - no ticket is held by two agents, and agents' held lists match the tickets;
//! - no assignment exceeds capacity (forced manual assignments are not generated;
//!   lowering an agent's capacity below its load takes nothing away);
//! - every routed assignment satisfies the ticket's skills, language and team rules;
//! - every routed assignment gives the agent the best waiting ticket it could serve (none
//!   unpinned ranks better), and goes to the agent `explain` names for it;
//! - after every decision no available agent and waiting ticket it could serve coexist;
//! - the same commands always give the same events.
//! - the timer set equals the one rebuilt from the tables' due fields (`check_timers`), and
//!   ticking on time at every deadline gives the same log as letting commands fire timers late.

use crate::fixture::{CONFIG, t};
use cs_core::capacity;
use cs_core::metrics::Metrics;
use cs_core::priority::Rank;
use cs_core::{
    AgentId, Capacity, Channel, Command, ConfigSpec, CustomerId, CustomerTier, Emotion, Engine, Event, LanguageId,
    LanguageSet, Presence, QueueId, Replayed, SkillId, SkillNeed, SkillNeeds, State, TeamId, TicketId, TicketSpec,
    TicketStatus, Urgency, apply, replay,
};
use proptest::prelude::*;

/// Abstract commands; ids are resolved against the state when run.
#[derive(Clone, Debug)]
enum Op {
    Register {
        team: u16,
        skills: Vec<(u16, u8)>,
        langs: u64,
        chat: u8,
        email: u8,
    },
    Login(usize),
    Logout(usize),
    Presence(usize, u8),
    Skills(usize, Vec<(u16, u8)>),
    Capacity(usize, u8, u8),
    Create {
        channel: u8,
        skills: Vec<(u16, u8)>,
        lang: Option<u8>,
        tier: u8,
        urgency: u8,
        emotion: u8,
        queue: Option<u16>,
    },
    Update(usize, u8, u8),
    Assign(usize, usize),
    Reply(usize),
    Customer(usize),
    Pending(usize),
    Transfer(usize, u16),
    Accept(usize),
    Decline(usize),
    BotResolve(usize),
    BotHandoff(usize),
    Escalate(usize, Option<u16>),
    Resolve(usize),
    Reopen(usize),
    Abandon(usize),
    Tick,
}

fn skills() -> impl Strategy<Value = Vec<(u16, u8)>> {
    prop::collection::vec((0u16..3, 1u8..=5), 0..3)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0u16..2, skills(), 0u64..4, 0u8..3, 0u8..3)
            .prop_map(|(team, skills, langs, chat, email)| Op::Register { team, skills, langs, chat, email }),
        3 => any::<usize>().prop_map(Op::Login),
        1 => any::<usize>().prop_map(Op::Logout),
        1 => (any::<usize>(), 0u8..4).prop_map(|(a, p)| Op::Presence(a, p)),
        1 => (any::<usize>(), skills()).prop_map(|(a, s)| Op::Skills(a, s)),
        1 => (any::<usize>(), 0u8..4, 0u8..4).prop_map(|(a, c, e)| Op::Capacity(a, c, e)),
        6 => (0u8..2, prop::collection::vec((0u16..3, 1u8..=4), 0..2), prop::option::of(0u8..2), 0u8..4, 0u8..4, 0u8..4, prop::option::of(0u16..3))
            .prop_map(|(channel, skills, lang, tier, urgency, emotion, queue)| Op::Create { channel, skills, lang, tier, urgency, emotion, queue }),
        1 => (any::<usize>(), 0u8..4, 0u8..4).prop_map(|(t, u, e)| Op::Update(t, u, e)),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(t, a)| Op::Assign(t, a)),
        2 => any::<usize>().prop_map(Op::Reply),
        1 => any::<usize>().prop_map(Op::Customer),
        1 => any::<usize>().prop_map(Op::Pending),
        1 => (any::<usize>(), 0u16..3).prop_map(|(t, q)| Op::Transfer(t, q)),
        2 => any::<usize>().prop_map(Op::Accept),
        1 => any::<usize>().prop_map(Op::Decline),
        1 => any::<usize>().prop_map(Op::BotResolve),
        1 => (any::<usize>(), prop::option::of(0u16..4)).prop_map(|(t, tier)| Op::Escalate(t, tier)),
        2 => any::<usize>().prop_map(Op::BotHandoff),
        3 => any::<usize>().prop_map(Op::Resolve),
        1 => any::<usize>().prop_map(Op::Reopen),
        1 => any::<usize>().prop_map(Op::Abandon),
        2 => Just(Op::Tick),
    ]
}

/// Every channel, chat and e-mail (the queues with the most rules) most often: a critical
/// chat is a phone call, a critical e-mail a social message or (from a silver or VIP
/// customer) some other channel. Drawn from fields the case has anyway, so that the
/// sequence of random cases stays what `random_cases_reach_every_routing_feature` was
/// tuned on.
fn channel_of(chat_or_email: u8, urgency: u8, tier: u8) -> Channel {
    match (chat_or_email, urgency == 3, tier % 2) {
        (0, false, _) => Channel::Chat,
        (0, true, _) => Channel::Phone,
        (_, false, _) => Channel::Email,
        (_, true, 0) => Channel::Social,
        (_, true, _) => Channel::Other,
    }
}

fn needs(v: &[(u16, u8)]) -> SkillNeeds {
    SkillNeeds::new(v.iter().map(|&(s, min)| SkillNeed { skill: SkillId(s), min })).unwrap()
}

fn pick<T: Copy>(v: &[T], i: usize) -> Option<T> {
    (!v.is_empty()).then(|| v[i % v.len()])
}

fn to_command(op: &Op, s: &State, at: cs_core::Timestamp) -> Command {
    let agents: Vec<AgentId> = s.agents().iter().map(|a| a.id).collect();
    let tickets: Vec<TicketId> = s.tickets().map(|t| t.id).collect();
    let offered: Vec<TicketId> = s.tickets().filter(|t| t.status == TicketStatus::Offered).map(|t| t.id).collect();
    let assigned: Vec<TicketId> = s.tickets().filter(|t| t.status == TicketStatus::Assigned).map(|t| t.id).collect();
    // Agents answer offers they have, so accept and decline pick among offered tickets.
    let offer = |i: usize| pick(&offered, i).or_else(|| pick(&tickets, i)).unwrap_or(TicketId(999));
    let agent = |i: usize| pick(&agents, i).unwrap_or(AgentId(99));
    // Customers come back: a quarter of new tickets are from someone whose ticket was
    // resolved, so sticky routing and repeat contacts get exercised.
    let returning: Vec<CustomerId> =
        s.tickets().filter(|t| t.status == TicketStatus::Resolved).map(|t| t.customer).collect();
    let ticket = |i: usize| pick(&tickets, i).unwrap_or(TicketId(999));
    // Mostly, agents resolve what they hold; now and then a waiting ticket is resolved.
    let resolvable =
        |i: usize| if i.is_multiple_of(4) { None } else { pick(&assigned, i / 4) }.unwrap_or_else(|| ticket(i));
    // Phone goes with chat (one call at a time, and phone is exclusive), social and other
    // with e-mail.
    let cap = |chat: u8, email: u8| {
        let mut c = Capacity::only(Channel::Chat, chat);
        c.per_channel.set(Channel::Email, email);
        c.per_channel.set(Channel::Phone, chat.min(1));
        c.per_channel.set(Channel::Social, email);
        c.per_channel.set(Channel::Other, email.min(1));
        c
    };
    match op {
        Op::Register { team, skills, langs, chat, email } => Command::RegisterAgent {
            at,
            key: format!("agent{}", agents.len()),
            team: TeamId(*team),
            tier: None,
            skills: skills.iter().map(|&(s, p)| (SkillId(s), p)).collect(),
            languages: LanguageSet(*langs),
            capacity: cap(*chat, *email),
        },
        Op::Login(a) => Command::Login { at, agent: agent(*a) },
        Op::Logout(a) => Command::Logout { at, agent: agent(*a) },
        Op::Presence(a, p) => Command::SetPresence {
            at,
            agent: agent(*a),
            presence: [Presence::Available, Presence::Busy, Presence::Away, Presence::WrapUp][usize::from(*p)],
        },
        Op::Skills(a, sk) => {
            Command::SetAgentSkills { at, agent: agent(*a), skills: sk.iter().map(|&(s, p)| (SkillId(s), p)).collect() }
        }
        Op::Capacity(a, c, e) => Command::SetAgentCapacity { at, agent: agent(*a), capacity: cap(*c, *e) },
        Op::Create { channel, skills, lang, tier, urgency, emotion, queue } => Command::CreateTicket {
            at,
            spec: TicketSpec {
                queue: queue.map(QueueId),
                skills: needs(skills),
                language: lang.map(LanguageId),
                tier: CustomerTier::ALL[usize::from(*tier)],
                urgency: Urgency::ALL[usize::from(*urgency)],
                emotion: Emotion::ALL[usize::from(*emotion)],
                ttl_s: (*emotion == 3).then_some(90),
                bot: *urgency == 0 && *tier < 2,
                ..TicketSpec::new(
                    match pick(&returning, usize::from(*tier)) {
                        Some(c) if *emotion == 0 => c,
                        _ => CustomerId(u64::from(*tier) * 3 + u64::from(*emotion % 3)),
                    },
                    channel_of(*channel, *urgency, *tier),
                )
            },
        },
        Op::Update(tk, u, e) => Command::UpdateTicket {
            at,
            ticket: ticket(*tk),
            tier: None,
            urgency: Some(Urgency::ALL[usize::from(*u)]),
            emotion: Some(Emotion::ALL[usize::from(*e)]),
        },
        Op::Assign(tk, a) => Command::AssignTicket { at, ticket: ticket(*tk), agent: agent(*a), force: false },
        Op::Reply(tk) => Command::AgentReply { at, ticket: ticket(*tk) },
        Op::Customer(tk) => Command::CustomerMessage { at, ticket: ticket(*tk) },
        Op::Pending(tk) => Command::SetPending { at, ticket: ticket(*tk) },
        Op::Transfer(tk, q) => Command::Transfer { at, ticket: ticket(*tk), queue: QueueId(*q) },
        Op::Accept(tk) => Command::AcceptOffer { at, ticket: offer(*tk) },
        Op::BotResolve(tk) => Command::BotResolve { at, ticket: ticket(*tk) },
        Op::Escalate(tk, tier) => Command::Escalate { at, ticket: ticket(*tk), tier: *tier, note: None },
        Op::BotHandoff(tk) => {
            Command::BotHandoff { at, ticket: ticket(*tk), reason: "asked for a human".into(), transcript: None }
        }
        Op::Decline(tk) => Command::DeclineOffer { at, ticket: offer(*tk) },
        Op::Resolve(tk) => Command::Resolve { at, ticket: resolvable(*tk) },
        Op::Reopen(tk) => Command::Reopen { at, ticket: ticket(*tk) },
        Op::Abandon(tk) => Command::Abandon { at, ticket: ticket(*tk) },
        Op::Tick => Command::Tick { at },
    }
}

/// Whether agent `a` could take waiting ticket `t` now, decided from first principles.
use cs_core::audit::{could_serve, qualifies as serves_rules};

fn rank(s: &State, tk: &cs_core::Ticket, now: cs_core::Timestamp) -> Rank {
    s.rank_at(tk, now)
}

fn check_invariants(s: &State) -> Result<(), TestCaseError> {
    let cfg = s.config();
    // Holding, load and capacity, reservations, breaches, and no available agent beside a
    // waiting ticket it could serve (checked against the documented rules, not the index).
    cs_core::audit(s).map_err(TestCaseError::fail)?;
    // The routing index: active lists are the non-empty buckets, pools have members, and
    // no more empty buckets are kept than the bound.
    s.check_index().map_err(TestCaseError::fail)?;
    // The timers: every kind rebuilt from the tables' due fields equals the set kept.
    s.check_timers().map_err(TestCaseError::fail)?;
    // Positions are a permutation per queue.
    for (qi, _) in cfg.queues().iter().enumerate() {
        let q = QueueId(qi as u16);
        let unpinned = |t: &&cs_core::Ticket| t.queue == q && t.pinned_to.is_none();
        let mut pos: Vec<usize> = s.tickets().filter(unpinned).filter_map(|t| s.queue_position(t.id)).collect();
        pos.sort_unstable();
        let n = s.tickets().filter(unpinned).filter(|t| t.is_waiting()).count();
        prop_assert_eq!(pos, (1..=n).collect::<Vec<_>>());
        // And each is exactly 1 + the tickets of its queue ahead of it, counted by brute
        // force (tickets of one queue age alike, so their rank at any instant orders them).
        let now = s.last_event_at();
        let waiting: Vec<&cs_core::Ticket> = s.tickets().filter(unpinned).filter(|t| t.is_waiting()).collect();
        for t in &waiting {
            let ahead = waiting.iter().filter(|o| s.rank_at(o, now) < s.rank_at(t, now)).count();
            prop_assert_eq!(s.queue_position(t.id), Some(ahead + 1), "position of ticket {}", t.id);
        }
    }
    // Tickets reserved for an agent are ranked among that agent's reservations.
    for a in s.agents() {
        let mut pos: Vec<usize> =
            s.tickets().filter(|t| t.pinned_to == Some(a.id)).filter_map(|t| s.queue_position(t.id)).collect();
        pos.sort_unstable();
        prop_assert_eq!(pos.clone(), (1..=pos.len()).collect::<Vec<_>>());
    }
    Ok(())
}

/// Checks routed assignments in `events` against the state they were decided on.
fn check_assignments(before: &State, events: &[Event]) -> Result<(), TestCaseError> {
    use cs_core::event::Assignment;
    use cs_core::sla::ClockState;
    let mut s = before.clone();
    for e in events {
        let clock = |s: &State, ticket: TicketId, k: cs_core::sla::ClockKind| {
            s.ticket(ticket).and_then(|t| t.sla.as_ref()).map(|sla| sla.clocks[k.index()])
        };
        match e {
            Event::SlaBreached { at, ticket, clock: k, .. } => {
                let c = clock(&s, *ticket, *k).expect("a breached clock exists");
                prop_assert!(
                    c.state == ClockState::Running && !c.breached,
                    "{ticket} {k:?} breached twice or idle: {c:?}"
                );
                prop_assert_eq!(c.deadline, *at, "{} {:?} breached away from its deadline", ticket, k);
            }
            Event::SlaWarning { at, ticket, clock: k, .. } => {
                let c = clock(&s, *ticket, *k).expect("a warned clock exists");
                prop_assert!(c.state == ClockState::Running && !c.warned, "{ticket} {k:?} warned twice: {c:?}");
                prop_assert_eq!(c.warn_at, Some(*at));
                prop_assert!(*at <= c.deadline);
            }
            Event::SlaMet { ticket, clock: k, .. } => {
                let c = clock(&s, *ticket, *k).expect("a met clock exists");
                prop_assert!(c.is_live(), "{ticket} {k:?} met while {c:?}");
            }
            Event::TicketEscalated { ticket, queue, tier, .. } => {
                let cfg = s.config();
                prop_assert_eq!(cfg.escalation.tiers[usize::from(*tier)].queue, *queue);
                prop_assert_ne!(s.ticket(*ticket).unwrap().queue, *queue, "escalated into its own queue");
            }
            _ => {}
        }
        // Pausing and resuming never moves a deadline earlier, and never moves a breached
        // clock's deadline at all (it is the instant it breached).
        if let Event::TicketReactivated { ticket, at } = e {
            let paused: Vec<_> =
                s.ticket(*ticket).and_then(|t| t.sla.clone()).map(|x| x.clocks.to_vec()).unwrap_or_default();
            let mut after = s.clone();
            apply(&mut after, e);
            if let Some(sla) = after.ticket(*ticket).and_then(|t| t.sla.as_ref()) {
                for (before, now) in paused.iter().zip(sla.clocks.iter()) {
                    if before.state == ClockState::Paused && now.state == ClockState::Running {
                        if before.breached {
                            prop_assert_eq!(now.deadline, before.deadline, "resume moved a breached deadline");
                        } else {
                            prop_assert!(now.deadline >= *at, "resume shortened a clock");
                        }
                        prop_assert_eq!(now.elapsed_ms, before.elapsed_ms);
                    }
                }
            }
        }
        let given = match e {
            Event::TicketAssigned { at, ticket, agent, how } => Some((*at, *ticket, *agent, *how)),
            Event::TicketOffered { at, ticket, agent, how, .. } => Some((*at, *ticket, *agent, *how)),
            _ => None,
        };
        if let Some((at, ticket, agent, how)) = given {
            let t = s.ticket(ticket).unwrap().clone();
            let a = s.agent(agent).unwrap().clone();
            let cfg = s.config();
            match how {
                Assignment::Manual { .. } => {}
                Assignment::Sticky => {
                    let step = &cfg.queue(t.queue).steps[usize::from(t.step)];
                    let needs_ok =
                        t.needs.iter().all(|n| a.levels.level(n.skill) >= step.proficiency_min.unwrap_or(n.min));
                    prop_assert!(
                        needs_ok && t.language.is_none_or(|l| a.languages.contains(l)),
                        "sticky {} to unqualified {}",
                        t.id,
                        a.id
                    );
                    prop_assert_eq!(s.customer(t.customer).and_then(|c| c.last_agent), Some(a.id));
                }
                Assignment::Routed { .. } => {
                    prop_assert!(serves_rules(&s, &a, &t), "agent {} does not qualify for {}", a.id, t.id);
                    prop_assert!(t.pinned_to.is_none_or(|p| p == a.id), "{} pinned elsewhere went to {}", t.id, a.id);
                    // The explanation, computed independently of the routing index, names
                    // the same agent.
                    let why = cs_core::explain(&s, t.id, at).expect("a routed ticket was waiting");
                    prop_assert_eq!(why.chosen, Some(a.id), "explain disagrees on {}: {:?}", t.id, why);
                }
            }
            if !matches!(how, Assignment::Manual { .. }) {
                prop_assert!(!t.avoid_agents.contains(&a.id), "{} routed back to {}, which it avoids", t.id, a.id);
            }
            // Capacity is respected at every assignment (forced ones are not generated).
            prop_assert!(
                capacity::check(&a.capacity, &a.load, t.channel, &cfg.capacity, cfg.limits.agent_tickets_max).is_ok(),
                "agent {} given {} beyond capacity",
                a.id,
                t.id
            );
            if matches!(how, Assignment::Routed { .. }) && t.pinned_to.is_none() {
                // Among the unreserved waiting tickets this agent could serve right now,
                // none ranks better than the one it got.
                let mine = rank(&s, &t, at);
                for other in s.tickets() {
                    if other.id != t.id && other.pinned_to.is_none() && could_serve(&s, &a, other) {
                        let theirs = rank(&s, other, at);
                        prop_assert!(
                            theirs > mine,
                            "agent {} got {} ({mine:?}) while {} ({theirs:?}) waited",
                            a.id,
                            t.id,
                            other.id
                        );
                    }
                }
            }
        }
        apply(&mut s, e);
    }
    Ok(())
}

/// The fixture config with the routing knobs a case turns on: a strategy per queue,
/// offers, sticky routing, overflow, reply timeout and time-to-live.
fn config_with(knobs: &Knobs) -> ConfigSpec {
    let mut spec: ConfigSpec = toml::from_str(CONFIG).unwrap();
    spec.queues[0].depth_max = Some(6);
    spec.queues[2].channels = vec![];
    // Every channel has a queue: phone beside chat, social and other beside e-mail.
    spec.queues[0].channels = vec![Channel::Chat, Channel::Phone];
    spec.queues[1].channels = vec![Channel::Email, Channel::Social, Channel::Other];
    for (q, &s) in spec.queues.iter_mut().zip(&knobs.strategies) {
        q.strategy = cs_core::Strategy::ALL[usize::from(s)];
    }
    if knobs.overflow {
        spec.queues[0].teams = Some(cs_core::config::TeamsSpec::List(vec!["tier1".into()]));
        spec.queues[0].overflow = Some(cs_core::config::OverflowSpec {
            teams: vec!["experts".into()],
            open_waiting: Some(2),
            close_waiting: Some(0),
            open_oldest_wait_s: Some(50.0),
            close_oldest_wait_s: Some(10.0),
        });
    }
    if knobs.sticky {
        spec.queues[0].sticky = Some(cs_core::config::StickySpec { window_s: 300.0, wait_s: 20.0 });
        spec.queues[1].sticky = Some(cs_core::config::StickySpec { window_s: 300.0, wait_s: 15.0 });
    }
    if knobs.offers {
        spec.queues[1].offer = Some(cs_core::config::OfferSpec { timeout_s: 30.0, away_after_missed: 2 });
        spec.queues[0].offer = Some(cs_core::config::OfferSpec { timeout_s: 15.0, away_after_missed: 0 });
    }
    if knobs.sla {
        let extra: ConfigSpec = toml::from_str(SLA_AND_ESCALATION).unwrap();
        spec.calendars = extra.calendars;
        spec.sla_policies = extra.sla_policies;
        spec.escalation = extra.escalation;
        spec.categories.push("spare".into());
        // Follow-ups after chat tickets close (a timer on closed tickets).
        spec.queues[0].follow_up_after_s = Some(100.0);
        if knobs.strategies[0] % 2 == 1 {
            spec.queues[1].priority =
                Some(cs_core::config::PrioritySpec { deadline_points_per_minute: Some(5.0), ..Default::default() });
        }
    }
    if knobs.wrap_up {
        spec.teams[0].wrap_up_s = Some(15.0);
        spec.queues[1].wrap_up_s = Some(5.0);
    }
    if knobs.timeouts {
        spec.queues[1].reply_timeout_s = Some(60.0);
        spec.queues[2].ticket_ttl_s = Some(200.0);
        spec.queues[0].when_full = Some("email".into());
    }
    spec
}

/// SLA policies (one on a business-hours calendar) and an escalation graph over the
/// fixture's queues: chat and e-mail are tier 1, tech is tier 2.
const SLA_AND_ESCALATION: &str = r#"
skills = []
queues = []
[[calendars]]
name = "office"
[calendars.hours]
mon = ["09:00-09:10", "09:20-17:00"]
tue = ["09:00-17:00"]
[[sla_policies]]
name = "vip"
tiers = ["vip"]
first_response_s = 15
resolution_s = 400
warning_at = 0.5
[[sla_policies]]
name = "email"
channels = ["email"]
calendar = "office"
first_response_s = 300
next_response_s = 200
resolution_s = 2000
[[sla_policies]]
name = "chat"
channels = ["chat"]
first_response_s = 40
next_response_s = 60
update_s = 90
remind_every_s = 60
[escalation]
tiers = [{ name = "L1", queue = "chat" }, { name = "L1e", queue = "email" }, { name = "L2", queue = "tech" }]
edges = [["L1", "L2"], ["L1e", "L2"]]
rules = [
    { trigger = "sla_breach", clock = "first_response", boost = 10 },
    { trigger = "sla_warning", clock = "resolution" },
    { trigger = "emotion", emotion_at_least = "angry" },
    { trigger = "reopen", reopens_at_least = 1 },
    { trigger = "repeat_contact", contacts_at_least = 3, window_s = 120 },
]
"#;

#[derive(Clone, Debug)]
struct Knobs {
    strategies: [u8; 3],
    overflow: bool,
    sticky: bool,
    offers: bool,
    timeouts: bool,
    wrap_up: bool,
    sla: bool,
}

fn knobs() -> impl Strategy<Value = Knobs> {
    (
        [0u8..4, 0u8..4, 0u8..4],
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.6),
    )
        .prop_map(|(strategies, overflow, sticky, offers, timeouts, wrap_up, sla)| Knobs {
            strategies,
            overflow,
            sticky,
            offers,
            timeouts,
            wrap_up,
            sla,
        })
}

/// Runs one command on both paths (pure decide + apply, and the in-place engine), checks
/// they agree and that the routed assignments are right.
fn step(
    state: &mut State,
    engine: &mut Engine<Metrics>,
    log: &mut Vec<Event>,
    cmd: &Command,
) -> Result<(), TestCaseError> {
    let before_state = state.clone();
    let (pure_events, pure) = crate::gwt::decide_in(state, cmd);
    let before = engine.events().len();
    let engine_result = engine.execute(cmd);
    let engine_events = engine.events()[before..].to_vec();
    prop_assert_eq!(&pure_events, &engine_events, "engine and decide disagree on {:?}", cmd);
    prop_assert_eq!(&pure, &engine_result, "engine and decide disagree on {:?}", cmd);
    let (again_events, again) = crate::gwt::decide_in(&mut before_state.clone(), cmd);
    prop_assert_eq!(&again_events, &pure_events, "decide is not deterministic");
    prop_assert_eq!(&again, &pure, "decide is not deterministic");
    match pure {
        Ok(()) => check_assignments(&before_state, &pure_events)?,
        Err(_) => {
            // The command adds nothing; timers due before it fired first, as a tick fires them.
            let ticked = crate::gwt::decide(&before_state, &Command::Tick { at: cmd.at() }).unwrap();
            prop_assert_eq!(&ticked, &pure_events);
        }
    }
    log.extend(pure_events);
    check_invariants(state)?;
    prop_assert_eq!(&*state, engine.state(), "engine state diverged after {:?}", cmd);
    Ok(())
}

/// One random case: every command on both paths, checked after each; returns the log.
fn run_case(knobs: &Knobs, ops: &[(Op, i64)]) -> Result<Vec<Event>, TestCaseError> {
    let config = config_with(knobs);
    let mut state = State::new();
    // The engine folds the metrics projection beside its state; the pure path folds none.
    let mut engine = Engine::with_projection(Metrics::default());
    let mut log: Vec<Event> = Vec::new();
    let configure = Command::Configure { at: t(0), config: Box::new(config) };
    step(&mut state, &mut engine, &mut log, &configure)?;
    let mut now = 0i64;
    let mut cmds = Vec::new();
    // Halfway through, an engine resumes from a replay of the log (whose index is numbered
    // differently) and must decide everything after exactly as the live one.
    // So must an engine restored from a snapshot of the state (tables written and read
    // back, derived indexes rebuilt).
    let mut resumed: Vec<Engine> = Vec::new();
    // And a checked replay of the rest of the log continued from that snapshot (what a
    // durable engine does at start-up) must end in the live state.
    let mut snapshot_at: Option<(String, String, usize)> = None;
    for (i, (op, dt)) in ops.iter().enumerate() {
        now += dt;
        let cmd = to_command(op, &state, t(now));
        if i == ops.len() / 2 {
            resumed.push(Engine::from_state(replay(&log)));
            let snapshot = serde_json::to_string(&state).unwrap();
            let restored: State = serde_json::from_str(&snapshot).unwrap();
            prop_assert_eq!(&restored, &state, "a state read back from its snapshot differs");
            resumed.push(Engine::from_state(restored));
            // The metrics projection is written beside the state and read back equal.
            let metrics = serde_json::to_string(engine.projection()).unwrap();
            prop_assert_eq!(&serde_json::from_str::<Metrics>(&metrics).unwrap(), engine.projection());
            snapshot_at = Some((snapshot, metrics, log.len()));
        }
        let before = engine.events().len();
        step(&mut state, &mut engine, &mut log, &cmd)?;
        for r in &mut resumed {
            let live = engine.events()[before..].to_vec();
            let _ = r.execute(&cmd);
            prop_assert_eq!(r.take_events(), live, "resumed engine decided differently on {:?}", cmd);
        }
        cmds.push(cmd);
    }
    prop_assert_eq!(&replay(&log), &state, "replay differs from incremental state");
    // Metrics folded event by event in place equal metrics folded over a replay.
    prop_assert_eq!(&Metrics::of(&log), engine.projection(), "replayed metrics differ from incremental ones");
    if let Some((snapshot, metrics, at)) = snapshot_at {
        let mut r = cs_core::Replayer::from_state(serde_json::from_str(&snapshot).unwrap());
        let mut m: Metrics = serde_json::from_str(&metrics).unwrap();
        for e in &log[at..] {
            r.push_projected(e, &mut m).map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        prop_assert!(r.finish() == state, "a replay continued from a snapshot differs from the live state");
        prop_assert!(&m == engine.projection(), "metrics continued from a snapshot differ from the live ones");
    }
    // Encode -> decode -> replay is the identity.
    let decoded: Vec<Event> = log
        .iter()
        .map(|e| {
            let line = serde_json::to_string(&cs_core::Envelope::new(e.clone())).unwrap();
            serde_json::from_str::<cs_core::Envelope>(&line).unwrap().event
        })
        .collect();
    prop_assert_eq!(&decoded, &log);
    prop_assert_eq!(&replay(&decoded), &state);
    // The same commands again give the same log.
    let mut again = Engine::new();
    again.execute(&configure).unwrap();
    for c in &cmds {
        let _ = again.execute(c);
    }
    prop_assert_eq!(again.events(), log.as_slice());
    // Ticking on time (a `Tick` at every deadline before each command) gives the same log
    // as letting each command fire the timers due before it, late.
    let mut on_time = Engine::new();
    on_time.execute(&configure).unwrap();
    for c in &cmds {
        while let Some(due) = on_time.next_deadline().filter(|&due| due <= c.at()) {
            prop_assert_eq!(on_time.execute(&Command::Tick { at: due }), Ok(()));
        }
        let _ = on_time.execute(c);
    }
    prop_assert_eq!(on_time.events(), log.as_slice(), "ticking on time gave another log");
    Ok(log)
}

proptest! {
    // 256 cases by default; PROPTEST_CASES=N runs more.
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn random_command_sequences_keep_every_invariant(
        knobs in knobs(),
        ops in prop::collection::vec((op(), 0i64..40), 1..80)
    ) {
        run_case(&knobs, &ops)?;
    }
}

/// A log changed the ways a hand edit or a splice changes one: an event dropped, repeated,
/// moved one place, or made to name another ticket or agent.
#[derive(Clone, Copy, Debug)]
enum Mutation {
    Drop,
    Repeat,
    SwapNext,
    OtherTicket(u32),
    OtherAgent(u32),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Drop),
        Just(Mutation::Repeat),
        Just(Mutation::SwapNext),
        (0u32..12).prop_map(Mutation::OtherTicket),
        (0u32..6).prop_map(Mutation::OtherAgent),
    ]
}

fn mutated(log: &[Event], at: usize, m: Mutation) -> Vec<Event> {
    let mut out = log.to_vec();
    if out.is_empty() {
        return out;
    }
    let i = at % out.len();
    match m {
        Mutation::Drop => {
            out.remove(i);
        }
        Mutation::Repeat => out.insert(i, out[i].clone()),
        Mutation::SwapNext if i + 1 < out.len() => out.swap(i, i + 1),
        Mutation::SwapNext => {}
        Mutation::OtherTicket(n) | Mutation::OtherAgent(n) => {
            // Through the JSON form, so that every event kind with the field is covered.
            let mut v = serde_json::to_value(&out[i]).unwrap();
            let key = if matches!(m, Mutation::OtherTicket(_)) { "ticket" } else { "agent" };
            if let Some(f) = v.get_mut(key) {
                *f = serde_json::json!(n);
            }
            out[i] = serde_json::from_value(v).unwrap();
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    /// `try_replay` accepts a log the engine wrote, giving the state `replay` gives, and
    /// never panics on one changed by hand: it either folds it or names the first event that
    /// does not fit. Folding event by event after `check`, with every index kept, does not
    /// panic either.
    #[test]
    fn checked_replay_refuses_edited_logs_instead_of_crashing(
        knobs in knobs(),
        ops in prop::collection::vec((op(), 0i64..40), 1..80),
        edits in prop::collection::vec((any::<usize>(), mutation()), 1..4),
    ) {
        let log = run_case(&knobs, &ops)?;
        prop_assert_eq!(cs_core::try_replay(&log), Ok(replay(&log)));
        let mut bad = log.clone();
        for (at, m) in edits {
            bad = mutated(&bad, at, m);
        }
        match cs_core::try_replay(&bad) {
            Ok(state) => prop_assert_eq!(state, replay(&bad)),
            Err(e) => {
                prop_assert!(e.index < bad.len());
                prop_assert_eq!(e.event, bad[e.index].name());
                prop_assert!(!e.reason.is_empty());
                // Everything before the refused event folds.
                let before = cs_core::try_replay(&bad[..e.index]);
                prop_assert!(before.is_ok(), "{:?}", before.err());
            }
        }
        let mut state = State::new();
        for e in &bad {
            if cs_core::check(&state, e).is_err() {
                break;
            }
            apply(&mut state, e);
        }
    }
}

/// Whether a log `try_replay` took could have happened, judged without `try_replay`'s own
/// reasoning: the state it gave is the plain fold of the log, every invariant holds (no
/// ticket held twice, no agent over capacity or holding work offline, no available agent
/// next to a waiting ticket it could serve), and no timer was left due before the log's
/// last event (a timer fires at its time, before anything later: a log missing a timer's
/// event, such as a `WrapUpEnded`, leaves one behind).
///
/// A log that stops inside a decision (an edit before the last decision can make the engine
/// decide more there than the log holds: a dropped skill change, and the last ticket now
/// has an agent) leaves a state no whole decision leaves; the invariants are then checked
/// on the log before that decision, which must be whole.
fn could_have_happened(log: &[Event], replayed: &Replayed<()>) -> Result<(), TestCaseError> {
    prop_assert_eq!(&replayed.state, &replay(log));
    let (whole, state) = match replayed.cut {
        None => (log, replayed.state.clone()),
        Some(cut) => {
            prop_assert!(cut < log.len(), "cut at {cut} of {} events", log.len());
            let before = cs_core::try_replay_report::<()>(&log[..cut]);
            prop_assert!(before.is_ok(), "the log before its cut decision is refused: {:?}", before.err());
            let before = before.unwrap();
            prop_assert_eq!(before.cut, None, "the log before its cut decision is cut too");
            (&log[..cut], before.state)
        }
    };
    check_invariants(&state)?;
    let last = whole.last().map(Event::at).unwrap_or_default();
    prop_assert!(
        state.next_deadline().is_none_or(|d| d >= last),
        "a timer due {:?} before {last}",
        state.next_deadline()
    );
    Ok(())
}

/// The index of the first event of `log`'s last decision: its events at the last time.
fn last_decision(log: &[Event]) -> usize {
    let last = log.last().map(Event::at).unwrap_or_default();
    log.iter().rposition(|e| e.at() < last).map_or(0, |i| i + 1)
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    /// Random deletions, duplications and reorderings of a valid log (before its last
    /// decision, so that the log does not end in the middle of one) are either refused, or
    /// leave a history that could have happened ([`could_have_happened`]): a customer
    /// writing twice, a reply dropped that nothing depended on. Replay used to accept a log
    /// with its `WrapUpEnded` events deleted, agents in wrap-up taking tickets.
    #[test]
    fn edited_logs_are_refused_or_could_have_happened(
        knobs in knobs(),
        ops in prop::collection::vec((op(), 0i64..40), 1..80),
        edits in prop::collection::vec((any::<usize>(), prop_oneof![Just(Mutation::Drop), Just(Mutation::Repeat), Just(Mutation::SwapNext)]), 1..4),
    ) {
        let mut log = run_case(&knobs, &ops)?;
        for (at, m) in edits {
            let end = last_decision(&log).saturating_sub(1);
            if end == 0 {
                break;
            }
            log = mutated(&log[..end], at, m).into_iter().chain(log[end..].iter().cloned()).collect();
        }
        if let Ok(replayed) = cs_core::try_replay_report::<()>(&log) {
            could_have_happened(&log, &replayed)?;
        }
    }
}

/// Every single deletion, repetition and swap with the next event, of one log that reaches
/// wrap-up, offers, sticky reservations, steps and SLA clocks: each is refused, or could
/// have happened; and most are refused (a log is not easy to edit unseen).
#[test]
fn every_single_edit_of_a_log_is_refused_or_could_have_happened() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut best: Option<Vec<Event>> = None;
    // The longest of a few random cases with wrap-up among their events.
    for _ in 0..40 {
        let knobs = knobs().new_tree(&mut runner).unwrap().current();
        let ops = prop::collection::vec((op(), 0i64..40), 60..80).new_tree(&mut runner).unwrap().current();
        let Ok(log) = run_case(&knobs, &ops) else { continue };
        if log.iter().any(|e| matches!(e, Event::WrapUpEnded { .. }))
            && best.as_ref().is_none_or(|b| log.len() > b.len())
        {
            best = Some(log);
        }
    }
    let log = best.expect("a case with wrap-up");
    let end = last_decision(&log);
    let (mut refused, mut kept) = (0, 0);
    for i in 0..end.saturating_sub(1) {
        for m in [Mutation::Drop, Mutation::Repeat, Mutation::SwapNext] {
            let mut bad = mutated(&log[..end], i, m);
            bad.extend(log[end..].iter().cloned());
            if bad == log {
                continue;
            }
            match cs_core::try_replay_report::<()>(&bad) {
                Err(_) => refused += 1,
                Ok(replayed) => {
                    could_have_happened(&bad, &replayed)
                        .unwrap_or_else(|e| panic!("{m:?} at {i} ({}): {e}", log[i].name()));
                    kept += 1;
                }
            }
        }
    }
    // Taken are the edits that leave another possible history: a login, a resolution or a
    // reply nothing later depended on dropped, a customer writing twice, the same config
    // given twice.
    assert!(refused > 3 * kept, "{refused} refused, {kept} taken of {} edits", refused + kept);
}

/// Time going backwards is named as such, and a log starting before the engine's epoch is
/// told so (there is no event before it to go back from).
#[test]
fn checked_replay_names_times_before_the_epoch_and_going_back() {
    let mut e = Engine::new();
    e.execute(&crate::fixture::configure()).unwrap();
    let log = e.events().to_vec();
    let mut early = serde_json::to_value(&log[0]).unwrap();
    early["at"] = serde_json::json!(-1);
    let early: Event = serde_json::from_value(early).unwrap();
    let err = cs_core::try_replay(&[early]).unwrap_err();
    assert_eq!(err.index, 0);
    assert!(err.reason.contains("before 1970-01-01T00:00:00.000Z, where the engine's clock starts"), "{err}");
    let mut back = serde_json::to_value(&log[0]).unwrap();
    back["at"] = serde_json::json!(log[0].at().ms() - 1);
    let back: Event = serde_json::from_value(back).unwrap();
    let err = cs_core::try_replay(&[log[0].clone(), back]).unwrap_err();
    assert_eq!(err.index, 1);
    assert!(err.reason.starts_with("time goes backwards: the event before was at "), "{err}");
    // A second ticket under a key another ticket holds.
    let spec = TicketSpec { key: Some("order-1".into()), ..TicketSpec::new(CustomerId(1), Channel::Chat) };
    e.execute(&Command::CreateTicket { at: t(1), spec }).unwrap();
    let log = e.events().to_vec();
    let created = log.iter().find(|e| matches!(e, Event::TicketCreated { .. })).unwrap();
    let mut again = serde_json::to_value(created).unwrap();
    again["ticket"] = serde_json::json!(log.iter().filter(|e| matches!(e, Event::TicketCreated { .. })).count());
    let again: Event = serde_json::from_value(again).unwrap();
    let mut spliced = log.clone();
    spliced.push(again);
    let err = cs_core::try_replay(&spliced).unwrap_err();
    assert_eq!(err.index, log.len());
    assert!(err.reason.contains("ticket key \"order-1\" is already ticket T0's"), "{err}");
}

#[test]
fn check_says_what_does_not_fit_as_a_typed_error() {
    use cs_core::CheckError;
    let mut e = Engine::new();
    e.execute(&crate::fixture::configure()).unwrap();
    let configured = e.events()[0].clone();
    let spec = TicketSpec::new(CustomerId(1), Channel::Chat);
    e.execute(&Command::CreateTicket { at: t(1), spec }).unwrap();
    let created = e.events().iter().find(|e| matches!(e, Event::TicketCreated { .. })).unwrap().clone();
    // Nothing before a configuration.
    assert_eq!(cs_core::check(&State::default(), &created), Err(CheckError::NotConfigured));
    // The same ticket created twice names the id the engine expected instead.
    let err = cs_core::check(e.state(), &created).unwrap_err();
    assert!(matches!(err, CheckError::TicketIdNotNext { ticket: TicketId(0), next: TicketId(1) }), "{err:?}");
    assert_eq!(err.to_string(), "ticket T0 created, but the next ticket id is T1");
    // A ticket that does not exist, and one in the wrong status, by their facts.
    let missing = Event::TicketResolved { at: t(2), ticket: TicketId(7) };
    assert_eq!(cs_core::check(e.state(), &missing), Err(CheckError::TicketMissing { ticket: TicketId(7) }));
    let status = e.state().ticket(TicketId(0)).unwrap().status;
    let held = Event::TicketOnHold { at: t(2), ticket: TicketId(0) };
    match cs_core::check(e.state(), &held) {
        Err(CheckError::TicketStatus { ticket: TicketId(0), status: s, expected }) => {
            assert_eq!(s, status);
            assert_eq!(expected, &[TicketStatus::Assigned]);
        }
        other => panic!("{other:?}"),
    }
    // Going back in time carries the time of the event before.
    let mut back = serde_json::to_value(&configured).unwrap();
    back["at"] = serde_json::json!(0);
    let back: Event = serde_json::from_value(back).unwrap();
    assert!(matches!(cs_core::check(e.state(), &back), Err(CheckError::TimeWentBack { .. })));
}

/// Events the checks must see as `apply` will: a closed ticket past its retention at the
/// event's time is gone (apply retires it first), an SLA outcome names a configured policy,
/// and a new config may not drop an SLA policy tickets run under.
#[test]
fn checked_replay_sees_retention_policies_and_config_changes_as_apply_does() {
    let mut spec = crate::fixture::spec();
    spec.limits.closed_ticket_retention_s = Some(60);
    let mut e = Engine::new();
    e.execute(&Command::Configure { at: t(0), config: Box::new(spec.clone()) }).unwrap();
    e.execute(&Command::CreateTicket { at: t(1), spec: TicketSpec::new(CustomerId(1), Channel::Chat) }).unwrap();
    e.execute(&Command::Resolve { at: t(2), ticket: TicketId(0) }).unwrap();
    let log = e.events().to_vec();
    let reopened = Event::TicketReopened { at: t(62), ticket: TicketId(0) };
    let mut late = log.clone();
    late.push(reopened);
    let err = cs_core::try_replay(&late).unwrap_err();
    assert!(err.reason.contains("no longer kept"), "{err}");
    // Within its retention it is still there to reopen.
    let mut early = log.clone();
    early.push(Event::TicketReopened { at: t(61), ticket: TicketId(0) });
    assert!(cs_core::try_replay(&early).is_ok());
    let met = Event::SlaMet {
        at: t(3),
        ticket: TicketId(0),
        policy: 7,
        clock: cs_core::sla::ClockKind::FirstResponse,
        deadline: t(3),
    };
    let mut bad = log.clone();
    bad.push(met);
    let err = cs_core::try_replay(&bad).unwrap_err();
    assert!(err.reason.contains("SLA policy 7 is not configured"), "{err}");
}

/// The random cases reach every kind of event, so the invariants above are checked on
/// offers, reservations, expiries, overflow and every re-queue reason, not only on the
/// easy paths.
#[test]
fn random_cases_reach_every_routing_feature() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = prop::collection::vec((op(), 0i64..40), 40..120);
    let mut seen = std::collections::BTreeSet::new();
    // Every combination of the feature knobs, eight times each, with random commands.
    for i in 0..512u32 {
        let bit = |b: u32| i & (1 << b) != 0;
        let k = Knobs {
            strategies: [(i % 4) as u8, (i / 4 % 4) as u8, (i / 16 % 4) as u8],
            overflow: bit(0),
            sticky: bit(1),
            offers: bit(2),
            timeouts: bit(3),
            wrap_up: bit(4),
            sla: bit(5),
        };
        let ops = strategy.new_tree(&mut runner).unwrap().current();
        let mut channels = std::collections::BTreeMap::new();
        for e in run_case(&k, &ops).unwrap() {
            seen.insert(e.name().to_string());
            match e {
                Event::TicketCreated { ticket, spec, .. } => {
                    channels.insert(ticket, spec.channel);
                }
                Event::TicketAssigned { ticket, how, .. } => {
                    seen.insert(format!("assigned:{:?}", channels[&ticket]));
                    seen.insert(format!("how:{}", format!("{how:?}").split([' ', '{']).next().unwrap()));
                }
                Event::TicketRequeued { reason, .. } => {
                    seen.insert(format!("requeued:{reason:?}"));
                }
                Event::TicketUnpinned { reason, .. } => {
                    seen.insert(format!("unpinned:{reason:?}"));
                }
                Event::TicketOffered { how, .. } => {
                    seen.insert(format!("how:{}", format!("{how:?}").split([' ', '{']).next().unwrap()));
                }
                _ => {}
            }
        }
    }
    // Every kind of timer fires (each names the event only its firing emits): steps,
    // sticky waits, offers, replies, time-to-live, overflow checks, after-contact work,
    // SLA warnings, breaches and reminders, follow-ups.
    for expected in [
        "TicketStepReached",
        "unpinned:Timeout",
        "requeued:OfferExpired",
        "requeued:NoReply",
        "TicketExpired",
        "OverflowOpened",
        "WrapUpEnded",
        "SlaWarning",
        "SlaBreached",
        "SlaReminder",
        "FollowUpDue",
    ] {
        assert!(seen.contains(expected), "random cases never fired the timer behind {expected}; saw {seen:?}");
    }
    for expected in [
        "TicketOffered",
        "OfferAccepted",
        "TicketPinned",
        "TicketUnpinned",
        "TicketExpired",
        "OverflowOpened",
        "OverflowClosed",
        "TicketStepReached",
        "TicketReopened",
        "TicketReactivated",
        "TicketTransferred",
        "requeued:AgentOffline",
        "requeued:NoReply",
        "requeued:OfferDeclined",
        "requeued:OfferExpired",
        "how:Sticky",
        "how:Routed",
        "how:Manual",
        "BotResolved",
        "BotHandedOff",
        "WrapUpEnded",
        "SlaWarning",
        "SlaBreached",
        "SlaMet",
        "TicketEscalated",
        "RecurringIssueDetected",
        "assigned:Chat",
        "assigned:Email",
        "assigned:Phone",
        "assigned:Social",
        "assigned:Other",
    ] {
        assert!(seen.contains(expected), "random cases never produced {expected}; saw {seen:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    /// Round robin is fair: over a long run, equally skilled agents who always have room
    /// receive assignment counts that differ by at most one.
    #[test]
    fn round_robin_is_fair_across_equal_agents(
        agents in 2usize..7,
        ops in prop::collection::vec((any::<bool>(), any::<usize>(), 0i64..30), 50..300)
    ) {
        let spec: ConfigSpec = toml::from_str(
            "skills = [\"s\"]\nteams = [{ name = \"t\" }]\n[[queues]]\nname = \"q\"\nchannels = [\"chat\"]\nstrategy = \"round_robin\"\nskills = { s = 1 }",
        ).unwrap();
        let mut e = Engine::new();
        e.execute(&Command::Configure { at: t(0), config: Box::new(spec) }).unwrap();
        for i in 0..agents {
            e.execute(&Command::RegisterAgent {
                at: t(0),
                key: format!("a{i}"),
                team: TeamId(0),
                tier: None,
                skills: vec![(SkillId(0), 3)],
                languages: LanguageSet::default(),
                capacity: Capacity::only(Channel::Chat, 32),
            }).unwrap();
            e.execute(&Command::Login { at: t(0), agent: AgentId(i as u32) }).unwrap();
        }
        let mut now = 0;
        let mut open: Vec<TicketId> = Vec::new();
        for (create, pick, dt) in ops {
            now += dt;
            // Keep every agent below capacity so each arrival may go to anyone.
            if create && open.len() < agents * 20 {
                let spec = TicketSpec::new(CustomerId(1), Channel::Chat);
                e.execute(&Command::CreateTicket { at: t(now), spec }).unwrap();
                open.push(TicketId(e.state().next_ticket_id().0 - 1));
            } else if !open.is_empty() {
                let tk = open.swap_remove(pick % open.len());
                e.execute(&Command::Resolve { at: t(now), ticket: tk }).unwrap();
            }
        }
        let mut counts = vec![0u32; agents];
        for ev in e.events() {
            if let Event::TicketAssigned { agent, .. } = ev {
                counts[agent.index()] += 1;
            }
        }
        let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        prop_assert!(max - min <= 1, "assignment counts {:?}", counts);
    }
}
