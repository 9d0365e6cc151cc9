//! Bad scenarios are refused with every problem listed, each naming the file, the field
//! path and the reason.

use cs_sim::{Scenario, ScenarioError};

const GOOD: &str = r#"
name = "good"
seed = 1
duration_s = 3600
[[queues]]
name = "q"
channel = "chat"
skills = ["s"]
arrivals = { kind = "poisson", per_hour = 10 }
handle_time = { kind = "exponential", mean_s = 60 }
[[teams]]
name = "t"
agents = 2
skills = { s = 1 }
capacity = { chat = 1 }
"#;

fn error(text: &str) -> ScenarioError {
    match Scenario::from_toml_str(text, "bad.toml") {
        Ok(_) => panic!("scenario should be refused:\n{text}"),
        Err(e) => e,
    }
}

/// Every problem line, as displayed.
fn lines(text: &str) -> Vec<String> {
    let e = error(text);
    let shown = e.to_string();
    assert_eq!(shown.lines().count(), e.problems.len(), "one line per problem:\n{shown}");
    shown.lines().map(str::to_owned).collect()
}

/// Asserts a problem line starts with `bad.toml: {field}: ` and contains `reason`.
fn expect(lines: &[String], field: &str, reason: &str) {
    let prefix = format!("bad.toml: {field}: ");
    assert!(
        lines.iter().any(|l| l.starts_with(&prefix) && l.contains(reason)),
        "no problem `{prefix}...{reason}...` in:\n{}",
        lines.join("\n")
    );
}

fn with(replace: &str, by: &str) -> String {
    assert!(GOOD.contains(replace), "{replace:?} is in the base scenario");
    GOOD.replacen(replace, by, 1)
}

#[test]
fn the_base_scenario_is_valid() {
    Scenario::from_toml_str(GOOD, "good.toml").unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn unknown_kinds() {
    let l = lines(&with(r#"kind = "poisson""#, r#"kind = "poison""#));
    expect(&l, "queues[0].arrivals.kind", "unknown kind \"poison\"; expected one of: poisson, profile");
    let l = lines(&with(r#"kind = "exponential""#, r#"kind = "gamma""#));
    expect(&l, "queues[0].handle_time.kind", "unknown kind \"gamma\"");
    let l = lines(&with("[[teams]]", "patience = { kind = \"weibull\", mean_s = 3 }\n[[teams]]"));
    expect(
        &l,
        "queues[0].patience.kind",
        "unknown kind \"weibull\"; expected one of: exponential, lognormal, fixed, empirical, none",
    );
}

#[test]
fn negative_and_nan_numbers() {
    let l = lines(&with("per_hour = 10", "per_hour = -3"));
    expect(&l, "queues[0].arrivals.per_hour", "-3 is negative");
    let l = lines(&with("per_hour = 10", "per_hour = nan"));
    expect(&l, "queues[0].arrivals.per_hour", "NaN is not a number");
    let l = lines(&with("per_hour = 10", "per_hour = inf"));
    expect(&l, "queues[0].arrivals.per_hour", "inf is not finite");
    let l = lines(&with("mean_s = 60", "mean_s = 0"));
    expect(&l, "queues[0].handle_time.mean_s", "must be a finite number above 0");
    let l = lines(&with("seed = 1", "seed = -1"));
    expect(&l, "seed", "-1 is negative");
    let l = lines(&with("duration_s = 3600", "duration_s = 3600\nservice_level_target_s = -20"));
    expect(&l, "service_level_target_s", "-20 is negative");
}

/// Rates the simulated clock cannot tell apart (above one arrival per millisecond), found
/// before a run that would never advance its clock.
#[test]
fn arrival_rates_beyond_the_clock() {
    let l = lines(&with("per_hour = 10", "per_hour = 1e300"));
    expect(&l, "queues[0].arrivals", "the rate reaches 1.000e300 per hour");
    expect(&l, "queues[0].arrivals", "at most 3600000 per hour (one arrival per millisecond");
    // Within the limit alone, beyond it where two surges overlap.
    let surges = "per_hour = 10, surges = [{ start_s = 0, duration_s = 600, multiplier = 1e4 }, \
                  { start_s = 300, duration_s = 600, multiplier = 1e3 }]";
    let l = lines(&with("per_hour = 10", surges));
    expect(&l, "queues[0].arrivals", "the rate reaches 1.000e8 per hour");
    Scenario::from_toml_str(&with("per_hour = 10", &surges.replace("start_s = 300", "start_s = 600")), "ok.toml")
        .unwrap_or_else(|e| panic!("surges that do not overlap stay within the limit: {e}"));
    let overflow = "per_hour = 60, surges = [{ start_s = 0, duration_s = 60, multiplier = 1e308 }, \
                    { start_s = 0, duration_s = 60, multiplier = 1e308 }]";
    expect(&lines(&with("per_hour = 10", overflow)), "queues[0].arrivals", "overflow (not a finite number)");
}

/// A queue that takes back tickets nobody replied to needs agents who reply: by default
/// they reply as they take a ticket; told never to, the scenario is refused.
#[test]
fn a_reply_timeout_needs_replies() {
    let timeout = r#"handle_time = { kind = "exponential", mean_s = 60 }
engine = { reply_timeout_s = 30 }"#;
    let sc =
        Scenario::from_toml_str(&with(r#"handle_time = { kind = "exponential", mean_s = 60 }"#, timeout), "ok.toml")
            .unwrap_or_else(|e| panic!("{e}"));
    let (mut replies, mut taken_back) = (0, 0);
    let mut count = |e: &cs_core::Event| match e {
        cs_core::Event::AgentReplied { .. } => replies += 1,
        cs_core::Event::TicketRequeued { .. } => taken_back += 1,
        _ => {}
    };
    let run = cs_sim::run(&sc, &cs_sim::RunOptions::default(), &mut count, &mut |_| {}).unwrap();
    assert!(run.report.total.answered > 0 && replies as u64 >= run.report.total.answered);
    assert_eq!(taken_back, 0, "every taken ticket was replied to in time");
    let never = format!("{timeout}\nfirst_reply = {{ kind = \"none\" }}");
    let l = lines(&with(r#"handle_time = { kind = "exponential", mean_s = 60 }"#, &never));
    expect(&l, "queues[0].first_reply", "none, but queues[0].engine.reply_timeout_s is set");
}

/// Simulated time runs from 1970 (the engine's epoch) to the end of the year 9999.
#[test]
fn start_times_the_engine_cannot_hold() {
    let l = lines(&with("duration_s = 3600", "duration_s = 3600\nstart = \"1960-01-01T00:00:00Z\""));
    expect(&l, "start", "is before 1970-01-01T00:00:00Z");
    let l = lines(&with("duration_s = 3600", "duration_s = 3600\nstart = \"9999-12-31T23:59:59Z\""));
    expect(&l, "start", "ends after the year 9999");
}

#[test]
fn list_elements_must_be_numbers() {
    let l = lines(&with(
        r#"handle_time = { kind = "exponential", mean_s = 60 }"#,
        r#"handle_time = { kind = "empirical", values_s = [30, "ninety", -2] }"#,
    ));
    expect(&l, "queues[0].handle_time.values_s[1]", "expected a number, found string");
    // A value of the wrong type is a shape error: the first one ends the reading of its
    // table, so the range of the values is checked once they are all numbers.
    let l = lines(&with(
        r#"handle_time = { kind = "exponential", mean_s = 60 }"#,
        r#"handle_time = { kind = "empirical", values_s = [30, 90, -2] }"#,
    ));
    expect(&l, "queues[0].handle_time.values_s[2]", "-2 is negative");
    let hours = ["10"; 24].join(", ").replacen("10", "true", 1);
    let l = lines(&with(
        r#"arrivals = { kind = "poisson", per_hour = 10 }"#,
        &format!(r#"arrivals = {{ kind = "profile", per_hour = [{hours}] }}"#),
    ));
    expect(&l, "queues[0].arrivals.per_hour[0]", "expected a number, found boolean");
}

#[test]
fn a_queue_nobody_can_serve() {
    // The team lacks the skill level.
    let l = lines(&with(r#"skills = ["s"]"#, "skills = { s = 4 }"));
    expect(
        &l,
        "queues[0].skills",
        "nobody can ever serve queue \"q\": no team with agents has s >= 4 and capacity on chat",
    );
    expect(&l, "teams[0].skills", "team \"t\" can serve no queue");
    // The team has no capacity on the queue's channel.
    let l = lines(&with("capacity = { chat = 1 }", "capacity = { email = 1 }"));
    expect(&l, "queues[0].skills", "nobody can ever serve queue \"q\"");
    // A relaxation step that lowers the requirement makes it servable.
    let ok = with(
        r#"skills = ["s"]"#,
        "skills = { s = 4 }\nengine = { steps = [{ after_s = 0, proficiency_min = 4 }, { after_s = 60, proficiency_min = 1 }] }",
    );
    Scenario::from_toml_str(&ok, "ok.toml").unwrap_or_else(|e| panic!("{e}"));
    // A language nobody speaks.
    let l = lines(&with("[[teams]]", "mix = { languages = { en = 0.5, fr = 0.5 } }\n[[teams]]\nlanguages = [\"en\"]"));
    expect(&l, "queues[0].mix.languages.fr", "no team that can serve queue \"q\" speaks \"fr\"");
}

#[test]
fn shifts_must_end_after_they_start_and_not_overlap() {
    let l =
        lines(&with("capacity = { chat = 1 }", "capacity = { chat = 1 }\nshifts = [{ start_s = 7200, end_s = 3600 }]"));
    expect(&l, "teams[0].shifts[0].end_s", "the shift ends (3600 s) before it starts (7200 s)");
    let l = lines(&with(
        "capacity = { chat = 1 }",
        "capacity = { chat = 1 }\nshifts = [{ start_s = 0, end_s = 3600 }, { start_s = 1800, end_s = 5400 }]",
    ));
    expect(&l, "teams[0].shifts[1]", "overlaps shifts[0]");
    let l =
        lines(&with("capacity = { chat = 1 }", "capacity = { chat = 1 }\nshifts = [{ start_s = 0, end_s = 90000 }]"));
    expect(&l, "teams[0].shifts[0].end_s", "a daily shift lasts at most 86400 s");
    let l = lines(&with(
        "capacity = { chat = 1 }",
        "capacity = { chat = 1 }\nshifts = [{ start_s = 0, end_s = 60, agents = 3 }]",
    ));
    expect(&l, "teams[0].shifts[0].agents", "3 must be between 1 and the team's 2 agents");
    // A shift that never comes within the run (a daily one past midnight is on from the
    // start, so it does).
    let late = "shifts = [{ start_s = 7200, end_s = 9000, daily = false }]";
    let l = lines(&with("capacity = { chat = 1 }", &format!("capacity = {{ chat = 1 }}\n{late}")));
    expect(&l, "teams[0].shifts[0].start_s", "7200 s is at or after the end of the run (duration_s = 3600 s)");
    let night = "shifts = [{ start_s = 79200, end_s = 90000 }]";
    Scenario::from_toml_str(
        &with("capacity = { chat = 1 }", &format!("capacity = {{ chat = 1 }}\n{night}")),
        "ok.toml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // A bad shift does not hide an overlap between two good ones, whatever the duration.
    let shifts = "shifts = [{ start_s = 0, end_s = 3600 }, { start_s = 100, end_s = 50 }, \
                  { start_s = 1800, end_s = 7200 }]";
    for duration in ["3600", "1e300"] {
        let text = with("capacity = { chat = 1 }", &format!("capacity = {{ chat = 1 }}\n{shifts}"));
        let l = lines(&text.replace("duration_s = 3600", &format!("duration_s = {duration}")));
        expect(&l, "teams[0].shifts[1].end_s", "the shift ends (50 s) before it starts (100 s)");
        expect(&l, "teams[0].shifts[2]", "overlaps shifts[0]");
    }
}

#[test]
fn warmup_must_leave_time_to_measure() {
    let l = lines(&with("duration_s = 3600", "duration_s = 3600\nwarmup_s = 3600"));
    expect(&l, "warmup_s", "3600 s is not shorter than duration_s (3600 s)");
    // Rounded up to the next 15-minute boundary it would reach the end.
    let l = lines(&with("duration_s = 3600", "duration_s = 3600\nwarmup_s = 3000"));
    expect(&l, "warmup_s", "rounded up to the next 15-minute boundary");
    let l = lines(&with("duration_s = 3600", "duration_s = 2700000"));
    expect(&l, "duration_s", "more than 31 days");
}

#[test]
fn probabilities_must_sum_to_one() {
    let l = lines(&with(
        "[[teams]]",
        "mix = { tiers = { standard = 0.5, gold = 0.3 }, urgencies = { urgent = 1.0 }, repeat_share = 1.5 }\n[[teams]]",
    ));
    expect(&l, "queues[0].mix.tiers", "probabilities sum to 0.8, not 1");
    expect(&l, "queues[0].mix.urgencies.urgent", "unknown \"urgent\"; expected one of: low, normal, high, critical");
    expect(&l, "queues[0].mix.repeat_share", "1.5 is not a probability");
    let l = lines(&with("[[teams]]", "bot = { deflection = 2, time = { kind = \"fixed\", s = 5 } }\n[[teams]]"));
    expect(&l, "queues[0].bot.deflection", "2 is not a probability");
}

#[test]
fn unknown_channels_fields_and_missing_ones() {
    let l = lines(&with(r#"channel = "chat""#, r#"channel = "fax""#));
    expect(&l, "queues[0].channel", "unknown channel \"fax\"; expected one of: chat, email, phone, social, other");
    let l = lines(&with("capacity = { chat = 1 }", "capacity = { chat = 1, pigeon = 2 }"));
    expect(&l, "teams[0].capacity.pigeon", "unknown channel \"pigeon\"");
    let l = lines(&with("seed = 1", "seed = 1\nduraton_s = 5"));
    expect(&l, "duraton_s", "unknown field \"duraton_s\"; expected one of:");
    let l = lines(&with("handle_time = { kind = \"exponential\", mean_s = 60 }\n", ""));
    expect(&l, "queues[0].handle_time", "missing");
    let l = lines(&with("agents = 2", "named = [\"ann\", \"ann\"]"));
    expect(&l, "teams[0].named[1]", "duplicate agent \"ann\"");
}

#[test]
fn every_problem_is_listed_at_once() {
    let text = GOOD
        .replace("per_hour = 10", "per_hour = -1")
        .replace(r#"channel = "chat""#, r#"channel = "fax""#)
        .replace("mean_s = 60", "mean_s = -5")
        .replace("duration_s = 3600", "duration_s = 3600\nwarmup_s = 7200");
    let l = lines(&text);
    expect(&l, "queues[0].arrivals.per_hour", "negative");
    expect(&l, "queues[0].channel", "unknown channel");
    expect(&l, "queues[0].handle_time.mean_s", "negative");
    expect(&l, "warmup_s", "not shorter than duration_s");
    assert_eq!(l.len(), 4, "{l:#?}");
}

#[test]
fn syntax_errors_name_the_line() {
    let l = lines("name = \"x\"\nseed = 1\nduration_s = = 3\n");
    assert_eq!(l.len(), 1);
    assert!(l[0].starts_with("bad.toml: line 3, column "), "{}", l[0]);
    assert!(l[0].contains("TOML syntax error"), "{}", l[0]);
}

#[test]
fn unreadable_files_name_the_file() {
    let e = Scenario::load("/nonexistent/scenario.toml".as_ref()).unwrap_err();
    assert!(e.to_string().starts_with("/nonexistent/scenario.toml: cannot read"), "{e}");
}

#[test]
fn engine_problems_map_to_scenario_fields() {
    // A bad value, a misspelt field and a core validation problem in a queue's engine table.
    let l = lines(&with(
        "[[teams]]",
        "engine = { strategy = \"fastest\", stickyy = 1, overflow = { teams = [\"nobody\"], open_waiting = 3 } }\n[[teams]]",
    ));
    expect(&l, "queues[0].engine.strategy", "unknown variant `fastest`");
    expect(&l, "queues[0].engine.stickyy", "unknown field `stickyy`");
    // Problems found by the core once the config deserialises.
    let l = lines(&with("[[teams]]", "engine = { overflow = { teams = [\"nobody\"], open_waiting = 3 } }\n[[teams]]"));
    expect(&l, "queues[0].engine.overflow.teams[0]", "unknown team \"nobody\"");
    // Top-level sections.
    let l = lines(&format!("{GOOD}\n[engine.priority]\nurgency = {{ extreme = 1 }}\n"));
    expect(&l, "engine.priority.urgency.extreme", "unknown key \"extreme\"");
    let l = lines(&format!("{GOOD}\n[engine]\nqueues = []\nfuture_section = 1\n"));
    expect(&l, "engine.queues", "queues are defined by [[queues]]");
    expect(&l, "engine.future_section", "unknown field `future_section`");
    let l = lines(&with("[[teams]]", "engine = { skills = { s = 2 } }\n[[teams]]"));
    expect(&l, "queues[0].engine.skills", "not allowed here");
    // Generated fields: the team's tier.
    let l = lines(&with("agents = 2", "agents = 2\ntier = \"L9\""));
    expect(&l, "teams[0].tier", "unknown variant `L9`");
}

/// An engine table is read into the core's own type: a problem inside a key is reported at
/// its full path, and every bad key of every table is listed.
#[test]
fn engine_problems_name_the_nested_field() {
    let l = lines(&format!(
        "{}\n[engine]\nlanguages = [1]\n[engine.limits]\nagents_max = \"x\"\n",
        with(
            "[[teams]]",
            "engine = { overflow = { teams = [\"t\"], open_waitin = 3 }, steps = [{ after_s = \"x\" }] }\n[[teams]]"
        )
        .replace("agents = 2", "agents = 2\nengine = { wrap_up_s = \"x\" }")
    ));
    expect(&l, "queues[0].engine.overflow.open_waitin", "unknown field `open_waitin`");
    expect(&l, "queues[0].engine.steps[0].after_s", "invalid type: string \"x\", expected f64");
    expect(&l, "teams[0].engine.wrap_up_s", "invalid type: string \"x\", expected f64");
    expect(&l, "engine.languages[0]", "invalid type: integer `1`, expected a string");
    expect(&l, "engine.limits.agents_max", "invalid type: string \"x\", expected u32");
    assert_eq!(l.len(), 5, "{}", l.join("\n"));
}

/// A file far larger than any scenario (a wrong path: a log, a device) is refused before it
/// is read whole.
#[test]
fn oversized_files_are_refused() {
    let dir = std::env::temp_dir().join(format!("cs-sim-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("huge.toml");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(cs_sim::FILE_BYTES_MAX + 1).unwrap(); // sparse: no disk used
    let e = Scenario::load(&path).unwrap_err();
    assert_eq!(e.problems.len(), 1);
    assert!(e.problems[0].reason.contains("is larger than 64 MiB"), "{e}");
    // The reader says it by a typed error, not only in words.
    assert!(matches!(
        cs_sim::read_text(&path),
        Err(cs_sim::ReadError::TooLarge { max_bytes }) if max_bytes == cs_sim::FILE_BYTES_MAX
    ));
    assert!(matches!(cs_sim::read_text(&dir.join("absent.toml")), Err(cs_sim::ReadError::Io(_))));
    std::fs::remove_file(&path).unwrap();
}

/// A run too short to measure is the duration's fault when there is no warm-up (it used
/// to be reported as a `warmup_s` problem), and huge numbers in messages are written in
/// scientific notation, not in 301 digits.
#[test]
fn short_runs_blame_the_duration_and_numbers_stay_short() {
    let l = lines(&with("duration_s = 3600", "duration_s = 0.0001"));
    expect(&l, "duration_s", "0.0001 s is under a millisecond");
    assert!(!l.iter().any(|l| l.contains("warmup_s")), "{l:#?}");
    // Starting at 09:07 with 5 minutes to run: no 15-minute boundary to start the figures.
    let l = lines(&with("duration_s = 3600", "duration_s = 300\nstart = \"2026-01-05T09:07:00Z\""));
    expect(&l, "duration_s", "before the first 15-minute boundary");
    assert!(!l.iter().any(|l| l.contains("warmup_s")), "{l:#?}");
    let l = lines(&with(
        "capacity = { chat = 1 }",
        "capacity = { chat = 1 }\nshifts = [{ start_s = 1e300, end_s = 1e301, daily = false }]",
    ));
    expect(&l, "teams[0].shifts[0].start_s", "1e300 s is at or after the end of the run");
    assert!(l.iter().all(|l| l.len() < 200), "{l:#?}");
}

/// A log-normal whose spread no run can honour (sd_s = 1e150 around a mean of 300 s gave
/// handle times of 0 ms, an AHT of 0 s and a service level of 100 %) is refused, saying
/// why; a wide but honourable one (100 times its mean) is taken.
#[test]
fn lognormal_spreads_no_run_can_show_are_refused() {
    let ht = r#"handle_time = { kind = "exponential", mean_s = 60 }"#;
    let l = lines(&with(ht, r#"handle_time = { kind = "lognormal", mean_s = 300, sd_s = 1e150 }"#));
    expect(&l, "queues[0].handle_time.sd_s", "1e150 is more than 100 times mean_s (300)");
    expect(&l, "queues[0].handle_time.sd_s", "no run would show the mean it states");
    let l = lines(&with("[[teams]]", "patience = { kind = \"lognormal\", mean_s = 60, sd_s = 6001 }\n[[teams]]"));
    expect(&l, "queues[0].patience.sd_s", "at most 6000");
    Scenario::from_toml_str(
        &with(ht, r#"handle_time = { kind = "lognormal", mean_s = 300, sd_s = 30000 }"#),
        "ok.toml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

/// Control characters in names (a newline, a NUL, an ANSI escape) used to reach the
/// terminal tables and make the SVG charts invalid XML: they are refused by field, the
/// scenario's own name and agent names included, and the engine's names by the core.
#[test]
fn names_with_control_characters_are_refused() {
    let l = lines(&with(r#"name = "good""#, r#"name = "good\u001b[31m""#));
    expect(&l, "name", "control character U+001B");
    let l = lines(&with(r#"name = "q""#, r#"name = "q\nq""#));
    expect(&l, "queues[0].name", "control character U+000A");
    let l = lines(&with(r#"name = "t""#, r#"name = "t\u0000""#));
    expect(&l, "teams[0].name", "control character U+0000");
    let l = lines(&with("agents = 2", r#"named = ["ann", "b\u0007b"]"#));
    expect(&l, "teams[0].named[1]", "control character U+0007");
    let l = lines(
        &with(r#"skills = ["s"]"#, r#"skills = ["s\r"]"#).replace("skills = { s = 1 }", "skills = { \"s\\r\" = 1 }"),
    );
    assert!(l.iter().any(|l| l.contains("U+000D")), "{l:#?}");
}

/// Limits are checked before building: 100 teams of 100,000 agents are refused after
/// making about 100,000 agent names, not ten million (which cost a gigabyte).
#[test]
fn agent_limits_are_checked_before_the_names_are_made() {
    let mut text = GOOD.replace("agents = 2", "agents = 100000");
    for i in 1..100 {
        text.push_str(&format!(
            "[[teams]]\nname = \"t{i}\"\nagents = 100000\nskills = {{ s = 1 }}\ncapacity = {{ chat = 1 }}\n"
        ));
    }
    let (l, bytes) = crate::allocated_by(|| lines(&text));
    expect(&l, "teams", "10000000 agents in all; at most 100000");
    assert_eq!(l.len(), 1, "{l:#?}");
    // Ten million names allocated 840 MB; the limit's worth takes a few.
    assert!(bytes < 64 << 20, "{bytes} bytes allocated to refuse the scenario");
}

/// A problem is said once, where it is: two teams with one name used to add a line for
/// every agent named after the team (a hundred agents, a hundred more lines).
#[test]
fn a_duplicate_team_is_one_problem_not_one_per_agent() {
    let text = format!(
        "{}\n[[teams]]\nname = \"t\"\nagents = 100\nskills = {{ s = 1 }}\ncapacity = {{ chat = 1 }}\n",
        GOOD.replace("agents = 2", "agents = 100")
    );
    let l = lines(&text);
    expect(&l, "teams[1].name", "duplicate team \"t\"");
    assert_eq!(l.len(), 1, "{l:#?}");
    // Generated names that clash with another team's named agent: one line for the team.
    let text = format!(
        "{}\n[[teams]]\nname = \"u\"\nnamed = [\"t-1\", \"t-2\"]\nskills = {{ s = 1 }}\ncapacity = {{ chat = 1 }}\n",
        GOOD
    );
    let l = lines(&text);
    assert_eq!(l.len(), 2, "each named agent is its own problem: {l:#?}");
}

/// The file's shape (its keys and the types of its values) is read first, by serde: the
/// first shape problem is the only one reported, at its path; once the shape is right,
/// every value problem is listed at once.
#[test]
fn the_first_shape_problem_is_reported_at_its_path() {
    let l = lines(&with("seed = 1", "seed = 1\nduraton_s = 5\nwarmup = 3"));
    assert_eq!(l.len(), 1, "{l:#?}");
    expect(&l, "duraton_s", "unknown field \"duraton_s\"; expected one of: name, seed, start,");
    let l = lines(&with("channel = \"chat\"", "channel = \"chat\"\nbot = { deflection = 0.5, tme = 3 }"));
    expect(&l, "queues[0].bot.tme", "unknown field \"tme\"; expected one of: deflection, time");
    assert_eq!(l.len(), 1, "{l:#?}");
    let l = lines(&with("agents = 2", "agents = \"two\""));
    expect(&l, "teams[0].agents", "expected an integer, found string");
    let l = lines(&with("per_hour = 10", "per_hour = 10, surges = [{ start_s = 0, duration_s = 60, mult = 2 }]"));
    expect(&l, "queues[0].arrivals.surges[0].mult", "expected one of: start_s, duration_s, multiplier");
    let l = lines(&with("mean_s = 60", "mean_s = 60, sd_s = 3"));
    expect(&l, "queues[0].handle_time.sd_s", "unknown field \"sd_s\"; expected one of: kind, mean_s");
    let l = lines(&with("seed = 1", "seed = 1\ncustomers = 5"));
    expect(&l, "customers", "expected a table");
}

/// A distribution's or arrival model's keys are read once its kind is known, and a shape
/// problem there stops loading as any other does (not listed with the value problems).
#[test]
fn a_shape_problem_in_a_kind_table_stops_loading() {
    let text = GOOD
        .replace("seed = 1", "seed = -1")
        .replace("mean_s = 60", "mean_s = 60, median_s = 30")
        .replace("per_hour = 10", "per_hour = \"ten\"");
    let l = lines(&text);
    assert_eq!(l.len(), 1, "{l:#?}");
    expect(&l, "queues[0].arrivals.per_hour", "expected a number, found string");
    let l = lines(&GOOD.replace("seed = 1", "seed = -1").replace("mean_s = 60", "mean_s = 60, median_s = 30"));
    assert_eq!(
        l,
        ["bad.toml: queues[0].handle_time.median_s: unknown field \"median_s\"; expected one of: kind, mean_s"]
    );
    // Once the shape is right, every value problem is listed.
    let l = lines(&GOOD.replace("seed = 1", "seed = -1").replace("mean_s = 60", "mean_s = -60"));
    expect(&l, "seed", "-1 is negative");
    expect(&l, "queues[0].handle_time.mean_s", "-60 is negative");
}
