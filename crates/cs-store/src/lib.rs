//! `cs-store`: where the events of the cs routing and SLA engine are kept.
//!
//! - [`EventStore`] ([`store`]): the durable stores. A store holds partitions (one stream
//!   of events per tenant or desk, numbered from 1), appends with an expected sequence
//!   number (a racing writer gets [`StoreError::Conflict`]), reads from a sequence or up to a
//!   time, wakes followers when new events land, keeps snapshots and command keys, and gives
//!   one writer per partition an exclusive lock. Two backends:
//!   - [`SqliteStore`] ([`sqlite`]): one SQLite file in WAL mode, the embedded default;
//!   - [`PgStore`] ([`postgres`]): PostgreSQL, for several processes and machines.
//!
//!   [`open`] picks one from a location: a `postgres://` URL, else a folder or file path.
//! - [`jsonl`]: the JSON-lines event log, one [`cs_core::Envelope`] per line: what
//!   `cs simulate --events` writes, `cs replay` reads, and `cs import`/`cs export` move
//!   between a store and a file.
//! - [`codec`]: events to bytes and back, the same for every store, with the upcasting hook
//!   that brings events written by an older schema version to the current one.
//!
//! What this crate never does: decide anything. It holds no routing or SLA logic, never
//! calls `decide` or `apply`, never reads a clock and never changes an event it stores; it
//! only moves events between memory and disk, and refuses bytes that are not a valid log.
//! (`cs-durable` drives the engine over a store.)

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codec;
pub mod jsonl;
pub mod postgres;
pub mod sqlite;
pub mod store;

pub use jsonl::{
    JsonlReader, JsonlWriter, LINE_BYTES_MAX, LogError, Recovered, Reopened, TornTail, UpcastError, line_of_event,
    read_all, read_all_tolerant, upcast, write_all,
};
pub use postgres::{PgOptions, PgStore};
pub use sqlite::{SqliteOptions, SqliteStore, Synchronous};
pub use store::{
    Append, Appended, CommandKey, CommandRecord, EventStore, Range, SnapshotRecord, StoreError, Stored, WriterLock,
    check_partition, crc32, for_each,
};

use std::sync::Arc;

/// Whether a store location names PostgreSQL (`postgres://` or `postgresql://`).
pub fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// Opens the store at `location` with default options: a `postgres://` URL is a
/// [`PgStore`]; anything else is a path, a folder (created if missing) or file holding a
/// [`SqliteStore`].
///
/// # Errors
/// What the backend's `open` says.
pub fn open(location: &str) -> Result<Arc<dyn EventStore>, StoreError> {
    if is_postgres_url(location) {
        Ok(Arc::new(PgStore::open(location, PgOptions::default())?))
    } else {
        Ok(Arc::new(SqliteStore::open(location, SqliteOptions::default())?))
    }
}
