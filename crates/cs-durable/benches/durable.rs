//! Durable appends and start-up, measured as ratios in one run (the wall clock here swings
//! between runs, so each target is ours against a baseline measured minutes apart).
//!
//! ```text
//! cargo bench -p cs-durable --bench durable                # SQLite, and PostgreSQL with DATABASE_URL
//! cargo bench -p cs-durable --bench durable -- --writers 64 --seconds 5 --events 1000000
//! ```
//!
//! 1. **Group commit**: `--writers` threads each append one event at a time to a partition
//!    of their own, as fast as the store acknowledges, for `--seconds`; once with group
//!    commit (the default: every append waiting shares one transaction and one flush) and
//!    once with one transaction and flush per append (`batch_max = 1`). Prints appends per
//!    second, p50 and p99 latency, and the ratio.
//! 2. **Start-up**: a log of `--events` events (the M/M/c check scenario run for as many
//!    days as it takes) in two partitions; one has a snapshot 100,000 events before its
//!    end. Prints the time to open each (median of 3) and the ratio.

use cs_core::{Event, Timestamp};
use cs_durable::{DurableEngine, DurableOptions};
use cs_store::{Append, EventStore, PgOptions, PgStore, SqliteOptions, SqliteStore};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Flags {
    writers: usize,
    seconds: f64,
    events: usize,
    tail: usize,
}

fn flags() -> Flags {
    let mut f = Flags { writers: 64, seconds: 5.0, events: 1_000_000, tail: 100_000 };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = || args.get(i + 1).unwrap_or_else(|| panic!("{} needs a value", args[i])).clone();
        match args[i].as_str() {
            "--writers" => f.writers = value().parse().expect("--writers N"),
            "--seconds" => f.seconds = value().parse().expect("--seconds S"),
            "--events" => f.events = value().parse().expect("--events N"),
            "--tail" => f.tail = value().parse().expect("--tail N"),
            // cargo bench passes --bench; ignore what is not ours.
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    f
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Appends from `writers` threads for `seconds`; returns (appends per second, p50, p99).
fn append_rate(store: Arc<dyn EventStore>, writers: usize, seconds: f64, tag: &str) -> (f64, Duration, Duration) {
    let stop = Instant::now() + Duration::from_secs_f64(seconds);
    let run_id = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let start = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let store = store.clone();
                s.spawn(move || {
                    let partition = format!("bench-{tag}-{run_id}-{w}");
                    let mut head = 0u64;
                    let mut lat = Vec::new();
                    while Instant::now() < stop {
                        let e = Event::TicketResolved { at: Timestamp(head as i64), ticket: cs_core::TicketId(head) };
                        let t0 = Instant::now();
                        let a = store
                            .append(Append { partition: &partition, expected: head, events: &[e], commands: &[] })
                            .expect("append");
                        lat.push(t0.elapsed());
                        head = a.last;
                    }
                    lat
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let wall = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    (latencies.len() as f64 / wall, percentile(&latencies, 0.5), percentile(&latencies, 0.99))
}

fn group_commit(name: &str, open: &dyn Fn(usize) -> Arc<dyn EventStore>, f: &Flags) {
    println!("\n## group commit: {name}, {} writers, {} s each mode", f.writers, f.seconds);
    let (one_rate, one_p50, one_p99) = append_rate(open(1), f.writers, f.seconds, "single");
    println!("one transaction per append:  {one_rate:>10.0} appends/s   p50 {one_p50:>9.2?}   p99 {one_p99:>9.2?}");
    let (group_rate, p50, p99) = append_rate(open(4096), f.writers, f.seconds, "group");
    println!("group commit:                {group_rate:>10.0} appends/s   p50 {p50:>9.2?}   p99 {p99:>9.2?}");
    println!("ratio: {:.1}x", group_rate / one_rate);
}

/// The M/M/c check scenario, run for enough days to produce `n` events; its first `n`.
fn simulated_events(n: usize) -> Vec<Event> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/scenarios/mmc-check.toml"))
        .expect("examples/scenarios/mmc-check.toml");
    // 77,000 events per two simulated days.
    let days = (n as f64 / 38_000.0).ceil() as i64 + 1;
    let text = text.replace("duration_s = 172800", &format!("duration_s = {}", days * 86_400));
    let scenario = cs_sim::Scenario::from_toml_str(&text, "mmc-check (long)").expect("scenario");
    let mut events = Vec::with_capacity(n + 1000);
    cs_sim::run(
        &scenario,
        &cs_sim::RunOptions { sample_every_s: 0.0, ..Default::default() },
        &mut |e| {
            if events.len() < n {
                events.push(e.clone());
            }
        },
        &mut |_| {},
    )
    .expect("simulation");
    assert_eq!(events.len(), n, "the run produced enough events");
    events
}

fn load(store: &dyn EventStore, partition: &str, events: &[Event]) {
    let mut head = 0;
    for chunk in events.chunks(50_000) {
        head = store.append(Append { partition, expected: head, events: chunk, commands: &[] }).unwrap().last;
    }
}

fn startup(f: &Flags) {
    println!("\n## start-up: {} events, snapshot {} events before the end (SQLite)", f.events, f.tail);
    let t0 = Instant::now();
    let events = simulated_events(f.events);
    println!("simulated the log in {:.1?}", t0.elapsed());
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn EventStore> = Arc::new(SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap());
    let t0 = Instant::now();
    load(&*store, "full", &events);
    load(&*store, "snap", &events[..events.len() - f.tail]);
    println!("stored both partitions in {:.1?}", t0.elapsed());
    let never = DurableOptions { snapshot_every: 0, ..DurableOptions::default() };
    {
        let mut e = DurableEngine::open_in(store.clone(), "snap", never).unwrap();
        e.snapshot_now().unwrap();
    }
    let mut head = (events.len() - f.tail) as u64;
    for chunk in events[events.len() - f.tail..].chunks(50_000) {
        head = store.append(Append { partition: "snap", expected: head, events: chunk, commands: &[] }).unwrap().last;
    }
    let snap = store.load_snapshot("snap").unwrap().unwrap();
    println!("snapshot at event {} ({:.1} MB of JSON)", snap.seq, snap.data.len() as f64 / 1e6);
    let (mut full, mut tail) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let t0 = Instant::now();
        let e = DurableEngine::open_in(store.clone(), "full", never).unwrap();
        full.push(t0.elapsed());
        assert_eq!(e.opened().replayed, events.len() as u64);
        let state = e.state().clone();
        drop(e);
        let t0 = Instant::now();
        let e = DurableEngine::open_in(store.clone(), "snap", never).unwrap();
        tail.push(t0.elapsed());
        assert_eq!(e.opened().replayed, f.tail as u64);
        assert!(e.state() == &state, "both ways give the same state");
    }
    full.sort_unstable();
    tail.sort_unstable();
    println!("full replay of {} events: {:>9.2?} (median of 3; {:?})", events.len(), full[1], full);
    println!("snapshot + {} events:      {:>9.2?} (median of 3; {:?})", f.tail, tail[1], tail);
    println!("ratio: {:.1}x", full[1].as_secs_f64() / tail[1].as_secs_f64());
}

fn main() {
    let f = flags();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = |batch_max: usize| -> Arc<dyn EventStore> {
        let path = dir.path().join(format!("batch-{batch_max}"));
        Arc::new(SqliteStore::open(path, SqliteOptions { batch_max, ..SqliteOptions::default() }).unwrap())
    };
    group_commit("SQLite (synchronous = FULL)", &sqlite, &f);
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let pg = |batch_max: usize| -> Arc<dyn EventStore> {
                Arc::new(PgStore::open(&url, PgOptions { batch_max, ..PgOptions::default() }).unwrap())
            };
            group_commit("PostgreSQL on localhost", &pg, &f);
            // The benchmark's partitions are of no use to anyone: take them out again.
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            c.batch_execute("DELETE FROM cs_events WHERE partition LIKE 'bench-%'").unwrap();
        }
        _ => println!("\n## PostgreSQL: skipped (DATABASE_URL is not set)"),
    }
    startup(&f);
}
