//! The invariants `docs/ARCHITECTURE.md` lists that no other test checks on its own.

use crate::fixture::{TECH, configure, t};
use crate::gwt::{decide_in, given};
use cs_core::{Command, CustomerId, Engine, Event, Rejection, State, TicketId, TicketSpec};

/// What `cs-core` may depend on: none of these does I/O, reads a clock or draws random
/// numbers as the workspace configures them (chrono without its `clock` feature).
const PURE_DEPENDENCIES: [&str; 6] = ["serde", "thiserror", "chrono", "chrono-tz", "petgraph", "rustc-hash"];

/// What would mean I/O, a clock, randomness or global state in the library's source.
const FORBIDDEN: [&str; 24] = [
    "std::fs",
    "std::net",
    "std::io",
    "std::env",
    "std::process",
    "std::thread",
    "std::time",
    "SystemTime",
    "Instant::now",
    "Utc::now",
    "Local::now",
    "rand::",
    "getrandom",
    "RandomState",
    "std::collections::HashMap",
    "std::collections::HashSet",
    "static mut",
    "thread_local!",
    "OnceLock",
    "OnceCell",
    "LazyLock",
    "lazy_static",
    "std::sync::atomic",
    "Mutex",
];

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `cs-core` does no I/O, reads no clock, draws no random numbers and holds no global
/// state: its dependencies are the pure ones above, chrono comes without its clock, and
/// no line of its source (comments aside) names I/O, a clock, a random source, a `static`
/// that could change, or a lazily set global.
#[test]
fn cs_core_does_no_io_reads_no_clock_draws_no_random_numbers_holds_no_global_state() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest: toml::Table = toml::from_str(&std::fs::read_to_string(root.join("Cargo.toml")).unwrap()).unwrap();
    let deps = manifest.get("dependencies").and_then(|d| d.as_table()).cloned().unwrap_or_default();
    for name in deps.keys() {
        assert!(
            PURE_DEPENDENCIES.contains(&name.as_str()),
            "crates/cs-core/Cargo.toml depends on {name}, not known to do no I/O, read no clock and draw no \
             random numbers; check it and add it to PURE_DEPENDENCIES"
        );
    }
    assert!(!manifest.contains_key("build-dependencies"), "cs-core has a build script's dependencies");
    let workspace: toml::Table =
        toml::from_str(&std::fs::read_to_string(root.join("../../Cargo.toml")).unwrap()).unwrap();
    let chrono = &workspace["workspace"]["dependencies"]["chrono"];
    assert_eq!(
        chrono.get("default-features").and_then(|v| v.as_bool()),
        Some(false),
        "chrono's defaults read the clock"
    );
    let features = chrono.get("features").and_then(|f| f.as_array()).cloned().unwrap_or_default();
    assert!(!features.iter().any(|f| f.as_str() == Some("clock") || f.as_str() == Some("now")), "chrono has its clock");

    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.sort();
    assert!(files.len() > 10, "found the sources");
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            let code = code.split(" //").next().unwrap();
            for word in FORBIDDEN {
                if code.contains(word) {
                    found.push(format!("{}:{}: {word}: {}", file.display(), n + 1, line.trim()));
                }
            }
            // A `static` (not `'static`) is global state unless it is an immutable constant
            // table; none is needed: constants are `const`.
            if code.starts_with("static ") || code.starts_with("pub static ") || code.starts_with("pub(crate) static ")
            {
                found.push(format!("{}:{}: static: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "cs-core's source names I/O, a clock, randomness or global state:\n{}", found.join("\n"));
}

/// A ticket for the tech queue, which widens to every team after 60 s: a timer.
fn tech_ticket(at: i64) -> Command {
    let mut spec = TicketSpec::new(CustomerId(1), cs_core::Channel::Email);
    spec.queue = Some(TECH);
    Command::CreateTicket { at: t(at), spec }
}

/// A command the state refuses (no such ticket), at `at`.
fn refused(at: i64) -> Command {
    Command::Resolve { at: t(at), ticket: TicketId(99) }
}

/// Given a waiting ticket whose next step is due at 60 s, when a command at 61 s is
/// refused: the step's timer, due before it, fired first and stands; the command adds no
/// event of its own. The engine's events and state are exactly those of an engine that
/// got a `Tick` at 61 s instead.
#[test]
fn a_rejected_command_adds_nothing_and_the_timers_due_before_it_stand_in_the_engine() {
    let mut engine = Engine::new();
    let mut ticked = Engine::new();
    for cmd in [configure(), tech_ticket(0)] {
        engine.execute(&cmd).unwrap();
        ticked.execute(&cmd).unwrap();
    }
    assert_eq!(engine.next_deadline(), Some(t(60)), "a timer is due before the command");
    let before = engine.events().len();

    let result = engine.execute(&refused(61));
    ticked.execute(&Command::Tick { at: t(61) }).unwrap();

    assert!(matches!(result, Err(Rejection::UnknownTicket { .. })), "{result:?}");
    let fired = &engine.events()[before..];
    assert!(matches!(fired, [Event::TicketStepReached { .. }]), "the timer fired: {fired:?}");
    assert_eq!(engine.events(), ticked.events());
    assert_eq!(engine.state(), ticked.state());

    // With no timer due before it, a rejected command changes nothing at all.
    let state = engine.state().clone();
    let before = engine.events().len();
    assert!(engine.execute(&refused(62)).is_err());
    assert_eq!(engine.events().len(), before);
    assert_eq!(engine.state(), &state);
}

/// The same through the pure `Decision`: the steps before the rejection return the
/// timers' events, which the caller applied and which stand; the rejection adds none, and
/// the state is the one a `Tick` at the command's instant gives.
#[test]
fn a_rejected_command_adds_nothing_and_the_timers_due_before_it_stand_in_a_decision() {
    let g = given(&[configure(), tech_ticket(0)]);
    let mut state: State = g.state.clone();
    let mut ticked: State = g.state.clone();

    let (events, result) = decide_in(&mut state, &refused(61));
    let (tick_events, tick) = decide_in(&mut ticked, &Command::Tick { at: t(61) });

    assert!(matches!(result, Err(Rejection::UnknownTicket { .. })), "{result:?}");
    assert_eq!(tick, Ok(()));
    assert!(matches!(events.as_slice(), [Event::TicketStepReached { .. }]), "the timer fired: {events:?}");
    assert_eq!(events, tick_events);
    assert_eq!(state, ticked);

    // With no timer due before it, the first step is the rejection: nothing to apply.
    let cmd = refused(62);
    let mut decision = cs_core::Decision::new(&cmd);
    assert!(decision.step(&state).is_err());
    assert_eq!(decision.step(&state), Ok(None), "a rejected decision is over");
}

/// Neither `Engine::execute` nor the pure `Decision` copies the state: given 3,000
/// waiting tickets, deciding one more allocates a small fraction of what a copy of the
/// state does.
#[test]
fn deciding_copies_no_state() {
    let email = |at: i64, customer: u64| Command::CreateTicket {
        at: t(at),
        spec: TicketSpec::new(CustomerId(customer), cs_core::Channel::Email),
    };
    // Built, not copied: a copy's vectors are full, and the first push would grow them.
    let build = || {
        let mut engine = Engine::new();
        engine.execute(&configure()).unwrap();
        for k in 0..3_000u64 {
            engine.execute(&email(1, k)).unwrap();
        }
        engine.clear_events();
        engine
    };
    let mut engine = build();
    let mut state = build().into_state();
    let (copy, copy_bytes) = crate::alloc::allocated_by(|| engine.state().clone());
    drop(copy);

    let (result, engine_bytes) = crate::alloc::allocated_by(|| engine.execute(&email(2, 5_000)));
    result.unwrap();
    let ((_, result), pure_bytes) = crate::alloc::allocated_by(|| decide_in(&mut state, &email(2, 5_000)));
    result.unwrap();

    assert_eq!(&state, engine.state());
    assert!(copy_bytes > 1 << 20, "a copy of the state is large: {copy_bytes} bytes");
    assert!(engine_bytes * 20 < copy_bytes, "the engine allocated {engine_bytes} bytes, a copy takes {copy_bytes}");
    assert!(pure_bytes * 20 < copy_bytes, "a decision allocated {pure_bytes} bytes, a copy takes {copy_bytes}");
}

/// State changes only through `apply`: `State`'s fields are private to the crate and no
/// public method of it takes `&mut self` (the engine changes its own state by applying the
/// events it decides).
#[test]
fn state_has_no_public_method_that_changes_it() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        // In an `impl` of `State` or in its definition, from its first line to its closing brace.
        let (mut in_impl, mut in_struct) = (false, false);
        for (n, line) in text.lines().enumerate() {
            if line.starts_with("impl") {
                in_impl = line.starts_with("impl State {");
            }
            if line.starts_with("pub struct State {") {
                in_struct = true;
                continue;
            }
            if line.starts_with('}') {
                in_struct = false;
            }
            let code = line.trim_start();
            let public = code.starts_with("pub ");
            let changes = in_impl && public && code.contains("fn ") && code.contains("&mut self");
            if changes || (in_struct && public) {
                found.push(format!("{}:{}: {}", file.display(), n + 1, code));
            }
        }
    }
    assert!(found.is_empty(), "State can be changed other than through apply:\n{}", found.join("\n"));
}
