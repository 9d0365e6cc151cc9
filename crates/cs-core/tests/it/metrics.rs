//! Metrics through the public surface: occupancy per team, worked out by hand.

use crate::fixture::*;
use crate::gwt::given;
use cs_core::metrics::Counts;
use cs_core::{AgentId, Command, Engine, TicketStatus};

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

    let hour = g.state.metrics().report(t(0), t(3600), t(3600));
    let lee = (3_600_000, 500 * 3_600_000);
    let ann = (1_140_000 + 2_100_000, 0);
    assert_eq!(occupancy_time(&hour.teams[EXPERTS.index()]), lee, "the team that never changed");
    assert_eq!(occupancy_time(&hour.teams[TIER1.index()]), ann);
    assert_eq!(occupancy_time(&hour.total), (lee.0 + ann.0, lee.1 + ann.1));
    assert_eq!(hour.teams[EXPERTS.index()].occupancy(), Some(0.5));

    // One interval, 09:15 to 09:30: lee all of it, ann 300 s on each side of her break.
    let q2 = g.state.metrics().report(t(900), t(1800), t(3600));
    assert_eq!(occupancy_time(&q2.teams[EXPERTS.index()]), (900_000, 500 * 900_000));
    assert_eq!(occupancy_time(&q2.teams[TIER1.index()]), (600_000, 0));

    // Up to the last event only, for the team that changed last, as of then.
    let then = g.state.metrics().report(t(0), t(3600), t(1500));
    assert_eq!(occupancy_time(&then.teams[EXPERTS.index()]), (1_500_000, 500 * 1_500_000));
    assert_eq!(occupancy_time(&then.teams[TIER1.index()]), (1_140_000, 0));

    // The same from a replay and from the engine.
    let replayed = cs_core::replay(&g.log);
    assert_eq!(replayed.metrics().report(t(0), t(3600), t(3600)), hour);
    let mut engine = Engine::new();
    for c in &cmds {
        engine.execute(c).unwrap();
    }
    assert_eq!(engine.state().metrics().report(t(0), t(3600), t(3600)), hour);

    // A view ages after the last change counts the time since in one span, and saturates
    // rather than overflows when the product leaves 64 bits.
    let far = cs_core::Timestamp(i64::MAX / 2);
    let ages = g.state.metrics().report(t(0), cs_core::Timestamp::MAX, far);
    let experts = &ages.teams[EXPERTS.index()];
    assert_eq!(experts.staffed_ms, far.since(t(0)) as u64, "staffed the whole time, exactly");
    assert_eq!(experts.busy_milli_ms, u64::MAX, "500 thousandths of that is beyond 64 bits");
}
