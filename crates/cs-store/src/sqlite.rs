//! The embedded default store: one SQLite file in WAL mode.
//!
//! # Schema (version 1)
//!
//! ```sql
//! -- PRAGMA application_id = 0x63734556 ('csEV'); PRAGMA user_version = 1;
//! CREATE TABLE events (
//!     partition TEXT NOT NULL,     -- the stream: a tenant, a desk
//!     seq       INTEGER NOT NULL,  -- 1, 2, 3, ... within the partition, no gaps
//!     type      TEXT NOT NULL,     -- the event's name: TicketCreated, SlaBreached, ...
//!     v         INTEGER NOT NULL,  -- the event schema version it was written with
//!     at        INTEGER NOT NULL,  -- its time, ms since 1970-01-01T00:00:00Z
//!     data      TEXT NOT NULL,     -- the event's JSON (with "type" and "at")
//!     PRIMARY KEY (partition, seq)
//! ) WITHOUT ROWID;
//! CREATE TABLE snapshots (partition, seq, format, at, event_crc, crc, data BLOB,
//!                         PRIMARY KEY (partition, seq));
//! CREATE TABLE command_keys (partition, key, first_seq, last_seq, at, reply BLOB,
//!                            PRIMARY KEY (partition, key)) WITHOUT ROWID;
//! ```
//!
//! Read it with the `sqlite3` shell, for example
//! `SELECT seq, type, datetime(at / 1000, 'unixepoch'), data FROM events WHERE partition = 'acme'`.
//!
//! # Writing: one thread, group commit
//!
//! Every write goes to one writer thread that owns the only writing connection. It takes
//! every request waiting when it is free (up to [`SqliteOptions::batch_max`]) and runs them
//! in one transaction, so appends that arrive together share one commit and one `fsync`:
//! durability costs one disk flush per batch, not per append. A request that fails its own
//! checks (a sequence conflict, a key already there) is refused before it writes anything;
//! the others in the batch commit. Any other failure rolls the whole batch back and every
//! request in it gets the error: none of them was acknowledged. Every caller is answered only after the commit returned,
//! so an acknowledged append is on disk as far as `synchronous` promises (see
//! `docs/STORAGE.md`).
//!
//! Reads use their own connections (WAL readers never block the writer or each other).

use crate::codec::{decode_event, encode_event};
use crate::store::{
    Append, Appended, CommandRecord, EventStore, Range, SnapshotRecord, StoreError, Stored, WriterLock,
    check_command_key, check_partition,
};
use cs_core::Timestamp;
use cs_core::event::EVENT_SCHEMA_VERSION;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// `PRAGMA application_id` of a cs event store: "csEV".
pub const APPLICATION_ID: i32 = 0x6373_4556;

/// The store schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 1;

/// The file a folder store keeps its events in.
pub const FILE_NAME: &str = "events.db";

/// How hard SQLite tries to put a commit on disk before it returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// `synchronous = FULL`: every commit syncs the write-ahead log. An acknowledged append
    /// survives a crash of the process and of the machine (power loss), as far as the disk
    /// honours `fsync`. The default.
    #[default]
    Full,
    /// `synchronous = NORMAL`: the log is synced at checkpoints only. An acknowledged append
    /// survives a crash of the process, but the last commits may be lost with power.
    Normal,
}

/// How a SQLite store is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SqliteOptions {
    /// Durability of commits.
    pub synchronous: Synchronous,
    /// The most write requests one transaction takes; 1 gives every append its own
    /// transaction and `fsync` (what group commit is measured against).
    pub batch_max: usize,
    /// Snapshots kept per partition (the newest ones).
    pub snapshots_kept: usize,
    /// Run SQLite's `quick_check` at open, so a damaged file is refused before anything is
    /// read from it (costs a read of the whole file).
    pub check_at_open: bool,
}

impl Default for SqliteOptions {
    fn default() -> SqliteOptions {
        SqliteOptions { synchronous: Synchronous::Full, batch_max: 4096, snapshots_kept: 2, check_at_open: true }
    }
}

/// An event store in one SQLite file.
pub struct SqliteStore {
    label: String,
    path: PathBuf,
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    readers: Mutex<Vec<Connection>>,
    commits: Arc<Commits>,
    writer: Option<JoinHandle<()>>,
}

/// Counts commits, so readers waiting for new events wake when one lands.
#[derive(Default)]
struct Commits {
    n: Mutex<u64>,
    changed: Condvar,
}

/// One row to insert.
struct Row {
    type_name: &'static str,
    at: i64,
    data: String,
}

struct KeyRow {
    key: String,
    events: std::ops::Range<usize>,
    at: i64,
    reply: Vec<u8>,
}

enum Job {
    Append {
        partition: String,
        expected: u64,
        rows: Vec<Row>,
        keys: Vec<KeyRow>,
        reply: mpsc::SyncSender<Result<Appended, StoreError>>,
    },
    Snapshot {
        partition: String,
        record: SnapshotRecord,
        reply: mpsc::SyncSender<Result<(), StoreError>>,
    },
    Forget {
        partition: String,
        before: i64,
        reply: mpsc::SyncSender<Result<u64, StoreError>>,
    },
}

impl SqliteStore {
    /// Opens (creating it if missing) the store at `path`: a folder, which then holds
    /// [`FILE_NAME`], or a file.
    ///
    /// A path that exists and is a directory, or does not exist and has no extension, is a
    /// folder; anything else is the database file itself.
    ///
    /// # Errors
    /// [`StoreError::NotAStore`] for a file that is not SQLite or is another program's
    /// database, [`StoreError::NewerSchema`], [`StoreError::Damaged`], or
    /// [`StoreError::Backend`] when the file cannot be opened.
    pub fn open(path: impl AsRef<Path>, options: SqliteOptions) -> Result<SqliteStore, StoreError> {
        let path = database_path(path.as_ref())?;
        let label = format!("sqlite:{}", path.display());
        check_header(&path, &label)?;
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| classify(&label, e))?;
        prepare(&conn, &label, options)?;
        let commits = Arc::new(Commits::default());
        let (tx, rx) = mpsc::channel();
        let writer = {
            let (thread_label, commits) = (label.clone(), commits.clone());
            std::thread::Builder::new()
                .name("cs-sqlite-writer".to_owned())
                .spawn(move || write_loop(conn, rx, &thread_label, &commits, options))
                .map_err(|e| StoreError::Backend {
                    store: label.clone(),
                    message: format!("cannot start the writer: {e}"),
                })?
        };
        Ok(SqliteStore {
            label,
            path,
            jobs: Mutex::new(Some(tx)),
            readers: Mutex::new(Vec::new()),
            commits,
            writer: Some(writer),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn send(&self, job: Job) -> Result<(), StoreError> {
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        match jobs.as_ref() {
            Some(tx) => tx.send(job).map_err(|_| self.closed()),
            None => Err(self.closed()),
        }
    }

    fn closed(&self) -> StoreError {
        StoreError::Closed { store: self.label.clone() }
    }

    /// Runs `f` on a reading connection from the pool (opening one if none is free).
    fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let conn = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match conn {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(|e| classify(&self.label, e))?;
                c.busy_timeout(Duration::from_secs(5)).map_err(|e| classify(&self.label, e))?;
                c.pragma_update(None, "query_only", true).map_err(|e| classify(&self.label, e))?;
                c
            }
        };
        let out = f(&conn).map_err(|e| classify(&self.label, e));
        let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < 8 {
            pool.push(conn);
        }
        out
    }

    fn lock_dir(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".locks");
        self.path.with_file_name(name)
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Closing the channel lets the writer finish what it has and stop.
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

impl EventStore for SqliteStore {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn append(&self, batch: Append<'_>) -> Result<Appended, StoreError> {
        check_partition(batch.partition)?;
        crate::store::check_commands(batch.commands, batch.events.len())?;
        // Encoding happens here, on the caller's thread, so the writer only inserts.
        let rows =
            batch.events.iter().map(|e| Row { type_name: e.name(), at: e.at().ms(), data: encode_event(e) }).collect();
        let keys = batch
            .commands
            .iter()
            .map(|k| KeyRow { key: k.key.to_owned(), events: k.events.clone(), at: k.at.ms(), reply: k.reply.to_vec() })
            .collect();
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(Job::Append { partition: batch.partition.to_owned(), expected: batch.expected, rows, keys, reply })?;
        answer.recv().map_err(|_| self.closed())?
    }

    fn head(&self, partition: &str) -> Result<u64, StoreError> {
        check_partition(partition)?;
        self.with_reader(|c| head_of(c, partition))
    }

    fn read(&self, partition: &str, range: Range) -> Result<Vec<Stored>, StoreError> {
        check_partition(partition)?;
        let rows = self.with_reader(|c| {
            let mut st = c.prepare_cached(
                "SELECT seq, v, data FROM events WHERE partition = ?1 AND seq >= ?2 AND at <= ?3 ORDER BY seq LIMIT ?4",
            )?;
            let until = range.until.map_or(i64::MAX, Timestamp::ms);
            let limit = i64::try_from(range.limit).unwrap_or(i64::MAX);
            let rows = st.query_map(params![partition, to_i64(range.from), until, limit], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        rows.into_iter()
            .map(|(seq, v, data)| {
                let seq = seq as u64;
                let v = u16::try_from(v).unwrap_or(u16::MAX);
                decode_event(v, &data).map(|event| Stored { seq, event }).map_err(|error| StoreError::BadEvent {
                    store: self.label.clone(),
                    partition: partition.to_owned(),
                    seq,
                    error,
                })
            })
            .collect()
    }

    fn wait(&self, partition: &str, after: u64, timeout: Duration) -> Result<u64, StoreError> {
        let deadline = Instant::now() + timeout;
        loop {
            // Read the commit count before the head: a commit landing in between changes
            // the count, so the wait below returns at once instead of missing it.
            let seen = *self.commits.n.lock().unwrap_or_else(|p| p.into_inner());
            let head = self.head(partition)?;
            let now = Instant::now();
            if head > after || now >= deadline {
                return Ok(head);
            }
            // Another process may write the file too: look again at least every 50 ms.
            let slice = (deadline - now).min(Duration::from_millis(50));
            let n = self.commits.n.lock().unwrap_or_else(|p| p.into_inner());
            if *n == seen {
                let _ = self.commits.changed.wait_timeout(n, slice).unwrap_or_else(|p| p.into_inner());
            }
        }
    }

    fn save_snapshot(&self, partition: &str, snapshot: &SnapshotRecord) -> Result<(), StoreError> {
        check_partition(partition)?;
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(Job::Snapshot { partition: partition.to_owned(), record: snapshot.clone(), reply })?;
        answer.recv().map_err(|_| self.closed())?
    }

    fn load_snapshot(&self, partition: &str) -> Result<Option<SnapshotRecord>, StoreError> {
        check_partition(partition)?;
        self.with_reader(|c| {
            c.query_row(
                "SELECT seq, format, at, event_crc, crc, data FROM snapshots WHERE partition = ?1 ORDER BY seq DESC LIMIT 1",
                params![partition],
                |r| {
                    Ok(SnapshotRecord {
                        seq: r.get::<_, i64>(0)? as u64,
                        format: r.get::<_, i64>(1)?.clamp(0, i64::from(u16::MAX)) as u16,
                        at: Timestamp(r.get(2)?),
                        event_crc: r.get::<_, i64>(3)? as u32,
                        crc: r.get::<_, i64>(4)? as u32,
                        data: r.get(5)?,
                    })
                },
            )
            .optional()
        })
    }

    fn command(&self, partition: &str, key: &str) -> Result<Option<CommandRecord>, StoreError> {
        check_partition(partition)?;
        check_command_key(key)?;
        self.with_reader(|c| command_of(c, partition, key))
    }

    fn forget_commands(&self, partition: &str, before: Timestamp) -> Result<u64, StoreError> {
        check_partition(partition)?;
        let (reply, answer) = mpsc::sync_channel(1);
        self.send(Job::Forget { partition: partition.to_owned(), before: before.ms(), reply })?;
        answer.recv().map_err(|_| self.closed())?
    }

    fn lock_writer(&self, partition: &str, wait: Duration) -> Result<WriterLock, StoreError> {
        check_partition(partition)?;
        let dir = self.lock_dir();
        let io = |e: std::io::Error| StoreError::Backend {
            store: self.label.clone(),
            message: format!("lock file in {}: {e}", dir.display()),
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let path = dir.join(partition);
        let mut file =
            std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
        let deadline = Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    let holder = holder.trim();
                    return Err(StoreError::WriterBusy {
                        store: self.label.clone(),
                        partition: partition.to_owned(),
                        holder: (!holder.is_empty()).then(|| holder.to_owned()),
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        // Say who holds it, for the message another writer gets.
        file.set_len(0).map_err(io)?;
        write!(file, "process {}", std::process::id()).map_err(io)?;
        Ok(WriterLock { partition: partition.to_owned(), _held: Box::new(file) })
    }

    fn partitions(&self) -> Result<Vec<String>, StoreError> {
        self.with_reader(|c| {
            // Walks the primary key from one partition to the next instead of every row.
            let mut out = Vec::new();
            let mut st =
                c.prepare_cached("SELECT partition FROM events WHERE partition > ?1 ORDER BY partition LIMIT 1")?;
            let mut after = String::new();
            while let Some(p) = st.query_row(params![after], |r| r.get::<_, String>(0)).optional()? {
                after.clone_from(&p);
                out.push(p);
            }
            Ok(out)
        })
    }
}

/// Where the database file of a store path is (see [`SqliteStore::open`]).
fn database_path(path: &Path) -> Result<PathBuf, StoreError> {
    let folder = path.is_dir() || (!path.exists() && path.extension().is_none());
    if folder {
        std::fs::create_dir_all(path).map_err(|e| StoreError::Backend {
            store: format!("sqlite:{}", path.display()),
            message: format!("cannot create the store folder: {e}"),
        })?;
        return Ok(path.join(FILE_NAME));
    }
    Ok(path.to_path_buf())
}

/// Refuses a file that exists but does not start as an SQLite database, naming what it
/// starts with, before SQLite is let near it.
fn check_header(path: &Path, label: &str) -> Result<(), StoreError> {
    let Ok(mut f) = File::open(path) else { return Ok(()) };
    let mut head = [0u8; 16];
    let n = f.read(&mut head).unwrap_or(0);
    if n == 0 {
        return Ok(());
    }
    if n < 16 || &head != b"SQLite format 3\0" {
        let shown: String =
            head[..n].iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '.' }).collect();
        return Err(StoreError::NotAStore {
            store: label.to_owned(),
            reason: format!("the file is not an SQLite database (it starts with {shown:?})"),
        });
    }
    Ok(())
}

/// Sets the connection up and creates or checks the schema.
fn prepare(conn: &Connection, label: &str, options: SqliteOptions) -> Result<(), StoreError> {
    let err = |e| classify(label, e);
    conn.busy_timeout(Duration::from_secs(5)).map_err(err)?;
    let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(err)?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(err)?;
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)).map_err(err)?;
    if app == 0 && tables == 0 {
        create_schema(conn).map_err(err)?;
    } else if app != APPLICATION_ID {
        let reason = if app == 0 {
            format!("it is an SQLite database of another program ({tables} schema objects, no cs application id)")
        } else {
            format!("its application id is {app:#x}, not cs's {APPLICATION_ID:#x}")
        };
        return Err(StoreError::NotAStore { store: label.to_owned(), reason });
    } else if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema { store: label.to_owned(), found: version, supported: SCHEMA_VERSION });
    } else if version < SCHEMA_VERSION {
        return Err(StoreError::Damaged {
            store: label.to_owned(),
            reason: format!("store schema version {version} never existed (the first is {SCHEMA_VERSION})"),
        });
    }
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend {
            store: label.to_owned(),
            message: format!("the file system does not allow write-ahead logging (journal mode {mode})"),
        });
    }
    let sync = match options.synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", sync).map_err(err)?;
    if options.check_at_open {
        let verdict: String = conn.query_row("PRAGMA quick_check(1)", [], |r| r.get(0)).map_err(err)?;
        if verdict != "ok" {
            return Err(StoreError::Damaged { store: label.to_owned(), reason: verdict });
        }
    }
    Ok(())
}

fn create_schema(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(&format!(
        "BEGIN IMMEDIATE;
         CREATE TABLE events (
             partition TEXT NOT NULL,
             seq INTEGER NOT NULL,
             type TEXT NOT NULL,
             v INTEGER NOT NULL,
             at INTEGER NOT NULL,
             data TEXT NOT NULL,
             PRIMARY KEY (partition, seq)
         ) WITHOUT ROWID;
         CREATE TABLE snapshots (
             partition TEXT NOT NULL,
             seq INTEGER NOT NULL,
             format INTEGER NOT NULL,
             at INTEGER NOT NULL,
             event_crc INTEGER NOT NULL,
             crc INTEGER NOT NULL,
             data BLOB NOT NULL,
             PRIMARY KEY (partition, seq)
         );
         CREATE TABLE command_keys (
             partition TEXT NOT NULL,
             key TEXT NOT NULL,
             first_seq INTEGER NOT NULL,
             last_seq INTEGER NOT NULL,
             at INTEGER NOT NULL,
             reply BLOB NOT NULL,
             PRIMARY KEY (partition, key)
         ) WITHOUT ROWID;
         PRAGMA application_id = {APPLICATION_ID};
         PRAGMA user_version = {SCHEMA_VERSION};
         COMMIT;"
    ))
}

/// Maps SQLite's errors to the store's: a file that is not a database, a damaged one, or
/// anything else as the backend's message.
fn classify(label: &str, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => {
            StoreError::NotAStore { store: label.to_owned(), reason: "the file is not an SQLite database".to_owned() }
        }
        Some(ErrorCode::DatabaseCorrupt) => StoreError::Damaged { store: label.to_owned(), reason: e.to_string() },
        _ => StoreError::Backend { store: label.to_owned(), message: e.to_string() },
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn head_of(c: &Connection, partition: &str) -> rusqlite::Result<u64> {
    let mut st = c.prepare_cached("SELECT max(seq) FROM events WHERE partition = ?1")?;
    let head: Option<i64> = st.query_row(params![partition], |r| r.get(0))?;
    Ok(head.unwrap_or(0) as u64)
}

fn command_of(c: &Connection, partition: &str, key: &str) -> rusqlite::Result<Option<CommandRecord>> {
    let mut st =
        c.prepare_cached("SELECT first_seq, last_seq, at, reply FROM command_keys WHERE partition = ?1 AND key = ?2")?;
    st.query_row(params![partition, key], |r| {
        Ok(CommandRecord {
            key: key.to_owned(),
            first: r.get::<_, i64>(0)? as u64,
            last: r.get::<_, i64>(1)? as u64,
            at: Timestamp(r.get(2)?),
            reply: r.get(3)?,
        })
    })
    .optional()
}

/// The writer thread: takes every waiting job, runs them in one transaction, commits, then
/// answers each.
fn write_loop(conn: Connection, jobs: mpsc::Receiver<Job>, label: &str, commits: &Commits, options: SqliteOptions) {
    let batch_max = options.batch_max.max(1);
    let mut batch: Vec<Job> = Vec::with_capacity(batch_max);
    while let Ok(first) = jobs.recv() {
        batch.push(first);
        while batch.len() < batch_max {
            match jobs.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        run_batch(&conn, &mut batch, label, options);
        let mut n = commits.n.lock().unwrap_or_else(|p| p.into_inner());
        *n += 1;
        commits.changed.notify_all();
    }
}

/// What one job of a batch came to before the commit.
enum Outcome {
    Appended(Appended),
    Saved,
    Forgot(u64),
}

fn run_batch(conn: &Connection, batch: &mut Vec<Job>, label: &str, options: SqliteOptions) {
    let err = |e| classify(label, e);
    let exec = |sql: &str| conn.prepare_cached(sql).and_then(|mut st| st.execute([])).map(|_| ()).map_err(err);
    if let Err(e) = exec("BEGIN IMMEDIATE") {
        for job in batch.drain(..) {
            answer(job, Err(copy_error(&e)));
        }
        return;
    }
    // A job refused by its own checks (a sequence conflict, a key already there) is refused
    // before it writes anything, so the others go on without a savepoint each. Any other
    // failure may have written part of a job: the whole transaction is rolled back.
    let mut results: Vec<Result<Outcome, StoreError>> = Vec::with_capacity(batch.len());
    let mut failed: Option<StoreError> = None;
    for job in batch.iter() {
        match run_job(conn, job, label, options) {
            Err(e @ (StoreError::Conflict { .. } | StoreError::DuplicateKey { .. })) => results.push(Err(e)),
            Err(e) => {
                failed = Some(e);
                break;
            }
            ok => results.push(ok),
        }
    }
    let failed = match failed {
        None => exec("COMMIT").err(),
        some => some,
    };
    match failed {
        None => {
            for (job, r) in batch.drain(..).zip(results) {
                answer(job, r);
            }
        }
        Some(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            let mut results = results.into_iter();
            for job in batch.drain(..) {
                // Refusals stand (they wrote nothing either way); everything else was lost
                // with the transaction.
                let r = match results.next() {
                    Some(Err(refused @ (StoreError::Conflict { .. } | StoreError::DuplicateKey { .. }))) => {
                        Err(refused)
                    }
                    _ => Err(copy_error(&e)),
                };
                answer(job, r);
            }
        }
    }
}

fn run_job(conn: &Connection, job: &Job, label: &str, options: SqliteOptions) -> Result<Outcome, StoreError> {
    let err = |e| classify(label, e);
    match job {
        Job::Append { partition, expected, rows, keys, .. } => {
            let head = head_of(conn, partition).map_err(err)?;
            if head != *expected {
                return Err(StoreError::Conflict { partition: partition.clone(), expected: *expected, actual: head });
            }
            for k in keys {
                if let Some(record) = command_of(conn, partition, &k.key).map_err(err)? {
                    return Err(StoreError::DuplicateKey {
                        partition: partition.clone(),
                        key: k.key.clone(),
                        record: Box::new(record),
                    });
                }
            }
            let mut insert = conn
                .prepare_cached(
                    "INSERT INTO events (partition, seq, type, v, at, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(err)?;
            let mut seq = *expected;
            for row in rows {
                seq += 1;
                insert
                    .execute(params![partition, to_i64(seq), row.type_name, EVENT_SCHEMA_VERSION, row.at, row.data])
                    .map_err(err)?;
            }
            for k in keys {
                let first = expected + k.events.start as u64 + 1;
                let last = expected + k.events.end as u64;
                conn.prepare_cached(
                    "INSERT INTO command_keys (partition, key, first_seq, last_seq, at, reply) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .and_then(|mut st| st.execute(params![partition, k.key, to_i64(first), to_i64(last), k.at, k.reply]))
                .map_err(err)?;
            }
            Ok(Outcome::Appended(Appended { first: expected + 1, last: seq }))
        }
        Job::Snapshot { partition, record, .. } => {
            conn.execute(
                "INSERT OR REPLACE INTO snapshots (partition, seq, format, at, event_crc, crc, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    partition,
                    to_i64(record.seq),
                    record.format,
                    record.at.ms(),
                    record.event_crc,
                    record.crc,
                    record.data
                ],
            )
            .map_err(err)?;
            conn.execute(
                "DELETE FROM snapshots WHERE partition = ?1 AND seq NOT IN
                 (SELECT seq FROM snapshots WHERE partition = ?1 ORDER BY seq DESC LIMIT ?2)",
                params![partition, to_i64(options.snapshots_kept.max(1) as u64)],
            )
            .map_err(err)?;
            Ok(Outcome::Saved)
        }
        Job::Forget { partition, before, .. } => {
            let n = conn
                .execute("DELETE FROM command_keys WHERE partition = ?1 AND at < ?2", params![partition, before])
                .map_err(err)?;
            Ok(Outcome::Forgot(n as u64))
        }
    }
}

fn answer(job: Job, r: Result<Outcome, StoreError>) {
    // A caller that gave up waiting has dropped its receiver; nothing to tell it.
    match job {
        Job::Append { reply, .. } => {
            let _ = reply.send(r.map(|o| match o {
                Outcome::Appended(a) => a,
                _ => unreachable!("an append job appends"),
            }));
        }
        Job::Snapshot { reply, .. } => {
            let _ = reply.send(r.map(|_| ()));
        }
        Job::Forget { reply, .. } => {
            let _ = reply.send(r.map(|o| match o {
                Outcome::Forgot(n) => n,
                _ => unreachable!("a forget job forgets"),
            }));
        }
    }
}

/// Store errors hold no clonable source; a batch's one failure is told to each caller.
fn copy_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::Damaged { store, reason } => StoreError::Damaged { store: store.clone(), reason: reason.clone() },
        StoreError::NotAStore { store, reason } => {
            StoreError::NotAStore { store: store.clone(), reason: reason.clone() }
        }
        StoreError::Backend { store, message } => {
            StoreError::Backend { store: store.clone(), message: message.clone() }
        }
        other => StoreError::Backend { store: String::new(), message: other.to_string() },
    }
}
