//! What-if: the arrivals recorded in a log, replayed against a scenario.

use crate::common::{run_logged, run_quiet, scenario};
use cs_core::Event;
use cs_sim::{Arrival, RunOptions, SimError, arrivals_from_events, run};

fn desk(agents: u32) -> cs_sim::Scenario {
    scenario(&crate::determinism::KITCHEN_SINK.replace("agents = 8", &format!("agents = {agents}")))
}

#[test]
fn replaying_recorded_arrivals_against_the_same_scenario_reproduces_the_log() {
    let sc = desk(8);
    let a = run_logged(&sc, &RunOptions::default());
    let arrivals = arrivals_from_events(a.events.iter().cloned(), sc.config());
    let created = a.events.iter().filter(|e| matches!(e, Event::TicketCreated { .. })).count();
    assert_eq!(arrivals.len(), created);
    assert!(arrivals.iter().any(|x| x.bot) && arrivals.iter().any(|x| x.category.as_deref() == Some("refunds")));
    assert!(arrivals.iter().any(|x| x.language.as_deref() == Some("de")));
    assert!(arrivals.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));

    // Patience, bot outcomes and handle times come from the same per-queue streams in
    // the same order, so the whole log is the same.
    let b = run_logged(&sc, &RunOptions { arrivals: Some(arrivals), ..RunOptions::default() });
    assert_eq!(a.bytes, b.bytes);
}

#[test]
fn more_agents_answer_the_same_arrivals_faster() {
    let recorded = run_logged(&desk(8), &RunOptions::default());
    let arrivals = arrivals_from_events(recorded.events, desk(8).config());
    let more = desk(12);
    let what_if = run_quiet(&more, &RunOptions { arrivals: Some(arrivals), ..RunOptions::default() });
    assert_eq!(what_if.tickets_simulated, recorded.run.tickets_simulated);
    let (before, after) = (recorded.run.figures(), what_if.figures());
    assert!(after.asa_s.unwrap() < before.asa_s.unwrap(), "{before:?} -> {after:?}");
    assert!(after.abandon_rate.unwrap() < before.abandon_rate.unwrap());
}

#[test]
fn arrivals_that_do_not_fit_are_refused() {
    let sc = desk(8);
    let a = Arrival {
        at_ms: 1000,
        queue: "phone".into(),
        channel: cs_core::Channel::Phone,
        tier: Default::default(),
        urgency: Default::default(),
        emotion: Default::default(),
        category: Some("warranty".into()),
        language: None,
        customer: 1,
        bot: false,
    };
    let e = run(
        &sc,
        &RunOptions { arrivals: Some(vec![a.clone(), Arrival { at_ms: 0, ..a.clone() }]), ..RunOptions::default() },
        &mut |_| {},
        &mut |_| {},
    )
    .unwrap_err();
    let SimError::Arrivals(msg) = &e else { panic!("{e}") };
    assert!(msg.contains("unknown queue \"phone\""), "{msg}");
    assert!(msg.contains("unknown category \"warranty\""), "{msg}");
    assert!(msg.contains("before the previous one"), "{msg}");
    // A known queue, on a channel the scenario's queue does not take.
    let on_email = Arrival { queue: "chat".into(), channel: cs_core::Channel::Email, category: None, ..a };
    let e = run(&sc, &RunOptions { arrivals: Some(vec![on_email]), ..RunOptions::default() }, &mut |_| {}, &mut |_| {})
        .unwrap_err();
    let SimError::Arrivals(msg) = &e else { panic!("{e}") };
    assert!(msg.contains("arrivals on email in queue \"chat\", which takes chat in the scenario"), "{msg}");
}

/// Recorded arrivals after the run's end are not replayed, and the run counts them (they
/// used to be dropped without a word); a shorter cut of the scenario runs to its own end.
#[test]
fn arrivals_after_the_end_are_counted_not_replayed() {
    let sc = desk(8);
    let recorded = run_logged(&sc, &RunOptions::default());
    let arrivals = arrivals_from_events(recorded.events, sc.config());
    let given = arrivals.len() as u64;
    let whole = run_quiet(&sc, &RunOptions { arrivals: Some(arrivals.clone()), ..RunOptions::default() });
    assert_eq!(whole.recorded, Some(cs_sim::RecordedUse { given, used: given, after_end: 0 }));
    let half_ms = (sc.duration_s() * 500.0) as i64;
    let cut = sc.cut_to_ms(half_ms).unwrap();
    assert_eq!(cut.end().since(cut.start()), half_ms);
    let before_half = arrivals.iter().filter(|a| a.at_ms < half_ms).count() as u64;
    let r = run_quiet(&cut, &RunOptions { arrivals: Some(arrivals), ..RunOptions::default() });
    assert_eq!(r.recorded, Some(cs_sim::RecordedUse { given, used: before_half, after_end: given - before_half }));
    assert_eq!(r.tickets_simulated + r.tickets_refused, before_half);
    assert!(run_quiet(&sc, &RunOptions::default()).recorded.is_none());
}
