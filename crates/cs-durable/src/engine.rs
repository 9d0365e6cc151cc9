//! [`DurableEngine`]: decide, append durably, then answer.

use crate::restore::{Restored, restore, snapshot_of};
use crate::{DEFAULT_PARTITION, DurableError, Opened};
use cs_core::metrics::Metrics;
use cs_core::{Command, Engine, Event, Rejection, State, Timestamp};
use cs_store::{
    Append, CommandKey, EventStore, Range, SqliteOptions, SqliteStore, StoreError, WriterLock, check_partition,
};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How a [`DurableEngine`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DurableOptions {
    /// Take a snapshot every this many events (0: never).
    pub snapshot_every: u64,
    /// How long to wait for another writer to release the partition (zero: refuse at once).
    pub lock_wait: Duration,
    /// How long (in engine time, ms) a command key is kept for retries.
    pub command_keys_ms: i64,
}

impl Default for DurableOptions {
    fn default() -> DurableOptions {
        DurableOptions { snapshot_every: 10_000, lock_wait: Duration::ZERO, command_keys_ms: 24 * 3_600_000 }
    }
}

/// A command with an optional client key for idempotent retries.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The command.
    pub command: Command,
    /// The client's key: a retry with the same key returns the first outcome and stores
    /// nothing. Only an accepted command keeps its key (a refused one stored nothing, so a
    /// retry is decided afresh).
    pub key: Option<String>,
}

impl Request {
    /// A request without a key.
    pub fn new(command: Command) -> Request {
        Request { command, key: None }
    }

    /// A request with a client key.
    pub fn keyed(command: Command, key: impl Into<String>) -> Request {
        Request { command, key: Some(key.into()) }
    }
}

/// What an accepted command came to, once durable.
#[derive(Clone, Debug, PartialEq)]
pub struct Receipt {
    /// The sequence number of its first event (`last + 1` when it produced none).
    pub first: u64,
    /// The sequence number of its last event.
    pub last: u64,
    /// Its events (timers that fired before it first), as stored.
    pub events: Vec<Event>,
    /// The reply kept with its key (what the caller's reply function made the first time).
    pub reply: Option<Vec<u8>>,
    /// Whether this is a retry answered from the first outcome.
    pub retried: bool,
}

/// The engine of a partition, durable on a store.
///
/// One per partition per process; opening takes the store's writer lock for the
/// partition. Not `Sync`: one thread drives it (a service puts it behind a task or a
/// mutex and batches requests with [`DurableEngine::execute_batch`]).
pub struct DurableEngine {
    store: Arc<dyn EventStore>,
    partition: String,
    /// The engine, folding the metrics projection the service reports beside its state.
    engine: Engine<Metrics>,
    /// The sequence number of the last event applied (and durable).
    seq: u64,
    /// The last event applied, for the next snapshot's check.
    last: Option<Event>,
    options: DurableOptions,
    snapshot_seq: u64,
    snapshotting: Option<JoinHandle<()>>,
    snapshot_error: Arc<Mutex<Option<String>>>,
    lost: Option<String>,
    opened: Opened,
    _lock: WriterLock,
}

impl std::fmt::Debug for DurableEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DurableEngine")
            .field("store", &self.store.describe())
            .field("partition", &self.partition)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

impl DurableEngine {
    /// Opens the engine of the default partition in an SQLite store at `path` (a file, or
    /// a folder holding `events.db`), created if missing.
    ///
    /// # Errors
    /// The store cannot be opened, another writer holds the partition, or its log does not
    /// replay.
    pub fn open(path: impl AsRef<Path>) -> Result<DurableEngine, DurableError> {
        let store = Arc::new(SqliteStore::open(path, SqliteOptions::default())?);
        DurableEngine::open_in(store, DEFAULT_PARTITION, DurableOptions::default())
    }

    /// Opens the engine of `partition` in `store`: takes the writer lock, loads the newest
    /// matching snapshot and replays the events after it, each checked.
    ///
    /// # Errors
    /// [`StoreError::WriterBusy`] (as [`DurableError::Store`]) when another writer holds the
    /// partition, [`DurableError::BadLog`] when a stored event does not fit, or any other
    /// store failure.
    pub fn open_in(
        store: Arc<dyn EventStore>,
        partition: &str,
        options: DurableOptions,
    ) -> Result<DurableEngine, DurableError> {
        check_partition(partition)?;
        let lock = store.lock_writer(partition, options.lock_wait)?;
        let Restored { state, metrics, seq, last, opened } = restore(&*store, partition)?;
        Ok(DurableEngine::from_parts(store, partition, options, lock, (state, metrics), seq, last, opened))
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_parts(
        store: Arc<dyn EventStore>,
        partition: &str,
        options: DurableOptions,
        lock: WriterLock,
        (state, metrics): (State, Metrics),
        seq: u64,
        last: Option<Event>,
        opened: Opened,
    ) -> DurableEngine {
        DurableEngine {
            store,
            partition: partition.to_owned(),
            engine: Engine::from_parts(state, metrics),
            seq,
            last,
            options,
            snapshot_seq: opened.snapshot_seq.unwrap_or(0),
            snapshotting: None,
            snapshot_error: Arc::new(Mutex::new(None)),
            lost: None,
            opened,
            _lock: lock,
        }
    }

    /// The state as of the last durable event.
    pub fn state(&self) -> &State {
        self.engine.state()
    }

    /// The metrics as of the last durable event: the projection folded beside the state
    /// (kept in snapshots beside it, so a restart serves the same figures).
    pub fn metrics(&self) -> &Metrics {
        self.engine.projection()
    }

    /// The sequence number of the last durable event (0 before the first).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The partition.
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    /// How the engine was opened (snapshot used or refused, events replayed).
    pub fn opened(&self) -> &Opened {
        &self.opened
    }

    /// When the next timer is due: a host sleeps until then and calls
    /// [`DurableEngine::tick`].
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.engine.next_deadline()
    }

    /// Why the last background snapshot failed, if it did (the engine runs on; start-up
    /// then replays more).
    pub fn snapshot_error(&self) -> Option<String> {
        self.snapshot_error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Decides one command, stores its events and applies them.
    ///
    /// # Errors
    /// [`DurableError::Rejected`] when the engine refuses it, [`DurableError::Store`] when
    /// the append fails (the state is then what the store holds).
    pub fn execute(&mut self, cmd: &Command) -> Result<Receipt, DurableError> {
        self.execute_request(Request::new(cmd.clone()), |_, _| Vec::new())
    }

    /// Fires the timers due at or before `now` and stores what they did.
    ///
    /// # Errors
    /// As [`DurableError::Store`]; a tick at a time before the last event is refused.
    pub fn tick(&mut self, now: Timestamp) -> Result<Receipt, DurableError> {
        self.execute(&Command::Tick { at: now })
    }

    /// Decides one request; `reply` makes what is kept with its key for a retry, from the
    /// state just after the command and its events.
    ///
    /// # Errors
    /// As [`DurableEngine::execute`].
    pub fn execute_request(
        &mut self,
        request: Request,
        reply: impl FnMut(&State, &[Event]) -> Vec<u8>,
    ) -> Result<Receipt, DurableError> {
        let mut reply = reply;
        let mut out = self.execute_batch(vec![request], |_, s, e| reply(s, e));
        out.pop().unwrap_or_else(|| unreachable!("one request, one answer"))
    }

    /// Decides requests in order, stores all their events in one append (one commit, one
    /// flush), and answers each. This is group commit for a service: requests that arrive
    /// together are made durable together. `reply(i, state, events)` is called for each
    /// accepted request just after it was decided.
    ///
    /// Each command is decided against the state the ones before it left. If the append
    /// fails, every request gets the store's error and the state goes back to what the
    /// store holds.
    pub fn execute_batch(
        &mut self,
        requests: Vec<Request>,
        mut reply: impl FnMut(usize, &State, &[Event]) -> Vec<u8>,
    ) -> Vec<Result<Receipt, DurableError>> {
        let mut batch = self.batch();
        for (i, r) in requests.into_iter().enumerate() {
            batch.push(r, |s, e| reply(i, s, e));
        }
        batch.commit()
    }

    /// Starts a batch: requests are decided one by one as they are pushed (each may look
    /// at the state the ones before it left, to build its command), and made durable
    /// together by [`Batch::commit`].
    pub fn batch(&mut self) -> Batch<'_> {
        Batch { engine: self, events: Vec::new(), plans: Vec::new(), keys: Vec::new(), dirty: false }
    }

    /// The first outcome of a command key the store holds.
    fn stored_receipt(&self, key: &str) -> Result<Option<Receipt>, DurableError> {
        let Some(record) = self.store.command(&self.partition, key)? else { return Ok(None) };
        let events = if record.last >= record.first {
            let n = usize::try_from(record.last - record.first + 1).unwrap_or(usize::MAX);
            self.store.read(&self.partition, Range::from(record.first, n))?.into_iter().map(|s| s.event).collect()
        } else {
            Vec::new()
        };
        Ok(Some(Receipt { first: record.first, last: record.last, events, reply: Some(record.reply), retried: true }))
    }

    /// After a failed append: rebuild the state from the store, or give up and say so.
    fn reload(&mut self, cause: &StoreError) {
        match restore(&*self.store, &self.partition) {
            Ok(Restored { state, metrics, seq, last, .. }) => {
                self.engine = Engine::from_parts(state, metrics);
                self.seq = seq;
                self.last = last;
            }
            Err(e) => self.lost = Some(format!("{cause}; then reading the partition back: {e}")),
        }
    }

    /// Starts a snapshot in the background when `snapshot_every` events have passed since
    /// the last one and none is being written.
    fn maybe_snapshot(&mut self) {
        let every = self.options.snapshot_every;
        if every == 0 || self.seq < self.snapshot_seq + every {
            return;
        }
        if self.snapshotting.as_ref().is_some_and(|h| !h.is_finished()) {
            return;
        }
        if let Some(h) = self.snapshotting.take() {
            let _ = h.join();
        }
        let Some(last) = self.last.clone() else { return };
        // The copy is what lets commands go on while the snapshot is encoded and written.
        let state = self.engine.state().clone();
        let metrics = self.engine.projection().clone();
        let (store, partition, seq) = (self.store.clone(), self.partition.clone(), self.seq);
        let keys_before = Timestamp(state.last_event_at().ms().saturating_sub(self.options.command_keys_ms));
        let error = self.snapshot_error.clone();
        self.snapshot_seq = seq;
        let spawned = std::thread::Builder::new().name("cs-snapshot".to_owned()).spawn(move || {
            let record = snapshot_of(&state, &metrics, seq, &last);
            let result = store
                .save_snapshot(&partition, &record)
                .and_then(|()| store.forget_commands(&partition, keys_before).map(|_| ()));
            *error.lock().unwrap_or_else(|p| p.into_inner()) = result.err().map(|e| e.to_string());
        });
        match spawned {
            Ok(h) => self.snapshotting = Some(h),
            Err(e) => *self.snapshot_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string()),
        }
    }

    /// Writes a snapshot of the current state now and waits for it.
    ///
    /// # Errors
    /// The store's.
    pub fn snapshot_now(&mut self) -> Result<(), DurableError> {
        if let Some(h) = self.snapshotting.take() {
            let _ = h.join();
        }
        let Some(last) = &self.last else { return Ok(()) };
        let record = snapshot_of(self.engine.state(), self.engine.projection(), self.seq, last);
        self.store.save_snapshot(&self.partition, &record)?;
        self.snapshot_seq = self.seq;
        Ok(())
    }
}

impl Drop for DurableEngine {
    fn drop(&mut self) {
        if let Some(h) = self.snapshotting.take() {
            let _ = h.join();
        }
    }
}

/// What a pushed request came to, before the commit.
enum Plan {
    /// Decided here: its events are `events[range]`; `key` is kept with them.
    Decided {
        range: std::ops::Range<usize>,
        result: Result<(), Rejection>,
        reply: Option<Vec<u8>>,
        key: Option<String>,
        at: Timestamp,
    },
    /// A retry of a key the store already holds.
    Stored(Box<Receipt>),
    /// A second request with the key of an earlier one in this batch.
    SameAs(usize),
    Failed(DurableError),
}

/// Requests decided one by one against the engine's state, made durable together (see
/// [`DurableEngine::batch`]). Dropping a batch without committing it is a programmer
/// error: its commands were applied to the state but not stored, so the engine goes back
/// to what the store holds.
pub struct Batch<'a> {
    engine: &'a mut DurableEngine,
    events: Vec<Event>,
    plans: Vec<Plan>,
    /// Keys decided in this batch, with the request that carried each first.
    keys: Vec<(String, usize)>,
    /// Whether a command was applied to the engine's state (and must be stored or undone).
    dirty: bool,
}

impl Batch<'_> {
    /// The state as the requests pushed so far left it (not yet durable).
    pub fn state(&self) -> &State {
        self.engine.engine.state()
    }

    /// Requests pushed so far.
    pub fn len(&self) -> usize {
        self.plans.len()
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.plans.is_empty()
    }

    /// Decides a request now; `reply` makes its answer from the state just after it (kept
    /// with its key, when it has one, for retries). Returns its position in the batch.
    pub fn push(&mut self, request: Request, reply: impl FnOnce(&State, &[Event]) -> Vec<u8>) -> usize {
        let i = self.plans.len();
        let plan = self.decide(request, reply);
        self.plans.push(plan);
        i
    }

    /// Records a request that failed before it could be decided (for example one whose
    /// command could not be built), so its answer keeps its place.
    pub fn push_failed(&mut self, error: DurableError) -> usize {
        self.plans.push(Plan::Failed(error));
        self.plans.len() - 1
    }

    fn decide(&mut self, r: Request, reply: impl FnOnce(&State, &[Event]) -> Vec<u8>) -> Plan {
        let e = &mut *self.engine;
        if let Some(reason) = &e.lost {
            return Plan::Failed(DurableError::Lost { partition: e.partition.clone(), reason: reason.clone() });
        }
        if let Some(key) = r.key.as_deref() {
            if let Some((_, first)) = self.keys.iter().find(|(k, _)| k == key) {
                return Plan::SameAs(*first);
            }
            match e.stored_receipt(key) {
                Ok(Some(receipt)) => return Plan::Stored(Box::new(receipt)),
                Ok(None) => {}
                Err(err) => return Plan::Failed(err),
            }
        }
        let start = self.events.len();
        self.dirty = true;
        let result = e.engine.execute(&r.command);
        self.events.extend(e.engine.take_events());
        let range = start..self.events.len();
        let kept = match &result {
            Ok(()) => {
                if let Some(key) = &r.key {
                    self.keys.push((key.clone(), self.plans.len()));
                }
                Some(reply(e.engine.state(), &self.events[range.clone()]))
            }
            Err(_) => None,
        };
        let key = if result.is_ok() { r.key } else { None };
        Plan::Decided { range, result, reply: kept, key, at: r.command.at() }
    }

    /// Stores every event of the batch in one append and answers each request.
    pub fn commit(mut self) -> Vec<Result<Receipt, DurableError>> {
        self.dirty = false;
        let plans = std::mem::take(&mut self.plans);
        let events = std::mem::take(&mut self.events);
        let engine = &mut *self.engine;
        let commands: Vec<CommandKey<'_>> = plans
            .iter()
            .filter_map(|p| match p {
                Plan::Decided { range, result: Ok(()), reply: Some(bytes), key: Some(key), at } => {
                    Some(CommandKey { key, events: range.clone(), at: *at, reply: bytes })
                }
                _ => None,
            })
            .collect();
        let base = engine.seq;
        if !events.is_empty() || !commands.is_empty() {
            let appended = engine.store.append(Append {
                partition: &engine.partition,
                expected: base,
                events: &events,
                commands: &commands,
            });
            drop(commands);
            if let Err(e) = appended {
                // Nothing of the batch is stored: go back to what the store holds.
                engine.reload(&e);
                let message = e.to_string();
                let store = engine.store.describe();
                let mut first = Some(e);
                return plans
                    .into_iter()
                    .map(|p| match p {
                        Plan::Stored(r) => Ok(*r),
                        Plan::Failed(e) => Err(e),
                        _ => Err(DurableError::Store(first.take().unwrap_or_else(|| StoreError::Backend {
                            store: store.clone(),
                            message: message.clone(),
                        }))),
                    })
                    .collect();
            }
            engine.seq = base + events.len() as u64;
            if let Some(e) = events.last() {
                engine.last = Some(e.clone());
            }
            engine.maybe_snapshot();
        }
        let mut out: Vec<Result<Receipt, DurableError>> = Vec::with_capacity(plans.len());
        for p in plans {
            out.push(match p {
                Plan::Decided { range, result, reply, key, .. } => match result {
                    Ok(()) => Ok(Receipt {
                        first: base + range.start as u64 + 1,
                        last: base + range.end as u64,
                        events: events[range].to_vec(),
                        reply,
                        retried: false,
                    }),
                    Err(r) => {
                        debug_assert!(key.is_none());
                        Err(DurableError::Rejected(r))
                    }
                },
                Plan::Stored(r) => Ok(*r),
                Plan::SameAs(i) => match &out[i] {
                    Ok(r) => Ok(Receipt { retried: true, ..r.clone() }),
                    Err(_) => Err(DurableError::Store(StoreError::Backend {
                        store: engine.store.describe(),
                        message: "the first request with this key failed".to_owned(),
                    })),
                },
                Plan::Failed(e) => Err(e),
            });
        }
        out
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        // Committed batches leave nothing here. An abandoned one applied commands that were
        // never stored: the state must not keep them.
        if self.dirty {
            let e = StoreError::Backend {
                store: self.engine.store.describe(),
                message: "a batch was dropped without its commit".into(),
            };
            self.engine.reload(&e);
        }
    }
}
