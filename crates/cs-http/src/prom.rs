//! `/metrics` in the Prometheus text format: per tenant, the queues' state (depth, oldest
//! wait, service level today), counters of SLA warnings, breaches and escalations since
//! the process started, and histograms of decision and HTTP request latency.

use cs_core::Event;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency histograms' buckets, in seconds.
const BUCKETS_S: [f64; 14] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// A latency histogram with fixed buckets, safe to share between threads.
#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS_S.len()],
    count: AtomicU64,
    sum_ns: AtomicU64,
}

impl Histogram {
    /// Counts one observation.
    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        if let Some(i) = BUCKETS_S.iter().position(|&b| s <= b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (i, b) in BUCKETS_S.iter().enumerate() {
            cumulative += self.buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{b}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9);
        let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
    }
}

/// What a tenant counts as it goes.
#[derive(Default)]
pub struct TenantStats {
    /// SLA warnings published.
    pub sla_warnings: AtomicU64,
    /// SLA breaches published.
    pub sla_breaches: AtomicU64,
    /// Escalations published.
    pub escalations: AtomicU64,
    /// Assignments published.
    pub assignments: AtomicU64,
    /// Time to decide one command in the engine (routing included).
    pub decision: Histogram,
    /// Time to answer one HTTP request of the tenant.
    pub http: Histogram,
}

impl TenantStats {
    /// Counts what an event stands for.
    pub fn count(&self, e: &Event) {
        let c = match e {
            Event::SlaWarning { .. } => &self.sla_warnings,
            Event::SlaBreached { .. } => &self.sla_breaches,
            Event::TicketEscalated { .. } => &self.escalations,
            Event::TicketAssigned { .. } | Event::TicketOffered { .. } => &self.assignments,
            _ => return,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// One queue's state, as a tenant's thread reads it for a scrape.
#[derive(Clone, Debug)]
pub struct QueueGauges {
    /// Its name.
    pub name: String,
    /// Tickets waiting.
    pub waiting: u64,
    /// The longest current wait, seconds.
    pub oldest_wait_s: f64,
    /// Service level since midnight UTC, if anything was offered.
    pub service_level_today: Option<f64>,
}

/// Escapes a label value.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// One tenant's figures for a scrape.
pub struct TenantFigures<'a> {
    /// Its name.
    pub name: String,
    /// Its queues' state.
    pub queues: Vec<QueueGauges>,
    /// Its counters and histograms.
    pub stats: &'a TenantStats,
    /// Its sequence number on this node.
    pub seq: u64,
    /// Whether this node writes it.
    pub owner: bool,
}

/// Reads one of a tenant's counters.
type Counter = fn(&TenantStats) -> &AtomicU64;

/// Renders every tenant's figures.
pub fn render(tenants: &[TenantFigures<'_>]) -> String {
    let mut out = String::new();
    let gauge = |out: &mut String, name: &str, help: &str, kind: &str| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    };
    gauge(&mut out, "cs_queue_waiting", "Tickets waiting in the queue.", "gauge");
    for TenantFigures { name: t, queues, .. } in tenants {
        for q in queues {
            let _ =
                writeln!(out, "cs_queue_waiting{{tenant=\"{}\",queue=\"{}\"}} {}", label(t), label(&q.name), q.waiting);
        }
    }
    gauge(&mut out, "cs_queue_oldest_wait_seconds", "The longest current wait in the queue.", "gauge");
    for TenantFigures { name: t, queues, .. } in tenants {
        for q in queues {
            let _ = writeln!(
                out,
                "cs_queue_oldest_wait_seconds{{tenant=\"{}\",queue=\"{}\"}} {}",
                label(t),
                label(&q.name),
                q.oldest_wait_s
            );
        }
    }
    gauge(
        &mut out,
        "cs_queue_service_level_today",
        "Answered within the queue's threshold over offered, since midnight UTC.",
        "gauge",
    );
    for TenantFigures { name: t, queues, .. } in tenants {
        for q in queues {
            if let Some(sl) = q.service_level_today {
                let _ = writeln!(
                    out,
                    "cs_queue_service_level_today{{tenant=\"{}\",queue=\"{}\"}} {sl}",
                    label(t),
                    label(&q.name)
                );
            }
        }
    }
    let counters: [(&str, &str, Counter); 4] = [
        ("cs_sla_warnings_total", "SLA warnings since the process started.", |s| &s.sla_warnings),
        ("cs_sla_breaches_total", "SLA breaches since the process started.", |s| &s.sla_breaches),
        ("cs_escalations_total", "Escalations since the process started.", |s| &s.escalations),
        ("cs_assignments_total", "Tickets assigned or offered since the process started.", |s| &s.assignments),
    ];
    for (name, help, get) in counters {
        gauge(&mut out, name, help, "counter");
        for TenantFigures { name: t, stats, .. } in tenants {
            let _ = writeln!(out, "{name}{{tenant=\"{}\"}} {}", label(t), get(stats).load(Ordering::Relaxed));
        }
    }
    gauge(&mut out, "cs_events_sequence", "The sequence number of the tenant's last event on this node.", "gauge");
    for TenantFigures { name: t, seq, .. } in tenants {
        let _ = writeln!(out, "cs_events_sequence{{tenant=\"{}\"}} {seq}", label(t));
    }
    gauge(&mut out, "cs_tenant_owner", "1 when this node writes the tenant's partition, 0 when it follows.", "gauge");
    for TenantFigures { name: t, owner, .. } in tenants {
        let _ = writeln!(out, "cs_tenant_owner{{tenant=\"{}\"}} {}", label(t), u8::from(*owner));
    }
    gauge(&mut out, "cs_decision_seconds", "Time to decide one command in the engine, routing included.", "histogram");
    for TenantFigures { name: t, stats, .. } in tenants {
        stats.decision.render(&mut out, "cs_decision_seconds", &format!("tenant=\"{}\"", label(t)));
    }
    gauge(&mut out, "cs_http_request_seconds", "Time to answer one HTTP request of the tenant.", "histogram");
    for TenantFigures { name: t, stats, .. } in tenants {
        stats.http.render(&mut out, "cs_http_request_seconds", &format!("tenant=\"{}\"", label(t)));
    }
    out
}
