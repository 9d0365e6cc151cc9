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
