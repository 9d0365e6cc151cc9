//! Configs load from TOML and JSON; bad ones are refused naming the field and the value.

use crate::fixture::CONFIG;
use cs_core::{Config, ConfigSpec};

#[test]
fn loads_from_toml_and_json_alike() {
    let from_toml = Config::new(toml::from_str::<ConfigSpec>(CONFIG).unwrap()).unwrap();
    let json = serde_json::to_string_pretty(&from_toml).unwrap();
    let from_json: Config = serde_json::from_str(&json).unwrap();
    assert_eq!(from_toml, from_json);
    assert_eq!(from_json.queue_id("tech"), Some(cs_core::QueueId(2)));
}

#[test]
fn unknown_fields_are_refused_by_the_parser() {
    let text = format!("{CONFIG}\n[extras]\nfoo = 1\n");
    let err = toml::from_str::<ConfigSpec>(&text).unwrap_err().to_string();
    assert!(err.contains("unknown field `extras`"), "{err}");
}

#[test]
fn semantic_errors_name_field_and_value() {
    let text = r#"
        skills = ["billing"]
        teams = [{ name = "t1" }]
        [priority]
        tier = { vip = -5 }
        [[queues]]
        name = "q"
        skills = { billing = 7, cooking = 2 }
        strategy = "round_robin"
        [[queues]]
        name = "q"
    "#;
    let spec: ConfigSpec = toml::from_str(text).unwrap();
    let msg = Config::new(spec).unwrap_err().to_string();
    for expected in [
        "priority.tier.vip: -5 is negative",
        "queues[0].skills.billing: proficiency 7 is outside 1..=5",
        "queues[0].skills.cooking: unknown skill \"cooking\"",
        "queues[1].name: duplicate queue \"q\"",
    ] {
        assert!(msg.contains(expected), "missing {expected:?} in {msg}");
    }
    // An unknown strategy is a parse error naming the variant.
    let bad = text.replace("round_robin", "random");
    let err = toml::from_str::<ConfigSpec>(&bad).unwrap_err().to_string();
    assert!(err.contains("unknown variant `random`"), "{err}");
}

#[test]
fn every_example_config_loads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/configs");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let spec: ConfigSpec = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let config = Config::new(spec).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!config.queues().is_empty());
        n += 1;
    }
    assert!(n >= 1, "no example configs in {}", dir.display());
}

fn problems(text: &str) -> Vec<String> {
    let spec: ConfigSpec = toml::from_str(text).unwrap();
    Config::new(spec).unwrap_err().problems.iter().map(|p| p.to_string()).collect()
}

/// Control characters (a newline, a NUL, an ANSI escape) and bidirectional overrides in a
/// name would reach every table, log line and chart that prints it (a chart holding one
/// is not valid XML): they are refused wherever a name comes in, by field.
#[test]
fn names_with_control_characters_are_refused() {
    let text = "skills = [\"bill\\u0000ing\"]\nlanguages = [\"e\\u202en\"]\n\
                teams = [{ name = \"red\\u001b[31m\" }]\n\
                [[queues]]\nname = \"q\\nq\"\n\
                [[calendars]]\nname = \"c\\u0007\"\nutc_offset = \"Z\"\nalways_open = true\n\
                [[sla_policies]]\nname = \"p\\r\"\nfirst_response_s = 60\n\
                [escalation]\ntiers = [{ name = \"L\\t1\", queue = \"q\\nq\" }]\n";
    let p = problems(text);
    for (field, code) in [
        ("skills[0]", "U+0000"),
        ("languages[0]", "U+202E"),
        ("teams[0].name", "U+001B"),
        ("queues[0].name", "U+000A"),
        ("calendars[0]", "U+0007"),
        ("sla_policies[0].name", "U+000D"),
        ("escalation.tiers[0].name", "U+0009"),
    ] {
        assert!(
            p.iter()
                .any(|x| x.starts_with(&format!("{field}: ")) && x.contains(code) && x.contains("control character")),
            "missing {field} ({code}) in {p:#?}"
        );
    }
    // The names are quoted with their escapes, so the messages print on one line each.
    assert!(p.iter().all(|x| !x.contains('\n') && !x.contains('\u{1b}')), "{p:#?}");
}

/// A calendar that does not compile is reported once, not again as an "unknown calendar"
/// for every policy naming it; a tier whose queue is unknown does not make the next tier's
/// queue look taken.
#[test]
fn a_bad_entry_raises_no_false_follow_on_problems() {
    let p = problems(
        r#"
        skills = []
        teams = [{ name = "t" }]
        queues = [{ name = "a" }, { name = "b" }]
        [[calendars]]
        name = "office"
        utc_offset = "+99:00"
        hours = {}
        [[sla_policies]]
        name = "p1"
        calendar = "office"
        first_response_s = 60
        [[sla_policies]]
        name = "p2"
        calendar = "office"
        first_response_s = 60
        [escalation]
        tiers = [{ name = "L1", queue = "nope" }, { name = "L2", queue = "a" }]
        "#,
    );
    assert!(p.iter().any(|x| x.starts_with("calendars[0]: ")), "{p:#?}");
    assert!(p.iter().any(|x| x.starts_with("escalation.tiers[0].queue: unknown queue")), "{p:#?}");
    assert_eq!(p.len(), 2, "only the two real problems: {p:#?}");
}
