//! Property tests of the SLA clocks over random ticket lives (replies, customer messages,
//! pending, on hold, transfers, tier changes, resolutions, reopens, ticks), on a config
//! with every clock, reminders, zero targets, follow-ups and a Berlin business-hours
//! calendar crossing the spring change:
//! - a breached clock is never met, whatever follows: between a clock's `SlaBreached` and
//!   the end of that clock (a reply for the reply clocks, the ticket closing) no `SlaMet`
//!   of it comes;
//! - replay gives the same SLA events at the same instants: a state rebuilt from the log
//!   at any point decides the rest of the commands exactly as the live one did, and the
//!   two states end equal;
//! - every `SlaBreached` fires at its clock's breach instant, never before its deadline.

use crate::gwt::{decide, given};
use cs_core::sla::ClockKind;
use cs_core::{
    AgentId, Channel, Command, CustomerId, CustomerTier, Event, State, TicketId, TicketSpec, Timestamp, apply, replay,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use std::collections::BTreeMap;

const CONFIG: &str = r#"
skills = []
categories = ["refund"]
teams = [{ name = "desk" }]
follow_up_after_s_by_category = { refund = 5400 }

[limits]
closed_ticket_retention_s = 86400

[[calendars]]
name = "berlin office"
time_zone = "Europe/Berlin"
holidays = [{ date = "2026-03-30", hours = ["09:00-12:00"] }]
hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"], sun = ["01:00-04:00"] }

[[sla_policies]]
name = "vip"
tiers = ["vip"]
first_response_s = 0
next_response_s = 30
resolution_s = 900
remind_every_s = 60

[[sla_policies]]
name = "chat"
channels = ["chat"]
first_response_s = 60
next_response_s = 60
resolution_s = 3600
update_s = 300
warning_at = 0.9999
pending_pauses = ["first_response", "next_response", "update"]

[[sla_policies]]
name = "email"
channels = ["email"]
calendar = "berlin office"
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

#[derive(Clone, Debug)]
enum Op {
    Create { email: bool, vip: bool, refund: bool },
    Reply(usize),
    Customer(usize),
    Pending(usize),
    Hold(usize),
    Release(usize),
    Resolve(usize),
    Reopen(usize),
    Transfer(usize, bool),
    Tier(usize, bool),
    Login(bool),
    Tick,
}

fn arb_op() -> impl Strategy<Value = Op> {
    // Few tickets, so that each sees many commands.
    let t = 0usize..3;
    prop_oneof![
        3 => (any::<bool>(), proptest::bool::weighted(0.2), proptest::bool::weighted(0.3))
            .prop_map(|(email, vip, refund)| Op::Create { email, vip, refund }),
        6 => t.clone().prop_map(Op::Reply),
        6 => t.clone().prop_map(Op::Customer),
        2 => t.clone().prop_map(Op::Pending),
        2 => t.clone().prop_map(Op::Hold),
        2 => t.clone().prop_map(Op::Release),
        2 => t.clone().prop_map(Op::Resolve),
        2 => t.clone().prop_map(Op::Reopen),
        1 => (t.clone(), any::<bool>()).prop_map(|(i, email)| Op::Transfer(i, email)),
        1 => (t, any::<bool>()).prop_map(|(i, vip)| Op::Tier(i, vip)),
        1 => any::<bool>().prop_map(Op::Login),
        3 => Just(Op::Tick),
    ]
}

/// Gaps between commands: often the same instant or a few seconds, sometimes minutes or
/// hours (across closing time and the night the clocks go forward).
fn arb_gap_ms() -> impl Strategy<Value = i64> {
    prop_oneof![
        2 => Just(0i64),
        4 => 1..=90_000i64,
        2 => 1..=3_600_000i64,
        1 => 1..=12 * 3_600_000i64,
    ]
}

/// Friday 27 March 2026, 15:00 Berlin: two days before the spring change.
fn start() -> Timestamp {
    Timestamp::parse("2026-03-27T14:00:00Z").unwrap()
}

fn command(op: &Op, at: Timestamp, state: &State) -> Command {
    let ticket = |i: usize| {
        let n = state.next_ticket_id().0;
        TicketId(if n == 0 { 0 } else { i as u64 % n })
    };
    match *op {
        Op::Create { email, vip, refund } => {
            let mut spec = TicketSpec::new(CustomerId(1), if email { Channel::Email } else { Channel::Chat });
            if vip {
                spec.tier = CustomerTier::Vip;
            }
            if refund {
                spec.category = Some(cs_core::CategoryId(0));
            }
            Command::CreateTicket { at, spec }
        }
        Op::Reply(i) => Command::AgentReply { at, ticket: ticket(i) },
        Op::Customer(i) => Command::CustomerMessage { at, ticket: ticket(i) },
        Op::Pending(i) => Command::SetPending { at, ticket: ticket(i) },
        Op::Hold(i) => Command::SetOnHold { at, ticket: ticket(i) },
        Op::Release(i) => Command::ReleaseHold { at, ticket: ticket(i) },
        Op::Resolve(i) => Command::Resolve { at, ticket: ticket(i) },
        Op::Reopen(i) => Command::Reopen { at, ticket: ticket(i) },
        Op::Transfer(i, email) => {
            Command::Transfer { at, ticket: ticket(i), queue: cs_core::QueueId(u16::from(email)) }
        }
        Op::Tier(i, vip) => Command::UpdateTicket {
            at,
            ticket: ticket(i),
            tier: Some(if vip { CustomerTier::Vip } else { CustomerTier::Standard }),
            urgency: None,
            emotion: None,
        },
        Op::Login(true) => Command::Login { at, agent: AgentId(0) },
        Op::Login(false) => Command::Logout { at, agent: AgentId(0) },
        Op::Tick => Command::Tick { at },
    }
}

fn setup() -> Vec<Command> {
    crate::sla_clocks::desk_at(toml::from_str(CONFIG).expect("config parses"), start())
}

/// A command the engine accepted, with the events it produced.
type Accepted = (Command, Vec<Event>);

/// Runs the ops; returns the final state, the commands actually accepted (with the events
/// each produced), and the whole log.
fn run(ops: &[(Op, i64)]) -> (State, Vec<Accepted>, Vec<Event>) {
    let g = given(&setup());
    let (mut state, mut log) = (g.state, g.log);
    let mut at = start();
    let mut accepted = Vec::new();
    for (op, gap) in ops {
        at = at.plus_ms(*gap);
        let cmd = command(op, at, &state);
        if let Ok(events) = decide(&state, &cmd) {
            for e in &events {
                apply(&mut state, e);
            }
            log.extend(events.iter().cloned());
            accepted.push((cmd, events));
        }
    }
    let end = Command::Tick { at: at.plus_ms(48 * 3_600_000) };
    let events = decide(&state, &end).expect("a tick is never refused");
    for e in &events {
        apply(&mut state, e);
    }
    log.extend(events.iter().cloned());
    accepted.push((end, events));
    (state, accepted, log)
}

/// Whether `e` ends the current instance of `kind` for its ticket (after which a new one
/// may start and be met).
fn ends(e: &Event, kind: ClockKind) -> bool {
    match e {
        Event::TicketResolved { .. }
        | Event::BotResolved { .. }
        | Event::TicketAbandoned { .. }
        | Event::TicketExpired { .. } => true,
        Event::AgentReplied { .. } => kind != ClockKind::Resolution,
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn a_breached_clock_is_never_met(ops in proptest::collection::vec((arb_op(), arb_gap_ms()), 1..70)) {
        let (_, _, log) = run(&ops);
        let mut breached: BTreeMap<(TicketId, ClockKind), Timestamp> = BTreeMap::new();
        for e in &log {
            match e {
                Event::SlaBreached { ticket, clock, at, .. } => {
                    breached.insert((*ticket, *clock), *at);
                }
                Event::SlaMet { ticket, clock, at, .. } => {
                    let before = breached.get(&(*ticket, *clock));
                    prop_assert!(before.is_none(), "{ticket} {clock:?} met at {at} after its breach at {before:?}");
                }
                _ => {}
            }
            if let Some(ticket) = e.ticket() {
                for kind in ClockKind::ALL {
                    if ends(e, kind) {
                        breached.remove(&(ticket, kind));
                    }
                }
            }
        }
    }

    #[test]
    fn replay_gives_the_same_sla_events_at_the_same_instants(
        ops in proptest::collection::vec((arb_op(), arb_gap_ms()), 1..70),
        split in any::<proptest::sample::Index>(),
    ) {
        let (live, accepted, log) = run(&ops);
        prop_assert_eq!(&replay(&log), &live, "replaying the whole log");
        // Rebuild from the log up to a random command, then decide the rest there.
        let k = split.index(accepted.len());
        let before: usize = setup_events() + accepted[..k].iter().map(|(_, e)| e.len()).sum::<usize>();
        let mut state = replay(&log[..before]);
        for (cmd, events) in &accepted[k..] {
            let again = decide(&state, cmd).expect("accepted live");
            prop_assert_eq!(&again, events, "{:?} after replaying {} events", cmd, before);
            for e in &again {
                apply(&mut state, e);
            }
        }
        prop_assert_eq!(&state, &live);
        // Every breach fires at its clock's breach instant.
        let mut s = replay(&log[..0]);
        for e in &log {
            if let Event::SlaBreached { ticket, clock, at, .. } = e {
                let c = s.ticket(*ticket).unwrap().sla.as_ref().unwrap().clocks[clock.index()];
                prop_assert_eq!(c.breach_at(), *at);
                prop_assert!(*at >= c.deadline);
            }
            apply(&mut s, e);
        }
    }
}

fn setup_events() -> usize {
    given(&setup()).log.len()
}

/// The random lives reach what they are meant to test: breaches, reminders, follow-ups,
/// holds and reopens all happen in some of them.
#[test]
fn random_lives_reach_every_rule() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = proptest::collection::vec((arb_op(), arb_gap_ms()), 40..70);
    let mut seen: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut chased = 0;
    for _ in 0..64 {
        let ops = strategy.new_tree(&mut runner).unwrap().current();
        let mut breached = std::collections::BTreeSet::new();
        for e in run(&ops).2 {
            *seen.entry(e.name()).or_default() += 1;
            match e {
                Event::SlaBreached { ticket, clock: ClockKind::NextResponse, .. } => {
                    breached.insert(ticket);
                }
                Event::AgentReplied { ticket, .. } => {
                    breached.remove(&ticket);
                }
                Event::CustomerReplied { ticket, .. } if breached.contains(&ticket) => chased += 1,
                _ => {}
            }
        }
    }
    for name in [
        "SlaBreached",
        "SlaMet",
        "SlaWarning",
        "SlaReminder",
        "FollowUpDue",
        "TicketOnHold",
        "TicketReopened",
        "TicketPending",
    ] {
        assert!(seen.get(name).copied().unwrap_or(0) > 0, "no {name} in {seen:?}");
    }
    // The case of issue 18's first bug: a customer writing again while the next-response
    // clock runs breached.
    assert!(chased > 0, "no customer chased a breached next response");
}
