//! A pinned hash of one fixed run's event log, so that any drift in routing, SLA or
//! escalation decisions, across versions or platforms, is seen.
//!
//! The run is the whole of `examples/scenarios/promo-surge.toml` (one simulated day, about
//! 62,500 events; two seconds in a debug build) with seed 1: the log is the one
//! `cs simulate examples/scenarios/promo-surge.toml --seed 1 --events FILE` writes
//! (replication 0 runs on the base seed), so `sha256sum FILE` gives the same hash.

use crate::common::{example_path, run_logged};
use cs_sim::{RunOptions, Scenario};
use sha2::{Digest, Sha256};

/// SHA-256 of the JSON-lines bytes (one `cs_core::Envelope` per line, `\n` after each).
const PROMO_SURGE_SEED_1_SHA256: &str = "c60075fb816601badf44154ab1fa09948f47d9e2a8dad3eaa9d70e8a27a5d27a";
/// Events and bytes of the same log: when the hash moves, these say roughly how much.
const PROMO_SURGE_SEED_1_EVENTS: usize = 62_526;
const PROMO_SURGE_SEED_1_BYTES: usize = 6_368_913;

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn sha256_is_the_standard_one() {
    // The published test vector, so that the pinned hash below can be checked with any
    // `sha256sum`.
    assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

#[test]
fn promo_surge_seed_1_event_log_hash_is_pinned() {
    let sc = Scenario::load(&example_path("promo-surge.toml")).unwrap();
    let a = run_logged(&sc, &RunOptions { seed: Some(1), ..RunOptions::default() });
    let hash = sha256_hex(&a.bytes);
    assert!(
        hash == PROMO_SURGE_SEED_1_SHA256
            && a.events.len() == PROMO_SURGE_SEED_1_EVENTS
            && a.bytes.len() == PROMO_SURGE_SEED_1_BYTES,
        "the event log of promo-surge.toml with seed 1 changed:\n\
         \x20 now    {hash}, {} events, {} bytes\n\
         \x20 pinned {PROMO_SURGE_SEED_1_SHA256}, {PROMO_SURGE_SEED_1_EVENTS} events, {PROMO_SURGE_SEED_1_BYTES} bytes\n\
         Routing, SLA or escalation decisions (or the event encoding) are no longer what they were. \
         If that is a bug, compare the logs: `cs simulate examples/scenarios/promo-surge.toml --seed 1 --events new.jsonl` \
         against the same command run by the previous build, and `cmp` them. If the change is intended (a rule \
         changed on purpose, a new event field), put the new figures above in PROMO_SURGE_SEED_1_* in \
         crates/cs-sim/tests/it/golden.rs and say in the commit message which decisions changed and why.",
        a.events.len(),
        a.bytes.len(),
    );
}
