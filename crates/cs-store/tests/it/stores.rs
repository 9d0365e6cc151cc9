//! Every store keeps the same promises: these tests run against SQLite always and against
//! PostgreSQL when `DATABASE_URL` names one (and say so when it does not).

use crate::desk;
use cs_core::{Event, Timestamp};
use cs_store::{
    Append, CommandKey, EventStore, PgOptions, PgStore, Range, SnapshotRecord, SqliteOptions, SqliteStore, StoreError,
    for_each,
};
use std::sync::Arc;
use std::time::Duration;

/// A fresh SQLite store in a temporary folder (kept alive with the store).
pub fn sqlite() -> (tempfile::TempDir, Arc<SqliteStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("store"), SqliteOptions::default()).unwrap();
    (dir, Arc::new(store))
}

/// The PostgreSQL store of `DATABASE_URL`, or `None` after saying the test is skipped.
pub fn postgres(test: &str) -> Option<Arc<PgStore>> {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(Arc::new(PgStore::open(&url, PgOptions::default()).unwrap())),
        _ => {
            // Written to the process's stderr directly, past the test harness's capture, so
            // the skip shows in every run's output.
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED {test} on PostgreSQL: DATABASE_URL is not set");
            None
        }
    }
}

/// A partition name no other test run uses (PostgreSQL tables are shared).
pub fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{name}-{}-{nanos}", std::process::id())
}

fn append(
    store: &dyn EventStore,
    partition: &str,
    expected: u64,
    events: &[Event],
) -> Result<cs_store::Appended, StoreError> {
    store.append(Append { partition, expected, events, commands: &[] })
}

fn all(store: &dyn EventStore, partition: &str) -> Vec<(u64, Event)> {
    let mut out = Vec::new();
    for_each(store, partition, Range::from(1, 7), |s| {
        out.push((s.seq, s.event));
        Ok(())
    })
    .unwrap();
    out
}

/// Runs `check` against every store this machine has.
fn each_store(test: &str, check: impl Fn(&dyn EventStore)) {
    let (_dir, s) = sqlite();
    check(&*s);
    if let Some(pg) = postgres(test) {
        check(&*pg);
    }
}

#[test]
fn appends_read_back_in_order_with_sequence_numbers() {
    each_store("appends_read_back_in_order_with_sequence_numbers", |store| {
        let p = unique("order");
        let events = desk::events();
        let (a, b) = events.split_at(10);
        assert_eq!(store.head(&p).unwrap(), 0);
        let first = append(store, &p, 0, a).unwrap();
        assert_eq!((first.first, first.last), (1, 10));
        let second = append(store, &p, 10, b).unwrap();
        assert_eq!((second.first, second.last), (11, events.len() as u64));
        assert_eq!(store.head(&p).unwrap(), events.len() as u64);
        let back = all(store, &p);
        assert_eq!(back.iter().map(|(s, _)| *s).collect::<Vec<_>>(), (1..=events.len() as u64).collect::<Vec<_>>());
        assert_eq!(back.into_iter().map(|(_, e)| e).collect::<Vec<_>>(), events);
        // From a sequence number, and up to a time.
        let tail = store.read(&p, Range::from(11, 1000)).unwrap();
        assert_eq!(tail.first().map(|s| s.seq), Some(11));
        let cut = events[5].at();
        let until = store.read(&p, Range { from: 1, limit: 1000, until: Some(cut) }).unwrap();
        assert!(until.iter().all(|s| s.event.at() <= cut));
        assert_eq!(until.len(), events.iter().filter(|e| e.at() <= cut).count());
        assert!(store.partitions().unwrap().contains(&p));
    });
}

#[test]
fn an_append_at_the_wrong_sequence_is_a_conflict_that_writes_nothing() {
    each_store("an_append_at_the_wrong_sequence_is_a_conflict_that_writes_nothing", |store| {
        let p = unique("conflict");
        let events = desk::events();
        append(store, &p, 0, &events[..3]).unwrap();
        let err = append(store, &p, 1, &events[3..5]).unwrap_err();
        match err {
            StoreError::Conflict { expected, actual, .. } => assert_eq!((expected, actual), (1, 3)),
            other => panic!("expected a conflict, got {other}"),
        }
        assert_eq!(store.head(&p).unwrap(), 3);
        assert_eq!(all(store, &p).len(), 3);
    });
}

#[test]
fn concurrent_appenders_conflict_and_never_lose_or_duplicate() {
    each_store("concurrent_appenders_conflict_and_never_lose_or_duplicate", |store| {
        let p = unique("race");
        let event = |writer: u64, n: u64| Event::TicketResolved {
            at: Timestamp(1_000),
            ticket: cs_core::TicketId(writer * 1_000_000 + n),
        };
        let (writers, each) = (8u64, 25u64);
        let conflicts = std::sync::atomic::AtomicU64::new(0);
        std::thread::scope(|s| {
            for w in 0..writers {
                let (p, conflicts) = (&p, &conflicts);
                s.spawn(move || {
                    let mut done = 0;
                    while done < each {
                        let head = store.head(p).unwrap();
                        match append(store, p, head, &[event(w, done)]) {
                            Ok(_) => done += 1,
                            Err(StoreError::Conflict { .. }) => {
                                conflicts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                            Err(e) => panic!("{e}"),
                        }
                    }
                });
            }
        });
        let back = all(store, &p);
        assert_eq!(back.len() as u64, writers * each, "every successful append is there once");
        let mut seen: Vec<u64> = back
            .iter()
            .map(|(_, e)| match e {
                Event::TicketResolved { ticket, .. } => ticket.0,
                _ => unreachable!(),
            })
            .collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len() as u64, writers * each, "no append landed twice");
        eprintln!("{} conflicts among {writers} writers on {}", conflicts.into_inner(), store.describe());
    });
}

#[test]
fn command_keys_are_kept_with_their_events_and_refuse_a_second_use() {
    each_store("command_keys_are_kept_with_their_events_and_refuse_a_second_use", |store| {
        let p = unique("keys");
        let events = desk::events();
        let at = events[3].at();
        let keys = [
            CommandKey { key: "req-1", events: 0..2, at, reply: b"first" },
            CommandKey { key: "req-2", events: 2..2, at, reply: b"" },
        ];
        store.append(Append { partition: &p, expected: 0, events: &events[..3], commands: &keys }).unwrap();
        let r1 = store.command(&p, "req-1").unwrap().unwrap();
        assert_eq!((r1.first, r1.last, r1.reply.as_slice()), (1, 2, &b"first"[..]));
        let r2 = store.command(&p, "req-2").unwrap().unwrap();
        assert_eq!((r2.first, r2.last), (3, 2), "a command with no events of its own");
        assert!(store.command(&p, "req-3").unwrap().is_none());
        // A key used again refuses the whole batch.
        let again = [CommandKey { key: "req-1", events: 0..1, at, reply: b"second" }];
        let err =
            store.append(Append { partition: &p, expected: 3, events: &events[3..4], commands: &again }).unwrap_err();
        assert!(matches!(err, StoreError::DuplicateKey { ref record, .. } if record.reply == b"first"), "{err}");
        assert_eq!(store.head(&p).unwrap(), 3);
        // Old keys are forgotten on request.
        assert_eq!(store.forget_commands(&p, Timestamp(at.ms() + 1)).unwrap(), 2);
        assert!(store.command(&p, "req-1").unwrap().is_none());
        // Bad keys and partitions are named.
        let bad = store.command(&p, "").unwrap_err();
        assert!(bad.to_string().contains("command key"), "{bad}");
        let bad = store.head("no spaces allowed").unwrap_err();
        assert!(bad.to_string().contains("partition \"no spaces allowed\""), "{bad}");
    });
}

#[test]
fn the_newest_snapshot_is_loaded_and_old_ones_dropped() {
    each_store("the_newest_snapshot_is_loaded_and_old_ones_dropped", |store| {
        let p = unique("snap");
        assert!(store.load_snapshot(&p).unwrap().is_none());
        let snap = |seq: u64| SnapshotRecord {
            seq,
            format: 1,
            at: Timestamp(seq as i64),
            event_crc: 7,
            crc: cs_store::crc32(&[seq as u8]),
            data: vec![seq as u8],
        };
        for seq in [10, 30, 20] {
            store.save_snapshot(&p, &snap(seq)).unwrap();
        }
        assert_eq!(store.load_snapshot(&p).unwrap(), Some(snap(30)));
    });
}

#[test]
fn a_waiting_follower_wakes_when_events_land() {
    each_store("a_waiting_follower_wakes_when_events_land", |store| {
        let p = unique("wait");
        let events = desk::events();
        append(store, &p, 0, &events[..1]).unwrap();
        // Nothing new: the wait times out with the head as it is.
        assert_eq!(store.wait(&p, 1, Duration::from_millis(30)).unwrap(), 1);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| store.wait(&p, 1, Duration::from_secs(30)).unwrap());
            std::thread::sleep(Duration::from_millis(50));
            append(store, &p, 1, &events[1..4]).unwrap();
            assert_eq!(waiter.join().unwrap(), 4);
        });
    });
}

#[test]
fn one_writer_per_partition() {
    each_store("one_writer_per_partition", |store| {
        let p = unique("writer");
        let lock = store.lock_writer(&p, Duration::ZERO).unwrap();
        assert_eq!(lock.partition(), p);
        let err = store.lock_writer(&p, Duration::from_millis(50)).unwrap_err();
        assert!(matches!(err, StoreError::WriterBusy { .. }), "{err}");
        assert!(err.to_string().contains("held by another writer"), "{err}");
        // Other partitions are free.
        let other = store.lock_writer(&unique("writer-other"), Duration::ZERO).unwrap();
        drop(lock);
        let again = store.lock_writer(&p, Duration::from_secs(5)).unwrap();
        drop((again, other));
    });
}

/// Two handles on one store (as two processes would have) race on the same partition: the
/// sequence check holds across connections, not only inside one writer thread.
#[test]
fn two_handles_racing_on_one_partition_conflict_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let open = || -> Arc<dyn EventStore> {
        Arc::new(SqliteStore::open(dir.path().join("shared.db"), SqliteOptions::default()).unwrap())
    };
    let mut pairs: Vec<(Arc<dyn EventStore>, Arc<dyn EventStore>)> = vec![(open(), open())];
    if let Some(a) = postgres("two_handles_racing_on_one_partition_conflict_and_lose_nothing") {
        let b = postgres("second handle").unwrap();
        pairs.push((a, b));
    }
    for (a, b) in pairs {
        let p = unique("two-handles");
        let each = 40u64;
        std::thread::scope(|s| {
            for (w, store) in [(0u64, &a), (1, &b)] {
                let p = &p;
                s.spawn(move || {
                    let mut done = 0;
                    while done < each {
                        let head = store.head(p).unwrap();
                        let e = Event::TicketResolved { at: Timestamp(5), ticket: cs_core::TicketId(w * 1000 + done) };
                        match append(&**store, p, head, &[e]) {
                            Ok(_) => done += 1,
                            Err(StoreError::Conflict { .. }) => {}
                            Err(e) => panic!("{e}"),
                        }
                    }
                });
            }
        });
        let back = all(&*a, &p);
        assert_eq!(back.len() as u64, 2 * each, "{}", a.describe());
        assert_eq!(back.iter().map(|(s, _)| *s).collect::<Vec<_>>(), (1..=2 * each).collect::<Vec<_>>());
    }
}
