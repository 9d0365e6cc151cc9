//! Metrics through the public surface: occupancy per team, worked out by hand.

use crate::fixture::*;
use crate::gwt::given;
use cs_core::metrics::{Counts, Metrics, WindowError};
use cs_core::{AgentId, Command, Engine, TicketId, TicketStatus, Timestamp};

/// (staffed ms, busy rate × ms) of a slice.
fn occupancy_time(c: &Counts) -> (u64, u64) {
    (c.staffed_ms, c.busy_milli_ms)
}

#[test]
fn occupancy_per_team_counts_every_team_up_to_now_however_seldom_it_changes() {
    // lee (experts) logs in at 0 and takes one chat of two: busy at 500 thousandths for
    // the whole hour, and never changes again. ann (tier 1) logs in at 60 s, out at
    // 1200 s (across the 09:15 boundary) and in again at 1500 s.
    let cmds = vec![
        configure(),
        register(0, "ann", TIER1, &[(BILLING, 1)], chats(1)),
        register(0, "lee", EXPERTS, &[(BILLING, 1)], chats(2)),
        login(0, 1),
        chat(0, 1),
        login(60, 0),
        Command::Logout { at: t(1200), agent: AgentId(0) },
        login(1500, 0),
    ];
    let g = given(&cmds);
    let lee_ticket = g.state.ticket(cs_core::TicketId(0)).unwrap();
    assert_eq!((lee_ticket.status, lee_ticket.agent), (TicketStatus::Assigned, Some(AgentId(1))));

    let hour = g.metrics.report(t(0), t(3600), t(3600)).unwrap();
    let lee = (3_600_000, 500 * 3_600_000);
    let ann = (1_140_000 + 2_100_000, 0);
    assert_eq!(occupancy_time(&hour.teams[EXPERTS.index()]), lee, "the team that never changed");
    assert_eq!(occupancy_time(&hour.teams[TIER1.index()]), ann);
    assert_eq!(occupancy_time(&hour.total), (lee.0 + ann.0, lee.1 + ann.1));
    assert_eq!(hour.teams[EXPERTS.index()].occupancy(), Some(0.5));

    // One interval, 09:15 to 09:30: lee all of it, ann 300 s on each side of her break.
    let q2 = g.metrics.report(t(900), t(1800), t(3600)).unwrap();
    assert_eq!(occupancy_time(&q2.teams[EXPERTS.index()]), (900_000, 500 * 900_000));
    assert_eq!(occupancy_time(&q2.teams[TIER1.index()]), (600_000, 0));

    // Up to the last event only, for the team that changed last, as of then.
    let then = g.metrics.report(t(0), t(3600), t(1500)).unwrap();
    assert_eq!(occupancy_time(&then.teams[EXPERTS.index()]), (1_500_000, 500 * 1_500_000));
    assert_eq!(occupancy_time(&then.teams[TIER1.index()]), (1_140_000, 0));

    // The same from a replay and from the engine.
    let replayed = Metrics::of(&g.log);
    assert_eq!(replayed.report(t(0), t(3600), t(3600)).unwrap(), hour);
    let mut engine = Engine::with_projection(Metrics::default());
    for c in &cmds {
        engine.execute(c).unwrap();
    }
    assert_eq!(engine.projection().report(t(0), t(3600), t(3600)).unwrap(), hour);

    // A view ages after the last change counts the time since in one span, and saturates
    // rather than overflows when the product leaves 64 bits.
    let far = cs_core::Timestamp(i64::MAX / 2);
    let ages = g.metrics.report(t(0), cs_core::Timestamp::MAX, far).unwrap();
    let experts = &ages.teams[EXPERTS.index()];
    assert_eq!(experts.staffed_ms, far.since(t(0)) as u64, "staffed the whole time, exactly");
    assert_eq!(experts.busy_milli_ms, u64::MAX, "500 thousandths of that is beyond 64 bits");
}

/// One agent logged in from `start`; one chat a day for `days` days at 10:00, taken at
/// once and resolved five minutes later; each day `gap` after the day before.
fn daily_chats(start: Timestamp, days: i64, gap_ms: i64) -> Engine<Metrics> {
    let at = |ms: i64| start.plus_ms(ms);
    let mut engine = Engine::with_projection(Metrics::default());
    let setup = [
        Command::Configure { at: at(0), config: Box::new(spec()) },
        Command::RegisterAgent {
            at: at(0),
            key: "ann".into(),
            team: TIER1,
            tier: None,
            skills: vec![(BILLING, 1)],
            languages: Default::default(),
            capacity: chats(1),
        },
        Command::Login { at: at(0), agent: AgentId(0) },
    ];
    for c in setup {
        engine.execute(&c).unwrap();
    }
    for d in 0..days {
        let ten = d * gap_ms + 10 * 3_600_000;
        engine.execute(&Command::CreateTicket { at: at(ten), spec: chat_spec(d as u64) }).unwrap();
        engine.execute(&Command::Resolve { at: at(ten + 300_000), ticket: TicketId(d as u64) }).unwrap();
    }
    engine
}

/// A log longer than the 31 days of 15-minute intervals (40 days, one chat a day): the whole
/// log, and any window from a midnight of the days kept as daily totals, is answered
/// exactly, and so is replaying it; a window from inside such a day is an error naming the
/// day, never a silent zero (a log of a little over 31 days used to print `tickets 0`).
#[test]
fn metrics_answer_any_window_of_a_log_longer_than_31_days() {
    let day = 86_400_000;
    let start = Timestamp::parse("2026-11-23T00:00:00Z").unwrap();
    let engine = daily_chats(start, 40, day);
    let (m, now) = (engine.projection(), engine.state().last_event_at());
    let all = m.report(start, Timestamp::MAX, now).unwrap();
    assert_eq!((all.total.offered, all.total.answered, all.total.handled), (40, 40, 40));
    assert_eq!(all.total.staffed_ms, now.since(start) as u64, "staffed the whole time");
    assert_eq!(all.queues[CHAT.index()].offered, 40);
    // From the midnight of day 3 (a daily total): days 3 to 39.
    let from3 = m.report(start.plus_ms(3 * day), Timestamp::MAX, now).unwrap();
    assert_eq!(from3.total.offered, 37);
    // Days 5 to 9, closed: five chats and five whole staffed days.
    let week = m.report(start.plus_ms(5 * day), start.plus_ms(10 * day), now).unwrap();
    assert_eq!((week.total.offered, week.total.staffed_ms), (5, 5 * day as u64));
    assert_eq!(week.teams[TIER1.index()].handled, 5);
    // From 09:00 on day 3: that day is kept as a total only.
    match m.report(start.plus_ms(3 * day + 9 * 3_600_000), Timestamp::MAX, now) {
        Err(WindowError::InsideDay { day: d, .. }) => assert_eq!(d, start.plus_ms(3 * day)),
        other => panic!("{other:?}"),
    }
    // The last days, at 15 minutes, from any boundary.
    let last = m.report(start.plus_ms(38 * day + 9 * 3_600_000), Timestamp::MAX, now).unwrap();
    assert_eq!(last.total.offered, 2);
    // The same figures from a replay of the log.
    let log: Vec<cs_core::Event> = engine.events().to_vec();
    let replayed = Metrics::of(&log);
    assert_eq!(replayed.report(start.plus_ms(5 * day), start.plus_ms(10 * day), now).unwrap(), week);
    assert_eq!(&replayed, m);
}

/// A century between two chats with the agent logged in throughout: the work is bounded by
/// what is kept (at most 2,976 intervals and 3,660 days), not by the gap. Every 15-minute
/// interval of the gap used to be made (a century took a second; 1970 to 9999 ran on and
/// on); its allocations alone came to gigabytes.
#[test]
fn a_gap_of_a_century_costs_what_is_kept() {
    let century = 100 * 365 * 86_400_000;
    let start = Timestamp::parse("1970-01-01T00:00:00Z").unwrap();
    let (engine, bytes) = crate::alloc::allocated_by(|| daily_chats(start, 2, century));
    assert!(bytes < 64 << 20, "{bytes} bytes allocated");
    let (m, now) = (engine.projection(), engine.state().last_event_at());
    assert!(m.intervals.len() <= cs_core::metrics::INTERVALS_KEPT && m.days.len() <= cs_core::metrics::DAYS_KEPT);
    let all = m.report(start, Timestamp::MAX, now).unwrap();
    assert_eq!((all.total.offered, all.total.staffed_ms), (2, now.since(start) as u64));
    // The century's start is beyond the ten years of daily totals: a window there is an
    // error saying from when figures are kept, and a window over the last ten years works.
    match m.report(start.plus_ms(86_400_000), Timestamp::MAX, now) {
        Err(WindowError::TooOld { kept_from, .. }) => assert!(kept_from > start.plus_ms(century / 2)),
        other => panic!("{other:?}"),
    }
    let day_of_last = cs_core::metrics::day_start(now);
    let recent = m.report(day_of_last.plus_ms(-5 * 86_400_000), Timestamp::MAX, now).unwrap();
    assert_eq!(
        (recent.total.offered, recent.total.staffed_ms),
        (1, now.since(day_of_last.plus_ms(-5 * 86_400_000)) as u64)
    );
}

/// From 1970 to the last millisecond of the year 9999: a log may span the whole range the
/// engine takes, and beyond it a command is refused by name (an event at `i64::MAX` ms used
/// to be taken and printed as a raw number).
#[test]
fn a_log_may_span_the_engine_s_whole_range_and_no_further() {
    let start = Timestamp(0);
    let mut engine = daily_chats(start, 1, 0);
    let last = Command::CreateTicket { at: Timestamp::LATEST, spec: chat_spec(9) };
    engine.execute(&last).unwrap();
    let m = engine.projection();
    let all = m.report(start, Timestamp::MAX, Timestamp::LATEST).unwrap();
    assert_eq!((all.total.offered, all.total.staffed_ms), (2, Timestamp::LATEST.since(start) as u64));
    let beyond = Command::CreateTicket { at: Timestamp::LATEST.plus_ms(1), spec: chat_spec(10) };
    assert_eq!(
        engine.execute(&beyond),
        Err(cs_core::Rejection::TimeOutOfRange { at: Timestamp::LATEST.plus_ms(1), latest: Timestamp::LATEST })
    );
    let far = Command::Tick { at: Timestamp::MAX };
    let err = engine.execute(&far).unwrap_err().to_string();
    assert!(
        err.contains("9223372036854775807 ms since the epoch") && err.contains("9999-12-31T23:59:59.999Z"),
        "{err}"
    );
}

/// 10,000 queues, a few of them busy: each 15-minute interval keeps counters for the
/// queues with traffic, not for all 10,000 (a day of intervals allocated 200 MB of empty
/// counters; a simulation of 10,000 queues took 490 MB).
#[test]
fn ten_thousand_queues_cost_memory_for_the_busy_ones() {
    let mut text = String::from("skills = []\nteams = [{ name = \"t\" }]\n");
    for i in 0..10_000 {
        text.push_str(&format!("[[queues]]\nname = \"q{i}\"\n"));
    }
    let spec: cs_core::ConfigSpec = toml::from_str(&text).unwrap();
    let start = Timestamp::parse("2026-11-23T00:00:00Z").unwrap();
    let mut engine = Engine::with_projection(Metrics::default());
    engine.execute(&Command::Configure { at: start, config: Box::new(spec) }).unwrap();
    let register = Command::RegisterAgent {
        at: start,
        key: "ann".into(),
        team: TIER1,
        tier: None,
        skills: vec![],
        languages: Default::default(),
        capacity: chats(1),
    };
    engine.execute(&register).unwrap();
    engine.execute(&Command::Login { at: start, agent: AgentId(0) }).unwrap();
    let ((), bytes) = crate::alloc::allocated_by(|| {
        // A chat every 15 minutes for a day, to three of the queues in turn.
        for k in 0..96u64 {
            let at = start.plus_ms(k as i64 * 900_000 + 60_000);
            let spec = cs_core::TicketSpec { queue: Some(cs_core::QueueId((k % 3) as u16)), ..chat_spec(k) };
            engine.execute(&Command::CreateTicket { at, spec }).unwrap();
            engine.execute(&Command::Resolve { at: at.plus_ms(60_000), ticket: TicketId(k) }).unwrap();
        }
    });
    assert!(bytes < 32 << 20, "{bytes} bytes allocated for a day");
    let m = engine.projection();
    let day = m.report(start, Timestamp::MAX, engine.state().last_event_at()).unwrap();
    assert_eq!((day.queues[0].offered, day.queues[2].offered, day.queues[9_999].offered), (32, 32, 0));
    assert_eq!(m.intervals[3].queue(cs_core::QueueId(0)).map(|c| c.offered), Some(1));
    assert_eq!(m.intervals[3].queue(cs_core::QueueId(1)), None);
}
