//! Given/when/then for every command and every rejection.

use crate::fixture::*;
use crate::gwt::{Given, given};
use cs_core::event::{Assignment, PresenceReason, RequeueReason, TransferReason};
use cs_core::{
    AgentId, Capacity, Channel, Command, CustomerTier, Emotion, Event, Presence, QueueId, Rejection, SkillId, Strategy,
    TeamId, TicketId, TicketStatus, Urgency,
};

fn routed() -> Assignment {
    Assignment::Routed { strategy: Strategy::LongestIdle, overflow: false }
}

fn assigned(at: i64, ticket: u64, agent: u32) -> Event {
    Event::TicketAssigned { at: t(at), ticket: TicketId(ticket), agent: AgentId(agent), how: routed() }
}

/// Configured, with two tier-1 chat agents (billing 3, capacity 1 chat) logged in at 1 s
/// and 2 s, so agent 0 has been idle longest.
fn two_agents() -> Given {
    given(&[
        configure(),
        register(0, "ann", TIER1, &[(BILLING, 3)], chats(1)),
        register(0, "bob", TIER1, &[(BILLING, 3), (RETURNS, 2)], chats(1)),
        login(1, 0),
        login(2, 1),
    ])
}

/// A tier-1 agent with tech 3 on e-mail, and a tech ticket created at 2 s: the tech
/// queue admits experts only until 60 s, so the ticket waits.
fn tech_ticket_waiting_for_experts() -> Given {
    given(&[
        configure(),
        register(0, "tia", TIER1, &[(TECH_SKILL, 3)], Capacity::only(Channel::Email, 2)),
        login(1, 0),
        Command::CreateTicket {
            at: t(2),
            spec: cs_core::TicketSpec { channel: Channel::Email, queue: Some(TECH), ..chat_spec(7) },
        },
    ])
}

// ----- Configure -------------------------------------------------------------------------

#[test]
fn nothing_works_before_configure() {
    given(&[]).when(chat(0, 1)).then_reject(Rejection::NotConfigured);
}

#[test]
fn configure_records_the_config() {
    let then = given(&[]).when(configure());
    let events = then.events();
    assert_eq!(events.len(), 1);
    let Event::Configured { config, .. } = &events[0] else { panic!("{events:?}") };
    assert_eq!(config.spec(), &spec());
}

#[test]
fn invalid_config_is_refused_with_every_problem() {
    let mut s = spec();
    s.queues[0].skills.insert("billing".into(), 7);
    s.queues[1].name = "chat".into();
    let r = given(&[]).when(Command::Configure { at: t(0), config: Box::new(s) }).result.unwrap_err();
    let Rejection::InvalidConfig(e) = &r else { panic!("{r:?}") };
    let text = r.to_string();
    assert_eq!(e.problems.len(), 2, "{text}");
    assert!(text.contains("queues[0].skills.billing: proficiency 7 is outside 1..=5"), "{text}");
    assert!(text.contains("queues[1].name: duplicate queue \"chat\""), "{text}");
}

#[test]
fn reconfigure_may_only_append() {
    let mut s = spec();
    s.skills.swap(0, 1);
    let r = two_agents().when(Command::Configure { at: t(5), config: Box::new(s) }).result.unwrap_err();
    assert!(matches!(r, Rejection::IncompatibleConfig { .. }), "{r:?}");
    assert!(r.to_string().contains("skills[0] was \"billing\" and is now \"tech\""), "{r}");
}

#[test]
fn reconfigure_can_route_tickets_that_the_old_rules_left_waiting() {
    // A tech ticket at step 0 admits experts only; only a tier-1 agent with tech 3 is on.
    let g = tech_ticket_waiting_for_experts();
    assert_eq!(g.state.waiting_in(TECH), 1);
    let mut s = spec();
    s.queues[2].steps.clear();
    let events = g.when(Command::Configure { at: t(3), config: Box::new(s) }).events().to_vec();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1], assigned(3, 0, 0));
}

// ----- Agents ----------------------------------------------------------------------------

#[test]
fn register_agent_starts_offline() {
    let g = given(&[configure(), register(0, "ann", TIER1, &[(BILLING, 3), (BILLING, 4)], chats(2))]);
    let a = g.state.agent(AgentId(0)).unwrap();
    assert_eq!(a.presence, Presence::Offline);
    assert_eq!(a.skills, vec![(BILLING, 4)], "a skill named twice keeps its higher level");
    assert_eq!(g.state.agent_by_key("ann").unwrap().id, AgentId(0));
}

#[test]
fn register_agent_rejections() {
    let g = given(&[configure(), register(0, "ann", TIER1, &[], chats(1))]);
    g.when(register(1, "ann", TIER1, &[], chats(1))).then_reject(Rejection::DuplicateAgentKey { key: "ann".into() });
    g.when(register(1, " ", TIER1, &[], chats(1))).then_reject(Rejection::Empty { field: "key" });
    g.when(register(1, "x", TeamId(9), &[], chats(1))).then_reject(Rejection::UnknownTeam { team: TeamId(9) });
    g.when(register(1, "x", TIER1, &[(SkillId(42), 1)], chats(1)))
        .then_reject(Rejection::UnknownSkill { skill: SkillId(42) });
    g.when(register(1, "x", TIER1, &[(BILLING, 7)], chats(1)))
        .then_reject(Rejection::InvalidProficiency { skill: BILLING, level: 7 });
    g.when(Command::RegisterAgent {
        at: t(1),
        key: "x".into(),
        team: TIER1,
        tier: None,
        skills: vec![],
        languages: cs_core::LanguageSet(1 << 5),
        capacity: chats(1),
    })
    .then_reject(Rejection::UnknownLanguage { language: cs_core::LanguageId(5) });
}

#[test]
fn login_takes_waiting_tickets_best_first() {
    let g = given(&[
        configure(),
        register(0, "ann", TIER1, &[(BILLING, 3)], chats(2)),
        chat(1, 1),
        Command::CreateTicket { at: t(2), spec: cs_core::TicketSpec { tier: CustomerTier::Vip, ..chat_spec(2) } },
        chat(3, 3),
    ]);
    assert_eq!(g.state.queue_position(TicketId(1)), Some(1));
    assert_eq!(g.state.queue_position(TicketId(0)), Some(2));
    assert_eq!(g.state.queue_position(TicketId(2)), Some(3));
    g.when(login(4, 0)).then_expect(&[
        Event::AgentPresenceChanged {
            at: t(4),
            agent: AgentId(0),
            presence: Presence::Available,
            reason: PresenceReason::Requested,
        },
        assigned(4, 1, 0),
        assigned(4, 0, 0),
    ]);
}

#[test]
fn login_of_unknown_agent_is_refused() {
    given(&[configure()]).when(login(1, 3)).then_reject(Rejection::UnknownAgent { agent: AgentId(3) });
}

#[test]
fn logout_requeues_held_tickets_with_their_age_and_reroutes_them() {
    let g = two_agents().and(chat(3, 1));
    assert_eq!(g.state.ticket(TicketId(0)).unwrap().agent, Some(AgentId(0)));
    let then = g.when(Command::Logout { at: t(10), agent: AgentId(0) });
    then.then_expect(&[
        Event::TicketRequeued { at: t(10), ticket: TicketId(0), reason: RequeueReason::AgentOffline },
        Event::AgentPresenceChanged {
            at: t(10),
            agent: AgentId(0),
            presence: Presence::Offline,
            reason: PresenceReason::Requested,
        },
        assigned(10, 0, 1),
    ]);
    let after = then.state_after();
    let tk = after.ticket(TicketId(0)).unwrap();
    assert_eq!(tk.queued_since, t(3), "the re-queued ticket keeps its original age");
    assert_eq!(tk.answered_at, Some(t(3)));
}

#[test]
fn presence_changes() {
    let g = two_agents();
    g.when(Command::SetPresence { at: t(3), agent: AgentId(0), presence: Presence::Offline })
        .then_reject(Rejection::PresenceNotSettable { presence: Presence::Offline });
    let off = given(&[configure(), register(0, "ann", TIER1, &[], chats(1))]);
    off.when(Command::SetPresence { at: t(3), agent: AgentId(0), presence: Presence::Away })
        .then_reject(Rejection::AgentNotAvailable { agent: AgentId(0), presence: Presence::Offline });
    // Away agents take nothing; coming back they take the waiting ticket.
    let g = g
        .and(Command::SetPresence { at: t(3), agent: AgentId(0), presence: Presence::Away })
        .and(Command::SetPresence { at: t(3), agent: AgentId(1), presence: Presence::Busy })
        .and(chat(4, 1));
    assert_eq!(g.state.waiting_in(CHAT), 1);
    g.when(Command::SetPresence { at: t(5), agent: AgentId(1), presence: Presence::Available }).then_expect(&[
        Event::AgentPresenceChanged {
            at: t(5),
            agent: AgentId(1),
            presence: Presence::Available,
            reason: PresenceReason::Requested,
        },
        assigned(5, 0, 1),
    ]);
}

#[test]
fn gaining_a_skill_takes_a_waiting_ticket() {
    let g = given(&[configure(), register(0, "ann", TIER1, &[], chats(1)), login(1, 0), chat(2, 1)]);
    assert_eq!(g.state.waiting_in(CHAT), 1);
    g.when(Command::SetAgentSkills { at: t(3), agent: AgentId(0), skills: vec![(BILLING, 1)] }).then_expect(&[
        Event::AgentSkillsChanged { at: t(3), agent: AgentId(0), skills: vec![(BILLING, 1)] },
        assigned(3, 0, 0),
    ]);
    g.when(Command::SetAgentSkills { at: t(3), agent: AgentId(0), skills: vec![(BILLING, 0)] })
        .then_reject(Rejection::InvalidProficiency { skill: BILLING, level: 0 });
}

#[test]
fn more_capacity_takes_a_waiting_ticket() {
    let g = two_agents().and(chat(3, 1)).and(chat(3, 2)).and(chat(3, 3));
    assert_eq!(g.state.waiting_in(CHAT), 1);
    g.when(Command::SetAgentCapacity { at: t(4), agent: AgentId(1), capacity: chats(2) }).then_expect(&[
        Event::AgentCapacityChanged { at: t(4), agent: AgentId(1), capacity: chats(2) },
        assigned(4, 2, 1),
    ]);
}

// ----- Tickets -----------------------------------------------------------------------------

#[test]
fn a_new_ticket_goes_to_the_longest_idle_qualified_agent() {
    let mut spec = chat_spec(5);
    spec.queue = Some(CHAT);
    let then = two_agents().when(Command::CreateTicket { at: t(3), spec: spec.clone() });
    then.then_expect(&[Event::TicketCreated { at: t(3), ticket: TicketId(0), spec }, assigned(3, 0, 0)]);
    // Needing returns: only bob qualifies, although ann has been idle longer.
    let mut spec = chat_spec(6);
    spec.skills = needs(&[(RETURNS, 2)]);
    let events = two_agents().when(Command::CreateTicket { at: t(3), spec }).events().to_vec();
    assert_eq!(events[1], assigned(3, 0, 1));
}

#[test]
fn a_ticket_nobody_can_take_waits() {
    let mut spec = chat_spec(5);
    spec.skills = needs(&[(BILLING, 4)]);
    let then = two_agents().when(Command::CreateTicket { at: t(3), spec });
    assert_eq!(then.events().len(), 1);
    let after = then.state_after();
    assert_eq!(after.ticket(TicketId(0)).unwrap().status, TicketStatus::Queued);
    assert_eq!(after.queue_position(TicketId(0)), Some(1));
}

#[test]
fn create_ticket_rejections() {
    let g = given(&[configure(), chat(1, 1), chat(1, 2), chat(1, 3)]);
    g.when(chat(2, 4)).then_reject(Rejection::QueueFull { queue: CHAT, depth_max: 3 });
    let mut s = chat_spec(1);
    s.queue = Some(QueueId(9));
    g.when(Command::CreateTicket { at: t(2), spec: s }).then_reject(Rejection::UnknownQueue { queue: QueueId(9) });
    let mut s = chat_spec(1);
    s.channel = Channel::Phone;
    g.when(Command::CreateTicket { at: t(2), spec: s })
        .then_reject(Rejection::NoQueueFor { channel: Channel::Phone, category: None });
    let mut s = chat_spec(1);
    s.channel = Channel::Email;
    s.skills = needs(&[(SkillId(40), 1)]);
    g.when(Command::CreateTicket { at: t(2), spec: s }).then_reject(Rejection::UnknownSkill { skill: SkillId(40) });
    let mut s = chat_spec(1);
    s.channel = Channel::Email;
    s.category = Some(cs_core::CategoryId(8));
    g.when(Command::CreateTicket { at: t(2), spec: s })
        .then_reject(Rejection::UnknownCategory { category: cs_core::CategoryId(8) });
    let mut s = chat_spec(1);
    s.channel = Channel::Email;
    s.language = Some(cs_core::LanguageId(3));
    g.when(Command::CreateTicket { at: t(2), spec: s })
        .then_reject(Rejection::UnknownLanguage { language: cs_core::LanguageId(3) });
    let mut s = chat_spec(1);
    s.channel = Channel::Email;
    s.key = Some("order-1".into());
    let g2 = given(&[configure(), Command::CreateTicket { at: t(1), spec: s.clone() }]);
    g2.when(Command::CreateTicket { at: t(2), spec: s })
        .then_reject(Rejection::DuplicateTicketKey { key: "order-1".into() });
    assert_eq!(g2.state.ticket_by_key("order-1").unwrap().id, TicketId(0));
}

/// Keys are printed in tables and logs: a newline, a NUL or a terminal escape in one is
/// refused, naming the character (they used to be taken as they came).
#[test]
fn keys_with_control_characters_are_refused() {
    let g = given(&[configure()]);
    for key in ["a\nb", "nul\0", "\u{1b}[2J"] {
        match g.when(register(0, key, TIER1, &[], chats(1))).result.clone().unwrap_err() {
            Rejection::Invalid { field: "key", reason } => assert!(reason.contains("control character"), "{reason}"),
            other => panic!("{key:?}: {other:?}"),
        }
        let mut s = chat_spec(1);
        s.key = Some(key.into());
        match g.when(Command::CreateTicket { at: t(1), spec: s }).result.clone().unwrap_err() {
            Rejection::Invalid { field: "key", reason } => assert!(reason.contains("control character"), "{reason}"),
            other => panic!("{key:?}: {other:?}"),
        }
    }
}

#[test]
fn too_many_skills_with_the_queue_is_refused() {
    let mut s = spec();
    s.skills = (0..10).map(|i| format!("s{i}")).collect();
    s.queues[0].skills = [("s9".to_string(), 1)].into_iter().collect();
    s.queues[2].skills = Default::default();
    let g = given(&[Command::Configure { at: t(0), config: Box::new(s) }]);
    let mut ts = chat_spec(1);
    ts.skills = needs(&(0..8).map(|i| (SkillId(i), 1)).collect::<Vec<_>>());
    g.when(Command::CreateTicket { at: t(1), spec: ts }).then_reject(Rejection::TooManySkills { max: 8 });
}

#[test]
fn open_ticket_limit_is_enforced() {
    let mut s = spec();
    s.limits.tickets_open_max = Some(1);
    let g = given(&[Command::Configure { at: t(0), config: Box::new(s) }, chat(1, 1)]);
    g.when(chat(2, 2)).then_reject(Rejection::LimitReached { limit: "tickets_open_max", max: 1 });
}

#[test]
fn update_reprioritises_a_waiting_ticket() {
    let g = given(&[configure(), chat(1, 1), chat(2, 2)]);
    assert_eq!(g.state.queue_position(TicketId(1)), Some(2));
    let then = g.when(Command::UpdateTicket {
        at: t(3),
        ticket: TicketId(1),
        tier: None,
        urgency: Some(Urgency::Critical),
        emotion: Some(Emotion::Angry),
    });
    then.then_expect(&[Event::TicketUpdated {
        at: t(3),
        ticket: TicketId(1),
        tier: CustomerTier::Standard,
        urgency: Urgency::Critical,
        emotion: Emotion::Angry,
    }]);
    assert_eq!(then.state_after().queue_position(TicketId(1)), Some(1));
    // No change, no event.
    g.when(Command::UpdateTicket { at: t(3), ticket: TicketId(1), tier: None, urgency: None, emotion: None })
        .then_expect(&[]);
}

#[test]
fn updating_a_closed_ticket_is_refused() {
    let g = given(&[configure(), chat(1, 1), Command::Abandon { at: t(2), ticket: TicketId(0) }]);
    g.when(Command::UpdateTicket {
        at: t(3),
        ticket: TicketId(0),
        tier: None,
        urgency: Some(Urgency::High),
        emotion: None,
    })
    .then_reject(Rejection::TicketClosed { ticket: TicketId(0), status: TicketStatus::Abandoned });
}

#[test]
fn manual_assignment_checks_skills_and_capacity_unless_forced() {
    let g = given(&[
        configure(),
        register(0, "ann", TIER1, &[(BILLING, 3)], chats(1)),
        register(0, "zed", TIER1, &[], chats(1)),
        chat(1, 1),
        chat(1, 2),
        login(2, 0),
    ]);
    // ann took ticket 0 on login and is full.
    assert_eq!(g.state.ticket(TicketId(0)).unwrap().agent, Some(AgentId(0)));
    let assign =
        |agent: u32, force: bool| Command::AssignTicket { at: t(3), ticket: TicketId(1), agent: AgentId(agent), force };
    g.when(assign(1, false))
        .then_reject(Rejection::AgentNotAvailable { agent: AgentId(1), presence: Presence::Offline });
    let g2 = g.and(login(3, 1));
    g2.when(assign(1, false)).then_reject(Rejection::AgentLacksSkill {
        agent: AgentId(1),
        skill: BILLING,
        required: 1,
        has: 0,
    });
    g2.when(assign(0, false)).then_reject(Rejection::CapacityExhausted { agent: AgentId(0), channel: Channel::Chat });
    g2.when(assign(0, true)).then_expect(&[Event::TicketAssigned {
        at: t(3),
        ticket: TicketId(1),
        agent: AgentId(0),
        how: Assignment::Manual { forced: true },
    }]);
    g2.when(Command::AssignTicket { at: t(3), ticket: TicketId(0), agent: AgentId(0), force: false }).then_reject(
        Rejection::InvalidTransition { ticket: TicketId(0), status: TicketStatus::Assigned, action: "assign" },
    );
}

#[test]
fn forced_assignment_never_passes_the_hard_limit() {
    let mut s = spec();
    s.limits.agent_tickets_max = Some(1);
    let g = given(&[
        Command::Configure { at: t(0), config: Box::new(s) },
        register(0, "ann", TIER1, &[(BILLING, 3)], chats(3)),
        login(1, 0),
        chat(2, 1),
        chat(2, 2),
    ]);
    g.when(Command::AssignTicket { at: t(3), ticket: TicketId(1), agent: AgentId(0), force: true })
        .then_reject(Rejection::AgentTicketsMax { agent: AgentId(0), max: 1 });
}

#[test]
fn agent_reply_records_first_response() {
    let g = two_agents().and(chat(3, 1));
    let then = g.when(Command::AgentReply { at: t(8), ticket: TicketId(0) });
    then.then_expect(&[Event::AgentReplied { at: t(8), ticket: TicketId(0), agent: AgentId(0) }]);
    assert_eq!(then.state_after().ticket(TicketId(0)).unwrap().first_response_at, Some(t(8)));
    let waiting = given(&[configure(), chat(1, 1)]);
    waiting.when(Command::AgentReply { at: t(2), ticket: TicketId(0) }).then_reject(Rejection::InvalidTransition {
        ticket: TicketId(0),
        status: TicketStatus::Queued,
        action: "reply to",
    });
}

#[test]
fn pending_frees_the_agent_and_a_customer_reply_brings_the_ticket_back() {
    let g = two_agents().and(chat(3, 1)).and(chat(3, 2)).and(chat(3, 3));
    // Both agents busy, ticket 2 waits.
    let then = g.when(Command::SetPending { at: t(5), ticket: TicketId(0) });
    then.then_expect(&[Event::TicketPending { at: t(5), ticket: TicketId(0) }, assigned(5, 2, 0)]);
    let g = g.and(Command::SetPending { at: t(5), ticket: TicketId(0) });
    assert_eq!(g.state.ticket(TicketId(0)).unwrap().status, TicketStatus::WaitingOnCustomer);
    // The customer replies; nobody is free, so it waits from now.
    let then = g.when(Command::CustomerMessage { at: t(9), ticket: TicketId(0) });
    then.then_expect(&[
        Event::CustomerReplied { at: t(9), ticket: TicketId(0) },
        Event::TicketReactivated { at: t(9), ticket: TicketId(0) },
    ]);
    let after = then.state_after();
    assert_eq!(after.ticket(TicketId(0)).unwrap().queued_since, t(9));
    // A message on an assigned ticket changes no state beyond the event.
    g.when(Command::CustomerMessage { at: t(9), ticket: TicketId(1) })
        .then_expect(&[Event::CustomerReplied { at: t(9), ticket: TicketId(1) }]);
    given(&[configure(), chat(1, 1)]).when(Command::SetPending { at: t(2), ticket: TicketId(0) }).then_reject(
        Rejection::InvalidTransition { ticket: TicketId(0), status: TicketStatus::Queued, action: "set pending" },
    );
}

#[test]
fn transfer_moves_the_ticket_and_frees_the_agent() {
    let g = two_agents()
        .and(register(2, "eve", EXPERTS, &[(BILLING, 1)], Capacity::only(Channel::Chat, 1)))
        .and(login(2, 2))
        .and(chat(3, 1))
        .and(chat(3, 2))
        .and(chat(3, 3))
        .and(chat(3, 4));
    // ann, bob, eve hold tickets 0, 1, 2; ticket 3 waits in chat.
    let then = g.when(Command::Transfer { at: t(6), ticket: TicketId(0), queue: EMAIL });
    then.then_expect(&[
        Event::TicketTransferred { at: t(6), ticket: TicketId(0), queue: EMAIL, reason: TransferReason::Requested },
        assigned(6, 3, 0),
    ]);
    let after = then.state_after();
    let tk = after.ticket(TicketId(0)).unwrap();
    assert_eq!((tk.queue, tk.status, tk.transfer_count), (EMAIL, TicketStatus::Queued, 1));
    assert_eq!(tk.avoid_agents, vec![AgentId(0)]);
    g.when(Command::Transfer { at: t(6), ticket: TicketId(0), queue: QueueId(7) })
        .then_reject(Rejection::UnknownQueue { queue: QueueId(7) });
}

#[test]
fn resolving_frees_the_agent_for_the_highest_priority_waiting_ticket() {
    let g = two_agents().and(chat(3, 1)).and(chat(3, 2)).and(chat(4, 3)).and(Command::CreateTicket {
        at: t(5),
        spec: cs_core::TicketSpec { tier: CustomerTier::Gold, ..chat_spec(4) },
    });
    let then = g.when(Command::Resolve { at: t(9), ticket: TicketId(1) });
    then.then_expect(&[Event::TicketResolved { at: t(9), ticket: TicketId(1) }, assigned(9, 3, 1)]);
}

#[test]
fn resolve_rejections() {
    let g = two_agents().and(chat(3, 1)).and(Command::Resolve { at: t(4), ticket: TicketId(0) });
    g.when(Command::Resolve { at: t(5), ticket: TicketId(0) })
        .then_reject(Rejection::TicketClosed { ticket: TicketId(0), status: TicketStatus::Resolved });
    g.when(Command::Resolve { at: t(5), ticket: TicketId(7) })
        .then_reject(Rejection::UnknownTicket { ticket: TicketId(7) });
}

#[test]
fn reopen_within_the_window_only() {
    let g = given(&[configure(), chat(1, 1), Command::Resolve { at: t(2), ticket: TicketId(0) }]);
    let then = g.when(Command::Reopen { at: t(10), ticket: TicketId(0) });
    then.then_expect(&[Event::TicketReopened { at: t(10), ticket: TicketId(0) }]);
    let after = then.state_after();
    let tk = after.ticket(TicketId(0)).unwrap();
    assert_eq!((tk.status, tk.reopen_count, tk.queued_since), (TicketStatus::Queued, 1, t(10)));
    let week = 7 * 86_400;
    g.when(Command::Reopen { at: t(2 + week), ticket: TicketId(0) })
        .then_reject(Rejection::TicketArchived { ticket: TicketId(0) });
    // Once later events retire it, it is archived for good.
    let g = g.and(chat(2 + week, 2));
    assert!(g.state.ticket(TicketId(0)).is_none());
    g.when(Command::Reopen { at: t(3 + week), ticket: TicketId(0) })
        .then_reject(Rejection::TicketArchived { ticket: TicketId(0) });
    given(&[configure(), chat(1, 1)]).when(Command::Reopen { at: t(2), ticket: TicketId(0) }).then_reject(
        Rejection::InvalidTransition { ticket: TicketId(0), status: TicketStatus::Queued, action: "reopen" },
    );
}

/// The reopen window is the closed-ticket retention. A ticket past it is refused as
/// archived even while nothing has retired it from memory yet (no event since), up to the
/// millisecond: closed at 2 s with a 60 s retention, it reopens at 61 s and not at 62 s.
#[test]
fn a_reopen_past_the_retention_is_refused_as_archived_while_still_in_memory() {
    let mut s = spec();
    s.limits.closed_ticket_retention_s = Some(60);
    let g = given(&[
        Command::Configure { at: t(0), config: Box::new(s) },
        chat(1, 1),
        Command::Resolve { at: t(2), ticket: TicketId(0) },
    ]);
    g.when(Command::Reopen { at: t(62), ticket: TicketId(0) })
        .then_reject(Rejection::TicketArchived { ticket: TicketId(0) });
    g.when(Command::Reopen { at: t(61), ticket: TicketId(0) })
        .then_expect(&[Event::TicketReopened { at: t(61), ticket: TicketId(0) }]);
}

#[test]
fn abandon_only_while_waiting() {
    let g = two_agents().and(chat(3, 1)).and(chat(3, 2)).and(chat(3, 3));
    g.when(Command::Abandon { at: t(4), ticket: TicketId(2) })
        .then_expect(&[Event::TicketAbandoned { at: t(4), ticket: TicketId(2) }]);
    g.when(Command::Abandon { at: t(4), ticket: TicketId(0) }).then_reject(Rejection::InvalidTransition {
        ticket: TicketId(0),
        status: TicketStatus::Assigned,
        action: "abandon",
    });
}

#[test]
fn commands_in_the_past_are_refused() {
    let g = two_agents().and(chat(10, 1));
    g.when(chat(9, 2)).then_reject(Rejection::InThePast { at: t(9), last: t(10) });
}

#[test]
fn tick_advances_relaxation_steps_and_routes() {
    // A tier-1 agent with tech 3 may take tech tickets only from 60 s on.
    let g = tech_ticket_waiting_for_experts();
    assert_eq!(g.state.ticket(TicketId(0)).unwrap().queue, TECH);
    assert_eq!(g.state.next_deadline(), Some(t(62)));
    g.when(Command::Tick { at: t(61) }).then_expect(&[]);
    let expect = [
        Event::TicketStepReached { at: t(62), ticket: TicketId(0), step: 1 },
        Event::TicketAssigned {
            at: t(62),
            ticket: TicketId(0),
            agent: AgentId(0),
            how: Assignment::Routed { strategy: Strategy::LongestIdle, overflow: false },
        },
    ];
    g.when(Command::Tick { at: t(62) }).then_expect(&expect);
    // Any later command fires the same timer first, at its own time.
    let later = g.when(chat(90, 1));
    assert_eq!(&later.events()[..2], &expect);
}

#[test]
fn manual_assignment_refuses_an_agent_without_the_tickets_language_before_its_skills() {
    // The one eligibility rule checks the language before the skills, for routing, its
    // explanation and manual assignment alike: an agent lacking both is refused for the
    // language.
    let g = given(&[
        configure(),
        register(0, "ann", TIER1, &[(BILLING, 3)], chats(1)),
        register(0, "zed", TIER1, &[], chats(1)),
        login(1, 0),
        login(1, 1),
        Command::CreateTicket {
            at: t(2),
            spec: cs_core::TicketSpec { language: Some(cs_core::LanguageId(1)), ..chat_spec(1) },
        },
    ]);
    assert_eq!(g.state.ticket(TicketId(0)).unwrap().status, TicketStatus::Queued, "nobody speaks German");
    let assign =
        |agent: u32, force: bool| Command::AssignTicket { at: t(3), ticket: TicketId(0), agent: AgentId(agent), force };
    for force in [false, true] {
        g.when(assign(0, force))
            .then_reject(Rejection::AgentLacksLanguage { agent: AgentId(0), language: cs_core::LanguageId(1) });
        g.when(assign(1, force))
            .then_reject(Rejection::AgentLacksLanguage { agent: AgentId(1), language: cs_core::LanguageId(1) });
    }
}
