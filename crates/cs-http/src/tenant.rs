//! A tenant at run time: its durable engine on a thread of its own, fed by a queue of jobs,
//! and what it publishes (events for the stream, figures for `/metrics`).
//!
//! Every request of a tenant becomes a job on its queue. The tenant's thread takes all the
//! jobs waiting, decides the commands among them as one batch (each against the state the
//! ones before it left) and stores them with one append, so concurrent requests share one
//! commit: group commit at the service's level. Only then does it answer them, publish their
//! events, and run the queries that were waiting. Between jobs it sleeps until the engine's
//! next deadline and ticks, so SLA warnings, breaches, relaxation steps and offer expiries
//! fire on time with no request traffic. The thread holds the state; nothing else touches
//! it, so there are no locks around the engine.
//!
//! On a store that several nodes share, a tenant whose partition another node writes runs
//! as a follower: it folds the writer's events as they land (reads are served from there)
//! and takes the partition over when the writer's lock is released.

use crate::api;
use crate::error::ApiError;
use crate::prom::TenantStats;
use cs_core::{Command, Event, State, Timestamp};
use cs_durable::{DurableEngine, DurableError, DurableOptions, Follower, Request};
use cs_store::EventStore;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, oneshot};

/// Jobs one tenant may have waiting; more gets 503.
const QUEUE_JOBS_MAX: usize = 4096;
/// Jobs taken into one batch.
const BATCH_JOBS_MAX: usize = 1024;
/// Events kept for stream subscribers that fall behind (they then catch up from the store).
const STREAM_BUFFER: usize = 4096;

/// Builds a command from the state (ids resolved) at the time the tenant stamps.
pub type Build = Box<dyn FnOnce(&State, Timestamp) -> Result<Command, ApiError> + Send>;
/// Makes a request's answer from the state just after its command.
pub type Render = Box<dyn FnOnce(&State, &[Event]) -> Value + Send>;
/// Reads the state.
pub type Query = Box<dyn FnOnce(&View<'_>) + Send>;

/// What a query sees.
pub struct View<'a> {
    /// The state.
    pub state: &'a State,
    /// The metrics folded beside it, as of the same event.
    pub metrics: &'a cs_core::metrics::Metrics,
    /// The sequence number of its last event.
    pub seq: u64,
    /// The time the tenant stamps now.
    pub now: Timestamp,
    /// Whether this node writes the tenant's partition.
    pub owner: bool,
}

/// The answer to a command.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The response body (the first one, for a retry).
    pub body: Vec<u8>,
    /// Whether it is a retry answered from the first outcome.
    pub replayed: bool,
    /// The sequence number of the command's last event.
    pub seq: u64,
}

/// Why a command was not decided here.
#[derive(Debug)]
pub enum Refused {
    /// The API's or the engine's answer.
    Error(ApiError),
    /// Another node writes this tenant: at this address, if known.
    NotOwner(Option<String>),
}

enum Job {
    Command { build: Build, key: Option<String>, render: Render, respond: oneshot::Sender<Result<Answer, Refused>> },
    Query(Query),
}

/// One event as the stream sends it.
#[derive(Debug)]
pub struct Published {
    /// Its sequence number.
    pub seq: u64,
    /// Its type.
    pub name: &'static str,
    /// Its JSON (see [`api::event_view`]).
    pub json: String,
}

/// A tenant: its name, token, queue of jobs and what it publishes.
pub struct Tenant {
    /// Its name, also its partition.
    pub name: String,
    /// The SHA-256 of its token.
    pub token_sha256: [u8; 32],
    jobs: SyncSender<Job>,
    /// Its events, for the stream.
    pub events: broadcast::Sender<Arc<Published>>,
    /// Whether this node writes its partition.
    pub owner: Arc<AtomicBool>,
    /// The sequence number of the last event folded.
    pub seq: Arc<AtomicU64>,
    /// Figures for `/metrics`.
    pub stats: Arc<TenantStats>,
    /// Its store.
    pub store: Arc<dyn EventStore>,
    rate: Mutex<Bucket>,
    requests_per_s: f64,
    burst: f64,
}

/// A token bucket.
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// How a tenant's thread starts.
pub struct Start {
    /// The tenant's settings.
    pub config: crate::config::TenantConfig,
    /// The store.
    pub store: Arc<dyn EventStore>,
    /// Snapshot every this many events.
    pub snapshot_every: u64,
    /// The URL this node takes requests at, recorded as the owner when it writes.
    pub advertise: String,
}

/// The time the service stamps on commands: the system clock in ms, never before the last
/// event (a clock stepped back must not make commands refused as "in the past").
fn stamp(state: &State) -> Timestamp {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp(now).max(state.last_event_at())
}

impl Tenant {
    /// Opens the tenant's partition (as its writer, or as a follower when another node
    /// holds it) and starts its thread. A new partition is configured with the tenant's
    /// engine config; a partition whose config differs is reconfigured (which the core
    /// refuses unless the new config extends the old).
    ///
    /// # Errors
    /// The store fails, the log does not replay, or the config cannot be applied.
    pub fn start(start: Start) -> Result<Arc<Tenant>, String> {
        let Start { config, store, snapshot_every, advertise } = start;
        let name = config.name.clone();
        let options = DurableOptions { snapshot_every, ..DurableOptions::default() };
        let mode = match DurableEngine::open_in(store.clone(), &name, options) {
            Ok(mut engine) => {
                configure(&mut engine, &config.engine).map_err(|e| format!("tenant {name:?}: {e}"))?;
                let _ = store.set_owner(&name, &advertise, stamp(engine.state()));
                Mode::Writer(Box::new(engine))
            }
            Err(DurableError::Store(cs_store::StoreError::WriterBusy { .. })) => Mode::Follower(Box::new(
                Follower::open(store.clone(), &name).map_err(|e| format!("tenant {name:?}: {e}"))?,
            )),
            Err(e) => return Err(format!("tenant {name:?}: {e}")),
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE_JOBS_MAX);
        let (events, _) = broadcast::channel(STREAM_BUFFER);
        let owner = Arc::new(AtomicBool::new(matches!(mode, Mode::Writer(_))));
        let seq = Arc::new(AtomicU64::new(mode.seq()));
        let tenant = Arc::new(Tenant {
            name: name.clone(),
            token_sha256: config.token_sha256,
            jobs: tx,
            events: events.clone(),
            owner: owner.clone(),
            seq: seq.clone(),
            stats: Arc::new(TenantStats::default()),
            store: store.clone(),
            rate: Mutex::new(Bucket { tokens: config.burst, at: Instant::now() }),
            requests_per_s: config.requests_per_s,
            burst: config.burst,
        });
        let actor = Actor {
            mode,
            rx,
            events,
            owner,
            seq,
            stats: tenant.stats.clone(),
            store,
            name: name.clone(),
            advertise,
            options,
        };
        std::thread::Builder::new()
            .name(format!("cs-tenant-{name}"))
            .spawn(move || actor.run())
            .map_err(|e| format!("tenant {name:?}: cannot start its thread: {e}"))?;
        Ok(tenant)
    }

    /// Takes one request from the tenant's rate budget; `false` when it is spent.
    pub fn admit(&self) -> bool {
        let mut b = self.rate.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * self.requests_per_s).min(self.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Decides a command (built from the state at the stamped time) durably and answers
    /// with the body `render` makes.
    pub async fn command(&self, key: Option<String>, build: Build, render: Render) -> Result<Answer, Refused> {
        let (respond, answer) = oneshot::channel();
        self.send(Job::Command { build, key, render, respond }).map_err(Refused::Error)?;
        answer.await.unwrap_or_else(|_| Err(Refused::Error(ApiError::internal("the tenant's engine stopped"))))
    }

    /// Runs a read against the tenant's state.
    pub async fn query<T: Send + 'static>(
        &self,
        f: impl FnOnce(&View<'_>) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Query(Box::new(move |v| {
            let _ = tx.send(f(v));
        })))?;
        rx.await.map_err(|_| ApiError::internal("the tenant's engine stopped"))
    }

    fn send(&self, job: Job) -> Result<(), ApiError> {
        match self.jobs.try_send(job) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err(ApiError::unavailable(
                "overloaded",
                format!("tenant {:?} has {QUEUE_JOBS_MAX} requests waiting", self.name),
            )),
            Err(TrySendError::Disconnected(_)) => Err(ApiError::internal("the tenant's engine stopped")),
        }
    }
}

/// Applies the tenant's engine config: to a new partition, or when it changed.
fn configure(engine: &mut DurableEngine, spec: &cs_core::ConfigSpec) -> Result<(), String> {
    let current = engine.state().config_opt().map(|c| c.spec().clone());
    if current.as_ref() == Some(spec) {
        return Ok(());
    }
    // A config changed since through `PUT /v1/config` extends the file's: the log's is
    // newer, so it stays (the file is behind, not wrong).
    if let (Some(in_log), Ok(in_file)) = (engine.state().config_opt(), cs_core::Config::new(spec.clone()))
        && in_log.extends(&in_file).is_ok()
    {
        eprintln!(
            "cs serve: tenant {:?}: the log's engine config is newer than the config file's (changed through PUT /v1/config); keeping the log's",
            engine.partition()
        );
        return Ok(());
    }
    let at = stamp(engine.state());
    engine.execute(&Command::Configure { at, config: Box::new(spec.clone()) }).map(|_| ()).map_err(|e| match current {
        Some(_) => format!("the config file's engine config cannot replace the one in the log: {e}"),
        None => format!("cannot configure the engine: {e}"),
    })
}

enum Mode {
    Writer(Box<DurableEngine>),
    Follower(Box<Follower>),
    /// Only while a follower is moved out to be promoted, never seen outside that.
    Vacant,
}

impl Mode {
    fn state(&self) -> &State {
        match self {
            Mode::Writer(e) => e.state(),
            Mode::Follower(f) => f.state(),
            Mode::Vacant => unreachable!("the mode is put back before anything reads it"),
        }
    }

    fn metrics(&self) -> &cs_core::metrics::Metrics {
        match self {
            Mode::Writer(e) => e.metrics(),
            Mode::Follower(f) => f.metrics(),
            Mode::Vacant => unreachable!("the mode is put back before anything reads it"),
        }
    }

    fn seq(&self) -> u64 {
        match self {
            Mode::Writer(e) => e.seq(),
            Mode::Follower(f) => f.seq(),
            Mode::Vacant => unreachable!("the mode is put back before anything reads it"),
        }
    }
}

struct Actor {
    mode: Mode,
    rx: Receiver<Job>,
    events: broadcast::Sender<Arc<Published>>,
    owner: Arc<AtomicBool>,
    seq: Arc<AtomicU64>,
    stats: Arc<TenantStats>,
    store: Arc<dyn EventStore>,
    name: String,
    advertise: String,
    options: DurableOptions,
}

impl Actor {
    fn run(mut self) {
        let mut jobs: Vec<Job> = Vec::new();
        let mut last_promotion_try = Instant::now();
        loop {
            let wait = self.sleep();
            match self.rx.recv_timeout(wait) {
                Ok(j) => jobs.push(j),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            while jobs.len() < BATCH_JOBS_MAX {
                match self.rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            let (commands, queries): (Vec<Job>, Vec<Job>) =
                jobs.drain(..).partition(|j| matches!(j, Job::Command { .. }));
            match &mut self.mode {
                Mode::Writer(_) => self.decide(commands),
                Mode::Vacant => {}
                Mode::Follower(_) => {
                    self.follow();
                    if last_promotion_try.elapsed() >= Duration::from_millis(500) {
                        last_promotion_try = Instant::now();
                        self.try_promote();
                    }
                    let owner = self.store.owner(&self.name).ok().flatten();
                    for j in commands {
                        if let Job::Command { respond, .. } = j {
                            let _ = respond.send(Err(Refused::NotOwner(owner.clone())));
                        }
                    }
                }
            }
            let state = self.mode.state();
            let view = View {
                state,
                metrics: self.mode.metrics(),
                seq: self.mode.seq(),
                now: stamp(state),
                owner: self.owner.load(Ordering::Relaxed),
            };
            for q in queries {
                if let Job::Query(f) = q {
                    f(&view);
                }
            }
        }
    }

    /// How long to wait for the next job: until the next timer is due (a writer), or a
    /// short poll (a follower).
    fn sleep(&self) -> Duration {
        match &self.mode {
            Mode::Writer(e) => {
                let now = stamp(e.state());
                e.next_deadline().map_or(Duration::from_secs(1), |d| {
                    Duration::from_millis(u64::try_from(d.since(now).clamp(0, 1000)).unwrap_or(0))
                })
            }
            Mode::Follower(_) | Mode::Vacant => Duration::from_millis(100),
        }
    }

    /// Decides the waiting commands (and the timers due) as one batch.
    fn decide(&mut self, commands: Vec<Job>) {
        let Mode::Writer(engine) = &mut self.mode else { return };
        let due = engine.next_deadline().is_some_and(|d| d <= stamp(engine.state()));
        if commands.is_empty() && !due {
            return;
        }
        let mut batch = engine.batch();
        let mut waiting: Vec<(usize, oneshot::Sender<Result<Answer, Refused>>)> = Vec::new();
        if due {
            let now = stamp(batch.state());
            batch.push(Request::new(Command::Tick { at: now }), |_, _| Vec::new());
        }
        for j in commands {
            let Job::Command { build, key, render, respond } = j else { continue };
            let now = stamp(batch.state());
            match build(batch.state(), now) {
                Ok(command) => {
                    let started = Instant::now();
                    let i = batch
                        .push(Request { command, key }, |s, e| serde_json::to_vec(&render(s, e)).unwrap_or_default());
                    self.stats.decision.observe(started.elapsed());
                    waiting.push((i, respond));
                }
                Err(e) => {
                    let _ = respond.send(Err(Refused::Error(e)));
                }
            }
        }
        let results = batch.commit();
        let mut published: Vec<(u64, Event)> = Vec::new();
        for r in results.iter().flatten() {
            if !r.retried {
                published.extend((r.first..=r.last).zip(r.events.iter().cloned()));
            }
        }
        for (i, respond) in waiting {
            let answer = match &results[i] {
                Ok(r) => Ok(Answer { body: r.reply.clone().unwrap_or_default(), replayed: r.retried, seq: r.last }),
                Err(DurableError::Rejected(rej)) => Err(Refused::Error(api::rejection(engine.state(), rej))),
                Err(e) => Err(Refused::Error(ApiError::from(copy(e)))),
            };
            let _ = respond.send(answer);
        }
        published.sort_by_key(|(s, _)| *s);
        published.dedup_by_key(|(s, _)| *s);
        self.publish(published);
    }

    /// Folds what the writer stored since the last look.
    fn follow(&mut self) {
        let Mode::Follower(f) = &mut self.mode else { return };
        let before = f.seq();
        if let Err(e) = f.poll(Duration::ZERO) {
            eprintln!("cs-http: tenant {:?}: following the writer: {e}", self.name);
            return;
        }
        if f.seq() > before {
            let events = self.store.read(
                &self.name,
                cs_store::Range::from(before + 1, usize::try_from(f.seq() - before).unwrap_or(usize::MAX)),
            );
            match events {
                Ok(stored) => self.publish(stored.into_iter().map(|s| (s.seq, s.event)).collect()),
                Err(e) => eprintln!("cs-http: tenant {:?}: reading events to publish: {e}", self.name),
            }
        }
    }

    /// Becomes the writer if the old one has gone.
    fn try_promote(&mut self) {
        let mode = std::mem::replace(&mut self.mode, Mode::Vacant);
        let Mode::Follower(f) = mode else {
            self.mode = mode;
            return;
        };
        let before = f.seq();
        match f.promote(self.options) {
            Ok(engine) => {
                eprintln!("cs-http: tenant {:?}: this node now writes it (from event {})", self.name, engine.seq());
                let _ = self.store.set_owner(&self.name, &self.advertise, stamp(engine.state()));
                let after = engine.seq();
                self.mode = Mode::Writer(Box::new(engine));
                self.owner.store(true, Ordering::SeqCst);
                if after > before
                    && let Ok(stored) =
                        self.store.read(&self.name, cs_store::Range::from(before + 1, (after - before) as usize))
                {
                    self.publish(stored.into_iter().map(|s| (s.seq, s.event)).collect());
                }
            }
            Err(not) => {
                if !matches!(not.error, DurableError::Store(cs_store::StoreError::WriterBusy { .. })) {
                    eprintln!("cs-http: tenant {:?}: taking over: {}", self.name, not.error);
                }
                self.mode = Mode::Follower(Box::new(not.follower));
            }
        }
    }

    fn publish(&mut self, events: Vec<(u64, Event)>) {
        // The head moves first: a subscriber that joins from here on catches up from the
        // store to at least this point, so skipping the stream's form below loses nothing.
        self.seq.store(self.mode.seq(), Ordering::SeqCst);
        let state = self.mode.state();
        // The stream's form is made only when someone listens; a subscriber that joins
        // later reads what it missed from the store.
        let listened = self.events.receiver_count() > 0;
        for (seq, e) in events {
            self.stats.count(&e);
            if !listened {
                continue;
            }
            let json = api::event_view(state, seq, &e).to_string();
            // No subscriber is not an error.
            let _ = self.events.send(Arc::new(Published { seq, name: e.name(), json }));
        }
    }
}

/// A durable error for one of several answers (the batch's error is told to each).
fn copy(e: &DurableError) -> DurableError {
    match e {
        DurableError::Rejected(r) => DurableError::Rejected(r.clone()),
        DurableError::Lost { partition, reason } => {
            DurableError::Lost { partition: partition.clone(), reason: reason.clone() }
        }
        other => {
            DurableError::Store(cs_store::StoreError::Backend { store: String::new(), message: other.to_string() })
        }
    }
}
