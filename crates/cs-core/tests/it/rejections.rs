//! Refusals no other test reached: each one given by the rule that gives it, with the
//! command just inside the rule accepted beside it, so that the test fails if the rule
//! moves either way.

use crate::fixture::*;
use crate::gwt::given;
use cs_core::{Channel, Command, ConfigSpec, Event, Rejection, SkillId, TicketId, TicketSpec};

/// A ticket's own time-to-live (`TicketSpec::ttl_s`) of 0 is refused; 1 s is the least
/// taken, and the ticket expires a second after it was created.
#[test]
fn a_ticket_time_to_live_of_zero_is_refused() {
    let g = given(&[configure()]);
    let spec = |ttl_s| TicketSpec { ttl_s: Some(ttl_s), ..chat_spec(1) };
    g.when(Command::CreateTicket { at: t(1), spec: spec(0) })
        .then_reject(Rejection::Invalid { field: "ttl_s", reason: "must be above 0 seconds".into() });
    let g = g.and(Command::CreateTicket { at: t(1), spec: spec(1) });
    assert_eq!(g.state.ticket(TicketId(0)).unwrap().expires_at, Some(t(2)));
    let then = g.when(Command::Tick { at: t(2) });
    assert!(
        then.events().iter().any(|e| *e == Event::TicketExpired { at: t(2), ticket: TicketId(0) }),
        "{:?}",
        then.events()
    );
}

/// A queue's `ticket_ttl_s` must be above 0 and at most 30 days: the config is refused
/// naming the field and the value, and 30 days exactly is taken.
#[test]
fn a_queue_time_to_live_of_zero_or_over_30_days_is_refused() {
    for (ttl_s, problem) in [
        (0.0, "queues[1].ticket_ttl_s: 0 must be above 0"),
        (30.0 * 86_400.0 + 1.0, "queues[1].ticket_ttl_s: is more than 30 days"),
    ] {
        let mut s = spec();
        s.queues[1].ticket_ttl_s = Some(ttl_s);
        let r = given(&[]).when(Command::Configure { at: t(0), config: Box::new(s) }).result.unwrap_err();
        assert_eq!(r.code(), "invalid_config", "{r}");
        assert!(r.to_string().contains(problem), "ttl {ttl_s}: {r}");
    }
    let mut s = spec();
    s.queues[1].ticket_ttl_s = Some(30.0 * 86_400.0);
    let g = given(&[Command::Configure { at: t(0), config: Box::new(s) }]);
    let g = g.and(Command::CreateTicket { at: t(1), spec: TicketSpec::new(cs_core::CustomerId(1), Channel::Email) });
    assert_eq!(g.state.ticket(TicketId(0)).unwrap().expires_at, Some(t(1 + 30 * 86_400)));
}

/// `limits.agents_max` counts registered agents.
#[test]
fn registering_past_agents_max_is_refused() {
    let mut s = spec();
    s.limits.agents_max = Some(2);
    let g = given(&[
        Command::Configure { at: t(0), config: Box::new(s) },
        register(0, "ann", TIER1, &[(BILLING, 3)], chats(1)),
        register(0, "bob", TIER1, &[(BILLING, 3)], chats(1)),
    ]);
    assert_eq!(g.state.agents().len(), 2);
    g.when(register(1, "cy", TIER1, &[], chats(1)))
        .then_reject(Rejection::LimitReached { limit: "agents_max", max: 2 });
}

/// Escalating a ticket to the tier whose queue it is already in is refused; to another
/// tier it is taken.
#[test]
fn escalating_into_the_tier_a_ticket_is_in_is_refused() {
    let text = format!(
        "{CONFIG}\n[escalation]\ntiers = [{{ name = \"L1\", queue = \"chat\" }}, {{ name = \"L2\", queue = \"tech\" }}]\n\
         edges = [[\"L1\", \"L2\"]]\n"
    );
    let s: ConfigSpec = toml::from_str(&text).unwrap();
    let g = given(&[Command::Configure { at: t(0), config: Box::new(s) }, chat(1, 1)]);
    assert_eq!(g.state.ticket(TicketId(0)).unwrap().queue, CHAT);
    g.when(Command::Escalate { at: t(2), ticket: TicketId(0), tier: Some(0), note: None })
        .then_reject(Rejection::NoEscalation { ticket: TicketId(0), reason: "it is already in that tier" });
    let then = g.when(Command::Escalate { at: t(2), ticket: TicketId(0), tier: Some(1), note: None });
    assert!(then.events().iter().any(|e| matches!(e, Event::TicketEscalated { queue: TECH, tier: 1, .. })));
}

/// A new config that gives a queue a skill an open ticket of it would need beyond the
/// eight a ticket may carry is refused, naming the ticket and the queue; the same change
/// with the ticket resolved first is taken.
#[test]
fn a_config_change_that_overfills_an_open_tickets_skills_is_refused() {
    let mut old = spec();
    old.skills = (0..10).map(|i| format!("s{i}")).collect();
    for q in &mut old.queues {
        q.skills = Default::default();
    }
    let mut new = old.clone();
    new.queues[0].skills = [("s9".to_string(), 1)].into_iter().collect();
    let eight = TicketSpec { skills: needs(&(0..8).map(|i| (SkillId(i), 1)).collect::<Vec<_>>()), ..chat_spec(1) };
    let g = given(&[
        Command::Configure { at: t(0), config: Box::new(old) },
        Command::CreateTicket { at: t(1), spec: eight },
    ]);
    let r = g.when(Command::Configure { at: t(2), config: Box::new(new.clone()) }).result.unwrap_err();
    assert_eq!(r.code(), "incompatible_config", "{r}");
    assert!(r.to_string().contains("open ticket T0 would need more than 8 skills in queue \"chat\""), "{r}");
    let g = g.and(Command::Resolve { at: t(2), ticket: TicketId(0) });
    g.and(Command::Configure { at: t(3), config: Box::new(new) });
}
