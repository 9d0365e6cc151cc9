//! Given/when/then for the routing rules a team auditing its routing must be able to
//! predict from `docs/ROUTING.md` alone (issue 22): the step validator, exact loads under
//! least occupied, timers due at the same instant, and each rule the document pins down
//! where it used to allow more than one answer.

use crate::fixture::t;
use crate::gwt::given;
use crate::routing::{BASE, agent, chat, config, holder, login, routed, ticket_spec};
use cs_core::event::{Assignment, PresenceReason, RequeueReason};
use cs_core::explain::TieBreak;
use cs_core::sla::ClockKind;
use cs_core::{
    AgentId, Capacity, Channel, Command, Config, ConfigSpec, CustomerTier, Event, Presence, QueueId, SkillId,
    SkillNeed, SkillNeeds, Strategy, TicketId, TicketSpec, TicketStatus, Timestamp,
};

/// The problems `Config::new` finds in `BASE` plus `queues`, as `path: message` lines.
fn problems(queues: &str) -> Vec<String> {
    let spec: ConfigSpec = toml::from_str(&format!("{BASE}\n{queues}")).expect("test config parses");
    match Config::new(spec) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems.iter().map(|p| format!("{}: {}", p.path, p.message)).collect(),
    }
}

fn create(at: Timestamp, spec: TicketSpec) -> Command {
    Command::CreateTicket { at, spec }
}

fn email(at: i64, customer: u64) -> Command {
    create(t(at), ticket_spec(customer, Channel::Email))
}

/// A chat from `customer` with the given tier.
fn chat_of(at: Timestamp, customer: u64, tier: CustomerTier) -> Command {
    create(at, TicketSpec { tier, ..ticket_spec(customer, Channel::Chat) })
}

fn skills(list: &[(u16, u8)]) -> SkillNeeds {
    SkillNeeds::new(list.iter().map(|&(s, min)| SkillNeed { skill: SkillId(s), min })).unwrap()
}

fn assigned(at: i64, ticket: u64, agent: u32, strategy: Strategy) -> Event {
    Event::TicketAssigned { at: t(at), ticket: TicketId(ticket), agent: AgentId(agent), how: routed(strategy) }
}

fn step_reached(at: i64, ticket: u64, step: u8) -> Event {
    Event::TicketStepReached { at: t(at), ticket: TicketId(ticket), step }
}

// ----- fix 1: a step down to proficiency 1 ------------------------------------------------------

/// Issue 22, fix 1: from the queue's minimums (no step minimum yet) down to 1 can only
/// widen; it was refused as tightening.
#[test]
fn a_step_down_to_proficiency_one_is_accepted_and_widens() {
    let g = given(&[
        config(
            "[[queues]]\nname = \"billing\"\nchannels = [\"chat\"]\nskills = { billing = 3 }\n\
             steps = [{ after_s = 45, proficiency_min = 1 }]",
        ),
        agent("novice", 0, &[(0, 1)], Capacity::only(Channel::Chat, 1)),
        login(1, 0),
        chat(2, 1),
    ]);
    assert!(g.state.ticket(TicketId(0)).unwrap().is_waiting(), "billing 1 is below the queue's 3");
    g.when(Command::Tick { at: t(47) })
        .then_expect(&[step_reached(47, 0, 1), assigned(47, 0, 0, Strategy::LongestIdle)]);
}

/// A step minimum below every minimum a ticket of the queue can have loosens for all of
/// them: when the queue requires every skill there is, no ticket needs less than the
/// lowest of the queue's minimums.
#[test]
fn a_step_minimum_below_every_minimum_the_queue_allows_is_accepted() {
    // BASE has two skills, billing and tech; this queue requires both.
    let queue = "[[queues]]\nname = \"q\"\nchannels = [\"chat\"]\nskills = { billing = 4, tech = 3 }\n\
                 steps = [{ after_s = 30, proficiency_min = 2 }]";
    assert_eq!(problems(queue), Vec::<String>::new());
    let g = given(&[config(queue), agent("two", 0, &[(0, 2), (1, 2)], Capacity::only(Channel::Chat, 1)), login(1, 0)])
        .and(chat(1, 1));
    g.when(Command::Tick { at: t(31) })
        .then_expect(&[step_reached(31, 0, 1), assigned(31, 0, 0, Strategy::LongestIdle)]);
}

/// Steps may only loosen, for every ticket the queue can hold: a later step whose minimum
/// is above what some ticket needs would raise it (a step's minimum replaces the
/// ticket's own), so it is refused with the way out.
#[test]
fn a_later_step_that_could_raise_a_tickets_own_minimum_is_refused() {
    // Only billing is the queue's: a ticket may also need tech at 1, which 2 would raise.
    let p =
        problems("[[queues]]\nname = \"q\"\nskills = { billing = 4 }\nsteps = [{ after_s = 30, proficiency_min = 2 }]");
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(
        p[0].starts_with("queues[0].steps[0]: proficiency_min = 2 raises the minimum of a ticket needing a skill at 1"),
        "{p:#?}"
    );
    assert!(p[0].contains("after_s = 0"), "names the way out: {p:#?}");
    // Made explicit from the start, the same relaxation is accepted.
    let ok = "[[queues]]\nname = \"q\"\nskills = { billing = 4 }\n\
              steps = [{ after_s = 0, proficiency_min = 4 }, { after_s = 30, proficiency_min = 2 }]";
    assert_eq!(problems(ok), Vec::<String>::new());
    // Between two step minimums the comparison is plain.
    let p = problems(
        "[[queues]]\nname = \"q\"\nsteps = [{ after_s = 0, proficiency_min = 2 }, { after_s = 30, proficiency_min = 3 }]",
    );
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].starts_with("queues[0].steps[1]: tightens the criteria of the previous step"), "{p:#?}");
}

// ----- fix 2: least occupied compares loads exactly ---------------------------------------------

const LEAST_OCCUPIED: &str = r#"
[[queues]]
name = "chat"
channels = ["chat"]
strategy = "least_occupied"
[[queues]]
name = "email"
channels = ["email"]
strategy = "least_occupied"
"#;

fn chats_and_emails(chats: u8, emails: u8) -> Capacity {
    let mut c = Capacity::only(Channel::Chat, chats);
    c.per_channel.set(Channel::Email, emails);
    c
}

/// Issue 22, fix 2, across pools: p holds 2 of 3 chats and 1 of 3 e-mails (exactly 1);
/// q holds 1 of 1 e-mail and no chat (exactly 1) and has been idle longer. Equal loads,
/// so the longer idle wins. Rounded to thousandths, p counted 0.999 and won.
#[test]
fn least_occupied_ties_equal_loads_exactly_across_profiles() {
    let g = given(&[
        config(LEAST_OCCUPIED),
        agent("p", 0, &[], chats_and_emails(3, 3)),
        agent("q", 0, &[], chats_and_emails(2, 1)),
        login(1, 1),
        email(2, 1), // q, alone: q is at 1/1, idle since 2 s
        login(3, 0),
        chat(4, 2),  // p (0 against 1)
        chat(5, 3),  // p (1/3 against 1)
        email(6, 4), // p (q's e-mail is full): p at 2/3 + 1/3 = 1, idle since 6 s
    ]);
    let holders: Vec<u32> = (0..4).map(|i| holder(&g, i).unwrap().0).collect();
    assert_eq!(holders, vec![1, 0, 0, 0]);
    let then = g.when(chat(7, 5));
    assert_eq!(then.events()[1], assigned(7, 4, 1, Strategy::LeastOccupied));
    // The explanation agrees, and says the idle time decided.
    let mut log = g.log.clone();
    log.extend(then.events().iter().cloned());
    let (why, _) = cs_core::explain_assignment(&log, log.len() - 1).unwrap();
    assert_eq!(why.chosen, Some(AgentId(1)));
    assert_eq!(why.tie_break, Some(TieBreak::Secondary));
    let (p, q) = (why.candidates[1].rank, why.candidates[0].rank);
    assert_eq!((p.primary, p.primary_of, q.primary, q.primary_of), (3, 3, 2, 2), "1 = 3/3 = 2/2");
}

/// Issue 22, fix 2, within one profile: p2 holds 3 of 3 e-mails, p1 2 of 3 chats and 1 of
/// 3 e-mails; both exactly 1, p2 idle longer.
#[test]
fn least_occupied_ties_equal_loads_exactly_within_a_profile() {
    let g = given(&[
        config(LEAST_OCCUPIED),
        agent("p1", 0, &[], chats_and_emails(3, 3)),
        agent("p2", 0, &[], chats_and_emails(3, 3)),
        login(1, 1),
        email(2, 1),
        email(3, 2),
        email(4, 3), // p2 at 3/3 e-mails, idle since 4 s
        login(5, 0),
        chat(6, 4),
        chat(7, 5),
        email(8, 6), // p1 at 2/3 + 1/3, idle since 8 s
    ]);
    let holders: Vec<u32> = (0..6).map(|i| holder(&g, i).unwrap().0).collect();
    assert_eq!(holders, vec![1, 1, 1, 0, 0, 0]);
    assert_eq!(g.when(chat(9, 7)).events()[1], assigned(9, 6, 1, Strategy::LeastOccupied));
}

// ----- fix 3: timers due at the same instant ----------------------------------------------------

const TWO_STEPS: &str = r#"
[[queues]]
name = "billing"
channels = ["chat"]
skills = { billing = 1 }
steps = [{ after_s = 0, proficiency_min = 4 }, { after_s = 30, proficiency_min = 2 }]
"#;

/// Issue 22, fix 3: two tickets reach a step at the same millisecond and one agent becomes
/// eligible: the agent gets the higher priority (the VIP, ticket 1), not the lower id.
#[test]
fn tickets_reaching_a_step_at_the_same_instant_go_best_first() {
    let g = given(&[
        config(TWO_STEPS),
        agent("junior", 0, &[(0, 2)], Capacity::only(Channel::Chat, 1)),
        login(1, 0),
        chat_of(t(2), 1, CustomerTier::Standard),
        chat_of(t(2), 2, CustomerTier::Vip),
    ]);
    g.when(Command::Tick { at: t(32) }).then_expect(&[
        step_reached(32, 0, 1),
        step_reached(32, 1, 1),
        assigned(32, 1, 0, Strategy::LongestIdle),
    ]);
}

/// Issue 22, fix 3, for re-queues: two offers expire at the same instant and both agents
/// are set away; the one free agent is offered the VIP's ticket, not the lower id.
#[test]
fn offers_expiring_at_the_same_instant_are_routed_best_first() {
    let g = given(&[
        config("[[queues]]\nname = \"chat\"\nchannels = [\"chat\"]\noffer = { timeout_s = 20, away_after_missed = 1 }"),
        agent("x", 0, &[], Capacity::only(Channel::Chat, 1)),
        agent("y", 0, &[], Capacity::only(Channel::Chat, 1)),
        agent("z", 0, &[], Capacity::only(Channel::Chat, 1)),
        login(1, 0),
        login(2, 1),
        chat_of(t(5), 1, CustomerTier::Standard), // offered to x
        chat_of(t(5), 2, CustomerTier::Vip),      // offered to y
        login(10, 2),
    ]);
    let away = |agent: u32| Event::AgentPresenceChanged {
        at: t(25),
        agent: AgentId(agent),
        presence: Presence::Away,
        reason: PresenceReason::MissedOffers,
    };
    let requeued = |ticket: u64| Event::TicketRequeued {
        at: t(25),
        ticket: TicketId(ticket),
        reason: RequeueReason::OfferExpired,
    };
    g.when(Command::Tick { at: t(25) }).then_expect(&[
        requeued(0),
        away(0),
        requeued(1),
        away(1),
        Event::TicketOffered {
            at: t(25),
            ticket: TicketId(1),
            agent: AgentId(2),
            how: routed(Strategy::LongestIdle),
            expires_at: t(45),
        },
    ]);
}

// ----- documented rules -------------------------------------------------------------------------

/// A timer due exactly at a command's time fires before the command: at 32 s the step
/// gives the ticket to the junior, then the junior goes away (keeping it).
#[test]
fn a_timer_due_at_a_commands_instant_fires_before_the_command() {
    let g = given(&[
        config(TWO_STEPS),
        agent("junior", 0, &[(0, 2)], Capacity::only(Channel::Chat, 1)),
        login(1, 0),
        chat(2, 1),
    ]);
    let away = Command::SetPresence { at: t(32), agent: AgentId(0), presence: Presence::Away };
    g.when(away).then_expect(&[
        step_reached(32, 0, 1),
        assigned(32, 0, 0, Strategy::LongestIdle),
        Event::AgentPresenceChanged {
            at: t(32),
            agent: AgentId(0),
            presence: Presence::Away,
            reason: PresenceReason::Requested,
        },
    ]);
    // One millisecond earlier the command comes first, and the step finds nobody.
    let early = Command::SetPresence { at: t(32).plus_ms(-1), agent: AgentId(0), presence: Presence::Away };
    let g = g.and(early);
    g.when(Command::Tick { at: t(32) }).then_expect(&[step_reached(32, 0, 1)]);
}

/// Round robin's "longest since the last assignment" counts assignments in the order they
/// were made, also within one instant: at 10 s y is assigned before x, so at 11 s y is
/// the one assigned longest ago, although x has the lower id.
#[test]
fn round_robin_orders_assignments_at_one_instant_by_when_they_were_made() {
    let g = given(&[
        config("[[queues]]\nname = \"chat\"\nchannels = [\"chat\"]\nstrategy = \"round_robin\""),
        agent("x", 0, &[], Capacity::only(Channel::Chat, 3)),
        agent("y", 0, &[], Capacity::only(Channel::Chat, 3)),
        login(1, 0),
        login(1, 1),
        Command::SetPresence { at: t(1), agent: AgentId(0), presence: Presence::Away },
        chat(2, 1), // y (x is away)
        Command::SetPresence { at: t(3), agent: AgentId(0), presence: Presence::Available },
        chat(4, 2),  // x: never assigned
        chat(10, 3), // y: assigned at 2 s, before x at 4 s
        chat(10, 4), // x
    ]);
    let holders: Vec<u32> = (0..4).map(|i| holder(&g, i).unwrap().0).collect();
    assert_eq!(holders, vec![1, 0, 1, 0]);
    assert_eq!(g.when(chat(11, 5)).events()[1], assigned(11, 4, 1, Strategy::RoundRobin));
}

const TWO_QUEUES: &str = r#"
[[queues]]
name = "slow"
channels = ["chat"]
[[queues]]
name = "fast"
priority = { aging_points_per_minute = 2.0 }
"#;

/// Across queues the order is the same as within one: priority now (each queue aging at
/// its own rate), then the higher score, then the earlier wait start, then the lower id.
#[test]
fn the_tie_break_across_queues_is_priority_then_score_then_wait_start_then_id() {
    let in_queue = |at: Timestamp, customer: u64, queue: u16, tier: CustomerTier| {
        create(at, TicketSpec { queue: Some(QueueId(queue)), tier, ..ticket_spec(customer, Channel::Chat) })
    };
    let free_agent_takes = |tickets: &[Command]| -> u64 {
        let mut cmds = vec![config(TWO_QUEUES), agent("a", 0, &[], Capacity::only(Channel::Chat, 1))];
        cmds.extend_from_slice(tickets);
        let g = given(&cmds);
        let then = g.when(login(600, 0));
        match then.events() {
            [_, Event::TicketAssigned { ticket, .. }] => ticket.0,
            other => panic!("expected a login and one assignment, got {other:?}"),
        }
    };
    // At 600 s: ticket 0 (slow, 30 points, waiting since 0) has 30 + 10 = 40; ticket 1
    // (fast, silver: 40 points, since 600 s) has 40 too. Equal priority: the higher score.
    let score = [in_queue(t(0), 1, 0, CustomerTier::Standard), in_queue(t(600), 2, 1, CustomerTier::Silver)];
    assert_eq!(free_agent_takes(&score), 1);
    // Ticket 1 (fast, 30 points, since 300 s) has 30 + 2 × 5 = 40: equal priority and
    // score, so the earlier wait start, ticket 0.
    let since = [in_queue(t(0), 1, 0, CustomerTier::Standard), in_queue(t(300), 2, 1, CustomerTier::Standard)];
    assert_eq!(free_agent_takes(&since), 0);
    // The earlier wait start wins over the lower id: ticket 0 (fast) waits again from its
    // reopening at 300 s, so it has 30 + 2 × 5 = 40, like ticket 1 (slow, since 0 s).
    let since = [
        in_queue(t(0), 1, 1, CustomerTier::Standard),
        in_queue(t(0), 2, 0, CustomerTier::Standard),
        Command::Resolve { at: t(1), ticket: TicketId(0) },
        Command::Reopen { at: t(300), ticket: TicketId(0) },
    ];
    assert_eq!(free_agent_takes(&since), 1);
    // Everything equal (both 30 points at 600 s, arrived together): the lower id.
    let id = [in_queue(t(600), 1, 1, CustomerTier::Standard), in_queue(t(600), 2, 0, CustomerTier::Standard)];
    assert_eq!(free_agent_takes(&id), 0);
}

/// Aging counts every millisecond: at one point per minute, a ticket one point better that
/// arrives 59.999 s later is still ahead, 60 s later it ties (and wins on score), 60.001 s
/// later it is behind.
#[test]
fn aging_is_exact_to_the_millisecond() {
    let queue = "[[queues]]\nname = \"chat\"\nchannels = [\"chat\"]\npriority = { tier = { silver = 1 } }";
    let first = |later_ms: i64| -> u64 {
        let g = given(&[
            config(queue),
            agent("a", 0, &[], Capacity::only(Channel::Chat, 1)),
            chat_of(t(0), 1, CustomerTier::Standard),
            chat_of(t(0).plus_ms(later_ms), 2, CustomerTier::Silver),
        ]);
        match g.when(login(600, 0)).events() {
            [_, Event::TicketAssigned { ticket, .. }] => ticket.0,
            other => panic!("expected a login and one assignment, got {other:?}"),
        }
    };
    assert_eq!(first(59_999), 1);
    assert_eq!(first(60_000), 1, "equal priority: the higher score");
    assert_eq!(first(60_001), 0);
}

/// A rate is kept in thousandths of a point per minute, rounded to the nearest; a rate
/// above 0 that would round to 0 (no aging at all) is refused.
#[test]
fn aging_rates_round_to_thousandths_and_a_rate_that_would_vanish_is_refused() {
    let rate = |points: &str| format!("[[queues]]\nname = \"q\"\npriority = {{ aging_points_per_minute = {points} }}");
    let aging_of = |points: &str| {
        let spec: ConfigSpec = toml::from_str(&format!("{BASE}\n{}", rate(points))).unwrap();
        Config::new(spec).unwrap().queue(QueueId(0)).weights.aging_milli_per_min
    };
    assert_eq!(aging_of("0.0006"), 1);
    assert_eq!(aging_of("0.0014"), 1);
    assert_eq!(aging_of("0.0016"), 2);
    assert_eq!(aging_of("2.5"), 2_500);
    assert_eq!(aging_of("0.0"), 0, "0 turns aging off");
    let p = problems(&rate("0.0004"));
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].starts_with("queues[0].priority.aging_points_per_minute: 0.0004 is below"), "{p:#?}");
    let p = problems("[[queues]]\nname = \"q\"\npriority = { deadline_points_per_minute = 0.0001 }");
    assert!(p[0].starts_with("queues[0].priority.deadline_points_per_minute: 0.0001 is below"), "{p:#?}");
}

/// The `other` channel scores 0 points by default; a queue's partial `priority` table
/// changes only the keys it names, over the config-wide table (itself over the defaults).
#[test]
fn partial_priority_tables_override_key_by_key() {
    let spec = format!(
        "{BASE}\n[priority]\ntier = {{ gold = 100 }}\nchannel = {{ other = 5 }}\n\
         [[queues]]\nname = \"plain\"\n\
         [[queues]]\nname = \"own\"\npriority = {{ tier = {{ vip = 50 }}, urgency = {{ normal = 1 }} }}\n"
    );
    let spec: ConfigSpec = toml::from_str(&spec).unwrap();
    let cfg = Config::new(spec).unwrap();
    let (plain, own) = (&cfg.queue(QueueId(0)).weights, &cfg.queue(QueueId(1)).weights);
    // tier: standard, silver, gold, vip; urgency: low, normal, high, critical.
    assert_eq!(plain.tier, [0, 10, 100, 40], "config-wide gold over the default");
    assert_eq!(own.tier, [0, 10, 100, 50], "the queue's vip over the config-wide table");
    assert_eq!(own.urgency, [0, 1, 30, 60]);
    assert_eq!(own.channel[Channel::Other.index()], 5, "config-wide, not named by the queue");
    let default = cs_core::config::Weights::default();
    assert_eq!(default.channel[Channel::Other.index()], 0);
    // A standard, normal, neutral ticket on `other` with the defaults: 0 + 10 + 0 + 0.
    let g = given(&[config("[[queues]]\nname = \"q\"\nchannels = [\"other\"]")])
        .and(create(t(1), ticket_spec(1, Channel::Other)));
    assert_eq!(g.state.ticket(TicketId(0)).unwrap().score, 10);
}

/// A step's `proficiency_min` replaces the ticket's own minimums: a step at 0 s with
/// minimum 3 raises a ticket's own billing 1 to 3 and lowers its own billing 5 to 3.
#[test]
fn a_steps_proficiency_min_replaces_the_tickets_own_minimums() {
    let g = given(&[
        config("[[queues]]\nname = \"q\"\nchannels = [\"chat\"]\nsteps = [{ after_s = 0, proficiency_min = 3 }]"),
        agent("two", 0, &[(0, 2)], Capacity::only(Channel::Chat, 1)),
        agent("three", 0, &[(0, 3)], Capacity::only(Channel::Chat, 1)),
        login(1, 0),
    ]);
    let needing =
        |level: u8| create(t(2), TicketSpec { skills: skills(&[(0, level)]), ..ticket_spec(1, Channel::Chat) });
    // Billing 1 asked, 3 required: "two" (billing 2, the only one logged in) may not take it.
    assert_eq!(g.when(needing(1)).events().len(), 1, "it waits");
    // Billing 5 asked, 3 required: "three" takes it.
    let g = g.and(login(2, 1));
    let then = g.when(needing(5));
    assert_eq!(then.events()[1], assigned(2, 0, 1, Strategy::LongestIdle));
}

/// A re-queue after a logout keeps the relaxation steps' clock: the ticket entered the
/// queue at 2 s, so step 1 (30 s) is overdue when its agent logs out at 40 s. It is due at
/// once (40 s), fired by the next `Tick` or command at or after that instant, not 30 s
/// after the re-queue.
#[test]
fn a_requeue_after_a_logout_keeps_the_steps_clock() {
    let g = given(&[
        config(TWO_STEPS),
        agent("senior", 0, &[(0, 4)], Capacity::only(Channel::Chat, 1)),
        agent("junior", 0, &[(0, 2)], Capacity::only(Channel::Chat, 1)),
        login(1, 0),
        chat(2, 1), // the senior
        login(3, 1),
        Command::Logout { at: t(40), agent: AgentId(0) },
    ]);
    let tk = g.state.ticket(TicketId(0)).unwrap();
    assert_eq!((tk.status, tk.step, tk.queued_since), (TicketStatus::Queued, 0, t(2)));
    assert_eq!(g.state.next_deadline(), Some(t(40)));
    g.when(Command::Tick { at: t(40) })
        .then_expect(&[step_reached(40, 0, 1), assigned(40, 0, 1, Strategy::LongestIdle)]);
}

/// Resolving a ticket that still waits is allowed (a customer who writes "never mind"):
/// it counts as offered and resolved (at first contact), never as answered or abandoned,
/// so it counts against the service level; its SLA clocks stop as met.
#[test]
fn resolving_a_waiting_ticket_is_allowed_and_counts_as_resolved_unanswered() {
    let g = given(&[
        config(
            "[[queues]]\nname = \"chat\"\nchannels = [\"chat\"]\n[[sla_policies]]\nname = \"p\"\nfirst_response_s = 60",
        ),
        chat(1, 1),
    ]);
    let then = g.when(Command::Resolve { at: t(10), ticket: TicketId(0) });
    then.then_expect(&[
        Event::SlaMet { at: t(10), ticket: TicketId(0), policy: 0, clock: ClockKind::FirstResponse, deadline: t(61) },
        Event::TicketResolved { at: t(10), ticket: TicketId(0) },
    ]);
    let after = then.state_after();
    assert_eq!(after.ticket(TicketId(0)).unwrap().status, TicketStatus::Resolved);
    let c = then.metrics_after().report(t(0), t(3600), t(3600)).unwrap().total;
    assert_eq!((c.offered, c.answered, c.abandoned, c.expired), (1, 0, 0, 0));
    assert_eq!((c.resolved, c.resolved_first_contact, c.handled), (1, 1, 0));
    assert_eq!(c.service_level(), Some(0.0));
    assert_eq!(c.sla_met, 1);
}

/// Waiting tickets reserved by sticky routing and released at the same instant line up
/// with every other ticket released then: best first.
#[test]
fn reservations_ending_at_the_same_instant_are_routed_best_first() {
    let sticky = "[[queues]]\nname = \"chat\"\nchannels = [\"chat\"]\nsticky = { window_s = 600, wait_s = 30 }";
    // x serves customers 1 (standard) and 2 (VIP), resolving both; both write again while x
    // is busy with customer 3, so both wait for x until 40 s; y logs in meanwhile.
    let g = given(&[
        config(sticky),
        agent("x", 0, &[], Capacity::only(Channel::Chat, 1)),
        agent("y", 0, &[], Capacity::only(Channel::Chat, 1)),
        login(1, 0),
        chat(2, 1),
        Command::Resolve { at: t(3), ticket: TicketId(0) },
        chat_of(t(4), 2, CustomerTier::Vip),
        Command::Resolve { at: t(5), ticket: TicketId(1) },
        chat(6, 3),
        chat(10, 1),
        chat_of(t(10), 2, CustomerTier::Vip),
        login(11, 1),
    ]);
    let pinned = |id: u64| g.state.ticket(TicketId(id)).unwrap().pinned_to;
    assert_eq!((pinned(3), pinned(4)), (Some(AgentId(0)), Some(AgentId(0))));
    let unpinned = |ticket: u64| Event::TicketUnpinned {
        at: t(40),
        ticket: TicketId(ticket),
        reason: cs_core::event::UnpinReason::Timeout,
    };
    g.when(Command::Tick { at: t(40) }).then_expect(&[
        unpinned(3),
        unpinned(4),
        Event::TicketAssigned {
            at: t(40),
            ticket: TicketId(4),
            agent: AgentId(1),
            how: Assignment::Routed { strategy: Strategy::LongestIdle, overflow: false },
        },
    ]);
}

/// A ticket whose time-to-live ran out while it was offered expires in the instant its
/// offer expires: the timers of that instant fire before anything is routed.
#[test]
fn a_ticket_past_its_time_to_live_expires_when_its_offer_expires() {
    let g = given(&[
        config("[[queues]]\nname = \"chat\"\nchannels = [\"chat\"]\noffer = { timeout_s = 20 }\nticket_ttl_s = 10"),
        agent("x", 0, &[], Capacity::only(Channel::Chat, 1)),
        agent("y", 0, &[], Capacity::only(Channel::Chat, 1)),
        login(1, 0),
        chat(5, 1), // offered to x until 25 s; its time in the queue ends at 15 s
        login(6, 1),
    ]);
    g.when(Command::Tick { at: t(25) }).then_expect(&[
        Event::TicketRequeued { at: t(25), ticket: TicketId(0), reason: RequeueReason::OfferExpired },
        Event::TicketExpired { at: t(25), ticket: TicketId(0) },
    ]);
}
