//! Helpers shared by the simulator tests.

use cs_core::{Envelope, Event};
use cs_sim::{Run, RunOptions, Scenario, run};
use std::path::PathBuf;

/// A scenario from TOML text, which must be valid.
pub fn scenario(text: &str) -> Scenario {
    Scenario::from_toml_str(text, "test.toml").unwrap_or_else(|e| panic!("scenario should load:\n{e}"))
}

/// Path to an example scenario.
pub fn example_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/scenarios").join(name)
}

/// FNV-1a, 64 bits.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A run with its event log, as `cs simulate --events` would write it (one
/// `cs_core::Envelope` JSON object per line).
pub struct Logged {
    pub bytes: Vec<u8>,
    pub events: Vec<Event>,
    pub run: Run,
}

pub fn run_logged(sc: &Scenario, opts: &RunOptions) -> Logged {
    let mut bytes = Vec::new();
    let mut events = Vec::new();
    let run = run(
        sc,
        opts,
        &mut |e| {
            serde_json::to_writer(&mut bytes, &Envelope::new(e.clone())).expect("events serialise");
            bytes.push(b'\n');
            events.push(e.clone());
        },
        &mut |_| {},
    )
    .expect("run completes");
    Logged { bytes, events, run }
}

pub fn run_quiet(sc: &Scenario, opts: &RunOptions) -> Run {
    run(sc, opts, &mut |_| {}, &mut |_| {}).expect("run completes")
}

/// Seconds since the scenario start of an event.
pub fn secs(sc: &Scenario, e: &Event) -> f64 {
    e.at().since(sc.start()) as f64 / 1000.0
}
