//! Embedding `cs-core`: a small web shop's support desk for one busy morning.
//!
//! Feeds a few dozen commands to an [`Engine`] and prints every decision it makes:
//! who gets which chat, who waits and where, what happens when an agent logs out.
//!
//! Run with `cargo run -p cs-core --example embed`.

use cs_core::event::Assignment;
use cs_core::{
    AgentId, Capacity, Channel, Command, Config, ConfigSpec, CustomerId, CustomerTier, Emotion, Engine, Event,
    SkillNeed, SkillNeeds, TicketId, TicketSpec, Timestamp, Urgency,
};

const CONFIG: &str = r#"
skills = ["orders", "payments", "returns"]
languages = ["en", "de"]
teams = [{ name = "frontline" }, { name = "payments-experts", tier = "L2" }]

[priority]
tier = { standard = 0, silver = 10, gold = 20, vip = 60 }
aging_points_per_minute = 2.0

[[queues]]
name = "chat"
channels = ["chat"]
skills = { orders = 1 }

[[queues]]
name = "payments"
skills = { payments = 3 }
steps = [
    { after_s = 0, teams = ["payments-experts"] },
    { after_s = 90, teams = "any" },
]

[[queues]]
name = "email"
channels = ["email"]
"#;

fn main() {
    let spec: ConfigSpec = toml::from_str(CONFIG).expect("the example config parses");
    let config = Config::new(spec.clone()).expect("the example config is valid");
    let start = Timestamp::parse("2026-11-23T09:00:00Z").expect("valid time");
    let at = |s: i64| start.plus_ms(s * 1000);
    let skill = |name: &str| config.skill(name).expect("known skill");
    let team = |name: &str| config.team(name).expect("known team");
    let en = config.language("en").expect("known language");

    let mut engine = Engine::new();
    let run = |engine: &mut Engine, cmd: Command| {
        if let Err(r) = engine.execute(&cmd) {
            println!("{:>8}  refused: {r}", clock(cmd.at(), start));
        }
        for e in engine.take_events() {
            describe(&e, start, &config);
        }
    };

    run(&mut engine, Command::Configure { at: at(0), config: Box::new(spec.clone()) });
    let agents = [
        ("ana", "frontline", vec![("orders", 4), ("returns", 3)], 3),
        ("ben", "frontline", vec![("orders", 3)], 2),
        ("chloe", "frontline", vec![("orders", 2), ("payments", 3)], 2),
        ("dmitri", "payments-experts", vec![("payments", 5), ("orders", 2)], 2),
    ];
    for (key, t, skills, chats) in &agents {
        let mut capacity = Capacity::only(Channel::Chat, *chats);
        capacity.per_channel.set(Channel::Email, 4);
        run(
            &mut engine,
            Command::RegisterAgent {
                at: at(0),
                key: (*key).into(),
                team: team(t),
                tier: None,
                skills: skills.iter().map(|(s, p)| (skill(s), *p)).collect(),
                languages: cs_core::LanguageSet(1 << en.0),
                capacity,
            },
        );
    }
    for i in 0..3 {
        run(&mut engine, Command::Login { at: at(60), agent: AgentId(i) });
    }

    // Customers start writing before everyone is in.
    let chat = |customer: u64, tier: CustomerTier, extra: &[(&str, u8)]| TicketSpec {
        key: Some(format!("chat-{customer}")),
        skills: SkillNeeds::new(extra.iter().map(|(s, min)| SkillNeed { skill: skill(s), min: *min })).expect("valid"),
        language: Some(en),
        tier,
        ..TicketSpec::new(CustomerId(customer), Channel::Chat)
    };
    let mut second = 90;
    for c in 1..=9u64 {
        let tier = match c {
            4 => CustomerTier::Vip,
            7 => CustomerTier::Gold,
            _ => CustomerTier::Standard,
        };
        let extra: &[(&str, u8)] = if c == 5 { &[("returns", 3)] } else { &[] };
        run(&mut engine, Command::CreateTicket { at: at(second), spec: chat(c, tier, extra) });
        second += 20;
    }
    print_queue(&engine, at(second));
    // A customer gives up waiting.
    run(&mut engine, Command::Abandon { at: at(second), ticket: TicketId(8) });

    // A payments question: experts only for the first 90 s, then anyone with the skill.
    let payments = TicketSpec {
        queue: config.queue_id("payments"),
        urgency: Urgency::High,
        ..chat(10, CustomerTier::Silver, &[])
    };
    run(&mut engine, Command::CreateTicket { at: at(second), spec: payments });
    second += 30;

    // Work gets done; freed agents take the most urgent waiting chat.
    for (ticket, dt) in [(0, 40), (1, 25), (2, 30)] {
        run(&mut engine, Command::AgentReply { at: at(second), ticket: TicketId(ticket) });
        second += dt;
        run(&mut engine, Command::Resolve { at: at(second), ticket: TicketId(ticket) });
    }
    // Another customer gets angrier.
    run(
        &mut engine,
        Command::UpdateTicket {
            at: at(second + 5),
            ticket: TicketId(6),
            tier: None,
            urgency: None,
            emotion: Some(Emotion::Angry),
        },
    );
    // The payments ticket reaches its second step while we wait.
    run(&mut engine, Command::Tick { at: at(second + 120) });
    second += 130;
    // The expert arrives; ben leaves for lunch and his chats go back to waiting.
    run(&mut engine, Command::Login { at: at(second), agent: AgentId(3) });
    run(&mut engine, Command::Logout { at: at(second + 10), agent: AgentId(1) });
    // A bad command is refused and changes nothing.
    run(&mut engine, Command::Resolve { at: at(second + 20), ticket: TicketId(0) });
    print_queue(&engine, at(second + 20));
    println!("\n{} events, {} tickets open", engine.state().events_applied(), engine.state().open_tickets());
}

fn clock(t: Timestamp, start: Timestamp) -> String {
    let s = t.since(start) / 1000;
    format!("+{:02}:{:02}", s / 60, s % 60)
}

fn describe(e: &Event, start: Timestamp, cfg: &Config) {
    let when = clock(e.at(), start);
    let line = match e {
        Event::Configured { config, .. } => format!("configured: {} queues", config.queues().len()),
        Event::AgentRegistered { key, .. } => format!("agent {key} registered"),
        Event::AgentPresenceChanged { agent, presence, .. } => format!("{agent} is now {}", presence.name()),
        Event::TicketCreated { ticket, spec, .. } => format!(
            "{ticket} created ({}, {}) in {}",
            spec.tier.name(),
            spec.channel,
            cfg.queue(spec.queue.expect("resolved")).name
        ),
        Event::TicketAssigned { ticket, agent, how, .. } => match how {
            Assignment::Routed { strategy, .. } => format!("{ticket} -> {agent} ({})", strategy.name()),
            other => format!("{ticket} -> {agent} ({other:?})"),
        },
        Event::TicketRequeued { ticket, reason, .. } => format!("{ticket} back to waiting ({reason:?})"),
        Event::TicketStepReached { ticket, step, .. } => format!("{ticket} reached relaxation step {step}"),
        Event::TicketUpdated { ticket, emotion, .. } => format!("{ticket} re-prioritised (emotion {})", emotion.name()),
        other => format!("{} {}", other.name(), other.ticket().map(|t| t.to_string()).unwrap_or_default()),
    };
    println!("{when:>8}  {line}");
}

fn print_queue(engine: &Engine, now: Timestamp) {
    let s = engine.state();
    let waiting: Vec<String> = s
        .tickets()
        .filter(|t| t.is_waiting())
        .map(|t| {
            format!(
                "{} #{} waited {}s",
                t.id,
                s.queue_position(t.id).expect("waiting"),
                now.since(t.queued_since) / 1000
            )
        })
        .collect();
    println!("          waiting: {}", if waiting.is_empty() { "none".into() } else { waiting.join(", ") });
}
