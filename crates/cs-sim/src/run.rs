//! The discrete-event loop: simulated customers, agents and shifts driving a
//! `cs_core::Engine` through its public commands.
//!
//! Pending simulation events sit in an agenda ordered by time, then scheduling order: arrivals,
//! service completions, abandonments, bot conversations ending, shift starts and ends,
//! and samples. Before handling anything later, the engine is ticked at its own next
//! deadline, so its timers (relaxation steps, offers, overflow, wrap-up, SLA clocks) fire
//! at their own times. After every command the engine's events are read: an assignment
//! (or an accepted offer) schedules the ticket's completion after a drawn handle time; an
//! offer is accepted at once. The simulator decides nothing about routing.

use crate::arrivals::Arrival;
use crate::dist::{Purpose, Stream, to_ms};
use crate::scenario::{AtShiftEnd, Scenario, align_up};
use crate::stats::{Estimates, Figures, Histogram};
use cs_core::metrics::{Metrics, Report};
use cs_core::{
    AgentId, CategoryId, Channel, Command, CustomerId, Engine, Event, LanguageId, Presence, QueueId, Rejection,
    TicketId, TicketSpec, TicketStatus, Timestamp,
};
use serde::Serialize;
use std::collections::VecDeque;

/// What the bot says when it hands a conversation to a human.
pub const HANDOFF_REASON: &str = "bot could not resolve";

/// How to run a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOptions {
    /// Seed instead of the scenario's.
    pub seed: Option<u64>,
    /// What-if: replay these arrivals (e.g. from [`crate::arrivals_from_events`]) instead
    /// of the scenario's arrival models; handle times, patience and bots are drawn from
    /// the scenario. Must be in time order.
    pub arrivals: Option<Vec<Arrival>>,
    /// Take a [`Sample`] every this many simulated seconds (0: none).
    pub sample_every_s: f64,
    /// Width of a wait-histogram bin, seconds.
    pub wait_bin_s: f64,
    /// Number of wait-histogram bins (longer waits go to its overflow count).
    pub wait_bins: usize,
    /// Replications for [`crate::replicate`] instead of the scenario's.
    pub replications: Option<u32>,
    /// Confidence level of replication intervals.
    pub confidence: f64,
    /// Threads [`crate::replicate`] runs replications on (at least 1; one engine per
    /// replication). Each replication's figures depend only on its seed, so the result
    /// does not change with this.
    pub threads: usize,
}

impl Default for RunOptions {
    /// No overrides; a sample every 60 s; waits in 1-second bins up to an hour; 95 %
    /// confidence intervals; one thread.
    fn default() -> Self {
        RunOptions {
            seed: None,
            arrivals: None,
            sample_every_s: 60.0,
            wait_bin_s: 1.0,
            wait_bins: 3600,
            replications: None,
            confidence: 0.95,
            threads: 1,
        }
    }
}

/// A snapshot taken every [`RunOptions::sample_every_s`], for plots.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sample {
    /// Seconds since the scenario start.
    pub at_s: f64,
    /// Tickets waiting for an agent, over all queues.
    pub waiting: u32,
    /// Tickets waiting, per queue (indexed like the config's queues).
    pub waiting_by_queue: Vec<u32>,
    /// Agents holding work (tickets or after-contact work).
    pub agents_busy: u32,
    /// Agents logged in.
    pub agents_staffed: u32,
    /// Tickets the engine holds in memory (open, or closed within the retention window).
    pub tickets_held: u32,
}

/// The outcome of one run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Run {
    /// The seed the run used.
    pub seed: u64,
    /// The core's metrics over the window: the primary figures, reproducible by replaying
    /// the run's events (`cs_core::metrics::Metrics::of`, then `report(window.0, window.1,
    /// window.1)`).
    pub report: Report,
    /// The statistics window: warm-up end rounded up to a 15-minute boundary, to the end.
    pub window: (Timestamp, Timestamp),
    /// Snapshots over the whole run.
    pub samples: Vec<Sample>,
    /// Waits of tickets answered in episodes that started in the window.
    pub waits: Histogram,
    /// The core's counters per 15-minute interval over the whole run (warm-up included),
    /// over all queues: `(interval start, counters)`.
    pub intervals: Vec<(Timestamp, cs_core::metrics::Counts)>,
    /// The same intervals per queue: `(interval start, counters per queue, indexed like
    /// the config's queues; default counters where nothing was counted)`.
    pub queue_intervals: Vec<(Timestamp, Vec<cs_core::metrics::Counts>)>,
    /// Tickets created over the whole run (warm-up included).
    pub tickets_simulated: u64,
    /// Tickets the engine refused (a full queue, the open-ticket limit).
    pub tickets_refused: u64,
    /// Events the engine produced.
    pub events: u64,
    /// The most tickets the engine held in memory at once.
    pub tickets_held_max: u64,
    /// With recorded arrivals ([`RunOptions::arrivals`]): how many there were and how many
    /// fell at or after the run's end, unused.
    pub recorded: Option<RecordedUse>,
}

/// What a run made of the recorded arrivals it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RecordedUse {
    /// Recorded arrivals given.
    pub given: u64,
    /// Of those, the ones within the run (created, or refused by a full queue).
    pub used: u64,
    /// Of those, the ones at or after the run's end: not used.
    pub after_end: u64,
}

impl Run {
    /// Headline figures over all queues.
    pub fn figures(&self) -> Figures {
        Figures::of(&self.report.total)
    }

    /// Headline figures of one queue (by config index).
    pub fn queue_figures(&self, queue: usize) -> Option<Figures> {
        self.report.queues.get(queue).map(Figures::of)
    }
}

/// Why a run could not complete.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SimError {
    /// The engine refused a command the simulator relies on (a bug in the simulator or a
    /// limit the scenario's engine settings make too tight).
    #[error("at {at} the engine refused {command}: {rejection}")]
    Refused {
        /// When.
        at: Timestamp,
        /// Which command.
        command: &'static str,
        /// Why.
        rejection: Rejection,
    },
    /// Recorded arrivals that do not fit the scenario (unknown queue, category or
    /// language, or out of time order).
    #[error("recorded arrivals do not fit the scenario: {0}")]
    Arrivals(String),
    /// Bad run options.
    #[error("invalid run options: {0}")]
    Options(String),
}

/// Seed of replication `i`: the base seed for `i = 0`, else a SplitMix64 mix of both, so
/// replications are independent streams and replication 0 equals a plain run. Kept within
/// 0 to `i64::MAX` (the top bit cleared), the seeds a scenario file can hold, so that any
/// replication can be run again on its own.
pub fn replication_seed(base: u64, i: u32) -> u64 {
    if i == 0 {
        return base;
    }
    let mut s = base ^ u64::from(i).wrapping_mul(0xD1B5_4A32_D192_ED03);
    crate::dist::splitmix64(&mut s) & (i64::MAX as u64)
}

/// Runs a scenario once.
///
/// `on_event` receives every event the engine produces, in order (the configuration,
/// agent registrations and logins first), ready to be written as a log; `on_progress`
/// receives the fraction of simulated time done, at most about a thousand times.
///
/// # Errors
/// [`SimError`] for bad options or arrivals, or a command the engine refused.
pub fn run(
    scenario: &Scenario,
    opts: &RunOptions,
    on_event: &mut dyn FnMut(&Event),
    on_progress: &mut dyn FnMut(f64),
) -> Result<Run, SimError> {
    check_options(opts)?;
    run_seeded(scenario, opts, opts.seed.unwrap_or(scenario.seed()), on_event, on_progress)
}

fn run_seeded(
    scenario: &Scenario,
    opts: &RunOptions,
    seed: u64,
    on_event: &mut dyn FnMut(&Event),
    on_progress: &mut dyn FnMut(f64),
) -> Result<Run, SimError> {
    let mut sim = Sim::new(scenario, opts, seed)?;
    sim.setup(on_event)?;
    sim.main_loop(on_event, on_progress)?;
    on_progress(1.0);
    Ok(sim.finish(seed))
}

/// One replication's outcome, without its samples and histogram.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSummary {
    /// Its seed.
    pub seed: u64,
    /// Headline figures over all queues.
    pub figures: Figures,
    /// The core's report.
    pub report: Report,
    /// Tickets created.
    pub tickets_simulated: u64,
    /// Events produced.
    pub events: u64,
}

/// Estimates for one queue.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueEstimates {
    /// Queue name.
    pub name: String,
    /// Its estimates.
    pub estimates: Estimates,
}

/// Independent replications of a scenario, with a mean and a confidence interval per
/// figure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Replications {
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Every replication, in order (replication 0 uses the base seed).
    pub runs: Vec<RunSummary>,
    /// Estimates over all queues.
    pub total: Estimates,
    /// Estimates per queue, in config order.
    pub queues: Vec<QueueEstimates>,
    /// Replication 0 in full (samples and wait histogram), for plots.
    pub first: Run,
}

/// Runs independent replications (seeds from [`replication_seed`]) and estimates every
/// headline figure's mean with a Student-t confidence interval across them.
///
/// # Errors
/// As [`run`].
pub fn replicate(
    scenario: &Scenario,
    opts: &RunOptions,
    on_progress: &mut dyn FnMut(f64),
) -> Result<Replications, SimError> {
    replicate_with(scenario, opts, First::Run, on_progress)
}

/// As [`replicate`], with replication 0 already run by [`run`] with the same scenario and
/// options (to write its event log, say): `first` is used, not run again.
///
/// # Errors
/// As [`run`]; [`SimError::Options`] if `first` is not replication 0 (another seed).
pub fn replicate_after(
    scenario: &Scenario,
    opts: &RunOptions,
    first: Run,
    on_progress: &mut dyn FnMut(f64),
) -> Result<Replications, SimError> {
    replicate_with(scenario, opts, First::Done(Box::new(first)), on_progress)
}

/// As [`replicate`], with replication 0's events given to `on_event` (to write its event
/// log), whichever thread runs it.
///
/// # Errors
/// As [`run`].
pub fn replicate_logged(
    scenario: &Scenario,
    opts: &RunOptions,
    on_event: &mut (dyn FnMut(&Event) + Send),
    on_progress: &mut dyn FnMut(f64),
) -> Result<Replications, SimError> {
    replicate_with(scenario, opts, First::Log(on_event), on_progress)
}

/// What replication 0 is: run plainly, run with its events logged, or already run.
enum First<'a> {
    Run,
    Log(&'a mut (dyn FnMut(&Event) + Send)),
    Done(Box<Run>),
}

/// How often the calling thread reports progress while workers run replications.
const PROGRESS_POLL: std::time::Duration = std::time::Duration::from_millis(50);

fn replicate_with(
    scenario: &Scenario,
    opts: &RunOptions,
    first: First<'_>,
    on_progress: &mut dyn FnMut(f64),
) -> Result<Replications, SimError> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    check_options(opts)?;
    let n = opts.replications.unwrap_or(scenario.replications());
    if n == 0 {
        return Err(SimError::Options("replications must be at least 1".into()));
    }
    if opts.threads == 0 {
        return Err(SimError::Options("threads must be at least 1".into()));
    }
    let base = opts.seed.unwrap_or(scenario.seed());
    let (mut done, log) = match first {
        First::Run => (None, None),
        First::Log(f) => (None, Some(f)),
        First::Done(r) => (Some(*r), None),
    };
    if let Some(r) = &done
        && r.seed != replication_seed(base, 0)
    {
        return Err(SimError::Options(format!(
            "the run given as replication 0 has seed {}, not the replications' first seed {}",
            r.seed,
            replication_seed(base, 0)
        )));
    }
    // Progress of each replication in thousandths; replication 0 given done is done.
    let progress: Vec<AtomicU32> =
        (0..n).map(|i| AtomicU32::new(if i == 0 && done.is_some() { 1000 } else { 0 })).collect();
    let total = || progress.iter().map(|p| f64::from(p.load(Ordering::Relaxed))).sum::<f64>() / (1000.0 * f64::from(n));
    let done = Mutex::new(done.take());
    let log = Mutex::new(log);
    // One replication: its own engine and streams, from its seed alone, so that which
    // thread runs it and when cannot change its figures. Every replication but the first
    // keeps only its summary, so memory does not grow with the replications' samples and
    // histograms.
    let one = |i: u32| -> Result<(RunSummary, Option<Run>), SimError> {
        let given = if i == 0 { done.lock().expect("not poisoned").take() } else { None };
        let run = match given {
            Some(r) => r,
            None => {
                let seed = replication_seed(base, i);
                let mut show =
                    |f: f64| progress[i as usize].store((f.clamp(0.0, 1.0) * 1000.0) as u32, Ordering::Relaxed);
                let log = if i == 0 { log.lock().expect("not poisoned").take() } else { None };
                match log {
                    Some(on_event) => run_seeded(scenario, opts, seed, on_event, &mut show)?,
                    None => run_seeded(scenario, opts, seed, &mut |_| {}, &mut show)?,
                }
            }
        };
        let summary = RunSummary {
            seed: run.seed,
            figures: run.figures(),
            report: run.report.clone(),
            tickets_simulated: run.tickets_simulated,
            events: run.events,
        };
        Ok((summary, (i == 0).then_some(run)))
    };
    let threads = opts.threads.min(n as usize);
    let pool = if threads > 1 {
        Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("cs-sim-replication-{i}"))
                .build()
                .map_err(|e| SimError::Options(format!("cannot start {threads} threads: {e}")))?,
        )
    } else {
        None
    };
    // The replications run off this thread, which reports their progress meanwhile (the
    // caller's progress callback need not be `Send`).
    let caller = std::thread::current();
    let results: Vec<Result<(RunSummary, Option<Run>), SimError>> = std::thread::scope(|s| {
        let work = s.spawn(|| {
            let results = match &pool {
                Some(pool) => {
                    use rayon::prelude::*;
                    pool.install(|| (0..n).into_par_iter().with_max_len(1).map(one).collect::<Vec<_>>())
                }
                None => (0..n).map(one).collect(),
            };
            caller.unpark();
            results
        });
        while !work.is_finished() {
            on_progress(total());
            std::thread::park_timeout(PROGRESS_POLL);
        }
        work.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    on_progress(1.0);
    let mut runs = Vec::with_capacity(n as usize);
    let mut first = None;
    // The first error in replication order, whatever order the threads met them in.
    for result in results {
        let (summary, run) = result?;
        runs.push(summary);
        if let Some(run) = run {
            first = Some(run);
        }
    }
    let figs: Vec<&Figures> = runs.iter().map(|r| &r.figures).collect();
    let total = Estimates::of(&figs, opts.confidence);
    let queues = scenario
        .queue_names()
        .enumerate()
        .map(|(q, name)| {
            let per: Vec<Figures> = runs.iter().map(|r| Figures::of(&r.report.queues[q])).collect();
            let refs: Vec<&Figures> = per.iter().collect();
            QueueEstimates { name: name.to_owned(), estimates: Estimates::of(&refs, opts.confidence) }
        })
        .collect();
    Ok(Replications { confidence: opts.confidence, runs, total, queues, first: first.expect("n >= 1") })
}

fn check_options(opts: &RunOptions) -> Result<(), SimError> {
    if !(opts.sample_every_s.is_finite() && opts.sample_every_s >= 0.0) {
        return Err(SimError::Options(format!("sample_every_s {} must be a finite number >= 0", opts.sample_every_s)));
    }
    if opts.sample_every_s > 0.0 && opts.sample_every_s < 0.001 {
        return Err(SimError::Options("sample_every_s must be at least 0.001 s".into()));
    }
    if !(opts.wait_bin_s.is_finite() && opts.wait_bin_s >= 0.001) {
        return Err(SimError::Options(format!("wait_bin_s {} must be at least 0.001 s", opts.wait_bin_s)));
    }
    if opts.wait_bins == 0 || opts.wait_bins > 10_000_000 {
        return Err(SimError::Options(format!("wait_bins {} must be between 1 and 10000000", opts.wait_bins)));
    }
    if !(opts.confidence > 0.0 && opts.confidence < 1.0) {
        return Err(SimError::Options(format!("confidence {} must be between 0 and 1", opts.confidence)));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The loop.
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Kind {
    /// The next generated arrival of a queue.
    Arrival(u16),
    /// Recorded arrival number `i`.
    Recorded(u32),
    /// An agent finishes a ticket (if it still holds it since `since`, in ms after the
    /// scenario start: runs last at most 31 days, which fits).
    Complete { ticket: u64, agent: u32, since: u32 },
    /// The agent first replies (if it still holds the ticket since `since` and has not
    /// replied yet).
    Reply { ticket: u64, agent: u32, since: u32 },
    /// The customer's patience runs out (if the ticket still waits unanswered).
    Abandon(u64),
    /// The customer writes again (back-and-forth), if the ticket is still open.
    CustomerWrites(u64),
    /// The agent answers the customer's message (if it still holds the ticket since
    /// `since` and the message is unanswered).
    NextReply { ticket: u64, agent: u32, since: u32 },
    /// The customer reopens the resolved ticket (if it is still resolved and kept).
    Reopen(u64),
    /// The bot conversation ends (`patience_ms` is `u32::MAX` for no patience).
    BotDone { ticket: u64, deflect: bool, patience_ms: u32 },
    /// A shift occurrence starts (day index for daily shifts).
    ShiftStart { team: u16, shift: u16, day: i32 },
    /// A shift occurrence ends.
    ShiftEnd { team: u16, shift: u16 },
    /// Take a sample.
    Sample,
}

/// Pending simulation events, earliest first; ties in scheduling order.
///
/// A radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, 1990) over due times in milliseconds
/// after the scenario start, relying on what every discrete-event loop guarantees: nothing
/// is scheduled before the last event taken. `due_now` holds the events due at that last
/// time, in scheduling order; bucket `b` holds those whose due time first differs from it
/// in bit `b`, with the earliest due time of each bucket kept as events arrive. Scheduling
/// is a push; taking the next event, when `due_now` is empty, moves the events of the
/// lowest non-empty bucket into lower buckets, each event a few times over its life. Events
/// due at the same millisecond always share a bucket and keep their order through every
/// move, so ties are broken by scheduling order, as with a (time, sequence) heap.
///
/// Runs last at most 31 days, so due times fit 32 bits; events at or after the end are
/// never scheduled, since they could not happen within the run.
struct Agenda {
    /// The due time of the last event taken (ms after the start).
    last: u32,
    due_now: VecDeque<Kind>,
    buckets: [Vec<(u32, Kind)>; 32],
    /// The earliest due time in each non-empty bucket.
    mins: [u32; 32],
    /// Bit `b` set: bucket `b` is not empty.
    occupied: u32,
    start_ms: i64,
    end_ms: i64,
}

impl Agenda {
    fn new(start_ms: i64, end_ms: i64) -> Agenda {
        debug_assert!(end_ms - start_ms < 1 << 32, "runs are at most 31 days");
        Agenda {
            last: 0,
            due_now: VecDeque::new(),
            buckets: Default::default(),
            mins: [0; 32],
            occupied: 0,
            start_ms,
            end_ms,
        }
    }

    #[inline]
    fn push(&mut self, at: i64, kind: Kind) {
        if at >= self.end_ms {
            return;
        }
        let off = (at - self.start_ms) as u32;
        debug_assert!(off >= self.last, "scheduled at {at}, before the last event taken");
        self.put(off.max(self.last), kind);
    }

    #[inline]
    fn put(&mut self, off: u32, kind: Kind) {
        if off == self.last {
            self.due_now.push_back(kind);
            return;
        }
        let b = 31 - (off ^ self.last).leading_zeros() as usize;
        if self.occupied & (1 << b) == 0 {
            self.occupied |= 1 << b;
            self.mins[b] = off;
        } else {
            self.mins[b] = self.mins[b].min(off);
        }
        self.buckets[b].push((off, kind));
    }

    /// When the next event is due (`i64::MAX` if none). Takes nothing.
    #[inline]
    fn next_at(&self) -> i64 {
        if !self.due_now.is_empty() {
            return self.start_ms + i64::from(self.last);
        }
        if self.occupied == 0 {
            return i64::MAX;
        }
        self.start_ms + i64::from(self.mins[self.occupied.trailing_zeros() as usize])
    }

    #[inline]
    fn pop(&mut self) -> Option<(i64, Kind)> {
        if self.due_now.is_empty() {
            if self.occupied == 0 {
                return None;
            }
            let b = self.occupied.trailing_zeros() as usize;
            self.occupied &= !(1 << b);
            self.last = self.mins[b];
            let mut moving = std::mem::take(&mut self.buckets[b]);
            // Every event of bucket `b` now differs from `last` below bit `b`: none comes back.
            for (off, kind) in moving.drain(..) {
                self.put(off, kind);
            }
            self.buckets[b] = moving; // keeps its allocation
        }
        let kind = self.due_now.pop_front()?;
        Some((self.start_ms + i64::from(self.last), kind))
    }
}

/// Per-queue random streams and arrival clock.
struct QueueRt {
    arrivals: Stream,
    service: Stream,
    patience: Stream,
    mix: Stream,
    bot: Stream,
    reply: Stream,
    conversation: Stream,
    reopen: Stream,
    transfer: Stream,
    /// Time of the last generated arrival, seconds since the start (unrounded).
    next_s: f64,
}

/// Where a ticket's back-and-forth stands.
#[derive(Clone, Copy, Debug)]
struct Conv {
    /// The queue whose conversation model applies (where the ticket arrived).
    queue: u16,
    /// Messages the customer will still write.
    left: u8,
    /// The customer's last message is unanswered.
    awaiting: bool,
    /// The handling time is over: resolve (or transfer) after the last reply.
    finish: bool,
}

/// A recorded arrival with its names resolved.
struct Recorded {
    queue: QueueId,
    category: Option<CategoryId>,
    language: Option<LanguageId>,
}

struct Sim<'s> {
    sc: &'s Scenario,
    /// The engine, folding the metrics projection every figure of the run comes from.
    engine: Engine<Metrics>,
    agenda: Agenda,
    q: Vec<QueueRt>,
    /// First agent id of each team (agents are registered team by team).
    team_first: Vec<u32>,
    /// Agents whose shift ended while they held work: they log out once it is done.
    leaving: Vec<AgentId>,
    /// Waits recorded in the histogram for answers a no-reply re-queue may still withdraw
    /// (the take's reply timer runs), by ticket: at most one per held ticket.
    withdrawable: std::collections::BTreeMap<u64, i64>,
    pending: VecDeque<Command>,
    /// Tickets with back-and-forth still to come, by ticket id (removed when they close).
    conv: std::collections::BTreeMap<u64, Conv>,
    /// Recent customers, for repeat contacts (a ring of the scenario's pool size).
    ring: Vec<u64>,
    ring_next: usize,
    next_customer: u64,
    recorded: Option<(&'s [Arrival], Vec<Recorded>)>,
    handoff: Command,
    /// The `CreateTicket` command, kept and refilled for each arrival (dropping a command
    /// per arrival costs more than overwriting its spec).
    create: Command,
    start_ms: i64,
    end_ms: i64,
    from_ms: i64,
    now_ms: i64,
    sample_every_ms: i64,
    waits: Histogram,
    samples: Vec<Sample>,
    created: u64,
    refused: u64,
    events: u64,
    held_max: u64,
}

impl<'s> Sim<'s> {
    fn new(sc: &'s Scenario, opts: &'s RunOptions, seed: u64) -> Result<Sim<'s>, SimError> {
        let q = (0..sc.queues.len() as u32)
            .map(|i| QueueRt {
                arrivals: Stream::new(seed, Purpose::Arrivals, i),
                service: Stream::new(seed, Purpose::Service, i),
                patience: Stream::new(seed, Purpose::Patience, i),
                mix: Stream::new(seed, Purpose::Mix, i),
                bot: Stream::new(seed, Purpose::Bot, i),
                reply: Stream::new(seed, Purpose::Reply, i),
                conversation: Stream::new(seed, Purpose::Conversation, i),
                reopen: Stream::new(seed, Purpose::Reopen, i),
                transfer: Stream::new(seed, Purpose::Transfer, i),
                next_s: 0.0,
            })
            .collect();
        let mut team_first = Vec::with_capacity(sc.teams.len());
        let mut n = 0u32;
        for t in &sc.teams {
            team_first.push(n);
            n += t.agents.len() as u32;
        }
        let recorded = match &opts.arrivals {
            None => None,
            Some(list) => Some((list.as_slice(), resolve_arrivals(sc, list)?)),
        };
        let start_ms = sc.start().ms();
        Ok(Sim {
            sc,
            engine: Engine::with_projection(Metrics::default()),
            agenda: Agenda::new(start_ms, sc.end().ms()),
            q,
            team_first,
            leaving: Vec::new(),
            withdrawable: std::collections::BTreeMap::new(),
            pending: VecDeque::new(),
            conv: std::collections::BTreeMap::new(),
            ring: Vec::with_capacity(sc.customer_pool().min(1 << 20) as usize),
            ring_next: 0,
            next_customer: 1,
            recorded,
            create: Command::CreateTicket {
                at: Timestamp(start_ms),
                spec: TicketSpec::new(CustomerId(0), Channel::Chat),
            },
            handoff: Command::BotHandoff {
                at: Timestamp(start_ms),
                ticket: TicketId(0),
                reason: HANDOFF_REASON.to_owned(),
                transcript: None,
            },
            start_ms,
            end_ms: sc.end().ms(),
            from_ms: align_up(sc.start().plus_ms(to_ms(sc.warmup_s()))).ms(),
            now_ms: start_ms,
            sample_every_ms: if opts.sample_every_s > 0.0 { to_ms(opts.sample_every_s).max(1) } else { 0 },
            waits: Histogram::new(opts.wait_bin_s, opts.wait_bins),
            samples: Vec::new(),
            created: 0,
            refused: 0,
            events: 0,
            held_max: 0,
        })
    }

    fn at(&self) -> Timestamp {
        Timestamp(self.now_ms)
    }

    /// Executes a command the simulator relies on; a refusal is an error.
    fn must(&mut self, cmd: &Command, name: &'static str, on_event: &mut dyn FnMut(&Event)) -> Result<(), SimError> {
        let r = self.engine.execute(cmd);
        self.drain(on_event)?;
        r.map_err(|rejection| SimError::Refused { at: cmd.at(), command: name, rejection })
    }

    /// Reads the engine's events (passing each to `on_event`), reacts to them, and runs
    /// the commands the reactions call for, until nothing is left.
    fn drain(&mut self, on_event: &mut dyn FnMut(&Event)) -> Result<(), SimError> {
        loop {
            {
                let Sim {
                    sc, engine, agenda, q, pending, waits, withdrawable, events, from_ms, start_ms, conv, ..
                } = self;
                let state = engine.state();
                for e in engine.events() {
                    on_event(e);
                    *events += 1;
                    // The engine withdraws an answer whose agent did not reply in time (the
                    // take was no answer); so does the histogram. Any other end of the hold
                    // makes the answer final.
                    if let Some(ticket) = e.ticket()
                        && !withdrawable.is_empty()
                        && !matches!(e, Event::TicketAssigned { .. } | Event::OfferAccepted { .. })
                        && let Some(wait) = withdrawable.remove(&ticket.0)
                        && matches!(e, Event::TicketRequeued { reason: cs_core::event::RequeueReason::NoReply, .. })
                    {
                        waits.remove_ms(wait);
                    }
                    match e {
                        Event::TicketAssigned { at, ticket, agent, .. }
                        | Event::OfferAccepted { at, ticket, agent } => {
                            let Some(t) = state.ticket(*ticket) else { continue };
                            if t.status != TicketStatus::Assigned || t.agent != Some(*agent) {
                                continue; // moved on within the same decision
                            }
                            if t.answered_at == Some(*at) && t.episode_start.ms() >= *from_ms {
                                let wait = at.since(t.queued_since);
                                waits.record_ms(wait);
                                if t.reply_due.is_some() {
                                    withdrawable.insert(ticket.0, wait);
                                }
                            }
                            let qi = t.queue.index();
                            let Some(model) = sc.queues.get(qi) else { continue };
                            let handle_ms = model.handle_for(t.category).sample_ms(&mut q[qi].service);
                            let since = (t.held_since.unwrap_or(*at).ms() - *start_ms) as u32;
                            if let Some(d) = &model.first_reply
                                && t.first_response_at.is_none()
                            {
                                // At the latest just before the ticket is resolved.
                                let reply_ms = d.sample_ms(&mut q[qi].reply).min(handle_ms);
                                if reply_ms == 0 {
                                    pending.push_back(Command::AgentReply { at: *at, ticket: *ticket });
                                } else {
                                    agenda.push(
                                        at.ms().saturating_add(reply_ms),
                                        Kind::Reply { ticket: ticket.0, agent: agent.0, since },
                                    );
                                }
                            }
                            // A customer's message waiting for this agent (back-and-forth after
                            // a re-queue, or the ticket set pending and taken up again).
                            if let Some(c) = conv.get(&ticket.0).filter(|c| c.awaiting)
                                && t.first_response_at.is_some()
                                && let Some(model) = &sc.queues[usize::from(c.queue)].conversation
                            {
                                let cq = usize::from(c.queue);
                                let reply_ms = model.reply.sample_ms(&mut q[cq].conversation).min(handle_ms);
                                agenda.push(
                                    at.ms().saturating_add(reply_ms),
                                    Kind::NextReply { ticket: ticket.0, agent: agent.0, since },
                                );
                            }
                            agenda.push(
                                at.ms().saturating_add(handle_ms),
                                Kind::Complete { ticket: ticket.0, agent: agent.0, since },
                            );
                        }
                        Event::AgentReplied { at, ticket, .. } => {
                            let Some(c) = conv.get_mut(&ticket.0) else { continue };
                            c.awaiting = false;
                            let cq = usize::from(c.queue);
                            let Some(model) = &sc.queues[cq].conversation else { continue };
                            let held = state.ticket(*ticket).is_some_and(|t| t.status == TicketStatus::Assigned);
                            if c.left > 0 {
                                c.left -= 1;
                                let delay_ms = model.delay.sample_ms(&mut q[cq].conversation);
                                agenda.push(at.ms().saturating_add(delay_ms), Kind::CustomerWrites(ticket.0));
                                if model.pending && held {
                                    pending.push_back(Command::SetPending { at: *at, ticket: *ticket });
                                }
                            } else if c.finish && held {
                                pending.push_back(finish(sc, q, state, *ticket, *at));
                            }
                        }
                        Event::TicketResolved { at, ticket } => {
                            conv.remove(&ticket.0);
                            let Some(t) = state.ticket(*ticket) else { continue };
                            let qi = t.queue.index();
                            if let Some(r) = sc.queues.get(qi).and_then(|m| m.reopen.as_ref())
                                && r.share > 0.0
                                && q[qi].reopen.uniform() < r.share
                                && let Some(after) = &r.after
                            {
                                let after_ms = after.sample_ms(&mut q[qi].reopen);
                                agenda.push(at.ms().saturating_add(after_ms), Kind::Reopen(ticket.0));
                            }
                        }
                        Event::TicketAbandoned { ticket, .. }
                        | Event::TicketExpired { ticket, .. }
                        | Event::BotResolved { ticket, .. } => {
                            conv.remove(&ticket.0);
                        }
                        Event::FollowUpDue { at, ticket } => {
                            let Some(t) = state.ticket(*ticket) else { continue };
                            let qi = t.queue.index();
                            if let Some(r) = sc.queues.get(qi).and_then(|m| m.reopen.as_ref())
                                && r.follow_up_share > 0.0
                                && q[qi].reopen.uniform() < r.follow_up_share
                            {
                                pending.push_back(Command::Reopen { at: *at, ticket: *ticket });
                            }
                        }
                        Event::TicketOffered { at, ticket, .. } => {
                            pending.push_back(Command::AcceptOffer { at: *at, ticket: *ticket });
                        }
                        _ => {}
                    }
                }
            }
            self.engine.clear_events();
            if !self.leaving.is_empty() {
                self.release_leavers();
            }
            let Some(cmd) = self.pending.pop_front() else { return Ok(()) };
            let name = match cmd {
                Command::AcceptOffer { .. } => "AcceptOffer",
                Command::AgentReply { .. } => "AgentReply",
                Command::SetPending { .. } => "SetPending",
                Command::Resolve { .. } => "Resolve",
                Command::Transfer { .. } => "Transfer",
                Command::Reopen { .. } => "Reopen",
                _ => "Logout",
            };
            // What the customers and agents do next was decided on the events of a
            // decision; an earlier command of the same batch may have moved the ticket on.
            let due =
                |want: TicketStatus, id: &TicketId| self.engine.state().ticket(*id).is_some_and(|t| t.status == want);
            let still_due = match &cmd {
                Command::SetPending { ticket, .. }
                | Command::Resolve { ticket, .. }
                | Command::Transfer { ticket, .. } => due(TicketStatus::Assigned, ticket),
                Command::Reopen { ticket, .. } => due(TicketStatus::Resolved, ticket),
                _ => true,
            };
            if !still_due {
                continue;
            }
            match self.engine.execute(&cmd) {
                Ok(()) => {}
                // A customer reopening a ticket the engine no longer takes back (a queue
                // limit) simply does not reopen it.
                Err(Rejection::QueueFull { .. } | Rejection::LimitReached { .. })
                    if matches!(cmd, Command::Reopen { .. }) => {}
                Err(rejection) => return Err(SimError::Refused { at: cmd.at(), command: name, rejection }),
            }
        }
    }

    /// Logs out agents whose shift is over once they hold no work.
    fn release_leavers(&mut self) {
        let state = self.engine.state();
        let mut i = 0;
        while i < self.leaving.len() {
            let id = self.leaving[i];
            let free = state.agent(id).is_none_or(|a| a.held.is_empty() && a.wrap_ups.is_empty());
            if free {
                self.pending
                    .push_back(Command::Logout { at: state.last_event_at().max(Timestamp(self.now_ms)), agent: id });
                self.leaving.remove(i);
            } else {
                i += 1;
            }
        }
    }

    fn setup(&mut self, on_event: &mut dyn FnMut(&Event)) -> Result<(), SimError> {
        let sc = self.sc;
        let at = self.at();
        self.must(&Command::Configure { at, config: Box::new(sc.config_spec().clone()) }, "Configure", on_event)?;
        for t in &sc.teams {
            for key in &t.agents {
                let cmd = Command::RegisterAgent {
                    at,
                    key: key.clone(),
                    team: t.id,
                    tier: None,
                    skills: t.skills.clone(),
                    languages: t.languages,
                    capacity: t.capacity,
                };
                self.must(&cmd, "RegisterAgent", on_event)?;
            }
        }
        let duration_s = sc.duration_s();
        for (ti, t) in sc.teams.iter().enumerate() {
            if t.shifts.is_empty() {
                for a in 0..t.agents.len() as u32 {
                    let agent = AgentId(self.team_first[ti] + a);
                    self.must(&Command::Login { at, agent }, "Login", on_event)?;
                }
                continue;
            }
            for (si, s) in t.shifts.iter().enumerate() {
                // A daily shift running past midnight is already on at the start.
                let day = if s.daily && s.end_s > crate::arrivals::DAY_S { -1 } else { 0 };
                let start_s = f64::from(day) * crate::arrivals::DAY_S + s.start_s;
                if start_s < duration_s {
                    let when = self.start_ms + to_ms(start_s.max(0.0));
                    self.agenda.push(when, Kind::ShiftStart { team: ti as u16, shift: si as u16, day });
                }
            }
        }
        match &self.recorded {
            Some((list, _)) => {
                if let Some(a) = list.first() {
                    self.agenda.push(self.start_ms + a.at_ms, Kind::Recorded(0));
                }
            }
            None => {
                for qi in 0..sc.queues.len() {
                    self.schedule_arrival(qi);
                }
            }
        }
        if self.sample_every_ms > 0 {
            self.agenda.push(self.start_ms, Kind::Sample);
        }
        Ok(())
    }

    fn schedule_arrival(&mut self, qi: usize) {
        let rt = &mut self.q[qi];
        let horizon = self.sc.duration_s();
        if let Some(t) = self.sc.queues[qi].arrivals.next_arrival(rt.next_s, horizon, &mut rt.arrivals) {
            rt.next_s = t;
            self.agenda.push(self.start_ms + to_ms(t), Kind::Arrival(qi as u16));
        }
    }

    fn main_loop(
        &mut self,
        on_event: &mut dyn FnMut(&Event),
        on_progress: &mut dyn FnMut(f64),
    ) -> Result<(), SimError> {
        let duration = (self.end_ms - self.start_ms).max(1);
        let step = (duration / 1000).max(1);
        let mut next_progress = self.start_ms;
        loop {
            let next = self.agenda.next_at();
            if let Some(d) = self.engine.next_deadline()
                && d.ms() <= next
                && d.ms() < self.end_ms
            {
                self.now_ms = self.now_ms.max(d.ms());
                self.must(&Command::Tick { at: d }, "Tick", on_event)?;
                continue;
            }
            if next >= self.end_ms {
                break;
            }
            let (at, kind) = self.agenda.pop().expect("peeked");
            self.now_ms = at;
            if at >= next_progress {
                on_progress((at - self.start_ms) as f64 / duration as f64);
                next_progress = at + step;
            }
            self.handle(at, kind, on_event)?;
            self.held_max = self.held_max.max(self.engine.state().tickets_held() as u64);
        }
        self.now_ms = self.end_ms;
        self.must(&Command::Tick { at: Timestamp(self.end_ms) }, "Tick", on_event)
    }

    fn handle(&mut self, at_ms: i64, kind: Kind, on_event: &mut dyn FnMut(&Event)) -> Result<(), SimError> {
        let at = Timestamp(at_ms);
        match kind {
            Kind::Arrival(qi) => {
                let qi = usize::from(qi);
                let spec = self.generated_spec(qi);
                self.arrive(qi, at, spec, on_event)?;
                self.schedule_arrival(qi);
            }
            Kind::Recorded(i) => {
                let (list, resolved) = self.recorded.as_ref().expect("recorded arrivals scheduled");
                let (a, r) = (&list[i as usize], &resolved[i as usize]);
                let qi = r.queue.index();
                let spec = TicketSpec {
                    queue: Some(r.queue),
                    category: r.category,
                    language: r.language,
                    tier: a.tier,
                    urgency: a.urgency,
                    emotion: a.emotion,
                    bot: a.bot && self.sc.queues[qi].bot.is_some(),
                    ..TicketSpec::new(CustomerId(a.customer), a.channel)
                };
                if let Some(next) = list.get(i as usize + 1) {
                    self.agenda.push(self.start_ms + next.at_ms, Kind::Recorded(i + 1));
                }
                self.arrive(qi, at, spec, on_event)?;
            }
            Kind::Complete { ticket, agent, since } => {
                if self.still_holds(ticket, agent, since) {
                    // A conversation still going on ends first: the agent resolves after its
                    // last reply.
                    if let Some(c) = self.conv.get_mut(&ticket).filter(|c| c.awaiting || c.left > 0) {
                        c.finish = true;
                        return Ok(());
                    }
                    let cmd = finish(self.sc, &mut self.q, self.engine.state(), TicketId(ticket), at);
                    let name = if matches!(cmd, Command::Transfer { .. }) { "Transfer" } else { "Resolve" };
                    self.must(&cmd, name, on_event)?;
                }
            }
            Kind::CustomerWrites(ticket) => {
                let id = TicketId(ticket);
                let Some(t) = self.engine.state().ticket(id).filter(|t| !t.status.is_closed()) else {
                    return Ok(());
                };
                let held = (t.status == TicketStatus::Assigned).then_some((t.agent, t.held_since));
                let Some(c) = self.conv.get_mut(&ticket) else { return Ok(()) };
                c.awaiting = true;
                let cq = usize::from(c.queue);
                self.must(&Command::CustomerMessage { at, ticket: id }, "CustomerMessage", on_event)?;
                // The agent holding the ticket answers; a ticket that waits (set pending,
                // re-queued) is answered by whoever takes it next.
                if let (Some((Some(agent), Some(since))), Some(model)) = (held, &self.sc.queues[cq].conversation) {
                    let reply_ms = model.reply.sample_ms(&mut self.q[cq].conversation);
                    let since = (since.ms() - self.start_ms) as u32;
                    self.agenda.push(at_ms.saturating_add(reply_ms), Kind::NextReply { ticket, agent: agent.0, since });
                }
            }
            Kind::NextReply { ticket, agent, since } => {
                let awaiting = self.conv.get(&ticket).is_some_and(|c| c.awaiting);
                if awaiting && self.still_holds(ticket, agent, since) {
                    self.must(&Command::AgentReply { at, ticket: TicketId(ticket) }, "AgentReply", on_event)?;
                }
            }
            Kind::Reopen(ticket) => {
                let id = TicketId(ticket);
                if self.engine.state().ticket(id).is_some_and(|t| t.status == TicketStatus::Resolved) {
                    self.pending.push_back(Command::Reopen { at, ticket: id });
                    self.drain(on_event)?;
                }
            }
            Kind::Reply { ticket, agent, since } => {
                let unanswered =
                    self.engine.state().ticket(TicketId(ticket)).is_some_and(|t| t.first_response_at.is_none());
                if unanswered && self.still_holds(ticket, agent, since) {
                    self.must(&Command::AgentReply { at, ticket: TicketId(ticket) }, "AgentReply", on_event)?;
                }
            }
            Kind::Abandon(ticket) => {
                let id = TicketId(ticket);
                let waits = self.engine.state().ticket(id).is_some_and(|t| {
                    matches!(t.status, TicketStatus::Queued | TicketStatus::Offered) && t.answered_at.is_none()
                });
                if waits {
                    self.must(&Command::Abandon { at, ticket: id }, "Abandon", on_event)?;
                }
            }
            Kind::BotDone { ticket, deflect, patience_ms } => {
                let id = TicketId(ticket);
                if self.engine.state().ticket(id).is_none_or(|t| t.status != TicketStatus::Bot) {
                    return Ok(());
                }
                if deflect {
                    return self.must(&Command::BotResolve { at, ticket: id }, "BotResolve", on_event);
                }
                if let Command::BotHandoff { at: a, ticket: t, .. } = &mut self.handoff {
                    *a = at;
                    *t = id;
                }
                let cmd = std::mem::replace(&mut self.handoff, Command::Tick { at });
                let r = self.engine.execute(&cmd);
                self.handoff = cmd;
                self.drain(on_event)?;
                match r {
                    Ok(()) => {
                        let patience_ms = if patience_ms == u32::MAX { -1 } else { i64::from(patience_ms) };
                        self.watch_patience(id, at, patience_ms);
                    }
                    Err(Rejection::QueueFull { .. }) => {
                        // Nobody can take the conversation: the customer leaves the bot.
                        self.refused += 1;
                        self.must(&Command::Abandon { at, ticket: id }, "Abandon", on_event)?;
                    }
                    Err(rejection) => return Err(SimError::Refused { at, command: "BotHandoff", rejection }),
                }
            }
            Kind::ShiftStart { team, shift, day } => self.shift_start(team, shift, day, at, on_event)?,
            Kind::ShiftEnd { team, shift } => self.shift_end(team, shift, at, on_event)?,
            Kind::Sample => {
                self.sample(at_ms);
                self.agenda.push(at_ms + self.sample_every_ms, Kind::Sample);
            }
        }
        Ok(())
    }

    /// Whether `agent` still holds `ticket`, assigned since `since` (ms after the start).
    fn still_holds(&self, ticket: u64, agent: u32, since: u32) -> bool {
        self.engine.state().ticket(TicketId(ticket)).is_some_and(|t| {
            t.status == TicketStatus::Assigned
                && t.agent == Some(AgentId(agent))
                && t.held_since.is_some_and(|h| h.ms() - self.start_ms == i64::from(since))
        })
    }

    /// A new ticket from the queue's customer mix.
    fn generated_spec(&mut self, qi: usize) -> TicketSpec {
        let model = &self.sc.queues[qi];
        let rng = &mut self.q[qi].mix;
        let m = &model.mix;
        let repeat = m.repeat_share > 0.0 && rng.uniform() < m.repeat_share && !self.ring.is_empty();
        let customer = if repeat {
            self.ring[rng.below(self.ring.len())]
        } else {
            let c = self.next_customer;
            self.next_customer += 1;
            let pool = self.sc.customer_pool() as usize;
            if self.ring.len() < pool {
                self.ring.push(c);
            } else {
                self.ring[self.ring_next] = c;
                self.ring_next = (self.ring_next + 1) % pool;
            }
            c
        };
        TicketSpec {
            queue: Some(model.id),
            tier: m.tiers.draw(rng),
            urgency: m.urgencies.draw(rng),
            emotion: m.emotions.draw(rng),
            category: m.categories.draw(rng),
            language: m.languages.draw(rng),
            bot: model.bot.is_some(),
            ..TicketSpec::new(CustomerId(customer), model.channel)
        }
    }

    /// Creates a ticket and schedules what its customer does next.
    fn arrive(
        &mut self,
        qi: usize,
        at: Timestamp,
        spec: TicketSpec,
        on_event: &mut dyn FnMut(&Event),
    ) -> Result<(), SimError> {
        let model = &self.sc.queues[qi];
        let rt = &mut self.q[qi];
        // Drawn for every arrival, used or not, so that one customer's draws never depend
        // on what happened to earlier ones.
        let patience_ms = model.patience.as_ref().map_or(-1, |d| d.sample_ms(&mut rt.patience));
        let bot = if spec.bot {
            model.bot.as_ref().map(|b| (rt.bot.uniform() < b.deflection, b.time.sample_ms(&mut rt.bot)))
        } else {
            None
        };
        // Drawn for every arrival too.
        let talks = model.conversation.as_ref().map(|c| (rt.conversation.uniform() < c.share, c.messages));
        let id = self.engine.state().next_ticket_id();
        if let Command::CreateTicket { at: a, spec: s } = &mut self.create {
            (*a, *s) = (at, spec);
        }
        let r = self.engine.execute(&self.create);
        self.drain(on_event)?;
        match r {
            Ok(()) => {
                self.created += 1;
                if let Some((true, left)) = talks {
                    let c = Conv { queue: qi as u16, left, awaiting: false, finish: false };
                    self.conv.insert(id.0, c);
                }
            }
            Err(Rejection::QueueFull { .. } | Rejection::LimitReached { .. }) => {
                self.refused += 1;
                return Ok(());
            }
            Err(rejection) => return Err(SimError::Refused { at, command: "CreateTicket", rejection }),
        }
        match bot {
            Some((deflect, bot_ms)) => {
                let patience_ms =
                    if patience_ms < 0 { u32::MAX } else { patience_ms.min(i64::from(u32::MAX - 1)) as u32 };
                self.agenda.push(at.ms().saturating_add(bot_ms), Kind::BotDone { ticket: id.0, deflect, patience_ms });
            }
            None => self.watch_patience(id, at, patience_ms),
        }
        Ok(())
    }

    /// Schedules the customer's abandonment if the ticket waits and they have a patience.
    fn watch_patience(&mut self, id: TicketId, at: Timestamp, patience_ms: i64) {
        if patience_ms < 0 {
            return;
        }
        // A ticket taken at once may still come back unanswered where an agent who does not
        // reply in time has the take withdrawn (a queue with a reply timeout): its customer
        // is watched too.
        let state = self.engine.state();
        let waits = state.ticket(id).is_some_and(|t| {
            t.status == TicketStatus::Queued || state.config().queue(t.queue).reply_timeout_ms.is_some()
        });
        if waits {
            self.agenda.push(at.ms().saturating_add(patience_ms), Kind::Abandon(id.0));
        }
    }

    fn shift_agents(&self, team: u16) -> impl Iterator<Item = AgentId> + use<> {
        let first = self.team_first[usize::from(team)];
        let n = self.sc.teams[usize::from(team)].agents.len() as u32;
        (first..first + n).map(AgentId)
    }

    fn shift_start(
        &mut self,
        team: u16,
        shift: u16,
        day: i32,
        at: Timestamp,
        on_event: &mut dyn FnMut(&Event),
    ) -> Result<(), SimError> {
        let s = self.sc.teams[usize::from(team)].shifts[usize::from(shift)];
        for agent in self.shift_agents(team).take(s.agents) {
            if let Some(i) = self.leaving.iter().position(|&a| a == agent) {
                // Still finishing the previous shift's work: back to taking tickets.
                self.leaving.remove(i);
                let cmd = Command::SetPresence { at, agent, presence: Presence::Available };
                self.must(&cmd, "SetPresence", on_event)?;
            } else if self.engine.state().agent(agent).is_some_and(|a| a.presence == Presence::Offline) {
                self.must(&Command::Login { at, agent }, "Login", on_event)?;
            }
        }
        let day_s = f64::from(day) * crate::arrivals::DAY_S;
        let end = self.start_ms + to_ms(day_s + s.end_s);
        if end < self.end_ms {
            self.agenda.push(end, Kind::ShiftEnd { team, shift });
        }
        if s.daily {
            let next = self.start_ms + to_ms(day_s + crate::arrivals::DAY_S + s.start_s);
            if next < self.end_ms {
                self.agenda.push(next, Kind::ShiftStart { team, shift, day: day + 1 });
            }
        }
        Ok(())
    }

    fn shift_end(
        &mut self,
        team: u16,
        shift: u16,
        at: Timestamp,
        on_event: &mut dyn FnMut(&Event),
    ) -> Result<(), SimError> {
        let t = &self.sc.teams[usize::from(team)];
        let (n, mode) = (t.shifts[usize::from(shift)].agents, t.at_shift_end);
        // A shift of the team starting now (another one, or this one's next day for a daily
        // shift of 24 hours) keeps its agents on, whichever of the two was taken first at
        // this millisecond: the team's first `going_on` agents.
        let going_on = t.shift_order.covering(&t.shifts, self.start_ms, at.ms()).map(|s| s.agents).max();
        for agent in self.shift_agents(team).take(n).skip(going_on.unwrap_or(0)) {
            let Some(a) = self.engine.state().agent(agent) else { continue };
            if a.presence == Presence::Offline {
                continue;
            }
            let free = a.held.is_empty() && a.wrap_ups.is_empty();
            if free || mode == AtShiftEnd::HandBack {
                self.must(&Command::Logout { at, agent }, "Logout", on_event)?;
            } else {
                let cmd = Command::SetPresence { at, agent, presence: Presence::Away };
                self.must(&cmd, "SetPresence", on_event)?;
                if !self.leaving.contains(&agent) {
                    self.leaving.push(agent);
                }
            }
        }
        Ok(())
    }

    fn sample(&mut self, at_ms: i64) {
        let s = self.engine.state();
        let waiting_by_queue: Vec<u32> =
            (0..self.sc.queues.len()).map(|q| s.waiting_in(QueueId(q as u16)) as u32).collect();
        let (mut busy, mut staffed) = (0, 0);
        for a in s.agents() {
            staffed += u32::from(a.presence != Presence::Offline);
            busy += u32::from(!a.load.is_empty());
        }
        self.samples.push(Sample {
            at_s: (at_ms - self.start_ms) as f64 / 1000.0,
            waiting: waiting_by_queue.iter().sum(),
            waiting_by_queue,
            agents_busy: busy,
            agents_staffed: staffed,
            tickets_held: s.tickets_held() as u32,
        });
    }

    fn finish(self, seed: u64) -> Run {
        let (from, to) = (Timestamp(self.from_ms), Timestamp(self.end_ms));
        Run {
            seed,
            report: self
                .engine
                .projection()
                .report(from, to, to)
                .expect("a run of at most 31 days lies in the 15-minute intervals the engine keeps"),
            intervals: self
                .engine
                .projection()
                .intervals
                .iter()
                .filter(|i| i.start < to)
                .map(|i| (i.start, i.total.clone()))
                .collect(),
            queue_intervals: self
                .engine
                .projection()
                .intervals
                .iter()
                .filter(|i| i.start < to)
                .map(|i| {
                    let per = (0..self.sc.queues.len())
                        .map(|q| i.queue(QueueId(q as u16)).cloned().unwrap_or_default())
                        .collect();
                    (i.start, per)
                })
                .collect(),
            window: (from, to),
            samples: self.samples,
            waits: self.waits,
            tickets_simulated: self.created,
            tickets_refused: self.refused,
            events: self.events,
            tickets_held_max: self.held_max,
            recorded: self.recorded.as_ref().map(|(list, _)| {
                let after_end = list.iter().filter(|a| self.start_ms.saturating_add(a.at_ms) >= self.end_ms).count();
                RecordedUse {
                    given: list.len() as u64,
                    used: (list.len() - after_end) as u64,
                    after_end: after_end as u64,
                }
            }),
        }
    }
}

/// What the agent does when a ticket's handling is over: transfers it (with the queue's
/// transfer share) or resolves it.
fn finish(sc: &Scenario, q: &mut [QueueRt], state: &cs_core::State, ticket: TicketId, at: Timestamp) -> Command {
    let qi = state.ticket(ticket).map_or(0, |t| t.queue.index());
    match sc.queues.get(qi).and_then(|m| m.transfer.as_ref()) {
        Some(t) if q[qi].transfer.uniform() < t.share => Command::Transfer { at, ticket, queue: t.to },
        _ => Command::Resolve { at, ticket },
    }
}

/// Resolves recorded arrivals' names against the scenario, listing every misfit.
fn resolve_arrivals(sc: &Scenario, list: &[Arrival]) -> Result<Vec<Recorded>, SimError> {
    let cfg = sc.config();
    let mut problems = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(list.len());
    let mut last = 0;
    for (i, a) in list.iter().enumerate() {
        if a.at_ms < 0 {
            problems.insert(format!("arrival {i} at {} ms is before the start of the recording", a.at_ms));
        } else if a.at_ms < last {
            problems.insert(format!(
                "arrival {i} at {} ms is before the previous one; arrivals must be in time order",
                a.at_ms
            ));
        }
        last = a.at_ms.max(last);
        let known = |kind: &str, kinds: &str, name: &str, names: &[String]| {
            format!("unknown {kind} {name:?} (the scenario's {kinds}: {})", listed(names))
        };
        let queue = cfg.queue_id(&a.queue);
        match queue.and_then(|q| sc.queues.get(q.index())) {
            None => {
                let names: Vec<String> = cfg.queues().iter().map(|q| q.name.clone()).collect();
                problems.insert(known("queue", "queues", &a.queue, &names));
            }
            // The queue's channels as configured (its `engine` table may add to its own).
            Some(model) if !cfg.queue(model.id).channels.get(a.channel) => {
                let takes: Vec<&str> =
                    Channel::ALL.iter().filter(|&&c| cfg.queue(model.id).channels.get(c)).map(|c| c.name()).collect();
                problems.insert(format!(
                    "arrivals on {} in queue {:?}, which takes {} in the scenario",
                    a.channel,
                    a.queue,
                    takes.join(", ")
                ));
            }
            Some(_) => {}
        }
        let category = a.category.as_ref().map(|c| (c, cfg.category(c)));
        if let Some((name, None)) = category {
            problems.insert(known("category", "categories", name, cfg.category_names()));
        }
        let language = a.language.as_ref().map(|l| (l, cfg.language(l)));
        if let Some((name, None)) = language {
            problems.insert(known("language", "languages", name, cfg.language_names()));
        }
        out.push(Recorded {
            queue: queue.unwrap_or_default(),
            category: category.and_then(|c| c.1),
            language: language.and_then(|l| l.1),
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(SimError::Arrivals(problems.into_iter().collect::<Vec<_>>().join("; ")))
    }
}

/// `a, b, c`, or `none` for no names.
fn listed(names: &[String]) -> String {
    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every replication's seed is one a scenario file can hold (`seed` is a TOML
    /// integer, at most `i64::MAX`), and replication 0 keeps the base seed.
    #[test]
    fn replication_seeds_fit_a_scenario() {
        for base in [0, 7, u64::MAX, i64::MAX as u64] {
            assert_eq!(replication_seed(base, 0), base);
            for i in 1..2_000 {
                assert!(replication_seed(base, i) <= i64::MAX as u64);
            }
        }
    }

    proptest! {
        /// Whatever is scheduled (never before the last event taken, as in the loop), the
        /// agenda hands events out in due order, ties in scheduling order, exactly as a
        /// sort by (due time, sequence) would; peeking takes nothing, so events scheduled
        /// after a peek but due before what it saw still come first.
        #[test]
        fn hands_out_events_in_due_then_scheduling_order(
            steps in proptest::collection::vec((0u8..4, 0i64..5_000, any::<bool>()), 1..400)
        ) {
            let (start, end) = (1_000_000i64, 1_000_000 + 3_000_000);
            let mut agenda = Agenda::new(start, end);
            let mut model: Vec<(i64, u64)> = Vec::new(); // (due, sequence), pending
            let mut seq = 0u64;
            let mut now = start;
            for (pushes, delay, peek) in steps {
                for i in 0..pushes {
                    let at = now + delay * i64::from(i);
                    agenda.push(at, Kind::Abandon(seq));
                    if at < end {
                        model.push((at, seq));
                    }
                    seq += 1;
                }
                let earliest = model.iter().min().copied();
                if peek {
                    prop_assert_eq!(agenda.next_at(), earliest.map_or(i64::MAX, |e| e.0));
                    continue;
                }
                match (agenda.pop(), earliest) {
                    (None, None) => {}
                    (Some((at, Kind::Abandon(s))), Some((due, want))) => {
                        prop_assert_eq!((at, s), (due, want));
                        model.retain(|&e| e != (due, want));
                        now = at;
                    }
                    (got, want) => prop_assert!(false, "got {got:?}, expected {want:?}"),
                }
            }
            model.sort();
            for (due, want) in model {
                let Some((at, Kind::Abandon(s))) = agenda.pop() else { panic!("agenda ran dry") };
                prop_assert_eq!((at, s), (due, want));
            }
            prop_assert!(agenda.pop().is_none());
        }
    }
}
