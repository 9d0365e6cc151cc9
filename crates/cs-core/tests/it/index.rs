//! The routing index follows the classes and profiles in use: empty buckets are dropped
//! (after a bounded while), memberless pools at once, and the number of requirement
//! classes with waiting tickets is limited.

use crate::fixture::t;
use cs_core::{
    AgentId, Capacity, Channel, Command, ConfigSpec, CustomerId, Engine, LanguageSet, Rejection, SkillId, SkillNeed,
    SkillNeeds, TeamId, TicketId, TicketSpec,
};

fn engine(limits: &str) -> Engine {
    let skills: Vec<String> = (0..64).map(|i| format!("s{i}")).collect();
    let text = format!(
        "skills = {skills:?}\nteams = [{{ name = \"a\" }}]\n[limits]\n{limits}\n[[queues]]\nname = \"chat\"\nchannels = [\"chat\"]\n"
    );
    let spec: ConfigSpec = toml::from_str(&text).expect("test config parses");
    let mut e = Engine::new();
    e.execute(&Command::Configure { at: t(0), config: Box::new(spec) }).unwrap();
    e
}

fn ticket(at: i64, customer: u64, skill: u16, min: u8) -> Command {
    let spec = TicketSpec {
        skills: SkillNeeds::new([SkillNeed { skill: SkillId(skill), min }]).unwrap(),
        ..TicketSpec::new(CustomerId(customer), Channel::Chat)
    };
    Command::CreateTicket { at: t(at), spec }
}

fn register(e: &mut Engine, at: i64, key: &str, skills: &[(u16, u8)]) -> AgentId {
    let id = AgentId(e.state().agents().len() as u32);
    e.execute(&Command::RegisterAgent {
        at: t(at),
        key: key.into(),
        team: TeamId(0),
        tier: None,
        skills: skills.iter().map(|&(s, p)| (SkillId(s), p)).collect(),
        languages: LanguageSet::default(),
        capacity: Capacity::only(Channel::Chat, 1),
    })
    .unwrap();
    id
}

#[test]
fn a_ticket_in_a_new_class_past_the_limit_is_refused() {
    let mut e = engine("requirement_classes_max = 2");
    e.execute(&ticket(1, 1, 0, 1)).unwrap();
    e.execute(&ticket(2, 2, 1, 1)).unwrap();
    // A third class (another skill, or the same skill at another minimum) is refused.
    for cmd in [ticket(3, 3, 2, 1), ticket(3, 3, 0, 2)] {
        assert_eq!(
            e.execute(&cmd),
            Err(Rejection::LimitReached { limit: "requirement_classes_max", max: 2 }),
            "{cmd:?}"
        );
    }
    // A class that has waiting tickets still takes more.
    e.execute(&ticket(4, 4, 0, 1)).unwrap();
    assert_eq!(e.state().index_counts().classes, 2);
    // Once a class has no waiting ticket left, a new one may take its place.
    e.execute(&Command::Abandon { at: t(5), ticket: TicketId(1) }).unwrap();
    assert_eq!(e.state().index_counts().classes, 1);
    e.execute(&ticket(6, 5, 2, 1)).unwrap();
    assert_eq!(e.state().index_counts().classes, 2);
    // A transfer into a class past the limit is refused too: the queue's needs are the
    // ticket's own, so a transfer within the queue keeps the class and passes.
    e.execute(&Command::Transfer { at: t(7), ticket: TicketId(0), queue: cs_core::QueueId(0) }).unwrap();
    assert_eq!(e.state().check_index(), Ok(()));
}

#[test]
fn a_limit_of_zero_classes_is_a_config_error() {
    let text = "skills = [\"s\"]\nteams = [{ name = \"a\" }]\n[limits]\nrequirement_classes_max = 0\n[[queues]]\nname = \"chat\"\nchannels = [\"chat\"]\n";
    let spec: ConfigSpec = toml::from_str(text).unwrap();
    let err = cs_core::Config::new(spec).unwrap_err().to_string();
    assert!(err.contains("limits.requirement_classes_max"), "{err}");
}

/// Empty buckets of classes seen within the hour are kept past the 64 kept in any case (a
/// class in use keeps its pools between its tickets, however many classes are in use);
/// an hour later they go.
#[test]
fn empty_buckets_of_classes_in_use_are_kept_for_an_hour() {
    let mut e = engine("");
    // 150 classes, a ticket each, abandoned a second later: 150 empty buckets.
    let mut customer = 0;
    for round in 0..150u16 {
        let (skill, min) = (round % 64, 1 + (round / 64) as u8);
        customer += 1;
        e.execute(&ticket(1, customer, skill, min)).unwrap();
    }
    for id in 0..150 {
        e.execute(&Command::Abandon { at: t(2), ticket: TicketId(id) }).unwrap();
    }
    let c = e.state().index_counts();
    assert_eq!((c.buckets, c.empty_buckets), (150, 150), "{c:?}");
    // An hour and a second later one more class comes and goes: the others were not seen
    // for an hour, and all but 64 go.
    e.execute(&ticket(3_603, 999, 0, 5)).unwrap();
    e.execute(&Command::Abandon { at: t(3_604), ticket: TicketId(150) }).unwrap();
    let c = e.state().index_counts();
    assert_eq!(c.empty_buckets, 64, "{c:?}");
    assert_eq!(e.state().check_index(), Ok(()));
}

#[test]
fn classes_that_stop_and_agents_that_leave_leave_nothing_behind() {
    let mut e = engine("");
    // Agents who serve every class (level 5 in all 64 skills) are all busy, so tickets wait.
    let all: Vec<(SkillId, u8)> = (0..64).map(|s| (SkillId(s), 5)).collect();
    let mut customer = 0;
    let mut at = 1;
    // 300 classes come and go, each with a few waiting tickets that are then abandoned,
    // an hour and a second apart: past the hour an empty bucket's class is not in use.
    for round in 0..300u16 {
        at += 3_601;
        let (skill, min) = (round % 64, 1 + (round / 64) as u8);
        let first = e.state().next_ticket_id().0;
        for _ in 0..3 {
            customer += 1;
            e.execute(&ticket(at, customer, skill, min)).unwrap();
        }
        at += 1;
        for id in first..first + 3 {
            e.execute(&Command::Abandon { at: t(at), ticket: TicketId(id) }).unwrap();
        }
        let c = e.state().index_counts();
        assert!(c.empty_buckets <= 64, "round {round}: {c:?}");
        assert_eq!(e.state().check_index(), Ok(()), "round {round}");
    }
    let c = e.state().index_counts();
    assert_eq!((c.classes, c.buckets - c.empty_buckets), (0, 0), "{c:?}");
    assert!(c.bucket_slots <= 64 + 1, "slots are recycled: {c:?}");
    // Agents log in with profiles of their own, then change them: each old profile's pool
    // goes with its last member; logging out leaves the pool, and the last to leave drops it.
    for i in 0..20u16 {
        let a = register(&mut e, at, &format!("a{i}"), &[(i, 3)]);
        e.execute(&Command::Login { at: t(at), agent: a }).unwrap();
    }
    assert_eq!(e.state().index_counts().pools, 20);
    for i in 0..20u32 {
        at += 1;
        e.execute(&Command::SetAgentSkills { at: t(at), agent: AgentId(i), skills: all.clone() }).unwrap();
        assert_eq!(e.state().check_index(), Ok(()));
        assert_eq!(e.state().index_counts().pools, 20 - i as usize, "the pool of a{i}'s old profile is dropped");
    }
    let c = e.state().index_counts();
    assert_eq!((c.pools, c.memberless_pools), (1, 0), "{c:?}");
    for i in 0..20u32 {
        e.execute(&Command::Logout { at: t(at), agent: AgentId(i) }).unwrap();
        assert_eq!(e.state().check_index(), Ok(()));
    }
    let c = e.state().index_counts();
    assert_eq!((c.pools, c.memberless_pools), (0, 0), "{c:?}");
    assert!(c.pool_slots <= 21, "slots are recycled: {c:?}");
    // Logging in again makes the pool anew, and the agent finds the ticket waiting for it.
    at += 1;
    e.execute(&ticket(at, 1, 5, 5)).unwrap();
    e.execute(&Command::Login { at: t(at), agent: AgentId(3) }).unwrap();
    let waiting = TicketId(e.state().next_ticket_id().0 - 1);
    assert_eq!(e.state().ticket(waiting).unwrap().agent, Some(AgentId(3)));
    assert_eq!(e.state().index_counts().pools, 1);
    assert_eq!(e.state().check_index(), Ok(()));
    // The index equals the one a replay builds.
    let replayed = cs_core::replay(e.events());
    assert_eq!(&replayed, e.state());
}
