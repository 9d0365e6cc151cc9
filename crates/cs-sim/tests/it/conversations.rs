//! Back-and-forth, reopens, follow-ups and transfers in the simulator (issue 18, items 9
//! and 10): each makes the figures it feeds (next-response attainment, first-contact
//! resolution, reopen rate, follow-ups) mean something, and each is refused with a clear
//! problem when written wrong.

use crate::common::{run_logged, scenario};
use cs_core::sla::ClockKind;
use cs_core::{Event, TicketStatus};
use cs_sim::{RunOptions, Scenario};
use std::collections::BTreeMap;

/// One chat queue with SLA clocks (next response within 60 s) and a follow-up an hour
/// after resolution, a payments queue, and a team for both; `chat_extra` goes into the chat
/// queue.
fn desk(chat_extra: &str) -> String {
    format!(
        r#"
        name = "desk"
        seed = 11
        duration_s = 28800
        [[engine.sla_policies]]
        name = "chat"
        channels = ["chat"]
        first_response_s = 60
        next_response_s = 60
        resolution_s = 1800

        [[queues]]
        name = "chat"
        channel = "chat"
        skills = ["s"]
        arrivals = {{ kind = "poisson", per_hour = 120 }}
        handle_time = {{ kind = "exponential", mean_s = 240 }}
        first_reply = {{ kind = "exponential", mean_s = 20 }}
        engine = {{ follow_up_after_s = 3600 }}
        {chat_extra}

        [[queues]]
        name = "payments"
        channel = "chat"
        skills = ["s"]
        arrivals = {{ kind = "poisson", per_hour = 0 }}
        handle_time = {{ kind = "exponential", mean_s = 300 }}

        [[teams]]
        name = "desk"
        agents = 12
        skills = {{ s = 1 }}
        capacity = {{ chat = 3 }}
        "#
    )
}

fn count(events: &[Event], name: &str) -> usize {
    events.iter().filter(|e| e.name() == name).count()
}

#[test]
fn without_back_and_forth_no_customer_writes_twice() {
    let sc = scenario(&desk(""));
    let log = run_logged(&sc, &RunOptions::default());
    assert_eq!(count(&log.events, "CustomerReplied"), 0);
    assert_eq!(log.run.report.total.reopened, 0);
    assert_eq!(log.run.report.total.transferred, 0);
    assert_eq!(log.run.report.total.first_contact_resolution(), Some(1.0), "trivial without reopens or transfers");
}

/// Customers who write again get answers, and the next-response clock decides each: met
/// when the agent answers within a minute, breached otherwise.
#[test]
fn back_and_forth_gives_next_response_attainment_a_meaning() {
    let extra = r#"conversation = { share = 0.5, messages = 2, delay = { kind = "exponential", mean_s = 30 }, reply = { kind = "exponential", mean_s = 45 } }"#;
    let sc = scenario(&desk(extra));
    let log = run_logged(&sc, &RunOptions::default());
    let total = &log.run.report.total;
    let messages = count(&log.events, "CustomerReplied");
    assert!(messages > 300, "{messages} customer messages");
    let (met, breached) = (
        total.sla_met_by_clock[ClockKind::NextResponse.index()],
        total.sla_breached_by_clock[ClockKind::NextResponse.index()],
    );
    // Answers take 45 s on average against a 60 s target: exponential, so about
    // e^(-60/45) = 26 % are late.
    let attainment = total.sla_attainment_of(ClockKind::NextResponse).unwrap();
    assert!((0.6..0.9).contains(&attainment), "{met} met, {breached} breached: {attainment}");
    // Every ticket with back-and-forth has at most two more messages, each answered before
    // the ticket is resolved (the agent holds the chat until the conversation ends).
    let mut per_ticket: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
    for e in &log.events {
        match e {
            Event::CustomerReplied { ticket, .. } => per_ticket.entry(ticket.0).or_default().0 += 1,
            Event::AgentReplied { ticket, .. } => per_ticket.entry(ticket.0).or_default().1 += 1,
            _ => {}
        }
    }
    let talking = per_ticket.values().filter(|(messages, _)| *messages > 0).count();
    let created = count(&log.events, "TicketCreated");
    assert!((talking as f64 / created as f64 - 0.5).abs() < 0.1, "{talking} of {created} talked back");
    assert!(per_ticket.values().all(|&(messages, replies)| messages <= 2 && replies <= messages + 1));
}

/// In pending mode the agent sets the ticket waiting on the customer after each reply that
/// expects an answer; the customer's message queues it again, back to the same agent.
#[test]
fn pending_back_and_forth_frees_the_agent_and_comes_back_sticky() {
    let extra = r#"conversation = { share = 1.0, delay = { kind = "fixed", s = 600 }, pending = true }"#;
    let mut text = desk(extra);
    text = text.replace(
        "engine = { follow_up_after_s = 3600 }",
        "engine = { follow_up_after_s = 3600, sticky = { window_s = 3600, wait_s = 120 } }",
    );
    let sc = scenario(&text);
    let log = run_logged(&sc, &RunOptions::default());
    let pending = count(&log.events, "TicketPending");
    let reactivated = count(&log.events, "TicketReactivated");
    assert!(pending > 200 && reactivated > 200, "{pending} pending, {reactivated} reactivated");
    let sticky = log
        .events
        .iter()
        .filter(|e| matches!(e, Event::TicketAssigned { how: cs_core::event::Assignment::Sticky, .. }))
        .count();
    assert!(sticky * 10 > reactivated * 8, "{sticky} of {reactivated} back to their agent");
}

/// Reopens after a delay and after the follow-up: the reopen rate and first-contact
/// resolution move off their trivial values, and every reopen is of a resolved ticket.
#[test]
fn reopens_and_follow_ups_make_the_reopen_rate_and_fcr_non_trivial() {
    let extra = r#"reopen = { share = 0.1, after = { kind = "exponential", mean_s = 1800 }, follow_up_share = 0.2 }"#;
    let sc = scenario(&desk(extra));
    let log = run_logged(&sc, &RunOptions::default());
    let total = &log.run.report.total;
    assert!(total.follow_ups > 300, "{} follow-ups", total.follow_ups);
    let rate = total.reopen_rate().unwrap();
    assert!((0.15..0.4).contains(&rate), "reopen rate {rate}");
    let fcr = total.first_contact_resolution().unwrap();
    assert!(fcr < 0.9, "first-contact resolution {fcr}");
    // A reopen right at a follow-up happens at its instant.
    let follow_ups: BTreeMap<u64, cs_core::Timestamp> = log
        .events
        .iter()
        .filter_map(|e| match e {
            Event::FollowUpDue { at, ticket } => Some((ticket.0, *at)),
            _ => None,
        })
        .collect();
    let at_follow_up = log
        .events
        .iter()
        .filter(|e| matches!(e, Event::TicketReopened { at, ticket } if follow_ups.get(&ticket.0) == Some(at)))
        .count();
    assert!(at_follow_up > 20, "{at_follow_up} reopened at their follow-up");
    // Replaying the log reproduces the figures (reopens and follow-ups are engine events).
    let (_, metrics) =
        cs_core::try_replay_projected::<cs_core::metrics::Metrics>(&log.events).expect("the log replays");
    let (from, to) = log.run.window;
    assert_eq!(metrics.report(from, to, to), Ok(log.run.report));
}

/// Transfers move tickets to the named queue, where they are worked and resolved; they are
/// not first-contact resolutions.
#[test]
fn transfers_go_to_their_queue_and_are_not_first_contact() {
    let sc = scenario(&desk(r#"transfer = { share = 0.2, to = "payments" }"#));
    let log = run_logged(&sc, &RunOptions::default());
    let r = &log.run.report;
    assert!(r.queues[0].transferred > 100, "{} transferred", r.queues[0].transferred);
    assert!(r.queues[1].resolved > 100, "{} resolved in payments", r.queues[1].resolved);
    assert_eq!(r.queues[1].resolved_first_contact, 0);
    let fcr = r.total.first_contact_resolution().unwrap();
    assert!((0.7..0.9).contains(&fcr), "first-contact resolution {fcr}");
    let moved =
        log.events.iter().filter(|e| matches!(e, Event::TicketTransferred { queue, .. } if queue.0 == 1)).count();
    assert_eq!(moved as u64, r.queues[0].transferred);
    let state = cs_core::replay(&log.events);
    assert!(state.tickets().all(|t| t.status != TicketStatus::OnHold));
}

fn problems(text: &str) -> String {
    match Scenario::from_toml_str(text, "bad.toml") {
        Ok(_) => panic!("should be refused:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_conversation_reopen_and_transfer_fields_are_named() {
    let e = problems(&desk(
        r#"conversation = { share = 1.5, messages = 0, delay = { kind = "exponential", mean_s = -1 } }
        reopen = { after = { kind = "fixed", s = 10 } }
        transfer = { share = 0.1, to = "nowhere" }"#,
    ));
    for expected in [
        "bad.toml: queues[0].conversation.share:",
        "bad.toml: queues[0].conversation.messages: 0 must be between 1 and 50",
        "bad.toml: queues[0].conversation.delay.mean_s:",
        "bad.toml: queues[0].reopen: gives neither share nor follow_up_share; nobody would reopen",
    ] {
        assert!(e.contains(expected), "no {expected:?} in:\n{e}");
    }
    let e = problems(&desk(r#"transfer = { share = 0.1, to = "nowhere" }"#));
    assert!(e.contains(r#"bad.toml: queues[0].transfer.to: unknown queue "nowhere""#), "{e}");
    let e = problems(&desk(r#"transfer = { share = 0.1, to = "chat" }"#));
    assert!(e.contains(r#"bad.toml: queues[0].transfer.to: "chat" is the queue itself"#), "{e}");
    let e = problems(&desk(r#"reopen = { share = 0.1 }"#));
    assert!(e.contains("bad.toml: queues[0].reopen.after: missing"), "{e}");
}

/// The retention of closed tickets follows the follow-ups (the engine refuses a follow-up
/// beyond it), unless the scenario sets it.
#[test]
fn closed_tickets_are_kept_past_their_follow_up() {
    let sc = scenario(&desk(""));
    assert_eq!(sc.config().limits.closed_ticket_retention_ms, (3600 + 86_400) * 1000);
    let text =
        desk("").replace("duration_s = 28800", "duration_s = 28800\n[engine.limits]\nclosed_ticket_retention_s = 600");
    let e = problems(&text);
    assert!(
        e.contains("follow_up_after_s: 3600 s is not shorter than limits.closed_ticket_retention_s (600 s)"),
        "{e}"
    );
}
