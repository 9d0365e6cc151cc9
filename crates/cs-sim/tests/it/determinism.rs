//! Same scenario and seed: byte-identical event logs; another seed: a different one; and
//! the log replays to the metrics the run reported.

use crate::common::{fnv1a, run_logged, scenario};
use cs_core::{Envelope, Event};
use cs_sim::{RunOptions, Scenario};

/// Most features at once: a bot, offers, sticky routing with repeat customers, relaxation
/// steps, overflow, shifts of both kinds, wrap-up, languages, every distribution.
pub const KITCHEN_SINK: &str = r#"
name = "kitchen-sink"
seed = 11
duration_s = 21600
warmup_s = 1800
service_level_target_s = 30

[customers]
pool = 300

[[queues]]
name = "chat"
channel = "chat"
skills = { orders = 2 }
arrivals = { kind = "profile", points = [{ at_s = 0, per_hour = 200 }, { at_s = 7200, per_hour = 320 }], surges = [{ start_s = 10800, duration_s = 1800, multiplier = 3 }] }
handle_time = { kind = "lognormal", mean_s = 240, sd_s = 120 }
handle_time_by_category = { refunds = { kind = "empirical", values_s = [200, 300, 600] } }
patience = { kind = "exponential", mean_s = 120 }
mix = { tiers = { standard = 0.7, gold = 0.2, vip = 0.1 }, urgencies = { normal = 0.9, critical = 0.1 }, emotions = { neutral = 0.8, angry = 0.2 }, categories = { orders = 0.7, refunds = 0.3 }, languages = { en = 0.8, de = 0.2 }, repeat_share = 0.3 }
bot = { deflection = 0.3, time = { kind = "fixed", s = 45 } }
engine = { sticky = { window_s = 1800, wait_s = 10 }, offer = { timeout_s = 15 }, steps = [{ after_s = 0, proficiency_min = 3 }, { after_s = 30, proficiency_min = 2 }], overflow = { teams = ["mail"], open_waiting = 4, close_waiting = 1 } }

[[queues]]
name = "mail"
channel = "email"
skills = ["orders"]
arrivals = { kind = "poisson", per_hour = 40 }
handle_time = { kind = "exponential", mean_s = 400 }

[[teams]]
name = "chat"
agents = 8
skills = { orders = 3 }
capacity = { chat = 2 }
languages = ["en", "de"]
wrap_up_s = 10
shifts = [{ start_s = 0, end_s = 10800, daily = false }, { start_s = 12600, end_s = 21600, daily = false, agents = 6 }]

[[teams]]
name = "mail"
named = ["mia", "max", "moe"]
skills = { orders = 2 }
capacity = { email = 3, chat = 1 }
languages = ["en"]
at_shift_end = "hand_back"
shifts = [{ start_s = 3600, end_s = 18000, daily = false }]
"#;

fn kitchen_sink() -> Scenario {
    scenario(KITCHEN_SINK)
}

#[test]
fn same_seed_gives_a_byte_identical_log_and_another_seed_does_not() {
    let sc = kitchen_sink();
    let opts = RunOptions::default();
    let a = run_logged(&sc, &opts);
    let b = run_logged(&sc, &opts);
    assert!(a.run.tickets_simulated > 1000, "a real workload: {}", a.run.tickets_simulated);
    assert_eq!(fnv1a(&a.bytes), fnv1a(&b.bytes));
    assert_eq!(a.bytes, b.bytes);
    assert_eq!(a.run, b.run);

    let c = run_logged(&sc, &RunOptions { seed: Some(12), ..RunOptions::default() });
    assert_ne!(fnv1a(&a.bytes), fnv1a(&c.bytes));
    assert_ne!(a.run.report, c.run.report);
    assert_eq!(c.run.seed, 12);

    // Every feature the scenario names shows up in the log.
    let has = |name: &str| a.events.iter().any(|e| e.name() == name);
    for name in [
        "BotResolved",
        "BotHandedOff",
        "TicketOffered",
        "OfferAccepted",
        "TicketPinned",
        "TicketStepReached",
        "OverflowOpened",
        "WrapUpEnded",
        "TicketAbandoned",
        "TicketRequeued",
    ] {
        assert!(has(name), "no {name} in the log");
    }
    assert!(
        a.events.iter().any(|e| matches!(
            e,
            Event::TicketAssigned { how: cs_core::event::Assignment::Sticky, .. }
                | Event::TicketOffered { how: cs_core::event::Assignment::Sticky, .. }
        )),
        "repeat customers meet their previous agent"
    );
}

#[test]
fn the_log_replays_to_the_reported_metrics() {
    let sc = kitchen_sink();
    let a = run_logged(&sc, &RunOptions::default());
    let (from, to) = a.run.window;
    assert_eq!((from, to), sc.window());

    // From the events in memory.
    let metrics = cs_core::metrics::Metrics::of(&a.events);
    assert_eq!(metrics.report(from, to, to).unwrap(), a.run.report);

    // From the JSON lines, as `cs replay EVENTS` reads them.
    let decoded: Vec<Event> = std::str::from_utf8(&a.bytes)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str::<Envelope>(l).expect("each line is an envelope").event)
        .collect();
    assert_eq!(decoded.len() as u64, a.run.events);
    let metrics = cs_core::metrics::Metrics::of(&decoded);
    assert_eq!(metrics.report(from, to, to).unwrap(), a.run.report);
}

#[test]
fn example_scenarios_load_and_the_minimal_form_is_exact() {
    for name in ["steady-chat.toml", "promo-surge.toml", "mmc-check.toml"] {
        let path = crate::common::example_path(name);
        let sc = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sc.origin(), path.display().to_string());
    }
    let sc = Scenario::load(&crate::common::example_path("mmc-check.toml")).unwrap();
    assert_eq!(sc.name(), "mmc-check");
    assert_eq!(sc.seed(), 7);
    assert_eq!(sc.duration_s(), 172_800.0);
    assert_eq!(sc.warmup_s(), 28_800.0);
    assert_eq!(sc.service_level_target_s(), 20.0);
    assert_eq!(sc.start(), cs_core::Timestamp::parse(cs_sim::DEFAULT_START).unwrap());
    assert_eq!(sc.agents_n(), 50);
    assert_eq!(sc.replications(), 1);
    assert_eq!(sc.arrival_rate_per_hour("general", 1234.0), Some(540.0));
    assert_eq!(sc.mean_handle_time_s("general"), Some(300.0));
    let q = &sc.config().queues()[0];
    assert_eq!(q.service_level_ms, 20_000);
    assert_eq!(sc.config().limits.closed_ticket_retention_ms, 60_000);
}

#[test]
fn the_example_scenarios_show_their_features() {
    let sc = Scenario::load(&crate::common::example_path("promo-surge.toml")).unwrap();
    let log = crate::common::run_logged(&sc, &RunOptions::default());
    let secs = |e: &Event| crate::common::secs(&sc, e);
    let opened: Vec<f64> = log.events.iter().filter(|e| e.name() == "OverflowOpened").map(secs).collect();
    assert!(!opened.is_empty(), "the chat surge opens overflow to the e-mail team");
    assert!(opened.iter().all(|&t| (36_000.0..50_400.0).contains(&t)), "only around the surge: {opened:?}");
    assert!(log.events.iter().any(|e| e.name() == "TicketStepReached"));
    let overflow_assignments = log
        .events
        .iter()
        .filter(|e| {
            matches!(e, Event::TicketAssigned { how: cs_core::event::Assignment::Routed { overflow: true, .. }, .. })
        })
        .count();
    assert!(overflow_assignments > 0);
    let chat = log.run.queue_figures(0).unwrap();
    assert!(chat.offered > 2000, "{chat:?}");
    // Tiered escalation: L1 chat -> L2 experts (queue 3) on anger, repeat contacts and
    // resolution breaches; L2 -> L3 product (queue 4) on a breach in L2.
    let escalations: Vec<(cs_core::escalation::Trigger, u16)> = log
        .events
        .iter()
        .filter_map(|e| match e {
            Event::TicketEscalated { trigger, queue, .. } => Some((*trigger, queue.0)),
            _ => None,
        })
        .collect();
    use cs_core::escalation::Trigger;
    for trigger in [Trigger::Emotion, Trigger::RepeatContact, Trigger::SlaBreach] {
        assert!(escalations.contains(&(trigger, 3)), "{trigger:?} to L2: {escalations:?}");
    }
    assert!(escalations.contains(&(Trigger::SlaBreach, 4)), "a breach in L2 goes to L3: {escalations:?}");
    // The escalated tickets are worked there, and the log replays to the same figures.
    let (from, to) = log.run.window;
    let metrics = cs_core::metrics::Metrics::of(&log.events);
    assert_eq!(metrics.report(from, to, to).unwrap(), log.run.report);
    assert!(log.run.report.queues[3].handled > 0 && log.run.report.queues[4].handled > 0);

    let steady = Scenario::load(&crate::common::example_path("steady-chat.toml")).unwrap();
    let log = crate::common::run_logged(&steady, &RunOptions::default());
    let f = log.run.figures();
    assert!(f.service_level.unwrap() > 0.8, "{f:?}");
    assert!(f.bot_deflection_rate.unwrap() > 0.15 && f.bot_deflection_rate.unwrap() < 0.35, "{f:?}");
}
