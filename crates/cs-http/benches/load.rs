//! Load on the real service over loopback: ticket creations per second and latency with
//! concurrent clients, against the store's own group-commit append rate measured in the
//! same run (the target: the service reaches at least half of it, so HTTP and the engine
//! cost no more than the disk).
//!
//! ```text
//! cargo bench -p cs-http --bench load                      # SQLite, and PostgreSQL with DATABASE_URL
//! cargo bench -p cs-http --bench load -- --clients 64 --seconds 5
//! ```
//!
//! Bounded: each phase runs `--seconds` (default 5) and stops; only 127.0.0.1 is used.

use axum::body::Body;
use axum::http::Request;
use cs_core::{Event, Timestamp};
use cs_store::{Append, EventStore, PgOptions, PgStore, SqliteOptions, SqliteStore};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-token";
/// Agents logged in, each taking up to 255 chats.
const AGENTS: usize = 400;

fn flags() -> (usize, f64) {
    let args: Vec<String> = std::env::args().collect();
    let get = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let clients = get("--clients").map_or(64, |v| v.parse().expect("--clients N"));
    let seconds = get("--seconds").map_or(5.0, |v| v.parse().expect("--seconds S"));
    (clients, seconds)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted.get(((sorted.len().max(1) - 1) as f64 * p).round() as usize).copied().unwrap_or_default()
}

fn engine_config() -> cs_core::ConfigSpec {
    toml::from_str(
        r#"
skills = ["general"]
teams = [{ name = "support" }]
limits = { queue_depth_max = 1000000, tickets_open_max = 5000000, agent_tickets_max = 255 }
[[queues]]
name = "general"
channels = ["chat", "email"]
skills = { general = 1 }
"#,
    )
    .unwrap()
}

/// The store's own rate: `writers` threads appending one event at a time.
fn store_rate(store: Arc<dyn EventStore>, writers: usize, seconds: f64, tag: &str) -> f64 {
    let stop = Instant::now() + Duration::from_secs_f64(seconds);
    let done = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for w in 0..writers {
            let (store, done) = (store.clone(), &done);
            s.spawn(move || {
                let p = format!("{tag}-{w}");
                let mut head = 0;
                while Instant::now() < stop {
                    let e = Event::TicketResolved { at: Timestamp(head as i64), ticket: cs_core::TicketId(head) };
                    head = store
                        .append(Append { partition: &p, expected: head, events: &[e], commands: &[] })
                        .unwrap()
                        .last;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    done.into_inner() as f64 / start.elapsed().as_secs_f64()
}

/// The service's rate: `clients` concurrent clients creating tickets over HTTP.
async fn service_rate(
    store: Arc<dyn EventStore>,
    tenant: &str,
    clients: usize,
    seconds: f64,
) -> (f64, Duration, Duration, u64) {
    let config = cs_http::ServiceConfig {
        addr: "127.0.0.1:0".to_owned(),
        tenants: vec![cs_http::TenantConfig {
            name: tenant.to_owned(),
            token_sha256: cs_http::token_digest(TOKEN),
            requests_per_s: 1e9,
            burst: 1e9,
            engine: engine_config(),
        }],
        ..cs_http::ServiceConfig::empty()
    };
    let metrics_view: cs_http::views::MetricsView = Arc::new(|_, _, _, _| Ok(serde_json::Value::Null));
    let staffing_view: cs_http::views::StaffingView = Arc::new(|_, _, _, _| Ok(serde_json::Value::Null));
    let bound = cs_http::bind(cs_http::ServeOptions { config, store, metrics_view, staffing_view })
        .await
        .expect("the service starts");
    let addr = bound.addr;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(bound.run(async {
        let _ = stop_rx.await;
    }));
    let client = cs_http::client::Client::new();
    // Enough agents that every ticket is taken at once: the steady state of a staffed desk
    // (a queue that only grows would measure the waiting line, not the service).
    let post = |path: String, body: String| {
        Request::post(format!("http://{addr}{path}"))
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    for a in 0..AGENTS {
        let body = format!(r#"{{"id":"a{a}","team":"support","skills":{{"general":3}},"capacity":{{"chat":255}}}}"#);
        let r = client.send(post("/v1/agents".into(), body)).await.expect("register");
        assert_eq!(r.status(), 201);
        let r = client
            .send(post(format!("/v1/agents/a{a}/presence"), r#"{"status":"available"}"#.into()))
            .await
            .expect("login");
        assert_eq!(r.status(), 200);
    }
    let stop = Instant::now() + Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    let errors = Arc::new(AtomicU64::new(0));
    for c in 0..clients {
        let (client, errors) = (client.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut n = 0u64;
            while Instant::now() < stop {
                let body = format!(r#"{{"id":"c{c}-{n}","customer":"cust-{}","channel":"chat"}}"#, n % 1000);
                n += 1;
                let req = Request::post(format!("http://{addr}/v1/tickets"))
                    .header("authorization", format!("Bearer {TOKEN}"))
                    .header("content-type", "application/json")
                    .body(Body::from(body))
                    .unwrap();
                let t0 = Instant::now();
                match client.send(req).await {
                    Ok(r) if r.status() == 201 => {
                        let _ = axum::body::to_bytes(r.into_body(), 1 << 20).await;
                        lat.push(t0.elapsed());
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let wall = start.elapsed().as_secs_f64();
    let _ = stop_tx.send(());
    let _ = server.await;
    lat.sort_unstable();
    (lat.len() as f64 / wall, percentile(&lat, 0.5), percentile(&lat, 0.99), errors.load(Ordering::Relaxed))
}

fn run(name: &str, store: Arc<dyn EventStore>, tag: &str, clients: usize, seconds: f64, rt: &tokio::runtime::Runtime) {
    println!("\n## {name}: {clients} clients, {seconds} s per phase");
    let appends = store_rate(store.clone(), clients, seconds, &format!("{tag}-store"));
    println!("store, group commit, {clients} writers:  {appends:>9.0} appends/s");
    let (rate, p50, p99, errors) = rt.block_on(service_rate(store, &format!("{tag}-service"), clients, seconds));
    println!(
        "service, POST /v1/tickets:           {rate:>9.0} tickets/s   p50 {p50:>8.2?}   p99 {p99:>8.2?}   errors {errors}"
    );
    println!("ratio service / store: {:.2}", rate / appends);
}

fn main() {
    let (clients, seconds) = flags();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite: Arc<dyn EventStore> = Arc::new(SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap());
    run("SQLite (synchronous = FULL)", sqlite, "bench", clients, seconds, &rt);
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let pg: Arc<dyn EventStore> = Arc::new(PgStore::open(&url, PgOptions::default()).unwrap());
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
            let tag = format!("bench-http-{nanos}");
            run("PostgreSQL on localhost", pg, &tag, clients, seconds, &rt);
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            c.execute("DELETE FROM cs_events WHERE partition LIKE $1", &[&format!("{tag}%")]).unwrap();
            c.execute("DELETE FROM cs_owners WHERE partition LIKE $1", &[&format!("{tag}%")]).unwrap();
        }
        _ => println!("\n## PostgreSQL: skipped (DATABASE_URL is not set)"),
    }
}
