//! `cs simulate`: run a scenario through the engine in simulated time and print its
//! metrics (the same summary `cs replay` prints), optionally writing the event log, SVG
//! charts, and replaying the arrivals recorded in another log against this scenario.
//!
//! With `replications` above one (in the scenario or `--replications`), the headline
//! figures are estimated over independent replications with confidence intervals; the
//! summary, the event log and the charts are those of the first replication. The
//! replications run on `--threads` threads (every core by default), one engine each; a
//! replication's figures depend only on its seed, so the output does not change with the
//! thread count (only `wall_s`, `tickets_per_s` and `threads` do).

use anyhow::{Context as _, bail};
use cs_cli::summary::Summary;
use cs_cli::table::{Table, percent, seconds};
use cs_core::Event;
use cs_core::metrics::{INTERVAL_MS, interval_start};
use cs_sim::{Estimate, Replications, RunOptions, Scenario};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Flags of `cs simulate`.
#[derive(clap::Args, Debug)]
// `--agents -3` is a bad value (reported as such), not an unknown flag `-3`.
#[command(allow_negative_numbers = true)]
pub struct Args {
    /// The scenario (TOML; see docs/SCENARIOS.md).
    #[arg(value_name = "SCENARIO")]
    pub scenario: PathBuf,
    /// Seed instead of the scenario's (0 to 9223372036854775807, as in a scenario).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// Independent replications instead of the scenario's (1 to 10000, as in a scenario).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(cs_sim::REPLICATIONS_MAX)))]
    pub replications: Option<u32>,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Write the engine's events to this JSON-lines file (`cs replay` reads it).
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// Write SVG charts (load, service level per 15 minutes, waits) into this folder.
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Service-level goal drawn on the charts (with --plot): 0.8, 80 or 80%.
    #[arg(
        long,
        value_name = "SHARE",
        value_parser = cs_cli::flags::service_level,
        default_value = "0.8",
        requires = "plot"
    )]
    pub sl_goal: f64,
    /// Print plain progress lines on stderr even when it is not a terminal (a batch job's
    /// log); on a terminal a progress bar shows anyway.
    #[arg(long)]
    pub progress: bool,
    /// Threads to run replications on (one engine per replication; the figures do not
    /// change with it). Default: every core.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    /// What-if: replay the arrivals recorded in this event log against the scenario, and
    /// print the log's own figures over the same window next to the simulated ones.
    #[arg(long, value_name = "EVENTS")]
    pub arrivals_from: Option<PathBuf>,
}

/// The statistics window.
#[derive(Serialize, Debug)]
struct Window {
    from: String,
    to: String,
    from_ms: i64,
    to_ms: i64,
}

/// A replicated estimate as printed.
#[derive(Serialize, Debug)]
struct EstimateOut {
    mean: f64,
    half_width: Option<f64>,
    n: u32,
}

impl From<&Estimate> for EstimateOut {
    fn from(e: &Estimate) -> EstimateOut {
        EstimateOut { mean: e.mean, half_width: e.half_width, n: e.n }
    }
}

/// The JSON printed by `cs simulate --json`.
#[derive(Serialize, Debug)]
struct Output<'a> {
    scenario: &'a str,
    seed: u64,
    /// The window the figures cover (warm-up excluded), to pass to `cs replay --from/--until`.
    window: Window,
    /// Tickets created over all replications (warm-up included).
    tickets_simulated: u64,
    /// Of those, the first replication's (the one the summary and the event log show).
    tickets_simulated_first: u64,
    tickets_refused: u64,
    events: u64,
    /// Replications run (1 without replications).
    runs: usize,
    /// Threads they ran on.
    threads: usize,
    /// Wall time over all replications, seconds.
    wall_s: f64,
    /// `tickets_simulated` over `wall_s`.
    tickets_per_s: f64,
    #[serde(flatten)]
    summary: &'a Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    replications: Option<ReplicationsOut>,
    /// With `--arrivals-from`: the recorded log's own figures over the same window
    /// (counted from the log's first event).
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<Summary>,
    /// With `--arrivals-from`: what of the recorded log was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    what_if: Option<WhatIfOut>,
}

/// What a what-if run used of its recorded log.
#[derive(Serialize, Debug)]
struct WhatIfOut {
    /// The log's first and last events.
    log_from: String,
    log_to: String,
    /// The time the log covers, seconds (its last millisecond included).
    log_span_s: f64,
    /// Its recorded arrivals (`TicketCreated`).
    arrivals: u64,
    /// Of those, the ones within the run, replayed.
    arrivals_used: u64,
    /// Of those, the ones after the run's end (the log is longer than the scenario): not used.
    arrivals_after_end: u64,
    /// The scenario's own duration, seconds.
    scenario_duration_s: f64,
    /// The duration run: the scenario's, or when the log covers less, up to the first
    /// 15-minute boundary at or after its last event.
    run_duration_s: f64,
}

impl WhatIfOut {
    /// One sentence of what was used, for the table.
    fn text(&self) -> String {
        let hours = |s: f64| format!("{:.2} h", s / 3600.0);
        let mut t = format!(
            "the log covers {} ({} to {}) with {} arrivals; ",
            hours(self.log_span_s),
            self.log_from,
            self.log_to,
            self.arrivals
        );
        if self.run_duration_s < self.scenario_duration_s {
            t += &format!(
                "the scenario ran for {} only (to the 15-minute boundary after the log's end), not its {}, so \
                 that both cover the same time",
                hours(self.run_duration_s),
                hours(self.scenario_duration_s)
            );
        } else if self.arrivals_after_end > 0 {
            t += &format!(
                "the first {} of them fall within the scenario's {} and were replayed; the {} after its end were not",
                self.arrivals_used,
                hours(self.scenario_duration_s),
                self.arrivals_after_end
            );
        } else {
            t += "all were replayed";
        }
        t
    }
}

#[derive(Serialize, Debug)]
struct ReplicationsOut {
    n: usize,
    confidence: f64,
    service_level: Option<EstimateOut>,
    asa_s: Option<EstimateOut>,
    abandon_rate: Option<EstimateOut>,
    occupancy: Option<EstimateOut>,
    seeds: Vec<u64>,
}

impl ReplicationsOut {
    fn of(r: &Replications) -> ReplicationsOut {
        ReplicationsOut {
            n: r.runs.len(),
            confidence: r.confidence,
            service_level: r.total.service_level.as_ref().map(Into::into),
            asa_s: r.total.asa_s.as_ref().map(Into::into),
            abandon_rate: r.total.abandon_rate.as_ref().map(Into::into),
            occupancy: r.total.occupancy.as_ref().map(Into::into),
            seeds: r.runs.iter().map(|x| x.seed).collect(),
        }
    }
}

/// How a run shows its progress on stderr: a bar on a terminal; plain lines when asked
/// (`--progress`) and stderr is not a terminal; nothing otherwise.
enum Progress {
    Bar(ProgressBar),
    Lines { started: Instant, printed: Option<Instant>, percent: u32 },
    Quiet,
}

/// Plain lines at most this often (and at every whole 10 %), so that a batch job's log
/// says the run is alive without filling up.
const PROGRESS_LINE_EVERY_S: f64 = 5.0;

impl Progress {
    fn new(lines: bool) -> Progress {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(1000);
            bar.set_style(
                ProgressStyle::with_template("{spinner} simulating [{bar:40}] {percent:>3}% {elapsed} (eta {eta})")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            Progress::Bar(bar)
        } else if lines {
            Progress::Lines { started: Instant::now(), printed: None, percent: 0 }
        } else {
            Progress::Quiet
        }
    }

    /// The share `done` (0 to 1) of the whole run is done.
    fn show(&mut self, done: f64) {
        let done = done.clamp(0.0, 1.0);
        match self {
            Progress::Bar(b) => b.set_position((done * 1000.0) as u64),
            Progress::Lines { started, printed, percent } => {
                let now_percent = (done * 100.0).floor() as u32;
                if now_percent <= *percent {
                    return;
                }
                let due = printed.is_none_or(|t| t.elapsed().as_secs_f64() >= PROGRESS_LINE_EVERY_S);
                if !(due || now_percent / 10 > *percent / 10) {
                    return;
                }
                *percent = now_percent;
                *printed = Some(Instant::now());
                let elapsed = started.elapsed().as_secs_f64();
                let left = if done > 0.0 { elapsed * (1.0 - done) / done } else { f64::NAN };
                eprintln!(
                    "simulating: {now_percent} % done, {} elapsed, about {} left",
                    duration_text(elapsed),
                    duration_text(left)
                );
            }
            Progress::Quiet => {}
        }
    }

    fn finish(&self) {
        if let Progress::Bar(b) = self {
            b.finish_and_clear();
        }
    }
}

/// `2m05s`, `37s`, or `?` when unknown.
fn duration_text(s: f64) -> String {
    if !s.is_finite() {
        return "?".to_owned();
    }
    let s = s.round() as u64;
    if s >= 60 { format!("{}m{:02}s", s / 60, s % 60) } else { format!("{s}s") }
}

/// Refuses an output that is one of the inputs (`--events x.toml` used to overwrite the
/// scenario without a word): the event log and the charts against the scenario and the
/// recorded log, compared as files (links and other spellings of a path included).
fn check_outputs(a: &Args) -> anyhow::Result<()> {
    let mut inputs: Vec<(&str, &Path)> = vec![("the scenario", &a.scenario)];
    if let Some(p) = &a.arrivals_from {
        inputs.push(("the --arrivals-from log", p));
    }
    let mut outputs: Vec<(&str, PathBuf)> = Vec::new();
    if let Some(p) = &a.events {
        outputs.push(("--events", p.clone()));
    }
    if let Some(dir) = &a.plot {
        outputs.extend(cs_cli::plot::FILES.map(|f| ("--plot", dir.join(f))));
    }
    for (flag, out) in &outputs {
        for (what, input) in &inputs {
            if same_file(out, input) {
                bail!(
                    "{flag} would write {}, which is {what} ({}); refusing to overwrite an input",
                    out.display(),
                    input.display()
                );
            }
        }
    }
    Ok(())
}

/// Whether two paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(x), Ok(y)) = (std::fs::canonicalize(a), std::fs::canonicalize(b)) else { return false };
    if x == y {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        if let (Ok(m), Ok(n)) = (std::fs::metadata(&x), std::fs::metadata(&y)) {
            return m.dev() == n.dev() && m.ino() == n.ino();
        }
    }
    false
}

/// Runs `cs simulate`.
pub fn run(a: Args) -> anyhow::Result<()> {
    check_outputs(&a)?;
    let mut scenario = match Scenario::load(&a.scenario) {
        Ok(s) => s,
        Err(e) => {
            // Every problem on its own line (`FILE: FIELD: REASON`), then the error line.
            let n = e.problems.len();
            if n > 1 {
                eprintln!("{e}");
                bail!("{}: {n} problems found; the scenario was not run", a.scenario.display());
            }
            bail!("{e}");
        }
    };
    // The per-minute samples only feed the charts: without --plot they are not taken (they
    // cost time with many agents and memory with many queues over a long run).
    let sample_every_s = if a.plot.is_some() { RunOptions::default().sample_every_s } else { 0.0 };
    let threads = match a.threads {
        Some(n) => n as usize,
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let mut opts =
        RunOptions { seed: a.seed, replications: a.replications, sample_every_s, threads, ..RunOptions::default() };

    // What-if: the recorded arrivals, and the recorded log's own figures.
    let mut recorded_span: Option<(cs_core::Timestamp, cs_core::Timestamp, f64)> = None;
    let baseline = match &a.arrivals_from {
        None => None,
        Some(path) => {
            let name = path.display().to_string();
            let read = cs_store::read_all_tolerant(path).map_err(|e| anyhow::anyhow!("{e}"))?;
            if let Some(t) = &read.torn_tail {
                eprintln!("warning: {name}: torn last line {} ignored", t.line);
            }
            let events = read.events;
            let Some(first) = events.first().map(Event::at) else { bail!("{name}: the log holds no event") };
            if !matches!(events.first(), Some(Event::Configured { .. })) {
                bail!("{name}: the first event is not Configured: this is not the start of an event log");
            }
            // The log says nothing after its last event: a scenario longer than the log
            // runs only as long as the log covers, to the first 15-minute boundary (the
            // figures' granularity) at or after its last event, so that the two are
            // compared over the same time and the recorded agents' last state is not
            // counted on for hours past the log's end.
            let last = events.last().map_or(first, Event::at);
            let span_ms = last.since(first).saturating_add(1);
            let covered = interval_start(scenario.start().plus_ms(span_ms - 1)).plus_ms(INTERVAL_MS);
            let cut_ms = covered.since(scenario.start());
            let full_ms = scenario.end().since(scenario.start());
            if cut_ms < full_ms {
                scenario = scenario.cut_to_ms(cut_ms).map_err(|why| {
                    anyhow::anyhow!(
                        "{name} covers {} s, less than {}: running the scenario for {why}",
                        cs_sim::fmt_num(span_ms as f64 / 1000.0),
                        a.scenario.display()
                    )
                })?;
            }
            recorded_span = Some((first, last, full_ms as f64 / 1000.0));
            // The recorded figures over the scenario's window, shifted to the log's start
            // (arrivals are timed from the log's first event): replaying a simulated log's
            // arrivals against its own scenario then prints the same figures twice.
            let (from, to) = scenario.window();
            let log_from = first.plus_ms(from.since(scenario.start()));
            let log_to = first.plus_ms(to.since(scenario.start()));
            // Every event is checked, not only those in the window: the arrivals are read
            // from all of them.
            super::replay_log::<()>(path, &events)?;
            let within = events.partition_point(|e| e.at() <= log_to);
            let mut metrics = cs_core::metrics::Metrics::default();
            let state = cs_core::replay_projected(&events[..within], &mut metrics);
            // Counted to the window's end, as the simulation is, which the log covers.
            let summary = Summary::of_state(&state, &metrics, log_from, log_to).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            // Names are looked up in the log's latest configuration (a later one may only
            // append names).
            let config = events
                .iter()
                .rev()
                .find_map(|e| match e {
                    Event::Configured { config, .. } => Some(Arc::clone(config)),
                    _ => None,
                })
                .expect("the first event is Configured");
            opts.arrivals = Some(cs_sim::arrivals_from_events(events, &config));
            Some(summary)
        }
    };

    let mut progress = Progress::new(a.progress);
    let started = Instant::now();
    let replications = opts.replications.unwrap_or(scenario.replications());

    // Replication 0 writes its events if asked; the others run beside it.
    let mut writer = match &a.events {
        Some(path) => Some(cs_store::JsonlWriter::create(path).map_err(|e| anyhow::anyhow!("{e}"))?),
        None => None,
    };
    let mut write_error: Option<String> = None;
    let mut on_event = |e: &Event| {
        if let (Some(w), None) = (writer.as_mut(), &write_error)
            && let Err(err) = w.append(e)
        {
            write_error = Some(err.to_string());
        }
    };
    let sim_error = |e: cs_sim::SimError| match (&e, &a.arrivals_from) {
        (cs_sim::SimError::Arrivals(why), Some(log)) => {
            anyhow::anyhow!("{}: the recorded arrivals do not fit {}: {why}", log.display(), a.scenario.display())
        }
        _ => anyhow::anyhow!("{e}"),
    };
    let mut show = |done: f64| progress.show(done);
    let (run0, replicated) = if replications > 1 {
        let r = cs_sim::replicate_logged(&scenario, &opts, &mut on_event, &mut show).map_err(sim_error)?;
        (None, Some(r))
    } else {
        (Some(cs_sim::run(&scenario, &opts, &mut on_event, &mut show).map_err(sim_error)?), None)
    };
    if let Some(e) = write_error {
        bail!("{e}");
    }
    if let Some(mut w) = writer.take() {
        w.sync().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let first = match (&run0, &replicated) {
        (Some(run), _) => run,
        (None, Some(r)) => &r.first,
        (None, None) => unreachable!("one or the other"),
    };
    progress.finish();
    let wall_s = started.elapsed().as_secs_f64();

    let summary = Summary::from_report(&first.report, scenario.config());
    let title = scenario.name().to_owned();
    let plots = match &a.plot {
        Some(dir) => cs_cli::plot::Charts {
            title: &title,
            start: scenario.start(),
            samples: &first.samples,
            intervals: &first.intervals,
            waits: &first.waits,
            service_level_goal: a.sl_goal,
            service_level_s: scenario.service_level_target_s(),
        }
        .write_all(dir)
        .with_context(|| format!("{}: writing charts", dir.display()))?,
        None => Vec::new(),
    };
    let what_if = match (recorded_span, first.recorded) {
        (Some((log_from, log_to, scenario_duration_s)), Some(used)) => Some(WhatIfOut {
            log_from: log_from.to_string(),
            log_to: log_to.to_string(),
            log_span_s: (log_to.since(log_from) + 1) as f64 / 1000.0,
            arrivals: used.given,
            arrivals_used: used.used,
            arrivals_after_end: used.after_end,
            scenario_duration_s,
            run_duration_s: scenario.duration_s(),
        }),
        _ => None,
    };
    let runs = replicated.as_ref().map_or(1, |r| r.runs.len());
    let tickets_all = replicated.as_ref().map_or(first.tickets_simulated, |r| r.runs.iter().map(|x| x.tickets_simulated).sum());
    let tickets_per_s = tickets_all as f64 / wall_s.max(1e-9);
    let (from, to) = first.window;

    if a.json {
        return super::print_json(&Output {
            scenario: &title,
            seed: first.seed,
            window: Window { from: from.to_string(), to: to.to_string(), from_ms: from.ms(), to_ms: to.ms() },
            tickets_simulated: tickets_all,
            tickets_simulated_first: first.tickets_simulated,
            tickets_refused: first.tickets_refused,
            events: first.events,
            runs,
            threads: threads.min(runs),
            wall_s,
            tickets_per_s,
            summary: &summary,
            replications: replicated.as_ref().map(ReplicationsOut::of),
            baseline,
            what_if,
        });
    }

    let mut out = format!(
        "{title}: seed {}, {} tickets simulated in {runs} run(s) on {} thread(s), {} events, {:.2} s ({:.0} tickets/s)\n\
         figures over {from} .. {to} (warm-up excluded); replay with: cs replay EVENTS --from {} --until {}\n\n",
        first.seed,
        tickets_all,
        threads.min(runs),
        first.events,
        wall_s,
        tickets_per_s,
        from.ms(),
        to.ms(),
    );
    if first.tickets_refused > 0 {
        out.push_str(&format!("{} tickets were refused by the engine (a full queue or a limit)\n\n", first.tickets_refused));
    }
    out.push_str(&summary.to_table());
    if let Some(r) = &replicated {
        out.push_str(&format!("\n{} replications, {:.0} % confidence intervals\n", r.runs.len(), r.confidence * 100.0));
        let mut t = Table::new(&["figure", "mean", "+/-"]).left(0);
        type Row<'a> = (&'static str, Option<&'a Estimate>, fn(Option<f64>) -> String);
        let rows: [Row; 4] = [
            ("service level", r.total.service_level.as_ref(), percent),
            ("ASA", r.total.asa_s.as_ref(), seconds),
            ("abandon rate", r.total.abandon_rate.as_ref(), percent),
            ("occupancy", r.total.occupancy.as_ref(), percent),
        ];
        for (name, e, fmt) in rows {
            t.row(vec![name.to_owned(), fmt(e.map(|e| e.mean)), fmt(e.and_then(|e| e.half_width))]);
        }
        out.push_str(&t.render());
    }
    if let Some(b) = &baseline {
        out.push_str("\nwhat-if: the recorded log's figures next to the simulated ones\n");
        if let Some(w) = &what_if {
            out.push_str(&format!("{}\n", w.text()));
        }
        let mut t = Table::new(&["figure", "recorded", "simulated"]).left(0);
        type Pair = (&'static str, fn(&Summary) -> String);
        let pairs: [Pair; 6] = [
            ("tickets", |s| s.total.tickets.to_string()),
            ("service level", |s| percent(s.total.service_level)),
            ("ASA", |s| seconds(s.total.asa_s)),
            ("abandon rate", |s| percent(s.total.abandon_rate)),
            ("occupancy", |s| percent(s.total.occupancy)),
            ("longest wait", |s| seconds(Some(s.total.longest_wait_s))),
        ];
        for (name, f) in pairs {
            t.row(vec![name.to_owned(), f(b), f(&summary)]);
        }
        out.push_str(&t.render());
    }
    if let Some(path) = &a.events {
        out.push_str(&format!("\nevents written to {}\n", path.display()));
    }
    for p in plots {
        out.push_str(&format!("chart written to {}\n", p.display()));
    }
    super::print(&out)
}
