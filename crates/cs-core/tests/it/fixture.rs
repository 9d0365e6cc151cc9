//! A small contact centre used across the tests.

use cs_core::{
    Capacity, Channel, Command, ConfigSpec, CustomerId, QueueId, SkillId, SkillNeed, SkillNeeds, TeamId, TicketSpec,
    Timestamp,
};

pub const CONFIG: &str = r#"
skills = ["billing", "tech", "returns"]
languages = ["en", "de"]
categories = ["refund", "bug"]
teams = [{ name = "tier1" }, { name = "experts", tier = "L2" }]

[limits]
agent_tickets_max = 4

[[queues]]
name = "chat"
channels = ["chat"]
skills = { billing = 1 }
depth_max = 3

[[queues]]
name = "email"
channels = ["email"]

[[queues]]
name = "tech"
categories = ["bug"]
skills = { tech = 3 }
steps = [ { after_s = 0, teams = ["experts"] }, { after_s = 60, teams = "any" } ]
"#;

pub const CHAT: QueueId = QueueId(0);
pub const EMAIL: QueueId = QueueId(1);
pub const TECH: QueueId = QueueId(2);
pub const TIER1: TeamId = TeamId(0);
pub const EXPERTS: TeamId = TeamId(1);
pub const BILLING: SkillId = SkillId(0);
pub const TECH_SKILL: SkillId = SkillId(1);
pub const RETURNS: SkillId = SkillId(2);

pub fn spec() -> ConfigSpec {
    toml::from_str(CONFIG).expect("fixture config parses")
}

/// 2026-11-23T09:00:00Z plus `s` seconds.
pub fn t(s: i64) -> Timestamp {
    Timestamp::parse("2026-11-23T09:00:00Z").unwrap().plus_ms(s * 1000)
}

pub fn configure() -> Command {
    Command::Configure { at: t(0), config: Box::new(spec()) }
}

pub fn chats(n: u8) -> Capacity {
    Capacity::only(Channel::Chat, n)
}

pub fn register(at: i64, key: &str, team: TeamId, skills: &[(SkillId, u8)], capacity: Capacity) -> Command {
    Command::RegisterAgent {
        at: t(at),
        key: key.into(),
        team,
        tier: None,
        skills: skills.to_vec(),
        languages: Default::default(),
        capacity,
    }
}

pub fn login(at: i64, agent: u32) -> Command {
    Command::Login { at: t(at), agent: cs_core::AgentId(agent) }
}

/// A chat ticket from customer `customer` with no extra skills.
pub fn chat(at: i64, customer: u64) -> Command {
    Command::CreateTicket { at: t(at), spec: chat_spec(customer) }
}

pub fn chat_spec(customer: u64) -> TicketSpec {
    TicketSpec::new(CustomerId(customer), Channel::Chat)
}

pub fn needs(list: &[(SkillId, u8)]) -> SkillNeeds {
    SkillNeeds::new(list.iter().map(|&(skill, min)| SkillNeed { skill, min })).unwrap()
}
