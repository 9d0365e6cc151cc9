//! Read-only views of a tenant's state: queues for the supervisor's screen, the metrics
//! summary, a customer's place in line, Prometheus gauges. Every figure is the core's.

use crate::error::ApiError;
use crate::prom::QueueGauges;
use cs_core::metrics::{INTERVAL_MS, Metrics, interval_start};
use cs_core::sla::ClockState;
use cs_core::time::DAY_MS;
use cs_core::{CustomerId, QueueId, State, TicketStatus, Timestamp};
use serde_json::{Value, json};

/// The service level a queue is shown against on the dashboard: the industry's common
/// 80 % within the queue's threshold (the threshold is the queue's `service_level_s`).
pub const SERVICE_LEVEL_GOAL: f64 = 0.8;

/// A ticket is at risk when a running SLA clock has warned or is due within this.
pub const AT_RISK_MS: i64 = 10 * 60_000;

/// Intervals of history each queue shows (the last 8 hours).
const HISTORY_INTERVALS: i64 = 32;

fn midnight(now: Timestamp) -> Timestamp {
    Timestamp(now.ms().div_euclid(DAY_MS) * DAY_MS)
}

/// `GET /v1/queues`: per queue, what waits, how long, the service level today against
/// the goal, its last 8 hours per 15 minutes, and the tickets closest to breach.
pub fn queues(s: &State, metrics: &Metrics, now: Timestamp) -> Vec<Value> {
    let cfg = s.config();
    // Today is within the 15-minute intervals kept; a state whose clock is far behind its
    // metrics (it cannot be) would show no figures rather than fail the view.
    let today = metrics.report(midnight(now), Timestamp::MAX, now).ok();
    let from = Timestamp(interval_start(now).ms() - (HISTORY_INTERVALS - 1) * INTERVAL_MS);
    cfg.queues()
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let id = QueueId(i as u16);
            let blank = cs_core::metrics::Counts::default();
            let c = today.as_ref().map_or(&blank, |r| &r.queues[i]);
            let history: Vec<Value> = metrics
                .intervals
                .iter()
                .filter(|iv| iv.start >= from)
                .map(|iv| {
                    let blank = cs_core::metrics::Counts::default();
                    let qc = iv.queue(id).unwrap_or(&blank);
                    json!({ "start": iv.start.to_string(), "offered": qc.offered, "service_level": qc.service_level() })
                })
                .collect();
            let mut risky: Vec<(Timestamp, Value)> = s
                .tickets()
                .filter(|t| t.queue == id && !t.status.is_closed())
                .filter_map(|t| {
                    let sla = t.sla.as_ref()?;
                    let clock = sla
                        .clocks
                        .iter()
                        .filter(|c| c.state == ClockState::Running && !c.breached)
                        .min_by_key(|c| c.deadline)?;
                    let left = clock.deadline.since(now);
                    (clock.warned || left <= AT_RISK_MS).then(|| {
                        (
                            clock.deadline,
                            json!({
                                "id": t.key.as_deref(),
                                "state": status(t.status),
                                "deadline": clock.deadline.to_string(),
                                "remaining_s": left as f64 / 1000.0,
                            }),
                        )
                    })
                })
                .collect();
            risky.sort_by_key(|(d, _)| *d);
            json!({
                "name": q.name,
                "waiting": s.waiting_in(id),
                "oldest_wait_s": s.oldest_wait_ms(id, now) as f64 / 1000.0,
                "overflow_open": s.overflow_open(id),
                "service_level_threshold_s": q.service_level_ms as f64 / 1000.0,
                "service_level_goal": SERVICE_LEVEL_GOAL,
                "today": { "offered": c.offered, "answered": c.answered, "abandoned": c.abandoned, "service_level": c.service_level() },
                "history": history,
                "at_risk": risky.iter().take(20).map(|(_, v)| v.clone()).collect::<Vec<_>>(),
                "at_risk_count": risky.len(),
            })
        })
        .collect()
}

fn status(s: TicketStatus) -> Value {
    serde_json::to_value(s).unwrap_or(Value::Null)
}

/// The gauges `/metrics` shows per queue.
pub fn queue_gauges(s: &State, metrics: &Metrics, now: Timestamp) -> Vec<QueueGauges> {
    let today = metrics.report(midnight(now), Timestamp::MAX, now).ok();
    s.config()
        .queues()
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let id = QueueId(i as u16);
            QueueGauges {
                name: q.name.clone(),
                waiting: s.waiting_in(id) as u64,
                oldest_wait_s: s.oldest_wait_ms(id, now) as f64 / 1000.0,
                service_level_today: today.as_ref().and_then(|r| r.queues[i].service_level()),
            }
        })
        .collect()
}

/// `GET /v1/customers/{id}/position`: each waiting ticket of the customer with its place
/// and estimated wait.
pub fn customer_position(s: &State, customer: CustomerId, id: &str, now: Timestamp) -> Value {
    let tickets: Vec<Value> = s
        .tickets()
        .filter(|t| t.customer == customer && !t.status.is_closed())
        .map(|t| {
            let waiting = t.status == TicketStatus::Queued;
            json!({
                "ticket": t.key.as_deref(),
                "state": status(t.status),
                "queue": s.config().queue(t.queue).name,
                "position": if waiting { s.queue_position(t.id) } else { None },
                "estimated_wait_s": if waiting { s.estimated_wait_ms(t.id).map(|ms| ms as f64 / 1000.0) } else { None },
                "waited_s": if waiting { Some(now.since(t.queued_since).max(0) as f64 / 1000.0) } else { None },
            })
        })
        .collect();
    json!({ "customer": id, "tickets": tickets })
}

/// Makes the metrics summary of a state (and the metrics folded beside it) over a window
/// `[from, to]`: the caller's (`cs serve`
/// passes the summary `cs replay --json` prints, so the field names agree by construction).
/// A window the metrics cannot answer is an error naming why.
pub type MetricsView =
    std::sync::Arc<dyn Fn(&State, &Metrics, Timestamp, Timestamp) -> Result<Value, String> + Send + Sync>;

/// What `GET /v1/staffing` asks: the goal to staff for and how far ahead.
#[derive(Clone, Copy, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffingQuery {
    /// Service-level threshold, seconds (default 20).
    #[serde(default = "StaffingQuery::default_target_s")]
    pub target_s: f64,
    /// Share to answer within it (default 0.8).
    #[serde(default = "StaffingQuery::default_service_level")]
    pub service_level: f64,
    /// Elastic reserve over the requirement (default 0.2, 20 %).
    #[serde(default = "StaffingQuery::default_reserve")]
    pub reserve: f64,
    /// 15-minute intervals ahead to project (default 4).
    #[serde(default = "StaffingQuery::default_ahead")]
    pub ahead: usize,
    /// Customers' mean patience, seconds (Erlang A); absent: Erlang C.
    #[serde(default)]
    pub patience_s: Option<f64>,
}

impl StaffingQuery {
    fn default_target_s() -> f64 {
        20.0
    }
    fn default_service_level() -> f64 {
        0.8
    }
    fn default_reserve() -> f64 {
        0.2
    }
    fn default_ahead() -> usize {
        4
    }
}

/// Makes the elastic staffing report of a state as of an instant: the caller's (`cs serve`
/// passes `cs_plan::elastic::report`, the one `cs replay --staffing` prints). An input out
/// of range is an error naming it.
pub type StaffingView =
    std::sync::Arc<dyn Fn(&State, &Metrics, Timestamp, &StaffingQuery) -> Result<Value, String> + Send + Sync>;

/// `GET /v1/staffing`: the agents needed per queue now and in the next intervals, from the
/// last hour's arrivals and handle times.
pub fn staffing(
    s: &State,
    metrics: &Metrics,
    view: &StaffingView,
    q: &StaffingQuery,
    now: Timestamp,
) -> Result<Value, ApiError> {
    let mut v = view(s, metrics, now, q).map_err(|why| ApiError::bad_request("bad_query", why))?;
    v["as_of"] = Value::String(now.to_string());
    Ok(v)
}

/// `GET /v1/metrics?from=&to=`: the metrics summary over a window, by default from
/// midnight UTC to now.
pub fn metrics(
    s: &State,
    m: &Metrics,
    view: &MetricsView,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    now: Timestamp,
) -> Result<Value, ApiError> {
    let to = to.unwrap_or(now).min(now);
    let from = from.unwrap_or_else(|| midnight(now));
    if from > to {
        return Err(ApiError::bad_request("bad_query", format!("from {from} is after to {to}")));
    }
    let mut v = view(s, m, from, to).map_err(|why| ApiError::bad_request("bad_window", why))?;
    v["from"] = Value::String(interval_start(from).to_string());
    v["to"] = Value::String(to.to_string());
    Ok(v)
}
