//! The surge the routing benches stand on: 5,000 agents over 250 skill profiles, each
//! holding one chat, and 100,000 tickets waiting over 64 skills. Shared by the criterion
//! benches (`core`; `decide` takes its generator and agents) and the instruction-count
//! bench (`cycle`).

use cs_core::{
    AgentId, Capacity, Channel, Command, ConfigSpec, CustomerId, CustomerTier, Emotion, Engine, LanguageSet, SkillId,
    SkillNeed, SkillNeeds, TeamId, TicketId, TicketSpec, Timestamp, Urgency,
};

pub const SKILLS: u16 = 64;
pub const PROFILES: usize = 250;

/// A tiny deterministic generator (xorshift), so benches need no random crate.
pub struct Gen(pub u64);
impl Gen {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub fn t(s: i64) -> Timestamp {
    Timestamp::from_secs(1_795_424_400 + s)
}

/// The bench's contact centre. The skill-pairs surge makes more requirement classes than
/// the default limit of 10,000 (its setup is refused at the limit): the limit is raised.
pub fn configure() -> Command {
    let skills: Vec<String> = (0..SKILLS).map(|i| format!("skill{i}")).collect();
    let teams: String = (0..PROFILES).map(|i| format!("{{ name = \"team{i}\" }},")).collect();
    let text = format!(
        "skills = {skills:?}\nteams = [{teams}]\n[limits]\nqueue_depth_max = 1000000\n\
         requirement_classes_max = 100000\n\
         [[queues]]\nname = \"chat\"\nchannels = [\"chat\"]\n"
    );
    let spec: ConfigSpec = toml::from_str(&text).expect("bench config");
    Command::Configure { at: t(0), config: Box::new(spec) }
}

/// 5,000 agents in 250 teams of 20 sharing a profile of 8 skills at levels 1..=5.
pub fn register_agents(e: &mut Engine, g: &mut Gen, agents: u32) {
    let profiles: Vec<Vec<(SkillId, u8)>> = (0..PROFILES)
        .map(|_| (0..8).map(|_| (SkillId(g.below(u64::from(SKILLS)) as u16), 1 + g.below(5) as u8)).collect())
        .collect();
    for i in 0..agents {
        let p = i as usize % PROFILES;
        e.execute(&Command::RegisterAgent {
            at: t(0),
            key: format!("agent{i}"),
            team: TeamId(p as u16),
            tier: None,
            skills: profiles[p].clone(),
            languages: LanguageSet::default(),
            capacity: Capacity::only(Channel::Chat, 1),
        })
        .expect("register");
    }
}

/// A chat ticket needing one of the 64 skills at level 1..=3 (192 requirement classes),
/// with mixed tier, urgency and emotion.
pub fn ticket(g: &mut Gen, customer: u64) -> TicketSpec {
    ticket_n(g, customer, 1)
}

/// The same with 1..=`skills_max` skills (the stress variant: thousands of classes).
pub fn ticket_n(g: &mut Gen, customer: u64, skills_max: u64) -> TicketSpec {
    let n = 1 + g.below(skills_max) as usize;
    let needs = SkillNeeds::new(
        (0..n).map(|_| SkillNeed { skill: SkillId(g.below(u64::from(SKILLS)) as u16), min: 1 + g.below(3) as u8 }),
    )
    .expect("needs");
    TicketSpec {
        skills: needs,
        tier: CustomerTier::ALL[g.below(4) as usize],
        urgency: Urgency::ALL[g.below(4) as usize],
        emotion: Emotion::ALL[g.below(4) as usize],
        ..TicketSpec::new(CustomerId(customer), Channel::Chat)
    }
}

/// 5,000 agents, each holding one chat, and 100,000 tickets waiting, each needing
/// 1..=`skills_max` skills.
pub fn surge(skills_max: u64) -> (Engine, Gen) {
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    let mut e = Engine::new();
    e.execute(&configure()).unwrap();
    register_agents(&mut e, &mut g, 5_000);
    for a in 0..5_000 {
        e.execute(&Command::Login { at: t(1), agent: AgentId(a) }).unwrap();
    }
    // Give every agent one ticket it can serve, then fill the queue.
    for a in 0..5_000u32 {
        let skills = e.state().agent(AgentId(a)).unwrap().skills[0];
        let mut spec = ticket(&mut g, u64::from(a));
        spec.skills = SkillNeeds::new([SkillNeed { skill: skills.0, min: 1 }]).unwrap();
        e.execute(&Command::CreateTicket { at: t(2), spec: spec.clone() }).unwrap();
        let created = e.state().next_ticket_id().0 - 1;
        if e.state().ticket(TicketId(created)).unwrap().agent.is_none() {
            e.execute(&Command::AssignTicket { at: t(2), ticket: TicketId(created), agent: AgentId(a), force: true })
                .unwrap();
        }
    }
    let mut waiting = 0;
    let mut s = 3;
    while waiting < 100_000 {
        e.execute(&Command::CreateTicket { at: t(s), spec: ticket_n(&mut g, 10_000 + waiting, skills_max) }).unwrap();
        if e.state().ticket(TicketId(e.state().next_ticket_id().0 - 1)).unwrap().agent.is_none() {
            waiting += 1;
        }
        s += (waiting % 3 == 0) as i64;
    }
    e.clear_events();
    (e, g)
}
