//! A desk to drive: its config, and a deterministic command stream that exercises routing,
//! SLA timers and rejections.

use cs_core::{AgentId, Capacity, Channel, Command, CustomerId, TeamId, TicketId, TicketSpec, Timestamp};

pub const CONFIG: &str = r#"
skills = ["general"]
teams = [{ name = "support" }]

[[queues]]
name = "chat"
channels = ["chat"]
service_level_s = 20

[[queues]]
name = "email"
channels = ["email"]
service_level_s = 3600

[[sla_policies]]
name = "chat"
channels = ["chat"]
first_response_s = 30
resolution_s = 600
"#;

/// 2026-12-01T09:00:00Z plus `ms`.
pub fn t(ms: i64) -> Timestamp {
    Timestamp::parse("2026-12-01T09:00:00Z").unwrap().plus_ms(ms)
}

pub fn configure() -> Command {
    Command::Configure { at: t(0), config: Box::new(toml::from_str(CONFIG).unwrap()) }
}

/// The `i`-th command of a busy desk (i from 0): configure, four agents, then tickets
/// arriving, replies and resolutions; some are refused (a resolve of a ticket that is not
/// there yet), which is part of the test.
pub fn command(i: u64) -> Command {
    let at = t(i as i64 * 1_500);
    match i {
        0 => configure(),
        1..=4 => Command::RegisterAgent {
            at,
            key: format!("agent-{i}"),
            team: TeamId(0),
            tier: None,
            skills: vec![(cs_core::SkillId(0), 3)],
            languages: Default::default(),
            capacity: {
                let mut c = Capacity::only(Channel::Chat, 2);
                c.per_channel.set(Channel::Email, 2);
                c
            },
        },
        5..=8 => Command::Login { at, agent: AgentId((i - 5) as u32) },
        _ => {
            let n = i - 9;
            match n % 4 {
                0 | 1 => {
                    let channel = if n % 8 == 1 { Channel::Email } else { Channel::Chat };
                    let mut spec = TicketSpec::new(CustomerId(n % 50), channel);
                    spec.key = Some(format!("T-{n}"));
                    Command::CreateTicket { at, spec }
                }
                2 => Command::AgentReply { at, ticket: TicketId(n / 2) },
                _ => Command::Resolve { at, ticket: TicketId(n / 2 - 1) },
            }
        }
    }
}
