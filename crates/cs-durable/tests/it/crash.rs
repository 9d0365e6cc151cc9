//! Crash test: a child process runs a `DurableEngine` on SQLite under a stream of keyed
//! commands and prints each acknowledgement; the parent kills it with SIGKILL at random
//! points, reopens the store, and checks that everything acknowledged is there exactly
//! once and in order, and that the reopened state equals a fresh replay.
//!
//! 20 kills by default; `CS_CRASH_KILLS=N` (or `CS_LONG_TESTS=1`, for 200) runs more, and
//! `CS_CRASH_SEED=S` replays a run's kill points.

use crate::fixture::command;
use cs_core::{Event, replay};
use cs_durable::{DurableEngine, DurableError, DurableOptions, Request};
use cs_store::codec::encode_event;
use cs_store::{EventStore, Range, SqliteOptions, SqliteStore, crc32, for_each};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

const PARTITION: &str = "crash";

pub fn options() -> DurableOptions {
    DurableOptions { snapshot_every: 40, ..DurableOptions::default() }
}

fn store(dir: &std::path::Path) -> Arc<SqliteStore> {
    Arc::new(SqliteStore::open(dir, SqliteOptions::default()).unwrap())
}

pub fn events_crc(events: &[Event]) -> u32 {
    let mut all = String::new();
    for e in events {
        all.push_str(&encode_event(e));
        all.push('\n');
    }
    crc32(all.as_bytes())
}

/// The child: runs keyed commands from `CS_CRASH_START` on, printing `ack I FIRST LAST CRC`
/// once each is durable (or `rej I` when refused), until killed. `CS_CRASH_DIR` names the
/// store (a folder or a `postgres://` URL), `CS_CRASH_PARTITION` the partition.
#[test]
#[ignore = "the child process of the crash tests; needs CS_CRASH_DIR"]
fn crash_child() {
    let location = std::env::var("CS_CRASH_DIR").expect("CS_CRASH_DIR names the store (run by the crash test)");
    let start: u64 = std::env::var("CS_CRASH_START").unwrap().parse().unwrap();
    let partition = std::env::var("CS_CRASH_PARTITION").unwrap_or_else(|_| PARTITION.to_owned());
    let store = cs_store::open(&location).unwrap();
    let lock_wait = std::time::Duration::from_secs(30);
    let mut engine = DurableEngine::open_in(store, &partition, DurableOptions { lock_wait, ..options() }).unwrap();
    for i in start.. {
        let request = Request::keyed(command(i), format!("cmd-{i}"));
        match engine.execute_request(request, |_, _| Vec::new()) {
            Ok(r) => println!("ack {i} {} {} {}", r.first, r.last, events_crc(&r.events)),
            Err(DurableError::Rejected(_)) => println!("rej {i}"),
            Err(e) => panic!("command {i}: {e}"),
        }
    }
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

#[test]
fn acknowledged_events_survive_sigkill() {
    let kills: u64 = match std::env::var("CS_CRASH_KILLS") {
        Ok(n) => n.parse().unwrap(),
        Err(_) if std::env::var("CS_LONG_TESTS").is_ok() => 200,
        Err(_) => 20,
    };
    let seed: u64 = std::env::var("CS_CRASH_SEED").map_or(0x5eed_c0de, |s| s.parse().unwrap());
    eprintln!("crash test: {kills} kills, CS_CRASH_SEED={seed}");
    let mut rng = Rng(seed | 1);
    let dir = tempfile::tempdir().unwrap();
    // Command index -> (first, last, crc of its events) as acknowledged.
    let mut acked: BTreeMap<u64, (u64, u64, u32)> = BTreeMap::new();
    let mut next = 0u64;
    let mut retried_after_crash = 0;
    for round in 0..kills {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash::crash_child", "--ignored", "--nocapture", "--test-threads=1"])
            .env("CS_CRASH_DIR", dir.path())
            .env("CS_CRASH_START", next.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let kill_after = 1 + rng.below(40);
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut seen = 0;
        let mut line = String::new();
        loop {
            line.clear();
            if out.read_line(&mut line).unwrap() == 0 {
                panic!("round {round}: the child stopped by itself (CS_CRASH_SEED={seed})");
            }
            if !line.ends_with('\n') {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["ack", i, first, last, crc] => {
                    let i: u64 = i.parse().unwrap();
                    let now = (first.parse().unwrap(), last.parse().unwrap(), crc.parse().unwrap());
                    if let Some(before) = acked.insert(i, now) {
                        assert_eq!(before, now, "command {i} acknowledged twice differently");
                    }
                    next = next.max(i + 1);
                    seen += 1;
                }
                ["rej", i] => next = next.max(i.parse::<u64>().unwrap() + 1),
                _ => {}
            }
            if seen >= kill_after {
                break;
            }
        }
        // Land the kill anywhere: between commands, inside an append, during a snapshot.
        std::thread::sleep(std::time::Duration::from_micros(rng.below(3000)));
        child.kill().unwrap();
        child.wait().unwrap();

        let store = store(dir.path());
        let engine = DurableEngine::open_in(store.clone(), PARTITION, options())
            .unwrap_or_else(|e| panic!("round {round}: reopening failed: {e} (CS_CRASH_SEED={seed})"));
        let mut stored: Vec<Event> = Vec::new();
        for_each(&*store, PARTITION, Range::from(1, 4096), |s| {
            assert_eq!(s.seq, stored.len() as u64 + 1, "sequence numbers have no gaps");
            stored.push(s.event);
            Ok(())
        })
        .unwrap();
        for (&i, &(first, last, crc)) in &acked {
            let record = store.command(PARTITION, &format!("cmd-{i}")).unwrap();
            let record = record.unwrap_or_else(|| panic!("round {round}: acknowledged command {i} is gone"));
            assert_eq!((record.first, record.last), (first, last), "command {i} moved");
            let events = &stored[(first - 1) as usize..last as usize];
            assert_eq!(events_crc(events), crc, "round {round}: the events of command {i} changed");
        }
        // Exactly once: every stored event belongs to at most one command, in order.
        let mut covered = 0;
        for &(first, last, _) in acked.values() {
            assert!(first > covered, "commands' events overlap");
            covered = last.max(covered);
        }
        assert!(engine.state() == &replay(&stored), "round {round}: the reopened state is not a replay of the log");
        // The command the child was killed in may have been stored without its
        // acknowledgement: the next child retries it with its key and must get the same.
        if store.command(PARTITION, &format!("cmd-{next}")).unwrap().is_some() {
            retried_after_crash += 1;
        }
        drop(engine);
    }
    assert!(acked.len() as u64 >= kills, "every round acknowledged something");
    eprintln!(
        "crash test: {kills} kills, {} commands acknowledged, {retried_after_crash} stored but unacknowledged at a kill",
        acked.len()
    );
}
