//! Memory under a long run: `cs serve` at a steady load with churn (tickets created,
//! answered and resolved, customers coming once, agents going away and back), its resident
//! memory sampled every half second. Closed tickets and customers are kept for short
//! windows here, so the state reaches a steady size: memory late in the run must stay
//! within a bound of memory early in it.
//!
//! The default run takes `CS_SOAK_SECONDS` = 20 seconds; a long soak sets it higher
//! (`CS_SOAK_SECONDS=1800 cargo test --release -p cs-cli --test it soak -- --nocapture`).

use crate::http::{Server, request};
use serde_json::json;
use std::time::{Duration, Instant};

const TOKEN: &str = "soak-token";
/// Tickets per second.
const RATE: u64 = 40;

fn config(dir: &std::path::Path) -> std::path::PathBuf {
    crate::http::one_tenant_config(
        dir,
        "soak.toml",
        "soak",
        TOKEN,
        "requests_per_s = 100000\nburst = 100000",
        "[tenants.engine.limits]\nclosed_ticket_retention_s = 5\ncustomer_memory_s = 5\n\
         [[tenants.engine.sla_policies]]\nname = \"chat\"\nchannels = [\"chat\"]\nfirst_response_s = 30",
    )
}

/// The resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc is readable");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

fn ok(s: &Server, method: &str, path: &str, body: serde_json::Value, want: u16) {
    let r = request(&s.addr, method, path, Some(TOKEN), Some(&body.to_string()), &[]);
    assert_eq!(r.status, want, "{method} {path}: {}", r.body);
}

#[test]
fn resident_memory_stays_flat_under_steady_load_with_churn() {
    let seconds: u64 = std::env::var("CS_SOAK_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20).max(12);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let s = Server::start(&cfg, dir.path().join("store").to_str().unwrap(), &[]);
    let pid = s.child.id();
    let agents = 10;
    for a in 0..agents {
        let body = json!({"id": format!("a{a}"), "team": "support", "skills": {"general": 2}, "capacity": {"chat": 8}});
        ok(&s, "POST", "/v1/agents", body, 201);
        ok(&s, "POST", &format!("/v1/agents/a{a}/presence"), json!({"status": "available"}), 200);
    }
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    let mut samples: Vec<(f64, u64)> = Vec::new();
    let mut next_sample = start;
    let mut open: std::collections::VecDeque<String> = Default::default();
    let mut n: u64 = 0;
    while Instant::now() < end {
        // Pace to RATE tickets a second.
        let due = start + Duration::from_millis(n * 1000 / RATE);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let id = format!("T-{n}");
        ok(&s, "POST", "/v1/tickets", json!({"id": id, "customer": format!("c-{n}"), "channel": "chat"}), 201);
        open.push_back(id);
        // Each ticket is answered and resolved 30 tickets later (under a second).
        if open.len() > 30 {
            let done = open.pop_front().unwrap();
            ok(&s, "POST", &format!("/v1/tickets/{done}/actions"), json!({"type": "reply"}), 200);
            ok(&s, "POST", &format!("/v1/tickets/{done}/actions"), json!({"type": "resolve"}), 200);
        }
        // Presence churn: an agent steps away and comes back.
        if n.is_multiple_of(97) {
            let a = (n / 97) % agents;
            ok(&s, "POST", &format!("/v1/agents/a{a}/presence"), json!({"status": "away"}), 200);
            ok(&s, "POST", &format!("/v1/agents/a{a}/presence"), json!({"status": "available"}), 200);
        }
        if Instant::now() >= next_sample {
            samples.push((start.elapsed().as_secs_f64(), rss_kib(pid)));
            next_sample += Duration::from_millis(500);
        }
        n += 1;
    }
    // Early: after the retention windows filled (the second third); late: the last third.
    let third = seconds as f64 / 3.0;
    let peak = |from: f64, to: f64| samples.iter().filter(|(t, _)| *t >= from && *t < to).map(|s| s.1).max().unwrap();
    let (early, late) = (peak(third, 2.0 * third), peak(2.0 * third, f64::MAX));
    let bound = early + early / 5 + 8 * 1024;
    eprintln!(
        "soak: {n} tickets in {seconds} s, {} samples; peak resident memory {early} KiB early, {late} KiB late (bound {bound} KiB)",
        samples.len()
    );
    assert!(late <= bound, "resident memory grew from {early} KiB to {late} KiB (bound {bound} KiB): {samples:?}");
    // The churn went through the retention window: the first tickets are retired, the
    // service still answers.
    let first = request(&s.addr, "GET", "/v1/tickets/T-0", Some(TOKEN), None, &[]);
    assert_eq!(first.status, 404, "T-0 was retired after its retention window: {}", first.body);
    let q = request(&s.addr, "GET", "/v1/queues", Some(TOKEN), None, &[]);
    assert_eq!(q.status, 200, "{}", q.body);
}
