//! Given/when/then timelines for the SLA clock rules of `docs/SLA.md`: breached clocks stay
//! breached, reopens, pause rules per status (waiting on the customer, on hold), exact
//! warnings, warnings by time and reminders, zero targets, and follow-ups after close.

use crate::gwt::{Given, given};
use cs_core::sla::{ClockKind, ClockState};
use cs_core::{
    AgentId, CategoryId, Channel, Command, ConfigSpec, CustomerId, CustomerTier, Envelope, Event, TeamId, TicketId,
    TicketSpec, TicketStatus, Timestamp,
};

const CONFIG: &str = r#"
skills = []
categories = ["refund"]
teams = [{ name = "desk" }]
follow_up_after_s_by_category = { refund = 7200 }

[limits]
closed_ticket_retention_s = 86400

[[sla_policies]]
name = "vip"
tiers = ["vip"]
first_response_s = 0
resolution_s = 600

[[sla_policies]]
name = "chat"
channels = ["chat"]
first_response_s = 60
next_response_s = 60
resolution_s = 3600

[[sla_policies]]
name = "email"
channels = ["email"]
first_response_s = 3600
next_response_s = 1800
resolution_s = 28800
warn_before_s = 900
remind_every_s = 600

[[queues]]
name = "chat"
channels = ["chat"]

[[queues]]
name = "email"
channels = ["email"]
follow_up_after_s = 3600
"#;

const VIP: u16 = 0;
const CHAT: u16 = 1;
const EMAIL: u16 = 2;

fn spec() -> ConfigSpec {
    toml::from_str(CONFIG).expect("config parses")
}

fn t0() -> Timestamp {
    Timestamp::parse("2026-11-25T10:00:00Z").unwrap()
}

/// `secs` seconds after `t0`.
fn s(secs: i64) -> Timestamp {
    t0().plus_ms(secs * 1000)
}

/// The engine configured with `config` at `at`, with agent ann (team desk, two chats and
/// two e-mails) logged in.
pub(crate) fn desk_at(config: ConfigSpec, at: Timestamp) -> Vec<Command> {
    let mut capacity = cs_core::Capacity::only(Channel::Chat, 2);
    capacity.per_channel.set(Channel::Email, 2);
    vec![
        Command::Configure { at, config: Box::new(config) },
        Command::RegisterAgent {
            at,
            key: "ann".into(),
            team: TeamId(0),
            tier: None,
            skills: vec![],
            languages: Default::default(),
            capacity,
        },
        Command::Login { at, agent: AgentId(0) },
    ]
}

fn desk_with(config: ConfigSpec) -> Vec<Command> {
    desk_at(config, t0())
}

fn desk() -> Vec<Command> {
    desk_with(spec())
}

fn create(at: Timestamp, channel: Channel) -> Command {
    Command::CreateTicket { at, spec: TicketSpec::new(CustomerId(1), channel) }
}

fn reply(at: Timestamp) -> Command {
    Command::AgentReply { at, ticket: TicketId(0) }
}

fn customer(at: Timestamp) -> Command {
    Command::CustomerMessage { at, ticket: TicketId(0) }
}

fn clock(g: &Given, kind: ClockKind) -> cs_core::sla::Clock {
    g.state.ticket(TicketId(0)).unwrap().sla.as_ref().unwrap().clocks[kind.index()]
}

fn met(events: &[Event], kind: ClockKind) -> bool {
    events.iter().any(|e| matches!(e, Event::SlaMet { clock, .. } if *clock == kind))
}

/// The SLA events among `events`, as (name, clock, time).
fn sla_events(events: &[Event]) -> Vec<(&'static str, ClockKind, Timestamp)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::SlaWarning { at, clock, .. }
            | Event::SlaBreached { at, clock, .. }
            | Event::SlaMet { at, clock, .. }
            | Event::SlaReminder { at, clock, .. } => Some((e.name(), *clock, *at)),
            _ => None,
        })
        .collect()
}

/// Issue 18, bug 1: a breached next-response clock came back to life when the customer
/// chased, and the agent's reply then counted as met.
#[test]
fn a_customer_chasing_after_a_breach_does_not_turn_it_into_a_met_reply() {
    let mut cmds = desk();
    cmds.extend([create(t0(), Channel::Chat), reply(s(10)), customer(s(20))]);
    let g = given(&cmds);
    assert_eq!(clock(&g, ClockKind::NextResponse).deadline, s(80));
    let g = g.and(Command::Tick { at: s(100) });
    assert!(clock(&g, ClockKind::NextResponse).breached);
    // The customer chases; the wait still counts from the first unanswered message.
    let g = g.and(customer(s(110)));
    let c = clock(&g, ClockKind::NextResponse);
    assert_eq!((c.started_at, c.breached), (s(20), true), "{c:?}");
    let then = g.when(reply(s(120)));
    assert!(!met(then.events(), ClockKind::NextResponse), "{:#?}", then.events());
    let counts = then.metrics_after().sla[usize::from(CHAT)][ClockKind::NextResponse.index()];
    assert_eq!((counts.met, counts.breached), (0, 1));
    // Answered, the next message starts a new clock, which can be met.
    let g = g.and(reply(s(120))).and(customer(s(130)));
    assert!(met(g.when(reply(s(140))).events(), ClockKind::NextResponse));
}

/// Issue 18, bug 1, second form: pending exactly at the deadline (the breach fires first),
/// then the customer writes.
#[test]
fn pending_exactly_at_the_deadline_then_a_customer_message_keeps_the_breach() {
    let mut cmds = desk();
    cmds.extend([
        create(t0(), Channel::Chat),
        reply(s(10)),
        customer(s(20)),
        Command::SetPending { at: s(80), ticket: TicketId(0) },
        customer(s(200)),
    ]);
    let g = given(&cmds);
    let t = g.state.ticket(TicketId(0)).unwrap();
    assert_eq!((t.status, t.agent), (TicketStatus::Assigned, Some(AgentId(0))), "sticky back to ann");
    assert!(clock(&g, ClockKind::NextResponse).breached);
    let then = g.when(reply(s(210)));
    assert!(!met(then.events(), ClockKind::NextResponse), "{:#?}", then.events());
}

/// Issue 18, bug 2: a reopen restarted the first-response clock. First reply happens once
/// per ticket; a reopen starts the next-response and resolution clocks.
#[test]
fn a_reopen_starts_next_response_and_resolution_but_not_first_response() {
    let mut cmds = desk();
    cmds.extend([
        create(t0(), Channel::Chat),
        reply(s(10)),
        Command::Resolve { at: s(20), ticket: TicketId(0) },
        Command::Reopen { at: s(30), ticket: TicketId(0) },
    ]);
    let g = given(&cmds);
    // The reopened episode's clocks: no first response in it.
    assert_eq!(clock(&g, ClockKind::FirstResponse).state, ClockState::Idle);
    let next = clock(&g, ClockKind::NextResponse);
    assert_eq!((next.state, next.started_at, next.deadline), (ClockState::Running, s(30), s(90)));
    let resolution = clock(&g, ClockKind::Resolution);
    assert_eq!((resolution.state, resolution.started_at), (ClockState::Running, s(30)));
    // The reply to the reopened ticket meets the next response, not a first response.
    let then = g.when(reply(s(40)));
    assert!(met(then.events(), ClockKind::NextResponse) && !met(then.events(), ClockKind::FirstResponse));
}

/// Issue 18, bug 3: after a breach, a pause and a resume, the view showed the deadline at
/// the resume instant.
#[test]
fn a_breached_clock_keeps_its_deadline_through_a_pause() {
    let mut cmds = desk();
    cmds.extend([
        create(t0(), Channel::Chat),
        reply(s(10)),
        Command::Tick { at: s(3700) },
        Command::SetPending { at: s(3700), ticket: TicketId(0) },
        customer(s(4000)),
    ]);
    let g = given(&cmds);
    let view = g.state.sla_view(TicketId(0), s(4100));
    let resolution = view.iter().find(|c| c.kind == ClockKind::Resolution).unwrap();
    assert_eq!((resolution.state, resolution.breached), (ClockState::Running, true));
    assert_eq!(resolution.deadline, Some(s(3600)), "{resolution:?}");
    assert_eq!(resolution.remaining_ms, -200_000, "3,700 s counted before the pause and 100 s after");
}

/// Issue 18, bug 4: `warning_at` was rounded to thousandths.
#[test]
fn warning_at_keeps_the_exact_millisecond() {
    let with = |fraction: f64, target_s: f64| {
        let mut config = spec();
        config.sla_policies[usize::from(CHAT)].warning_at = Some(fraction);
        config.sla_policies[usize::from(CHAT)].first_response_s = Some(target_s);
        let mut cmds = desk_with(config);
        cmds.push(create(t0(), Channel::Chat));
        clock(&given(&cmds), ClockKind::FirstResponse).warn_at
    };
    assert_eq!(with(0.9999, 3600.0), Some(t0().plus_ms(3_599_640)));
    assert_eq!(with(0.3333, 1000.0), Some(t0().plus_ms(333_300)));
}

/// Waiting on a third party pauses resolution (the agent cannot work it) but not the next
/// response (the customer still waits for an answer); a reply while on hold stops it.
#[test]
fn on_hold_pauses_resolution_but_not_next_response() {
    let mut cmds = desk();
    cmds.extend([create(t0(), Channel::Email), reply(s(600)), customer(s(900))]);
    let g = given(&cmds);
    let then = g.when(Command::SetOnHold { at: s(1200), ticket: TicketId(0) });
    assert_eq!(then.events(), &[Event::TicketOnHold { at: s(1200), ticket: TicketId(0) }]);
    let g = g.and(Command::SetOnHold { at: s(1200), ticket: TicketId(0) });
    let t = g.state.ticket(TicketId(0)).unwrap();
    assert_eq!((t.status, t.agent), (TicketStatus::OnHold, None));
    assert!(g.state.agent(AgentId(0)).unwrap().held.is_empty(), "no capacity held while on hold");
    assert_eq!(clock(&g, ClockKind::Resolution).state, ClockState::Paused);
    assert_eq!(clock(&g, ClockKind::NextResponse).state, ClockState::Running);
    assert_eq!(clock(&g, ClockKind::NextResponse).deadline, s(900 + 1800));
    // The agent tells the customer the bank is checking: the next response is met.
    let then = g.when(reply(s(1700)));
    assert_eq!(sla_events(then.events()), [("SlaMet", ClockKind::NextResponse, s(1700))], "{:#?}", then.events());
    let g = g.and(reply(s(1700)));
    // The bank answers two hours later: resolution resumes with 20 minutes counted.
    let g = g.and(Command::ReleaseHold { at: s(7200), ticket: TicketId(0) });
    let resolution = clock(&g, ClockKind::Resolution);
    assert_eq!((resolution.state, resolution.elapsed_ms), (ClockState::Running, 1_200_000));
    assert_eq!(resolution.deadline, s(7200 + 28800 - 1200));
    assert_eq!(g.state.ticket(TicketId(0)).unwrap().agent, Some(AgentId(0)), "back to ann");
    g.when(Command::ReleaseHold { at: s(7200), ticket: TicketId(0) }).then_reject(
        cs_core::Rejection::InvalidTransition {
            ticket: TicketId(0),
            status: TicketStatus::Assigned,
            action: "take off hold",
        },
    );
}

/// A policy decides which clocks waiting on the customer pauses: here resolution runs on
/// (total resolution time), the others pause.
#[test]
fn a_policy_can_keep_a_clock_running_while_pending() {
    let mut config = spec();
    config.sla_policies[usize::from(CHAT)].pending_pauses =
        Some(vec![ClockKind::FirstResponse, ClockKind::NextResponse, ClockKind::Update]);
    let mut cmds = desk_with(config);
    cmds.extend([
        create(t0(), Channel::Chat),
        reply(s(10)),
        customer(s(20)),
        Command::SetPending { at: s(30), ticket: TicketId(0) },
    ]);
    let g = given(&cmds);
    assert_eq!(clock(&g, ClockKind::NextResponse).state, ClockState::Paused);
    assert_eq!(clock(&g, ClockKind::Resolution).state, ClockState::Running);
    // A reminder to the customer while pending stops the next-response clock.
    let then = g.when(reply(s(40)));
    assert_eq!(sla_events(then.events()), [("SlaMet", ClockKind::NextResponse, s(40))]);
}

/// `warn_before_s` warns a fixed time before each deadline; `remind_every_s` repeats a
/// reminder after a breach while the clock runs, and stops with it.
#[test]
fn warnings_by_time_and_reminders_after_a_breach() {
    let mut cmds = desk();
    cmds.push(create(t0(), Channel::Email));
    let g = given(&cmds);
    let then = g.when(Command::Tick { at: s(85 * 60) });
    assert_eq!(
        sla_events(then.events()),
        [
            ("SlaWarning", ClockKind::FirstResponse, s(45 * 60)),
            ("SlaBreached", ClockKind::FirstResponse, s(60 * 60)),
            ("SlaReminder", ClockKind::FirstResponse, s(70 * 60)),
            ("SlaReminder", ClockKind::FirstResponse, s(80 * 60)),
        ]
    );
    assert!(matches!(then.events()[3], Event::SlaReminder { reminder: 2, .. }));
    let g = g.and(Command::Tick { at: s(85 * 60) });
    assert_eq!(g.metrics.sla[usize::from(EMAIL)][0].reminded, 2);
    // The late reply stops the clock: no more reminders, and no SlaMet.
    let g = g.and(reply(s(86 * 60)));
    assert!(!met(&g.log, ClockKind::FirstResponse));
    assert_eq!(sla_events(g.when(Command::Tick { at: s(2 * 3600) }).events()), []);
}

/// A zero target is due at once: met by a reply in the same instant, breached one
/// millisecond later otherwise.
#[test]
fn a_zero_target_is_met_in_the_same_instant_or_breached_a_millisecond_later() {
    let mut vip = TicketSpec::new(CustomerId(9), Channel::Chat);
    vip.tier = CustomerTier::Vip;
    let mut cmds = desk();
    cmds.push(Command::CreateTicket { at: t0(), spec: vip.clone() });
    let g = given(&cmds);
    assert_eq!(g.state.ticket(TicketId(0)).unwrap().sla.as_ref().unwrap().policy, VIP);
    assert_eq!(clock(&g, ClockKind::FirstResponse).deadline, t0());
    assert_eq!(sla_events(g.when(reply(t0())).events()), [("SlaMet", ClockKind::FirstResponse, t0())]);
    // Replying a millisecond later is too late: the breach fires first.
    let late = g.when(reply(t0().plus_ms(1)));
    assert_eq!(sla_events(late.events()), [("SlaBreached", ClockKind::FirstResponse, t0().plus_ms(1))]);
}

fn resolved_email(category: Option<CategoryId>) -> Given {
    let mut spec = TicketSpec::new(CustomerId(1), Channel::Email);
    spec.category = category;
    let mut cmds = desk();
    cmds.extend([
        Command::CreateTicket { at: t0(), spec },
        reply(s(60)),
        Command::Resolve { at: s(100), ticket: TicketId(0) },
    ]);
    given(&cmds)
}

/// A follow-up falls due at the queue's (or the category's) delay after resolution,
/// exactly once, from `Tick` or any later command; a reopen cancels it.
#[test]
fn a_follow_up_fires_once_at_its_instant_and_a_reopen_cancels_it() {
    let g = resolved_email(None);
    assert_eq!(g.state.ticket(TicketId(0)).unwrap().follow_up_due, Some(s(3700)));
    assert_eq!(g.state.next_deadline(), Some(s(3700)));
    g.when(Command::Tick { at: s(3699) }).then_expect(&[]);
    g.when(Command::Tick { at: s(9000) }).then_expect(&[Event::FollowUpDue { at: s(3700), ticket: TicketId(0) }]);
    // Any later command fires it first, at its own instant.
    let then = g.when(create(s(5000), Channel::Chat));
    assert_eq!(then.events()[0], Event::FollowUpDue { at: s(3700), ticket: TicketId(0) });
    let g2 = resolved_email(None).and(Command::Tick { at: s(9000) });
    assert_eq!(g2.metrics.total.follow_ups, 1);
    g2.when(Command::Tick { at: s(20_000) }).then_expect(&[]);
    // The category's delay wins over the queue's.
    let refund = resolved_email(Some(CategoryId(0)));
    assert_eq!(refund.state.ticket(TicketId(0)).unwrap().follow_up_due, Some(s(7300)));
    // Reopened before it is due: no follow-up.
    let g = g.and(Command::Reopen { at: s(200), ticket: TicketId(0) });
    assert_eq!(g.state.ticket(TicketId(0)).unwrap().follow_up_due, None);
    let events = g.when(Command::Tick { at: s(9000) }).events().to_vec();
    assert!(!events.iter().any(|e| matches!(e, Event::FollowUpDue { .. })), "{events:#?}");
}

/// A log written with a follow-up pending replays to a state that fires it at the same
/// instant as the live engine would.
#[test]
fn a_follow_up_replays_from_a_log() {
    let g = resolved_email(None);
    let lines: Vec<String> = g.log.iter().map(|e| serde_json::to_string(&Envelope::new(e.clone())).unwrap()).collect();
    let read: Vec<Event> = lines.iter().map(|l| serde_json::from_str::<Envelope>(l).unwrap().event).collect();
    let replayed = Given::events(&read);
    assert_eq!(replayed.state.next_deadline(), Some(s(3700)));
    let live = g.when(Command::Tick { at: s(9000) }).events().to_vec();
    assert_eq!(replayed.when(Command::Tick { at: s(9000) }).events(), live.as_slice());
    assert_eq!(live, [Event::FollowUpDue { at: s(3700), ticket: TicketId(0) }]);
}

/// A follow-up longer than the closed-ticket retention is refused: the ticket would be
/// forgotten first.
#[test]
fn a_follow_up_beyond_the_retention_is_refused() {
    let mut config = spec();
    config.queues[1].follow_up_after_s = Some(86_400.0);
    let e = cs_core::Config::new(config).unwrap_err().to_string();
    assert!(
        e.contains(
            "queues[1].follow_up_after_s: 86400 s is not shorter than limits.closed_ticket_retention_s (86400 s)"
        ),
        "{e}"
    );
}

/// `warn_before_s` and `warning_at` together are refused; a reminder period under a minute
/// is refused.
#[test]
fn conflicting_warnings_and_tiny_reminders_are_refused() {
    let mut config = spec();
    config.sla_policies[2].warning_at = Some(0.5);
    config.sla_policies[2].remind_every_s = Some(5.0);
    let e = cs_core::Config::new(config).unwrap_err().to_string();
    assert!(e.contains("sla_policies[2].warn_before_s: given together with warning_at"), "{e}");
    assert!(e.contains("sla_policies[2].remind_every_s: 5 must be at least 60 seconds"), "{e}");
}

/// The e-mail policy on a Berlin office calendar (09:00-17:00 local, Monday to Friday, 24
/// December 09:00-13:00 only, 25 December closed).
fn berlin_desk(at: Timestamp) -> Vec<Command> {
    let mut config = spec();
    config.calendars.push(
        toml::from_str(
            r#"
name = "berlin"
time_zone = "Europe/Berlin"
holidays = [{ date = "2026-12-24", hours = ["09:00-13:00"] }, "2026-12-25"]
hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"] }
"#,
        )
        .unwrap(),
    );
    config.sla_policies[usize::from(EMAIL)].calendar = Some("berlin".into());
    desk_at(config, at)
}

fn berlin_email(at: &str) -> Given {
    let at = Timestamp::parse(at).unwrap();
    let mut cmds = berlin_desk(at);
    cmds.push(create(at, Channel::Email));
    given(&cmds)
}

/// A first-response clock started on Friday 27 March 2026 at 16:30 Berlin time (CET) runs
/// across the spring change: 30 minutes on Friday, then Monday 30 March from 09:00 CEST,
/// which is 07:00 UTC, not 08:00.
#[test]
fn a_berlin_office_clock_runs_across_the_spring_change() {
    let g = berlin_email("2026-03-27T15:30:00Z");
    let c = clock(&g, ClockKind::FirstResponse);
    assert_eq!(c.deadline, Timestamp::parse("2026-03-30T07:30:00Z").unwrap());
    assert_eq!(c.warn_at, Some(Timestamp::parse("2026-03-30T07:15:00Z").unwrap()), "15 minutes before");
    // And across the autumn change: Friday 23 October 16:30 CEST + 1 h is Monday 26
    // October 09:30 CET, 08:30 UTC.
    let g = berlin_email("2026-10-23T14:30:00Z");
    assert_eq!(clock(&g, ClockKind::FirstResponse).deadline, Timestamp::parse("2026-10-26T08:30:00Z").unwrap());
    // The clock fires at those instants, from a tick.
    let events = g.when(Command::Tick { at: Timestamp::parse("2026-10-26T12:00:00Z").unwrap() }).events().to_vec();
    assert_eq!(
        sla_events(&events)[..2],
        [
            ("SlaWarning", ClockKind::FirstResponse, Timestamp::parse("2026-10-26T08:15:00Z").unwrap()),
            ("SlaBreached", ClockKind::FirstResponse, Timestamp::parse("2026-10-26T08:30:00Z").unwrap()),
        ]
    );
}

/// On 24 December the Berlin desk is open 09:00-13:00 only: an e-mail at 12:30 has 30
/// minutes that day, then none on the 25th nor the weekend, and is due Monday 28 December
/// at 09:30 CET.
#[test]
fn a_partial_holiday_shortens_the_day() {
    let g = berlin_email("2026-12-24T11:30:00Z");
    assert_eq!(clock(&g, ClockKind::FirstResponse).deadline, Timestamp::parse("2026-12-28T08:30:00Z").unwrap());
}
