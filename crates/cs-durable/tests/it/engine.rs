//! The durable engine: acknowledged means stored, refused or failed means unchanged, a
//! retry adds nothing, snapshots are checked, one writer per partition.

use crate::faulty::Faulty;
use crate::fixture::{command, configure, t};
use cs_core::metrics::Metrics;
use cs_core::{Command, Event, TicketId, replay};
use cs_durable::{DurableEngine, DurableError, DurableOptions, Follower, Request};
use cs_store::{EventStore, Range, SnapshotRecord, SqliteOptions, SqliteStore, StoreError, for_each};
use std::sync::Arc;
use std::time::Duration;

fn store(dir: &tempfile::TempDir) -> Arc<SqliteStore> {
    Arc::new(SqliteStore::open(dir.path().join("store"), SqliteOptions::default()).unwrap())
}

fn events_of(store: &dyn EventStore, partition: &str) -> Vec<Event> {
    let mut out = Vec::new();
    for_each(store, partition, Range::from(1, 1000), |s| {
        out.push(s.event);
        Ok(())
    })
    .unwrap();
    out
}

fn options(snapshot_every: u64) -> DurableOptions {
    DurableOptions { snapshot_every, ..DurableOptions::default() }
}

/// Runs commands `range`, ignoring refusals.
fn run(e: &mut DurableEngine, range: std::ops::Range<u64>) {
    for i in range {
        match e.execute(&command(i)) {
            Ok(_) | Err(DurableError::Rejected(_)) => {}
            Err(other) => panic!("command {i}: {other}"),
        }
    }
}

#[test]
fn open_by_path_execute_and_reopen_with_everything_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.db");
    let mut desk = DurableEngine::open(&path).unwrap();
    assert_eq!(desk.seq(), 0);
    run(&mut desk, 0..60);
    let (seq, state) = (desk.seq(), desk.state().clone());
    assert!(seq > 60, "routing and timers add events ({seq})");
    assert!(state.tickets().count() > 10);
    drop(desk);
    let again = DurableEngine::open(&path).unwrap();
    assert_eq!(again.seq(), seq);
    assert!(again.state() == &state, "states differ");
}

#[test]
fn a_refused_command_stores_nothing_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let mut e = DurableEngine::open_in(store.clone(), "desk", options(0)).unwrap();
    e.execute(&configure()).unwrap();
    let head = store.head("desk").unwrap();
    let err = e.execute(&Command::Resolve { at: t(1000), ticket: TicketId(99) }).unwrap_err();
    assert!(matches!(err, DurableError::Rejected(_)), "{err}");
    assert_eq!(store.head("desk").unwrap(), head);
    assert_eq!(e.seq(), head);
}

#[test]
fn timers_fire_on_tick_and_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let mut e = DurableEngine::open_in(store.clone(), "desk", options(0)).unwrap();
    e.execute(&configure()).unwrap();
    let mut spec = cs_core::TicketSpec::new(cs_core::CustomerId(1), cs_core::Channel::Chat);
    spec.key = Some("T-1".into());
    e.execute(&Command::CreateTicket { at: t(0), spec }).unwrap();
    let due = e.next_deadline().expect("the chat's first-response clock runs");
    let receipt = e.tick(due).unwrap();
    assert!(receipt.events.iter().any(|ev| matches!(ev, Event::SlaWarning { .. })), "{:?}", receipt.events);
    assert_eq!(events_of(&*store, "desk").last(), receipt.events.last());
}

#[test]
fn a_keyed_retry_returns_the_first_outcome_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let mut e = DurableEngine::open_in(store.clone(), "desk", options(0)).unwrap();
    run(&mut e, 0..9);
    let create = command(9);
    let reply = |s: &cs_core::State, _: &[Event]| format!("open {}", s.open_tickets()).into_bytes();
    let first = e.execute_request(Request::keyed(create.clone(), "req-9"), reply).unwrap();
    assert!(!first.retried);
    assert_eq!(first.reply.as_deref(), Some(&b"open 1"[..]));
    let head = store.head("desk").unwrap();
    // The same request again (a client that timed out and retried)...
    let again = e.execute_request(Request::keyed(create.clone(), "req-9"), reply).unwrap();
    assert!(again.retried);
    assert_eq!(
        (again.first, again.last, &again.events, &again.reply),
        (first.first, first.last, &first.events, &first.reply)
    );
    assert_eq!(store.head("desk").unwrap(), head, "a retry stores nothing");
    assert_eq!(e.state().open_tickets(), 1);
    // ...and after a restart.
    drop(e);
    let mut e = DurableEngine::open_in(store.clone(), "desk", options(0)).unwrap();
    let after = e.execute_request(Request::keyed(create, "req-9"), reply).unwrap();
    assert!(after.retried);
    assert_eq!(after.events, first.events);
    assert_eq!(store.head("desk").unwrap(), head);
}

#[test]
fn a_batch_is_decided_in_order_stored_once_and_answered_each() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let mut e = DurableEngine::open_in(store.clone(), "desk", options(0)).unwrap();
    let requests: Vec<Request> = (0..12)
        .map(|i| Request::keyed(command(i), format!("k{i}")))
        .chain([
            Request::keyed(command(3), "k3"),
            Request::new(Command::Resolve { at: t(20_000), ticket: TicketId(77) }),
        ])
        .collect();
    let n = requests.len();
    let out = e.execute_batch(requests, |i, _, events| format!("{i}:{}", events.len()).into_bytes());
    assert_eq!(out.len(), n);
    let receipts: Vec<_> = out[..12].iter().map(|r| r.as_ref().unwrap()).collect();
    // Sequence ranges follow each other without gaps.
    for w in receipts.windows(2) {
        assert_eq!(w[1].first, w[0].last + 1);
    }
    // The repeated key is answered as a retry of the first; the bad resolve is refused.
    let dup = out[12].as_ref().unwrap();
    assert!(dup.retried && dup.first == receipts[3].first && dup.reply == receipts[3].reply);
    assert!(matches!(out[13], Err(DurableError::Rejected(_))));
    assert_eq!(store.head("desk").unwrap(), receipts[11].last);
    assert!(&replay(&events_of(&*store, "desk")) == e.state(), "states differ");
}

#[test]
fn a_failed_append_changes_no_state_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = Arc::new(Faulty::new(store(&dir)));
    let mut e = DurableEngine::open_in(faulty.clone(), "desk", options(0)).unwrap();
    run(&mut e, 0..20);
    let (seq, state) = (e.seq(), e.state().clone());
    faulty.fail_next_append();
    let err = e.execute(&command(20)).unwrap_err();
    assert!(matches!(err, DurableError::Store(_)), "{err}");
    assert!(err.to_string().contains("injected"), "{err}");
    assert_eq!(e.seq(), seq);
    assert!(e.state() == &state, "the command's events were not applied");
    // The engine carries on.
    e.execute(&command(20)).unwrap();
    assert!(&replay(&events_of(&*faulty, "desk")) == e.state(), "states differ");
    assert!(&Metrics::of(&events_of(&*faulty, "desk")) == e.metrics(), "metrics differ");
}

#[test]
fn reopening_uses_a_matching_snapshot_and_replays_only_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let mut e = DurableEngine::open_in(store.clone(), "desk", options(50)).unwrap();
    run(&mut e, 0..200);
    let (seq, state, metrics) = (e.seq(), e.state().clone(), e.metrics().clone());
    assert!(metrics.total.offered > 0, "tickets were counted");
    drop(e); // waits for a snapshot in flight
    let snap = store.load_snapshot("desk").unwrap().expect("snapshots were taken");
    assert!(snap.seq > 50 && snap.seq <= seq);
    let e = DurableEngine::open_in(store.clone(), "desk", options(50)).unwrap();
    let opened = e.opened();
    assert_eq!(opened.snapshot_seq, Some(snap.seq));
    assert_eq!(opened.snapshot_refused, None);
    assert_eq!(opened.replayed, seq - snap.seq);
    assert!(e.state() == &state, "the reopened state differs from the one before");
    assert!(e.state() == &replay(&events_of(&*store, "desk")), "states differ");
    // The metrics the service serves come back with the state: from the snapshot (which
    // holds them beside the state) and the tail folded after it.
    assert!(e.metrics() == &metrics, "the reopened metrics differ from the ones before");
    assert!(e.metrics() == &Metrics::of(&events_of(&*store, "desk")), "metrics differ from the log's");
}

#[test]
fn a_snapshot_that_does_not_match_its_events_is_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let mut e = DurableEngine::open_in(store.clone(), "desk", options(0)).unwrap();
    run(&mut e, 0..80);
    e.snapshot_now().unwrap();
    let good = store.load_snapshot("desk").unwrap().unwrap();
    let (state, metrics) = (e.state().clone(), e.metrics().clone());
    drop(e);
    let reopen = |bad: SnapshotRecord| {
        store.save_snapshot("desk", &bad).unwrap();
        let e = DurableEngine::open_in(store.clone(), "desk", options(0)).unwrap();
        assert!(e.state() == &state, "states differ");
        assert!(e.metrics() == &metrics, "metrics differ");
        assert_eq!(e.opened().snapshot_seq, None);
        e.opened().snapshot_refused.clone().expect("refused")
    };
    // Damaged bytes.
    let mut damaged = good.clone();
    damaged.data[10] ^= 0x40;
    assert!(reopen(damaged).contains("checksum"));
    // Taken over another history: the event at its sequence differs.
    let other = SnapshotRecord { event_crc: good.event_crc ^ 1, ..good.clone() };
    assert!(reopen(other).contains("another history"));
    // An older (or newer) layout.
    let older = SnapshotRecord { format: 0, ..good.clone() };
    assert!(reopen(older).contains("format 0"));
    // A record of format 2, written before the metrics left the state (they were inside
    // it, as a field of the state's tables): set aside, and the metrics rebuilt from the
    // events, the same figures.
    let mut v2: serde_json::Value = serde_json::from_slice(&good.data).unwrap();
    let mut tables = v2["state"].take();
    tables["metrics"] = v2["metrics"].take();
    let data = serde_json::to_vec(&tables).unwrap();
    let v2 = SnapshotRecord { format: 2, crc: cs_store::crc32(&data), data, ..good.clone() };
    assert!(reopen(v2).contains("format 2 is not this build's 3"));
    // Bytes that check out but say something else (another sequence number inside).
    let mut wrong: serde_json::Value = serde_json::from_slice(&good.data).unwrap();
    wrong["state"]["events_applied"] = serde_json::json!(3);
    let data = serde_json::to_vec(&wrong).unwrap();
    let wrong = SnapshotRecord { crc: cs_store::crc32(&data), data, ..good.clone() };
    let why = reopen(wrong);
    assert!(why.contains("holds 3 events"), "{why}");
    // A snapshot beyond the end of the log.
    let beyond = SnapshotRecord { seq: good.seq + 1000, ..good.clone() };
    assert!(reopen(beyond).contains("no event"));
}

#[test]
fn a_second_writer_is_refused_and_a_follower_takes_over() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let mut writer = DurableEngine::open_in(store.clone(), "desk", options(0)).unwrap();
    run(&mut writer, 0..30);
    let err = DurableEngine::open_in(store.clone(), "desk", options(0)).unwrap_err();
    assert!(matches!(err, DurableError::Store(StoreError::WriterBusy { .. })), "{err}");
    let mut follower = Follower::open(store.clone(), "desk").unwrap();
    assert!(follower.state() == writer.state(), "states differ");
    run(&mut writer, 30..60);
    while follower.seq() < writer.seq() {
        follower.poll(Duration::from_secs(5)).unwrap();
    }
    assert!(follower.state() == writer.state(), "the follower saw every event in order");
    assert!(follower.metrics() == writer.metrics(), "the follower folds the same metrics");
    // While the writer lives, the follower cannot take over.
    let refused = follower.promote(options(0)).unwrap_err();
    let (follower, err) = (refused.follower, refused.error);
    assert!(matches!(err, DurableError::Store(StoreError::WriterBusy { .. })), "{err}");
    let seq = writer.seq();
    drop(writer);
    // (A child process forked by another test in this binary can hold a copy of the lock
    // file's descriptor for the instant between its fork and exec: wait a little.)
    let wait = DurableOptions { lock_wait: Duration::from_secs(5), ..options(0) };
    let mut new_writer = follower.promote(wait).unwrap();
    assert_eq!(new_writer.seq(), seq);
    run(&mut new_writer, 60..70);
    assert!(&replay(&events_of(&*store, "desk")) == new_writer.state(), "states differ");
    assert!(&Metrics::of(&events_of(&*store, "desk")) == new_writer.metrics(), "metrics differ");
}
