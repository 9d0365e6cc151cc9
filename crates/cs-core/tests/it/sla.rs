//! Given/when/then for SLA clocks (business hours, weekends, holidays, pauses, restarts),
//! escalation triggers, bot deflection and handoff, and their metrics.

use crate::gwt::{Given, given};
use cs_core::escalation::{RepeatBy, Trigger};
use cs_core::event::Assignment;
use cs_core::sla::{ClockKind, ClockState};
use cs_core::{
    AgentId, CategoryId, Channel, Command, ConfigSpec, CustomerId, CustomerTier, Emotion, Event, QueueId, Rejection,
    Strategy, TeamId, TicketId, TicketSpec, TicketStatus, Timestamp,
};

const CONFIG: &str = r#"
skills = []
categories = ["refund", "delivery"]
teams = [{ name = "l1" }, { name = "l2", tier = "L2" }, { name = "sup" }]

[[calendars]]
name = "office"
holidays = ["2026-11-30"]
[calendars.hours]
mon = ["09:00-17:00"]
tue = ["09:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-17:00"]
fri = ["09:00-17:00"]

[[sla_policies]]
name = "vip-chat"
channels = ["chat"]
tiers = ["vip"]
first_response_s = 10
resolution_s = 300

[[sla_policies]]
name = "email-office"
channels = ["email"]
calendar = "office"
first_response_s = 3600
next_response_s = 1800
resolution_s = 28800

[[sla_policies]]
name = "chat"
channels = ["chat"]
first_response_s = 20
next_response_s = 60
resolution_s = 600
update_s = 120

[[queues]]
name = "l1-chat"
channels = ["chat"]
teams = ["l1"]

[[queues]]
name = "l1-email"
channels = ["email"]
teams = ["l1"]

[[queues]]
name = "l2"
teams = ["l2"]

[[queues]]
name = "supervisors"
teams = ["sup"]

[escalation]
tiers = [
    { name = "L1", queue = "l1-chat" },
    { name = "L1-email", queue = "l1-email" },
    { name = "L2", queue = "l2" },
    { name = "supervisors", queue = "supervisors" },
]
edges = [["L1", "L2"], ["L1-email", "L2"], ["L1", "supervisors"], ["L2", "supervisors"]]
rules = [
    { trigger = "sla_breach", clock = "first_response", boost = 20 },
    { trigger = "emotion", emotion_at_least = "angry", to = "supervisors" },
    { trigger = "vip", boost = 50 },
    { trigger = "reopen", reopens_at_least = 2 },
    { trigger = "repeat_contact", contacts_at_least = 3, window_s = 86400 },
    { trigger = "repeat_contact", by = "category", contacts_at_least = 4, window_s = 3600 },
]
"#;

const L1_CHAT: QueueId = QueueId(0);
const L1_EMAIL: QueueId = QueueId(1);
const L2: QueueId = QueueId(2);
const SUP: QueueId = QueueId(3);

fn spec() -> ConfigSpec {
    toml::from_str(CONFIG).expect("config parses")
}

/// An instant, RFC 3339 in UTC.
fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn configure(t: Timestamp) -> Command {
    Command::Configure { at: t, config: Box::new(spec()) }
}

fn agent(t: Timestamp, key: &str, team: u16, channel: Channel) -> [Command; 2] {
    [
        Command::RegisterAgent {
            at: t,
            key: key.into(),
            team: TeamId(team),
            tier: None,
            skills: vec![],
            languages: Default::default(),
            capacity: cs_core::Capacity::only(channel, 2),
        },
        Command::Tick { at: t },
    ]
}

fn create(t: Timestamp, customer: u64, channel: Channel) -> Command {
    Command::CreateTicket { at: t, spec: TicketSpec::new(CustomerId(customer), channel) }
}

fn clock_of(g: &Given, ticket: u64, kind: ClockKind) -> cs_core::sla::Clock {
    g.state.ticket(TicketId(ticket)).unwrap().sla.as_ref().unwrap().clocks[kind.index()]
}

#[test]
fn an_office_hours_deadline_skips_the_weekend_and_a_holiday() {
    // Friday 16:30 UTC: 30 minutes left that day; Monday 30 November is a holiday.
    let fri = at("2026-11-27T16:30:00Z");
    let g = given(&[configure(fri), create(fri, 1, Channel::Email)]);
    let c = clock_of(&g, 0, ClockKind::FirstResponse);
    assert_eq!(c.deadline, at("2026-12-01T09:30:00Z"), "30 min Friday + 30 min Tuesday");
    assert_eq!(c.warn_at, Some(at("2026-12-01T09:18:00Z")), "warning at 80 %: 48 business minutes");
    assert_eq!(g.state.next_deadline(), Some(at("2026-12-01T09:18:00Z")));
    // Nothing fires over the weekend.
    g.when(Command::Tick { at: at("2026-11-30T23:00:00Z") }).then_expect(&[]);
    g.when(Command::Tick { at: at("2026-12-01T09:18:00Z") }).then_expect(&[Event::SlaWarning {
        at: at("2026-12-01T09:18:00Z"),
        ticket: TicketId(0),
        policy: 1,
        clock: ClockKind::FirstResponse,
        deadline: at("2026-12-01T09:30:00Z"),
    }]);
    // A later command fires both, each at its own time, and the breach escalates
    // the ticket from L1-email to L2 with 20 more points.
    let events = g.when(Command::Tick { at: at("2026-12-01T12:00:00Z") }).events().to_vec();
    assert_eq!(
        events[1],
        Event::SlaBreached {
            at: at("2026-12-01T09:30:00Z"),
            ticket: TicketId(0),
            policy: 1,
            clock: ClockKind::FirstResponse,
            deadline: at("2026-12-01T09:30:00Z"),
        }
    );
    assert_eq!(
        events[2],
        Event::TicketEscalated {
            at: at("2026-12-01T09:30:00Z"),
            ticket: TicketId(0),
            tier: 2,
            queue: L2,
            trigger: Trigger::SlaBreach,
            rule: Some(0),
            boost: 20,
            note: None,
        }
    );
}

#[test]
fn a_deadline_crossing_closing_time_lands_next_morning() {
    let wed = at("2026-11-25T16:30:00Z");
    let g = given(&[configure(wed), create(wed, 1, Channel::Email)]);
    assert_eq!(clock_of(&g, 0, ClockKind::FirstResponse).deadline, at("2026-11-26T09:30:00Z"));
    // Resolution: 8 business hours from Wed 16:30 = 30 min Wed + 7.5 h Thu.
    assert_eq!(clock_of(&g, 0, ClockKind::Resolution).deadline, at("2026-11-26T16:30:00Z"));
    // A target ending exactly at closing time is due at closing time, not next morning.
    let four = at("2026-11-25T16:00:00Z");
    let g = given(&[configure(four), create(four, 1, Channel::Email)]);
    assert_eq!(clock_of(&g, 0, ClockKind::FirstResponse).deadline, at("2026-11-25T17:00:00Z"));
}

#[test]
fn waiting_on_the_customer_pauses_the_clocks_and_a_reply_resumes_them() {
    let t = |hm: &str| at(&format!("2026-11-25T{hm}:00Z"));
    let mut cmds = vec![configure(t("10:00"))];
    cmds.extend(agent(t("10:00"), "ann", 0, Channel::Email));
    cmds.extend([
        Command::Login { at: t("10:00"), agent: AgentId(0) },
        create(t("10:00"), 1, Channel::Email),
        Command::AgentReply { at: t("10:10"), ticket: TicketId(0) },
        Command::CustomerMessage { at: t("10:20"), ticket: TicketId(0) },
    ]);
    let g = given(&cmds);
    // The customer wrote after the agent's reply: the next-response clock runs.
    assert_eq!(clock_of(&g, 0, ClockKind::NextResponse).deadline, t("10:50"));
    let g = g.and(Command::SetPending { at: t("10:30"), ticket: TicketId(0) });
    let view = g.state.sla_view(TicketId(0), t("10:40"));
    assert!(view.iter().all(|c| c.state != ClockState::Running), "{view:#?}");
    let resolution = view.iter().find(|c| c.kind == ClockKind::Resolution).unwrap();
    assert_eq!(resolution.elapsed_ms, 30 * 60_000, "counted 10:00-10:30 only");
    // The customer answers 30 minutes later: the clocks resume, deadlines 30 minutes later.
    let g = g.and(Command::CustomerMessage { at: t("11:00"), ticket: TicketId(0) });
    assert_eq!(clock_of(&g, 0, ClockKind::NextResponse).deadline, t("11:20"));
    assert_eq!(clock_of(&g, 0, ClockKind::Resolution).deadline, at("2026-11-26T10:30:00Z"));
    assert_eq!(g.state.ticket(TicketId(0)).unwrap().status, TicketStatus::Assigned, "sticky back to ann");
}

#[test]
fn each_clock_fires_once_and_a_late_reply_is_not_met() {
    let t0 = at("2026-11-25T10:00:00Z");
    let s = |secs: i64| t0.plus_ms(secs * 1000);
    let mut cmds = vec![configure(t0)];
    cmds.extend(agent(t0, "ann", 0, Channel::Chat));
    cmds.extend(agent(t0, "lee", 1, Channel::Chat));
    cmds.extend([
        Command::Login { at: t0, agent: AgentId(0) },
        Command::Login { at: t0, agent: AgentId(1) },
        create(t0, 1, Channel::Chat),
    ]);
    let g = given(&cmds);
    // First response 20 s, warning at 16 s; the breach escalates it to L2, where lee
    // takes it.
    let events = g.when(Command::Tick { at: s(30) }).events().to_vec();
    let kinds: Vec<&str> = events.iter().map(Event::name).collect();
    assert_eq!(kinds, ["SlaWarning", "SlaBreached", "TicketEscalated", "TicketAssigned"], "{events:#?}");
    let g = g.and(Command::Tick { at: s(30) });
    g.when(Command::Tick { at: s(31) }).then_expect(&[]);
    // Replying now stops the breached first-response clock without a SlaMet.
    let then = g.when(Command::AgentReply { at: s(40), ticket: TicketId(0) });
    assert!(!then.events().iter().any(|e| matches!(e, Event::SlaMet { clock: ClockKind::FirstResponse, .. })));
}

#[test]
fn replies_in_time_are_met_and_restart_the_update_clock() {
    let t0 = at("2026-11-25T10:00:00Z");
    let s = |secs: i64| t0.plus_ms(secs * 1000);
    let mut cmds = vec![configure(t0)];
    cmds.extend(agent(t0, "ann", 0, Channel::Chat));
    cmds.extend([Command::Login { at: t0, agent: AgentId(0) }, create(t0, 1, Channel::Chat)]);
    let g = given(&cmds);
    g.when(Command::AgentReply { at: s(5), ticket: TicketId(0) }).then_expect(&[
        Event::SlaMet { at: s(5), ticket: TicketId(0), policy: 2, clock: ClockKind::FirstResponse, deadline: s(20) },
        Event::AgentReplied { at: s(5), ticket: TicketId(0), agent: AgentId(0) },
    ]);
    let g = g.and(Command::AgentReply { at: s(5), ticket: TicketId(0) });
    assert_eq!(clock_of(&g, 0, ClockKind::Update).deadline, s(125));
    let g = g.and(Command::AgentReply { at: s(100), ticket: TicketId(0) });
    assert_eq!(clock_of(&g, 0, ClockKind::Update).deadline, s(220), "restarted by the reply");
    // Resolving meets every live clock.
    let then = g.when(Command::Resolve { at: s(110), ticket: TicketId(0) });
    let met: Vec<ClockKind> = then
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::SlaMet { clock, .. } => Some(*clock),
            _ => None,
        })
        .collect();
    assert_eq!(met, vec![ClockKind::Resolution, ClockKind::Update]);
    let m = &then.metrics_after().sla[2];
    assert_eq!((m[0].met, m[2].met, m[3].met), (1, 1, 2));
}

#[test]
fn becoming_vip_escalates_and_retargets_the_clocks() {
    let t0 = at("2026-11-25T10:00:00Z");
    let s = |secs: i64| t0.plus_ms(secs * 1000);
    let mut cmds = vec![configure(t0)];
    cmds.extend(agent(t0, "lee", 1, Channel::Chat));
    cmds.extend([Command::Login { at: t0, agent: AgentId(0) }, create(t0, 1, Channel::Chat)]);
    let g = given(&cmds);
    assert_eq!(g.state.ticket(TicketId(0)).unwrap().queue, L1_CHAT);
    let then = g.when(Command::UpdateTicket {
        at: s(4),
        ticket: TicketId(0),
        tier: Some(CustomerTier::Vip),
        urgency: None,
        emotion: None,
    });
    let events = then.events().to_vec();
    assert!(matches!(events[1], Event::TicketEscalated { trigger: Trigger::Vip, queue: L2, boost: 50, .. }));
    // The L2 agent takes it at once.
    assert_eq!(
        events[2],
        Event::TicketAssigned {
            at: s(4),
            ticket: TicketId(0),
            agent: AgentId(0),
            how: Assignment::Routed { strategy: Strategy::LongestIdle, overflow: false }
        }
    );
    let after = then.state_after();
    let t = after.ticket(TicketId(0)).unwrap();
    assert_eq!(t.sla.as_ref().unwrap().policy, 0, "the VIP chat policy now applies");
    assert_eq!(t.sla.as_ref().unwrap().clocks[0].deadline, s(10), "10 s from first contact");
    assert_eq!(t.boost, 50);
}

#[test]
fn an_angry_customer_goes_to_the_supervisors_and_frees_the_agent() {
    let t0 = at("2026-11-25T10:00:00Z");
    let mut cmds = vec![configure(t0)];
    cmds.extend(agent(t0, "ann", 0, Channel::Chat));
    cmds.extend([Command::Login { at: t0, agent: AgentId(0) }, create(t0, 1, Channel::Chat)]);
    let g = given(&cmds);
    assert_eq!(g.state.ticket(TicketId(0)).unwrap().agent, Some(AgentId(0)));
    let then = g.when(Command::UpdateTicket {
        at: t0,
        ticket: TicketId(0),
        tier: None,
        urgency: None,
        emotion: Some(Emotion::Angry),
    });
    let after = then.state_after();
    let t = after.ticket(TicketId(0)).unwrap();
    assert_eq!((t.queue, t.status, t.agent), (SUP, TicketStatus::Queued, None));
    assert!(after.agent(AgentId(0)).unwrap().held.is_empty());
    assert_eq!(then.metrics_after().escalations[Trigger::Emotion.index()], 1);
}

#[test]
fn repeated_reopens_escalate() {
    let t0 = at("2026-11-25T10:00:00Z");
    let s = |secs: i64| t0.plus_ms(secs * 1000);
    let g = given(&[
        configure(t0),
        create(t0, 1, Channel::Email),
        Command::Resolve { at: s(1), ticket: TicketId(0) },
        Command::Reopen { at: s(2), ticket: TicketId(0) },
        Command::Resolve { at: s(3), ticket: TicketId(0) },
    ]);
    assert_eq!(g.state.ticket(TicketId(0)).unwrap().queue, L1_EMAIL, "one reopen: no escalation");
    let events = g.when(Command::Reopen { at: s(4), ticket: TicketId(0) }).events().to_vec();
    assert!(matches!(events[1], Event::TicketEscalated { trigger: Trigger::Reopen, queue: L2, .. }), "{events:#?}");
}

#[test]
fn a_third_contact_in_a_day_is_a_recurring_issue_and_escalates() {
    let t0 = at("2026-11-25T10:00:00Z");
    let h = |hours: i64| t0.plus_ms(hours * 3_600_000);
    let g = given(&[configure(t0), create(h(0), 7, Channel::Email), create(h(5), 7, Channel::Email)]);
    // (Earlier tickets' SLA timers fire first; look at what this contact causes.)
    let then = g.when(create(h(9), 7, Channel::Email));
    let mine: Vec<Event> = then.events().iter().filter(|e| e.at() == h(9)).cloned().collect();
    assert!(matches!(mine[0], Event::TicketCreated { ticket: TicketId(2), .. }));
    assert_eq!(
        mine[1],
        Event::RecurringIssueDetected {
            at: h(9),
            by: RepeatBy::Customer,
            customer: Some(CustomerId(7)),
            category: None,
            contacts: 3,
            window_ms: 86_400_000,
        }
    );
    assert!(matches!(
        mine[2],
        Event::TicketEscalated { ticket: TicketId(2), trigger: Trigger::RepeatContact, queue: L2, .. }
    ));
    // After the window, it is a fresh start.
    let late = g.when(create(h(30), 7, Channel::Email));
    assert!(!late.events().iter().any(|e| matches!(e, Event::RecurringIssueDetected { .. })));
    assert!(late.events().iter().all(|e| !matches!(e, Event::TicketEscalated { ticket: TicketId(3), .. })));
}

#[test]
fn a_category_spike_raises_an_alert() {
    let t0 = at("2026-11-25T10:00:00Z");
    let mut cmds = vec![configure(t0)];
    for c in 0..3 {
        let mut s = TicketSpec::new(CustomerId(100 + c), Channel::Email);
        s.category = Some(CategoryId(0));
        cmds.push(Command::CreateTicket { at: t0.plus_ms(c as i64 * 60_000), spec: s });
    }
    let g = given(&cmds);
    let mut s = TicketSpec::new(CustomerId(200), Channel::Email);
    s.category = Some(CategoryId(0));
    let then = g.when(Command::CreateTicket { at: t0.plus_ms(10 * 60_000), spec: s });
    assert!(then.events().iter().any(|e| matches!(
        e,
        Event::RecurringIssueDetected { by: RepeatBy::Category, category: Some(CategoryId(0)), contacts: 4, .. }
    )));
    assert_eq!(then.metrics_after().recurring_alerts, 1);
}

#[test]
fn manual_escalation_and_its_refusals() {
    let t0 = at("2026-11-25T10:00:00Z");
    let g = given(&[configure(t0), create(t0, 1, Channel::Email)]);
    let then = g.when(Command::Escalate { at: t0, ticket: TicketId(0), tier: None, note: Some("legal threat".into()) });
    assert_eq!(
        then.events(),
        &[Event::TicketEscalated {
            at: t0,
            ticket: TicketId(0),
            tier: 2,
            queue: L2,
            trigger: Trigger::Manual,
            rule: None,
            boost: 0,
            note: Some("legal threat".into()),
        }]
    );
    let g = g.and(Command::Escalate { at: t0, ticket: TicketId(0), tier: Some(3), note: None });
    assert_eq!(g.state.ticket(TicketId(0)).unwrap().queue, SUP);
    g.when(Command::Escalate { at: t0, ticket: TicketId(0), tier: None, note: None })
        .then_reject(Rejection::NoEscalation { ticket: TicketId(0), reason: "its queue has no tier above it" });
    g.when(Command::Escalate { at: t0, ticket: TicketId(0), tier: Some(9), note: None })
        .then_reject(Rejection::NoEscalation { ticket: TicketId(0), reason: "no such tier" });
}

/// The engine configured at `t0` with one chat agent, ann, logged in, and `n` tickets that
/// start with a bot (ids 0 to n - 1).
fn bot_desk(t0: Timestamp, n: usize) -> Vec<Command> {
    let mut cmds = vec![configure(t0)];
    cmds.extend(agent(t0, "ann", 0, Channel::Chat));
    cmds.push(Command::Login { at: t0, agent: AgentId(0) });
    let mut bot = TicketSpec::new(CustomerId(1), Channel::Chat);
    bot.bot = true;
    cmds.extend((0..n).map(|_| Command::CreateTicket { at: t0, spec: bot.clone() }));
    cmds
}

#[test]
fn a_bot_deflects_or_hands_over_and_the_clock_counts_from_first_contact() {
    let t0 = at("2026-11-25T10:00:00Z");
    let s = |secs: i64| t0.plus_ms(secs * 1000);
    let g = given(&bot_desk(t0, 2));
    let t = g.state.ticket(TicketId(0)).unwrap();
    assert_eq!(t.status, TicketStatus::Bot);
    assert_eq!(t.agent, None, "a bot conversation waits for no agent");
    // The bot resolves one: deflection.
    let g = g.and(Command::BotResolve { at: s(8), ticket: TicketId(1) });
    assert_eq!(g.metrics.total.bot_deflection_rate(), Some(0.5));
    // It hands the other over at 15 s, with the reason and transcript.
    let then = g.when(Command::BotHandoff {
        at: s(15),
        ticket: TicketId(0),
        reason: "asked for a human".into(),
        transcript: Some("s3://transcripts/0".into()),
    });
    assert_eq!(
        then.events()[1],
        Event::TicketAssigned {
            at: s(15),
            ticket: TicketId(0),
            agent: AgentId(0),
            how: Assignment::Routed { strategy: Strategy::LongestIdle, overflow: false }
        }
    );
    let after = then.state_after();
    let t = after.ticket(TicketId(0)).unwrap();
    assert_eq!(t.handoff.as_ref().unwrap().reason, "asked for a human");
    // The first-response clock started at first contact: due at 20 s, not 35 s.
    assert_eq!(t.sla.as_ref().unwrap().clocks[0].deadline, s(20));
    assert_eq!(then.metrics_after().total.bot_handed_off, 1);
    g.when(Command::BotHandoff { at: s(15), ticket: TicketId(0), reason: " ".into(), transcript: None })
        .then_reject(Rejection::Empty { field: "reason" });
}

/// A bot conversation's outcome (deflected, handed off, abandoned) counts in the 15-minute
/// interval it started in, with its start: a window never holds more outcomes than
/// conversations started, so the deflection rate of any window is at most 1.
#[test]
fn bot_outcomes_count_where_the_conversation_started() {
    let t0 = at("2026-11-25T10:10:00Z");
    let s = |secs: i64| t0.plus_ms(secs * 1000);
    let mut cmds = bot_desk(t0, 3);
    // All three end after 10:15, in the next interval.
    cmds.push(Command::BotResolve { at: s(600), ticket: TicketId(0) });
    cmds.push(Command::BotHandoff { at: s(600), ticket: TicketId(1), reason: "human".into(), transcript: None });
    cmds.push(Command::Abandon { at: s(600), ticket: TicketId(2) });
    let g = given(&cmds);
    let m = g.metrics;
    let (ten, quarter, half) = (at("2026-11-25T10:00:00Z"), at("2026-11-25T10:15:00Z"), at("2026-11-25T10:30:00Z"));
    let first = m.report(ten, quarter, s(600)).unwrap().total;
    assert_eq!((first.bot_started, first.bot_deflected, first.bot_handed_off, first.bot_abandoned), (3, 1, 1, 1));
    let second = m.report(quarter, half, s(600)).unwrap().total;
    assert_eq!((second.bot_started, second.bot_deflected, second.bot_handed_off, second.bot_abandoned), (0, 0, 0, 0));
    assert_eq!(second.bot_deflection_rate(), None);
    // The human episode the handoff began is offered where it began.
    assert_eq!((first.offered, second.offered), (0, 1));
}

#[test]
fn a_ticket_handed_off_by_the_bot_meets_the_arrival_escalation_rules() {
    // An angry customer (and a VIP) talk to the bot first; handed over, they escalate as
    // they would have had they come straight to people.
    let t0 = at("2026-11-25T10:00:00Z");
    let s = |secs: i64| t0.plus_ms(secs * 1000);
    let mut cmds = vec![configure(t0)];
    cmds.extend(agent(t0, "ann", 0, Channel::Chat));
    cmds.push(Command::Login { at: t0, agent: AgentId(0) });
    let mut angry = TicketSpec::new(CustomerId(1), Channel::Chat);
    angry.bot = true;
    angry.emotion = Emotion::Angry;
    let mut vip = TicketSpec::new(CustomerId(2), Channel::Chat);
    vip.bot = true;
    vip.tier = CustomerTier::Vip;
    cmds.push(Command::CreateTicket { at: t0, spec: angry });
    cmds.push(Command::CreateTicket { at: t0, spec: vip });
    let g = given(&cmds);
    assert_eq!(g.metrics.escalations, [0; 7], "nothing escalates while the bot talks");
    let handoff = |secs, ticket| Command::BotHandoff {
        at: s(secs),
        ticket: TicketId(ticket),
        reason: "asked for a human".into(),
        transcript: None,
    };
    // Before any SLA clock warns.
    let events = g.when(handoff(5, 0)).events().to_vec();
    assert!(matches!(events[1], Event::TicketEscalated { trigger: Trigger::Emotion, queue: SUP, .. }), "{events:#?}");
    assert!(!events.iter().any(|e| matches!(e, Event::TicketAssigned { .. })), "not to ann in L1: {events:#?}");
    let g = g.and(handoff(5, 0));
    let events = g.when(handoff(6, 1)).events().to_vec();
    assert!(matches!(events[1], Event::TicketEscalated { trigger: Trigger::Vip, queue: L2, .. }), "{events:#?}");
    let g = g.and(handoff(6, 1));
    let after = &g.state;
    assert_eq!(after.ticket(TicketId(0)).unwrap().queue, SUP);
    assert_eq!(after.ticket(TicketId(1)).unwrap().queue, L2);
    // Counted where the tickets were and on their channel.
    let report = g.metrics.report(t0, s(60), s(60)).unwrap();
    assert_eq!(report.total.escalated, 2);
    assert_eq!(report.queues[L1_CHAT.index()].escalated, 2);
    assert_eq!(report.channels[Channel::Chat.index()].escalated, 2);
    assert_eq!(report.channels[Channel::Email.index()].escalated, 0);
}

#[test]
fn deadline_aware_priority_serves_the_nearest_deadline_first() {
    // Urgent e-mails get a 10-minute first response, the others an hour. Scores are all
    // zero and nothing ages, so only the deadline can order them.
    let urgent = cs_core::sla::SlaPolicySpec {
        name: "urgent e-mail".into(),
        channels: vec![Channel::Email],
        tiers: vec![],
        urgencies: vec![cs_core::Urgency::High],
        first_response_s: Some(600.0),
        ..Default::default()
    };
    let zero = |names: &[&str]| Some(names.iter().map(|n| (n.to_string(), 0)).collect());
    let flat = |deadline: f64| {
        let mut s = spec();
        s.sla_policies.insert(0, urgent.clone());
        s.queues[1].priority = Some(cs_core::config::PrioritySpec {
            tier: zero(&["standard", "silver", "gold", "vip"]),
            urgency: zero(&["low", "normal", "high", "critical"]),
            emotion: zero(&["calm", "neutral", "frustrated", "angry"]),
            channel: zero(&["chat", "email", "phone", "social", "other"]),
            aging_points_per_minute: Some(0.0),
            deadline_points_per_minute: Some(deadline),
        });
        s
    };
    let t0 = at("2026-11-25T10:00:00Z");
    let mut high = TicketSpec::new(CustomerId(2), Channel::Email);
    high.urgency = cs_core::Urgency::High;
    let run = |deadline: f64| {
        given(&[
            Command::Configure { at: t0, config: Box::new(flat(deadline)) },
            create(t0, 1, Channel::Email),
            Command::CreateTicket { at: t0.plus_ms(60_000), spec: high.clone() },
        ])
    };
    // Without deadline weight: a tie, broken by the earlier wait.
    let g = run(0.0);
    assert_eq!((g.state.queue_position(TicketId(0)), g.state.queue_position(TicketId(1))), (Some(1), Some(2)));
    // With it: the urgent one, due 10:11, goes before the one due 11:00.
    let g = run(1.0);
    assert_eq!((g.state.queue_position(TicketId(0)), g.state.queue_position(TicketId(1))), (Some(2), Some(1)));
}

#[test]
fn an_sla_warning_can_escalate() {
    let mut s = spec();
    let rules = &mut s.escalation.as_mut().unwrap().rules;
    rules.insert(
        0,
        toml::from_str(
            r#"trigger = "sla_warning"
clock = "resolution"
boost = 5"#,
        )
        .unwrap(),
    );
    let t0 = at("2026-11-25T10:00:00Z");
    let g = given(&[Command::Configure { at: t0, config: Box::new(s) }, create(t0, 1, Channel::Email)]);
    // The first response breaches at 11:00 and moves it to L2. Resolution is 8 business
    // hours, warning at 80 %: 6.4 h after 10:00 is 16:24, when it goes from L2 on to the
    // supervisors.
    let events = g.when(Command::Tick { at: at("2026-11-25T16:24:00Z") }).events().to_vec();
    let warned = at("2026-11-25T16:24:00Z");
    assert!(
        events.contains(&Event::TicketEscalated {
            at: warned,
            ticket: TicketId(0),
            tier: 3,
            queue: SUP,
            trigger: Trigger::SlaWarning,
            rule: Some(0),
            boost: 5,
            note: None,
        }),
        "{events:#?}"
    );
}

fn problems(toml_text: &str) -> String {
    let spec: ConfigSpec = toml::from_str(toml_text).expect("parses");
    cs_core::Config::new(spec).unwrap_err().to_string()
}

#[test]
fn cyclic_escalation_unknown_calendar_and_overlapping_hours_are_refused() {
    let cyclic = CONFIG.replace(r#"["L2", "supervisors"]]"#, r#"["L2", "supervisors"], ["supervisors", "L1"]]"#);
    let msg = problems(&cyclic);
    assert!(msg.contains("escalation.edges: the tiers form a cycle through"), "{msg}");
    let msg = problems(&CONFIG.replace(r#"calendar = "office""#, r#"calendar = "night""#));
    assert!(msg.contains("sla_policies[1].calendar: unknown calendar \"night\""), "{msg}");
    let msg = problems(&CONFIG.replace(r#"mon = ["09:00-17:00"]"#, r#"mon = ["09:00-13:00", "12:00-17:00"]"#));
    assert!(msg.contains("calendars[0]"), "{msg}");
    assert!(msg.contains("overlap"), "{msg}");
    // The policy naming the refused calendar is not told the name is unknown as well.
    assert!(!msg.contains("unknown calendar"), "{msg}");
    assert_eq!(msg.matches("; ").count(), 0, "one problem: {msg}");
}
