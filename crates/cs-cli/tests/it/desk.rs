//! A contact-centre morning driven through `cs_core::Engine`, so the logs under test are
//! real: 40 minutes of chats and e-mails, more than the agents can take, with answers,
//! resolutions and abandons.

use cs_core::{
    AgentId, Capacity, Channel, Command, CustomerId, Engine, Event, SkillId, TeamId, TicketSpec, TicketStatus,
    Timestamp,
};

pub const CONFIG: &str = r#"
skills = ["billing", "tech"]
teams = [{ name = "tier1" }, { name = "experts", tier = "L2" }]

[[queues]]
name = "chat"
channels = ["chat"]
service_level_s = 20

[[queues]]
name = "email"
channels = ["email"]
service_level_s = 600
"#;

/// 2026-11-23T09:00:00Z plus `s` seconds.
pub fn t(s: i64) -> Timestamp {
    Timestamp::parse("2026-11-23T09:00:00Z").unwrap().plus_ms(s * 1000)
}

/// Every event of the morning.
pub fn events() -> Vec<Event> {
    let mut e = Engine::new();
    fn run(e: &mut Engine, c: Command) {
        e.execute(&c).unwrap_or_else(|r| panic!("{c:?} refused: {r}"));
    }
    run(&mut e, Command::Configure { at: t(0), config: Box::new(toml::from_str(CONFIG).unwrap()) });
    let agents = [("ann", 0, 2, 1), ("bob", 0, 2, 1), ("eve", 1, 0, 3)];
    for (key, team, chats, emails) in agents {
        let mut capacity = Capacity::only(Channel::Chat, chats);
        capacity.per_channel.set(Channel::Email, emails);
        run(
            &mut e,
            Command::RegisterAgent {
                at: t(0),
                key: key.into(),
                team: TeamId(team),
                tier: None,
                skills: vec![(SkillId(0), 3)],
                languages: Default::default(),
                capacity,
            },
        );
    }
    for a in 0..3 {
        run(&mut e, Command::Login { at: t(1), agent: AgentId(a) });
    }
    let mut customer = 0;
    for minute in 0..40i64 {
        let base = 60 * minute;
        // Two chats a minute, and an e-mail every third minute.
        for (s, channel) in [(5, Channel::Chat), (10, Channel::Email), (25, Channel::Chat)] {
            if channel == Channel::Email && minute % 3 != 0 {
                continue;
            }
            customer += 1;
            run(
                &mut e,
                Command::CreateTicket { at: t(base + s), spec: TicketSpec::new(CustomerId(customer), channel) },
            );
        }
        if minute >= 2 {
            let oldest = e.state().tickets().find(|t| t.status == TicketStatus::Assigned).map(|t| t.id);
            if let Some(ticket) = oldest {
                run(&mut e, Command::Resolve { at: t(base + 30), ticket });
            }
        }
        if minute % 5 == 4 {
            let waiting = e.state().tickets().find(|t| t.is_waiting()).map(|t| t.id);
            if let Some(ticket) = waiting {
                run(&mut e, Command::Abandon { at: t(base + 40), ticket });
            }
        }
        run(&mut e, Command::Tick { at: t(base + 59) });
    }
    e.take_events()
}

/// Writes the morning's log with `cs-store` and returns its path and events.
pub fn log(name: &str) -> (std::path::PathBuf, Vec<Event>) {
    let events = events();
    let path = crate::scratch(name);
    cs_store::write_all(&path, &events).unwrap();
    (path, events)
}
