//! A small desk driven through `cs_core::Engine`, so the logs under test are real.

use cs_core::{
    AgentId, Capacity, Channel, Command, CustomerId, Engine, Event, TeamId, TicketId, TicketSpec, Timestamp,
};

const CONFIG: &str = r#"
skills = ["billing"]
teams = [{ name = "desk" }]

[[queues]]
name = "chat"
channels = ["chat"]
service_level_s = 20

[[queues]]
name = "email"
channels = ["email"]
service_level_s = 3600
"#;

/// 2026-11-23T09:00:00Z plus `s` seconds.
pub fn t(s: i64) -> Timestamp {
    Timestamp::parse("2026-11-23T09:00:00Z").unwrap().plus_ms(s * 1000)
}

/// Every event of a morning: agents log in, tickets arrive, wait, are answered, resolved
/// or abandoned.
pub fn events() -> Vec<Event> {
    let mut e = Engine::new();
    let mut run = |c: Command| e.execute(&c).unwrap_or_else(|r| panic!("{c:?} refused: {r}"));
    run(Command::Configure { at: t(0), config: Box::new(toml::from_str(CONFIG).unwrap()) });
    for key in ["ann", "bob"] {
        let mut capacity = Capacity::only(Channel::Chat, 2);
        capacity.per_channel.set(Channel::Email, 1);
        run(Command::RegisterAgent {
            at: t(0),
            key: key.into(),
            team: TeamId(0),
            tier: None,
            skills: vec![(cs_core::SkillId(0), 3)],
            languages: Default::default(),
            capacity,
        });
    }
    for a in 0..2 {
        run(Command::Login { at: t(1 + i64::from(a)), agent: AgentId(a) });
    }
    for c in 0..8u64 {
        let channel = if c % 3 == 2 { Channel::Email } else { Channel::Chat };
        run(Command::CreateTicket { at: t(10 + 5 * c as i64), spec: TicketSpec::new(CustomerId(c), channel) });
    }
    run(Command::Resolve { at: t(60), ticket: TicketId(0) });
    run(Command::Abandon { at: t(65), ticket: TicketId(7) });
    run(Command::Resolve { at: t(70), ticket: TicketId(1) });
    run(Command::Resolve { at: t(90), ticket: TicketId(3) });
    run(Command::Tick { at: t(120) });
    e.take_events()
}
