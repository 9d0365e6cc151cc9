//! The durable engine on PostgreSQL: one writer per partition, followers that see every
//! event in order, and a follower that takes over from a writer whose process was killed.
//! Run when `DATABASE_URL` names a database; otherwise each test says it was skipped.

use crate::crash::{events_crc, options};
use crate::fixture::command;
use cs_core::{Event, replay};
use cs_durable::{DurableEngine, DurableError, Follower};
use cs_store::{EventStore, PgOptions, PgStore, Range, StoreError, for_each};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::sync::Arc;
use std::time::Duration;

fn database(test: &str) -> Option<(String, Arc<PgStore>)> {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let store = Arc::new(PgStore::open(&url, PgOptions::default()).unwrap());
            Some((url, store))
        }
        _ => {
            // Written to the process's stderr directly, past the test harness's capture, so
            // the skip shows in every run's output.
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED {test}: DATABASE_URL is not set");
            None
        }
    }
}

fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{name}-{}-{nanos}", std::process::id())
}

fn run(e: &mut DurableEngine, range: std::ops::Range<u64>) {
    for i in range {
        match e.execute(&command(i)) {
            Ok(_) | Err(DurableError::Rejected(_)) => {}
            Err(other) => panic!("command {i}: {other}"),
        }
    }
}

fn stored(store: &dyn EventStore, partition: &str) -> Vec<Event> {
    let mut out = Vec::new();
    for_each(store, partition, Range::from(1, 1000), |s| {
        out.push(s.event);
        Ok(())
    })
    .unwrap();
    out
}

#[test]
fn postgres_refuses_a_second_writer_and_followers_see_every_event_in_order() {
    let Some((_, store)) = database("postgres_refuses_a_second_writer_and_followers_see_every_event_in_order") else {
        return;
    };
    let p = unique("pg-follow");
    let mut writer = DurableEngine::open_in(store.clone(), &p, options()).unwrap();
    let second = Arc::new(PgStore::open(&std::env::var("DATABASE_URL").unwrap(), PgOptions::default()).unwrap());
    let err = DurableEngine::open_in(second.clone(), &p, options()).unwrap_err();
    assert!(matches!(err, DurableError::Store(StoreError::WriterBusy { .. })), "{err}");
    assert!(err.to_string().contains("held by another writer (cs (process"), "names the holder: {err}");
    // A follower on its own connections, woken by notifications, while the writer writes.
    let mut follower = Follower::open(second, &p).unwrap();
    let done = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            run(&mut writer, 0..120);
            done.store(writer.seq(), std::sync::atomic::Ordering::SeqCst);
        });
        let mut polls = 0;
        loop {
            let target = done.load(std::sync::atomic::Ordering::SeqCst);
            if target > 0 && follower.seq() >= target {
                break;
            }
            follower.poll(Duration::from_millis(500)).unwrap();
            polls += 1;
        }
        eprintln!("the follower caught up in {polls} polls");
    });
    assert!(follower.state() == writer.state(), "the follower saw every event, in order");
}

#[test]
fn postgres_follower_takes_over_when_the_writers_process_is_killed() {
    let Some((url, store)) = database("postgres_follower_takes_over_when_the_writers_process_is_killed") else {
        return;
    };
    let p = unique("pg-takeover");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash::crash_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env("CS_CRASH_DIR", &url)
        .env("CS_CRASH_PARTITION", &p)
        .env("CS_CRASH_START", "0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut acked: BTreeMap<u64, (u64, u64, u32)> = BTreeMap::new();
    let mut line = String::new();
    let mut next = 0;
    while acked.len() < 60 {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "the writer stopped by itself");
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["ack", i, first, last, crc] => {
                let i: u64 = i.parse().unwrap();
                acked.insert(i, (first.parse().unwrap(), last.parse().unwrap(), crc.parse().unwrap()));
                next = i + 1;
            }
            ["rej", i] => next = i.parse::<u64>().unwrap() + 1,
            _ => {}
        }
    }
    // A follower is up to date with the writer, then the writer's process dies mid-stream.
    let follower = Follower::open(store.clone(), &p).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    // Its session ends with it and the advisory lock goes; the follower takes over.
    let opts = cs_durable::DurableOptions { lock_wait: Duration::from_secs(30), ..options() };
    let mut writer = follower.promote(opts).map_err(|n| n.error).unwrap();
    let events = stored(&*store, &p);
    assert_eq!(writer.seq(), events.len() as u64, "the new writer folded everything the old one stored");
    for (i, &(first, last, crc)) in &acked {
        let record = store.command(&p, &format!("cmd-{i}")).unwrap().expect("acknowledged command present");
        assert_eq!((record.first, record.last), (first, last));
        assert_eq!(events_crc(&events[(first - 1) as usize..last as usize]), crc, "command {i}'s events intact");
    }
    assert!(writer.state() == &replay(&events), "the new writer's state is a replay of the log");
    // And it writes on from there.
    run(&mut writer, next..next + 20);
    assert!(writer.state() == &replay(&stored(&*store, &p)), "states differ");
}
