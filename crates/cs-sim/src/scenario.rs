//! Scenarios: what to simulate, read from TOML (format in `docs/SCENARIOS.md`).
//!
//! A scenario describes demand (queues with arrival, handle-time, patience and customer
//! models, optional bots) and supply (teams of agents with skills, capacity and shifts),
//! plus the engine's own routing rules, which pass through untouched: a queue's `engine`
//! table holds any `cs_core::config::QueueSpec` field, a team's any `TeamSpec` field and
//! the top-level `[engine]` table any other `cs_core::ConfigSpec` section. Each is
//! overlaid on the keys the scenario generates for it (a queue's `name`, `channels`,
//! `skills`, `service_level_s`; a team's `name`, `tier`, `wrap_up_s`) and read into the
//! core's own type through `serde_path_to_error`, so sections the core gains later work in
//! scenarios unchanged and a bad engine key or value is reported at its scenario path
//! (`queues[1].engine.overflow.open_waiting`) with the core's serde message.
//!
//! Loading reads the file's shape with serde (module `shape`, through
//! `serde_path_to_error`): the first unknown key or wrongly typed value stops it, reported
//! at its path. The value checks that follow, the engine tables among them, report every
//! problem at once. Each problem has the file, the field path and the reason
//! ([`ScenarioError`]).

use crate::arrivals::{BaseRate, DAY_S, RateModel, Surge};
use crate::dist::{Dist, to_ms};
use cs_core::agent::{Capacity, LanguageSet, SupportTier};
use cs_core::config::{QueueSpec, TeamSpec};
use cs_core::skill::{SkillLevels, SkillNeeds};
use cs_core::{
    CategoryId, Channel, Config, ConfigSpec, CustomerTier, Emotion, LanguageId, QueueId, SkillId, TeamId, Timestamp,
    Urgency,
};
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use toml::{Table, Value};

/// The scenario start when none is given: Monday 2026-01-05, 00:00 UTC.
pub const DEFAULT_START: &str = "2026-01-05T00:00:00Z";
/// Service-level threshold when `service_level_target_s` is not given, seconds.
pub const DEFAULT_SERVICE_LEVEL_TARGET_S: f64 = 20.0;
/// Size of the repeat-customer pool when `[customers] pool` is not given.
pub const DEFAULT_CUSTOMER_POOL: u32 = 10_000;
/// Closed-ticket retention the simulator gives the engine unless `[engine.limits]` sets
/// `closed_ticket_retention_s`: short, so that memory stays flat over long runs.
pub const DEFAULT_CLOSED_TICKET_RETENTION_S: u32 = 60;
/// Customer memory the simulator gives the engine unless `[engine.limits]` sets
/// `customer_memory_s`, when some queue has repeat customers (otherwise every customer is
/// new and 60 s is given); raised to the longest window the engine rules name (sticky
/// routing, repeat-contact escalation).
pub const DEFAULT_CUSTOMER_MEMORY_S: u32 = 86_400;
/// How long after resolution (or after the last follow-up) a closed ticket is kept, and
/// so may be reopened, when a scenario has reopens and sets no retention: a day.
pub const REOPEN_WINDOW_S: f64 = 86_400.0;
/// The longest simulated time: the core keeps 31 days of 15-minute metric intervals.
pub const DURATION_S_MAX: f64 = 31.0 * DAY_S;
/// Most agents in a scenario.
pub const AGENTS_MAX: usize = 100_000;
/// Most replications.
pub const REPLICATIONS_MAX: u32 = 10_000;

/// One thing wrong with a scenario: where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioProblem {
    /// The file (or origin name) the scenario came from.
    pub file: String,
    /// Path to the offending field, e.g. `queues[0].arrivals.per_hour`; for a TOML
    /// syntax error, `line L, column C`.
    pub field: String,
    /// What is wrong, naming the value.
    pub reason: String,
}

impl fmt::Display for ScenarioProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.file, self.reason)
        } else {
            write!(f, "{}: {}: {}", self.file, self.field, self.reason)
        }
    }
}

/// Every problem found in a scenario. Displays one line per problem,
/// `FILE: FIELD: REASON`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The problems, in the order they were found (file order within each section).
    pub problems: Vec<ScenarioProblem>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// A validated scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    origin: String,
    name: String,
    seed: u64,
    start: Timestamp,
    duration_ms: i64,
    warmup_ms: i64,
    service_level_target_s: f64,
    replications: u32,
    customer_pool: u32,
    pub(crate) queues: Vec<QueueModel>,
    pub(crate) teams: Vec<TeamModel>,
    spec: ConfigSpec,
    config: Arc<Config>,
}

/// A queue's demand model, with names resolved to the config's ids.
#[derive(Clone, Debug)]
pub(crate) struct QueueModel {
    pub id: QueueId,
    pub name: String,
    pub channel: Channel,
    pub arrivals: RateModel,
    pub handle: Dist,
    /// Per-category handle time, indexed by `CategoryId`.
    pub handle_by_category: Vec<Option<Dist>>,
    pub patience: Option<Dist>,
    pub mix: Mix,
    pub bot: Option<Bot>,
    /// Time from assignment to the agent's first reply, if agents reply.
    pub first_reply: Option<Dist>,
    /// Back-and-forth: customers who write again after the agent's replies.
    pub conversation: Option<Conversation>,
    /// Customers who reopen resolved tickets.
    pub reopen: Option<Reopen>,
    /// Tickets the agent transfers to another queue instead of resolving.
    pub transfer: Option<Transfer>,
}

/// A queue's back-and-forth: with probability `share` a ticket's customer writes
/// `messages` more times, each `delay` after the agent's reply, and the agent answers each
/// after `reply`; with `pending`, the agent sets the ticket waiting on the customer after
/// each reply that expects an answer (the slot is freed and the customer's message queues
/// the ticket again, sticky to the agent).
#[derive(Clone, Debug)]
pub(crate) struct Conversation {
    pub share: f64,
    pub messages: u8,
    pub delay: Dist,
    pub reply: Dist,
    pub pending: bool,
}

/// A queue's reopens: with probability `share` a customer reopens the resolved ticket
/// `after` its resolution; with probability `follow_up_share` one reopens when the
/// follow-up (the engine's `FollowUpDue`) reaches them.
#[derive(Clone, Debug)]
pub(crate) struct Reopen {
    pub share: f64,
    pub after: Option<Dist>,
    pub follow_up_share: f64,
}

/// A queue's transfers: with probability `share` the agent, at the end of the handling,
/// transfers the ticket to queue `to` instead of resolving it.
#[derive(Clone, Debug)]
pub(crate) struct Transfer {
    pub share: f64,
    pub to: QueueId,
}

impl QueueModel {
    /// The handle-time distribution for a ticket of `category`.
    #[inline]
    pub(crate) fn handle_for(&self, category: Option<CategoryId>) -> &Dist {
        category.and_then(|c| self.handle_by_category.get(c.index())).and_then(Option::as_ref).unwrap_or(&self.handle)
    }
}

/// A discrete distribution over a few values, as cumulative probabilities.
#[derive(Clone, Debug)]
pub(crate) struct Choice<T> {
    items: Vec<(f64, T)>,
}

impl<T: Copy> Choice<T> {
    fn single(v: T) -> Choice<T> {
        Choice { items: vec![(1.0, v)] }
    }

    fn of(shares: &[(f64, T)]) -> Choice<T> {
        let total: f64 = shares.iter().map(|s| s.0).sum();
        let mut acc = 0.0;
        let items = shares
            .iter()
            .map(|&(p, v)| {
                acc += p / total;
                (acc, v)
            })
            .collect();
        Choice { items }
    }

    /// Draws a value; a single value draws nothing from the stream.
    #[inline]
    pub(crate) fn draw(&self, rng: &mut crate::dist::Stream) -> T {
        if self.items.len() == 1 {
            return self.items[0].1;
        }
        let u = rng.uniform();
        self.items.iter().find(|(c, _)| u < *c).unwrap_or(&self.items[self.items.len() - 1]).1
    }
}

fn choice_or<T: Copy>(shares: &[(f64, T)], default: T) -> Choice<T> {
    if shares.is_empty() { Choice::single(default) } else { Choice::of(shares) }
}

/// Who the customers of a queue are.
#[derive(Clone, Debug)]
pub(crate) struct Mix {
    pub tiers: Choice<CustomerTier>,
    pub urgencies: Choice<Urgency>,
    pub emotions: Choice<Emotion>,
    pub categories: Choice<Option<CategoryId>>,
    pub languages: Choice<Option<LanguageId>>,
    pub repeat_share: f64,
}

/// A queue's bot.
#[derive(Clone, Debug)]
pub(crate) struct Bot {
    pub deflection: f64,
    pub time: Dist,
}

/// A team's agents.
#[derive(Clone, Debug)]
pub(crate) struct TeamModel {
    pub id: TeamId,
    pub agents: Vec<String>,
    pub skills: Vec<(SkillId, u8)>,
    pub languages: LanguageSet,
    pub capacity: Capacity,
    pub shifts: Vec<Shift>,
    pub shift_order: ShiftOrder,
    pub at_shift_end: AtShiftEnd,
}

/// A working period of (the first `agents` of) a team.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Shift {
    pub start_s: f64,
    pub end_s: f64,
    pub daily: bool,
    pub agents: usize,
}

impl Shift {
    /// Whether an occurrence of the shift covers `at_ms` (from its start, inclusive, to its
    /// end, exclusive), for a run starting at `start_ms`; times rounded to the millisecond as
    /// the simulator schedules them.
    pub(crate) fn covers(&self, start_ms: i64, at_ms: i64) -> bool {
        // Each occurrence's bounds in milliseconds exactly as the simulator schedules them;
        // of a daily shift, the occurrences around the day `at_ms` falls in (a shift lasts at
        // most a day, and the day found in floating point may be one off at a boundary).
        let occurrence = |day: f64| {
            let from = start_ms + to_ms((day * DAY_S + self.start_s).max(0.0));
            let to = start_ms + to_ms(day * DAY_S + self.end_s);
            from <= at_ms && at_ms < to
        };
        if !self.daily {
            return occurrence(0.0);
        }
        let day = (((at_ms - start_ms) as f64 / 1000.0 - self.start_s) / DAY_S).floor();
        [day - 1.0, day, day + 1.0].into_iter().any(occurrence)
    }
}

/// A team's shifts ordered by start, to find the shifts covering a time without looking at
/// every one: a shift's end asked each of the team's shifts (10,000 daily shifts over 31
/// days took 93 s in the release build).
#[derive(Clone, Debug, Default)]
pub(crate) struct ShiftOrder {
    /// `(start_s, index)` of the daily shifts (start within the day), by start.
    daily: Vec<(f64, usize)>,
    /// `(start_s, index)` of the others (from the run start), by start.
    once: Vec<(f64, usize)>,
}

impl ShiftOrder {
    pub(crate) fn new(shifts: &[Shift]) -> ShiftOrder {
        let mut order = ShiftOrder::default();
        for (i, s) in shifts.iter().enumerate() {
            let list = if s.daily { &mut order.daily } else { &mut order.once };
            list.push((s.start_s, i));
        }
        for list in [&mut order.daily, &mut order.once] {
            list.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        }
        order
    }

    /// The shifts with an occurrence covering `at_ms`, exactly as [`Shift::covers`] says.
    /// A team's shifts do not overlap (checked when the scenario loads), so only the last
    /// to start at or before `at_ms` can cover it (of the daily ones, the day's, or the
    /// last of the day before when it runs past midnight); the one before each is asked
    /// too, for starts that round to the same millisecond.
    pub(crate) fn covering<'s>(
        &self,
        shifts: &'s [Shift],
        start_ms: i64,
        at_ms: i64,
    ) -> impl Iterator<Item = &'s Shift> + use<'s> {
        let t = (at_ms - start_ms) as f64 / 1000.0;
        let before = |list: &[(f64, usize)], key: f64| {
            let i = list.partition_point(|&(s, _)| s <= key + 0.001);
            [i.checked_sub(1), i.checked_sub(2)]
        };
        let tod = t.rem_euclid(DAY_S);
        let n = self.daily.len();
        let mut candidates: Vec<usize> = before(&self.once, t)
            .into_iter()
            .flatten()
            .map(|i| self.once[i].1)
            .chain(
                before(&self.daily, tod)
                    .into_iter()
                    .chain([n.checked_sub(1), n.checked_sub(2)])
                    .flatten()
                    .map(|i| self.daily[i].1),
            )
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates.into_iter().map(move |i| &shifts[i]).filter(move |s| s.covers(start_ms, at_ms))
    }
}

/// What an agent does when their shift ends while holding work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AtShiftEnd {
    /// Take no new work (presence away), finish what is in hand, then log out.
    Finish,
    /// Log out at once; held tickets go back to waiting (the core re-routes them).
    HandBack,
}

impl Scenario {
    /// Parses and validates a scenario. `origin` names it in problems (usually the path).
    ///
    /// # Errors
    /// The TOML syntax error (with line and column), or the first shape problem (an unknown
    /// field or a value of the wrong type, at its path), or every value problem found:
    /// unknown kinds, missing fields, bad numbers, inconsistent references, engine configuration problems (mapped back to
    /// the scenario field that produced them), and queues nobody can serve.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
        let mut cx = Cx { file: origin.to_owned(), problems: Vec::new() };
        let table: Table = match toml::from_str(text) {
            Ok(t) => t,
            Err(e) => {
                let field = match e.span() {
                    Some(span) => {
                        let (line, col) = line_col(text, span.start);
                        format!("line {line}, column {col}")
                    }
                    None => String::new(),
                };
                cx.add(field, format!("TOML syntax error: {}", e.message().trim()));
                return Err(cx.into_error());
            }
        };
        // The shape first: the first unknown key or value of the wrong type, at its path.
        let file: shape::File = match serde_path_to_error::deserialize(Value::Table(table)) {
            Ok(f) => f,
            Err(e) => {
                let path = e.path().to_string();
                let field = if path == "." { String::new() } else { path };
                cx.add(field, shape::message(e.inner().message()));
                return Err(cx.into_error());
            }
        };
        kind_shapes(&file, &mut cx);
        if !cx.problems.is_empty() {
            return Err(cx.into_error());
        }
        let raw = parse(&file, &mut cx);
        let built = build(&raw, &mut cx);
        match built {
            Some(s) if cx.problems.is_empty() => Ok(Scenario { origin: origin.to_owned(), ..s }),
            _ => Err(cx.into_error()),
        }
    }

    /// Reads and validates a scenario file.
    ///
    /// # Errors
    /// The file cannot be read, or [`Scenario::from_toml_str`]'s problems.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let origin = path.display().to_string();
        match read_text(path) {
            Ok(text) => Scenario::from_toml_str(&text, &origin),
            Err(e) => Err(ScenarioError {
                problems: vec![ScenarioProblem { file: origin, field: String::new(), reason: e.to_string() }],
            }),
        }
    }

    /// Where the scenario came from (the `origin` it was loaded with).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The scenario's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The base seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// When simulated time starts.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// When simulated time ends (`start + duration`).
    pub fn end(&self) -> Timestamp {
        self.start.plus_ms(self.duration_ms)
    }

    /// The same scenario run for `duration_ms` only, if that is shorter: a what-if on a
    /// recorded log shorter than the scenario runs for as long as the log covers, so that
    /// the two are compared over the same time.
    ///
    /// # Errors
    /// Why nothing would be measured: the warm-up, rounded up to its 15-minute boundary,
    /// would reach the shorter end.
    pub fn cut_to_ms(&self, duration_ms: i64) -> Result<Scenario, String> {
        let duration_ms = duration_ms.clamp(1, self.duration_ms);
        let cut = Scenario { duration_ms, ..self.clone() };
        let (from, to) = cut.window();
        if from >= to {
            return Err(format!(
                "{} s of it would leave nothing to measure after the warm-up (the figures start at {from})",
                fmt_num(duration_ms as f64 / 1000.0)
            ));
        }
        Ok(cut)
    }

    /// Simulated time, seconds.
    pub fn duration_s(&self) -> f64 {
        self.duration_ms as f64 / 1000.0
    }

    /// Warm-up as written, seconds (see [`Scenario::window`] for the rounding).
    pub fn warmup_s(&self) -> f64 {
        self.warmup_ms as f64 / 1000.0
    }

    /// The statistics window: from the end of the warm-up rounded up to the next
    /// 15-minute interval boundary (the core's metric intervals) to the end.
    pub fn window(&self) -> (Timestamp, Timestamp) {
        (align_up(self.start.plus_ms(self.warmup_ms)), self.end())
    }

    /// The default service-level threshold of every queue, seconds.
    pub fn service_level_target_s(&self) -> f64 {
        self.service_level_target_s
    }

    /// Replications `replicate` runs by default.
    pub fn replications(&self) -> u32 {
        self.replications
    }

    /// Size of the repeat-customer pool.
    pub fn customer_pool(&self) -> u32 {
        self.customer_pool
    }

    /// The validated engine configuration the scenario generates.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The engine configuration as a spec (what the `Configure` command carries).
    pub fn config_spec(&self) -> &ConfigSpec {
        &self.spec
    }

    /// Queue names, in config order (a queue's index is its `QueueId`).
    pub fn queue_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.queues.iter().map(|q| q.name.as_str())
    }

    /// Number of agents over all teams.
    pub fn agents_n(&self) -> usize {
        self.teams.iter().map(|t| t.agents.len()).sum()
    }

    /// The arrival rate of queue `queue` (by name) at `at_s` seconds after the start, per
    /// hour, surges included; `None` for an unknown queue.
    pub fn arrival_rate_per_hour(&self, queue: &str, at_s: f64) -> Option<f64> {
        self.queue_model(queue).map(|q| q.arrivals.rate_per_s(at_s) * 3600.0)
    }

    /// The expected number of arrivals of queue `queue` (by name) between `from_s` and
    /// `to_s` seconds after the start; `None` for an unknown queue.
    pub fn expected_arrivals(&self, queue: &str, from_s: f64, to_s: f64) -> Option<f64> {
        self.queue_model(queue).map(|q| q.arrivals.expected(from_s, to_s))
    }

    /// Mean handle time of queue `queue` (by name), seconds, over its base distribution.
    pub fn mean_handle_time_s(&self, queue: &str) -> Option<f64> {
        self.queue_model(queue).map(|q| q.handle.mean_s())
    }

    fn queue_model(&self, name: &str) -> Option<&QueueModel> {
        self.queues.iter().find(|q| q.name == name)
    }
}

/// Rounds up to the next 15-minute boundary (unchanged if on one).
pub(crate) fn align_up(t: Timestamp) -> Timestamp {
    let i = cs_core::metrics::INTERVAL_MS;
    Timestamp(t.ms().div_euclid(i) * i + if t.ms().rem_euclid(i) == 0 { 0 } else { i })
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

// ---------------------------------------------------------------------------------------
// Value checks, with every problem recorded.
// ---------------------------------------------------------------------------------------

struct Cx {
    file: String,
    problems: Vec<ScenarioProblem>,
}

impl Cx {
    fn add(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        self.problems.push(ScenarioProblem { file: self.file.clone(), field: field.into(), reason: reason.into() });
    }

    fn into_error(self) -> ScenarioError {
        ScenarioError { problems: self.problems }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

/// The widest log-normal a scenario takes: a standard deviation of at most this many
/// times its mean. At 100 (`sigma = 3.03`) the median is a hundredth of the mean and half
/// of the mean comes from the draws above `exp(mu + sigma^2)`, 1 in 830; wider, the mean
/// rests on draws too rare for any run to make, and the draws a run does make are far
/// below it (at `sd_s = 1e150` and a mean of 300 s, every handle time rounded to 0 ms).
pub const LOGNORMAL_SPREAD_MAX: f64 = 100.0;

/// A number as written in a message: as is, or in scientific notation when huge or tiny
/// (`1e300`, not three hundred digits).
pub fn fmt_num(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v != 0.0 && v.is_finite() && !(1e-6..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Checks that `v` is finite and at least `min` (above it when `strict`).
fn at_least(cx: &mut Cx, field: &str, v: Option<f64>, min: f64, strict: bool) -> Option<f64> {
    let v = v?;
    let ok = v.is_finite() && if strict { v > min } else { v >= min };
    if ok {
        Some(v)
    } else {
        let rule = if strict { "above" } else { "at least" };
        let what = if v.is_nan() {
            "is not a number".to_owned()
        } else if v.is_infinite() {
            "is not finite".to_owned()
        } else if v < 0.0 && min >= 0.0 {
            "is negative".to_owned()
        } else {
            "is out of range".to_owned()
        };
        cx.add(field, format!("{} {what}; must be a finite number {rule} {}", fmt_num(v), fmt_num(min)));
        None
    }
}

fn probability(cx: &mut Cx, field: &str, v: Option<f64>) -> Option<f64> {
    let v = v?;
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Some(v)
    } else {
        cx.add(field, format!("{} is not a probability; must be between 0 and 1", fmt_num(v)));
        None
    }
}

fn parse_name(value: &str, names: &[&str]) -> Option<usize> {
    names.iter().position(|n| *n == value)
}

// ---------------------------------------------------------------------------------------
// The raw scenario: names, not ids, before the engine configuration exists.
// ---------------------------------------------------------------------------------------

struct RawScenario {
    name: String,
    seed: u64,
    start: Option<Timestamp>,
    duration_s: Option<f64>,
    warmup_s: f64,
    target_s: f64,
    replications: u32,
    pool: u32,
    queues: Vec<RawQueue>,
    teams: Vec<RawTeam>,
    engine: Table,
}

struct RawQueue {
    name: String,
    channel: Option<Channel>,
    skills: Vec<(String, u8)>,
    arrivals: Option<RateModel>,
    handle: Option<Dist>,
    handle_by_category: Vec<(String, Dist)>,
    patience: Option<Dist>,
    mix: RawMix,
    bot: Option<Bot>,
    /// `None`: not given; `Some(None)`: agents never reply.
    first_reply: Option<Option<Dist>>,
    /// Without its `reply` distribution when not given (the queue's first reply then).
    conversation: Option<(f64, u8, Dist, Option<Dist>, bool)>,
    reopen: Option<Reopen>,
    /// The target queue by name.
    transfer: Option<(f64, String)>,
    engine: Table,
}

#[derive(Default)]
struct RawMix {
    tiers: Vec<(f64, CustomerTier)>,
    urgencies: Vec<(f64, Urgency)>,
    emotions: Vec<(f64, Emotion)>,
    categories: Vec<(f64, String)>,
    languages: Vec<(f64, String)>,
    repeat_share: f64,
}

struct RawTeam {
    name: String,
    agents: Vec<String>,
    /// How many agents the team asks for: `agents.len()`, unless that would take the
    /// scenario past [`AGENTS_MAX`], in which case only as many names are made as reach
    /// one past it (the scenario is refused; the names are not worth a gigabyte).
    agents_n: usize,
    /// Where the agents were given (`agents` or `named`), for problems.
    agents_field: &'static str,
    skills: Vec<(String, u8)>,
    languages: Vec<String>,
    capacity: Capacity,
    tier: Option<SupportTier>,
    wrap_up_s: Option<f64>,
    shifts: Vec<Shift>,
    at_shift_end: AtShiftEnd,
    engine: Table,
}

const DIST_KINDS: &[&str] = &["exponential", "lognormal", "fixed", "empirical"];
const CHANNEL_NAMES: [&str; 5] = ["chat", "email", "phone", "social", "other"];

// ---------------------------------------------------------------------------------------
// The file's shape, read by serde: every table with fixed keys is a struct that denies
// unknown fields, every leaf a type that names what it expected. Required fields are
// `Option`s here so that the value checks can report every missing one.
// ---------------------------------------------------------------------------------------

mod shape {
    use serde::Deserialize;
    use serde::de::IgnoredAny;
    use toml::{Table, Value};

    /// A leaf of one TOML type, refusing others with `expected WHAT, found TYPE`.
    macro_rules! leaf {
        ($(#[$doc:meta])* $name:ident, $t:ty, $what:literal, $pick:expr) => {
            $(#[$doc])*
            #[derive(Clone, Debug)]
            pub(super) struct $name(pub(super) $t);

            impl<'de> Deserialize<'de> for $name {
                fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    let v = Value::deserialize(d)?;
                    let pick: fn(&Value) -> Option<$t> = $pick;
                    pick(&v).map($name).ok_or_else(|| {
                        serde::de::Error::custom(format!(concat!("expected ", $what, ", found {}"), v.type_str()))
                    })
                }
            }
        };
    }

    leaf!(
        /// A TOML integer or float, as `f64`.
        Num, f64, "a number", super::as_number
    );
    leaf!(
        /// A TOML integer.
        Int, i64, "an integer", Value::as_integer
    );
    leaf!(
        /// A TOML string.
        Str, String, "a string", |v| v.as_str().map(str::to_owned)
    );
    leaf!(
        /// A TOML boolean.
        Bool, bool, "true or false", Value::as_bool
    );

    /// The whole file.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, expecting = "a table")]
    pub(super) struct File {
        pub name: Option<Str>,
        pub seed: Option<Int>,
        /// An RFC 3339 time, as a string or a TOML datetime.
        pub start: Option<Value>,
        pub duration_s: Option<Num>,
        pub warmup_s: Option<Num>,
        pub service_level_target_s: Option<Num>,
        pub replications: Option<Int>,
        pub customers: Option<Customers>,
        pub queues: Option<Vec<Queue>>,
        pub teams: Option<Vec<Team>>,
        /// Passed to the core: read into `cs_core::ConfigSpec` when the configuration is built.
        pub engine: Option<Table>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, expecting = "a table")]
    pub(super) struct Customers {
        pub pool: Option<Int>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, expecting = "a table")]
    pub(super) struct Queue {
        pub name: Option<Str>,
        pub channel: Option<Str>,
        /// A list of skill names or a table of skill = minimum proficiency.
        pub skills: Option<Value>,
        /// Chosen by its `kind`.
        pub arrivals: Option<Table>,
        /// Distributions, chosen by their `kind`.
        pub handle_time: Option<Value>,
        pub handle_time_by_category: Option<Table>,
        pub patience: Option<Value>,
        pub mix: Option<Mix>,
        pub bot: Option<Bot>,
        pub first_reply: Option<Value>,
        pub conversation: Option<Conversation>,
        pub reopen: Option<Reopen>,
        pub transfer: Option<Transfer>,
        /// Passed to the core: read into `cs_core::config::QueueSpec` with the queue's
        /// generated keys when the configuration is built.
        pub engine: Option<Table>,
    }

    /// Shares: level or name = probability.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, expecting = "a table")]
    pub(super) struct Mix {
        pub tiers: Option<Table>,
        pub urgencies: Option<Table>,
        pub emotions: Option<Table>,
        pub categories: Option<Table>,
        pub languages: Option<Table>,
        pub repeat_share: Option<Num>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, expecting = "a table")]
    pub(super) struct Bot {
        pub deflection: Option<Num>,
        pub time: Option<Value>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, expecting = "a table")]
    pub(super) struct Conversation {
        pub share: Option<Num>,
        pub messages: Option<Int>,
        pub delay: Option<Value>,
        pub reply: Option<Value>,
        pub pending: Option<Bool>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, expecting = "a table")]
    pub(super) struct Reopen {
        pub share: Option<Num>,
        pub after: Option<Value>,
        pub follow_up_share: Option<Num>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, expecting = "a table")]
    pub(super) struct Transfer {
        pub share: Option<Num>,
        pub to: Option<Str>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, expecting = "a table")]
    pub(super) struct Team {
        pub name: Option<Str>,
        pub agents: Option<Int>,
        pub named: Option<Vec<Str>>,
        /// A table of skill = proficiency.
        pub skills: Option<Value>,
        /// Channel (or `units`) = how many.
        pub capacity: Option<Table>,
        pub languages: Option<Vec<Str>>,
        pub shifts: Option<Vec<Shift>>,
        pub wrap_up_s: Option<Num>,
        /// The core's own type for the team's `tier`.
        pub tier: Option<cs_core::SupportTier>,
        pub at_shift_end: Option<Str>,
        /// Passed to the core: read into `cs_core::config::TeamSpec` with the team's
        /// generated keys when the configuration is built.
        pub engine: Option<Table>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, expecting = "a table such as { start_s, end_s }")]
    pub(super) struct Shift {
        pub start_s: Option<Num>,
        pub end_s: Option<Num>,
        pub daily: Option<Bool>,
        pub agents: Option<Int>,
    }

    // Tables chosen by their `kind`: read once the kind is known, each kind's own keys.

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct Exponential {
        #[allow(dead_code)]
        pub kind: IgnoredAny,
        pub mean_s: Option<Num>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct Lognormal {
        #[allow(dead_code)]
        pub kind: IgnoredAny,
        pub mean_s: Option<Num>,
        pub sd_s: Option<Num>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct Fixed {
        #[allow(dead_code)]
        pub kind: IgnoredAny,
        pub s: Option<Num>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct Empirical {
        #[allow(dead_code)]
        pub kind: IgnoredAny,
        pub values_s: Option<Vec<Num>>,
    }

    /// `kind = "none"`: no distribution (patience, first reply).
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct NoDist {
        #[allow(dead_code)]
        pub kind: IgnoredAny,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct Poisson {
        #[allow(dead_code)]
        pub kind: IgnoredAny,
        pub per_hour: Option<Num>,
        pub surges: Option<Vec<Surge>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct Profile {
        #[allow(dead_code)]
        pub kind: IgnoredAny,
        pub per_hour: Option<Vec<Num>>,
        pub points: Option<Vec<Point>>,
        pub surges: Option<Vec<Surge>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, expecting = "a table such as { at_s, per_hour }")]
    pub(super) struct Point {
        pub at_s: Option<Num>,
        pub per_hour: Option<Num>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, expecting = "a table such as { start_s, duration_s, multiplier }")]
    pub(super) struct Surge {
        pub start_s: Option<Num>,
        pub duration_s: Option<Num>,
        pub multiplier: Option<Num>,
    }

    /// A serde message as the scenario states it: an unknown field as
    /// `unknown field "x"; expected one of: a, b` (serde writes backquotes and commas).
    pub(super) fn message(m: &str) -> String {
        let m = m.trim();
        let Some(rest) = m.strip_prefix("unknown field `") else { return m.to_owned() };
        let Some((name, rest)) = rest.split_once('`') else { return m.to_owned() };
        // "expected `a`", "expected `a` or `b`", "expected one of `a`, `b`, `c`": the names
        // are every other piece between backquotes.
        let expected = rest
            .strip_prefix(", expected ")
            .map(|list| list.split('`').skip(1).step_by(2).collect::<Vec<_>>().join(", "));
        match expected {
            Some(list) => format!("unknown field {name:?}; expected one of: {list}"),
            None => format!("unknown field {name:?}; this table takes no fields"),
        }
    }
}

/// The required, non-empty `name` at `field` (empty when it is missing or blank, each
/// reported; `hint` follows "missing").
fn name_at(cx: &mut Cx, field: &str, name: Option<&shape::Str>, hint: &str) -> String {
    match name {
        Some(shape::Str(n)) if !n.trim().is_empty() => {
            // Names are printed in tables, logs and charts (see `cs_core::config::name_problem`).
            if let Some(why) = cs_core::config::name_problem(n) {
                cx.add(field, why);
            }
            n.clone()
        }
        Some(_) => {
            cx.add(field, "is empty");
            String::new()
        }
        None => {
            cx.add(field, format!("missing{hint}"));
            String::new()
        }
    }
}

fn num(n: Option<&shape::Num>) -> Option<f64> {
    n.map(|n| n.0)
}

fn parse(file: &shape::File, cx: &mut Cx) -> RawScenario {
    let name = name_at(cx, "name", file.name.as_ref(), "; every scenario needs a name");
    let seed = match file.seed.as_ref().map(|s| s.0) {
        Some(s) if s < 0 => {
            cx.add("seed", format!("{s} is negative; seeds are integers from 0 to {}", i64::MAX));
            0
        }
        Some(s) => s as u64,
        None => 0,
    };
    let start_text = match &file.start {
        None => Some(DEFAULT_START.to_owned()),
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Datetime(d)) => Some(d.to_string()),
        Some(v) => {
            cx.add("start", format!("expected an RFC 3339 time, found {}", v.type_str()));
            None
        }
    };
    let start = start_text.and_then(|s| match Timestamp::parse(&s) {
        Ok(t) if s.trim().parse::<i64>().is_ok() => {
            cx.add("start", format!("{s:?} is a number; write an RFC 3339 time such as {DEFAULT_START}"));
            Some(t)
        }
        Ok(t) if t.ms() < 0 => {
            cx.add("start", format!("{s:?} is before 1970-01-01T00:00:00Z, where the engine's clock starts"));
            None
        }
        Ok(t) => Some(t),
        Err(e) => {
            cx.add("start", e.to_string());
            None
        }
    });
    let duration_s = at_least(cx, "duration_s", num(file.duration_s.as_ref()), 0.0, true);
    if file.duration_s.is_none() {
        cx.add("duration_s", "missing; how many seconds to simulate");
    }
    if let Some(d) = duration_s
        && d > DURATION_S_MAX
    {
        cx.add(
            "duration_s",
            format!(
                "{} s is more than 31 days ({DURATION_S_MAX} s), the span of metric intervals the engine keeps",
                fmt_num(d)
            ),
        );
    } else if let (Some(t), Some(d)) = (start, duration_s)
        && t.ms().saturating_add(crate::dist::to_ms(d)) > LAST_MS
    {
        cx.add(
            "start",
            format!("{t} plus duration_s ({} s) ends after the year 9999, past what event logs can write", fmt_num(d)),
        );
    }
    let warmup_s = at_least(cx, "warmup_s", num(file.warmup_s.as_ref()), 0.0, false).unwrap_or(0.0);
    if let Some(d) = duration_s
        && d <= DURATION_S_MAX
    {
        if crate::dist::to_ms(d) == 0 {
            cx.add(
                "duration_s",
                format!("{} s is under a millisecond, the simulator's clock: nothing would run", fmt_num(d)),
            );
        } else if warmup_s >= d {
            cx.add(
                "warmup_s",
                format!(
                    "{} s is not shorter than duration_s ({} s): nothing would be measured",
                    fmt_num(warmup_s),
                    fmt_num(d)
                ),
            );
        } else if let Some(start) = start {
            let from = align_up(start.plus_ms(crate::dist::to_ms(warmup_s)));
            let end = start.plus_ms(crate::dist::to_ms(d));
            let first = align_up(start);
            if first >= end {
                // Not the warm-up's doing: the run ends before the first boundary where
                // figures could start, warm-up or none.
                cx.add(
                    "duration_s",
                    format!(
                        "the run ends ({end}) before the first 15-minute boundary ({first}), where the figures \
                         start: nothing would be measured; run longer or start at a boundary"
                    ),
                );
            } else if from >= end {
                cx.add(
                    "warmup_s",
                    format!(
                        "{} s, rounded up to the next 15-minute boundary ({from}), reaches the end ({end}): \
                         nothing would be measured",
                        fmt_num(warmup_s)
                    ),
                );
            }
        }
    }
    let target_s = at_least(cx, "service_level_target_s", num(file.service_level_target_s.as_ref()), 0.0, false)
        .unwrap_or(DEFAULT_SERVICE_LEVEL_TARGET_S);
    let replications = match file.replications.as_ref().map(|r| r.0) {
        None => 1,
        Some(r) if r >= 1 && r <= i64::from(REPLICATIONS_MAX) => r as u32,
        Some(r) => {
            cx.add("replications", format!("{r} must be between 1 and {REPLICATIONS_MAX}"));
            1
        }
    };
    let pool = match file.customers.as_ref().and_then(|c| c.pool.as_ref()).map(|p| p.0) {
        None => DEFAULT_CUSTOMER_POOL,
        Some(p) if (1..=10_000_000).contains(&p) => p as u32,
        Some(p) => {
            cx.add("customers.pool", format!("{p} must be between 1 and 10000000"));
            DEFAULT_CUSTOMER_POOL
        }
    };
    let engine = file.engine.clone().unwrap_or_default();
    for (k, why) in [
        ("queues", "queues are defined by [[queues]] in the scenario"),
        ("teams", "teams are defined by [[teams]] in the scenario"),
        ("skills", "skills come from the queues' and teams' skills"),
    ] {
        if engine.contains_key(k) {
            cx.add(format!("engine.{k}"), why);
        }
    }

    let mut queues = Vec::new();
    match &file.queues {
        None => cx.add("queues", "missing; at least one [[queues]] is required"),
        Some(a) if a.is_empty() => cx.add("queues", "is empty; at least one queue is required"),
        Some(a) => {
            for (i, q) in a.iter().enumerate() {
                queues.push(parse_queue(q, &format!("queues[{i}]"), cx));
            }
        }
    }
    for i in 0..queues.len() {
        if !queues[i].name.is_empty() && queues[..i].iter().any(|q| q.name == queues[i].name) {
            cx.add(format!("queues[{i}].name"), format!("duplicate queue {:?}", queues[i].name));
        }
    }

    let mut teams = Vec::new();
    match &file.teams {
        None => cx.add("teams", "missing; at least one [[teams]] is required to serve the queues"),
        Some(a) => {
            for (i, t) in a.iter().enumerate() {
                // Shift overlaps are checked over the run (or 31 days if it is longer,
                // which is refused above).
                let horizon = duration_s.unwrap_or(0.0).min(DURATION_S_MAX);
                let before = teams.iter().map(|t: &RawTeam| t.agents_n).sum();
                teams.push(parse_team(t, &format!("teams[{i}]"), horizon, before, cx));
            }
        }
    }
    let mut seen: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for (i, t) in teams.iter().enumerate() {
        let duplicate = !t.name.is_empty() && teams[..i].iter().any(|u| u.name == t.name);
        if duplicate {
            cx.add(format!("teams[{i}].name"), format!("duplicate team {:?}", t.name));
        }
        // Agents named after their team clash once per team, not once per agent: with a
        // duplicate team name, not at all (the name is the problem, already said).
        let mut clashed = duplicate && t.agents_field == "agents";
        for (j, key) in t.agents.iter().enumerate() {
            if let Some(&other) = seen.get(key.as_str()) {
                if clashed {
                    continue;
                }
                let field = if t.agents_field == "named" {
                    format!("teams[{i}].named[{j}]")
                } else {
                    clashed = true;
                    format!("teams[{i}].agents")
                };
                cx.add(
                    field,
                    format!("agent {key:?} is already an agent of teams[{other}]; agent names must be unique"),
                );
            } else {
                seen.insert(key, i);
            }
        }
    }
    let agents_n: usize = teams.iter().map(|t| t.agents_n).sum();
    if agents_n > AGENTS_MAX {
        cx.add("teams", format!("{agents_n} agents in all; at most {AGENTS_MAX}"));
    }

    RawScenario { name, seed, start, duration_s, warmup_s, target_s, replications, pool, queues, teams, engine }
}

fn parse_skill_levels(cx: &mut Cx, field: &str, v: Option<&Value>, allow_list: bool) -> Vec<(String, u8)> {
    let mut out = Vec::new();
    match v {
        None => {}
        Some(Value::Array(a)) if allow_list => {
            for (j, v) in a.iter().enumerate() {
                match v.as_str() {
                    Some(s) if !s.trim().is_empty() => out.push((s.to_owned(), 1)),
                    Some(_) => cx.add(format!("{field}[{j}]"), "skill name is empty"),
                    None => cx.add(format!("{field}[{j}]"), format!("expected a skill name, found {}", v.type_str())),
                }
            }
        }
        Some(Value::Table(t)) => {
            for (name, v) in t {
                let f = format!("{field}.{name}");
                match v.as_integer() {
                    Some(l) if (1..=i64::from(cs_core::skill::PROFICIENCY_MAX)).contains(&l) => {
                        out.push((name.clone(), l as u8));
                    }
                    Some(l) => cx.add(f, format!("proficiency {l} is outside 1..={}", cs_core::skill::PROFICIENCY_MAX)),
                    None => cx.add(f, format!("expected a proficiency from 1 to 5, found {}", v.type_str())),
                }
            }
        }
        Some(v) => cx.add(
            field,
            if allow_list {
                format!("expected a list of skills or a table of skill = minimum proficiency, found {}", v.type_str())
            } else {
                format!("expected a table of skill = proficiency, found {}", v.type_str())
            },
        ),
    }
    out
}

fn parse_channel(cx: &mut Cx, field: &str, s: &str) -> Option<Channel> {
    let c = Channel::parse(s);
    if c.is_none() {
        cx.add(field, format!("unknown channel {s:?}; expected one of: {}", CHANNEL_NAMES.join(", ")));
    }
    c
}

fn parse_queue(q: &shape::Queue, path: &str, cx: &mut Cx) -> RawQueue {
    let field = |key: &str| join(path, key);
    let name = name_at(cx, &field("name"), q.name.as_ref(), "");
    let channel = q.channel.as_ref().and_then(|s| parse_channel(cx, &field("channel"), &s.0));
    if q.channel.is_none() {
        cx.add(field("channel"), format!("missing; one of: {}", CHANNEL_NAMES.join(", ")));
    }
    let skills = parse_skill_levels(cx, &field("skills"), q.skills.as_ref(), true);
    let arrivals = match &q.arrivals {
        Some(t) => parse_arrivals(t, &field("arrivals"), cx),
        None => {
            cx.add(field("arrivals"), "missing; e.g. arrivals = { kind = \"poisson\", per_hour = 100 }");
            None
        }
    };
    let handle = match &q.handle_time {
        Some(v) => parse_dist(cx, v, &field("handle_time"), false).flatten(),
        None => {
            cx.add(field("handle_time"), "missing; e.g. handle_time = { kind = \"exponential\", mean_s = 300 }");
            None
        }
    };
    let mut handle_by_category = Vec::new();
    if let Some(t) = &q.handle_time_by_category {
        for (cat, v) in t {
            let f = format!("{}.{cat}", field("handle_time_by_category"));
            if cat.trim().is_empty() {
                cx.add(f.clone(), "category name is empty");
            }
            if let Some(Some(d)) = parse_dist(cx, v, &f, false) {
                handle_by_category.push((cat.clone(), d));
            }
        }
    }
    let patience = q.patience.as_ref().and_then(|v| parse_dist(cx, v, &field("patience"), true)).flatten();
    let mix = q.mix.as_ref().map(|m| parse_mix(m, &field("mix"), cx)).unwrap_or_default();
    let bot = q.bot.as_ref().and_then(|b| {
        let f = |key: &str| join(&field("bot"), key);
        let deflection = probability(cx, &f("deflection"), num(b.deflection.as_ref()));
        if b.deflection.is_none() {
            cx.add(f("deflection"), "missing; the probability that the bot resolves the conversation itself");
        }
        let time = match &b.time {
            Some(v) => parse_dist(cx, v, &f("time"), false).flatten(),
            None => {
                cx.add(f("time"), "missing; how long the bot converses, e.g. { kind = \"exponential\", mean_s = 60 }");
                None
            }
        };
        Some(Bot { deflection: deflection?, time: time? })
    });
    let first_reply = q.first_reply.as_ref().and_then(|v| parse_dist(cx, v, &field("first_reply"), true));
    let conversation = q.conversation.as_ref().and_then(|c| parse_conversation(c, &field("conversation"), cx));
    let reopen = q.reopen.as_ref().and_then(|r| parse_reopen(r, &field("reopen"), cx));
    let transfer = q.transfer.as_ref().and_then(|t| {
        let f = |key: &str| join(&field("transfer"), key);
        let share = probability(cx, &f("share"), num(t.share.as_ref()));
        if t.share.is_none() {
            cx.add(f("share"), "missing; the probability that the agent transfers a ticket instead of resolving it");
        }
        let to = t.to.as_ref().map(|s| s.0.clone());
        if t.to.is_none() {
            cx.add(f("to"), "missing; the name of the queue tickets are transferred to");
        }
        Some((share?, to?))
    });
    let engine = q.engine.clone().unwrap_or_default();
    // Everything else passes through (`service_level_s` there overrides
    // `service_level_target_s` for this queue).
    for (k, why) in [("name", "the queue's name is its `name`"), ("skills", "the queue's skills are its `skills`")] {
        if engine.contains_key(k) {
            cx.add(format!("{}.{k}", field("engine")), format!("not allowed here; {why}"));
        }
    }
    RawQueue {
        name,
        channel,
        skills,
        arrivals,
        handle,
        handle_by_category,
        patience,
        mix,
        bot,
        first_reply,
        conversation,
        reopen,
        transfer,
        engine,
    }
}

/// The most follow-up messages one ticket may have: a conversation longer than this is a
/// different model, not back-and-forth.
pub const CONVERSATION_MESSAGES_MAX: i64 = 50;

fn parse_conversation(c: &shape::Conversation, path: &str, cx: &mut Cx) -> Option<(f64, u8, Dist, Option<Dist>, bool)> {
    let field = |key: &str| join(path, key);
    let share = probability(cx, &field("share"), num(c.share.as_ref()));
    if c.share.is_none() {
        cx.add(field("share"), "missing; the probability that a ticket's customer writes again after a reply");
    }
    let messages = match c.messages.as_ref().map(|m| m.0) {
        None => 1,
        Some(m) if (1..=CONVERSATION_MESSAGES_MAX).contains(&m) => m as u8,
        Some(m) => {
            cx.add(field("messages"), format!("{m} must be between 1 and {CONVERSATION_MESSAGES_MAX}"));
            1
        }
    };
    let delay = match &c.delay {
        Some(v) => parse_dist(cx, v, &field("delay"), false).flatten(),
        None => {
            cx.add(
                field("delay"),
                "missing; how long the customer takes to write again, e.g. { kind = \"exponential\", mean_s = 120 }",
            );
            None
        }
    };
    let reply = c.reply.as_ref().and_then(|v| parse_dist(cx, v, &field("reply"), false).flatten());
    let pending = c.pending.as_ref().is_some_and(|p| p.0);
    Some((share?, messages, delay?, reply, pending))
}

fn parse_reopen(r: &shape::Reopen, path: &str, cx: &mut Cx) -> Option<Reopen> {
    let field = |key: &str| join(path, key);
    let share = match &r.share {
        Some(n) => probability(cx, &field("share"), Some(n.0))?,
        None => 0.0,
    };
    let follow_up_share = match &r.follow_up_share {
        Some(n) => probability(cx, &field("follow_up_share"), Some(n.0))?,
        None => 0.0,
    };
    let after = r.after.as_ref().and_then(|v| parse_dist(cx, v, &field("after"), false).flatten());
    if share > 0.0 && r.after.is_none() {
        cx.add(
            field("after"),
            "missing; how long after resolution customers reopen, e.g. { kind = \"exponential\", mean_s = 7200 }",
        );
        return None;
    }
    if r.share.is_none() && r.follow_up_share.is_none() {
        cx.add(path, "gives neither share nor follow_up_share; nobody would reopen");
        return None;
    }
    Some(Reopen { share, after, follow_up_share })
}

/// A TOML integer or float as `f64`.
fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Float(x) => Some(*x),
        _ => None,
    }
}

/// Reads `v`, found at `path`, as the shape `T`; or records its first shape problem (an
/// unknown key, a value of the wrong type) at that problem's path.
fn read_shape<T: serde::de::DeserializeOwned>(cx: &mut Cx, path: &str, v: &Value) -> Option<T> {
    match serde_path_to_error::deserialize(v.clone()) {
        Ok(t) => Some(t),
        Err(e) => {
            let inner = e.path().to_string();
            let field = if inner == "." {
                path.to_owned()
            } else if inner.starts_with('[') {
                format!("{path}{inner}")
            } else {
                join(path, &inner)
            };
            cx.add(field, shape::message(e.inner().message()));
            None
        }
    }
}

/// The tables chosen by their `kind` (distributions, arrival models) are read by serde once
/// their kind is known: this finds the first shape problem among them (a value that is not
/// a table, a `kind` that is not a string, an unknown key, a value of the wrong type), in
/// file order, so that it stops loading as any other shape problem does.
fn kind_shapes(file: &shape::File, cx: &mut Cx) {
    fn check<T: serde::de::DeserializeOwned>(cx: &mut Cx, path: &str, v: &Value) {
        let _: Option<T> = read_shape(cx, path, v);
    }
    fn dist(cx: &mut Cx, path: &str, v: Option<&Value>, allow_none: bool) {
        let Some(v) = v else { return };
        if !cx.problems.is_empty() {
            return;
        }
        let Value::Table(t) = v else {
            cx.add(
                path,
                format!("expected a table such as {{ kind = \"exponential\", mean_s = 60 }}, found {}", v.type_str()),
            );
            return;
        };
        match t.get("kind") {
            Some(Value::String(k)) => match k.as_str() {
                "exponential" => check::<shape::Exponential>(cx, path, v),
                "lognormal" => check::<shape::Lognormal>(cx, path, v),
                "fixed" => check::<shape::Fixed>(cx, path, v),
                "empirical" => check::<shape::Empirical>(cx, path, v),
                "none" if allow_none => check::<shape::NoDist>(cx, path, v),
                _ => {}
            },
            Some(k) => cx.add(join(path, "kind"), format!("expected a string, found {}", k.type_str())),
            None => {}
        }
    }
    for (i, q) in file.queues.iter().flatten().enumerate() {
        let at = |key: &str| format!("queues[{i}].{key}");
        if let Some(t) = &q.arrivals
            && cx.problems.is_empty()
        {
            let v = Value::Table(t.clone());
            match t.get("kind") {
                Some(Value::String(k)) if k == "poisson" => check::<shape::Poisson>(cx, &at("arrivals"), &v),
                Some(Value::String(k)) if k == "profile" => check::<shape::Profile>(cx, &at("arrivals"), &v),
                Some(Value::String(_)) | None => {}
                Some(k) => cx.add(at("arrivals.kind"), format!("expected a string, found {}", k.type_str())),
            }
        }
        dist(cx, &at("handle_time"), q.handle_time.as_ref(), false);
        for (cat, v) in q.handle_time_by_category.iter().flatten() {
            dist(cx, &format!("{}.{cat}", at("handle_time_by_category")), Some(v), false);
        }
        dist(cx, &at("patience"), q.patience.as_ref(), true);
        dist(cx, &at("bot.time"), q.bot.as_ref().and_then(|b| b.time.as_ref()), false);
        dist(cx, &at("first_reply"), q.first_reply.as_ref(), true);
        if let Some(c) = &q.conversation {
            dist(cx, &at("conversation.delay"), c.delay.as_ref(), false);
            dist(cx, &at("conversation.reply"), c.reply.as_ref(), false);
        }
        dist(cx, &at("reopen.after"), q.reopen.as_ref().and_then(|r| r.after.as_ref()), false);
    }
}

/// The `kind` of a table chosen by it, or a problem (`kinds` lists them for "missing").
fn kind_of<'t>(cx: &mut Cx, t: &'t Table, path: &str, kinds: &[&str]) -> Option<&'t str> {
    match t.get("kind") {
        Some(Value::String(k)) => Some(k),
        Some(v) => {
            cx.add(join(path, "kind"), format!("expected a string, found {}", v.type_str()));
            None
        }
        None => {
            cx.add(join(path, "kind"), format!("missing; one of: {}", kinds.join(", ")));
            None
        }
    }
}

/// Records `key` at `path` as missing (`hint` follows "missing") when `v` is `None`.
fn require<T>(cx: &mut Cx, path: &str, key: &str, v: Option<&T>, hint: &str) {
    if v.is_none() {
        cx.add(join(path, key), format!("missing{hint}"));
    }
}

/// Parses a distribution; `Some(None)` is an explicit `kind = "none"` (patience only).
fn parse_dist(cx: &mut Cx, v: &Value, path: &str, allow_none: bool) -> Option<Option<Dist>> {
    let Value::Table(t) = v else {
        cx.add(
            path,
            format!("expected a table such as {{ kind = \"exponential\", mean_s = 60 }}, found {}", v.type_str()),
        );
        return None;
    };
    let field = |key: &str| join(path, key);
    let kinds: Vec<&str> = if allow_none { [DIST_KINDS, &["none"]].concat() } else { DIST_KINDS.to_vec() };
    let kind = kind_of(cx, t, path, &kinds)?;
    match kind {
        "exponential" => {
            let d: shape::Exponential = read_shape(cx, path, v)?;
            let mean = at_least(cx, &field("mean_s"), num(d.mean_s.as_ref()), 0.0, true);
            require(cx, path, "mean_s", d.mean_s.as_ref(), "");
            Some(Some(Dist::Exponential { mean_s: mean? }))
        }
        "lognormal" => {
            let d: shape::Lognormal = read_shape(cx, path, v)?;
            let mean = at_least(cx, &field("mean_s"), num(d.mean_s.as_ref()), 0.0, true);
            let sd = at_least(cx, &field("sd_s"), num(d.sd_s.as_ref()), 0.0, false);
            require(cx, path, "mean_s", d.mean_s.as_ref(), "");
            require(cx, path, "sd_s", d.sd_s.as_ref(), "");
            let (mean, sd) = (mean?, sd?);
            if sd > LOGNORMAL_SPREAD_MAX * mean {
                cx.add(
                    field("sd_s"),
                    format!(
                        "{} is more than {LOGNORMAL_SPREAD_MAX} times mean_s ({}): a log-normal that wide has its \
                         median below a hundredth of its mean and half of its mean in draws rarer than 1 in 800, so \
                         no run would show the mean it states (most draws would round to almost nothing); give an \
                         sd_s of at most {}",
                        fmt_num(sd),
                        fmt_num(mean),
                        fmt_num(LOGNORMAL_SPREAD_MAX * mean)
                    ),
                );
                return None;
            }
            Some(Some(Dist::lognormal(mean, sd)))
        }
        "fixed" => {
            let d: shape::Fixed = read_shape(cx, path, v)?;
            let s = at_least(cx, &field("s"), num(d.s.as_ref()), 0.0, false);
            require(cx, path, "s", d.s.as_ref(), "");
            Some(Some(Dist::Fixed { s: s? }))
        }
        "empirical" => {
            let d: shape::Empirical = read_shape(cx, path, v)?;
            let Some(a) = d.values_s else {
                require(cx, path, "values_s", None::<&()>, "; a list of observed durations in seconds");
                return None;
            };
            if a.is_empty() {
                cx.add(field("values_s"), "is empty; give at least one value");
                return None;
            }
            if a.len() > 1_000_000 {
                cx.add(field("values_s"), format!("{} values; at most 1000000", a.len()));
                return None;
            }
            let mut values = Vec::with_capacity(a.len());
            let mut ok = true;
            for (j, n) in a.iter().enumerate() {
                match at_least(cx, &format!("{}[{j}]", field("values_s")), Some(n.0), 0.0, false) {
                    Some(x) => values.push(x),
                    None => ok = false,
                }
            }
            ok.then_some(Some(Dist::Empirical { values_s: values }))
        }
        "none" if allow_none => {
            let _: shape::NoDist = read_shape(cx, path, v)?;
            Some(None)
        }
        other => {
            cx.add(field("kind"), format!("unknown kind {other:?}; expected one of: {}", kinds.join(", ")));
            None
        }
    }
}

/// Reads a queue's surges, each checked; `None` if any is wrong.
fn parse_surges(cx: &mut Cx, path: &str, surges: Option<&[shape::Surge]>) -> Option<Vec<Surge>> {
    let mut out = Vec::new();
    let mut ok = true;
    for (j, s) in surges.unwrap_or_default().iter().enumerate() {
        let at = format!("{}[{j}]", join(path, "surges"));
        let field = |key: &str| join(&at, key);
        let start = at_least(cx, &field("start_s"), num(s.start_s.as_ref()), 0.0, false);
        let duration = at_least(cx, &field("duration_s"), num(s.duration_s.as_ref()), 0.0, true);
        let multiplier = at_least(cx, &field("multiplier"), num(s.multiplier.as_ref()), 0.0, false);
        require(cx, &at, "start_s", s.start_s.as_ref(), "");
        require(cx, &at, "duration_s", s.duration_s.as_ref(), "");
        require(cx, &at, "multiplier", s.multiplier.as_ref(), "");
        match (start, duration, multiplier) {
            (Some(start_s), Some(d), Some(multiplier)) => {
                out.push(Surge { start_s, end_s: start_s + d, multiplier });
            }
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

fn parse_arrivals(t: &Table, path: &str, cx: &mut Cx) -> Option<RateModel> {
    let field = |key: &str| join(path, key);
    let kind = kind_of(cx, t, path, &["poisson", "profile"])?;
    let v = Value::Table(t.clone());
    let per_hour = |cx: &mut Cx, field: &str, v: Option<f64>| at_least(cx, field, v, 0.0, false).map(|r| r / 3600.0);
    let (base, surges) = match kind {
        "poisson" => {
            let a: shape::Poisson = read_shape(cx, path, &v)?;
            require(cx, path, "per_hour", a.per_hour.as_ref(), "; arrivals per hour");
            let base = at_least(cx, &field("per_hour"), num(a.per_hour.as_ref()), 0.0, false)
                .map(|r| BaseRate::Constant(r / 3600.0));
            (base, parse_surges(cx, path, a.surges.as_deref()))
        }
        "profile" => {
            let a: shape::Profile = read_shape(cx, path, &v)?;
            let base = match (&a.per_hour, &a.points) {
                (Some(_), Some(_)) => {
                    cx.add(path, "give either per_hour (24 hourly rates) or points, not both");
                    None
                }
                (None, None) => {
                    cx.add(path, "a profile needs per_hour (24 hourly rates) or points = [{ at_s, per_hour }, ...]");
                    None
                }
                (Some(a), None) if a.len() != 24 => {
                    cx.add(field("per_hour"), format!("{} values; a daily profile has 24 (one per hour)", a.len()));
                    None
                }
                (Some(a), None) => {
                    let mut rates = [0.0; 24];
                    let mut ok = true;
                    for (h, n) in a.iter().enumerate() {
                        match per_hour(cx, &format!("{}[{h}]", field("per_hour")), Some(n.0)) {
                            Some(r) => rates[h] = r,
                            None => ok = false,
                        }
                    }
                    ok.then_some(BaseRate::Hourly(rates))
                }
                (None, Some(a)) if a.is_empty() => {
                    cx.add(field("points"), "is empty");
                    None
                }
                (None, Some(a)) => {
                    let mut points: Vec<(f64, f64)> = Vec::new();
                    let mut ok = true;
                    for (j, p) in a.iter().enumerate() {
                        let at_path = format!("{}[{j}]", field("points"));
                        let pf = |key: &str| join(&at_path, key);
                        let at = at_least(cx, &pf("at_s"), num(p.at_s.as_ref()), 0.0, false);
                        let rate =
                            at_least(cx, &pf("per_hour"), num(p.per_hour.as_ref()), 0.0, false).map(|r| r / 3600.0);
                        require(cx, &at_path, "at_s", p.at_s.as_ref(), "");
                        require(cx, &at_path, "per_hour", p.per_hour.as_ref(), "");
                        match (at, rate) {
                            (Some(at), _) if at >= DAY_S => {
                                cx.add(pf("at_s"), format!("{} s is not within the day (below 86400)", fmt_num(at)));
                                ok = false;
                            }
                            (Some(at), _) if points.last().is_some_and(|&(prev, _)| at <= prev) => {
                                cx.add(
                                    pf("at_s"),
                                    format!(
                                        "{} s is not after the previous point; points must be in time order",
                                        fmt_num(at)
                                    ),
                                );
                                ok = false;
                            }
                            (Some(at), Some(rate)) => points.push((at, rate)),
                            _ => ok = false,
                        }
                    }
                    ok.then_some(BaseRate::Points(points))
                }
            };
            (base, parse_surges(cx, path, a.surges.as_deref()))
        }
        other => {
            cx.add(field("kind"), format!("unknown kind {other:?}; expected one of: poisson, profile"));
            if let Some(n) = t.get("per_hour").and_then(as_number) {
                let _ = at_least(cx, &field("per_hour"), Some(n), 0.0, false);
            }
            return None;
        }
    };
    let (base, surges) = (base?, surges?);
    let model = RateModel { base, surges };
    let peak = model.peak_bound_per_s() * 3600.0;
    if peak > RATE_MAX_PER_HOUR {
        let reaches = if peak.is_finite() {
            format!("the rate reaches {peak:.3e} per hour (its highest base rate times its surges' multipliers)")
        } else {
            "the surges' multipliers times the base rate overflow (not a finite number)".to_owned()
        };
        let max = fmt_num(RATE_MAX_PER_HOUR);
        cx.add(path, format!("{reaches}; at most {max} per hour (one arrival per millisecond, the simulator's clock)"));
        return None;
    }
    Some(model)
}

/// The largest scenario or config file read: far above any real one (a profile of a point
/// per second of the day is 3 MB), and a bound on what reading a wrong path (a device, a
/// log) can take.
pub const FILE_BYTES_MAX: u64 = 64 << 20;

/// Why a scenario or config file's text could not be read ([`read_text`]). Its message
/// follows the file's name.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// It cannot be opened or read, or it is not UTF-8 text (an [`std::io::ErrorKind::InvalidData`]).
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    /// It is larger than the most a scenario or config may be.
    #[error("is larger than {} MiB; is it the right file?", .max_bytes >> 20)]
    TooLarge {
        /// The most it may be ([`FILE_BYTES_MAX`]).
        max_bytes: u64,
    },
}

/// A scenario or config file's text, read to at most [`FILE_BYTES_MAX`] bytes.
///
/// # Errors
/// [`ReadError`]: it cannot be opened or read, it is larger, or it is not UTF-8 text.
pub fn read_text(path: &Path) -> Result<String, ReadError> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let mut text = String::new();
    file.take(FILE_BYTES_MAX + 1).read_to_string(&mut text)?;
    if text.len() as u64 > FILE_BYTES_MAX {
        return Err(ReadError::TooLarge { max_bytes: FILE_BYTES_MAX });
    }
    Ok(text)
}

/// The last millisecond of the year 9999: runs end by then (later times have no four-digit
/// year to write in an event log).
const LAST_MS: i64 = 253_402_300_799_999;

/// The highest arrival rate a queue may have, per hour: one per millisecond, the resolution
/// of simulated time (faster arrivals could not be told apart).
pub const RATE_MAX_PER_HOUR: f64 = 3_600_000.0;

fn parse_shares<T>(
    t: Option<&Table>,
    field: &str,
    cx: &mut Cx,
    parse: impl Fn(&str) -> Option<T>,
    known: &str,
) -> Vec<(f64, T)> {
    let Some(t) = t else { return Vec::new() };
    let mut out = Vec::new();
    let mut total = 0.0;
    let mut ok = true;
    for (name, v) in t {
        let f = format!("{field}.{name}");
        let p = match v {
            Value::Integer(i) => Some(*i as f64),
            Value::Float(x) => Some(*x),
            v => {
                cx.add(f.clone(), format!("expected a probability, found {}", v.type_str()));
                None
            }
        };
        let p = probability(cx, &f, p);
        let value = parse(name);
        if value.is_none() {
            if known.is_empty() {
                cx.add(f.clone(), "name is empty");
            } else {
                cx.add(f.clone(), format!("unknown {name:?}; expected one of: {known}"));
            }
        }
        match (p, value) {
            (Some(p), Some(v)) => {
                total += p;
                out.push((p, v));
            }
            _ => ok = false,
        }
    }
    if t.is_empty() {
        cx.add(field, "is empty; omit it for the default");
        return Vec::new();
    }
    if ok && (total - 1.0).abs() > 1e-6 {
        cx.add(field, format!("probabilities sum to {total}, not 1"));
        return Vec::new();
    }
    if ok { out } else { Vec::new() }
}

/// Shares over one of the core's named levels (tiers, urgencies, emotions).
fn parse_level_shares<T: Copy>(
    t: Option<&Table>,
    field: &str,
    cx: &mut Cx,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Vec<(f64, T)> {
    let names: Vec<&str> = all.iter().map(|&l| name(l)).collect();
    parse_shares(t, field, cx, |s| parse_name(s, &names).map(|i| all[i]), &names.join(", "))
}

fn parse_mix(m: &shape::Mix, path: &str, cx: &mut Cx) -> RawMix {
    let field = |key: &str| join(path, key);
    let tiers = parse_level_shares(m.tiers.as_ref(), &field("tiers"), cx, CustomerTier::ALL, CustomerTier::name);
    let urgencies = parse_level_shares(m.urgencies.as_ref(), &field("urgencies"), cx, Urgency::ALL, Urgency::name);
    let emotions = parse_level_shares(m.emotions.as_ref(), &field("emotions"), cx, Emotion::ALL, Emotion::name);
    let nonempty = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
    let categories = parse_shares(m.categories.as_ref(), &field("categories"), cx, nonempty, "");
    let languages = parse_shares(m.languages.as_ref(), &field("languages"), cx, nonempty, "");
    let repeat_share = probability(cx, &field("repeat_share"), num(m.repeat_share.as_ref())).unwrap_or(0.0);
    RawMix { tiers, urgencies, emotions, categories, languages, repeat_share }
}

fn parse_team(t: &shape::Team, path: &str, duration_s: f64, agents_before: usize, cx: &mut Cx) -> RawTeam {
    let field = |key: &str| join(path, key);
    let name = name_at(cx, &field("name"), t.name.as_ref(), "");
    let mut asked = 0;
    let (agents, agents_field) = match (&t.agents, &t.named) {
        (Some(_), Some(_)) => {
            cx.add(path, "give either agents (a count) or named (a list of agent names), not both");
            (Vec::new(), "agents")
        }
        (None, None) => {
            cx.add(field("agents"), "missing; give agents = N or named = [\"ann\", ...]");
            (Vec::new(), "agents")
        }
        (Some(n), None) => match Some(n.0) {
            Some(n) if (0..=AGENTS_MAX as i64).contains(&n) => {
                // Limits before building: past the scenario's limit, one name more than
                // the limit allows is enough to be refused (and to look staffed).
                let made = (n as usize).min((AGENTS_MAX + 1).saturating_sub(agents_before).max(1));
                asked = n as usize;
                ((1..=made).map(|i| format!("{name}-{i}")).collect(), "agents")
            }
            Some(n) => {
                cx.add(field("agents"), format!("{n} must be between 0 and {AGENTS_MAX}"));
                (Vec::new(), "agents")
            }
            None => (Vec::new(), "agents"),
        },
        (None, Some(named)) => {
            let mut keys: Vec<String> = Vec::new();
            for (j, shape::Str(s)) in named.iter().enumerate() {
                let f = format!("{}[{j}]", field("named"));
                match s {
                    s if s.trim().is_empty() => cx.add(f, "agent name is empty"),
                    s if cs_core::config::name_problem(s).is_some() => {
                        cx.add(f, cs_core::config::name_problem(s).unwrap_or_default());
                    }
                    s if keys.iter().any(|k| k == s) => cx.add(f, format!("duplicate agent {s:?}")),
                    s => keys.push(s.clone()),
                }
            }
            (keys, "named")
        }
    };
    let skills = parse_skill_levels(cx, &field("skills"), t.skills.as_ref(), false);
    let mut languages = Vec::new();
    for (j, shape::Str(s)) in t.languages.iter().flatten().enumerate() {
        if s.trim().is_empty() {
            cx.add(format!("{}[{j}]", field("languages")), "expected a language name");
        } else {
            languages.push(s.clone());
        }
    }
    let mut capacity = Capacity::default();
    match &t.capacity {
        None => {
            cx.add(field("capacity"), "missing; tickets per channel at once, e.g. capacity = { chat = 3 }");
        }
        Some(c) => {
            let cpath = field("capacity");
            for (k, v) in c {
                let f = join(&cpath, k);
                if k == "units" {
                    match v.as_integer() {
                        Some(u) if (1..=i64::from(u16::MAX)).contains(&u) => capacity.units = Some(u as u16),
                        _ => cx.add(f, "expected a unit budget from 1 to 65535"),
                    }
                    continue;
                }
                let Some(ch) = Channel::parse(k) else {
                    cx.add(f, format!("unknown channel {k:?}; expected one of: {}, units", CHANNEL_NAMES.join(", ")));
                    continue;
                };
                match v.as_integer() {
                    Some(n) if (0..=255).contains(&n) => capacity.per_channel.set(ch, n as u8),
                    _ => cx.add(f, "expected a number of tickets from 0 to 255"),
                }
            }
            if capacity.per_channel.0.iter().all(|&n| n == 0) && !c.is_empty() {
                cx.add(cpath, "gives no capacity on any channel; the team could never take a ticket");
            }
        }
    }
    let tier = t.tier;
    let wrap_up_s = at_least(cx, &field("wrap_up_s"), num(t.wrap_up_s.as_ref()), 0.0, false);
    let at_shift_end = match t.at_shift_end.as_ref().map(|s| s.0.as_str()) {
        None | Some("finish") => AtShiftEnd::Finish,
        Some("hand_back") => AtShiftEnd::HandBack,
        Some(other) => {
            cx.add(field("at_shift_end"), format!("unknown value {other:?}; expected finish or hand_back"));
            AtShiftEnd::Finish
        }
    };
    let shifts = parse_shifts(t.shifts.as_deref(), &field("shifts"), cx, asked.max(agents.len()), duration_s);
    let engine = t.engine.clone().unwrap_or_default();
    if engine.contains_key("name") {
        cx.add(format!("{}.name", field("engine")), "not allowed here; the team's name is its `name`");
    }
    let agents_n = asked.max(agents.len());
    RawTeam {
        name,
        agents,
        agents_n,
        agents_field,
        skills,
        languages,
        capacity,
        tier,
        wrap_up_s,
        shifts,
        at_shift_end,
        engine,
    }
}

fn parse_shifts(a: Option<&[shape::Shift]>, path: &str, cx: &mut Cx, team_size: usize, duration_s: f64) -> Vec<Shift> {
    let mut shifts = Vec::new();
    let Some(a) = a else { return shifts };
    if a.is_empty() {
        cx.add(path, "is empty; omit shifts for agents working all the time");
    }
    // Where each valid shift is in the file.
    let mut places = Vec::new();
    for (j, shift) in a.iter().enumerate() {
        let at = format!("{path}[{j}]");
        let field = |key: &str| join(&at, key);
        let start = at_least(cx, &field("start_s"), num(shift.start_s.as_ref()), 0.0, false);
        let end = num(shift.end_s.as_ref());
        if shift.start_s.is_none() {
            cx.add(field("start_s"), "missing");
        }
        if shift.end_s.is_none() {
            cx.add(field("end_s"), "missing");
        }
        let daily = shift.daily.as_ref().is_none_or(|d| d.0);
        let agents = match shift.agents.as_ref().map(|n| n.0) {
            None => Some(team_size),
            Some(n) if n >= 1 && n as usize <= team_size => Some(n as usize),
            Some(n) => {
                cx.add(field("agents"), format!("{n} must be between 1 and the team's {team_size} agents"));
                None
            }
        };
        let (Some(start_s), Some(end_s), Some(agents)) = (start, end, agents) else {
            continue;
        };
        if !end_s.is_finite() {
            cx.add(field("end_s"), format!("{} is not finite", fmt_num(end_s)));
        } else if end_s <= start_s {
            let how = if end_s == start_s { "when" } else { "before" };
            cx.add(
                field("end_s"),
                format!("the shift ends ({} s) {how} it starts ({} s)", fmt_num(end_s), fmt_num(start_s)),
            );
        } else if daily && start_s >= DAY_S {
            cx.add(
                field("start_s"),
                format!("{} s is not within the day (below 86400) for a daily shift", fmt_num(start_s)),
            );
        } else if daily && end_s - start_s > DAY_S {
            cx.add(
                field("end_s"),
                format!("a daily shift lasts at most 86400 s; this one lasts {} s", fmt_num(end_s - start_s)),
            );
        } else if duration_s > 0.0 && start_s >= duration_s && !(daily && end_s > DAY_S) {
            // (A daily shift running past midnight is on from the start.)
            cx.add(
                field("start_s"),
                format!(
                    "{} s is at or after the end of the run (duration_s = {} s): the shift never comes",
                    fmt_num(start_s),
                    fmt_num(duration_s)
                ),
            );
        } else {
            shifts.push(Shift { start_s, end_s, daily, agents });
            places.push(j);
        }
    }
    {
        // No two shifts of a team may overlap: list every occurrence in the run, of the
        // shifts that are valid on their own (whatever is wrong with the others).
        let mut occ: Vec<(f64, f64, usize)> = Vec::new();
        let days = (duration_s / DAY_S).ceil() as i64 + 1;
        for (&j, s) in places.iter().zip(&shifts) {
            if s.daily {
                for d in -1..days {
                    occ.push((d as f64 * DAY_S + s.start_s, d as f64 * DAY_S + s.end_s, j));
                }
            } else {
                occ.push((s.start_s, s.end_s, j));
            }
        }
        occ.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)));
        let mut reported = std::collections::BTreeSet::new();
        for w in occ.windows(2) {
            let ((_, end_a, a), (start_b, _, b)) = (w[0], w[1]);
            if start_b < end_a && reported.insert((a.min(b), a.max(b))) {
                let (x, y) = (a.min(b), a.max(b));
                if x == y {
                    cx.add(format!("{path}[{x}]"), "a daily shift overlaps its own next occurrence");
                } else {
                    cx.add(format!("{path}[{y}]"), format!("overlaps shifts[{x}]; a team's shifts may not overlap"));
                }
            }
        }
    }
    shifts
}

// ---------------------------------------------------------------------------------------
// Building the engine configuration and the resolved models.
// ---------------------------------------------------------------------------------------

fn push_unique(list: &mut Vec<String>, name: &str) {
    if !list.iter().any(|n| n == name) {
        list.push(name.to_owned());
    }
}

/// The scenario field a key of a generated team table came from.
fn team_field(raw: &RawScenario, i: usize, key: &str, rest: &str) -> String {
    if raw.teams[i].engine.contains_key(key) {
        format!("teams[{i}].engine.{key}{rest}")
    } else {
        format!("teams[{i}].{key}{rest}")
    }
}

/// The scenario field a key of a generated queue table came from.
fn queue_field(raw: &RawScenario, i: usize, key: &str, rest: &str) -> String {
    if raw.queues[i].engine.contains_key(key) {
        return format!("queues[{i}].engine.{key}{rest}");
    }
    match key {
        "" => format!("queues[{i}]"),
        "name" | "skills" => format!("queues[{i}].{key}{rest}"),
        "channels" => format!("queues[{i}].channel"),
        "service_level_s" => "service_level_target_s".to_owned(),
        _ => format!("queues[{i}].engine.{key}{rest}"),
    }
}

/// Maps a core config problem path (`queues[1].overflow.teams[0]`) to the scenario field.
fn map_config_path(raw: &RawScenario, path: &str) -> String {
    fn indexed<'p>(path: &'p str, prefix: &str) -> Option<(usize, &'p str, &'p str)> {
        let rest = path.strip_prefix(prefix)?;
        let close = rest.find(']')?;
        let i: usize = rest[..close].parse().ok()?;
        let after = rest[close + 1..].strip_prefix('.').unwrap_or(&rest[close + 1..]);
        let cut = after.find(['.', '[']).unwrap_or(after.len());
        Some((i, &after[..cut], &after[cut..]))
    }
    if let Some((i, key, rest)) = indexed(path, "queues[")
        && i < raw.queues.len()
    {
        return queue_field(raw, i, key, rest);
    }
    if let Some((i, key, rest)) = indexed(path, "teams[")
        && i < raw.teams.len()
    {
        return if key.is_empty() { format!("teams[{i}]") } else { team_field(raw, i, key, rest) };
    }
    let cut = path.find(['.', '[']).unwrap_or(path.len());
    let key = &path[..cut];
    if raw.engine.contains_key(key) || !matches!(key, "skills" | "languages" | "categories") {
        format!("engine.{path}")
    } else {
        format!("{path} (generated from the queues and teams)")
    }
}

/// The longest follow-up delay the engine rules set (a queue's `follow_up_after_s`,
/// `follow_up_after_s_by_category`), seconds (0 if none).
fn longest_follow_up_s(spec: &ConfigSpec) -> f64 {
    spec.follow_up_after_s_by_category
        .values()
        .copied()
        .chain(spec.queues.iter().filter_map(|q| q.follow_up_after_s))
        .filter(|s| s.is_finite())
        .fold(0.0, f64::max)
}

/// The longest window the engine rules name (a queue's sticky `window_s`, a repeat-contact
/// rule's `window_s`), seconds (0 if none). A window the core gains goes here too.
fn longest_window_s(spec: &ConfigSpec) -> f64 {
    let sticky = spec.queues.iter().filter_map(|q| q.sticky.as_ref().map(|s| s.window_s));
    let rules = spec.escalation.iter().flat_map(|e| e.rules.iter().filter_map(|r| r.window_s));
    sticky.chain(rules).filter(|s| s.is_finite()).fold(0.0, f64::max)
}

/// Seconds as a whole `u32` limit, rounded up (and clamped).
fn limit_s(v: f64) -> u32 {
    (v.ceil() as i64).clamp(0, i64::from(u32::MAX)) as u32
}

/// A team's table for the core's `TeamSpec`: its generated keys (`name`, `tier`,
/// `wrap_up_s`) overlaid with its `engine` table (but `name`, refused there).
fn team_table(t: &RawTeam) -> Table {
    let mut tt = Table::new();
    tt.insert("name".into(), Value::String(t.name.clone()));
    if let Some(tier) = t.tier
        && let Ok(v) = Value::try_from(tier)
    {
        tt.insert("tier".into(), v);
    }
    if let Some(w) = t.wrap_up_s {
        tt.insert("wrap_up_s".into(), Value::Float(w));
    }
    for (k, v) in t.engine.iter().filter(|(k, _)| k.as_str() != "name") {
        tt.insert(k.clone(), v.clone());
    }
    tt
}

/// A queue's table for the core's `QueueSpec`: its generated keys (`name`, `channels`,
/// `skills`, `service_level_s`) overlaid with its `engine` table (but `name` and `skills`,
/// refused there).
fn queue_table(q: &RawQueue, service_level_s: f64) -> Table {
    let mut qt = Table::new();
    qt.insert("name".into(), Value::String(q.name.clone()));
    if let Some(channel) = q.channel {
        qt.insert("channels".into(), Value::Array(vec![Value::String(channel.name().into())]));
    }
    let mut needs = Table::new();
    for (s, l) in &q.skills {
        let l = needs.get(s).and_then(Value::as_integer).map_or(i64::from(*l), |old| old.max(i64::from(*l)));
        needs.insert(s.clone(), Value::Integer(l));
    }
    qt.insert("skills".into(), Value::Table(needs));
    qt.insert("service_level_s".into(), Value::Float(service_level_s));
    for (k, v) in q.engine.iter().filter(|(k, _)| !matches!(k.as_str(), "name" | "skills")) {
        qt.insert(k.clone(), v.clone());
    }
    qt
}

/// `[engine]` for the core's `ConfigSpec`: as written, but for the keys the scenario
/// generates (`queues`, `teams`, `skills`, refused there), with the required `skills` and
/// `queues` empty (filled from the scenario once read).
fn top_table(engine: &Table) -> Table {
    let mut top: Table = engine
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "queues" | "teams" | "skills"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    top.insert("skills".into(), Value::Array(Vec::new()));
    top.insert("queues".into(), Value::Array(Vec::new()));
    top
}

/// An engine table read into the core's type by [`read_core`].
struct CoreRead<T> {
    /// What its good keys read as; `None` for a problem with the table itself.
    value: Option<T>,
    /// The keys left out, each for a problem under it.
    left_out: Vec<String>,
}

/// Reads `table` into the core's `T` through `serde_path_to_error`, recording each
/// problem with the core's serde message at the scenario field that `field(key, rest)`
/// names: `key` is the key of `table` the problem is under and `rest` the path below it
/// (`("overflow", ".teams[0]")`; `("", "")` for the table itself). serde stops at a
/// table's first problem; so that every bad key is listed (keys are read in order, so
/// each problem is the one that key alone would give), the key is left out and the rest
/// read again.
fn read_core<T: serde::de::DeserializeOwned>(
    cx: &mut Cx,
    mut table: Table,
    field: impl Fn(&str, &str) -> String,
) -> CoreRead<T> {
    let mut left_out = Vec::new();
    loop {
        let e = match serde_path_to_error::deserialize(Value::Table(table.clone())) {
            Ok(value) => return CoreRead { value: Some(value), left_out },
            Err(e) => e,
        };
        let mut segments = e.path().iter();
        let message = e.inner().message().trim();
        let Some(serde_path_to_error::Segment::Map { key }) = segments.next() else {
            cx.add(field("", ""), message);
            return CoreRead { value: None, left_out };
        };
        let rest: String = segments
            .map(|s| match s {
                serde_path_to_error::Segment::Seq { .. } => s.to_string(),
                s => format!(".{s}"),
            })
            .collect();
        cx.add(field(key, &rest), message);
        if table.remove(key).is_none() {
            return CoreRead { value: None, left_out };
        }
        left_out.push(key.clone());
    }
}

fn build(raw: &RawScenario, cx: &mut Cx) -> Option<Scenario> {
    // The engine tables, each overlaid on the keys the scenario generates and read into the
    // core's own type, even when other problems stop the scenario from building: a
    // misspelt or mistyped engine setting is reported at its scenario path.
    let mut teams = Vec::new();
    for (i, t) in raw.teams.iter().enumerate() {
        let field = |key: &str, rest: &str| {
            if key.is_empty() { format!("teams[{i}]") } else { team_field(raw, i, key, rest) }
        };
        teams.push(read_core::<TeamSpec>(cx, team_table(t), field));
    }
    let mut queues = Vec::new();
    for (i, q) in raw.queues.iter().enumerate() {
        let field = |key: &str, rest: &str| queue_field(raw, i, key, rest);
        queues.push(read_core::<QueueSpec>(cx, queue_table(q, raw.target_s), field));
    }
    let field =
        |key: &str, rest: &str| if key.is_empty() { "engine".to_owned() } else { format!("engine.{key}{rest}") };
    let top = read_core::<ConfigSpec>(cx, top_table(&raw.engine), field);
    if !cx.problems.is_empty() {
        // Names and references are unreliable until the scenario itself reads cleanly;
        // only the plainest service check can be made.
        check_service_raw(raw, &queues, cx);
        return None;
    }
    let (Some(start), Some(duration_s)) = (raw.start, raw.duration_s) else { return None };
    let mut spec = top.value?;
    spec.teams = teams.into_iter().map(|t| t.value).collect::<Option<_>>()?;
    spec.queues = queues.into_iter().map(|q| q.value).collect::<Option<_>>()?;
    // Names, in order of first appearance (languages and categories after `[engine]`'s).
    for (s, _) in raw.queues.iter().flat_map(|q| &q.skills).chain(raw.teams.iter().flat_map(|t| &t.skills)) {
        push_unique(&mut spec.skills, s);
    }
    for t in &raw.teams {
        for l in &t.languages {
            push_unique(&mut spec.languages, l);
        }
    }
    for q in &raw.queues {
        for (_, l) in &q.mix.languages {
            push_unique(&mut spec.languages, l);
        }
    }
    for q in &raw.queues {
        for (_, c) in &q.mix.categories {
            push_unique(&mut spec.categories, c);
        }
        for (c, _) in &q.handle_by_category {
            push_unique(&mut spec.categories, c);
        }
    }

    // Limits: low closed-ticket retention and bounded customer memory, unless set.
    if spec.limits.closed_ticket_retention_s.is_none() {
        // Closed tickets are kept only as long as something may still happen to them: a
        // follow-up (which must fall within the retention), a customer reopening.
        let follow_up_s = longest_follow_up_s(&spec);
        let reopens = raw.queues.iter().any(|q| q.reopen.is_some());
        let mut retention_s = f64::from(DEFAULT_CLOSED_TICKET_RETENTION_S);
        if follow_up_s > 0.0 {
            retention_s = retention_s.max(follow_up_s + REOPEN_WINDOW_S);
        }
        if reopens {
            retention_s = retention_s.max(REOPEN_WINDOW_S);
        }
        spec.limits.closed_ticket_retention_s = Some(limit_s(retention_s));
    }
    if spec.limits.customer_memory_s.is_none() {
        // Long enough for every window the engine rules name (sticky windows, repeat-contact
        // windows), a day when customers come back, nothing otherwise (every customer is
        // new, so remembering them only costs memory and time).
        let repeats = raw.queues.iter().any(|q| q.mix.repeat_share > 0.0);
        let floor = if repeats { DEFAULT_CUSTOMER_MEMORY_S } else { 0 };
        spec.limits.customer_memory_s = Some(limit_s(f64::from(floor).max(longest_window_s(&spec))));
    }
    let config = match Config::new(spec.clone()) {
        Ok(c) => c,
        Err(e) => {
            for p in e.problems {
                cx.add(map_config_path(raw, &p.path), p.message);
            }
            return None;
        }
    };
    if config.limits.agents_max < raw.teams.iter().map(|t| t.agents.len()).sum::<usize>() as u32 {
        cx.add(
            "engine.limits.agents_max",
            format!("{} is below the scenario's number of agents", config.limits.agents_max),
        );
    }

    let sla_policies = !config.spec().sla_policies.is_empty();
    // Resolve names to ids.
    let skill_ids = |list: &[(String, u8)]| -> Vec<(SkillId, u8)> {
        let mut v: Vec<(SkillId, u8)> = list.iter().map(|(s, l)| (config.skill(s).expect("generated"), *l)).collect();
        v.sort_unstable();
        v
    };
    let team_models: Vec<TeamModel> = raw
        .teams
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut languages = LanguageSet::default();
            for l in &t.languages {
                languages.insert(config.language(l).expect("generated"));
            }
            TeamModel {
                id: TeamId(i as u16),
                agents: t.agents.clone(),
                skills: skill_ids(&t.skills),
                languages,
                capacity: t.capacity,
                shifts: t.shifts.clone(),
                shift_order: ShiftOrder::new(&t.shifts),
                at_shift_end: t.at_shift_end,
            }
        })
        .collect();
    let queue_models: Vec<QueueModel> = raw
        .queues
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let mut handle_by_category = vec![None; config.category_names().len()];
            for (c, d) in &q.handle_by_category {
                handle_by_category[config.category(c).expect("generated").index()] = Some(d.clone());
            }
            let m = &q.mix;
            let cats: Vec<(f64, Option<CategoryId>)> =
                m.categories.iter().map(|(p, c)| (*p, config.category(c))).collect();
            let langs: Vec<(f64, Option<LanguageId>)> =
                m.languages.iter().map(|(p, l)| (*p, config.language(l))).collect();
            QueueModel {
                id: QueueId(i as u16),
                name: q.name.clone(),
                channel: q.channel.expect("checked"),
                arrivals: q.arrivals.clone().expect("checked"),
                handle: q.handle.clone().expect("checked"),
                handle_by_category,
                patience: q.patience.clone(),
                mix: Mix {
                    tiers: choice_or(&m.tiers, CustomerTier::Standard),
                    urgencies: choice_or(&m.urgencies, Urgency::Normal),
                    emotions: choice_or(&m.emotions, Emotion::Neutral),
                    categories: choice_or(&cats, None),
                    languages: choice_or(&langs, None),
                    repeat_share: m.repeat_share,
                },
                bot: q.bot.clone(),
                conversation: q.conversation.as_ref().map(|(share, messages, delay, reply, pending)| Conversation {
                    share: *share,
                    messages: *messages,
                    delay: delay.clone(),
                    // Answering a customer's message takes as long as a first reply, unless
                    // the scenario says otherwise.
                    reply: reply.clone().or_else(|| q.first_reply.clone().flatten()).unwrap_or(Dist::Fixed { s: 0.0 }),
                    pending: *pending,
                }),
                reopen: q.reopen.clone(),
                transfer: q
                    .transfer
                    .as_ref()
                    .and_then(|(share, to)| config.queue_id(to).map(|to| Transfer { share: *share, to })),
                first_reply: match &q.first_reply {
                    Some(given) => given.clone(),
                    // Agents reply as they take a ticket when SLA first-response clocks run,
                    // or when the queue takes back a ticket nobody replied to in time.
                    None if sla_policies || config.queue(QueueId(i as u16)).reply_timeout_ms.is_some() => {
                        Some(Dist::Fixed { s: 0.0 })
                    }
                    None => None,
                },
            }
        })
        .collect();

    check_service(raw, &config, &queue_models, &team_models, cx);
    for (i, q) in raw.queues.iter().enumerate() {
        if let Some((_, to)) = &q.transfer {
            match config.queue_id(to) {
                None => cx.add(
                    format!("queues[{i}].transfer.to"),
                    format!("unknown queue {to:?}; expected one of the scenario's queues"),
                ),
                Some(id) if id.index() == i => {
                    cx.add(format!("queues[{i}].transfer.to"), format!("{to:?} is the queue itself"))
                }
                Some(id) if queue_models[id.index()].channel != queue_models[i].channel => cx.add(
                    format!("queues[{i}].transfer.to"),
                    format!(
                        "queue {to:?} takes {}, not {}: a transfer keeps the ticket's channel",
                        queue_models[id.index()].channel,
                        queue_models[i].channel
                    ),
                ),
                Some(_) => {}
            }
        }
        if q.conversation.is_some() && queue_models[i].first_reply.is_none() {
            cx.add(
                format!("queues[{i}].conversation"),
                "agents of this queue never reply (no first_reply), so customers never write back; give first_reply",
            );
        }
    }
    for (i, q) in queue_models.iter().enumerate() {
        if q.first_reply.is_none() && config.queue(q.id).reply_timeout_ms.is_some() {
            cx.add(
                format!("queues[{i}].first_reply"),
                format!(
                    "none, but {} is set: agents who never reply lose every ticket when it runs out; \
                     give a first_reply distribution or drop the timeout",
                    queue_field(raw, i, "reply_timeout_s", "")
                ),
            );
        }
    }

    Some(Scenario {
        origin: String::new(),
        name: raw.name.clone(),
        seed: raw.seed,
        start,
        duration_ms: crate::dist::to_ms(duration_s),
        warmup_ms: crate::dist::to_ms(raw.warmup_s),
        service_level_target_s: raw.target_s,
        replications: raw.replications,
        customer_pool: raw.pool,
        queues: queue_models,
        teams: team_models,
        spec,
        config: Arc::new(config),
    })
}

/// Whether a team's agents can serve a queue's tickets (of `language`) at some step.
fn team_serves(config: &Config, q: &QueueModel, t: &TeamModel, language: Option<LanguageId>) -> bool {
    let cq = config.queue(q.id);
    if !cs_core::capacity::serves(&t.capacity, q.channel, &config.capacity) {
        return false;
    }
    if language.is_some_and(|l| !t.languages.contains(l)) {
        return false;
    }
    let levels = SkillLevels::new(t.skills.iter().copied());
    let overflow = cq.overflow.as_ref().is_some_and(|o| o.teams.contains(&t.id));
    cq.steps.iter().any(|step| {
        let needs: SkillNeeds = match step.proficiency_min {
            Some(min) => cq.needs.with_min(min),
            None => cq.needs,
        };
        (step.teams.admits(t.id) || overflow) && needs.first_unmet(&levels).is_none()
    })
}

/// The service check without an engine configuration (other problems prevent one): for
/// queues whose `engine` table, as read, changes nothing about who may serve them (no
/// `steps`, `overflow` or `teams`, nor one of them that did not read), some staffed team
/// must hold every skill at the minimum and have capacity on the channel.
fn check_service_raw(raw: &RawScenario, specs: &[CoreRead<QueueSpec>], cx: &mut Cx) {
    for (i, q) in raw.queues.iter().enumerate() {
        let Some(channel) = q.channel else { continue };
        let read = &specs[i];
        let routed =
            read.value.as_ref().is_none_or(|s| !s.steps.is_empty() || s.overflow.is_some() || s.teams.is_some())
                || read.left_out.iter().any(|k| matches!(k.as_str(), "steps" | "overflow" | "teams"));
        if routed {
            continue;
        }
        let serves = |t: &RawTeam| {
            !t.agents.is_empty()
                && t.capacity.per_channel.get(channel) > 0
                && q.skills.iter().all(|(s, min)| t.skills.iter().any(|(ts, l)| ts == s && l >= min))
        };
        if !raw.teams.is_empty() && !raw.teams.iter().any(serves) {
            let needs: Vec<String> = q.skills.iter().map(|(s, l)| format!("{s} >= {l}")).collect();
            let needs = if needs.is_empty() { "no skills".to_owned() } else { needs.join(", ") };
            let field =
                if q.skills.is_empty() { format!("queues[{i}].channel") } else { format!("queues[{i}].skills") };
            cx.add(
                field,
                format!(
                    "nobody can ever serve queue {:?}: no team with agents has {needs} and capacity on {channel}",
                    q.name
                ),
            );
        }
    }
}

/// Refuses queues nobody can ever serve (and teams that can serve nothing, and
/// languages nobody who could serve the queue speaks).
fn check_service(raw: &RawScenario, config: &Config, queues: &[QueueModel], teams: &[TeamModel], cx: &mut Cx) {
    let staffed: Vec<&TeamModel> = teams.iter().filter(|t| !t.agents.is_empty()).collect();
    for (i, q) in queues.iter().enumerate() {
        let cq = config.queue(q.id);
        let moves_on = cq.steps.last().is_some_and(|s| s.move_to.is_some());
        if moves_on {
            continue; // its tickets end up in another queue, which is checked itself
        }
        let serving: Vec<&&TeamModel> = staffed.iter().filter(|t| team_serves(config, q, t, None)).collect();
        if serving.is_empty() {
            let needs: Vec<String> =
                cq.needs.iter().map(|n| format!("{} >= {}", config.skill_name(n.skill), n.min)).collect();
            let needs = if needs.is_empty() { "no skills".to_owned() } else { needs.join(", ") };
            let field = if raw.queues[i].skills.is_empty() {
                format!("queues[{i}].channel")
            } else {
                format!("queues[{i}].skills")
            };
            cx.add(
                field,
                format!(
                    "nobody can ever serve queue {:?}: no team with agents has {needs} and capacity on {}",
                    q.name, q.channel
                ),
            );
            continue;
        }
        for (p, l) in &raw.queues[i].mix.languages {
            let id = config.language(l);
            if *p > 0.0 && !staffed.iter().any(|t| team_serves(config, q, t, id)) {
                cx.add(
                    format!("queues[{i}].mix.languages.{l}"),
                    format!("no team that can serve queue {:?} speaks {l:?}; these tickets would wait forever", q.name),
                );
            }
        }
    }
    for (i, t) in teams.iter().enumerate() {
        if !t.agents.is_empty() && !queues.iter().any(|q| team_serves(config, q, t, None)) {
            cx.add(
                format!("teams[{i}].skills"),
                format!(
                    "team {:?} can serve no queue: its skills, capacity or admitted steps match none",
                    raw.teams[i].name
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Disjoint shifts from sorted cut points: `[c0, c1)`, `[c2, c3)`, ... (a daily team's
    /// last shift may run past midnight, up to its first shift's start the next day).
    fn shifts(cuts: &[u32], daily: bool, past_midnight: bool) -> Vec<Shift> {
        let mut cuts: Vec<f64> = cuts.iter().map(|&c| f64::from(c) / 10.0).collect();
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        let mut out: Vec<Shift> = cuts
            .chunks_exact(2)
            .map(|w| Shift { start_s: w[0], end_s: w[1], daily, agents: 1 + (w[0] as usize % 3) })
            .collect();
        if daily
            && past_midnight
            && let (Some(first), Some(last)) = (out.first().copied(), out.last_mut())
        {
            last.end_s = first.start_s + DAY_S;
        }
        out
    }

    #[test]
    fn serde_shape_messages_read_as_the_scenario_states_them() {
        assert_eq!(
            shape::message("unknown field `x`, expected one of `a`, `b`, `c`"),
            "unknown field \"x\"; expected one of: a, b, c"
        );
        assert_eq!(
            shape::message("unknown field `x`, expected `a` or `b`"),
            "unknown field \"x\"; expected one of: a, b"
        );
        assert_eq!(shape::message("unknown field `x`, expected `kind`"), "unknown field \"x\"; expected one of: kind");
        assert_eq!(
            shape::message("unknown field `x`, there are no fields"),
            "unknown field \"x\"; this table takes no fields"
        );
        assert_eq!(shape::message("expected a number, found string\n"), "expected a number, found string");
    }

    proptest! {
        /// The ordered lookup finds exactly the shifts that `covers` finds by asking all of
        /// them, at shift boundaries (where the simulator asks) and anywhere else.
        #[test]
        fn the_ordered_lookup_finds_what_asking_every_shift_finds(
            cuts in proptest::collection::vec(0u32..863_990, 0..40),
            daily in any::<bool>(),
            past_midnight in any::<bool>(),
            others in proptest::collection::vec(0i64..4 * 86_400_000, 0..40),
        ) {
            let list = shifts(&cuts, daily, past_midnight);
            let order = ShiftOrder::new(&list);
            let start_ms = 1_767_571_200_000;
            let mut times: Vec<i64> = others;
            for s in &list {
                for day in 0..3 {
                    let d = if s.daily { f64::from(day) * DAY_S } else { 0.0 };
                    for edge in [s.start_s, s.end_s] {
                        let ms = to_ms(d + edge);
                        times.extend([ms - 1, ms, ms + 1]);
                    }
                }
            }
            for at in times {
                let at_ms = start_ms + at;
                let brute: Vec<Shift> = list.iter().filter(|s| s.covers(start_ms, at_ms)).copied().collect();
                let mut fast: Vec<Shift> = order.covering(&list, start_ms, at_ms).copied().collect();
                fast.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
                prop_assert_eq!(fast, brute, "at {} ms", at);
            }
        }
    }
}
