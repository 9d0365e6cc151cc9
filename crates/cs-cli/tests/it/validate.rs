//! `cs validate`: a good config, a bad one with every problem listed, files that do not
//! decode, and the scenario extension point.

use crate::{cs, desk, scratch};

#[test]
fn good_config_is_ok() {
    for (name, text) in [
        ("good.toml", desk::CONFIG.to_owned()),
        ("good.json", serde_json::to_string(&toml::from_str::<cs_core::ConfigSpec>(desk::CONFIG).unwrap()).unwrap()),
    ] {
        let path = scratch(name);
        std::fs::write(&path, text).unwrap();
        let r = cs([std::ffi::OsStr::new("validate"), path.as_os_str()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.stdout, format!("{}: ok\n", path.display()));
    }
}

#[test]
fn bad_config_lists_every_problem() {
    let path = scratch("bad.toml");
    std::fs::write(
        &path,
        r#"
skills = ["billing", "billing"]
teams = [{ name = "a" }]
[priority]
urgency = { high = -3 }
[[queues]]
name = "q"
skills = { billing = 7, cooking = 1 }
[[queues]]
name = "q"
"#,
    )
    .unwrap();
    let r = cs([std::ffi::OsStr::new("validate"), path.as_os_str()]);
    assert_eq!(r.code, 1);
    let file = path.display().to_string();
    let expect = [
        "skills[1]: duplicate name \"billing\"",
        "queues[1].name: duplicate queue \"q\"",
        "priority.urgency.high: -3 is negative",
        "queues[0].skills.billing: proficiency 7",
        "queues[0].skills.cooking: unknown skill \"cooking\"",
    ];
    for e in expect {
        let line = format!("{file}: {e}");
        assert!(r.stdout.lines().any(|l| l.starts_with(&line)), "{line:?} missing from\n{}", r.stdout);
    }
    assert!(r.stdout.lines().all(|l| l.starts_with(&format!("{file}: "))), "{}", r.stdout);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.starts_with("error: ") && r.stderr.contains("5 problems"), "{}", r.stderr);

    let r = cs([std::ffi::OsStr::new("validate"), path.as_os_str(), "--json".as_ref()]);
    assert_eq!(r.code, 1);
    let j = r.json();
    assert_eq!(j["ok"], false);
    assert_eq!(j["kind"], "config");
    assert_eq!(j["problems"].as_array().unwrap().len(), 5);
    assert_eq!(j["problems"][0]["path"], "skills[1]");
}

#[test]
fn undecodable_files_name_line_and_column() {
    let typo = scratch("typo.toml");
    std::fs::write(&typo, "skills = [\"billing\"]\n[[queues]]\nname = \"q\"\nchanels = [\"chat\"]\n").unwrap();
    let r = cs([std::ffi::OsStr::new("validate"), typo.as_os_str()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("typo.toml: queues[0].chanels: unknown field `chanels`")
            && r.stdout.contains("(line 4, column 1)"),
        "the field's path, then its line: {}",
        r.stdout
    );
    // A value of the wrong kind, at its path, in JSON too.
    let tier = scratch("tier.json");
    std::fs::write(&tier, "{\"skills\": [\"a\"],\n \"teams\": [{\"name\": \"t\", \"tier\": \"L9\"}]}").unwrap();
    let r = cs([std::ffi::OsStr::new("validate"), tier.as_os_str()]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("tier.json: teams[0].tier: unknown variant `L9`"), "{}", r.stdout);

    let json = scratch("broken.json");
    std::fs::write(&json, "{\"skills\": [\"a\"],\n \"queues\": [}").unwrap();
    let r = cs([std::ffi::OsStr::new("validate"), json.as_os_str()]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("broken.json: line 2, column"), "{}", r.stdout);
    assert!(r.stdout.contains("JSON syntax error: "), "{}", r.stdout);
    // A syntax error is of no kind; nor is an empty file, which says what it lacks.
    let toml = scratch("broken.toml");
    std::fs::write(&toml, "name = \"x\"\nqueues = [{ name = \"q\" channel = \"chat\" }]\n").unwrap();
    let r = cs([std::ffi::OsStr::new("validate"), toml.as_os_str(), "--json".as_ref()]);
    assert_eq!(r.code, 1);
    let j = r.json();
    assert_eq!(j["kind"], serde_json::Value::Null);
    assert!(j["problems"][0]["message"].as_str().unwrap().starts_with("TOML syntax error: "), "{j}");
    let empty = scratch("empty.toml");
    std::fs::write(&empty, "# nothing yet\n").unwrap();
    let r = cs([std::ffi::OsStr::new("validate"), empty.as_os_str(), "--json".as_ref()]);
    assert_eq!(r.code, 1);
    let j = r.json();
    assert_eq!(j["kind"], serde_json::Value::Null);
    assert!(j["problems"][0]["message"].as_str().unwrap().starts_with("holds nothing: a scenario needs"), "{j}");

    let yaml = scratch("config.yaml");
    std::fs::write(&yaml, "skills: []").unwrap();
    let r = cs([std::ffi::OsStr::new("validate"), yaml.as_os_str()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains(".toml or .json"), "{}", r.stderr);
}

#[test]
fn scenarios_are_recognised_by_their_keys() {
    let path = scratch("scenario.toml");
    std::fs::write(&path, "duration_s = 3600\n").unwrap();
    let r = cs([std::ffi::OsStr::new("validate"), path.as_os_str()]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("scenario.toml: queues: "), "checked as a scenario: {}", r.stdout);
    // Forced to be read as a config, it is a config with an unknown field.
    let r = cs([std::ffi::OsStr::new("validate"), path.as_os_str(), "--kind".as_ref(), "config".as_ref()]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("unknown field `duration_s`"), "{}", r.stdout);
    // A scenario missing every top-level key of its own is still one by its queues and
    // teams, and is told what it lacks.
    let path = scratch("nameless.toml");
    let text = "[[queues]]\nname = \"q\"\nchannel = \"chat\"\nskills = [\"s\"]\n\
                arrivals = { kind = \"poisson\", per_hour = 10 }\n\
                handle_time = { kind = \"exponential\", mean_s = 60 }\n\
                [[teams]]\nname = \"t\"\nagents = 2\nskills = { s = 1 }\ncapacity = { chat = 1 }\n";
    std::fs::write(&path, text).unwrap();
    let r = cs([std::ffi::OsStr::new("validate"), path.as_os_str()]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("nameless.toml: name: missing"), "{}", r.stdout);
    assert!(r.stdout.contains("nameless.toml: duration_s: missing"), "{}", r.stdout);
}

/// A queue whose only scenario key is one of the back-and-forth keys is a scenario's, and
/// a scenario with them (the promotion-day example) validates.
#[test]
fn conversation_reopen_and_transfer_mark_a_scenario() {
    for key in ["conversation = { share = 0.2 }", "reopen = { share = 0.1 }", "transfer = { share = 0.1, to = \"x\" }"]
    {
        let path = scratch("talk.toml");
        std::fs::write(&path, format!("[[queues]]\nname = \"q\"\n{key}\n")).unwrap();
        let r = cs([std::ffi::OsStr::new("validate"), path.as_os_str()]);
        assert_eq!(r.code, 1);
        assert!(r.stdout.contains("talk.toml: queues[0].arrivals: missing"), "{key}: {}", r.stdout);
    }
    let example =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios/promo-surge.toml");
    let r = cs([std::ffi::OsStr::new("validate"), example.as_os_str()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}
