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
    assert!(r.stdout.contains("typo.toml: line 4, column 1: unknown field `chanels`"), "{}", r.stdout);

    let json = scratch("broken.json");
    std::fs::write(&json, "{\"skills\": [\"a\"],\n \"queues\": [}").unwrap();
    let r = cs([std::ffi::OsStr::new("validate"), json.as_os_str()]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("broken.json: line 2, column"), "{}", r.stdout);

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
}
