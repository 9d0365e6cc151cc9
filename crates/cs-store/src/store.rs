//! The [`EventStore`] trait: what every durable store of the engine's events does, and the
//! types it speaks in.
//!
//! A store holds **partitions**: one ordered stream of events each (one tenant's desk, one
//! contact centre). Events of a partition are numbered by a **sequence** from 1 with no
//! gaps; an append names the sequence it expects the partition to be at, so two writers
//! that raced are told so ([`StoreError::Conflict`]) instead of one overwriting the other.
//! Beside the events a store keeps **snapshots** (a partition's state as of a sequence, so
//! that start-up folds only the tail) and **command keys** (so that a client's retry of a
//! command finds the outcome of its first attempt instead of running twice).
//!
//! Every method is blocking and may be called from many threads at once: a store is
//! `Send + Sync` and shares its connections. An append returns only once its events are
//! durable (see `docs/STORAGE.md` for what each backend means by that), so a caller may
//! acknowledge them as soon as it returns.

use cs_core::{Event, Timestamp};
use std::fmt;
use std::time::Duration;

/// The longest partition name, in bytes.
pub const PARTITION_BYTES_MAX: usize = 128;

/// The longest command key, in bytes.
pub const COMMAND_KEY_BYTES_MAX: usize = 256;

/// One stored event with its sequence number in its partition.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    /// Its place in the partition, from 1.
    pub seq: u64,
    /// The event, upcast to the current schema version.
    pub event: Event,
}

/// The idempotency record of a command: its client's key and what it produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandRecord {
    /// The client's key.
    pub key: String,
    /// The first sequence number the command's events took (`last + 1` when it produced
    /// none).
    pub first: u64,
    /// The last sequence number its events took.
    pub last: u64,
    /// When it was decided.
    pub at: Timestamp,
    /// What the caller chose to keep of its answer (for example an HTTP response body),
    /// returned as it was to a retry.
    pub reply: Vec<u8>,
}

/// A batch of events to append to one partition.
#[derive(Clone, Copy, Debug)]
pub struct Append<'a> {
    /// The partition.
    pub partition: &'a str,
    /// The sequence number the partition is expected to be at (its last event's, 0 when
    /// empty): a concurrency check, not a hint.
    pub expected: u64,
    /// The events, in order; they take `expected + 1 ..= expected + len`.
    pub events: &'a [Event],
    /// The client keys of the commands whose events these are, with their replies, stored
    /// in the same transaction; a key the partition already holds refuses the whole batch
    /// with [`StoreError::DuplicateKey`].
    pub commands: &'a [CommandKey<'a>],
}

/// A command's key and reply as an append carries them.
#[derive(Clone, Debug)]
pub struct CommandKey<'a> {
    /// The client's key.
    pub key: &'a str,
    /// Which of the batch's events the command produced (positions in
    /// [`Append::events`]; empty when it produced none).
    pub events: std::ops::Range<usize>,
    /// When the command was decided.
    pub at: Timestamp,
    /// What to return to a retry.
    pub reply: &'a [u8],
}

/// Where an append put its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    /// The first sequence number taken (`last + 1` when the batch was empty).
    pub first: u64,
    /// The last sequence number taken: the partition's new head.
    pub last: u64,
}

/// A partition's state as of a sequence number, as a store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotRecord {
    /// The sequence number of the last event folded into it.
    pub seq: u64,
    /// The layout version of `data` ([`cs_core::snapshot::SNAPSHOT_FORMAT`] when written).
    pub format: u16,
    /// The time of that last event.
    pub at: Timestamp,
    /// A CRC-32 of that last event's JSON as [`crate::codec::encode_event`] writes it, so a
    /// snapshot laid over another history (a log imported again, a partition rebuilt) is
    /// noticed.
    pub event_crc: u32,
    /// A CRC-32 of `data`, so damaged bytes are noticed before they are decoded.
    pub crc: u32,
    /// The encoded state.
    pub data: Vec<u8>,
}

/// What a reader wants of a partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    /// The first sequence number wanted (1 for everything).
    pub from: u64,
    /// At most this many events.
    pub limit: usize,
    /// Only events at or before this time, if set ("what did the desk look like at 10:05").
    pub until: Option<Timestamp>,
}

impl Range {
    /// Everything from `from` on, `limit` at a time.
    pub fn from(from: u64, limit: usize) -> Range {
        Range { from, limit, until: None }
    }
}

/// A partition's exclusive right to append, held until dropped.
///
/// Only the holder should append to the partition; the sequence check refuses anyone else
/// who tries anyway. A lock held by a process that dies is released by the operating
/// system (SQLite: a file lock) or the database (PostgreSQL: a session advisory lock).
pub struct WriterLock {
    pub(crate) partition: String,
    pub(crate) _held: Box<dyn std::any::Any + Send>,
}

impl WriterLock {
    /// The partition it locks.
    pub fn partition(&self) -> &str {
        &self.partition
    }
}

impl fmt::Debug for WriterLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriterLock").field("partition", &self.partition).finish_non_exhaustive()
    }
}

/// What every store of the engine's events does.
pub trait EventStore: Send + Sync {
    /// Where the store is, for messages (`sqlite:/var/lib/cs/events.db`,
    /// `postgres://host/db`; never a password).
    fn describe(&self) -> String;

    /// Appends a batch of events (possibly empty, to record a command key alone) to a
    /// partition at the expected sequence number. Returns once they are durable.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the partition is not at `expected` (nothing written),
    /// [`StoreError::DuplicateKey`] when the command key is already there (nothing written),
    /// or a failure of the backend, after which nothing of the batch is written either.
    fn append(&self, batch: Append<'_>) -> Result<Appended, StoreError>;

    /// The sequence number of a partition's last event (0 when it has none).
    fn head(&self, partition: &str) -> Result<u64, StoreError>;

    /// Events of a partition in sequence order, as `range` asks.
    fn read(&self, partition: &str, range: Range) -> Result<Vec<Stored>, StoreError>;

    /// Waits until the partition's head passes `after` or `timeout` passes, and returns
    /// the head then: how a follower learns of new events without polling in a loop.
    fn wait(&self, partition: &str, after: u64, timeout: Duration) -> Result<u64, StoreError>;

    /// Keeps a snapshot of a partition (older ones may be dropped).
    fn save_snapshot(&self, partition: &str, snapshot: &SnapshotRecord) -> Result<(), StoreError>;

    /// The newest snapshot of a partition, if any.
    fn load_snapshot(&self, partition: &str) -> Result<Option<SnapshotRecord>, StoreError>;

    /// The record of a command by its client key, if the partition has it.
    fn command(&self, partition: &str, key: &str) -> Result<Option<CommandRecord>, StoreError>;

    /// Forgets command keys recorded before `before` (a retry after that runs again).
    fn forget_commands(&self, partition: &str, before: Timestamp) -> Result<u64, StoreError>;

    /// Takes the exclusive right to append to a partition: at once, or within `wait`.
    ///
    /// # Errors
    /// [`StoreError::WriterBusy`] when another writer holds it.
    fn lock_writer(&self, partition: &str, wait: Duration) -> Result<WriterLock, StoreError>;

    /// The partitions that hold events, in name order.
    fn partitions(&self) -> Result<Vec<String>, StoreError>;

    /// Records where the writer of a partition takes requests (a `cs serve` node's
    /// address), so that other processes sharing the store can forward writes to it. A
    /// store that only one machine uses keeps nothing.
    fn set_owner(&self, partition: &str, owner: &str, at: Timestamp) -> Result<(), StoreError> {
        let _ = (partition, owner, at);
        Ok(())
    }

    /// What [`EventStore::set_owner`] last recorded for a partition.
    fn owner(&self, partition: &str) -> Result<Option<String>, StoreError> {
        let _ = partition;
        Ok(None)
    }
}

/// What can go wrong in a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The partition is not at the sequence number the append expected: another writer
    /// appended first.
    #[error(
        "partition {partition:?} is at sequence {actual}, not {expected} as expected: another writer appended first"
    )]
    Conflict {
        /// The partition.
        partition: String,
        /// The sequence number the append expected.
        expected: u64,
        /// The one the partition is at.
        actual: u64,
    },
    /// The command key is already recorded: the command ran before.
    #[error("partition {partition:?} already holds command key {key:?}")]
    DuplicateKey {
        /// The partition.
        partition: String,
        /// The key.
        key: String,
        /// What it recorded.
        record: Box<CommandRecord>,
    },
    /// Another writer holds the partition.
    #[error("partition {partition:?} of {store} is held by another writer{}", .holder.as_deref().map(|h| format!(" ({h})")).unwrap_or_default())]
    WriterBusy {
        /// The store.
        store: String,
        /// The partition.
        partition: String,
        /// Who holds it, if the store knows.
        holder: Option<String>,
    },
    /// A partition name or command key that the store does not take.
    #[error("{what} {value:?} is not valid: {reason}")]
    BadName {
        /// "partition" or "command key".
        what: &'static str,
        /// The name.
        value: String,
        /// Why.
        reason: &'static str,
    },
    /// A stored event that does not decode.
    #[error("{store}: partition {partition:?}, event {seq}: {error}")]
    BadEvent {
        /// The store.
        store: String,
        /// The partition.
        partition: String,
        /// Its sequence number.
        seq: u64,
        /// What is wrong with it.
        error: crate::codec::DecodeError,
    },
    /// The file or database is not an event store (another program's, or not a database).
    #[error("{store} is not a cs event store: {reason}")]
    NotAStore {
        /// The store.
        store: String,
        /// Why.
        reason: String,
    },
    /// The store was written by a newer version of cs.
    #[error(
        "{store} has store schema version {found}, newer than this build reads (up to {supported}); upgrade cs to open it"
    )]
    NewerSchema {
        /// The store.
        store: String,
        /// The version found.
        found: i64,
        /// The newest this build reads.
        supported: i64,
    },
    /// The store's data is damaged.
    #[error("{store} is damaged: {reason}")]
    Damaged {
        /// The store.
        store: String,
        /// What was found.
        reason: String,
    },
    /// The backend failed (I/O, the database, the connection).
    #[error("{store}: {message}")]
    Backend {
        /// The store.
        store: String,
        /// What it said.
        message: String,
    },
    /// The store was closed.
    #[error("{store} is closed")]
    Closed {
        /// The store.
        store: String,
    },
}

/// Checks a partition name: 1 to [`PARTITION_BYTES_MAX`] bytes of ASCII letters, digits,
/// `_`, `-` and `.`, not starting with `.` (it names files and lock keys).
pub fn check_partition(name: &str) -> Result<(), StoreError> {
    let bad = |reason| Err(StoreError::BadName { what: "partition", value: name.to_owned(), reason });
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.len() > PARTITION_BYTES_MAX {
        return bad("it is longer than 128 bytes");
    }
    if name.starts_with('.') {
        return bad("it starts with '.'");
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')) {
        return bad("only ASCII letters, digits, '_', '-' and '.' are allowed");
    }
    Ok(())
}

/// Checks a command key: 1 to [`COMMAND_KEY_BYTES_MAX`] bytes with no control characters.
pub fn check_command_key(key: &str) -> Result<(), StoreError> {
    let bad = |reason| Err(StoreError::BadName { what: "command key", value: key.to_owned(), reason });
    if key.is_empty() {
        return bad("it is empty");
    }
    if key.len() > COMMAND_KEY_BYTES_MAX {
        return bad("it is longer than 256 bytes");
    }
    if key.chars().any(char::is_control) {
        return bad("it holds control characters");
    }
    Ok(())
}

/// Checks the command keys of an append: valid keys, distinct, each naming events of the
/// batch.
pub(crate) fn check_commands(commands: &[CommandKey<'_>], events: usize) -> Result<(), StoreError> {
    for (i, k) in commands.iter().enumerate() {
        check_command_key(k.key)?;
        if k.events.start > k.events.end || k.events.end > events {
            return Err(StoreError::BadName {
                what: "command key",
                value: k.key.to_owned(),
                reason: "it names events outside the batch",
            });
        }
        if commands[..i].iter().any(|o| o.key == k.key) {
            return Err(StoreError::BadName {
                what: "command key",
                value: k.key.to_owned(),
                reason: "it appears twice in one batch",
            });
        }
    }
    Ok(())
}

/// Reads a whole partition (or its part in `range`, paging `range.limit` events at a time)
/// and hands each event to `f`, in order; returns the last sequence number seen.
pub fn for_each(
    store: &dyn EventStore,
    partition: &str,
    range: Range,
    mut f: impl FnMut(Stored) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let mut from = range.from.max(1);
    let mut last = from - 1;
    let limit = range.limit.max(1);
    loop {
        let page = store.read(partition, Range { from, limit, until: range.until })?;
        let n = page.len();
        for s in page {
            last = s.seq;
            f(s)?;
        }
        if n < limit {
            return Ok(last);
        }
        from = last + 1;
    }
}

/// The CRC-32 of bytes, as snapshots and their last events are checked.
pub fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}
