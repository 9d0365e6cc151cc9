//! The PostgreSQL store, for deployments that outgrow one machine.
//!
//! # Schema (version 1)
//!
//! ```sql
//! CREATE TABLE cs_events (
//!     partition text NOT NULL, seq bigint NOT NULL, type text NOT NULL,
//!     v smallint NOT NULL, at bigint NOT NULL, data jsonb NOT NULL,
//!     PRIMARY KEY (partition, seq)            -- one event per place: a racing writer conflicts
//! );
//! CREATE TABLE cs_snapshots (partition, seq, format, at, event_crc, crc, data bytea, PRIMARY KEY (partition, seq));
//! CREATE TABLE cs_command_keys (partition, key, first_seq, last_seq, at, reply bytea, PRIMARY KEY (partition, key));
//! CREATE TABLE cs_owners (partition text PRIMARY KEY, owner text NOT NULL, since bigint NOT NULL);
//! CREATE TABLE cs_schema (version int NOT NULL);
//! ```
//!
//! Tables are prefixed `cs_` so the store can share a database. The program creates them
//! itself at open, idempotently, under a transaction-scoped advisory lock so that several
//! processes starting at once do not race; a database whose `cs_schema` is newer than this
//! build is refused.
//!
//! # One writer per partition, followers
//!
//! [`EventStore::lock_writer`] takes a session advisory lock keyed by the partition's name
//! (`pg_try_advisory_lock(hashtextextended('cs:' || partition, 0))`) on a connection of its
//! own, held until the [`WriterLock`] is dropped or the session dies with its process.
//! Appends still check the sequence (the primary key refuses a second event at the same
//! place), so a writer that lost its lock without noticing cannot overwrite anyone.
//!
//! Every commit that appends calls `pg_notify('cs_events', partition)`. A store listens on
//! that channel on a connection of its own and wakes [`EventStore::wait`]ers; because a
//! notification can be missed (a dropped connection), waiters also look at the head every
//! 250 ms, so a follower catches up by sequence whatever happened to the notifications.
//!
//! # Writing: group commit
//!
//! As with SQLite, one writer thread per store takes every append waiting and runs them in
//! one transaction, so appends arriving together share one commit (one WAL flush).

use crate::codec::{decode_event, encode_event};
use crate::store::{
    Append, Appended, CommandRecord, EventStore, Range, SnapshotRecord, StoreError, Stored, WriterLock,
    check_command_key, check_partition,
};
use cs_core::Timestamp;
use cs_core::event::EVENT_SCHEMA_VERSION;
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls};
use std::str::FromStr;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The store schema version this build writes and reads.
pub const SCHEMA_VERSION: i32 = 1;

/// The channel commits notify.
const CHANNEL: &str = "cs_events";

/// How a PostgreSQL store is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PgOptions {
    /// The most appends one transaction takes; 1 gives each its own commit.
    pub batch_max: usize,
    /// Snapshots kept per partition.
    pub snapshots_kept: usize,
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> PgOptions {
        PgOptions { batch_max: 4096, snapshots_kept: 2, connect_timeout: Duration::from_secs(10) }
    }
}

/// An event store in a PostgreSQL database.
pub struct PgStore {
    label: String,
    config: postgres::Config,
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    readers: Mutex<Vec<Client>>,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    options: PgOptions,
}

#[derive(Default)]
struct Shared {
    /// Notifications (and commits of this store) seen.
    n: Mutex<u64>,
    changed: Condvar,
    stop: std::sync::atomic::AtomicBool,
}

impl Shared {
    fn bump(&self) {
        let mut n = self.n.lock().unwrap_or_else(|p| p.into_inner());
        *n += 1;
        self.changed.notify_all();
    }
}

struct Job {
    partition: String,
    expected: u64,
    types: Vec<&'static str>,
    ats: Vec<i64>,
    datas: Vec<String>,
    keys: Vec<(String, std::ops::Range<usize>, i64, Vec<u8>)>,
    reply: mpsc::SyncSender<Result<Appended, StoreError>>,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user@host:port/db`), creating or
    /// checking the schema.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the URL is bad or the server does not answer,
    /// [`StoreError::NewerSchema`] when the database was set up by a newer cs.
    pub fn open(url: &str, options: PgOptions) -> Result<PgStore, StoreError> {
        let mut config = postgres::Config::from_str(url)
            .map_err(|e| StoreError::Backend { store: redact(url), message: format!("not a PostgreSQL URL: {e}") })?;
        config.connect_timeout(options.connect_timeout);
        config.application_name(&format!("cs (process {})", std::process::id()));
        let label = describe(&config);
        let mut first = connect(&config, &label)?;
        migrate(&mut first, &label)?;
        let shared = Arc::new(Shared::default());
        let mut threads = Vec::new();
        let (tx, rx) = mpsc::channel();
        {
            let writer = connect(&config, &label)?;
            let (config, label, shared) = (config.clone(), label.clone(), shared.clone());
            threads.push(spawn("cs-pg-writer", move || write_loop(writer, &config, rx, &label, &shared, options))?);
        }
        {
            let (config, label, shared) = (config.clone(), label.clone(), shared.clone());
            threads.push(spawn("cs-pg-listener", move || listen_loop(&config, &label, &shared))?);
        }
        Ok(PgStore {
            label,
            config,
            jobs: Mutex::new(Some(tx)),
            readers: Mutex::new(vec![first]),
            shared,
            threads,
            options,
        })
    }

    fn closed(&self) -> StoreError {
        StoreError::Closed { store: self.label.clone() }
    }

    fn with_reader<T>(&self, f: impl FnOnce(&mut Client) -> Result<T, postgres::Error>) -> Result<T, StoreError> {
        let pooled = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut client = match pooled {
            Some(c) if !c.is_closed() => c,
            _ => connect(&self.config, &self.label)?,
        };
        let out = f(&mut client).map_err(|e| backend(&self.label, &e));
        if !client.is_closed() {
            let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
            if pool.len() < 8 {
                pool.push(client);
            }
        }
        out
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.shared.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).take();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl EventStore for PgStore {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn append(&self, batch: Append<'_>) -> Result<Appended, StoreError> {
        check_partition(batch.partition)?;
        crate::store::check_commands(batch.commands, batch.events.len())?;
        let (reply, answer) = mpsc::sync_channel(1);
        let job = Job {
            partition: batch.partition.to_owned(),
            expected: batch.expected,
            types: batch.events.iter().map(cs_core::Event::name).collect(),
            ats: batch.events.iter().map(|e| e.at().ms()).collect(),
            datas: batch.events.iter().map(encode_event).collect(),
            keys: batch
                .commands
                .iter()
                .map(|k| (k.key.to_owned(), k.events.clone(), k.at.ms(), k.reply.to_vec()))
                .collect(),
            reply,
        };
        {
            let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
            jobs.as_ref().ok_or_else(|| self.closed())?.send(job).map_err(|_| self.closed())?;
        }
        answer.recv().map_err(|_| self.closed())?
    }

    fn head(&self, partition: &str) -> Result<u64, StoreError> {
        check_partition(partition)?;
        self.with_reader(|c| head_of(c, partition))
    }

    fn read(&self, partition: &str, range: Range) -> Result<Vec<Stored>, StoreError> {
        check_partition(partition)?;
        let until = range.until.map_or(i64::MAX, Timestamp::ms);
        let limit = i64::try_from(range.limit).unwrap_or(i64::MAX);
        let from = i64::try_from(range.from).unwrap_or(i64::MAX);
        let rows = self.with_reader(|c| {
            c.query(
                "SELECT seq, v, data::text FROM cs_events WHERE partition = $1 AND seq >= $2 AND at <= $3 ORDER BY seq LIMIT $4",
                &[&partition, &from, &until, &limit],
            )
        })?;
        rows.into_iter()
            .map(|r| {
                let seq = r.get::<_, i64>(0) as u64;
                let v = u16::try_from(r.get::<_, i16>(1)).unwrap_or(u16::MAX);
                let data: &str = r.get(2);
                decode_event(v, data).map(|event| Stored { seq, event }).map_err(|error| StoreError::BadEvent {
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
            let seen = *self.shared.n.lock().unwrap_or_else(|p| p.into_inner());
            let head = self.head(partition)?;
            let now = Instant::now();
            if head > after || now >= deadline {
                return Ok(head);
            }
            let slice = (deadline - now).min(Duration::from_millis(250));
            let n = self.shared.n.lock().unwrap_or_else(|p| p.into_inner());
            if *n == seen {
                let _ = self.shared.changed.wait_timeout(n, slice).unwrap_or_else(|p| p.into_inner());
            }
        }
    }

    fn save_snapshot(&self, partition: &str, s: &SnapshotRecord) -> Result<(), StoreError> {
        check_partition(partition)?;
        let kept = i64::try_from(self.options.snapshots_kept.max(1)).unwrap_or(i64::MAX);
        self.with_reader(|c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "INSERT INTO cs_snapshots (partition, seq, format, at, event_crc, crc, data) VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (partition, seq) DO UPDATE SET format = EXCLUDED.format, at = EXCLUDED.at,
                     event_crc = EXCLUDED.event_crc, crc = EXCLUDED.crc, data = EXCLUDED.data",
                &[
                    &partition,
                    &(s.seq as i64),
                    &i32::from(s.format),
                    &s.at.ms(),
                    &i64::from(s.event_crc),
                    &i64::from(s.crc),
                    &s.data,
                ],
            )?;
            tx.execute(
                "DELETE FROM cs_snapshots WHERE partition = $1 AND seq NOT IN
                 (SELECT seq FROM cs_snapshots WHERE partition = $1 ORDER BY seq DESC LIMIT $2)",
                &[&partition, &kept],
            )?;
            tx.commit()
        })
    }

    fn load_snapshot(&self, partition: &str) -> Result<Option<SnapshotRecord>, StoreError> {
        check_partition(partition)?;
        self.with_reader(|c| {
            let row = c.query_opt(
                "SELECT seq, format, at, event_crc, crc, data FROM cs_snapshots WHERE partition = $1 ORDER BY seq DESC LIMIT 1",
                &[&partition],
            )?;
            Ok(row.map(|r| SnapshotRecord {
                seq: r.get::<_, i64>(0) as u64,
                format: r.get::<_, i32>(1).clamp(0, i32::from(u16::MAX)) as u16,
                at: Timestamp(r.get(2)),
                event_crc: r.get::<_, i64>(3) as u32,
                crc: r.get::<_, i64>(4) as u32,
                data: r.get(5),
            }))
        })
    }

    fn command(&self, partition: &str, key: &str) -> Result<Option<CommandRecord>, StoreError> {
        check_partition(partition)?;
        check_command_key(key)?;
        self.with_reader(|c| command_of(c, partition, key))
    }

    fn forget_commands(&self, partition: &str, before: Timestamp) -> Result<u64, StoreError> {
        check_partition(partition)?;
        self.with_reader(|c| {
            c.execute("DELETE FROM cs_command_keys WHERE partition = $1 AND at < $2", &[&partition, &before.ms()])
        })
    }

    fn lock_writer(&self, partition: &str, wait: Duration) -> Result<WriterLock, StoreError> {
        check_partition(partition)?;
        let mut client = connect(&self.config, &self.label)?;
        let key = format!("cs:{partition}");
        let deadline = Instant::now() + wait;
        loop {
            let got: bool = client
                .query_one("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", &[&key])
                .map_err(|e| backend(&self.label, &e))?
                .get(0);
            if got {
                return Ok(WriterLock { partition: partition.to_owned(), _held: Box::new(client) });
            }
            if Instant::now() >= deadline {
                let holder = client
                    .query_opt(
                        "SELECT a.application_name || ' on ' || coalesce(host(a.client_addr), 'a local socket')
                         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                         WHERE l.locktype = 'advisory' AND l.granted
                           AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)
                         LIMIT 1",
                        &[&key],
                    )
                    .ok()
                    .flatten()
                    .map(|r| r.get::<_, String>(0));
                return Err(StoreError::WriterBusy {
                    store: self.label.clone(),
                    partition: partition.to_owned(),
                    holder,
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Records which process owns a partition and where it takes requests (a `cs serve`
    /// node's address), for the others to forward writes to.
    fn set_owner(&self, partition: &str, owner: &str, at: Timestamp) -> Result<(), StoreError> {
        check_partition(partition)?;
        self.with_reader(|c| {
            c.execute(
                "INSERT INTO cs_owners (partition, owner, since) VALUES ($1, $2, $3)
                 ON CONFLICT (partition) DO UPDATE SET owner = EXCLUDED.owner, since = EXCLUDED.since",
                &[&partition, &owner, &at.ms()],
            )
            .map(|_| ())
        })
    }

    /// The owner a partition's writer last recorded, if any.
    fn owner(&self, partition: &str) -> Result<Option<String>, StoreError> {
        check_partition(partition)?;
        self.with_reader(|c| {
            c.query_opt("SELECT owner FROM cs_owners WHERE partition = $1", &[&partition])
                .map(|r| r.map(|r| r.get::<_, String>(0)))
        })
    }

    fn partitions(&self) -> Result<Vec<String>, StoreError> {
        self.with_reader(|c| {
            // A recursive walk of the primary key: one index probe per partition.
            let rows = c.query(
                "WITH RECURSIVE p(name) AS (
                     (SELECT partition FROM cs_events ORDER BY partition LIMIT 1)
                     UNION ALL
                     SELECT (SELECT partition FROM cs_events WHERE partition > p.name ORDER BY partition LIMIT 1)
                     FROM p WHERE p.name IS NOT NULL)
                 SELECT name FROM p WHERE name IS NOT NULL",
                &[],
            )?;
            Ok(rows.into_iter().map(|r| r.get::<_, String>(0)).collect())
        })
    }
}

/// `postgres://user@host:port/db`, never the password.
fn describe(config: &postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(h) => h.clone(),
            postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".to_owned());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().map(|u| format!("{u}@")).unwrap_or_default();
    let db = config.get_dbname().unwrap_or_default();
    format!("postgres://{user}{host}:{port}/{db}")
}

/// A URL with its password (if any) replaced, for a message about a URL that did not parse.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn connect(config: &postgres::Config, label: &str) -> Result<Client, StoreError> {
    config
        .connect(NoTls)
        .map_err(|e| StoreError::Backend { store: label.to_owned(), message: format!("cannot connect: {e}") })
}

fn backend(label: &str, e: &postgres::Error) -> StoreError {
    let message = match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    };
    StoreError::Backend { store: label.to_owned(), message }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>, StoreError> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .map_err(|e| StoreError::Backend { store: String::new(), message: format!("cannot start {name}: {e}") })
}

/// Creates the tables if missing and checks the schema version, idempotently and safely
/// when several processes start at once.
fn migrate(c: &mut Client, label: &str) -> Result<(), StoreError> {
    let err = |e: postgres::Error| backend(label, &e);
    let mut tx = c.transaction().map_err(err)?;
    tx.execute("SELECT pg_advisory_xact_lock(hashtextextended('cs:migrate', 0))", &[]).map_err(err)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS cs_schema (version int NOT NULL);
         CREATE TABLE IF NOT EXISTS cs_events (
             partition text NOT NULL,
             seq bigint NOT NULL,
             type text NOT NULL,
             v smallint NOT NULL,
             at bigint NOT NULL,
             data jsonb NOT NULL,
             PRIMARY KEY (partition, seq)
         );
         CREATE TABLE IF NOT EXISTS cs_snapshots (
             partition text NOT NULL,
             seq bigint NOT NULL,
             format int NOT NULL,
             at bigint NOT NULL,
             event_crc bigint NOT NULL,
             crc bigint NOT NULL,
             data bytea NOT NULL,
             PRIMARY KEY (partition, seq)
         );
         CREATE TABLE IF NOT EXISTS cs_command_keys (
             partition text NOT NULL,
             key text NOT NULL,
             first_seq bigint NOT NULL,
             last_seq bigint NOT NULL,
             at bigint NOT NULL,
             reply bytea NOT NULL,
             PRIMARY KEY (partition, key)
         );
         CREATE TABLE IF NOT EXISTS cs_owners (
             partition text PRIMARY KEY,
             owner text NOT NULL,
             since bigint NOT NULL
         );",
    )
    .map_err(err)?;
    let found: Option<i32> =
        tx.query_opt("SELECT max(version) FROM cs_schema", &[]).map_err(err)?.and_then(|r| r.get(0));
    match found {
        None => {
            tx.execute("INSERT INTO cs_schema (version) VALUES ($1)", &[&SCHEMA_VERSION]).map_err(err)?;
        }
        Some(v) if v > SCHEMA_VERSION => {
            return Err(StoreError::NewerSchema {
                store: label.to_owned(),
                found: i64::from(v),
                supported: i64::from(SCHEMA_VERSION),
            });
        }
        Some(_) => {}
    }
    tx.commit().map_err(err)
}

fn head_of(c: &mut Client, partition: &str) -> Result<u64, postgres::Error> {
    let head: Option<i64> = c.query_one("SELECT max(seq) FROM cs_events WHERE partition = $1", &[&partition])?.get(0);
    Ok(head.unwrap_or(0) as u64)
}

fn command_of(
    c: &mut impl postgres::GenericClient,
    partition: &str,
    key: &str,
) -> Result<Option<CommandRecord>, postgres::Error> {
    let row = c.query_opt(
        "SELECT first_seq, last_seq, at, reply FROM cs_command_keys WHERE partition = $1 AND key = $2",
        &[&partition, &key],
    )?;
    Ok(row.map(|r| CommandRecord {
        key: key.to_owned(),
        first: r.get::<_, i64>(0) as u64,
        last: r.get::<_, i64>(1) as u64,
        at: Timestamp(r.get(2)),
        reply: r.get(3),
    }))
}

fn write_loop(
    mut client: Client,
    config: &postgres::Config,
    jobs: mpsc::Receiver<Job>,
    label: &str,
    shared: &Shared,
    options: PgOptions,
) {
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
        if client.is_closed() {
            // The server went away (a restart, a fail-over): connect again for this batch,
            // or refuse it and try again with the next.
            match connect(config, label) {
                Ok(c) => client = c,
                Err(e) => {
                    for j in batch.drain(..) {
                        let _ = j.reply.send(Err(StoreError::Backend {
                            store: label.to_owned(),
                            message: format!("the connection to the server was lost: {e}"),
                        }));
                    }
                    continue;
                }
            }
        }
        run_batch(&mut client, &mut batch, label);
        shared.bump();
    }
}

fn run_batch(client: &mut Client, batch: &mut Vec<Job>, label: &str) {
    let results = match batched(client, batch) {
        Ok(results) => results,
        // Another process appended to one of the partitions between this batch's look at
        // the heads and its insert: the primary key refused the whole batch. Go through it
        // again one append at a time, so that only the appends that really conflict do.
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => one_by_one(client, batch, label),
        Err(e) => {
            let message = backend(label, &e).to_string();
            batch
                .iter()
                .map(|_| Err(StoreError::Backend { store: label.to_owned(), message: message.clone() }))
                .collect()
        }
    };
    for (job, r) in batch.drain(..).zip(results) {
        let _ = job.reply.send(r);
    }
}

/// The whole batch in one transaction and a handful of statements: the heads of its
/// partitions and the keys it carries are looked up once, each append is decided in
/// memory in order, and every accepted event and key is inserted with one statement each.
fn batched(client: &mut Client, batch: &[Job]) -> Result<Vec<Result<Appended, StoreError>>, postgres::Error> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut tx = client.transaction()?;
    let partitions: Vec<&str> =
        batch.iter().map(|j| j.partition.as_str()).collect::<BTreeSet<_>>().into_iter().collect();
    let mut heads: BTreeMap<String, u64> = BTreeMap::new();
    for row in tx.query(
        "SELECT partition, max(seq) FROM cs_events WHERE partition = ANY($1) GROUP BY partition",
        &[&partitions],
    )? {
        heads.insert(row.get(0), row.get::<_, i64>(1) as u64);
    }
    let (key_parts, key_names): (Vec<&str>, Vec<&str>) =
        batch.iter().flat_map(|j| j.keys.iter().map(move |k| (j.partition.as_str(), k.0.as_str()))).unzip();
    let mut taken: BTreeMap<(String, String), CommandRecord> = BTreeMap::new();
    if !key_names.is_empty() {
        for r in tx.query(
            "SELECT k.partition, k.key, k.first_seq, k.last_seq, k.at, k.reply
             FROM cs_command_keys k JOIN unnest($1::text[], $2::text[]) AS u(p, n) ON k.partition = u.p AND k.key = u.n",
            &[&key_parts, &key_names],
        )? {
            let key: String = r.get(1);
            let record = CommandRecord {
                key: key.clone(),
                first: r.get::<_, i64>(2) as u64,
                last: r.get::<_, i64>(3) as u64,
                at: Timestamp(r.get(4)),
                reply: r.get(5),
            };
            taken.insert((r.get(0), key), record);
        }
    }
    let mut results = Vec::with_capacity(batch.len());
    let (mut e_part, mut e_seq, mut e_type, mut e_at, mut e_data) = (vec![], vec![], vec![], vec![], vec![]);
    let (mut k_part, mut k_key, mut k_first, mut k_last, mut k_at, mut k_reply) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut notify: BTreeSet<&str> = BTreeSet::new();
    for job in batch {
        let head = heads.get(&job.partition).copied().unwrap_or(0);
        if head != job.expected {
            results.push(Err(StoreError::Conflict {
                partition: job.partition.clone(),
                expected: job.expected,
                actual: head,
            }));
            continue;
        }
        if let Some(record) = job.keys.iter().find_map(|k| taken.get(&(job.partition.clone(), k.0.clone()))) {
            results.push(Err(StoreError::DuplicateKey {
                partition: job.partition.clone(),
                key: record.key.clone(),
                record: Box::new(record.clone()),
            }));
            continue;
        }
        let first = head + 1;
        let last = head + job.types.len() as u64;
        for (i, ((t, at), data)) in job.types.iter().zip(&job.ats).zip(&job.datas).enumerate() {
            e_part.push(job.partition.as_str());
            e_seq.push((first + i as u64) as i64);
            e_type.push(*t);
            e_at.push(*at);
            e_data.push(data.as_str());
        }
        for (key, events, at, reply) in &job.keys {
            k_part.push(job.partition.as_str());
            k_key.push(key.as_str());
            k_first.push((head + events.start as u64 + 1) as i64);
            k_last.push((head + events.end as u64) as i64);
            k_at.push(*at);
            k_reply.push(reply.as_slice());
            // A later job of this batch with the same key is a duplicate of this one.
            let record = CommandRecord {
                key: key.clone(),
                first: head + events.start as u64 + 1,
                last: head + events.end as u64,
                at: Timestamp(*at),
                reply: reply.clone(),
            };
            taken.insert((job.partition.clone(), key.clone()), record);
        }
        if !job.types.is_empty() {
            notify.insert(&job.partition);
        }
        heads.insert(job.partition.clone(), last);
        results.push(Ok(Appended { first, last }));
    }
    if !e_seq.is_empty() {
        tx.execute(
            "INSERT INTO cs_events (partition, seq, type, v, at, data)
             SELECT p, s, t, $6, a, d::jsonb FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[]) AS u(p, s, t, a, d)",
            &[&e_part, &e_seq, &e_type, &e_at, &e_data, &(EVENT_SCHEMA_VERSION as i16)],
        )?;
        let notify: Vec<&str> = notify.into_iter().collect();
        tx.execute("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS u(p)", &[&CHANNEL, &notify])?;
    }
    if !k_key.is_empty() {
        tx.execute(
            "INSERT INTO cs_command_keys (partition, key, first_seq, last_seq, at, reply)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bytea[])",
            &[&k_part, &k_key, &k_first, &k_last, &k_at, &k_reply],
        )?;
    }
    tx.commit()?;
    Ok(results)
}

/// Each append of a batch in a transaction of its own (after the batch as a whole met a
/// concurrent writer).
fn one_by_one(client: &mut Client, batch: &[Job], label: &str) -> Vec<Result<Appended, StoreError>> {
    batch
        .iter()
        .map(|job| {
            let mut tx = client.transaction().map_err(|e| backend(label, &e))?;
            let r = append_one(&mut tx, job, label)?;
            tx.commit().map_err(|e| backend(label, &e))?;
            Ok(r)
        })
        .collect()
}

fn append_one(tx: &mut postgres::Transaction<'_>, job: &Job, label: &str) -> Result<Appended, StoreError> {
    let partition = job.partition.as_str();
    let err = |e: postgres::Error| backend(label, &e);
    let head: Option<i64> =
        tx.query_one("SELECT max(seq) FROM cs_events WHERE partition = $1", &[&partition]).map_err(err)?.get(0);
    let head = head.unwrap_or(0) as u64;
    if head != job.expected {
        return Err(StoreError::Conflict { partition: partition.to_owned(), expected: job.expected, actual: head });
    }
    for (key, ..) in &job.keys {
        if let Some(record) = command_of(tx, partition, key).map_err(err)? {
            return Err(StoreError::DuplicateKey {
                partition: partition.to_owned(),
                key: key.clone(),
                record: Box::new(record),
            });
        }
    }
    let first = job.expected + 1;
    let last = job.expected + job.types.len() as u64;
    if !job.types.is_empty() {
        let seqs: Vec<i64> = (first..=last).map(|s| s as i64).collect();
        let types: Vec<&str> = job.types.clone();
        let inserted = tx.execute(
            "INSERT INTO cs_events (partition, seq, type, v, at, data)
             SELECT $1, s, t, $5, a, d::jsonb FROM unnest($2::bigint[], $3::text[], $4::bigint[], $6::text[]) AS u(s, t, a, d)",
            &[&partition, &seqs, &types, &job.ats, &(EVENT_SCHEMA_VERSION as i16), &job.datas],
        );
        if let Err(e) = inserted {
            // Another process appended between our look at the head and our insert.
            if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                return Err(StoreError::Conflict {
                    partition: partition.to_owned(),
                    expected: job.expected,
                    actual: job.expected + 1,
                });
            }
            return Err(err(e));
        }
        tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &partition]).map_err(err)?;
    }
    for (key, events, at, reply) in &job.keys {
        let (k_first, k_last) =
            ((job.expected + events.start as u64 + 1) as i64, (job.expected + events.end as u64) as i64);
        tx.execute(
            "INSERT INTO cs_command_keys (partition, key, first_seq, last_seq, at, reply) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&partition, key, &k_first, &k_last, at, reply],
        )
        .map_err(err)?;
    }
    Ok(Appended { first, last })
}

/// Listens for commits of every writer on the channel and wakes waiters; reconnects after
/// a lost connection (waiters meanwhile look at the head on their own every 250 ms).
fn listen_loop(config: &postgres::Config, label: &str, shared: &Shared) {
    use std::sync::atomic::Ordering;
    while !shared.stop.load(Ordering::Relaxed) {
        let Ok(mut client) = connect(config, label) else {
            std::thread::sleep(Duration::from_millis(500));
            continue;
        };
        if client.batch_execute(&format!("LISTEN {CHANNEL}")).is_err() {
            continue;
        }
        while !shared.stop.load(Ordering::Relaxed) && !client.is_closed() {
            let mut notes = client.notifications();
            let mut it = notes.timeout_iter(Duration::from_millis(200));
            match it.next() {
                Ok(Some(_)) => {
                    // Drain what else arrived, then wake once.
                    while let Ok(Some(_)) = it.next() {}
                    shared.bump();
                }
                Ok(None) => {}
                Err(_) => break,
            }
        }
    }
}
